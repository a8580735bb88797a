"""The fake cluster's state: nodes, corosync configurations, guests and HA resources, under one lock.

A node outside any cluster is standalone, with its own configuration store (/etc/pve in local mode).
Clustered nodes share one ClusterConf: the corosync nodelist, the authkey that signs tickets,
datacenter.cfg (the /cluster/options values), storage.cfg and ceph.conf with the Ceph cluster it describes.
Several clusters may exist at once, as a faulty engine could make. Disks belong to nodes, whatever their store.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .ceph import CephCluster
from .disks import Disk
from .errors import ApiError
from .storage import StorageEntry, default_storage
from .tasks import Task

NO_QUORUM = "cluster not ready - no quorum?\n"


@dataclass
class CorosyncNode:
    name: str
    nodeid: int
    votes: int
    links: dict[int, str]


@dataclass
class ClusterConf:
    name: str
    serial: int
    authkey: bytes
    nodes: dict[str, CorosyncNode] = field(default_factory=dict)
    interfaces: dict[int, dict[str, str]] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    storage: dict[str, StorageEntry] = field(default_factory=default_storage)
    ceph: CephCluster | None = None
    config_version: int = 1
    qdevice: str | None = None  # the qnetd host `pvecm qdevice setup` configured (one more vote)
    qdevice_certs: bool = False  # a setup got as far as the certificate stores (a half-done one leaves them)


@dataclass
class Guest:
    vmid: int
    node: str
    kind: str
    status: str
    name: str


@dataclass
class NodeState:
    name: str
    addresses: tuple[str, ...]
    authkey: bytes
    online: bool = True
    clock_skew: float = 0.0
    cluster: ClusterConf | None = None
    local_options: dict[str, str] = field(default_factory=dict)
    local_storage: dict[str, StorageEntry] = field(default_factory=default_storage)
    local_ceph: CephCluster | None = None
    disks: dict[str, Disk] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    ceph_packages: str | None = None  # the Ceph release `pveceph install` put on the node (None: none)
    watchdog_module: str | None = None  # WATCHDOG_MODULE in /etc/default/pve-ha-manager (None: softdog)

    @property
    def address(self) -> str:
        """The node's own address: what a join's hostname names and what pve_addr reports."""
        return self.addresses[0]


class World:
    """Everything the fake nodes share. Hold `lock` while reading or changing any of it."""

    def __init__(self, nodes: dict[str, tuple[str, ...]]) -> None:
        self.lock = threading.RLock()
        self.nodes = {name: NodeState(name, addrs, secrets.token_bytes(32)) for name, addrs in nodes.items()}
        self.guests: dict[int, Guest] = {}
        self.ha_resources: dict[str, str] = {}
        # What the read-only inventory routes answer (inventory.py), by concrete API path.
        self.inventory: dict[str, Any] = {}
        self.partitioned = False
        self._serial = 0
        # Delay modes (FakeCluster.delay_joins, settle_quorum, lag_view, restore_quorum(after=)): corosync
        # takes its time, so a change is seen by the members some time after the task that made it ended.
        self.join_delay = 0.0
        self.settle_seconds = 0.0
        self.view_lag: dict[str, float] = {}
        self.joined_at: dict[str, float] = {}
        self.unsettled_until = 0.0

    # --- membership -------------------------------------------------------------------------------

    def new_cluster(self, name: str, authkey: bytes, options: dict[str, str]) -> ClusterConf:
        self._serial += 1
        return ClusterConf(name, self._serial, authkey, options=options)

    def membership_changed(self, joined: str | None = None) -> None:
        """A join or removal took effect: start its delays (none unless a delay mode is set)."""
        now = time.monotonic()
        if joined is not None:
            self.joined_at[joined] = now
        self.unsettled_until = max(self.unsettled_until, now + self.settle_seconds)

    def clusters(self) -> list[ClusterConf]:
        found = {id(n.cluster): n.cluster for n in self.nodes.values() if n.cluster is not None}
        return sorted(found.values(), key=lambda c: c.serial)

    def main_cluster(self) -> ClusterConf | None:
        """The cluster with most members (the first made, on a tie): what fake.state describes."""
        clusters = self.clusters()
        return max(clusters, key=lambda c: (len(c.nodes), -c.serial)) if clusters else None

    def detach(self, node: NodeState) -> None:
        """Make a node standalone again: it leaves its cluster's stores behind and gets a key of its own."""
        node.cluster = None
        node.authkey = secrets.token_bytes(32)
        self.reset_local_store(node)

    def reset_local_store(self, node: NodeState) -> None:
        """A fresh /etc/pve for a node that left its cluster's (or that took a cluster's in its place)."""
        node.local_options = {}
        node.local_storage = default_storage()
        node.local_ceph = None

    def node_by_address(self, address: str) -> NodeState | None:
        return next((n for n in self.nodes.values() if address in n.addresses), None)

    def members(self, node: NodeState) -> list[NodeState]:
        """The nodes in `node`'s cluster (itself alone when standalone), in nodeid order."""
        if node.cluster is None:
            return [node]
        ordered = sorted(node.cluster.nodes.values(), key=lambda m: m.nodeid)
        return [self.nodes[m.name] for m in ordered if m.name in self.nodes]

    # --- quorum -----------------------------------------------------------------------------------

    def sees_online(self, viewer: NodeState, name: str) -> bool:
        """Whether `viewer` counts `name` as online; in a partition every node sees only itself."""
        node = self.nodes.get(name)
        if node is None or not node.online:
            return False
        if name != viewer.name and name in self.joined_at:
            visible = self.joined_at[name] + self.join_delay + self.view_lag.get(viewer.name, 0.0)
            if time.monotonic() < visible:
                return False
        return not (self.partitioned and name != viewer.name)

    def lists(self, viewer: NodeState, name: str) -> bool:
        """Whether `viewer`'s status lists member `name` yet: a lagging view (view_lag) shows a new member only
        once its lag has passed."""
        lag = self.view_lag.get(viewer.name, 0.0)
        if name == viewer.name or name not in self.joined_at or not lag:
            return True
        return time.monotonic() >= self.joined_at[name] + lag

    def cluster_quorate(self, cluster: ClusterConf) -> bool:
        if self.partitioned or time.monotonic() < self.unsettled_until:
            return False
        # A QDevice is one more vote, held while the qnetd host answers (it always does here).
        qdevice = 1 if cluster.qdevice else 0
        total = sum(m.votes for m in cluster.nodes.values()) + qdevice
        online = sum(m.votes for m in cluster.nodes.values() if m.name in self.nodes and self.nodes[m.name].online)
        return online + qdevice >= total // 2 + 1

    def quorate(self, node: NodeState) -> bool:
        """A standalone node runs its configuration store in local mode, which is always writable."""
        return node.cluster is None or self.cluster_quorate(node.cluster)

    def require_quorum(self, node: NodeState) -> None:
        if not self.quorate(node):
            raise ApiError(500, NO_QUORUM)

    # --- stores -----------------------------------------------------------------------------------

    def authkey(self, node: NodeState) -> bytes:
        return node.cluster.authkey if node.cluster is not None else node.authkey

    def options(self, node: NodeState) -> dict[str, str]:
        return node.cluster.options if node.cluster is not None else node.local_options

    def storage(self, node: NodeState) -> dict[str, StorageEntry]:
        return node.cluster.storage if node.cluster is not None else node.local_storage

    def ceph(self, node: NodeState) -> CephCluster | None:
        return node.cluster.ceph if node.cluster is not None else node.local_ceph

    def set_ceph(self, node: NodeState, ceph: CephCluster) -> None:
        if node.cluster is not None:
            node.cluster.ceph = ceph
        else:
            node.local_ceph = ceph

    def online(self, name: str) -> bool:
        """Whether a node is up, as Ceph daemons see it (corosync partitions do not concern Ceph here)."""
        node = self.nodes.get(name)
        return node is not None and node.online

    def guests_of(self, names: list[str]) -> list[Guest]:
        return sorted((g for g in self.guests.values() if g.node in names), key=lambda g: g.vmid)


