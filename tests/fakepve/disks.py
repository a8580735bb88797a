"""A node's block devices and what lives on them: the physical truth that GET /nodes/{node}/disks/list reports.

Usage is kept on the disk itself (the LVM volumes ceph-volume made), not derived from Ceph's state, because
that is how a real node behaves: an OSD destroyed without `cleanup` leaves its volume group behind, and a
node that leaves its cluster keeps what is written on its disks.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

TIB = 1 << 40
GIB = 1 << 30
SYSTEM_DISK = "/dev/sda"
DEFAULT_DATA_DISKS = ("/dev/sdb", "/dev/sdc", "/dev/sdd")

# What `disks=` may give per node: device paths (1 TiB SSDs) or paths with sizes in bytes.
DiskSpec = Sequence[str] | Mapping[str, int]


@dataclass
class Volume:
    """One logical volume ceph-volume made: an OSD's block device, or its DB or WAL."""

    kind: str  # "block", "db" or "wal"
    osdid: int | None  # None once zapped: the LV stays, its Ceph tags are gone
    size: int


@dataclass
class Disk:
    devpath: str
    size: int
    serial: str
    system: bool = False  # the disk PVE is installed on: partitioned, mounted, never free
    vg: str | None = None  # the 'ceph-<uuid>' volume group once one was made on it
    volumes: list[Volume] = field(default_factory=list)
    encrypted: bool = False

    @property
    def name(self) -> str:
        return self.devpath.removeprefix("/dev/")

    @property
    def by_id_link(self) -> str:
        """The stable /dev/disk/by-id name udev gives the disk."""
        return f"/dev/disk/by-id/ata-QEMU_HARDDISK_{self.serial}"

    @property
    def used(self) -> str | None:
        """PVE's usage word: 'LVM' for a physical volume, 'partitions' for the system disk, None when free."""
        if self.system:
            return "partitions"
        return "LVM" if self.vg is not None else None

    @property
    def free(self) -> int:
        return self.size - sum(v.size for v in self.volumes)

    def osd_ids(self) -> list[int]:
        return sorted(v.osdid for v in self.volumes if v.kind == "block" and v.osdid is not None)

    def allocate(self, kind: str, osdid: int, size: int) -> None:
        if self.vg is None:
            self.vg = f"ceph-{uuid.uuid4()}"
        self.volumes.append(Volume(kind, osdid, size))

    def row(self) -> dict[str, Any]:
        """One entry of GET /nodes/{node}/disks/list, with the keys PVE's Diskmanage gives."""
        osds = self.osd_ids()
        row: dict[str, Any] = {
            "devpath": self.devpath,
            "size": self.size,
            "type": "ssd",
            "model": "QEMU_HARDDISK",
            "vendor": "ATA",
            "serial": self.serial,
            "wwn": "unknown",
            "health": "OK",
            "wearout": 100,
            "rpm": 0,
            "by_id_link": self.by_id_link,
            "gpt": 1 if self.system else 0,
            "mounted": 1 if self.system else 0,
            "osdid": osds[0] if osds else -1,
            "osdid-list": osds or None,
        }
        if self.used is not None:
            row["used"] = self.used
        if osds:
            row["bluestore"] = 1
            row["osdencrypted"] = int(self.encrypted)
        for kind in ("db", "wal"):
            count = sum(1 for v in self.volumes if v.kind == kind and v.osdid is not None)
            if count:
                row[kind] = count
        return row


def _serial(node: str, devpath: str) -> str:
    return "QM" + hashlib.sha1(f"{node}:{devpath}".encode()).hexdigest()[:8].upper()


def make_disks(node: str, spec: DiskSpec | None) -> dict[str, Disk]:
    """The system disk plus the node's data disks (three 1 TiB SSDs unless `spec` names others)."""
    sizes: dict[str, int] = (
        dict(spec) if isinstance(spec, Mapping) else dict.fromkeys(DEFAULT_DATA_DISKS if spec is None else spec, TIB)
    )
    disks = {SYSTEM_DISK: Disk(SYSTEM_DISK, 128 * GIB, _serial(node, SYSTEM_DISK), system=True)}
    for devpath, size in sizes.items():
        if not devpath.startswith("/dev/") or devpath == SYSTEM_DISK:
            raise ValueError(f"{node}: data disk {devpath!r} must be a /dev path other than {SYSTEM_DISK}")
        if size < GIB:
            raise ValueError(f"{node}: disk {devpath} is smaller than 1 GiB")
        disks[devpath] = Disk(devpath, size, _serial(node, devpath))
    return disks
