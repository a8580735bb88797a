"""End to end: ``cluster.manage_links()`` of a synthesized stack, through real Terraform, our provider, the fake
cluster and a real sshd per node (whose ``cat`` and ``mv`` of /etc/pve/corosync.conf act on the fake cluster).

A 3-node cluster formed with one link gets link1 on the storage network: the fake's API shows it in
``/cluster/config/nodes`` and ``/cluster/config/totem``, config_version one higher, and a second apply writes
nothing; taking the link out of the model removes it again. Faults: the connection dropping as the file moves,
a changed host key (refused), the ``mv`` failing half-way; each reported, and the next apply converges. A links
change beside a join is refused at plan time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakepve import CommandFault, FakeCluster
from pvecdk import Cluster, CorosyncLink, NetworkRole, SshAccess, _cdk
from pvecdk.bpg import provider
from sshd import Sshds
from tfrun import ROOT_PASSWORD, TOKEN_ID, TOKEN_SECRET, Workspace, plugin_dir, provider_env, terraform_env

NODES = {f"pve{i}": (f"10.0.0.1{i}", f"10.1.0.1{i}") for i in (1, 2, 3, 4)}
MEMBERS = ["pve1", "pve2", "pve3"]
LINK0 = [CorosyncLink(NetworkRole.CLUSTER)]
BOTH = [CorosyncLink(NetworkRole.CLUSTER), CorosyncLink(NetworkRole.STORAGE, priority=10)]


def synthesize(fake: FakeCluster, sshds: Sshds, outdir: Path, links: list[CorosyncLink], *,
               members: list[str] = MEMBERS, keys: dict[str, str] | None = None) -> dict[str, Any]:
    app = _cdk.App(outdir=str(outdir))
    stack = _cdk.TerraformStack(app, "e2e")
    provider.ProxmoxProvider(stack, "proxmox")
    cluster = Cluster(stack, "Cluster", name="lab", management_network="192.168.1.0/24",
                      cluster_network="10.0.0.0/24", storage_network="10.1.0.0/24", links=links, firewall=False)
    for name in members:
        i = int(name.removeprefix("pve"))
        cluster.add_node(name, node_id=i, management_interface="eno1", management_address=f"192.168.1.{10 + i}",
                         cluster_address=NODES[name][0], cluster_interface="eno2", storage_address=NODES[name][1],
                         storage_interface="eno3", endpoint=fake.endpoint(name),
                         ssh=SshAccess(address="127.0.0.1", port=sshds.nodes[name].port,
                                       host_key=(keys or {}).get(name)))
    cluster.manage_links()
    app.synth()
    data: dict[str, Any] = json.loads((outdir / "stacks" / "e2e" / "cdk.tf.json").read_text())
    return data


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=NODES, version="9.1", root_password=ROOT_PASSWORD, token_id=TOKEN_ID,
                     token_secret=TOKEN_SECRET, task_seconds=0.05) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def sshds(fake: FakeCluster) -> Iterator[Sshds]:
    with Sshds(fake, list(NODES)) as servers:
        yield servers


@pytest.fixture(scope="module")
def workspace(fake: FakeCluster, sshds: Sshds, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("e2e-corosync")
    with terraform_env(root, {**provider_env(fake), **sshds.env()}):
        yield Workspace(root, plugin_dir(root))


def _apply(workspace: Workspace) -> tuple[int, list[dict[str, Any]]]:
    """(exit code, error diagnostics)."""
    result = workspace.cli.apply(auto_approve=True, input=False, lock=False)
    messages = result.value if isinstance(result.value, list) else []
    return result.retcode, [m["diagnostic"] for m in messages if m.get("type") == "diagnostic"
                            and m["diagnostic"].get("severity") == "error"]


def _moves(fake: FakeCluster) -> int:
    return sum(1 for _, argv in fake.commands if argv[:1] == ("mv",))



def _api(fake: FakeCluster) -> tuple[str, dict[str, Any], dict[str, list[str]]]:
    from pvecdk.engine.client import Client, Credentials, TlsSettings

    with Client({"pve2": fake.endpoint("pve2")}, Credentials(token_id=TOKEN_ID, token_secret=TOKEN_SECRET),
                TlsSettings(ca_file=fake.ca_file)) as client:
        totem = client.get("pve2", "/cluster/config/totem")
        nodes = {e["node"]: [e[k] for k in sorted(e) if k.startswith("ring")]
                 for e in client.get("pve2", "/cluster/config/nodes")}
    return totem["config_version"], totem["interface"], nodes


def _applied(workspace: Workspace) -> None:
    code, errors = _apply(workspace)
    assert (code, errors) == (0, [])
    code, changes, errors = workspace.plan()
    assert (code, errors, changes) == (0, [], [])


def test_link1_is_added_then_removed_and_a_rerun_writes_nothing(
        fake: FakeCluster, sshds: Sshds, workspace: Workspace, tmp_path: Path) -> None:
    workspace.write(synthesize(fake, sshds, tmp_path / "one", LINK0))
    _applied(workspace)  # formed through the API with link0; the file already says so: not written
    assert _moves(fake) == 0
    version, _, nodes = _api(fake)
    assert nodes == {n: [NODES[n][0]] for n in MEMBERS}

    workspace.write(synthesize(fake, sshds, tmp_path / "two", BOTH))
    code, changes, errors = workspace.plan()
    assert errors == [] and {c["resource"]["resource_type"] for c in changes} == {"pvecdk_cluster",
                                                                                   "pvecdk_corosync_links"}
    _applied(workspace)
    assert _api(fake) == (str(int(version) + 1), {"0": {"linknumber": "0", "knet_link_priority": "0"},
                                                  "1": {"linknumber": "1", "knet_link_priority": "10"}},
                          {n: list(NODES[n]) for n in MEMBERS})
    assert _moves(fake) == 1
    _applied(workspace)  # a second apply: nothing planned, nothing written
    assert _moves(fake) == 1 and _api(fake)[0] == str(int(version) + 1)
    (links,) = [r for r in workspace.state()["resources"] if r["type"] == "pvecdk_corosync_links"]
    assert links["instances"][0]["attributes"]["config_version"] == int(version) + 1

    workspace.write(synthesize(fake, sshds, tmp_path / "back", LINK0))
    _applied(workspace)
    assert _api(fake)[1:] == ({"0": {"linknumber": "0", "knet_link_priority": "0"}},
                              {n: [NODES[n][0]] for n in MEMBERS})
    assert _moves(fake) == 2


def test_a_dropped_connection_as_the_file_moves_is_reported_and_the_rerun_converges(
        fake: FakeCluster, sshds: Sshds, workspace: Workspace, tmp_path: Path) -> None:
    moves = _moves(fake)
    fake.command_fault(["mv"], CommandFault.DROP_AFTER)
    workspace.write(synthesize(fake, sshds, tmp_path / "two", BOTH))
    code, errors = _apply(workspace)
    assert code != 0 and [e["summary"] for e in errors] == ["Corosync links not changed"]
    assert "it may have run: run again" in errors[0]["detail"]
    _applied(workspace)
    assert _api(fake)[2] == {n: list(NODES[n]) for n in MEMBERS}
    assert _moves(fake) == moves + 1  # the dropped move took effect; the rerun read it and wrote nothing


def test_a_changed_host_key_is_refused_and_converges_with_the_new_key(
        fake: FakeCluster, sshds: Sshds, workspace: Workspace, tmp_path: Path) -> None:
    ran = len(fake.commands)
    new_key = sshds.nodes["pve1"].new_host_key()
    workspace.write(synthesize(fake, sshds, tmp_path / "one", LINK0))
    code, errors = _apply(workspace)
    assert code != 0 and [e["summary"] for e in errors] == ["Corosync links not changed"]
    assert "host key" in errors[0]["detail"].lower() and "pve1" in errors[0]["detail"]
    assert len(fake.commands) == ran  # nothing was sent
    assert _api(fake)[2] == {n: list(NODES[n]) for n in MEMBERS}
    workspace.write(synthesize(fake, sshds, tmp_path / "key", LINK0, keys={"pve1": new_key}))
    _applied(workspace)
    assert _api(fake)[2] == {n: [NODES[n][0]] for n in MEMBERS}


def test_the_move_failing_half_way_is_reported_and_the_rerun_converges(
        fake: FakeCluster, sshds: Sshds, workspace: Workspace, tmp_path: Path) -> None:
    keys = {"pve1": sshds.nodes["pve1"].host_key}
    version = _api(fake)[0]
    fake.command_fault(["mv"], CommandFault.FAIL_HALFWAY)
    workspace.write(synthesize(fake, sshds, tmp_path / "two", BOTH, keys=keys))
    code, errors = _apply(workspace)
    assert code != 0 and [e["summary"] for e in errors] == ["Corosync links not changed"]
    assert "Device or resource busy" in errors[0]["detail"] and "(add link1)" in errors[0]["detail"]
    assert _api(fake)[0] == version
    _applied(workspace)
    assert _api(fake) == (str(int(version) + 1), {"0": {"linknumber": "0", "knet_link_priority": "0"},
                                                  "1": {"linknumber": "1", "knet_link_priority": "10"}},
                          {n: list(NODES[n]) for n in MEMBERS})


def test_a_links_change_beside_a_join_is_refused_at_plan_time(
        fake: FakeCluster, sshds: Sshds, workspace: Workspace, tmp_path: Path) -> None:
    keys = {"pve1": sshds.nodes["pve1"].host_key}
    moves = _moves(fake)
    workspace.write(synthesize(fake, sshds, tmp_path / "join", LINK0, members=[*MEMBERS, "pve4"], keys=keys))
    code, _, errors = workspace.plan()
    assert code == 1 and [e["summary"] for e in errors] == ["Unsafe cluster change refused"]
    assert "links change in the same run as a join or removal" in errors[0]["detail"]
    assert _moves(fake) == moves and "pve4" not in _api(fake)[2]
