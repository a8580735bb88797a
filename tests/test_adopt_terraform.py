"""The first plan after `pvecdk import` imports and changes nothing: the pvecdk/pvecdk resources of an adopted
cluster (membership, Ceph packages, daemons, OSDs, CephFS, RBD and CephFS storage, guest placements, the
QDevice), planned by real Terraform (embedded) with our provider against the fake cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import adopt_shapes as shapes
import pytest
from fakepve import FakeCluster
from pvecdk.adopt.adopt import adopt, build_stack
from tfrun import Workspace, plugin_dir, terraform_env


def pvecdk_only(config: dict[str, Any]) -> dict[str, Any]:
    """The stack's pvecdk_* resources and their import blocks (bpg/proxmox cannot run here)."""
    kept = {t: items for t, items in config["resource"].items() if t.startswith("pvecdk_")}
    for items in kept.values():
        for attrs in items.values():
            deps = [d for d in attrs.get("depends_on", []) if d.split(".")[0].startswith("pvecdk_")]
            attrs.pop("depends_on", None)
            if deps:
                attrs["depends_on"] = deps
    required = config["terraform"]["required_providers"]
    return {"terraform": {"required_providers": {"pvecdk": required["pvecdk"]}},
            "provider": {"pvecdk": config["provider"]["pvecdk"]}, "resource": kept,
            "import": [b for b in config["import"] if b["to"].startswith("pvecdk_")]}


def plan(fake: FakeCluster, config: dict[str, Any], root: Path) -> list[dict[str, Any]]:
    """The resource changes of the first plan; asserts it imports every resource and writes nothing."""
    # No PROXMOX_VE_ENDPOINT: the module gives bpg/proxmox its endpoint, and every pvecdk import id names its own.
    env = {"PROXMOX_VE_API_TOKEN": shapes.TOKEN, "PVECDK_CA_FILE": str(fake.ca_file), "PVECDK_TIMEOUT_SECONDS": "5"}
    before = sorted((r.method, r.path) for r in fake.requests if r.method != "GET")
    with terraform_env(root, env):
        workspace = Workspace(root, plugin_dir(root))
        workspace.write(config)
        changes = workspace.resource_changes()
    assert len(changes) == len(config["import"])
    not_imported = [c["address"] for c in changes if "importing" not in c["change"]]
    assert not_imported == []
    changed = {c["address"]: (c["change"]["actions"], {k: (v, c["change"]["after"].get(k))
                                                       for k, v in c["change"]["before"].items()
                                                       if c["change"]["after"].get(k) != v})
               for c in changes if c["change"]["actions"] != ["no-op"]}
    assert changed == {}, "the first plan after import changes nothing"
    after = sorted((r.method, r.path) for r in fake.requests if r.method != "GET")
    assert after == before, "a plan writes nothing to the cluster"
    return changes


def adopted_config(fake: FakeCluster, root: Path, count: int) -> dict[str, Any]:
    out = root / "lab.py"
    adopt(fake.endpoint("pve1"), out, node_endpoints=shapes.node_endpoints(fake, count),
          client_factory=shapes.client_factory(fake))
    config, errors, _ = build_stack(out.read_text(), "LabStack", "lab")
    assert config is not None and errors == []
    return pvecdk_only(config)


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeCluster, dict[str, Any], Path]]:
    root = tmp_path_factory.mktemp("adopt-tf")
    with shapes.shape(3) as fake:
        shapes.add_ceph(fake)
        shapes.add_vm(fake, "pve2", 100, "web1", storage="vm-pool")
        shapes.add_container(fake, "pve3", 200, "dns1")
        yield fake, adopted_config(fake, root, 3), root


def test_first_plan_imports_every_pvecdk_resource_and_changes_nothing(
        adopted: tuple[FakeCluster, dict[str, Any], Path]) -> None:
    fake, config, root = adopted
    changes = plan(fake, config, root)
    kinds = sorted({c["type"] for c in changes})
    assert kinds == ["pvecdk_ceph", "pvecdk_ceph_fs", "pvecdk_ceph_manager", "pvecdk_ceph_mds", "pvecdk_ceph_monitor",
                     "pvecdk_ceph_osd", "pvecdk_ceph_packages", "pvecdk_cluster", "pvecdk_guest_placement",
                     "pvecdk_storage"]
    assert len(changes) == 1 + 1 + 1 + 3 + 3 + 3 + 2 + 1 + 2 + 2
    state = {c["type"] + ":" + str(c["change"]["after"].get("vm_id")): c["change"]["after"] for c in changes}
    # What the import recorded is what the cluster reports: where each guest runs, each node's Ceph version.
    assert state["pvecdk_guest_placement:100"]["node_name"] == "pve2"
    assert state["pvecdk_guest_placement:200"]["node_name"] == "pve3"
    assert state["pvecdk_guest_placement:200"]["guest_address"].startswith("proxmox_virtual_environment_container.")
    assert state["pvecdk_ceph_packages:None"]["installed"] == {"pve1": "19.2.3", "pve2": "19.2.3", "pve3": "19.2.3"}


def test_a_qdevice_and_a_guest_under_ha_import_without_change(tmp_path: Path) -> None:
    with shapes.shape(2) as fake:
        fake.set_inventory("/cluster/config/qdevice", {"QNetd host": "192.168.1.5:5403", "State": "Connected"})
        shapes.add_nfs(fake)
        shapes.add_vm(fake, "pve2", 100, "web1", storage="nfs")
        fake.add_ha_resource("vm:100")
        config = adopted_config(fake, tmp_path, 2)
        changes = plan(fake, config, tmp_path)
    after = {c["type"]: c["change"]["after"] for c in changes}
    assert sorted(after) == ["pvecdk_cluster", "pvecdk_guest_placement", "pvecdk_qdevice"]
    assert after["pvecdk_qdevice"]["host"] == "192.168.1.5" and after["pvecdk_qdevice"]["state"] == "Connected"
    # No key in the model: none is pinned by the import (nothing connected); the first apply that connects pins it.
    assert {n["host_key"] for n in after["pvecdk_qdevice"]["node"].values()} == {None}
    assert after["pvecdk_guest_placement"]["ha_managed"] is True
