"""SDN zones and the EVPN controller: where tenants' VNets live and how their traffic crosses the nodes.

* :class:`SimpleZone` (``proxmox_sdn_zone_simple``): an isolated bridge per node, routed and NATed by the node
  (a subnet's gateway and SNAT), optionally with PVE's DHCP server. Guests on different nodes do not share a
  layer 2.
* :class:`VlanZone` (``proxmox_sdn_zone_vlan``): each VNet a VLAN on a bridge every node of the zone has.
* :class:`QinqZone` (``proxmox_sdn_zone_qinq``): VLANs stacked inside a service VLAN on such a bridge.
* :class:`VxlanZone` (``proxmox_sdn_zone_vxlan``): each VNet a VXLAN tunnel between the nodes' addresses
  (``peers``).
* :class:`EvpnZone` (``proxmox_sdn_zone_evpn``) with :class:`EvpnController` (``proxmox_sdn_controller_evpn``):
  VXLAN with BGP EVPN, routed by the nodes (anycast gateway), leaving through exit nodes.

Checked when defined: the zone id (PVE's format, 2-8 letters and digits; unique in the cluster), its nodes (of
its cluster), a VLAN or QinQ zone's bridge (on every node of the zone), the service VLAN (1-4094), VXLAN and
EVPN peers (addresses of the cluster's nodes, one for every node of the zone), the EVPN controller's ASN
(1-4294967295) and the VRF's VXLAN id (1-16777215, unique), exit nodes (of the zone).
Every zone, VNet and subnet joins its cluster's :class:`~pvecdk.sdn.base.Sdn`, whose applier runs after them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainValidator

from pvecdk import _cdk
from pvecdk._base import ClusterBase, NodeBase
from pvecdk._fault import Fault
from pvecdk._validation import LazyPath, Props, as_sequence, check_props, instance_of, whole_number
from pvecdk._values import NetworkRole
from pvecdk.bpg import (
    network_linux_bridge,
    sdn_controller_evpn,
    sdn_zone_evpn,
    sdn_zone_qinq,
    sdn_zone_simple,
    sdn_zone_vlan,
    sdn_zone_vxlan,
)
from pvecdk.errors import ConfigError, Problem
from pvecdk.sdn.base import Sdn, ZoneBase, ZoneKind, check_peers, peer_role, resolve_cluster, sdn_id
from pvecdk.sdn.vnets import Vnet

__all__ = ["EvpnController", "EvpnZone", "QinqZone", "SimpleZone", "VlanZone", "VxlanZone", "Zone"]

_BRIDGE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,14}$")
_CONTROLLER_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*[A-Za-z0-9]$")
Bridge = str | network_linux_bridge.NetworkLinuxBridge

_Node = Annotated[NodeBase, PlainValidator(instance_of(NodeBase, "pass the nodes cluster.add_node(...) returned",
                                                       name="Node"))]


def _nodes(value: tuple[NodeBase, ...] | None) -> tuple[NodeBase, ...] | None:
    if value is None:
        return value
    if not value:
        raise Fault("an empty node list spans no node", "list nodes, or leave nodes unset for every node")
    names = [n.name for n in value]
    if len(set(names)) != len(names):
        raise Fault(f"a node is listed twice in {names}", "list each node once")
    return value


def _ipam(value: str) -> str:
    if not _CONTROLLER_ID.match(value):
        raise Fault(f"{value!r} is not an IPAM id", "give the id of an IPAM plugin, such as pve (PVE's own), or "
                    "leave ipam as pve")
    return value


def _bridge_name(value: Any) -> str:
    return str(value.name_input) if isinstance(value, network_linux_bridge.NetworkLinuxBridge) else str(value)


def _bridge(value: Any) -> Any:
    if not isinstance(value, (str, network_linux_bridge.NetworkLinuxBridge)):
        raise Fault(f"{value!r} is not a bridge", "give its name, such as vmbr0, or what node.add_bridge returned")
    if not _BRIDGE.match(_bridge_name(value)):
        raise Fault(f"{_bridge_name(value)!r} is not a bridge name", "give a bridge such as vmbr0")
    return value


class _ZoneProps(Props):
    zone_id: Annotated[str, AfterValidator(sdn_id("zone", "tenants"))]
    nodes: Annotated[tuple[_Node, ...], BeforeValidator(as_sequence), AfterValidator(_nodes)] | None
    mtu: Annotated[int, whole_number(576, 65520, "MTU must be 576-65520", "give the MTU in bytes, such as 1450, "
                                     "or leave it unset")] | None
    ipam: Annotated[str, AfterValidator(_ipam)] | None


class _SimpleZoneProps(_ZoneProps):
    dhcp: bool


class _BridgedZoneProps(_ZoneProps):
    bridge: Annotated[Bridge, PlainValidator(_bridge)]


class _QinqZoneProps(_BridgedZoneProps):
    service_vlan: Annotated[int, whole_number(1, 4094, "the service VLAN must be 1-4094", "pick a VLAN in 1-4094")]
    service_vlan_protocol: Annotated[str, AfterValidator(lambda v: _one_of(v, ("802.1q", "802.1ad")))] | None


class _PeeredZoneProps(_ZoneProps):
    peers: Annotated[tuple[str, ...], BeforeValidator(as_sequence)] | None
    peer_network: NetworkRole | None


def _one_of(value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise Fault(f"{value!r} is not one of {', '.join(choices)}", f"pick {' or '.join(choices)}")
    return value


class Zone(ZoneBase):
    """What every zone does: define it in its cluster's SDN, check its nodes, add VNets.

    Not created directly: use :class:`SimpleZone`, :class:`VlanZone`, :class:`QinqZone`, :class:`VxlanZone`
    or :class:`EvpnZone`.
    """

    def _define(self, scope: _cdk.Construct, id: str, path: LazyPath, props: _ZoneProps, cluster: Any,
                found: list[tuple[str, str, str]] | None = None) -> ClusterBase:
        """Check the zone against its cluster (its nodes, its unique id) and join the construct tree."""
        resolved = resolve_cluster(scope, path, cluster, props.nodes)
        problems = [Problem(path(), field, what, fix) for field, what, fix in found or ()]
        for i, node in enumerate(props.nodes or ()):
            if node.cluster is not resolved:
                problems.append(Problem(path(), f"nodes[{i}]", f"node {node.name} is not in cluster {resolved.name}",
                                        f"list nodes of {resolved.name}"))
        sdn = resolved.part(Sdn)
        other = sdn.zones.get(props.zone_id) if sdn is not None else None
        if other is not None:
            problems.append(Problem(path(), "zone_id", f"zone id {props.zone_id} is already taken by "
                                    f"{other.node.path}", "give every zone of the cluster its own id"))
        if problems:
            raise ConfigError(problems)
        super().__init__(scope, id)
        self._join(resolved, props.zone_id, props.nodes)
        return resolved

    def _common(self, props: _ZoneProps) -> dict[str, Any]:
        return {"id": props.zone_id, "nodes": sorted(n.name for n in props.nodes) if props.nodes else None,
                "mtu": props.mtu, "ipam": props.ipam, "depends_on": self.sdn.depends_on}

    def _created(self) -> None:
        self.sdn.join(self.resource)

    @classmethod
    def from_id(cls, scope: _cdk.Construct, zone_id: str, *, kind: ZoneKind | str,
                cluster: ClusterBase | None = None, nodes: Sequence[NodeBase] | None = None,
                dhcp: bool = False) -> Zone:
        """Refer to a zone that exists (another stack's, such as a platform's); nothing is added to the plan.

        VNets added to it (``add_vnet``) are checked against what is given here: ``kind`` (PVE's zone type) for
        their tags, ``nodes`` (default every node) for the guests on them, ``dhcp`` for their subnets' DHCP
        ranges. ``zone_id`` doubles as the construct id.
        """
        return _ReferencedZone(scope, zone_id, zone_id=zone_id, kind=kind, cluster=cluster, nodes=nodes, dhcp=dhcp)

    def add_vnet(self, id: str, *, vnet_id: str | None = None, tag: int | None = None, alias: str | None = None,
                 vlan_aware: bool = False, isolate_ports: bool = False) -> Vnet:
        """Add a VNet to the zone (child ``id``); returns it. See :class:`~pvecdk.sdn.vnets.Vnet`."""
        return Vnet(self, id, zone=self, vnet_id=vnet_id, tag=tag, alias=alias, vlan_aware=vlan_aware,
                    isolate_ports=isolate_ports)


class _ReferencedZoneProps(_ZoneProps):
    kind: ZoneKind
    dhcp: bool


class _ReferencedZone(Zone):
    """A zone that exists: what :meth:`Zone.from_id` returns."""

    def __init__(self, scope: _cdk.Construct, id: str, *, zone_id: str, kind: ZoneKind | str,
                 cluster: ClusterBase | None, nodes: Sequence[NodeBase] | None, dhcp: bool) -> None:
        path = LazyPath(scope, id)
        props = check_props(_ReferencedZoneProps, path, {"zone_id": zone_id, "nodes": nodes, "mtu": None,
                                                         "ipam": None, "kind": kind, "dhcp": dhcp})
        self._kind = props.kind
        self._dhcp = dhcp
        self._define(scope, id, path, props, cluster)
        self.resource = None

    @property
    def kind(self) -> ZoneKind:
        return self._kind

    @property
    def dhcp(self) -> bool:
        return self._dhcp


def _bridge_problems(props: _BridgedZoneProps, nodes: Sequence[NodeBase]) -> list[tuple[str, str, str]]:
    name = _bridge_name(props.bridge)
    if name == "vmbr0":
        return []
    lacking = [n.name for n in nodes if not n.has_bridge(name)]
    if not lacking:
        return []
    return [("bridge", f"{', '.join(lacking)} ha{'s' if len(lacking) == 1 else 've'} no bridge {name}",
             f"add it with node.add_bridge({name!r}, ...) on every node of the zone, or use vmbr0")]


def _zone_nodes(scope: _cdk.Construct, path: LazyPath, props: _ZoneProps, cluster: Any) -> tuple[NodeBase, ...]:
    return tuple(props.nodes) if props.nodes else resolve_cluster(scope, path, cluster).nodes


class SimpleZone(Zone):
    """A simple SDN zone (``proxmox_sdn_zone_simple``): an isolated bridge per node, routed by the node.

    Example::

        zone = SimpleZone(stack, "Tenants", zone_id="tenants", dhcp=True)
        zone.add_vnet("Web", vnet_id="web").add_subnet("10.10.0.0/24", gateway="10.10.0.1", snat=True)
    """

    KIND = ZoneKind.SIMPLE

    def __init__(self, scope: _cdk.Construct, id: str, *, zone_id: str | None = None,
                 cluster: ClusterBase | None = None,
                 nodes: Sequence[NodeBase] | None = None, dhcp: bool = False, mtu: int | None = None,
                 ipam: str | None = "pve") -> None:
        """Define a simple zone.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            zone_id: PVE's zone id (``zone``): 2-8 letters and digits, starting with a letter. Defaults to the
                construct id.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            nodes: The nodes the zone spans (``nodes``). Defaults to every node.
            dhcp: Run PVE's DHCP server (dnsmasq) for the subnets' DHCP ranges (``dhcp``). Defaults to off.
            mtu: The VNets' MTU in bytes. Defaults to PVE's (that of the node's uplink).
            ipam: The IPAM plugin that records the guests' addresses (``ipam``). Defaults to ``pve``, which
                DHCP needs.
        """
        path = LazyPath(scope, id)
        props = check_props(_SimpleZoneProps, path, {"zone_id": id if zone_id is None else zone_id,
                                                     "nodes": nodes, "mtu": mtu, "ipam": ipam, "dhcp": dhcp})
        found = [("dhcp", "DHCP needs the pve IPAM, which records the leases", "leave ipam as pve")] if (
            dhcp and ipam != "pve") else []
        self._define(scope, id, path, props, cluster, found)
        self._dhcp = dhcp
        self.resource = sdn_zone_simple.SdnZoneSimple(self, "Resource", **self._common(props),
                                                      dhcp="dnsmasq" if dhcp else None)
        self._created()

    @property
    def dhcp(self) -> bool:
        return self._dhcp


class VlanZone(Zone):
    """A VLAN SDN zone (``proxmox_sdn_zone_vlan``): each VNet a VLAN (its tag) on a bridge of every node.

    Example::

        zone = VlanZone(stack, "Vlans", zone_id="vlans", bridge="vmbr1")
        zone.add_vnet("Web", vnet_id="web", tag=120)
    """

    KIND = ZoneKind.VLAN

    def __init__(self, scope: _cdk.Construct, id: str, *, zone_id: str | None = None,
                 cluster: ClusterBase | None = None,
                 bridge: Bridge = "vmbr0", nodes: Sequence[NodeBase] | None = None, mtu: int | None = None,
                 ipam: str | None = "pve") -> None:
        """Define a VLAN zone.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            zone_id: PVE's zone id: 2-8 letters and digits, starting with a letter. Defaults to the construct id.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            bridge: The bridge that carries the VLANs, on every node of the zone (by name, or as returned by
                ``node.add_bridge``). Defaults to vmbr0.
            nodes: The nodes the zone spans. Defaults to every node.
            mtu: The VNets' MTU in bytes. Defaults to the bridge's.
            ipam: The IPAM plugin. Defaults to ``pve``.
        """
        path = LazyPath(scope, id)
        props = check_props(_BridgedZoneProps, path, {"zone_id": id if zone_id is None else zone_id,
                                                      "nodes": nodes, "mtu": mtu, "ipam": ipam, "bridge": bridge})
        found = _bridge_problems(props, _zone_nodes(scope, path, props, cluster))
        self._define(scope, id, path, props, cluster, found)
        self.resource = sdn_zone_vlan.SdnZoneVlan(self, "Resource", **self._common(props),
                                                  bridge=_bridge_name(props.bridge))
        self._created()


class QinqZone(Zone):
    """A QinQ SDN zone (``proxmox_sdn_zone_qinq``): each VNet a customer VLAN inside the zone's service VLAN.

    Example::

        zone = QinqZone(stack, "Stacked", zone_id="stacked", bridge="vmbr1", service_vlan=300)
        zone.add_vnet("Web", vnet_id="web", tag=120)
    """

    KIND = ZoneKind.QINQ

    def __init__(self, scope: _cdk.Construct, id: str, *, service_vlan: int, zone_id: str | None = None,
                 cluster: ClusterBase | None = None, bridge: Bridge = "vmbr0",
                 service_vlan_protocol: str | None = None, nodes: Sequence[NodeBase] | None = None,
                 mtu: int | None = None, ipam: str | None = "pve") -> None:
        """Define a QinQ zone.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            service_vlan: The outer (service) VLAN id, 1-4094 (``tag``).
            zone_id: PVE's zone id: 2-8 letters and digits, starting with a letter. Defaults to the construct id.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            bridge: The bridge that carries the service VLAN, on every node of the zone. Defaults to vmbr0.
            service_vlan_protocol: ``802.1q`` or ``802.1ad`` (``vlan-protocol``). Defaults to PVE's (802.1q).
            nodes: The nodes the zone spans. Defaults to every node.
            mtu: The VNets' MTU in bytes (4 bytes less than the bridge's for the second tag). Defaults to PVE's.
            ipam: The IPAM plugin. Defaults to ``pve``.
        """
        path = LazyPath(scope, id)
        props = check_props(_QinqZoneProps, path, {
            "zone_id": id if zone_id is None else zone_id, "nodes": nodes, "mtu": mtu, "ipam": ipam,
            "bridge": bridge, "service_vlan": service_vlan, "service_vlan_protocol": service_vlan_protocol})
        found = _bridge_problems(props, _zone_nodes(scope, path, props, cluster))
        self._define(scope, id, path, props, cluster, found)
        self.resource = sdn_zone_qinq.SdnZoneQinq(self, "Resource", **self._common(props),
                                                  bridge=_bridge_name(props.bridge), service_vlan=service_vlan,
                                                  service_vlan_protocol=service_vlan_protocol)
        self._created()


def _peers(scope: _cdk.Construct, path: LazyPath, props: _PeeredZoneProps | _ControllerProps, cluster: Any,
           nodes: Sequence[NodeBase]) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The peers given (checked), or the nodes' addresses on the peer network."""
    resolved = resolve_cluster(scope, path, cluster, list(nodes))
    if props.peers is None:
        role = peer_role(resolved, props.peer_network)
        lacking = [n.name for n in nodes if role not in n.addresses]
        if lacking:
            return [], [("peer_network", f"{', '.join(lacking)} ha{'s' if len(lacking) == 1 else 've'} no address "
                         f"on the {role.value} network", "pick a network every node has an address on, or give "
                         "peers=...")]
        return [n.addresses[role] for n in nodes], []
    return list(props.peers), check_peers(resolved, nodes, props.peers)


