"""Names as ``cdktf get`` gives them: modules, classes, attributes and members, unique per provider."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

# cdktf's escapes for attribute names (camelCase, as its generator applies them before jsii snake-cases them):
# names that clash with members of the element classes or of a target language get ``Attribute``.
_ESCAPED = {
    "self": "selfAttribute", "build": "buildAttribute", "equals": "equalTo", "node": "nodeAttribute",
    "system": "systemAttribute", "tfResourceType": "tfResourceTypeAttribute", "importFrom": "importFromAttribute",
    "moveTo": "moveToAttribute", "software": "softwareAttribute",
}
# Type base names cdktf suffixes with ``_resource`` (reserved words in one of jsii's target languages).
_RESERVED_BASES = frozenset(
    {"string", "object", "function", "implements", "interface", "let", "package", "private", "protected",
     "public", "static", "yield", "await", "license", "version"}
)


def camel(name: str) -> str:
    """cdktf's camelCase of a (lowercase, snake) Terraform name: ``ipv6cidr_block`` -> ``ipv6CidrBlock``."""
    text = re.sub(r"^[_.\- ]+", "", name).lower()
    text = re.sub(r"[_.\- ]+([0-9a-z_]|$)", lambda m: m.group(1).upper(), text)
    return re.sub(r"\d+([0-9a-z_]|$)", lambda m: m.group(0).upper(), text)


def pascal(name: str) -> str:
    """``storage_nfs`` -> ``StorageNfs``; a letter after digits is uppercased (``vm2_x`` -> ``Vm2X``)."""
    text = camel(name)
    return text[:1].upper() + text[1:]


def snake(name: str) -> str:
    """jsii's snake_case of a camelCase name: ``ipv6CidrBlock`` -> ``ipv6_cidr_block``."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    text = re.sub(r"([A-Z]+)([A-Z][a-z0-9]+)", r"\1_\2", text)
    return text.lower()


def _pyident(name: str) -> str:
    return name + "_" if keyword.iskeyword(name) else name


def _escaped_camel(tf_name: str) -> str:
    name = camel(tf_name)
    if re.match(r"^get[A-Za-z]+", name):
        name = "fetch" + name[3:]
    return _ESCAPED.get(name, name)


def attribute_name(tf_name: str) -> str:
    """The Python name of an attribute, with cdktf's renames (``node`` -> ``node_attribute``, ``get_x`` ->
    ``fetch_x``)."""
    return _pyident(snake(_escaped_camel(tf_name)))


def member_name(tf_name: str, kind: str) -> str:
    """``put_<x>``, ``reset_<x>`` or ``<x>_input`` for an attribute, built from its escaped name as cdktf does."""
    name = _escaped_camel(tf_name)
    if kind == "input":
        return _pyident(snake(name + "Input"))
    return _pyident(snake(kind + name[:1].upper() + name[1:]))


@dataclass(frozen=True)
class TypeNames:
    module: str
    cls: str
    base: str  # the snake name struct names start from


def names_for_type(tf_type: str, prefix: str, *, data: bool) -> TypeNames:
    """The module and class names ``cdktf get`` gives a resource or data source type (before de-duplication)."""
    base = "data_" + tf_type if data else tf_type
    if base.startswith(prefix + "_"):
        base = base[len(prefix) + 1:]
    if base.lower() in _RESERVED_BASES or base == "provider":
        base += "_resource"
    folder = snake(base).replace("_", "-")
    if base == "index":
        folder = "index-resource"
    module = snake(_pyident(camel(folder)))
    return TypeNames(module, pascal(base), base)


def struct_candidate(scope: str, tf_name: str) -> str:
    """The struct name for ``tf_name`` inside ``scope`` (a snake path such as ``storage_nfs``)."""
    name = pascal(f"{snake(scope)}_{snake(tf_name)}")
    return name + "Struct" if name.lower().endswith("list") else name


class Registry:
    """Names already taken in one provider's bindings; a clash gets ``A`` once, as cdktf does."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def unique(self, name: str) -> str:
        if name in self.taken:
            name += "A"
        self.taken.add(name)
        return name
