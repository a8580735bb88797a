"""What every owned storage shares: its props models, validation against PVE's tables, protection, and the
rendering of ``pvecdk_storage`` for the types bpg/proxmox lacks.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from pydantic import field_validator, model_validator

from pvecdk import _cdk, _storage_types
from pvecdk._base import ClusterBase, NodeBase, clusters_of_stack
from pvecdk._fault import Fault
from pvecdk._storage_types import CONTENT, SHARED_TYPES, STORAGE_ID, ContentType
from pvecdk._validation import Props, as_sequence, check_props, construct_path, raise_at
from pvecdk._values import PveVersion, Retention
from pvecdk.errors import ConfigError, Problem
from pvecdk.provider import storage as pvecdk_storage
from pvecdk.storage.base import Storage

# Content that is no loss when its storage definition goes: installation media only.
_MEDIA = frozenset({ContentType.ISO, ContentType.VZTMPL})

FINGERPRINT = re.compile(r"^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$")
_SECRET_FIX = ("pass a sensitive TerraformVariable (TerraformVariable(..., sensitive=True).string_value) "
               "or another token")


def type_options(storage_type: str, pve_major: int) -> dict[str, dict[str, bool]] | None:
    """PVE's options for ``storage_type`` on PVE ``pve_major`` (option -> optional, fixed), or None when that
    release has no such type."""
    return _storage_types.release_options(storage_type, pve_major)


def _is_secret_token(value: Any) -> bool:
    return isinstance(value, str) and _cdk.is_unresolved(value)


def secret(value: str | None, what: str) -> str | None:
    if value is not None and not _is_secret_token(value):
        raise Fault(f"the {what} was given as a literal value (value hidden)", f"{_SECRET_FIX}")
    return value


def _pve_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if hasattr(value, "as_prune_backups"):
        return ",".join(f"{k}={v}" for k, v in value.as_prune_backups().items())
    return str(value)


def dependable_ref(resource: Any) -> str:
    """A ``depends_on`` entry (``type.name``) for a resource, for lists built after it was created."""
    return f"{resource.terraform_resource_type}.{resource.friendly_unique_id}"


def _pve_version(cluster: ClusterBase | None) -> PveVersion:
    """The PVE release a storage is checked against: its cluster's, or the newest without a cluster."""
    return cluster.pve_version if cluster is not None else PveVersion.V9_1


def protection(allow_destroy: bool) -> _cdk.TerraformResourceLifecycle | None:
    """``prevent_destroy`` for a resource holding data, unless its construct has ``allow_destroy``."""
    return None if allow_destroy else _cdk.TerraformResourceLifecycle(prevent_destroy=True)


def _find_cluster(scope: _cdk.Construct) -> ClusterBase | None:
    """The one cluster in the stack of ``scope``, or None when there is none or several."""
    clusters = clusters_of_stack(_cdk.TerraformStack.of(scope))
    return clusters[0] if len(clusters) == 1 else None


