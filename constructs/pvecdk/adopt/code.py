"""Python source text: literals, calls wrapped to the project's line length, identifiers from PVE's names."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["Arg", "Source", "call", "identifier", "literal"]

LINE = 120


def literal(value: Any) -> str:
    """A Python literal for a plain value (strings with double quotes, as ruff's style has them)."""
    if isinstance(value, str):
        text = repr(value)
        if text.startswith("'") and '"' not in value:
            text = '"' + text[1:-1].replace("\\'", "'") + '"'
        return text
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


class Arg:
    """A keyword argument whose value is code, not a literal (``node=pve1``)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __repr__(self) -> str:
        return self.code


def _value(value: Any) -> str:
    if isinstance(value, Arg):
        return value.code
    if isinstance(value, (list, tuple)) and any(isinstance(v, Arg) for v in value):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return literal(value)


def call(head: str, positional: Iterable[Any] = (), keywords: dict[str, Any] | None = None, *,
         indent: int = 8) -> str:
    """``head(a, b, k=v)`` on one line when it fits, else continued lines aligned under the opening bracket
    (or indented by four when even that is too long)."""
    parts = [_value(p) for p in positional] + [f"{k}={_value(v)}" for k, v in (keywords or {}).items()]
    one = f"{head}({', '.join(parts)})"
    if indent + len(one) <= LINE:
        return " " * indent + one
    lines: list[str] = []
    current = " " * indent + head + "("
    pad = " " * (indent + len(head) + 1)
    if len(pad) > 60:
        lines.append(current)
        pad = " " * (indent + 4)
        current = pad
    for i, part in enumerate(parts):
        piece = part + (", " if i < len(parts) - 1 else ")")
        if current.strip() and len(current) + len(piece.rstrip()) > LINE:
            lines.append(current.rstrip())
            current = pad
        current += piece
    lines.append(current)
    return "\n".join(lines)


def identifier(name: str, taken: set[str]) -> str:
    """A Python name from a PVE name (``vm-pool`` -> ``vm_pool``), unique among ``taken`` (which it joins)."""
    base = re.sub(r"[^0-9a-zA-Z_]", "_", name).strip("_").lower() or "item"
    if base[0].isdigit():
        base = "n" + base
    if keyword.iskeyword(base) or base in ("self", "id", "cluster", "ceph", "stack"):
        base += "_"
    found, n = base, 2
    while found in taken:
        found, n = f"{base}_{n}", n + 1
    taken.add(found)
    return found


class Source:
    """Lines of a function body and the names it imports from ``pvecdk``."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: set[str] = set()

    def add(self, line: str = "") -> None:
        self.lines.append(line)

    def use(self, *names: str) -> None:
        self.names.update(names)
