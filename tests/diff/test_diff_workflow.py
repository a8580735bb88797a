"""The infra repo's pull-request workflow: runs `pvecdk diff --base` and keeps one comment per PR up to date."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import yaml
from pvecdk.cli import main
from pvecdk.diff.render import MARKER
from pvecdk.diff.risk import SEVERITIES
from pvecdk.init import init_project


def workflow(tmp_path: Path) -> dict[str, Any]:
    init_project(tmp_path / "infra")
    data: dict[str, Any] = yaml.safe_load((tmp_path / "infra" / ".github" / "workflows" / "diff.yml").read_text())
    return data


def test_runs_on_every_pull_request_with_history_and_write_access(tmp_path: Path) -> None:
    flow = workflow(tmp_path)
    assert list(flow[True]) == ["pull_request"]  # YAML 1.1 reads the key `on` as true
    assert flow["permissions"] == {"contents": "read", "pull-requests": "write", "issues": "write"}
    steps = flow["jobs"]["diff"]["steps"]
    assert steps[0] == {"uses": "actions/checkout@v4", "with": {"fetch-depth": 0}}


def test_diff_step_is_a_command_the_cli_accepts(tmp_path: Path) -> None:
    steps = {s.get("name", s.get("uses", "")): s for s in workflow(tmp_path)["jobs"]["diff"]["steps"]}
    command = shlex.split(steps["pvecdk diff"]["run"])
    assert command[:2] == [".venv/bin/pvecdk", "diff"] and steps["pvecdk diff"]["continue-on-error"] is True
    args = command[2:]
    assert args[args.index("--base") + 1] == "origin/${{ github.base_ref }}"
    assert args[args.index("--format") + 1] == "markdown" and "--json-output" in args and "--fail-on" in args
    # the same options parse: the CLI stops at the missing git repository (2), not at an unknown option
    args[args.index("--base") + 1] = "HEAD"
    assert main([*command[1:2], *args, "--app-dir", str(tmp_path / "infra")]) == 2
    assert steps["gate"]["if"] == "steps.diff.outcome == 'failure'"


def test_one_comment_per_pr_found_by_the_marker_and_a_severity_label(tmp_path: Path) -> None:
    steps = {s.get("name", ""): s for s in workflow(tmp_path)["jobs"]["diff"]["steps"]}
    step = steps["comment and label"]
    assert step["uses"] == "actions/github-script@v7" and step["if"].startswith("always()")
    script = step["with"]["script"]
    assert f"const marker = '{MARKER}';" in script and "c.body.startsWith(marker)" in script
    assert script.index("updateComment") < script.index("createComment")  # update when found, else post
    assert all(f"'risk: {s}'" in script for s in SEVERITIES) and "report.highest" in script
