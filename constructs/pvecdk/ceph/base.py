"""The Ceph base: what Ceph's parts reference, and how its resources are ordered (rendered at synthesis)."""

from __future__ import annotations

import ipaddress
from collections.abc import Container, Iterable, Sequence
from typing import Any

from pvecdk import _cdk
from pvecdk._base import ClusterBase, NodeBase
from pvecdk._model import CephModel, PoolModel
from pvecdk._validation import Located, construct_path
from pvecdk._values import NetworkRole
from pvecdk.ceph.values import FILESYSTEMS, OSDS, POOLS, Network
from pvecdk.errors import ConfigError, Problem
from pvecdk.provider import ceph as ceph_l1
from pvecdk.provider import ceph_manager, ceph_mds, ceph_monitor
from pvecdk.storage._owned import dependable_ref


def resolve_network(cluster: ClusterBase, value: NetworkRole | str | None, field: str,
                    faults: list[Located]) -> tuple[Network | None, NetworkRole | None]:
    """A network given as one of the cluster's roles or as a CIDR -> (network, role when it is the cluster's);
    what is wrong with it is added to ``faults`` as (field, what, fix)."""
    if value is None:
        return None, None
    roles = {r.value: r for r in NetworkRole}
    if isinstance(value, str) and value in roles:
        value = roles[value]
    if isinstance(value, NetworkRole):
        network = cluster.network(value)
        if network is None:
            faults.append((field, f"the cluster has no {value.value} network",
                           f"set {value.value}_network on the cluster, or give a CIDR"))
        return network, value
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        faults.append((field, f"{value!r} is neither a network of the cluster nor a CIDR ({exc})",
                       "give NetworkRole.STORAGE (or another role the cluster defines), or a CIDR such as "
                       "172.16.0.0/24"))
        return None, None
    for role, defined in cluster.defined_networks.items():
        if defined == network:
            return network, role
    return network, None


def node_faults(cluster: ClusterBase, field: str, nodes: Sequence[Any]) -> list[tuple[str, str]]:
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



class CephBase(_cdk.Construct):
    """What Ceph's parts (OSDs, pools, file systems) know of it: its cluster, networks, inventory and the
    order its resources are created in. :class:`~pvecdk.ceph.Ceph` is the one subclass."""

    #: The ``pvecdk_ceph`` resource (init), which every other Ceph resource waits for.
    resource: ceph_l1.Ceph

    def __init__(self, scope: ClusterBase, id: str, *, cluster: ClusterBase, public: Network,
                 private: Network | None, public_role: NetworkRole | None, private_role: NetworkRole | None,
                 init_node: NodeBase) -> None:
        super().__init__(scope, id)
        cluster.attach(self)
        self.model = CephModel(lambda: str(self.node.path), public_role, private, public_network=public)
        cluster.model.enable_ceph(self.model)
        self.cluster = cluster
        self.public_network: Network = public
        self.cluster_network: Network | None = private
        self.public_role: NetworkRole | None = public_role
        self.cluster_role: NetworkRole | None = private_role
        self._monitors: dict[str, ceph_monitor.CephMonitor] = {}
        self._managers: dict[str, ceph_manager.CephManager] = {}
        self._mds: dict[str, ceph_mds.CephMds] = {}
        self._osds: list[Any] = []
        self._pools: dict[str, Any] = {}
        self._filesystems: dict[str, Any] = {}
        self._refs: tuple[tuple[int, ...], list[list[str]]] | None = None
        self.init_node: NodeBase = init_node

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
    def osds(self) -> tuple[Any, ...]:
        """The OSDs, in the order added."""
        return tuple(self._osds)

    @property
    def pools(self) -> dict[str, Any]:
        """The pools by name (a copy)."""
        return dict(self._pools)

    @property
    def filesystems(self) -> dict[str, Any]:
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
        faults = node_faults(self.cluster, field, [node])
        if not faults and node.name in running:
            faults.append((f"node {node.name} already runs a {daemon}", f"run one {daemon} per node"))
        if not faults:
            return []
        path = str(self.node.path)
        return [Problem(path, field, what, fix) for what, fix in faults]

    def check_pool_names(self, scope: _cdk.Construct, id: str, names: Iterable[str]) -> None:
        """Refuse pool names another pool or file system of this Ceph has; the new construct is ``scope/id``."""
        taken = {n for pool in self._pools.values() for n in pool.pool_names}
        taken |= {n for fs in self._filesystems.values() for n in fs.pool_names}
        clashes = sorted(set(names) & taken)
        if clashes:
            raise ConfigError([Problem(construct_path(scope, id), "name",
                                       f"pool {clashes[0]} already exists in this Ceph",
                                       "give every pool and file system its own name")])

    def join_osd(self, osd: Any) -> None:
        """Record an OSD of this Ceph (its constructor calls this)."""
        self._osds.append(osd)
        self.model.osd_hosts.append(osd.host.name)
        self._in_stage(osd.resource, OSDS)

    def join_pool(self, pool: Any) -> None:
        """Record a pool of this Ceph (its constructor calls this, after :meth:`check_pool_names`)."""
        self._pools[pool.pool_name] = pool
        self.model.pools.append(PoolModel(pool.pool_name, lambda: str(pool.node.path), pool.size, pool.min_size,
                                          pool.erasure_coding is not None))
        self._in_stage(pool.resource, POOLS)

    def join_filesystem(self, fs: Any) -> None:
        """Record a file system of this Ceph (its constructor calls this, after :meth:`check_pool_names`)."""
        self._filesystems[fs.fs_name] = fs
        self.model.filesystems.append(fs.fs_name)
        self._in_stage(fs.resource, FILESYSTEMS)

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
            self._refs = (sizes, [[dependable_ref(r) for r in stage] for stage in stages])
        return self._refs[1]

    def _render_depends_on(self, resource: Any, stage: int) -> None:
        """Each stage waits for everything in the last non-empty stage before it (the init stage never is)."""
        resource.depends_on = next(refs for refs in reversed(self._stage_refs()[:stage]) if refs)


