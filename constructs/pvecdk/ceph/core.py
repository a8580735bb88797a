"""Ceph itself: init, monitors, managers and metadata servers, and the verbs that add OSDs, pools and file
systems."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pvecdk._base import ClusterBase, NodeBase
from pvecdk._validation import LazyPath, check_props
from pvecdk._values import NetworkRole
from pvecdk.ceph._props import CephProps
from pvecdk.ceph.base import CephBase, resolve_network
from pvecdk.ceph.parts import CephFs, CephPool, Osd
from pvecdk.ceph.values import (
    DEFAULT_MONITORS,
    MANAGERS,
    MDS,
    MDS_NAME,
    MONITORS,
    DeviceClass,
    ErasureCoding,
    PgAutoscaleMode,
    PoolApplication,
    device_id,
)
from pvecdk.errors import ConfigError, Problem
from pvecdk.provider import ceph as ceph_l1
from pvecdk.provider import ceph_manager, ceph_mds, ceph_monitor, ceph_packages


class Ceph(CephBase):
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
        mons = tuple(monitors) if monitors is not None else cluster.nodes[:DEFAULT_MONITORS]
        mgrs = tuple(managers) if managers is not None else mons
        props = check_props(CephProps, LazyPath(scope, id), dict(
            public_network=public_network, cluster_network=cluster_network, monitors=mons, managers=mgrs),
            context=cluster)
        # checked above: the networks resolve without a fault
        public, public_role = resolve_network(cluster, props.public_network or NetworkRole.STORAGE,
                                              "public_network", [])
        private, private_role = resolve_network(cluster, props.cluster_network, "cluster_network", [])
        mons, mgrs = props.monitors, props.managers
        assert public is not None
        super().__init__(scope, id, cluster=cluster, public=public, private=private, public_role=public_role,
                         private_role=private_role, init_node=mons[0])
        #: ``pvecdk_ceph_packages``: ``pveceph install`` on every node of the cluster, before Ceph's init.
        self.packages = ceph_packages.CephPackages(self, "Packages", node_attribute={})
        self.packages.render_late(lambda: self.packages.put_node_attribute(cluster.ssh_entries()))
        self.resource = ceph_l1.Ceph(
            self, "Resource", node_name=self.init_node.name, endpoint=self.init_node.endpoint,
            network=str(public), cluster_network=str(private) if private is not None else None,
            depends_on=[cluster.membership, self.packages],
        )
        for node in mons:
            self.add_monitor(node)
        for node in mgrs:
            self.add_manager(node)

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
        self._in_stage(self._monitors[node.name], MONITORS)
        return self._monitors[node.name]

    def add_manager(self, node: NodeBase) -> ceph_manager.CephManager:
        """Run a manager on ``node`` (``pvecdk_ceph_manager``); returns it."""
        problems = self._node_problems(node, "managers", "manager", self._managers)
        if problems:
            raise ConfigError(problems)
        self._managers[node.name] = ceph_manager.CephManager(
            self, f"Manager-{node.name}", node_name=node.name, endpoint=node.endpoint)
        self.model.managers.append(node.name)
        self._in_stage(self._managers[node.name], MANAGERS)
        return self._managers[node.name]

    def add_mds(self, node: NodeBase, *, name: str | None = None, hotstandby: bool = False) -> ceph_mds.CephMds:
        """Run a CephFS metadata server on ``node`` (``pvecdk_ceph_mds``); returns it.

        Args:
            node: The node.
            name: The daemon's name. Defaults to PVE's (the node's name).
            hotstandby: Follow the active server's journal to take over faster. Defaults to no.
        """
        problems = self._node_problems(node, "mds", "metadata server", self._mds)
        if name is not None and not MDS_NAME.match(name):
            problems.append(Problem(str(self.node.path), "name", f"{name!r} is not a metadata server name",
                                    "use letters, digits and '-', starting and ending with a letter or digit"))
        if problems:
            raise ConfigError(problems)
        self._mds[node.name] = ceph_mds.CephMds(
            self, f"Mds-{node.name}", node_name=node.name, endpoint=node.endpoint, name=name,
            hotstandby=hotstandby or None)
        self.model.metadata_servers.append(node.name)
        self._in_stage(self._mds[node.name], MDS)
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
        return Osd(self, f"Osd-{getattr(node, 'name', node)}-{device_id(device)}", ceph=self, node=node,
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
