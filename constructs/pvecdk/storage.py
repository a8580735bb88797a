"""Storage: where guests' disks, ISO images, templates, backups and snippets live.

:class:`Storage` is the base every storage construct shares, and what other constructs take (``storage=nfs``):
its attributes say what the storage holds (:class:`ContentType`), whether every node sees the same data
(``shared``) and on which nodes it is defined. :meth:`Storage.from_id` refers to a storage that already exists
(``local``, ``local-lvm``) and adds nothing to the plan.

The owned types create a storage definition: ``DirStorage``, ``NfsStorage``, ``CifsStorage``, ``LvmStorage``,
``LvmThinStorage``, ``ZfsPoolStorage`` and ``PbsStorage`` through bpg/proxmox's resources, and ``RbdStorage``,
``CephFsStorage``, ``IscsiStorage``, ``IscsiDirectStorage``, ``ZfsOverIscsiStorage`` and ``GlusterFsStorage``
(PVE 8 only) through ``pvecdk_storage``. Their props are checked, before anything is added to the tree,
against the options PVE takes for the type on the cluster's release (``data/storage-type-options.json``)
and the content types the type can hold. A storage that holds data (anything but ISO images and container
templates) is protected by ``prevent_destroy`` unless ``allow_destroy=True``: a changed option that PVE
fixes at creation (an NFS export, a volume group) replaces the storage, and Terraform then refuses the plan
instead of dropping the definition guests' disks live on.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import field_validator, model_validator

from pvecdk import _cdk, _storage_types
from pvecdk._base import ClusterBase, NodeBase, clusters_of_stack
from pvecdk._storage_types import CONTENT, SHARED_TYPES, STORAGE_ID, ContentType
from pvecdk._validation import Props, check_props, construct_path, raise_at
from pvecdk._values import PveVersion, Retention
from pvecdk.bpg import (
    node_disk_zfs,
    storage_cifs,
    storage_directory,
    storage_lvm,
    storage_lvmthin,
    storage_nfs,
    storage_pbs,
    storage_zfspool,
)
from pvecdk.errors import ConfigError, Problem
from pvecdk.provider import storage as pvecdk_storage

__all__ = [
    "CephFsStorage",
    "CifsStorage",
    "ContentType",
    "DirStorage",
    "GlusterFsStorage",
    "GlusterTransport",
    "IscsiDirectStorage",
    "IscsiProvider",
    "IscsiStorage",
    "LvmStorage",
    "LvmThinStorage",
    "NfsStorage",
    "PbsStorage",
    "Preallocation",
    "RbdStorage",
    "Storage",
    "ZfsCompression",
    "ZfsOverIscsiStorage",
    "ZfsPoolStorage",
    "ZfsRaidLevel",
]


# What the installer creates, so `Storage.from_id(scope, "local-lvm")` needs no further arguments.
_INSTALLER = {
    "local": ("dir", frozenset({ContentType.ISO, ContentType.VZTMPL, ContentType.BACKUP})),
    "local-lvm": ("lvmthin", frozenset({ContentType.IMAGES, ContentType.ROOTDIR})),
    "local-zfs": ("zfspool", frozenset({ContentType.IMAGES, ContentType.ROOTDIR})),
}


def _content_set(content: Iterable[ContentType | str]) -> frozenset[ContentType]:
    return frozenset(ContentType(c) for c in content)


class Storage(_cdk.Construct):
    """A PVE storage, owned (``NfsStorage``, ``RbdStorage``, ...) or referenced (:meth:`from_id`).

    Other constructs take a ``Storage`` wherever a storage is meant, and ask it what it holds. Example::

        local = Storage.from_id(stack, "local")
        assert local.holds(ContentType.ISO)
    """

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        storage_id: str,
        storage_type: str,
        content: Iterable[ContentType | str],
        shared: bool,
        nodes: Sequence[NodeBase] | None = None,
    ) -> None:
        """Define the storage's attributes; subclasses add the resources that create it.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            storage_id: PVE's storage id (``storage``), as guests and backups name it.
            storage_type: PVE's storage type (``dir``, ``nfs``, ``rbd``, ...).
            content: What it holds.
            shared: Whether every node sees the same data (migration then copies no disks).
            nodes: The nodes it is defined on. Defaults to every node of the cluster.
        """
        super().__init__(scope, id)
        self._construct_id = id
        self._storage_id = storage_id
        self._storage_type = storage_type
        self._content = _content_set(content)
        self._shared = shared
        self._nodes = tuple(nodes) if nodes is not None else None

    @property
    def construct_id(self) -> str:
        """The construct id, as problems name the storage (read without a jsii round trip)."""
        return self._construct_id

    @property
    def storage_id(self) -> str:
        """PVE's storage id. For an owned storage this is a token that refers to its resource, so whatever
        uses it is created after the storage."""
        return self._storage_id

    @property
    def storage_type(self) -> str:
        """PVE's storage type (``dir``, ``nfs``, ``lvmthin``, ``rbd``, ...)."""
        return self._storage_type

    @property
    def content(self) -> frozenset[ContentType]:
        """What the storage holds."""
        return self._content

    @property
    def shared(self) -> bool:
        """Whether every node sees the same data."""
        return self._shared

    @property
    def nodes(self) -> tuple[NodeBase, ...] | None:
        """The nodes the storage is defined on; None means every node."""
        return self._nodes

    def holds(self, content: ContentType | str) -> bool:
        """Tell whether the storage holds ``content`` (``ContentType.ISO``, ``"backup"``, ...)."""
        try:
            return ContentType(content) in self._content
        except ValueError:
            return False

    def available_on(self, node: NodeBase) -> bool:
        """Tell whether the storage is defined on ``node``."""
        return self._nodes is None or any(n is node for n in self._nodes)

    @classmethod
    def from_id(
        cls,
        scope: _cdk.Construct,
        storage_id: str,
        *,
        content: Iterable[ContentType | str] | None = None,
        shared: bool | None = None,
        storage_type: str | None = None,
        nodes: Sequence[NodeBase] | None = None,
    ) -> Storage:
        """Refer to a storage that exists; nothing is added to the plan.

        ``storage_id`` doubles as the construct id under ``scope``; asking twice returns the same reference.

        Args:
            scope: The construct the reference belongs to.
            storage_id: PVE's storage id.
            content: What it holds. Defaults to the installer's for ``local`` (ISO images, templates,
                backups), ``local-lvm`` and ``local-zfs`` (disk images, container volumes); required for others.
            shared: Whether every node sees the same data. Defaults to true for network and Ceph types
                (``nfs``, ``cifs``, ``rbd``, ``cephfs``, ``pbs``, ...), false otherwise.
            storage_type: PVE's storage type. Defaults to the installer's for the three ids above;
                required for others.
            nodes: The nodes it is defined on. Defaults to every node.

        Returns:
            The referenced storage.
        """
        installer = _INSTALLER.get(storage_id)
        faults: list[tuple[str, str, str]] = []  # (field, problem, fix); the path is read only for a problem
        if not storage_id or _cdk.is_unresolved(storage_id):
            faults.append(("storage_id", f"{storage_id!r} is not a storage id",
                           "give the id of an existing storage, such as local-lvm"))
        if content is None and installer is None:
            faults.append(("content", f"what {storage_id!r} holds is unknown",
                           "pass content=[ContentType.IMAGES, ...] as the storage is configured"))
        if storage_type is None and installer is None:
            faults.append(("storage_type", f"the type of {storage_id!r} is unknown",
                           "pass storage_type=, such as 'nfs' or 'lvmthin'"))
        for item in nodes or ():
            if not isinstance(item, NodeBase):
                faults.append(("nodes", f"{item!r} is not a Node", "pass the nodes cluster.add_node(...) returned"))
        try:
            wanted = _content_set(content) if content is not None else None
        except ValueError as exc:
            faults.append(("content", str(exc), "pick from " + ", ".join(c.value for c in ContentType)))
            wanted = None
        kind = storage_type or (installer[0] if installer else "")
        holds = wanted if wanted is not None else (installer[1] if installer else frozenset())
        is_shared = shared if shared is not None else kind in SHARED_TYPES
        existing = None if faults else scope.node.try_find_child(storage_id)
        if isinstance(existing, Storage):
            if (existing.storage_type, existing.content, existing.shared) == (kind, holds, is_shared):
                return existing
            faults.append(("storage_id", f"{storage_id!r} is already referenced here with other attributes",
                           "refer to it once, or with the same attributes"))
        if faults:
            path = construct_path(scope, storage_id)
            raise ConfigError(Problem(path, field, what, fix) for field, what, fix in faults)
        return Storage(scope, storage_id, storage_id=storage_id, storage_type=kind, content=holds,
                       shared=is_shared, nodes=nodes)


