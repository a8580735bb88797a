"""Membership planning at its boundaries: quorum exactly met and one vote short, shrinking to one and two
nodes, weighted votes, and every per-member rule with several members and the offending one in the middle."""

from __future__ import annotations

import pytest
from pvecdk.engine import Action, ClusterSpec, EngineProblem, LiveCluster, LiveMember, MemberSpec, plan_changes


def member(n: int, *, votes: int = 1, links: tuple[str, ...] | None = None) -> MemberSpec:
    return MemberSpec(f"pve{n}", n, links or (f"10.0.0.{10 + n}",), f"https://pve{n}", votes)


def spec(*numbers: int, votes: dict[int, int] | None = None, fencing: str | None = None) -> ClusterSpec:
    return ClusterSpec("lab", tuple(member(n, votes=(votes or {}).get(n, 1)) for n in numbers), (10,), fencing)


def live(*numbers: int, offline: tuple[int, ...] = (), votes: dict[int, int] | None = None,
         quorate: bool = True) -> LiveCluster:
    members = {f"pve{n}": LiveMember(f"pve{n}", n, (votes or {}).get(n, 1), (f"10.0.0.{10 + n}",), n not in offline)
               for n in numbers}
    return LiveCluster(name="lab", members=members, quorate=quorate, answered_by=f"pve{numbers[0]}")


def steps_of(wanted: ClusterSpec, state: LiveCluster) -> list[str]:
    return [str(s) for s in plan_changes(wanted, state)[0]]


def short_of_quorum(node: str, online: int, expected: int) -> EngineProblem:
    return EngineProblem(node, f"removing it leaves {online} of {expected} votes online, short of quorum "
                         f"{expected // 2 + 1}", "bring nodes online first", "member")


def unchanged(node: str, fields: str) -> EngineProblem:
    fix = "remove the node in one run and add it back in the next"
    if "links" in fields:
        fix = ("call manage_links() on the Cluster, so pvecdk_corosync_links changes the links in corosync.conf "
               f"over SSH; or {fix}")
    return EngineProblem(node, f"{fields} of an existing member cannot change through the PVE API", fix, "member")


def unreachable(node: str, reason: str, to: str) -> EngineProblem:
    return EngineProblem(node, f"cannot reach it to {to}: {reason}", "check its endpoint and that it is up", "member")


def still_online(node: str) -> EngineProblem:
    return EngineProblem(node, "is still online: PVE removes only a node that is powered off, which must never "
                         "come back with its old cluster configuration", f"migrate its guests off, shut {node} down "
                         "(it then shows offline in /cluster/status) and run again", "member")


def removals_at_once(*nodes: str) -> EngineProblem:
    return EngineProblem(", ".join(nodes), f"{len(nodes)} removals at once",
                         "remove one node per run so quorum can be checked between steps", "member")


# -------------------------------------------------------------------------------- removal and quorum

# (members before, offline after the removal of the last one, problem expected): the remaining votes and
# how many of them are online decide. Quorum of n votes is n // 2 + 1: 1 of 1, 2 of 2, 2 of 3, 3 of 5, 4 of 7.
REMOVALS = [
    pytest.param(2, (), None, id="2->1, the one left online"),
    pytest.param(2, (1,), (0, 1), id="2->1, the one left offline"),
    pytest.param(3, (), None, id="3->2, both online"),
    pytest.param(3, (1,), (1, 2), id="3->2, one of two online"),
    pytest.param(4, (1,), None, id="4->3, exactly quorum (2 of 3)"),
    pytest.param(4, (1, 2), (1, 3), id="4->3, one vote short"),
    pytest.param(6, (1, 2), None, id="6->5, exactly quorum (3 of 5)"),
    pytest.param(6, (1, 2, 3), (2, 5), id="6->5, one vote short (2 of 5)"),
    pytest.param(8, (1, 2, 3), None, id="8->7, exactly quorum (4 of 7)"),
    pytest.param(8, (1, 2, 3, 4), (3, 7), id="8->7, one vote short (3 of 7)"),
]


@pytest.mark.parametrize(("before", "offline", "short"), REMOVALS)
def test_removal_keeps_quorum_exactly_at_the_boundary(before: int, offline: tuple[int, ...],
                                                      short: tuple[int, int] | None) -> None:
    keep = tuple(range(1, before))
    steps, problems = plan_changes(spec(*keep), live(*range(1, before + 1), offline=(*offline, before)))
    assert steps == [s for s in steps if s.action is Action.REMOVE] and [str(s) for s in steps] == [
        f"remove pve{before}: remove pve{before} from lab"]
    assert problems == ([] if short is None else [short_of_quorum(f"pve{before}", *short)])


