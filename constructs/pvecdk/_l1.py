"""The runtime under every generated L1 class (``pvecdk.bpg`` and, later, ``pvecdk.provider``).

Generated modules hold only names, signatures and a compact field table per type; this module does the work
the same way for all of them:

* **Validation before anything is written.** Unknown and missing arguments are caught by the metaclass before
  the constructor runs; types, nested blocks and item limits are checked before the construct is created on
  the jsii side, so a rejected construct never enters the tree. Every problem found is reported at once in a
  :class:`~pvecdk.errors.ConfigError` naming the Terraform type, the construct path and the attribute.
* **Tokens pass.** Any value that cdktf resolves later (``${TfToken[...]}`` strings, number tokens, ``IResolvable``
  objects) is accepted wherever Terraform would accept a computed value.
* **Synthesis** for JSON (``_synthesize_attributes``) and HCL (``_synthesize_hcl_attributes``).
* **References**: attribute getters return tokens; nested blocks are read through ``...OutputReference`` and
  ``...List``/``...Map`` readers, as in cdktf's own bindings.
* **Secrets are never literals**: an argument the provider marks sensitive takes a token (a sensitive
  ``TerraformVariable``, an output of another resource) or nothing (the provider's own environment variable);
  a literal is refused, and its value never appears in the message.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, TypeAlias

import jsii
from jsii import _kernel

from pvecdk import _cdk
from pvecdk.errors import ConfigError, Problem

#: A cty type as Terraform's schema JSON spells it: ``"string"``, ``["list", "string"]``, ``["object", {...}]``.
CtyType: TypeAlias = str | list[Any] | tuple[Any, ...]

__all__ = [
    "Attr",
    "DataSource",
    "Field",
    "ListReader",
    "MapReader",
    "Nested",
    "OutputReference",
    "Provider",
    "Resource",
    "Struct",
    "attr",
    "nested",
]

_META_ARGS = ("connection", "count", "depends_on", "for_each", "lifecycle", "provider", "provisioners")


def _cache_jsii_overrides() -> None:
    """Let jsii find a class's overridden members once per class instead of once per instance.

    jsii's kernel walks the members of a Python subclass on every ``create`` to learn which of them override
    members of the jsii class. The answer depends only on the class, and for generated L1 classes (dozens of
    members each) the walk is most of what constructing one costs beyond cdktf itself. If the kernel's
    internals differ from what this expects, nothing is changed.
    """
    original = getattr(_kernel, "_get_overides", None)
    if original is None or getattr(original, "_pvecdk_cached", False):
        return
    if list(inspect.signature(original).parameters) != ["klass", "obj"]:
        return
    cache: dict[tuple[type, type], list[Any]] = {}

    def cached(klass: type, obj: Any) -> list[Any]:
        key = (klass, type(obj))
        found = cache.get(key)
        if found is None:
            found = cache[key] = original(klass, obj)
        return list(found)

    cached._pvecdk_cached = True  # type: ignore[attr-defined]
    _kernel._get_overides = cached


_cache_jsii_overrides()


# --------------------------------------------------------------------------------------------------- fields


class Field:
    """One argument of a type or of a nested block, as the schema declares it."""

    __slots__ = ("tf", "required", "optional", "computed", "sensitive", "deprecated")

    def __init__(self, tf: str, flags: str) -> None:
        self.tf = tf
        self.required = "r" in flags
        self.optional = "o" in flags
        self.computed = "c" in flags
        self.sensitive = "s" in flags
        self.deprecated = "d" in flags


class Attr(Field):
    """A plain attribute with a cty type."""

    __slots__ = ("type",)

    def __init__(self, tf: str, type_: CtyType, flags: str) -> None:
        super().__init__(tf, flags)
        self.type = type_


class Nested(Field):
    """A nested block (``block=True``) or a nested attribute of the plugin framework (``block=False``)."""

    __slots__ = ("struct", "mode", "min_items", "max_items", "block", "complete")

    def __init__(
        self,
        tf: str,
        struct: type[Struct],
        mode: str,
        flags: str,
        *,
        block: bool,
        min_items: int = 0,
        max_items: int = 0,
        complete: bool = False,
    ) -> None:
        super().__init__(tf, flags)
        self.struct = struct
        self.mode = mode
        self.min_items = min_items
        self.max_items = max_items
        self.block = block
        # The schema types this argument as a list of objects, whose every key Terraform wants in JSON
        # (an SDK "attribute as blocks", or a plain object type): unset keys are written as null.
        self.complete = complete

    @property
    def single(self) -> bool:
        """Whether the block holds at most one item and is passed as one struct, not a list."""
        return self.mode == "single" or (self.mode in ("list", "set") and self.max_items == 1)


def attr(tf: str, type_: CtyType, flags: str) -> Attr:
    """Declare a plain attribute (used by generated code)."""
    return Attr(tf, type_, flags)


def nested(
    tf: str, struct: type[Struct], mode: str, flags: str, *, block: bool, min_items: int = 0, max_items: int = 0,
    complete: bool = False,
) -> Nested:
    """Declare a nested block or nested attribute (used by generated code)."""
    return Nested(tf, struct, mode, flags, block=block, min_items=min_items, max_items=max_items,
                  complete=complete)


# --------------------------------------------------------------------------------------------------- checks


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


class _Checker:
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
            if field.sensitive and not (_is_token(value) or _cdk.is_unresolved(value)):
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
        if _is_token(value):
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
        if _is_token(value):
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
        if _is_token(value):
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


def _is_token(value: Any) -> bool:
    """A token, or a string holding a Terraform expression; a jsii call only for objects of unknown kinds."""
    if isinstance(value, str):
        return "${" in value or "#{TfToken[" in value
    if value is None or isinstance(value, (bool, int, float, list, tuple, dict, set, frozenset, Struct)):
        return False
    return _cdk.is_unresolved(value)


# --------------------------------------------------------------------------------------------------- structs


class _StructMeta(type):
    """Lets a struct be built from bad arguments so the owning construct reports them with its path."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        fields: Mapping[str, Field] = getattr(cls, "_FIELDS", {})
        extra: tuple[str, ...] = getattr(cls, "_EXTRA", ())
        unknown = [k for k in kwargs if k not in fields and k not in extra]
        missing = [n for n, f in fields.items() if f.required and n not in kwargs]
        if args or not (unknown or missing):
            return super().__call__(*args, **kwargs)
        inst: Struct = object.__new__(cls)  # type: ignore[arg-type]
        inst._init(**{k: v for k, v in kwargs.items() if k in fields or k in extra})
        inst._unknown = tuple(unknown)
        return inst