# ------------------------------------------------------------------------------------------------ owned


class Preallocation(enum.StrEnum):
    """How file-based storage preallocates new qcow2/raw images (PVE's ``preallocation``)."""

    OFF = "off"
    METADATA = "metadata"
    FALLOC = "falloc"
    FULL = "full"


class ZfsRaidLevel(enum.StrEnum):
    """The layout of a zpool created on a node's disks."""

    SINGLE = "single"
    MIRROR = "mirror"
    RAID10 = "raid10"
    RAIDZ = "raidz"
    RAIDZ2 = "raidz2"
    RAIDZ3 = "raidz3"


class ZfsCompression(enum.StrEnum):
    """The compression of a zpool created on a node's disks (ZFS's ``compression``)."""

    ON = "on"
    OFF = "off"
    LZ4 = "lz4"
    ZSTD = "zstd"
    GZIP = "gzip"
    LZJB = "lzjb"
    ZLE = "zle"


class IscsiProvider(enum.StrEnum):
    """The iSCSI target software on a ZFS-over-iSCSI storage box (PVE's ``iscsiprovider``)."""

    COMSTAR = "comstar"
    ISTGT = "istgt"
    IET = "iet"
    LIO = "LIO"


class GlusterTransport(enum.StrEnum):
    """How PVE reaches a GlusterFS volume (PVE's ``transport``)."""

    TCP = "tcp"
    RDMA = "rdma"
    UNIX = "unix"


# Content that is no loss when its storage definition goes: installation media only.
_MEDIA = frozenset({ContentType.ISO, ContentType.VZTMPL})

_FINGERPRINT = re.compile(r"^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$")
_SECRET_FIX = ("pass a sensitive TerraformVariable (TerraformVariable(..., sensitive=True).string_value) "
               "or another token")


def type_options(storage_type: str, pve_major: int) -> dict[str, dict[str, bool]] | None:
    """PVE's options for ``storage_type`` on PVE ``pve_major`` (option -> optional, fixed), or None when that
    release has no such type."""
    return _storage_types.release_options(storage_type, pve_major)


def _is_secret_token(value: Any) -> bool:
    return isinstance(value, str) and _cdk.is_unresolved(value)


def _secret(value: str | None, what: str) -> str | None:
    if value is not None and not _is_secret_token(value):
        raise ValueError(f"the {what} was given as a literal value (value hidden); {_SECRET_FIX}")
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


def _dependable_ref(resource: Any) -> str:
    """A ``depends_on`` entry (``type.name``) for a resource, for lists built after it was created."""
    return f"{resource.terraform_resource_type}.{resource.friendly_unique_id}"


def _pve_version(cluster: ClusterBase | None) -> PveVersion:
    """The PVE release a storage is checked against: its cluster's, or the newest without a cluster."""
    return cluster.pve_version if cluster is not None else PveVersion.V9_1


def _protection(allow_destroy: bool) -> _cdk.TerraformResourceLifecycle | None:
    """``prevent_destroy`` for a resource holding data, unless its construct has ``allow_destroy``."""
    return None if allow_destroy else _cdk.TerraformResourceLifecycle(prevent_destroy=True)


def _find_cluster(scope: _cdk.Construct) -> ClusterBase | None:
    """The one cluster in the stack of ``scope``, or None when there is none or several."""
    clusters = clusters_of_stack(_cdk.TerraformStack.of(scope))
    return clusters[0] if len(clusters) == 1 else None


