"""Ceph on the fake PVE cluster, driven like production: proxmoxer over HTTPS, TLS verified.

From nothing to a CephFS, then every ordering rule PVE (or Ceph under it) enforces, each with its error.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

requests = pytest.importorskip("requests", reason="proxmoxer's https backend needs requests")

from fakepve import FakeCluster, Fault  # noqa: E402
from proxmoxer import ProxmoxAPI, ResourceException  # noqa: E402

NODES = {"pve1": "10.0.0.11", "pve2": "10.0.0.12", "pve3": "10.0.0.13"}
TOKEN_SECRET = "11111111-2222-3333-4444-555555555555"
UPID_RE = re.compile(r"UPID:(pve\d):[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:(\w+):([^:]*):root@pam!pvecdk:")
NOT_INITIALISED = "pveceph configuration not initialized"
NO_RADOS = "rados_connect failed - No such file or directory"

Connect = Callable[[str], ProxmoxAPI]


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> Iterator[FakeCluster]:
    """NODES on PVE 9.1, or the (nodes, version) a test gives through indirect parametrisation."""
    nodes, version = getattr(request, "param", (NODES, "9.1"))
    threads = set(threading.enumerate())
    with FakeCluster(nodes, version=version, task_seconds=0.02) as cluster:
        yield cluster
        assert cluster.server_errors == []
    assert set(threading.enumerate()) <= threads


@pytest.fixture
def connect(fake: FakeCluster) -> Iterator[Connect]:
    apis: list[ProxmoxAPI] = []

    def make(node: str) -> ProxmoxAPI:
        api = ProxmoxAPI(
            fake.host(node),
            port=fake.port(node),
            backend="https",
            user="root@pam",
            token_name="pvecdk",
            token_value=TOKEN_SECRET,
            verify_ssl=fake.ca_file,
            timeout=5,
        )
        apis.append(api)
        return api

    yield make
    for api in apis:
        api._store["session"].close()


@pytest.fixture
def api(fake: FakeCluster, connect: Connect) -> ProxmoxAPI:
    """pve1's endpoint on a formed three-node cluster."""
    fake.form_cluster("lab", list(NODES))
    return connect("pve1")


class Task:
    """A finished task: where it ran, its type and id (from the UPID), exit status and log."""

    def __init__(self, api: ProxmoxAPI, upid: str) -> None:
        match = UPID_RE.fullmatch(upid)
        assert match, upid
        self.node, self.kind, self.ident = match.groups()
        deadline = time.monotonic() + 5
        while True:
            status: dict[str, Any] = api.nodes(self.node).tasks(upid).status.get()
            if status["status"] == "stopped":
                break
            assert time.monotonic() < deadline, f"task {upid} still running"
            time.sleep(0.01)
        self.exitstatus: str = status["exitstatus"]
        self.log = [line["t"] for line in api.nodes(self.node).tasks(upid).log.get(limit=500)]

    @property
    def ok(self) -> bool:
        return self.exitstatus == "OK"


def ok(api: ProxmoxAPI, upid: str) -> Task:
    task = Task(api, upid)
    assert task.ok, (task.exitstatus, task.log)
    return task


def refused(call: Callable[..., Any], *args: Any, **params: Any) -> tuple[int, str]:
    with pytest.raises(ResourceException) as caught:
        call(*args, **params)
    return caught.value.status_code, caught.value.content


def bootstrap(api: ProxmoxAPI, *, osds: tuple[str, ...] = ("pve1", "pve2", "pve3"), mgrs: bool = True) -> None:
    """init, a monitor per node (the first brings a manager), managers on the others, an OSD on each /dev/sdb."""
    api.nodes("pve1").ceph.init.post(network="10.0.0.0/24")
    for node in NODES:
        ok(api, api.nodes(node).ceph.mon(node).post())
    if mgrs:
        for node in ("pve2", "pve3"):
            ok(api, api.nodes(node).ceph.mgr(node).post())
    for node in osds:
        ok(api, api.nodes(node).ceph.osd.post(dev="/dev/sdb"))


# Each node in a public and a cluster network.
TWO_NETWORKS = {
    "pve1": ["10.0.0.11", "10.1.0.11"],
    "pve2": ["10.0.0.12", "10.1.0.12"],
    "pve3": ["10.0.0.13", "10.1.0.13"],
}


