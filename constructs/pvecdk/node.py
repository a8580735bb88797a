"""A cluster node: its membership (name, id, votes, addresses) and its configuration through the provider.

Created by :meth:`pvecdk.cluster.Cluster.add_node`. Each node manages its DNS settings, an ``/etc/hosts`` that
names every node on the cluster network (so nodes resolve each other without DNS), its time zone, the
``vmbr0`` bridge on the management network, its firewall options and its package repository; further
bridges, bonds and VLANs are added with :meth:`Node.add_bridge`, :meth:`Node.add_bond`, :meth:`Node.add_vlan`.
The node's cluster, storage and migration addresses each live on one of those (given its ``address``) or on an
interface named as existing (``cluster_interface=...``); the policy refuses an address on no interface.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

from pvecdk import ceph
from pvecdk._base import ClusterBase, NodeBase, url_host
from pvecdk._fault import Fault
from pvecdk._validation import Props, check_props, construct_path, whole_number
from pvecdk._values import BondMode, NetworkRole, SshAccess
from pvecdk.bpg import (
    apt_standard_repository,
    network_linux_bond,
    network_linux_bridge,
    network_linux_vlan,
    node_firewall,
    virtual_environment_dns,
    virtual_environment_hosts,
    virtual_environment_time,
)
from pvecdk.ceph import DeviceClass, Osd
from pvecdk.errors import ConfigError, Problem

__all__ = ["BondMode", "Node"]

# PVE's ``pve-iface`` names and the ranges of /nodes/{node}/network (MTU 1280-65520, VLAN id 1-4094).
_IFACE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_.-]{1,19}$")


def _iface_list(value: object) -> object:
    """A list of interfaces; one string is refused rather than taken letter by letter."""
    if isinstance(value, str):
        raise Fault(f"{value!r} is one string, not a list of interfaces", f"pass a list, such as [{value.split()[0]!r}]"
                    if value.split() else "pass a list, such as ['eno1']")
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _iface(value: str) -> str:
    if not _IFACE.match(value):
        raise Fault(f"{value!r} is not an interface name", "give a name such as eno1, enp3s0 or bond0")
    return value


def _cidr_address(value: str) -> str:
    """An interface address with its prefix length, as PVE's ``cidr`` takes it."""
    try:
        interface = ipaddress.ip_interface(value)
    except ValueError:
        interface = None
    if interface is None or "/" not in value:
        raise Fault(f"{value!r} is not an address in CIDR notation", "give the address with its prefix length, "
                    "such as 10.0.1.11/24")
    if interface.ip in (interface.network.network_address, interface.network.broadcast_address) \
            and interface.network.prefixlen < interface.max_prefixlen - 1:
        raise Fault(f"{value} is the network's own or broadcast address", "give a host address")
    return value


