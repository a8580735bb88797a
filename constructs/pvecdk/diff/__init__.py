"""``pvecdk diff``: what a change does to the cluster, what it risks, and a picture of it.

Sources (:mod:`~pvecdk.diff.sources`): two syntheses (a git revision's and the working tree's), compared with
the providers' replace-on-change facts, or Terraform's own plan (offline, :mod:`~pvecdk.diff.offline_plan`, or
live, read as is). The model (:mod:`~pvecdk.diff.topology`, :mod:`~pvecdk.diff.changes`) says it in the
cluster's terms; :mod:`~pvecdk.diff.risk` flags what is at risk; :mod:`~pvecdk.diff.render` and
:mod:`~pvecdk.diff.mermaid` write it for a terminal, a PR comment or a bot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pvecdk.diff.changes import StackDiff, diff_stack
from pvecdk.diff.render import Report
from pvecdk.diff.risk import SEVERITIES, Flag, flags_of

__all__ = ["Flag", "Report", "StackDiff", "diff_configs", "report_of"]


def report_of(diffs: list[StackDiff], **labels: Any) -> Report:
    """The report of some stacks' diffs, with their flags."""
    flags = sorted((f for d in diffs for f in flags_of(d)), key=lambda f: SEVERITIES.index(f.severity))
    return Report(diffs, flags, **labels)


def diff_configs(base: Mapping[str, Mapping[str, Any]], head: Mapping[str, Mapping[str, Any]], /,
                 **labels: Any) -> Report:
    """Compare two syntheses, stack by stack (``{stack: cdk.tf.json content}``); a stack on one side only is
    compared with an empty one."""
    notes = [f"stack {name} is new" for name in sorted(set(head) - set(base))]
    notes += [f"stack {name} is gone: everything in it is destroyed" for name in sorted(set(base) - set(head))]
    diffs = [diff_stack(name, base.get(name, {}), head.get(name, {})) for name in sorted(set(base) | set(head))]
    report = report_of(diffs, **labels)
    report.notes += notes
    return report
