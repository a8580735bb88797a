"""cty types, as Terraform's plugin protocol and schema JSON spell them.

A type is an immutable value: ``STRING``, ``NUMBER``, ``BOOL``, ``DYNAMIC``, or ``List(t)``, ``Set(t)``,
``Map(t)``, ``Object({...}, optional=...)``, ``Tuple((...))``. :func:`from_json` and :meth:`CtyType.to_json`
convert from and to the JSON encoding (``"string"``, ``["list", "string"]``, ``["object", {...}, ["opt"]]``),
which is also what the protocol carries, as bytes, in ``Schema.Attribute.type``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BOOL",
    "DYNAMIC",
    "NUMBER",
    "STRING",
    "CtyType",
    "List",
    "Map",
    "Object",
    "Primitive",
    "Set",
    "Tuple",
    "from_json",
    "from_bytes",
]


class CtyType:
    """Base of every cty type."""

    def to_json(self) -> Any:
        raise NotImplementedError

    def to_bytes(self) -> bytes:
        """The JSON encoding as the protocol carries it."""
        return json.dumps(self.to_json(), separators=(",", ":")).encode()

    def __str__(self) -> str:
        return json.dumps(self.to_json())


@dataclass(frozen=True)
class Primitive(CtyType):
    name: str  # string, number, bool, dynamic

    def to_json(self) -> Any:
        return self.name


STRING = Primitive("string")
NUMBER = Primitive("number")
BOOL = Primitive("bool")
#: The dynamic pseudo-type: any value, carried with its own type on the wire.
DYNAMIC = Primitive("dynamic")


@dataclass(frozen=True)
class List(CtyType):
    element: CtyType

    def to_json(self) -> Any:
        return ["list", self.element.to_json()]


@dataclass(frozen=True)
class Set(CtyType):
    element: CtyType

    def to_json(self) -> Any:
        return ["set", self.element.to_json()]


@dataclass(frozen=True)
class Map(CtyType):
    element: CtyType

    def to_json(self) -> Any:
        return ["map", self.element.to_json()]


@dataclass(frozen=True)
class Object(CtyType):
    attributes: Mapping[str, CtyType]
    optional: frozenset[str] = field(default_factory=frozenset)

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.attributes.items(), key=lambda kv: kv[0])), self.optional))

    def to_json(self) -> Any:
        attrs = {k: v.to_json() for k, v in sorted(self.attributes.items())}
        if self.optional:
            return ["object", attrs, sorted(self.optional)]
        return ["object", attrs]


@dataclass(frozen=True)
class Tuple(CtyType):
    elements: tuple[CtyType, ...]

    def to_json(self) -> Any:
        return ["tuple", [e.to_json() for e in self.elements]]


_PRIMITIVES = {p.name: p for p in (STRING, NUMBER, BOOL, DYNAMIC)}


def from_json(value: Any) -> CtyType:
    """Parse a type from its JSON encoding."""
    if isinstance(value, str):
        try:
            return _PRIMITIVES[value]
        except KeyError:
            raise ValueError(f"unknown primitive type {value!r}") from None
    if not isinstance(value, list) or not value:
        raise ValueError(f"not a cty type: {value!r}")
    kind = value[0]
    if kind == "list":
        return List(from_json(value[1]))
    if kind == "set":
        return Set(from_json(value[1]))
    if kind == "map":
        return Map(from_json(value[1]))
    if kind == "object":
        optional = frozenset(value[2]) if len(value) > 2 else frozenset()
        return Object({k: from_json(v) for k, v in value[1].items()}, optional)
    if kind == "tuple":
        return Tuple(tuple(from_json(v) for v in value[1]))
    raise ValueError(f"unknown type kind {kind!r}")


def from_bytes(data: bytes) -> CtyType:
    """Parse a type from the bytes of ``Schema.Attribute.type``."""
    return from_json(json.loads(data))
