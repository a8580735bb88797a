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
    from pvecdk.ha import Ha, HaState
    from pvecdk.node import BondMode, Node
    from pvecdk.policy import Quorum
    from pvecdk.storage import ContentType, Storage

# The constructs are imported on first use, so `import pvecdk.engine` or `pvecdk.tfplugin` (the provider
# plugins) never loads the CDK runtime.
_LAZY = {
    "Action": "pvecdk.firewall",
    "AptRepository": "pvecdk.cluster",
    "AutomationAccess": "pvecdk.access",
    "BondMode": "pvecdk.node",
    "Cluster": "pvecdk.cluster",
    "ClusterFirewall": "pvecdk.firewall",
    "Console": "pvecdk.cluster",
    "ContentType": "pvecdk.storage",
    "CorosyncLink": "pvecdk.cluster",
    "CrsMode": "pvecdk.cluster",
    "DEFAULT_AUTOMATION_PRIVILEGES": "pvecdk.access",
    "Direction": "pvecdk.firewall",
    "FencingMode": "pvecdk.cluster",
    "FirewallRule": "pvecdk.firewall",
    "Ha": "pvecdk.ha",
    "HaShutdownPolicy": "pvecdk.cluster",
    "HaState": "pvecdk.ha",
    "MigrationType": "pvecdk.cluster",
    "NetworkRole": "pvecdk.cluster",
    "NextIdRange": "pvecdk.cluster",
    "Node": "pvecdk.node",
    "PveVersion": "pvecdk.cluster",
    "QDevice": "pvecdk.cluster",
    "Quorum": "pvecdk.policy",
    "SecurityGroup": "pvecdk.firewall",
    "Storage": "pvecdk.storage",
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
    "BondMode",
    "Cluster",
    "ClusterFirewall",
    "ConfigError",
    "Console",
    "ContentType",
    "CorosyncLink",
    "CrsMode",
    "DEFAULT_AUTOMATION_PRIVILEGES",
    "Direction",
    "FencingMode",
    "FirewallRule",
    "Ha",
    "HaShutdownPolicy",
    "HaState",
    "MigrationType",
    "NetworkRole",
    "NextIdRange",
    "Node",
    "Problem",
    "PveVersion",
    "PvecdkError",
    "QDevice",
    "Quorum",
    "SecurityGroup",
    "Storage",
    "__version__",
]
