"""The schema model of Terraform's plugin protocol v6.

Everything Terraform schemas can say: attributes with a cty type or with nested attributes (single, list, set,
map), nested blocks with a nesting mode and item limits, and the flags required, optional, computed,
sensitive, deprecated and write-only. A schema comes from the JSON that ``terraform providers schema -json``
prints (:meth:`Schema.from_json`) and goes to the wire as ``tfplugin6.Schema`` (:meth:`Schema.to_proto`);
:meth:`Schema.from_proto` reads it back.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pvecdk.tfplugin import _proto
from pvecdk.tfplugin.types import DYNAMIC, CtyType, List, Map, Object, Set, Tuple, from_bytes, from_json

__all__ = ["Attribute", "Block", "NestedBlock", "NestedType", "Nesting", "Schema"]

# ``write_only`` is field 11 of Schema.Attribute; the generated modules we build on predate it, so it is
# written and read as a known-numbered field through the message's unknown fields.
_WRITE_ONLY_FIELD = 11


class Nesting(enum.Enum):
    """How a nested block or nested attribute holds its items."""

    SINGLE = "single"
    GROUP = "group"
    LIST = "list"
    SET = "set"
    MAP = "map"


_BLOCK_NESTING = {
    Nesting.SINGLE: 1, Nesting.LIST: 2, Nesting.SET: 3, Nesting.MAP: 4, Nesting.GROUP: 5,
}
_OBJECT_NESTING = {Nesting.SINGLE: 1, Nesting.LIST: 2, Nesting.SET: 3, Nesting.MAP: 4}


@dataclass(frozen=True)
class NestedType:
    """The nested attributes of a plugin-framework attribute (``nested_type`` in the schema JSON)."""

    attributes: tuple[Attribute, ...]
    nesting: Nesting = Nesting.SINGLE
    min_items: int = 0
    max_items: int = 0

    def object_type(self) -> Object:
        return Object({a.name: a.implied_type() for a in self.attributes},
                      frozenset(a.name for a in self.attributes if a.optional or a.computed))

    def implied_type(self) -> CtyType:
        obj = self.object_type()
        return {Nesting.SINGLE: obj, Nesting.GROUP: obj, Nesting.LIST: List(obj), Nesting.SET: Set(obj),
                Nesting.MAP: Map(obj)}[self.nesting]

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)


@dataclass(frozen=True)
class Attribute:
    """One attribute: a cty ``type``, or ``nested`` attributes, never both."""

    name: str
    type: CtyType | None = None
    nested: NestedType | None = None
    required: bool = False
    optional: bool = False
    computed: bool = False
    sensitive: bool = False
    deprecated: bool = False
    write_only: bool = False

    def __post_init__(self) -> None:
        if (self.type is None) == (self.nested is None):
            raise ValueError(f"attribute {self.name}: give exactly one of type and nested")
        if not (self.required or self.optional or self.computed):
            raise ValueError(f"attribute {self.name}: one of required, optional, computed must be set")

    def implied_type(self) -> CtyType:
        if self.nested is not None:
            return self.nested.implied_type()
        assert self.type is not None
        return self.type


@dataclass(frozen=True)
class NestedBlock:
    """A nested block type with its nesting mode and item limits (0: no limit)."""

    name: str
    block: Block
    nesting: Nesting = Nesting.LIST
    min_items: int = 0
    max_items: int = 0

    def implied_type(self) -> CtyType:
        obj = self.block.implied_type()
        if self.nesting in (Nesting.SINGLE, Nesting.GROUP):
            return obj
        if self.nesting == Nesting.LIST:
            # A list of blocks with dynamic attributes may hold items of different types.
            return Tuple(()) if self.block.has_dynamic() else List(obj)
        if self.nesting == Nesting.SET:
            return Set(obj)
        return Map(obj)


@dataclass(frozen=True)
class Block:
    """A block: its attributes and its nested block types."""

    attributes: tuple[Attribute, ...] = ()
    blocks: tuple[NestedBlock, ...] = ()
    deprecated: bool = False
    _index: dict[str, Any] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def attribute(self, name: str) -> Attribute | None:
        if not self._index:
            self._index.update({a.name: a for a in self.attributes})
            self._index.update({"block:" + b.name: b for b in self.blocks})
        found = self._index.get(name)
        return found if isinstance(found, Attribute) else None

    def block(self, name: str) -> NestedBlock | None:
        self.attribute("")  # builds the index
        found = self._index.get("block:" + name)
        return found if isinstance(found, NestedBlock) else None

    def implied_type(self) -> Object:
        types = {a.name: a.implied_type() for a in self.attributes}
        types.update({b.name: b.implied_type() for b in self.blocks})
        return Object(types)

    def has_dynamic(self) -> bool:
        return any(a.type == DYNAMIC for a in self.attributes) or any(b.block.has_dynamic() for b in self.blocks)


@dataclass(frozen=True)
class Schema:
    """The schema of a provider block, resource type or data source type."""

    block: Block
    version: int = 0

    # -- JSON (the shape of ``terraform providers schema -json``)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Schema:
        return cls(_block_from_json(data.get("block", {})), int(data.get("version", 0)))

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "block": _block_to_json(self.block)}

    # -- protocol

    def to_proto(self) -> Any:
        return _proto.pb().Schema(version=self.version, block=_block_to_proto(self.block))

    @classmethod
    def from_proto(cls, message: Any) -> Schema:
        return cls(_block_from_proto(message.block), message.version)


def _flags(data: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("required", "optional", "computed", "sensitive", "deprecated", "write_only")
    return {k: bool(data.get(k, False)) for k in keys}


def _attribute_from_json(name: str, data: Mapping[str, Any]) -> Attribute:
    if "nested_type" in data:
        nt = data["nested_type"]
        nested = NestedType(
            tuple(_attribute_from_json(n, a) for n, a in sorted(nt.get("attributes", {}).items())),
            Nesting(nt.get("nesting_mode", "single")),
            int(nt.get("min_items", 0)),
            int(nt.get("max_items", 0)),
        )
        return Attribute(name, nested=nested, **_flags(data))
    return Attribute(name, type=from_json(data["type"]), **_flags(data))


def _block_from_json(data: Mapping[str, Any]) -> Block:
    attributes = tuple(_attribute_from_json(n, a) for n, a in sorted(data.get("attributes", {}).items()))
    blocks = tuple(
        NestedBlock(n, _block_from_json(b.get("block", {})), Nesting(b.get("nesting_mode", "list")),
                    int(b.get("min_items", 0)), int(b.get("max_items", 0)))
        for n, b in sorted(data.get("block_types", {}).items())
    )
    return Block(attributes, blocks, bool(data.get("deprecated", False)))


def _attribute_to_json(a: Attribute) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if a.nested is not None:
        nested: dict[str, Any] = {
            "attributes": {x.name: _attribute_to_json(x) for x in a.nested.attributes},
            "nesting_mode": a.nested.nesting.value,
        }
        if a.nested.min_items:
            nested["min_items"] = a.nested.min_items
        if a.nested.max_items:
            nested["max_items"] = a.nested.max_items
        out["nested_type"] = nested
    else:
        assert a.type is not None
        out["type"] = a.type.to_json()
    for key in ("required", "optional", "computed", "sensitive", "deprecated", "write_only"):
        if getattr(a, key):
            out[key] = True
    return out


def _block_to_json(b: Block) -> dict[str, Any]:
    out: dict[str, Any] = {
        "attributes": {a.name: _attribute_to_json(a) for a in b.attributes},
        "block_types": {},
    }
    for nb in b.blocks:
        entry: dict[str, Any] = {"block": _block_to_json(nb.block), "nesting_mode": nb.nesting.value}
        if nb.min_items:
            entry["min_items"] = nb.min_items
        if nb.max_items:
            entry["max_items"] = nb.max_items
        out["block_types"][nb.name] = entry
    if b.deprecated:
        out["deprecated"] = True
    return out


def _attribute_to_proto(a: Attribute) -> Any:
    pb = _proto.pb()
    kwargs: dict[str, Any] = {
        "name": a.name, "required": a.required, "optional": a.optional, "computed": a.computed,
        "sensitive": a.sensitive, "deprecated": a.deprecated,
    }
    if a.nested is not None:
        kwargs["nested_type"] = pb.Schema.Object(
            attributes=[_attribute_to_proto(x) for x in a.nested.attributes],
            nesting=_OBJECT_NESTING[a.nested.nesting],
            min_items=a.nested.min_items,
            max_items=a.nested.max_items,
        )
    else:
        assert a.type is not None
        kwargs["type"] = a.type.to_bytes()
    message = pb.Schema.Attribute(**kwargs)
    if a.write_only:
        message.MergeFromString(bytes([_WRITE_ONLY_FIELD << 3, 1]))
    return message


def _block_to_proto(b: Block) -> Any:
    pb = _proto.pb()
    return pb.Schema.Block(
        attributes=[_attribute_to_proto(a) for a in b.attributes],
        block_types=[
            pb.Schema.NestedBlock(type_name=nb.name, block=_block_to_proto(nb.block),
                                  nesting=_BLOCK_NESTING[nb.nesting], min_items=nb.min_items,
                                  max_items=nb.max_items)
            for nb in b.blocks
        ],
        deprecated=b.deprecated,
    )


def _write_only(message: Any) -> bool:
    from google.protobuf.unknown_fields import UnknownFieldSet

    return any(f.field_number == _WRITE_ONLY_FIELD and f.data for f in UnknownFieldSet(message))


def _attribute_from_proto(m: Any) -> Attribute:
    flags: dict[str, Any] = {
        "required": m.required, "optional": m.optional, "computed": m.computed, "sensitive": m.sensitive,
        "deprecated": m.deprecated, "write_only": _write_only(m),
    }
    if m.HasField("nested_type"):
        nesting = {v: k for k, v in _OBJECT_NESTING.items()}[m.nested_type.nesting]
        nested = NestedType(tuple(_attribute_from_proto(x) for x in m.nested_type.attributes), nesting,
                            m.nested_type.min_items, m.nested_type.max_items)
        return Attribute(m.name, nested=nested, **flags)
    return Attribute(m.name, type=from_bytes(m.type), **flags)


def _block_from_proto(m: Any) -> Block:
    nesting = {v: k for k, v in _BLOCK_NESTING.items()}
    return Block(
        tuple(_attribute_from_proto(a) for a in m.attributes),
        tuple(NestedBlock(nb.type_name, _block_from_proto(nb.block), nesting[nb.nesting], nb.min_items,
                          nb.max_items) for nb in m.block_types),
        m.deprecated,
    )
