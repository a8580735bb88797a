"""The cross-construct rules at their boundaries and over several items: quorum figures up to 7 votes,
HA exactly where one failure is survivable, Ceph monitors and managers on 1, 2 and 3 nodes, and every rule
that iterates (guests, volumes, bridges, rules and their members) with the offending item in the middle."""

from __future__ import annotations

from typing import Any

import pytest
from lab import lab, policy_errors
from pvecdk import Cluster, ConfigError, Disk, NetworkInterface, QDevice, Storage, Vm, _cdk
from pvecdk.bpg import provider
from pvecdk.policy import check, check_ceph, enforce, quorum


def _vm(lab_: Any, vm_id: int, node: int = 0, **kwargs: Any) -> Vm:
    kwargs.setdefault("disks", [Disk(lab_.rbd)])
    return Vm(lab_.stack, f"vm{vm_id}", node=lab_.nodes[node], vm_id=vm_id, **kwargs)


def cluster_of(votes: list[int], *, qdevice: bool = False, storage: bool = False, corosync: bool = True) -> Cluster:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "q")
    provider.ProxmoxProvider(stack, "proxmox")
    nets = {"management_network": "192.168.1.0/24", "cluster_network": "10.0.0.0/24"}
    if not corosync:
        del nets["cluster_network"]
    if storage:
        nets["storage_network"] = "172.16.0.0/24"
    c = Cluster(stack, "Cluster", name="q", qdevice=QDevice("192.168.1.5") if qdevice else None, **nets)
    for i, v in enumerate(votes, start=1):
        c.add_node(f"pve{i}", node_id=i, votes=v, management_address=f"192.168.1.{10 + i}",
                   cluster_address=f"10.0.0.{10 + i}" if corosync else None,
                   cluster_interface="eno2" if corosync else None,
                   storage_address=f"172.16.0.{10 + i}" if storage else None,
                   storage_interface="eno3" if storage else None, management_interface="eno1")
    return c


# -------------------------------------------------------------------------------- quorum


@pytest.mark.parametrize(("votes", "qdevice", "expected"), [
    ([1] * 5, False, (5, 3, 2)),
    ([1] * 6, False, (6, 4, 2)),
    ([1] * 7, False, (7, 4, 3)),
    ([1] * 6, True, (7, 4, 3)),
    ([2, 1, 1, 1], False, (5, 3, 1)),  # the two-vote node fails first: 3 of 5 left, then 2: short
    ([1, 1, 2, 1, 1], False, (6, 4, 1)),  # the largest in the middle still fails first
    ([3, 1, 1, 1, 1], False, (7, 4, 1)),
    ([2, 2, 1], False, (5, 3, 1)),
])
def test_quorum_figures_up_to_seven_votes(votes: list[int], qdevice: bool, expected: tuple[int, int, int]) -> None:
    q = quorum(cluster_of(votes, qdevice=qdevice))
    assert (q.votes, q.quorum, q.tolerated_failures) == expected
    assert q.qdevice_votes == (1 if qdevice else 0)


@pytest.mark.parametrize(("nodes", "qdevice", "refused"), [(1, False, True), (2, False, True), (2, True, False),
                                                           (3, False, False)])
def test_ha_needs_one_survivable_failure_exactly(nodes: int, qdevice: bool, refused: bool) -> None:
    lab9 = lab(nodes=nodes, qdevice=QDevice("192.168.1.5") if qdevice else None)
    _vm(lab9, 100, ha=True)
    _vm(lab9, 101, ha=True)
    q = quorum(lab9.cluster)
    errors = [p for p in policy_errors(lab9.cluster) if p.field == "ha"]
    assert [p.problem for p in errors] == ([f"HA is configured for 2 guest(s), but with {q.votes} votes and quorum "
                                            f"{q.quorum} the cluster cannot keep quorum after one node fails"]
                                           if refused else [])


# -------------------------------------------------------------------------------- Ceph monitors and managers


