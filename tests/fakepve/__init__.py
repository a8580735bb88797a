"""A stateful fake Proxmox VE cluster for tests: one HTTPS API endpoint per node on 127.0.0.1.

Requests are checked against the vendored PVE API schema (schema/), answered from a shared cluster model
(corosync membership, quorum, options, guests, HA, storage.cfg, Ceph and the nodes' disks), and can be
disturbed with faults. Talk to it only over the network, as to real nodes (proxmoxer's https backend,
verifying TLS with `FakeCluster.ca_file`).
"""

from __future__ import annotations

from .api import Request
from .cluster import ClusterState, ClusterView, FakeCluster, Member
from .commands import CommandFault
from .faults import Fault
from .model import Guest
from .views import (
    CephView,
    DiskView,
    FilesystemView,
    ManagerView,
    MdsView,
    MonitorView,
    OsdView,
    PoolView,
    StorageView,
)

__all__ = [
    "CephView",
    "ClusterState",
    "ClusterView",
    "CommandFault",
    "DiskView",
    "FakeCluster",
    "Fault",
    "FilesystemView",
    "Guest",
    "ManagerView",
    "MdsView",
    "Member",
    "MonitorView",
    "OsdView",
    "PoolView",
    "Request",
    "StorageView",
]