class VxlanZone(Zone):
    """A VXLAN SDN zone (``proxmox_sdn_zone_vxlan``): each VNet a VXLAN tunnel between the nodes (its tag the
    VXLAN network identifier).

    VXLAN adds 50 bytes to each packet: give ``mtu`` 50 less than the underlay's (1450 on a 1500 network).
    Example::

        zone = VxlanZone(stack, "Overlay", zone_id="overlay", mtu=1450)
        zone.add_vnet("Web", vnet_id="web", tag=10120)
    """

    KIND = ZoneKind.VXLAN

    def __init__(self, scope: _cdk.Construct, id: str, *, zone_id: str | None = None,
                 cluster: ClusterBase | None = None,
                 peers: Sequence[str] | None = None, peer_network: NetworkRole | None = None,
                 nodes: Sequence[NodeBase] | None = None, mtu: int | None = None, ipam: str | None = "pve") -> None:
        """Define a VXLAN zone.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            zone_id: PVE's zone id: 2-8 letters and digits, starting with a letter. Defaults to the construct id.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            peers: The nodes' addresses the tunnels run between (``peers``): an address of every node of the
                zone, and nothing else. Defaults to the zone's nodes' addresses on ``peer_network``.
            peer_network: The network whose addresses are the peers. Defaults to the cluster network, or the
                management network when the cluster has none.
            nodes: The nodes the zone spans. Defaults to every node.
            mtu: The VNets' MTU in bytes. Defaults to PVE's.
            ipam: The IPAM plugin. Defaults to ``pve``.
        """
        path = LazyPath(scope, id)
        props = check_props(_PeeredZoneProps, path, {
            "zone_id": id if zone_id is None else zone_id, "nodes": nodes, "mtu": mtu, "ipam": ipam,
            "peers": peers, "peer_network": peer_network})
        resolved_peers, found = _peers(scope, path, props, cluster, _zone_nodes(scope, path, props, cluster))
        self._define(scope, id, path, props, cluster, found)
        self.peers = tuple(resolved_peers)
        self.resource = sdn_zone_vxlan.SdnZoneVxlan(self, "Resource", **self._common(props),
                                                    peers=sorted(resolved_peers))
        self._created()


