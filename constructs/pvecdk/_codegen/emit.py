"""Emits the source of one element: its structs, readers, config struct and class."""

from __future__ import annotations

import json

from pvecdk._codegen.hints import arg_hint, getter
from pvecdk._codegen.model import Arg, Element, ProviderSpec, Struct
from pvecdk._codegen.names import member_name, snake

_META_PARAMS = [
    ("connection", "SSHProvisionerConnection | WinrmProvisionerConnection"),
    ("count", "float | TerraformCount"),
    ("depends_on", "Sequence[ITerraformDependable]"),
    ("for_each", "ITerraformIterator"),
    ("lifecycle", "TerraformResourceLifecycle"),
    ("provider", "TerraformProvider"),
    ("provisioners", "Sequence[FileProvisioner | LocalExecProvisioner | RemoteExecProvisioner]"),
]


class Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str = "", indent: int = 0) -> None:
        self.lines.append(("    " * indent + line) if line else "")

    def text(self) -> str:
        return "\n".join(self.lines).rstrip() + "\n"


def _fields_literal(args: list[Arg], w: Writer, indent: int) -> None:
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
    required = [(a.py, arg_hint(a), True) for a in args if a.is_arg and "r" in a.flags]
    optional = [(a.py, arg_hint(a), False) for a in args if a.is_arg and "r" not in a.flags]
    return required + optional


def _emit_signature(w: Writer, name: str, head: list[str], params: list[tuple[str, str, bool]],
                    indent: int) -> None:
    w(f"def {name}(", indent)
    for item in head:
        w(f"{item},", indent + 1)
    if params:
        w("*,", indent + 1)
    for pname, hint, required in params:
        w(f"{pname}: {hint}{'' if required else ' | None = None'},", indent + 1)
    w(") -> None:", indent)


def _emit_args_doc(w: Writer, args: list[Arg], indent: int, extra: list[str]) -> None:
    settable = [a for a in args if a.is_arg]
    if not settable and not extra:
        return
    w("", indent)
    w("Args:", indent)
    for line in extra:
        w(line, indent + 1)
    for a in settable:
        w(f"{a.py}: ``{a.tf}`` ({_describe_flags(a)}).", indent + 1)


def emit_struct(struct: Struct, w: Writer, *, readers: bool) -> None:
    for child in struct.children:
        emit_struct(child, w, readers=readers)
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
            w(f"def {a.py}(self) -> {arg_hint(a)}:", 1)
            w(f"return self._values[{a.py!r}]  # type: ignore[no-any-return]", 2)
        else:
            w(f"def {a.py}(self) -> {arg_hint(a)} | None:", 1)
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
        hint, body = getter(a, on_element=False)
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



_KINDS = {"resource": "Resource", "data": "DataSource", "provider": "Provider"}


def emit_element(el: Element, spec: ProviderSpec, w: Writer) -> None:
    kind, tf_type, cls = el.kind, el.tf_type, el.names.cls
    provider = kind == "provider"
    for child in el.children:
        emit_struct(child, w, readers=not provider)
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
            w(f"def {a.py}(self) -> {arg_hint(a)} | None:", 1)
            w(f"return self._input({a.py!r})  # type: ignore[no-any-return]", 2)
        else:
            hint, body = getter(a, on_element=True)
            w(f"def {a.py}(self) -> {hint}:", 1)
            w(f"return {body}  # type: ignore[no-any-return]", 2)
        if not a.is_arg:
            continue
        if a.struct is None or provider:
            w()
            w(f"@{a.py}.setter", 1)
            w(f"def {a.py}(self, value: {arg_hint(a)} | None) -> None:", 1)
            w(f"self._set({a.py!r}, value)", 2)
        if not provider:
            w()
            w("@property", 1)
            w(f"def {member_name(a.tf, 'input')}(self) -> {arg_hint(a)} | None:", 1)
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
                w(f"def {member_name(a.tf, 'put')}(self, value: {arg_hint(a)}) -> None:", 1)
                w(f"self._set({a.py!r}, value)", 2)
