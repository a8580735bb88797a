"""The cluster stack: what it asks Terraform for, its snapshot, and the policy's view of a smaller cluster."""

from __future__ import annotations

from pathlib import Path

from pvecdk import Cluster, testing
from stacks.cluster import ClusterStack

SNAPSHOTS = Path(__file__).parent / "snapshots"


def test_the_cluster_forms_with_three_members() -> None:
    config = testing.synth_stack(ClusterStack, "cluster")
    cluster = testing.resource(config, "pvecdk_cluster", "Cluster")
    assert cluster["name"] == "pve-cluster"
    # Members are keyed by node name, so removing one node later reads as that node's removal.
    assert {name: m["node_id"] for name, m in cluster["member"].items()} == {"pve1": 1, "pve2": 2, "pve3": 3}
    assert cluster["lifecycle"]["prevent_destroy"] is True
    # The first run records the snapshot (commit it); after that a change fails until it is accepted with
    # PVECDK_UPDATE_SNAPSHOTS=1.
    testing.assert_matches_snapshot(config, SNAPSHOTS / "cluster.json")


def test_two_nodes_without_a_qdevice_are_flagged() -> None:
    stack = testing.stack()
    cluster = Cluster(stack, "Cluster", name="small", management_network="192.168.1.0/24",
                      cluster_network="10.0.0.0/24")
    for i in (1, 2):
        cluster.add_node(f"pve{i}", node_id=i, management_interface="eno1", management_address=f"192.168.1.1{i}",
                         cluster_address=f"10.0.0.1{i}", cluster_interface="eno2")
    problem = testing.assert_policy_problem(stack, "qdevice", "even number of votes", severity="warning")
    assert problem.path == "test/Cluster"
