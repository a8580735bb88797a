"""Ceph's values: device classes, pool applications, erasure coding, and the name formats it takes."""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_MONITORS = 3
MAX_PG_NUM = 32768
# The stages Ceph is built in, in order (0 is the init, pvecdk_ceph): each waits for the last non-empty one before.
MONITORS, MANAGERS, OSDS, POOLS, MDS, FILESYSTEMS = range(1, 7)
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
# PVE's pattern for a metadata server's name (POST /nodes/{node}/ceph/mds/{name}): no '_' or '.'.
MDS_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,198}[A-Za-z0-9])?$")


class DeviceClass(enum.StrEnum):
    """The CRUSH device class of an OSD."""

    HDD = "hdd"
    SSD = "ssd"
    NVME = "nvme"


class PoolApplication(enum.StrEnum):
    """What a pool serves."""

    RBD = "rbd"
    CEPHFS = "cephfs"
    RGW = "rgw"


class PgAutoscaleMode(enum.StrEnum):
    """Whether Ceph adjusts a pool's placement group count itself."""

    ON = "on"
    OFF = "off"
    WARN = "warn"


@dataclass(frozen=True)
class ErasureCoding:
    """An erasure-coded data pool: ``k`` data chunks and ``m`` coding chunks per object.

    PVE then creates ``<name>-data`` (erasure coded) and ``<name>-metadata`` (replicated) pools; RBD storage on
    it keeps image metadata in the second and data in the first.

    Args:
        k: Data chunks (2 or more).
        m: Coding chunks (1 or more): how many hosts may fail.
        failure_domain: The CRUSH failure domain. Defaults to Ceph's (host).
        device_class: Restrict the data pool to OSDs of one class. Defaults to any.
        profile: An existing erasure-code profile to use instead of k and m. Defaults to none.
    """

    k: int
    m: int
    failure_domain: str | None = None
    device_class: DeviceClass | None = None
    profile: str | None = None

    def render(self) -> str:
        """PVE's ``erasure-coding`` property string."""
        parts = [f"k={self.k}", f"m={self.m}"]
        if self.failure_domain:
            parts.append(f"failure-domain={self.failure_domain}")
        if self.device_class:
            parts.append(f"device-class={DeviceClass(self.device_class).value}")
        if self.profile:
            parts.append(f"profile={self.profile}")
        return ",".join(parts)


def device_id(device: str) -> str:
    """A stable construct id part for a device path (``/dev/sdb`` -> ``sdb``)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", device.rstrip("/").rsplit("/", 1)[-1])


def is_name(value: Any) -> bool:
    """Whether ``value`` is a Ceph name (pool, file system, CRUSH rule)."""
    return isinstance(value, str) and bool(_NAME.match(value))


def valid_pg_num(pg_num: Any) -> bool:
    """Whether ``pg_num`` is unset, or a power of two up to MAX_PG_NUM."""
    return pg_num is None or (isinstance(pg_num, int) and not isinstance(pg_num, bool) and 0 < pg_num <= MAX_PG_NUM
                              and pg_num & (pg_num - 1) == 0)


