"""Generates typed L1 bindings from a Terraform provider schema (``terraform providers schema -json`` shape).

One module per resource and data source type, plus the provider class, named as ``cdktf get`` names them, so
code written against cdktf's generated bindings ports by changing one import. The generated modules hold
signatures, docstrings and a compact field table; the behaviour lives in :mod:`pvecdk._l1`.

Run ``python -m pvecdk._codegen`` (or ``make bindings``) after replacing the vendored schema; the test suite
fails when the committed modules differ from what this module generates.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BPG", "PVECDK", "ProviderSpec", "attribute_name", "camel", "elements", "export_pvecdk_schema", "generate", "main",
    "member_name", "names_for_type", "pascal", "snake", "struct_candidate", "write",
]

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


@dataclass(frozen=True)
class ProviderSpec:
    """Which provider the schema describes and where its bindings go."""

    name: str  # the provider's local name and type prefix: "proxmox"
    source: str  # "bpg/proxmox"
    version: str  # "0.111.1"
    package: str  # "pvecdk.bpg"
    schema_file: str  # the vendored schema, relative to the package

    @property
    def registry(self) -> str:
        return f"https://registry.terraform.io/providers/{self.source}/{self.version}/docs"


BPG = ProviderSpec("proxmox", "bpg/proxmox", "0.111.1", "pvecdk.bpg", "schema/bpg-proxmox-0.111.1.schema.json")
#: Our own provider; its schema file is written from the plugin's code (:func:`export_pvecdk_schema`).
PVECDK = ProviderSpec("pvecdk", "pvecdk/pvecdk", "0.1.0", "pvecdk.provider", "schema/pvecdk-0.1.0.schema.json")


# --------------------------------------------------------------------------------------------------- model


@dataclass
class Arg:
    """One attribute or nested block of a type or struct."""

    tf: str
    py: str
    flags: str
    type: Any = None  # cty type for plain attributes (also kept for object-typed ones)
    struct: Struct | None = None  # nested blocks, nested attributes and object-typed attributes
    mode: str = ""  # single, list, set, map; "object" for a bare object type
    block: bool = False
    min_items: int = 0
    max_items: int = 0

    @property
    def is_arg(self) -> bool:
        """Settable: required, or optional (possibly computed too)."""
        return "r" in self.flags or "o" in self.flags

    @property
    def single(self) -> bool:
        """Configured as one struct and read through one ``OutputReference``."""
        return self.mode in ("single", "object") or (self.mode in ("list", "set") and self.max_items == 1)


@dataclass
class Struct:
    """A nested block, nested attribute or object type, with the struct and reader classes it gets."""

    name: str
    args: list[Arg] = field(default_factory=list)
    children: list[Struct] = field(default_factory=list)
    mode: str = "single"
    single_item: bool = False


def _flags(a: Mapping[str, Any]) -> str:
    return "".join(
        letter
        for key, letter in (("required", "r"), ("optional", "o"), ("computed", "c"), ("sensitive", "s"),
                            ("deprecated", "d"), ("write_only", "w"))
        if a.get(key)
    )


def _object_of(type_: Any) -> tuple[str, dict[str, Any]] | None:
    """For ``object``, ``list/set/map(object)``: the collection mode and the object's attribute types."""
    if isinstance(type_, list) and type_[0] == "object":
        return "object", type_[1]
    if isinstance(type_, list) and type_[0] in ("list", "set", "map") and isinstance(type_[1], list) \
            and type_[1][0] == "object":
        return type_[0], type_[1][1]
    return None


