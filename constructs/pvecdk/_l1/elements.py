"""Resources, data sources and providers: checked at construction, created on the jsii side, synthesized."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import jsii
from jsii import _kernel

from pvecdk import _cdk
from pvecdk._l1.checks import Checker
from pvecdk._l1.fields import CtyType, Field, Struct
from pvecdk._l1.references import Reader, token
from pvecdk._l1.synthesis import hcl_fields, json_field
from pvecdk.errors import ConfigError


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


class _ElementMeta(jsii.JSIIMeta):
    """Reports unknown and missing constructor arguments with the construct path, before anything is built."""

    _SCOPE_PARAM: str
    _ID_PARAM: str

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        config: type[Struct] | None = getattr(cls, "_CONFIG", None)
        if config is not None:
            scope = args[0] if args else kwargs.get(cls._SCOPE_PARAM)
            id_ = args[1] if len(args) > 1 else kwargs.get(cls._ID_PARAM, "")
            checker = Checker(lambda: _cdk.construct_path(scope, str(id_)), getattr(cls, "TF_RESOURCE_TYPE", None))
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
        checker = Checker(lambda: _cdk.construct_path(scope, id_), cls.TF_RESOURCE_TYPE)
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
        checker = Checker(lambda: str(self.node.path), self.TF_RESOURCE_TYPE)  # type: ignore[attr-defined]
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
        return {k: json_field(fields.get(k), v) for k, v in self._values_tf.items()}

    def _synthesize_hcl_attributes(self) -> Mapping[str, Any]:
        assert self._CONFIG is not None
        self._before_synthesis()
        return hcl_fields(self._CONFIG._FIELDS, self._values_tf)

    # -- references (attribute getters)

    def _ref(self, tf_path: str, type_: CtyType) -> Any:
        return token(self, tf_path, type_)

    def _wrapped(self, tf_name: str, wrapper: type, wraps_set: bool | None = None) -> Any:
        """A computed-only collection through cdktf's typed wrapper (``StringMap``, ``BooleanList``, ...)."""
        if wraps_set is None:
            return wrapper(self, tf_name)
        return wrapper(self, tf_name, wraps_set)

    def _reader(self, tf_name: str, reader: type[Reader], index: int | None = None) -> Any:
        if index is None:
            return reader(self, tf_name, None)
        return reader(self, f"{tf_name}[{index}]", None)


def _python_values(value: Struct) -> dict[str, Any]:
    by_tf = {f.tf: n for n, f in value._FIELDS.items()}
    return {by_tf[k]: v for k, v in (value._tf or {}).items() if k in by_tf}



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
