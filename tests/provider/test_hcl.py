"""Every pvecdk/pvecdk resource type from hand-written HCL, through the standalone Terraform path.

Terraform as a user runs it without cdktf (init with -plugin-dir, validate, plan, apply, plan again) against the
fake cluster: every optional argument left out, the cluster's link blocks built by ``dynamic`` and its member
map by a ``for`` expression over a variable (both unknown while validating), values that come from other
resources. Then each resource is imported again and a plan of the same configuration is empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakepve import FakeCluster
from tfrun import Workspace, plugin_dir, terraform_env

TOKEN = "root@pam!pvecdk=11111111-2222-3333-4444-555555555555"
NODES = ("pve1", "pve2", "pve3")
ADDRESSES = {n: f"10.0.0.{10 + int(n[3:])}" for n in NODES}

#: Optional arguments are all left out; the cluster's link blocks are built by `dynamic`.
CONFIG = """
terraform {
  required_providers {
    pvecdk = { source = "pvecdk/pvecdk", version = "0.1.0" }
  }
}

variable "nodes" {
  type = map(object({ node_id = number, address = string, endpoint = string }))
}

variable "links" {
  type = list(string)
}

provider "pvecdk" {
  endpoint = var.nodes["pve1"].endpoint
}

resource "pvecdk_cluster" "lab" {
  name = "lab"
  dynamic "link" {
    for_each = var.links
    content {}
  }
  member = {
    for name, node in var.nodes : name => {
      node_id   = node.node_id
      addresses = [node.address]
      endpoint  = node.endpoint
    }
  }
}

resource "pvecdk_ceph" "ceph" {
  node_name  = "pve1"
  endpoint   = pvecdk_cluster.lab.member["pve1"].endpoint
  network    = "10.0.0.0/24"
  depends_on = [pvecdk_cluster.lab]
}

resource "pvecdk_ceph_monitor" "mon" {
  for_each   = var.nodes
  node_name  = each.key
  endpoint   = each.value.endpoint
  depends_on = [pvecdk_ceph.ceph]
}

resource "pvecdk_ceph_manager" "mgr" {
  node_name  = "pve1"
  endpoint   = var.nodes["pve1"].endpoint
  depends_on = [pvecdk_ceph_monitor.mon]
}

resource "pvecdk_ceph_osd" "osd" {
  for_each   = var.nodes
  node_name  = each.key
  endpoint   = each.value.endpoint
  device     = "/dev/sdb"
  depends_on = [pvecdk_ceph_manager.mgr]
}

resource "pvecdk_ceph_mds" "mds" {
  node_name  = "pve1"
  endpoint   = var.nodes["pve1"].endpoint
  depends_on = [pvecdk_ceph_osd.osd]
}

resource "pvecdk_ceph_fs" "fs" {
  node_name  = "pve1"
  endpoint   = var.nodes["pve1"].endpoint
  name       = "cephfs"
  depends_on = [pvecdk_ceph_mds.mds]
}

