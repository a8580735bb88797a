"""The synthesized arguments of an element: JSON, and HCL with the type of each value."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from pvecdk import _cdk
from pvecdk._l1.checks import is_token
from pvecdk._l1.fields import Attr, Field, Nested, Struct


@functools.cache
def _null() -> Any:
    """cdktf's null token, asked for once: it holds no state, and each request is a jsii round trip."""
    return _cdk.Token.null_value()


def json_field(field: Field | None, value: Any) -> Any:
    """The JSON of one argument, with the nulls that ``complete`` object lists need."""
    if isinstance(field, Nested) and field.complete:
        if isinstance(value, Struct):
            out = _json(value)
            for f in field.struct._FIELDS.values():
                out.setdefault(f.tf, _null())
            return out
        if isinstance(value, (list, tuple)):
            return [json_field(field, v) for v in value]
    return _json(value)


def _json(value: Any) -> Any:
    if isinstance(value, Struct):
        fields = type(value)._BY_TF()
        return {k: json_field(fields.get(k), v) for k, v in (value._tf or {}).items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [_json(v) for v in sorted(value, key=repr)]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


_SIMPLE = {"string": "string", "number": "number", "bool": "boolean"}


def hcl_fields(fields: Mapping[str, Field], values: Mapping[str, Any]) -> dict[str, Any]:
    by_tf = {f.tf: f for f in fields.values()}
    return {tf: _hcl(by_tf[tf], v) for tf, v in values.items() if tf in by_tf}


def _hcl(field: Field, value: Any) -> dict[str, Any]:
    if isinstance(field, Nested):
        if not field.block:
            return {"value": _json(value), "isBlock": False, "type": "any", "storageClassType": "any"}
        name = field.struct.__name__
        if is_token(value):
            return {"value": value, "isBlock": True, "type": "list", "storageClassType": name + "List"}
        if isinstance(value, Struct):
            return {"value": hcl_fields(field.struct._FIELDS, value._tf or {}), "isBlock": True,
                    "type": "struct", "storageClassType": name}
        items = [hcl_fields(field.struct._FIELDS, v._tf or {}) if isinstance(v, Struct) else v for v in value]
        return {"value": items, "isBlock": True, "type": "list" if field.mode != "set" else "set",
                "storageClassType": name + "List"}
    assert isinstance(field, Attr)
    type_ = field.type
    if isinstance(type_, str) and type_ in _SIMPLE:
        return {"value": value, "isBlock": False, "type": "simple", "storageClassType": _SIMPLE[type_]}
    if not isinstance(type_, str) and type_[0] in ("list", "set", "map") and type_[1] in _SIMPLE:
        kind = type_[0]
        suffix = "Map" if kind == "map" else "List"
        return {"value": _json(value), "isBlock": False, "type": kind,
                "storageClassType": _SIMPLE[type_[1]] + suffix}
    return {"value": _json(value), "isBlock": False, "type": "any", "storageClassType": "any"}
