"""Storage planning at its boundaries and over several items: removal with and without allow_destroy, the
fixed option in the middle of several changes, the bad node, option and content in the middle of a list,
GlusterFS on either side of PVE 9."""

from __future__ import annotations

import pytest
from pvecdk.engine import Action, EngineProblem, LiveStorage, StorageSpec, check_storage, plan_storage

ISCSI = {"portal": "10.0.5.1", "target": "iqn.2003-01.org.example:t1"}


def live_iscsi(**options: str) -> LiveStorage:
    return LiveStorage("i1", "iscsi", frozenset({"images"}), None, False, True, {**ISCSI, **options})


def attribute(name: str, problem: str, fix: str) -> EngineProblem:
    """A problem of one attribute of the definition: its subject and its field are both the attribute."""
    return EngineProblem(name, problem, fix, name)


def fixed(storage_id: str, options: str, field: str) -> EngineProblem:
    return EngineProblem(f"storage {storage_id}", f"{options} cannot change after create",
                         "replace the storage (allow_destroy = true) or put the current value back", field)


def test_removal_is_refused_without_allow_destroy_and_planned_with_it() -> None:
    refused = plan_storage("i1", None, live_iscsi())
    assert refused.steps == [] and refused.refused == [
        EngineProblem("storage i1", "removing it takes the disks and backups on it out of PVE's reach",
                      "set allow_destroy = true on it, apply, then remove it", "allow_destroy")]
    allowed = plan_storage("i1", None, live_iscsi(), allow_destroy=True)
    assert allowed.refused == [] and [str(s) for s in allowed.steps] == ["delete_storage i1: remove storage i1 (iscsi)"]
    assert [s.action for s in allowed.steps] == [Action.DELETE_STORAGE]
    assert (plan_storage("i1", None, None).steps, plan_storage("i1", None, None).refused) == ([], [])


def test_a_fixed_option_in_the_middle_of_several_changes_refuses_them_all() -> None:
    spec = StorageSpec("z1", "zfs", options={"portal": "10.0.5.1", "target": "t", "pool": "other", "blocksize": "8k",
                                             "iscsiprovider": "LIO", "lio_tpg": "tpg1", "sparse": "1"})
    live = LiveStorage("z1", "zfs", None, None, False, True, {**spec.options, "pool": "tank", "sparse": "0"})
    plan = plan_storage("z1", spec, live)
    assert plan.steps == [] and plan.refused == [fixed("z1", "pool", "options.pool")]


def test_a_change_of_options_that_may_change_is_one_update_naming_them_all() -> None:
    spec = StorageSpec("i1", "iscsi", content=frozenset({"images", "none"}), nodes=frozenset({"pve1", "pve3"}),
                       disable=True, options=ISCSI)
    plan = plan_storage("i1", spec, live_iscsi())
    assert plan.refused == [] and [str(s) for s in plan.steps] == [
        "update_storage i1: update content, disable, nodes of storage i1"]


def test_an_unchanged_definition_plans_nothing() -> None:
    spec = StorageSpec("i1", "iscsi", content=frozenset({"images"}), options=ISCSI)
    plan = plan_storage("i1", spec, live_iscsi())
    assert (plan.steps, plan.refused) == ([], [])


def test_the_bad_node_name_in_the_middle_is_the_one_named() -> None:
    spec = StorageSpec("i1", "iscsi", nodes=frozenset({"pve1", "pve_2", "pve3"}), options=ISCSI)
    assert check_storage(spec) == [attribute("nodes", "'pve_2' is not a PVE node name",
                                             "use the node's name, such as pve1")]


def test_the_unknown_option_in_the_middle_is_the_one_named() -> None:
    spec = StorageSpec("i1", "iscsi", options={"portal": "10.0.5.1", "bogus": "1", "target": "t"})
    (problem,) = check_storage(spec, "9.1")
    assert (problem.subject, problem.problem, problem.field) == (
        "options.bogus", "not an option of iscsi storage on PVE 9.1", "options.bogus")
    assert problem.fix.startswith("iscsi storage takes ")


def test_content_the_type_cannot_hold_is_named_among_what_it_can() -> None:
    spec = StorageSpec("i1", "iscsi", content=frozenset({"images", "iso", "none"}), options=ISCSI)
    assert check_storage(spec) == [attribute("content", "iscsi storage cannot hold iso", "it takes images, none")]


