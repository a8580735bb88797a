"""The offline plan: every pair of the corpus through real Terraform (apply the base, plan the head), once, with
the providers served from this process. Terraform's actions must be the ones the report predicted, and the flags
read from Terraform's plan the ones the corpus expects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from diff_corpus import PAIRS, build
from pvecdk.cli import main
from pvecdk.diff import diff_configs, report_of
from pvecdk.diff.offline_plan import offline_plans
from pvecdk.diff.sources import plan_diffs


@pytest.fixture(scope="module")
def pairs() -> tuple[dict[str, Any], dict[str, Any]]:
    return ({name: build(base) for name, (base, _, _) in PAIRS.items()},
            {name: build(head) for name, (_, head, _) in PAIRS.items()})


@pytest.fixture(scope="module")
def plans(pairs: tuple[dict[str, Any], dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, dict[str, Any]]:
    workspace = tmp_path_factory.mktemp("plans")
    found = offline_plans(*pairs, workspace=workspace)
    # Terraform reattached to the providers of this process: it installed no provider, started no plugin
    assert not list(workspace.glob("*/.terraform/providers/**/terraform-provider-*"))
    return found


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_terraform_acts_as_predicted_and_raises_the_same_flags(
        name: str, pairs: tuple[dict[str, Any], dict[str, Any]], plans: dict[str, dict[str, Any]]) -> None:
    planned = plan_diffs(plans[name], name, "offline-plan")
    (predicted,) = diff_configs({name: pairs[0][name]}, {name: pairs[1][name]}).stacks
    assert {r.address: r.action for r in planned.resources} == {r.address: r.action for r in predicted.resources}
    assert {(f.severity, f.rule) for f in report_of([planned]).flags} == PAIRS[name][2]
    assert [c.summary for c in planned.changes if c.group != "access"] == [
        c.summary for c in predicted.changes if c.group != "access"]


def test_replacements_carry_terraforms_reasons(plans: dict[str, dict[str, Any]]) -> None:
    (moved,) = [rc for rc in plans["container-moved"]["resource_changes"]
                if rc["change"]["actions"] != ["no-op"]]
    assert moved["change"]["actions"] == ["delete", "create"] and moved["change"]["replace_paths"] == [["node_name"]]
    (vm,) = [rc for rc in plans["vm-moved"]["resource_changes"] if rc["change"]["actions"] != ["no-op"]]
    assert vm["change"]["actions"] == ["update"]  # migrate = true: moved in place


def test_live_plan_file_is_read_as_is(plans: dict[str, dict[str, Any]], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plans["storage-removed"]))
    assert main(["diff", "--plan", str(plan), "--format", "json", "--fail-on", "high"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["source"] == "plan" and report["highest"] == "high"
    assert {(f["severity"], f["rule"]) for f in report["flags"]} == PAIRS["storage-removed"][2]
    assert report["summary"]["delete"] == 2  # the NFS storage and the backup job
