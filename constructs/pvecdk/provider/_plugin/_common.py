"""What every resource type of the provider shares: value helpers and the engine client per resource."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from pvecdk.engine.client import Client
from pvecdk.errors import EngineError, EngineProblem
from pvecdk.tfplugin import UNKNOWN, Diagnostic, DiagnosticError, error
from pvecdk.tfplugin.provider import PathStep

if TYPE_CHECKING:
    from pvecdk.provider._plugin import PvecdkProvider

__all__ = ["REPLACE_NEEDS_STATE", "EngineResource", "destroy_allowed", "field_path", "has_unknown", "known",
           "local_node", "problem_diagnostics", "replaced", "settings_id", "split_settings_id"]


def has_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def known(value: Any) -> bool:
    """Set and known at plan time (not null, not computed later)."""
    return value is not None and not has_unknown(value)


def replaced(prior: Mapping[str, Any] | None, proposed: Mapping[str, Any], *keys: str) -> list[tuple[Any, ...]]:
    """The attribute paths among ``keys`` whose change forces a new object (unsetting one is a change too)."""
    if prior is None:
        return []
    return [(k,) for k in keys if not has_unknown(proposed.get(k)) and prior.get(k) != proposed.get(k)]


#: Why a replacement needs ``allow_destroy`` in the state, not only in the new configuration: Terraform applies
#: the removal half of a replacement with the prior state alone.
REPLACE_NEEDS_STATE = ("set allow_destroy = true and apply that on its own first: the removal half of a "
                       "replacement sees only the current state")


def destroy_allowed(*values: Mapping[str, Any] | None) -> bool:
    """Whether any of ``values`` (a plan, a state) sets ``allow_destroy = true``."""
    return any(v is not None and v.get("allow_destroy") is True for v in values)


def local_node(client: Client, label: str) -> str | None:
    """The name of the node behind ``label``'s endpoint, as its ``/cluster/status`` says (None: it does not)."""
    status = client.get(label, "/cluster/status") or []
    local = next((e.get("name") for e in status if e.get("type") == "node" and e.get("local")), None)
    return None if local is None else str(local)


def settings_id(head: str, settings: Mapping[str, Any]) -> str:
    """An import id that carries the arguments the cluster cannot report (how its nodes are reached, what a
    message names): ``head`` then ``,path=value`` per argument set, nested maps flattened with dots
    (``node.pve1.ssh_address=192.168.1.11``), values percent-encoded. Importing with it records them, so the
    first plan after the import finds the configuration it was given and changes nothing."""
    parts = [head]

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key in sorted(value):
                walk(f"{prefix}.{key}" if prefix else str(key), value[key])
        elif value is not None:
            text = ("true" if value else "false") if isinstance(value, bool) else (
                str(int(value)) if isinstance(value, float) and value.is_integer() else str(value))
            parts.append(f"{prefix}={quote(text, safe=':/[]')}")

    walk("", settings)
    return ",".join(parts)


def split_settings_id(id_: str) -> tuple[str, dict[str, Any]]:
    """(head, nested settings) of a :func:`settings_id`; values stay strings (the caller converts).

    Raises:
        ValueError: a part is not ``path=value``.
    """
    head, *parts = id_.split(",")
    settings: dict[str, Any] = {}
    for part in parts:
        path, sep, value = part.partition("=")
        if not sep or not path:
            raise ValueError(f"{part!r} is not path=value")
        *outer, last = path.split(".")
        here = settings
        for key in outer:
            here = here.setdefault(key, {})
            if not isinstance(here, dict):
                raise ValueError(f"{path!r} sets a value and a map at once")
        here[last] = unquote(value)
    return head, settings


def field_path(field: str) -> tuple[PathStep, ...]:
    """The attribute path of an engine problem's field: ``options.pool`` is the ``pool`` key of ``options``."""
    head, _, key = field.partition(".")
    return (head, ("key", key)) if key else (head,)


def problem_diagnostics(summary: str, problems: Iterable[EngineProblem],
                        path: Sequence[PathStep] | None = None) -> list[Diagnostic]:
    """One error per problem, pointing at its attribute (or at ``path`` when given)."""
    return [error(summary, str(p), tuple(path) if path is not None else field_path(p.field) if p.field else ())
            for p in problems]


class EngineResource:
    """Mixin: the provider that serves the type, and refusal diagnostics in one shape."""

    provider: PvecdkProvider

    def __init__(self, provider: PvecdkProvider) -> None:
        self.provider = provider

    name: str
    #: Whether an import id may name the nodes' endpoints itself: then ``imported`` gets the provider's endpoint
    #: only when there is one ("" otherwise), and asks for it only when the id names none.
    endpoints_in_id = False

    def imported(self, id_: str, endpoint: str) -> list[Any]:
        """The states ``id_`` stands for (empty: none), asked through ``endpoint``; engine errors are the
        caller's to report."""
        raise NotImplementedError

    def import_state(self, id_: str) -> list[Any]:
        """``<id>``, through the provider's endpoint, or ``<id>@<endpoint>``, through the node the configuration
        names (then the imported ``endpoint`` is that one, as the configuration has it)."""
        for scheme in ("@https://", "@http://"):
            head, sep, tail = id_.rpartition(scheme)
            if sep:
                id_, endpoint = head, scheme[1:] + tail
                break
        else:
            endpoint = ""
        try:
            if not endpoint:
                endpoint = (self.provider.endpoint or "") if self.endpoints_in_id else self.provider.import_endpoint(
                    f"a {self.name}")
            return self.imported(id_, endpoint)
        except EngineError as exc:
            raise DiagnosticError(error(f"Cannot import {self.name} {id_!r}", str(exc))) from None

    @staticmethod
    def refused(summary: str, problems: Iterable[EngineProblem],
                path: Sequence[PathStep] | None = None) -> list[Diagnostic]:
        return problem_diagnostics(summary, problems, path)
