# The corpus passes wrong types on purpose: that is what it checks.
# mypy: disable-error-code="arg-type,list-item"
"""A corpus of bad definitions, one per row, across every construct: each must be refused at construction with
a ConfigError whose problem names the construct's path, the field and a fix; and edge cases that must pass.

Rows give the path below the stack (``test/``), the field, and words the fix must hold. A row builds on a lab
(:func:`lab.lab`: three nodes on 192.168.1.0/24 and 10.0.0.0/24, with storages) or on a bare stack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from lab import Lab, lab, policy_errors, resources, synth_json
from pvecdk import (
    Clone,
    CloudInit,
    Cluster,
    ConfigError,
    Container,
    CorosyncLink,
    Disk,
    DownloadedFile,
    IpConfig,
    NetworkInterface,
    NetworkRole,
    Pool,
    QDevice,
    Snippet,
    SshAccess,
    Storage,
    Vm,
    VmTemplate,
    _cdk,
)
from pvecdk.access import AutomationAccess
from pvecdk.backup import BackupJob
from pvecdk.bpg.provider import ProxmoxProvider
from pvecdk.firewall import Action, Direction, FirewallRule, SecurityGroup
from pvecdk.monitoring import GraphiteServer, InfluxDbServer
from pvecdk.replication import Replication
from pvecdk.sdn import DhcpRange, EvpnController, EvpnZone, QinqZone, SimpleZone, Subnet, VlanZone, VxlanZone
from pvecdk.storage import DirStorage, LvmThinStorage, NfsStorage, PbsStorage, ZfsPoolStorage

MGMT = "192.168.1.0/24"


@dataclass(frozen=True)
class Bad:
    id: str
    build: Callable[[Lab], Any]
    path: str
    field: str
    fix: str


def _cluster(**kw: Any) -> Callable[[Lab], Any]:
    """A second cluster, alone in a fresh stack (``test/C``)."""
    kw.setdefault("management_network", MGMT)
    kw.setdefault("name", "lab")
    return lambda _: Cluster(_cdk.TerraformStack(_cdk.Testing.app(), "test"), "C", **kw)


def _node(**kw: Any) -> Callable[[Lab], Any]:
    kw.setdefault("management_address", "192.168.1.50")
    kw.setdefault("management_interface", "eno1")
    kw.setdefault("cluster_address", "10.0.0.50")
    if kw["cluster_address"] is not None:
        kw.setdefault("cluster_interface", "eno2")
    name = kw.pop("name", "pve9")
    return lambda lb: lb.cluster.add_node(name, **kw)


def _bridge(name: str = "vmbr1", **kw: Any) -> Callable[[Lab], Any]:
    return lambda lb: lb.nodes[0].add_bridge(name, **kw)


def _bond(name: str = "bond1", **kw: Any) -> Callable[[Lab], Any]:
    kw.setdefault("slaves", ["eno3", "eno4"])
    return lambda lb: lb.nodes[0].add_bond(name, **kw)


def _vlan(name: str = "vmbr0.20", **kw: Any) -> Callable[[Lab], Any]:
    kw.setdefault("interface", "vmbr0")
    kw.setdefault("vlan", 20)
    return lambda lb: lb.nodes[0].add_vlan(name, **kw)


def _rule(**kw: Any) -> Callable[[Lab], Any]:
    """A security group holding one rule (``rules[0]``)."""
    kw.setdefault("action", Action.ACCEPT)
    return lambda lb: lb.cluster.firewall.add_security_group("web", rules=[FirewallRule(**kw)])  # type: ignore[union-attr]


def _cluster_rule(**kw: Any) -> Callable[[Lab], Any]:
    kw.setdefault("action", Action.ACCEPT)
    return lambda lb: lb.cluster.firewall.add_rule(FirewallRule(**kw))  # type: ignore[union-attr]


def _access(**kw: Any) -> Callable[[Lab], Any]:
    return lambda lb: AutomationAccess(lb.stack, "Access", **kw)


def _vm(**kw: Any) -> Callable[[Lab], Any]:
    def build(lb: Lab) -> Any:
        args = {"node": lb.nodes[0], "vm_id": 100, "disks": [Disk(lb.rbd)]}
        args.update({k: (v(lb) if callable(v) and not isinstance(v, type) else v) for k, v in kw.items()})
        return Vm(lb.stack, "web", **args)
    return build


def _ct(**kw: Any) -> Callable[[Lab], Any]:
    def build(lb: Lab) -> Any:
        args = {"node": lb.nodes[0], "vm_id": 200, "template": "local:vztmpl/debian-12-standard.tar.zst",
                "disk": Disk(lb.rbd, size_gib=8)}
        args.update({k: (v(lb) if callable(v) and not isinstance(v, type) else v) for k, v in kw.items()})
        return Container(lb.stack, "ct", **args)
    return build


def _vm_then(then: Callable[[Lab, Any], Any]) -> Callable[[Lab], Any]:
    def build(lb: Lab) -> Any:
        vm = Vm(lb.stack, "web", node=lb.nodes[0], vm_id=100, disks=[Disk(lb.rbd)])
        return then(lb, vm)
    return build


def _backup(**kw: Any) -> Callable[[Lab], Any]:
    def build(lb: Lab) -> Any:
        args = {"storage": lb.nfs}
        args.update({k: (v(lb) if callable(v) and not isinstance(v, type) else v) for k, v in kw.items()})
        return BackupJob(lb.stack, "Backup", **args)
    return build


def _replication(**kw: Any) -> Callable[[Lab], Any]:
    def build(lb: Lab) -> Any:
        vm = Vm(lb.stack, "web", node=lb.nodes[0], vm_id=100, disks=[Disk(lb.zfs)])
        args: dict[str, Any] = {"guest": vm, "target": lb.nodes[1]}
        args.update({k: (v(lb) if callable(v) and not isinstance(v, type) else v) for k, v in kw.items()})
        return Replication(lb.stack, "Repl", **args)
    return build


def _influx(**kw: Any) -> Callable[[Lab], Any]:
    kw.setdefault("server", "influx.example.org")
    return lambda lb: InfluxDbServer(lb.stack, "Influx", **kw)


def _graphite(**kw: Any) -> Callable[[Lab], Any]:
    kw.setdefault("server", "graphite.example.org")
    return lambda lb: GraphiteServer(lb.stack, "Graphite", **kw)


def _storage(cls: type, **kw: Any) -> Callable[[Lab], Any]:
    return lambda lb: cls(lb.stack, "Store", **kw)


def _protect(**kw: Any) -> Callable[[Lab], Any]:
    return _vm_then(lambda lb, vm: lb.cluster.ha.protect(vm, **kw))


def _ceph(then: Callable[[Lab, Any], Any]) -> Callable[[Lab], Any]:
    """Ceph on the lab, its public network on the cluster network."""
    return lambda lb: then(lb, lb.cluster.enable_ceph(public_network=NetworkRole.CLUSTER))


def _import_store(lb: Lab) -> Any:
    return Storage.from_id(lb.stack, "img", storage_type="nfs", content=["import", "iso", "vztmpl", "snippets"])


def _download(**kw: Any) -> Callable[[Lab], Any]:
    def build(lb: Lab) -> Any:
        args: dict[str, Any] = {"cluster": lb.cluster, "storage": _import_store(lb), "checksum": "ab" * 32,
                                "checksum_algorithm": "sha256", "url": "https://example.org/debian.qcow2"}
        args.update({k: (v(lb) if callable(v) and not isinstance(v, type) else v) for k, v in kw.items()})
        return DownloadedFile(lb.stack, "Image", **args)
    return build


def _snippet(**kw: Any) -> Callable[[Lab], Any]:
    def build(lb: Lab) -> Any:
        args: dict[str, Any] = {"cluster": lb.cluster, "storage": _import_store(lb), "file_name": "user.yaml",
                                "data": "#cloud-config\n"}
        args.update({k: (v(lb) if callable(v) and not isinstance(v, type) else v) for k, v in kw.items()})
        return Snippet(lb.stack, "Snippet", **args)
    return build


def _template(**kw: Any) -> Callable[[Lab], Any]:
    def build(lb: Lab) -> Any:
        image = DownloadedFile(lb.stack, "Image", cluster=lb.cluster, storage=_import_store(lb), checksum="ab" * 32,
                               checksum_algorithm="sha256", url="https://example.org/debian.qcow2")
        args: dict[str, Any] = {"node": lb.nodes[0], "vm_id": 9000, "image": image, "storage": lb.rbd}
        args.update({k: (v(lb) if callable(v) and not isinstance(v, type) else v) for k, v in kw.items()})
        return VmTemplate(lb.stack, "Template", **args)
    return build


def _clone(linked: bool = False, template_storage: Callable[[Lab], Any] = lambda lb: lb.rbd,
           **kw: Any) -> Callable[[Lab], Any]:
    """VM 100 (``web``) cloned from template 9000 on pve1."""
    def build(lb: Lab) -> Any:
        template = _template(storage=template_storage)(lb)
        args: dict[str, Any] = {"node": lb.nodes[0], "vm_id": 100,
                                "clone": Clone.linked(template) if linked else Clone.full(template)}
        args.update({k: (v(lb) if callable(v) and not isinstance(v, type) else v) for k, v in kw.items()})
        return Vm(lb.stack, "web", **args)
    return build


def _zone(cls: type = SimpleZone, **kw: Any) -> Callable[[Lab], Any]:
    kw.setdefault("zone_id", "tenants")
    return lambda lb: cls(lb.stack, "Zone", **kw)


def _vnet(cls: type = SimpleZone, zone: dict[str, Any] | None = None, **kw: Any) -> Callable[[Lab], Any]:
    """A VNet ``Zone/Net`` in a zone of ``cls``."""
    kw.setdefault("vnet_id", "web")
    return lambda lb: cls(lb.stack, "Zone", zone_id="tenants", **(zone or {})).add_vnet("Net", **kw)


def _subnet(cidr: str = "10.10.0.0/24", dhcp: bool = True, **kw: Any) -> Callable[[Lab], Any]:
    """A subnet ``Subnet`` of a VNet in a simple zone (with DHCP unless told)."""
    def build(lb: Lab) -> Any:
        vnet = SimpleZone(lb.stack, "Zone", zone_id="tenants", dhcp=dhcp).add_vnet("Net", vnet_id="web")
        return Subnet(lb.stack, "Subnet", vnet=vnet, cidr=cidr, **kw)
    return build


def _tags(zone: Any, *tags: int) -> list[Any]:
    """A VNet of ``zone`` per tag."""
    return [zone.add_vnet(f"N{t}", vnet_id=f"n{i}", tag=t) for i, t in enumerate(tags)]


def _evpn(**kw: Any) -> Callable[[Lab], Any]:
    def build(lb: Lab) -> Any:
        controller = EvpnController(lb.stack, "Evpn", asn=65000)
        kw.setdefault("vrf_vxlan", 10000)
        return EvpnZone(lb.stack, "Zone", zone_id="routed", controller=controller,
                        **{k: (v(lb) if callable(v) else v) for k, v in kw.items()})
    return build


def _tok(lb: Lab) -> Any:
    return _cdk.TerraformVariable(lb.stack, "n", type="number").number_value


C = "C"
N0 = "Cluster/pve1"
FW = "Cluster/Firewall"
GRP = "Cluster/Firewall/Group-web"
POOL = "Cluster/Ceph/Pool-vm"

BAD: list[Bad] = [
    # -- cluster props
    Bad("cluster-name-dot", _cluster(name="lab.example"), C, "name", "1-15 letters"),
    Bad("cluster-name-long", _cluster(name="a" * 16), C, "name", "1-15 letters"),
    Bad("cluster-name-int", _cluster(name=5), C, "name", "pass a string"),
    Bad("cluster-version", _cluster(pve_version="7.4"), C, "pve_version", "listed values"),
    Bad("mgmt-host-bits", _cluster(management_network="192.168.1.10/24"), C, "management_network", "10.0.0.0/24"),
    Bad("mgmt-prefix", _cluster(management_network="192.168.1.0/33"), C, "management_network", "10.0.0.0/24"),
    Bad("mgmt-none", _cluster(management_network=None), C, "management_network", "pass a string"),
    Bad("cluster-net-bad", _cluster(cluster_network="10.0.0/24"), C, "cluster_network", "10.0.0.0/24"),
    Bad("storage-net-bad", _cluster(storage_network="fd00::1/64"), C, "storage_network", "network address"),
    Bad("migration-net-bad", _cluster(migration_network="10.9.0.0"), C, "migration_network", "CIDR notation"),
    Bad("links-one", _cluster(links=CorosyncLink(NetworkRole.MANAGEMENT)), C, "links", "even for one item"),
    Bad("links-empty", _cluster(links=[]), C, "links", "at least one link"),
    Bad("links-nine", _cluster(links=[CorosyncLink(NetworkRole.MANAGEMENT)] * 9), C, "links", "remove links"),
    Bad("links-same-net", _cluster(cluster_network="10.0.0.0/24", links=[CorosyncLink(NetworkRole.CLUSTER),
                                                                       CorosyncLink(NetworkRole.CLUSTER)]),
        C, "links", "its own network"),
    Bad("links-priority", _cluster(links=[CorosyncLink(NetworkRole.MANAGEMENT, priority=300)]), C, "links",
        "0-255"),
    Bad("links-undefined-net", _cluster(links=[CorosyncLink(NetworkRole.STORAGE)]), C, "(props)",
        "set storage_network"),
    Bad("links-str", _cluster(links=["management"]), C, "links[0]", "pass CorosyncLink(...)"),
    Bad("qdevice-name", _cluster(qdevice=QDevice("qnetd.example")), C, "qdevice", "IP address"),
    Bad("qdevice-loopback", _cluster(qdevice=QDevice("127.0.0.1")), C, "qdevice", "own address"),
    Bad("qdevice-multicast", _cluster(qdevice=QDevice("224.0.0.1")), C, "qdevice", "own address"),
    Bad("qdevice-int", _cluster(qdevice=QDevice(5)), C, "qdevice", "IP address"),
    Bad("qdevice-str", _cluster(qdevice="10.0.0.5"), C, "qdevice", "pass QDevice(...)"),
    Bad("migration-type", _cluster(migration_type="fast"), C, "migration_type", "listed values"),
    Bad("ha-policy", _cluster(ha_shutdown_policy="panic"), C, "ha_shutdown_policy", "listed values"),
    Bad("crs", _cluster(crs_mode="smart"), C, "crs_mode", "listed values"),
    Bad("fencing", _cluster(fencing="stonith"), C, "fencing", "listed values"),
    Bad("bw-zero", _cluster(bandwidth_limit_migration_kibps=0), C, "bandwidth_limit_migration_kibps", "unset"),
    Bad("bw-negative", _cluster(bandwidth_limit_clone_kibps=-5), C, "bandwidth_limit_clone_kibps", "unset"),
    Bad("bw-string", _cluster(bandwidth_limit_move_kibps="100"), C, "bandwidth_limit_move_kibps",
        "without quotes"),
    Bad("bw-float", _cluster(bandwidth_limit_restore_kibps=1.5), C, "bandwidth_limit_restore_kibps", "an int"),
    Bad("bw-bool", _cluster(bandwidth_limit_default_kibps=True), C, "bandwidth_limit_default_kibps", "an int"),
    Bad("console", _cluster(console="rdp"), C, "console", "listed values"),
    Bad("keyboard-us", _cluster(keyboard="us"), C, "keyboard", "en-us"),
    Bad("keyboard-case", _cluster(keyboard="DE"), C, "keyboard", "de-ch"),
    Bad("mac-prefix-shape", _cluster(mac_prefix="BC2411"), C, "mac_prefix", "hex octets"),
    Bad("mac-prefix-long", _cluster(mac_prefix="BC:24:11:00"), C, "mac_prefix", "hex octets"),
    Bad("mac-prefix-multicast", _cluster(mac_prefix="01:00:5E"), C, "mac_prefix", "lowest bit"),
    Bad("mac-prefix-broadcast", _cluster(mac_prefix="FF:FF"), C, "mac_prefix", "lowest bit"),
    Bad("next-id-low", _cluster(next_id=__import__("pvecdk").NextIdRange(50, 1000)), C, "next_id", "100-999999"),
    Bad("next-id-order", _cluster(next_id=__import__("pvecdk").NextIdRange(5000, 1000)), C, "next_id",
        "100-999999"),
    Bad("dns-bad", _cluster(dns_servers=["dns.example"]), C, "dns_servers", "address"),
    Bad("dns-four", _cluster(dns_servers=["1.1.1.1", "8.8.8.8", "9.9.9.9", "1.0.0.1"]), C, "dns_servers",
        "three"),
    Bad("dns-one-string", _cluster(dns_servers="1.1.1.1"), C, "dns_servers", "pass a list"),
    Bad("tz-unknown", _cluster(time_zone="Mars/Olympus"), C, "time_zone", "Europe/Berlin"),
    Bad("tz-offset", _cluster(time_zone="+02:00"), C, "time_zone", "IANA"),
    Bad("tz-empty", _cluster(time_zone=""), C, "time_zone", "IANA"),
    Bad("tz-path", _cluster(time_zone="../etc/passwd"), C, "time_zone", "IANA"),
    Bad("gateway-outside", _cluster(management_gateway="10.1.1.1"), C, "(props)", "inside the management"),
    Bad("apt-repo", _cluster(apt_repository="testing"), C, "apt_repository", "listed values"),
    Bad("firewall-str", _cluster(firewall="maybe"), C, "firewall", "True or False"),
    Bad("links-priority-negative", _cluster(links=[CorosyncLink(NetworkRole.MANAGEMENT, priority=-1)]), C, "links",
        "0-255"),
    # -- nodes
    Bad("node-mgmt-none", _node(management_address=None), "Cluster/pve9", "management_address", "pass a string"),
    Bad("node-mgmt-cidr", _node(management_address="192.168.1.50/24"), "Cluster/pve9", "management_address",
        "without a prefix"),
    Bad("node-mgmt-outside", _node(management_address="192.168.2.50"), "Cluster/pve9", "management_address",
        "inside 192.168.1.0/24"),
    Bad("node-mgmt-broadcast", _node(management_address="192.168.1.255"), "Cluster/pve9", "management_address",
        "host address"),
    Bad("node-mgmt-taken", _node(management_address="192.168.1.11"), "Cluster/pve9", "management_address",
        "own"),
    Bad("node-cluster-missing", _node(cluster_address=None), "Cluster/pve9", "cluster_address",
        "cluster_address="),
    Bad("node-interface-name", _node(cluster_interface="2nd nic"), "Cluster/pve9", "cluster_interface",
        "give the name of the interface that carries the address"),
    Bad("node-interface-no-address", _node(migration_interface="eno4"), "Cluster/pve9", "migration_interface",
        "give migration_address=..."),
    Bad("node-storage-undefined", _node(storage_address="172.16.0.5"), "Cluster/pve9", "storage_address",
        "set storage_network"),
    Bad("node-name-fqdn", _node(name="pve9.example.org"), "Cluster/pve9.example.org", "name", "search_domain"),
    Bad("node-name-underscore", _node(name="pve_9"), "Cluster/pve_9", "name", "one DNS label"),
    Bad("node-name-taken", _node(name="pve1"), "Cluster/pve1", "name", "own name"),
    Bad("node-id-zero", _node(node_id=0), "Cluster/pve9", "node_id", "from 1"),
    Bad("node-id-taken", _node(node_id=1), "Cluster/pve9", "node_id", "own id"),
    Bad("node-id-str", _node(node_id="4"), "Cluster/pve9", "node_id", "whole number"),
    Bad("node-votes", _node(votes=300), "Cluster/pve9", "votes", "1 vote"),
    Bad("node-iface", _node(management_interface="eth 0"), "Cluster/pve9", "management_interface", "eno1"),
    Bad("node-endpoint", _node(endpoint="http://192.168.1.50:8006"), "Cluster/pve9", "endpoint", "https://"),
    # -- node networking
    Bad("bridge-ports-string", _bridge(ports="eno2 eno3"), f"{N0}/Bridge-vmbr1", "ports", "['eno2']"),
    Bad("bridge-port-enslaved", _bridge(ports=["eno1"]), f"{N0}/Bridge-vmbr1", "ports[0]", "take eno1 out of vmbr0"),
    Bad("bridge-port-twice", _bridge(ports=["eno2", "eno2"]), f"{N0}/Bridge-vmbr1", "ports[1]", "list it once"),
    Bad("bridge-port-itself", _bridge(ports=["vmbr1"]), f"{N0}/Bridge-vmbr1", "ports[0]", "interfaces it joins"),
    Bad("bridge-port-name", _bridge(ports=["eno 2"]), f"{N0}/Bridge-vmbr1", "ports[0]", "enp3s0"),
    Bad("bridge-address-no-prefix", _bridge(address="10.0.1.11"), f"{N0}/Bridge-vmbr1", "address",
        "prefix length"),
    Bad("bridge-address-prefix", _bridge(address="10.0.1.11/40"), f"{N0}/Bridge-vmbr1", "address",
        "prefix length"),
    Bad("bridge-address-network", _bridge(address="10.0.1.0/24"), f"{N0}/Bridge-vmbr1", "address",
        "host address"),
    Bad("bridge-gateway", _bridge(gateway="router"), f"{N0}/Bridge-vmbr1", "gateway", "10.0.1.1"),
    Bad("bridge-mtu-low", _bridge(mtu=576), f"{N0}/Bridge-vmbr1", "mtu", "1500 or 9000"),
    Bad("bridge-mtu-high", _bridge(mtu=70000), f"{N0}/Bridge-vmbr1", "mtu", "1500 or 9000"),
    Bad("bridge-mtu-str", _bridge(mtu="9000"), f"{N0}/Bridge-vmbr1", "mtu", "9000 without quotes"),
    Bad("bridge-vlan-aware", _bridge(vlan_aware="yes"), f"{N0}/Bridge-vmbr1", "vlan_aware", "pass a bool"),
    Bad("bridge-name", _bridge("br1"), N0, "add_bridge(name)", "vmbrN"),
    Bad("bridge-twice", _bridge("vmbr0"), N0, "add_bridge(name)", "its own name"),
    Bad("bond-slaves-string", _bond(slaves="eno3"), f"{N0}/Bond-bond1", "slaves", "['eno3']"),
    Bad("bond-slaves-empty", _bond(slaves=[]), f"{N0}/Bond-bond1", "slaves", "at least one"),
    Bad("bond-slave-enslaved", _bond(slaves=["eno1", "eno3"]), f"{N0}/Bond-bond1", "slaves[0]", "out of vmbr0"),
    Bad("bond-mode", _bond(mode="lacp"), f"{N0}/Bond-bond1", "mode", "802.3ad"),
    Bad("bond-mtu", _bond(mtu=100), f"{N0}/Bond-bond1", "mtu", "1500"),
    Bad("bond-address", _bond(address="10.0.5.1"), f"{N0}/Bond-bond1", "address", "prefix length"),
    Bad("bond-name", _bond("team0"), N0, "add_bond(name)", "bondN"),
    Bad("vlan-str", _vlan(vlan="20"), f"{N0}/Vlan-vmbr0.20", "vlan", "20 without quotes"),
    Bad("vlan-zero", _vlan(vlan=0), f"{N0}/Vlan-vmbr0.20", "vlan", "1-4094"),
    Bad("vlan-high", _vlan(vlan=4095), f"{N0}/Vlan-vmbr0.20", "vlan", "1-4094"),
    Bad("vlan-float", _vlan(vlan=20.0), f"{N0}/Vlan-vmbr0.20", "vlan", "an int"),
    Bad("vlan-interface", _vlan(interface="vmbr 0"), f"{N0}/Vlan-vmbr0.20", "interface", "eno1"),
    Bad("vlan-address", _vlan(address="10.20.0.5"), f"{N0}/Vlan-vmbr0.20", "address", "prefix length"),
    Bad("vlan-name", _vlan("vmbr0-20"), N0, "add_vlan(name)", "vmbr0.20"),
    # -- firewall rules in a group
    Bad("fw-port-high", _rule(proto="tcp", dport="65536"), GRP, "rules[0].dport", "5900:5999"),
    Bad("fw-port-zero", _rule(proto="tcp", dport="0"), GRP, "rules[0].dport", "80,443"),
    Bad("fw-port-dash-range", _rule(proto="tcp", dport="5900-5999"), GRP, "rules[0].dport", "5900:5999"),
    Bad("fw-port-range-down", _rule(proto="tcp", dport="5999:5900"), GRP, "rules[0].dport", "5900:5999"),
    Bad("fw-port-range-three", _rule(proto="tcp", dport="1:2:3"), GRP, "rules[0].dport", "5900:5999"),
    Bad("fw-port-list-space", _rule(proto="tcp", dport="80, 443"), GRP, "rules[0].dport", "80,443"),
    Bad("fw-port-list-empty", _rule(proto="tcp", dport="80,,443"), GRP, "rules[0].dport", "80,443"),
    Bad("fw-port-too-many", _rule(proto="tcp", dport=",".join(str(p) for p in range(1, 17))), GRP,
        "rules[0].dport", "80,443"),
    Bad("fw-port-int", _rule(proto="tcp", dport=22), GRP, "rules[0].dport", "as a string"),
    Bad("fw-sport-high", _rule(proto="udp", sport="99999"), GRP, "rules[0].sport", "80,443"),
    Bad("fw-port-no-proto", _rule(dport="22"), GRP, "rules[0].dport", "proto='tcp'"),
    Bad("fw-sport-no-proto", _rule(sport="1024:65535"), GRP, "rules[0].sport", "proto='tcp'"),
    Bad("fw-port-icmp", _rule(proto="icmp", dport="8"), GRP, "rules[0].dport", "tcp, udp"),
    Bad("fw-port-gre", _rule(proto="gre", dport="1"), GRP, "rules[0].dport", "tcp, udp"),
    Bad("fw-proto-typo", _rule(proto="tpc"), GRP, "rules[0].proto", "icmpv6"),
    Bad("fw-proto-number", _rule(proto="300"), GRP, "rules[0].proto", "0-255"),
    Bad("fw-proto-int", _rule(proto=6), GRP, "rules[0].proto", "as a string"),
    Bad("fw-source-prefix", _rule(source="10.0.0.0/33"), GRP, "rules[0].source", "10.0.0.0/24"),
    Bad("fw-source-v6-prefix", _rule(source="fd00::/129"), GRP, "rules[0].source", "10.0.0.0/24"),
    Bad("fw-source-octet", _rule(source="10.0.0.256"), GRP, "rules[0].source", "+ipset"),
    Bad("fw-source-mixed", _rule(source="10.0.0.1,fd00::1"), GRP, "rules[0].source", "one family"),
    Bad("fw-source-range-down", _rule(source="10.0.0.9-10.0.0.1"), GRP, "rules[0].source", "range a-b"),
    Bad("fw-source-ipset", _rule(source="+1bad"), GRP, "rules[0].source", "+ipset"),
    Bad("fw-dest-space", _rule(dest="10.0.0.1 10.0.0.2"), GRP, "rules[0].dest", "comma list"),
    Bad("fw-log", _rule(log="verbose"), GRP, "rules[0].log", "nolog"),
    Bad("fw-macro", _rule(macro="ssh server"), GRP, "rules[0].macro", "SSH or Ceph"),
    Bad("fw-action", _rule(action="ALLOW"), GRP, "rules[0].action", "Action.ACCEPT"),
    Bad("fw-direction", _rule(direction="forward"), GRP, "rules[0].direction", "Direction.IN"),
    Bad("fw-group-name", lambda lb: lb.cluster.firewall.add_security_group(  # type: ignore[union-attr]
        "9web", rules=[]), "Cluster/Firewall/Group-9web", "name", "starting with a letter"),
    Bad("fw-group-rules-not-rule", lambda lb: lb.cluster.firewall.add_security_group(  # type: ignore[union-attr]
        "web", rules=[{"action": "ACCEPT"}]), GRP, "rules[0]", "FirewallRule(...)"),
    Bad("fw-group-second-rule", lambda lb: lb.cluster.firewall.add_security_group(  # type: ignore[union-attr]
        "web", rules=[FirewallRule(Action.DROP), FirewallRule(Action.ACCEPT, proto="tcp", dport="8006:")]),
        GRP, "rules[1].dport", "5900:5999"),
    Bad("fw-standalone-group", lambda lb: SecurityGroup(lb.stack, "Sg", name="x", rules=[]), "Sg", "name",
        "2-18 letters"),
    Bad("fw-group-add-rule", lambda lb: lb.cluster.firewall.pve_group.add_rule(  # type: ignore[union-attr]
        FirewallRule(Action.ACCEPT, dport="22")), "Cluster/Firewall/PveGroup", "rule.dport", "proto='tcp'"),
    Bad("fw-cluster-rule-port", _cluster_rule(proto="udp", dport="70000"), FW, "rule.dport", "80,443"),
    Bad("fw-cluster-rule-no-proto", _cluster_rule(dport="443"), FW, "rule.dport", "proto='tcp'"),
    Bad("fw-cluster-rule-source", _cluster_rule(source="192.168.1.0/40"), FW, "rule.source", "CIDR"),
    Bad("fw-cluster-rule-not-rule", lambda lb: lb.cluster.firewall.add_rule("ACCEPT tcp 22"),  # type: ignore
        FW, "rule", "FirewallRule(...)"),
    # -- access
    Bad("access-priv-unknown", _access(privileges=["VM.Allocate", "VM.Teleport"]), "Access", "privileges",
        "VM.Config.Disk"),
    Bad("access-priv-monitor-9", _access(privileges=["VM.Monitor"]), "Access", "privileges", "PVE 8.4 only"),
    Bad("access-priv-guest-agent-8", _access(privileges=["VM.GuestAgent.Audit"], pve_version="8.4"), "Access",
        "privileges", "9.0, 9.1 only"),
    Bad("access-priv-replicate-8", _access(privileges=["VM.Replicate"], pve_version="8.4"), "Access",
        "privileges", "set pve_version"),
    Bad("access-priv-case", _access(privileges=["vm.audit"]), "Access", "privileges", "VM.Audit"),
    Bad("access-priv-string", _access(privileges="VM.Audit"), "Access", "privileges", "pass a list"),
    Bad("access-priv-empty", _access(privileges=[]), "Access", "privileges", "privileges it needs"),
    Bad("access-priv-perm-modify", _access(privileges=["Permissions.Modify"]), "Access", "privileges",
        "leave it out"),
    Bad("access-version", _access(pve_version="7.0"), "Access", "pve_version", "listed values"),
    Bad("access-user", _access(user_id="automation"), "Access", "user_id", "name@realm"),
    Bad("access-user-pam", _access(user_id="root@pam"), "Access", "user_id", "PVE-realm"),
    Bad("access-token", _access(token_name="1token"), "Access", "token_name", "starting with a letter"),
    Bad("access-role", _access(role_id="PVEAdmin"), "Access", "role_id", "not starting with PVE"),
    Bad("access-path", _access(path="vms/100"), "Access", "path", "/vms/100"),
    # -- guests
    Bad("vm-memory-str", _vm(memory_mib="2048"), "web", "memory_mib", "2048 without quotes"),
    Bad("vm-memory-low", _vm(memory_mib=8), "web", "memory_mib", "such as 2048"),
    Bad("vm-memory-float", _vm(memory_mib=2048.5), "web", "memory_mib", "an int"),
    Bad("vm-cores-zero", _vm(cores=0), "web", "cores", "whole number of cores"),
    Bad("vm-cores-bool", _vm(cores=True), "web", "cores", "an int"),
    Bad("vm-sockets", _vm(sockets=5), "web", "sockets", "1-4"),
    Bad("vm-balloon-over", _vm(memory_mib=1024, balloon_mib=2048), "web", "balloon_mib", "at most memory_mib"),
    Bad("vm-balloon-negative", _vm(balloon_mib=-1), "web", "balloon_mib", "0 to turn ballooning off"),
    Bad("vm-vmid-low", _vm(vm_id=99), "web", "vm_id", "free VMID"),
    Bad("vm-vmid-str", _vm(vm_id="100"), "web", "vm_id", "whole number"),
    Bad("vm-cpu", _vm(cpu_type="i9-9900k"), "web", "cpu_type", "EPYC-Rome"),
    Bad("vm-name", _vm(name="web_1"), "web", "name", "web-1"),
    Bad("vm-tag", _vm(tags=["Prod"]), "web", "tags[0]", "lowercase"),
    Bad("vm-tags-string", _vm(tags="prod"), "web", "tags", "pass a list"),
    Bad("vm-disk-size", _vm(disks=lambda lb: [Disk(lb.rbd, size_gib=0)]), "web", "disks[0].size_gib", "whole GiB"),
    Bad("vm-disk-size-str", _vm(disks=lambda lb: [Disk(lb.rbd, size_gib="32")]), "web", "disks[0].size_gib",
        "32 without quotes"),
    Bad("vm-disk-slot", _vm(disks=lambda lb: [Disk(lb.rbd, interface="scsi31")]), "web", "disks[0].interface",
        "scsi0-30"),
    Bad("vm-disk-slot-twice", _vm(disks=lambda lb: [Disk(lb.rbd, interface="scsi1"), Disk(lb.rbd, interface="scsi1")]),
        "web", "disks[1].interface", "own slot"),
    Bad("vm-disk-cache", _vm(disks=lambda lb: [Disk(lb.rbd, cache="fast")]), "web", "disks[0].cache", "writeback"),
    Bad("vm-disk-not-disk", _vm(disks=lambda lb: ["ceph-vm:32"]), "web", "disks[0]", "Disk(storage"),
    Bad("vm-disk-one", _vm(disks=lambda lb: Disk(lb.rbd)), "web", "disks", "even for one item"),
    Bad("vm-nic-vlan", _vm(networks=[NetworkInterface(vlan_id=5000)]), "web", "networks[0].vlan_id", "1-4094"),
    Bad("vm-nic-vlan-str", _vm(networks=[NetworkInterface(vlan_id="20")]), "web", "networks[0].vlan_id",
        "20 without quotes"),
    Bad("vm-nic-mac", _vm(networks=[NetworkInterface(mac_address="BC:24:11")]), "web", "networks[0].mac_address",
        "six hex octets"),
    Bad("vm-nic-bridge", _vm(networks=[NetworkInterface(bridge="eth0")]), "web", "networks[0].bridge", "vmbr0"),
    Bad("vm-nic-rate", _vm(networks=[NetworkInterface(rate_limit_mbps=0)]), "web", "networks[0].rate_limit_mbps",
        "no limit"),
    Bad("vm-nic-one", _vm(networks=NetworkInterface()), "web", "networks", "even for one item"),
    Bad("vm-cloudinit-ip", _vm(cloud_init=CloudInit(ipv4="10.0.0.5")), "web", "cloud_init.ipv4", "10.0.0.5/24"),
    Bad("vm-cloudinit-key-str", _vm(cloud_init=CloudInit(ssh_keys="ssh-ed25519 AAAA")), "web",
        "cloud_init.ssh_keys", "pass a list"),
    Bad("vm-boot-order", _vm(boot_order=["scsi5"]), "web", "boot_order", "scsi0"),
    Bad("vm-migration-timeout", _vm(migration_timeout_seconds=0), "web", "migration_timeout_seconds", "seconds"),
    Bad("vm-pool", _vm(pool="prod"), "web", "pool", "Pool(...)"),
    Bad("vm-ha", _vm(ha="yes"), "web", "ha", "ha=True"),
    Bad("vm-node", _vm(node="pve1"), "web", "node", "cluster.add_node"),
    Bad("ct-template", _ct(template="debian-12.tar.zst"), "ct", "template", "vztmpl"),
    Bad("ct-swap", _ct(swap_mib=-1), "ct", "swap_mib", "or 0"),
    Bad("ct-swap-str", _ct(swap_mib="512"), "ct", "swap_mib", "512 without quotes"),
    Bad("ct-memory", _ct(memory_mib=4), "ct", "memory_mib", "MiB"),
    Bad("ct-disk", _ct(disk=lambda lb: Disk(lb.rbd, size_gib=0)), "ct", "disk.size_gib", "whole GiB"),
    Bad("ct-disk-list", _ct(disk=lambda lb: [Disk(lb.rbd)]), "ct", "disk", "Disk(storage"),
    Bad("ct-cores", _ct(cores=9000), "ct", "cores", "whole number of cores"),
    Bad("pool-id", lambda lb: Pool(lb.stack, "P", pool_id="my pool"), "P", "pool_id", ""),
    # -- images, snippets, templates, clones
    Bad("image-url-scheme", _download(url="ftp://example.org/debian.qcow2"), "Image", "url", "https://"),
    Bad("image-checksum-length", _download(checksum="ab" * 31), "Image", "checksum", "sha256 checksum"),
    Bad("image-checksum-hex", _download(checksum="xy" * 32), "Image", "checksum", "published"),
    Bad("image-algorithm", _download(checksum_algorithm="crc32"), "Image", "checksum_algorithm", "sha256"),
    Bad("image-storage-content", _download(storage=lambda lb: lb.nfs), "Image", "storage", "add import"),
    Bad("image-storage-str", _download(storage="local"), "Image", "storage", "Storage.from_id"),
    Bad("image-cluster", _download(cluster="lab"), "Image", "cluster", "Cluster"),
    Bad("image-content", _download(content="images"), "Image", "content", "import"),
    Bad("image-file-name", _download(file_name="../debian.qcow2"), "Image", "file_name", "letters, digits"),
    Bad("image-ending", _download(url="https://example.org/noble.img", content="import"), "Image", "file_name",
        ".qcow2"),
    Bad("image-decompress-import", _download(decompression="gz"), "Image", "decompression", "unset"),
    Bad("image-decompression", _download(url="https://example.org/a.iso.xz", decompression="xz"), "Image",
        "decompression", "gz, lzo"),
    Bad("image-nodes-shared", _download(nodes=lambda lb: [lb.nodes[0]]), "Image", "nodes", "leave nodes unset"),
    Bad("image-timeout", _download(upload_timeout_seconds=0), "Image", "upload_timeout_seconds", "seconds"),
    Bad("snippet-storage", _snippet(storage=lambda lb: lb.local), "Snippet", "storage", "add snippets"),
    Bad("snippet-empty", _snippet(data=""), "Snippet", "data", "cloud-config"),
    Bad("snippet-name", _snippet(file_name="a b.yaml"), "Snippet", "file_name", "letters, digits"),
    Bad("template-image", _template(image="local:import/debian.qcow2"), "Template", "image", "DownloadedFile"),
    Bad("template-size", _template(disk_size_gib=0), "Template", "disk_size_gib", "virtual size"),
    Bad("template-storage", _template(storage=lambda lb: lb.nfs), "Template", "disks[0].storage", "add images"),
    Bad("template-vmid", _template(vm_id=99), "Template", "vm_id", "100-999999999"),
    Bad("clone-shrink", _clone(disks=lambda lb: [Disk(lb.rbd, size_gib=4)]), "web", "disks[0].size_gib",
        "8 GiB or more"),
    Bad("clone-linked-move", _clone(linked=True, disks=lambda lb: [Disk(lb.lvm, size_gib=8)]), "web",
        "disks[0].storage", "Clone.full"),
    Bad("vm-cloudinit-interfaces", _vm(cloud_init=CloudInit(interfaces=(IpConfig(), IpConfig()))), "web",
        "cloud_init.interfaces", "one IpConfig per item"),
    Bad("vm-cloudinit-both", _vm(cloud_init=CloudInit(ipv4_gateway="10.0.0.1", interfaces=(IpConfig(),))), "web",
        "cloud_init.ipv4", "interfaces[0]"),
    Bad("vm-cloudinit-ipv6", _vm(cloud_init=CloudInit(interfaces=(IpConfig(ipv6="slaac"),))), "web",
        "cloud_init.interfaces[0].ipv6", "auto"),
    Bad("vm-cloudinit-gateway", _vm(cloud_init=CloudInit(ipv4_gateway="router")), "web", "cloud_init.ipv4_gateway",
        "gateway's address"),
    Bad("vm-cloudinit-user-data-twice", _vm(cloud_init=lambda lb: CloudInit(
        user_data=_snippet()(lb), user_data_file_id="local:snippets/u.yaml")), "web", "cloud_init.user_data",
        "user_data_file_id"),
    Bad("ct-cloudinit-interfaces", _ct(cloud_init=CloudInit(interfaces=(IpConfig(), IpConfig()))), "ct",
        "cloud_init.interfaces", "one IpConfig per item"),
    Bad("ct-template-iso", _ct(template=_download(url="https://example.org/a.iso")), "ct", "template", "VZTMPL"),
    # -- HA
    Bad("ha-restart", _protect(max_restart=-1), "Cluster/Ha/vm:100", "max_restart", "0-10"),
    Bad("ha-relocate-str", _protect(max_relocate="1"), "Cluster/Ha/vm:100", "max_relocate", "1 without quotes"),
    Bad("ha-state", _protect(state="running"), "Cluster/Ha/vm:100", "state", "started, stopped"),
    # -- backups
    Bad("backup-schedule", _backup(schedule="every day"), "Backup", "schedule", "mon, tue"),
    Bad("backup-mode", _backup(mode="full"), "Backup", "mode", "snapshot"),
    Bad("backup-compression", _backup(compression="bzip2"), "Backup", "compression", "zstd"),
    Bad("backup-mail", _backup(mail_to=["ops@@example"]), "Backup", "mail_to[0]", ""),
    Bad("backup-mail-string", _backup(mail_to="ops@example.org"), "Backup", "mail_to", "pass a list"),
    Bad("backup-bw", _backup(bandwidth_limit_kibps=0), "Backup", "bandwidth_limit_kibps", ""),
    Bad("backup-threads", _backup(zstd_threads=-1), "Backup", "zstd_threads", ""),
    Bad("backup-storage", _backup(storage="nfs-backup"), "Backup", "storage", "Storage"),
    # -- replication
    Bad("repl-schedule", _replication(schedule="often"), "Repl", "schedule", "mon, tue"),
    Bad("repl-rate", _replication(rate_limit_mbps=-1), "Repl", "rate_limit_mbps", "no limit"),
    Bad("repl-same-node", _replication(target=lambda lb: lb.nodes[0]), "Repl", "target", ""),
    # -- monitoring
    Bad("influx-port", _influx(port=70000), "Influx", "port", ""),
    Bad("influx-protocol", _influx(protocol="tcp"), "Influx", "protocol", "https"),
    Bad("influx-mtu", _influx(mtu=100), "Influx", "mtu", ""),
    Bad("influx-body", _influx(max_body_size_bytes=0), "Influx", "max_body_size_bytes", ""),
    Bad("graphite-server", _graphite(server="graphite example"), "Graphite", "server", ""),
    Bad("graphite-protocol", _graphite(protocol="http"), "Graphite", "protocol", "tcp"),
    Bad("graphite-timeout", _graphite(timeout_seconds=0), "Graphite", "timeout_seconds", ""),
    # -- storage
    Bad("nfs-server", _storage(NfsStorage, server="nfs server", export="/export"), "Store", "server", ""),
    Bad("nfs-export", _storage(NfsStorage, server="10.0.0.5", export="export"), "Store", "export", ""),
    Bad("nfs-content", _storage(NfsStorage, server="10.0.0.5", export="/e", content=["disks"]), "Store",
        "content[0]", "listed values"),
    Bad("nfs-content-string", _storage(NfsStorage, server="10.0.0.5", export="/e", content="images"), "Store",
        "content", "even for one item"),
    Bad("nfs-id", _storage(NfsStorage, server="10.0.0.5", export="/e", storage_id="1nfs"), "Store",
        "storage_id", ""),
    Bad("dir-path", _storage(DirStorage, path="var/lib/vz"), "Store", "path", ""),
    Bad("lvm-vg", _storage(LvmThinStorage, volume_group="", thin_pool="data"), "Store", "volume_group", ""),
    Bad("zfs-pool", _storage(ZfsPoolStorage, pool="/rpool"), "Store", "pool", ""),
    Bad("zfs-ashift", _storage(ZfsPoolStorage, pool="tank", ashift=20), "Store", "ashift", ""),
    Bad("pbs-fingerprint", lambda lb: PbsStorage(
        lb.stack, "Store", server="pbs.example", datastore="main", username="backup@pbs", fingerprint="nope",
        password=_cdk.TerraformVariable(lb.stack, "pw", type="string", sensitive=True).string_value),
        "Store", "fingerprint", "32 hex pairs"),
    Bad("pbs-password-literal", _storage(PbsStorage, server="pbs.example", datastore="main", username="backup@pbs",
                                         password="hunter2"), "Store", "password", "sensitive TerraformVariable"),
    # -- Ceph
    Bad("ceph-pool-size", _ceph(lambda lb, c: c.add_pool("vm", size=9)), POOL, "size", "size=3"),
    Bad("ceph-pool-size-str", _ceph(lambda lb, c: c.add_pool("vm", size="3")), POOL, "size", "size=3"),
    Bad("ceph-pool-min-size", _ceph(lambda lb, c: c.add_pool("vm", min_size=4)), POOL, "min_size",
        "lower min_size"),
    Bad("ceph-pool-min-one", _ceph(lambda lb, c: c.add_pool("vm", size=2, min_size=1)), POOL, "min_size",
        "allow_unsafe=True"),
    Bad("ceph-pool-pg", _ceph(lambda lb, c: c.add_pool("vm", pg_num=100)), POOL, "pg_num", "autoscaler"),
    Bad("ceph-pool-app", _ceph(lambda lb, c: c.add_pool("vm", application="s3")), POOL, "application",
        "rbd, cephfs, rgw"),
    Bad("ceph-pool-name", _ceph(lambda lb, c: c.add_pool("my pool")), "Cluster/Ceph/Pool-my pool", "name",
        "letters, digits"),
    Bad("ceph-pool-ratio", _ceph(lambda lb, c: c.add_pool("vm", target_size_ratio=-1)), POOL,
        "target_size_ratio", "0.5"),
    Bad("ceph-osd-device", _ceph(lambda lb, c: lb.nodes[0].add_osd("sda")), "Cluster/Ceph/Osd-pve1-sda", "device",
        "/dev/disk/by-id"),
    Bad("ceph-osd-class", _ceph(lambda lb, c: lb.nodes[0].add_osd("/dev/sdb", device_class="tape")),
        "Cluster/Ceph/Osd-pve1-sdb", "device_class", "hdd, ssd, nvme"),
    Bad("ceph-osd-db-size", _ceph(lambda lb, c: lb.nodes[0].add_osd("/dev/sdb", db_device="/dev/nvme0n1",
                                                                     db_size_gib=-1)),
        "Cluster/Ceph/Osd-pve1-sdb", "db_size_gib", "such as 64"),
    Bad("ceph-osd-wal-no-device", _ceph(lambda lb, c: lb.nodes[0].add_osd("/dev/sdb", wal_size_gib=2)),
        "Cluster/Ceph/Osd-pve1-sdb", "wal_size_gib", "wal_device="),
    Bad("ceph-mds-name", _ceph(lambda lb, c: c.add_mds(lb.nodes[0], name="mds 1")), "Cluster/Ceph", "name",
        "letters, digits"),
    # -- SDN
    Bad("zone-id-long", _zone(zone_id="tenants12"), "Zone", "zone_id", "2-8 letters"),
    Bad("zone-id-dash", _zone(zone_id="ten-ants"), "Zone", "zone_id", "2-8 letters"),
    Bad("zone-id-digit", _zone(zone_id="9zone"), "Zone", "zone_id", "2-8 letters"),
    Bad("zone-nodes-empty", _zone(nodes=[]), "Zone", "nodes", "leave nodes unset"),
    Bad("zone-nodes-str", _zone(nodes=["pve1"]), "Zone", "nodes[0]", "cluster.add_node"),
    Bad("zone-mtu", _zone(mtu=100), "Zone", "mtu", "1450"),
    Bad("zone-dhcp-ipam", _zone(dhcp=True, ipam="netbox"), "Zone", "dhcp", "ipam as pve"),
    Bad("vlan-zone-bridge", _zone(VlanZone, bridge="vmbr7"), "Zone", "bridge", "node.add_bridge"),
    Bad("vlan-zone-bridge-name", _zone(VlanZone, bridge="my bridge"), "Zone", "bridge", "vmbr0"),
    Bad("qinq-service-vlan-0", _zone(QinqZone, service_vlan=0), "Zone", "service_vlan", "1-4094"),
    Bad("qinq-service-vlan-4095", _zone(QinqZone, service_vlan=4095), "Zone", "service_vlan", "1-4094"),
    Bad("qinq-protocol", _zone(QinqZone, service_vlan=10, service_vlan_protocol="802.1x"), "Zone",
        "service_vlan_protocol", "802.1ad"),
    Bad("vxlan-peer-foreign", _zone(VxlanZone, peers=["10.0.0.11", "10.0.0.12", "10.0.0.99"]), "Zone",
        "peers[2]", "addresses of the cluster's nodes"),
    Bad("vxlan-peer-name", _zone(VxlanZone, peers=["pve1"]), "Zone", "peers[0]", "10.0.0.11"),
    Bad("vxlan-peer-missing", _zone(VxlanZone, peers=["10.0.0.11"]), "Zone", "peers", "every node of the zone"),
    Bad("evpn-asn-0", lambda lb: EvpnController(lb.stack, "Evpn", asn=0), "Evpn", "asn", "AS number"),
    Bad("evpn-asn-str", lambda lb: EvpnController(lb.stack, "Evpn", asn="65000"), "Evpn", "asn", "without quotes"),
    Bad("evpn-controller-id", lambda lb: EvpnController(lb.stack, "Evpn", asn=65000, controller_id="-x"), "Evpn",
        "controller_id", "at most 64"),
    Bad("evpn-vrf-0", _evpn(vrf_vxlan=0), "Zone", "vrf_vxlan", "1-16777215"),
    Bad("evpn-controller-str", lambda lb: EvpnZone(lb.stack, "Zone", controller="evpn", vrf_vxlan=1), "Zone",
        "controller", "EvpnController"),
    Bad("evpn-exit-outside", _evpn(nodes=lambda lb: lb.nodes[:1], exit_nodes=lambda lb: lb.nodes[1:2]), "Zone",
        "exit_nodes[0]", "among the zone's nodes"),
    Bad("vnet-id-long", _vnet(vnet_id="webserver"), "Zone/Net", "vnet_id", "2-8 letters"),
    Bad("vnet-id-bridge", _vnet(vnet_id="vmbr0"), "Zone/Net", "vnet_id", "no node's bridge"),
    Bad("vnet-tag-simple", _vnet(tag=10), "Zone/Net", "tag", "leave tag unset"),
    Bad("vnet-tag-missing", _vnet(VlanZone), "Zone/Net", "tag", "1-4094"),
    Bad("vnet-vlan-0", _vnet(VlanZone, tag=0), "Zone/Net", "tag", "1-4094"),
    Bad("vnet-vlan-4095", _vnet(VlanZone, tag=4095), "Zone/Net", "tag", "1-4094"),
    Bad("vnet-qinq-4095", _vnet(QinqZone, {"service_vlan": 10}, tag=4095), "Zone/Net", "tag", "1-4094"),
    Bad("vnet-vxlan-big", _vnet(VxlanZone, tag=16_777_216), "Zone/Net", "tag", "1-16777215"),
    Bad("vnet-tag-str", _vnet(VlanZone, tag="10"), "Zone/Net", "tag", "without quotes"),
    Bad("vnet-alias", _vnet(alias="web;rm"), "Zone/Net", "alias", "256 letters"),
    Bad("vnet-zone-str", lambda lb: __import__("pvecdk").Vnet(lb.stack, "Net", zone="tenants"), "Net", "zone",
        "SimpleZone"),
    Bad("subnet-host-bits", _subnet("10.10.0.1/24"), "Subnet", "cidr", "network address"),
    Bad("subnet-no-prefix", _subnet("10.10.0.0"), "Subnet", "cidr", "CIDR notation"),
    Bad("subnet-gw-outside", _subnet(gateway="10.11.0.1"), "Subnet", "gateway", "inside 10.10.0.0/24"),
    Bad("subnet-gw-network", _subnet(gateway="10.10.0.0"), "Subnet", "gateway", "host address"),
    Bad("subnet-gw-name", _subnet(gateway="gw"), "Subnet", "gateway", "10.10.0.1"),
    Bad("subnet-snat-no-gw", _subnet(snat=True), "Subnet", "snat", "gateway="),
    Bad("subnet-dhcp-outside", _subnet(gateway="10.10.0.1", dhcp_range=DhcpRange("10.10.0.10", "10.10.1.10")),
        "Subnet", "dhcp_range.end", "inside 10.10.0.0/24"),
    Bad("subnet-dhcp-reversed", _subnet(dhcp_range=DhcpRange("10.10.0.90", "10.10.0.10")), "Subnet",
        "dhcp_range", "lower address"),
    Bad("subnet-dhcp-gateway", _subnet(gateway="10.10.0.50", dhcp_range=DhcpRange("10.10.0.10", "10.10.0.90")),
        "Subnet", "dhcp_range", "after the gateway"),
    Bad("subnet-dhcp-off", _subnet(dhcp=False, dhcp_range=DhcpRange("10.10.0.10", "10.10.0.90")), "Subnet",
        "dhcp_range", "dhcp=True"),
    Bad("subnet-dhcp-tuple", _subnet(dhcp_range=("10.10.0.10", "10.10.0.90")), "Subnet", "dhcp_range",
        "DhcpRange(start, end)"),
    Bad("subnet-dns", _subnet(dhcp_dns_server="dns.example"), "Subnet", "dhcp_dns_server", "10.10.0.1"),
    Bad("node-ssh-str", _node(ssh="root@10.0.0.50"), "Cluster/pve9", "ssh", "pass SshAccess(...)"),
    Bad("node-ssh-port", _node(ssh=SshAccess(port=0)), "Cluster/pve9", "ssh", "1-65535"),
    Bad("node-ssh-key", _node(ssh=SshAccess(host_key="AAAA")), "Cluster/pve9", "ssh", "ssh_host_ed25519_key.pub"),
    Bad("nic-bridge-int", _vm(networks=[NetworkInterface(bridge=5)]), "web", "networks[0].bridge", "SDN VNet"),
    Bad("ceph-no-public-network", lambda lb: lb.cluster.enable_ceph(), "Cluster/Ceph", "public_network",
        "storage_network"),
]

# Edge cases PVE takes, which must pass: number tokens where a whole number goes, bounds of ranges, the other
# spellings of PVE's formats.
GOOD: list[tuple[str, Callable[[Lab], Any]]] = [
    ("image-checksum-token", _download(checksum=lambda lb: _cdk.TerraformVariable(lb.stack, "sum",
                                                                               type="string").string_value)),
    ("image-uppercase-checksum-sha512", _download(checksum="AB" * 64, checksum_algorithm="sha512")),
    ("clone-same-size-linked-lvmthin", _clone(linked=True, template_storage=lambda lb: lb.lvm,
                                              disks=lambda lb: [Disk(lb.lvm, size_gib=8)])),
    ("clone-grow", _clone(disks=lambda lb: [Disk(lb.rbd, size_gib=9)])),
    ("vm-memory-token", _vm(memory_mib=_tok)),
    ("vm-cores-token", _vm(cores=_tok)),
    ("vm-balloon-token-memory-token", _vm(memory_mib=_tok, balloon_mib=lambda lb: 512)),
    ("ct-swap-token", _ct(swap_mib=_tok)),
    ("disk-size-token", _vm(disks=lambda lb: [Disk(lb.rbd, size_gib=_tok(lb))])),
    ("nic-vlan-token", _vm(networks=lambda lb: [NetworkInterface(vlan_id=_tok(lb))])),
    ("cluster-bw-token", lambda lb: Cluster(lb.stack, "C2", name="lab2", management_network=MGMT,
                                           bandwidth_limit_migration_kibps=_tok(lb),
                                           provider=ProxmoxProvider(lb.stack, "lab2", alias="lab2"))),
    ("backup-bw-token", _backup(bandwidth_limit_kibps=_tok)),
    ("ha-restart-token", _vm_then(lambda lb, vm: lb.cluster.ha.protect(vm, max_restart=_tok(lb)))),
    ("graphite-port-token", lambda lb: GraphiteServer(lb.stack, "Graphite", server="10.0.0.9", port=_tok(lb),
                                                      protocol="udp", mtu=1500)),
    ("repl-rate-token", _replication(rate_limit_mbps=_tok)),
    ("vlan-token", lambda lb: lb.nodes[0].add_vlan("vmbr0.20", interface="vmbr0", vlan=_tok(lb))),
    ("bridge-mtu-edges", lambda lb: (lb.nodes[0].add_bridge("vmbr1", mtu=1280),
                                    lb.nodes[0].add_bridge("vmbr2", mtu=65520))),
    ("vlan-edges", lambda lb: (lb.nodes[0].add_vlan("vmbr0.1", interface="vmbr0", vlan=1),
                              lb.nodes[0].add_vlan("vmbr0.4094", interface="vmbr0", vlan=4094))),
    ("bridge-ports-tuple", _bridge(ports=("eno2", "eno3"), address="10.5.0.1/31")),
    ("bridge-v6-address", _bridge(address="fd00::1/64", gateway="fd00::ffff")),
    ("bond-then-bridge", lambda lb: (lb.nodes[0].add_bond("bond1", slaves=["eno3", "eno4"]),
                                    lb.nodes[0].add_bridge("vmbr1", ports=["bond1"]))),
    ("fw-edges", _rule(proto="tcp", dport="1,65535,1000:2000", sport="1:65535", source="10.0.0.0/8,+management",
                       dest="fd00::1-fd00::9")),
    ("fw-macro-only", _rule(macro="SSH", source="management-net", dport="2222")),
    ("fw-proto-number", _rule(proto="47")),
    ("fw-proto-numbered-ports", _rule(proto="6", dport="22")),
    ("fw-out-icmpv6", _rule(proto="icmpv6", direction=Direction.OUT, log="nolog", dest="fd00::/8")),
    ("fw-fifteen-ports", _rule(proto="udp", dport=",".join(str(p) for p in range(1, 16)))),
    ("fw-dc-ipset", _rule(source="+dc/management", dest="10.0.0.1-10.0.0.9")),
    ("cluster-options", _cluster(keyboard="de-ch", time_zone="America/Argentina/Buenos_Aires", mac_prefix="02:00",
                                 qdevice=QDevice("fd00::5"), links=(CorosyncLink(NetworkRole.MANAGEMENT),))),
    ("cluster-tz-utc-link", _cluster(time_zone="Etc/UTC", mac_prefix="BC", keyboard="tr")),
    ("access-all-9", _access(privileges=sorted(__import__("pvecdk._values", fromlist=["x"]).PRIVILEGES[
        __import__("pvecdk._values", fromlist=["x"]).PveVersion.V9_1] - {"Permissions.Modify"}))),
    ("access-monitor-8", _access(privileges=["VM.Monitor", "VM.Audit"], pve_version="8.4")),
    ("node-token-free", _node(votes=0, node_id=2**32 - 1)),
    ("vnet-vlan-edges", lambda lb: _tags(VlanZone(lb.stack, "Zone", zone_id="vlans"), 1, 4094)),
    ("vnet-vxlan-edges", lambda lb: _tags(VxlanZone(lb.stack, "Zone", zone_id="vx"), 1, 16_777_215)),
    ("vnet-tag-token", lambda lb: VlanZone(lb.stack, "Zone", zone_id="vlans").add_vnet("Net", vnet_id="web",
                                                                                     tag=_tok(lb))),
    ("qinq-edges", lambda lb: (QinqZone(lb.stack, "A", zone_id="qa", service_vlan=1),
                               QinqZone(lb.stack, "B", zone_id="qb", service_vlan=4094))),
    ("evpn-asn-edges", lambda lb: (EvpnController(lb.stack, "Ca", asn=1),
                                   EvpnController(lb.stack, "Cb", asn=4_294_967_295))),
    ("zone-id-edges", lambda lb: (SimpleZone(lb.stack, "A", zone_id="ab"),
                                  SimpleZone(lb.stack, "B", zone_id="Ab345678"))),
    ("subnet-v6-dhcp-gw-edges", _subnet("fd00:10::/64", gateway="fd00:10::1", snat=True,
                                        dhcp_range=DhcpRange("fd00:10::2", "fd00:10::ffff"))),
    ("subnet-slash-31", _subnet("10.10.0.0/31", dhcp=False, gateway="10.10.0.0")),
    ("vm-on-vnet", lambda lb: Vm(lb.stack, "web", node=lb.nodes[0], vm_id=100, disks=[Disk(lb.rbd)], networks=[
        NetworkInterface(bridge=SimpleZone(lb.stack, "Zone", zone_id="tenants").add_vnet("Net", vnet_id="web"))])),
]


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_bad_definition_is_refused_at_its_path_and_field(case: Bad) -> None:
    l9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        case.build(l9)
    problems = excinfo.value.problems
    assert [(p.path, p.field) for p in problems][:1] == [(f"test/{case.path}", case.field)], str(excinfo.value)
    assert case.fix in problems[0].fix, problems[0].fix
    assert problems[0].problem and problems[0].fix


def test_corpus_covers_every_construct() -> None:
    assert len(BAD) >= 150 and len(GOOD) >= 20
    assert len({c.id for c in BAD}) == len(BAD)


@pytest.mark.parametrize("build", [b for _, b in GOOD], ids=[i for i, _ in GOOD])
def test_edge_case_is_accepted(build: Callable[[Lab], Any]) -> None:
    lb = lab()
    built = build(lb)
    assert built is not None
    assert synth_json(lb.stack)["resource"], "the stack still synthesizes"
    assert not policy_errors(lb.cluster)


def test_a_number_token_reaches_the_resource_unchanged() -> None:
    lb = lab()
    Vm(lb.stack, "web", node=lb.nodes[0], vm_id=100, disks=[Disk(lb.rbd)], memory_mib=_tok(lb))
    (vm,) = resources(lb.stack, "proxmox_virtual_environment_vm")
    assert vm["memory"]["dedicated"] == "${var.n}"


def test_a_migration_network_every_node_has_no_address_in_is_an_error() -> None:
    l9 = lab(migration_network="10.9.0.0/24")
    (problem,) = [p for p in policy_errors(l9.cluster) if p.field == "migration_network"]
    assert problem.path == "test/Cluster"
    assert "pve1, pve2, pve3" in problem.problem and "migration_address" in problem.fix


def test_a_migration_network_one_node_lacks_names_that_node() -> None:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "test")
    c = Cluster(stack, "Cluster", name="lab", management_network=MGMT, migration_network="10.9.0.0/24")
    for i in (1, 2, 3):
        c.add_node(f"pve{i}", management_address=f"192.168.1.{i}", management_interface="eno1",
                   migration_address=f"10.9.0.{i}" if i != 2 else None)
    (problem,) = [p for p in policy_errors(c) if p.field == "migration_network"]
    assert "on pve2:" in problem.problem


def test_a_wrong_construct_is_named_with_its_article() -> None:
    lb = lab()
    with pytest.raises(ConfigError) as excinfo:
        EvpnZone(lb.stack, "Zone", controller="evpn", vrf_vxlan=1)
    assert excinfo.value.problems[0].problem == "'evpn' is not an EvpnController"
    with pytest.raises(ConfigError) as excinfo:
        SimpleZone(lb.stack, "Zone", nodes=["pve1"])
    assert excinfo.value.problems[0].problem == "'pve1' is not a Node"
