"""cty values on the wire: msgpack (what Terraform sends and expects) and JSON (stored state), with unknowns.

In Python a value is ``None`` (null), :data:`UNKNOWN` (known only after apply), ``str``, ``int``/``float``,
``bool``, ``list`` (lists, sets and tuples), ``dict`` (maps and objects), or :class:`Dynamic` (a value of the
dynamic pseudo-type, which carries its own type on the wire).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgpack

from pvecdk.tfplugin.types import (
    BOOL,
    DYNAMIC,
    NUMBER,
    STRING,
    CtyType,
    List,
    Map,
    Object,
    Set,
    Tuple,
    from_json,
)

__all__ = ["UNKNOWN", "Dynamic", "Unknown", "decode_json", "decode_msgpack", "encode_json", "encode_msgpack"]

# cty's msgpack extension codes: 0 for an unknown value, 12 for an unknown with refinements (not kept here).
_EXT_UNKNOWN = 0
_EXT_REFINED_UNKNOWN = 12


class Unknown:
    """The value of an attribute that is known only after apply."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value")


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Dynamic:
    """A value of the dynamic pseudo-type with its concrete type."""

    type: CtyType
    value: Any


# --------------------------------------------------------------------------------------------------- msgpack


def _ext_hook(code: int, data: bytes) -> Any:
    if code in (_EXT_UNKNOWN, _EXT_REFINED_UNKNOWN):
        return UNKNOWN
    return msgpack.ExtType(code, data)


def decode_msgpack(data: bytes, type_: CtyType) -> Any:
    """Decode a msgpack ``DynamicValue`` of type ``type_``."""
    if not data:
        return None
    raw = msgpack.unpackb(data, raw=False, ext_hook=_ext_hook, strict_map_key=False)
    return _from_wire(raw, type_)


def _number(raw: Any) -> Any:
    if isinstance(raw, str):  # cty sends numbers msgpack cannot hold exactly as strings
        number = Decimal(raw)
        return int(number) if number == number.to_integral_value() else float(number)
    return raw


def _from_wire(raw: Any, type_: CtyType) -> Any:
    if raw is None or raw is UNKNOWN:
        return raw
    if type_ == NUMBER:
        return _number(raw)
    if type_ in (STRING, BOOL):
        return raw
    if type_ == DYNAMIC:
        # A known dynamic value is a pair: the JSON of its type, then the value.
        type_json, value = raw
        concrete = from_json(json.loads(type_json))
        return Dynamic(concrete, _from_wire(value, concrete))
    if isinstance(type_, (List, Set)):
        return [_from_wire(v, type_.element) for v in raw]
    if isinstance(type_, Map):
        return {k: _from_wire(v, type_.element) for k, v in raw.items()}
    if isinstance(type_, Object):
        return {k: _from_wire(raw.get(k), t) for k, t in type_.attributes.items()}
    if isinstance(type_, Tuple):
        return [_from_wire(v, t) for v, t in zip(raw, type_.elements, strict=False)]
    raise TypeError(f"cannot decode a value of type {type_}")


def encode_msgpack(value: Any, type_: CtyType) -> bytes:
    """Encode ``value`` of type ``type_`` for a msgpack ``DynamicValue``."""
    packed: bytes = msgpack.packb(_to_wire(value, type_), use_bin_type=True)
    return packed


def _to_wire(value: Any, type_: CtyType) -> Any:
    if value is None:
        return None
    if value is UNKNOWN:
        return msgpack.ExtType(_EXT_UNKNOWN, b"\x00")
    if type_ == DYNAMIC:
        if not isinstance(value, Dynamic):
            value = Dynamic(_guess_type(value), value)
        return [value.type.to_bytes(), _to_wire(value.value, value.type)]
    if type_ == NUMBER:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if type_ in (STRING, BOOL):
        return value
    if isinstance(type_, (List, Set)):
        return [_to_wire(v, type_.element) for v in value]
    if isinstance(type_, Map):
        return {k: _to_wire(v, type_.element) for k, v in value.items()}
    if isinstance(type_, Object):
        return {k: _to_wire(value.get(k), t) for k, t in type_.attributes.items()}
    if isinstance(type_, Tuple):
        return [_to_wire(v, t) for v, t in zip(value, type_.elements, strict=True)]
    raise TypeError(f"cannot encode a value of type {type_}")


def _guess_type(value: Any) -> CtyType:
    """The type of a plain value put where a dynamic value goes."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, list):
        return Tuple(tuple(_guess_type(v) for v in value))
    if isinstance(value, dict):
        return Object({k: _guess_type(v) for k, v in value.items()})
    return STRING


# --------------------------------------------------------------------------------------------------- JSON


def decode_json(data: bytes | str, type_: CtyType) -> Any:
    """Decode stored state JSON (``RawState.json``) of type ``type_``."""
    if not data:
        return None
    return _from_json_value(json.loads(data), type_)


def _from_json_value(raw: Any, type_: CtyType) -> Any:
    if raw is None:
        return None
    if type_ == DYNAMIC:
        concrete = from_json(raw["type"])
        return Dynamic(concrete, _from_json_value(raw["value"], concrete))
    if type_ == NUMBER:
        return _number(raw)
    if type_ in (STRING, BOOL):
        return raw
    if isinstance(type_, (List, Set)):
        return [_from_json_value(v, type_.element) for v in raw]
    if isinstance(type_, Map):
        return {k: _from_json_value(v, type_.element) for k, v in raw.items()}
    if isinstance(type_, Object):
        return {k: _from_json_value(raw.get(k), t) for k, t in type_.attributes.items()}
    if isinstance(type_, Tuple):
        return [_from_json_value(v, t) for v, t in zip(raw, type_.elements, strict=False)]
    raise TypeError(f"cannot decode a value of type {type_}")


def encode_json(value: Any, type_: CtyType) -> bytes:
    """Encode a known value of type ``type_`` as state JSON."""
    return json.dumps(_to_json_value(value, type_), separators=(",", ":")).encode()


def _to_json_value(value: Any, type_: CtyType) -> Any:
    if value is UNKNOWN:
        raise ValueError("an unknown value cannot be stored as JSON")
    if value is None:
        return None
    if type_ == DYNAMIC:
        if not isinstance(value, Dynamic):
            value = Dynamic(_guess_type(value), value)
        return {"value": _to_json_value(value.value, value.type), "type": value.type.to_json()}
    if isinstance(type_, (List, Set)):
        return [_to_json_value(v, type_.element) for v in value]
    if isinstance(type_, Map):
        return {k: _to_json_value(v, type_.element) for k, v in value.items()}
    if isinstance(type_, Object):
        return {k: _to_json_value(value.get(k), t) for k, t in type_.attributes.items()}
    if isinstance(type_, Tuple):
        return [_to_json_value(v, t) for v, t in zip(value, type_.elements, strict=True)]
    return value
