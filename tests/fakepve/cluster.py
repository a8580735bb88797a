"""FakeCluster: the public face of the fake, for tests to start, inspect and disturb.

Model addresses (10.0.0.11, ...) are data only: nothing ever connects to them. Every socket is on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from .api import Backend, Request
from .auth import Credentials
from .ceph import daemons
from .certs import CertAuthority
from .clusterops import Link, create_cluster, remove_member
from .commands import CommandFault
from .commands import FaultRule as CommandRule
from .disks import DiskSpec, make_disks
from .faults import Fault, FaultRule
from .model import ClusterConf, CorosyncNode, Guest, NodeState, World, corosync_conf
from .routes import Release
from .server import HOST, NodeServer
from .storage import effective
from .views import CephView, DiskView, StorageView, ceph_view, disk_view, storage_view

RELEASES = {"9.1": "9.1.3", "8.4": "8.4.2"}
_NODE_NAME = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?")


@dataclass(frozen=True)
class Member:
    name: str
    nodeid: int
    votes: int
    links: dict[int, str]


@dataclass(frozen=True)
class ClusterView:
    name: str
    members: dict[str, Member]
    quorate: bool
    config_version: int
    options: dict[str, str]


def _view(world: World, cluster: ClusterConf) -> ClusterView:
    members = {
        m.name: Member(m.name, m.nodeid, m.votes, dict(m.links))
        for m in sorted(cluster.nodes.values(), key=lambda m: m.nodeid)
    }
    return ClusterView(
        cluster.name, members, world.cluster_quorate(cluster), cluster.config_version, dict(cluster.options)
    )


class ClusterState:
    """A read-only view of the fake's state, computed when asked. It describes the main cluster: the one with
    most members (normally the only one); `clusters` lists all of them when an engine made several."""

    def __init__(self, world: World) -> None:
        self._world = world

    def _main(self) -> ClusterView | None:
        with self._world.lock:
            cluster = self._world.main_cluster()
            return _view(self._world, cluster) if cluster is not None else None

    @property
    def cluster_name(self) -> str | None:
        main = self._main()
        return main.name if main else None

    @property
    def members(self) -> dict[str, Member]:
        main = self._main()
        return main.members if main else {}

    @property
    def quorate(self) -> bool:
        """Whether the main cluster has quorum (False when there is no cluster)."""
        main = self._main()
        return main.quorate if main else False

    @property
    def config_version(self) -> int | None:
        main = self._main()
        return main.config_version if main else None

    @property
    def options(self) -> dict[str, str]:
        """The /cluster/options values set on the main cluster, as sent (property strings unparsed)."""
        main = self._main()
        return main.options if main else {}

    @property
    def standalone(self) -> set[str]:
        with self._world.lock:
            return {n.name for n in self._world.nodes.values() if n.cluster is None}

    @property
    def online(self) -> set[str]:
        with self._world.lock:
            return {n.name for n in self._world.nodes.values() if n.online}

    @property
    def clusters(self) -> list[ClusterView]:
        with self._world.lock:
            return [_view(self._world, c) for c in self._world.clusters()]

    @property
    def corosync_conf(self) -> str | None:
        with self._world.lock:
            cluster = self._world.main_cluster()
            return corosync_conf(cluster) if cluster is not None else None

    def options_of(self, node: str) -> dict[str, str]:
        """The options a node sees: its cluster's, or its own datacenter.cfg when standalone."""
        with self._world.lock:
            return dict(self._world.options(self._world.nodes[node]))

    @property
    def guests(self) -> dict[int, Guest]:
        with self._world.lock:
            return {k: Guest(g.vmid, g.node, g.kind, g.status, g.name) for k, g in self._world.guests.items()}

    @property
    def ha_resources(self) -> dict[str, str]:
        with self._world.lock:
            return dict(self._world.ha_resources)

    def _store_node(self) -> NodeState:
        """A node of the main cluster, or the first standalone node with Ceph (else the first node)."""
        cluster = self._world.main_cluster()
        if cluster is not None:
            return self._world.nodes[next(iter(cluster.nodes))]
        nodes = list(self._world.nodes.values())
        return next((n for n in nodes if n.local_ceph is not None), nodes[0])

    @property
    def ceph(self) -> CephView | None:
        """The main cluster's Ceph (None before `pveceph init`): daemons, OSDs, pools, file systems, health."""
        with self._world.lock:
            return self.ceph_of(self._store_node().name)

    def ceph_of(self, node: str) -> CephView | None:
        with self._world.lock:
            ceph = self._world.ceph(self._world.nodes[node])
            return ceph_view(ceph, self._world.online) if ceph is not None else None

    @property
    def storage(self) -> dict[str, StorageView]:
        """The main cluster's storage.cfg as PVE reads it ('local' always there), secrets left out."""
        with self._world.lock:
            return self.storage_of(self._store_node().name)

    def storage_of(self, node: str) -> dict[str, StorageView]:
        with self._world.lock:
            return storage_view(effective(self._world.storage(self._world.nodes[node])))

    def disks(self, node: str) -> dict[str, DiskView]:
        """A node's disks and what uses them (an OSD's LVM, the system disk's partitions)."""
        with self._world.lock:
            return disk_view(self._world.nodes[node].disks)


