"""The engine's waits, deadlines and reads against a fake cluster that takes its time: a joined node that shows
online late, quorum that returns late, a node whose view lags, tasks that run long."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, cast

import pytest
from fakepve import FakeCluster
from pvecdk.engine import (
    Client,
    ClusterSpec,
    Credentials,
    MemberSpec,
    PlanRefused,
    TlsSettings,
    apply_changes,
    read_cluster,
)
from pvecdk.engine.membership import _await_running_tasks, _wait_member
from pvecdk.errors import EngineError, EngineProblem, TaskError

TOKEN_ID = "root@pam!pvecdk"
SECRET = "11111111-2222-3333-4444-555555555555"
ROOT_PASSWORD = "s3cret-root"
ADDRESSES = {f"pve{i}": f"10.0.0.{10 + i}" for i in range(1, 6)}
DELAY = 0.6


def start(task_seconds: float = 0.05) -> FakeCluster:
    return FakeCluster(nodes=ADDRESSES, version="9.1", root_password=ROOT_PASSWORD, token_id=TOKEN_ID,
                       token_secret=SECRET, task_seconds=task_seconds).start()


@pytest.fixture
def fake() -> Iterator[FakeCluster]:
    cluster = start()
    yield cluster
    cluster.close()


def spec(fake: FakeCluster, *names: str, priorities: tuple[int, ...] = (10,)) -> ClusterSpec:
    return ClusterSpec("lab", tuple(MemberSpec(n, int(n[3:]), (ADDRESSES[n],), fake.endpoint(n)) for n in names),
                       priorities)


def client(fake: FakeCluster) -> Client:
    return Client({n: fake.endpoint(n) for n in ADDRESSES}, Credentials(token_id=TOKEN_ID, token_secret=SECRET),
                  TlsSettings(ca_file=str(fake.ca_file)), timeout_seconds=2.0, retries=1, backoff_seconds=0.01)


def writes(fake: FakeCluster, since: int = 0) -> list[tuple[str, str, str]]:
    return [(r.node, r.method, r.path) for r in fake.requests[since:] if r.method != "GET"]


# ----------------------------------------------------------------------------------------------- joins


def test_each_join_waits_until_the_cluster_sees_the_node_online(fake: FakeCluster) -> None:
    fake.delay_joins(DELAY)
    started = time.monotonic()
    with client(fake) as c:
        live = apply_changes(c, spec(fake, "pve1", "pve2", "pve3"), join_password=ROOT_PASSWORD)
    assert time.monotonic() - started >= 2 * DELAY, "two joins, each seen online only after the delay"
    assert {n: m.online for n, m in live.members.items()} == {"pve1": True, "pve2": True, "pve3": True}
    assert live.quorate and live.answered_by == "pve1"


def test_the_join_waits_on_the_view_of_the_node_it_joined_through(fake: FakeCluster) -> None:
    # pve2 sees new members at once; pve1, which the join goes through and which speaks for the cluster, late.
    fake.form_cluster("lab", members=["pve1", "pve2"])
    fake.lag_view("pve1", DELAY)
    with client(fake) as c:
        live = apply_changes(c, spec(fake, "pve1", "pve2", "pve3"), join_password=ROOT_PASSWORD)
    assert live.answered_by == "pve1" and all(m.online for m in live.members.values())


def test_a_join_not_seen_before_the_deadline_fails_cleanly_and_a_rerun_finishes(fake: FakeCluster) -> None:
    fake.delay_joins(3.0)
    started = time.monotonic()
    with client(fake) as c, pytest.raises(EngineError) as excinfo:
        apply_changes(c, spec(fake, "pve1", "pve2", "pve3"), join_password=ROOT_PASSWORD,
                      quorum_timeout_seconds=0.4)
    assert time.monotonic() - started < 2.5, "the deadline, not the delay, ended the wait"
    assert str(excinfo.value).endswith("pve2 joined but pve1 does not see it online in a quorate cluster after "
                                       "0.4 s; check corosync on the link networks")
    assert excinfo.value.node == "pve2"
    assert sorted(fake.state.members) == ["pve1", "pve2"], "pve3 was not joined after the failed wait"
    fake.delay_joins(0.0)
    with client(fake) as c:
        live = apply_changes(c, spec(fake, "pve1", "pve2", "pve3"), join_password=ROOT_PASSWORD)
    assert sorted(live.members) == ["pve1", "pve2", "pve3"]


def test_quorum_that_returns_late_is_waited_for_before_the_join(fake: FakeCluster) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3"])
    fake.lose_quorum()
    fake.restore_quorum(after=DELAY)
    before = len(fake.requests)
    started = time.monotonic()
    with client(fake) as c:
        live = apply_changes(c, spec(fake, "pve1", "pve2", "pve3", "pve4"), join_password=ROOT_PASSWORD)
    assert time.monotonic() - started >= DELAY
    assert writes(fake, before) == [("pve4", "POST", "/cluster/config/join")]
    assert sorted(live.members) == ["pve1", "pve2", "pve3", "pve4"] and live.quorate


def test_quorum_that_returns_after_the_deadline_stops_the_run_before_any_write(fake: FakeCluster) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3"])
    fake.lose_quorum()
    fake.restore_quorum(after=3.0)
    before = len(fake.requests)
    started = time.monotonic()
    with client(fake) as c, pytest.raises(EngineError) as excinfo:
        apply_changes(c, spec(fake, "pve1", "pve2", "pve3", "pve4"), join_password=ROOT_PASSWORD,
                      quorum_timeout_seconds=0.4)
    assert time.monotonic() - started < 2.5
    assert excinfo.value.node == "pve1"
    assert str(excinfo.value).endswith("cluster lab has had no quorum for 0.4 s; nothing was changed. Bring enough "
                                       "nodes online (or check corosync) and run again")
    assert writes(fake, before) == []


def test_a_quorum_wait_during_which_no_member_answers_names_no_node_but_the_cluster(fake: FakeCluster) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3"])
    fake.lose_quorum()

    def every_node_goes_down(seconds: float) -> None:
        for name in ("pve1", "pve2", "pve3"):
            fake.set_offline(name)
        time.sleep(seconds)

    before = len(fake.requests)
    with client(fake) as c, pytest.raises(EngineError) as excinfo:
        apply_changes(c, spec(fake, "pve1", "pve2", "pve3", "pve4"), join_password=ROOT_PASSWORD,
                      quorum_timeout_seconds=0.4, sleep=every_node_goes_down)
    assert excinfo.value.node == "-", "no member answered: there is no node to name"
    assert str(excinfo.value).endswith("cluster lab has had no quorum for 0.4 s; nothing was changed. Bring enough "
                                       "nodes online (or check corosync) and run again")
    assert writes(fake, before) == []


# ----------------------------------------------------------------------------------------------- removals


def test_a_removal_waits_for_quorum_to_settle(fake: FakeCluster) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3", "pve4"])
    fake.settle_quorum(DELAY)
    fake.set_offline("pve4")
    started = time.monotonic()
    with client(fake) as c:
        live = apply_changes(c, spec(fake, "pve1", "pve2", "pve3"), join_password=ROOT_PASSWORD)
    assert time.monotonic() - started >= DELAY
    assert sorted(live.members) == ["pve1", "pve2", "pve3"] and live.quorate


def test_a_removal_whose_quorum_does_not_settle_in_time_fails_cleanly(fake: FakeCluster) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3", "pve4"])
    fake.settle_quorum(3.0)
    fake.set_offline("pve4")
    with client(fake) as c, pytest.raises(EngineError) as excinfo:
        apply_changes(c, spec(fake, "pve1", "pve2", "pve3"), join_password=ROOT_PASSWORD,
                      quorum_timeout_seconds=0.4)
    assert "has had no quorum for 0.4 s" in str(excinfo.value)
    assert sorted(fake.state.members) == ["pve1", "pve2", "pve3"], "the removal itself was done"


def test_a_removal_goes_through_the_first_online_member(fake: FakeCluster) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3", "pve4", "pve5"])
    fake.set_offline("pve1")
    fake.set_offline("pve5")
    before = len(fake.requests)
    with client(fake) as c:
        live = apply_changes(c, spec(fake, "pve1", "pve2", "pve3", "pve4"), join_password=ROOT_PASSWORD)
    assert writes(fake, before) == [("pve2", "DELETE", "/cluster/config/nodes/pve5")]
    assert live.answered_by == "pve2" and "pve1" in live.unreachable


def test_a_removal_one_vote_short_of_quorum_is_refused_before_any_write(fake: FakeCluster) -> None:
    # 5 -> 4 with pve1 and pve2 down: 2 of 4 votes online, short of 3.
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3", "pve4", "pve5"])
    fake.set_offline("pve1")
    fake.set_offline("pve2")
    before = len(fake.requests)
    with client(fake) as c, pytest.raises(PlanRefused) as excinfo:
        apply_changes(c, spec(fake, "pve1", "pve2", "pve3", "pve4"), join_password=ROOT_PASSWORD)
    # pve5 itself is still up (refused on its own); once it is off, 2 of 5 would leave no quorum to remove it in.
    assert [p.problem for p in excinfo.value.problems] == [
        "is still online: PVE removes only a node that is powered off, which must never come back with its old "
        "cluster configuration", "removing it leaves 2 of 4 votes online, short of quorum 3"]
    assert writes(fake, before) == [] and "pve5" in fake.state.members


def test_guests_and_ha_resources_are_read_from_the_cluster(fake: FakeCluster) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3", "pve4"])
    fake.add_guest("pve2", 100)
    fake.add_guest("pve4", 101, "lxc")
    fake.add_guest("pve4", 102)
    fake.add_guest("pve4", 103)
    fake.add_ha_resource("101")
    fake.add_ha_resource("vm:100")
    with client(fake) as c:
        live = read_cluster(c, spec(fake, "pve1", "pve2", "pve3"))
    assert live.guests == {"pve2": ["qemu/100"], "pve4": ["lxc/101", "qemu/102", "qemu/103"]}
    assert live.ha_nodes == {"pve2": ["vm:100"], "pve4": ["ct:101"]}


# ----------------------------------------------------------------------------------------------- reading


def test_the_members_votes_links_and_online_state_are_read(fake: FakeCluster) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3"])
    fake.set_offline("pve3")
    with client(fake) as c:
        live = read_cluster(c, spec(fake, "pve1", "pve2", "pve3"))
    assert (live.name, live.quorate, live.answered_by) == ("lab", True, "pve1")
    assert [(m.name, m.node_id, m.votes, m.links, m.online) for m in live.members.values()] == [
        ("pve1", 1, 1, ("10.0.0.11",), True), ("pve2", 2, 1, ("10.0.0.12",), True),
        ("pve3", 3, 1, ("10.0.0.13",), False)]
    assert set(live.unreachable) == {"pve3"} and live.standalone == set() and live.foreign == {}


def test_a_node_of_another_cluster_is_reported_and_nothing_is_written(fake: FakeCluster) -> None:
    fake.form_cluster("prod", members=["pve2"])
    before = len(fake.requests)
    with client(fake) as c:
        live = read_cluster(c, spec(fake, "pve1", "pve2", "pve3"))
        assert (live.foreign, live.standalone, live.name) == ({"pve2": "prod"}, {"pve1", "pve3"}, None)
        with pytest.raises(PlanRefused) as excinfo:
            apply_changes(c, spec(fake, "pve1", "pve2", "pve3"), join_password=ROOT_PASSWORD)
    assert excinfo.value.problems == (EngineProblem("pve2", "already in cluster 'prod', not 'lab'",
                                                    "remove it from that cluster or from the model", "member"),)
    assert writes(fake, before) == []


def test_a_member_removed_behind_the_engines_back_is_a_removal_not_a_standalone_node(fake: FakeCluster) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3"])
    fake.remove_member_out_of_band("pve3")
    with client(fake) as c:
        live = read_cluster(c, spec(fake, "pve1", "pve2", "pve3"))
    assert sorted(live.members) == ["pve1", "pve2"] and live.standalone == {"pve3"}


def test_the_cluster_is_created_with_the_link_priorities(fake: FakeCluster) -> None:
    with client(fake) as c:
        apply_changes(c, spec(fake, "pve1", "pve2", priorities=(25,)), join_password=ROOT_PASSWORD)
    created = next(r for r in fake.requests if r.method == "POST" and r.path == "/cluster/config")
    joined = next(r for r in fake.requests if r.method == "POST" and r.path == "/cluster/config/join")
    assert created.params["link0"] == "address=10.0.0.11,priority=25"
    assert joined.params["link0"] == "10.0.0.12", "a join takes the cluster's link priorities"
    assert "knet_link_priority: 25" in (fake.state.corosync_conf or "")


# ----------------------------------------------------------------------------------------------- long tasks


@pytest.mark.parametrize(("formed", "timed_out", "path"), [
    pytest.param([], "pve1", "/cluster/config", id="create"),
    pytest.param(["pve1"], "pve2", "/cluster/config/join", id="join"),
])
def test_a_task_longer_than_its_deadline_times_out_and_the_rerun_awaits_it_not_repeats_it(
        formed: list[str], timed_out: str, path: str) -> None:
    fake = start(task_seconds=1.2)
    try:
        if formed:
            fake.form_cluster("lab", members=formed)
        with client(fake) as c:
            with pytest.raises(TaskError) as excinfo:
                apply_changes(c, spec(fake, "pve1", "pve2"), join_password=ROOT_PASSWORD, task_timeout_seconds=0.3)
            assert excinfo.value.timed_out and excinfo.value.node == timed_out
            assert timed_out not in fake.state.members, "the task was still running"
            live = apply_changes(c, spec(fake, "pve1", "pve2"), join_password=ROOT_PASSWORD,
                                 task_timeout_seconds=5.0)
        assert sorted(live.members) == ["pve1", "pve2"]
        posts = [r for r in fake.requests if r.method == "POST" and r.path == path]
        assert len(posts) == 1, "the rerun found what the first run's task made"
    finally:
        fake.close()


def test_every_link_is_sent_with_its_priority_on_create_and_without_on_join() -> None:
    nodes = {f"pve{i}": [f"10.0.0.{10 + i}", f"10.1.0.{10 + i}", f"10.2.0.{10 + i}"] for i in (1, 2)}
    with FakeCluster(nodes=nodes, version="9.1", root_password=ROOT_PASSWORD, token_id=TOKEN_ID, token_secret=SECRET,
                     task_seconds=0.05) as fake:
        wanted = ClusterSpec("lab", tuple(MemberSpec(n, int(n[3:]), tuple(a), fake.endpoint(n))
                                          for n, a in nodes.items()), (30, 20, 10))
        c = Client({n: fake.endpoint(n) for n in nodes}, Credentials(token_id=TOKEN_ID, token_secret=SECRET),
                   TlsSettings(ca_file=str(fake.ca_file)), timeout_seconds=2.0, retries=1, backoff_seconds=0.01)
        with c:
            live = apply_changes(c, wanted, join_password=ROOT_PASSWORD)
        created = next(r for r in fake.requests if r.method == "POST" and r.path == "/cluster/config")
        joined = next(r for r in fake.requests if r.method == "POST" and r.path == "/cluster/config/join")
    assert {k: v for k, v in created.params.items() if k.startswith("link")} == {
        "link0": "address=10.0.0.11,priority=30", "link1": "address=10.1.0.11,priority=20",
        "link2": "address=10.2.0.11,priority=10"}
    assert {k: v for k, v in joined.params.items() if k.startswith("link")} == {
        "link0": "10.0.0.12", "link1": "10.1.0.12", "link2": "10.2.0.12"}
    assert live.members["pve2"].links == ("10.0.0.12", "10.1.0.12", "10.2.0.12")


def test_a_join_still_running_past_the_reruns_deadline_stops_the_rerun_without_a_second_join() -> None:
    fake = start(task_seconds=4.0)
    try:
        fake.form_cluster("lab", members=["pve1"])
        with client(fake) as c:
            with pytest.raises(TaskError):
                apply_changes(c, spec(fake, "pve1", "pve2"), join_password=ROOT_PASSWORD, task_timeout_seconds=0.2)
            started = time.monotonic()
            with pytest.raises(EngineError) as excinfo:
                apply_changes(c, spec(fake, "pve1", "pve2"), join_password=ROOT_PASSWORD, task_timeout_seconds=0.2)
            assert time.monotonic() - started < 3.5, "each wait for the running join ended at its deadline"
        assert "did not converge; run again to continue" in str(excinfo.value)
        joins = [r for r in fake.requests if r.method == "POST" and r.path == "/cluster/config/join"]
        assert len(joins) == 1, "no second join while the first still runs"
    finally:
        fake.close()


class ActiveTasks:
    """A node's answer to /nodes/{node}/tasks?source=active, and every task the engine then waits for."""

    def __init__(self, *active: dict[str, str], fails: bool = False) -> None:
        self.active, self.fails, self.waited = list(active), fails, list[tuple[str, str, float]]()

    def get(self, node: str, path: str, **params: Any) -> list[dict[str, str]]:
        assert (path, params) == (f"/nodes/{node}/tasks", {"source": "active"})
        return self.active

    def wait_task(self, node: str, upid: str, *, timeout_seconds: float) -> list[str]:
        self.waited.append((node, upid, timeout_seconds))
        if self.fails:
            raise TaskError(node=node, upid=upid, exitstatus="cluster join failed", log=[], timed_out=False)
        return []


