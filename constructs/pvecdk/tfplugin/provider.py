"""What a provider written on :mod:`pvecdk.tfplugin` implements.

A provider is a :class:`Provider` with a schema for its own block and a :class:`ResourceType` or
:class:`DataSourceType` per type. Values are plain Python (see :mod:`pvecdk.tfplugin.values`), already decoded
against the type's schema; the protocol layer (:mod:`pvecdk.tfplugin.server`) does the wire work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pvecdk.errors import Severity
from pvecdk.tfplugin.schema import Block, Schema

__all__ = [
    "ApplyResult",
    "DataSourceType",
    "Diagnostic",
    "DiagnosticError",
    "PlanResult",
    "Provider",
    "ReadResult",
    "ResourceType",
    "error",
    "warning",
]

#: A path into a value: attribute names (str) and list indexes (int); map keys are given as ``("key", k)``.
PathStep = str | int | tuple[str, str]


@dataclass(frozen=True)
class Diagnostic:
    """An error or warning shown by Terraform, optionally pointing at an attribute."""

    severity: Severity
    summary: str
    detail: str = ""
    path: tuple[PathStep, ...] = ()


def error(summary: str, detail: str = "", path: Sequence[PathStep] = ()) -> Diagnostic:
    return Diagnostic(Severity.ERROR, summary, detail, tuple(path))


def warning(summary: str, detail: str = "", path: Sequence[PathStep] = ()) -> Diagnostic:
    return Diagnostic(Severity.WARNING, summary, detail, tuple(path))


class DiagnosticError(Exception):
    """Raised by a type where its call has no diagnostics to return (import): Terraform shows these, as they are,
    instead of a generic provider error."""

    def __init__(self, *diagnostics: Diagnostic) -> None:
        super().__init__("; ".join(f"{d.summary}: {d.detail}" for d in diagnostics))
        self.diagnostics = diagnostics


@dataclass
class PlanResult:
    """The planned new state: known values, :data:`~pvecdk.tfplugin.values.UNKNOWN` for what apply decides."""

    planned_state: Any
    requires_replace: list[tuple[PathStep, ...]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    private: bytes = b""


@dataclass
class ApplyResult:
    new_state: Any
    diagnostics: list[Diagnostic] = field(default_factory=list)
    private: bytes = b""


@dataclass
class ReadResult:
    """The state read back; ``None`` when the object is gone (Terraform then plans to create it)."""

    new_state: Any
    diagnostics: list[Diagnostic] = field(default_factory=list)
    private: bytes = b""


class ResourceType:
    """One managed resource type. Override what the type needs; the defaults keep configured values."""

    name: str = ""
    schema: Schema = Schema(Block())

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        return []

    def plan(self, prior: Any, proposed: Any, config: Any, private: bytes) -> PlanResult:
        return PlanResult(proposed)

    def plan_destroy(self, prior: Any, private: bytes) -> PlanResult:
        """Plan the destruction of ``prior``; an error diagnostic refuses it at plan time."""
        return PlanResult(None)

    def apply(self, prior: Any, planned: Any, config: Any, private: bytes) -> ApplyResult:
        return ApplyResult(planned)

    def read(self, current: Any, private: bytes) -> ReadResult:
        return ReadResult(current, private=private)

    def import_state(self, id_: str) -> list[Any]:
        return []

    def upgrade_state(self, version: int, state: Any) -> Any:
        """Bring ``state`` (decoded against the current schema) from schema ``version`` to the current one."""
        return state


class DataSourceType:
    """One data source type."""

    name: str = ""
    schema: Schema = Schema(Block())

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        return []

    def read(self, config: Any) -> ReadResult:
        return ReadResult(config)


class Provider:
    """A provider: its local name (``proxmox``), the schema of its block, and its types."""

    type_name: str = ""
    schema: Schema = Schema(Block())
    resources: Mapping[str, ResourceType] = {}
    data_sources: Mapping[str, DataSourceType] = {}

    def validate_config(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        return []

    def configure(self, config: Mapping[str, Any], terraform_version: str) -> list[Diagnostic]:
        return []

    def stop(self) -> str:
        """Stop work in progress; returns an error text, or "" when stopped."""
        return ""
