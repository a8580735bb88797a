"""File-level storage: a directory, an NFS export, an SMB/CIFS share (bpg/proxmox resources).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import field_validator

from pvecdk import _cdk
from pvecdk._base import ClusterBase, NodeBase
from pvecdk._fault import Fault
from pvecdk._storage_types import ContentType
from pvecdk._values import Retention
from pvecdk.bpg import (
    storage_cifs,
    storage_directory,
    storage_nfs,
)
from pvecdk.storage._owned import (
    BACKUP_OPTIONS,
    BackupProps,
    DeclaredSharedStorage,
    OwnedStorage,
    bpg_backups,
    secret,
)
from pvecdk.storage.options import Preallocation


class _DirProps(BackupProps):
    path: str
    shared: bool
    preallocation: Preallocation | None = None
    create_base_path: bool | None = None
    create_subdirs: bool | None = None

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/") or v.rstrip("/") == "":
            raise Fault(f"{v!r} is not an absolute directory", "give a path such as /mnt/data")
        return v


class DirStorage(DeclaredSharedStorage):
    """A directory on each node's file system (PVE type ``dir``).

    Manages ``proxmox_storage_directory``. Example::

        DirStorage(stack, "backups", path="/mnt/backup", content=[ContentType.BACKUP], nodes=[pve1])
    """

    STORAGE_TYPE = "dir"
    _PROPS = _DirProps
    _TF_TYPE = "proxmox_storage_directory"
    _OPTION_NAMES = {**BACKUP_OPTIONS, "path": "path", "preallocation": "preallocation",
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
            create_base_path=p.create_base_path, create_subdirs=p.create_subdirs, backups=bpg_backups(p),
            **self._common())


class _NfsProps(BackupProps):
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
            raise Fault(f"{v!r} is not an export path", "give the exported directory, such as /srv/nfs")
        return v

    @field_validator("server")
    @classmethod
    def _server(cls, v: str) -> str:
        if not v or " " in v or "/" in v or ":/" in v:
            raise Fault(f"{v!r} is not a server address", "give a host name or IP address, without the export")
        return v


class NfsStorage(OwnedStorage):
    """An NFS export, mounted by PVE on every node (PVE type ``nfs``).

    Manages ``proxmox_storage_nfs``. Example::

        NfsStorage(stack, "nfs", server="192.168.1.100", export="/srv/nfs/proxmox",
                   content=[ContentType.IMAGES, ContentType.ISO, ContentType.BACKUP])
    """

    STORAGE_TYPE = "nfs"
    _PROPS = _NfsProps
    _TF_TYPE = "proxmox_storage_nfs"
    _OPTION_NAMES = {**BACKUP_OPTIONS, "server": "server", "export": "export", "mount_options": "options",
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
            create_subdirs=p.create_subdirs, backups=bpg_backups(p), **self._common())


class _CifsProps(BackupProps):
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
        return secret(v, "CIFS password")

    @field_validator("share")
    @classmethod
    def _share(cls, v: str) -> str:
        if not v or "/" in v or "\\" in v:
            raise Fault(f"{v!r} is not a share name", "give the share's name alone, such as proxmox")
        return v


class CifsStorage(OwnedStorage):
    """An SMB/CIFS share, mounted by PVE on every node (PVE type ``cifs``).

    Manages ``proxmox_storage_cifs``; the password is a sensitive variable's token, never a literal. Example::

        password = TerraformVariable(stack, "smb_password", type="string", sensitive=True)
        CifsStorage(stack, "smb", server="nas", share="pve", username="pve", password=password.string_value)
    """

    STORAGE_TYPE = "cifs"
    _PROPS = _CifsProps
    _TF_TYPE = "proxmox_storage_cifs"
    _OPTION_NAMES = {**BACKUP_OPTIONS, "server": "server", "share": "share", "username": "username",
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
            snapshot_as_volume_chain=p.snapshot_as_volume_chain, backups=bpg_backups(p), **self._common())
