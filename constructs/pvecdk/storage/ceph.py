"""Ceph storage: RBD images and CephFS, of the cluster's own Ceph or an external one (``pvecdk_storage``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from pydantic import field_validator

from pvecdk import _cdk
from pvecdk._base import ClusterBase, NodeBase
from pvecdk._fault import Fault
from pvecdk._storage_types import ContentType
from pvecdk._values import Retention
from pvecdk.provider import storage as pvecdk_storage
from pvecdk.storage._owned import (
    BACKUP_OPTIONS,
    CEPH_CLIENT_OPTIONS,
    BackupProps,
    CephClientProps,
    PvecdkStorage,
)


class _RbdProps(CephClientProps):
    pool: str
    data_pool: str | None = None
    namespace: str | None = None
    krbd: bool | None = None


def _ceph_name(v: str | None, what: str) -> str | None:
    if v is not None and not _cdk.is_unresolved(v) and not re.match(r"^[A-Za-z0-9_.-]+$", v):
        raise Fault(f"{v!r} is not a Ceph {what} name", "use letters, digits, '-', '_' and '.'")
    return v


class RbdStorage(PvecdkStorage):
    """Ceph RBD images, of the cluster's own Ceph or an external one (PVE type ``rbd``).

    Manages ``pvecdk_storage``. Usually made by ``pool.as_storage()`` (see :mod:`pvecdk.ceph`); for an
    external cluster pass ``monhost`` and ``keyring``. Example::

        RbdStorage(stack, "ext-rbd", pool="pve", monhost=["10.9.0.1", "10.9.0.2", "10.9.0.3"],
                   username="pve", keyring=keyring.string_value)
    """

    STORAGE_TYPE = "rbd"
    _PROPS = _RbdProps
    _OPTION_NAMES = {"pool": "pool", "data_pool": "data-pool", "namespace": "namespace", "krbd": "krbd",
                     **CEPH_CLIENT_OPTIONS}
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


class _CephFsProps(CephClientProps, BackupProps):
    fs_name: str | None = None
    subdir: str | None = None
    fuse: bool | None = None
    mount_options: str | None = None

    @field_validator("fs_name")
    @classmethod
    def _fs_name(cls, v: str | None) -> str | None:
        return _ceph_name(v, "file system")


class CephFsStorage(PvecdkStorage):
    """A CephFS file system mounted on every node (PVE type ``cephfs``): ISO images, templates, backups,
    snippets. It takes no ``pool``: CephFS keeps its data in the file system's own pools.

    Manages ``pvecdk_storage``. Usually made by ``fs.as_storage()`` (see :mod:`pvecdk.ceph`). Example::

        CephFsStorage(stack, "cephfs", fs_name="cephfs", content=[ContentType.ISO, ContentType.VZTMPL])
    """

    STORAGE_TYPE = "cephfs"
    _PROPS = _CephFsProps
    _OPTION_NAMES = {**BACKUP_OPTIONS, "fs_name": "fs-name", "subdir": "subdir", "fuse": "fuse",
                     "mount_options": "options", **CEPH_CLIENT_OPTIONS}
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
