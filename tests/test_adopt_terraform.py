"""The first plan after `pvecdk import` imports and changes nothing: the pvecdk/pvecdk resources of an adopted
cluster (membership, Ceph daemons, OSDs, CephFS, RBD and CephFS storage), planned by real Terraform (embedded)
with our provider against the fake cluster."""

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


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeCluster, dict[str, Any], Path]]:
    root = tmp_path_factory.mktemp("adopt-tf")
    with shapes.shape(3) as fake:
        shapes.add_ceph(fake)
        out = root / "lab.py"
        adopt(fake.endpoint("pve1"), out, node_endpoints=shapes.node_endpoints(fake, 3),
              client_factory=shapes.client_factory(fake))
        config, errors, _ = build_stack(out.read_text(), "LabStack", "lab")
        assert config is not None and errors == []
        yield fake, pvecdk_only(config), root


def test_first_plan_imports_every_pvecdk_resource_and_changes_nothing(
        adopted: tuple[FakeCluster, dict[str, Any], Path]) -> None:
    fake, config, root = adopted
    env = {"PROXMOX_VE_API_TOKEN": shapes.TOKEN, "PVECDK_CA_FILE": str(fake.ca_file),
           "PROXMOX_VE_ENDPOINT": fake.endpoint("pve1"), "PVECDK_TIMEOUT_SECONDS": "5"}
    before = sorted((r.method, r.path) for r in fake.requests if r.method != "GET")
    with terraform_env(root, env):
        workspace = Workspace(root, plugin_dir(root))
        workspace.write(config)
        changes = workspace.resource_changes()
    kinds = sorted({c["type"] for c in changes})
    assert kinds == ["pvecdk_ceph", "pvecdk_ceph_fs", "pvecdk_ceph_manager", "pvecdk_ceph_mds", "pvecdk_ceph_monitor",
                     "pvecdk_ceph_osd", "pvecdk_cluster", "pvecdk_storage"]
    assert len(changes) == 1 + 1 + 3 + 3 + 3 + 2 + 1 + 2 == len(config["import"])
    not_imported = [c["address"] for c in changes if "importing" not in c["change"]]
    assert not_imported == []
    changed = {c["address"]: (c["change"]["actions"], c["change"]["before"], c["change"]["after"])
               for c in changes if c["change"]["actions"] != ["no-op"]}
    assert changed == {}, "the first plan after import changes nothing"
    after = sorted((r.method, r.path) for r in fake.requests if r.method != "GET")
    assert after == before, "a plan writes nothing to the cluster"
