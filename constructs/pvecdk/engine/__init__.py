"""What no community provider does, through the PVE API with proxmoxer: sessions, tasks, cluster membership,
Ceph daemons and file systems, and the storage types bpg lacks.

Pure Python: nothing here imports cdktf. The provider ``pvecdk/pvecdk`` and the ``pvecdk`` commands drive it.
"""

from __future__ import annotations

from pvecdk.engine.ceph import (
    CephInit,
    CephObject,
    CephPlan,
    FileSystem,
    LiveCeph,
    Manager,
    MetadataServer,
    Monitor,
    Osd,
    apply_ceph,
    plan_ceph,
    read_ceph,
)
from pvecdk.engine.client import Client, Credentials, TlsSettings, parse_upid
from pvecdk.engine.membership import (
    ClusterSpec,
    LiveCluster,
    LiveMember,
    MemberSpec,
    apply_changes,
    plan_changes,
    read_cluster,
)
from pvecdk.engine.steps import Action, Step
from pvecdk.engine.storage import (
    LiveStorage,
    StoragePlan,
    StorageSpec,
    apply_storage,
    check_storage,
    plan_storage,
    read_storage,
)
from pvecdk.errors import EngineProblem, PlanRefused, PrerequisiteMissing

__all__ = [
    "Action",
    "CephInit",
    "CephObject",
    "CephPlan",
    "Client",
    "ClusterSpec",
    "Credentials",
    "EngineProblem",
    "FileSystem",
    "LiveCeph",
    "LiveCluster",
    "LiveMember",
    "LiveStorage",
    "Manager",
    "MemberSpec",
    "MetadataServer",
    "Monitor",
    "Osd",
    "PlanRefused",
    "PrerequisiteMissing",
    "Step",
    "StoragePlan",
    "StorageSpec",
    "TlsSettings",
    "apply_ceph",
    "apply_changes",
    "apply_storage",
    "check_storage",
    "parse_upid",
    "plan_ceph",
    "plan_changes",
    "plan_storage",
    "read_ceph",
    "read_cluster",
    "read_storage",
]
