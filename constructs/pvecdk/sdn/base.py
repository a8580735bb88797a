"""What the rest of the library knows of a cluster's SDN: its applier, the ids it holds, zones and VNets.

PVE keeps SDN objects (zones, VNets, subnets, controllers) as a pending configuration until an *apply*
(``PUT /cluster/sdn``) writes it to every node. :class:`Sdn` is a cluster's SDN: the one applier of the
cluster (``proxmox_sdn_applier``), created with the first SDN object, which waits for every SDN resource of the
stack and is replaced (so it applies again) whenever one of them changes; guests on a VNet wait for it. Its
finalizer applies once when the stack's SDN is destroyed, after the objects are deleted.
It also holds the ids of the cluster's zones, VNets and controllers, which PVE requires to be unique.

:class:`ZoneBase` and :class:`VnetBase` are what VNets, subnets and guests read of a zone and a VNet; the
constructs users write (:mod:`pvecdk.sdn.zones`, :mod:`pvecdk.sdn.vnets`) build on them.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from pvecdk import _cdk
from pvecdk._base import ClusterBase, NodeBase, clusters_of_stack
from pvecdk._fault import Fault
from pvecdk._model import VnetModel
from pvecdk._values import NetworkRole
from pvecdk.bpg import sdn_applier
from pvecdk.errors import ConfigError, Problem
from pvecdk.storage._owned import dependable_ref

__all__ = ["TAGS", "Sdn", "VnetBase", "ZoneBase", "ZoneKind", "check_peers", "peer_role", "resolve_cluster", "sdn_id"]

# PVE's pve-sdn-zone-id and pve-sdn-vnet-id: a letter, then letters and digits, 2-8 in all (an interface name
# is built from it).
_SDN_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]*[A-Za-z0-9]$")
MAX_SDN_ID = 8


class ZoneKind(enum.StrEnum):
    """PVE's SDN zone types."""

    SIMPLE = "simple"
    VLAN = "vlan"
    QINQ = "qinq"
    VXLAN = "vxlan"
    EVPN = "evpn"


#: The tag a VNet of each kind of zone takes (VLAN id, or VXLAN network identifier): its range, and its name.
TAGS: dict[ZoneKind, tuple[int, int, str] | None] = {
    ZoneKind.SIMPLE: None,
    ZoneKind.VLAN: (1, 4094, "VLAN id"),
    ZoneKind.QINQ: (1, 4094, "customer VLAN id"),
    ZoneKind.VXLAN: (1, 16_777_215, "VXLAN network identifier"),
    ZoneKind.EVPN: (1, 16_777_215, "VXLAN network identifier"),
}


def sdn_id(kind: str, example: str) -> Callable[[str], str]:
    """The check of a zone or VNet id (PVE's format, at most 8 characters)."""

    def check(value: str) -> str:
        if not _SDN_ID.match(value) or len(value) > MAX_SDN_ID:
            raise Fault(f"{value!r} is not a {kind} id (PVE: 2-{MAX_SDN_ID} letters and digits, starting with a "
                        "letter)", f"pass {kind}_id= of 2-{MAX_SDN_ID} letters and digits, such as {example} (it "
                        "defaults to the construct id)")
        return value

    return check


def resolve_cluster(scope: _cdk.Construct, path: Callable[[], str], cluster: Any,
                    nodes: Sequence[Any] | None = None) -> ClusterBase:
    """The cluster given, else that of the nodes given, else the stack's only one."""
    if cluster is not None:
        if not isinstance(cluster, ClusterBase):
            raise ConfigError([Problem(path(), "cluster", f"{cluster!r} is not a Cluster",
                                       "pass the Cluster the SDN object belongs to")])
        return cluster
    if nodes:
        first = nodes[0]
        if isinstance(first, NodeBase):
            return first.cluster
    clusters = clusters_of_stack(_cdk.TerraformStack.of(scope))
    if len(clusters) != 1:
        raise ConfigError([Problem(path(), "cluster", f"the stack has {len(clusters)} clusters, so which one "
                                   "this belongs to is not clear", "pass cluster=...")])
    return clusters[0]


