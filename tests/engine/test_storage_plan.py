"""Storage definitions: options checked per type and release, and the steps from what PVE reports."""

from __future__ import annotations

import pytest
from pvecdk.engine import LiveStorage, StorageSpec, check_storage, plan_storage
from pvecdk.engine.storage import STORAGE_TYPES, fixed_options, option_table, update_params
from pvecdk.errors import EngineProblem

GOOD = {
    "rbd": {"pool": "vm-pool", "krbd": "1"},
    "cephfs": {"fs-name": "cephfs"},
    "iscsi": {"portal": "10.0.5.1", "target": "iqn.2003-01.org.example:t1"},
    "iscsidirect": {"portal": "10.0.5.1", "target": "iqn.2003-01.org.example:t1"},
    "zfs": {"portal": "10.0.5.1", "target": "iqn.2003-01.org.example:t1", "pool": "tank", "blocksize": "8k",
            "iscsiprovider": "LIO", "lio_tpg": "tpg1"},
    "glusterfs": {"server": "10.0.6.1", "volume": "gv0"},
}


def rbd(**options: str) -> StorageSpec:
    return StorageSpec("ceph-vm", "rbd", content=frozenset({"images"}), options={"pool": "vm-pool", **options})


def live_rbd(**options: str) -> LiveStorage:
    return LiveStorage("ceph-vm", "rbd", frozenset({"images"}), None, False, True, {"pool": "vm-pool", **options})


def lines(problems: list[EngineProblem]) -> list[str]:
    return [str(p) for p in problems]


@pytest.mark.parametrize("storage_type", STORAGE_TYPES)
def test_accepts_good_options_of_every_type(storage_type: str) -> None:
    release = "8.4" if storage_type == "glusterfs" else "9.1"
    assert check_storage(StorageSpec("s1", storage_type, options=GOOD[storage_type]), release) == []


@pytest.mark.parametrize(("storage_type", "missing"), [("iscsi", "portal"), ("iscsidirect", "target"),
                                                       ("zfs", "iscsiprovider"), ("glusterfs", "volume")])
def test_rejects_a_missing_required_option(storage_type: str, missing: str) -> None:
    options = {k: v for k, v in GOOD[storage_type].items() if k != missing}
    assert check_storage(StorageSpec("s1", storage_type, options=options), "8.4") == [EngineProblem(
        f"options.{missing}", f"required for {storage_type} storage", "add it to options", f"options.{missing}")]


def test_cephfs_path_is_filled_in_by_pve() -> None:
    assert not option_table("cephfs")["path"]["optional"]
    assert check_storage(StorageSpec("s1", "cephfs"), "9.1") == []


def test_rejects_pool_on_cephfs_with_the_reason() -> None:
    (problem,) = check_storage(StorageSpec("s1", "cephfs", options={"pool": "x"}), "9.1")
    assert str(problem) == ("options.pool: not an option of cephfs storage on PVE 9.1; CephFS storage has no pool "
                       "option (RBD does); name the file system with fs-name")


def test_rejects_an_unknown_option_naming_the_known_ones() -> None:
    (problem,) = check_storage(rbd(portal="10.0.0.1"), None)
    assert problem.field == "options.portal"
    assert str(problem).startswith("options.portal: not an option of rbd storage; rbd storage takes bwlimit, data-pool")


def test_rejects_an_option_that_has_its_own_attribute() -> None:
    assert lines(check_storage(rbd(content="images"), "9.1")) == [
        "options.content: has its own attribute; set it with the content attribute, not in options"]


def test_rejects_glusterfs_on_pve9_and_the_release_table_applies() -> None:
    spec = StorageSpec("g1", "glusterfs", options=GOOD["glusterfs"])
    assert str(check_storage(spec, "9.1")[0]).startswith("type: GlusterFS storage is gone in PVE 9")
    assert check_storage(spec, None) == [], "release unknown: either release's table"
    # maxfiles went away in PVE 9
    assert check_storage(StorageSpec("c1", "cephfs", options={"maxfiles": "1"}), "8.4") == []
    assert check_storage(StorageSpec("c1", "cephfs", options={"maxfiles": "1"}), "9.1") != []


