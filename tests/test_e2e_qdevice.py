"""End to end: the QDevice of a synthesized stack, through real Terraform, our provider, the fake cluster and a
real sshd per node whose ``pvecm`` acts on the fake.

Two nodes and a QDevice form; the host key used is pinned in the state (with a warning); a second plan is
empty. Growing to four nodes replaces the QDevice around the joins (PVE refuses a join while one is configured):
removed first, set up again after, in one apply. A QDevice removed behind Terraform's back is set up again; a
changed host key is refused; a QDevice PVE has but the model does not stops a join at plan time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakepve import FakeCluster
from pvecdk import Cluster, QDevice, SshAccess, _cdk
from pvecdk.bpg import provider
from sshd import Sshds
from tfrun import Workspace, plugin_dir, terraform_env

ADDRESSES = {f"pve{i}": f"10.0.0.{10 + i}" for i in range(1, 5)}
QNETD = "10.0.0.5"


def synthesize(fake: FakeCluster, sshds: Sshds, nodes: list[str], outdir: Path, *,
               qdevice: bool = True) -> dict[str, Any]:
    app = _cdk.App(outdir=str(outdir))
    stack = _cdk.TerraformStack(app, "e2e")
    provider.ProxmoxProvider(stack, "proxmox")
    cluster = Cluster(stack, "Cluster", name="lab", management_network="192.168.1.0/24",
                      cluster_network="10.0.0.0/24", firewall=False,
                      qdevice=QDevice(address=QNETD) if qdevice else None)
    for name in nodes:
        i = int(name.removeprefix("pve"))
        cluster.add_node(name, node_id=i, management_interface="eno1", management_address=f"192.168.1.{10 + i}",
                         cluster_address=ADDRESSES[name], cluster_interface="eno2",
                         endpoint=fake.endpoint(name),
                         ssh=SshAccess(address="127.0.0.1", port=sshds.nodes[name].port))
    app.synth()
    data: dict[str, Any] = json.loads((outdir / "stacks" / "e2e" / "cdk.tf.json").read_text())
    return data


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=ADDRESSES, version="9.1", root_password="s3cret-root", token_id="root@pam!pvecdk",
                     token_secret="11111111-2222-3333-4444-555555555555", task_seconds=0.05) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def sshds(fake: FakeCluster) -> Iterator[Sshds]:
    with Sshds(fake, list(ADDRESSES)) as servers:
        yield servers


@pytest.fixture(scope="module")
def workspace(fake: FakeCluster, sshds: Sshds, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("e2e-qdevice")
    env = {"PROXMOX_VE_API_TOKEN": "root@pam!pvecdk=11111111-2222-3333-4444-555555555555",
           "PVECDK_CA_FILE": str(fake.ca_file), "PVECDK_JOIN_PASSWORD": "s3cret-root",
           "PVECDK_TIMEOUT_SECONDS": "5", **sshds.env()}
    with terraform_env(root, env):
        yield Workspace(root, plugin_dir(root))


def _apply(workspace: Workspace) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    """(exit code, errors, warnings)."""
    result = workspace.cli.apply(auto_approve=True, input=False, lock=False)
    messages = result.value if isinstance(result.value, list) else []
    diags = [m["diagnostic"] for m in messages if m.get("type") == "diagnostic"]
    return (result.retcode, [d for d in diags if d.get("severity") == "error"],
            [d for d in diags if d.get("severity") == "warning"])


def _qdevice_state(workspace: Workspace) -> dict[str, Any]:
    (resource,) = [r for r in workspace.state()["resources"] if r["type"] == "pvecdk_qdevice"]
    attributes: dict[str, Any] = resource["instances"][0]["attributes"]
    return attributes


def _ran(fake: FakeCluster, *prefix: str) -> int:
    return sum(1 for _, argv in fake.commands if argv[: len(prefix)] == prefix)


def test_two_nodes_and_a_qdevice_form_and_the_host_key_is_pinned(
        fake: FakeCluster, sshds: Sshds, workspace: Workspace, tmp_path: Path) -> None:
    workspace.write(synthesize(fake, sshds, ["pve1", "pve2"], tmp_path / "two"))
    code, errors, warnings = _apply(workspace)
    assert (code, errors) == (0, [])
    assert sorted(fake.state.members) == ["pve1", "pve2"] and fake.qdevice() == QNETD
    state = _qdevice_state(workspace)
    assert state["host"] == QNETD and state["state"] == "Connected"
    assert state["node"]["pve1"]["host_key"] == sshds.nodes["pve1"].host_key
    pinned = [w for w in warnings if w["summary"] == "Pinned the SSH host key of pve1"]
    assert pinned and "SHA256:" in pinned[0]["detail"]
    code, changes, errors = workspace.plan()
    assert (code, errors) == (0, []) and changes == []


def test_growing_to_four_nodes_removes_the_qdevice_first_and_sets_it_up_after(
        fake: FakeCluster, sshds: Sshds, workspace: Workspace, tmp_path: Path) -> None:
    workspace.write(synthesize(fake, sshds, ["pve1", "pve2", "pve3", "pve4"], tmp_path / "four"))
    actions = {c["type"]: c["change"]["actions"] for c in workspace.resource_changes()
               if c["type"].startswith("pvecdk_") and c["change"]["actions"] != ["no-op"]}
    assert actions == {"pvecdk_cluster": ["update"], "pvecdk_qdevice": ["delete", "create"]}
    code, errors, _ = _apply(workspace)
    assert (code, errors) == (0, [])
    assert sorted(fake.state.members) == ["pve1", "pve2", "pve3", "pve4"]
    assert fake.qdevice() == QNETD and fake.state.quorate
    assert (_ran(fake, "pvecm", "qdevice", "remove"), _ran(fake, "pvecm", "qdevice", "setup")) == (1, 2)
    code, changes, errors = workspace.plan()
    assert (code, errors, changes) == (0, [], [])


def test_a_qdevice_removed_behind_terraforms_back_is_set_up_again(
        fake: FakeCluster, sshds: Sshds, workspace: Workspace) -> None:
    from pvecdk.engine.client import Client, Credentials, TlsSettings
    from pvecdk.engine.qdevice import remove_qdevice
    from pvecdk.engine.shell import SshCredentials, SshHost, SshShell

    hosts = {n: SshHost("127.0.0.1", s.port) for n, s in sshds.nodes.items()}
    with Client({n: fake.endpoint(n) for n in ADDRESSES},
                Credentials.from_token("root@pam!pvecdk=11111111-2222-3333-4444-555555555555"),
                TlsSettings(ca_file=fake.ca_file)) as client, \
            SshShell(hosts, SshCredentials(sshds.user, private_key=sshds.private_key)) as shell:
        remove_qdevice(client, shell, sorted(ADDRESSES), cluster="lab")
    assert fake.qdevice() is None
    code, changes, errors = workspace.plan()
    assert code == 2 and errors == []
    code, errors, _ = _apply(workspace)
    assert (code, errors) == (0, []) and fake.qdevice() == QNETD


def test_a_changed_host_key_is_refused_and_the_pinned_key_kept(
        fake: FakeCluster, sshds: Sshds, workspace: Workspace) -> None:
    from pvecdk.engine.client import Client, Credentials, TlsSettings
    from pvecdk.engine.qdevice import remove_qdevice
    from pvecdk.engine.shell import SshCredentials, SshHost, SshShell

    pinned = _qdevice_state(workspace)["node"]["pve1"]["host_key"]
    # Removed out of band (through pve2), so the next apply must run a setup, on pve1, whose key then changed.
    with Client({"pve2": fake.endpoint("pve2")},
                Credentials.from_token("root@pam!pvecdk=11111111-2222-3333-4444-555555555555"),
                TlsSettings(ca_file=fake.ca_file)) as client, \
            SshShell({"pve2": SshHost("127.0.0.1", sshds.nodes["pve2"].port)},
                     SshCredentials(sshds.user, private_key=sshds.private_key)) as shell:
        remove_qdevice(client, shell, ["pve2"], cluster="lab")
    sshds.nodes["pve1"].new_host_key()
    before = len(fake.commands)
    code, errors, _ = _apply(workspace)
    assert code == 1
    (error,) = [e for e in errors if e["summary"] == "QDevice setup failed"]
    assert "pve1: SSH host key of 127.0.0.1" in error["detail"] and "changed" in error["detail"]
    assert fake.qdevice() is None and len(fake.commands) == before  # nothing ran on pve1
    assert _qdevice_state(workspace)["node"]["pve1"]["host_key"] == pinned


def test_a_qdevice_the_model_lacks_stops_a_membership_change_at_plan_time(
        fake: FakeCluster, sshds: Sshds, tmp_path: Path) -> None:
    from pvecdk.engine.client import Client, Credentials, TlsSettings
    from pvecdk.engine.qdevice import set_up_qdevice
    from pvecdk.engine.shell import SshCredentials, SshHost, SshShell

    with Client({n: fake.endpoint(n) for n in ADDRESSES},
                Credentials.from_token("root@pam!pvecdk=11111111-2222-3333-4444-555555555555"),
                TlsSettings(ca_file=fake.ca_file)) as client, \
            SshShell({"pve2": SshHost("127.0.0.1", sshds.nodes["pve2"].port)},
                     SshCredentials(sshds.user, private_key=sshds.private_key)) as shell:
        set_up_qdevice(client, shell, ["pve2"], cluster="lab", host=QNETD)
    # A checkout that does not model the QDevice (a fresh state) and removes pve4.
    workspace = Workspace(tmp_path, plugin_dir(tmp_path))
    workspace.write(synthesize(fake, sshds, ["pve1", "pve2", "pve3"], tmp_path / "unmodelled", qdevice=False))
    code, _changes, errors = workspace.plan()
    assert code == 1
    details = [e["detail"] for e in errors if e["summary"] == "Unsafe cluster change refused"]
    assert any("has a QDevice on 10.0.0.5, and PVE adds or removes nodes only without one" in d for d in details)
    assert sorted(fake.state.members) == ["pve1", "pve2", "pve3", "pve4"] and fake.qdevice() == QNETD
