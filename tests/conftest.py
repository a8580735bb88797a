"""Shared fixtures: synthesizing stacks into a temporary directory, and normalised JSON snapshots."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pvecdk import _cdk
from syrupy.extensions.json import JSONSnapshotExtension

ROOT = Path(__file__).resolve().parent.parent


def normalise(config: dict[str, Any]) -> dict[str, Any]:
    """Replace what changes between machines and runtimes: absolute paths and the CDK's version."""
    text = json.dumps(config, sort_keys=True)
    text = text.replace(str(ROOT), "<root>")
    text = re.sub(r'"version": "\d+\.\d+\.\d+"(?=, "stackName"|\})', '"version": "<cdk-version>"', text)
    data: dict[str, Any] = json.loads(text)
    meta = data.get("//", {}).get("metadata")
    if isinstance(meta, dict) and "version" in meta:
        meta["version"] = "<cdk-version>"
    backend = data.get("terraform", {}).get("backend", {}).get("local")
    if isinstance(backend, dict) and "path" in backend:
        backend["path"] = "<outdir>/" + Path(backend["path"]).name
    return data


@pytest.fixture
def snapshot_json(snapshot: Any) -> Any:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.fixture
def synth(tmp_path: Path) -> Callable[[Callable[[Any, str], Any], str], dict[str, Any]]:
    """Build one stack in a fresh app writing to a temporary directory; return its parsed ``cdk.tf.json``."""

    def run(factory: Callable[[Any, str], Any], name: str = "test") -> dict[str, Any]:
        app = _cdk.App(outdir=str(tmp_path / "cdktf.out"))
        factory(app, name)
        app.synth()
        path = tmp_path / "cdktf.out" / "stacks" / name / "cdk.tf.json"
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    return run


@pytest.fixture
def stack() -> Any:
    """An empty stack in a testing app (not written anywhere)."""
    app = _cdk.Testing.app()
    return _cdk.TerraformStack(app, "test")
