"""What the generator reads from a schema: the provider, and each type's arguments and nested structs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pvecdk._codegen.names import Registry, TypeNames, attribute_name, struct_candidate


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


def build(block: Mapping[str, Any], scope: str, registry: Registry) -> tuple[list[Arg], list[Struct]]:
    """The args of one block; nested structs are named children first, attributes before blocks."""
    args: list[Arg] = []
    children: list[Struct] = []

    def child(tf: str, inner: Mapping[str, Any], mode: str, single_item: bool) -> Struct:
        sub_args, sub_children = build(inner, f"{scope}_{tf}", registry)
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



@dataclass
class Element:
    kind: str  # resource, data, provider
    tf_type: str
    names: TypeNames
    args: list[Arg]
    children: list[Struct]