def test_only_a_create_or_join_an_earlier_run_left_running_is_awaited() -> None:
    others = ({"type": "vzdump", "upid": "UPID:pve2:1"}, {"type": "clusterjoin", "upid": ""},
              {"type": "qmstart", "upid": "UPID:pve2:2"})
    tasks = ActiveTasks(*others)
    assert _await_running_tasks(cast(Client, tasks), "pve2", 5.0) is False
    assert tasks.waited == [], "a backup or a guest's task is no reason to wait"
    join, create = {"type": "clusterjoin", "upid": "UPID:pve2:3"}, {"type": "clustercreate", "upid": "UPID:pve2:4"}
    tasks = ActiveTasks(others[0], join, others[2], create)
    assert _await_running_tasks(cast(Client, tasks), "pve2", 5.0) is True
    assert tasks.waited == [("pve2", "UPID:pve2:3", 5.0), ("pve2", "UPID:pve2:4", 5.0)]
    failing = ActiveTasks(join, create, fails=True)
    assert _await_running_tasks(cast(Client, failing), "pve2", 5.0) is True, "a failed attempt: plan again"
    assert [upid for _, upid, _ in failing.waited] == ["UPID:pve2:3", "UPID:pve2:4"]


class StatusAnswers:
    """/cluster/status as a node answers it in turn (the last answer repeats), and every call made."""

    def __init__(self, *answers: list[dict[str, Any]]) -> None:
        self.answers, self.asked = list(answers), list[tuple[str, str]]()

    def get(self, node: str, path: str, **params: Any) -> list[dict[str, Any]]:
        self.asked.append((node, path))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def test_a_status_without_the_cluster_row_or_the_node_row_yet_is_asked_again() -> None:
    # Right after a create or join, pmxcfs may answer before it lists the cluster, then before it lists the node.
    cluster, node = {"type": "cluster", "name": "lab", "quorate": 1}, {"type": "node", "name": "pve2", "online": 1}
    wanted = ClusterSpec("lab", (MemberSpec("pve1", 1, ("10.0.0.11",), "https://10.0.0.11:8006"),), (10,))
    status = StatusAnswers([], [cluster], [{**cluster, "quorate": 0}, node], [cluster, node])
    slept: list[float] = []
    _wait_member(cast(Client, status), wanted, "pve1", "pve2", 5.0, slept.append)
    assert status.asked == [("pve1", "/cluster/status")] * 4 and len(slept) == 3
