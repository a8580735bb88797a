"""The closed sets of values the storage types take (PVE's enums).
"""

from __future__ import annotations

import enum


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