def test_the_node_removed_does_not_count_towards_quorum_even_when_online() -> None:
    # 5 -> 4 with two of the four remaining offline: 2 of 4 is short of 3, whatever pve5 itself says.
    _, problems = plan_changes(spec(1, 2, 3, 4), live(1, 2, 3, 4, 5, offline=(1, 2)))
    assert problems == [still_online("pve5"), short_of_quorum("pve5", 2, 4)]


@pytest.mark.parametrize(("offline", "short"), [((1,), None), ((1, 3), None), ((2,), (2, 5)), ((2, 3), (1, 5))])
def test_removal_counts_votes_not_nodes(offline: tuple[int, ...], short: tuple[int, int] | None) -> None:
    # Remaining: pve1 with 1 vote, pve2 with 3, pve3 with 1: 5 votes, quorum 3. pve2 alone holds it.
    votes = {2: 3}
    _, problems = plan_changes(spec(1, 2, 3, votes=votes), live(1, 2, 3, 4, offline=(*offline, 4), votes=votes))
    assert problems == ([] if short is None else [short_of_quorum("pve4", *short)])


def test_removing_the_last_votes_is_refused() -> None:
    # Every remaining member carries no vote: nothing could ever be quorate again.
    votes = {1: 0}
    _, problems = plan_changes(spec(1, votes=votes), live(1, 2, offline=(2,), votes=votes))
    assert problems == [short_of_quorum("pve2", 0, 0)]


def test_two_or_three_removals_at_once_are_refused_and_only_the_first_is_planned() -> None:
    _, problems = plan_changes(spec(1, 2, 3), live(1, 2, 3, 4, 5, offline=(4, 5)))
    assert problems == [removals_at_once("pve4", "pve5")]
    steps, problems = plan_changes(spec(1, 3, 5), live(1, 2, 3, 4, 5, 6, offline=(2, 4, 6)))
    assert problems == [removals_at_once("pve2", "pve4", "pve6")]
    assert [s.action for s in steps] == [Action.REMOVE] and steps[0].node == "pve2"


def test_guests_and_ha_count_only_on_the_node_removed() -> None:
    state = live(1, 2, 3, 4, offline=(4,))
    state.guests = {"pve1": ["qemu/100"], "pve3": ["lxc/101"], "pve4": []}
    state.ha_nodes = {"pve2": ["vm:102"]}
    steps, problems = plan_changes(spec(1, 2, 3), state)
    assert (problems, [s.action for s in steps]) == ([], [Action.REMOVE])


def test_every_guest_and_ha_resource_on_the_node_removed_is_named() -> None:
    state = live(1, 2, 3, 4, offline=(4,))
    state.guests = {"pve4": ["qemu/100", "lxc/101", "qemu/102"], "pve2": ["qemu/103"]}
    state.ha_nodes = {"pve4": ["vm:100", "ct:101"]}
    _, problems = plan_changes(spec(1, 2, 3), state)
    assert problems == [
        EngineProblem("pve4", "hosts guests (qemu/100, lxc/101, qemu/102)", "migrate them off before removing it",
                      "member"),
        EngineProblem("pve4", "runs HA resources (vm:100, ct:101)", "move or remove them first", "member"),
    ]


# -------------------------------------------------------------------------------- powered off and empty


@pytest.mark.parametrize("removed", [2, 3, 4], ids=["first after pve1", "in the middle", "last"])
def test_only_a_node_shown_offline_is_removed_wherever_it_sits(removed: int) -> None:
    keep = tuple(n for n in range(1, 6) if n != removed)
    steps, problems = plan_changes(spec(*keep), live(1, 2, 3, 4, 5))
    assert problems == [still_online(f"pve{removed}")]
    assert [s.node for s in steps] == [f"pve{removed}"], "the plan names the removal it refuses"
    # Offline: the same plan goes ahead, and other offline members (not removed) change nothing.
    steps, problems = plan_changes(spec(*keep), live(1, 2, 3, 4, 5, offline=(removed,)))
    assert (problems, [str(s) for s in steps]) == ([], [f"remove pve{removed}: remove pve{removed} from lab"])


def test_an_offline_member_the_model_keeps_is_left_alone() -> None:
    steps, problems = plan_changes(spec(1, 2, 3, 4, 5), live(1, 2, 3, 4, 5, offline=(3,)))
    assert (steps, problems) == ([], [])


