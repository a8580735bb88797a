"""The storage base: what every storage is, and what guests, backups and Ceph take.

:class:`Storage` holds what a storage holds (:class:`~pvecdk._storage_types.ContentType`), whether it is shared
and on which nodes it is defined; :meth:`Storage.from_id` refers to one that exists and adds nothing to the plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from pydantic import BeforeValidator, ModelWrapValidatorHandler, field_validator, model_validator

from pvecdk import _cdk
from pvecdk._base import NodeBase
from pvecdk._fault import Fault
from pvecdk._storage_types import SHARED_TYPES, ContentType
from pvecdk._validation import LazyPath, Located, Props, as_sequence, check_props, validate_between
from pvecdk.errors import ConfigError, Problem

# What the installer creates, so `Storage.from_id(scope, "local-lvm")` needs no further arguments.
INSTALLER = {
    "local": ("dir", frozenset({ContentType.ISO, ContentType.VZTMPL, ContentType.BACKUP})),
    "local-lvm": ("lvmthin", frozenset({ContentType.IMAGES, ContentType.ROOTDIR})),
    "local-zfs": ("zfspool", frozenset({ContentType.IMAGES, ContentType.ROOTDIR})),
}


def content_set(content: Iterable[ContentType | str]) -> frozenset[ContentType]:
    return frozenset(ContentType(c) for c in content)


def _content(value: Any) -> Any:
    if value is None:
        return None
    try:
        return content_set(value)
    except ValueError as exc:
        raise Fault(str(exc), "pick from " + ", ".join(c.value for c in ContentType)) from None


class _ReferenceProps(Props):
    """What :meth:`Storage.from_id` takes; the installer's storages (``INSTALLER``) need no more than their id."""

    storage_id: str
    content: Annotated[frozenset[ContentType] | None, BeforeValidator(_content)]
    shared: bool | None
    storage_type: str | None
    nodes: Annotated[tuple[Any, ...] | None, BeforeValidator(as_sequence)]

    @field_validator("storage_id", mode="before")
    @classmethod
    def _storage_id(cls, v: object) -> object:
        if not v or _cdk.is_unresolved(v):
            raise Fault(f"{v!r} is not a storage id", "give the id of an existing storage, such as local-lvm")
        return v

    @model_validator(mode="wrap")
    @classmethod
    def _known(cls, data: Any, handler: ModelWrapValidatorHandler[_ReferenceProps]) -> Any:
        """A storage the installer did not make needs its content and type; each listed item must be a node.

        Raised with the errors of the values themselves, so every problem of one call is reported at once."""
        located: list[Located] = []
        if isinstance(data, dict):
            sid = data.get("storage_id")
            if not (isinstance(sid, str) and sid in INSTALLER):
                if data.get("content") is None:
                    located.append(("content", f"what {sid!r} holds is unknown",
                                    "pass content=[ContentType.IMAGES, ...] as the storage is configured"))
                if data.get("storage_type") is None:
                    located.append(("storage_type", f"the type of {sid!r} is unknown",
                                    "pass storage_type=, such as 'nfs' or 'lvmthin'"))
            nodes = as_sequence(data.get("nodes"))
            located += [("nodes", f"{item!r} is not a Node", "pass the nodes cluster.add_node(...) returned")
                        for item in (nodes if isinstance(nodes, tuple) else ()) if not isinstance(item, NodeBase)]
        return validate_between(data, handler, located)


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
        self._content = content_set(content)
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
        path = LazyPath(scope, storage_id)  # read only for a problem
        props = check_props(_ReferenceProps, path, dict(storage_id=storage_id, content=content, shared=shared,
                                                        storage_type=storage_type, nodes=nodes))
        installer = INSTALLER.get(storage_id)
        kind = props.storage_type or (installer[0] if installer else "")
        holds = props.content if props.content is not None else (installer[1] if installer else frozenset())
        is_shared = props.shared if props.shared is not None else kind in SHARED_TYPES
        existing = scope.node.try_find_child(storage_id)
        if isinstance(existing, Storage):
            if (existing.storage_type, existing.content, existing.shared) == (kind, holds, is_shared):
                return existing
            raise ConfigError([Problem(path(), "storage_id", f"{storage_id!r} is already referenced here with "
                                       "other attributes", "refer to it once, or with the same attributes")])
        return Storage(scope, storage_id, storage_id=storage_id, storage_type=kind, content=holds,
                       shared=is_shared, nodes=nodes)


# ------------------------------------------------------------------------------------------------ owned