class _StorageProps(Props):
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
            raise ValueError(f"{v!r} is not a storage id; start with a letter, then letters, digits, '-', '_' "
                             "or '.', ending in a letter or digit")
        return v

    @field_validator("nodes")
    @classmethod
    def _nodes(cls, v: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("an empty node list defines the storage nowhere; list nodes, or leave nodes unset "
                             "for every node")
        for item in v:
            if not isinstance(item, NodeBase):
                raise ValueError(f"{item!r} is not a Node; pass the nodes cluster.add_node(...) returned")
        names = [n.name for n in v]
        if len(set(names)) != len(names):
            raise ValueError(f"a node is listed twice in {names}; list each node once")
        return v


class _BackupProps(_StorageProps):
    """Props of the types that hold backups: how many PVE keeps (``prune-backups``)."""

    retention: Any = None
    max_protected_backups: int | None = None

    @field_validator("retention")
    @classmethod
    def _retention(cls, v: Any) -> Any:
        if v is not None and not isinstance(v, Retention):
            raise ValueError(f"{v!r} is not a Retention; pass Retention(keep_daily=7, ...)")
        return v

    @field_validator("max_protected_backups")
    @classmethod
    def _protected(cls, v: int | None) -> int | None:
        if v is not None and v < -1:
            raise ValueError(f"max_protected_backups must be -1 (no limit) or more, got {v}; pass a count")
        return v

    @model_validator(mode="after")
    def _backups_held(self) -> _BackupProps:
        if (self.retention is not None or self.max_protected_backups is not None) \
                and ContentType.BACKUP not in self.content:
            # Reported at the prop given for backups (retention first): removing it is one of the two fixes.
            raise_at([("retention" if self.retention is not None else "max_protected_backups",
                       "retention applies to backups, but the storage holds none; add ContentType.BACKUP to content, "
                       "or remove retention and max_protected_backups")])
        return self


def _bpg_backups(props: _StorageProps) -> dict[str, Any] | None:
    """bpg's ``backups`` block from the retention props."""
    retention = getattr(props, "retention", None)
    protected = getattr(props, "max_protected_backups", None)
    if retention is None and protected is None:
        return None
    out: dict[str, Any] = dict(vars(retention)) if retention is not None else {}
    out["max_protected_backups"] = protected
    return {k: v for k, v in out.items() if v is not None}


_BACKUP_OPTIONS = {"retention": "prune-backups", "max_protected_backups": "max-protected-backups"}

# Names in a type constructor's locals() that are no props.
_NOT_PROPS = frozenset({"self", "scope", "id", "__class__"})
# List props, taken as any sequence and held as tuples by the models.
_LIST_PROPS = ("nodes", "devices", "monhost")


class _OwnedStorage(Storage):
    """What every owned storage shares: validation against PVE's tables, nodes, protection, the L1."""

    STORAGE_TYPE: ClassVar[str]
    _PROPS: ClassVar[type[_StorageProps]]
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
            values["content"] = tuple(values["content"])
        for name in _LIST_PROPS:
            if values.get(name) is not None:
                values[name] = tuple(values[name])
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
                         props: _StorageProps) -> ClusterBase | None:
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
    def _is_shared(cls, props: _StorageProps) -> bool:
        return cls.STORAGE_TYPE in SHARED_TYPES

    def _options_of(self, props: _StorageProps) -> dict[str, tuple[str, Any]]:
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

    def _check(self, path: Callable[[], str], props: _StorageProps, cluster: ClusterBase | None,
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
        return _protection(self.props.allow_destroy or not self.holds_data)

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
        self.resource.depends_on = [_dependable_ref(r) for r in (*self._depends_on, *self._extra_depends_on)]

    @property
    def fixed_options(self) -> frozenset[str]:
        """The PVE options of this storage that PVE fixes at creation: changing one replaces the storage."""
        table = type_options(self.STORAGE_TYPE, _pve_version(self.cluster).major) or {}
        return frozenset(name for name, spec in table.items() if spec["fixed"])


class _DeclaredSharedStorage(_OwnedStorage):
    """A type PVE treats as local unless declared shared (``shared``): a directory, an LVM volume group."""

    def _options_of(self, props: _StorageProps) -> dict[str, tuple[str, Any]]:
        out = super()._options_of(props)
        if not getattr(props, "shared", False):
            out.pop("shared", None)
        return out

    @classmethod
    def _is_shared(cls, props: _StorageProps) -> bool:
        return bool(getattr(props, "shared", False))


class _PvecdkStorage(_OwnedStorage):
    """A storage type bpg/proxmox lacks, through our provider's ``pvecdk_storage``."""

    _TF_TYPE = "pvecdk_storage"

    def _check(self, path: Callable[[], str], props: _StorageProps, cluster: ClusterBase | None,
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
            options=options or None, keyring=p.keyring if isinstance(p, _CephClientProps) else None,
            allow_destroy=p.allow_destroy, pve_version=self.cluster.pve_version.value, **common,
        )


# -- bpg types


class _DirProps(_BackupProps):
    path: str
    shared: bool
    preallocation: Preallocation | None = None
    create_base_path: bool | None = None
    create_subdirs: bool | None = None

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/") or v.rstrip("/") == "":
            raise ValueError(f"{v!r} is not an absolute directory; give a path such as /mnt/data")
        return v


class DirStorage(_DeclaredSharedStorage):
    """A directory on each node's file system (PVE type ``dir``).

    Manages ``proxmox_storage_directory``. Example::

        DirStorage(stack, "backups", path="/mnt/backup", content=[ContentType.BACKUP], nodes=[pve1])
    """

    STORAGE_TYPE = "dir"
    _PROPS = _DirProps
    _TF_TYPE = "proxmox_storage_directory"
    _OPTION_NAMES = {**_BACKUP_OPTIONS, "path": "path", "preallocation": "preallocation",
                     "create_base_path": "create-base-path",
                     "create_subdirs": "create-subdirs", "shared": "shared"}
    resource: storage_directory.StorageDirectory

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        path: str,
        storage_id: str | None = None,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        cluster: ClusterBase | None = None,
        shared: bool = False,
        preallocation: Preallocation | str | None = None,
        create_base_path: bool | None = None,
        create_subdirs: bool | None = None,
        retention: Retention | None = None,
        max_protected_backups: int | None = None,
        enabled: bool = True,
        allow_destroy: bool = False,
    ) -> None:
        """Define the storage.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            path: The directory (``path``); fixed once created.
            storage_id: PVE's storage id. Defaults to the construct id.
            content: What it holds. Defaults to PVE's: disk images and container volumes.
            nodes: The nodes it is defined on. Defaults to every node.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            shared: Declare the directory shared (a cluster file system mounted on every node). Defaults to no.
            preallocation: Image preallocation. Defaults to PVE's (metadata).
            create_base_path: Create ``path`` when missing. Defaults to PVE's (yes).
            create_subdirs: Create the content subdirectories. Defaults to PVE's (yes).
            retention: Which backups PVE keeps (``prune-backups``). Defaults to keeping every backup
                (or what the backup job says).
            max_protected_backups: Protected backups allowed per guest (-1: no limit). Defaults to
                PVE's (5).
            enabled: Whether PVE uses the storage (``disable``). Defaults to yes.
            allow_destroy: Let Terraform remove the definition. Defaults to no while it holds data.
        """
        super().__init__(scope, id, locals())

    def _render(self) -> storage_directory.StorageDirectory:
        p = self.props
        assert isinstance(p, _DirProps)
        return storage_directory.StorageDirectory(
            self, "Resource", id=p.storage_id, path=p.path, shared=p.shared,
            preallocation=p.preallocation.value if p.preallocation else None,
            create_base_path=p.create_base_path, create_subdirs=p.create_subdirs, backups=_bpg_backups(p),
            **self._common())


class _NfsProps(_BackupProps):
    server: str
    export: str
    mount_options: str | None = None
    preallocation: Preallocation | None = None
    snapshot_as_volume_chain: bool | None = None
    create_base_path: bool | None = None
    create_subdirs: bool | None = None

    @field_validator("export")
    @classmethod
    def _export(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError(f"{v!r} is not an export path; give the exported directory, such as /srv/nfs")
        return v

    @field_validator("server")
    @classmethod
    def _server(cls, v: str) -> str:
        if not v or " " in v or "/" in v or ":/" in v:
            raise ValueError(f"{v!r} is not a server address; give a host name or IP address, without the export")
        return v


class NfsStorage(_OwnedStorage):
    """An NFS export, mounted by PVE on every node (PVE type ``nfs``).

    Manages ``proxmox_storage_nfs``. Example::

        NfsStorage(stack, "nfs", server="192.168.1.100", export="/srv/nfs/proxmox",
                   content=[ContentType.IMAGES, ContentType.ISO, ContentType.BACKUP])
    """

    STORAGE_TYPE = "nfs"
    _PROPS = _NfsProps
    _TF_TYPE = "proxmox_storage_nfs"
    _OPTION_NAMES = {**_BACKUP_OPTIONS, "server": "server", "export": "export", "mount_options": "options",
                     "preallocation": "preallocation", "snapshot_as_volume_chain": "snapshot-as-volume-chain",
                     "create_base_path": "create-base-path", "create_subdirs": "create-subdirs"}
    resource: storage_nfs.StorageNfs

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        server: str,
        export: str,
        storage_id: str | None = None,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        cluster: ClusterBase | None = None,
        mount_options: str | None = None,
        preallocation: Preallocation | str | None = None,
        snapshot_as_volume_chain: bool | None = None,
        create_base_path: bool | None = None,
        create_subdirs: bool | None = None,
        retention: Retention | None = None,
        max_protected_backups: int | None = None,
        enabled: bool = True,
        allow_destroy: bool = False,
    ) -> None:
        """Define the storage.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            server: The NFS server's address (``server``); fixed once created.
            export: The exported directory (``export``); fixed once created.
            storage_id: PVE's storage id. Defaults to the construct id.
            content: What it holds. Defaults to PVE's: disk images.
            nodes: The nodes it is defined on. Defaults to every node.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            mount_options: NFS mount options (PVE's ``options``), such as ``vers=4.2``. Defaults to the
                client's.
            preallocation: Image preallocation. Defaults to PVE's (metadata).
            snapshot_as_volume_chain: Snapshots as qcow2 volume chains (PVE 9 only); fixed once created.
                Defaults to PVE's (off).
            create_base_path: Create the mount point when missing. Defaults to PVE's (yes).
            create_subdirs: Create the content subdirectories. Defaults to PVE's (yes).
            retention: Which backups PVE keeps (``prune-backups``). Defaults to keeping every backup
                (or what the backup job says).
            max_protected_backups: Protected backups allowed per guest (-1: no limit). Defaults to
                PVE's (5).
            enabled: Whether PVE uses the storage (``disable``). Defaults to yes.
            allow_destroy: Let Terraform remove the definition. Defaults to no while it holds data.
        """
        super().__init__(scope, id, locals())

    def _render(self) -> storage_nfs.StorageNfs:
        p = self.props
        assert isinstance(p, _NfsProps)
        return storage_nfs.StorageNfs(
            self, "Resource", id=p.storage_id, server=p.server, export=p.export, options=p.mount_options,
            preallocation=p.preallocation.value if p.preallocation else None,
            snapshot_as_volume_chain=p.snapshot_as_volume_chain, create_base_path=p.create_base_path,
            create_subdirs=p.create_subdirs, backups=_bpg_backups(p), **self._common())