def test_ceph_daemons_count_only_on_the_node_removed_and_each_is_named() -> None:
    state = live(1, 2, 3, 4, 5, offline=(3,))
    state.ceph_daemons = {"pve2": ["mon.pve2", "osd.1"], "pve4": ["mgr.pve4"]}
    assert plan_changes(spec(1, 2, 4, 5), state)[1] == []
    state.ceph_daemons["pve3"] = ["mon.pve3", "mgr.pve3", "osd.2", "osd.5"]
    assert plan_changes(spec(1, 2, 4, 5), state)[1] == [EngineProblem(
        "pve3", "runs Ceph daemons (mon.pve3, mgr.pve3, osd.2, osd.5)", "destroy them first: take its monitor, "
        "manager, metadata server and OSDs out of the model and apply that, then remove the node", "member")]


def test_a_removal_whose_guests_could_not_be_read_is_refused_but_a_join_is_not() -> None:
    state = live(1, 2, 3, offline=(3,))
    state.placement_unread = "its guests and HA resources could not be read: HTTP 500"
    assert plan_changes(spec(1, 2), state)[1] == [EngineProblem(
        "pve3", "cannot be checked for removal: its guests and HA resources could not be read: HTTP 500",
        "check that the cluster answers and run again", "member")]
    assert plan_changes(spec(1, 2, 3, 4), state)[1] == []


def test_every_reason_is_named_together_for_an_online_node_with_guests_and_daemons() -> None:
    state = live(1, 2, 3)
    state.guests = {"pve3": ["qemu/100"]}
    state.ceph_daemons = {"pve3": ["osd.0"]}
    problems = plan_changes(spec(1, 2), state)[1]
    assert [p.problem.split(" ")[0:2] for p in problems] == [["is", "still"], ["hosts", "guests"],
                                                            ["runs", "Ceph"]]


def test_no_removal_and_no_join_without_quorum() -> None:
    no_quorum = EngineProblem("cluster lab", "has no quorum: no member can be added or removed",
                              "bring enough nodes online until it is quorate again", "member")
    assert plan_changes(spec(1, 2), live(1, 2, 3, offline=(3,), quorate=False))[1] == [no_quorum]
    assert plan_changes(spec(1, 2, 3, 4), live(1, 2, 3, quorate=False))[1] == [no_quorum]


# -------------------------------------------------------------------------------- several members


def test_a_changed_member_in_the_middle_is_the_one_named() -> None:
    wanted = ClusterSpec("lab", (member(1), member(2), member(3, votes=2), member(4), member(5)), (10,))
    _, problems = plan_changes(wanted, live(1, 2, 3, 4, 5))
    assert problems == [unchanged("pve3", "votes")]


@pytest.mark.parametrize(("changed", "field"), [
    (member(2, links=("10.0.0.99",)), "links"),
    (member(2, links=("10.0.0.12", "10.1.0.12")), "links"),
    (MemberSpec("pve2", 9, ("10.0.0.12",), "https://pve2", 2), "node_id, votes"),
])
def test_every_changed_field_is_named(changed: MemberSpec, field: str) -> None:
    wanted = ClusterSpec("lab", (member(1), changed, member(3)), (10,))
    _, problems = plan_changes(wanted, live(1, 2, 3))
    assert problems == [unchanged("pve2", field)]


def test_links_carried_elsewhere_change_without_a_step_but_never_beside_a_join_or_removal() -> None:
    relinked = member(3, links=("10.0.0.13", "10.1.0.13"))
    wanted = ClusterSpec("lab", (member(1), member(2), relinked, member(4), member(5)), (10,))
    assert plan_changes(wanted, live(1, 2, 3, 4, 5), links_elsewhere=True) == ([], [])
    # Other fields of the member in the middle are still refused, the links no longer.
    votes = ClusterSpec("lab", (member(1), member(2), member(3, votes=2, links=relinked.links), member(4)), (10,))
    assert plan_changes(votes, live(1, 2, 3, 4), links_elsewhere=True)[1] == [unchanged("pve3", "votes")]
    together = EngineProblem("pve3", "links change in the same run as a join or removal: a node joins with the "
                             "links the cluster has, and quorum is checked between the two changes",
                             "change the links in one apply and the membership in the next (either first)",
                             "member")
    join = ClusterSpec("lab", (*wanted.members, member(6)), (10,))
    assert plan_changes(join, live(1, 2, 3, 4, 5), links_elsewhere=True)[1] == [together]
    two = ClusterSpec("lab", (member(1), member(2, links=("10.0.0.99",)), relinked, member(4), member(5),
                              member(6)), (10,))
    assert [p.subject for p in plan_changes(two, live(1, 2, 3, 4, 5), links_elsewhere=True)[1]] == ["pve2, pve3"]
    removal = ClusterSpec("lab", (member(1), member(2), relinked, member(4)), (10,))
    assert together in plan_changes(removal, live(1, 2, 3, 4, 5, offline=(5,)), links_elsewhere=True)[1]