def _build(block: Mapping[str, Any], scope: str, registry: Registry) -> tuple[list[Arg], list[Struct]]:
    """The args of one block; nested structs are named children first, attributes before blocks."""
    args: list[Arg] = []
    children: list[Struct] = []

    def child(tf: str, inner: Mapping[str, Any], mode: str, single_item: bool) -> Struct:
        sub_args, sub_children = _build(inner, f"{scope}_{tf}", registry)
        struct = Struct(registry.unique(struct_candidate(scope, tf)), sub_args, sub_children, mode, single_item)
        children.append(struct)
        return struct

    for tf, a in sorted(block.get("attributes", {}).items()):
        py = attribute_name(tf)
        flags = _flags(a)
        if "nested_type" in a:
            nt = a["nested_type"]
            mode = nt.get("nesting_mode", "single")
            struct = child(tf, nt, mode, False)
            args.append(Arg(tf, py, flags, struct=struct, mode=mode, min_items=nt.get("min_items", 0),
                            max_items=nt.get("max_items", 0)))
        elif "nested_block" in a:  # an SDK "attribute as blocks": configured like a list of blocks
            nb = a["nested_block"]
            struct = child(tf, nb["block"], nb["nesting_mode"], False)
            args.append(Arg(tf, py, flags.replace("c", ""), type=a["type"], struct=struct,
                            mode=nb["nesting_mode"], block=True, min_items=nb.get("min_items", 0),
                            max_items=nb.get("max_items", 0)))
        elif (obj := _object_of(a["type"])) is not None:
            mode, fields = obj
            # Fields of a plain object type take the attribute's own flags.
            inner_flags = {k: v for k, v in a.items() if k in ("required", "optional", "computed")}
            struct = child(tf, {"attributes": {k: {"type": t, **inner_flags} for k, t in fields.items()}},
                           mode, False)
            args.append(Arg(tf, py, flags, type=a["type"], struct=struct, mode=mode))
        else:
            args.append(Arg(tf, py, flags, type=a["type"]))
    for tf, bt in sorted(block.get("block_types", {}).items()):
        mode = bt["nesting_mode"]
        max_items = bt.get("max_items", 0)
        struct = child(tf, bt["block"], mode, mode in ("list", "set") and max_items == 1)
        args.append(Arg(tf, attribute_name(tf), "r" if bt.get("min_items", 0) > 0 else "o", struct=struct,
                        mode=mode, block=True, min_items=bt.get("min_items", 0), max_items=max_items))
    args.sort(key=lambda arg: arg.tf)
    return args, children


# --------------------------------------------------------------------------------------------------- hints

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


def _arg_hint(arg: Arg) -> str:
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


def _getter(arg: Arg, *, on_element: bool) -> tuple[str, str]:
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


# --------------------------------------------------------------------------------------------------- emit


_META_PARAMS = [
    ("connection", "SSHProvisionerConnection | WinrmProvisionerConnection"),
    ("count", "float | TerraformCount"),
    ("depends_on", "Sequence[ITerraformDependable]"),
    ("for_each", "ITerraformIterator"),
    ("lifecycle", "TerraformResourceLifecycle"),
    ("provider", "TerraformProvider"),
    ("provisioners", "Sequence[FileProvisioner | LocalExecProvisioner | RemoteExecProvisioner]"),
]


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str = "", indent: int = 0) -> None:
        self.lines.append(("    " * indent + line) if line else "")

    def text(self) -> str:
        return "\n".join(self.lines).rstrip() + "\n"


def _fields_literal(args: list[Arg], w: _Writer, indent: int) -> None:
    settable = [a for a in args if a.is_arg]
    if not settable:
        w("_FIELDS: ClassVar[Mapping[str, _l1.Field]] = {}", indent)
        return
    w("_FIELDS: ClassVar[Mapping[str, _l1.Field]] = {", indent)
    for arg in settable:
        if arg.struct is None:
            w(f"{arg.py!r}: _l1.attr({arg.tf!r}, {json.dumps(arg.type)}, {arg.flags!r}),", indent + 1)
        else:
            mode = "single" if arg.mode == "object" else arg.mode
            extra = ""
            if arg.min_items:
                extra += f", min_items={arg.min_items}"
            if arg.max_items:
                extra += f", max_items={arg.max_items}"
            if arg.type is not None:  # a list of objects by type: Terraform wants every key in JSON
                extra += ", complete=True"
            w(f"{arg.py!r}: _l1.nested({arg.tf!r}, {arg.struct.name}, {mode!r}, {arg.flags!r}, "
              f"block={arg.block}{extra}),", indent + 1)
    w("}", indent)


def _describe_flags(arg: Arg) -> str:
    words = []
    if "r" in arg.flags:
        words.append("required")
    elif "o" in arg.flags:
        words.append("optional")
    if "c" in arg.flags and "o" in arg.flags:
        words.append("computed by the provider when unset")
    if "s" in arg.flags:
        words.append("sensitive: a token or unset, never a literal")
    if "d" in arg.flags:
        words.append("deprecated")
    if "w" in arg.flags:
        words.append("write-only")
    if arg.struct is not None and arg.block:
        words.append("block" if arg.single else f"blocks, at most {arg.max_items}" if arg.max_items else "blocks")
    return ", ".join(words)