class _CifsProps(_BackupProps):
    server: str
    share: str
    username: str
    password: str
    domain: str | None = None
    subdirectory: str | None = None
    mount_options: str | None = None
    preallocation: Preallocation | None = None
    snapshot_as_volume_chain: bool | None = None

    @field_validator("password")
    @classmethod
    def _password(cls, v: str) -> str | None:
        return _secret(v, "CIFS password")

    @field_validator("share")
    @classmethod
    def _share(cls, v: str) -> str:
        if not v or "/" in v or "\\" in v:
            raise ValueError(f"{v!r} is not a share name; give the share's name alone, such as proxmox")
        return v


class CifsStorage(_OwnedStorage):
    """An SMB/CIFS share, mounted by PVE on every node (PVE type ``cifs``).

    Manages ``proxmox_storage_cifs``; the password is a sensitive variable's token, never a literal. Example::

        password = TerraformVariable(stack, "smb_password", type="string", sensitive=True)
        CifsStorage(stack, "smb", server="nas", share="pve", username="pve", password=password.string_value)
    """

    STORAGE_TYPE = "cifs"
    _PROPS = _CifsProps
    _TF_TYPE = "proxmox_storage_cifs"
    _OPTION_NAMES = {**_BACKUP_OPTIONS, "server": "server", "share": "share", "username": "username",
                     "password": "password",
                     "domain": "domain", "subdirectory": "subdir", "mount_options": "options",
                     "preallocation": "preallocation", "snapshot_as_volume_chain": "snapshot-as-volume-chain"}
    resource: storage_cifs.StorageCifs

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        server: str,
        share: str,
        username: str,
        password: str,
        storage_id: str | None = None,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        cluster: ClusterBase | None = None,
        domain: str | None = None,
        subdirectory: str | None = None,
        mount_options: str | None = None,
        preallocation: Preallocation | str | None = None,
        snapshot_as_volume_chain: bool | None = None,
        retention: Retention | None = None,
        max_protected_backups: int | None = None,
        enabled: bool = True,
        allow_destroy: bool = False,
    ) -> None:
        """Define the storage.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            server: The SMB server's address (``server``); fixed once created.
            share: The share's name (``share``); fixed once created.
            username: The SMB user (``username``).
            password: The SMB password (``password``): a token of a sensitive variable, never a literal.
            storage_id: PVE's storage id. Defaults to the construct id.
            content: What it holds. Defaults to PVE's: disk images.
            nodes: The nodes it is defined on. Defaults to every node.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            domain: The SMB domain (``domain``). Defaults to none.
            subdirectory: A directory inside the share to use (``subdir``). Defaults to the share's root.
            mount_options: Mount options (PVE's ``options``). Defaults to the client's.
            preallocation: Image preallocation. Defaults to PVE's (metadata).
            snapshot_as_volume_chain: Snapshots as qcow2 volume chains (PVE 9 only). Defaults to PVE's (off).
            retention: Which backups PVE keeps (``prune-backups``). Defaults to keeping every backup
                (or what the backup job says).
            max_protected_backups: Protected backups allowed per guest (-1: no limit). Defaults to
                PVE's (5).
            enabled: Whether PVE uses the storage (``disable``). Defaults to yes.
            allow_destroy: Let Terraform remove the definition. Defaults to no while it holds data.
        """
        super().__init__(scope, id, locals())

    def _render(self) -> storage_cifs.StorageCifs:
        p = self.props
        assert isinstance(p, _CifsProps)
        return storage_cifs.StorageCifs(
            self, "Resource", id=p.storage_id, server=p.server, share=p.share, username=p.username,
            password=p.password, domain=p.domain, subdirectory=p.subdirectory, options=p.mount_options,
            preallocation=p.preallocation.value if p.preallocation else None,
            snapshot_as_volume_chain=p.snapshot_as_volume_chain, backups=_bpg_backups(p), **self._common())


_VG_NAME = re.compile(r"^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$")


def _vg(v: str, what: str) -> str:
    if not _VG_NAME.match(v):
        raise ValueError(f"{v!r} is not an LVM {what} name; use letters, digits, '+', '_', '.', '-'")
    return v


class _LvmProps(_StorageProps):
    volume_group: str
    shared: bool
    wipe_removed_volumes: bool | None = None

    @field_validator("volume_group")
    @classmethod
    def _volume_group(cls, v: str) -> str:
        return _vg(v, "volume group")


class LvmStorage(_DeclaredSharedStorage):
    """An LVM volume group; shared when it sits on a LUN every node sees (PVE type ``lvm``).

    Manages ``proxmox_storage_lvm``. Example::

        LvmStorage(stack, "san", volume_group="vg_san", shared=True)
    """

    STORAGE_TYPE = "lvm"
    _PROPS = _LvmProps
    _TF_TYPE = "proxmox_storage_lvm"
    _OPTION_NAMES = {"volume_group": "vgname", "shared": "shared", "wipe_removed_volumes": "saferemove"}
    resource: storage_lvm.StorageLvm

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        volume_group: str,
        storage_id: str | None = None,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        cluster: ClusterBase | None = None,
        shared: bool = False,
        wipe_removed_volumes: bool | None = None,
        enabled: bool = True,
        allow_destroy: bool = False,
    ) -> None:
        """Define the storage.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            volume_group: The volume group (``vgname``); fixed once created.
            storage_id: PVE's storage id. Defaults to the construct id.
            content: What it holds. Defaults to PVE's: disk images.
            nodes: The nodes it is defined on. Defaults to every node.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            shared: The volume group is on shared block storage every node sees. Defaults to no.
            wipe_removed_volumes: Zero removed volumes (``saferemove``). Defaults to PVE's (no).
            enabled: Whether PVE uses the storage (``disable``). Defaults to yes.
            allow_destroy: Let Terraform remove the definition. Defaults to no.
        """
        super().__init__(scope, id, locals())

    def _render(self) -> storage_lvm.StorageLvm:
        p = self.props
        assert isinstance(p, _LvmProps)
        return storage_lvm.StorageLvm(
            self, "Resource", id=p.storage_id, volume_group=p.volume_group, shared=p.shared,
            wipe_removed_volumes=p.wipe_removed_volumes, **self._common())


class _LvmThinProps(_StorageProps):
    volume_group: str
    thin_pool: str

    @field_validator("volume_group")
    @classmethod
    def _volume_group(cls, v: str) -> str:
        return _vg(v, "volume group")

    @field_validator("thin_pool")
    @classmethod
    def _thin_pool(cls, v: str) -> str:
        return _vg(v, "thin pool")


class LvmThinStorage(_OwnedStorage):
    """An LVM thin pool on each node (PVE type ``lvmthin``), like the installer's ``local-lvm``.

    Manages ``proxmox_storage_lvmthin``. Example::

        LvmThinStorage(stack, "fast", volume_group="nvme", thin_pool="data", nodes=[pve1, pve2])
    """

    STORAGE_TYPE = "lvmthin"
    _PROPS = _LvmThinProps
    _TF_TYPE = "proxmox_storage_lvmthin"
    _OPTION_NAMES = {"volume_group": "vgname", "thin_pool": "thinpool"}
    resource: storage_lvmthin.StorageLvmthin

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        volume_group: str,
        thin_pool: str,
        storage_id: str | None = None,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        cluster: ClusterBase | None = None,
        enabled: bool = True,
        allow_destroy: bool = False,
    ) -> None:
        """Define the storage.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            volume_group: The volume group (``vgname``); fixed once created.
            thin_pool: The thin pool in it (``thinpool``); fixed once created.
            storage_id: PVE's storage id. Defaults to the construct id.
            content: What it holds. Defaults to PVE's: disk images and container volumes.
            nodes: The nodes it is defined on. Defaults to every node.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            enabled: Whether PVE uses the storage (``disable``). Defaults to yes.
            allow_destroy: Let Terraform remove the definition. Defaults to no.
        """
        super().__init__(scope, id, locals())

    def _render(self) -> storage_lvmthin.StorageLvmthin:
        p = self.props
        assert isinstance(p, _LvmThinProps)
        return storage_lvmthin.StorageLvmthin(
            self, "Resource", id=p.storage_id, volume_group=p.volume_group, thin_pool=p.thin_pool, **self._common())