def test_joins_go_in_node_id_order_and_an_unreachable_one_in_the_middle_is_named() -> None:
    state = live(1, 2)
    state.unreachable = {"pve4": "connection refused"}
    steps, problems = plan_changes(spec(5, 1, 4, 2, 3), state)
    assert steps_of(spec(5, 1, 4, 2, 3), state) == [f"join pve{n}: join pve{n} (node id {n}) to lab" for n in (3, 4, 5)]
    assert problems == [unreachable("pve4", "connection refused", "join it")]


def test_creating_names_the_first_node_by_id_and_joins_the_rest() -> None:
    state = LiveCluster(standalone={"pve1", "pve2", "pve3"}, unreachable={"pve2": "timed out"})
    assert steps_of(spec(3, 2, 1), state) == ["create pve1: create cluster lab on pve1",
                                              "join pve2: join pve2 (node id 2) to lab",
                                              "join pve3: join pve3 (node id 3) to lab"]
    assert plan_changes(spec(3, 2, 1), state)[1] == [unreachable("pve2", "timed out", "join it")]
    state.unreachable = {"pve1": "connection refused"}
    steps, problems = plan_changes(spec(3, 2, 1), state)
    assert problems == [unreachable("pve1", "connection refused", "create the cluster")]
    assert [s.action for s in steps] == [Action.CREATE, Action.JOIN, Action.JOIN]


def test_a_foreign_node_in_the_middle_is_the_one_named() -> None:
    state = LiveCluster(standalone={"pve1", "pve3"}, foreign={"pve2": "prod"})
    _, problems = plan_changes(spec(1, 2, 3), state)
    assert problems == [EngineProblem("pve2", "already in cluster 'prod', not 'lab'",
                                      "remove it from that cluster or from the model", "member")]


def test_a_renamed_cluster_is_refused_with_both_names() -> None:
    state = live(1, 2, 3)
    state.name = "prod"
    _, problems = plan_changes(spec(1, 2, 3), state)
    assert problems == [EngineProblem("cluster prod", "the model names it 'lab', but PVE cannot rename a cluster",
                                      "name it 'prod' in the model", "name")]


@pytest.mark.parametrize(("wanted", "current", "expected"), [
    ("hardware", None, ["options pve1: set fencing to hardware"]),
    ("hardware", "watchdog", ["options pve1: set fencing to hardware"]),
    ("watchdog", "hardware", ["options pve1: set fencing to watchdog"]),
    ("both", "both", []),
])
def test_fencing_goes_through_the_first_node(wanted: str, current: str | None, expected: list[str]) -> None:
    state = live(1, 2, 3)
    state.fencing = current
    assert steps_of(spec(3, 1, 2, fencing=wanted), state) == expected


def test_a_changed_member_after_the_one_removed_is_still_named() -> None:
    wanted = ClusterSpec("lab", (member(1), member(2), member(4, votes=2)), (10,))
    _, problems = plan_changes(wanted, live(1, 2, 3, 4, offline=(3,)))
    assert problems == [unchanged("pve4", "votes")]


# -------------------------------------------------------------------------------- a QDevice in place


def qdevice_in_place(host: str) -> EngineProblem:
    return EngineProblem("cluster lab", f"has a QDevice on {host}, and PVE adds or removes nodes only without one",
                         "model it (Cluster qdevice=...), so it is removed before the change and set up again after, "
                         "or run `pvecm qdevice remove` first", "qdevice")


def test_a_qdevice_pve_has_stops_a_join_and_a_removal_but_nothing_else() -> None:
    def with_qdevice(state: LiveCluster) -> LiveCluster:
        state.qdevice = "10.0.0.5"
        return state

    # A join in the middle of the node ids, a removal of an offline node with quorum kept: each refused alone.
    steps, problems = plan_changes(spec(1, 2, 4, 5), with_qdevice(live(1, 2, 5)))
    assert [s.action for s in steps] == [Action.JOIN] and problems == [qdevice_in_place("10.0.0.5")]
    steps, problems = plan_changes(spec(1, 2, 4), with_qdevice(live(1, 2, 3, 4, offline=(3,))))
    assert [s.action for s in steps] == [Action.REMOVE] and problems == [qdevice_in_place("10.0.0.5")]
    # Without a membership change the QDevice is no concern; without a QDevice the same changes go ahead.
    assert plan_changes(spec(1, 2, 3, 4), with_qdevice(live(1, 2, 3, 4))) == ([], [])
    assert plan_changes(spec(1, 2, 4, 5), live(1, 2, 5))[1] == []
    assert plan_changes(spec(1, 2, 4), live(1, 2, 3, 4, offline=(3,)))[1] == []
