"""Which of a cluster's networks plays which role: management (the nodes' gateway bridge), cluster (corosync
link0, when not on management), storage (Ceph's public network) and migration (datacenter.cfg's migration
network), with each node's address on each."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from pvecdk._values import NetworkRole
from pvecdk.adopt.model import Inventory, Json, LeftOut, NodeInfo, kv

__all__ = ["Roles", "carrier", "management_interface", "recognise"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class Roles:
    """The networks by role, and each node's address on them."""

    networks: dict[NetworkRole, Network] = field(default_factory=dict)
    addresses: dict[str, dict[NetworkRole, str]] = field(default_factory=dict)
    gateway: str | None = None
    links: list[tuple[NetworkRole, int]] = field(default_factory=list)
    inferred: set[str] = field(default_factory=set)  # nodes whose addresses follow the others' plan

    def role_of(self, address: str) -> NetworkRole | None:
        ip = ipaddress.ip_address(address)
        for role in (NetworkRole.CLUSTER, NetworkRole.MANAGEMENT, NetworkRole.STORAGE, NetworkRole.MIGRATION):
            net = self.networks.get(role)
            if net is not None and ip in net:
                return role
        return None


def _cidrs(node: NodeInfo) -> list[tuple[str, Network, Json]]:
    """(address, network, interface) for every address configured on the node."""
    found = []
    for iface in sorted(node.interfaces, key=lambda i: str(i.get("iface"))):
        for key in ("cidr", "cidr6"):
            cidr = iface.get(key)
            if isinstance(cidr, str) and "/" in cidr:
                addr = ipaddress.ip_interface(cidr)
                found.append((str(addr.ip), addr.network, iface))
    return found


def management_interface(node: NodeInfo) -> Json | None:
    """The bridge with the default gateway, else vmbr0."""
    ifaces = sorted(node.interfaces, key=lambda i: str(i.get("iface")))
    return (next((i for i in ifaces if i.get("gateway")), None)
            or next((i for i in ifaces if i.get("iface") == "vmbr0"), None))


def carrier(node: NodeInfo, address: str) -> Json | None:
    """The interface of ``node`` that carries ``address`` (None: none it reported)."""
    ip = ipaddress.ip_address(address)
    return next((iface for a, _, iface in _cidrs(node) if ipaddress.ip_address(a) == ip), None)


def _network_of(node: NodeInfo, address: str) -> tuple[str, Network] | None:
    ip = ipaddress.ip_address(address)
    return next(((a, n) for a, n, _ in _cidrs(node) if ip in n), None)


def recognise(inv: Inventory) -> Roles:
    """The roles of the networks of ``inv``'s nodes (read from the first node that reported its interfaces)."""
    roles = Roles()
    reporting = [n for n in inv.nodes if n.interfaces]
    if not reporting:
        inv.left_out.append(LeftOut("networks", "no node reported its interfaces: the management network cannot "
                                                "be recognised"))
        return roles
    first = reporting[0]
    mgmt = management_interface(first)
    if mgmt is not None and isinstance(mgmt.get("cidr"), str):
        roles.networks[NetworkRole.MANAGEMENT] = ipaddress.ip_interface(mgmt["cidr"]).network
        roles.gateway = mgmt.get("gateway")
    link0 = first.links.get(0)
    if link0:
        found = _network_of(first, link0)
        if found and found[1] != roles.networks.get(NetworkRole.MANAGEMENT):
            roles.networks[NetworkRole.CLUSTER] = found[1]
    public = (inv.ceph.config.get("public_network") if inv.ceph else None) or None
    if public:
        net = ipaddress.ip_network(public.split(",")[0].strip(), strict=False)
        if net not in roles.networks.values():
            roles.networks[NetworkRole.STORAGE] = net
    migration = kv(inv.options.get("migration"))
    if migration.get("network"):
        net = ipaddress.ip_network(migration["network"], strict=False)
        if net not in roles.networks.values():
            roles.networks[NetworkRole.MIGRATION] = net
    for node in inv.nodes:
        mine: dict[NetworkRole, str] = {}
        for role, net in roles.networks.items():
            address = next((a for a, n, _ in _cidrs(node) if n == net), None)
            if address is None and role is NetworkRole.CLUSTER:
                address = node.links.get(0)
            if address is not None:
                mine[role] = address
        roles.addresses[node.name] = mine
    _infer_missing(inv, roles)
    for number in sorted(first.links):
        link_role = roles.role_of(first.links[number])
        if link_role is None:
            inv.left_out.append(LeftOut(f"corosync link{number}", f"{first.links[number]} is on no network the "
                                                                   "stack models"))
            continue
        roles.links.append((link_role, inv.link_priorities.get(number, 0)))
    return roles


def _infer_missing(inv: Inventory, roles: Roles) -> None:
    """A node that reported no interfaces (offline) gets, on each network, the address that keeps the offset the
    reporting nodes keep between that network and their link0 address (a plan of addresses), marked inferred."""
    reporting = [n for n in inv.nodes if n.interfaces and n.links.get(0)]
    for node in inv.nodes:
        if node.interfaces or not node.links.get(0):
            continue
        link0 = ipaddress.ip_address(node.links[0])
        mine = roles.addresses.setdefault(node.name, {})
        for role in roles.networks:
            offsets = {int(ipaddress.ip_address(roles.addresses[r.name][role])) - int(ipaddress.ip_address(r.links[0]))
                       for r in reporting if role in roles.addresses.get(r.name, {})}
            if role not in mine and len(offsets) == 1:
                mine[role] = str(ipaddress.ip_address(int(link0) + offsets.pop()))
                roles.inferred.add(node.name)
