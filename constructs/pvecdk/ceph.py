"""Ceph on the cluster's own nodes: monitors, managers, OSDs, pools, CephFS, and the storage on them.

``cluster.enable_ceph(public_network=..., cluster_network=...)`` returns a :class:`Ceph` construct. It
initialises Ceph (``pvecdk_ceph``) and puts monitors and managers on chosen nodes (the first three by default);
OSDs, pools and file systems are added with :meth:`Ceph.add_osd` (or ``node.add_osd``), :meth:`Ceph.add_pool`
and :meth:`Ceph.add_filesystem`, and ``pool.as_storage()`` / ``fs.as_storage()`` define the RBD and CephFS
storage on them.

Terraform applies everything in the order Ceph needs, whatever order the calls came in: cluster membership,
init, monitors, managers, OSDs, pools, metadata servers, file systems, storage (each stage ``depends_on`` the
one before, rewired on every call). Props are checked when a thing is added; rules over the whole Ceph (an odd
number of monitors, pool sizes against the nodes with OSDs, a metadata server for each file system) are
checked before synthesis by :mod:`pvecdk.policy`.
"""

from __future__ import annotations

import enum
import ipaddress
import math
import re
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pvecdk import _cdk
from pvecdk._base import ClusterBase, NodeBase
from pvecdk._model import CephModel, PoolModel
from pvecdk._validation import construct_path
from pvecdk._values import NetworkRole
from pvecdk.bpg import ceph_pool
from pvecdk.errors import ConfigError, Problem
from pvecdk.provider import ceph as ceph_l1
from pvecdk.provider import ceph_fs, ceph_manager, ceph_mds, ceph_monitor, ceph_osd
from pvecdk.storage import CephFsStorage, ContentType, RbdStorage, _dependable_ref, _protection

__all__ = [
    "Ceph",
    "CephFs",
    "CephPool",
    "DeviceClass",
    "ErasureCoding",
    "Osd",
    "PgAutoscaleMode",
    "PoolApplication",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_MONITORS = 3
MAX_PG_NUM = 32768
# The stages Ceph is built in, in order (0 is the init, pvecdk_ceph): each waits for the last non-empty one before.
_MONITORS, _MANAGERS, _OSDS, _POOLS, _MDS, _FILESYSTEMS = range(1, 7)
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
# PVE's pattern for a metadata server's name (POST /nodes/{node}/ceph/mds/{name}): no '_' or '.'.
_MDS_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,198}[A-Za-z0-9])?$")


class DeviceClass(enum.StrEnum):
    """The CRUSH device class of an OSD."""

    HDD = "hdd"
    SSD = "ssd"
    NVME = "nvme"


class PoolApplication(enum.StrEnum):
    """What a pool serves."""

    RBD = "rbd"
    CEPHFS = "cephfs"
    RGW = "rgw"


class PgAutoscaleMode(enum.StrEnum):
    """Whether Ceph adjusts a pool's placement group count itself."""

    ON = "on"
    OFF = "off"
    WARN = "warn"


@dataclass(frozen=True)
class ErasureCoding:
    """An erasure-coded data pool: ``k`` data chunks and ``m`` coding chunks per object.

    PVE then creates ``<name>-data`` (erasure coded) and ``<name>-metadata`` (replicated) pools; RBD storage on
    it keeps image metadata in the second and data in the first.

    Args:
        k: Data chunks (2 or more).
        m: Coding chunks (1 or more): how many hosts may fail.
        failure_domain: The CRUSH failure domain. Defaults to Ceph's (host).
        device_class: Restrict the data pool to OSDs of one class. Defaults to any.
        profile: An existing erasure-code profile to use instead of k and m. Defaults to none.
    """

    k: int
    m: int
    failure_domain: str | None = None
    device_class: DeviceClass | None = None
    profile: str | None = None

    def render(self) -> str:
        """PVE's ``erasure-coding`` property string."""
        parts = [f"k={self.k}", f"m={self.m}"]
        if self.failure_domain:
            parts.append(f"failure-domain={self.failure_domain}")
        if self.device_class:
            parts.append(f"device-class={DeviceClass(self.device_class).value}")
        if self.profile:
            parts.append(f"profile={self.profile}")
        return ",".join(parts)


