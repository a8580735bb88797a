"""Ceph's rules across constructs (``check_ceph``) on models built by hand, each finding asserted whole: its
severity, the construct path it names, the field, what is wrong and the fix. Loops run over several pools with
the offending one in the middle."""

from __future__ import annotations

import ipaddress

import pytest
from pvecdk._model import CephModel, ClusterModel, NodeModel, PoolModel
from pvecdk._rules import check_ceph
from pvecdk._values import NetworkRole

CEPH = "stack/Cluster/Ceph"
Found = tuple[str, str, str, str, str]

EVEN = ("{} monitors: an even number survives no more failures than one fewer and can split with no majority",
        "run monitors on an odd number of nodes (3 or 5)")
ONE_MONITOR = ("1 monitor: losing it stops Ceph", "run three monitors (on three nodes)")
ONE_MANAGER = ("one manager: when it fails, nothing reports or balances until it returns",
               "run a manager beside each monitor")
FEW_COPIES = "a second failure during recovery loses data"
NO_MDS = ("a CephFS file system without a metadata server cannot be mounted",
          "add metadata servers (ceph.add_mds(node), or mds_nodes= on add_filesystem)")
NO_STANDBY = "add a metadata server on another node"
SHARED_CLUSTER_NETWORK = ("Ceph replicates over the corosync network; recovery traffic there can delay corosync and "
                          "fence nodes", "put Ceph's cluster network on the storage network")
PUBLIC_ON_COROSYNC = ("Ceph's public network is the corosync network; its traffic can delay corosync and fence "
                      "nodes", "put Ceph on the storage network")


def _model(nodes: int, ceph: CephModel, *, cluster_network: str | None = None) -> ClusterModel:
    model = ClusterModel(lambda: "stack/Cluster", cluster_network=None if cluster_network is None
                         else ipaddress.ip_network(cluster_network))
    for i in range(1, nodes + 1):
        model.add_node(NodeModel(f"pve{i}", i, 1, {NetworkRole.MANAGEMENT: f"10.0.0.{i}"}, {"vmbr0"}))
    model.enable_ceph(ceph)
    return model


def _ceph(monitors: int = 3, managers: int = 3, *, osd_nodes: int = 0, public_role: NetworkRole | None =
          NetworkRole.STORAGE, cluster_network: str | None = None) -> CephModel:
    return CephModel(lambda: CEPH, public_role,
                     None if cluster_network is None else ipaddress.ip_network(cluster_network),
                     monitors=[f"pve{i}" for i in range(1, monitors + 1)],
                     managers=[f"pve{i}" for i in range(1, managers + 1)],
                     # Two OSDs on each node: nodes count once, however many OSDs they hold.
                     osd_hosts=[f"pve{i}" for i in range(1, osd_nodes + 1) for _ in range(2)])


def _pool(name: str, size: int, min_size: int, erasure_coded: bool = False) -> PoolModel:
    return PoolModel(name, lambda: f"{CEPH}/Pool-{name}", size, min_size, erasure_coded)


def findings(model: ClusterModel) -> list[Found]:
    return [(f.severity, f.problem.path, f.problem.field, f.problem.problem, f.problem.fix) for f in check_ceph(model)]


def test_no_ceph_no_finding() -> None:
    model = ClusterModel(lambda: "stack/Cluster")
    assert check_ceph(model) == []


@pytest.mark.parametrize(("nodes", "monitors", "expected"), [
    (1, 1, [("warning", CEPH, "monitors", *ONE_MONITOR)]),
    (2, 1, [("warning", CEPH, "monitors", *ONE_MONITOR)]),
    (3, 1, [("error", CEPH, "monitors", *ONE_MONITOR)]),
    (5, 1, [("error", CEPH, "monitors", *ONE_MONITOR)]),
    (2, 2, [("error", CEPH, "monitors", EVEN[0].format(2), EVEN[1])]),
    (3, 3, []),
    (4, 4, [("error", CEPH, "monitors", EVEN[0].format(4), EVEN[1])]),
    (5, 5, []),
    (6, 6, [("error", CEPH, "monitors", EVEN[0].format(6), EVEN[1])]),
    (7, 7, []),
])
def test_monitors_whole_findings_at_every_count(nodes: int, monitors: int, expected: list[Found]) -> None:
    assert findings(_model(nodes, _ceph(monitors, managers=min(nodes, 2)))) == expected


@pytest.mark.parametrize(("nodes", "managers", "expected"), [
    (2, 1, []),  # a lab of two nodes: one manager is what it can do
    (3, 0, []),
    (3, 1, [("warning", CEPH, "managers", *ONE_MANAGER)]),
    (4, 1, [("warning", CEPH, "managers", *ONE_MANAGER)]),
    (3, 2, []),
    (3, 3, []),
])
def test_one_manager_at_two_three_and_four_nodes(nodes: int, managers: int, expected: list[Found]) -> None:
    monitors = 1 if nodes == 2 else 3
    found = [f for f in findings(_model(nodes, _ceph(monitors, managers))) if f[2] != "monitors"]
    assert found == expected


def test_pools_of_one_and_two_copies_are_named_among_pools_of_three() -> None:
    ceph = _ceph()
    ceph.pools += [_pool("a", 3, 2), _pool("one", 1, 1), _pool("b", 3, 2), _pool("two", 2, 1), _pool("c", 3, 2)]
    assert findings(_model(3, ceph)) == [
        ("warning", f"{CEPH}/Pool-one", "size", f"size=1 keeps 1 copy: {FEW_COPIES}", "use size=3, min_size=2"),
        ("warning", f"{CEPH}/Pool-two", "size", f"size=2 keeps 2 copies: {FEW_COPIES}", "use size=3, min_size=2"),
    ]