def peer_role(cluster: ClusterBase, role: NetworkRole | None) -> NetworkRole:
    """The network whose addresses are VXLAN and EVPN peers: the one given, else the cluster network, else the
    management network."""
    if role is not None:
        return role
    return NetworkRole.CLUSTER if cluster.cluster_network is not None else NetworkRole.MANAGEMENT


def check_peers(cluster: ClusterBase, nodes: Sequence[NodeBase], peers: Sequence[str]) -> list[tuple[str, str, str]]:
    """Problems ``(field, what, fix)`` of peers that are not addresses of the cluster's nodes, and of nodes that
    have no address among the peers (the tunnels would not reach them)."""
    found: list[tuple[str, str, str]] = []
    owner = {ipaddress.ip_address(a): n for n in cluster.nodes for a in n.addresses.values()}
    reached: set[str] = set()
    for i, peer in enumerate(peers):
        try:
            ip = ipaddress.ip_address(peer)
        except ValueError:
            found.append((f"peers[{i}]", f"{peer!r} is not an IP address", "list the nodes' addresses, such as "
                          "10.0.0.11"))
            continue
        if ip in owner:
            reached.add(owner[ip].name)
        else:
            found.append((f"peers[{i}]", f"{peer} is no address of a node of cluster {cluster.name}",
                          "list only the addresses of the cluster's nodes (on one network)"))
    missing = [n.name for n in nodes if n.name not in reached]
    if missing and not found:  # a node lacking a peer is told only once every peer given is right
        found.append(("peers", f"{', '.join(missing)} ha{'s' if len(missing) == 1 else 've'} no address among the "
                      "peers, so no tunnel reaches " + ("it" if len(missing) == 1 else "them"),
                      "add an address of every node of the zone, or leave peers unset for the nodes' addresses"))
    return found


class Sdn(_cdk.Construct):
    """A cluster's SDN: its one applier (``proxmox_sdn_applier``) and the ids of its zones, VNets, controllers.

    Created with the first SDN object of the cluster (``Sdn.of(cluster)``); not created directly. The applier
    waits for every SDN resource of the cluster (``depends_on``) and is replaced when one of them changes
    (``replace_triggered_by``), so PVE applies the pending SDN configuration once per deploy, after the last
    change. Guests on a VNet of the cluster wait for the applier. A second ``proxmox_sdn_applier``, the
    finalizer, applies only when destroyed: every SDN resource waits for it, so destroying the stack deletes
    them first and applies once, at the end.
    """

    def __init__(self, scope: ClusterBase, id: str, *, cluster: ClusterBase) -> None:
        super().__init__(scope, id)
        cluster.attach(self)
        self.cluster = cluster
        self.zones: dict[str, ZoneBase] = {}
        self.vnets: dict[str, VnetBase] = {}
        self.controllers: dict[str, Any] = {}
        self._resources: list[Any] = []
        #: The applier: PUT /cluster/sdn once after every SDN change of the cluster in the stack (not when it is
        #: destroyed: the objects it waits for still exist then).
        self.applier = sdn_applier.SdnApplier(self, "Applier", on_destroy=False, depends_on=[cluster.membership])
        self._membership = list(self.applier.depends_on or ())  # a reference, whatever kind of element it is
        self.applier.render_late(self._render)
        #: The finalizer: PUT /cluster/sdn when the stack's SDN is destroyed. Every SDN object waits for it, so
        #: Terraform destroys it last, once the objects are deleted; it applies nothing when created.
        self.finalizer = sdn_applier.SdnApplier(self, "Finalizer", on_create=False, on_destroy=True,
                                                depends_on=[cluster.membership])

    @classmethod
    def of(cls, cluster: ClusterBase) -> Sdn:
        """The SDN of ``cluster``, created on first use."""
        found = cluster.part(Sdn)
        return found if found is not None else Sdn(cluster, "Sdn", cluster=cluster)

    @property
    def depends_on(self) -> list[Any]:
        """What every SDN resource of the cluster waits for: the cluster's membership and the finalizer."""
        return [self.cluster.membership, self.finalizer]

    @property
    def resources(self) -> tuple[Any, ...]:
        """The SDN resources the applier waits for, in the order created."""
        return tuple(self._resources)

    def join(self, resource: Any) -> None:
        """Make the applier wait for ``resource`` (an SDN object's L1 resource) and apply after it changes."""
        self._resources.append(resource)

    def _render(self) -> None:
        refs = [dependable_ref(r) for r in self._resources]
        self.applier.depends_on = [*self._membership, *refs]
        self.applier.lifecycle = _cdk.TerraformResourceLifecycle(replace_triggered_by=refs)