class Struct(metaclass=_StructMeta):
    """A nested block, nested attribute or config struct: keyword arguments kept by Python name."""

    _FIELDS: ClassVar[Mapping[str, Field]] = {}
    _EXTRA: ClassVar[tuple[str, ...]] = ()  # config structs: Terraform's meta-arguments, or a provider's alias
    __slots__ = ("_values", "_unknown", "_tf")

    def _init(self, **values: Any) -> None:
        self._values: dict[str, Any] = {k: v for k, v in values.items() if v is not None}
        self._unknown: tuple[str, ...] = ()
        self._tf: dict[str, Any] | None = None

    @classmethod
    def _BY_TF(cls) -> Mapping[str, Field]:  # noqa: N802 - a class-level table, named like one
        """Fields by Terraform name (computed once per class)."""
        table: Mapping[str, Field] | None = cls.__dict__.get("_by_tf_cache")
        if table is None:
            table = {f.tf: f for f in cls._FIELDS.values()}
            cls._by_tf_cache = table  # type: ignore[attr-defined]
        return table

    @classmethod
    def _from_mapping(cls, value: Mapping[str, Any]) -> Struct:
        inst: Struct = cls(**dict(value))
        return inst

    @classmethod
    def _normalised(cls, tf_values: dict[str, Any]) -> Struct:
        """A checked copy keyed by Terraform names (what synthesis reads)."""
        inst = cls.__new__(cls)
        inst._values = {}
        inst._unknown = ()
        inst._tf = tf_values
        return inst

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Struct) and type(other) is type(self) and other._values == self._values

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}=<hidden>" if self._FIELDS.get(k) and self._FIELDS[k].sensitive else f"{k}={v!r}"
            for k, v in self._values.items()
        )
        return f"{type(self).__name__}({shown})"