def ceph_findings(nodes: int, monitors: int, managers: int) -> list[tuple[str, str, str]]:
    c = cluster_of([1] * nodes, storage=True)
    c.enable_ceph(monitors=c.nodes[:monitors], managers=c.nodes[:managers])
    return [(f.severity, f.problem.field, f.problem.problem) for f in check_ceph(c)]


ONE_MONITOR = "1 monitor: losing it stops Ceph"
EVEN = "{} monitors: an even number survives no more failures than one fewer and can split with no majority"
ONE_MANAGER = "one manager: when it fails, nothing reports or balances until it returns"


@pytest.mark.parametrize(("nodes", "monitors", "managers", "expected"), [
    (1, 1, 1, [("warning", "monitors", ONE_MONITOR)]),
    (2, 1, 1, [("warning", "monitors", ONE_MONITOR)]),
    (2, 2, 2, [("error", "monitors", EVEN.format(2))]),
    (2, 1, 2, [("warning", "monitors", ONE_MONITOR)]),
    (3, 1, 3, [("error", "monitors", ONE_MONITOR)]),
    (3, 2, 2, [("error", "monitors", EVEN.format(2))]),
    (3, 3, 1, [("warning", "managers", ONE_MANAGER)]),
    (3, 3, 2, []),
    (3, 3, 3, []),
    (5, 5, 3, []),
])
def test_ceph_monitors_and_managers_on_one_two_and_three_nodes(nodes: int, monitors: int, managers: int,
                                                               expected: list[tuple[str, str, str]]) -> None:
    assert ceph_findings(nodes, monitors, managers) == expected


@pytest.mark.parametrize(("osd_nodes", "severity"), [(1, "error"), (2, "warning"), (3, None)])
def test_pool_size_against_nodes_with_osds_at_min_size_and_size(osd_nodes: int, severity: str | None) -> None:
    c = cluster_of([1, 1, 1], storage=True)
    ceph = c.enable_ceph()
    ceph.add_pool("a", size=3, min_size=2)
    ceph.add_pool("b", size=3, min_size=2)
    for node in c.nodes[:osd_nodes]:
        node.add_osd("/dev/sdb")
    found = [(f.severity, f.problem.path) for f in check_ceph(c) if f.problem.field == "size"]
    pools = ["q/Cluster/Ceph/Pool-a", "q/Cluster/Ceph/Pool-b"]
    assert found == ([] if severity is None else [(severity, pool) for pool in pools])


# -------------------------------------------------------------------------------- several items


def test_the_guest_on_local_storage_in_the_middle_is_the_one_named() -> None:
    lab9 = lab()
    _vm(lab9, 100, ha=True)
    middle = _vm(lab9, 101, disks=[Disk(lab9.lvm)], ha=True)
    _vm(lab9, 102, ha=True)
    assert [(p.path, p.field) for p in policy_errors(lab9.cluster)] == [(str(middle.node.path), "disks[0].storage")]


def test_every_local_volume_of_a_guest_is_named_even_after_a_shared_one() -> None:
    lab9 = lab()
    vm = _vm(lab9, 100, disks=[Disk(lab9.rbd), Disk(lab9.lvm), Disk(lab9.rbd), Disk(lab9.lvm)], ha=True)
    assert [(p.path, p.field) for p in policy_errors(lab9.cluster)] == [
        (str(vm.node.path), "disks[1].storage"), (str(vm.node.path), "disks[3].storage")]


def test_the_bridge_in_the_middle_that_a_node_lacks_is_the_one_named() -> None:
    lab9 = lab()
    for node in lab9.nodes:
        node.add_bridge("vmbr1", ports=["eno2"])
        node.add_bridge("vmbr3", ports=["eno4"])
    for node in lab9.nodes[:2]:
        node.add_bridge("vmbr2", ports=["eno3"])
    nics = [NetworkInterface(bridge=b) for b in ("vmbr0", "vmbr1", "vmbr2", "vmbr3")]
    _vm(lab9, 100, networks=nics, ha=True)
    assert [p.problem for p in policy_errors(lab9.cluster)] == [
        "the guest is under HA on bridge vmbr2, which pve3 lacks"]


