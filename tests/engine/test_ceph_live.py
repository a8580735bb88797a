"""The Ceph and storage engine against the fake cluster, through proxmoxer: order, crashes, failed tasks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakepve import FakeCluster, Fault
from pvecdk.engine import (
    CephInit,
    CephObject,
    Client,
    Credentials,
    FileSystem,
    Manager,
    MetadataServer,
    Monitor,
    Osd,
    PlanRefused,
    PrerequisiteMissing,
    StorageSpec,
    TlsSettings,
    apply_ceph,
    apply_storage,
    read_ceph,
    read_storage,
)
from pvecdk.errors import EngineError, TaskError

TOKEN_ID = "root@pam!pvecdk"
SECRET = "11111111-2222-3333-4444-555555555555"
NODES = ("pve1", "pve2", "pve3")
ADDRESSES = {n: f"10.0.0.{10 + int(n[3:])}" for n in NODES}
KEYRING = "AQBrZXlyaW5nLW5ldmVyLWluLWFuLWVycm9yLW1lc3NhZ2U="

#: The bootstrap in Ceph's order, and the call that carries out each object's step.
BOOTSTRAP: list[tuple[CephObject, str]] = [
    (CephInit("pve1", "10.0.0.0/24"), "/nodes/pve1/ceph/init"),
    (Monitor("pve1"), "/nodes/pve1/ceph/mon/pve1"),
    (Monitor("pve2"), "/nodes/pve2/ceph/mon/pve2"),
    (Monitor("pve3"), "/nodes/pve3/ceph/mon/pve3"),
    # PVE adds a manager with the first monitor (pve1's); this one is a second.
    (Manager("pve2"), "/nodes/pve2/ceph/mgr/pve2"),
    (Osd("pve1", "/dev/sdb"), "/nodes/pve1/ceph/osd"),
    (Osd("pve2", "/dev/sdb", db_device="/dev/sdc", db_size_gib=16), "/nodes/pve2/ceph/osd"),
    (Osd("pve3", "/dev/sdb", encrypted=True, device_class="nvme"), "/nodes/pve3/ceph/osd"),
    (MetadataServer("pve1"), "/nodes/pve1/ceph/mds/pve1"),
    (FileSystem("pve1", "cephfs", 32), "/nodes/pve1/ceph/fs/cephfs"),
]


@pytest.fixture
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=ADDRESSES, token_id=TOKEN_ID, token_secret=SECRET, task_seconds=0.02) as cluster:
        cluster.form_cluster("lab", members=NODES)
        yield cluster


def client(fake: FakeCluster) -> Client:
    return Client({n: fake.endpoint(n) for n in NODES}, Credentials(token_id=TOKEN_ID, token_secret=SECRET),
                  TlsSettings(ca_file=fake.ca_file), timeout_seconds=5, retries=1, backoff_seconds=0.01)


def bootstrap(c: Client, upto: int = len(BOOTSTRAP)) -> None:
    for obj, _ in BOOTSTRAP[:upto]:
        apply_ceph(c, obj)


def test_bootstrap_in_order_then_nothing_to_do(fake: FakeCluster) -> None:
    with client(fake) as c:
        bootstrap(c)
        live = read_ceph(c, "pve1")
        assert sorted(live.monitors) == list(NODES) and "cephfs" in live.filesystems and len(live.osds) == 3
        assert live.fsid and live.network == "10.0.0.0/24"
        before = len(fake.requests)
        steps: list[object] = []
        for obj, _ in BOOTSTRAP:
            apply_ceph(c, obj, on_step=steps.append)
        assert steps == [], "a second run changes nothing"
        assert all(q.method == "GET" for q in fake.requests[before:])
    osd_post = next(q for q in fake.requests if q.method == "POST" and q.path == "/nodes/pve2/ceph/osd")
    assert (osd_post.params["dev"], osd_post.params["db_dev"], osd_post.params["db_dev_size"]) == (
        "/dev/sdb", "/dev/sdc", "16")


#: One step of each kind: init, a monitor, a manager, an OSD (with a DB device), the MDS, the file system.
CRASH_POINTS = (0, 2, 4, 6, 8, 9)


@pytest.mark.parametrize("index", CRASH_POINTS, ids=[type(BOOTSTRAP[i][0]).__name__ for i in CRASH_POINTS])
def test_a_crash_after_each_step_converges_on_rerun(fake: FakeCluster, index: int) -> None:
    obj, path = BOOTSTRAP[index]
    with client(fake) as c:
        bootstrap(c, index)
        # The call takes effect, but its answer is lost: the run ends there, as if the engine crashed.
        fake.fault(obj.node, Fault.DROP, path=path, method="POST", after=True)
        with pytest.raises(EngineError):
            apply_ceph(c, obj)
        bootstrap(c)
        calls = [q for q in fake.requests if q.method == "POST" and q.path == path]
        assert len(calls) == 1 or isinstance(obj, Osd), "the rerun found the object and did not create it again"
        live = read_ceph(c, "pve1")
        assert sorted(live.monitors) == list(NODES) and "cephfs" in live.filesystems and len(live.osds) == 3


def test_a_rerun_waits_for_the_task_a_crashed_run_left_running() -> None:
    # Tasks that take a while: the rerun comes while the lost call's monitor is still being made.
    with FakeCluster(nodes=ADDRESSES, token_id=TOKEN_ID, token_secret=SECRET, task_seconds=0.8) as fake:
        fake.form_cluster("lab", members=NODES)
        with client(fake) as c:
            bootstrap(c, 2)
            fake.fault("pve2", Fault.DROP, path="/nodes/pve2/ceph/mon/pve2", method="POST", after=True)
            with pytest.raises(EngineError):
                apply_ceph(c, Monitor("pve2"))
            running = c.get("pve2", "/nodes/pve2/tasks", source="active")
            assert [t["type"] for t in running] == ["cephcreatemon"], "the lost call's task is still running"
            apply_ceph(c, Monitor("pve2"))
            assert sorted(read_ceph(c, "pve1").monitors) == ["pve1", "pve2"]
        posts = [q for q in fake.requests if q.method == "POST" and q.path == "/nodes/pve2/ceph/mon/pve2"]
        assert len(posts) == 1, "the rerun waited for the running task instead of creating the monitor again"


def test_each_object_names_its_missing_prerequisite(fake: FakeCluster) -> None:
    with client(fake) as c:
        with pytest.raises(PrerequisiteMissing, match="Ceph is not initialised on the cluster"):
            apply_ceph(c, Monitor("pve1"))
        apply_ceph(c, BOOTSTRAP[0][0])
        with pytest.raises(PrerequisiteMissing, match="no Ceph monitor yet; apply a pvecdk_ceph_monitor"):
            apply_ceph(c, Osd("pve1", "/dev/sdb"))
        bootstrap(c, 8)
        with pytest.raises(PrerequisiteMissing, match="needs a metadata server"):
            apply_ceph(c, FileSystem("pve1", "cephfs"))
    assert not [q for q in fake.requests if q.method == "POST" and q.path == "/nodes/pve1/ceph/fs/cephfs"]


def test_a_failed_task_brings_its_log(fake: FakeCluster) -> None:
    with client(fake) as c:
        bootstrap(c, 1)
        fake.fault("pve2", Fault.TASK_FAIL)
        with pytest.raises(TaskError) as excinfo:
            apply_ceph(c, Monitor("pve2"))
    err = excinfo.value
    assert err.node == "pve2" and "cephcreatemon" in err.upid and "failed" in str(err)
    assert err.log, "the task log is in the error"


def test_destroying_an_osd_steps_out_stop_destroy_and_survives_crashes(fake: FakeCluster) -> None:
    with client(fake) as c:
        bootstrap(c, 8)
        apply_ceph(c, Osd("pve1", "/dev/sdc"))  # a second OSD on pve1 takes over the data of the first
        osd = Osd("pve1", "/dev/sdb")
        with pytest.raises(PlanRefused, match="set allow_destroy = true"):
            apply_ceph(c, osd, present=False)
        osd_id = read_ceph(c, "pve1", disks=True).osd_on("/dev/sdb")
        assert osd_id is not None
        fake.fault("pve1", Fault.DROP, path=f"/nodes/pve1/ceph/osd/{osd_id}/out", method="POST", after=True)
        with pytest.raises(EngineError):
            apply_ceph(c, osd, present=False, allow_destroy=True)
        done: list[str] = []
        live = apply_ceph(c, osd, present=False, allow_destroy=True, on_step=lambda s: done.append(s.action))
        assert done == ["stop_osd", "destroy_osd"], "the rerun did not mark it out again"
        assert osd_id not in live.osds and read_ceph(c, "pve1", disks=True).osd_on("/dev/sdb") is None


def test_removing_monitors_keeps_quorum(fake: FakeCluster) -> None:
    with client(fake) as c:
        bootstrap(c, 5)
        apply_ceph(c, Monitor("pve3"), present=False)
        apply_ceph(c, Monitor("pve2"), present=False)
        with pytest.raises(PlanRefused, match="last monitor"):
            apply_ceph(c, Monitor("pve1"), present=False)
        assert list(read_ceph(c, "pve1").monitors) == ["pve1"]


def test_storage_converges_and_keeps_the_keyring_out_of_errors(fake: FakeCluster) -> None:
    spec = StorageSpec("ext", "rbd", content=frozenset({"images"}), keyring=KEYRING,
                       options={"pool": "rbd", "monhost": "10.9.0.1 10.9.0.2"})
    with client(fake) as c:
        fake.fault("pve2", Fault.HTTP_500, path="/storage", method="POST", message=f"bad keyring {KEYRING}")
        with pytest.raises(EngineError) as excinfo:
            apply_storage(c, "pve2", "ext", spec)
        assert KEYRING not in str(excinfo.value) and "<redacted>" in str(excinfo.value)
        assert "pve2: POST /storage failed with HTTP 500" in str(excinfo.value)
        live = apply_storage(c, "pve2", "ext", spec)
        assert live is not None and live.options["monhost"] == "10.9.0.1 10.9.0.2"
        assert KEYRING not in repr(read_storage(c, "pve1", "ext"))
        changed = StorageSpec("ext", "rbd", content=frozenset({"images", "rootdir"}), keyring=KEYRING,
                              options={"pool": "rbd", "monhost": "10.9.0.1 10.9.0.2", "krbd": "1"})
        live = apply_storage(c, "pve2", "ext", changed, previous=spec)
        assert live is not None and live.content == {"images", "rootdir"} and live.options["krbd"] == "1"
        with pytest.raises(PlanRefused, match="set allow_destroy = true"):
            apply_storage(c, "pve2", "ext", None)
        assert apply_storage(c, "pve2", "ext", None, allow_destroy=True) is None


def test_preflight_reports_ceph_health_and_storage(fake: FakeCluster) -> None:
    from pvecdk.engine import ClusterSpec, MemberSpec
    from pvecdk.engine.preflight import preflight

    spec = ClusterSpec("lab", tuple(MemberSpec(n, int(n[3:]), (ADDRESSES[n],), fake.endpoint(n)) for n in NODES))

    def checks(name: str) -> dict[str, tuple[bool, str]]:
        with client(fake) as c:
            reports = preflight(c, spec, ceph=True, storages=["ext"], max_skew_seconds=60)
        return {r.node: (c.ok, c.detail) for r in reports for c in r.checks if c.name == name}

    assert checks("ceph") == {"pve1": (True, "not initialised yet: the apply will")}
    assert checks("storage")["pve2"] == (True, "ext to be added")
    with client(fake) as c:
        bootstrap(c, 8)
        apply_storage(c, "pve1", "ext", StorageSpec("ext", "rbd", content=frozenset({"images"}),
                                                    options={"pool": "rbd"}, nodes=frozenset({"pve1", "pve2"})))
    ok, detail = checks("ceph")["pve1"]
    assert ok and detail.startswith(("HEALTH_OK", "HEALTH_WARN"))
    storage = checks("storage")
    assert storage["pve3"] == (True, "ext not on this node") and storage["pve1"][1].startswith("ext ")
    with client(fake) as c:
        bootstrap(c)
    fake.set_ceph_daemon("mds.pve1", False)  # the file system's only MDS stops: Ceph reports HEALTH_ERR
    ok, detail = checks("ceph")["pve1"]
    assert not ok and detail.startswith("HEALTH_ERR") and "MDS_ALL_DOWN" in detail


def test_an_osd_whose_data_has_nowhere_to_go_is_taken_out_but_not_destroyed(fake: FakeCluster) -> None:
    with client(fake) as c:
        bootstrap(c, 8)
        c.wait_task("pve1", c.post("pve1", "/nodes/pve1/ceph/pool", name="vm-pool", size=3, min_size=2, pg_num=32))
        osd = Osd("pve3", "/dev/sdb")
        done: list[str] = []
        with pytest.raises(PlanRefused) as excinfo:
            apply_ceph(c, osd, present=False, allow_destroy=True, on_step=lambda s: done.append(s.action))
        assert done == ["out_osd"], "marked out, so Ceph moves its data; neither stopped nor destroyed"
        assert "Ceph is moving its data to other OSDs; apply again when that is done" in str(excinfo.value)
        osd_id = read_ceph(c, "pve3", disks=True).osd_on("/dev/sdb")
        assert osd_id is not None and read_ceph(c, "pve1").osds[osd_id].up


def test_a_new_pg_num_goes_to_the_file_systems_data_pool(fake: FakeCluster) -> None:
    with client(fake) as c:
        bootstrap(c)
        steps: list[str] = []
        live = apply_ceph(c, FileSystem("pve1", "cephfs", 64), on_step=lambda s: steps.append(s.detail))
        assert steps == ["set pg_num of pool cephfs_data from 32 to 64"]
        assert live.filesystems["cephfs"].data_pg_num == 64
