"""The schema of a type as generated modules declare it: fields, and the structs that hold values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeAlias

#: A cty type as Terraform's schema JSON spells it: ``"string"``, ``["list", "string"]``, ``["object", {...}]``.
CtyType: TypeAlias = str | list[Any] | tuple[Any, ...]


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
