"""Synthesize an app of stacks and report what was written."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pvecdk import _cdk

__all__ = ["StackReport", "count_resources", "lock_local_providers", "synth_app"]

StackFactory = Callable[[_cdk.Construct, str], _cdk.TerraformStack]


@dataclass(frozen=True)
class StackReport:
    """One synthesized stack: its name, how many resources and data sources it declares, and its file.

    ``notes`` holds each cluster's quorum summary and the policy's warnings, printed under the stack's line.
    """

    name: str
    resources: int
    data_sources: int
    path: Path
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        path = os.path.relpath(self.path) if self.path.is_absolute() else str(self.path)
        data = f", {self.data_sources} data sources" if self.data_sources else ""
        return "\n".join([f"{self.name}: {self.resources} resources{data} -> {path}",
                          *(f"  {note}" for note in self.notes)])


def count_resources(config: Mapping[str, object]) -> tuple[int, int]:
    """The number of resources and of data sources in a synthesized ``cdk.tf.json``."""

    def count(section: object) -> int:
        return sum(len(v) for v in section.values()) if isinstance(section, dict) else 0

    return count(config.get("resource")), count(config.get("data"))


def lock_local_providers(stack_dir: Path, config: Mapping[str, object]) -> None:
    """Record ``pvecdk/pvecdk`` in the stack's ``.terraform.lock.hcl`` when the stack requires it.

    The cdktf CLI runs ``terraform providers lock`` (which asks the public registry for every provider) when a
    stack has a provider its lock file lacks; pvecdk's is on no registry. Its launcher is the same everywhere,
    so its hash is known here (:mod:`pvecdk.local_provider`).
    """
    from pvecdk import local_provider

    terraform = config.get("terraform")
    required = terraform.get("required_providers", {}) if isinstance(terraform, dict) else {}
    for spec in required.values():
        source = str(spec.get("source", "")).removeprefix("registry.terraform.io/")
        if source == local_provider.SOURCE and spec.get("version"):
            local_provider.lock_provider(stack_dir / ".terraform.lock.hcl", str(spec["version"]))


def synth_app(stacks: Mapping[str, StackFactory], outdir: str | None = None) -> list[StackReport]:
    """Build one app with every stack, synthesize it, and report each stack's output.

    Args:
        stacks: Stack name -> a callable building the stack (usually the stack class).
        outdir: Where to write; defaults to what ``cdktf synth`` asks for, else ``cdktf.out``.
    """
    from pvecdk import policy
    from pvecdk.cluster import Cluster

    app = _cdk.App(outdir=outdir) if outdir else _cdk.App()
    built = {name: factory(app, name) for name, factory in stacks.items()}
    warnings = policy.enforce(app)  # raises ConfigError before anything is written
    app.synth()
    root = Path(app.outdir)
    manifest = json.loads((root / "manifest.json").read_text())["stacks"]
    reports = []
    for name, stack in built.items():
        path = root / manifest[name]["synthesizedStackPath"]
        # After `cdktf synth --hcl` the file is cdk.tf; the stack gives the same configuration as JSON.
        config = json.loads(path.read_text()) if path.suffix == ".json" else stack.to_terraform()
        lock_local_providers(path.parent, config)
        resources, data = count_resources(config)
        clusters = [c for c in stack.node.find_all() if isinstance(c, Cluster)]
        prefix = f"{stack.node.path}/"
        notes = [c.summary() for c in clusters]
        notes += [f"warning: {w.problem}" for w in warnings if w.problem.path.startswith(prefix)]
        reports.append(StackReport(name, resources, data, path, tuple(notes)))
    return reports
