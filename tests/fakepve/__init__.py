"""A stateful fake Proxmox VE cluster for tests: one HTTPS API endpoint per node on 127.0.0.1.

Requests are checked against the vendored PVE API schema (schema/), answered from a shared cluster model
(corosync membership, quorum, options, guests, HA), and can be disturbed with faults. Talk to it only over
the network, as to real nodes (proxmoxer's https backend, verifying TLS with `FakeCluster.ca_file`).
"""

from __future__ import annotations

from .api import Request
from .cluster import ClusterState, ClusterView, FakeCluster, Member
from .faults import Fault
from .model import Guest

__all__ = ["ClusterState", "ClusterView", "FakeCluster", "Fault", "Guest", "Member", "Request"]
