"""No secret given to pvecdk ends up in a synthesized file, a snapshot or an error message."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from built_stacks import secret_stack
from pvecdk import ConfigError, _cdk
from pvecdk.bpg import provider

from stacks import STACKS

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {
    "PROXMOX_VE_API_TOKEN": "root@pam!ci=6f1d3a52-secret-token",
    "PROXMOX_VE_PASSWORD": "s3cret-root-password",
}


def scan(paths: list[Path]) -> list[str]:
    hits = []
    for path in paths:
        text = path.read_text(errors="replace")
        hits += [f"{path}: {name}" for name, value in SECRETS.items() if value in text]
    return hits


def test_no_secret_in_synthesized_files_or_snapshots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    app = _cdk.App(outdir=str(tmp_path / "out"))
    for name, factory in {**STACKS, "secrets": secret_stack}.items():
        factory(app, name)
    app.synth()
    hcl = _cdk.Testing.synth_hcl(secret_stack(_cdk.Testing.app(), "hcl"))
    (tmp_path / "out" / "secrets.tf").write_text(hcl)
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    snapshots = [p for p in (ROOT / "tests" / "__snapshots__").rglob("*") if p.is_file()]
    assert len(written) >= 3 and snapshots
    assert scan(written + snapshots) == []
    assert os.environ["PROXMOX_VE_API_TOKEN"] == SECRETS["PROXMOX_VE_API_TOKEN"], "the check had a secret to find"


@pytest.mark.parametrize("attribute", ["api_token", "password", "auth_ticket", "csrf_prevention_token"])
def test_rejects_literal_provider_secrets(stack: Any, attribute: str) -> None:
    value = SECRETS["PROXMOX_VE_PASSWORD"]
    with pytest.raises(ConfigError) as excinfo:
        provider.ProxmoxProvider(stack, "pve", **{attribute: value})
    assert [p.field for p in excinfo.value.problems] == [attribute]
    assert value not in str(excinfo.value)
    assert [c.node.id for c in stack.node.children] == []


def test_struct_repr_hides_secrets() -> None:
    ssh = provider.ProxmoxProviderSsh(private_key="-----BEGIN OPENSSH PRIVATE KEY-----", username="root")
    assert "BEGIN" not in repr(ssh) and "private_key=<hidden>" in repr(ssh)