# --------------------------------------------------------------------------------------------------- synthesis


@functools.cache
def _null() -> Any:
    """cdktf's null token, asked for once: it holds no state, and each request is a jsii round trip."""
    return _cdk.Token.null_value()


def _json_field(field: Field | None, value: Any) -> Any:
    """The JSON of one argument, with the nulls that ``complete`` object lists need."""
    if isinstance(field, Nested) and field.complete:
        if isinstance(value, Struct):
            out = _json(value)
            for f in field.struct._FIELDS.values():
                out.setdefault(f.tf, _null())
            return out
        if isinstance(value, (list, tuple)):
            return [_json_field(field, v) for v in value]
    return _json(value)


def _json(value: Any) -> Any:
    if isinstance(value, Struct):
        fields = type(value)._BY_TF()
        return {k: _json_field(fields.get(k), v) for k, v in (value._tf or {}).items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [_json(v) for v in sorted(value, key=repr)]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


_SIMPLE = {"string": "string", "number": "number", "bool": "boolean"}


def _hcl_fields(fields: Mapping[str, Field], values: Mapping[str, Any]) -> dict[str, Any]:
    by_tf = {f.tf: f for f in fields.values()}
    return {tf: _hcl(by_tf[tf], v) for tf, v in values.items() if tf in by_tf}


def _hcl(field: Field, value: Any) -> dict[str, Any]:
    if isinstance(field, Nested):
        if not field.block:
            return {"value": _json(value), "isBlock": False, "type": "any", "storageClassType": "any"}
        name = field.struct.__name__
        if _is_token(value):
            return {"value": value, "isBlock": True, "type": "list", "storageClassType": name + "List"}
        if isinstance(value, Struct):
            return {"value": _hcl_fields(field.struct._FIELDS, value._tf or {}), "isBlock": True,
                    "type": "struct", "storageClassType": name}
        items = [_hcl_fields(field.struct._FIELDS, v._tf or {}) if isinstance(v, Struct) else v for v in value]
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


# --------------------------------------------------------------------------------------------------- elements

class _ElementMeta(jsii.JSIIMeta):
    """Reports unknown and missing constructor arguments with the construct path, before anything is built."""

    _SCOPE_PARAM: str
    _ID_PARAM: str

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        config: type[Struct] | None = getattr(cls, "_CONFIG", None)
        if config is not None:
            scope = args[0] if args else kwargs.get(cls._SCOPE_PARAM)
            id_ = args[1] if len(args) > 1 else kwargs.get(cls._ID_PARAM, "")
            checker = _Checker(lambda: _cdk.construct_path(scope, str(id_)), getattr(cls, "TF_RESOURCE_TYPE", None))
            named = {k for k in kwargs if k not in (cls._SCOPE_PARAM, cls._ID_PARAM)}
            fields = config._FIELDS
            for name in sorted(named - set(fields) - set(config._EXTRA)):
                checker._unknown({**fields, **{m: Field(m, "o") for m in config._EXTRA}}, name, "")
            for name, field in fields.items():
                if field.required and kwargs.get(name) is None:
                    checker.add(field.tf, "missing required argument", f"pass {name}=...")
            if len(args) > 2:
                checker.add("(positional)", f"{len(args) - 2} extra positional argument(s)",
                            "pass every argument after scope and id by keyword")
            if checker.problems:
                raise ConfigError(checker.problems)
        return super().__call__(*args, **kwargs)


class _Element:
    """What resources, data sources and providers share: checked values and their synthesis."""

    _CONFIG: ClassVar[type[Struct] | None] = None
    _ID_PARAM: ClassVar[str] = "id"
    _SCOPE_PARAM: ClassVar[str] = "scope"
    _DEPRECATED: ClassVar[str] = ""
    TF_RESOURCE_TYPE: ClassVar[str] = ""
    _values_tf: dict[str, Any]

    @classmethod
    def _check(cls, scope: Any, id_: str, config: Struct) -> tuple[dict[str, Any], dict[str, Any]]:
        assert cls._CONFIG is not None
        fields = cls._CONFIG._FIELDS
        checker = _Checker(lambda: _cdk.construct_path(scope, id_), cls.TF_RESOURCE_TYPE)
        values = checker.struct_values(fields, config._values, "", config._unknown)
        depends_on = config._values.get("depends_on")
        if depends_on is not None:
            checker.dependencies(depends_on)
        if checker.problems:
            raise ConfigError(checker.problems)
        if cls._DEPRECATED:
            warnings.warn(cls._DEPRECATED, DeprecationWarning, stacklevel=4)
        meta = {k: config._values[k] for k in config._EXTRA if config._values.get(k) is not None}
        return values, meta

    def _field(self, name: str) -> Field:
        assert self._CONFIG is not None
        return self._CONFIG._FIELDS[name]

    def _set(self, name: str, value: Any) -> None:
        """Set one argument after construction, with the same checks as the constructor."""
        field = self._field(name)
        if value is None:
            self._values_tf.pop(field.tf, None)
            return
        checker = _Checker(lambda: str(self.node.path), self.TF_RESOURCE_TYPE)  # type: ignore[attr-defined]
        checked = checker.struct_values({name: field}, {name: value}, "")
        if checker.problems:
            raise ConfigError(checker.problems)
        self._values_tf.update(checked)

    def _input(self, name: str) -> Any:
        value = self._values_tf.get(self._field(name).tf)
        if isinstance(value, Struct):
            return type(value)(**_python_values(value))
        return value

    def _reset(self, name: str) -> None:
        self._values_tf.pop(self._field(name).tf, None)

    def render_late(self, render: Callable[[], None]) -> None:
        """Run ``render`` at synthesis, before the arguments are read.

        This is how an L2 sets a value derived from other constructs (a node's hosts file lists every node, a
        rule lists its members): the L2 creates the resource in its constructor, and the derived value is
        computed once, when the whole model is built, so the order of calls never matters.
        """
        self.__dict__.setdefault("_late_renders", []).append(render)

    def _before_synthesis(self) -> None:
        """Set what is known only once the whole model is built: the renders registered with render_late."""
        for render in self.__dict__.get("_late_renders", ()):
            render()

    def _synthesize_attributes(self) -> Mapping[str, Any]:
        assert self._CONFIG is not None
        self._before_synthesis()
        fields = self._CONFIG._BY_TF()
        return {k: _json_field(fields.get(k), v) for k, v in self._values_tf.items()}

    def _synthesize_hcl_attributes(self) -> Mapping[str, Any]:
        assert self._CONFIG is not None
        self._before_synthesis()
        return _hcl_fields(self._CONFIG._FIELDS, self._values_tf)

    # -- references (attribute getters)

    def _ref(self, tf_path: str, type_: CtyType) -> Any:
        return _token(self, tf_path, type_)

    def _wrapped(self, tf_name: str, wrapper: type, wraps_set: bool | None = None) -> Any:
        """A computed-only collection through cdktf's typed wrapper (``StringMap``, ``BooleanList``, ...)."""
        if wraps_set is None:
            return wrapper(self, tf_name)
        return wrapper(self, tf_name, wraps_set)

    def _reader(self, tf_name: str, reader: type[_Reader], index: int | None = None) -> Any:
        if index is None:
            return reader(self, tf_name, None)
        return reader(self, f"{tf_name}[{index}]", None)


def _python_values(value: Struct) -> dict[str, Any]:
    by_tf = {f.tf: n for n, f in value._FIELDS.items()}
    return {by_tf[k]: v for k, v in (value._tf or {}).items() if k in by_tf}


def _token(element: Any, path: str, type_: CtyType, base: Any = None) -> Any:
    """The token that refers to ``path`` on ``element`` (or to a key of ``base``), typed like the attribute."""
    T = _cdk.Token
    if base is None:
        if type_ == "string":
            return element.get_string_attribute(path)
        if type_ == "number":
            return element.get_number_attribute(path)
        if type_ == "bool":
            return element.get_boolean_attribute(path)
        expr = element.interpolation_for_attribute(path)
    else:
        expr = _cdk.Fn.lookup(base, path.rsplit(".", 1)[-1], None)
        if type_ == "string":
            return T.as_string(expr)
        if type_ == "number":
            return T.as_number(expr)
        if type_ == "bool":
            return expr
    if not isinstance(type_, str) and type_[0] in ("list", "set"):
        if type_[1] == "string":
            return T.as_list(_cdk.Fn.tolist(expr) if type_[0] == "set" else expr)
        if type_[1] == "number":
            return T.as_number_list(expr)
    if not isinstance(type_, str) and type_[0] == "map":
        if type_[1] == "string":
            return T.as_string_map(expr)
        if type_[1] == "number":
            return T.as_number_map(expr)
    return expr


def _metadata(cls: type[_Element]) -> Any:
    """The generator metadata struct of a class, built once per class: it is the same for every instance."""
    made = cls.__dict__.get("_metadata_struct")  # this class's own: each generated class has its provider
    if made is None:
        made = _cdk.TerraformProviderGeneratorMetadata(**cls._PROVIDER_METADATA)  # type: ignore[attr-defined]
        cls._metadata_struct = made  # type: ignore[attr-defined]
    return made


# The meta-arguments whose kinds are checked here, and how. Dict forms, connections, provisioners and
# iterators are rare and go through cdktf's own constructor, which converts and checks them.
_META_KINDS: Mapping[str, Callable[[Any], bool]] = {
    "depends_on": lambda v: isinstance(v, (list, tuple))
    and all(isinstance(d, (_cdk.TerraformResource, _cdk.TerraformDataSource)) for d in v),
    "lifecycle": lambda v: isinstance(v, _cdk.TerraformResourceLifecycle),
    "provider": lambda v: isinstance(v, _cdk.TerraformProvider),
    "count": lambda v: isinstance(v, _cdk.TerraformCount)
    or (isinstance(v, (int, float)) and not isinstance(v, bool)),
}


def _create_element(element: _Element, scope: Any, id_: str, meta: Mapping[str, Any]) -> bool:
    """Create a resource or data source on the jsii side without cdktf's run-time type checks; False when
    cdktf's own constructor has to do it.

    cdktf's Python constructors check every argument with typeguard whenever Python runs without ``-O``. For
    the config struct alone that is about 0.2 ms per element, as much as the jsii call that creates it, and
    the generated classes have checked their arguments against the schema already. So when scope, id and
    every meta-argument are of a kind checked above, the struct is filled exactly as its constructor fills
    it, and the element is created as that constructor creates it.
    """
    if not (isinstance(scope, _cdk.Construct) and isinstance(id_, str)):
        return False
    for name, value in meta.items():
        kind = _META_KINDS.get(name)
        if kind is None or not kind(value):
            return False
    struct = _cdk.TerraformResourceConfig.__new__(_cdk.TerraformResourceConfig)
    struct._values = {"terraform_resource_type": element.TF_RESOURCE_TYPE,
                      **{k: list(v) if k == "depends_on" else v for k, v in meta.items()},
                      "terraform_generator_metadata": _metadata(type(element))}
    jsii.create(type(element), element, [scope, id_, struct])
    return True


class Resource(_Element, _cdk.TerraformResource, metaclass=_ElementMeta):
    """Base of every generated resource class."""

    _PROVIDER_METADATA: ClassVar[Mapping[str, str]] = {}

    def __init__(self, scope: _cdk.Construct, id_: str, config: Struct) -> None:
        values, meta = self._check(scope, id_, config)
        if not _create_element(self, scope, id_, meta):
            super().__init__(scope, id_, terraform_resource_type=self.TF_RESOURCE_TYPE,
                             terraform_generator_metadata=_metadata(type(self)), **meta)
        self._values_tf = values


class DataSource(_Element, _cdk.TerraformDataSource, metaclass=_ElementMeta):
    """Base of every generated data source class."""

    _PROVIDER_METADATA: ClassVar[Mapping[str, str]] = {}

    def __init__(self, scope: _cdk.Construct, id_: str, config: Struct) -> None:
        values, meta = self._check(scope, id_, config)
        if not _create_element(self, scope, id_, meta):
            super().__init__(scope, id_, terraform_resource_type=self.TF_RESOURCE_TYPE,
                             terraform_generator_metadata=_metadata(type(self)), **meta)
        self._values_tf = values


class _ProviderMeta(_ElementMeta, jsii.JSIIAbstractClass):
    """TerraformProvider is abstract on the jsii side, so its metaclass also derives from ABCMeta."""


class Provider(_Element, _cdk.TerraformProvider, metaclass=_ProviderMeta):
    """Base of every generated provider class."""

    _PROVIDER_METADATA: ClassVar[Mapping[str, str]] = {}
    _SOURCE: ClassVar[str] = ""

    def __init__(self, scope: _cdk.Construct, id_: str, config: Struct) -> None:
        values, meta = self._check(scope, id_, config)
        self._alias: str | None = meta.get("alias")
        super().__init__(
            scope,
            id_,
            terraform_resource_type=self.TF_RESOURCE_TYPE,
            terraform_generator_metadata=_cdk.TerraformProviderGeneratorMetadata(**self._PROVIDER_METADATA),
            terraform_provider_source=self._SOURCE,
        )
        self._values_tf = values

    # TerraformProvider leaves ``alias`` to its subclasses; this override is read by the jsii side.
    @property
    def alias(self) -> str | None:
        """The provider alias, when more than one configuration of the provider is in the stack."""
        return self._alias

    @alias.setter
    def alias(self, value: str | None) -> None:
        self._alias = value


@jsii.implements(_cdk.IImportableConfig)
class _ImportConfig:
    """What ``ImportableResource`` reads (a jsii interface, so a small class rather than a dict)."""

    def __init__(self, tf_type: str, import_id: str, provider: Any) -> None:
        self._tf_type = tf_type
        self._import_id = import_id
        self._provider = provider

    @property
    def terraform_resource_type(self) -> str:
        return self._tf_type

    @property
    def import_id(self) -> str:
        return self._import_id

    @property
    def provider(self) -> Any:
        return self._provider


def importable(scope: Any, import_to_id: str, tf_type: str, import_from_id: str, provider: Any) -> Any:
    """An ``import`` block for an existing object (``generate_config_for_import`` of every resource class)."""
    config: Any = _ImportConfig(tf_type, import_from_id, provider)
    return _cdk.ImportableResource(scope, import_to_id, config)


# --------------------------------------------------------------------------------------------------- readers


class _Reader:
    """Reads a nested block or attribute of an element for references; never part of the configuration."""

    __slots__ = ("_element", "_path", "_base")

    def __init__(self, element: Any, path: str, base: Any) -> None:
        self._element = element
        self._path = path
        self._base = base


class OutputReference(_Reader):
    """One item of a nested block, for references (``vm.cpu.cores``)."""

    __slots__ = ()

    def _ref(self, name: str, type_: CtyType) -> Any:
        if self._base is None:
            return _token(self._element, f"{self._path}.{name}", type_)
        return _token(self._element, name, type_, base=self._base)

    def _reader(self, name: str, reader: type[_Reader], index: int | None = None) -> Any:
        if self._base is None:
            path = f"{self._path}.{name}" if index is None else f"{self._path}.{name}[{index}]"
            return reader(self._element, path, None)
        base = _cdk.Fn.lookup(self._base, name, None)
        if index is not None:
            base = _cdk.Fn.element(_cdk.Fn.tolist(base), index)
        return reader(self._element, name, base)


class ListReader(_Reader):
    """The items of a list or set block, for references (``vm.disk.get(0).size``)."""

    __slots__ = ()
    _ITEM: ClassVar[type[OutputReference]]
    _SET: ClassVar[bool] = False

    def get(self, index: int) -> Any:
        if self._SET or self._base is not None:
            whole = self._base if self._base is not None else self._element.interpolation_for_attribute(self._path)
            return self._ITEM(self._element, self._path, _cdk.Fn.element(_cdk.Fn.tolist(whole), index))
        return self._ITEM(self._element, f"{self._path}[{index}]", None)

    def __iter__(self) -> Iterator[Any]:  # pragma: no cover - guard: the length is unknown until apply
        raise TypeError(f"{type(self).__name__} has no length before apply; use .get(index)")


class MapReader(_Reader):
    """The items of a map nested attribute, for references (``x.entries.get("key").field``)."""

    __slots__ = ()
    _ITEM: ClassVar[type[OutputReference]]

    def get(self, key: str) -> Any:
        if self._base is not None:
            return self._ITEM(self._element, key, _cdk.Fn.lookup(self._base, key, None))
        return self._ITEM(self._element, f"{self._path}[{key!r}]".replace("'", '"'), None)
