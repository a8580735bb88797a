"""A guest whose node changes is migrated, never replaced: synthesized stacks, real Terraform, our provider
against the fake cluster, and the bpg stub planning replacements where bpg/proxmox 0.111.1 would.

The guide's promise, checked at every layer: the bpg guest resources ignore ``node_name`` (so bpg never
replaces a container, or reads an HA relocation as drift), and the guest's ``pvecdk_guest_placement`` plans an
in-place update that migrates it (a running VM online, a running container in restart mode). A guest under HA
stays where HA put it. The same plan without the lifecycle rule shows the container replaced: the check can fail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakepve import FakeCluster
from pvecdk import Container, Disk, Storage, Vm, _cdk
from pvecdk.bpg import provider
from pvecdk.validate import BPG_REPLACE_FACTS
from tfrun import Workspace, fake_lab, lab_cluster, plugin_dir, provider_env, terraform_env

ADDRESSES = {f"pve{i}": f"10.0.0.{10 + i}" for i in range(1, 4)}
GUEST_TYPES = ("proxmox_virtual_environment_vm", "proxmox_virtual_environment_container")
TEMPLATE = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
#: VMID -> (kind, under HA)
GUESTS = {100: ("qemu", False), 200: ("lxc", False), 300: ("qemu", True)}


def synthesize(fake: FakeCluster, placement: dict[int, str], outdir: Path) -> dict[str, Any]:
    app = _cdk.App(outdir=str(outdir))
    stack = _cdk.TerraformStack(app, "moves")
    provider.ProxmoxProvider(stack, "proxmox")
    nodes = lab_cluster(stack, fake, ADDRESSES, list(ADDRESSES))
    rbd = Storage.from_id(stack, "ceph-vm", storage_type="rbd", content=["images", "rootdir"])
    for vmid, node in placement.items():
        kind, ha = GUESTS[vmid]
        if kind == "qemu":
            Vm(stack, f"vm-{vmid}", node=nodes[node], vm_id=vmid, disks=[Disk(rbd)], ha=ha or None)
        else:
            Container(stack, f"ct-{vmid}", node=nodes[node], vm_id=vmid, template=TEMPLATE, disk=Disk(rbd))
    app.synth()
    data: dict[str, Any] = json.loads((outdir / "stacks" / "moves" / "cdk.tf.json").read_text())
    return data


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCluster]:
    with fake_lab(ADDRESSES) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def workspace(fake: FakeCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("moves")
    with terraform_env(root, provider_env(fake)):
        yield Workspace(root, plugin_dir(root, replacements=True))


def nodes_of(fake: FakeCluster) -> dict[int, str]:
    return {vmid: g.node for vmid, g in sorted(fake.state.guests.items())}


def migrations(fake: FakeCluster) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(r.path, r.params.get("target"), r.params.get("online"), r.params.get("restart"))
            for r in fake.requests if r.method == "POST" and r.path.endswith("/migrate")]


def by_type(changes: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        out.setdefault(change["type"], []).append(change)
    return out


def test_the_bpg_guests_ignore_every_node_name_bpg_would_replace_them_for(tmp_path: Path) -> None:
    # bpg's own facts: a container is replaced when node_name changes; a VM unless migrate is set.
    facts = json.loads(BPG_REPLACE_FACTS.read_text())["resources"]
    assert facts["proxmox_virtual_environment_container"]["node_name"] == "always"
    assert facts["proxmox_virtual_environment_vm"]["node_name"] == "conditional"
    with fake_lab(ADDRESSES) as fake:
        config = synthesize(fake, {100: "pve1", 200: "pve2", 300: "pve3"}, tmp_path)
    for tf_type in GUEST_TYPES:
        for guest in config["resource"][tf_type].values():
            replaced_for = {p for p in facts[tf_type] if p.split(".")[0] == "node_name"}
            assert replaced_for and replaced_for <= set(guest["lifecycle"]["ignore_changes"])
    placements = {p["vm_id"]: p for p in config["resource"]["pvecdk_guest_placement"].values()}
    assert {vmid: (p["type"], p["node_name"], p.get("ha_managed")) for vmid, p in placements.items()} == {
        100: ("qemu", "pve1", None), 200: ("lxc", "pve2", None), 300: ("qemu", "pve3", True)}
    assert all(sorted(p["endpoints"]) == list(ADDRESSES) for p in placements.values())


def test_a_changed_node_plans_migrations_and_no_replacement_then_applies_them(
        fake: FakeCluster, workspace: Workspace, tmp_path: Path) -> None:
    workspace.write(synthesize(fake, {}, tmp_path / "cluster"))
    assert workspace.apply() == (0, [])  # the cluster forms
    # What the bpg resources create (the stub creates nothing): the guests, running, one under HA.
    for vmid, node in ((100, "pve1"), (200, "pve2"), (300, "pve3")):
        fake.add_guest(node, vmid, GUESTS[vmid][0])
    fake.add_ha_resource("vm:300")
    workspace.write(synthesize(fake, {100: "pve1", 200: "pve2", 300: "pve3"}, tmp_path / "before"))
    assert workspace.apply() == (0, [])
    assert migrations(fake) == [] and nodes_of(fake) == {100: "pve1", 200: "pve2", 300: "pve3"}

    moved = synthesize(fake, {100: "pve2", 200: "pve3", 300: "pve1"}, tmp_path / "after")
    workspace.write(moved)
    changes = by_type(workspace.resource_changes())
    assert [c["address"] for cs in changes.values() for c in cs if "delete" in c["change"]["actions"]] == []
    for tf_type in GUEST_TYPES:
        assert {c["change"]["actions"][0] for c in changes[tf_type]} == {"no-op"}, tf_type
    placements = {c["change"]["after"]["vm_id"]: c["change"] for c in changes["pvecdk_guest_placement"]}
    assert {vmid: (c["actions"], c["before"]["node_name"], c["after"]["node_name"])
            for vmid, c in placements.items()} == {
        100: (["update"], "pve1", "pve2"), 200: (["update"], "pve2", "pve3"), 300: (["update"], "pve3", "pve1")}

    # The control: without the lifecycle rule, the same plan replaces the container (bpg's ForceNew).
    control = json.loads(json.dumps(moved))
    for container in control["resource"]["proxmox_virtual_environment_container"].values():
        del container["lifecycle"]
    workspace.write(control)
    (container,) = by_type(workspace.resource_changes())["proxmox_virtual_environment_container"]
    assert sorted(container["change"]["actions"]) == ["create", "delete"]
    assert container["action_reason"] == "replace_because_cannot_update"

    workspace.write(moved)
    assert workspace.apply() == (0, [])
    # The VM migrated online, the container in restart mode (Terraform runs both at once, in either order); the
    # HA guest stayed where HA keeps it.
    assert sorted(migrations(fake)) == [("/nodes/pve1/qemu/100/migrate", "pve2", "1", None),
                                ("/nodes/pve2/lxc/200/migrate", "pve3", None, "1")]
    assert nodes_of(fake) == {100: "pve2", 200: "pve3", 300: "pve3"}
    code, changes_left, errors = workspace.plan()
    assert (code, errors) == (0, []), changes_left


def test_an_ha_relocation_is_not_drift_and_a_move_by_hand_is_migrated_back(
        fake: FakeCluster, workspace: Workspace) -> None:
    before = len(migrations(fake))
    fake.relocate_guest(300, "pve2")  # HA recovered it on pve2
    code, changes, errors = workspace.plan()
    assert (code, errors, changes) == (0, [], [])
    fake.relocate_guest(100, "pve3")  # someone migrated it by hand
    (change,) = [c for c in workspace.resource_changes() if c["change"]["actions"] != ["no-op"]]
    assert (change["type"], change["change"]["actions"]) == ("pvecdk_guest_placement", ["update"])
    assert (change["change"]["before"]["node_name"], change["change"]["after"]["node_name"]) == ("pve3", "pve2")
    assert workspace.apply() == (0, [])
    assert migrations(fake)[before:] == [("/nodes/pve3/qemu/100/migrate", "pve2", "1", None)]
    assert nodes_of(fake) == {100: "pve2", 200: "pve3", 300: "pve2"}