def _params(args: list[Arg]) -> list[tuple[str, str, bool]]:
    """(python name, hint, required) in cdktf's order: required first, then optional, each by name."""
    required = [(a.py, _arg_hint(a), True) for a in args if a.is_arg and "r" in a.flags]
    optional = [(a.py, _arg_hint(a), False) for a in args if a.is_arg and "r" not in a.flags]
    return required + optional


def _emit_signature(w: _Writer, name: str, head: list[str], params: list[tuple[str, str, bool]],
                    indent: int) -> None:
    w(f"def {name}(", indent)
    for item in head:
        w(f"{item},", indent + 1)
    if params:
        w("*,", indent + 1)
    for pname, hint, required in params:
        w(f"{pname}: {hint}{'' if required else ' | None = None'},", indent + 1)
    w(") -> None:", indent)


def _emit_args_doc(w: _Writer, args: list[Arg], indent: int, extra: list[str]) -> None:
    settable = [a for a in args if a.is_arg]
    if not settable and not extra:
        return
    w("", indent)
    w("Args:", indent)
    for line in extra:
        w(line, indent + 1)
    for a in settable:
        w(f"{a.py}: ``{a.tf}`` ({_describe_flags(a)}).", indent + 1)


def _emit_struct(struct: Struct, w: _Writer, *, readers: bool) -> None:
    for child in struct.children:
        _emit_struct(child, w, readers=readers)
    params = _params(struct.args)
    w()
    w()
    w(f"class {struct.name}(_l1.Struct):")
    w('"""Arguments of a nested block or attribute; a dict with the same keys is accepted too."""', 1)
    w()
    w("__slots__ = ()", 1)
    _fields_literal(struct.args, w, 1)
    w()
    _emit_signature(w, "__init__", ["self"], params, 1)
    w(f"self._init({', '.join(f'{n}={n}' for n, _, _ in params)})", 2)
    for a in struct.args:
        if not a.is_arg:
            continue
        w()
        w("@property", 1)
        if "r" in a.flags:
            w(f"def {a.py}(self) -> {_arg_hint(a)}:", 1)
            w(f"return self._values[{a.py!r}]  # type: ignore[no-any-return]", 2)
        else:
            w(f"def {a.py}(self) -> {_arg_hint(a)} | None:", 1)
            w(f"return self._values.get({a.py!r})", 2)
    if not readers:
        return
    w()
    w()
    w(f"class {struct.name}OutputReference(_l1.OutputReference):")
    w('"""Refers to the attributes of one item (tokens that Terraform resolves)."""', 1)
    w()
    w("__slots__ = ()", 1)
    for a in struct.args:
        hint, body = _getter(a, on_element=False)
        w()
        w("@property", 1)
        w(f"def {a.py}(self) -> {hint}:", 1)
        w(f"return {body}  # type: ignore[no-any-return]", 2)
    if struct.mode in ("list", "set") and not struct.single_item:
        w()
        w()
        w(f"class {struct.name}List(_l1.ListReader):")
        w('"""Refers to the items by index."""', 1)
        w()
        w("__slots__ = ()", 1)
        w(f"_ITEM = {struct.name}OutputReference", 1)
        if struct.mode == "set":
            w("_SET = True", 1)
        w()
        w(f"def get(self, index: int) -> {struct.name}OutputReference:", 1)
        w("return super().get(index)  # type: ignore[no-any-return]", 2)
    if struct.mode == "map":
        w()
        w()
        w(f"class {struct.name}Map(_l1.MapReader):")
        w('"""Refers to the items by key."""', 1)
        w()
        w("__slots__ = ()", 1)
        w(f"_ITEM = {struct.name}OutputReference", 1)
        w()
        w(f"def get(self, key: str) -> {struct.name}OutputReference:", 1)
        w("return super().get(key)  # type: ignore[no-any-return]", 2)


@dataclass
class _Element:
    kind: str  # resource, data, provider
    tf_type: str
    names: TypeNames
    args: list[Arg]
    children: list[Struct]


_KINDS = {"resource": "Resource", "data": "DataSource", "provider": "Provider"}


