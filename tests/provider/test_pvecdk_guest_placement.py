"""``pvecdk_guest_placement`` driven directly (no Terraform) against the fake cluster: what a plan says and
refuses, what an apply does and reports, what a refresh reads as drift and what it does not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakepve import FakeCluster
from pvecdk.provider._plugin import PvecdkProvider
from pvecdk.tfplugin import ResourceType

TOKEN = "root@pam!pvecdk=11111111-2222-3333-4444-555555555555"
ADDRESSES = {f"pve{i}": f"10.0.0.{10 + i}" for i in range(1, 4)}
ADDRESS = "proxmox_virtual_environment_container.ct-200_Resource_1A2B3C4D"


@pytest.fixture
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=ADDRESSES, version="9.1", token_id="root@pam!pvecdk",
                     token_secret="11111111-2222-3333-4444-555555555555", task_seconds=0.05) as cluster:
        cluster.form_cluster("lab", members=list(ADDRESSES))
        yield cluster


@pytest.fixture
def res(fake: FakeCluster) -> ResourceType:
    provider = PvecdkProvider(environ={"PROXMOX_VE_API_TOKEN": TOKEN, "PVECDK_CA_FILE": str(fake.ca_file),
                                       "PVECDK_TIMEOUT_SECONDS": "5"})
    assert provider.configure({}, "1.15.5") == []
    return provider.resources["pvecdk_guest_placement"]


def values(fake: FakeCluster, vmid: int, kind: str, node: str, **extra: Any) -> dict[str, Any]:
    return {"id": f"{kind}/{vmid}", "vm_id": vmid, "type": kind, "node_name": node,
            "endpoints": {n: fake.endpoint(n) for n in ADDRESSES}, "ha_managed": None, "timeout_seconds": None,
            "guest_address": ADDRESS if kind == "lxc" else None, **extra}


def test_validation_names_the_type_the_vmid_and_a_node_without_endpoint(fake: FakeCluster, res: ResourceType) -> None:
    bad = {**values(fake, 99, "kvm", "pve9")}
    assert [(d.summary, d.path) for d in res.validate(bad)] == [
        ("Invalid guest type", ("type",)), ("Invalid vm_id", ("vm_id",)), ("No endpoint for the node", ("endpoints",))]
    assert res.validate(values(fake, 100, "qemu", "pve2")) == []


def test_moving_a_container_plans_an_update_and_says_how_to_re_adopt_it(fake: FakeCluster, res: ResourceType) -> None:
    fake.add_guest("pve1", 200, "lxc")
    prior, wanted = values(fake, 200, "lxc", "pve1"), values(fake, 200, "lxc", "pve3")
    plan = res.plan(prior, wanted, wanted, b"")
    assert plan.requires_replace == [] and plan.planned_state["node_name"] == "pve3"
    (note,) = plan.diagnostics
    assert note.severity == "warning" and f"terraform import '{ADDRESS}' pve3/200" in note.detail
    applied = res.apply(prior, plan.planned_state, wanted, b"")
    assert applied.new_state == wanted and [d.severity for d in applied.diagnostics] == ["warning"]
    assert fake.state.guests[200].node == "pve3"


def test_a_vm_moved_by_hand_is_drift_and_an_ha_vm_moved_by_ha_is_not(fake: FakeCluster, res: ResourceType) -> None:
    fake.add_guest("pve1", 100)
    fake.add_guest("pve1", 101)
    fake.add_ha_resource("vm:101")
    fake.relocate_guest(100, "pve2")
    fake.relocate_guest(101, "pve2")
    assert res.read(values(fake, 100, "qemu", "pve1"), b"").new_state["node_name"] == "pve2"
    ha = res.read(values(fake, 101, "qemu", "pve1", ha_managed=True), b"")
    assert (ha.new_state["node_name"], ha.diagnostics) == ("pve1", [])


def test_an_ha_container_moved_by_ha_is_not_drift_but_its_resource_must_be_re_adopted(
        fake: FakeCluster, res: ResourceType) -> None:
    fake.add_guest("pve1", 200, "lxc")
    fake.add_ha_resource("ct:200")
    fake.relocate_guest(200, "pve3")
    read = res.read(values(fake, 200, "lxc", "pve1"), b"")
    assert read.new_state["node_name"] == "pve1"
    (note,) = read.diagnostics
    assert f"terraform state rm '{ADDRESS}' && terraform import '{ADDRESS}' pve3/200" in note.detail


def test_a_move_to_an_offline_node_is_refused_at_plan_and_at_apply(fake: FakeCluster, res: ResourceType) -> None:
    fake.add_guest("pve1", 100)
    fake.set_offline("pve2")
    prior, wanted = values(fake, 100, "qemu", "pve1"), values(fake, 100, "qemu", "pve2")
    plan = res.plan(prior, wanted, wanted, b"")
    assert [(d.severity, d.detail) for d in plan.diagnostics] == [
        ("error", "pve2: is offline: qemu/100 cannot migrate to it; bring pve2 online, or leave the VM on pve1")]
    applied = res.apply(prior, wanted, wanted, b"")
    assert applied.new_state == prior and applied.diagnostics[0].summary == "Guest migration refused"
    assert fake.state.guests[100].node == "pve1"


def test_a_new_placement_of_a_guest_not_yet_created_plans_cleanly_and_removal_forgets_it(
        fake: FakeCluster, res: ResourceType) -> None:
    wanted = values(fake, 100, "qemu", "pve1", id=None)
    plan = res.plan(None, wanted, wanted, b"")
    assert plan.diagnostics == [] and plan.planned_state["id"] == "qemu/100"
    fake.add_guest("pve1", 100)
    assert res.apply(values(fake, 100, "qemu", "pve1"), None, None, b"").new_state is None
    assert fake.state.guests[100].node == "pve1", "forgetting the placement leaves the guest"
