"""Planning membership changes from what the nodes report: the steps, and the refusals."""

from __future__ import annotations

import pytest
from pvecdk.engine import ClusterSpec, EngineProblem, LiveCluster, LiveMember, MemberSpec, plan_changes


def spec(*names: str, fencing: str | None = None) -> ClusterSpec:
    return ClusterSpec("lab", tuple(MemberSpec(n, int(n[3:]), (f"10.0.0.{10 + int(n[3:])}",), f"https://{n}")
                                    for n in names), (10,), fencing)


def live(*names: str, online: tuple[str, ...] | None = None, quorate: bool = True, **extra: object) -> LiveCluster:
    members = {n: LiveMember(n, int(n[3:]), 1, (f"10.0.0.{10 + int(n[3:])}",),
                             n in (online if online is not None else names)) for n in names}
    state = LiveCluster(name="lab", members=members, quorate=quorate, answered_by=names[0] if names else None)
    for key, value in extra.items():
        setattr(state, key, value)
    return state


def actions(steps: list[object]) -> list[str]:
    return [str(s).split(":")[0] for s in steps]


def test_creates_on_the_first_node_then_joins_in_id_order() -> None:
    steps, problems = plan_changes(spec("pve2", "pve1", "pve3"), LiveCluster(standalone={"pve1", "pve2", "pve3"}))
    assert problems == []
    assert actions(steps) == ["create pve1", "join pve2", "join pve3"]


def test_nothing_to_do() -> None:
    assert plan_changes(spec("pve1", "pve2", "pve3"), live("pve1", "pve2", "pve3")) == ([], [])


def test_joins_the_missing_nodes() -> None:
    steps, problems = plan_changes(spec("pve1", "pve2", "pve3", "pve4"), live("pve1", "pve2", "pve3"))
    assert (actions(steps), problems) == (["join pve4"], [])


def test_removes_one_node() -> None:
    steps, problems = plan_changes(spec("pve1", "pve2", "pve3"), live("pve1", "pve2", "pve3", "pve4",
                                                                      online=("pve1", "pve2", "pve3")))
    assert (actions(steps), problems) == (["remove pve4"], [])


def test_refuses_two_removals_at_once() -> None:
    _, problems = plan_changes(spec("pve1", "pve2", "pve3"), live("pve1", "pve2", "pve3", "pve4", "pve5",
                                                                  online=("pve1", "pve2", "pve3")))
    assert problems == [EngineProblem("pve4, pve5", "2 removals at once", "remove one node per run so quorum can be "
                                      "checked between steps", "member")]


def test_refuses_removing_a_node_with_guests_or_ha() -> None:
    _, problems = plan_changes(spec("pve1", "pve2", "pve3"), live("pve1", "pve2", "pve3", "pve4",
                               online=("pve1", "pve2", "pve3"), guests={"pve4": ["qemu/100"]},
                               ha_nodes={"pve4": ["vm:100"]}))
    assert [(p.subject, p.problem, p.fix) for p in problems] == [
        ("pve4", "hosts guests (qemu/100)", "migrate them off before removing it"),
        ("pve4", "runs HA resources (vm:100)", "move or remove them first")]


def test_refuses_a_removal_that_loses_quorum() -> None:
    _, problems = plan_changes(spec("pve1", "pve2", "pve3"),
                               live("pve1", "pve2", "pve3", "pve4", online=("pve1",)))
    assert [(p.subject, p.problem) for p in problems] == [
        ("pve4", "removing it leaves 1 of 3 votes online, short of quorum 2")]


def test_refuses_changes_while_not_quorate() -> None:
    _, problems = plan_changes(spec("pve1", "pve2", "pve3", "pve4"), live("pve1", "pve2", "pve3", quorate=False))
    assert [(p.subject, p.field) for p in problems if "has no quorum" in p.problem] == [("cluster lab", "member")]


def test_refuses_changing_an_existing_member() -> None:
    wanted = ClusterSpec("lab", (MemberSpec("pve1", 7, ("10.0.0.11",), "https://pve1"),), (10,))
    _, problems = plan_changes(wanted, live("pve1"))
    assert [str(p) for p in problems] == ["pve1: node_id of an existing member cannot change through the PVE API; "
                                          "remove the node in one run and add it back in the next"]


def test_refuses_a_node_of_another_cluster_and_a_rename() -> None:
    state = live("pve1", "pve2")
    state.name = "other"
    _, problems = plan_changes(spec("pve1", "pve2"), state)
    assert [(p.subject, p.fix, p.field) for p in problems if "PVE cannot rename a cluster" in p.problem] == [
        ("cluster other", "name it 'other' in the model", "name")]
    _, problems = plan_changes(spec("pve1", "pve2"), LiveCluster(standalone={"pve1"}, foreign={"pve2": "prod"}))
    assert problems == [EngineProblem("pve2", "already in cluster 'prod', not 'lab'",
                                      "remove it from that cluster or from the model", "member")]


def test_refuses_unreachable_nodes() -> None:
    _, problems = plan_changes(spec("pve1", "pve2"), LiveCluster(standalone={"pve2"},
                                                                 unreachable={"pve1": "connection refused"}))
    assert [(p.subject, p.problem) for p in problems] == [
        ("pve1", "cannot reach it to create the cluster: connection refused")]


@pytest.mark.parametrize(("fencing", "current", "expected"), [
    ("hardware", None, ["options pve1"]), ("watchdog", None, []), ("hardware", "hardware", []), (None, "both", [])])
def test_fencing(fencing: str | None, current: str | None, expected: list[str]) -> None:
    steps, _ = plan_changes(spec("pve1", fencing=fencing), live("pve1", fencing=current))
    assert actions(steps) == expected
