"""The cluster model: plain data about one cluster, which its constructs join as they are built.

Each :class:`~pvecdk.cluster.Cluster` holds one :class:`ClusterModel`: its nodes, its guests by VMID, the
bridges of each node, the Ceph inventory, the HA resources and rules. A construct joins it through the methods
here, which also refuse what would be taken twice; no construct writes another's fields. The rules that span
constructs (:mod:`pvecdk.policy`) are pure functions of this model: they can be run, and tested, on a model
built by hand, without jsii.

Nothing here imports cdktf. A construct's path is a jsii read, so the model keeps a *where* for each
reportable item: a function returning the path, called only when a problem is reported.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

from pvecdk._values import NetworkRole
from pvecdk.errors import ConfigError, Problem

__all__ = ["CephModel", "CloneModel", "ClusterModel", "GuestModel", "HaResourceModel", "HaRuleModel", "NodeModel",
           "PoolModel", "VnetModel", "VolumeModel", "Where"]

#: Returns a construct's path; called only to report a problem.
Where = Callable[[], str]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class NodeModel:
    name: str
    node_id: int
    votes: int
    addresses: dict[NetworkRole, str]
    bridges: set[str] = field(default_factory=set)
    where: Where | None = None
    #: The interfaces the model creates on the node (bridges, bonds, VLANs) and the address each carries
    #: (``10.0.0.11/24``, or None); None for a node whose network is managed elsewhere (another stack's).
    interfaces: dict[str, str | None] | None = None
    #: Interfaces that exist already and carry a role's address, by role (``cluster_interface="eno2"``).
    existing: dict[NetworkRole, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VolumeModel:
    """A guest volume, as the HA rules see it.

    Attributes:
        field: The guest prop that gives it (``disks[0].storage``, ``cloud_init.storage``).
        storage: The storage's construct id, as problems name it.
        storage_type: PVE's storage type.
        shared: Whether every node sees the same data.
        replicate: Whether replication copies it (a disk's ``replicate``; a cloud-init drive always).
        nodes: The nodes its storage is defined on; None: every node.
    """

    field: str
    storage: str
    storage_type: str
    shared: bool
    replicate: bool = True
    nodes: frozenset[str] | None = None


@dataclass(frozen=True)
class CloneModel:
    """What a VM is cloned from: its template's VMID (a guest of the same model), and whether the clone is linked
    (its disks stay backed by the template's) or full (copies)."""

    template_vm_id: int
    linked: bool


@dataclass(frozen=True)
class VnetModel:
    """An SDN VNet a guest's interface is on, as the rules see it.

    Attributes:
        vnet_id: PVE's VNet id (the bridge name guests get).
        cluster: The name of the cluster whose SDN defines it.
        nodes: The nodes its zone spans; None: every node of that cluster.
        where: The VNet's construct path.
    """

    vnet_id: str
    cluster: str
    nodes: frozenset[str] | None
    where: Where


@dataclass
class GuestModel:
    vm_id: int
    ha_resource_id: str
    node: str
    where: Where
    cpu_type: str | None = None
    host_cpu: bool = False  # the CPU type passes the node's own CPU through
    allow_host_cpu: bool = False
    volumes: tuple[VolumeModel, ...] = ()
    bridges: tuple[str, ...] = ()
    vnets: tuple[VnetModel, ...] = ()  # SDN VNets its interfaces are on (not in bridges)
    replicas: list[str] = field(default_factory=list)  # the nodes replication jobs copy it to
    clone: CloneModel | None = None  # what the VM is cloned from


@dataclass(frozen=True)
class HaResourceModel:
    resource_id: str
    strict_nodes: frozenset[str] | None  # the only nodes HA may run it on; None: any node


@dataclass
class HaRuleModel:
    name: str
    kind: str  # "node-affinity" or "resource-affinity"
    where: Where
    negative: bool = False  # keep apart
    members: list[str] = field(default_factory=list)  # HA resource ids


@dataclass(frozen=True)
class PoolModel:
    name: str
    where: Where
    size: int
    min_size: int
    erasure_coded: bool


@dataclass
class CephModel:
    where: Where
    public_role: NetworkRole | None
    cluster_network: Network | None
    monitors: list[str] = field(default_factory=list)
    managers: list[str] = field(default_factory=list)
    metadata_servers: list[str] = field(default_factory=list)
    osd_hosts: list[str] = field(default_factory=list)  # one entry per OSD
    pools: list[PoolModel] = field(default_factory=list)
    filesystems: list[str] = field(default_factory=list)
    #: Ceph's public network (monitors, clients), whether or not it is one of the cluster's networks.
    public_network: Network | None = None

    @property
    def osd_nodes(self) -> tuple[str, ...]:
        """The nodes with at least one OSD, in the order first seen."""
        return tuple(dict.fromkeys(self.osd_hosts))


@dataclass
class ClusterModel:
    """What the rules know of one cluster (see the module docstring)."""

    where: Where
    name: str = ""  # the cluster's name, which the SDN objects a guest uses must belong to
    qdevice: bool = False
    cluster_network: Network | None = None
    #: The migration network the cluster defines, if any: live migration runs there between every two nodes.
    migration_network: Network | None = None
    nodes: dict[str, NodeModel] = field(default_factory=dict)
    guests: dict[int, GuestModel] = field(default_factory=dict)
    ha_resources: dict[str, HaResourceModel] = field(default_factory=dict)
    ha_rules: dict[str, HaRuleModel] = field(default_factory=dict)
    ceph: CephModel | None = None

    # -- nodes

    def check_new_node(self, path: str, name: str, node_id: int, addresses: dict[NetworkRole, str]) -> None:
        """Refuse a node whose name, id or an address another node has (before it enters the tree)."""
        problems = []
        for other in self.nodes.values():
            if other.name == name:
                problems.append(Problem(path, "name", f"node name {name!r} is already used",
                                        "give every node its own name"))
            if other.node_id == node_id:
                problems.append(Problem(path, "node_id", f"node id {node_id} is already used by {other.name}",
                                        "give every node its own id, or leave node_id unset"))
            for role, address in addresses.items():
                if other.addresses.get(role) == address:
                    problems.append(Problem(path, f"{role.value}_address",
                                            f"address {address} is already used by {other.name}",
                                            "give every node its own address on each network"))
        if problems:
            raise ConfigError(problems)

    def add_node(self, node: NodeModel) -> None:
        if node.name in self.nodes:
            raise ValueError(f"node {node.name} is in the model already")
        self.nodes[node.name] = node

    def free_node_id(self) -> int:
        """The lowest node id no node has."""
        taken = {n.node_id for n in self.nodes.values()}
        return next(i for i in range(1, len(taken) + 2) if i not in taken)

    def add_interface(self, node: str, name: str, address: str | None) -> None:
        """Record an interface the model creates on ``node`` and the address (with prefix) it carries."""
        interfaces = self.nodes[node].interfaces
        if interfaces is None:
            raise ValueError(f"node {node}'s network is not managed here")
        if name in interfaces:
            raise ValueError(f"node {node} has interface {name} already")
        interfaces[name] = address

    def add_bridge(self, node: str, bridge: str) -> None:
        bridges = self.nodes[node].bridges
        if bridge in bridges:
            raise ValueError(f"node {node} has bridge {bridge} already")
        bridges.add(bridge)

    # -- guests and HA

    def add_guest(self, guest: GuestModel) -> None:
        """Add a guest; a VMID another guest has is a ConfigError at the new guest."""
        other = self.guests.get(guest.vm_id)
        if other is not None:
            raise ConfigError([Problem(guest.where(), "vm_id", f"VMID {guest.vm_id} is already taken by "
                                       f"{other.where()}", "give every guest of the cluster its own VMID")])
        self.guests[guest.vm_id] = guest

    def add_replica(self, vm_id: int, target: str) -> None:
        replicas = self.guests[vm_id].replicas
        if target in replicas:
            raise ValueError(f"guest {vm_id} is replicated to {target} already")
        replicas.append(target)

    def protect(self, resource: HaResourceModel) -> None:
        if resource.resource_id in self.ha_resources:
            raise ValueError(f"{resource.resource_id} is under HA already")
        self.ha_resources[resource.resource_id] = resource

    def add_ha_rule(self, rule: HaRuleModel) -> None:
        if rule.name in self.ha_rules:
            raise ValueError(f"HA rule {rule.name} exists already")
        self.ha_rules[rule.name] = rule

    # -- Ceph

    def enable_ceph(self, ceph: CephModel) -> None:
        if self.ceph is not None:
            raise ValueError("Ceph is in the model already")
        self.ceph = ceph
