"""Where the two sides of a diff come from: a synthesis of a git revision and of the working tree, two
synthesized output directories, or a Terraform plan (``terraform show -json``) read as is."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pvecdk.diff.changes import ResourceChange, StackDiff, attribute_changes, cluster_changes
from pvecdk.diff.topology import read_topology
from pvecdk.errors import PvecdkError

__all__ = ["base_revision", "load_outdir", "plan_diffs", "revision_label", "run_app"]


def run_app(app_dir: Path, outdir: Path, *, quiet: bool = False) -> None:
    """Run the app command of ``app_dir/cdktf.json`` with this Python, writing into ``outdir`` (its output to
    standard error when ``quiet``: a report on standard output stays clean)."""
    if not (app_dir / "cdktf.json").is_file():
        raise PvecdkError(f"no cdktf.json in {app_dir} to synthesize from (give --app-dir, the app's directory)")
    config = json.loads((app_dir / "cdktf.json").read_text())
    command = shlex.split(config.get("app", "python3 main.py"))
    if command and Path(command[0]).name.startswith("python"):
        command[0] = sys.executable
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir.resolve())}
    subprocess.run(command, cwd=app_dir, env=env, check=True, stdout=sys.stderr if quiet else None)


def load_outdir(outdir: Path) -> dict[str, dict[str, Any]]:
    """Every stack the last synthesis into ``outdir`` wrote, as parsed ``cdk.tf.json``."""
    from pvecdk.validate import synthesized_stacks

    files, problems = synthesized_stacks(outdir)
    errors = [str(p) for p in problems if p.severity == "error"]
    if errors:
        raise PvecdkError(f"{outdir}: " + "; ".join(errors))
    hcl = sorted(n for n, p in files.items() if p.suffix != ".json")
    if hcl:
        raise PvecdkError(f"{outdir}: {', '.join(hcl)} synthesized as HCL; diff reads cdk.tf.json (synthesize "
                          "without --hcl)")
    return {name: json.loads(path.read_text()) for name, path in files.items()}


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise PvecdkError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'}")
    return done.stdout.strip()


def revision_label(app_dir: Path, ref: str) -> str:
    """``ref`` with its short commit id, for the report's title."""
    short = _git(app_dir, "rev-parse", "--short", f"{ref}^{{commit}}")
    return ref if ref.startswith(short) else f"{ref} ({short})"


@contextmanager
def base_revision(app_dir: Path, ref: str) -> Iterator[Path]:
    """The app directory as it is at ``ref``, checked out in a temporary git worktree (removed afterwards)."""
    root = Path(_git(app_dir, "rev-parse", "--show-toplevel"))
    relative = app_dir.resolve().relative_to(root.resolve())
    _git(app_dir, "rev-parse", "--verify", f"{ref}^{{commit}}")
    with tempfile.TemporaryDirectory(prefix="pvecdk-diff-") as tmp:
        tree = Path(tmp) / "base"
        _git(root, "worktree", "add", "--detach", "--quiet", str(tree), ref)
        try:
            yield tree / relative
        finally:
            _git(root, "worktree", "remove", "--force", str(tree))


def _pseudo_config(changes: list[Mapping[str, Any]], side: str) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {}
    for rc in changes:
        value = (rc.get("change") or {}).get(side)
        if isinstance(value, Mapping):
            name = str(rc["address"]).split(".", 1)[1] if "." in str(rc["address"]) else str(rc["name"])
            out.setdefault(str(rc["type"]), {})[name] = dict(value)
    return {"resource": out}


def _action(actions: list[str]) -> str | None:
    if actions in (["delete", "create"], ["create", "delete"]):
        return "replace"
    if actions == ["no-op"] or actions == ["read"] or not actions:
        return None
    return actions[0]


def plan_diffs(plan: Mapping[str, Any], stack: str = "plan", source: str = "plan") -> StackDiff:
    """A Terraform plan (the JSON of ``terraform show -json PLANFILE``) as one stack's diff: Terraform's
    actions, its replace paths, its sensitive marks; the topology of the resources' states before and after."""
    if "resource_changes" not in plan and "planned_values" not in plan:
        raise PvecdkError("not a Terraform plan: no resource_changes (write it with terraform show -json PLANFILE)")
    changes = [rc for rc in plan.get("resource_changes") or [] if rc.get("mode", "managed") == "managed"]
    base, head = _pseudo_config(changes, "before"), _pseudo_config(changes, "after")
    resources = []
    for rc in changes:
        change = rc.get("change") or {}
        action = _action(list(change.get("actions") or []))
        if action is None:
            continue
        paths = tuple(".".join(str(p) for p in path if isinstance(p, str))
                      for path in change.get("replace_paths") or [])
        marks = (change.get("before_sensitive"), change.get("after_sensitive"))
        resources.append(ResourceChange(str(rc["address"]), str(rc["type"]), "", action, attribute_changes(
            str(rc["type"]), change.get("before"), change.get("after"), paths, marks=marks), paths))
    before, after = read_topology(base), read_topology(head)
    return StackDiff(stack, before, after, resources, cluster_changes(before, after, resources), source)
