"""Cluster and Node: topology checks, quorum rules, and what the constructs emit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lab import lab, only
from pvecdk import (
    AptRepository,
    Cluster,
    ConfigError,
    CorosyncLink,
    NetworkRole,
    NextIdRange,
    QDevice,
    _cdk,
)
from pvecdk.bpg import provider
from pvecdk.policy import check, quorum
from pvecdk.synth import synth_app

NETS = {"management_network": "192.168.1.0/24", "cluster_network": "10.0.0.0/24"}


def node_args(i: int, **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"node_id": i, "management_address": f"192.168.1.{10 + i}",
                            "cluster_address": f"10.0.0.{10 + i}", "management_interface": "eno1"}
    args.update(overrides)
    # Each role address is on an existing interface (eno2 for the cluster's, eno3, eno4), unless given otherwise.
    for role, nic in (("cluster", "eno2"), ("storage", "eno3"), ("migration", "eno4")):
        if args.get(f"{role}_address") is not None:
            args.setdefault(f"{role}_interface", nic)
    return {k: v for k, v in args.items() if v is not None}


def cluster_stack(nodes: int = 3, *, cluster: dict[str, Any] | None = None,
                  each: Callable[[Cluster], None] | None = None) -> Callable[[Any, str], Any]:
    def build(scope: Any, name: str) -> Any:
        stack = _cdk.TerraformStack(scope, name)
        provider.ProxmoxProvider(stack, "proxmox")
        c = Cluster(stack, "Cluster", **{"name": "lab", **NETS, **(cluster or {})})
        for i in range(1, nodes + 1):
            c.add_node(f"pve{i}", **node_args(i))
        if each is not None:
            each(c)
        return stack

    return build


def add(name: str, **overrides: Any) -> Callable[[Cluster], None]:
    def go(c: Cluster) -> None:
        c.add_node(name, **node_args(9, **overrides))

    return go


def protect(c: Cluster) -> None:
    c.ha.protect("vm:100")


# (case, stack factory, field of the first problem, words in its text)
BAD_TOPOLOGIES: list[tuple[str, Callable[[Any, str], Any], str, str]] = [
    ("duplicate node id", cluster_stack(each=add("pve9", node_id=1)), "node_id", "already used by pve1"),
    ("duplicate node name", cluster_stack(each=add("pve1")), "name", "node name 'pve1' is already used"),
    ("duplicate cluster address", cluster_stack(each=add("pve9", cluster_address="10.0.0.11")),
     "cluster_address", "already used by pve1"),
    ("address outside its network", cluster_stack(each=add("pve9", cluster_address="10.1.0.9")),
     "cluster_address", "outside the cluster network 10.0.0.0/24"),
    ("network address as node address", cluster_stack(each=add("pve9", management_address="192.168.1.0")),
     "management_address", "network's own or broadcast address"),
    ("link missing on a node", cluster_stack(each=add("pve9", cluster_address=None)),
     "cluster_address", "link0 runs on the cluster network, but the node has no address there"),
    ("second link missing on a node",
     cluster_stack(cluster={"storage_network": "172.16.0.0/24",
                            "links": [CorosyncLink(NetworkRole.CLUSTER), CorosyncLink(NetworkRole.STORAGE)]}, nodes=1),
     "storage_address", "link1 runs on the storage network"),
    ("invalid host name", cluster_stack(each=add("pve_9")), "name", "not a valid host name"),
    ("host name with a dot", cluster_stack(each=add("pve9.example.org")), "name",
     "is a domain name, not a host name"),
    ("nine links", cluster_stack(cluster={"links": [CorosyncLink(r) for r in NetworkRole] * 2 + [
        CorosyncLink(NetworkRole.CLUSTER)]}), "links", "at most 8 links"),
    ("two links on one network", cluster_stack(cluster={"links": [CorosyncLink(NetworkRole.CLUSTER)] * 2}),
     "links", "same network add no redundancy"),
    ("link on a network the cluster lacks", cluster_stack(cluster={"links": [CorosyncLink(NetworkRole.STORAGE)]}),
     "(props)", "link on the storage network, which the cluster does not define"),
    ("address on a network the cluster lacks", cluster_stack(each=add("pve9", storage_address="172.16.0.9")),
     "storage_address", "the cluster has no storage network"),
    ("host bits in a network", cluster_stack(cluster={"cluster_network": "10.0.0.1/24"}),
     "cluster_network", "not a network in CIDR notation"),
    ("cluster name too long", cluster_stack(cluster={"name": "a-very-long-cluster-name"}),
     "name", "not a valid cluster name"),
    ("two nodes without QDevice plus HA", cluster_stack(nodes=2, each=protect),
     "ha", "cannot keep quorum after one node fails"),
    ("one node plus HA", cluster_stack(nodes=1, each=protect), "ha", "cannot keep quorum"),
    ("QDevice on three nodes", cluster_stack(cluster={"qdevice": QDevice("192.168.1.5")}),
     "qdevice", "a QDevice on an odd number of nodes (3)"),
    ("a cluster without nodes", cluster_stack(nodes=0), "nodes", "the cluster has no node"),
    ("node id 0", cluster_stack(each=add("pve9", node_id=0)), "node_id", "node id must be 1 or more"),
    ("too many votes", cluster_stack(each=add("pve9", votes=300)), "votes", "votes must be 0-255"),
    ("gateway outside the management network", cluster_stack(cluster={"management_gateway": "10.9.9.1"}),
     "(props)", "management gateway 10.9.9.1 is outside"),
    ("DNS server given by name", cluster_stack(cluster={"dns_servers": ["dns.example.org"]}),
     "dns_servers", "is not an IP address"),
    ("bad MAC prefix", cluster_stack(cluster={"mac_prefix": "ZZ:24"}), "mac_prefix", "is not a MAC prefix"),
    ("link priority out of range", cluster_stack(cluster={"links": [CorosyncLink(NetworkRole.CLUSTER, 300)]}),
     "links", "link priority must be 0-255"),
    ("next id range inverted", cluster_stack(cluster={"next_id": NextIdRange(5000, 100)}),
     "next_id", "not within 100-999999999 with lower < upper"),
    ("bad HA resource id", cluster_stack(each=lambda c: c.ha.protect("vm:abc")),
     "resource_id", "not an HA resource id"),
    ("bad management interface", cluster_stack(each=add("pve9", management_interface="eth 0")),
     "management_interface", "is not an interface name"),
    ("zero bandwidth limit", cluster_stack(cluster={"bandwidth_limit_migration_kibps": 0}),
     "bandwidth_limit_migration_kibps", "must be positive"),
]

# Where the first problem of each case is reported, and words of its fix.
WHERE_AND_FIX: dict[str, tuple[str, str]] = {
    "duplicate node id": ("bad/Cluster/pve9", "give every node its own id, or leave node_id unset"),
    "duplicate node name": ("bad/Cluster/pve1", "give every node its own name"),
    "duplicate cluster address": ("bad/Cluster/pve9", "give every node its own address on each network"),
    "address outside its network": ("bad/Cluster/pve9", "give an address inside 10.0.0.0/24"),
    "network address as node address": ("bad/Cluster/pve9", "give a host address inside 192.168.1.0/24"),
    "link missing on a node": ("bad/Cluster/pve9", "give cluster_address=..."),
    "second link missing on a node": ("bad/Cluster/pve1", "give storage_address=..."),
    "invalid host name": ("bad/Cluster/pve_9", "use one DNS label"),
    "host name with a dot": ("bad/Cluster/pve9.example.org", "give the short name (pve9) and set search_domain"),
    "nine links": ("bad/Cluster", "remove links"),
    "two links on one network": ("bad/Cluster", "put each link on its own network"),
    "link on a network the cluster lacks": ("bad/Cluster", "set storage_network or put the link on another network"),
    "address on a network the cluster lacks": ("bad/Cluster/pve9", "set storage_network on the cluster"),
    "host bits in a network": ("bad/Cluster", "pass the network address, such as 10.0.0.0/24"),
    "cluster name too long": ("bad/Cluster", "use 1-15 letters, digits or '-'"),
    "two nodes without QDevice plus HA": ("bad/Cluster", "or two nodes plus a QDevice, before protecting guests"),
    "one node plus HA": ("bad/Cluster", "add nodes (three or more)"),
    "QDevice on three nodes": ("bad/Cluster", "remove the QDevice or add a node"),
    "a cluster without nodes": ("bad/Cluster", "add nodes with cluster.add_node(...)"),
    "node id 0": ("bad/Cluster/pve9", "number nodes from 1"),
    "too many votes": ("bad/Cluster/pve9", "give each node 1 vote unless you have a reason"),
    "gateway outside the management network": ("bad/Cluster", "give a gateway inside the management network"),
    "DNS server given by name": ("bad/Cluster", "give addresses, not names"),
    "bad MAC prefix": ("bad/Cluster", "give one to three hex octets, such as BC:24:11"),
    "link priority out of range": ("bad/Cluster", "pick a priority in 0-255"),
    "next id range inverted": ("bad/Cluster", "pick a range such as 100-999999"),
    "bad HA resource id": ("bad/Cluster/Ha/vm:abc", "pass the Vm or Container, or vm:<vmid> / ct:<vmid>"),
    "bad management interface": ("bad/Cluster/pve9", "give the NIC or bond vmbr0 bridges, such as eno1"),
    "zero bandwidth limit": ("bad/Cluster", "leave it unset for no limit"),
}


@pytest.mark.parametrize(("case", "factory", "field", "words"), BAD_TOPOLOGIES, ids=[c[0] for c in BAD_TOPOLOGIES])
def test_rejects_bad_topology(case: str, factory: Callable[[Any, str], Any], field: str, words: str,
                              tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as excinfo:
        synth_app({"bad": factory}, outdir=str(tmp_path / "out"))
    first = excinfo.value.problems[0]
    assert first.field == field, str(excinfo.value)
    assert words in first.problem, str(excinfo.value)
    assert first.fix, "every problem says how to fix it"
    assert first.path.startswith("bad/Cluster")
    path, fix = WHERE_AND_FIX[case]
    assert first.path == path and fix in first.fix, str(excinfo.value)
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert written == [], "nothing is written (cdktf makes the empty output folders when the app is created)"


def test_bad_topology_messages_are_distinct() -> None:
    assert len(BAD_TOPOLOGIES) >= 20
    assert len({(c[2], c[3]) for c in BAD_TOPOLOGIES}) == len(BAD_TOPOLOGIES)


def test_app_synth_alone_refuses_a_cluster_that_breaks_the_rules(tmp_path: Path) -> None:
    app = _cdk.App(outdir=str(tmp_path / "out"))
    cluster_stack(nodes=2, each=protect)(app, "direct")
    with pytest.raises(Exception, match="cannot keep quorum after one node fails"):
        app.synth()


# ----------------------------------------------------------------------------------------------- quorum


@pytest.mark.parametrize(
    ("votes", "qdevice", "expected"),
    [
        ([1], False, (1, 1, 0)),
        ([1, 1], False, (2, 2, 0)),
        ([1, 1], True, (3, 2, 1)),
        ([1, 1, 1], False, (3, 2, 1)),
        ([1, 1, 1, 1], False, (4, 3, 1)),
        ([1, 1, 1, 1], True, (5, 3, 2)),
        ([1, 1, 1, 1, 1], False, (5, 3, 2)),
        ([3, 1, 1], False, (5, 3, 0)),
        ([1] * 16, False, (16, 9, 7)),
    ],
)
def test_quorum_figures(votes: list[int], qdevice: bool, expected: tuple[int, int, int]) -> None:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "q")
    c = Cluster(stack, "Cluster", name="q", **NETS, qdevice=QDevice("192.168.1.5") if qdevice else None)
    for i, v in enumerate(votes, start=1):
        c.add_node(f"pve{i}", **node_args(i, votes=v))
    q = quorum(c)
    assert (q.votes, q.quorum, q.tolerated_failures) == expected


def _warnings(nodes: int, **cluster: Any) -> list[str]:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "w")
    c = Cluster(stack, "Cluster", name="w", **{**NETS, **cluster})
    for i in range(1, nodes + 1):
        c.add_node(f"pve{i}", **node_args(i, cluster_address=None if "cluster_network" in cluster else
                                          f"10.0.0.{10 + i}"))
    return [f"{f.problem.field}: {f.problem.problem}" for f in check(c) if f.severity == "warning"]


def test_warns_on_even_votes_without_qdevice() -> None:
    assert any("even number of votes (4)" in w for w in _warnings(4))


@pytest.mark.parametrize(("nodes", "refused"), [(2, False), (3, True), (4, False), (5, True)])
def test_a_qdevice_synthesizes_on_an_even_number_of_nodes_only(nodes: int, refused: bool, tmp_path: Path) -> None:
    factory = cluster_stack(nodes=nodes, cluster={"qdevice": QDevice("192.168.1.5")})
    if refused:
        with pytest.raises(ConfigError) as excinfo:
            synth_app({"q": factory}, outdir=str(tmp_path / "out"))
        assert [(p.path, p.field, p.fix) for p in excinfo.value.problems] == [
            ("q/Cluster", "qdevice", "remove the QDevice or add a node")]
        assert f"a QDevice on an odd number of nodes ({nodes})" in excinfo.value.problems[0].problem
        return
    (report,) = synth_app({"q": factory}, outdir=str(tmp_path / "out"))
    assert not any(": qdevice: " in note for note in report.notes), report.notes
    config = json.loads(report.path.read_text())
    assert len(config["resource"]["pvecdk_qdevice"]) == 1
    assert f"{nodes} nodes + QDevice" in report.notes[0]


def test_warns_that_two_votes_cannot_fail_over() -> None:
    assert any("2 votes cannot fail over" in w for w in _warnings(2))
    assert not any("cannot fail over" in w for w in _warnings(2, qdevice=QDevice("192.168.1.5")))


def test_warns_when_corosync_shares_the_management_network() -> None:
    assert any(w.startswith("cluster_network: corosync shares") for w in _warnings(3, cluster_network=None))


def test_three_nodes_have_no_warning() -> None:
    assert _warnings(3) == []


def test_summary_shows_quorum_figures() -> None:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "s")
    c = Cluster(stack, "Cluster", name="lab", **NETS)
    for i in (1, 2, 3):
        c.add_node(f"pve{i}", **node_args(i))
    assert c.summary() == ("cluster lab (PVE 9.1): 3 nodes, 3 votes, quorum 2, survives 1 node failure; "
                           "link0 cluster")


# ----------------------------------------------------------------------------------------------- emitted


def synth(factory: Callable[[Any, str], Any]) -> dict[str, Any]:
    import json

    stack = factory(_cdk.Testing.app(), "t")
    data: dict[str, Any] = json.loads(_cdk.Testing.synth(stack))
    return data


def test_cluster_options() -> None:
    config = synth(cluster_stack(cluster={
        "migration_network": "10.1.0.0/24", "crs_mode": "static", "bandwidth_limit_migration_kibps": 102400,
        "keyboard": "de", "mac_prefix": "BC:24:11", "next_id": NextIdRange(1000, 9999), "console": "xtermjs",
    }, nodes=1, each=lambda c: None))
    (options,) = config["resource"]["proxmox_cluster_options"].values()
    options.pop("//", None)
    (membership,) = config["resource"]["pvecdk_cluster"]
    assert options.pop("depends_on") == [f"pvecdk_cluster.{membership}"], "options wait for the membership"
    assert options == {
        "migration_cidr": "10.1.0.0/24", "migration_type": "secure", "ha_shutdown_policy": "conditional",
        "crs_ha": "static", "bandwidth_limit_migration": 102400, "keyboard": "de", "mac_prefix": "BC:24:11",
        "next_id": {"lower": 1000, "upper": 9999}, "console": "xtermjs",
    }


def test_migration_defaults_to_the_cluster_network() -> None:
    (options,) = synth(cluster_stack())["resource"]["proxmox_cluster_options"].values()
    assert options["migration_cidr"] == "10.0.0.0/24"


def test_fencing_is_carried_for_the_engine() -> None:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "f")
    c = Cluster(stack, "Cluster", name="f", **NETS, fencing="hardware")
    assert c.fencing == "hardware"


def test_node_configuration() -> None:
    config = synth(cluster_stack(cluster={"dns_servers": ["192.168.1.1"], "search_domain": "lab.internal",
                                          "apt_repository": AptRepository.NO_SUBSCRIPTION}))
    res = config["resource"]
    dns = [r for r in res["proxmox_virtual_environment_dns"].values()]
    assert {(d["node_name"], d["domain"], tuple(d["servers"])) for d in dns} == {
        (f"pve{i}", "lab.internal", ("192.168.1.1",)) for i in (1, 2, 3)}
    repos = res["proxmox_apt_standard_repository"].values()
    assert {(r["node"], r["handle"]) for r in repos} == {(f"pve{i}", "no-subscription") for i in (1, 2, 3)}
    firewalls = res["proxmox_node_firewall"].values()
    assert all(f["enabled"] is True for f in firewalls) and len(firewalls) == 3


def test_hosts_list_every_node_even_those_added_later() -> None:
    config = synth(cluster_stack(nodes=2, each=add("pve9")))
    for hosts in config["resource"]["proxmox_virtual_environment_hosts"].values():
        names = [e["hostnames"][-1] for e in hosts["entry"]]
        assert names == ["localhost", "pve1", "pve2", "pve9"]


def test_bonds_vlans_and_bridges() -> None:
    def extra(c: Cluster) -> None:
        node = c.nodes[0]
        node.add_bond("bond0", slaves=["eno2", "eno3"])
        node.add_bridge("vmbr1", ports=["bond0"], vlan_aware=True)
        node.add_vlan("vmbr1.20", interface="vmbr1", vlan=20, address="172.20.0.11/24")

    res = synth(cluster_stack(nodes=1, each=extra))["resource"]
    (bond,) = res["proxmox_network_linux_bond"].values()
    assert (bond["name"], bond["slaves"], bond["bond_mode"]) == ("bond0", ["eno2", "eno3"], "active-backup")
    assert {b["name"] for b in res["proxmox_network_linux_bridge"].values()} == {"vmbr0", "vmbr1"}
    (vlan,) = res["proxmox_network_linux_vlan"].values()
    assert (vlan["interface"], vlan["vlan"]) == ("vmbr1", 20)


@pytest.mark.parametrize(
    ("call", "field", "path", "fix"),
    [
        (lambda n: n.add_bridge("bridge1"), "add_bridge(name)", "i/Cluster/pve1", "name it vmbrN, such as vmbr1"),
        (lambda n: n.add_bridge("vmbr0"), "add_bridge(name)", "i/Cluster/pve1", "give every interface its own name"),
        (lambda n: n.add_vlan("vmbr0.5000", interface="vmbr0", vlan=5000), "vlan", "i/Cluster/pve1/Vlan-vmbr0.5000",
         "pick a VLAN id in 1-4094"),
        (lambda n: n.add_bond("bond0", slaves=[]), "slaves", "i/Cluster/pve1/Bond-bond0",
         "give slaves=[...] with at least one interface"),
    ],
)
def test_rejects_bad_interfaces(call: Callable[[Any], Any], field: str, path: str, fix: str) -> None:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "i")
    c = Cluster(stack, "Cluster", name="i", **NETS)
    node = c.add_node("pve1", **node_args(1))
    with pytest.raises(ConfigError) as excinfo:
        call(node)
    assert excinfo.value.problems[0].field == field
    assert (excinfo.value.problems[0].path, excinfo.value.problems[0].fix) == (path, fix)


def test_users_add_rules_and_groups() -> None:
    from pvecdk import Action, FirewallRule

    def extra(c: Cluster) -> None:
        assert c.firewall is not None
        c.firewall.add_security_group("ceph", rules=[FirewallRule(Action.ACCEPT, macro="Ceph", source="+storage")])
        c.firewall.add_rule(FirewallRule(Action.ACCEPT, proto="icmp", source="+management", comment="ping"))

    config = synth(cluster_stack(cluster={"storage_network": "172.16.0.0/24"}, each=extra))
    resources = config["resource"]
    groups = {g["name"]: g for g in resources["proxmox_virtual_environment_cluster_firewall_security_group"].values()}
    assert groups["ceph"]["rule"] == [{"action": "ACCEPT", "enabled": True, "macro": "Ceph", "source": "+storage",
                                       "type": "in"}]
    (rules,) = config["resource"]["proxmox_virtual_environment_firewall_rules"].values()
    assert [r.get("security_group") or r.get("comment") for r in rules["rule"]] == ["pve-cluster", "ceph", "ping"]
    assert len(rules["depends_on"]) == 2


def test_firewall_can_be_left_off() -> None:
    config = synth(cluster_stack(cluster={"firewall": False}))
    assert "proxmox_virtual_environment_cluster_firewall" not in config["resource"]
    assert "proxmox_node_firewall" not in config["resource"]


def test_migration_opens_its_ports_on_the_migration_network() -> None:
    config = synth(cluster_stack(cluster={"migration_type": "insecure"}))
    (group,) = config["resource"]["proxmox_virtual_environment_cluster_firewall_security_group"].values()
    assert ("tcp", "60000:60050", "+cluster") in {(r["proto"], r["dport"], r["source"]) for r in group["rule"]}


def test_pve8_is_a_target_version() -> None:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "v")
    c = Cluster(stack, "Cluster", name="v", **NETS, pve_version="8.4")
    assert c.pve_version.major == 8
    with pytest.raises(ConfigError) as excinfo:
        Cluster(stack, "Other", name="v", **NETS, pve_version="7.4")
    assert excinfo.value.problems[0].field == "pve_version"
    problem = excinfo.value.problems[0]
    assert (problem.path, problem.fix) == ("v/Other", "pass one of the listed values")


def test_membership_resource_lists_every_node_in_id_order() -> None:
    config = synth(cluster_stack(nodes=2, each=add("pve9", node_id=5), cluster={
        "links": [CorosyncLink(NetworkRole.CLUSTER, 10), CorosyncLink(NetworkRole.MANAGEMENT, 5)]}))
    (membership,) = config["resource"]["pvecdk_cluster"].values()
    assert membership["name"] == "lab" and membership["fencing"] == "watchdog" and membership["pve_version"] == "9.1"
    assert membership["link"] == [{"priority": 10}, {"priority": 5}]
    # Members are keyed by node name, so removing one plans that node's removal, not a shift of the others.
    assert [(k, m["node_id"], m["addresses"], m["endpoint"]) for k, m in membership["member"].items()] == [
        ("pve1", 1, ["10.0.0.11", "192.168.1.11"], "https://192.168.1.11:8006"),
        ("pve2", 2, ["10.0.0.12", "192.168.1.12"], "https://192.168.1.12:8006"),
        ("pve9", 5, ["10.0.0.19", "192.168.1.19"], "https://192.168.1.19:8006"),
    ]
    assert membership["lifecycle"] == {"prevent_destroy": True}
    assert "pvecdk" in config["provider"], "the pvecdk provider block is added to the stack"
    for hosts in config["resource"]["proxmox_virtual_environment_hosts"].values():
        assert hosts["depends_on"] == ["pvecdk_cluster." + next(iter(config["resource"]["pvecdk_cluster"]))]


def test_message_shape() -> None:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "v")
    with pytest.raises(ConfigError) as excinfo:
        Cluster(stack, "Cluster", name="v", **NETS, mac_prefix="ZZ:24")
    assert str(excinfo.value) == (
        "1 problem in the configuration\n"
        "  v/Cluster: mac_prefix: 'ZZ:24' is not a MAC prefix; give one to three hex octets, such as BC:24:11")


def test_security_group_props_are_checked_before_anything_is_added() -> None:
    from pvecdk import Action, FirewallRule

    firewall = lab().cluster.firewall
    assert firewall is not None
    with pytest.raises(ConfigError) as excinfo:
        firewall.add_security_group("a", rules=[FirewallRule(Action.ACCEPT, macro="SSH")])
    problem = only(excinfo)
    assert (problem.path, problem.field) == ("test/Cluster/Firewall/Group-a", "name")
    assert (problem.problem, problem.fix) == ("'a' is not a valid firewall name",
                                              "use 2-18 letters, digits, '-' or '_', starting with a letter")
    with pytest.raises(ConfigError) as excinfo:
        firewall.add_security_group("web", rules=["ACCEPT tcp 443"])  # type: ignore[list-item]
    problem = only(excinfo)
    assert problem.field == "rules[0]" and problem.fix == "pass FirewallRule(...)"
    assert firewall.node.try_find_child("Group-a") is None and firewall.node.try_find_child("Group-web") is None


# ------------------------------------------------------------------------------------ role interfaces


def _interface_errors(each: Callable[[Cluster], None], **overrides: Any) -> list[Any]:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "t")
    c = Cluster(stack, "Cluster", name="lab", storage_network="172.16.0.0/24", **NETS)
    for i in (1, 2, 3):
        c.add_node(f"pve{i}", **node_args(i, storage_address=f"172.16.0.{10 + i}", **overrides.get(f"pve{i}", {})))
    each(c)
    return [f.problem for f in check(c) if f.severity == "error"]


@pytest.mark.parametrize("how", ["bridge", "bond", "vlan"])
def test_a_role_address_on_an_interface_the_model_creates_passes(how: str) -> None:
    def carry(c: Cluster) -> None:
        for i, node in enumerate(c.nodes, start=1):
            address = f"172.16.0.{10 + i}/24"
            if how == "bridge":
                node.add_bridge("vmbr2", ports=["eno3"], address=address)
            elif how == "bond":
                node.add_bond("bond1", slaves=["eno3", "eno4"], address=address)
            else:
                node.add_vlan("vmbr0.40", interface="vmbr0", vlan=40, address=address)

    free = {f"pve{i}": {"storage_interface": None} for i in (1, 2, 3)}
    assert _interface_errors(carry, **free) == []


def test_rejects_a_role_address_on_no_interface_naming_each_node_that_lacks_it() -> None:
    def carry(c: Cluster) -> None:
        c.nodes[0].add_bridge("vmbr2", ports=["eno3"], address="172.16.0.11/24")
        c.nodes[2].add_bridge("vmbr2", ports=["eno3"], address="172.16.0.99/24")  # another address

    free = {f"pve{i}": {"storage_interface": None} for i in (1, 2, 3)}
    problems = _interface_errors(carry, **free)
    assert [(p.path, p.field) for p in problems] == [("t/Cluster/pve2", "storage_address"),
                                                     ("t/Cluster/pve3", "storage_address")]
    assert "172.16.0.12 is on no interface of pve2" in problems[0].problem
    assert "storage_interface=" in problems[0].fix and "add_bridge" in problems[0].fix


def test_an_address_named_as_on_an_existing_interface_passes_and_creates_nothing() -> None:
    assert _interface_errors(lambda c: None) == []
    config = synth(cluster_stack(each=lambda c: None))
    assert {b["name"] for b in config["resource"]["proxmox_network_linux_bridge"].values()} == {"vmbr0"}


def test_the_management_address_is_on_vmbr0() -> None:
    problems = _interface_errors(lambda c: None, pve1={"cluster_interface": None})
    assert [(p.path, p.field) for p in problems] == [("t/Cluster/pve1", "cluster_address")]