_BLOCKSIZE = re.compile(r"^\d+[kKmM]?$")
_ZPOOL = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*(/[A-Za-z0-9_.:-]+)*$")
# Fewest devices each layout takes.
_RAID_MIN = {ZfsRaidLevel.SINGLE: 1, ZfsRaidLevel.MIRROR: 2, ZfsRaidLevel.RAID10: 4, ZfsRaidLevel.RAIDZ: 3,
             ZfsRaidLevel.RAIDZ2: 4, ZfsRaidLevel.RAIDZ3: 5}


class _ZfsPoolProps(_StorageProps):
    pool: str
    blocksize: str | None = None
    sparse: bool | None = None
    devices: tuple[str, ...] | None = None
    raid_level: ZfsRaidLevel | None = None
    ashift: int | None = None
    compression: ZfsCompression | None = None

    @field_validator("pool")
    @classmethod
    def _pool(cls, v: str) -> str:
        if not _ZPOOL.match(v):
            raise ValueError(f"{v!r} is not a ZFS pool or dataset; give a pool name such as tank, or a dataset "
                             "such as rpool/data")
        return v

    @field_validator("blocksize")
    @classmethod
    def _blocksize(cls, v: str | None) -> str | None:
        if v is not None and not _BLOCKSIZE.match(v):
            raise ValueError(f"{v!r} is not a block size; give a size such as 16k")
        return v

    @field_validator("ashift")
    @classmethod
    def _ashift(cls, v: int | None) -> int | None:
        if v is not None and not 9 <= v <= 16:
            raise ValueError(f"ashift must be 9-16, got {v}; use 12 for 4K-sector disks")
        return v

    @field_validator("devices")
    @classmethod
    def _devices(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("no device to create the zpool on; list the disks, or leave devices unset to use an "
                             "existing pool")
        for d in v:
            if not d.startswith("/dev/"):
                raise ValueError(f"{d!r} is not a device path; give disks as /dev/sdX or /dev/disk/by-id/...")
        if len(set(v)) != len(v):
            raise ValueError(f"a device is listed twice in {list(v)}; list each disk once")
        return v

    @model_validator(mode="after")
    def _zpool(self) -> _ZfsPoolProps:
        # Each problem is reported at the prop to change, all of them at once.
        if self.devices is None:
            raise_at([(name, f"{name} is given but no zpool is created; pass devices=[...] to create the pool, or "
                             f"remove {name}")
                      for name in ("raid_level", "ashift", "compression") if getattr(self, name) is not None])
            return self
        located: list[tuple[str | tuple[int | str, ...], str]] = []
        if "/" in self.pool:
            located.append(("pool", f"a zpool is created, but {self.pool!r} is a dataset; give a pool name "
                                    "without '/'"))
        if self.nodes is None:
            located.append(("nodes", "devices are given, but not on which nodes to create the zpool; pass "
                                     "nodes=[...]"))
        level = self.raid_level or default_raid_level(len(self.devices))
        count = len(self.devices)
        if count < _RAID_MIN[level] or (level is ZfsRaidLevel.SINGLE and count != 1) or (
                level is ZfsRaidLevel.RAID10 and count % 2):
            # Only a raid_level given can be wrong for the count (the default always fits), so that is the prop.
            need = ("exactly 1" if level is ZfsRaidLevel.SINGLE else f"at least {_RAID_MIN[level]}") + " device(s)" \
                + (" in pairs" if level is ZfsRaidLevel.RAID10 else "")
            fit = default_raid_level(count)
            located.append(("raid_level", f"{level.value} takes {need}, got {count}; pass "
                                          f"raid_level=ZfsRaidLevel.{fit.name} for {count} device(s), "
                                          f"or list {need} in devices"))
        raise_at(located)
        return self


def default_raid_level(devices: int) -> ZfsRaidLevel:
    """The layout for ``devices`` disks: one disk alone, two mirrored, an even number as striped mirrors
    (the fastest for VM disks), an odd number of three or more as RAIDZ."""
    if devices <= 1:
        return ZfsRaidLevel.SINGLE
    if devices == 2:
        return ZfsRaidLevel.MIRROR
    return ZfsRaidLevel.RAID10 if devices % 2 == 0 else ZfsRaidLevel.RAIDZ


class ZfsPoolStorage(_OwnedStorage):
    """A local ZFS pool (or dataset) on each node (PVE type ``zfspool``), optionally creating the zpool.

    Manages ``proxmox_storage_zfspool``, and with ``devices`` a ``proxmox_node_disk_zfs`` per node in ``nodes``
    (``.zpools``). Example::

        ZfsPoolStorage(stack, "tank", pool="tank", nodes=[pve1], devices=["/dev/sdb", "/dev/sdc"])
    """

    STORAGE_TYPE = "zfspool"
    _PROPS = _ZfsPoolProps
    _TF_TYPE = "proxmox_storage_zfspool"
    _OPTION_NAMES = {"pool": "pool", "blocksize": "blocksize", "sparse": "sparse"}
    resource: storage_zfspool.StorageZfspool

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        pool: str,
        storage_id: str | None = None,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        cluster: ClusterBase | None = None,
        blocksize: str | None = None,
        sparse: bool | None = None,
        devices: Sequence[str] | None = None,
        raid_level: ZfsRaidLevel | str | None = None,
        ashift: int | None = None,
        compression: ZfsCompression | str | None = None,
        enabled: bool = True,
        allow_destroy: bool = False,
    ) -> None:
        """Define the storage, and the zpool when ``devices`` are given.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            pool: The pool or dataset (``pool``); fixed once created.
            storage_id: PVE's storage id. Defaults to the construct id.
            content: What it holds. Defaults to PVE's: disk images and container volumes.
            nodes: The nodes it is defined on; required with ``devices``. Defaults to every node.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            blocksize: Block size of new zvols (``blocksize``), such as ``16k``. Defaults to PVE's (16k).
            sparse: Thin-provision zvols (``sparse``). Defaults to PVE's (no).
            devices: Disks to create the zpool on, on each node in ``nodes``. Defaults to none: the pool exists.
            raid_level: The zpool's layout. Defaults to one disk alone, two mirrored, an even number as striped
                mirrors, an odd number as RAIDZ.
            ashift: The zpool's sector size exponent (9-16). Defaults to PVE's (12).
            compression: The zpool's compression. Defaults to PVE's (on).
            enabled: Whether PVE uses the storage (``disable``). Defaults to yes.
            allow_destroy: Let Terraform remove the definition and the zpools it created. Defaults to no.
        """
        self.zpools: dict[str, node_disk_zfs.NodeDiskZfs] = {}
        super().__init__(scope, id, locals())

    def _render(self) -> storage_zfspool.StorageZfspool:
        p = self.props
        assert isinstance(p, _ZfsPoolProps)
        if p.devices is not None:
            level = p.raid_level or default_raid_level(len(p.devices))
            # Destroying a zpool destroys its data, so it is protected like the storage.
            lifecycle = _protection(p.allow_destroy)
            for node in p.nodes or ():
                self.zpools[node.name] = node_disk_zfs.NodeDiskZfs(
                    self, f"Zpool-{node.name}", name=p.pool, node_name=node.name, raidlevel=level.value,
                    devices=list(p.devices), ashift=p.ashift,
                    compression=p.compression.value if p.compression else None, add_storage=False,
                    depends_on=self._depends_on or None, lifecycle=lifecycle)
            self._depends_on = [*self._depends_on, *self.zpools.values()]
        return storage_zfspool.StorageZfspool(
            self, "Resource", id=p.storage_id, zfs_pool=p.pool, blocksize=p.blocksize, thin_provision=p.sparse,
            **self._common())