@pytest.mark.parametrize(
    ("fake", "ceph_version"),
    [((TWO_NETWORKS, "9.1"), "19.2.3"), ((TWO_NETWORKS, "8.4"), "18.2.7")],
    ids=["9.1", "8.4"],
    indirect=["fake"],
)
def test_ceph_from_nothing_to_a_cephfs(fake: FakeCluster, api: ProxmoxAPI, ceph_version: str) -> None:
    assert refused(api.nodes("pve1").ceph.status.get) == (500, NOT_INITIALISED)
    assert fake.state.ceph is None
    assert api.nodes("pve1").ceph.init.post(network="10.0.0.0/24", **{"cluster-network": "10.1.0.0/24"}) is None
    raw = api.nodes("pve2").ceph.cfg.raw.get()
    assert "\tpublic_network = 10.0.0.0/24\n" in raw and "\tcluster_network = 10.1.0.0/24\n" in raw
    assert "\tosd_pool_default_size = 3\n" in raw and "mon_host" not in raw
    assert api.nodes("pve1").ceph.mon.get() == []
    assert refused(api.cluster.ceph.status.get) == (500, NO_RADOS)

    first = ok(api, api.nodes("pve1").ceph.mon("pve1").post())
    assert (first.node, first.kind, first.ident) == ("pve1", "cephcreatemon", "mon.pve1")
    assert "creating manager directory '/var/lib/ceph/mgr/ceph-pve1'" in first.log  # the first monitor's manager
    for node in ("pve2", "pve3"):
        task = ok(api, api.nodes(node).ceph.mon(node).post())  # asked on pve1, run where the monitor goes
        assert (task.node, task.ident) == (node, f"mon.{node}")
        assert ok(api, api.nodes(node).ceph.mgr(node).post()).kind == "cephcreatemgr"
    mons = api.nodes("pve1").ceph.mon.get()
    assert [(m["name"], m["host"], m["addr"], m["quorum"], m["state"]) for m in mons] == [
        ("pve1", "pve1", "10.0.0.11:6789/0", 1, "running"),
        ("pve2", "pve2", "10.0.0.12:6789/0", 1, "running"),
        ("pve3", "pve3", "10.0.0.13:6789/0", 1, "running"),
    ]
    assert {m["ceph_version_short"] for m in mons} == {ceph_version}
    assert [(m["name"], m["state"]) for m in api.nodes("pve3").ceph.mgr.get()] == [
        ("pve1", "active"),
        ("pve2", "standby"),
        ("pve3", "standby"),
    ]
    assert "\tmon_host = 10.0.0.11 10.0.0.12 10.0.0.13\n" in api.nodes("pve1").ceph.cfg.raw.get()
    assert fake.state.ceph is not None and fake.state.ceph.health_checks == ("PG_AVAILABILITY", "TOO_FEW_OSDS")

    osd = ok(api, api.nodes("pve1").ceph.osd.post(dev="/dev/sdb", db_dev="/dev/sdc", db_dev_size=50, encrypted=1))
    assert (osd.kind, osd.ident) == ("cephcreateosd", "sdb")
    assert "creating block.db on '/dev/sdc'" in osd.log
    for node in ("pve2", "pve3"):
        ok(api, api.nodes(node).ceph.osd.post(dev="/dev/sdb", **{"crush-device-class": "nvme"}))
    tree = api.nodes("pve1").ceph.osd.get()
    (default,) = tree["root"]["children"]
    assert [(h["name"], [(o["id"], o["status"], o["in"], o["device_class"]) for o in h["children"]])
            for h in default["children"]] == [
        ("pve1", [(0, "up", 1, "ssd")]),
        ("pve2", [(1, "up", 1, "nvme")]),
        ("pve3", [(2, "up", 1, "nvme")]),
    ]  # fmt: skip
    disks = {d["devpath"]: d for d in api.nodes("pve1").disks.list.get()}
    assert (disks["/dev/sdb"]["used"], disks["/dev/sdb"]["osdid"], disks["/dev/sdb"]["osdencrypted"]) == ("LVM", 0, 1)
    assert (disks["/dev/sdc"]["used"], disks["/dev/sdc"]["osdid"], disks["/dev/sdc"]["db"]) == ("LVM", -1, 1)
    assert [d["devpath"] for d in api.nodes("pve1").disks.list.get(type="unused")] == ["/dev/sdd"]

    pool = ok(api, api.nodes("pve1").ceph.pool.post(name="vm-pool", size=3, min_size=2, pg_num=32, add_storages=1))
    assert (pool.kind, pool.ident) == ("cephcreatepool", "vm-pool")
    row = next(p for p in api.nodes("pve2").ceph.pool.get() if p["pool_name"] == "vm-pool")
    assert {k: row[k] for k in ("size", "min_size", "pg_num", "crush_rule_name", "type", "application_metadata")} == {
        "size": 3,
        "min_size": 2,
        "pg_num": 32,
        "crush_rule_name": "replicated_rule",
        "type": "replicated",
        "application_metadata": {"rbd": {}},
    }
    assert [p["pool_name"] for p in api.nodes("pve1").ceph.pool.get()] == [".mgr", "vm-pool"]
    assert api.nodes("pve1").ceph.pool("vm-pool").status.get()["crush_rule"] == "replicated_rule"
    assert api.storage("vm-pool").get()["pool"] == "vm-pool"

    for node in ("pve1", "pve2"):
        assert ok(api, api.nodes(node).ceph.mds(node).post()).ident == f"mds.{node}"
    fs = ok(api, api.nodes("pve1").ceph.fs("cephfs").post(pg_num=32, **{"add-storage": 1}))
    assert (fs.kind, fs.ident) == ("cephfscreate", "cephfs")
    assert "configuring new CephFS 'cephfs'" in fs.log
    assert api.nodes("pve1").ceph.fs.get() == [
        {"name": "cephfs", "data_pool": "cephfs_data", "metadata_pool": "cephfs_metadata"}
    ]
    assert sorted((m["name"], m["state"]) for m in api.nodes("pve1").ceph.mds.get()) == [
        ("pve1", "up:active"),
        ("pve2", "up:standby"),
    ]
    assert api.storage("cephfs").get()["fs-name"] == "cephfs"

    status = api.cluster.ceph.status.get()
    assert status["health"]["status"] == "HEALTH_OK", status["health"]
    assert status["quorum_names"] == ["pve1", "pve2", "pve3"]
    assert (status["osdmap"]["num_osds"], status["osdmap"]["num_up_osds"], status["osdmap"]["num_in_osds"]) == (3, 3, 3)
    assert status["pgmap"]["pgs_by_state"] == [{"state_name": "active+clean", "count": 1 + 32 + 32 + 8}]
    assert status["mgrmap"]["available"] is True and status["mgrmap"]["active_name"] == "pve1"
    assert api.nodes("pve3").ceph.status.get()["fsid"] == status["fsid"]

    ceph = fake.state.ceph
    assert ceph is not None
    assert (ceph.public_network, ceph.cluster_network, ceph.size, ceph.min_size) == ("10.0.0.0/24", "10.1.0.0/24", 3, 2)
    assert {n: (m.node, m.in_quorum) for n, m in ceph.monitors.items()} == {
        n: (n, True) for n in ("pve1", "pve2", "pve3")
    }
    assert {n: m.state for n, m in ceph.managers.items()} == {"pve1": "active", "pve2": "standby", "pve3": "standby"}
    assert ceph.osds[0].db_dev == "/dev/sdc" and ceph.osds[0].encrypted and ceph.osds[1].device_class == "nvme"
    assert sorted(ceph.pools) == [".mgr", "cephfs_data", "cephfs_metadata", "vm-pool"]
    assert ceph.pools["cephfs_metadata"].pg_num == 8 and ceph.pools["cephfs_data"].application == "cephfs"
    assert ceph.filesystems["cephfs"].data_pool == "cephfs_data"
    assert (ceph.mds["pve1"].state, ceph.mds["pve1"].filesystem) == ("up:active", "cephfs")
    assert ceph.health == "HEALTH_OK"
    assert fake.state.disks("pve1")["/dev/sdb"].osd_ids == (0,)
    assert {s: v.type for s, v in fake.state.storage.items()} == {
        "local": "dir",
        "local-lvm": "lvmthin",
        "vm-pool": "rbd",
        "cephfs": "cephfs",
    }


