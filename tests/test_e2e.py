"""End to end: a synthesized stack, real Terraform, our provider and the fake PVE cluster.

The cluster forms with 3 nodes, then grows to 5; a second plan is empty; a node removed behind Terraform's
back shows as drift; removing a node still online, or two nodes at once, is refused at plan time; a node
powered off is removed, and the next plan is empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakepve import FakeCluster
from pvecdk import _cdk
from pvecdk.bpg import provider
from tfrun import Workspace, fake_lab, lab_cluster, plugin_dir, provider_env, terraform_env

ADDRESSES = {f"pve{i}": f"10.0.0.{10 + i}" for i in range(1, 6)}


def synthesize(fake: FakeCluster, nodes: list[str], outdir: Path) -> dict[str, Any]:
    app = _cdk.App(outdir=str(outdir))
    stack = _cdk.TerraformStack(app, "e2e")
    provider.ProxmoxProvider(stack, "proxmox")
    lab_cluster(stack, fake, ADDRESSES, nodes)
    app.synth()
    data: dict[str, Any] = json.loads((outdir / "stacks" / "e2e" / "cdk.tf.json").read_text())
    return data


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCluster]:
    with fake_lab(ADDRESSES) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def workspace(fake: FakeCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("e2e")
    with terraform_env(root, provider_env(fake)):
        yield Workspace(root, plugin_dir(root))


def _members(fake: FakeCluster) -> list[str]:
    return sorted(fake.state.members)


def test_forms_three_then_five_then_plans_nothing(fake: FakeCluster, workspace: Workspace, tmp_path: Path) -> None:
    workspace.write(synthesize(fake, ["pve1", "pve2", "pve3"], tmp_path / "three"))
    code, changes, errors = workspace.plan()
    assert errors == [] and code == 2
    assert any(c["resource"]["resource_type"] == "pvecdk_cluster" and c["action"] == "create" for c in changes)
    code, errors = workspace.apply()
    assert (code, errors) == (0, [])
    assert fake.state.cluster_name == "lab" and _members(fake) == ["pve1", "pve2", "pve3"]
    assert fake.state.quorate

    workspace.write(synthesize(fake, [f"pve{i}" for i in range(1, 6)], tmp_path / "five"))
    code, errors = workspace.apply()
    assert (code, errors) == (0, [])
    assert _members(fake) == ["pve1", "pve2", "pve3", "pve4", "pve5"]
    assert {m.nodeid for m in fake.state.members.values()} == {1, 2, 3, 4, 5}

    changed = [(c["change"]["before"], c["change"]["after"]) for c in workspace.resource_changes()
               if c["change"]["actions"] != ["no-op"]]
    assert changed == []


def test_out_of_band_removal_shows_as_drift(fake: FakeCluster, workspace: Workspace) -> None:
    fake.remove_member_out_of_band("pve5")
    code, changes, errors = workspace.plan()
    assert errors == [] and code == 2
    cluster_changes = [c for c in changes if c["resource"]["resource_type"] == "pvecdk_cluster"]
    assert cluster_changes and {c["action"] for c in cluster_changes} <= {"update", "create"}
    code, errors = workspace.apply()  # converges: pve5 joins again
    assert (code, errors) == (0, [])
    assert "pve5" in fake.state.members


def test_removing_a_node_still_online_is_refused_at_plan_time_then_planned_once_it_is_off(
        fake: FakeCluster, workspace: Workspace, tmp_path: Path) -> None:
    workspace.write(synthesize(fake, ["pve1", "pve2", "pve4", "pve5"], tmp_path / "without-pve3"))
    code, _changes, errors = workspace.plan()
    assert code == 1
    assert [e["detail"].split(":")[0:2] for e in errors] == [["pve3", " is still online"]], errors
    assert "shut pve3 down" in errors[0]["detail"]
    fake.set_offline("pve3")
    (change,) = [c["change"] for c in workspace.resource_changes() if c["type"] == "pvecdk_cluster"]
    before, after = change["before"]["member"], change["after"]["member"]
    assert sorted(before) == ["pve1", "pve2", "pve3", "pve4", "pve5"]
    assert sorted(after) == ["pve1", "pve2", "pve4", "pve5"]
    # Keyed by name: pve4 and pve5 keep their ids and addresses; only pve3 goes.
    for name in after:
        assert {k: v for k, v in after[name].items() if k != "online"} == {
            k: v for k, v in before[name].items() if k != "online"}
    assert _members(fake) == ["pve1", "pve2", "pve3", "pve4", "pve5"], "a plan changes nothing"
    removals = [r for r in fake.requests if r.method == "DELETE"]
    assert removals == [], "neither plan sent a removal"


def test_two_removals_at_once_are_refused_at_plan_time(fake: FakeCluster, workspace: Workspace,
                                                       tmp_path: Path) -> None:
    fake.set_offline("pve4")
    fake.set_offline("pve5")
    try:
        workspace.write(synthesize(fake, ["pve1", "pve2"], tmp_path / "shrink"))
        code, _changes, errors = workspace.plan()
    finally:
        for node in ("pve4", "pve5"):
            fake.set_offline(node, False)
    assert code == 1
    assert any(e.get("detail", "").startswith("pve3, pve4, pve5: 3 removals at once") for e in errors), errors
    assert _members(fake) == ["pve1", "pve2", "pve3", "pve4", "pve5"], "nothing was removed"


def test_the_powered_off_node_is_removed_and_a_second_plan_is_empty(fake: FakeCluster, workspace: Workspace,
                                                                    tmp_path: Path) -> None:
    workspace.write(synthesize(fake, ["pve1", "pve2", "pve4", "pve5"], tmp_path / "without-pve3"))
    code, errors = workspace.apply()
    assert (code, errors) == (0, [])
    assert _members(fake) == ["pve1", "pve2", "pve4", "pve5"]
    assert [r.path for r in fake.requests if r.method == "DELETE"] == ["/cluster/config/nodes/pve3"]
    code, changes, errors = workspace.plan()
    assert (code, errors) == (0, []), changes


def test_no_secret_in_state(fake: FakeCluster, workspace: Workspace) -> None:
    state = (workspace.dir / "terraform.tfstate").read_text()
    assert "s3cret-root" not in state and "11111111-2222-3333-4444-555555555555" not in state
    assert '"name": "lab"' in state
