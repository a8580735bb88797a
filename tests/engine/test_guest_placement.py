"""Guest placement: a guest whose node changes migrates (VMs online, containers in restart mode), never gets
re-created; HA guests stay where HA put them; unsafe moves are refused before any write; a rerun converges."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakepve import FakeCluster, Fault
from pvecdk.engine import Client, Credentials, TlsSettings
from pvecdk.engine.guests import LiveGuest, Placement, apply_placement, plan_placement, read_guest
from pvecdk.errors import EngineError, EngineProblem, PlanRefused, TaskError

TOKEN_ID = "root@pam!pvecdk"
SECRET = "11111111-2222-3333-4444-555555555555"
NODES = [f"pve{i}" for i in range(1, 6)]
ADDRESSES = {n: f"10.0.0.{10 + i}" for i, n in enumerate(NODES, start=1)}
MEMBERS = frozenset(NODES)


def live(node: str, *, kind: str = "qemu", status: str = "running", ha: str | None = None,
         offline: tuple[str, ...] = (), quorate: bool = True) -> LiveGuest:
    return LiveGuest(100, kind, node, status, ha, MEMBERS - set(offline), MEMBERS, quorate)


# ----------------------------------------------------------------------------------------------- planning


@pytest.mark.parametrize(("kind", "status", "mode"), [
    ("qemu", "running", "online"), ("qemu", "stopped", "offline"),
    ("lxc", "running", "restart mode"), ("lxc", "stopped", "offline")])
def test_a_changed_node_is_one_migration_in_the_mode_the_guest_allows(kind: str, status: str, mode: str) -> None:
    steps, problems = plan_placement(Placement(100, kind, "pve3"), live("pve1", kind=kind, status=status))
    assert problems == []
    assert [str(s) for s in steps] == [f"migrate pve1: migrate {kind}/100 from pve1 to pve3 ({mode})"]


def test_nothing_to_do_where_it_runs_or_before_it_exists() -> None:
    assert plan_placement(Placement(100, "qemu", "pve1"), live("pve1")) == ([], [])
    assert plan_placement(Placement(100, "qemu", "pve1"), None) == ([], [])


@pytest.mark.parametrize("model_says_ha", [True, False])
def test_an_ha_guest_is_never_moved_here_wherever_it_runs(model_says_ha: bool) -> None:
    # Under HA by the model, or by the cluster's HA resources: either way its node is the HA manager's.
    guest = live("pve4", ha=None if model_says_ha else "started")
    assert plan_placement(Placement(100, "qemu", "pve1", ha_managed=model_says_ha), guest) == ([], [])


@pytest.mark.parametrize("target", ["pve2", "pve3", "pve4"])
def test_an_offline_target_in_the_middle_is_refused_and_only_that_one(target: str) -> None:
    for node in ("pve2", "pve3", "pve4"):
        _, problems = plan_placement(Placement(100, "qemu", node), live("pve1", offline=(target,)))
        assert problems == ([EngineProblem(node, "is offline: qemu/100 cannot migrate to it",
                                           f"bring {node} online, or leave the VM on pve1", "node_name")]
                            if node == target else [])


def test_a_target_outside_the_cluster_a_type_clash_and_no_quorum_are_refused() -> None:
    (problem,) = plan_placement(Placement(100, "qemu", "pve9"), live("pve1"))[1]
    assert (problem.subject, problem.field) == ("pve9", "node_name") and "not a member" in problem.problem
    (problem,) = plan_placement(Placement(100, "lxc", "pve2"), live("pve1"))[1]
    assert problem.problem == "VMID 100 is a VM, not a container"
    (problem,) = plan_placement(Placement(100, "qemu", "pve2"), live("pve1", quorate=False))[1]
    assert problem.problem == "the cluster has no quorum: no guest can migrate"


# ----------------------------------------------------------------------------------------------- live


@pytest.fixture
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=ADDRESSES, version="9.1", token_id=TOKEN_ID, token_secret=SECRET,
                     task_seconds=0.05) as cluster:
        cluster.form_cluster("lab", members=NODES)
        yield cluster


def client(fake: FakeCluster) -> Client:
    return Client({n: fake.endpoint(n) for n in NODES}, Credentials(token_id=TOKEN_ID, token_secret=SECRET),
                  TlsSettings(ca_file=str(fake.ca_file)), timeout_seconds=5, retries=1, backoff_seconds=0.01)


def migrations(fake: FakeCluster) -> list[tuple[str, dict[str, str]]]:
    return [(r.path, dict(r.params)) for r in fake.requests if r.method == "POST" and r.path.endswith("/migrate")]


def test_a_running_vm_migrates_online_and_a_running_container_in_restart_mode(fake: FakeCluster) -> None:
    fake.add_guest("pve1", 100, "qemu")
    fake.add_guest("pve3", 200, "lxc")
    with client(fake) as c:
        assert apply_placement(c, Placement(100, "qemu", "pve3"), NODES).node == "pve3"  # type: ignore[union-attr]
        assert apply_placement(c, Placement(200, "lxc", "pve5"), NODES).node == "pve5"  # type: ignore[union-attr]
    assert {g.vmid: g.node for g in fake.state.guests.values()} == {100: "pve3", 200: "pve5"}
    assert [(path, params.get("target"), params.get("online"), params.get("restart"))
            for path, params in migrations(fake)] == [
        ("/nodes/pve1/qemu/100/migrate", "pve3", "1", None), ("/nodes/pve3/lxc/200/migrate", "pve5", None, "1")]


def test_a_stopped_guest_migrates_offline_and_a_second_run_does_nothing(fake: FakeCluster) -> None:
    fake.add_guest("pve2", 300, "lxc", status="stopped")
    with client(fake) as c:
        apply_placement(c, Placement(300, "lxc", "pve4"), NODES)
        steps: list[object] = []
        apply_placement(c, Placement(300, "lxc", "pve4"), NODES, on_step=steps.append)
    assert steps == [] and [p for _, p in migrations(fake)] == [{"target": "pve4"}]


def test_an_ha_guest_relocated_by_ha_stays_where_it_is(fake: FakeCluster) -> None:
    fake.add_guest("pve1", 100, "qemu")
    fake.add_ha_resource("vm:100")
    fake.relocate_guest(100, "pve4")  # HA recovered it there after pve1 was fenced
    with client(fake) as c:
        guest = apply_placement(c, Placement(100, "qemu", "pve1", ha_managed=True), NODES)
    assert guest is not None and (guest.node, guest.ha_state) == ("pve4", "started")
    assert migrations(fake) == []


def test_an_offline_target_is_refused_before_any_write_and_a_rerun_converges(fake: FakeCluster) -> None:
    fake.add_guest("pve1", 100, "qemu")
    fake.set_offline("pve3")
    with client(fake) as c:
        with pytest.raises(PlanRefused, match="pve3: is offline"):
            apply_placement(c, Placement(100, "qemu", "pve3"), NODES)
        assert migrations(fake) == []
        fake.set_offline("pve3", False)
        apply_placement(c, Placement(100, "qemu", "pve3"), NODES)
    assert fake.state.guests[100].node == "pve3"


def test_a_lost_answer_to_the_migration_is_not_sent_twice(fake: FakeCluster) -> None:
    fake.add_guest("pve2", 100, "qemu")
    fake.fault("pve2", Fault.DROP, path="/nodes/pve2/qemu/100/migrate", method="POST", after=True)
    with client(fake) as c:
        with pytest.raises(EngineError):
            apply_placement(c, Placement(100, "qemu", "pve5"), NODES)
        guest = apply_placement(c, Placement(100, "qemu", "pve5"), NODES)
    assert guest is not None and guest.node == "pve5"
    assert len(migrations(fake)) == 1, "the rerun found the migration (running or done) and sent none"


def test_a_failed_migration_leaves_the_guest_and_the_rerun_migrates(fake: FakeCluster) -> None:
    fake.add_guest("pve1", 200, "lxc")
    fake.fault("pve1", Fault.TASK_FAIL, message="migration aborted")
    with client(fake) as c:
        with pytest.raises(TaskError, match="migration aborted"):
            apply_placement(c, Placement(200, "lxc", "pve2"), NODES)
        assert fake.state.guests[200].node == "pve1"
        apply_placement(c, Placement(200, "lxc", "pve2"), NODES)
    assert fake.state.guests[200].node == "pve2"


def test_the_guest_is_read_through_the_next_node_when_the_first_is_down(fake: FakeCluster) -> None:
    fake.add_guest("pve3", 100, "qemu")
    fake.set_offline("pve1")
    with client(fake) as c:
        guest = read_guest(c, 100, NODES)
        assert read_guest(c, 999, NODES) is None
    assert guest is not None and (guest.node, "pve1" in guest.online_nodes) == ("pve3", False)