def test_nothing_ceph_works_before_init(api: ProxmoxAPI) -> None:
    ceph = api.nodes("pve2").ceph
    calls: list[tuple[Callable[..., Any], dict[str, Any]]] = [
        (ceph.status.get, {}),
        (ceph.cfg.raw.get, {}),
        (ceph.mon.get, {}),
        (ceph.mon("pve2").post, {}),
        (ceph.mgr("pve2").post, {}),
        (ceph.osd.get, {}),
        (ceph.osd.post, {"dev": "/dev/sdb"}),
        (ceph.mds("pve2").post, {}),
        (ceph.fs("cephfs").post, {}),
        (ceph.pool.get, {}),
        (ceph.pool.post, {"name": "vm-pool"}),
        (ceph.pool("vm-pool").status.get, {}),
        (ceph.stop.post, {"service": "osd.0"}),
        (api.cluster.ceph.status.get, {}),
    ]
    for call, params in calls:
        assert refused(call, **params) == (500, NOT_INITIALISED)


def test_init_is_once_per_cluster(fake: FakeCluster, api: ProxmoxAPI) -> None:
    api.nodes("pve1").ceph.init.post(network="10.9.0.0/24", size=2, min_size=1)
    ceph = fake.state.ceph
    assert ceph is not None and (ceph.public_network, ceph.cluster_network) == ("10.9.0.0/24", "10.9.0.0/24")
    fsid = ceph.fsid
    # Again, from another member: [global] stays, and with no monitor yet the networks may still change.
    assert api.nodes("pve3").ceph.init.post(network="10.0.0.0/24", size=3) is None
    ceph = fake.state.ceph
    assert ceph is not None and (ceph.fsid, ceph.public_network, ceph.size, ceph.min_size) == (
        fsid,
        "10.0.0.0/24",
        2,
        1,
    )
    ok(api, api.nodes("pve1").ceph.mon("pve1").post())
    assert api.nodes("pve2").ceph.init.post(network="10.0.0.0/24") is None
    assert api.nodes("pve2").ceph.init.post() is None
    status, message = refused(api.nodes("pve2").ceph.init.post, network="10.9.0.0/24")
    assert status == 500 and message == (
        "ceph already initialized with public_network '10.0.0.0/24' and cluster_network '10.0.0.0/24' - "
        "refusing to change the networks under running monitors"
    )
    assert fake.state.ceph is not None and fake.state.ceph.public_network == "10.0.0.0/24"


def test_init_parameters_are_checked_by_the_schema(api: ProxmoxAPI) -> None:
    with pytest.raises(ResourceException) as caught:
        api.nodes("pve1").ceph.init.post(**{"cluster-network": "10.1.0.0/24"}, size=9)
    assert caught.value.errors == {
        "network": "missing property - 'cluster-network' requires this property",
        "size": "value must have a maximum value of 7",
    }


def test_ceph_calls_need_a_cluster_member(fake: FakeCluster, connect: Connect) -> None:
    fake.form_cluster("lab", ["pve1", "pve2"])
    api = connect("pve1")
    status, message = refused(api.nodes("pve3").ceph.init.post)
    assert status == 500 and message.startswith("hostname lookup 'pve3' failed")
    # The standalone node may run a Ceph of its own, which the cluster never sees.
    pve3 = connect("pve3")
    pve3.nodes("pve3").ceph.init.post()
    ok(pve3, pve3.nodes("pve3").ceph.mon("pve3").post())
    assert fake.state.ceph is None
    own = fake.state.ceph_of("pve3")
    assert own is not None and list(own.monitors) == ["pve3"] and list(own.managers) == ["pve3"]


