"""pvecdk: Proxmox VE clusters as code, on CDK for Terraform and the ``bpg/proxmox`` provider.

The L1 classes (one per provider type) are imported by path: ``from pvecdk.bpg import storage_nfs``.
This package re-exports the public constructs and the errors.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pvecdk.errors import ConfigError, Problem, PvecdkError

if TYPE_CHECKING:
    from pvecdk._base import ClusterBase, NodeBase
    from pvecdk.access import DEFAULT_AUTOMATION_PRIVILEGES, AutomationAccess
    from pvecdk.backup import BackupJob, BackupMode, Compression, MailNotification, Retention
    from pvecdk.ceph import (
        Ceph,
        CephFs,
        CephPool,
        DeviceClass,
        ErasureCoding,
        Osd,
        PgAutoscaleMode,
        PoolApplication,
    )
    from pvecdk.cluster import (
        AptRepository,
        Cluster,
        Console,
        CorosyncLink,
        CrsMode,
        FencingMode,
        HaShutdownPolicy,
        MigrationType,
        NetworkRole,
        NextIdRange,
        PveVersion,
        QDevice,
        SshAccess,
    )
    from pvecdk.firewall import Action, ClusterFirewall, Direction, FirewallRule, SecurityGroup
    from pvecdk.guests import CloudInit, Container, Disk, Guest, NetworkInterface, Pool, Vm
    from pvecdk.ha import Ha, HaOptions, HaResource, HaRule, HaState
    from pvecdk.monitoring import (
        GraphiteProtocol,
        GraphiteServer,
        InfluxDbProtocol,
        InfluxDbServer,
        MetricsServer,
        MetricsServerType,
        OpenTelemetryServer,
    )
    from pvecdk.node import BondMode, Node
    from pvecdk.policy import Quorum
    from pvecdk.replication import Replication
    from pvecdk.storage import (
        CephFsStorage,
        CifsStorage,
        ContentType,
        DirStorage,
        GlusterFsStorage,
        GlusterTransport,
        IscsiDirectStorage,
        IscsiProvider,
        IscsiStorage,
        LvmStorage,
        LvmThinStorage,
        NfsStorage,
        PbsStorage,
        Preallocation,
        RbdStorage,
        Storage,
        ZfsCompression,
        ZfsOverIscsiStorage,
        ZfsPoolStorage,
        ZfsRaidLevel,
    )

# The constructs are imported on first use, so `import pvecdk.engine` or `pvecdk.tfplugin` (the provider
# plugins) never loads the CDK runtime.
_LAZY = {
    "Action": "pvecdk.firewall",
    "AptRepository": "pvecdk.cluster",
    "AutomationAccess": "pvecdk.access",
    "BackupJob": "pvecdk.backup",
    "BackupMode": "pvecdk.backup",
    "BondMode": "pvecdk.node",
    "Ceph": "pvecdk.ceph",
    "CephFs": "pvecdk.ceph",
    "CephFsStorage": "pvecdk.storage",
    "CephPool": "pvecdk.ceph",
    "CifsStorage": "pvecdk.storage",
    "CloudInit": "pvecdk.guests",
    "Cluster": "pvecdk.cluster",
    "ClusterBase": "pvecdk._base",
    "ClusterFirewall": "pvecdk.firewall",
    "Compression": "pvecdk.backup",
    "Console": "pvecdk.cluster",
    "Container": "pvecdk.guests",
    "ContentType": "pvecdk.storage",
    "CorosyncLink": "pvecdk.cluster",
    "CrsMode": "pvecdk.cluster",
    "DEFAULT_AUTOMATION_PRIVILEGES": "pvecdk.access",
    "DeviceClass": "pvecdk.ceph",
    "DirStorage": "pvecdk.storage",
    "Direction": "pvecdk.firewall",
    "Disk": "pvecdk.guests",
    "ErasureCoding": "pvecdk.ceph",
    "FencingMode": "pvecdk.cluster",
    "FirewallRule": "pvecdk.firewall",
    "GlusterFsStorage": "pvecdk.storage",
    "GlusterTransport": "pvecdk.storage",
    "GraphiteProtocol": "pvecdk.monitoring",
    "GraphiteServer": "pvecdk.monitoring",
    "Guest": "pvecdk.guests",
    "Ha": "pvecdk.ha",
    "HaOptions": "pvecdk.ha",
    "HaResource": "pvecdk.ha",
    "HaRule": "pvecdk.ha",
    "HaShutdownPolicy": "pvecdk.cluster",
    "HaState": "pvecdk.ha",
    "InfluxDbProtocol": "pvecdk.monitoring",
    "InfluxDbServer": "pvecdk.monitoring",
    "IscsiDirectStorage": "pvecdk.storage",
    "IscsiProvider": "pvecdk.storage",
    "IscsiStorage": "pvecdk.storage",
    "LvmStorage": "pvecdk.storage",
    "LvmThinStorage": "pvecdk.storage",
    "MailNotification": "pvecdk.backup",
    "MetricsServer": "pvecdk.monitoring",
    "MetricsServerType": "pvecdk.monitoring",
    "MigrationType": "pvecdk.cluster",
    "NetworkInterface": "pvecdk.guests",
    "NetworkRole": "pvecdk.cluster",
    "NextIdRange": "pvecdk.cluster",
    "NfsStorage": "pvecdk.storage",
    "Node": "pvecdk.node",
    "NodeBase": "pvecdk._base",
    "OpenTelemetryServer": "pvecdk.monitoring",
    "Osd": "pvecdk.ceph",
    "PbsStorage": "pvecdk.storage",
    "PgAutoscaleMode": "pvecdk.ceph",
    "Pool": "pvecdk.guests",
    "PoolApplication": "pvecdk.ceph",
    "Preallocation": "pvecdk.storage",
    "PveVersion": "pvecdk.cluster",
    "QDevice": "pvecdk.cluster",
    "Quorum": "pvecdk.policy",
    "RbdStorage": "pvecdk.storage",
    "Replication": "pvecdk.replication",
    "Retention": "pvecdk.backup",
    "SecurityGroup": "pvecdk.firewall",
    "SshAccess": "pvecdk.cluster",
    "Storage": "pvecdk.storage",
    "Vm": "pvecdk.guests",
    "ZfsCompression": "pvecdk.storage",
    "ZfsOverIscsiStorage": "pvecdk.storage",
    "ZfsPoolStorage": "pvecdk.storage",
    "ZfsRaidLevel": "pvecdk.storage",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pvecdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

__all__ = [
    "Action",
    "AptRepository",
    "AutomationAccess",
    "BackupJob",
    "BackupMode",
    "BondMode",
    "Ceph",
    "CephFs",
    "CephFsStorage",
    "CephPool",
    "CifsStorage",
    "CloudInit",
    "Cluster",
    "ClusterBase",
    "ClusterFirewall",
    "Compression",
    "ConfigError",
    "Console",
    "Container",
    "ContentType",
    "CorosyncLink",
    "CrsMode",
    "DEFAULT_AUTOMATION_PRIVILEGES",
    "DeviceClass",
    "DirStorage",
    "Direction",
    "Disk",
    "ErasureCoding",
    "FencingMode",
    "FirewallRule",
    "GlusterFsStorage",
    "GlusterTransport",
    "GraphiteProtocol",
    "GraphiteServer",
    "Guest",
    "Ha",
    "HaOptions",
    "HaResource",
    "HaRule",
    "HaShutdownPolicy",
    "HaState",
    "InfluxDbProtocol",
    "InfluxDbServer",
    "IscsiDirectStorage",
    "IscsiProvider",
    "IscsiStorage",
    "LvmStorage",
    "LvmThinStorage",
    "MailNotification",
    "MetricsServer",
    "MetricsServerType",
    "MigrationType",
    "NetworkInterface",
    "NetworkRole",
    "NextIdRange",
    "NfsStorage",
    "Node",
    "NodeBase",
    "OpenTelemetryServer",
    "Osd",
    "PbsStorage",
    "PgAutoscaleMode",
    "Pool",
    "PoolApplication",
    "Preallocation",
    "Problem",
    "PveVersion",
    "PvecdkError",
    "QDevice",
    "Quorum",
    "RbdStorage",
    "Replication",
    "Retention",
    "SecurityGroup",
    "SshAccess",
    "Storage",
    "Vm",
    "ZfsCompression",
    "ZfsOverIscsiStorage",
    "ZfsPoolStorage",
    "ZfsRaidLevel",
    "__version__",
]