def test_a_restricted_group_on_pve8_limits_the_bridge_check_to_its_nodes() -> None:
    lab8 = lab(pve_version="8.4")
    lab8.nodes[0].add_bridge("vmbr1", ports=["eno2"])
    lab8.nodes[2].add_bridge("vmbr1", ports=["eno2"])
    vm = _vm(lab8, 100, networks=[NetworkInterface(bridge="vmbr1")])
    lab8.cluster.ha.protect(vm, prefer=lab8.nodes[:2], strict=True)
    assert [p.problem for p in policy_errors(lab8.cluster)] == [
        "the guest is under HA on bridge vmbr1, which pve2 lacks"]
    loose = lab(pve_version="8.4")
    loose.nodes[0].add_bridge("vmbr1", ports=["eno2"])
    vm = _vm(loose, 100, networks=[NetworkInterface(bridge="vmbr1")])
    loose.cluster.ha.protect(vm, prefer=loose.nodes[:2])
    assert [p.problem for p in policy_errors(loose.cluster)] == [
        "the guest is under HA on bridge vmbr1, which pve2, pve3 lack"]


def test_the_host_cpu_guest_in_the_middle_is_the_one_named() -> None:
    lab9 = lab()
    _vm(lab9, 100)
    middle = _vm(lab9, 101, cpu_type="host")
    _vm(lab9, 102, cpu_type="host", allow_host_cpu=True)
    _vm(lab9, 103)
    errors = policy_errors(lab9.cluster)
    assert [(p.path, p.field) for p in errors] == [(str(middle.node.path), "cpu_type")]
    assert errors[0].problem.endswith("and the cluster has 3 nodes")


def test_the_unprotected_member_in_the_middle_of_a_rule_is_the_one_named() -> None:
    lab9 = lab()
    a, b, c = _vm(lab9, 100, ha=True), _vm(lab9, 101), _vm(lab9, 102, ha=True)
    lab9.cluster.ha.keep_together([a, c])
    lab9.cluster.ha.keep_together([a, b, c])
    lab9.cluster.ha.keep_apart([a, c])
    assert [p.problem for p in policy_errors(lab9.cluster)] == ["vm:101 is in the rule but not under HA"]


@pytest.mark.parametrize(("guests", "refused"), [(3, False), (4, True)])
def test_keeping_apart_as_many_guests_as_nodes_at_most(guests: int, refused: bool) -> None:
    lab9 = lab()
    vms = [_vm(lab9, 100 + i, ha=True) for i in range(guests)]
    lab9.cluster.ha.keep_together(vms[:2])
    lab9.cluster.ha.keep_apart(vms)
    assert [p.problem for p in policy_errors(lab9.cluster)] == (
        [f"{guests} guests kept apart on 3 nodes"] if refused else [])


# -------------------------------------------------------------------------------- warnings and errors


def test_enforce_returns_every_warning_and_raises_every_error_of_every_cluster() -> None:
    app = _cdk.Testing.app()
    for name, nodes, ha in (("a", 3, False), ("b", 2, True), ("c", 4, False)):
        stack = _cdk.TerraformStack(app, name)
        provider.ProxmoxProvider(stack, "proxmox")
        c = Cluster(stack, "Cluster", name=name, management_network="192.168.1.0/24", cluster_network="10.0.0.0/24")
        members = [c.add_node(f"pve{i}", node_id=i, management_address=f"192.168.1.{10 + i}",
                              cluster_address=f"10.0.0.{10 + i}", cluster_interface="eno2", management_interface="eno1")
                   for i in range(1, nodes + 1)]
        if ha:
            rbd = Storage.from_id(stack, "ceph-vm", storage_type="rbd", content=["images", "rootdir"])
            Vm(stack, "vm", node=members[0], vm_id=100, disks=[Disk(rbd)], ha=True)
    with pytest.raises(ConfigError) as excinfo:
        enforce(app)
    assert [(p.path, p.field) for p in excinfo.value.problems] == [("b/Cluster", "ha")]
    only_warnings = _cdk.Testing.app()
    for name, nodes in (("a", 3), ("b", 2), ("c", 4)):
        stack = _cdk.TerraformStack(only_warnings, name)
        c = Cluster(stack, "Cluster", name=name, management_network="192.168.1.0/24", cluster_network="10.0.0.0/24")
        for i in range(1, nodes + 1):
            c.add_node(f"pve{i}", node_id=i, management_address=f"192.168.1.{10 + i}",
                       cluster_address=f"10.0.0.{10 + i}", cluster_interface="eno2", management_interface="eno1")
    warnings = enforce(only_warnings)
    assert [(f.severity, f.problem.path, f.problem.field) for f in warnings] == [
        ("warning", "b/Cluster", "nodes"), ("warning", "b/Cluster", "qdevice"), ("warning", "c/Cluster", "qdevice")]


