"""The vendored PVE API schema: finding the entry for a request path, and checking parameters like PVE does.

Request parameters arrive as strings (query string or form body), which is what PVE's JSONSchema checks too,
so type checks follow its encodings: integers are decimal digits, booleans are exactly "1" or "0".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .formats import FormatError, check_named, parse_property_string

SCHEMA_DIR = Path(__file__).with_name("schema")
SCHEMA_FILES = {"9.1": "pve-api-9.1.3.json", "8.4": "pve-api-8.4.2.json"}

# The highest index of an indexed property ('link[n]' means link0..link7 in corosync's case); others are open.
_INDEX_MAX = {"link": 7}
_NUMBER_RE = re.compile(r"[+-]?([0-9]+\.[0-9]+|[0-9]+\.|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class Route:
    """A request path matched to its schema entry: the template, the path parameters and the methods."""

    template: str
    path_params: dict[str, str]
    methods: dict[str, dict[str, Any]]


class ApiSchema:
    """One PVE version's API tree, indexed by path length for matching request paths."""

    def __init__(self, tree: list[dict[str, Any]]) -> None:
        self._by_length: dict[int, list[tuple[tuple[str, ...], str, dict[str, dict[str, Any]]]]] = {}
        self._add(tree)

    def _add(self, nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            template = str(node["path"])
            segments = tuple(s for s in template.split("/") if s)
            self._by_length.setdefault(len(segments), []).append((segments, template, node.get("info") or {}))
            self._add(node.get("children") or [])

    def resolve(self, path: str) -> Route | None:
        """Match a path such as /nodes/pve1/time; literal segments beat parameters where both would fit."""
        parts = [p for p in path.split("/") if p]
        best: tuple[int, Route] | None = None
        for segments, template, methods in self._by_length.get(len(parts), []):
            params: dict[str, str] = {}
            literal = 0
            for seg, part in zip(segments, parts, strict=True):
                if seg.startswith("{") and seg.endswith("}"):
                    params[seg[1:-1]] = part
                elif seg == part:
                    literal += 1
                else:
                    break
            else:
                if best is None or literal > best[0]:
                    best = (literal, Route(template, params, methods))
        return best[1] if best else None


@lru_cache(maxsize=None)
def load_schema(release: str) -> ApiSchema:
    """Parse a vendored schema once per process; the files are large and never change."""
    with (SCHEMA_DIR / SCHEMA_FILES[release]).open(encoding="utf-8") as handle:
        return ApiSchema(json.load(handle))


def validate(info: dict[str, Any], params: dict[str, str]) -> dict[str, str]:
    """Check request parameters (path parameters included) against a method's schema; return PVE's errors."""
    schema = info.get("parameters") or {}
    props: dict[str, Any] = schema.get("properties") or {}
    additional = schema.get("additionalProperties")
    errors: dict[str, str] = {}
    for name, prop in props.items():
        if not name.endswith("[n]"):
            _check_prop(params.get(name), prop, name, errors)
    for name, value in params.items():
        prop = _property_for(props, name)
        if prop is None:
            if additional is not None and not additional:
                _add_error(
                    errors,
                    name,
                    "property is not defined in schema and the schema does not allow additional properties",
                )
            continue
        required = prop.get("requires")
        if isinstance(required, str) and required not in params:
            _add_error(errors, required, f"missing property - '{name}' requires this property")
        if name not in props:
            _check_prop(value, prop, name, errors)
    return errors


def _property_for(props: dict[str, Any], name: str) -> dict[str, Any] | None:
    if name in props:
        found: dict[str, Any] = props[name]
        return found
    indexed = re.fullmatch(r"([a-z_]+?)([0-9]+)", name)
    if indexed and f"{indexed.group(1)}[n]" in props:
        if int(indexed.group(2)) <= _INDEX_MAX.get(indexed.group(1), 255):
            found = props[f"{indexed.group(1)}[n]"]
            return found
    return None


def _add_error(errors: dict[str, str], path: str, message: str) -> None:
    # PVE joins several messages for one path with a literal backslash-n (a single-quoted '\n' in Perl).
    errors[path] = f"{errors[path]}\\n{message}" if path in errors else message


def _number_text(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _type_ok(kind: Any, value: str) -> bool:
    if kind == "integer":
        return bool(_INTEGER_RE.fullmatch(value))
    if kind == "number":
        return bool(_NUMBER_RE.fullmatch(value))
    if kind == "boolean":
        return value in ("0", "1")
    return True


@lru_cache(maxsize=None)
def _compile(pattern: str) -> re.Pattern[str] | None:
    # The schema carries Perl regexes; '(?^i:' is Perl's spelling of a scoped flag group.
    translated = pattern.replace("(?^i:", "(?i:").replace("(?^:", "(?:")
    try:
        return re.compile(translated)
    except re.error:
        return None


def _check_prop(value: str | None, prop: dict[str, Any], path: str, errors: dict[str, str]) -> None:
    if value is None:
        if not prop.get("optional") and not prop.get("alias"):
            _add_error(errors, path, "property is missing and it is not optional")
        return
    kind = prop.get("type")
    if not _type_ok(kind, value):
        _add_error(errors, path, f"type check ('{kind}') failed - got '{value}'")
        return
    fmt = prop.get("format")
    try:
        if isinstance(fmt, dict):
            _check_property_string(fmt, value, path)
        elif isinstance(fmt, str):
            check_named(fmt, value)
    except FormatError as exc:
        _add_error(errors, path, f"invalid format - {exc}")
        return
    pattern = prop.get("pattern")
    if isinstance(pattern, str):
        compiled = _compile(pattern)
        if compiled is not None and not compiled.fullmatch(value):
            _add_error(errors, path, "value does not match the regex pattern")
            return
    if "maxLength" in prop and len(value) > int(prop["maxLength"]):
        _add_error(errors, path, f"value may only be {prop['maxLength']} characters long")
        return
    if "minLength" in prop and len(value) < int(prop["minLength"]):
        _add_error(errors, path, f"value must be at least {prop['minLength']} characters long")
        return
    if _NUMBER_RE.fullmatch(value):
        if "maximum" in prop and float(value) > float(prop["maximum"]):
            _add_error(errors, path, f"value must have a maximum value of {_number_text(prop['maximum'])}")
            return
        if "minimum" in prop and float(value) < float(prop["minimum"]):
            _add_error(errors, path, f"value must have a minimum value of {_number_text(prop['minimum'])}")
            return
    enum = prop.get("enum")
    if isinstance(enum, list) and value not in [str(e) for e in enum]:
        allowed = ", ".join(str(e) for e in enum)
        _add_error(errors, path, f"value '{value}' does not have a value in the enumeration '{allowed}'")


def _check_property_string(fmt: dict[str, Any], value: str, path: str) -> None:
    parsed = parse_property_string(fmt, value)
    sub: dict[str, str] = {}
    for key, prop in fmt.items():
        if isinstance(prop, dict):
            _check_prop(parsed.get(key), prop, f"{path}.{key}", sub)
    for key in parsed:
        required = fmt[key].get("requires")
        if isinstance(required, str) and required not in parsed:
            _add_error(sub, f"{path}.{required}", f"missing property - '{path}.{key}' requires this property")
    if sub:
        # PVE raises 'format error' with the sub-errors; its exception text lists them one per line.
        raise FormatError("format error\n" + "".join(f"{k}: {v}\n" for k, v in sorted(sub.items())))
