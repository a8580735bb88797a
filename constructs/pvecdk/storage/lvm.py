"""LVM storage: a volume group, or a thin pool in one (bpg/proxmox resources).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pydantic import field_validator

from pvecdk import _cdk
from pvecdk._base import ClusterBase, NodeBase
from pvecdk._fault import Fault
from pvecdk._storage_types import ContentType
from pvecdk.bpg import (
    storage_lvm,
    storage_lvmthin,
)
from pvecdk.storage._owned import (
    DeclaredSharedStorage,
    OwnedStorage,
    StorageProps,
)

_VG_NAME = re.compile(r"^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$")


def _vg(v: str, what: str) -> str:
    if not _VG_NAME.match(v):
        raise Fault(f"{v!r} is not an LVM {what} name", "use letters, digits, '+', '_', '.', '-'")
    return v


class _LvmProps(StorageProps):
    volume_group: str
    shared: bool
    wipe_removed_volumes: bool | None = None

    @field_validator("volume_group")
    @classmethod
    def _volume_group(cls, v: str) -> str:
        return _vg(v, "volume group")


class LvmStorage(DeclaredSharedStorage):
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


class _LvmThinProps(StorageProps):
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


class LvmThinStorage(OwnedStorage):
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