def _resolve_network(cluster: ClusterBase, value: NetworkRole | str | None, field: str, path: str,
                     problems: list[Problem]) -> tuple[Network | None, NetworkRole | None]:
    """A network given as one of the cluster's roles or as a CIDR -> (network, role when it is the cluster's)."""
    if value is None:
        return None, None
    roles = {r.value: r for r in NetworkRole}
    if isinstance(value, str) and value in roles:
        value = roles[value]
    if isinstance(value, NetworkRole):
        network = cluster.network(value)
        if network is None:
            problems.append(Problem(path, field, f"the cluster has no {value.value} network",
                                    f"set {value.value}_network on the cluster, or give a CIDR"))
        return network, value
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        problems.append(Problem(path, field, f"{value!r} is neither a network of the cluster nor a CIDR ({exc})",
                                "give NetworkRole.STORAGE (or another role the cluster defines), or a CIDR such "
                                "as 172.16.0.0/24"))
        return None, None
    for role, defined in cluster.defined_networks.items():
        if defined == network:
            return network, role
    return network, None


def _device_id(device: str) -> str:
    """A stable construct id part for a device path (``/dev/sdb`` -> ``sdb``)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", device.rstrip("/").rsplit("/", 1)[-1])


class Ceph(_cdk.Construct):
    """Ceph on a cluster's nodes (``cluster.enable_ceph(...)``).

    Manages ``pvecdk_ceph`` (``.resource``), ``pvecdk_ceph_monitor`` and ``pvecdk_ceph_manager`` per chosen node,
    and through its children OSDs, pools (``proxmox_ceph_pool``), metadata servers and file systems. Example::

        ceph = cluster.enable_ceph(public_network=NetworkRole.STORAGE)
        for node in cluster.nodes:
            node.add_osd("/dev/sdb", device_class=DeviceClass.SSD)
        ceph.add_pool("vm-pool").as_storage()
    """

    def __init__(
        self,
        scope: ClusterBase,
        id: str,
        *,
        cluster: ClusterBase,
        public_network: NetworkRole | str | None = None,
        cluster_network: NetworkRole | str | None = None,
        monitors: Sequence[NodeBase] | None = None,
        managers: Sequence[NodeBase] | None = None,
    ) -> None:
        """Initialise Ceph; see :meth:`pvecdk.cluster.Cluster.enable_ceph` for the props."""
        path = construct_path(scope, id)
        problems: list[Problem] = []
        if not cluster.nodes:
            raise ConfigError([Problem(path, "monitors", "the cluster has no node to run Ceph on",
                                       "add nodes with cluster.add_node(...) before enable_ceph()")])
        if public_network is None and cluster.storage_network is None:
            problems.append(Problem(path, "public_network", "no public network: the cluster has no storage "
                                    "network", "set storage_network on the cluster, or pass public_network="))
        public, public_role = _resolve_network(cluster, public_network or NetworkRole.STORAGE, "public_network",
                                               path, problems) if not problems else (None, None)
        private, private_role = _resolve_network(cluster, cluster_network, "cluster_network", path, problems)
        mons = tuple(monitors) if monitors is not None else cluster.nodes[:DEFAULT_MONITORS]
        mgrs = tuple(managers) if managers is not None else mons
        for field, nodes in (("monitors", mons), ("managers", mgrs)):
            problems += [Problem(path, field, what, fix) for what, fix in self._node_faults(cluster, field, nodes)]
        if public_role is not None and public is not None:
            for node in mons:
                if getattr(node, "cluster", None) is cluster and public_role not in node.addresses:
                    problems.append(Problem(path, "monitors", f"monitor node {node.name} has no address on the "
                                            f"{public_role.value} network (Ceph's public network)",
                                            f"give {node.name} a {public_role.value}_address"))
        if problems:
            raise ConfigError(problems)
        super().__init__(scope, id)
        cluster.attach(self)
        self.model = CephModel(lambda: str(self.node.path), public_role, private)
        cluster.model.enable_ceph(self.model)
        assert public is not None
        self.cluster = cluster
        self.public_network: Network = public
        self.cluster_network: Network | None = private
        self.public_role: NetworkRole | None = public_role
        self.cluster_role: NetworkRole | None = private_role
        self._monitors: dict[str, ceph_monitor.CephMonitor] = {}
        self._managers: dict[str, ceph_manager.CephManager] = {}
        self._mds: dict[str, ceph_mds.CephMds] = {}
        self._osds: list[Osd] = []
        self._pools: dict[str, CephPool] = {}
        self._filesystems: dict[str, CephFs] = {}
        self._refs: tuple[tuple[int, ...], list[list[str]]] | None = None
        self.init_node: NodeBase = mons[0]
        self.resource = ceph_l1.Ceph(
            self, "Resource", node_name=self.init_node.name, endpoint=self.init_node.endpoint,
            network=str(public), cluster_network=str(private) if private is not None else None,
            depends_on=[cluster.membership],
        )
        for node in mons:
            self.add_monitor(node)
        for node in mgrs:
            self.add_manager(node)

    @staticmethod
    def _node_faults(cluster: ClusterBase, field: str, nodes: Sequence[Any]) -> list[tuple[str, str]]:
        """What is wrong with ``nodes`` given as ``field``, as (problem, fix) pairs."""
        faults: list[tuple[str, str]] = []
        if not nodes:
            faults.append((f"no {field[:-1]} node", f"list at least one node in {field}"))
        names: list[str] = []
        for node in nodes:
            if not isinstance(node, NodeBase) or node.cluster is not cluster:
                faults.append((f"{getattr(node, 'name', node)!r} is not a node of cluster {cluster.name}",
                               "pass nodes that cluster.add_node(...) returned"))
                continue
            if node.name in names:
                faults.append((f"node {node.name} is listed twice", "list each node once"))
            names.append(node.name)
        return faults

    # -- attributes

    @property
    def monitors(self) -> tuple[str, ...]:
        """The names of the nodes running a monitor."""
        return tuple(self._monitors)

    @property
    def managers(self) -> tuple[str, ...]:
        """The names of the nodes running a manager."""
        return tuple(self._managers)

    @property
    def metadata_servers(self) -> tuple[str, ...]:
        """The names of the nodes running a CephFS metadata server."""
        return tuple(self._mds)

    @property
    def osds(self) -> tuple[Osd, ...]:
        """The OSDs, in the order added."""
        return tuple(self._osds)

    @property
    def pools(self) -> dict[str, CephPool]:
        """The pools by name (a copy)."""
        return dict(self._pools)

    @property
    def filesystems(self) -> dict[str, CephFs]:
        """The CephFS file systems by name (a copy)."""
        return dict(self._filesystems)

    @property
    def osd_nodes(self) -> tuple[str, ...]:
        """The names of the nodes with at least one OSD in the model."""
        return tuple(dict.fromkeys(o.host.name for o in self._osds))

    # -- daemons

    def _node_problems(self, node: Any, field: str, daemon: str, running: Container[str]) -> list[Problem]:
        """The problems of putting something on ``node``: a node of another cluster, or one already running
        the ``daemon`` (``running`` names the nodes that do). The construct path is read only for a problem."""
        faults = self._node_faults(self.cluster, field, [node])
        if not faults and node.name in running:
            faults.append((f"node {node.name} already runs a {daemon}", f"run one {daemon} per node"))
        if not faults:
            return []
        path = str(self.node.path)
        return [Problem(path, field, what, fix) for what, fix in faults]

    def add_monitor(self, node: NodeBase) -> ceph_monitor.CephMonitor:
        """Run a monitor on ``node`` (``pvecdk_ceph_monitor``); returns it.

        Its address is the node's address on the public network when that is one of the cluster's networks;
        otherwise PVE picks the node's address inside the public network.
        """
        problems = self._node_problems(node, "monitors", "monitor", self._monitors)
        if problems:
            raise ConfigError(problems)
        address = node.addresses.get(self.public_role) if self.public_role is not None else None
        self._monitors[node.name] = ceph_monitor.CephMonitor(
            self, f"Monitor-{node.name}", node_name=node.name, endpoint=node.endpoint, address=address)
        self.model.monitors.append(node.name)
        self._in_stage(self._monitors[node.name], _MONITORS)
        return self._monitors[node.name]

    def add_manager(self, node: NodeBase) -> ceph_manager.CephManager:
        """Run a manager on ``node`` (``pvecdk_ceph_manager``); returns it."""
        problems = self._node_problems(node, "managers", "manager", self._managers)
        if problems:
            raise ConfigError(problems)
        self._managers[node.name] = ceph_manager.CephManager(
            self, f"Manager-{node.name}", node_name=node.name, endpoint=node.endpoint)
        self.model.managers.append(node.name)
        self._in_stage(self._managers[node.name], _MANAGERS)
        return self._managers[node.name]

    def add_mds(self, node: NodeBase, *, name: str | None = None, hotstandby: bool = False) -> ceph_mds.CephMds:
        """Run a CephFS metadata server on ``node`` (``pvecdk_ceph_mds``); returns it.

        Args:
            node: The node.
            name: The daemon's name. Defaults to PVE's (the node's name).
            hotstandby: Follow the active server's journal to take over faster. Defaults to no.
        """
        problems = self._node_problems(node, "mds", "metadata server", self._mds)
        if name is not None and not _MDS_NAME.match(name):
            problems.append(Problem(str(self.node.path), "name", f"{name!r} is not a metadata server name",
                                    "use letters, digits and '-', starting and ending with a letter or digit"))
        if problems:
            raise ConfigError(problems)
        self._mds[node.name] = ceph_mds.CephMds(
            self, f"Mds-{node.name}", node_name=node.name, endpoint=node.endpoint, name=name,
            hotstandby=hotstandby or None)
        self.model.metadata_servers.append(node.name)
        self._in_stage(self._mds[node.name], _MDS)
        return self._mds[node.name]

    # -- OSDs, pools, file systems

    def add_osd(
        self,
        node: NodeBase,
        *,
        device: str,
        device_class: DeviceClass | str | None = None,
        encrypted: bool = False,
        db_device: str | None = None,
        db_size_gib: float | None = None,
        wal_device: str | None = None,
        wal_size_gib: float | None = None,
        allow_destroy: bool = False,
    ) -> Osd:
        """Create an OSD on a disk of ``node`` (``pvecdk_ceph_osd``); returns it.

        Args:
            node: The node with the disk.
            device: The disk, such as ``/dev/sdb`` or ``/dev/disk/by-id/...``; used by one OSD only.
            device_class: The CRUSH device class. Defaults to what Ceph detects.
            encrypted: Encrypt the OSD with dm-crypt. Defaults to no.
            db_device: A faster disk for the RocksDB database (several OSDs may share one). Defaults to the
                OSD's own disk.
            db_size_gib: Size of the database on ``db_device`` in GiB. Defaults to Ceph's (10 % of the OSD).
            wal_device: A faster disk for the write-ahead log. Defaults to the database's disk.
            wal_size_gib: Size of the log on ``wal_device`` in GiB. Defaults to Ceph's (1 % of the OSD).
            allow_destroy: Let Terraform destroy the OSD (its data with it). Defaults to no.
        """
        return Osd(self, f"Osd-{getattr(node, 'name', node)}-{_device_id(device)}", ceph=self, node=node,
                   device=device, device_class=device_class, encrypted=encrypted, db_device=db_device,
                   db_size_gib=db_size_gib, wal_device=wal_device, wal_size_gib=wal_size_gib,
                   allow_destroy=allow_destroy)

    def add_pool(
        self,
        name: str,
        *,
        size: int = 3,
        min_size: int = 2,
        pg_num: int | None = None,
        pg_autoscale_mode: PgAutoscaleMode | str = PgAutoscaleMode.ON,
        application: PoolApplication | str = PoolApplication.RBD,
        crush_rule: str | None = None,
        erasure_coding: ErasureCoding | None = None,
        target_size_ratio: float | None = None,
        allow_unsafe: bool = False,
        allow_destroy: bool = False,
    ) -> CephPool:
        """Create a pool (``proxmox_ceph_pool``); returns it.

        Args:
            name: The pool's name; stable (a new name is a new pool).
            size: Copies of each object. Defaults to 3; fewer is warned about.
            min_size: Copies needed to serve I/O; at most ``size``, and 1 only with ``allow_unsafe``. Defaults to 2.
            pg_num: Placement groups, a power of two. Defaults to Ceph's (autoscaled from 32 up).
            pg_autoscale_mode: Whether Ceph adjusts ``pg_num``. Defaults to on.
            application: What the pool serves. Defaults to RBD (VM disks, container volumes).
            crush_rule: The CRUSH rule. Defaults to Ceph's (replicated_rule: one copy per host).
            erasure_coding: Make the data pool erasure coded. Defaults to replicated.
            target_size_ratio: The pool's expected share of the cluster, for the autoscaler. Defaults to none.
            allow_unsafe: Accept ``min_size=1`` or ``size=1``, where one failed disk can lose written data.
                Defaults to no.
            allow_destroy: Let Terraform delete the pool and its data. Defaults to no (``prevent_destroy``).
        """
        return CephPool(self, f"Pool-{name}", ceph=self, name=name, size=size, min_size=min_size, pg_num=pg_num,
                        pg_autoscale_mode=pg_autoscale_mode, application=application, crush_rule=crush_rule,
                        erasure_coding=erasure_coding, target_size_ratio=target_size_ratio,
                        allow_unsafe=allow_unsafe, allow_destroy=allow_destroy)

    def add_filesystem(
        self,
        name: str = "cephfs",
        *,
        pg_num: int | None = None,
        mds_nodes: Sequence[NodeBase] | None = None,
        hotstandby: bool = False,
        allow_destroy: bool = False,
    ) -> CephFs:
        """Create a CephFS file system (``pvecdk_ceph_fs``) and the metadata servers it needs; returns it.

        Args:
            name: The file system's name; PVE creates the pools ``<name>_data`` and ``<name>_metadata``.
                Defaults to ``cephfs``.
            pg_num: Placement groups of its data pool, a power of two. Defaults to PVE's (128).
            mds_nodes: Nodes to run metadata servers on (one active, the others standby), added where none
                runs yet. Defaults to the monitor nodes when Ceph has no metadata server yet.
            hotstandby: Standby servers follow the active one's journal. Defaults to no.
            allow_destroy: Let Terraform delete the file system and its data. Defaults to no.
        """
        if mds_nodes is None:
            by_name = {n.name: n for n in self.cluster.nodes}
            mds_nodes = [] if self._mds else [by_name[m] for m in self._monitors]
        for node in mds_nodes:
            if getattr(node, "name", None) not in self._mds:
                self.add_mds(node, hotstandby=hotstandby)
        return CephFs(self, f"Fs-{name}", ceph=self, name=name, pg_num=pg_num, allow_destroy=allow_destroy)

    # -- ordering

    def check_pool_names(self, scope: _cdk.Construct, id: str, names: Iterable[str]) -> None:
        """Refuse pool names another pool or file system of this Ceph has; the new construct is ``scope/id``."""
        taken = {n for pool in self._pools.values() for n in pool.pool_names}
        taken |= {n for fs in self._filesystems.values() for n in fs.pool_names}
        clashes = sorted(set(names) & taken)
        if clashes:
            raise ConfigError([Problem(construct_path(scope, id), "name",
                                       f"pool {clashes[0]} already exists in this Ceph",
                                       "give every pool and file system its own name")])

    def join_osd(self, osd: Osd) -> None:
        """Record an OSD of this Ceph (its constructor calls this)."""
        self._osds.append(osd)
        self.model.osd_hosts.append(osd.host.name)
        self._in_stage(osd.resource, _OSDS)

    def join_pool(self, pool: CephPool) -> None:
        """Record a pool of this Ceph (its constructor calls this, after :meth:`check_pool_names`)."""
        self._pools[pool.pool_name] = pool
        self.model.pools.append(PoolModel(pool.pool_name, lambda: str(pool.node.path), pool.size, pool.min_size,
                                          pool.erasure_coding is not None))
        self._in_stage(pool.resource, _POOLS)

    def join_filesystem(self, fs: CephFs) -> None:
        """Record a file system of this Ceph (its constructor calls this, after :meth:`check_pool_names`)."""
        self._filesystems[fs.fs_name] = fs
        self.model.filesystems.append(fs.fs_name)
        self._in_stage(fs.resource, _FILESYSTEMS)

    def _in_stage(self, resource: Any, stage: int) -> None:
        """Order ``resource`` after the stages before ``stage``: rendered at synthesis, when all are known."""
        resource.render_late(lambda: self._render_depends_on(resource, stage))

    def _stage_refs(self) -> list[list[str]]:
        """Each stage's resources as ``depends_on`` entries; built once per synthesis (stages only grow)."""
        stages: list[list[Any]] = [
            [self.resource],
            list(self._monitors.values()),
            list(self._managers.values()),
            [o.resource for o in self._osds],
            [p.resource for p in self._pools.values()],
            list(self._mds.values()),
            [f.resource for f in self._filesystems.values()],
        ]
        sizes = tuple(len(stage) for stage in stages)
        if self._refs is None or self._refs[0] != sizes:
            self._refs = (sizes, [[_dependable_ref(r) for r in stage] for stage in stages])
        return self._refs[1]

    def _render_depends_on(self, resource: Any, stage: int) -> None:
        """Each stage waits for everything in the last non-empty stage before it (the init stage never is)."""
        resource.depends_on = next(refs for refs in reversed(self._stage_refs()[:stage]) if refs)


class Osd(_cdk.Construct):
    """An OSD on one disk of one node (``ceph.add_osd`` or ``node.add_osd``).

    Manages ``pvecdk_ceph_osd`` (``.resource``).
    """

    def __init__(
        self,
        scope: Ceph,
        id: str,
        *,
        ceph: Ceph,
        node: NodeBase,
        device: str,
        device_class: DeviceClass | str | None,
        encrypted: bool,
        db_device: str | None,
        db_size_gib: float | None,
        wal_device: str | None,
        wal_size_gib: float | None,
        allow_destroy: bool,
    ) -> None:
        problems: list[Problem] = []

        def add(field: str, text: str, fix: str) -> None:  # the path is read only for a problem
            problems.append(Problem(construct_path(scope, id), field, text, fix, "pvecdk_ceph_osd"))

        # A problem with the node is the OSD's own, like those of its disks; the checks below need a node.
        for what, fix in ceph._node_faults(ceph.cluster, "node", [node]):
            add("node", what, fix)
        if problems:
            raise ConfigError(problems)
        for field, value in (("device", device), ("db_device", db_device), ("wal_device", wal_device)):
            if value is not None and not re.match(r"^/dev/\S+$", value):
                add(field, f"{value!r} is not a device path", "give the disk as /dev/sdX or /dev/disk/by-id/...")
        if device_class is not None and device_class not in set(DeviceClass):
            add("device_class", f"{device_class!r} is not a device class",
                "pick one of " + ", ".join(c.value for c in DeviceClass))
        for field, size, disk, disk_field in (("db_size_gib", db_size_gib, db_device, "db_device"),
                                              ("wal_size_gib", wal_size_gib, wal_device, "wal_device")):
            if size is not None and disk is None:
                add(field, f"{field} is given without {disk_field}", f"pass {disk_field}=, or remove {field}")
            if size is not None and not (isinstance(size, (int, float)) and math.isfinite(size) and size > 0):
                add(field, f"must be a positive size in GiB, got {size!r}", "give the size in GiB, such as 64")
        if device in (db_device, wal_device):
            add("db_device" if device == db_device else "wal_device",
                f"{device} is the OSD's own disk", "put the database and log on another, faster disk, or leave "
                "them unset to keep them on the OSD's disk")
        on_node = [o for o in ceph.osds if o.host is node]
        if any(o.device == device for o in on_node):
            add("device", f"{device} on {node.name} is already an OSD", "use each disk for one OSD")
        elif any(device in (o.db_device, o.wal_device) for o in on_node):
            add("device", f"{device} on {node.name} already holds another OSD's database or log",
                "use another disk for the OSD")
        for field, value in (("db_device", db_device), ("wal_device", wal_device)):
            if value is not None and value != device and any(o.device == value for o in on_node):
                add(field, f"{value} on {node.name} is an OSD", "give a disk that is not an OSD")
        if problems:
            raise ConfigError(problems)
        super().__init__(scope, id)
        self.ceph = ceph
        self.host: NodeBase = node
        self.device: str = device
        self.device_class = DeviceClass(device_class) if device_class is not None else None
        self.db_device: str | None = db_device
        self.wal_device: str | None = wal_device
        self.allow_destroy = allow_destroy
        self.resource = ceph_osd.CephOsd(
            self, "Resource", node_name=node.name, endpoint=node.endpoint, device=device,
            device_class=self.device_class.value if self.device_class else None, encrypted=encrypted or None,
            db_device=db_device, db_size_gib=db_size_gib, wal_device=wal_device, wal_size_gib=wal_size_gib,
            allow_destroy=allow_destroy,
            lifecycle=_protection(allow_destroy),
        )
        ceph.join_osd(self)

    @property
    def node_name(self) -> str:
        """The name of the node the OSD runs on."""
        return self.host.name

    @property
    def osd_id(self) -> float:
        """The OSD's number (a token, known once created)."""
        return self.resource.osd_id


def _is_name(value: Any) -> bool:
    """Whether ``value`` is a Ceph name (pool, file system, CRUSH rule)."""
    return isinstance(value, str) and bool(_NAME.match(value))


def _valid_pg_num(pg_num: Any) -> bool:
    """Whether ``pg_num`` is unset, or a power of two up to MAX_PG_NUM."""
    return pg_num is None or (isinstance(pg_num, int) and not isinstance(pg_num, bool) and 0 < pg_num <= MAX_PG_NUM
                              and pg_num & (pg_num - 1) == 0)


class CephPool(_cdk.Construct):
    """A Ceph pool (``ceph.add_pool``).

    Manages ``proxmox_ceph_pool`` (``.resource``), protected by ``prevent_destroy`` unless ``allow_destroy``.
    ``as_storage()`` defines RBD storage on it.
    """

    def __init__(
        self,
        scope: Ceph,
        id: str,
        *,
        ceph: Ceph,
        name: str,
        size: int,
        min_size: int,
        pg_num: int | None,
        pg_autoscale_mode: PgAutoscaleMode | str,
        application: PoolApplication | str,
        crush_rule: str | None,
        erasure_coding: ErasureCoding | None,
        target_size_ratio: float | None,
        allow_unsafe: bool,
        allow_destroy: bool,
    ) -> None:
        problems: list[Problem] = []

        def add(field: str, text: str, fix: str) -> None:  # the path is read only for a problem
            problems.append(Problem(construct_path(scope, id), field, text, fix, "proxmox_ceph_pool"))

        if not _is_name(name):
            add("name", f"{name!r} is not a pool name", "use letters, digits, '-', '_' and '.', not starting with '.'")
        for field, value in (("size", size), ("min_size", min_size)):
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 7:
                add(field, f"must be 1-7, got {value!r}", "keep 3 copies (size=3, min_size=2)")
        if not problems:
            if min_size > size:
                add("min_size", f"must not exceed size {size}, got {min_size}", "lower min_size or raise size")
            if min_size == 1 and not allow_unsafe:
                add("min_size", "min_size=1 lets a pool accept writes with a single copy, which the next failed "
                    "disk loses", "use min_size=2 with size=3, or pass allow_unsafe=True to accept the risk")
            elif size == 1 and not allow_unsafe:
                add("size", "size=1 keeps one copy: any failed disk loses data",
                    "use size=3, or pass allow_unsafe=True for scratch data")
        if not _valid_pg_num(pg_num):
            add("pg_num", f"must be a power of two up to {MAX_PG_NUM}, got {pg_num!r}",
                "pick 32, 64, 128, ..., or leave it unset for the autoscaler")
        if pg_autoscale_mode not in set(PgAutoscaleMode):
            add("pg_autoscale_mode", f"{pg_autoscale_mode!r} is not an autoscale mode",
                "pick one of " + ", ".join(m.value for m in PgAutoscaleMode))
        if application not in set(PoolApplication):
            add("application", f"{application!r} is not a pool application",
                "pick one of " + ", ".join(a.value for a in PoolApplication))
        if erasure_coding is not None:
            ec = erasure_coding
            if not isinstance(ec, ErasureCoding):
                add("erasure_coding", f"{ec!r} is not an ErasureCoding", "pass ErasureCoding(k=..., m=...)")
            elif ec.profile is None and not (isinstance(ec.k, int) and isinstance(ec.m, int)):
                add("erasure_coding", f"k and m must be whole numbers, got k={ec.k!r}, m={ec.m!r}",
                    "pass whole numbers, such as k=2, m=1")
            elif ec.profile is None and (ec.k < 2 or ec.m < 1):
                add("erasure_coding", f"k={ec.k}, m={ec.m} cannot survive a failure",
                    "use k of 2 or more and m of 1 or more, such as k=2, m=1")
        if target_size_ratio is not None and not (isinstance(target_size_ratio, (int, float))
                                                  and 0 < target_size_ratio):
            add("target_size_ratio", f"must be positive, got {target_size_ratio}", "give a ratio such as 0.5")
        if crush_rule is not None and not _is_name(crush_rule):
            add("crush_rule", f"{crush_rule!r} is not a CRUSH rule name", "give an existing rule's name")
        if problems:
            raise ConfigError(problems)
        names = ([f"{name}-data", f"{name}-metadata"] if erasure_coding is not None else [name])
        ceph.check_pool_names(scope, id, names)
        super().__init__(scope, id)
        self.ceph = ceph
        self.pool_name = name
        self.size = size
        self.min_size = min_size
        self.application = PoolApplication(application)
        self.erasure_coding = erasure_coding
        self.pool_names: tuple[str, ...] = tuple(names)
        self.allow_destroy = allow_destroy
        self.resource = ceph_pool.CephPool(
            self, "Resource", name=name, node_name=ceph.init_node.name, size=size, min_size=min_size,
            pg_num=pg_num, pg_autoscale_mode=PgAutoscaleMode(pg_autoscale_mode).value,
            application=self.application.value, crush_rule=crush_rule,
            erasure_coding=erasure_coding.render() if erasure_coding is not None else None,
            target_size_ratio=target_size_ratio,
            lifecycle=_protection(allow_destroy),
        )
        ceph.join_pool(self)

    def as_storage(
        self,
        storage_id: str | None = None,
        *,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        krbd: bool | None = None,
        allow_destroy: bool = False,
    ) -> RbdStorage:
        """Define RBD storage on this pool; returns it.

        Args:
            storage_id: PVE's storage id. Defaults to the pool's name.
            content: What it holds: disk images, container volumes. Defaults to both.
            nodes: The nodes it is defined on. Defaults to every node.
            krbd: Map images through the kernel driver. Defaults to PVE's (librbd for VMs).
            allow_destroy: Let Terraform remove the storage definition. Defaults to no.
        """
        sid = storage_id or self.pool_name
        if self.application is not PoolApplication.RBD:
            raise ConfigError([Problem(str(self.node.path), "application", f"a pool for {self.application.value} "
                                       "cannot back RBD storage", "add the pool with application=rbd")])
        ec = self.erasure_coding is not None
        storage = RbdStorage(
            self, f"Storage-{sid}", storage_id=sid, cluster=self.ceph.cluster, nodes=nodes,
            pool=f"{self.pool_name}-metadata" if ec else self.pool_name,
            data_pool=f"{self.pool_name}-data" if ec else None, krbd=krbd,
            content=content if content is not None else (ContentType.IMAGES, ContentType.ROOTDIR),
            allow_destroy=allow_destroy)
        storage.depend_on(self.resource)
        return storage


class CephFs(_cdk.Construct):
    """A CephFS file system (``ceph.add_filesystem``).

    Manages ``pvecdk_ceph_fs`` (``.resource``), protected by ``prevent_destroy`` unless ``allow_destroy``.
    ``as_storage()`` defines CephFS storage on it.
    """

    def __init__(self, scope: Ceph, id: str, *, ceph: Ceph, name: str, pg_num: int | None,
                 allow_destroy: bool) -> None:
        problems: list[Problem] = []

        def add(field: str, text: str, fix: str) -> None:  # the path is read only for a problem
            problems.append(Problem(construct_path(scope, id), field, text, fix, "pvecdk_ceph_fs"))

        if not _is_name(name):
            add("name", f"{name!r} is not a file system name", "use letters, digits, '-', '_' and '.'")
        if not _valid_pg_num(pg_num):
            add("pg_num", f"must be a power of two up to {MAX_PG_NUM}, got {pg_num!r}",
                "pick 32, 64, 128, ..., or leave it unset")
        if name in ceph.filesystems:
            add("name", f"file system {name} already exists", "give every file system its own name")
        if problems:
            raise ConfigError(problems)
        names = (f"{name}_data", f"{name}_metadata")
        ceph.check_pool_names(scope, id, names)
        super().__init__(scope, id)
        self.ceph = ceph
        self.fs_name = name
        self.pool_names: tuple[str, ...] = names
        self.allow_destroy = allow_destroy
        self.resource = ceph_fs.CephFs(
            self, "Resource", name=name, node_name=ceph.init_node.name, endpoint=ceph.init_node.endpoint,
            pg_num=pg_num, allow_destroy=allow_destroy,
            lifecycle=_protection(allow_destroy),
        )
        ceph.join_filesystem(self)

    def as_storage(
        self,
        storage_id: str | None = None,
        *,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        subdir: str | None = None,
        fuse: bool | None = None,
        allow_destroy: bool = False,
    ) -> CephFsStorage:
        """Define CephFS storage on this file system; returns it.

        Args:
            storage_id: PVE's storage id. Defaults to the file system's name.
            content: What it holds. Defaults to ISO images, container templates and backups.
            nodes: The nodes it is defined on. Defaults to every node.
            subdir: The directory of the file system to mount. Defaults to its root.
            fuse: Mount through FUSE. Defaults to PVE's (the kernel client).
            allow_destroy: Let Terraform remove the storage definition. Defaults to no while it holds backups.
        """
        sid = storage_id or self.fs_name
        storage = CephFsStorage(
            self, f"Storage-{sid}", storage_id=sid, cluster=self.ceph.cluster, nodes=nodes, fs_name=self.fs_name,
            subdir=subdir, fuse=fuse, allow_destroy=allow_destroy,
            content=content if content is not None else (ContentType.ISO, ContentType.VZTMPL, ContentType.BACKUP))
        storage.depend_on(self.resource)
        return storage


def enable(
    cluster: ClusterBase,
    *,
    public_network: NetworkRole | str | None,
    cluster_network: NetworkRole | str | None,
    monitors: Sequence[NodeBase] | None,
    managers: Sequence[NodeBase] | None,
) -> Ceph:
    """What :meth:`pvecdk.cluster.Cluster.enable_ceph` does."""
    if cluster.part(Ceph) is not None:
        raise ConfigError([Problem(str(cluster.node.path), "enable_ceph", "Ceph is already enabled on this cluster",
                                   "call enable_ceph() once and keep the Ceph it returns (cluster.ceph)")])
    ceph = Ceph(cluster, "Ceph", cluster=cluster, public_network=public_network, cluster_network=cluster_network,
                monitors=monitors, managers=managers)
    return ceph


def add_osd(node: NodeBase, device: str, **options: Any) -> Osd:
    """What :meth:`pvecdk.node.Node.add_osd` does."""
    ceph = node.cluster.part(Ceph)
    if ceph is None:
        raise ConfigError([Problem(str(node.node.path), "add_osd", "Ceph is not enabled on the cluster",
                                   "call cluster.enable_ceph(...) before adding OSDs")])
    return ceph.add_osd(node, device=device, **options)
