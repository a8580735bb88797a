"""End to end: Ceph from nothing to an RBD storage on the fake cluster, with real Terraform and our provider.

The stack is written from the L1 classes (init, monitors, a manager, OSDs, bpg's pool, RBD storage), chained
with depends_on in the order Ceph needs. Plan, apply, and a second plan is empty; a crash after a step is
followed by a rerun that converges; destroying an OSD is refused at plan time; a monitor removed behind
Terraform's back is created again; storage and daemons are imported through the provider's endpoint.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakepve import FakeCluster, Fault
from pvecdk import _cdk
from pvecdk.bpg import ceph_pool
from pvecdk.bpg import provider as bpg_provider
from pvecdk.engine import Client, Credentials, TlsSettings, read_ceph, read_storage
from pvecdk.provider import ceph, ceph_fs, ceph_manager, ceph_mds, ceph_monitor, ceph_osd, storage
from pvecdk.provider import provider as pvecdk_provider
from tfrun import Workspace, plugin_dir, terraform_env

TOKEN = "root@pam!pvecdk=11111111-2222-3333-4444-555555555555"
NODES = ("pve1", "pve2", "pve3")
ADDRESSES = {n: f"10.0.0.{10 + int(n[3:])}" for n in NODES}
KEYRING = "AQBzZWNyZXQta2V5cmluZy1mb3ItdGhlLWV4dGVybmFsLWNlcGg="


def synthesize(fake: FakeCluster, outdir: Path, *, osd_nodes: tuple[str, ...] = NODES, cephfs: bool = False,
               external: bool = False) -> dict[str, Any]:
    app = _cdk.App(outdir=str(outdir))
    stack = _cdk.TerraformStack(app, "ceph")
    bpg_provider.ProxmoxProvider(stack, "proxmox", endpoint=fake.endpoint("pve1"))
    pvecdk_provider.PvecdkProvider(stack, "pvecdk")

    def at(node: str) -> dict[str, str]:
        return {"node_name": node, "endpoint": fake.endpoint(node)}

    init = ceph.Ceph(stack, "Ceph", network="10.0.0.0/24", **at("pve1"))
    mons = [ceph_monitor.CephMonitor(stack, f"Mon-{n}", depends_on=[init], **at(n)) for n in NODES]
    mgr = ceph_manager.CephManager(stack, "Mgr-pve1", depends_on=mons, **at("pve1"))
    osds = [ceph_osd.CephOsd(stack, f"Osd-{n}-sdb", device="/dev/sdb", depends_on=[mgr], **at(n))
            for n in osd_nodes]
    pool = ceph_pool.CephPool(stack, "Pool", name="vm-pool", node_name="pve1", size=3, min_size=2, pg_num=32,
                              depends_on=osds)
    storage.Storage(stack, "Rbd", id="vm-pool", type="rbd", endpoint=fake.endpoint("pve1"),
                    content=["images", "rootdir"], options={"pool": "vm-pool", "krbd": "0"}, pve_version="9.1",
                    depends_on=[pool])
    if cephfs:
        mds = ceph_mds.CephMds(stack, "Mds-pve1", depends_on=[mgr], **at("pve1"))
        ceph_fs.CephFs(stack, "Fs", name="cephfs", pg_num=32, depends_on=[mds], **at("pve1"))
    if external:
        keyring = _cdk.TerraformVariable(stack, "ceph_keyring", type="string", sensitive=True)
        storage.Storage(stack, "External", id="ext-rbd", type="rbd", endpoint=fake.endpoint("pve1"),
                        content=["images"], options={"pool": "rbd", "monhost": "10.9.0.1 10.9.0.2"},
                        keyring=keyring.string_value, pve_version="9.1")
    app.synth()
    data: dict[str, Any] = json.loads((outdir / "stacks" / "ceph" / "cdk.tf.json").read_text())
    return data


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=ADDRESSES, version="9.1", token_id="root@pam!pvecdk",
                     token_secret="11111111-2222-3333-4444-555555555555", task_seconds=0.02) as cluster:
        cluster.form_cluster("lab", members=NODES)
        yield cluster


@pytest.fixture(scope="module")
def workspace(fake: FakeCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("e2e-ceph")
    env = {"PROXMOX_VE_API_TOKEN": TOKEN, "PVECDK_CA_FILE": fake.ca_file, "PVECDK_TIMEOUT_SECONDS": "5",
           "TF_VAR_ceph_keyring": KEYRING}
    with terraform_env(root, env):
        yield Workspace(root, plugin_dir(root))


def client(fake: FakeCluster, node: str = "pve1") -> Client:
    return Client({node: fake.endpoint(node)}, Credentials.from_token(TOKEN), TlsSettings(ca_file=fake.ca_file))


def effective(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in changes if c.get("action") not in (None, "no-op")]


def test_from_nothing_to_rbd_storage_then_plans_nothing(fake: FakeCluster, workspace: Workspace,
                                                        tmp_path: Path) -> None:
    workspace.write(synthesize(fake, tmp_path / "base"))
    code, changes, errors = workspace.plan()
    assert (code, errors) == (2, [])
    planned = sorted(c["resource"]["resource_type"] for c in changes if c["action"] == "create")
    assert planned == ["proxmox_ceph_pool", "pvecdk_ceph", "pvecdk_ceph_manager", *["pvecdk_ceph_monitor"] * 3,
                       *["pvecdk_ceph_osd"] * 3, "pvecdk_storage"]
    code, errors = workspace.apply()
    assert (code, errors) == (0, [])
    with client(fake) as c:
        live = read_ceph(c, "pve1")
        rbd = read_storage(c, "pve1", "vm-pool")
    # PVE adds a manager with the first monitor when there is none, so pve1's may not be the only one.
    assert live.initialised and sorted(live.monitors) == list(NODES) and "pve1" in live.managers
    assert len(live.osds) == 3
    assert rbd is not None and rbd.type == "rbd" and rbd.options["pool"] == "vm-pool"

    code, changes, errors = workspace.plan()
    assert (code, errors) == (0, []), effective(changes)
    assert effective(changes) == []


def test_a_crash_after_a_step_then_a_rerun_converges(fake: FakeCluster, workspace: Workspace,
                                                     tmp_path: Path) -> None:
    workspace.write(synthesize(fake, tmp_path / "fs", cephfs=True))
    # The metadata server is created but the answer never arrives: the apply stops there, like a crash.
    fake.fault("pve1", Fault.DROP, path="/nodes/pve1/ceph/mds/pve1", method="POST", after=True)
    code, errors = workspace.apply()
    assert code == 1 and any("Run the apply again" in e.get("detail", "") for e in errors), errors
    with client(fake) as c:
        assert "pve1" in read_ceph(c, "pve1").mds and "cephfs" not in read_ceph(c, "pve1").filesystems
    code, errors = workspace.apply()
    assert (code, errors) == (0, [])
    with client(fake) as c:
        assert "cephfs" in read_ceph(c, "pve1").filesystems
    code, changes, errors = workspace.plan()
    assert (code, errors, effective(changes)) == (0, [], [])


def test_destroying_an_osd_is_refused_at_plan_time(fake: FakeCluster, workspace: Workspace, tmp_path: Path) -> None:
    workspace.write(synthesize(fake, tmp_path / "fewer", osd_nodes=("pve1", "pve2"), cephfs=True))
    code, _changes, errors = workspace.plan()
    assert code == 1
    assert any("on pve3:/dev/sdb wipes the data it holds; set allow_destroy = true" in e.get("detail", "")
               for e in errors), errors
    with client(fake) as c:
        assert len(read_ceph(c, "pve1").osds) == 3, "nothing was destroyed"


def test_a_monitor_removed_out_of_band_is_planned_again(fake: FakeCluster, workspace: Workspace,
                                                        tmp_path: Path) -> None:
    workspace.write(synthesize(fake, tmp_path / "drift", cephfs=True))
    with client(fake, "pve3") as c:
        c.wait_task("pve3", c.delete("pve3", "/nodes/pve3/ceph/mon/pve3"))
    code, changes, errors = workspace.plan()
    assert (code, errors) == (2, [])
    # Terraform reports the drift (the monitor is gone) and plans its creation.
    monitors = sorted((c["resource"]["addr"], c["action"]) for c in effective(changes)
                      if c["resource"]["resource_type"] == "pvecdk_ceph_monitor")
    assert monitors == [("pvecdk_ceph_monitor.Mon-pve3", "create"), ("pvecdk_ceph_monitor.Mon-pve3", "delete")]
    code, errors = workspace.apply()
    assert (code, errors) == (0, [])
    with client(fake) as c:
        assert "pve3" in read_ceph(c, "pve1").monitors


def test_the_keyring_stays_out_of_plans_and_errors(fake: FakeCluster, workspace: Workspace, tmp_path: Path) -> None:
    workspace.write(synthesize(fake, tmp_path / "ext", cephfs=True, external=True))
    result = workspace.cli.plan(input=False, lock=False, detailed_exitcode=True)
    assert result.retcode == 2 and KEYRING not in json.dumps(result.value)
    code, errors = workspace.apply()
    assert (code, errors) == (0, [])
    with client(fake) as c:
        assert read_storage(c, "pve1", "ext-rbd") is not None
    state = json.loads((workspace.dir / "terraform.tfstate").read_text())
    (ext,) = [r for r in state["resources"] if r["type"] == "pvecdk_storage" and r["name"] == "External"]
    assert {"type": "get_attr", "value": "keyring"} in ext["instances"][0]["sensitive_attributes"][0] or any(
        "keyring" in json.dumps(p) for p in ext["instances"][0]["sensitive_attributes"])


def test_import_adopts_storage_and_a_monitor(fake: FakeCluster, workspace: Workspace, tmp_path: Path) -> None:
    workspace.write(synthesize(fake, tmp_path / "import", cephfs=True, external=True))
    forgotten = workspace.cli.state_rm("pvecdk_storage.Rbd", "pvecdk_ceph_monitor.Mon-pve2", lock=False)
    assert forgotten.retcode == 0, forgotten.error
    for addr, node, id_ in (("pvecdk_storage.Rbd", "pve1", "vm-pool"), ("pvecdk_ceph_monitor.Mon-pve2", "pve2",
                                                                        "pve2")):
        os.environ["PROXMOX_VE_ENDPOINT"] = fake.endpoint(node)
        try:
            result = workspace.cli.import_resource(addr, id_, lock=False, check=False)
        finally:
            os.environ.pop("PROXMOX_VE_ENDPOINT", None)
        assert result.retcode == 0, result.error or result.value
    code, changes, errors = workspace.plan()
    assert errors == [] and code in (0, 2)
    assert {c["action"] for c in effective(changes)} <= {"update"}, effective(changes)
    writes = len([q for q in fake.requests if q.method != "GET"])
    code, errors = workspace.apply()
    assert (code, errors) == (0, [])
    assert len([q for q in fake.requests if q.method != "GET"]) == writes, "adopting changed nothing on PVE"


def test_the_constructs_form_a_cluster_with_ceph_and_rbd_storage(tmp_path: Path) -> None:
    """The same path from the L2 constructs: standalone nodes without Ceph's packages to a cluster with Ceph
    (installed over SSH first: init fails without them), a pool, RBD and CephFS."""
    from pvecdk import Cluster, SshAccess
    from sshd import Sshds

    with FakeCluster(nodes=ADDRESSES, token_id="root@pam!pvecdk", token_secret=TOKEN.split("=", 1)[1],
                     task_seconds=0.02, ceph_installed=False) as fake, Sshds(fake, list(NODES)) as sshds:
        app = _cdk.App(outdir=str(tmp_path / "out"))
        stack = _cdk.TerraformStack(app, "l2")
        bpg_provider.ProxmoxProvider(stack, "proxmox")
        cluster = Cluster(stack, "Cluster", name="lab", management_network="192.168.1.0/24",
                          cluster_network="10.0.0.0/24", firewall=False)
        nodes = [cluster.add_node(n, node_id=int(n[3:]), management_interface="eno1",
                                  management_address=f"192.168.1.{10 + int(n[3:])}", cluster_address=ADDRESSES[n],
                                  cluster_interface="eno2",
                                  endpoint=fake.endpoint(n),
                                  ssh=SshAccess(address="127.0.0.1", port=sshds.nodes[n].port)) for n in NODES]
        ceph_ = cluster.enable_ceph(public_network="10.0.0.0/24")
        for node in nodes:
            node.add_osd("/dev/sdb")
        ceph_.add_pool("vm-pool", pg_num=32).as_storage()
        ceph_.add_mds(nodes[0])
        ceph_.add_filesystem("cephfs", pg_num=32)
        app.synth()
        config = json.loads((tmp_path / "out" / "stacks" / "l2" / "cdk.tf.json").read_text())
        root = tmp_path / "tf"
        root.mkdir()
        env = {"PROXMOX_VE_API_TOKEN": TOKEN, "PVECDK_CA_FILE": fake.ca_file, "PVECDK_JOIN_PASSWORD": "s3cret-root",
               "PVECDK_TIMEOUT_SECONDS": "5", **sshds.env()}
        with terraform_env(root, env):
            ws = Workspace(root, plugin_dir(root))
            ws.write(config)
            code, errors = ws.apply()
            assert (code, errors) == (0, [])
            code, changes, errors = ws.plan()
            assert (code, errors, effective(changes)) == (0, [], [])
        assert sorted(fake.state.members) == list(NODES)
        assert {n: fake.ceph_packages(n) for n in NODES} == dict.fromkeys(NODES, "squid")
        assert sum(1 for _, argv in fake.commands if argv[:2] == ("pveceph", "install")) == 3
        view = fake.state.ceph
        assert view is not None and sorted(view.monitors) == list(NODES) and len(view.osds) == 3
        assert "cephfs" in view.filesystems and "vm-pool" in fake.state.storage