def _emit_element(el: _Element, spec: ProviderSpec, w: _Writer) -> None:
    kind, tf_type, cls = el.kind, el.tf_type, el.names.cls
    provider = kind == "provider"
    for child in el.children:
        _emit_struct(child, w, readers=not provider)
    params = _params(el.args)
    # jsii appends "_" to a positional parameter whose name is also a keyword argument of the config.
    settable = {a.py for a in el.args if a.is_arg}
    scope_param = "scope_" if "scope" in settable else "scope"
    id_param = "id_" if "id" in settable else "id"
    meta = [(n, h, False) for n, h in _META_PARAMS] if not provider else [("alias", "str", False)]
    all_params = params + meta
    passed = ", ".join(f"{n}={n}" for n, _, _ in all_params)
    w()
    w()
    w(f"class {cls}Config(_l1.Struct):")
    w(f'"""The configuration of :class:`{cls}`, which takes the same keyword arguments."""', 1)
    w()
    w("__slots__ = ()", 1)
    _fields_literal(el.args, w, 1)
    w(f"_EXTRA: ClassVar[tuple[str, ...]] = {tuple(n for n, _, _ in meta)!r}", 1)
    w()
    _emit_signature(w, "__init__", ["self"], all_params, 1)
    w(f"self._init({passed})", 2)
    w()
    w()
    w(f"class {cls}(_l1.{_KINDS[kind]}):")
    if provider:
        w(f'"""The ``{spec.name}`` provider block of ``{spec.source}`` {spec.version}.', 1)
        w()
        w(f"Docs: {spec.registry}", 1)
    else:
        what = "resource" if kind == "resource" else "data source"
        page = ("resources/" if kind == "resource" else "data-sources/") + snake(tf_type[len(spec.name) + 1:])
        w(f'"""Represents a ``{tf_type}`` {what} of ``{spec.source}`` {spec.version}.', 1)
        w()
        w(f"Docs: {spec.registry}/{page}", 1)
    w('"""', 1)
    w()
    w(f"TF_RESOURCE_TYPE: ClassVar[str] = {tf_type!r}", 1)
    w(f"_CONFIG = {cls}Config", 1)
    w(f"_ID_PARAM = {id_param!r}", 1)
    if scope_param != "scope":
        w(f"_SCOPE_PARAM = {scope_param!r}", 1)
    w("_PROVIDER_METADATA = _PROVIDER_METADATA", 1)
    if provider:
        w(f"_SOURCE = {spec.source!r}", 1)
    w()
    _emit_signature(w, "__init__", ["self", f"{scope_param}: Construct", f"{id_param}: str"], all_params, 1)
    w(f'"""Add a ``{tf_type}`` {"provider block" if provider else kind if kind == "resource" else "data source"}.', 2)
    docs = [f"{scope_param}: The construct to add it to.",
            f"{id_param}: The construct id, unique in its scope; stable (renaming it replaces the object)."]
    _emit_args_doc(w, el.args, 2, docs)
    if provider:
        w("alias: The provider alias, for more than one configuration of the provider.", 3)
    else:
        w("connection, count, depends_on, for_each, lifecycle, provider, provisioners: Terraform's", 3)
        w("meta-arguments.", 4)
    w('"""', 2)
    w(f"super().__init__({scope_param}, {id_param}, {cls}Config({passed}))", 2)
    if kind == "resource":
        w()
        w("@classmethod", 1)
        w("def generate_config_for_import(", 1)
        w("cls, scope: Construct, import_to_id: str, import_from_id: str, provider: TerraformProvider | None = None", 2)
        w(") -> ImportableResource:", 1)
        w('"""Import an existing object: ``cdktf plan`` then writes its configuration."""', 2)
        w("return _l1.importable(  # type: ignore[no-any-return]", 2)
        w("scope, import_to_id, cls.TF_RESOURCE_TYPE, import_from_id, provider", 3)
        w(")", 2)
    for a in el.args:
        w()
        w("@property", 1)
        if provider:
            w(f"def {a.py}(self) -> {_arg_hint(a)} | None:", 1)
            w(f"return self._input({a.py!r})  # type: ignore[no-any-return]", 2)
        else:
            hint, body = _getter(a, on_element=True)
            w(f"def {a.py}(self) -> {hint}:", 1)
            w(f"return {body}  # type: ignore[no-any-return]", 2)
        if not a.is_arg:
            continue
        if a.struct is None or provider:
            w()
            w(f"@{a.py}.setter", 1)
            w(f"def {a.py}(self, value: {_arg_hint(a)} | None) -> None:", 1)
            w(f"self._set({a.py!r}, value)", 2)
        if not provider:
            w()
            w("@property", 1)
            w(f"def {member_name(a.tf, 'input')}(self) -> {_arg_hint(a)} | None:", 1)
            w(f"return self._input({a.py!r})  # type: ignore[no-any-return]", 2)
        if "r" not in a.flags:
            w()
            w(f"def {member_name(a.tf, 'reset')}(self) -> None:", 1)
            w(f"self._reset({a.py!r})", 2)
        if a.struct is not None and not provider:
            w()
            if a.single:
                sub = _params(a.struct.args)
                _emit_signature(w, member_name(a.tf, "put"), ["self"], sub, 1)
                w(f"self._set({a.py!r}, {a.struct.name}({', '.join(f'{n}={n}' for n, _, _ in sub)}))", 2)
            else:
                w(f"def {member_name(a.tf, 'put')}(self, value: {_arg_hint(a)}) -> None:", 1)
                w(f"self._set({a.py!r}, value)", 2)


