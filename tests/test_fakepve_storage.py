"""storage.cfg on the fake PVE cluster, driven like production: proxmoxer over HTTPS, TLS verified.

Each type's options as the vendored table has them (required on create, fixed after create), on 9.1 and 8.4.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

requests = pytest.importorskip("requests", reason="proxmoxer's https backend needs requests")

from fakepve import FakeCluster  # noqa: E402
from proxmoxer import ProxmoxAPI, ResourceException  # noqa: E402

NODES = {"pve1": "10.0.0.11", "pve2": "10.0.0.12", "pve3": "10.0.0.13"}
TOKEN_SECRET = "11111111-2222-3333-4444-555555555555"
FINGERPRINT = ":".join(["ab"] * 32)
PASSWORD = "storage-s3cret"
KEYRING = "AQBzZWNyZXQta2V5cmluZy1mb3ItdGhlLWNlcGg="

# A good definition per type: its required options and a content it may hold.
GOOD: dict[str, dict[str, Any]] = {
    "dir": {"path": "/srv/dump", "content": "backup,iso"},
    "btrfs": {"path": "/srv/btrfs", "content": "images,rootdir"},
    "nfs": {"server": "10.0.0.50", "export": "/export/pve", "content": "backup,iso,vztmpl"},
    "cifs": {"server": "10.0.0.51", "share": "pve", "username": "pve", "password": PASSWORD, "content": "iso"},
    "lvm": {"vgname": "vmdata", "content": "images"},
    "lvmthin": {"vgname": "vmdata", "thinpool": "thin", "content": "images,rootdir"},
    "zfspool": {"pool": "tank/vm", "content": "images,rootdir", "sparse": 1},
    "zfs": {
        "pool": "tank",
        "portal": "10.0.0.60",
        "target": "iqn.2003-01.org.linux-iscsi.san:pve",
        "iscsiprovider": "LIO",
        "blocksize": "8k",
        "lio_tpg": "tpg1",
        "content": "images",
    },
    "iscsi": {"portal": "10.0.0.60", "target": "iqn.2003-01.org.linux-iscsi.san:pve", "content": "none"},
    "iscsidirect": {"portal": "10.0.0.60", "target": "iqn.2003-01.org.linux-iscsi.san:pve", "content": "images"},
    "rbd": {"pool": "vm-pool", "content": "images,rootdir", "krbd": 0},
    "cephfs": {"fs-name": "cephfs", "content": "backup,iso"},
    "pbs": {
        "server": "10.0.0.70",
        "datastore": "backups",
        "username": "pve@pbs",
        "password": PASSWORD,
        "fingerprint": FINGERPRINT,
        "content": "backup",
    },
    "esxi": {"server": "10.0.0.80", "username": "root", "password": PASSWORD, "content": "import"},
}
GLUSTERFS = {"server": "10.0.0.90", "volume": "gv0", "content": "images,iso"}

Connect = Callable[[str], ProxmoxAPI]


@pytest.fixture(params=["9.1", "8.4"])
def version(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def fake(version: str) -> Iterator[FakeCluster]:
    threads = set(threading.enumerate())
    with FakeCluster(NODES, version=version, task_seconds=0.02) as cluster:
        cluster.form_cluster("lab", list(NODES))
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
def api(connect: Connect) -> ProxmoxAPI:
    return connect("pve1")


def refused(call: Callable[..., Any], *args: Any, **params: Any) -> tuple[int, str]:
    with pytest.raises(ResourceException) as caught:
        call(*args, **params)
    return caught.value.status_code, caught.value.content


def test_a_fresh_install_has_local_and_local_lvm(fake: FakeCluster, api: ProxmoxAPI) -> None:
    listed = api.storage.get()
    assert [(s["storage"], s["type"], s["content"]) for s in listed] == [
        ("local", "dir", "iso,vztmpl,backup"),
        ("local-lvm", "lvmthin", "rootdir,images"),
    ]
    assert len({s["digest"] for s in listed}) == 1 and len(listed[0]["digest"]) == 40
    assert api.storage("local-lvm").get()["thinpool"] == "data"
    assert [s["storage"] for s in api.storage.get(type="dir")] == ["local"]
    assert set(fake.state.storage) == {"local", "local-lvm"}


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_each_type_is_created_with_its_required_options(
    fake: FakeCluster, api: ProxmoxAPI, version: str, kind: str
) -> None:
    answer = api.storage.post(storage=f"s-{kind}", type=kind, **GOOD[kind])
    assert answer == {"storage": f"s-{kind}", "type": kind}
    shown = api.storage(f"s-{kind}").get()
    assert shown["type"] == kind and shown["storage"] == f"s-{kind}"
    assert "password" not in shown and PASSWORD not in str(shown)
    expected = {k: v for k, v in GOOD[kind].items() if k != "password"}
    assert {k: shown[k] for k in expected} == expected
    if kind in ("nfs", "cifs", "cephfs"):
        assert shown["path"] == f"/mnt/pve/s-{kind}"  # the plugin fills in the mount point
    view = fake.state.storage[f"s-{kind}"]
    assert view.type == kind and ("password" in view.secrets) == ("password" in GOOD[kind])
    assert PASSWORD not in repr(view)


def test_glusterfs_exists_only_on_8_4(api: ProxmoxAPI, version: str) -> None:
    if version == "8.4":
        assert api.storage.post(storage="gluster", type="glusterfs", **GLUSTERFS)["type"] == "glusterfs"
        assert api.storage("gluster").get()["path"] == "/mnt/pve/gluster"
        return
    with pytest.raises(ResourceException) as caught:
        api.storage.post(storage="gluster", type="glusterfs", **GLUSTERFS)
    assert caught.value.status_code == 400
    assert caught.value.errors is not None and set(caught.value.errors) == {"type", "volume"}
    assert caught.value.errors["type"].startswith("value 'glusterfs' does not have a value in the enumeration")


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("dir", {}, "missing value for required option 'path'"),
        ("nfs", {"server": "10.0.0.50"}, "missing value for required option 'export'"),
        ("cifs", {"server": "10.0.0.51"}, "missing value for required option 'share'"),
        ("lvmthin", {"vgname": "vmdata"}, "missing value for required option 'thinpool'"),
        ("zfs", {"pool": "tank", "portal": "10.0.0.60"}, "missing value for required option 'blocksize'"),
        ("iscsi", {"portal": "10.0.0.60"}, "missing value for required option 'target'"),
        ("pbs", {"server": "10.0.0.70"}, "missing value for required option 'datastore'"),
        ("dir", {"path": "/srv", "export": "/x"}, "unexpected property 'export'"),
        ("nfs", {"server": "s", "export": "/x", "shared": 1}, "unexpected property 'shared'"),
        ("rbd", {"pool": "vm-pool", "path": "/x"}, "unexpected property 'path'"),
        ("cephfs", {"pool": "cephfs_data"}, "unexpected property 'pool'"),  # CephFS has no pool option
        ("nfs", {"server": "s", "export": "/x", "password": PASSWORD}, "unexpected property 'password'"),
        ("rbd", {"content": "iso"}, "storage does not support content type 'none'"),
        ("dir", {"path": "/srv", "content": "none,iso"}, "unable to combine 'none' with other content types"),
    ],
)
def test_bad_definitions_are_refused(
    fake: FakeCluster, api: ProxmoxAPI, kind: str, params: dict[str, Any], message: str
) -> None:
    assert refused(api.storage.post, storage="bad", type=kind, **params) == (500, message)
    assert "bad" not in fake.state.storage
    assert PASSWORD not in str(fake.requests)


def test_options_of_the_release(api: ProxmoxAPI, version: str) -> None:
    # maxfiles is gone in PVE 9; snapshot-as-volume-chain arrived with it.
    kept, gone = (
        ("maxfiles", "snapshot-as-volume-chain") if version == "8.4" else ("snapshot-as-volume-chain", "maxfiles")
    )
    assert api.storage.post(storage="dd", type="dir", path="/srv", **{kept: 1})["type"] == "dir"
    with pytest.raises(ResourceException) as caught:
        api.storage.post(storage="ee", type="dir", path="/srv", **{gone: 1})
    assert caught.value.status_code == 400 and caught.value.errors is not None and list(caught.value.errors) == [gone]


def test_unsupported_content_is_dropped_not_refused(api: ProxmoxAPI) -> None:
    api.storage.post(storage="vms", type="lvm", vgname="vmdata", content="images,iso")
    assert api.storage("vms").get()["content"] == "images"
    with pytest.raises(ResourceException) as caught:
        api.storage.post(storage="junk", type="dir", path="/srv", content="images,bogus")
    assert caught.value.errors == {"content": "invalid format - invalid content type 'bogus'\n"}


def test_a_storage_id_is_defined_once(api: ProxmoxAPI) -> None:
    api.storage.post(storage="dump", type="dir", path="/srv/dump")
    assert refused(api.storage.post, storage="dump", type="nfs", server="s", export="/x") == (
        500,
        "create storage failed: storage ID 'dump' already defined",
    )
    assert refused(api.storage.post, storage="local", type="dir", path="/srv") == (
        500,
        "create storage failed: storage ID 'local' already defined",
    )
    with pytest.raises(ResourceException) as caught:
        api.storage.post(storage="1bad", type="dir", path="/srv")
    assert caught.value.errors == {"storage": "invalid format - storage ID '1bad' contains illegal characters\n"}


def test_updates_keep_fixed_options_and_delete_optional_ones(fake: FakeCluster, api: ProxmoxAPI) -> None:
    api.storage.post(
        storage="nas", type="nfs", server="10.0.0.50", export="/export/pve", content="iso", options="vers=4.2"
    )
    assert api.storage("nas").put(content="iso,backup", bwlimit="default=1000") == {"storage": "nas", "type": "nfs"}
    shown = api.storage("nas").get()
    assert (shown["content"], shown["bwlimit"], shown["options"]) == ("iso,backup", "default=1000", "vers=4.2")
    assert api.storage("nas").put(delete="options,bwlimit") == {"storage": "nas", "type": "nfs"}
    assert "options" not in api.storage("nas").get() and "bwlimit" not in fake.state.storage["nas"].options
    nas = api.storage("nas").put
    # 'server' is in PUT's schema (ESXi may change it) but fixed for NFS, even to the same value.
    assert refused(nas, server="10.0.0.50") == (
        500,
        "update storage failed: can't change value of fixed parameter 'server'",
    )
    with pytest.raises(ResourceException) as caught:
        nas(path="/mnt/elsewhere")  # fixed for every type that has it: not in PUT's schema at all
    assert caught.value.status_code == 400 and caught.value.errors is not None and "path" in caught.value.errors
    assert refused(nas, delete="server") == (500, "update storage failed: unable to delete required option 'server'")
    assert refused(nas, delete="thinpool") == (500, "update storage failed: no such option 'thinpool'")
    assert refused(nas, content="iso", delete="content") == (
        500,
        "update storage failed: cannot set and delete property 'content' at the same time!",
    )
    assert refused(nas, krbd=1) == (500, "update storage failed: unexpected property 'krbd'")
    assert refused(api.storage("nothere").put, content="iso") == (
        500,
        "update storage failed: storage 'nothere' does not exist",
    )
    assert refused(api.storage("nothere").get) == (500, "storage 'nothere' does not exist")
    api.storage.post(storage="pool", type="lvm", vgname="vmdata", base="san:0.0.1.scsi-x")
    assert refused(api.storage("pool").put, delete="base") == (
        500,
        "update storage failed: unable to delete fixed option 'base'",
    )  # fmt: skip


def test_a_stale_digest_is_refused(api: ProxmoxAPI) -> None:
    digest = api.storage("local").get()["digest"]
    api.storage.post(storage="dump", type="dir", path="/srv/dump")
    assert refused(api.storage("dump").put, content="backup", digest=digest) == (
        500,
        "update storage failed: detected modified configuration - file changed by other user? Try again.",
    )
    fresh = api.storage("dump").get()["digest"]
    api.storage("dump").put(content="backup", digest=fresh)
    assert api.storage("dump").get()["content"] == "backup"


def test_secrets_never_come_back(fake: FakeCluster, api: ProxmoxAPI) -> None:
    api.storage.post(
        storage="ext", type="rbd", pool="rbd", monhost="10.9.0.1 10.9.0.2", keyring=KEYRING, content="images"
    )
    api.storage.post(storage="share", type="cifs", server="s", share="pve", username="u", password=PASSWORD)
    key = '{"kdf": null, "fingerprint": "aa:bb", "data": "c2VjcmV0LWtleS1ieXRlcw=="}'
    api.storage.post(storage="pbs", type="pbs", server="s", datastore="d", password=PASSWORD, **{"encryption-key": key})
    api.storage("share").put(password="another-" + PASSWORD)
    shown = [api.storage(s).get() for s in ("ext", "share", "pbs")] + api.storage.get()
    text = str(shown)
    assert KEYRING not in text and PASSWORD not in text and "c2VjcmV0" not in text
    assert all("password" not in s and "keyring" not in s for s in shown)
    assert api.storage("pbs").get()["encryption-key"] == "aa:bb"  # PVE keeps the key's fingerprint only
    assert fake.state.storage["ext"].secrets == {"keyring"} and fake.state.storage["pbs"].secrets == {
        "password",
        "encryption-key",
    }
    recorded = str(fake.requests)
    assert KEYRING not in recorded and PASSWORD not in recorded and "c2VjcmV0" not in recorded
    api.storage("share").put(delete="password")
    assert fake.state.storage["share"].secrets == frozenset()


def test_nodes_restricts_where_a_storage_is_used(fake: FakeCluster, api: ProxmoxAPI, connect: Connect) -> None:
    api.storage.post(storage="fast", type="zfspool", pool="tank/vm", nodes="pve1,pve2", content="images")
    pve3 = {s["storage"]: s for s in api.nodes("pve3").storage.get()}
    assert (pve3["fast"]["enabled"], pve3["fast"]["active"]) == (0, 0)  # listed, as PVE does, but not usable
    assert "fast" not in [s["storage"] for s in api.nodes("pve3").storage.get(enabled=1)]
    pve1 = api.nodes("pve1").storage("fast").status.get()
    assert (pve1["enabled"], pve1["active"], pve1["type"]) == (1, 1, "zfspool") and pve1["total"] > 0
    rows = [r for r in connect("pve2").cluster.resources.get(type="storage") if r["storage"] == "fast"]
    assert sorted(r["node"] for r in rows) == ["pve1", "pve2"]
    assert rows[0]["id"] == f"storage/{rows[0]['node']}/fast" and rows[0]["plugintype"] == "zfspool"
    api.storage("fast").put(delete="nodes")
    assert api.nodes("pve3").storage("fast").status.get()["enabled"] == 1
    with pytest.raises(ResourceException) as caught:
        api.nodes("pve3").storage("nothere").status.get()
    assert caught.value.errors == {"storage": "No such storage."}
    assert [s["storage"] for s in api.nodes("pve1").storage.get(content="images")] == ["fast", "local-lvm"]


def test_rbd_storage_on_the_local_ceph_is_added_before_its_pool(fake: FakeCluster, api: ProxmoxAPI) -> None:
    # PVE does not look for the pool when the storage is added; the storage stays inactive until it exists.
    api.storage.post(storage="vm-pool", type="rbd", pool="vm-pool", content="images")
    assert api.nodes("pve1").storage("vm-pool").status.get()["active"] == 0
    api.nodes("pve1").ceph.init.post(network="10.0.0.0/24")
    for node in NODES:
        _wait(api, node, api.nodes(node).ceph.mon(node).post())
    _wait(api, "pve1", api.nodes("pve1").ceph.pool.post(name="vm-pool", pg_num=32))
    status = api.nodes("pve2").storage("vm-pool").status.get()
    assert (status["active"], status["shared"]) == (1, 1)


def _wait(api: ProxmoxAPI, node: str, upid: str) -> None:
    deadline = time.monotonic() + 5
    while api.nodes(node).tasks(upid).status.get()["status"] != "stopped":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert api.nodes(node).tasks(upid).status.get()["exitstatus"] == "OK"


def test_deleting_storage(fake: FakeCluster, api: ProxmoxAPI) -> None:
    api.storage.post(storage="san", type="iscsi", portal="10.0.0.60", target="iqn.2003-01.org.x:pve", content="none")
    api.storage.post(storage="vg", type="lvm", vgname="vmdata", base="san:0.0.1.scsi-x", shared=1)
    assert refused(api.storage("san").delete) == (
        500,
        "delete storage failed: can't remove storage - storage is used as base of another storage",
    )
    assert api.storage("vg").delete() is None and api.storage("san").delete() is None
    assert refused(api.storage("san").delete) == (500, "delete storage failed: storage 'san' does not exist")
    api.storage("local").delete()  # PVE's default 'local' comes back at once
    assert api.storage("local").get()["path"] == "/var/lib/vz"
    assert set(fake.state.storage) == {"local", "local-lvm"}


def test_storage_needs_quorum_to_change(fake: FakeCluster, api: ProxmoxAPI) -> None:
    fake.lose_quorum()
    assert refused(api.storage.post, storage="dump", type="dir", path="/srv") == (
        500,
        "create storage failed: cfs-lock 'file-storage_cfg' error: no quorum!",
    )
    assert refused(api.storage("local").delete) == (
        500,
        "delete storage failed: cfs-lock 'file-storage_cfg' error: no quorum!",
    )
    assert [s["storage"] for s in api.storage.get()] == ["local", "local-lvm"]  # reading goes on


def test_storage_is_cluster_wide_and_survives_membership_changes(fake: FakeCluster, connect: Connect) -> None:
    api = connect("pve1")
    api.storage.post(storage="nas", type="nfs", server="10.0.0.50", export="/export/pve")
    assert connect("pve3").storage("nas").get()["server"] == "10.0.0.50"
    api.cluster.config.nodes("pve3").delete()
    assert "nas" not in fake.state.storage_of("pve3")  # a removed node starts from a fresh /etc/pve
    assert "nas" in fake.state.storage
