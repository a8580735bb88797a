"""A provider that serves a schema and nothing else: Terraform checks configuration against it, offline.

Given the JSON of ``terraform providers schema -json`` for one provider, it serves that schema exactly
(provider block, every resource and data source type). Terraform itself then checks configuration against it
(names, types, required arguments, block counts, references); this provider adds the item limits that plugin
framework providers enforce in code, plans by keeping configured values and marking unset computed attributes
unknown, and answers applies, reads, imports and data sources with values of the right shape. It talks to
no API: it proves that configuration is what the provider accepts, not that a cluster would.

It plans no replacement: :mod:`pvecdk.diff.offline_plan` serves these schemas with the providers'
replace-on-change decisions (:mod:`pvecdk.diff.replace`), for the diff and for tests that plan moves.

Run as a plugin: ``python -m pvecdk.tfplugin.schema_provider --schema FILE --name proxmox``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from pvecdk.tfplugin.provider import (
    ApplyResult,
    DataSourceType,
    Diagnostic,
    PlanResult,
    Provider,
    ReadResult,
    ResourceType,
    error,
)
from pvecdk.tfplugin.schema import Attribute, Block, Nesting, Schema
from pvecdk.tfplugin.types import BOOL, NUMBER, STRING, CtyType, List, Map, Object, Set, Tuple
from pvecdk.tfplugin.values import UNKNOWN

__all__ = ["SchemaDataSource", "SchemaProvider", "SchemaResource", "main"]


# --------------------------------------------------------------------------------------------------- planning


def _plan_block(block: Block, proposed: Any, config: Any, prior: Any) -> Any:
    """Computed attributes left unset (and not known from the prior state) become unknown."""
    if not isinstance(proposed, dict):
        return proposed
    out = dict(proposed)
    config = config if isinstance(config, dict) else {}
    prior = prior if isinstance(prior, dict) else {}
    for attr in block.attributes:
        out[attr.name] = _plan_attribute(attr, out.get(attr.name), config.get(attr.name), prior.get(attr.name))
    for nb in block.blocks:
        value = out.get(nb.name)
        if isinstance(value, list):
            cfg = config.get(nb.name) if isinstance(config.get(nb.name), list) else []
            old = prior.get(nb.name) if isinstance(prior.get(nb.name), list) else []
            out[nb.name] = [
                _plan_block(nb.block, item, cfg[i] if i < len(cfg) else None, old[i] if i < len(old) else None)
                for i, item in enumerate(value)
            ]
        elif isinstance(value, dict) and nb.nesting == Nesting.MAP:
            cfg_map = config.get(nb.name) or {}
            old_map = prior.get(nb.name) or {}
            out[nb.name] = {k: _plan_block(nb.block, v, cfg_map.get(k), old_map.get(k)) for k, v in value.items()}
        elif isinstance(value, dict):
            out[nb.name] = _plan_block(nb.block, value, config.get(nb.name), prior.get(nb.name))
    return out


def _plan_attribute(attr: Attribute, proposed: Any, config: Any, prior: Any) -> Any:
    if attr.computed and config is None:
        if prior is not None and prior is not UNKNOWN:
            return prior
        return UNKNOWN if proposed is None else proposed
    if attr.nested is not None and proposed is not None and proposed is not UNKNOWN:
        inner = Block(attr.nested.attributes)
        if isinstance(proposed, list):
            cfg = config if isinstance(config, list) else []
            return [_plan_block(inner, v, cfg[i] if i < len(cfg) else None, None) for i, v in enumerate(proposed)]
        if isinstance(proposed, dict) and attr.nested.nesting == Nesting.MAP:
            cfg_map = config if isinstance(config, dict) else {}
            return {k: _plan_block(inner, v, cfg_map.get(k), None) for k, v in proposed.items()}
        return _plan_block(inner, proposed, config, prior)
    return proposed


# --------------------------------------------------------------------------------------------------- values


def _shaped(type_: CtyType, name: str) -> Any:
    """A known placeholder of the right type for what a real provider would compute."""
    if type_ == STRING:
        return f"computed-{name}"
    if type_ == NUMBER:
        return 0
    if type_ == BOOL:
        return False
    if isinstance(type_, (List, Set, Tuple)):
        return []
    if isinstance(type_, Map):
        return {}
    if isinstance(type_, Object):
        return {k: _shaped(t, k) for k, t in type_.attributes.items()}
    return None  # dynamic: null is a value of any type


def _resolve(value: Any, type_: CtyType, name: str) -> Any:
    """Replace every unknown in ``value`` by a placeholder of the right shape."""
    if value is UNKNOWN:
        return _shaped(type_, name)
    if value is None:
        return None
    if isinstance(type_, Object) and isinstance(value, dict):
        return {k: _resolve(value.get(k), t, k) for k, t in type_.attributes.items()}
    if isinstance(type_, (List, Set)) and isinstance(value, list):
        return [_resolve(v, type_.element, name) for v in value]
    if isinstance(type_, Map) and isinstance(value, dict):
        return {k: _resolve(v, type_.element, name) for k, v in value.items()}
    if isinstance(type_, Tuple) and isinstance(value, list):
        return [_resolve(v, t, name) for v, t in zip(value, type_.elements, strict=False)]
    return value


# --------------------------------------------------------------------------------------------------- checks


def _limits(block: Block, config: Any, path: tuple[Any, ...] = ()) -> list[Diagnostic]:
    """Item limits that plugin-framework providers check in code rather than in the schema."""
    diags: list[Diagnostic] = []
    if not isinstance(config, dict):
        return diags
    for attr in block.attributes:
        value = config.get(attr.name)
        nested = attr.nested
        if nested is None or not isinstance(value, (list, dict)):
            continue
        count = len(value)
        where = (*path, attr.name)
        if nested.max_items and count > nested.max_items:
            diags.append(error("Too many list items", f"Attribute {attr.name} supports {nested.max_items} item "
                               f"maximum, but config has {count} declared.", where))
        if nested.min_items and count < nested.min_items:
            diags.append(error("Not enough list items", f"Attribute {attr.name} requires {nested.min_items} item "
                               f"minimum, but config has only {count} declared.", where))
    for nb in block.blocks:
        value = config.get(nb.name)
        items = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else []
        for i, item in enumerate(items):
            diags += _limits(nb.block, item, (*path, nb.name, i))
    return diags


# --------------------------------------------------------------------------------------------------- types


class SchemaResource(ResourceType):
    """A resource type that only has a schema: plans and applies without side effects."""

    def __init__(self, name: str, schema: Schema) -> None:
        self.name = name
        self.schema = schema

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        return _limits(self.schema.block, config)

    def plan(self, prior: Any, proposed: Any, config: Any, private: bytes) -> PlanResult:
        return PlanResult(_plan_block(self.schema.block, proposed, config, prior))

    def apply(self, prior: Any, planned: Any, config: Any, private: bytes) -> ApplyResult:
        if planned is None:
            return ApplyResult(None)
        return ApplyResult(_resolve(planned, self.schema.block.implied_type(), self.name))

    def import_state(self, id_: str) -> list[Any]:
        block = self.schema.block
        state: dict[str, Any] = {a.name: None for a in block.attributes}
        state.update({b.name: [] if b.nesting in (Nesting.LIST, Nesting.SET) else None for b in block.blocks})
        if self.schema.block.attribute("id") is not None:
            state["id"] = id_
        return [state]


class SchemaDataSource(DataSourceType):
    """A data source that only has a schema: reads return configured values and placeholders."""

    def __init__(self, name: str, schema: Schema) -> None:
        self.name = name
        self.schema = schema

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        return _limits(self.schema.block, config)

    def read(self, config: Any) -> ReadResult:
        planned = _plan_block(self.schema.block, config, config, None)
        return ReadResult(_resolve(planned, self.schema.block.implied_type(), self.name))


class SchemaProvider(Provider):
    """A provider serving the schema of another, for offline checks (see the module docstring)."""

    def __init__(self, type_name: str, schemas: Mapping[str, Any]) -> None:
        self.type_name = type_name
        self.schema = Schema.from_json(schemas["provider"])
        self.resources = {n: SchemaResource(n, Schema.from_json(s))
                          for n, s in schemas.get("resource_schemas", {}).items()}
        self.data_sources = {n: SchemaDataSource(n, Schema.from_json(s))
                             for n, s in schemas.get("data_source_schemas", {}).items()}

    @classmethod
    def from_file(cls, path: str | Path, type_name: str) -> Self:
        return cls(type_name, json.loads(Path(path).read_text()))


def main(argv: list[str] | None = None) -> int:
    from pvecdk.tfplugin.server import serve

    parser = argparse.ArgumentParser(prog="python -m pvecdk.tfplugin.schema_provider", description=__doc__)
    parser.add_argument("--schema", required=True, help="provider schema JSON (terraform providers schema -json)")
    parser.add_argument("--name", required=True, help="the provider's local name, e.g. proxmox")
    args = parser.parse_args(argv)
    return serve(SchemaProvider.from_file(args.schema, args.name))


if __name__ == "__main__":
    raise SystemExit(main())
