"""GlusterFS storage (PVE 8 only; ``pvecdk_storage``).
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
    BackupProps,
    PvecdkStorage,
    host_list,
)
from pvecdk.storage.options import GlusterTransport, Preallocation


class _GlusterProps(BackupProps):
    server: str
    volume: str
    server2: str | None = None
    transport: GlusterTransport | None = None
    preallocation: Preallocation | None = None

    @field_validator("server", "server2")
    @classmethod
    def _server(cls, v: str | None) -> str | None:
        if v is not None:
            host_list((v,), "server")
        return v

    @field_validator("volume")
    @classmethod
    def _volume(cls, v: str) -> str:
        if not re.match(r"^[A-Za-z0-9_.-]+$", v):
            raise Fault(f"{v!r} is not a GlusterFS volume name", "use letters, digits, '-', '_' and '.'")
        return v


class GlusterFsStorage(PvecdkStorage):
    """A GlusterFS volume (PVE type ``glusterfs``). PVE 8 only: PVE 9 dropped GlusterFS storage.

    Manages ``pvecdk_storage``. Example::

        GlusterFsStorage(stack, "gluster", server="10.0.6.1", server2="10.0.6.2", volume="pve")
    """

    STORAGE_TYPE = "glusterfs"
    _PROPS = _GlusterProps
    _OPTION_NAMES = {**BACKUP_OPTIONS, "server": "server", "server2": "server2", "volume": "volume",
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