@pytest.mark.parametrize("fake", [({"pve1": ["10.0.0.11", "10.0.0.21"]}, "9.1")], ids=["one-node"], indirect=True)
def test_one_monitor_and_one_manager_per_node(fake: FakeCluster, connect: Connect) -> None:
    api = connect("pve1")
    api.nodes("pve1").ceph.init.post()
    ok(api, api.nodes("pve1").ceph.mon("pve1").post())
    assert refused(api.nodes("pve1").ceph.mon("pve1").post) == (
        500,
        "monitor address '10.0.0.11' already in use",
    )
    assert refused(api.nodes("pve1").ceph.mon("pve1").post, **{"mon-address": "10.0.0.21"}) == (
        500,
        "monitor 'pve1' already exists",
    )
    assert refused(api.nodes("pve1").ceph.mon("other").post, **{"mon-address": "10.0.0.21"}) == (
        500,
        "node 'pve1' already runs monitor 'pve1'",
    )
    again = Task(api, api.nodes("pve1").ceph.mgr("pve1").post())
    assert again.exitstatus == "ceph manager directory '/var/lib/ceph/mgr/ceph-pve1' already exists"
    assert Task(api, api.nodes("pve1").ceph.mgr("spare").post()).exitstatus == (
        "node 'pve1' already runs manager 'pve1'"
    )
    ceph = fake.state.ceph
    assert ceph is not None and list(ceph.monitors) == ["pve1"] and list(ceph.managers) == ["pve1"]


def test_monitor_addresses_follow_the_public_network(fake: FakeCluster, api: ProxmoxAPI) -> None:
    api.nodes("pve1").ceph.init.post(network="10.1.0.0/24")
    assert refused(api.nodes("pve2").ceph.mon("pve2").post) == (
        500,
        "No active IP found for the requested ceph public network '10.1.0.0/24' on node 'pve2'",
    )
    assert refused(api.nodes("pve2").ceph.mon("pve2").post, **{"mon-address": "10.0.0.99"}) == (
        500,
        "Specified monitor IP '10.0.0.99' not configured or up on pve2!",
    )
    assert refused(api.nodes("pve2").ceph.mon("pve2").post, **{"mon-address": "10.0.0.12"}) == (
        500,
        "Monitor IP '10.0.0.12' not in ceph public network '10.1.0.0/24'",
    )
    # No OSD either: the OSD traffic has no address on this node.
    assert refused(api.nodes("pve2").ceph.osd.post, dev="/dev/sdb") == (
        500,
        "No address from ceph cluster network (10.1.0.0/24) found on node 'pve2'. Check your network config.",
    )


def test_monitors_need_a_quorum_and_the_last_stays(fake: FakeCluster, api: ProxmoxAPI) -> None:
    api.nodes("pve1").ceph.init.post(network="10.0.0.0/24")
    ok(api, api.nodes("pve1").ceph.mon("pve1").post())
    assert refused(api.nodes("pve1").ceph.mon("pve1").delete) == (500, "can't remove last monitor")
    assert refused(api.nodes("pve1").ceph.mon("pve9").delete) == (500, "no such monitor id 'pve9'")
    ok(api, api.nodes("pve2").ceph.mon("pve2").post())
    assert refused(api.nodes("pve1").ceph.mon("pve2").delete) == (
        500,
        "monitor filesystem '/var/lib/ceph/mon/ceph-pve2' does not exist on this node",
    )
    fake.set_ceph_daemon("mon.pve2", running=False)  # one of two monitors down: no quorum
    assert refused(api.nodes("pve3").ceph.mon("pve3").post) == (500, "got timeout")
    assert refused(api.nodes("pve1").ceph.status.get) == (500, "got timeout")
    fake.set_ceph_daemon("mon.pve2", running=True)
    destroyed = ok(api, api.nodes("pve2").ceph.mon("pve2").delete())
    assert (destroyed.node, destroyed.kind, destroyed.ident) == ("pve2", "cephdestroymon", "mon.pve2")
    assert list(fake.state.ceph.monitors if fake.state.ceph else {}) == ["pve1"]


def test_a_failed_monitor_task_changes_nothing(fake: FakeCluster, api: ProxmoxAPI) -> None:
    api.nodes("pve1").ceph.init.post()
    fake.fault("pve2", Fault.TASK_FAIL)
    task = Task(api, api.nodes("pve2").ceph.mon("pve2").post())
    assert task.node == "pve2"
    assert task.exitstatus == "command '/bin/systemctl start ceph-mon@pve2' failed: exit code 1"
    assert task.log[-1] == f"TASK ERROR: {task.exitstatus}"
    ceph = fake.state.ceph
    assert ceph is not None and ceph.monitors == {} and ceph.managers == {}
    ok(api, api.nodes("pve2").ceph.mon("pve2").post())


def test_managers_need_monitors(fake: FakeCluster, api: ProxmoxAPI) -> None:
    api.nodes("pve1").ceph.init.post()
    task = Task(api, api.nodes("pve1").ceph.mgr("pve1").post())
    assert (task.kind, task.ident, task.exitstatus) == ("cephcreatemgr", "mgr.pve1", NO_RADOS)
    assert Task(api, api.nodes("pve1").ceph.mgr("pve1").delete()).exitstatus == (
        "ceph manager directory '/var/lib/ceph/mgr/ceph-pve1' not found"
    )