class ZoneBase(_cdk.Construct):
    """What VNets and subnets read of a zone: its id, kind, cluster, nodes, and its VNets and subnets."""

    KIND: ClassVar[ZoneKind]
    resource: Any

    def _join(self, cluster: ClusterBase, zone_id: str, nodes: Sequence[NodeBase] | None) -> None:
        self.cluster = cluster
        self.sdn = Sdn.of(cluster)
        self._zone_id = zone_id
        self._nodes = tuple(nodes) if nodes is not None else None
        self.vnets: list[VnetBase] = []
        #: Every subnet of the zone's VNets: (network, construct path), to refuse overlaps within the zone.
        self.subnets: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, Callable[[], str]]] = []
        self.sdn.zones[zone_id] = self

    @property
    def zone_id(self) -> str:
        """PVE's zone id (as given, never a token)."""
        return self._zone_id

    @property
    def nodes(self) -> tuple[NodeBase, ...]:
        """The nodes the zone spans (every node of the cluster unless restricted)."""
        return self._nodes if self._nodes is not None else self.cluster.nodes

    @property
    def restricted_to(self) -> frozenset[str] | None:
        """The names of the nodes the zone is restricted to, or None for every node."""
        return frozenset(n.name for n in self._nodes) if self._nodes is not None else None

    @property
    def kind(self) -> ZoneKind:
        """The zone's type."""
        return self.KIND

    @property
    def zone_ref(self) -> str:
        """The zone id for a VNet's ``zone``: a reference to an owned zone's resource (so the VNet is created
        after it), the id itself for a zone that exists."""
        return str(self.resource.id) if self.resource is not None else self._zone_id

    @property
    def routes(self) -> bool:
        """Whether the nodes route the zone's subnets (a gateway on the host, SNAT, DHCP): simple and EVPN."""
        return self.kind in (ZoneKind.SIMPLE, ZoneKind.EVPN)

    @property
    def dhcp(self) -> bool:
        """Whether PVE runs DHCP (dnsmasq) for the zone's subnets."""
        return False

    def tags_in_use(self) -> dict[int, VnetBase]:
        """The tags the zone's VNets have (literal ones), by tag."""
        return {v.tag: v for v in self.vnets if isinstance(v.tag, int)}


class VnetBase(_cdk.Construct):
    """What guests and subnets read of a VNet: its id, zone, cluster, and the model the rules see.

    A guest attaches to a VNet by passing it where a bridge goes (``NetworkInterface(bridge=vnet)``): the
    interface's bridge is then the VNet id, and the guest waits for the cluster's SDN applier.
    """

    zone: ZoneBase
    resource: Any

    def _join(self, zone: ZoneBase, vnet_id: str, tag: int | None) -> None:
        self.zone = zone
        self._vnet_id = vnet_id
        self.tag = tag
        self.model = VnetModel(vnet_id, zone.cluster.name, zone.restricted_to, lambda: str(self.node.path))
        zone.sdn.vnets[vnet_id] = self
        zone.vnets.append(self)

    @property
    def vnet_id(self) -> str:
        """PVE's VNet id: the bridge name its guests' interfaces get (as given, never a token)."""
        return self._vnet_id

    @property
    def cluster(self) -> ClusterBase:
        return self.zone.cluster

    @property
    def applier(self) -> Any:
        """The applier of the VNet's cluster: what guests on the VNet wait for."""
        return self.zone.sdn.applier