def test_glusterfs_may_hold_import_content_as_pve_8_allows() -> None:
    # The L2 construct accepts it (PVE's GlusterFS plugin lists import); the engine must not refuse it at plan.
    spec = StorageSpec("g1", "glusterfs", content=frozenset({"images", "import"}), options=GOOD["glusterfs"])
    assert check_storage(spec, "8.4") == []


def test_rejects_other_types_and_wrong_content() -> None:
    assert check_storage(StorageSpec("n1", "nfs"))[0].fix == "use the bpg/proxmox resource for nfs storage"
    assert lines(check_storage(StorageSpec("r1", "rbd", content=frozenset({"iso", "images"})))) == [
        "content: rbd storage cannot hold iso; it takes images, rootdir"]
    assert lines(check_storage(StorageSpec("i1", "iscsi", options=GOOD["iscsi"], keyring="k"))) == [
        "keyring: iscsi storage takes no keyring; leave it unset"]


def test_fixed_options_come_from_the_table() -> None:
    assert fixed_options("iscsi") == {"portal", "target"}
    assert fixed_options("zfs") >= {"pool", "portal", "target", "blocksize", "iscsiprovider"}
    assert fixed_options("rbd") == set()


# -- plans


def test_creates_a_missing_definition() -> None:
    plan = plan_storage("ceph-vm", rbd(), None)
    assert [s.action for s in plan.steps] == ["create_storage"] and plan.refused == []


def test_nothing_when_equal_booleans_spelled_differently() -> None:
    assert plan_storage("ceph-vm", rbd(krbd="true"), live_rbd(krbd="1")).steps == []


def test_updates_changed_options_and_deletes_the_dropped_ones() -> None:
    before = rbd(krbd="1", namespace="a")
    wanted = StorageSpec("ceph-vm", "rbd", content=frozenset({"images", "rootdir"}), options={"pool": "vm-pool"})
    changes, deletes = update_params(wanted, live_rbd(krbd="1", namespace="a"), before)
    assert changes == {"content": "images,rootdir"} and deletes == ["krbd", "namespace"]
    plan = plan_storage("ceph-vm", wanted, live_rbd(krbd="1", namespace="a"), previous=before)
    assert plan.steps[0].detail == "update content, krbd, namespace of storage ceph-vm"


def test_the_keyring_is_named_but_never_shown() -> None:
    spec = StorageSpec("ext", "rbd", options={"pool": "p", "monhost": "10.9.0.1"}, keyring="AQBsecretkey==")
    live = LiveStorage("ext", "rbd", None, None, False, True, {"pool": "p", "monhost": "10.9.0.1"})
    plan = plan_storage("ext", spec, live, keyring_changed=True)
    assert "keyring" in plan.steps[0].detail and "AQBsecretkey" not in str(plan) and "AQBsecretkey" not in repr(spec)


def test_rejects_a_fixed_option_changed_in_place() -> None:
    spec = StorageSpec("i1", "iscsi", options={"portal": "10.0.5.2", "target": "t"})
    live = LiveStorage("i1", "iscsi", None, None, False, True, {"portal": "10.0.5.1", "target": "t"})
    (problem,) = plan_storage("i1", spec, live).refused
    assert (problem.subject, problem.problem, problem.field) == ("storage i1", "portal cannot change after create",
                                                                 "options.portal")


def test_rejects_a_type_change_and_a_removal_without_allow_destroy() -> None:
    (changed,) = plan_storage("ceph-vm", StorageSpec("ceph-vm", "cephfs"), live_rbd()).refused
    assert "cannot change type" in changed.problem and changed.field == "type"
    (problem,) = plan_storage("ceph-vm", None, live_rbd()).refused
    assert str(problem).startswith("storage ceph-vm: removing it takes the disks and backups on it out of PVE's reach")
    assert problem.field == "allow_destroy"
    assert [s.action for s in plan_storage("ceph-vm", None, live_rbd(), allow_destroy=True).steps] == [
        "delete_storage"]
    assert plan_storage("ceph-vm", None, None).steps == []


def test_rejects_a_bad_storage_id_and_node_name() -> None:
    spec = StorageSpec("9lives", "rbd", nodes=frozenset({"pve_1"}))
    assert lines(check_storage(spec)) == [
        "id: '9lives' is not a PVE storage id; start with a letter, then letters, digits, '-', '_' or '.', ending "
        "in a letter or digit",
        "nodes: 'pve_1' is not a PVE node name; use the node's name, such as pve1"]
