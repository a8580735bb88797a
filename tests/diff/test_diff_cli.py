"""`pvecdk diff` and `pvecdk graph` as a user runs them: in a fresh repo from `pvecdk init`, under git, with the
change not committed yet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pvecdk.diff.render import MARKER
from pvecdk.init import init_project

PVECDK = str(Path(sys.executable).parent / "pvecdk")
GIT = ["git", "-c", "user.email=ci@example.org", "-c", "user.name=ci"]


@pytest.fixture(scope="module")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("repo") / "infra"
    init_project(repo, requirement="pvecdk")
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*GIT, "-C", str(repo), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(repo), "commit", "-qm", "three nodes"], check=True)
    cluster = repo / "stacks" / "cluster.py"
    three = 'NODES = {"pve1": 11, "pve2": 12, "pve3": 13}'
    assert three in cluster.read_text()
    cluster.write_text(cluster.read_text().replace(three, 'NODES = {"pve1": 11, "pve2": 12}'))
    return repo


def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PVECDK, *args], cwd=repo, capture_output=True, text=True, timeout=600)


def test_node_removal_against_main_fails_the_gate(infra: Path) -> None:
    done = run(infra, "diff", "--base", "main", "--format", "markdown", "--fail-on", "high")
    assert done.returncode == 1, done.stderr
    report = done.stdout
    assert report.startswith(MARKER) and "## pvecdk diff: `main (" in report
    assert "| 🔴 | high | cluster | pve-cluster | 2 votes, quorum 2: losing any node stops the cluster |" in report
    assert "pve3 leaves (1 vote); 3 votes, quorum 2, 1 failure tolerated -> 2 votes, quorum 2, 0 failures" in report
    assert "class n_pve3 removed" in report
    assert "resources ->" not in report  # synthesis talks on standard error, the report alone on standard output
    assert "2 flag(s), highest high" in done.stderr
    worktrees = subprocess.run(["git", "-C", str(infra), "worktree", "list"], capture_output=True, text=True)
    assert len(worktrees.stdout.splitlines()) == 1  # the base's worktree is gone
    unknown = run(infra, "diff", "--base", "main", "--stack", "nope")
    assert unknown.returncode == 2 and "no stack named nope on either side; have cluster" in unknown.stderr


def test_offline_plan_through_terraform(infra: Path) -> None:
    done = run(infra, "diff", "--base", "main", "--offline-plan", "--format", "json")
    assert done.returncode == 0, done.stderr  # no --fail-on: a report, not a gate
    report = json.loads(done.stdout)
    assert report["source"] == "offline-plan"
    assert report["summary"] == {"create": 0, "update": 3, "replace": 0, "delete": 4}
    assert {f["rule"] for f in report["flags"]} == {"no-failure-tolerated", "even-votes"}


def test_usage_errors(infra: Path) -> None:
    assert run(infra, "diff").returncode == 2
    done = run(infra, "diff", "--base", "no-such-ref")
    assert done.returncode == 2 and "no-such-ref" in done.stderr


def test_graph_draws_the_current_topology(infra: Path) -> None:
    done = run(infra, "graph", "--synth", "--format", "mermaid")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("flowchart LR\n")
    assert 'n_pve1["pve1<br/>1 vote"]' in done.stdout and "n_pve3" not in done.stdout
    assert "classDef" not in done.stdout  # nothing to mark in a picture of one revision


def test_base_without_the_app_compares_with_nothing(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    (tmp_path / "README.md").write_text("infra\n")
    subprocess.run([*GIT, "-C", str(tmp_path), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(tmp_path), "commit", "-qm", "empty"], check=True)
    init_project(tmp_path / "infra", requirement="pvecdk")
    done = run(tmp_path / "infra", "diff", "--base", "main", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "main has no cdktf.json in .: comparing with nothing" in done.stderr
    report = json.loads(done.stdout)
    assert report["notes"] == ["stack cluster is new"] and report["summary"]["delete"] == 0
    assert report["summary"]["create"] > 10 and {c["summary"][:15] for s in report["stacks"] for c in s["changes"]
                                                 if c["group"] == "node"} >= {"pve1 joins with"}


def test_bad_sources_say_what_to_give(tmp_path: Path) -> None:
    missing = run(tmp_path, "diff", "--plan", "plan.json")
    assert missing.returncode == 2 and "--plan plan.json: not readable as JSON" in missing.stderr
    assert "terraform show -json PLANFILE > FILE" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "plan.json").write_text("Terraform will perform the following actions:\n")
    assert "not readable as JSON" in run(tmp_path, "diff", "--plan", "plan.json").stderr
    both = run(tmp_path, "diff", "--plan", "plan.json", "--base", "main")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    offline = run(tmp_path, "diff", "--plan", "plan.json", "--offline-plan")
    assert offline.returncode == 2 and "--plan is read as is" in offline.stderr
    graph = run(tmp_path, "graph")
    assert graph.returncode == 2 and "no cdktf.json in . to synthesize from (give --app-dir" in graph.stderr
    assert "Traceback" not in graph.stderr
