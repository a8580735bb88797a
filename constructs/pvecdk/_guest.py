"""The guest base layer: what VMs and containers share.

:class:`GuestBase` holds a guest's node, VMID, disks, CPU type and bridges, and checks its placement against
the cluster; HA (:mod:`pvecdk.ha`), replication (:mod:`pvecdk.replication`), backups and the policy take a
guest through it. :mod:`pvecdk.guests` builds :class:`~pvecdk.guests.Vm` and
:class:`~pvecdk.guests.Container` on it, with the HA and replication shortcuts that create children.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pvecdk import _cdk
from pvecdk._base import ClusterBase, NodeBase
from pvecdk._guest_values import HOST_CPU_TYPES, Disk, NetworkInterface, Pool
from pvecdk._model import CloneModel, GuestModel, VolumeModel
from pvecdk._validation import LazyPath
from pvecdk.errors import ConfigError, Problem
from pvecdk.storage import ContentType, Storage

__all__ = ["GuestBase"]


class GuestBase(_cdk.Construct):
    """What VMs and containers share: node, VMID, disks, CPU type, bridges and replication jobs.

    Not created directly: use :class:`~pvecdk.guests.Vm` or :class:`~pvecdk.guests.Container`.
    """

    KIND: ClassVar[str] = ""  # "vm" or "ct": the prefix of its HA resource id
    _ROOT_CONTENT: ClassVar[ContentType] = ContentType.IMAGES

    resource: Any

    def _check_placement(self, scope: _cdk.Construct, path: LazyPath, *, node: NodeBase, vm_id: int,
                         disks: Sequence[Disk], networks: Sequence[NetworkInterface],
                         cloud_init_storage: Storage | None = None) -> None:
        """Check the valid props against the graph: the node is in the cluster the guest is defined in, the
        VMID is free there, each volume's storage holds it on that node and each bridge exists there."""
        problems: list[Problem] = []

        def add(field_name: str, text: str, fix: str) -> None:
            problems.append(Problem(path(), field_name, text, fix))

        cluster = node.cluster
        # A guest defined in a stack (the common case) has no enclosing cluster; asking jsii for the scopes
        # of every guest would cost round trips for nothing.
        enclosing = None if isinstance(scope, _cdk.TerraformStack) else next(
            (s for s in reversed(scope.node.scopes) if isinstance(s, ClusterBase)), None)
        if enclosing is not None and enclosing is not cluster:
            add("node", f"node {node.name} is not in cluster {enclosing.name}",
                f"pick a node of {enclosing.name}, or define the guest outside that cluster")
        elif not any(n is node for n in cluster.nodes):
            add("node", f"node {node.name} is not in cluster {cluster.name}", "add it with cluster.add_node first")
        other = cluster.guest(vm_id)
        if other is not None:
            add("vm_id", f"VMID {vm_id} is already taken by {other.node.path}",
                "give every guest of the cluster its own VMID")
        for i, disk in enumerate(disks):
            self._check_storage(path, f"{self.disk_prop(i)}.storage", disk.storage, self._ROOT_CONTENT, node,
                                problems)
        for i, nic in enumerate(networks):
            bridge = nic.bridge_name
            # A VNet is on its zone's nodes once applied; the policy checks its cluster and nodes.
            if nic.vnet is None and bridge != "vmbr0" and not node.has_bridge(bridge):
                add(f"networks[{i}].bridge", f"node {node.name} has no bridge {bridge}",
                    f"add it with node.add_bridge({bridge!r}, ...) first, or use vmbr0")
        if cloud_init_storage is not None:
            self._check_storage(path, "cloud_init.storage", cloud_init_storage, ContentType.IMAGES, node, problems)
        if problems:
            raise ConfigError(problems)

    @staticmethod
    def disk_prop(index: int) -> str:
        """The prop that gives the guest's disk ``index``, as problems name it."""
        return f"disks[{index}]"

    @staticmethod
    def _check_storage(path: LazyPath, field_name: str, storage: Storage, content: ContentType, node: NodeBase,
                       problems: list[Problem]) -> None:
        owner = getattr(storage, "cluster", None)
        if isinstance(owner, ClusterBase) and owner is not node.cluster:
            problems.append(Problem(path(), field_name, f"storage {storage.node.id} belongs to cluster {owner.name}, "
                                    f"the guest runs on {node.name} of cluster {node.cluster.name}",
                                    f"use a storage of {node.cluster.name}, or define the guest on a node of "
                                    f"{owner.name}"))
        elif not storage.holds(content):
            held = ", ".join(sorted(c.value for c in storage.content)) or "nothing"
            problems.append(Problem(path(), field_name, f"storage {storage.node.id} does not hold {content.value} "
                                    f"(it holds {held})",
                                    f"put the disk on a storage with {content.value} in its content, or add "
                                    f"{content.value} to {storage.node.id}'s content"))
        elif not storage.available_on(node):
            problems.append(Problem(path(), field_name, f"storage {storage.node.id} is not defined on node {node.name}",
                                    f"use a storage defined on {node.name}, or add {node.name} to its nodes"))

    def _register(self, where: LazyPath, *, node: NodeBase, vm_id: int, disks: Sequence[Disk],
                  cpu_type: str | None, allow_host_cpu: bool, networks: Sequence[NetworkInterface],
                  clone: CloneModel | None = None) -> None:
        """Hold the checked props and join the cluster's model (the policy's view of the guest)."""
        self._node = node
        self._vm_id = vm_id
        self._disks = tuple(disks)
        self._cpu_type = cpu_type
        self._allow_host_cpu = allow_host_cpu
        self._bridges = tuple(n.bridge_name for n in networks if n.vnet is None)
        self._vnets = tuple(dict.fromkeys(n.vnet for n in networks if n.vnet is not None))
        self._replications: list[Any] = []
        volumes = tuple(
            VolumeModel(f"{self.disk_prop(i)}.storage" if i < len(self._disks) else "cloud_init.storage",
                        storage.construct_id, storage.storage_type, storage.shared,
                        self._disks[i].replicate if i < len(self._disks) else True,
                        frozenset(n.name for n in storage.nodes) if storage.nodes is not None else None)
            for i, storage in enumerate(self.volumes))
        self._model = GuestModel(vm_id, self.ha_resource_id, node.name, where, cpu_type=cpu_type,
                                 host_cpu=self.passes_host_cpu, allow_host_cpu=allow_host_cpu, volumes=volumes,
                                 bridges=self._bridges, clone=clone,
                                 vnets=tuple(v.model for v in self._vnets))
        node.cluster.join_guest(self, self._model)

    def _common_attrs(self, *, tags: Sequence[str], pool: Pool | None, started: bool,
                      protection: bool) -> dict[str, Any]:
        """The L1 arguments of VMs and containers alike; the guest is created after the cluster's membership, and
        after the SDN applier of each VNet it is on (a VNet's bridge exists on the nodes only once applied).

        ``node_name`` is where the guest is created; bpg never acts on a change of it (it would replace a
        container, and read an HA relocation as drift): the guest's ``pvecdk_guest_placement`` migrates it.
        """
        appliers = list(dict.fromkeys(v.applier for v in self._vnets))
        return {"node_name": self._node.name, "vm_id": self._vm_id, "started": started,
                "tags": sorted(set(tags)) or None, "pool_id": pool.pool_id if pool else None,
                "protection": protection or None, "depends_on": [self.cluster.membership, *appliers],
                "lifecycle": _cdk.TerraformResourceLifecycle(ignore_changes=["node_name"])}

    # -- attributes

    @property
    def vm_id(self) -> int:
        """The VMID."""
        return self._vm_id

    @property
    def node_name(self) -> str:
        """The name of the node the guest runs on."""
        return self._node.name

    @property
    def guest_node(self) -> NodeBase:
        """The node the guest runs on (``node`` is the construct tree's)."""
        return self._node

    @property
    def cluster(self) -> ClusterBase:
        return self._node.cluster

    @property
    def ha_resource_id(self) -> str:
        """PVE's HA resource id: ``vm:<vmid>`` or ``ct:<vmid>``."""
        return f"{self.KIND}:{self._vm_id}"

    @property
    def disks(self) -> tuple[Disk, ...]:
        """Every volume of the guest (VM disks, cloud-init drive excluded; a container's root volume)."""
        return self._disks

    @property
    def volumes(self) -> tuple[Storage, ...]:
        """The storage of each of its volumes, in the order of :attr:`disks`."""
        return tuple(d.storage for d in self._disks)

    @property
    def cpu_type(self) -> str | None:
        return self._cpu_type

    @property
    def allow_host_cpu(self) -> bool:
        return self._allow_host_cpu

    @property
    def passes_host_cpu(self) -> bool:
        """Whether its CPU type passes the node's own CPU through (:data:`HOST_CPU_TYPES`): the policy's
        migration rule asks this, so the set of such types is kept in one place."""
        return self._cpu_type in HOST_CPU_TYPES

    @property
    def bridges(self) -> tuple[str, ...]:
        """The bridges its network interfaces are on (SDN VNets excepted: see :attr:`vnets`)."""
        return self._bridges

    @property
    def vnets(self) -> tuple[Any, ...]:
        """The SDN VNets its network interfaces are on (:class:`~pvecdk.sdn.Vnet`)."""
        return self._vnets

    @property
    def replications(self) -> tuple[Any, ...]:
        """The replication jobs of this guest (:class:`~pvecdk.replication.Replication`)."""
        return tuple(self._replications)

    def join_replication(self, job: Any, target: str) -> None:
        """Record a replication job of this guest to node ``target`` (its constructor calls this)."""
        self.cluster.model.add_replica(self._vm_id, target)
        self._replications.append(job)