@pytest.mark.parametrize(("nodes", "ha", "why"), [(1, False, None), (2, False, "the cluster has 2 nodes"),
                                                  (3, True, "it is under HA")])
def test_a_host_cpu_from_two_nodes_or_under_ha(nodes: int, ha: bool, why: str | None) -> None:
    lab9 = lab(nodes=nodes, qdevice=QDevice("192.168.1.5") if nodes == 2 else None)
    _vm(lab9, 100, cpu_type="host", ha=ha)
    errors = [p for p in policy_errors(lab9.cluster) if p.field == "cpu_type"]
    if why is None:
        assert errors == []
    else:
        assert [(p.problem, p.fix) for p in errors] == [(
            f"host passes the node's own CPU through, so the VM migrates only to identical CPUs, and {why}",
            "use x86-64-v2-AES (or a model every node supports), or allow_host_cpu=True if every node has the same "
            "CPU")]


def test_replicated_zfs_volumes_count_only_when_each_disk_is_replicated() -> None:
    lab9 = lab()
    vm = _vm(lab9, 100, disks=[Disk(lab9.zfs), Disk(lab9.zfs, replicate=False), Disk(lab9.lvm, replicate=False)])
    vm.replicate_to(lab9.nodes[1])
    lab9.cluster.ha.protect(vm, prefer=lab9.nodes[:2], strict=True)
    assert [(p.field, p.problem, p.fix) for p in policy_errors(lab9.cluster)] == [
        ("disks[1].storage", "the guest is under HA, but storage local-zfs (zfspool) is local to its node and not "
         "replicated, so HA cannot start it elsewhere", "put the volume on shared storage (NFS, RBD, CephFS...), or "
         "on zfspool and replicate it with guest.replicate_to(node)"),
        ("disks[2].storage", "the guest is under HA, but storage local-lvm (lvmthin) is local to its node and not "
         "replicated, so HA cannot start it elsewhere", "put the volume on shared storage (NFS, RBD, CephFS...), or "
         "on zfspool")]


def test_a_node_affinity_rule_before_a_resource_affinity_rule_does_not_hide_it() -> None:
    lab9 = lab()
    a, b = _vm(lab9, 100), _vm(lab9, 101)
    lab9.cluster.ha.protect(a, prefer=lab9.nodes[:2])
    lab9.cluster.ha.keep_together([a, b])
    assert [(p.problem, p.fix) for p in policy_errors(lab9.cluster)] == [
        ("vm:101 is in the rule but not under HA", "protect it first (cluster.ha.protect(guest) or ha=True)")]


def test_a_replica_missing_on_strict_nodes_names_each_of_them() -> None:
    lab9 = lab(nodes=4)
    vm = _vm(lab9, 100, disks=[Disk(lab9.zfs)])
    vm.replicate_to(lab9.nodes[1])
    lab9.cluster.ha.protect(vm, prefer=lab9.nodes, strict=True)
    (p,) = policy_errors(lab9.cluster)
    assert p.problem == "the guest's ZFS volumes exist only on pve1, pve2, but HA may start it on pve3, pve4"
    assert p.fix == ("restrict it to the nodes with a replica: prefer=[...] of pve1, pve2 with strict=True, or "
                     "replicate to the other nodes too")


