"""pvecdk: Proxmox VE clusters as code, on CDK for Terraform and the ``bpg/proxmox`` provider.

The L1 classes (one per provider type) are imported by path: ``from pvecdk.bpg import storage_nfs``.
This package re-exports the public constructs and the errors.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pvecdk.errors import ConfigError, Problem, PvecdkError

if TYPE_CHECKING:
    from pvecdk.access import DEFAULT_AUTOMATION_PRIVILEGES, AutomationAccess
    from pvecdk.backup import BackupJob, BackupMode, Compression, MailNotification, Retention
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
    from pvecdk.storage import ContentType, Storage

# The constructs are imported on first use, so `import pvecdk.engine` or `pvecdk.tfplugin` (the provider
# plugins) never loads the CDK runtime.
_LAZY = {
    "Action": "pvecdk.firewall",
    "AptRepository": "pvecdk.cluster",
    "AutomationAccess": "pvecdk.access",
    "BackupJob": "pvecdk.backup",
    "BackupMode": "pvecdk.backup",
    "BondMode": "pvecdk.node",
    "CloudInit": "pvecdk.guests",
    "Cluster": "pvecdk.cluster",
    "ClusterFirewall": "pvecdk.firewall",
    "Compression": "pvecdk.backup",
    "Console": "pvecdk.cluster",
    "Container": "pvecdk.guests",
    "ContentType": "pvecdk.storage",
    "CorosyncLink": "pvecdk.cluster",
    "CrsMode": "pvecdk.cluster",
    "DEFAULT_AUTOMATION_PRIVILEGES": "pvecdk.access",
    "Direction": "pvecdk.firewall",
    "Disk": "pvecdk.guests",
    "FencingMode": "pvecdk.cluster",
    "FirewallRule": "pvecdk.firewall",
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
    "MailNotification": "pvecdk.backup",
    "MetricsServer": "pvecdk.monitoring",
    "MetricsServerType": "pvecdk.monitoring",
    "MigrationType": "pvecdk.cluster",
    "NetworkInterface": "pvecdk.guests",
    "NetworkRole": "pvecdk.cluster",
    "NextIdRange": "pvecdk.cluster",
    "Node": "pvecdk.node",
    "OpenTelemetryServer": "pvecdk.monitoring",
    "Pool": "pvecdk.guests",
    "PveVersion": "pvecdk.cluster",
    "QDevice": "pvecdk.cluster",
    "Quorum": "pvecdk.policy",
    "Replication": "pvecdk.replication",
    "Retention": "pvecdk.backup",
    "SecurityGroup": "pvecdk.firewall",
    "Storage": "pvecdk.storage",
    "Vm": "pvecdk.guests",
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
    "CloudInit",
    "Cluster",
    "ClusterFirewall",
    "Compression",
    "ConfigError",
    "Console",
    "Container",
    "ContentType",
    "CorosyncLink",
    "CrsMode",
    "DEFAULT_AUTOMATION_PRIVILEGES",
    "Direction",
    "Disk",
    "FencingMode",
    "FirewallRule",
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
    "MailNotification",
    "MetricsServer",
    "MetricsServerType",
    "MigrationType",
    "NetworkInterface",
    "NetworkRole",
    "NextIdRange",
    "Node",
    "OpenTelemetryServer",
    "Pool",
    "Problem",
    "PveVersion",
    "PvecdkError",
    "QDevice",
    "Quorum",
    "Replication",
    "Retention",
    "SecurityGroup",
    "Storage",
    "Vm",
    "__version__",
]