def _ip(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise Fault(f"{value!r} is not an IP address", "give the gateway's address, such as 10.0.1.1") from None
    return value


_Ifaces = Annotated[tuple[Annotated[str, AfterValidator(_iface)], ...], BeforeValidator(_iface_list)]
_Mtu = Annotated[int, whole_number(1280, 65520, "MTU must be 1280-65520", "give an MTU such as 1500 or 9000")]


class _InterfaceProps(Props):
    """What bridges, bonds and VLANs share."""

    address: Annotated[str, AfterValidator(_cidr_address)] | None
    comment: str | None


class _BridgeProps(_InterfaceProps):
    ports: _Ifaces
    gateway: Annotated[str, AfterValidator(_ip)] | None
    vlan_aware: bool | None
    mtu: _Mtu | None


class _BondProps(_InterfaceProps):
    slaves: _Ifaces
    mtu: _Mtu | None


class _VlanProps(_InterfaceProps):
    interface: Annotated[str, AfterValidator(_iface)]
    vlan: Annotated[int, whole_number(1, 4094, "VLAN id must be 1-4094", "pick a VLAN id in 1-4094")]


class Node(NodeBase):
    """A member of a :class:`~pvecdk.cluster.Cluster` and its host configuration.

    Manages ``proxmox_virtual_environment_dns``, ``..._hosts``, ``..._time``, ``proxmox_network_linux_bridge``
    (vmbr0), ``proxmox_node_firewall`` and ``proxmox_apt_standard_repository``. Example::

        pve1 = cluster.add_node("pve1", node_id=1, management_address="192.168.1.11",
                                cluster_address="10.0.0.11", management_interface="eno1")
        pve1.add_vlan("vmbr0.20", interface="vmbr0", vlan=20)
    """

    manages_network = True

    def __init__(
        self,
        scope: ClusterBase,
        id: str,
        *,
        cluster: ClusterBase,
        name: str,
        node_id: int,
        votes: int,
        management_address: str,
        management_interface: str,
        cluster_address: str | None,
        storage_address: str | None,
        migration_address: str | None,
        endpoint: str | None = None,
        cluster_interface: str | None = None,
        storage_interface: str | None = None,
        migration_interface: str | None = None,
        ssh: SshAccess | None = None,
    ) -> None:
        path = construct_path(scope, id)
        props = check_props(NodeBase.Props, path, dict(
            name=name, node_id=node_id, votes=votes, management_address=management_address,
            management_interface=management_interface, cluster_address=cluster_address,
            storage_address=storage_address, migration_address=migration_address,
            cluster_interface=cluster_interface, storage_interface=storage_interface,
            migration_interface=migration_interface,
            # A management address that is not a string is reported as such; the endpoint is not guessed from it.
            endpoint=endpoint or (f"https://{url_host(management_address)}:8006"
                                  if isinstance(management_address, str) else "https://unset:8006"),
            ssh=ssh,
        ))
        addresses = {role: addr for role, addr in (
            (NetworkRole.MANAGEMENT, management_address), (NetworkRole.CLUSTER, cluster_address),
            (NetworkRole.STORAGE, storage_address), (NetworkRole.MIGRATION, migration_address),
        ) if addr is not None}
        self.check_addresses(cluster, path, addresses)
        cluster.check_new_node(path, name, node_id, addresses)
        super().__init__(scope, id, cluster=cluster, props=props, addresses=addresses)
        p = cluster.props
        # Node settings wait for the membership: a node that is joining restarts its API.
        after = [cluster.membership]
        self._after = after
        self._enslaved: dict[str, str] = {}  # port -> the bridge or bond it belongs to
        if p.dns_servers:
            self.dns = virtual_environment_dns.VirtualEnvironmentDns(
                self, "Dns", node_name=name, domain=p.search_domain, servers=list(p.dns_servers), depends_on=after)
        self.hosts = virtual_environment_hosts.VirtualEnvironmentHosts(
            self, "Hosts", node_name=name, entry=[{"address": "127.0.0.1", "hostnames": ["localhost"]}],
            depends_on=after)
        self.hosts.render_late(self._render_hosts)
        self.time = virtual_environment_time.VirtualEnvironmentTime(
            self, "Time", node_name=name, time_zone=p.time_zone, depends_on=after)
        mgmt = cluster.management_network
        self.resource = self.add_bridge(
            "vmbr0", address=f"{management_address}/{mgmt.prefixlen}", gateway=p.management_gateway,
            ports=[self.props.management_interface], comment="management")
        if p.firewall:
            self.firewall = node_firewall.NodeFirewall(self, "Firewall", node_name=name, enabled=True,
                                                       depends_on=after)
        if p.apt_repository is not None:
            self.apt_repository = apt_standard_repository.AptStandardRepository(
                self, "AptRepository", handle=p.apt_repository.value, node_attribute=name, depends_on=after)

    def _render_hosts(self) -> None:
        """Every node on the cluster network (rendered at synthesis, from the list the cluster builds once)."""
        self.hosts.put_entry(self.cluster.hosts_entries())

    # -- Ceph

    def add_osd(
        self,
        device: str,
        *,
        device_class: DeviceClass | str | None = None,
        encrypted: bool = False,
        db_device: str | None = None,
        db_size_gib: float | None = None,
        wal_device: str | None = None,
        wal_size_gib: float | None = None,
        allow_destroy: bool = False,
    ) -> Osd:
        """Create a Ceph OSD on one of this node's disks; returns it. See :meth:`pvecdk.ceph.Ceph.add_osd`."""
        return ceph.add_osd(self, device, device_class=device_class, encrypted=encrypted, db_device=db_device,
                       db_size_gib=db_size_gib, wal_device=wal_device, wal_size_gib=wal_size_gib,
                       allow_destroy=allow_destroy)

    # -- networking

    def add_bridge(
        self,
        name: str,
        *,
        ports: Sequence[str] = (),
        address: str | None = None,
        gateway: str | None = None,
        vlan_aware: bool | None = None,
        mtu: int | None = None,
        comment: str | None = None,
    ) -> network_linux_bridge.NetworkLinuxBridge:
        """Add a Linux bridge (``proxmox_network_linux_bridge``); returns it.

        Args:
            name: ``vmbrN``.
            ports: Interfaces it bridges.
            address: Address in CIDR notation (``192.168.1.11/24``). Defaults to none.
            gateway: Default gateway. Defaults to none.
            vlan_aware: Make the bridge VLAN aware. Defaults to PVE's (off).
            mtu: MTU. Defaults to PVE's.
            comment: Shown in PVE.
        """
        self._check_iface("add_bridge", name, r"^vmbr\d{1,4}$", "vmbrN, such as vmbr1")
        props = check_props(_BridgeProps, lambda: f"{self.node.path}/Bridge-{name}", dict(
            ports=ports, address=address, gateway=gateway, vlan_aware=vlan_aware, mtu=mtu, comment=comment))
        self._enslave(f"{self.node.path}/Bridge-{name}", "ports", name, props.ports)
        bridge = network_linux_bridge.NetworkLinuxBridge(
            self, f"Bridge-{name}", node_name=self.name, name=name, ports=list(props.ports) or None, address=address,
            gateway=gateway, vlan_aware=vlan_aware, mtu=mtu, comment=comment, autostart=True, depends_on=self._after)
        self.join_bridge(name, bridge)
        self.cluster.model.add_interface(self.name, name, address)
        return bridge

    def add_bond(
        self,
        name: str,
        *,
        slaves: Sequence[str],
        mode: BondMode | str = BondMode.ACTIVE_BACKUP,
        address: str | None = None,
        mtu: int | None = None,
        comment: str | None = None,
    ) -> network_linux_bond.NetworkLinuxBond:
        """Add a bond (``proxmox_network_linux_bond``); returns it. Defaults to active-backup, which needs no
        switch configuration."""
        self._check_iface("add_bond", name, r"^bond\d{1,4}$", "bondN, such as bond0")
        path = f"{self.node.path}/Bond-{name}"
        props = check_props(_BondProps, path, dict(slaves=slaves, address=address, mtu=mtu, comment=comment))
        if len(props.slaves) < 1:
            raise ConfigError([Problem(path, "slaves", "a bond needs interfaces",
                                       "give slaves=[...] with at least one interface")])
        if mode not in set(BondMode):
            raise ConfigError([Problem(path, "mode", f"{mode!r} is not a bond mode",
                                       "pick one of " + ", ".join(m.value for m in BondMode))])
        self._enslave(path, "slaves", name, props.slaves)
        bond = network_linux_bond.NetworkLinuxBond(
            self, f"Bond-{name}", node_name=self.name, name=name, slaves=list(props.slaves),
            bond_mode=BondMode(mode).value,
            address=address, mtu=mtu, comment=comment, autostart=True, depends_on=self._after)
        self.cluster.model.add_interface(self.name, name, address)
        return bond

    def add_vlan(
        self,
        name: str,
        *,
        interface: str,
        vlan: int,
        address: str | None = None,
        comment: str | None = None,
    ) -> network_linux_vlan.NetworkLinuxVlan:
        """Add a VLAN interface (``proxmox_network_linux_vlan``) on ``interface``; returns it."""
        check_props(_VlanProps, lambda: f"{self.node.path}/Vlan-{name}", dict(
            interface=interface, vlan=vlan, address=address, comment=comment))
        self._check_iface("add_vlan", name, r"^[A-Za-z][A-Za-z0-9_]*\.\d{1,4}$|^vlan\d{1,4}$",
                          "<interface>.<vlan>, such as vmbr0.20")
        vlan_interface = network_linux_vlan.NetworkLinuxVlan(
            self, f"Vlan-{name}", node_name=self.name, name=name, interface=interface, vlan=vlan,
            address=address, comment=comment, autostart=True, depends_on=self._after)
        self.cluster.model.add_interface(self.name, name, address)
        return vlan_interface

    def _enslave(self, path: str, field: str, owner: str, ports: Sequence[str]) -> None:
        """Record ``ports`` as ``owner``'s; a port can belong to one bridge or bond only."""
        problems = []
        for i, port in enumerate(ports):
            other = self._enslaved.get(port)
            if port == owner:
                problems.append(Problem(path, f"{field}[{i}]", f"{owner} cannot be a port of itself",
                                        "list the interfaces it joins"))
            elif other is not None:
                problems.append(Problem(path, f"{field}[{i}]", f"{port} is a port of {other} already",
                                        f"give {owner} another interface, or take {port} out of {other}"))
            elif ports.index(port) != i:
                problems.append(Problem(path, f"{field}[{i}]", f"{port} is listed twice", "list it once"))
        if problems:
            raise ConfigError(problems)
        self._enslaved.update(dict.fromkeys(ports, owner))

    def _check_iface(self, method: str, name: str, pattern: str, example: str) -> None:
        if not re.match(pattern, name):
            raise ConfigError([Problem(str(self.node.path), f"{method}(name)", f"{name!r} is not a valid name",
                                       f"name it {example}")])
        if self.node.try_find_child(f"Bridge-{name}") or self.node.try_find_child(f"Bond-{name}") \
                or self.node.try_find_child(f"Vlan-{name}"):
            raise ConfigError([Problem(str(self.node.path), f"{method}(name)", f"interface {name} already exists",
                                       "give every interface its own name")])
