"""What no community provider does, through the PVE API with proxmoxer: sessions, tasks, cluster membership.

Pure Python: nothing here imports cdktf. The provider ``pvecdk/pvecdk`` and the ``pvecdk`` commands drive it.
"""

from __future__ import annotations

from pvecdk.engine.client import Client, Credentials, TlsSettings, parse_upid
from pvecdk.engine.membership import (
    ClusterSpec,
    LiveCluster,
    LiveMember,
    MemberSpec,
    PlanRefused,
    Step,
    apply_changes,
    plan_changes,
    read_cluster,
)

__all__ = [
    "Client",
    "ClusterSpec",
    "Credentials",
    "LiveCluster",
    "LiveMember",
    "MemberSpec",
    "PlanRefused",
    "Step",
    "TlsSettings",
    "apply_changes",
    "parse_upid",
    "plan_changes",
    "read_cluster",
]
