"""Synthesize an app of stacks and report what was written."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pvecdk import _cdk

__all__ = ["StackReport", "count_resources", "synth_app"]

StackFactory = Callable[[_cdk.Construct, str], _cdk.TerraformStack]


@dataclass(frozen=True)
class StackReport:
    """One synthesized stack: its name, how many resources and data sources it declares, and its file."""

    name: str
    resources: int
    data_sources: int
    path: Path

    def __str__(self) -> str:
        path = os.path.relpath(self.path) if self.path.is_absolute() else str(self.path)
        data = f", {self.data_sources} data sources" if self.data_sources else ""
        return f"{self.name}: {self.resources} resources{data} -> {path}"


def count_resources(config: Mapping[str, object]) -> tuple[int, int]:
    """The number of resources and of data sources in a synthesized ``cdk.tf.json``."""

    def count(section: object) -> int:
        return sum(len(v) for v in section.values()) if isinstance(section, dict) else 0

    return count(config.get("resource")), count(config.get("data"))


def synth_app(stacks: Mapping[str, StackFactory], outdir: str | None = None) -> list[StackReport]:
    """Build one app with every stack, synthesize it, and report each stack's output.

    Args:
        stacks: Stack name -> a callable building the stack (usually the stack class).
        outdir: Where to write; defaults to what ``cdktf synth`` asks for, else ``cdktf.out``.
    """
    app = _cdk.App(outdir=outdir) if outdir else _cdk.App()
    for name, factory in stacks.items():
        factory(app, name)
    app.synth()
    root = Path(app.outdir)
    reports = []
    for name in stacks:
        path = root / "stacks" / name / "cdk.tf.json"
        resources, data = count_resources(json.loads(path.read_text()))
        reports.append(StackReport(name, resources, data, path))
    return reports