def test_osds_need_a_quorum_a_manager_and_a_free_disk_of_that_node(fake: FakeCluster, api: ProxmoxAPI) -> None:
    osd = api.nodes("pve2").ceph.osd
    api.nodes("pve1").ceph.init.post(network="10.0.0.0/24")
    assert refused(osd.post, dev="/dev/sdb") == (500, NO_RADOS)
    bootstrap(api, osds=(), mgrs=False)
    ok(api, api.nodes("pve1").ceph.mgr("pve1").delete())  # the manager the first monitor brought
    assert refused(osd.post, dev="/dev/sdb") == (500, "no active ceph manager - create a manager before adding OSDs")
    ok(api, api.nodes("pve2").ceph.mgr("pve2").post())
    assert refused(osd.post, dev="/dev/sdz") == (500, "not a valid block device")
    assert refused(osd.post, dev="sdb") == (500, "got unusual device path 'sdb'")
    assert refused(osd.post, dev="/dev/sda") == (500, "device '/dev/sda' is already in use")
    assert refused(osd.post, dev="/dev/sdb", db_dev="/dev/sdx") == (500, "not a valid block device")
    with pytest.raises(ResourceException) as caught:
        osd.post(dev="/dev/sdb", wal_dev="/dev/sdb")
    assert caught.value.errors == {"wal_dev": "cannot chose '/dev/sdb' for more than one type."}
    with pytest.raises(ResourceException) as caught:
        osd.post(dev="/dev/sdb", db_dev_size=10)
    assert caught.value.errors == {"db_dev": "missing property - 'db_dev_size' requires this property"}
    ok(api, osd.post(dev="/dev/sdb"))
    assert refused(osd.post, dev="/dev/sdb") == (500, "device '/dev/sdb' is already in use")
    # A DB may go on a Ceph volume group, but not on one an OSD fills.
    task = Task(api, osd.post(dev="/dev/sdc", db_dev="/dev/sdb"))
    assert task.exitstatus.startswith("vg 'ceph-") and task.exitstatus.endswith("' has not enough free space")
    too_big = Task(api, osd.post(dev="/dev/sdc", db_dev="/dev/sdd", db_dev_size=2048))
    assert too_big.exitstatus == f"'/dev/sdd' is smaller than requested size '{2048 << 30}' bytes"
    assert sorted(fake.state.ceph.osds if fake.state.ceph else {}) == [0]
    assert fake.state.disks("pve2")["/dev/sdc"].used is None  # the failed task left the disk as it was


def test_an_osd_is_destroyed_only_out_and_stopped_on_its_node(fake: FakeCluster, api: ProxmoxAPI) -> None:
    bootstrap(api, osds=("pve1", "pve2"))
    ok(api, api.nodes("pve2").ceph.osd.post(dev="/dev/sdc", db_dev="/dev/sdd"))
    pve2 = api.nodes("pve2").ceph
    assert refused(api.nodes("pve1").ceph.osd(1).delete) == (500, "OSD osd.1 does not belong to node pve1!")
    assert refused(pve2.osd(7).delete) == (500, "OSD osd.7 does not belong to node pve2!")
    assert refused(pve2.osd(1).delete) == (500, "osd is in use (in == 1)")
    assert pve2.osd(1).out.post() is None
    assert refused(pve2.osd(1).delete) == (500, "osd is still running")
    stopped = ok(api, pve2.stop.post(service="osd.1"))
    assert (stopped.node, stopped.kind, stopped.ident) == ("pve2", "srvstop", "osd.1")
    assert Task(api, pve2.stop.post(service="osd.9")).exitstatus == (
        "command '/bin/systemctl stop ceph-osd@9' failed: exit code 5"
    )
    gone = ok(api, pve2.osd(1).delete())
    assert (gone.kind, gone.ident) == ("cephdestroyosd", "osd.1")
    # Without cleanup the logical volumes stay: the disk is still in use and takes no new OSD.
    assert fake.state.disks("pve2")["/dev/sdb"].used == "LVM" and fake.state.disks("pve2")["/dev/sdb"].osd_ids == ()
    assert refused(pve2.osd.post, dev="/dev/sdb") == (500, "device '/dev/sdb' is already in use")
    pve2.osd(2).out.post()
    ok(api, pve2.stop.post(service="osd.2"))
    ok(api, pve2.osd(2).delete(cleanup=1))
    assert fake.state.disks("pve2")["/dev/sdc"].used is None and fake.state.disks("pve2")["/dev/sdd"].used is None
    ceph = fake.state.ceph
    assert ceph is not None and sorted(ceph.osds) == [0]
    assert refused(pve2.osd(1).out.post) == (500, "no such OSD '1'")
    ok(api, pve2.osd.post(dev="/dev/sdc"))
    assert sorted(fake.state.ceph.osds if fake.state.ceph else {}) == [0, 1]  # the lowest free id again