def _too_few(pool: str, size: int, osd_nodes: int) -> tuple[str, str, str, str]:
    return (f"{CEPH}/Pool-{pool}", "size", f"size={size} needs OSDs on {size} nodes (one copy per host), the model "
            f"has OSDs on {osd_nodes}", "add OSDs on more nodes, or lower size")


@pytest.mark.parametrize(("osd_nodes", "severity"), [(1, "error"), (2, "warning"), (3, None), (4, None)])
def test_pool_size_against_the_nodes_with_osds_names_the_pool_in_the_middle(osd_nodes: int,
                                                                            severity: str | None) -> None:
    ceph = _ceph(osd_nodes=osd_nodes)
    # Around the pool of size 3: one erasure-coded (its chunks are not copies per host) and one of size 1.
    ceph.pools += [_pool("small", 1, 1), _pool("vm", 3, 2), _pool("ec", 4, 3, erasure_coded=True)]
    size_findings = [f for f in findings(_model(4, ceph)) if f[1] != f"{CEPH}/Pool-small"]
    assert size_findings == ([] if severity is None else [(severity, *_too_few("vm", 3, osd_nodes))])


def test_pool_size_between_min_size_and_size_is_a_warning_and_below_min_size_an_error() -> None:
    ceph = _ceph(osd_nodes=3)
    ceph.pools += [_pool("a", 3, 2), _pool("four", 4, 3), _pool("five", 5, 4), _pool("b", 3, 3)]
    assert findings(_model(5, ceph)) == [("warning", *_too_few("four", 4, 3)), ("error", *_too_few("five", 5, 3))]


def test_pools_are_not_judged_against_osds_when_the_model_has_none() -> None:
    ceph = _ceph(osd_nodes=0)
    ceph.pools += [_pool("a", 3, 2), _pool("b", 3, 2)]
    assert findings(_model(3, ceph)) == [], "OSDs outside the model are unknown: nothing to judge"


@pytest.mark.parametrize(("mds", "filesystems", "expected"), [
    (0, 0, []),
    (2, 0, []),
    (0, 1, [("error", CEPH, "mds", *NO_MDS)]),
    (0, 2, [("error", CEPH, "mds", *NO_MDS)]),
    (1, 1, [("warning", CEPH, "mds", "1 metadata server(s) for 1 file system(s) leave no standby", NO_STANDBY)]),
    (2, 1, []),
    (1, 2, [("warning", CEPH, "mds", "1 metadata server(s) for 2 file system(s) leave no standby", NO_STANDBY)]),
    (2, 2, [("warning", CEPH, "mds", "2 metadata server(s) for 2 file system(s) leave no standby", NO_STANDBY)]),
    (3, 2, []),
])
def test_metadata_servers_against_the_file_systems(mds: int, filesystems: int, expected: list[Found]) -> None:
    ceph = _ceph()
    ceph.metadata_servers += [f"pve{i}" for i in range(1, mds + 1)]
    ceph.filesystems += [f"fs{i}" for i in range(filesystems)]
    assert findings(_model(3, ceph)) == expected


@pytest.mark.parametrize(("ceph_network", "corosync", "expected"), [
    (None, None, []),
    ("10.1.0.0/24", None, []),
    (None, "10.1.0.0/24", []),
    ("10.2.0.0/24", "10.1.0.0/24", []),
    ("10.1.0.0/24", "10.1.0.0/24", [("warning", CEPH, "cluster_network", *SHARED_CLUSTER_NETWORK)]),
])
def test_ceph_replicating_over_the_corosync_network(ceph_network: str | None, corosync: str | None,
                                                    expected: list[Found]) -> None:
    assert findings(_model(3, _ceph(cluster_network=ceph_network), cluster_network=corosync)) == expected


@pytest.mark.parametrize(("role", "expected"), [
    (NetworkRole.CLUSTER, [("warning", CEPH, "public_network", *PUBLIC_ON_COROSYNC)]),
    (NetworkRole.STORAGE, []),
    (NetworkRole.MANAGEMENT, []),
    (None, []),
])
def test_ceph_public_network_on_the_corosync_network(role: NetworkRole | None, expected: list[Found]) -> None:
    assert findings(_model(3, _ceph(public_role=role))) == expected


def test_every_finding_at_once_in_order() -> None:
    ceph = _ceph(monitors=2, managers=1, osd_nodes=2, public_role=NetworkRole.CLUSTER, cluster_network="10.1.0.0/24")
    ceph.pools += [_pool("a", 3, 2), _pool("b", 2, 2)]
    ceph.filesystems.append("fs")
    assert findings(_model(3, ceph, cluster_network="10.1.0.0/24")) == [
        ("error", CEPH, "monitors", EVEN[0].format(2), EVEN[1]),
        ("warning", CEPH, "managers", *ONE_MANAGER),
        ("warning", *_too_few("a", 3, 2)),
        ("warning", f"{CEPH}/Pool-b", "size", f"size=2 keeps 2 copies: {FEW_COPIES}", "use size=3, min_size=2"),
        ("error", CEPH, "mds", *NO_MDS),
        ("warning", CEPH, "cluster_network", *SHARED_CLUSTER_NETWORK),
        ("warning", CEPH, "public_network", *PUBLIC_ON_COROSYNC),
    ]