class StorageProps(Props):
    _SECRETS: ClassVar[frozenset[str]] = frozenset({"password", "keyring", "encryption_key"})

    storage_id: str
    content: tuple[ContentType, ...]
    nodes: tuple[Any, ...] | None = None
    cluster: Any = None
    enabled: bool
    allow_destroy: bool

    @field_validator("storage_id")
    @classmethod
    def _storage_id(cls, v: str) -> str:
        if not STORAGE_ID.fullmatch(v):
            raise Fault(f"{v!r} is not a storage id", "start with a letter, then letters, digits, '-', '_' "
                        "or '.', ending in a letter or digit")
        return v

    @field_validator("nodes")
    @classmethod
    def _nodes(cls, v: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
        if v is None:
            return v
        if not v:
            raise Fault("an empty node list defines the storage nowhere", "list nodes, or leave nodes unset "
                        "for every node")
        for item in v:
            if not isinstance(item, NodeBase):
                raise Fault(f"{item!r} is not a Node", "pass the nodes cluster.add_node(...) returned")
        names = [n.name for n in v]
        if len(set(names)) != len(names):
            raise Fault(f"a node is listed twice in {names}", "list each node once")
        return v


class BackupProps(StorageProps):
    """Props of the types that hold backups: how many PVE keeps (``prune-backups``)."""

    retention: Any = None
    max_protected_backups: int | None = None

    @field_validator("retention")
    @classmethod
    def _retention(cls, v: Any) -> Any:
        if v is not None and not isinstance(v, Retention):
            raise Fault(f"{v!r} is not a Retention", "pass Retention(keep_daily=7, ...)")
        return v

    @field_validator("max_protected_backups")
    @classmethod
    def _protected(cls, v: int | None) -> int | None:
        if v is not None and v < -1:
            raise Fault(f"max_protected_backups must be -1 (no limit) or more, got {v}", "pass a count")
        return v

    @model_validator(mode="after")
    def _backups_held(self) -> BackupProps:
        if (self.retention is not None or self.max_protected_backups is not None) \
                and ContentType.BACKUP not in self.content:
            # Reported at the prop given for backups (retention first): removing it is one of the two fixes.
            raise_at([("retention" if self.retention is not None else "max_protected_backups",
                       "retention applies to backups, but the storage holds none", "add ContentType.BACKUP to content, "
                       "or remove retention and max_protected_backups")])
        return self


def bpg_backups(props: StorageProps) -> dict[str, Any] | None:
    """bpg's ``backups`` block from the retention props."""
    retention = getattr(props, "retention", None)
    protected = getattr(props, "max_protected_backups", None)
    if retention is None and protected is None:
        return None
    out: dict[str, Any] = dict(vars(retention)) if retention is not None else {}
    out["max_protected_backups"] = protected
    return {k: v for k, v in out.items() if v is not None}


BACKUP_OPTIONS = {"retention": "prune-backups", "max_protected_backups": "max-protected-backups"}

# Names in a type constructor's locals() that are no props.
_NOT_PROPS = frozenset({"self", "scope", "id", "__class__"})

#: The props every type (or every type holding backups) takes the same way: name -> (annotation, default, the
#: docstring line). Each type's constructor lists them again, so an IDE completes and documents them, and
#: tests/test_storage_signatures.py keeps every copy equal to this one.
SHARED_PROPS: Mapping[str, tuple[str, str, str]] = {
    "storage_id": ("str | None", "None", "PVE's storage id. Defaults to the construct id."),
    "nodes": ("Sequence[NodeBase] | None", "None", "The nodes it is defined on"),
    "cluster": ("ClusterBase | None", "None",
                "The cluster. Defaults to the nodes' cluster, or the stack's only cluster."),
    "enabled": ("bool", "True", "Whether PVE uses the storage (``disable``). Defaults to yes."),
    "content": ("Iterable[ContentType | str] | None", "None", "What it holds"),
    "allow_destroy": ("bool", "False", "Let Terraform remove the definition"),
    "retention": ("Retention | None", "None",
                  "Which backups PVE keeps (``prune-backups``). Defaults to keeping every backup (or what the backup "
                  "job says)."),
    "max_protected_backups": ("int | None", "None",
                              "Protected backups allowed per guest (-1: no limit). Defaults to PVE's (5)."),
    "extra_options": ("Mapping[str, str] | None", "None",
                      "Further options by PVE's name (``bwlimit``...), checked against the type's table. Defaults "
                      "to none."),
}
# List props, taken as any sequence and held as tuples by the models.
_LIST_PROPS = ("nodes", "devices", "monhost")


class OwnedStorage(Storage):
    """What every owned storage shares: validation against PVE's tables, nodes, protection, the L1."""

    STORAGE_TYPE: ClassVar[str]
    _PROPS: ClassVar[type[StorageProps]]
    # Python prop -> PVE option, for the props the type takes.
    _OPTION_NAMES: ClassVar[Mapping[str, str]] = {}
    _TF_TYPE: ClassVar[str] = "pvecdk_storage"

    resource: Any

    def __init__(self, scope: _cdk.Construct, id: str, given: Mapping[str, Any]) -> None:
        """Check and render the props a type's constructor was ``given``: its ``locals()``.

        Every keyword parameter of a type's constructor is a prop of its model by the same name, so the
        constructor hands them all over at once instead of listing them again, where one could be left out
        (and silently ignored); a parameter the model lacks is refused by its ``extra="forbid"``.
        """
        # Reading the path costs jsii round trips: it is read only to report a problem.
        def path() -> str:
            return construct_path(scope, id)

        values = {k: v for k, v in given.items() if k not in _NOT_PROPS}
        extra_options: Mapping[str, str] | None = values.pop("extra_options", None)
        if values.get("storage_id") is None:
            values["storage_id"] = id
        if values.get("content") is None:
            values["content"] = tuple(sorted(CONTENT[self.STORAGE_TYPE][1]))
        else:
            # One string is refused as such, not taken letter by letter.
            values["content"] = as_sequence(values["content"])
        for name in _LIST_PROPS:
            if values.get(name) is not None:
                values[name] = as_sequence(values[name])
        # A prop left at None is unset: a required one is then reported missing, not as a wrong type.
        # The Terraform type is named in every problem, as the type's own checks name it.
        props = check_props(self._PROPS, path, {k: v for k, v in values.items() if v is not None},
                            tf_type=self._TF_TYPE)
        cluster = self._resolve_cluster(scope, path, props)
        extra = dict(extra_options or {})
        self._check(path, props, cluster, extra)
        super().__init__(scope, id, storage_id=props.storage_id, storage_type=self.STORAGE_TYPE,
                         content=props.content, shared=self._is_shared(props), nodes=props.nodes)
        self.props = props
        self.cluster = cluster
        self._extra_options = extra
        self._depends_on: list[Any] = [cluster.membership] if cluster is not None else []
        self._extra_depends_on: tuple[Any, ...] = ()  # added after construction (depend_on)
        self.resource = self._render()
        self._storage_id = self.resource.id

    # -- validation

    def _resolve_cluster(self, scope: _cdk.Construct, path: Callable[[], str],
                         props: StorageProps) -> ClusterBase | None:
        """The cluster given, else the nodes', else the stack's only one; checked before any rule reads it."""
        if props.cluster is not None:
            if not isinstance(props.cluster, ClusterBase):
                raise ConfigError([Problem(path(), "cluster", f"{props.cluster!r} is not a Cluster",
                                           "pass the Cluster construct", self._TF_TYPE)])
            return props.cluster
        if props.nodes:
            return props.nodes[0].cluster  # type: ignore[no-any-return]
        return _find_cluster(scope)

    @classmethod
    def _is_shared(cls, props: StorageProps) -> bool:
        return cls.STORAGE_TYPE in SHARED_TYPES

    def _options_of(self, props: StorageProps) -> dict[str, tuple[str, Any]]:
        """PVE option -> (prop, value) for every option the props set."""
        out: dict[str, tuple[str, Any]] = {"content": ("content", props.content)}
        if props.nodes is not None:
            out["nodes"] = ("nodes", props.nodes)
        if not props.enabled:
            out["disable"] = ("enabled", True)
        for prop, option in self._OPTION_NAMES.items():
            value = getattr(props, prop)
            if value is not None:
                out[option] = (prop, value)
        return out

    def _check(self, path: Callable[[], str], props: StorageProps, cluster: ClusterBase | None,
               extra: dict[str, str]) -> None:
        kind = self.STORAGE_TYPE
        problems: list[Problem] = []

        def add(field: str, text: str, fix: str) -> None:
            problems.append(Problem(path(), field, text, fix, self._TF_TYPE))

        version = _pve_version(cluster)
        for node in props.nodes or ():
            if cluster is not None and node.cluster is not cluster:
                add("nodes", f"node {node.name} is not a node of cluster {cluster.name}",
                    f"list nodes of {cluster.name} only")
        allowed, _default = CONTENT[kind]
        for item in props.content:
            if item not in allowed:
                add("content", f"{kind} storage cannot hold {item.value}",
                    "pick from " + ", ".join(sorted(c.value for c in allowed)))
        table = type_options(kind, version.major)
        if table is None:
            add("(type)", f"PVE {version.value} has no {kind} storage",
                "target a PVE release that has it (GlusterFS storage ended with PVE 9), or use another type")
            raise ConfigError(problems)
        options = self._options_of(props)
        prop_of = {option: prop for prop, option in self._OPTION_NAMES.items()}
        for name, value in extra.items():
            field = f"extra_options[{name}]"
            typed = prop_of.get(name)
            if name in ("content", "nodes", "disable") or typed is not None:
                add(field, f"{name} is set through a prop", f"use {typed or name}= instead of extra_options")
                continue
            if kind == "cephfs" and name == "pool":
                add(field, "CephFS storage has no pool option: its data lives in the file system's own pools",
                    "remove pool; choose the file system with fs_name (RBD storage is the one that takes pool)")
                continue
            if not isinstance(value, str):
                add(field, f"expected a string, got {type(value).__name__}", "pass PVE's value as a string")
                continue
            options[name] = (field, value)
        for name, (field, _value) in options.items():
            if name not in table:
                other = type_options(kind, 9 if version.major == 8 else 8) or {}
                hint = (f"it needs PVE {9 if version.major == 8 else 8}; remove it or target that release"
                        if name in other else "remove it")
                add(field, f"{kind} storage takes no {name!r} option on PVE {version.value}", hint)
        defaults = _storage_types.create_defaults(kind)
        for name, spec in sorted(table.items()):
            if not spec["optional"] and name not in options and name not in defaults:
                prop = prop_of.get(name, name)
                add(prop, f"missing required option {name!r} of {kind} storage", f"pass {prop}=...")
        if problems:
            raise ConfigError(problems)

    # -- rendering

    @property
    def holds_data(self) -> bool:
        """Whether the storage holds anything but ISO images and container templates."""
        return not self.content <= _MEDIA

    @property
    def allow_destroy(self) -> bool:
        return self.props.allow_destroy

    def _lifecycle(self) -> _cdk.TerraformResourceLifecycle | None:
        return protection(self.props.allow_destroy or not self.holds_data)

    def _common(self) -> dict[str, Any]:
        """The arguments every bpg storage resource takes, from the shared props."""
        p = self.props
        return dict(
            content=sorted(c.value for c in p.content),
            nodes=sorted(n.name for n in p.nodes) if p.nodes is not None else None,
            disable=None if p.enabled else True,
            depends_on=self._depends_on or None,
            lifecycle=self._lifecycle(),
        )

    def _render(self) -> Any:
        raise NotImplementedError

    def depend_on(self, *resources: Any) -> None:
        """Create the storage after ``resources`` too (a Ceph pool or file system it lives on); the list is
        rendered at synthesis."""
        if not self._extra_depends_on:
            self.resource.render_late(self._render_depends_on)
        self._extra_depends_on += resources

    def _render_depends_on(self) -> None:
        self.resource.depends_on = [dependable_ref(r) for r in (*self._depends_on, *self._extra_depends_on)]

    @property
    def fixed_options(self) -> frozenset[str]:
        """The PVE options of this storage that PVE fixes at creation: changing one replaces the storage."""
        table = type_options(self.STORAGE_TYPE, _pve_version(self.cluster).major) or {}
        return frozenset(name for name, spec in table.items() if spec["fixed"])


class DeclaredSharedStorage(OwnedStorage):
    """A type PVE treats as local unless declared shared (``shared``): a directory, an LVM volume group."""

    def _options_of(self, props: StorageProps) -> dict[str, tuple[str, Any]]:
        out = super()._options_of(props)
        if not getattr(props, "shared", False):
            out.pop("shared", None)
        return out

    @classmethod
    def _is_shared(cls, props: StorageProps) -> bool:
        return bool(getattr(props, "shared", False))


class PvecdkStorage(OwnedStorage):
    """A storage type bpg/proxmox lacks, through our provider's ``pvecdk_storage``."""

    _TF_TYPE = "pvecdk_storage"

    def _check(self, path: Callable[[], str], props: StorageProps, cluster: ClusterBase | None,
               extra: dict[str, str]) -> None:
        if cluster is None or not cluster.nodes:
            what = "no cluster" if cluster is None else f"cluster {cluster.name} has no node yet"
            raise ConfigError([Problem(path(), "cluster", f"{what}: pvecdk_storage needs a member's API endpoint",
                                       "define the storage after cluster.add_node(...), or pass cluster=",
                                       self._TF_TYPE)])
        super()._check(path, props, cluster, extra)

    def _render(self) -> pvecdk_storage.Storage:
        p = self.props
        assert self.cluster is not None
        options = {name: _pve_value(value) for name, (field, value) in self._options_of(p).items()
                   if name not in ("content", "nodes", "disable")}
        options.update(self._extra_options)
        common = self._common()
        common["content"] = common["content"] or ["none"]
        # Any member's API serves /storage (the definition is cluster-wide): the first node's.
        endpoint = (p.nodes or self.cluster.nodes)[0].endpoint
        return pvecdk_storage.Storage(
            self, "Resource", id=p.storage_id, type=self.STORAGE_TYPE, endpoint=endpoint,
            options=options or None, keyring=p.keyring if isinstance(p, CephClientProps) else None,
            allow_destroy=p.allow_destroy, pve_version=self.cluster.pve_version.value, **common,
        )




_HOST_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")


def is_address(host: str) -> bool:
    """Whether ``host`` (no port; an IPv6 address may be in brackets) is an IP address or a host name."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return bool(_HOST_NAME.match(host))
    return True


def host_list(v: tuple[str, ...] | None, what: str) -> tuple[str, ...] | None:
    if v is None:
        return v
    if not v:
        raise Fault(f"an empty {what} list", "list the addresses, or leave it unset")
    for host in v:
        bare = host.strip("[]").rsplit(":", 1)[0] if host.count(":") == 1 or host.startswith("[") else host
        if not is_address(bare):
            raise Fault(f"{host!r} is not an address", "give IP addresses or host names, optionally with :port")
    return v


# The options of a Ceph client (RBD, CephFS) of an external cluster; its keyring is no option but a secret.
CEPH_CLIENT_OPTIONS = {"monhost": "monhost", "username": "username"}


class CephClientProps(StorageProps):
    monhost: tuple[str, ...] | None = None
    username: str | None = None
    keyring: str | None = None

    @field_validator("monhost")
    @classmethod
    def _monhost(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return host_list(v, "monitor")

    @field_validator("keyring")
    @classmethod
    def _keyring(cls, v: str | None) -> str | None:
        return secret(v, "keyring")

    @model_validator(mode="after")
    def _external(self) -> CephClientProps:
        # Both at keyring: the prop missing for an external cluster, or given for the cluster's own Ceph.
        if self.monhost is not None and self.keyring is None:
            raise_at([("keyring", "an external Ceph cluster (monhost given) needs the client's keyring", "pass "
                                  "keyring= as a sensitive variable's token")])
        if self.monhost is None and self.keyring is not None:
            raise_at([("keyring", "a keyring is only taken for an external Ceph cluster", "pass monhost=[...] too, or "
                                  "remove keyring (the cluster's own Ceph needs none)")])
        return self