@pytest.mark.parametrize(("release", "refused"), [("8.4", False), ("8.9", False), ("9.0", True), ("9.1", True),
                                                  (None, False)])
def test_glusterfs_on_either_side_of_pve9(release: str | None, refused: bool) -> None:
    spec = StorageSpec("g1", "glusterfs", options={"server": "10.0.6.1", "volume": "gv0"})
    problems = check_storage(spec, release)
    assert problems == ([attribute("type", f"GlusterFS storage is gone in PVE 9, the cluster runs {release}",
                                   "use CephFS or NFS, or stay on PVE 8")] if refused else [])


def test_a_type_pvecdk_storage_does_not_manage_is_named_with_those_it_does() -> None:
    assert check_storage(StorageSpec("n1", "nfs")) == [
        attribute("type", "pvecdk_storage manages rbd, cephfs, iscsi, iscsidirect, zfs, glusterfs, got 'nfs'",
                  "use the bpg/proxmox resource for nfs storage")]


def test_options_pve_manages_and_options_with_their_own_attribute() -> None:
    spec = StorageSpec("i1", "iscsi", options={**ISCSI, "content": "images", "digest": "abc", "shared": "1"})
    assert check_storage(spec) == [
        attribute("options.content", "has its own attribute", "set it with the content attribute, not in options"),
        attribute("options.digest", "PVE manages it", "leave it out"),
        attribute("options.shared", "PVE manages it", "leave it out")]


def test_the_pool_hint_is_for_cephfs_only() -> None:
    (cephfs_pool,) = check_storage(StorageSpec("c1", "cephfs", options={"pool": "p"}))
    assert cephfs_pool == attribute("options.pool", "not an option of cephfs storage",
                                    "CephFS storage has no pool option (RBD does); name the file system with fs-name")
    (iscsi_pool,) = check_storage(StorageSpec("i1", "iscsi", options={**ISCSI, "pool": "p"}))
    assert (iscsi_pool.subject, iscsi_pool.problem, iscsi_pool.field) == (
        "options.pool", "not an option of iscsi storage", "options.pool")
    assert iscsi_pool.fix.startswith("iscsi storage takes ")
    (cephfs_other,) = check_storage(StorageSpec("c1", "cephfs", options={"bogus": "1"}))
    assert (cephfs_other.subject, cephfs_other.problem, cephfs_other.field) == (
        "options.bogus", "not an option of cephfs storage", "options.bogus")
    assert cephfs_other.fix.startswith("cephfs storage takes ")


def test_every_content_the_type_cannot_hold_is_named() -> None:
    spec = StorageSpec("i1", "iscsi", content=frozenset({"backup", "images", "iso"}), options=ISCSI)
    assert check_storage(spec) == [attribute("content", "iscsi storage cannot hold backup, iso",
                                             "it takes images, none")]


def test_a_keyring_only_where_the_type_takes_one() -> None:
    assert check_storage(StorageSpec("r1", "rbd", options={"pool": "p", "monhost": "10.9.0.1"}, keyring="k")) == []
    assert check_storage(StorageSpec("i1", "iscsi", options=ISCSI, keyring="k")) == [
        attribute("keyring", "iscsi storage takes no keyring", "leave it unset")]


def test_the_plan_checks_the_definition_against_the_clusters_release() -> None:
    spec = StorageSpec("g1", "glusterfs", options={"server": "10.0.6.1", "volume": "gv0"})
    assert plan_storage("g1", spec, None, release="9.1").refused == [
        attribute("type", "GlusterFS storage is gone in PVE 9, the cluster runs 9.1",
                  "use CephFS or NFS, or stay on PVE 8")]
    created = plan_storage("g1", spec, None, release="8.4")
    assert created.refused == [] and [str(s) for s in created.steps] == ["create_storage g1: add glusterfs storage g1"]


def test_a_type_change_and_several_fixed_options_are_named() -> None:
    spec = StorageSpec("i1", "iscsidirect", options=ISCSI)
    assert plan_storage("i1", spec, live_iscsi()).refused == [
        EngineProblem("storage i1", "exists as iscsi storage, the model says iscsidirect; a storage id cannot change "
                      "type", "pick another id, or remove the old one first", "type")]
    moved = StorageSpec("i1", "iscsi", options={"portal": "10.0.5.2", "target": "other"})
    assert plan_storage("i1", moved, live_iscsi()).refused == [fixed("i1", "portal, target", "options.portal")]
