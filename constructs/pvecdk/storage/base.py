"""The storage base: what every storage is, and what guests, backups and Ceph take.

:class:`Storage` holds what a storage holds (:class:`~pvecdk._storage_types.ContentType`), whether it is shared
and on which nodes it is defined; :meth:`Storage.from_id` refers to one that exists and adds nothing to the plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pvecdk import _cdk
from pvecdk._base import NodeBase
from pvecdk._storage_types import SHARED_TYPES, ContentType
from pvecdk._validation import construct_path
from pvecdk.errors import ConfigError, Problem

# What the installer creates, so `Storage.from_id(scope, "local-lvm")` needs no further arguments.
INSTALLER = {
    "local": ("dir", frozenset({ContentType.ISO, ContentType.VZTMPL, ContentType.BACKUP})),
    "local-lvm": ("lvmthin", frozenset({ContentType.IMAGES, ContentType.ROOTDIR})),
    "local-zfs": ("zfspool", frozenset({ContentType.IMAGES, ContentType.ROOTDIR})),
}


def content_set(content: Iterable[ContentType | str]) -> frozenset[ContentType]:
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
        installer = INSTALLER.get(storage_id)
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
            wanted = content_set(content) if content is not None else None
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
