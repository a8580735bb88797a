"""VNets and their subnets: the networks tenants' guests attach to.

A :class:`Vnet` is a virtual network in a zone (``proxmox_sdn_vnet``); every node the zone spans gets a bridge
named after the VNet id, which a guest's interface takes (``NetworkInterface(bridge=vnet)``). A
:class:`Subnet` (``proxmox_sdn_subnet``) gives it an IP range: a gateway the nodes answer on (simple and EVPN
zones), SNAT to leave through the node's own uplink, and a DHCP range PVE serves (simple zones with ``dhcp``).

Checked when defined: the VNet id (PVE's format, unique in the cluster, no node's bridge name), the tag the
zone's kind needs (none in a simple zone, a VLAN id 1-4094 in VLAN and QinQ zones, a VXLAN network
identifier 1-16777215 in VXLAN and EVPN zones; unique in the zone, and a VNI unique in the cluster); a
subnet's CIDR (the network address), its gateway (a host address inside it), SNAT (only with a gateway, only
where the nodes route), its DHCP range (inside the subnet, start before end, not covering the gateway; only in
a zone with DHCP) and no overlap with another subnet of the zone.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, PlainValidator

from pvecdk import _cdk
from pvecdk._fault import Fault
from pvecdk._validation import LazyPath, Props, check_props, instance_of, is_number_token, whole_number
from pvecdk.bpg import sdn_subnet, sdn_vnet
from pvecdk.errors import ConfigError, Problem
from pvecdk.sdn.base import TAGS, VnetBase, ZoneBase, ZoneKind, sdn_id

__all__ = ["DhcpRange", "Subnet", "Vnet"]

# PVE's pattern of a VNet alias: letters, digits, blanks and ()-_. , at most 256.
_ALIAS = re.compile(r"^[()\-_.\w\s]{0,256}$")
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _alias(value: str) -> str:
    if not _ALIAS.match(value):
        raise Fault(f"{value!r} is not a VNet alias", "use at most 256 letters, digits, blanks and ()-_.")
    return value


class _VnetProps(Props):
    zone: Annotated[ZoneBase, PlainValidator(instance_of(ZoneBase, "pass a zone, such as SimpleZone(...)",
                                                         name="zone"))]
    vnet_id: Annotated[str, AfterValidator(sdn_id("vnet", "tenant1"))]
    tag: Annotated[int, whole_number(None, None, "", "")] | None
    alias: Annotated[str, AfterValidator(_alias)] | None
    vlan_aware: bool
    isolate_ports: bool


class Vnet(VnetBase):
    """An SDN VNet (``proxmox_sdn_vnet``): a network in a zone, which guests attach to by reference.

    Example::

        web = zone.add_vnet("Web", vnet_id="web", tag=120)       # a VLAN zone's VNet on VLAN 120
        Vm(stack, "web-1", node=pve1, vm_id=101, networks=[NetworkInterface(bridge=web)])
    """

    def __init__(self, scope: _cdk.Construct, id: str, *, zone: ZoneBase, vnet_id: str | None = None,
                 tag: int | None = None, alias: str | None = None, vlan_aware: bool = False,
                 isolate_ports: bool = False) -> None:
        """Define a VNet.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            zone: The zone it is in.
            vnet_id: PVE's VNet id (``vnet``): 2-8 letters and digits, starting with a letter; guests' interfaces
                get it as their bridge. Defaults to the construct id.
            tag: The VLAN id (1-4094) in a VLAN zone, the customer VLAN id (1-4094) in a QinQ zone, the VXLAN
                network identifier (1-16777215) in a VXLAN or EVPN zone; none in a simple zone. Required
                except in a simple zone.
            alias: A description shown in PVE. Defaults to none.
            vlan_aware: Let guests tag their own VLANs inside the VNet (``vlanaware``). Defaults to off.
            isolate_ports: Guests on the VNet reach only the uplink, not each other (``isolate-ports``).
                Defaults to off.
        """
        path = LazyPath(scope, id)
        props = check_props(_VnetProps, path, {
            "zone": zone, "vnet_id": id if vnet_id is None else vnet_id, "tag": tag, "alias": alias,
            "vlan_aware": vlan_aware, "isolate_ports": isolate_ports})
        self._check(path, props)
        super().__init__(scope, id)
        self._join(zone, props.vnet_id, tag)
        self.resource = sdn_vnet.SdnVnet(
            self, "Resource", id=props.vnet_id, zone=zone.zone_ref, tag=tag, alias=alias,
            vlan_aware=vlan_aware or None, isolate_ports=isolate_ports or None,
            depends_on=zone.sdn.depends_on)
        zone.sdn.join(self.resource)

    @staticmethod
    def _check(path: LazyPath, props: _VnetProps) -> None:
        """The VNet against its zone and the cluster's SDN: the tag the zone's kind needs, unique ids and tags."""
        zone, tag = props.zone, props.tag
        problems: list[Problem] = []

        def add(field: str, what: str, fix: str) -> None:
            problems.append(Problem(path(), field, what, fix))

        other = zone.sdn.vnets.get(props.vnet_id)
        if other is not None:
            add("vnet_id", f"VNet id {props.vnet_id} is already taken by {other.node.path}",
                "give every VNet of the cluster its own id")
        bridged = sorted(n.name for n in zone.cluster.nodes if n.has_bridge(props.vnet_id))
        if props.vnet_id == "vmbr0" or bridged:
            add("vnet_id", f"{props.vnet_id} is the name of a bridge of "
                f"{', '.join(bridged) or 'every node'}: the VNet's bridge would clash with it",
                "give the VNet an id no node's bridge has")
        limits = TAGS[zone.kind]
        if limits is None:
            if tag is not None:
                add("tag", f"a VNet of a simple zone has no tag, got {tag!r}",
                    "leave tag unset, or put the VNet in a VLAN or VXLAN zone")
        elif tag is None:
            low, high, name = limits
            add("tag", f"a VNet of a {zone.kind.value} zone needs a {name}", f"pass tag= in {low}-{high}")
        elif not is_number_token(tag):
            low, high, name = limits
            if not low <= tag <= high:
                add("tag", f"{name} must be {low}-{high} in a {zone.kind.value} zone, got {tag}",
                    f"pick a tag in {low}-{high}")
            elif (same := zone.tags_in_use().get(tag)) is not None:
                add("tag", f"{name} {tag} is already used by {same.node.path} in zone {zone.zone_id}",
                    "give every VNet of the zone its own tag")
            elif zone.kind in (ZoneKind.VXLAN, ZoneKind.EVPN):
                clash = _vni_user(zone, tag)
                if clash is not None:
                    add("tag", f"VXLAN network identifier {tag} is already used by {clash}",
                        "give every VXLAN and EVPN VNet, and every EVPN zone's vrf_vxlan, its own identifier")
        if problems:
            raise ConfigError(problems)

    def add_subnet(self, cidr: str, *, gateway: str | None = None, snat: bool = False,
                   dhcp_range: DhcpRange | None = None, dhcp_dns_server: str | None = None) -> Subnet:
        """Add a subnet to the VNet (child ``Subnet-<address>_<prefix>``); returns it. See :class:`Subnet`."""
        return Subnet(self, f"Subnet-{cidr.replace('/', '_')}", vnet=self, cidr=cidr, gateway=gateway, snat=snat,
                      dhcp_range=dhcp_range, dhcp_dns_server=dhcp_dns_server)


def _vni_user(zone: ZoneBase, vni: int) -> str | None:
    """What of the cluster's other VXLAN and EVPN zones uses ``vni`` already (a VNet, or a zone's VRF), if any."""
    for other in zone.sdn.zones.values():
        if other.kind not in (ZoneKind.VXLAN, ZoneKind.EVPN):
            continue
        if other is not zone and vni in other.tags_in_use():
            return str(other.tags_in_use()[vni].node.path)
        if getattr(other, "vrf_vxlan", None) == vni:
            return f"the VRF of zone {other.zone_id} (vrf_vxlan)"
    return None


@dataclass(frozen=True)
class DhcpRange:
    """A range of addresses PVE's DHCP server hands out in a subnet (both ends included).

    Args:
        start: The first address, such as 10.10.0.100.
        end: The last address, such as 10.10.0.200.
    """

    start: str
    end: str


def _cidr(value: str) -> str:
    if "/" not in value:
        raise Fault(f"{value!r} has no prefix length", "give the subnet in CIDR notation, such as 10.10.0.0/24")
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise Fault(f"{value!r} is not a network in CIDR notation ({exc})",
                    "give the network address and prefix length, such as 10.10.0.0/24") from None
    return value


def _ip(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise Fault(f"{value!r} is not an IP address", "give an address without a prefix length, such as "
                    "10.10.0.1") from None
    return value


class _SubnetProps(Props):
    vnet: Annotated[VnetBase, PlainValidator(instance_of(VnetBase, "pass a VNet, such as zone.add_vnet(...)",
                                                         name="VNet"))]
    cidr: Annotated[str, AfterValidator(_cidr)]
    gateway: Annotated[str, AfterValidator(_ip)] | None
    snat: bool
    dhcp_range: Annotated[DhcpRange, PlainValidator(instance_of(DhcpRange, "pass DhcpRange(start, end)"))] | None
    dhcp_dns_server: Annotated[str, AfterValidator(_ip)] | None


class Subnet(_cdk.Construct):
    """An SDN subnet of a VNet (``proxmox_sdn_subnet``): its IP range, gateway, SNAT and DHCP range.

    Example::

        vnet.add_subnet("10.10.0.0/24", gateway="10.10.0.1", snat=True,
                        dhcp_range=DhcpRange("10.10.0.100", "10.10.0.200"))
    """

    def __init__(self, scope: _cdk.Construct, id: str, *, vnet: VnetBase, cidr: str, gateway: str | None = None,
                 snat: bool = False, dhcp_range: DhcpRange | None = None,
                 dhcp_dns_server: str | None = None) -> None:
        """Define a subnet.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            vnet: The VNet it is on.
            cidr: The subnet in CIDR notation, its network address (``10.10.0.0/24``).
            gateway: The gateway address guests use; in simple and EVPN zones the nodes answer on it. Defaults
                to none.
            snat: Source-NAT traffic leaving the subnet to the node's own address (``snat``; simple and EVPN
                zones, with a gateway). Defaults to off.
            dhcp_range: The addresses PVE's DHCP server hands out (a zone with ``dhcp=True``; the provider
                takes one range). Defaults to none (no DHCP in the subnet).
            dhcp_dns_server: The DNS server DHCP announces (``dhcp-dns-server``). Defaults to PVE's choice.
        """
        path = LazyPath(scope, id)
        props = check_props(_SubnetProps, path, {
            "vnet": vnet, "cidr": cidr, "gateway": gateway, "snat": snat, "dhcp_range": dhcp_range,
            "dhcp_dns_server": dhcp_dns_server})
        network = ipaddress.ip_network(cidr)
        self._check(path, props, network)
        super().__init__(scope, id)
        self.vnet = vnet
        self.network = network
        vnet.zone.subnets.append((network, lambda: str(self.node.path)))
        self.resource = sdn_subnet.SdnSubnet(
            self, "Resource", vnet=vnet.resource.id, cidr=cidr, gateway=gateway, snat=snat or None,
            dhcp_range={"start_address": dhcp_range.start, "end_address": dhcp_range.end} if dhcp_range else None,
            dhcp_dns_server=dhcp_dns_server, depends_on=vnet.zone.sdn.depends_on)
        vnet.zone.sdn.join(self.resource)

    @staticmethod
    def _check(path: LazyPath, props: _SubnetProps, network: IpNetwork) -> None:
        """The subnet's addresses against each other, its zone's kind, and the zone's other subnets."""
        zone = props.vnet.zone
        problems: list[Problem] = []

        def add(field: str, what: str, fix: str) -> None:
            problems.append(Problem(path(), field, what, fix))

        gateway = ipaddress.ip_address(props.gateway) if props.gateway is not None else None
        if gateway is not None:
            if gateway.version != network.version or gateway not in network:
                add("gateway", f"gateway {gateway} is outside the subnet {network}",
                    f"give a gateway inside {network}")
            elif network.num_addresses > 2 and gateway in (network.network_address, network.broadcast_address):
                add("gateway", f"gateway {gateway} is the subnet's own or broadcast address",
                    f"give a host address of {network}, such as {next(network.hosts())}")
        if props.snat and gateway is None:
            add("snat", "SNAT needs a gateway: guests send what leaves the subnet to it",
                "give gateway=..., or leave snat off")
        elif props.snat and not zone.routes:
            add("snat", f"SNAT works only where the nodes route the subnet (simple and EVPN zones); zone "
                f"{zone.zone_id} is a {zone.kind.value} zone", "leave snat off, and NAT on the VLAN's router")
        dhcp = props.dhcp_range
        if dhcp is not None:
            problems += _dhcp_problems(path, network, gateway, dhcp)
            if not zone.dhcp:
                add("dhcp_range", f"zone {zone.zone_id} runs no DHCP server",
                    "create the zone as SimpleZone(..., dhcp=True), or leave dhcp_range unset")
        for other, where in zone.subnets:
            if other.version == network.version and other.overlaps(network):
                add("cidr", f"{network} overlaps {other} of {where()} in zone {zone.zone_id}",
                    "give every subnet of the zone its own range")
        if problems:
            raise ConfigError(problems)


def _dhcp_problems(path: LazyPath, network: IpNetwork,
                   gateway: ipaddress.IPv4Address | ipaddress.IPv6Address | None, dhcp: DhcpRange) -> list[Problem]:
    found: list[Problem] = []
    ends: list[Any] = []
    for name, value in (("start", dhcp.start), ("end", dhcp.end)):
        try:
            ip = ipaddress.ip_address(value)
        except ValueError:
            found.append(Problem(path(), f"dhcp_range.{name}", f"{value!r} is not an IP address",
                                 f"give an address inside {network}"))
            continue
        if ip.version != network.version or ip not in network:
            found.append(Problem(path(), f"dhcp_range.{name}", f"{ip} is outside the subnet {network}",
                                 f"give an address inside {network}"))
        ends.append(ip)
    if found or len(ends) != 2:
        return found
    start, end = ends
    if start > end:
        found.append(Problem(path(), "dhcp_range", f"the range starts at {start}, after its end {end}",
                             "give the lower address as start"))
    elif gateway is not None and start <= gateway <= end:
        found.append(Problem(path(), "dhcp_range", f"the range {start}-{end} covers the gateway {gateway}",
                             "start the range after the gateway, or end it before"))
    return found
