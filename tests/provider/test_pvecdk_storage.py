"""pvecdk_storage driven directly (no Terraform) against the fake cluster: validation, plans, refusals, drift."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakepve import FakeCluster, Fault
from pvecdk.engine import Client, Credentials, TlsSettings
from pvecdk.provider._plugin import PvecdkProvider
from pvecdk.tfplugin import UNKNOWN, Diagnostic, ResourceType

TOKEN = "root@pam!pvecdk=11111111-2222-3333-4444-555555555555"
KEYRING = "AQBdZ2Vpc2VjcmV0a2V5cmluZ3ZhbHVlMDAxMg=="
NODES = {"pve1": "10.0.0.11", "pve2": "10.0.0.12", "pve3": "10.0.0.13"}


@pytest.fixture
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=NODES, version="9.1", task_seconds=0.02) as cluster:
        cluster.form_cluster("lab", members=NODES)
        yield cluster


@pytest.fixture
def res(fake: FakeCluster) -> ResourceType:
    p = PvecdkProvider(environ={"PROXMOX_VE_API_TOKEN": TOKEN, "PVECDK_CA_FILE": fake.ca_file,
                                "PROXMOX_VE_ENDPOINT": fake.endpoint("pve1")})
    assert p.configure({}, "1.15.5") == []
    return p.resources["pvecdk_storage"]


def config(fake: FakeCluster, **values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": "ceph-ext", "type": "rbd", "endpoint": fake.endpoint("pve1"), "content": ["images"],
                           "nodes": None, "disable": None, "allow_destroy": None, "pve_version": None,
                           "shared": None, "keyring": None,
                           "options": {"pool": "vm-pool", "monhost": "10.9.0.1 10.9.0.2", "krbd": "1"}}
    out.update(values)
    return out


def errors(diags: list[Diagnostic]) -> list[str]:
    return [d.detail for d in diags if d.severity == "error"]


def create(res: ResourceType, wanted: dict[str, Any]) -> dict[str, Any]:
    planned = res.plan(None, wanted, wanted, b"")
    assert errors(planned.diagnostics) == []
    applied = res.apply(None, planned.planned_state, wanted, b"")
    assert errors(applied.diagnostics) == []
    state: dict[str, Any] = applied.new_state
    return state


def pve(fake: FakeCluster) -> Client:
    return Client({"pve2": fake.endpoint("pve2")}, Credentials.from_token(TOKEN), TlsSettings(ca_file=fake.ca_file))


# -- validation (no API)


def test_rejects_an_option_the_type_does_not_take(fake: FakeCluster, res: ResourceType) -> None:
    (diag,) = res.validate(config(fake, type="cephfs", content=["iso"], options={"pool": "x"}))
    assert diag.path == ("options", ("key", "pool")) and "CephFS storage has no pool option" in diag.detail


def test_rejects_a_missing_required_option(fake: FakeCluster, res: ResourceType) -> None:
    (diag,) = res.validate(config(fake, id="san", type="iscsi", content=["images"], options={"portal": "10.0.5.1"}))
    assert diag.detail == "options.target: required for iscsi storage; add it to options"


def test_rejects_glusterfs_when_the_model_targets_pve9(fake: FakeCluster, res: ResourceType) -> None:
    gluster = config(fake, id="gv0", type="glusterfs", content=["images"],
                     options={"server": "10.0.6.1", "volume": "gv0"})
    assert res.validate({**gluster, "pve_version": "8.4"}) == []
    (diag,) = res.validate({**gluster, "pve_version": "9.1"})
    assert "GlusterFS storage is gone in PVE 9" in diag.detail


def test_unknown_values_are_let_through(fake: FakeCluster, res: ResourceType) -> None:
    assert res.validate(config(fake, options=UNKNOWN)) == []


# -- plan, apply, read


def test_creates_reads_and_plans_nothing_more(fake: FakeCluster, res: ResourceType) -> None:
    wanted = config(fake, keyring=KEYRING)
    planned = res.plan(None, wanted, wanted, b"")
    assert planned.diagnostics == [] and planned.planned_state["shared"] is UNKNOWN
    state = res.apply(None, planned.planned_state, wanted, b"").new_state
    assert state["shared"] is True and state["options"] == wanted["options"] and state["keyring"] == KEYRING
    with pve(fake) as c:
        entry = c.get("pve2", "/storage/ceph-ext")
    assert entry["type"] == "rbd" and entry["pool"] == "vm-pool" and KEYRING not in str(entry)
    assert res.read(state, b"").new_state == state
    again = res.plan(state, state, wanted, b"")
    assert again.diagnostics == [] and again.requires_replace == [] and again.planned_state == state


def test_an_option_changed_out_of_band_shows_as_drift(fake: FakeCluster, res: ResourceType) -> None:
    state = create(res, config(fake))
    with pve(fake) as c:
        c.put("pve2", "/storage/ceph-ext", krbd=0)
    assert res.read(state, b"").new_state["options"]["krbd"] == "0"


def test_a_fixed_option_forces_replacement_which_needs_allow_destroy(fake: FakeCluster, res: ResourceType) -> None:
    wanted = config(fake, id="san", type="iscsi", content=["images"],
                    options={"portal": "10.0.5.1", "target": "iqn.2003-01.org.example:t1"})
    state = create(res, wanted)
    moved = {**state, "options": {**state["options"], "portal": "10.0.5.2"}}
    result = res.plan(state, moved, moved, b"")
    assert result.requires_replace == [("options", ("key", "portal"))]
    (problem,) = errors(result.diagnostics)
    assert "changing portal replaces storage san" in problem and "allow_destroy = true" in problem
    # In the new configuration alone it is not enough: the removal half of the replacement sees only the state.
    allowed = {**moved, "allow_destroy": True}
    (problem,) = errors(res.plan(state, allowed, allowed, b"").diagnostics)
    assert "apply that on its own first" in problem
    unlocked = {**state, "allow_destroy": True}
    assert errors(res.plan(unlocked, allowed, allowed, b"").diagnostics) == []
    assert res.apply(unlocked, None, None, b"").new_state is None, "the removal half is allowed by the state"


def test_removal_is_refused_unless_allowed(fake: FakeCluster, res: ResourceType) -> None:
    state = create(res, config(fake))
    (problem,) = errors(res.plan_destroy(state, b"").diagnostics)
    assert problem.startswith("storage ceph-ext: removing it takes the disks and backups on it out of PVE's reach")
    allowed = {**state, "allow_destroy": True}
    assert res.plan_destroy(allowed, b"").diagnostics == []
    assert res.apply(allowed, None, None, b"").new_state is None
    assert res.read(state, b"").new_state is None


def test_import_adopts_a_definition(fake: FakeCluster, res: ResourceType) -> None:
    create(res, config(fake))
    (state,) = res.import_state("ceph-ext")
    assert state["type"] == "rbd" and state["options"]["pool"] == "vm-pool" and state["keyring"] is None
    assert res.import_state("nope") == []


def test_a_lost_answer_then_rerun_adopts_what_was_created(fake: FakeCluster, res: ResourceType) -> None:
    wanted = config(fake, keyring=KEYRING)
    planned = res.plan(None, wanted, wanted, b"").planned_state
    fake.fault("pve1", Fault.HTTP_500, path="/storage", method="POST", after=True)
    failed = res.apply(None, planned, wanted, b"")
    assert failed.new_state is None and errors(failed.diagnostics)
    assert all(KEYRING not in d.detail and KEYRING not in d.summary for d in failed.diagnostics)
    again = res.plan(None, wanted, wanted, b"")
    assert errors(again.diagnostics) == []
    state = res.apply(None, again.planned_state, wanted, b"").new_state
    assert state is not None and state["id"] == "ceph-ext"


GLUSTER = {"id": "gv0", "type": "glusterfs", "content": ["images", "iso"],
           "options": {"server": "10.0.6.1", "volume": "gv0"}}


def test_glusterfs_is_refused_on_a_pve9_cluster_the_model_does_not_name(fake: FakeCluster, res: ResourceType) -> None:
    wanted = config(fake, **GLUSTER)
    assert res.validate(wanted) == [], "the model does not say which release"
    (problem,) = errors(res.plan(None, wanted, wanted, b"").diagnostics)
    assert problem.startswith("type: GlusterFS storage is gone in PVE 9, the cluster runs 9.1")


def test_glusterfs_on_pve8() -> None:
    with FakeCluster(nodes={"pve1": "10.0.0.11"}, version="8.4", task_seconds=0.02) as old:
        p = PvecdkProvider(environ={"PROXMOX_VE_API_TOKEN": TOKEN, "PVECDK_CA_FILE": old.ca_file})
        assert p.configure({}, "1.15.5") == []
        state = create(p.resources["pvecdk_storage"], config(old, **GLUSTER))
        assert state["type"] == "glusterfs" and state["shared"] is True


def test_rejects_renaming_onto_an_existing_storage(fake: FakeCluster, res: ResourceType) -> None:
    create(res, config(fake, id="taken"))
    state = {**create(res, config(fake)), "allow_destroy": True}  # so only the taken id is wrong
    renamed = {**state, "id": "taken"}
    result = res.plan(state, renamed, renamed, b"")
    assert ("id",) in result.requires_replace
    assert errors(result.diagnostics) == ["storage taken exists already (rbd); choose another id, or import it "
                                          "(terraform import <address> taken)"]


def test_a_refresh_reads_the_definition_in_one_call(fake: FakeCluster, res: ResourceType) -> None:
    state = create(res, config(fake))
    seen = len(fake.requests)
    assert res.read(state, b"").new_state == state
    assert [(q.method, q.path) for q in fake.requests[seen:]] == [("GET", "/storage")]