@pytest.mark.parametrize(("votes", "qdevice", "expected"), [
    ([0], False, (0, 1, 0)),  # no vote at all: nothing can fail
    ([0], True, (1, 1, 0)),  # the QDevice alone would be quorate, but the last node never counts as failed
    ([1, 0], False, (1, 1, 0)),
])
def test_quorum_figures_with_nodes_that_carry_no_vote(votes: list[int], qdevice: bool,
                                                      expected: tuple[int, int, int]) -> None:
    q = quorum(cluster_of(votes, qdevice=qdevice))
    assert (q.votes, q.quorum, q.tolerated_failures) == expected


FAIL_OVER = ("cannot fail over: losing one node loses quorum", "add a third node, or a QDevice to a two-node cluster")
EVEN = ("can split into two halves with no majority", "add a node, or a QDevice (qdevice=QDevice(address=...))")
ODD_QDEVICE = ("a QDevice on an odd number of nodes ({}): its vote makes the total even, so the cluster survives no "
               "more failures and the QDevice is one more part that can fail; pvecm qdevice setup refuses it (PVE sets "
               "a QDevice up only on an even number of nodes)", "remove the QDevice or add a node")


def odd_qdevice(nodes: int) -> tuple[str, str, str, str]:
    return ("error", "qdevice", ODD_QDEVICE[0].format(nodes), ODD_QDEVICE[1])


def quorum_findings(cluster: Cluster) -> list[tuple[str, str, str, str]]:
    return [(f.severity, f.problem.field, f.problem.problem, f.problem.fix) for f in check(cluster)]


@pytest.mark.parametrize(("votes", "qdevice", "expected"), [
    ([1], False, [("warning", "nodes", f"1 vote {FAIL_OVER[0]}", FAIL_OVER[1])]),
    ([1], True, [("warning", "nodes", f"2 votes {FAIL_OVER[0]}", FAIL_OVER[1]), odd_qdevice(1)]),
    ([1, 1], False, [("warning", "nodes", f"2 votes {FAIL_OVER[0]}", FAIL_OVER[1]),
                     ("warning", "qdevice", f"an even number of votes (2) {EVEN[0]}", EVEN[1])]),
    ([1, 0], True, []),  # two nodes and a QDevice: the one way below three votes to fail over
    ([1, 0, 0], True, [("warning", "nodes", f"2 votes {FAIL_OVER[0]}", FAIL_OVER[1]), odd_qdevice(3)]),
    ([1, 1, 1], False, []),
    # A QDevice at its boundaries: refused on an odd number of nodes whatever their votes, accepted on an even one.
    ([1, 1, 1], True, [odd_qdevice(3)]),
    ([1, 1, 1, 1], True, []),
    ([1, 1, 1, 1, 1], True, [odd_qdevice(5)]),
    ([1, 1, 1, 1, 1, 1], True, []),
    ([2, 1, 1], True, [odd_qdevice(3)]),  # pvecm counts nodes, not votes
    ([2, 1, 1, 1], True, []),
])
def test_every_quorum_finding_whole(votes: list[int], qdevice: bool,
                                    expected: list[tuple[str, str, str, str]]) -> None:
    assert quorum_findings(cluster_of(votes, qdevice=qdevice)) == expected


def test_no_node_and_a_shared_management_network_are_found_whole() -> None:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "q")
    empty = Cluster(stack, "Cluster", name="q", management_network="192.168.1.0/24", cluster_network="10.0.0.0/24")
    assert quorum_findings(empty) == [("error", "nodes", "the cluster has no node",
                                       "add nodes with cluster.add_node(...)")]
    assert quorum_findings(cluster_of([1, 1, 1], corosync=False)) == [
        ("warning", "cluster_network", "corosync shares the management network; traffic there can delay corosync "
         "and fence nodes", "give the cluster a separate cluster_network")]


def test_ha_that_cannot_survive_a_failure_says_how_to_fix_it() -> None:
    lab2 = lab(nodes=2)
    _vm(lab2, 100, ha=True)
    (p,) = [p for p in policy_errors(lab2.cluster) if p.field == "ha"]
    assert p.fix == "add nodes (three or more), or two nodes plus a QDevice, before protecting guests"
