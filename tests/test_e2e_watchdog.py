"""End to end: ``cluster.ha.use_watchdog`` of a synthesized stack, through real Terraform, our provider, the
fake cluster and a real sshd per node (``cat`` and ``sh`` acting on the node's own ``/etc/default``).

Applied, each node's file names the module (its comments kept) and Terraform shows the reboot warning; a
second plan is empty; taking the call out of the model removes the lines again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakepve import FakeCluster
from pvecdk import Cluster, SshAccess, _cdk
from pvecdk.bpg import provider
from sshd import PVE_HA_MANAGER_DEFAULT, Sshds
from tfrun import Workspace, fake_lab, plugin_dir, provider_env, terraform_env

ADDRESSES = {"pve1": "10.0.0.11", "pve2": "10.0.0.12"}


def synthesize(fake: FakeCluster, sshds: Sshds, outdir: Path, module: str | None) -> dict[str, Any]:
    app = _cdk.App(outdir=str(outdir))
    stack = _cdk.TerraformStack(app, "e2e")
    provider.ProxmoxProvider(stack, "proxmox")
    cluster = Cluster(stack, "Cluster", name="lab", management_network="192.168.1.0/24",
                      cluster_network="10.0.0.0/24", firewall=False)
    for name in ADDRESSES:
        i = int(name.removeprefix("pve"))
        cluster.add_node(name, node_id=i, management_interface="eno1", management_address=f"192.168.1.{10 + i}",
                         cluster_address=ADDRESSES[name], cluster_interface="eno2", endpoint=fake.endpoint(name),
                         ssh=SshAccess(address="127.0.0.1", port=sshds.nodes[name].port))
    if module is not None:
        cluster.ha.use_watchdog(module)
    app.synth()
    data: dict[str, Any] = json.loads((outdir / "stacks" / "e2e" / "cdk.tf.json").read_text())
    return data


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCluster]:
    with fake_lab(ADDRESSES) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def sshds(fake: FakeCluster) -> Iterator[Sshds]:
    with Sshds(fake, list(ADDRESSES)) as servers:
        yield servers


@pytest.fixture(scope="module")
def workspace(fake: FakeCluster, sshds: Sshds, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("e2e-watchdog")
    with terraform_env(root, {**provider_env(fake), **sshds.env()}):
        yield Workspace(root, plugin_dir(root))


def _apply(workspace: Workspace) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    """(exit code, errors, warnings)."""
    result = workspace.cli.apply(auto_approve=True, input=False, lock=False)
    messages = result.value if isinstance(result.value, list) else []
    diags = [m["diagnostic"] for m in messages if m.get("type") == "diagnostic"]
    return (result.retcode, [d for d in diags if d.get("severity") == "error"],
            [d for d in diags if d.get("severity") == "warning"])


def _files(sshds: Sshds) -> dict[str, str]:
    return {n: (s.etc_default / "pve-ha-manager").read_text() for n, s in sshds.nodes.items()}


def test_the_module_is_configured_converges_and_is_removed_with_the_model(
        fake: FakeCluster, sshds: Sshds, workspace: Workspace, tmp_path: Path) -> None:
    workspace.write(synthesize(fake, sshds, tmp_path / "on", "iTCO_wdt"))
    code, errors, warnings = _apply(workspace)
    assert (code, errors) == (0, [])
    assert _files(sshds) == {n: PVE_HA_MANAGER_DEFAULT + "WATCHDOG_MODULE=iTCO_wdt\n" for n in ADDRESSES}
    (reboot,) = [w for w in warnings if w["summary"] == "Reboot needed for the HA watchdog module"]
    assert reboot["detail"].startswith("pve1, pve2: the iTCO_wdt watchdog module")
    writes = {n: s.sh_runs() for n, s in sshds.nodes.items()}
    assert writes == {"pve1": 1, "pve2": 1}
    code, changes, errors = workspace.plan()
    assert (code, errors, changes) == (0, [], [])

    workspace.write(synthesize(fake, sshds, tmp_path / "off", None))
    code, errors, warnings = _apply(workspace)
    assert (code, errors) == (0, [])
    assert _files(sshds) == {n: PVE_HA_MANAGER_DEFAULT for n in ADDRESSES}
    assert any(w["summary"] == "Reboot needed for the HA watchdog module" for w in warnings)
    assert not [r for r in workspace.state()["resources"] if r["type"] == "pvecdk_ha_watchdog"]
