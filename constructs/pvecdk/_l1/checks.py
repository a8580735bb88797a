"""Checking values against fields before anything is written; problems carry the construct path."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pvecdk import _cdk
from pvecdk._l1.fields import Attr, CtyType, Field, Nested, Struct
from pvecdk.errors import Problem


def _describe(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, bool):
        return f"bool {value}"
    if isinstance(value, (int, float)):
        return f"{type(value).__name__} {value}"
    if isinstance(value, Struct):
        return type(value).__name__
    return type(value).__name__


def _type_text(type_: CtyType) -> str:
    if isinstance(type_, str):
        return {"string": "a string", "number": "a number", "bool": "a bool", "dynamic": "any value"}[type_]
    kind = type_[0]
    if kind in ("list", "set"):
        return f"a {kind} of {_plural(type_[1])}"
    if kind == "map":
        return f"a map of {_plural(type_[1])}"
    if kind == "object":
        return "an object with keys " + ", ".join(sorted(type_[1]))
    return "a tuple"


def _plural(type_: CtyType) -> str:
    if isinstance(type_, str):
        return {"string": "strings", "number": "numbers", "bool": "bools", "dynamic": "values"}[type_]
    return _type_text(type_).removeprefix("a ").removeprefix("an ") + "s"


class Checker:
    """Walks values against fields, normalising dicts into structs and collecting problems.

    The construct path costs two jsii round trips, so it is read only when there is a problem to report.
    """

    def __init__(self, path: Callable[[], str], tf_type: str | None) -> None:
        self._path = path
        self._path_text: str | None = None
        self.tf_type = tf_type
        self.problems: list[Problem] = []

    @property
    def path(self) -> str:
        if self._path_text is None:
            self._path_text = self._path()
        return self._path_text

    def add(self, field: str, problem: str, fix: str) -> None:
        self.problems.append(Problem(self.path, field, problem, fix, self.tf_type))

    def dependencies(self, depends_on: Any) -> None:
        """``depends_on`` holds elements: jsii would refuse an address string with a message naming no field."""
        if not _is_sequence(depends_on):
            self.add("depends_on", f"expected a list of resources, got {_describe(depends_on)}",
                     "pass a list: depends_on=[resource]")
            return
        for i, item in enumerate(depends_on):
            if item is None or isinstance(item, (str, int, float, dict, list, tuple, Struct)):
                self.add(f"depends_on[{i}]", f"expected a resource, data source or module, got {_describe(item)}",
                         "pass the construct itself (depends_on=[nfs]), not its address")

    # -- structs

    def struct_values(self, fields: Mapping[str, Field], values: Mapping[str, Any], prefix: str,
                      unknown: Sequence[str] = ()) -> dict[str, Any]:
        """Check one level of arguments (python names -> values); returns tf names -> normalised values."""
        out: dict[str, Any] = {}
        for name in unknown:
            self._unknown(fields, name, prefix)
        for name, field in fields.items():
            value = values.get(name)
            where = prefix + field.tf
            if value is None:
                if field.required or (isinstance(field, Nested) and field.min_items > 0):
                    self.add(where, "missing required argument", f"pass {name}=...")
                continue
            if field.sensitive and not (is_token(value) or _cdk.is_unresolved(value)):
                self.add(
                    where,
                    "a secret was given as a literal value (value hidden)",
                    "pass a sensitive TerraformVariable or another token, or leave it unset and use the "
                    "provider's environment variable",
                )
                continue
            if isinstance(field, Attr):
                if self.value(field.type, value, where):
                    out[field.tf] = value
            else:
                assert isinstance(field, Nested)
                normalised = self.nested(field, value, where)
                if normalised is not None:
                    out[field.tf] = normalised
        return out

    def _unknown(self, fields: Mapping[str, Field], name: str, prefix: str) -> None:
        renamed = [py for py, f in fields.items() if f.tf == name and py != name]
        close = renamed or difflib.get_close_matches(name, list(fields), n=1)
        fix = f"did you mean {close[0]}" if close else "valid arguments are " + ", ".join(sorted(fields))
        self.add(prefix + name, "unknown argument", fix)

    def nested(self, field: Nested, value: Any, where: str) -> Any:
        if is_token(value):
            return value
        if field.single and field.mode != "single" and _is_sequence(value) and len(value) <= 1:
            # A one-item list block may also be given as a list of one struct, as Terraform would take it.
            if not value:
                return None
            value = value[0]
        if field.single or field.mode == "single":
            return self.item(field, value, where)
        if field.mode == "map":
            if not isinstance(value, Mapping):
                self.add(where, f"expected a map of {field.struct.__name__}, got {_describe(value)}",
                         f"pass a dict of {field.struct.__name__}")
                return None
            return {k: self.item(field, v, f"{where}[{k!r}]") for k, v in value.items()}
        if not _is_sequence(value):
            self.add(where, f"expected a list of {field.struct.__name__}, got {_describe(value)}",
                     f"pass a list of {field.struct.__name__} (or dicts)")
            return None
        items = [self.item(field, v, f"{where}[{i}]") for i, v in enumerate(value)]
        if field.max_items and len(items) > field.max_items:
            self.add(where, f"at most {field.max_items} {field.tf} block(s) allowed, got {len(items)}",
                     f"remove {len(items) - field.max_items}")
        if field.min_items and len(items) < field.min_items:
            self.add(where, f"at least {field.min_items} {field.tf} block(s) required, got {len(items)}",
                     f"add {field.min_items - len(items)}")
        return items

    def item(self, field: Nested, value: Any, where: str) -> Any:
        struct = field.struct
        if is_token(value):
            return value
        if isinstance(value, Mapping):
            value = struct._from_mapping(value)
        if not isinstance(value, struct):
            self.add(where, f"expected {struct.__name__}, got {_describe(value)}",
                     f"pass {struct.__name__}(...) or a dict of its arguments")
            return None
        values = self.struct_values(struct._FIELDS, value._values, where + ".", value._unknown)
        return struct._normalised(values)

    # -- plain values

    def value(self, type_: CtyType, value: Any, where: str) -> bool:
        if is_token(value):
            return True
        ok = True
        if isinstance(type_, str):
            if type_ == "string":
                ok = isinstance(value, str)
            elif type_ == "number":
                ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            elif type_ == "bool":
                ok = isinstance(value, bool)
            if not ok:
                self.add(where, f"expected {_type_text(type_)}, got {_describe(value)}",
                         f"pass {_type_text(type_)}")
            return ok
        kind, inner = type_[0], type_[1]
        if kind in ("list", "set"):
            if not _is_sequence(value):
                self.add(where, f"expected {_type_text(type_)}, got {_describe(value)}",
                         f"pass {_type_text(type_)}, such as [...]")
                return False
            return all([self.value(inner, v, f"{where}[{i}]") for i, v in enumerate(value)])
        if kind == "map":
            if not isinstance(value, Mapping):
                self.add(where, f"expected {_type_text(type_)}, got {_describe(value)}",
                         f"pass {_type_text(type_)}, such as {{...}}")
                return False
            return all([self.value(inner, v, f"{where}[{k!r}]") for k, v in value.items()])
        if kind == "object":
            if not isinstance(value, Mapping):
                self.add(where, f"expected {_type_text(type_)}, got {_describe(value)}", "pass a dict")
                return False
            results = []
            for key, item in value.items():
                if key not in inner:
                    self._unknown({k: Attr(k, t, "o") for k, t in inner.items()}, key, where + ".")
                    results.append(False)
                else:
                    results.append(self.value(inner[key], item, f"{where}.{key}"))
            return all(results)
        return True  # tuples and dynamic values are left to Terraform


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple, set, frozenset))


def is_token(value: Any) -> bool:
    """A token, or a string holding a Terraform expression; a jsii call only for objects of unknown kinds."""
    if isinstance(value, str):
        return "${" in value or "#{TfToken[" in value
    if value is None or isinstance(value, (bool, int, float, list, tuple, dict, set, frozenset, Struct)):
        return False
    return _cdk.is_unresolved(value)
