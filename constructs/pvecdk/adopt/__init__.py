"""Adopting a running cluster: ``pvecdk import`` reads it (:mod:`.reader`), writes the stack module
(:mod:`.writer`) with an ``import`` block for every resource (:mod:`.imports`) and reports what it left out
(:mod:`.report`). Generated modules call :func:`adopt_existing`."""

from __future__ import annotations

from pvecdk.adopt.imports import adopt_existing, import_id, import_ids

__all__ = ["adopt_existing", "import_id", "import_ids"]