def _header(spec: ProviderSpec, what: str) -> list[str]:
    return [
        f'"""{what}"""',
        "",
        f"# Generated by pvecdk._codegen from {spec.source} {spec.version} ({spec.schema_file}). Do not edit:",
        "# regenerate with `make bindings`.",
        "",
        "from __future__ import annotations",
        "",
    ]


_IMPORTS = [
    "from collections.abc import Mapping, Sequence",
    "from typing import Any, ClassVar",
    "",
    "from pvecdk import _l1",
    "from pvecdk._cdk import (",
    "    AnyMap,",
    "    BooleanList,",
    "    BooleanMap,",
    "    Construct,",
    "    FileProvisioner,",
    "    ImportableResource,",
    "    IResolvable,",
    "    ITerraformDependable,",
    "    ITerraformIterator,",
    "    LocalExecProvisioner,",
    "    NumberMap,",
    "    RemoteExecProvisioner,",
    "    SSHProvisionerConnection,",
    "    StringMap,",
    "    TerraformCount,",
    "    TerraformProvider,",
    "    TerraformResourceLifecycle,",
    "    WinrmProvisionerConnection,",
    ")",
    "",
]


def _metadata_line(spec: ProviderSpec) -> str:
    constraint = "~> " + ".".join(spec.version.split(".")[:2])
    return (f"_PROVIDER_METADATA = {{'provider_name': {spec.name!r}, 'provider_version': {spec.version!r}, "
            f"'provider_version_constraint': {constraint!r}}}")


def _with_all(body: str) -> str:
    names = sorted(set(re.findall(r"^class (\w+)", body, re.M)) | set(re.findall(r"^(\w+) = _target\.", body, re.M)))
    return body + "\n__all__ = [\n" + "".join(f"    {n!r},\n" for n in names) + "]\n"


def _module(spec: ProviderSpec, el: _Element) -> str:
    w = _Writer()
    what = {"resource": "resource", "data": "data source", "provider": "provider block"}[el.kind]
    for line in _header(spec, f"``{el.tf_type}``: {what} of {spec.source} {spec.version}.") + _IMPORTS:
        w(line)
    w(_metadata_line(spec))
    _emit_element(el, spec, w)
    return _with_all(w.text())


def _struct_names(structs: list[Struct]) -> list[tuple[Struct, list[str]]]:
    """Every struct of a tree with the class names it produces, in emission order."""
    out: list[tuple[Struct, list[str]]] = []
    for s in structs:
        out += _struct_names(s.children)
        names = [s.name, s.name + "OutputReference"]
        if s.mode in ("list", "set") and not s.single_item:
            names.append(s.name + "List")
        if s.mode == "map":
            names.append(s.name + "Map")
        out.append((s, names))
    return out


def _alias_module(spec: ProviderSpec, alias: _Element, target: _Element) -> str:
    what = "resource" if alias.kind == "resource" else "data source"
    lines = _header(spec, f"``{alias.tf_type}``: deprecated alias of ``{target.tf_type}`` "
                          f"({spec.source} {spec.version}).")
    lines += [
        "from typing import ClassVar",
        "",
        f"from {spec.package} import {target.names.module} as _target",
        "",
        "",
        f"class {alias.names.cls}(_target.{target.names.cls}):",
        f'    """Deprecated: use :class:`{spec.package}.{target.names.module}.{target.names.cls}`.',
        "",
        f"    ``{alias.tf_type}`` is the provider's old name of the same {what}; constructing this warns.",
        '    """',
        "",
        f"    TF_RESOURCE_TYPE: ClassVar[str] = {alias.tf_type!r}",
        f"    _DEPRECATED: ClassVar[str] = {alias.tf_type + ' is deprecated; use ' + target.tf_type!r}",
        "",
        "",
        f"{alias.names.cls}Config = _target.{target.names.cls}Config",
    ]
    for (_, mine), (_, theirs) in zip(_struct_names(alias.children), _struct_names(target.children), strict=True):
        for a, b in zip(mine, theirs, strict=True):
            lines.append(f"{a} = _target.{b}")
    return _with_all("\n".join(lines) + "\n")