def _addresses(value: str | Sequence[str]) -> tuple[str, ...]:
    addresses = (value,) if isinstance(value, str) else tuple(value)
    if not addresses:
        raise ValueError("a node needs at least one address")
    for address in addresses:
        ipaddress.ip_address(address)  # model addresses must be IPs: they are compared, never connected to
    return addresses


class FakeCluster:
    """Fake PVE nodes, each an HTTPS API endpoint on 127.0.0.1, sharing one modelled cluster state.

    `nodes` maps a node name to its own address (the corosync/cluster address a join's hostname names), or to
    several addresses, the first being that one and the others further local addresses usable for links (and
    for Ceph's public and cluster networks). `disks` gives a node's data disks besides its system disk
    /dev/sda: device paths (1 TiB SSDs each) or paths with sizes in bytes; a node not named gets /dev/sdb,
    /dev/sdc and /dev/sdd. `ceph_installed=False` leaves the Ceph packages off the nodes (Ceph init then fails
    until `pveceph install` ran).
    """

    def __init__(
        self,
        nodes: Mapping[str, str | Sequence[str]],
        *,
        version: str = "9.1",
        root_password: str = "s3cret-root",
        token_id: str = "root@pam!pvecdk",
        token_secret: str = "11111111-2222-3333-4444-555555555555",
        task_seconds: float = 0.2,
        rotate_certs_on_join: bool = True,
        auth_failure_delay: float = 0.0,
        disks: Mapping[str, DiskSpec] | None = None,
        ceph_installed: bool = True,
    ) -> None:
        if version not in RELEASES:
            raise ValueError(f"version must be one of {sorted(RELEASES)}, not {version!r}")
        if not nodes:
            raise ValueError("a fake cluster needs at least one node")
        for name in nodes:
            if not _NODE_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not a valid PVE node name")
        full = RELEASES[version]
        repoid = hashlib.sha1(f"pve-manager {full}".encode()).hexdigest()[:16]
        self.release = Release(version, full, repoid)
        self._node_addresses = {name: _addresses(value) for name, value in nodes.items()}
        self._root_password = root_password
        self._creds = Credentials(token_id, token_secret)
        self._task_seconds = task_seconds
        self._rotate = rotate_certs_on_join
        self._auth_delay = auth_failure_delay
        self._world = World(self._node_addresses)
        unknown = set(disks or {}) - set(nodes)
        if unknown:
            raise ValueError(f"disks given for unknown nodes: {sorted(unknown)}")
        for name, node in self._world.nodes.items():
            node.disks = make_disks(name, (disks or {}).get(name))
            # Installed unless the test installs them itself (`pveceph install` over SSH).
            node.ceph_packages = "squid" if ceph_installed else None
        self._backend: Backend | None = None
        self._servers: dict[str, NodeServer] = {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._ca_file: Path | None = None
        self._control = threading.Lock()  # serialises start/stop of servers
        self.state = ClusterState(self._world)

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeCluster:
        if self._backend is not None:
            raise RuntimeError("a FakeCluster starts once; make a new one for a fresh cluster")
        self._tmp = tempfile.TemporaryDirectory(prefix="fakepve-")
        ca = CertAuthority(Path(self._tmp.name))
        self._ca_file = ca.ca_file
        self._backend = Backend(
            self._world,
            self.release,
            self._root_password,
            self._creds,
            ca,
            self._task_seconds,
            self._rotate,
            self._auth_delay,
        )
        for name in self._node_addresses:
            server = NodeServer(name, self._backend)
            self._servers[name] = server
            server.start()
        return self

    def close(self) -> None:
        """Stop every endpoint and task thread and remove the TLS files; safe to call twice."""
        with self._control:
            for server in self._servers.values():
                server.stop()
        if self._backend is not None:
            self._backend.runner.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> FakeCluster:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _running(self) -> Backend:
        if self._backend is None:
            raise RuntimeError("start the fake cluster first (with FakeCluster(...) as fake:)")
        return self._backend

    def _node(self, name: str) -> None:
        if name not in self._node_addresses:
            raise KeyError(f"no fake node {name!r}")

    # --- where to connect ---------------------------------------------------------------------------

    def host(self, node: str) -> str:
        self._node(node)
        return HOST

    def port(self, node: str) -> int:
        self._node(node)
        self._running()
        return self._servers[node].port

    def endpoint(self, node: str) -> str:
        return f"https://{self.host(node)}:{self.port(node)}"

    @property
    def ca_file(self) -> str:
        self._running()
        assert self._ca_file is not None
        return str(self._ca_file)

    def fingerprint(self, node: str) -> str:
        """SHA-256 fingerprint of the node's current certificate, as PVE's pve_fp (it changes on a join)."""
        self._node(node)
        with self._world.lock:
            return self._running().fingerprint(node)

    # --- observation ---------------------------------------------------------------------------------

    @property
    def requests(self) -> list[Request]:
        """Every request received so far, in order, with secret parameters shown as '<redacted>'."""
        backend = self._running()
        with backend._record_lock:
            return list(backend.requests)

    @property
    def server_errors(self) -> list[str]:
        """Bugs in the fake itself (exceptions in handlers or tasks); a test may assert this stays empty."""
        return list(self._running().errors)

    # --- disturbance ---------------------------------------------------------------------------------

    def fault(
        self,
        node: str,
        kind: Fault,
        *,
        path: str | None = None,
        method: str | None = None,
        times: int | None = 1,
        delay: float = 3.0,
        message: str | None = None,
        after: bool = False,
    ) -> None:
        """Make the node's next `times` matching requests (None: all, until clear_faults) misbehave.

        `path` is an API path (/cluster/status), a schema template (/nodes/{node}/time) or a glob; None matches
        all. With `after`, the request takes effect first and only its answer is lost (DROP, HTTP_500) or late
        (SLOW). TASK_FAIL concerns the next task the node starts; `message` then sets its exit status.
        """
        self._node(node)
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every matching request)")
        rule = FaultRule(node, kind, path, method.upper() if method else None, times, delay, message, after)
        self._running().faults.add(rule)

    # --- the command line (the SSH tests' stand-ins) --------------------------------------------------

    @property
    def control_secret(self) -> str:
        """What a command stand-in sends to the control endpoint (``POST /fakepve/command``)."""
        return self._running().control_secret

    def command_fault(self, prefix: Sequence[str], kind: CommandFault, times: int = 1) -> None:
        """The next ``times`` commands starting with ``prefix`` (``["pvecm", "qdevice", "setup"]``) meet
        ``kind``."""
        with self._world.lock:
            self._running().commands.rules.append(CommandRule(tuple(prefix), kind, times))

    @property
    def commands(self) -> list[tuple[str, tuple[str, ...]]]:
        """Every command the stand-ins ran: (node, argv)."""
        with self._world.lock:
            return list(self._running().commands.ran)

    def qdevice(self) -> str | None:
        """The qnetd host of the main cluster's QDevice (None: none configured)."""
        with self._world.lock:
            cluster = self._world.main_cluster()
            return cluster.qdevice if cluster is not None else None

    def ceph_packages(self, node: str) -> str | None:
        """The Ceph release installed on ``node`` (None: none)."""
        with self._world.lock:
            return self._world.nodes[node].ceph_packages

    def clear_faults(self, node: str | None = None) -> None:
        self._running().faults.clear(node)

    def set_offline(self, node: str, offline: bool = True) -> None:
        """Take a node down (its endpoint refuses connections, corosync counts it gone) or bring it back."""
        self._node(node)
        self._running()
        with self._control:
            server = self._servers[node]
            if offline:
                with self._world.lock:
                    self._world.nodes[node].online = False
                server.stop()  # never under the world lock: handler threads may be waiting for it
            elif not server.running:
                server.start()
                with self._world.lock:
                    self._world.nodes[node].online = True

    def lose_quorum(self) -> None:
        """A corosync partition: every node sees only itself, no cluster is quorate, writes needing quorum fail."""
        with self._world.lock:
            self._world.partitioned = True

    def restore_quorum(self, after: float = 0.0) -> None:
        """End the partition; the nodes see each other at once, the cluster is quorate `after` seconds later."""
        with self._world.lock:
            self._world.partitioned = False
            self._world.unsettled_until = max(self._world.unsettled_until, time.monotonic() + after)

    # --- delay modes: a fake that takes its time ------------------------------------------------------

    def delay_joins(self, seconds: float) -> None:
        """A node that joins shows online to the other members only `seconds` after its join task ended."""
        with self._world.lock:
            self._world.join_delay = seconds

    def settle_quorum(self, seconds: float) -> None:
        """After each join or removal the cluster has no quorum for `seconds` (corosync reconfiguring)."""
        with self._world.lock:
            self._world.settle_seconds = seconds

    def lag_view(self, node: str, seconds: float) -> None:
        """`node`'s view lags the others': its status lists a newly joined member, online, `seconds` after they
        do (on top of any delay_joins)."""
        self._node(node)
        with self._world.lock:
            self._world.view_lag[node] = seconds

    def clock_skew(self, node: str, seconds: float) -> None:
        """Offset the node's clock (GET /nodes/{node}/time, task start times) by `seconds`."""
        self._node(node)
        with self._world.lock:
            self._world.nodes[node].clock_skew = seconds

    def remove_member_out_of_band(self, node: str) -> None:
        """Drift: delete a member from its corosync config behind the engine's back; it is left standalone."""
        self._node(node)
        with self._world.lock:
            cluster = self._world.nodes[node].cluster
            if cluster is None or node not in cluster.nodes:
                raise ValueError(f"{node} is not a cluster member")
            remove_member(self._world, cluster, node)

    # --- fixtures ----------------------------------------------------------------------------------

    def add_guest(
        self, node: str, vmid: int, kind: str = "qemu", *, status: str = "running", name: str | None = None
    ) -> None:
        """A VM (kind 'qemu') or container ('lxc') living on a node."""
        self._node(node)
        if kind not in ("qemu", "lxc"):
            raise ValueError("kind must be 'qemu' or 'lxc'")
        with self._world.lock:
            if vmid in self._world.guests:
                raise ValueError(f"guest {vmid} exists already")
            self._world.guests[vmid] = Guest(vmid, node, kind, status, name or f"guest{vmid}")

    def set_inventory(self, path: str, data: object) -> None:
        """What GET `path` answers from now on, for the configuration the fake keeps as data
        (handlers_inventory.py): `/nodes/pve1/network`, `/nodes/pve1/qemu/100/config`, `/cluster/ha/rules`..."""
        with self._world.lock:
            self._world.inventory[path] = data

    def relocate_guest(self, vmid: int, node: str) -> None:
        """Move a guest behind the API's back (HA recovering it after a fence, or a migration by hand)."""
        self._node(node)
        with self._world.lock:
            self._world.guests[vmid].node = node

    def add_ha_resource(self, sid: str, state: str = "started") -> None:
        """An HA resource such as 'vm:100' or 'ct:101' (a bare VMID gets its prefix from the guest's kind)."""
        with self._world.lock:
            if sid.isdigit():
                guest = self._world.guests.get(int(sid))
                sid = f"{'ct' if guest is not None and guest.kind == 'lxc' else 'vm'}:{sid}"
            self._world.ha_resources[sid] = state

    def add_rbd_image(self, pool: str, image: str, size_bytes: int = 32 << 30, *, node: str | None = None) -> None:
        """Data in a Ceph pool of the main cluster (or of `node`'s cluster): an RBD image such as 'vm-100-disk-0'."""
        with self._world.lock:
            holder = self._world.nodes[node] if node else self.state._store_node()
            ceph = self._world.ceph(holder)
            if ceph is None or pool not in ceph.pools:
                raise ValueError(f"no Ceph pool {pool!r} there")
            ceph.pools[pool].images[image] = size_bytes

    def set_ceph_daemon(self, service: str, running: bool) -> None:
        """Stop or start a Ceph daemon behind the API's back ('osd.3', 'mon.pve2'): a crash, or its recovery."""
        with self._world.lock:
            ceph = self._world.ceph(self.state._store_node())
            found = daemons(ceph) if ceph is not None else {}
            if service not in found:
                raise ValueError(f"no Ceph daemon {service!r}")
            found[service].running = running

    def form_cluster(self, name: str, members: Iterable[str]) -> None:
        """Make a cluster without the API (nodeids 1.., one vote each, link0 = the node's address)."""
        names = list(members)
        if not names:
            raise ValueError("a cluster needs at least one member")
        with self._world.lock:
            nodes = [self._world.nodes[n] for n in names]
            if any(n.cluster is not None for n in nodes):
                raise ValueError("all members must be standalone")
            first = nodes[0]
            create_cluster(self._world, first, name, 1, 1, {0: Link(first.address, None)})
            cluster = first.cluster
            assert cluster is not None
            for nodeid, node in enumerate(nodes[1:], start=2):
                cluster.nodes[node.name] = CorosyncNode(node.name, nodeid, 1, {0: node.address})
                cluster.config_version += 1
                node.cluster = cluster
                self._world.reset_local_store(node)
            if self._backend is not None:
                for node in nodes[1:]:
                    self._backend.rotate_cert(node.name)
