"""The provider's plan-time decisions at their edges: a value not known until apply forces no replacement,
and a destroy is allowed only by allow_destroy = true in the state (not false, not unset)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakepve import FakeCluster
from pvecdk.provider._plugin import PvecdkProvider
from pvecdk.tfplugin import UNKNOWN, ResourceType

TOKEN = "root@pam!pvecdk=11111111-2222-3333-4444-555555555555"
NODES = {"pve1": "10.0.0.11", "pve2": "10.0.0.12", "pve3": "10.0.0.13"}


@pytest.fixture
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=NODES, version="9.1", task_seconds=0.02) as cluster:
        cluster.form_cluster("lab", members=NODES)
        yield cluster


@pytest.fixture
def storage(fake: FakeCluster) -> ResourceType:
    p = PvecdkProvider(environ={"PROXMOX_VE_API_TOKEN": TOKEN, "PVECDK_CA_FILE": fake.ca_file,
                                "PROXMOX_VE_ENDPOINT": fake.endpoint("pve1")})
    assert p.configure({}, "1.15.5") == []
    return p.resources["pvecdk_storage"]


def iscsi(fake: FakeCluster, **values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": "san", "type": "iscsi", "endpoint": fake.endpoint("pve1"), "content": ["images"],
                           "nodes": None, "disable": None, "allow_destroy": None, "pve_version": None,
                           "shared": None, "keyring": None,
                           "options": {"portal": "10.0.5.1", "target": "iqn.2003-01.org.example:t1"}}
    out.update(values)
    return out


def created(res: ResourceType, wanted: dict[str, Any]) -> dict[str, Any]:
    planned = res.plan(None, wanted, wanted, b"")
    state: dict[str, Any] = res.apply(None, planned.planned_state, wanted, b"").new_state
    assert state is not None
    return state


@pytest.mark.parametrize(("allow", "refused"), [(None, True), (False, True), (True, False)])
def test_a_removal_is_allowed_by_allow_destroy_true_only(fake: FakeCluster, storage: ResourceType,
                                                         allow: bool | None, refused: bool) -> None:
    state = {**created(storage, iscsi(fake)), "allow_destroy": allow}
    diagnostics = storage.plan_destroy(state, b"").diagnostics
    assert [d.summary for d in diagnostics] == (["Storage removal refused"] if refused else [])


def test_a_replacement_is_allowed_by_the_state_not_by_the_new_configuration(fake: FakeCluster,
                                                                           storage: ResourceType) -> None:
    state = created(storage, iscsi(fake))
    moved = {**state, "allow_destroy": True, "options": {**state["options"], "portal": "10.0.5.2"}}
    for prior_allow, refused in ((None, True), (False, True), (True, False)):
        prior = {**state, "allow_destroy": prior_allow}
        result = storage.plan(prior, moved, moved, b"")
        assert result.requires_replace == [("options", ("key", "portal"))]
        assert [d.summary for d in result.diagnostics if d.severity == "error"] == (
            ["Storage replacement refused"] if refused else []), prior_allow


def test_an_id_not_known_until_apply_forces_no_replacement(fake: FakeCluster) -> None:
    p = PvecdkProvider(environ={"PROXMOX_VE_API_TOKEN": TOKEN, "PVECDK_CA_FILE": fake.ca_file,
                                "PROXMOX_VE_ENDPOINT": fake.endpoint("pve1")})
    assert p.configure({}, "1.15.5") == []
    osd = p.resources["pvecdk_ceph_osd"]
    prior: dict[str, Any] = {a.name: None for a in osd.schema.block.attributes}
    prior.update(node_name="pve1", endpoint=fake.endpoint("pve1"), device="/dev/sdb", osd_id=3)
    for unknown in ("device", "node_name"):
        proposed = {**prior, unknown: UNKNOWN}
        result = osd.plan(prior, proposed, proposed, b"")
        assert result.requires_replace == [], unknown
        assert result.diagnostics == []
    changed = {**prior, "device": "/dev/sdc"}
    assert ("device",) in osd.plan(prior, changed, changed, b"").requires_replace


# -------------------------------------------------------------------------------- pvecdk_storage's plan


def diags(result: Any) -> list[tuple[str, str, str, tuple[Any, ...]]]:
    return [(d.severity, d.summary, d.detail, d.path) for d in result.diagnostics]


@pytest.mark.parametrize("unknown", ["id", "type", "endpoint", "options"])
def test_a_plan_with_a_value_unknown_until_apply_reads_nothing_and_refuses_nothing(
        fake: FakeCluster, storage: ResourceType, unknown: str) -> None:
    wanted = {**iscsi(fake), unknown: UNKNOWN}
    seen = len(fake.requests)
    result = storage.plan(None, wanted, wanted, b"")
    assert (result.diagnostics, result.requires_replace) == ([], [])
    # allow_destroy unset is false; pve_version unset is the cluster's release, read back at apply
    assert result.planned_state == {**wanted, "shared": UNKNOWN, "allow_destroy": False, "pve_version": UNKNOWN}
    assert fake.requests[seen:] == []


@pytest.mark.parametrize(("change", "replaced", "named"), [
    ({"id": "san2"}, [("id",)], "id"),
    ({"type": "iscsidirect"}, [("type",)], "type"),
    ({"options": {"portal": "10.0.5.2", "target": "t2"}}, [("options", ("key", "portal")),
                                                          ("options", ("key", "target"))], "portal, target"),
])
def test_what_forces_a_replacement_is_named_and_refused_without_allow_destroy(
        fake: FakeCluster, storage: ResourceType, change: dict[str, Any], replaced: list[Any], named: str) -> None:
    state = created(storage, iscsi(fake))
    moved = {**state, **change}
    result = storage.plan(state, moved, moved, b"")
    assert result.requires_replace == replaced and result.planned_state["shared"] is UNKNOWN
    assert diags(result)[0] == (
        "error", "Storage replacement refused",
        f"changing {named} replaces storage san: it is removed and added again, and guests lose access to its "
        "disks meanwhile; set allow_destroy = true and apply that on its own first: the removal half of a "
        "replacement sees only the current state, or put the old value back", ())


def test_a_plan_that_cannot_read_the_storage_says_so_and_keeps_the_replacement(fake: FakeCluster,
                                                                             storage: ResourceType) -> None:
    state = created(storage, iscsi(fake))
    moved = {**state, "options": {**state["options"], "portal": "10.0.5.2"}}
    fake.set_offline("pve1")
    result = storage.plan(state, moved, moved, b"")
    assert result.requires_replace == [("options", ("key", "portal"))] and result.planned_state == {
        **moved, "shared": UNKNOWN}
    ((severity, summary, detail, _),) = diags(result)
    assert (severity, summary) == ("error", "Cannot read the storage") and "connection refused" in detail


def test_a_storage_taken_by_another_type_is_refused_and_one_of_the_same_type_adopted(
        fake: FakeCluster, storage: ResourceType) -> None:
    created(storage, iscsi(fake))
    other = iscsi(fake, type="iscsidirect")
    assert diags(storage.plan(None, other, other, b"")) == [(
        "error", "Invalid storage definition", "storage san: exists as iscsi storage, the model says iscsidirect; a "
        "storage id cannot change type; pick another id, or remove the old one first", ("type",))]
    same = iscsi(fake)
    assert diags(storage.plan(None, same, same, b"")) == [(
        "warning", "Storage san exists already", "PVE has a iscsi storage san; the apply adopts it and sets the "
        "options the model gives. Import it instead (terraform import <address> san) to see its current options "
        "first.", ())]


def test_a_storage_id_taken_is_refused_at_the_id(fake: FakeCluster, storage: ResourceType) -> None:
    created(storage, iscsi(fake, id="taken"))
    state = {**created(storage, iscsi(fake)), "allow_destroy": True}
    renamed = {**state, "id": "taken"}
    assert [(d[0], d[1], d[3]) for d in diags(storage.plan(state, renamed, renamed, b""))] == [
        ("error", "Storage id taken", ("id",))]


def test_content_left_out_is_unknown_until_the_apply(fake: FakeCluster, storage: ResourceType) -> None:
    # PVE picks the content of a storage created without one: the plan cannot say it (the apply reads it back),
    # and one given is planned as given.
    unset = iscsi(fake, content=None)
    assert storage.plan(None, unset, unset, b"").planned_state["content"] is UNKNOWN
    given = iscsi(fake)
    assert storage.plan(None, given, given, b"").planned_state["content"] == ["images"]
