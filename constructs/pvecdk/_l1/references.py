"""References to attributes of an element: typed tokens, and readers of nested blocks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from pvecdk import _cdk
from pvecdk._l1.fields import CtyType


def token(element: Any, path: str, type_: CtyType, base: Any = None) -> Any:
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


class Reader:
    """Reads a nested block or attribute of an element for references; never part of the configuration."""

    __slots__ = ("_element", "_path", "_base")

    def __init__(self, element: Any, path: str, base: Any) -> None:
        self._element = element
        self._path = path
        self._base = base


class OutputReference(Reader):
    """One item of a nested block, for references (``vm.cpu.cores``)."""

    __slots__ = ()

    def _ref(self, name: str, type_: CtyType) -> Any:
        if self._base is None:
            return token(self._element, f"{self._path}.{name}", type_)
        return token(self._element, name, type_, base=self._base)

    def _reader(self, name: str, reader: type[Reader], index: int | None = None) -> Any:
        if self._base is None:
            path = f"{self._path}.{name}" if index is None else f"{self._path}.{name}[{index}]"
            return reader(self._element, path, None)
        base = _cdk.Fn.lookup(self._base, name, None)
        if index is not None:
            base = _cdk.Fn.element(_cdk.Fn.tolist(base), index)
        return reader(self._element, name, base)


class ListReader(Reader):
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


class MapReader(Reader):
    """The items of a map nested attribute, for references (``x.entries.get("key").field``)."""

    __slots__ = ()
    _ITEM: ClassVar[type[OutputReference]]

    def get(self, key: str) -> Any:
        if self._base is not None:
            return self._ITEM(self._element, key, _cdk.Fn.lookup(self._base, key, None))
        return self._ITEM(self._element, f"{self._path}[{key!r}]".replace("'", '"'), None)