class _PbsProps(_BackupProps):
    server: str
    datastore: str
    username: str
    password: str
    fingerprint: str | None = None
    namespace: str | None = None
    encryption_key: str | None = None

    @field_validator("password")
    @classmethod
    def _password(cls, v: str) -> str | None:
        return _secret(v, "PBS password")

    @field_validator("encryption_key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        return _secret(v, "encryption key")

    @field_validator("username")
    @classmethod
    def _username(cls, v: str) -> str:
        if not re.match(r"^[^\s@!]+@[^\s@!]+(![^\s@!]+)?$", v):
            raise ValueError(f"{v!r} is not a PBS user; give user@realm, or user@realm!token for an API token")
        return v

    @field_validator("fingerprint")
    @classmethod
    def _fingerprint(cls, v: str | None) -> str | None:
        if v is not None and not _cdk.is_unresolved(v) and not _FINGERPRINT.match(v):
            raise ValueError("the fingerprint is not a SHA-256 fingerprint; give 32 hex pairs separated by ':' "
                             "(proxmox-backup-manager cert info)")
        return v


class PbsStorage(_OwnedStorage):
    """A datastore on a Proxmox Backup Server (PVE type ``pbs``); it holds backups only.

    Manages ``proxmox_storage_pbs``; the password (or API token secret) is a sensitive variable's token.
    Example::

        secret = TerraformVariable(stack, "pbs_secret", type="string", sensitive=True)
        PbsStorage(stack, "pbs", server="pbs.example.internal", datastore="pve", username="pve@pbs!pvecdk",
                   password=secret.string_value, fingerprint="AA:BB:...")
    """

    STORAGE_TYPE = "pbs"
    _PROPS = _PbsProps
    _TF_TYPE = "proxmox_storage_pbs"
    _OPTION_NAMES = {**_BACKUP_OPTIONS, "server": "server", "datastore": "datastore", "username": "username",
                     "password": "password",
                     "fingerprint": "fingerprint", "namespace": "namespace", "encryption_key": "encryption-key"}
    resource: storage_pbs.StoragePbs

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        server: str,
        datastore: str,
        username: str,
        password: str,
        fingerprint: str | None = None,
        storage_id: str | None = None,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        cluster: ClusterBase | None = None,
        namespace: str | None = None,
        encryption_key: str | None = None,
        retention: Retention | None = None,
        max_protected_backups: int | None = None,
        enabled: bool = True,
        allow_destroy: bool = False,
    ) -> None:
        """Define the storage.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            server: The backup server's address (``server``); fixed once created.
            datastore: The datastore (``datastore``); fixed once created.
            username: ``user@realm`` or an API token ``user@realm!name`` (``username``).
            password: Its password or token secret (``password``): a sensitive variable's token.
            fingerprint: The server certificate's SHA-256 fingerprint. Defaults to none: the certificate must
                then be trusted by the nodes.
            storage_id: PVE's storage id. Defaults to the construct id.
            content: What it holds; only backups. Defaults to backups.
            nodes: The nodes it is defined on. Defaults to every node.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            namespace: The datastore namespace. Defaults to the root namespace.
            encryption_key: A client-side encryption key (``encryption-key``): a sensitive variable's token.
                Defaults to none: backups are not encrypted on the client.
            retention: Which backups PVE keeps (``prune-backups``). Defaults to keeping every backup
                (or what the backup job says).
            max_protected_backups: Protected backups allowed per guest (-1: no limit). Defaults to
                PVE's (5).
            enabled: Whether PVE uses the storage (``disable``). Defaults to yes.
            allow_destroy: Let Terraform remove the definition. Defaults to no.
        """
        super().__init__(scope, id, locals())

    def _render(self) -> storage_pbs.StoragePbs:
        p = self.props
        assert isinstance(p, _PbsProps)
        return storage_pbs.StoragePbs(
            self, "Resource", id=p.storage_id, server=p.server, datastore=p.datastore, username=p.username,
            password=p.password, fingerprint=p.fingerprint, namespace=p.namespace,
            encryption_key=p.encryption_key, backups=_bpg_backups(p), **self._common())


# -- types through pvecdk_storage


_HOST_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")