class _ControllerProps(Props):
    controller_id: str
    asn: Annotated[int, whole_number(1, 4_294_967_295, "ASN must be 1-4294967295",
                                     "give the BGP AS number, such as 65000 (private: 64512-65534)")]
    peers: Annotated[tuple[str, ...], BeforeValidator(as_sequence)] | None
    peer_network: NetworkRole | None


class EvpnController(_cdk.Construct):
    """An EVPN controller (``proxmox_sdn_controller_evpn``): the BGP EVPN sessions between the nodes.

    Example::

        evpn = EvpnController(stack, "Evpn", controller_id="evpn", asn=65000)
        EvpnZone(stack, "Routed", zone_id="routed", controller=evpn, vrf_vxlan=10000)
    """

    def __init__(self, scope: _cdk.Construct, id: str, *, asn: int, controller_id: str | None = None,
                 cluster: ClusterBase | None = None, peers: Sequence[str] | None = None,
                 peer_network: NetworkRole | None = None) -> None:
        """Define an EVPN controller.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            asn: The nodes' BGP AS number, 1-4294967295 (``asn``).
            controller_id: PVE's controller id (``controller``): a letter, then letters, digits, '-' and '_', at
                most 64. Defaults to the construct id.
            cluster: The cluster. Defaults to the stack's only cluster.
            peers: The nodes' addresses the BGP sessions run between: addresses of the cluster's nodes, one for
                every node. Defaults to every node's address on ``peer_network``.
            peer_network: The network whose addresses are the peers. Defaults to the cluster network, or the
                management network when the cluster has none.
        """
        path = LazyPath(scope, id)
        cid = id if controller_id is None else controller_id
        props = check_props(_ControllerProps, path, {"controller_id": cid, "asn": asn, "peers": peers,
                                                     "peer_network": peer_network})
        resolved = resolve_cluster(scope, path, cluster)
        resolved_peers, found = _peers(scope, path, props, resolved, resolved.nodes)
        if not _CONTROLLER_ID.match(cid) or len(cid) > 64:
            found.insert(0, ("controller_id", f"{cid!r} is not a controller id (it defaults to the construct id)",
                             "pass controller_id= of a letter, then letters, digits, '-' and '_', at most 64"))
        sdn = resolved.part(Sdn)
        if sdn is not None and cid in sdn.controllers:
            found.append(("controller_id", f"controller id {cid} is already taken by {sdn.controllers[cid].node.path}",
                          "give every controller of the cluster its own id"))
        if found:
            raise ConfigError([Problem(path(), f, what, fix) for f, what, fix in found])
        super().__init__(scope, id)
        self.cluster = resolved
        self.controller_id = cid
        self.peers = tuple(resolved_peers)
        self.sdn = Sdn.of(resolved)
        self.sdn.controllers[cid] = self
        self.resource = sdn_controller_evpn.SdnControllerEvpn(
            self, "Resource", id=cid, asn=asn, peers=sorted(resolved_peers), depends_on=self.sdn.depends_on)
        self.sdn.join(self.resource)


