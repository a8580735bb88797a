"""iSCSI storage: a target's LUNs (kernel or user-space initiator), and ZFS over iSCSI (``pvecdk_storage``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from pydantic import field_validator, model_validator

from pvecdk import _cdk
from pvecdk._base import ClusterBase, NodeBase
from pvecdk._fault import Fault
from pvecdk._storage_types import ContentType
from pvecdk._validation import Located, raise_at
from pvecdk.provider import storage as pvecdk_storage
from pvecdk.storage._owned import (
    PvecdkStorage,
    StorageProps,
    is_address,
)
from pvecdk.storage.options import IscsiProvider
from pvecdk.storage.zfs import BLOCKSIZE, ZPOOL


def _portal(v: str) -> str:
    host = v.rsplit(":", 1)[0] if v.count(":") == 1 else v
    if not is_address(host):
        raise Fault(f"{v!r} is not an iSCSI portal", "give an address, optionally with :port (3260 by default)")
    return v


def _iqn(v: str) -> str:
    if not re.match(r"^(iqn\.\d{4}-\d{2}\.[^\s:]+(:\S+)?|eui\.[0-9A-Fa-f]{16}|naa\.[0-9A-Fa-f]{16,32})$", v):
        raise Fault(f"{v!r} is not an iSCSI target name", "give an IQN such as "
                    "iqn.2003-01.org.example:storage")
    return v


class _IscsiProps(StorageProps):
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


class _IscsiTargetStorage(PvecdkStorage):
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
        if not ZPOOL.match(v):
            raise Fault(f"{v!r} is not a ZFS pool or dataset on the storage box", "give one such as tank/pve")
        return v

    @field_validator("blocksize")
    @classmethod
    def _blocksize(cls, v: str) -> str:
        if not BLOCKSIZE.match(v):
            raise Fault(f"{v!r} is not a block size", "give a size such as 8k")
        return v

    @model_validator(mode="after")
    def _provider(self) -> _ZfsIscsiProps:
        # Each at the provider-specific prop to pass or remove.
        provider = self.iscsi_provider
        located: list[Located] = []
        if provider is IscsiProvider.LIO and self.lio_tpg is None:
            located.append(("lio_tpg", "the LIO provider needs its target portal group", "pass lio_tpg='tpg1'"))
        if provider is not IscsiProvider.LIO and self.lio_tpg is not None:
            located.append(("lio_tpg", f"lio_tpg applies to the LIO provider, not {provider.value}", "remove it"))
        if provider is not IscsiProvider.COMSTAR:
            located += [(name, f"{name} applies to COMSTAR, not {provider.value}", "remove it")
                        for name in ("comstar_hg", "comstar_tg") if getattr(self, name)]
        raise_at(located)
        return self


class ZfsOverIscsiStorage(PvecdkStorage):
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
