"""The engine against the fake PVE cluster, through proxmoxer over HTTPS: faults, tasks, convergence."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakepve import FakeCluster, Fault
from pvecdk.engine import Client, ClusterSpec, Credentials, MemberSpec, PlanRefused, TlsSettings, apply_changes
from pvecdk.engine.ceph import CephInit, Monitor, apply_ceph
from pvecdk.engine.membership import plan_changes, read_cluster
from pvecdk.engine.preflight import preflight
from pvecdk.errors import ApiError, EngineError, TaskError, UnreachableError

TOKEN_ID = "root@pam!pvecdk"
SECRET = "11111111-2222-3333-4444-555555555555"
ROOT_PASSWORD = "s3cret-root"
ADDRESSES = {f"pve{i}": f"10.0.0.{10 + i}" for i in range(1, 5)}


@pytest.fixture
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=ADDRESSES, version="9.1", root_password=ROOT_PASSWORD, token_id=TOKEN_ID,
                     token_secret=SECRET, task_seconds=0.05) as cluster:
        yield cluster


def spec(fake: FakeCluster, *names: str) -> ClusterSpec:
    return ClusterSpec("lab", tuple(MemberSpec(n, int(n[3:]), (ADDRESSES[n],), fake.endpoint(n)) for n in names),
                       (10,))


def client(fake: FakeCluster, *, secret: str = SECRET, tls: TlsSettings | None = None, retries: int = 2,
           timeout: float = 2.0) -> Client:
    return Client({n: fake.endpoint(n) for n in ADDRESSES}, Credentials(token_id=TOKEN_ID, token_secret=secret),
                  tls or TlsSettings(ca_file=str(fake.ca_file)), timeout_seconds=timeout, retries=retries,
                  backoff_seconds=0.01)


def no_secret(text: str) -> None:
    assert SECRET not in text and ROOT_PASSWORD not in text


# ----------------------------------------------------------------------------------------------- client


def test_reads_through_proxmoxer(fake: FakeCluster) -> None:
    with client(fake) as c:
        assert c.get("pve1", "/version")["version"].startswith("9.1")


def test_wrong_token_names_node_and_call_without_the_secret(fake: FakeCluster) -> None:
    wrong = "99999999-0000-0000-0000-000000000000"
    with client(fake, secret=wrong) as c, pytest.raises(ApiError) as excinfo:
        c.get("pve2", "/cluster/status")
    err = excinfo.value
    assert (err.node, err.method, err.path, err.status) == ("pve2", "GET", "/cluster/status", 401)
    assert wrong not in str(err)


def test_bad_certificate_is_refused(fake: FakeCluster) -> None:
    with client(fake, tls=TlsSettings(), retries=0) as c, pytest.raises(UnreachableError) as excinfo:
        c.get("pve1", "/version")
    assert "TLS verification failed" in str(excinfo.value)


def test_pinned_fingerprint(fake: FakeCluster) -> None:
    pinned = TlsSettings(fingerprints={"pve1": fake.fingerprint("pve1"), "pve2": fake.fingerprint("pve1")})
    with client(fake, tls=pinned, retries=0) as c:
        assert c.get("pve1", "/version")
        with pytest.raises(UnreachableError):
            c.get("pve2", "/version")


def test_unknown_node(fake: FakeCluster) -> None:
    with client(fake) as c, pytest.raises(UnreachableError) as excinfo:
        c.get("pve9", "/version")
    assert "no endpoint for this node" in str(excinfo.value)


@pytest.mark.parametrize("kind", [Fault.HTTP_500, Fault.DROP])
def test_reads_are_retried(fake: FakeCluster, kind: Fault) -> None:
    fake.fault("pve1", kind, times=1)
    with client(fake) as c:
        assert c.get("pve1", "/cluster/status")


def test_slow_answer_past_the_timeout_is_retried_then_given_up(fake: FakeCluster) -> None:
    fake.fault("pve1", Fault.SLOW, delay=1.0, times=5)
    with client(fake, timeout=0.3, retries=1) as c, pytest.raises(UnreachableError) as excinfo:
        c.get("pve1", "/version")
    assert excinfo.value.attempts == 2 and "timed out" in excinfo.value.reason


def test_offline_node(fake: FakeCluster) -> None:
    fake.set_offline("pve3", True)
    with client(fake, retries=1) as c, pytest.raises(UnreachableError) as excinfo:
        c.get("pve3", "/version")
    assert excinfo.value.node == "pve3"


def test_failed_task_carries_its_log(fake: FakeCluster) -> None:
    fake.fault("pve1", Fault.TASK_FAIL, times=1)
    with client(fake) as c:
        with pytest.raises(EngineError) as excinfo:
            apply_changes(c, spec(fake, "pve1"), join_password=ROOT_PASSWORD)
    err = excinfo.value
    assert isinstance(err, TaskError) and not err.timed_out and err.upid.startswith("UPID:pve1:")
    assert err.log, "the task log is in the error"
    no_secret(str(err))


# ----------------------------------------------------------------------------------------------- membership


def test_forms_a_cluster_one_join_at_a_time(fake: FakeCluster) -> None:
    done: list[str] = []
    with client(fake) as c:
        live = apply_changes(c, spec(fake, "pve1", "pve2", "pve3"), join_password=ROOT_PASSWORD,
                             on_step=lambda s: done.append(str(s).split(":")[0]))
    assert done == ["create pve1", "join pve2", "join pve3"]
    assert sorted(live.members) == ["pve1", "pve2", "pve3"] and live.quorate
    assert {m.nodeid for m in fake.state.members.values()} == {1, 2, 3}


@pytest.mark.parametrize("crash_after", [1, 2, 3])
def test_a_crash_after_any_step_is_continued_by_a_rerun(fake: FakeCluster, crash_after: int) -> None:
    steps: list[str] = []

    def crash(step: object) -> None:
        steps.append(str(step))
        if len(steps) == crash_after:
            raise KeyboardInterrupt("crash injected")

    wanted = spec(fake, "pve1", "pve2", "pve3", "pve4")
    with client(fake) as c:
        with pytest.raises(KeyboardInterrupt):
            apply_changes(c, wanted, join_password=ROOT_PASSWORD, on_step=crash)
        assert len(fake.state.members) == crash_after
        live = apply_changes(c, wanted, join_password=ROOT_PASSWORD)
    assert sorted(live.members) == ["pve1", "pve2", "pve3", "pve4"]
    assert sorted(fake.state.members) == ["pve1", "pve2", "pve3", "pve4"]


def test_a_join_without_quorum_waits_then_fails_without_touching_nodes(fake: FakeCluster) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3"])
    fake.lose_quorum()
    before = len(fake.requests)
    with client(fake) as c, pytest.raises(EngineError) as excinfo:
        apply_changes(c, spec(fake, "pve1", "pve2", "pve3", "pve4"), join_password=ROOT_PASSWORD,
                      quorum_timeout_seconds=0.5)
    assert "no quorum" in str(excinfo.value) and "nothing was changed" in str(excinfo.value)
    writes = [r for r in fake.requests[before:] if r[1] != "GET"]
    assert writes == [], "no write reached any node"
    assert "pve4" not in fake.state.members


def deletes(fake: FakeCluster, since: int = 0) -> list[str]:
    return [r.path for r in fake.requests[since:] if r.method == "DELETE"]


def test_removal_of_a_node_with_guests_is_refused(fake: FakeCluster) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3", "pve4"])
    fake.add_guest("pve4", 100)
    fake.set_offline("pve4")
    with client(fake) as c, pytest.raises(PlanRefused) as excinfo:
        apply_changes(c, spec(fake, "pve1", "pve2", "pve3"), join_password=ROOT_PASSWORD)
    assert [(p.subject, p.problem) for p in excinfo.value.problems] == [("pve4", "hosts guests (qemu/100)")]
    assert "pve4" in fake.state.members and deletes(fake) == []


def test_removes_one_node_once_it_is_powered_off(fake: FakeCluster) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3", "pve4"])
    fake.set_offline("pve4")
    with client(fake) as c:
        live = apply_changes(c, spec(fake, "pve1", "pve2", "pve3"), join_password=ROOT_PASSWORD)
    assert sorted(live.members) == ["pve1", "pve2", "pve3"]
    assert deletes(fake) == ["/cluster/config/nodes/pve4"]


def test_a_node_still_online_in_the_middle_is_never_deleted_and_a_rerun_after_power_off_converges(
        fake: FakeCluster) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3", "pve4"])
    wanted = spec(fake, "pve1", "pve3", "pve4")
    with client(fake) as c:
        with pytest.raises(PlanRefused) as excinfo:
            apply_changes(c, wanted, join_password=ROOT_PASSWORD)
        assert [(p.subject, p.problem.split(":")[0]) for p in excinfo.value.problems] == [
            ("pve2", "is still online")]
        assert "shut pve2 down" in excinfo.value.problems[0].fix
        assert deletes(fake) == [] and sorted(fake.state.members) == ["pve1", "pve2", "pve3", "pve4"]
        fake.set_offline("pve2")
        live = apply_changes(c, wanted, join_password=ROOT_PASSWORD)
        assert sorted(live.members) == ["pve1", "pve3", "pve4"] and live.quorate
        steps: list[object] = []
        apply_changes(c, wanted, join_password=ROOT_PASSWORD, on_step=steps.append)
    assert steps == [] and deletes(fake) == ["/cluster/config/nodes/pve2"]


def test_a_node_that_comes_back_online_before_the_apply_is_not_deleted(fake: FakeCluster) -> None:
    # The plan saw it offline; the apply reads the cluster again before the DELETE and refuses.
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3", "pve4"])
    wanted = spec(fake, "pve1", "pve2", "pve4")
    fake.set_offline("pve3")
    with client(fake) as c:
        live = read_cluster(c, wanted)
        assert plan_changes(wanted, live)[1] == []
        fake.set_offline("pve3", False)
        with pytest.raises(PlanRefused, match="pve3: is still online"):
            apply_changes(c, wanted, join_password=ROOT_PASSWORD)
    assert deletes(fake) == [] and "pve3" in fake.state.members


def test_a_powered_off_node_that_still_holds_a_ceph_monitor_is_not_removed(fake: FakeCluster) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3", "pve4"])
    with client(fake) as c:
        apply_ceph(c, CephInit("pve1", network="10.0.0.0/24"))
        for node in ("pve1", "pve2", "pve3"):
            apply_ceph(c, Monitor(node))
        fake.set_offline("pve2")
        with pytest.raises(PlanRefused) as excinfo:
            apply_changes(c, spec(fake, "pve1", "pve3", "pve4"), join_password=ROOT_PASSWORD)
    assert [(p.subject, p.problem) for p in excinfo.value.problems] == [("pve2", "runs Ceph daemons (mon.pve2)")]
    assert deletes(fake) == [] and "pve2" in fake.state.members


def test_join_needs_the_password(fake: FakeCluster) -> None:
    with client(fake) as c, pytest.raises(EngineError) as excinfo:
        apply_changes(c, spec(fake, "pve1", "pve2"), join_password=None)
    assert "PVECDK_JOIN_PASSWORD" in str(excinfo.value)


def test_wrong_join_password_fails_in_the_task_without_showing_it(fake: FakeCluster) -> None:
    with client(fake) as c, pytest.raises(TaskError) as excinfo:
        apply_changes(c, spec(fake, "pve1", "pve2"), join_password="wrong-password-xyz")
    assert "wrong-password-xyz" not in str(excinfo.value)
    assert all("wrong-password-xyz" not in str(r) for r in fake.requests)


# ----------------------------------------------------------------------------------------------- preflight


def test_preflight_reports_every_check(fake: FakeCluster) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2"])
    fake.set_offline("pve4", True)
    with client(fake, retries=0) as c:
        reports = {r.node: r for r in preflight(c, spec(fake, "pve1", "pve2", "pve3", "pve4"), pve_version="9.1")}
    assert reports["pve1"].ok and reports["pve2"].ok
    assert [(ch.name, ch.ok) for ch in reports["pve3"].checks] == [
        ("reachable", True), ("version", True), ("clock", True), ("addresses", True), ("membership", True)]
    assert reports["pve3"].checks[-1].detail == "standalone: will join lab"
    assert not reports["pve4"].ok and reports["pve4"].checks[0].name == "reachable"


def test_preflight_reports_a_link_address_no_interface_carries(fake: FakeCluster) -> None:
    wrong = ClusterSpec("lab", (MemberSpec("pve1", 1, ("10.0.0.11",), fake.endpoint("pve1")),
                                MemberSpec("pve2", 2, ("10.0.0.99",), fake.endpoint("pve2"))))
    with client(fake) as c:
        reports = {r.node: r for r in preflight(c, wrong)}
    assert reports["pve1"].ok
    (check,) = [ch for ch in reports["pve2"].checks if ch.name == "addresses"]
    assert not check.ok and "link0 10.0.0.99" in check.detail


def test_a_join_whose_link_address_is_missing_is_refused_before_it_starts(fake: FakeCluster) -> None:
    wrong = ClusterSpec("lab", (MemberSpec("pve1", 1, ("10.0.0.11",), fake.endpoint("pve1")),
                                MemberSpec("pve2", 2, ("10.0.0.99",), fake.endpoint("pve2"))))
    with client(fake) as c:
        with pytest.raises(EngineError) as excinfo:
            apply_changes(c, wrong, join_password=ROOT_PASSWORD)
        assert "link0 10.0.0.99" in str(excinfo.value) and excinfo.value.node == "pve2"
        assert sorted(fake.state.members) == ["pve1"], "pve1 formed the cluster, pve2 was not touched"
        assert not any(r.method == "POST" and r.path == "/cluster/config/join" for r in fake.requests)
        live = apply_changes(c, spec(fake, "pve1", "pve2"), join_password=ROOT_PASSWORD)
    assert sorted(live.members) == ["pve1", "pve2"], "with the address fixed, a rerun converges"


def test_preflight_catches_a_version_the_model_does_not_target(fake: FakeCluster) -> None:
    with client(fake) as c:
        reports = preflight(c, spec(fake, "pve1"), pve_version="8.4")
    assert not reports[0].ok
    assert any(ch.name == "version" and "the model targets 8.4" in ch.detail for ch in reports[0].checks)