def test_pools_need_monitors_not_osds(fake: FakeCluster, api: ProxmoxAPI) -> None:
    api.nodes("pve1").ceph.init.post(network="10.0.0.0/24")
    assert refused(api.nodes("pve1").ceph.pool.post, name="vm-pool") == (500, NO_RADOS)
    bootstrap(api, osds=())
    ok(api, api.nodes("pve1").ceph.pool.post(name="vm-pool", pg_num=32))
    ceph = fake.state.ceph
    assert ceph is not None and "vm-pool" in ceph.pools
    assert ceph.health == "HEALTH_WARN" and "PG_AVAILABILITY" in ceph.health_checks
    states = api.cluster.ceph.status.get()["pgmap"]["pgs_by_state"]
    assert states == [{"state_name": "unknown", "count": 33}]


def test_pool_sizes_follow_ceph(fake: FakeCluster, api: ProxmoxAPI) -> None:
    bootstrap(api)
    pool = api.nodes("pve1").ceph.pool
    task = Task(api, pool.post(name="tight", size=3, min_size=4, pg_num=16))
    assert task.exitstatus == "Could not set: min_size"
    assert "min_size: mon_command failed - pool min_size must be between 1 and size, which is set to 3" in task.log
    assert fake.state.ceph and (fake.state.ceph.pools["tight"].size, fake.state.ceph.pools["tight"].min_size) == (3, 2)
    single = Task(api, pool.post(name="single", size=1, pg_num=16))
    assert single.exitstatus == "Could not set: size"
    assert "size: mon_command failed - configuring pool size as 1 is disabled by default." in single.log
    # Setting the size resets min_size, as Ceph does; PVE sends min_size last so that it sticks.
    ok(api, pool("tight").put(size=2))
    assert api.nodes("pve1").ceph.pool("tight").status.get()["min_size"] == 1
    ok(api, pool("tight").put(size=3, min_size=3))
    assert (api.nodes("pve1").ceph.pool("tight").status.get()["min_size"]) == 3
    rule = Task(api, pool("tight").put(crush_rule="fast"))
    assert rule.exitstatus == "Could not set: crush_rule"
    assert Task(api, pool("nothere").put(size=3)).exitstatus == "mon_command failed - unrecognized pool 'nothere'"
    assert refused(api.nodes("pve1").ceph.pool("nothere").status.get) == (
        500,
        "mon_command failed - unrecognized pool 'nothere'",
    )


def test_the_pg_budget_refuses_one_pool_too_many(fake: FakeCluster, api: ProxmoxAPI) -> None:
    bootstrap(api)
    pool = api.nodes("pve1").ceph.pool
    ok(api, pool.post(name="vm-pool"))  # 128 PGs x 3, beside .mgr's one
    task = Task(api, pool.post(name="more"))
    assert task.exitstatus == (
        "mon_command failed - pg_num 128 size 3 would mean 771 total pgs, which exceeds max 750 "
        "(mon_max_pg_per_osd 250 * num_in_osds 3)"
    )
    assert fake.state.ceph is not None and "more" not in fake.state.ceph.pools
    ok(api, pool.post(name="more", pg_num=64))


def test_a_pool_holding_data_is_destroyed_only_when_forced(fake: FakeCluster, api: ProxmoxAPI) -> None:
    bootstrap(api)
    ok(api, api.nodes("pve1").ceph.pool.post(name="vm-pool", pg_num=32, add_storages=1))
    fake.add_rbd_image("vm-pool", "vm-100-disk-0")
    pool = api.nodes("pve2").ceph.pool("vm-pool")
    assert refused(pool.delete) == (500, "ceph pool 'vm-pool' still in use by storage 'vm-pool'")
    removed = ok(api, pool.delete(force=1, remove_storages=1))
    assert (removed.node, removed.kind, removed.ident) == ("pve2", "cephdestroypool", "vm-pool")
    assert fake.state.ceph and "vm-pool" not in fake.state.ceph.pools
    assert "vm-pool" not in fake.state.storage
    assert Task(api, pool.delete()).exitstatus == "mon_command failed - unrecognized pool 'vm-pool'"


def test_a_pool_without_a_storage_on_it_goes_even_with_data(fake: FakeCluster, api: ProxmoxAPI) -> None:
    # PVE looks for data only through the storages on the pool: with none, it asks nothing.
    bootstrap(api)
    ok(api, api.nodes("pve1").ceph.pool.post(name="scratch", pg_num=16))
    fake.add_rbd_image("scratch", "leftover")
    ok(api, api.nodes("pve1").ceph.pool("scratch").delete())
    assert fake.state.ceph and "scratch" not in fake.state.ceph.pools


def test_an_erasure_coded_pool_comes_as_data_and_metadata_pools(fake: FakeCluster, api: ProxmoxAPI) -> None:
    bootstrap(api)
    ok(api, api.nodes("pve1").ceph.pool.post(name="ec", **{"erasure-coding": "k=2,m=1"}, pg_num=32))
    ceph = fake.state.ceph
    assert ceph is not None
    data, meta = ceph.pools["ec-data"], ceph.pools["ec-metadata"]
    assert (data.kind, data.size, data.min_size, data.crush_rule) == ("erasure", 3, 3, "ec-data")
    assert (meta.kind, meta.pg_num, meta.size) == ("replicated", 32, 3)
    storage = fake.state.storage["ec"]  # erasure-coded pools get their storage by default
    assert storage.options["pool"] == "ec-metadata" and storage.options["data-pool"] == "ec-data"


