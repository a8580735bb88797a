"""pvecdk: Proxmox VE clusters as code, on CDK for Terraform and the ``bpg/proxmox`` provider.

The L1 classes (one per provider type) are imported by path: ``from pvecdk.bpg import storage_nfs``.
This package re-exports the public constructs and the errors.
"""

from __future__ import annotations

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
from pvecdk.errors import ConfigError, Problem, PvecdkError
from pvecdk.firewall import Action, ClusterFirewall, Direction, FirewallRule, SecurityGroup
from pvecdk.ha import Ha, HaState
from pvecdk.node import BondMode, Node
from pvecdk.policy import Quorum

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
    "__version__",
]
