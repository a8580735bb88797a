"""The cluster firewall, evaluated as PVE's host firewall evaluates it: the flows the services need pass, nothing
else does.

The expected flows come from PVE's documentation ("Ports used by Proxmox VE", the ``Ceph`` macro, the QDevice
chapter), written here independently of :mod:`pvecdk.firewall`. The synthesized rules are evaluated the way
``pve-firewall`` does for a host: the cluster-level rules in order (a security group expanded in place), the first
matching rule decides, and the input policy decides what matches none. Every port at which the answer could
change (the ends of every range in the rules and in the table, and their neighbours) is tried, for every pair of
nodes on every network, from a host outside the cluster's networks, and across networks.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from pvecdk import Cluster, CorosyncLink, NetworkRole, QDevice, _cdk
from pvecdk.bpg import provider

from stacks import STACKS

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Ports = tuple[int, int]


@dataclass(frozen=True)
class Flow:
    direction: str
    proto: str
    source: Address
    dest: Address
    dport: int


class HostFirewall:
    """The IN and OUT decisions of one PVE host, from a stack's synthesized cluster firewall."""

    def __init__(self, config: dict[str, Any]) -> None:
        res = config["resource"]
        (fw,) = res["proxmox_virtual_environment_cluster_firewall"].values()
        assert fw["enabled"] is True
        self.policy = {"in": fw["input_policy"], "out": fw["output_policy"]}
        self.ipsets = {i["name"]: [ipaddress.ip_network(c["name"]) for c in i["cidr"]]
                       for i in res.get("proxmox_virtual_environment_firewall_ipset", {}).values()}
        self.aliases = {a["name"]: ipaddress.ip_network(a["cidr"])
                        for a in res.get("proxmox_virtual_environment_firewall_alias", {}).values()}
        groups = {g["name"]: g["rule"]
                  for g in res["proxmox_virtual_environment_cluster_firewall_security_group"].values()}
        (cluster_rules,) = res["proxmox_virtual_environment_firewall_rules"].values()
        self.rules: list[dict[str, Any]] = []
        for rule in cluster_rules["rule"]:
            self.rules += groups[rule["security_group"]] if "security_group" in rule else [rule]

    def _addresses(self, spec: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        out: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for part in spec.split(","):
            if part.startswith("+"):
                out += self.ipsets[part[1:]]
            elif part in self.aliases:
                out.append(self.aliases[part])
            else:
                out.append(ipaddress.ip_network(part, strict=False))
        return out

    def _in(self, address: Address, spec: str | None) -> bool:
        return spec is None or any(address in network for network in self._addresses(spec))

    @staticmethod
    def _port_in(port: int, spec: str | None) -> bool:
        return spec is None or any(low <= port <= high for low, high in _ranges(spec))

    def allows(self, flow: Flow) -> bool:
        for rule in self.rules:
            if rule.get("enabled") is False or rule["type"] != flow.direction:
                continue
            if rule.get("proto") not in (None, flow.proto) or not self._port_in(flow.dport, rule.get("dport")):
                continue
            if self._in(flow.source, rule.get("source")) and self._in(flow.dest, rule.get("dest")):
                return bool(rule["action"] == "ACCEPT")
        return bool(self.policy[flow.direction] == "ACCEPT")

    def ports(self) -> set[Ports]:
        """Every port range the rules name."""
        return {r for rule in self.rules if rule.get("dport") for r in _ranges(rule["dport"])}


def _ranges(spec: str) -> list[Ports]:
    out = []
    for part in spec.split(","):
        low, _, high = part.partition(":")
        out.append((int(low), int(high or low)))
    return out


def _probes(ranges: Iterable[Ports]) -> list[int]:
    """The ports at which an answer can change: each range's ends and their neighbours."""
    return sorted({p for low, high in ranges for p in (low - 1, low, high, high + 1) if 0 < p <= 65535})


@dataclass(frozen=True)
class Service:
    """A flow a service needs between nodes: its protocol, ports and the network it crosses."""

    name: str
    proto: str
    ports: Ports
    network: str  # the network's role in the model


def needed(services: Iterable[Service]) -> Callable[[str, int, str | None], bool]:
    """Whether a flow (proto, port, the network both ends are on, or None across networks) is needed."""
    table = list(services)

    def need(proto: str, port: int, network: str | None) -> bool:
        return any(s.proto == proto and s.ports[0] <= port <= s.ports[1] and s.network == network for s in table)

    return need


def check_node_flows(config: dict[str, Any], nodes: dict[str, dict[str, str]], services: list[Service]) -> int:
    """Assert that between every two nodes exactly the flows of ``services`` pass; return how many were tried."""
    fw = HostFirewall(config)
    need = needed(services)
    ports = {p for s in services for p in _probes([s.ports])} | set(_probes(fw.ports())) | {1, 80, 443, 65535}
    outside = ipaddress.ip_address("203.0.113.9")
    tried = 0
    wrong = []
    for src_name, src in nodes.items():
        for dst_name, dst in nodes.items():
            if src_name == dst_name:
                continue
            for src_net, src_addr in src.items():
                for dst_net, dst_addr in dst.items():
                    network = src_net if src_net == dst_net else None
                    for proto in ("tcp", "udp"):
                        for port in ports:
                            flow = Flow("in", proto, ipaddress.ip_address(src_addr), ipaddress.ip_address(dst_addr),
                                        port)
                            tried += 1
                            if fw.allows(flow) != need(proto, port, network):
                                wrong.append((src_name, src_net, dst_name, dst_net, proto, port, fw.allows(flow)))
        for dst_addr in nodes[src_name].values():
            for proto in ("tcp", "udp"):
                for port in ports:
                    tried += 1
                    if fw.allows(Flow("in", proto, outside, ipaddress.ip_address(dst_addr), port)):
                        wrong.append(("outside", None, src_name, dst_addr, proto, port, True))
    assert not wrong, f"{len(wrong)} flows decided wrongly, first: {wrong[:5]}"
    return tried


def synth_stack(factory: Callable[[Any, str], Any]) -> dict[str, Any]:
    stack = factory(_cdk.Testing.app(), "t")
    data: dict[str, Any] = json.loads(_cdk.Testing.synth(stack))
    return data


MANAGEMENT = [Service("SSH", "tcp", (22, 22), "management"), Service("web UI and API", "tcp", (8006, 8006),
              "management"), Service("VNC", "tcp", (5900, 5999), "management"),
              Service("SPICE proxy", "tcp", (3128, 3128), "management")]


def corosync(network: str) -> Service:
    return Service("corosync", "udp", (5405, 5412), network)


def migration(network: str) -> list[Service]:
    return [Service("live migration", "tcp", (60000, 60050), network), Service("SSH", "tcp", (22, 22), network)]


def ceph_public(network: str) -> list[Service]:
    return [Service("Ceph monitor v2", "tcp", (3300, 3300), network),
            Service("Ceph monitor v1", "tcp", (6789, 6789), network),
            Service("Ceph daemons", "tcp", (6800, 7300), network)]


# --------------------------------------------------------------------------------------------- the guide


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    return synth_stack(STACKS["example-cluster"])


def test_example_firewall_allows_what_the_services_need_and_nothing_else(example: dict[str, Any]) -> None:
    nodes = {f"pve{i}": {"management": f"192.168.1.{10 + i}", "cluster": f"10.0.0.{10 + i}",
                         "storage": f"172.16.0.{10 + i}"} for i in (1, 2, 3)}
    services = [corosync("cluster"), corosync("management"), *MANAGEMENT, *migration("cluster"),
                *ceph_public("storage")]
    check_node_flows(example, nodes, services)


def test_example_firewall_names_each_service(example: dict[str, Any]) -> None:
    fw = HostFirewall(example)
    opened = {(r["proto"], r["dport"], r["source"], r.get("dest")) for r in fw.rules}
    assert ("udp", "5405:5412", "+cluster", "+cluster") in opened, "corosync link0"
    assert ("udp", "5405:5412", "+management", "+management") in opened, "corosync link1"
    assert ("tcp", "6800:7300", "+storage", "+storage") in opened, "Ceph daemons on the public network"
    assert ("tcp", "3300,6789", "+storage", "+storage") in opened, "Ceph monitors"
    assert ("tcp", "60000:60050", "+cluster", "+cluster") in opened, "live migration on the cluster network"
    assert all(r["source"] != "0.0.0.0/0" and r["source"] for r in fw.rules), "nothing opened to the world"
    assert not any("5404" in r["dport"] for r in fw.rules), "corosync's knet range is 5405-5412"


# -------------------------------------------------------------------- every network a service can use


def _wide(scope: Any, name: str) -> Any:
    """Migration on its own network, Ceph's replication network given as a CIDR, three corosync links and a
    QDevice."""
    stack = _cdk.TerraformStack(scope, name)
    provider.ProxmoxProvider(stack, "proxmox")
    cluster = Cluster(stack, "Cluster", name="wide", management_network="192.168.1.0/24",
                      cluster_network="10.0.0.0/24", storage_network="172.16.0.0/24",
                      migration_network="10.9.0.0/24",
                      links=[CorosyncLink(NetworkRole.CLUSTER), CorosyncLink(NetworkRole.STORAGE),
                             CorosyncLink(NetworkRole.MANAGEMENT)],
                      qdevice=QDevice("192.168.1.5"))
    for i in (1, 2, 3, 4):
        node = cluster.add_node(f"pve{i}", node_id=i, management_interface="eno1",
                                management_address=f"192.168.1.{10 + i}", cluster_address=f"10.0.0.{10 + i}",
                                storage_address=f"172.16.0.{10 + i}", migration_address=f"10.9.0.{10 + i}")
        node.add_bridge("vmbr1", ports=["eno2"], address=f"10.0.0.{10 + i}/24")
        node.add_bridge("vmbr2", ports=["eno3"], address=f"172.16.0.{10 + i}/24")
        node.add_bridge("vmbr3", ports=["eno4"], address=f"10.9.0.{10 + i}/24")
        node.add_bridge("vmbr4", ports=["eno5"], address=f"10.8.0.{10 + i}/24")
    cluster.enable_ceph(public_network=NetworkRole.STORAGE, cluster_network="10.8.0.0/24")
    return stack


def test_each_service_opens_only_on_its_own_networks() -> None:
    config = synth_stack(_wide)
    nodes = {f"pve{i}": {"management": f"192.168.1.{10 + i}", "cluster": f"10.0.0.{10 + i}",
                         "storage": f"172.16.0.{10 + i}", "migration": f"10.9.0.{10 + i}",
                         "ceph-cluster": f"10.8.0.{10 + i}"} for i in (1, 2, 3, 4)}
    services = [corosync("cluster"), corosync("storage"), corosync("management"), *MANAGEMENT,
                *migration("migration"), *ceph_public("storage"),
                Service("Ceph replication", "tcp", (6800, 7300), "ceph-cluster")]
    check_node_flows(config, nodes, services)


def test_qdevice_host_is_reached_on_qnetd_port_only() -> None:
    fw = HostFirewall(synth_stack(_wide))
    out = [r for r in fw.rules if r["type"] == "out"]
    assert [(r["proto"], r["dport"], r["dest"]) for r in out] == [("tcp", "5403", "192.168.1.5")]
    fw.policy["out"] = "DROP"  # what the rule alone lets out
    node = ipaddress.ip_address("192.168.1.11")
    qnetd = ipaddress.ip_address("192.168.1.5")
    assert fw.allows(Flow("out", "tcp", node, qnetd, 5403))
    assert not fw.allows(Flow("out", "tcp", node, qnetd, 5404))
    assert not fw.allows(Flow("out", "udp", node, qnetd, 5403))
    assert not fw.allows(Flow("out", "tcp", node, ipaddress.ip_address("192.168.1.6"), 5403))


def test_without_ceph_no_ceph_port_opens() -> None:
    def plain(scope: Any, name: str) -> Any:
        stack = _cdk.TerraformStack(scope, name)
        provider.ProxmoxProvider(stack, "proxmox")
        cluster = Cluster(stack, "Cluster", name="plain", management_network="192.168.1.0/24")
        for i in (1, 2, 3):
            cluster.add_node(f"pve{i}", management_interface="eno1", management_address=f"192.168.1.{10 + i}")
        return stack

    nodes = {f"pve{i}": {"management": f"192.168.1.{10 + i}"} for i in (1, 2, 3)}
    check_node_flows(synth_stack(plain), nodes, [corosync("management"), *MANAGEMENT,
                                                 Service("live migration", "tcp", (60000, 60050), "management")])