def totem(cluster: ClusterConf) -> dict[str, Any]:
    """The totem section as GET /cluster/config/totem shows it: every value a string, as parsed from the file."""
    return {
        "cluster_name": cluster.name,
        "config_version": str(cluster.config_version),
        "interface": {str(k): dict(v) for k, v in sorted(cluster.interfaces.items())},
        "ip_version": "ipv4-6",
        "link_mode": "passive",
        "secauth": "on",
        "version": "2",
    }


def nodelist_entry(member: CorosyncNode) -> dict[str, str]:
    entry = {"name": member.name, "nodeid": str(member.nodeid), "quorum_votes": str(member.votes)}
    entry.update({f"ring{k}_addr": v for k, v in sorted(member.links.items())})
    return entry


def corosync_conf(cluster: ClusterConf) -> str:
    """corosync.conf as PVE writes it (sections and keys sorted); its SHA-1 is the join info's config_digest."""
    lines = ["logging {", "  debug: off", "  to_syslog: yes", "}", "", "nodelist {"]
    for member in sorted(cluster.nodes.values(), key=lambda m: m.name):
        lines.append("  node {")
        lines += [f"    {k}: {v}" for k, v in sorted(nodelist_entry(member).items())]
        lines.append("  }")
    lines += ["}", "", "quorum {"]
    if cluster.qdevice:
        lines += ["  device {", "    model: net", "    net {", "      algorithm: ffsplit",
                  f"      host: {cluster.qdevice}", "      tls: on", "    }", "    votes: 1", "  }"]
    lines += ["  provider: corosync_votequorum", "}", "", "totem {"]
    for key, value in totem(cluster).items():
        if key == "interface":
            for iface in value.values():
                lines.append("  interface {")
                lines += [f"    {k}: {v}" for k, v in sorted(iface.items())]
                lines.append("  }")
        else:
            lines.append(f"  {key}: {value}")
    lines += ["}", ""]
    return "\n".join(lines)


def config_digest(cluster: ClusterConf) -> str:
    return hashlib.sha1(corosync_conf(cluster).encode()).hexdigest()
