"""The Python type hints of arguments, and the getters that read attributes back as typed references."""

from __future__ import annotations

import json
from typing import Any

from pvecdk._codegen.model import Arg

_WRAPPERS = {  # computed-only collections are read through cdktf's typed wrappers, as its bindings do
    ("map", "string"): "StringMap", ("map", "number"): "NumberMap", ("map", "bool"): "BooleanMap",
    ("map", "dynamic"): "AnyMap", ("list", "bool"): "BooleanList", ("set", "bool"): "BooleanList",
}


def _hint(type_: Any, *, top: bool = True) -> str:
    if isinstance(type_, str):
        return {"string": "str", "number": "float", "bool": "bool | IResolvable", "dynamic": "Any"}[type_]
    kind, inner = type_[0], type_[1]
    if kind in ("list", "set"):
        text = f"Sequence[{_hint(inner, top=False)}]"
    elif kind == "map":
        text = f"Mapping[str, {_hint(inner, top=False)}]"
    elif kind == "object":
        text = "Mapping[str, Any]"
    else:
        text = "Sequence[Any]"
    simple = kind in ("list", "set", "map") and inner in ("string", "number")
    return text if simple or not top else f"{text} | IResolvable"


def arg_hint(arg: Arg) -> str:
    if arg.struct is None:
        return _hint(arg.type)
    name = arg.struct.name
    if arg.single:
        return f"{name} | Mapping[str, Any]"
    if arg.mode == "map":
        return f"Mapping[str, {name} | Mapping[str, Any]] | IResolvable"
    return f"Sequence[{name} | Mapping[str, Any]] | IResolvable"


def _wrapper(arg: Arg) -> str | None:
    t = arg.type
    if arg.is_arg or arg.struct is not None or not isinstance(t, list) or not isinstance(t[1], str):
        return None
    return _WRAPPERS.get((t[0], t[1]))


def getter(arg: Arg, *, on_element: bool) -> tuple[str, str]:
    """(return hint, body) of an attribute getter: a token typed like the attribute, or a reader."""
    if arg.struct is not None:
        name = arg.struct.name
        if arg.mode in ("list", "set") and arg.max_items == 1:
            return f"{name}OutputReference", f"self._reader({arg.tf!r}, {name}OutputReference, index=0)"
        if arg.single:
            return f"{name}OutputReference", f"self._reader({arg.tf!r}, {name}OutputReference)"
        reader = f"{name}{'Map' if arg.mode == 'map' else 'List'}"
        return reader, f"self._reader({arg.tf!r}, {reader})"
    wrapper = _wrapper(arg) if on_element else None
    if wrapper is not None:
        wraps_set = ", wraps_set=True" if arg.type[0] == "set" else ""
        return wrapper, f"self._wrapped({arg.tf!r}, {wrapper}{wraps_set})"
    t = arg.type
    body = f"self._ref({arg.tf!r}, {json.dumps(t)})"
    if t == "string":
        return "str", body
    if t == "number":
        return "float", body
    if t == "bool":
        return ("bool | IResolvable" if arg.is_arg else "IResolvable"), body
    if isinstance(t, list) and t[0] in ("list", "set") and t[1] in ("string", "number"):
        return ("list[str]" if t[1] == "string" else "list[float]"), body
    if isinstance(t, list) and t[0] == "map" and t[1] in ("string", "number") and arg.is_arg:
        return ("Mapping[str, str]" if t[1] == "string" else "Mapping[str, float]"), body
    return "IResolvable", body