class _EvpnZoneProps(_ZoneProps):
    controller: Annotated[EvpnController, PlainValidator(instance_of(
        EvpnController, "pass an EvpnController(...) of the zone's cluster"))]
    vrf_vxlan: Annotated[int, whole_number(1, 16_777_215, "the VRF's VXLAN id must be 1-16777215",
                                           "pick an id in 1-16777215 no VNet uses")]
    exit_nodes: Annotated[tuple[_Node, ...], BeforeValidator(as_sequence)] | None
    primary_exit_node: _Node | None
    advertise_subnets: bool


class EvpnZone(Zone):
    """An EVPN SDN zone (``proxmox_sdn_zone_evpn``): VXLAN VNets routed by the nodes, through an
    :class:`EvpnController`; traffic leaves through the exit nodes.

    Example::

        zone = EvpnZone(stack, "Routed", zone_id="routed", controller=evpn, vrf_vxlan=10000, exit_nodes=[pve1])
        zone.add_vnet("Web", vnet_id="web", tag=11000).add_subnet("10.20.0.0/24", gateway="10.20.0.1")
    """

    KIND = ZoneKind.EVPN

    def __init__(self, scope: _cdk.Construct, id: str, *, controller: EvpnController, vrf_vxlan: int,
                 zone_id: str | None = None, exit_nodes: Sequence[NodeBase] | None = None,
                 primary_exit_node: NodeBase | None = None, advertise_subnets: bool = False,
                 nodes: Sequence[NodeBase] | None = None, mtu: int | None = None, ipam: str | None = "pve") -> None:
        """Define an EVPN zone.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            controller: The EVPN controller of the zone's cluster.
            vrf_vxlan: The VXLAN id of the zone's VRF, 1-16777215, used by no VNet (``vrf-vxlan``).
            zone_id: PVE's zone id: 2-8 letters and digits, starting with a letter. Defaults to the construct id.
            exit_nodes: The nodes that route the zone to the outside (``exitnodes``). Defaults to none.
            primary_exit_node: The exit node preferred for outgoing traffic (``exitnodes-primary``). Defaults to
                none (all alike).
            advertise_subnets: Announce the subnets' routes in BGP (``advertise-subnets``). Defaults to off.
            nodes: The nodes the zone spans. Defaults to every node.
            mtu: The VNets' MTU in bytes (50 less than the underlay's). Defaults to PVE's.
            ipam: The IPAM plugin. Defaults to ``pve``.
        """
        path = LazyPath(scope, id)
        props = check_props(_EvpnZoneProps, path, {
            "zone_id": id if zone_id is None else zone_id, "nodes": nodes, "mtu": mtu, "ipam": ipam,
            "controller": controller, "vrf_vxlan": vrf_vxlan, "exit_nodes": exit_nodes,
            "primary_exit_node": primary_exit_node, "advertise_subnets": advertise_subnets})
        cluster = controller.cluster
        found: list[tuple[str, str, str]] = []
        spans = {n.name for n in _zone_nodes(scope, path, props, cluster)}
        for i, node in enumerate(props.exit_nodes or ()):
            if node.name not in spans or node.cluster is not cluster:
                found.append((f"exit_nodes[{i}]", f"node {node.name} is not a node of the zone",
                              "pick exit nodes among the zone's nodes"))
        if primary_exit_node is not None and primary_exit_node not in (props.exit_nodes or ()):
            found.append(("primary_exit_node", f"node {primary_exit_node.name} is not an exit node",
                          "pick the primary among exit_nodes"))
        sdn = cluster.part(Sdn)
        if sdn is not None and not isinstance(vrf_vxlan, float):
            for zone in sdn.zones.values():
                if vrf_vxlan in zone.tags_in_use() or getattr(zone, "vrf_vxlan", None) == vrf_vxlan:
                    found.append(("vrf_vxlan", f"VXLAN id {vrf_vxlan} is already used in zone {zone.zone_id}",
                                  "pick an id no VNet or other VRF uses"))
                    break
        self._define(scope, id, path, props, cluster, found)
        self.controller = controller
        self.vrf_vxlan = vrf_vxlan
        self.resource = sdn_zone_evpn.SdnZoneEvpn(
            self, "Resource", **self._common(props), controller=controller.resource.id, vrf_vxlan=vrf_vxlan,
            exit_nodes=sorted(n.name for n in props.exit_nodes) if props.exit_nodes else None,
            primary_exit_node=primary_exit_node.name if primary_exit_node is not None else None,
            advertise_subnets=advertise_subnets or None)
        self._created()
