"""The QDevice in the model: set up by a ``pvecdk_qdevice`` resource after the membership, and counted in the
quorum rules only because it is (a QDevice nothing sets up would be a vote that may not exist). On an odd number
of nodes the policy refuses it with the words the resource's plan refuses it with."""

from __future__ import annotations

from typing import Any

import pytest
from pvecdk import Cluster, ConfigError, QDevice, SshAccess, policy
from pvecdk._model import ClusterModel
from pvecdk._rules import quorum
from pvecdk.errors import Severity
from pvecdk.provider._plugin import PvecdkProvider
from pvecdk.testing import resource, resources, stack, synth

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB5l7P+6iYSFKbqlHE3U5XWe1mFX1wCADVocTY0NHhyo"


def _cluster(qdevice: QDevice | None, nodes: int = 2, **ssh: Any) -> tuple[Any, Cluster]:
    scope = stack("lab")
    cluster = Cluster(scope, "Cluster", name="lab", management_network="192.168.1.0/24",
                      cluster_network="10.0.0.0/24", qdevice=qdevice)
    for i in range(1, nodes + 1):
        cluster.add_node(f"pve{i}", management_address=f"192.168.1.{10 + i}", management_interface="eno1",
                         cluster_address=f"10.0.0.{10 + i}", cluster_interface="eno2",
                         ssh=SshAccess(**ssh) if ssh and i == 1 else None)
    return scope, cluster


def test_a_qdevice_is_set_up_by_its_resource_after_the_membership() -> None:
    scope, _ = _cluster(QDevice("192.168.1.5"), host_key=KEY, port=2222)
    synthesized = synth(scope)
    qdev = resource(synthesized, "pvecdk_qdevice")
    assert qdev["host"] == "192.168.1.5" and qdev["cluster_name"] == "lab"
    assert qdev["node"] == {
        "pve1": {"endpoint": "https://192.168.1.11:8006", "ssh_address": "192.168.1.11", "ssh_port": 2222,
                 "host_key": KEY},
        "pve2": {"endpoint": "https://192.168.1.12:8006", "ssh_address": "192.168.1.12"},
    }
    membership = resource(synthesized, "pvecdk_cluster")
    assert membership["qdevice"] == "192.168.1.5"
    (after,) = qdev["depends_on"]
    assert after.startswith("pvecdk_cluster.Cluster_Membership")


def test_the_vote_counts_only_when_the_model_sets_the_qdevice_up() -> None:
    _, with_qdevice = _cluster(QDevice("192.168.1.5"))
    assert with_qdevice.qdevice_resource is not None and with_qdevice.model.qdevice
    assert (policy.quorum(with_qdevice).votes, policy.quorum(with_qdevice).tolerated_failures) == (3, 1)
    _, without = _cluster(None)
    assert without.qdevice_resource is None and not without.model.qdevice
    assert (policy.quorum(without).votes, policy.quorum(without).tolerated_failures) == (2, 0)
    # The rules count what the model says is set up, nothing else.
    model = ClusterModel(lambda: "lab", qdevice=False)
    assert quorum(model).qdevice_votes == 0


def test_no_qdevice_no_resource_and_no_attribute() -> None:
    scope, _ = _cluster(None)
    synthesized = synth(scope)
    assert resources(synthesized, "pvecdk_qdevice") == []
    membership = resource(synthesized, "pvecdk_cluster")
    assert "qdevice" not in membership


@pytest.mark.parametrize(("ssh", "fragment"), [
    ({"host_key": "AAAA"}, "is not a public key line"),
    ({"port": 0}, "is not a TCP port"),
    ({"address": " "}, "is not a host"),
])
def test_rejects_bad_ssh_access(ssh: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _cluster(QDevice("192.168.1.5"), **ssh)
    (problem,) = caught.value.problems
    assert problem.field == "ssh" and fragment in problem.problem and problem.path.endswith("pve1")


ODD = ("a QDevice on an odd number of nodes ({}): its vote makes the total even, so the cluster survives no more "
       "failures and the QDevice is one more part that can fail; pvecm qdevice setup refuses it (PVE sets a QDevice "
       "up only on an even number of nodes)")


@pytest.mark.parametrize("nodes", [1, 2, 3, 4, 5, 6, 7])
def test_the_policy_refuses_the_node_counts_the_plan_refuses_in_the_same_words(nodes: int) -> None:
    _, cluster = _cluster(QDevice("192.168.1.5"), nodes=nodes)
    found = [(f.severity, f.problem.path, f.problem.field, f.problem.problem, f.problem.fix)
             for f in policy.check(cluster) if f.problem.field == "qdevice"]
    # What pvecdk_qdevice's plan sees: the node map the cluster renders into it.
    config = {"cluster_name": "lab", "host": "192.168.1.5", "node": {n.name: n.ssh_entry() for n in cluster.nodes}}
    plan = PvecdkProvider(environ={}).resources["pvecdk_qdevice"].validate(config)
    if nodes % 2 == 0:
        assert (found, plan) == ([], [])
        return
    assert found == [("error", "lab/Cluster", "qdevice", ODD.format(nodes), "remove the QDevice or add a node")]
    assert [(d.severity, d.summary, d.detail, d.path) for d in plan] == [
        (Severity.ERROR, "QDevice on an odd number of nodes", ODD.format(nodes) + "; remove the QDevice or add a node",
         ("node",))]


def test_a_qdevice_on_three_nodes_stops_synthesis() -> None:
    scope, _ = _cluster(QDevice("192.168.1.5"), nodes=3)
    with pytest.raises(ConfigError) as caught:
        synth(scope)
    (problem,) = caught.value.problems
    assert (problem.path, problem.field, problem.fix) == ("lab/Cluster", "qdevice", "remove the QDevice or add a node")
    assert str(problem).startswith("lab/Cluster: qdevice: a QDevice on an odd number of nodes (3)")
