"""The report in three forms: terminal text (coloured on a TTY), Markdown for a PR comment, JSON for bots."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pvecdk.diff.changes import GROUPS, StackDiff
from pvecdk.diff.mermaid import topology_graph
from pvecdk.diff.risk import Flag, highest

__all__ = ["MARKER", "MAX_ROWS", "Report", "dumps", "to_json", "to_markdown", "to_text"]

#: Resource rows in the Markdown report, per stack: a PR comment holds at most 65,536 characters.
MAX_ROWS = 100

#: The first line of the Markdown report: CI finds its own PR comment by it, to update rather than re-post.
MARKER = "<!-- pvecdk-diff -->"

_ACTIONS = ("create", "update", "replace", "delete")
_ICON = {"high": "🔴", "medium": "🟠", "low": "🟡"}
_COLOUR = {"high": "\033[1;31m", "medium": "\033[33m", "low": "\033[36m", "create": "\033[32m",
           "update": "\033[33m", "replace": "\033[1;35m", "delete": "\033[31m", "head": "\033[1m"}
_RESET = "\033[0m"


@dataclass
class Report:
    """Every stack's diff and flags, and where the two sides came from."""

    stacks: list[StackDiff]
    flags: list[Flag]
    base: str = "base"
    head: str = "head"
    source: str = "config"  # config (predicted from the two syntheses), offline-plan or plan
    notes: list[str] = field(default_factory=list)

    @property
    def highest(self) -> str | None:
        return highest(self.flags)

    def counts(self) -> Counter[str]:
        return Counter(r.action for s in self.stacks for r in s.resources)


def _counts_line(report: Report) -> str:
    counts = report.counts()
    words = {"create": "to create", "update": "to update in place", "replace": "to replace", "delete": "to destroy"}
    return ", ".join(f"{counts[a]} {words[a]}" for a in _ACTIONS if counts[a]) or "no changes"


_SOURCE = {"config": "predicted from the two syntheses", "offline-plan": "Terraform's offline plan",
           "plan": "Terraform's plan"}


def to_json(report: Report) -> dict[str, Any]:
    """The report as plain data: summary, flags, and per stack its changes and resource actions."""
    counts = report.counts()
    return {
        "base": report.base, "head": report.head, "source": report.source, "highest": report.highest,
        "summary": {a: counts[a] for a in _ACTIONS},
        "flags": [{"severity": f.severity, "rule": f.rule, "stack": f.stack, "subject": f.subject,
                   "reason": f.reason} for f in report.flags],
        "notes": report.notes,
        "stacks": [{
            "stack": s.stack,
            "changes": [{"group": c.group, "subject": c.subject, "action": c.action, "summary": c.summary}
                        for c in s.changes],
            "resources": [{"address": r.address, "type": r.tf_type, "path": r.path, "action": r.action,
                           "replace_paths": list(r.replace_paths),
                           "attributes": [{"name": a.name, "before": a.before, "after": a.after,
                                           "forces_replacement": a.forces_replacement} for a in r.attributes]}
                          for r in s.resources],
        } for s in report.stacks],
    }


def _by_group(diff: StackDiff) -> list[tuple[str, list[str]]]:
    return [(g, [c.summary for c in diff.changes if c.group == g]) for g in GROUPS
            if any(c.group == g for c in diff.changes)]


def to_markdown(report: Report) -> str:
    """A PR comment: the verdict and flags on top, the changes, pictures and resources folded below."""
    top = report.highest
    verdict = f"{_ICON[top]} highest risk: **{top}**" if top else "✅ no risk flagged"
    lines = [MARKER, f"## pvecdk diff: `{report.base}` → `{report.head}`", "",
             f"{verdict} · {_counts_line(report)} · {_SOURCE.get(report.source, report.source)}", ""]
    if report.flags:
        lines += ["| | severity | stack | subject | why |", "|---|---|---|---|---|"]
        lines += [f"| {_ICON[f.severity]} | {f.severity} | {f.stack} | {f.subject} | {f.reason} |"
                  for f in report.flags]
        lines.append("")
    lines += [f"> {note}" for note in report.notes]
    for diff in report.stacks:
        if not diff.resources and not diff.changes:
            continue
        lines += [f"### Stack `{diff.stack}`", ""]
        for group, summaries in _by_group(diff):
            lines.append(f"- **{group}**:" + (f" {summaries[0]}" if len(summaries) == 1 else ""))
            if len(summaries) > 1:
                lines += [f"  - {s}" for s in summaries]
        lines.append("")
        lines += ["<details open><summary>Topology before and after</summary>", "",
                  "Before (removed parts red, changed parts yellow):", "", "```mermaid",
                  topology_graph(diff.before, diff.after, side="before"), "```", "",
                  "After (added parts green, changed parts yellow):", "", "```mermaid",
                  topology_graph(diff.after, diff.before, side="after"), "```", "", "</details>", ""]
        lines += [f"<details><summary>Resources ({len(diff.resources)})</summary>", "",
                  "| action | resource | changed attributes |", "|---|---|---|"]
        for r in diff.resources[:MAX_ROWS]:
            attrs = "<br/>".join(
                f"`{a.name}`: {_cell(a.before)} → {_cell(a.after)}" + (" (forces replacement)"
                                                                        if a.forces_replacement else "")
                for a in r.attributes if r.action in ("update", "replace"))
            lines.append(f"| {r.action} | `{r.address}` | {attrs} |")
        if len(diff.resources) > MAX_ROWS:
            lines.append(f"| | {len(diff.resources) - MAX_ROWS} more | see `--format json` or `--format text` |")
        lines += ["", "</details>", ""]
    if not any(d.resources or d.changes for d in report.stacks):
        lines += ["No stack changes.", ""]
    return "\n".join(lines).rstrip() + "\n"


def _cell(value: str) -> str:
    return "`" + value.replace("|", "\\|").replace("`", "'") + "`"


def to_text(report: Report, *, colour: bool = False) -> str:
    """For a terminal: flags first, then each stack's changes and resource actions."""
    def paint(key: str, text: str) -> str:
        return f"{_COLOUR[key]}{text}{_RESET}" if colour else text

    top = report.highest
    lines = [paint("head", f"pvecdk diff {report.base} -> {report.head}") + f": {_counts_line(report)} "
             f"({_SOURCE.get(report.source, report.source)})",
             "highest risk: " + (paint(top, top) if top else "none")]
    for flag in report.flags:
        lines.append(f"  {paint(flag.severity, f'{flag.severity:<6}')} {flag.stack}: {flag.subject}: {flag.reason}")
    lines += [f"note: {n}" for n in report.notes]
    for diff in report.stacks:
        if not diff.resources and not diff.changes:
            continue
        lines += ["", paint("head", f"stack {diff.stack}")]
        for group, summaries in _by_group(diff):
            lines += [f"  {group}:"] + [f"    {s}" for s in summaries]
        lines.append("  resources:")
        for r in diff.resources:
            lines.append(f"    {paint(r.action, f'{r.action:<7}')} {r.address}")
            for a in r.attributes if r.action in ("update", "replace") else ():
                forced = " (forces replacement)" if a.forces_replacement else ""
                lines.append(f"        {a.name}: {a.before} -> {a.after}{forced}")
    return "\n".join(lines) + "\n"


def dumps(report: Report) -> str:
    return json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"
