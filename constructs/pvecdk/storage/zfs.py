"""ZFS pool storage (bpg/proxmox), and the pools it can create on the nodes' disks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pydantic import field_validator, model_validator

from pvecdk import _cdk
from pvecdk._base import ClusterBase, NodeBase
from pvecdk._fault import Fault
from pvecdk._storage_types import ContentType
from pvecdk._validation import Located, raise_at
from pvecdk.bpg import (
    node_disk_zfs,
    storage_zfspool,
)
from pvecdk.storage._owned import (
    OwnedStorage,
    StorageProps,
    protection,
)
from pvecdk.storage.options import ZfsCompression, ZfsRaidLevel

BLOCKSIZE = re.compile(r"^\d+[kKmM]?$")
ZPOOL = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*(/[A-Za-z0-9_.:-]+)*$")
# Fewest devices each layout takes.
_RAID_MIN = {ZfsRaidLevel.SINGLE: 1, ZfsRaidLevel.MIRROR: 2, ZfsRaidLevel.RAID10: 4, ZfsRaidLevel.RAIDZ: 3,
             ZfsRaidLevel.RAIDZ2: 4, ZfsRaidLevel.RAIDZ3: 5}


class _ZfsPoolProps(StorageProps):
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
        if not ZPOOL.match(v):
            raise Fault(f"{v!r} is not a ZFS pool or dataset", "give a pool name such as tank, or a dataset "
                        "such as rpool/data")
        return v

    @field_validator("blocksize")
    @classmethod
    def _blocksize(cls, v: str | None) -> str | None:
        if v is not None and not BLOCKSIZE.match(v):
            raise Fault(f"{v!r} is not a block size", "give a size such as 16k")
        return v

    @field_validator("ashift")
    @classmethod
    def _ashift(cls, v: int | None) -> int | None:
        if v is not None and not 9 <= v <= 16:
            raise Fault(f"ashift must be 9-16, got {v}", "use 12 for 4K-sector disks")
        return v

    @field_validator("devices")
    @classmethod
    def _devices(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if v is None:
            return v
        if not v:
            raise Fault("no device to create the zpool on", "list the disks, or leave devices unset to use an "
                        "existing pool")
        for d in v:
            if not d.startswith("/dev/"):
                raise Fault(f"{d!r} is not a device path", "give disks as /dev/sdX or /dev/disk/by-id/...")
        if len(set(v)) != len(v):
            raise Fault(f"a device is listed twice in {list(v)}", "list each disk once")
        return v

    @model_validator(mode="after")
    def _zpool(self) -> _ZfsPoolProps:
        # Each problem is reported at the prop to change, all of them at once.
        if self.devices is None:
            raise_at([(name, f"{name} is given but no zpool is created", f"pass devices=[...] to create the pool, or "
                             f"remove {name}")
                      for name in ("raid_level", "ashift", "compression") if getattr(self, name) is not None])
            return self
        located: list[Located] = []
        if "/" in self.pool:
            located.append(("pool", f"a zpool is created, but {self.pool!r} is a dataset", "give a pool name "
                                    "without '/'"))
        if self.nodes is None:
            located.append(("nodes", "devices are given, but not on which nodes to create the zpool", "pass "
                                     "nodes=[...]"))
        level = self.raid_level or default_raid_level(len(self.devices))
        count = len(self.devices)
        if count < _RAID_MIN[level] or (level is ZfsRaidLevel.SINGLE and count != 1) or (
                level is ZfsRaidLevel.RAID10 and count % 2):
            # Only a raid_level given can be wrong for the count (the default always fits), so that is the prop.
            need = ("exactly 1" if level is ZfsRaidLevel.SINGLE else f"at least {_RAID_MIN[level]}") + " device(s)" \
                + (" in pairs" if level is ZfsRaidLevel.RAID10 else "")
            fit = default_raid_level(count)
            located.append(("raid_level", f"{level.value} takes {need}, got {count}", f"pass "
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


class ZfsPoolStorage(OwnedStorage):
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
            lifecycle = protection(p.allow_destroy)
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