def elements(schema: Mapping[str, Any], spec: ProviderSpec) -> list[_Element]:
    """Every resource, data source and the provider, named in cdktf's order (which decides ``A`` suffixes)."""
    registry = Registry()
    out: list[_Element] = []
    for kind, key in (("resource", "resource_schemas"), ("data", "data_source_schemas")):
        for tf_type, entry in sorted(schema[key].items()):
            names = names_for_type(tf_type, spec.name, data=kind == "data")
            cls = registry.unique(names.cls)
            registry.unique(cls + "Config")
            names = TypeNames(names.module, cls, names.base)
            args, children = _build(entry["block"], names.base, registry)
            out.append(_Element(kind, tf_type, names, args, children))
    provider_base = spec.name + "_provider"
    cls = registry.unique(pascal(provider_base))
    registry.unique(cls + "Config")
    args, children = _build(schema["provider"]["block"], provider_base, registry)
    out.append(_Element("provider", spec.name, TypeNames("provider", cls, provider_base), args, children))
    return out


def generate(schema: Mapping[str, Any], spec: ProviderSpec) -> dict[str, str]:
    """All binding modules for ``schema``: file name -> source text."""
    els = elements(schema, spec)
    by_type = {(e.kind, e.tf_type): e for e in els}
    files: dict[str, str] = {}
    for el in els:
        key = "resource_schemas" if el.kind == "resource" else "data_source_schemas"
        target_type = schema[key].get(el.tf_type, {}).get("alias_of") if el.kind != "provider" else None
        if target_type:
            files[el.names.module + ".py"] = _alias_module(spec, el, by_type[(el.kind, target_type)])
        else:
            files[el.names.module + ".py"] = _module(spec, el)
    files["__init__.py"] = _package_init(spec, els)
    return files


def _package_init(spec: ProviderSpec, els: list[_Element]) -> str:
    lines = _header(spec, f"Typed L1 bindings of ``{spec.source}`` {spec.version}, one module per type.\n\n"
                    "Import modules by path (``from pvecdk.bpg import storage_nfs``); this package imports none of\n"
                    "them, so importing it costs nothing.")
    lines += [
        f"PROVIDER_SOURCE = {spec.source!r}",
        f"PROVIDER_VERSION = {spec.version!r}",
        "",
        "#: (kind, Terraform type) -> (module, class), for the provider and every resource and data source type.",
        "TYPES: dict[tuple[str, str], tuple[str, str]] = {",
    ]
    for el in els:
        lines.append(f"    ({el.kind!r}, {el.tf_type!r}): ({el.names.module!r}, {el.names.cls!r}),")
    lines += ["}", "", "__all__ = ['PROVIDER_SOURCE', 'PROVIDER_VERSION', 'TYPES']", ""]
    return "\n".join(lines)


def package_dir(spec: ProviderSpec) -> Path:
    return Path(__file__).resolve().parent.joinpath(*spec.package.split(".")[1:])


def load_schema(spec: ProviderSpec) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((package_dir(spec) / spec.schema_file).read_text())
    return data


def write(spec: ProviderSpec = BPG) -> list[str]:
    """Regenerate the modules of ``spec`` in place; returns the files written, and removes stale ones."""
    out = package_dir(spec)
    files = generate(load_schema(spec), spec)
    for stale in out.glob("*.py"):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        path = out / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return sorted(files)


def export_pvecdk_schema() -> Path:
    """Write the schema of ``pvecdk/pvecdk`` from the plugin's code, for the generator to read."""
    from pvecdk.provider._plugin import schema_json

    path = package_dir(PVECDK) / PVECDK.schema_file
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(schema_json(), indent=1, sort_keys=True) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def _iter_specs() -> Iterator[ProviderSpec]:
    yield BPG
    export_pvecdk_schema()
    yield PVECDK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pvecdk._codegen", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    for spec in _iter_specs():
        written = write(spec)
        print(f"{spec.package}: {len(written)} modules from {spec.source} {spec.version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