def test_cephfs_needs_an_mds_and_a_unique_name(fake: FakeCluster, api: ProxmoxAPI) -> None:
    bootstrap(api)
    fs = api.nodes("pve1").ceph.fs
    assert refused(fs("cephfs").post) == (500, "no running Metadata Server (MDS) found!")
    ok(api, api.nodes("pve1").ceph.mds("pve1").post(hotstandby=1))
    twice = Task(api, api.nodes("pve2").ceph.mds("pve1").post())
    assert twice.exitstatus == "MDS 'pve1' already referenced in ceph config, abort!"
    ok(api, fs("cephfs").post(pg_num=32))
    assert refused(fs("cephfs").post) == (500, "ceph pools 'cephfs_data' and/or 'cephfs_metadata' already exist")
    ok(api, api.nodes("pve1").ceph.pool.post(name="other_data", pg_num=8))
    assert refused(fs("other").post) == (500, "ceph pools 'other_data' and/or 'other_metadata' already exist")
    assert fake.state.ceph and fake.state.ceph.health_checks == ("MDS_INSUFFICIENT_STANDBY",)
    # A second file system with no MDS left for it is made, but it is offline and gets no storage.
    task = Task(api, fs("archive").post(pg_num=16, **{"add-storage": 1}))
    assert task.exitstatus == "Need MDS to add storage, but none got active!"
    ceph = fake.state.ceph
    assert ceph is not None and sorted(ceph.filesystems) == ["archive", "cephfs"]
    assert ceph.health == "HEALTH_ERR" and "MDS_ALL_DOWN" in ceph.health_checks
    assert "archive" not in fake.state.storage
    assert Task(api, api.nodes("pve1").ceph.pool("cephfs_data").delete()).exitstatus == (
        "mon_command failed - pool 'cephfs_data' is in use by CephFS"
    )
    ok(api, api.nodes("pve2").ceph.mds("pve2").post())
    assert {m.name: m.state for m in (fake.state.ceph.mds.values() if fake.state.ceph else [])} == {
        "pve1": "up:active",
        "pve2": "up:active",
    }
    assert fake.state.ceph is not None and fake.state.ceph.health_checks == ("MDS_INSUFFICIENT_STANDBY",)
    ok(api, api.nodes("pve2").ceph.mds("pve2").delete())
    assert "MDS_ALL_DOWN" in (fake.state.ceph.health_checks if fake.state.ceph else ())


def test_ceph_survives_the_clusters_other_operations(fake: FakeCluster, connect: Connect) -> None:
    fake.form_cluster("lab", ["pve1", "pve2"])
    api = connect("pve1")
    api.nodes("pve1").ceph.init.post(network="10.0.0.0/24")
    ok(api, api.nodes("pve1").ceph.mon("pve1").post())
    fsid = fake.state.ceph.fsid if fake.state.ceph else None
    join = connect("pve3").cluster.config.join.post(hostname="10.0.0.11", fingerprint=fake.fingerprint("pve1"),
                                                    password="s3cret-root")  # fmt: skip
    assert Task(connect("pve3"), join).ok
    api.cluster.options.put(keyboard="de")
    ok(api, api.nodes("pve3").ceph.mon("pve3").post())  # the joined node shares ceph.conf
    api.cluster.config.nodes("pve2").delete()
    ceph = fake.state.ceph
    assert ceph is not None and ceph.fsid == fsid and sorted(ceph.monitors) == ["pve1", "pve3"]
    assert "fsid = " + str(fsid) in connect("pve3").nodes("pve3").ceph.cfg.raw.get()
    assert fake.state.ceph_of("pve2") is None  # the removed node is standalone again, with a fresh /etc/pve


def test_an_offline_node_takes_its_daemons_down(fake: FakeCluster, api: ProxmoxAPI, connect: Connect) -> None:
    bootstrap(api)
    pve3 = connect("pve3")
    fake.set_offline("pve3")
    with pytest.raises(requests.exceptions.ConnectionError):
        pve3.nodes("pve3").ceph.status.get()  # the endpoint itself refuses, as for any offline node
    assert refused(api.nodes("pve3").ceph.mon.get)[0] == 595
    health = api.cluster.ceph.status.get()["health"]
    assert health["status"] == "HEALTH_WARN"
    assert health["checks"]["MON_DOWN"]["summary"]["message"] == "1/3 mons down, quorum pve1,pve2"
    assert health["checks"]["OSD_HOST_DOWN"]["summary"]["message"] == "1 host (1 osds) down"
    mons = {m["name"]: (m["quorum"], m["state"]) for m in api.nodes("pve1").ceph.mon.get()}
    assert mons["pve3"] == (0, "stopped")
    fake.set_offline("pve3", False)
    assert api.cluster.ceph.status.get()["health"]["status"] == "HEALTH_OK"


def test_lost_corosync_quorum_blocks_ceph_config_writes(fake: FakeCluster, api: ProxmoxAPI) -> None:
    fake.lose_quorum()
    assert refused(api.nodes("pve1").ceph.init.post) == (500, "cfs-lock 'file-ceph_conf' error: no quorum!")
    fake.restore_quorum()
    bootstrap(api)
    fake.lose_quorum()
    assert refused(api.nodes("pve1").ceph.pool.post, name="vm-pool") == (500, "cluster not ready - no quorum?")
    assert Task(api, api.nodes("pve1").ceph.mds("pve1").post()).exitstatus == (
        "cfs-lock 'file-ceph_conf' error: no quorum!"
    )
    assert len(api.nodes("pve1").ceph.mon.get()) == 3  # reads go on


