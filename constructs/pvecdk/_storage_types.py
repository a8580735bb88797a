"""PVE's per-type storage options (``data/storage-type-options.json``), read once for the whole library.

The L2 storage constructs and the engine both check options against this table, and neither may import the
other (the engine runs without cdktf), so the table is read here.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

__all__ = ["create_defaults", "release_options"]


@functools.cache
def _table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(__file__).resolve().parent / "data" / "storage-type-options.json")
                                      .read_text())
    return data


def release_options(storage_type: str, major: int | str) -> dict[str, dict[str, bool]] | None:
    """The options of ``storage_type`` on PVE ``major`` (option -> ``optional``, ``fixed``), or None when that
    release has no such type."""
    options: dict[str, dict[str, bool]] | None = _table()[f"pve{major}"].get(storage_type)
    return options


def create_defaults(storage_type: str) -> frozenset[str]:
    """Required options PVE fills in on create when they are left out (the mount point of network shares)."""
    defaults: dict[str, list[str]] = _table().get("create_defaults", {})
    return frozenset(opt for key, opts in defaults.items() if key.split(" ")[0] == storage_type for opt in opts)