def _is_address(host: str) -> bool:
    """Whether ``host`` (no port; an IPv6 address may be in brackets) is an IP address or a host name."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return bool(_HOST_NAME.match(host))
    return True


def _host_list(v: tuple[str, ...] | None, what: str) -> tuple[str, ...] | None:
    if v is None:
        return v
    if not v:
        raise ValueError(f"an empty {what} list; list the addresses, or leave it unset")
    for host in v:
        bare = host.strip("[]").rsplit(":", 1)[0] if host.count(":") == 1 or host.startswith("[") else host
        if not _is_address(bare):
            raise ValueError(f"{host!r} is not an address; give IP addresses or host names, optionally with :port")
    return v


# The options of a Ceph client (RBD, CephFS) of an external cluster; its keyring is no option but a secret.
_CEPH_CLIENT_OPTIONS = {"monhost": "monhost", "username": "username"}


class _CephClientProps(_StorageProps):
    monhost: tuple[str, ...] | None = None
    username: str | None = None
    keyring: str | None = None

    @field_validator("monhost")
    @classmethod
    def _monhost(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return _host_list(v, "monitor")

    @field_validator("keyring")
    @classmethod
    def _keyring(cls, v: str | None) -> str | None:
        return _secret(v, "keyring")

    @model_validator(mode="after")
    def _external(self) -> _CephClientProps:
        # Both at keyring: the prop missing for an external cluster, or given for the cluster's own Ceph.
        if self.monhost is not None and self.keyring is None:
            raise_at([("keyring", "an external Ceph cluster (monhost given) needs the client's keyring; pass "
                                  "keyring= as a sensitive variable's token")])
        if self.monhost is None and self.keyring is not None:
            raise_at([("keyring", "a keyring is only taken for an external Ceph cluster; pass monhost=[...] too, or "
                                  "remove keyring (the cluster's own Ceph needs none)")])
        return self


class _RbdProps(_CephClientProps):
    pool: str
    data_pool: str | None = None
    namespace: str | None = None
    krbd: bool | None = None


def _ceph_name(v: str | None, what: str) -> str | None:
    if v is not None and not _cdk.is_unresolved(v) and not re.match(r"^[A-Za-z0-9_.-]+$", v):
        raise ValueError(f"{v!r} is not a Ceph {what} name; use letters, digits, '-', '_' and '.'")
    return v


class RbdStorage(_PvecdkStorage):
    """Ceph RBD images, of the cluster's own Ceph or an external one (PVE type ``rbd``).

    Manages ``pvecdk_storage``. Usually made by ``pool.as_storage()`` (see :mod:`pvecdk.ceph`); for an
    external cluster pass ``monhost`` and ``keyring``. Example::

        RbdStorage(stack, "ext-rbd", pool="pve", monhost=["10.9.0.1", "10.9.0.2", "10.9.0.3"],
                   username="pve", keyring=keyring.string_value)
    """

    STORAGE_TYPE = "rbd"
    _PROPS = _RbdProps
    _OPTION_NAMES = {"pool": "pool", "data_pool": "data-pool", "namespace": "namespace", "krbd": "krbd",
                     **_CEPH_CLIENT_OPTIONS}
    resource: pvecdk_storage.Storage

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        pool: str,
        storage_id: str | None = None,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        cluster: ClusterBase | None = None,
        data_pool: str | None = None,
        namespace: str | None = None,
        krbd: bool | None = None,
        monhost: Sequence[str] | None = None,
        username: str | None = None,
        keyring: str | None = None,
        extra_options: Mapping[str, str] | None = None,
        enabled: bool = True,
        allow_destroy: bool = False,
    ) -> None:
        """Define the storage.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            pool: The RBD pool (``pool``).
            storage_id: PVE's storage id. Defaults to the construct id.
            content: What it holds: disk images, container volumes. Defaults to PVE's: disk images.
            nodes: The nodes it is defined on. Defaults to every node.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            data_pool: The erasure-coded pool holding the data (``data-pool``). Defaults to none.
            namespace: The RBD namespace. Defaults to none.
            krbd: Map images through the kernel driver (``krbd``), as containers always do. Defaults to PVE's
                (librbd for VMs).
            monhost: Monitor addresses of an external Ceph cluster (``monhost``). Defaults to the cluster's
                own Ceph.
            username: The Ceph client id (``username``). Defaults to PVE's (admin).
            keyring: The client keyring of an external cluster: a sensitive variable's token. Defaults to none.
            extra_options: Further options by PVE's name (``bwlimit``...), checked against the type's
                table. Defaults to none.
            enabled: Whether PVE uses the storage (``disable``). Defaults to yes.
            allow_destroy: Let Terraform remove the definition. Defaults to no.
        """
        super().__init__(scope, id, locals())

    @property
    def pool(self) -> str:
        """The RBD pool."""
        p = self.props
        assert isinstance(p, _RbdProps)
        return p.pool


class _CephFsProps(_CephClientProps, _BackupProps):
    fs_name: str | None = None
    subdir: str | None = None
    fuse: bool | None = None
    mount_options: str | None = None

    @field_validator("fs_name")
    @classmethod
    def _fs_name(cls, v: str | None) -> str | None:
        return _ceph_name(v, "file system")


class CephFsStorage(_PvecdkStorage):
    """A CephFS file system mounted on every node (PVE type ``cephfs``): ISO images, templates, backups,
    snippets. It takes no ``pool``: CephFS keeps its data in the file system's own pools.

    Manages ``pvecdk_storage``. Usually made by ``fs.as_storage()`` (see :mod:`pvecdk.ceph`). Example::

        CephFsStorage(stack, "cephfs", fs_name="cephfs", content=[ContentType.ISO, ContentType.VZTMPL])
    """

    STORAGE_TYPE = "cephfs"
    _PROPS = _CephFsProps
    _OPTION_NAMES = {**_BACKUP_OPTIONS, "fs_name": "fs-name", "subdir": "subdir", "fuse": "fuse",
                     "mount_options": "options", **_CEPH_CLIENT_OPTIONS}
    resource: pvecdk_storage.Storage

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        fs_name: str | None = None,
        storage_id: str | None = None,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        cluster: ClusterBase | None = None,
        subdir: str | None = None,
        fuse: bool | None = None,
        mount_options: str | None = None,
        monhost: Sequence[str] | None = None,
        username: str | None = None,
        keyring: str | None = None,
        extra_options: Mapping[str, str] | None = None,
        retention: Retention | None = None,
        max_protected_backups: int | None = None,
        enabled: bool = True,
        allow_destroy: bool = False,
    ) -> None:
        """Define the storage.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            fs_name: The file system (``fs-name``). Defaults to Ceph's default file system.
            storage_id: PVE's storage id. Defaults to the construct id.
            content: What it holds. Defaults to PVE's: backups.
            nodes: The nodes it is defined on. Defaults to every node.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            subdir: The directory of the file system to mount (``subdir``). Defaults to its root.
            fuse: Mount through FUSE instead of the kernel client (``fuse``). Defaults to PVE's (kernel).
            mount_options: Mount options (PVE's ``options``). Defaults to none.
            monhost: Monitor addresses of an external Ceph cluster. Defaults to the cluster's own Ceph.
            username: The Ceph client id. Defaults to PVE's (admin).
            keyring: The client secret of an external cluster: a sensitive variable's token. Defaults to none.
            extra_options: Further options by PVE's name (``bwlimit``...), checked against the type's
                table. Defaults to none.
            retention: Which backups PVE keeps (``prune-backups``). Defaults to keeping every backup
                (or what the backup job says).
            max_protected_backups: Protected backups allowed per guest (-1: no limit). Defaults to
                PVE's (5).
            enabled: Whether PVE uses the storage (``disable``). Defaults to yes.
            allow_destroy: Let Terraform remove the definition. Defaults to no while it holds data.
        """
        super().__init__(scope, id, locals())


def _portal(v: str) -> str:
    host = v.rsplit(":", 1)[0] if v.count(":") == 1 else v
    if not _is_address(host):
        raise ValueError(f"{v!r} is not an iSCSI portal; give an address, optionally with :port (3260 by default)")
    return v


def _iqn(v: str) -> str:
    if not re.match(r"^(iqn\.\d{4}-\d{2}\.[^\s:]+(:\S+)?|eui\.[0-9A-Fa-f]{16}|naa\.[0-9A-Fa-f]{16,32})$", v):
        raise ValueError(f"{v!r} is not an iSCSI target name; give an IQN such as "
                         "iqn.2003-01.org.example:storage")
    return v


class _IscsiProps(_StorageProps):
    portal: str
    target: str

    @field_validator("portal")
    @classmethod
    def _portal(cls, v: str) -> str:
        return _portal(v)

    @field_validator("target")
    @classmethod
    def _target(cls, v: str) -> str:
        return _iqn(v)


class _IscsiTargetStorage(_PvecdkStorage):
    """What the two iSCSI types share: a portal and a target, VM disks at most (``iscsi``, ``iscsidirect``)."""

    _PROPS = _IscsiProps
    _OPTION_NAMES = {"portal": "portal", "target": "target"}
    resource: pvecdk_storage.Storage

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        portal: str,
        target: str,
        storage_id: str | None = None,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        cluster: ClusterBase | None = None,
        extra_options: Mapping[str, str] | None = None,
        enabled: bool = True,
        allow_destroy: bool = False,
    ) -> None:
        """Define the storage.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            portal: The portal's address, optionally with a port (``portal``); fixed once created.
            target: The target's IQN (``target``); fixed once created.
            storage_id: PVE's storage id. Defaults to the construct id.
            content: What it holds: ``[ContentType.IMAGES]`` to use LUNs as disks, ``[]`` for none. Defaults to
                PVE's: disk images.
            nodes: The nodes it is defined on. Defaults to every node.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            extra_options: Further options by PVE's name (``bwlimit``...), checked against the type's
                table. Defaults to none.
            enabled: Whether PVE uses the storage (``disable``). Defaults to yes.
            allow_destroy: Let Terraform remove the definition. Defaults to no while guests use its LUNs
                (``content`` holds disk images).
        """
        super().__init__(scope, id, locals())


class IscsiStorage(_IscsiTargetStorage):
    """An iSCSI target, through the kernel's open-iscsi (PVE type ``iscsi``).

    Manages ``pvecdk_storage``. ``content=[]`` defines the target without using its LUNs directly, as a base
    for an :class:`LvmStorage`. Example::

        IscsiStorage(stack, "san", portal="10.0.5.10", target="iqn.2003-01.org.example:pve", content=[])
    """

    STORAGE_TYPE = "iscsi"


class IscsiDirectStorage(_IscsiTargetStorage):
    """An iSCSI target, through the user-space libiscsi in QEMU (PVE type ``iscsidirect``): VM disks only.

    Manages ``pvecdk_storage``. Example::

        IscsiDirectStorage(stack, "lun", portal="10.0.5.10", target="iqn.2003-01.org.example:pve")
    """

    STORAGE_TYPE = "iscsidirect"


class _ZfsIscsiProps(_IscsiProps):
    pool: str
    blocksize: str
    iscsi_provider: IscsiProvider
    lio_tpg: str | None = None
    comstar_hg: str | None = None
    comstar_tg: str | None = None
    sparse: bool | None = None
    nowritecache: bool | None = None
    zfs_base_path: str | None = None

    @field_validator("pool")
    @classmethod
    def _pool(cls, v: str) -> str:
        if not _ZPOOL.match(v):
            raise ValueError(f"{v!r} is not a ZFS pool or dataset on the storage box; give one such as tank/pve")
        return v

    @field_validator("blocksize")
    @classmethod
    def _blocksize(cls, v: str) -> str:
        if not _BLOCKSIZE.match(v):
            raise ValueError(f"{v!r} is not a block size; give a size such as 8k")
        return v

    @model_validator(mode="after")
    def _provider(self) -> _ZfsIscsiProps:
        # Each at the provider-specific prop to pass or remove.
        provider = self.iscsi_provider
        located: list[tuple[str | tuple[int | str, ...], str]] = []
        if provider is IscsiProvider.LIO and self.lio_tpg is None:
            located.append(("lio_tpg", "the LIO provider needs its target portal group; pass lio_tpg='tpg1'"))
        if provider is not IscsiProvider.LIO and self.lio_tpg is not None:
            located.append(("lio_tpg", f"lio_tpg applies to the LIO provider, not {provider.value}; remove it"))
        if provider is not IscsiProvider.COMSTAR:
            located += [(name, f"{name} applies to COMSTAR, not {provider.value}; remove it")
                        for name in ("comstar_hg", "comstar_tg") if getattr(self, name)]
        raise_at(located)
        return self


class ZfsOverIscsiStorage(_PvecdkStorage):
    """ZFS volumes on a remote box exported over iSCSI (PVE type ``zfs``): VM disks with snapshots.

    Manages ``pvecdk_storage``; PVE reaches the box over SSH as root, with the key under /etc/pve/priv/zfs.
    Example::

        ZfsOverIscsiStorage(stack, "zfs-san", portal="10.0.5.20", target="iqn.2003-01.org.linux-iscsi.san:pve",
                            pool="tank/pve", blocksize="16k", iscsi_provider=IscsiProvider.LIO, lio_tpg="tpg1")
    """

    STORAGE_TYPE = "zfs"
    _PROPS = _ZfsIscsiProps
    _OPTION_NAMES = {**_IscsiTargetStorage._OPTION_NAMES, "pool": "pool", "blocksize": "blocksize",
                     "iscsi_provider": "iscsiprovider", "lio_tpg": "lio_tpg", "comstar_hg": "comstar_hg",
                     "comstar_tg": "comstar_tg", "sparse": "sparse", "nowritecache": "nowritecache",
                     "zfs_base_path": "zfs-base-path"}
    resource: pvecdk_storage.Storage

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        portal: str,
        target: str,
        pool: str,
        blocksize: str,
        iscsi_provider: IscsiProvider | str,
        lio_tpg: str | None = None,
        comstar_hg: str | None = None,
        comstar_tg: str | None = None,
        sparse: bool | None = None,
        nowritecache: bool | None = None,
        zfs_base_path: str | None = None,
        storage_id: str | None = None,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        cluster: ClusterBase | None = None,
        extra_options: Mapping[str, str] | None = None,
        enabled: bool = True,
        allow_destroy: bool = False,
    ) -> None:
        """Define the storage.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            portal: The box's iSCSI portal (``portal``); fixed once created.
            target: The target's IQN (``target``); fixed once created.
            pool: The pool or dataset on the box (``pool``); fixed once created.
            blocksize: Block size of new zvols (``blocksize``), such as ``16k``; fixed once created.
            iscsi_provider: The box's iSCSI target software (``iscsiprovider``); fixed once created.
            lio_tpg: The LIO target portal group (``lio_tpg``); required with LIO.
            comstar_hg: The COMSTAR host group. Defaults to none.
            comstar_tg: The COMSTAR target group. Defaults to none.
            sparse: Thin-provision zvols. Defaults to PVE's (no).
            nowritecache: Turn off the target's write cache. Defaults to PVE's (cache on).
            zfs_base_path: Where the box exposes zvols (``zfs-base-path``). Defaults to PVE's (/dev).
            storage_id: PVE's storage id. Defaults to the construct id.
            content: What it holds: disk images. Defaults to disk images.
            nodes: The nodes it is defined on. Defaults to every node.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            extra_options: Further options by PVE's name (``bwlimit``...), checked against the type's
                table. Defaults to none.
            enabled: Whether PVE uses the storage (``disable``). Defaults to yes.
            allow_destroy: Let Terraform remove the definition. Defaults to no.
        """
        super().__init__(scope, id, locals())


class _GlusterProps(_BackupProps):
    server: str
    volume: str
    server2: str | None = None
    transport: GlusterTransport | None = None
    preallocation: Preallocation | None = None

    @field_validator("server", "server2")
    @classmethod
    def _server(cls, v: str | None) -> str | None:
        if v is not None:
            _host_list((v,), "server")
        return v

    @field_validator("volume")
    @classmethod
    def _volume(cls, v: str) -> str:
        if not re.match(r"^[A-Za-z0-9_.-]+$", v):
            raise ValueError(f"{v!r} is not a GlusterFS volume name; use letters, digits, '-', '_' and '.'")
        return v


class GlusterFsStorage(_PvecdkStorage):
    """A GlusterFS volume (PVE type ``glusterfs``). PVE 8 only: PVE 9 dropped GlusterFS storage.

    Manages ``pvecdk_storage``. Example::

        GlusterFsStorage(stack, "gluster", server="10.0.6.1", server2="10.0.6.2", volume="pve")
    """

    STORAGE_TYPE = "glusterfs"
    _PROPS = _GlusterProps
    _OPTION_NAMES = {**_BACKUP_OPTIONS, "server": "server", "server2": "server2", "volume": "volume",
                     "transport": "transport",
                     "preallocation": "preallocation"}
    resource: pvecdk_storage.Storage

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        server: str,
        volume: str,
        server2: str | None = None,
        transport: GlusterTransport | str | None = None,
        preallocation: Preallocation | str | None = None,
        storage_id: str | None = None,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        cluster: ClusterBase | None = None,
        extra_options: Mapping[str, str] | None = None,
        retention: Retention | None = None,
        max_protected_backups: int | None = None,
        enabled: bool = True,
        allow_destroy: bool = False,
    ) -> None:
        """Define the storage.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            server: The first volfile server (``server``).
            volume: The volume (``volume``); fixed once created.
            server2: A backup volfile server (``server2``). Defaults to none.
            transport: ``tcp``, ``rdma`` or ``unix``. Defaults to PVE's (tcp).
            preallocation: Image preallocation. Defaults to PVE's (metadata).
            storage_id: PVE's storage id. Defaults to the construct id.
            content: What it holds. Defaults to PVE's: disk images.
            nodes: The nodes it is defined on. Defaults to every node.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            extra_options: Further options by PVE's name (``bwlimit``...), checked against the type's
                table. Defaults to none.
            retention: Which backups PVE keeps (``prune-backups``). Defaults to keeping every backup
                (or what the backup job says).
            max_protected_backups: Protected backups allowed per guest (-1: no limit). Defaults to
                PVE's (5).
            enabled: Whether PVE uses the storage (``disable``). Defaults to yes.
            allow_destroy: Let Terraform remove the definition. Defaults to no while it holds data.
        """
        super().__init__(scope, id, locals())