def test_the_osd_listing_shape_journal_disks_and_crush_rules(fake: FakeCluster, api: ProxmoxAPI) -> None:
    bootstrap(api, osds=("pve1",))
    (osd,) = api.nodes("pve1").ceph.osd.get()["root"]["children"][0]["children"][0]["children"]
    assert {"id", "name", "host", "status", "in", "crush_weight", "device_class", "osdtype", "blfsdev"} <= set(osd)
    assert api.nodes("pve1").ceph.osd.get()["flags"].startswith("sortbitwise")
    journal = [d["devpath"] for d in api.nodes("pve1").disks.list.get(type="journal_disks")]
    assert journal == ["/dev/sda", "/dev/sdc", "/dev/sdd"]
    assert [r["name"] for r in api.nodes("pve1").ceph.rules.get()] == ["replicated_rule"]


def test_cmd_safety_says_what_ceph_would(fake: FakeCluster, api: ProxmoxAPI) -> None:
    bootstrap(api)
    ok(api, api.nodes("pve1").ceph.pool.post(name="vm-pool", size=3, min_size=2, pg_num=32))
    ok(api, api.nodes("pve1").ceph.mds("pve1").post())
    ok(api, api.nodes("pve1").ceph.fs("cephfs").post(pg_num=16))
    safety = api.nodes("pve1").ceph("cmd-safety").get

    def ask(service: str, action: str, ident: str) -> tuple[int, str]:
        answer = safety(service=service, action=action, id=ident)
        return answer["safe"], answer["status"]

    assert ask("mon", "stop", "pve3") == (1, "quorum should be preserved (pve1,pve2) after stopping [pve3]")
    assert ask("mon", "destroy", "pve3") == (1, "safe to remove mon.pve3, new quorum should be (pve1,pve2)")
    assert ask("osd", "stop", "2") == (1, "OSD(s) 2 are ok to stop without reducing availability")
    assert ask("osd", "destroy", "2")[0] == 0  # still in: its PGs are mapped to it
    assert ask("mds", "stop", "pve1") == (
        0,
        "one or more filesystems would be left without an active MDS after stopping mds.pve1",
    )
    fake.set_ceph_daemon("mon.pve2", running=False)
    assert ask("mon", "stop", "pve3") == (0, "not enough monitors would be available (pve1) after stopping mons [pve3]")
    fake.set_ceph_daemon("osd.1", running=False)  # two hosts left of three: one more and PGs go inactive
    assert ask("osd", "stop", "2") == (0, "unsafe to stop osd(s) at this time (57 PGs are or would become offline)")
    with pytest.raises(ResourceException) as caught:
        safety(service="mds", action="destroy", id="pve1")
    assert caught.value.errors == {"action": "unsupported action for service 'mds'"}


def test_osd_map_flags_and_stable_device_names(fake: FakeCluster, api: ProxmoxAPI) -> None:
    bootstrap(api, osds=("pve1", "pve2"))
    link = next(d["by_id_link"] for d in api.nodes("pve3").disks.list.get() if d["devpath"] == "/dev/sdc")
    task = ok(api, api.nodes("pve3").ceph.osd.post(dev=link))
    assert task.ident == "sdc"  # PVE names the task after the resolved device
    assert fake.state.ceph is not None and fake.state.ceph.osds[2].dev == "/dev/sdc"
    flags = api.cluster.ceph.flags
    assert ok(api, flags.put(noout=1, noscrub=1)).kind == "cephsetflags"
    assert {f["name"]: f["value"] for f in flags.get()}["noout"] == 1
    assert flags("noscrub").get() == 1
    assert fake.state.ceph is not None and fake.state.ceph.flags == {"noout", "noscrub"}
    assert api.nodes("pve1").ceph.osd.get()["flags"].endswith(",noout,noscrub")
    health = api.cluster.ceph.status.get()["health"]
    assert health["checks"]["OSDMAP_FLAGS"]["summary"]["message"] == "noout,noscrub flag(s) set"
    assert flags("noout").put(value=0) is None and flags("noscrub").put(value=0) is None
    assert fake.state.ceph is not None and fake.state.ceph.health == "HEALTH_OK"


def test_a_nodes_ceph_services_stop_and_start_together(fake: FakeCluster, api: ProxmoxAPI) -> None:
    bootstrap(api)
    stopped = ok(api, api.nodes("pve3").ceph.stop.post())
    assert (stopped.node, stopped.kind, stopped.ident) == ("pve3", "srvstop", "ceph")
    ceph = fake.state.ceph
    assert ceph is not None and not ceph.monitors["pve3"].running and not ceph.osds[2].up
    assert ceph.managers["pve3"].state == "stopped" and {"MON_DOWN", "OSD_DOWN"} <= set(ceph.health_checks)
    ok(api, api.nodes("pve3").ceph.start.post(service="mon"))
    ceph = fake.state.ceph
    assert ceph is not None and ceph.monitors["pve3"].running and not ceph.osds[2].up
    assert ok(api, api.nodes("pve3").ceph.restart.post(service="osd.2")).kind == "srvrestart"
    ok(api, api.nodes("pve3").ceph.start.post(service="mgr"))
    assert fake.state.ceph is not None and fake.state.ceph.health == "HEALTH_OK"