resource "pvecdk_storage" "cephfs" {
  id       = "cephfs"
  type     = "cephfs"
  endpoint = var.nodes["pve1"].endpoint
  # Known only once the file system exists: planned unknown, checked at apply.
  options = { "fs-name" = pvecdk_ceph_fs.fs.id }
}
"""


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=ADDRESSES, version="9.1", root_password="s3cret-root", token_id="root@pam!pvecdk",
                     token_secret="11111111-2222-3333-4444-555555555555", task_seconds=0.02) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def workspace(fake: FakeCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("hcl")
    env = {"PROXMOX_VE_API_TOKEN": TOKEN, "PVECDK_CA_FILE": str(fake.ca_file), "PVECDK_JOIN_PASSWORD": "s3cret-root",
           "PVECDK_TIMEOUT_SECONDS": "5"}
    with terraform_env(root, env):
        space = Workspace(root, plugin_dir(root))
        space.write_hcl(CONFIG, variables(fake))
        yield space


def variables(fake: FakeCluster) -> dict[str, Any]:
    return {"links": ["link0"],
            "nodes": {n: {"node_id": int(n[3:]), "address": ADDRESSES[n], "endpoint": fake.endpoint(n)}
                      for n in NODES}}


def problems(diagnostics: list[dict[str, Any]]) -> list[str]:
    return [f"{d.get('address')}: {d['summary']}: {d.get('detail')}" for d in diagnostics]


def changes(plan: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(c["resource"]["addr"], c["action"]) for c in plan if c.get("action") not in (None, "no-op")]


def resources(workspace: Workspace) -> dict[str, dict[str, Any]]:
    out = {}
    for r in workspace.state()["resources"]:
        for instance in r["instances"]:
            key = instance.get("index_key")
            address = f"{r['type']}.{r['name']}" + (f'["{key}"]' if key is not None else "")
            out[address] = instance["attributes"]
    return out


def test_validate_accepts_unknown_blocks_and_values(workspace: Workspace) -> None:
    code, diagnostics = workspace.validate()
    assert (code, [(d["summary"], d.get("detail")) for d in diagnostics]) == (0, [])


def test_plan_apply_and_plan_again_without_changes(workspace: Workspace, fake: FakeCluster) -> None:
    code, planned, errors = workspace.plan()
    assert not problems(errors), problems(errors)
    assert code == 2
    assert {a for a, action in changes(planned) if action == "create"} >= {
        "pvecdk_cluster.lab", "pvecdk_ceph.ceph", 'pvecdk_ceph_osd.osd["pve3"]', "pvecdk_storage.cephfs"}
    code, errors = workspace.apply()
    assert (code, problems(errors)) == (0, [])
    assert sorted(fake.state.members) == list(NODES)
    state = resources(workspace)
    cluster = state["pvecdk_cluster.lab"]
    # Optional arguments left out are read back from the cluster: PVE's defaults, known after apply.
    assert cluster["fencing"] == "watchdog" and cluster["pve_version"] == "9.1"
    assert cluster["link"] == [{"priority": 0}], "the default priority, as corosync.conf now holds it"
    assert {n: (m["votes"], m["online"]) for n, m in cluster["member"].items()} == dict.fromkeys(NODES, (1, True))
    assert state["pvecdk_storage.cephfs"]["options"] == {"fs-name": "cephfs"}
    assert isinstance(state["pvecdk_storage.cephfs"]["content"], list), "PVE's default content is read back"
    assert state["pvecdk_ceph_mds.mds"]["name"] == "pve1"
    code, planned, errors = workspace.plan()
    assert not problems(errors), problems(errors)
    assert (code, changes(planned)) == (0, [])


IMPORTS = {
    "pvecdk_cluster.lab": lambda f: "lab," + ",".join(f"{n}={f.endpoint(n)}" for n in NODES),
    "pvecdk_ceph.ceph": lambda f: "pve1",
    'pvecdk_ceph_monitor.mon["pve2"]': lambda f: f"pve2@{f.endpoint('pve2')}",
    "pvecdk_ceph_manager.mgr": lambda f: "pve1",
    'pvecdk_ceph_osd.osd["pve3"]': lambda f: f"pve3:/dev/sdb@{f.endpoint('pve3')}",
    "pvecdk_ceph_mds.mds": lambda f: "pve1",
    "pvecdk_ceph_fs.fs": lambda f: "cephfs",
    "pvecdk_storage.cephfs": lambda f: "cephfs",
}


@pytest.mark.parametrize("address", list(IMPORTS))
def test_import_round_trips(workspace: Workspace, fake: FakeCluster, address: str) -> None:
    before = resources(workspace)[address]
    code, output = workspace.import_resource(address, IMPORTS[address](fake))
    assert code == 0, output
    after = resources(workspace)[address]
    assert {k: v for k, v in after.items() if v != before[k]} == {}, "import reads back what apply recorded"
    code, planned, errors = workspace.plan()
    assert not problems(errors), problems(errors)
    assert (code, changes(planned)) == (0, [])


def test_the_configuration_leaves_every_optional_argument_out() -> None:
    assert 'dynamic "link"' in CONFIG and "votes" not in CONFIG and "priority" not in CONFIG
