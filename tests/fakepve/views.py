"""Read-only snapshots of Ceph, storage and disks for tests (fake.state.ceph, .storage, .disks(node)).

They are copies made under the World lock, so a test can hold them while the fake moves on. Secrets are
never part of them: a storage view names the secret options that were set, not their values.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ceph import CephCluster, Online, has_quorum, health, manager_states, mds_states, mons_up, osd_up
from .disks import Disk
from .storage import StorageEntry


@dataclass(frozen=True)
class MonitorView:
    name: str
    node: str
    addr: str
    running: bool
    in_quorum: bool


@dataclass(frozen=True)
class ManagerView:
    name: str
    node: str
    state: str  # "active", "standby" or "stopped"


@dataclass(frozen=True)
class OsdView:
    osdid: int
    node: str
    dev: str
    device_class: str
    encrypted: bool
    db_dev: str | None
    wal_dev: str | None
    up: bool
    is_in: bool


@dataclass(frozen=True)
class MdsView:
    name: str
    node: str
    state: str  # "up:active", "up:standby", "up:standby-replay" or "stopped"
    filesystem: str | None


@dataclass(frozen=True)
class FilesystemView:
    name: str
    data_pool: str
    metadata_pool: str


@dataclass(frozen=True)
class PoolView:
    name: str
    pool_id: int
    size: int
    min_size: int
    pg_num: int
    application: str | None
    crush_rule: str
    kind: str  # "replicated" or "erasure"
    images: dict[str, int]


@dataclass(frozen=True)
class CephView:
    fsid: str
    public_network: str | None
    cluster_network: str | None
    size: int
    min_size: int
    monitors: dict[str, MonitorView]
    managers: dict[str, ManagerView]
    osds: dict[int, OsdView]
    mds: dict[str, MdsView]
    filesystems: dict[str, FilesystemView]
    pools: dict[str, PoolView]
    health: str  # HEALTH_OK, HEALTH_WARN or HEALTH_ERR
    health_checks: tuple[str, ...]  # the names of the checks raised (MON_DOWN, TOO_FEW_OSDS, ...)
    flags: frozenset[str]  # OSD map flags an operator set (noout, ...)


@dataclass(frozen=True)
class StorageView:
    type: str
    options: dict[str, str]  # as in storage.cfg: no secret values
    secrets: frozenset[str]  # the secret options set (kept under /etc/pve/priv by PVE)


@dataclass(frozen=True)
class DiskView:
    devpath: str
    size: int
    used: str | None  # "LVM", "partitions" or None (free)
    osd_ids: tuple[int, ...]


def ceph_view(ceph: CephCluster, online: Online) -> CephView:
    quorum = has_quorum(ceph, online)
    up = mons_up(ceph, online)
    managers = manager_states(ceph, online)
    states = mds_states(ceph, online)
    checks = health(ceph, online)
    return CephView(
        fsid=ceph.fsid,
        public_network=ceph.public_network,
        cluster_network=ceph.cluster_network,
        size=ceph.size,
        min_size=ceph.min_size,
        monitors={
            m.name: MonitorView(m.name, m.node, m.addr, m in up, m in up and quorum) for m in ceph.monitors.values()
        },
        managers={m.name: ManagerView(m.name, m.node, managers[m.name]) for m in ceph.managers.values()},
        osds={
            o.osdid: OsdView(
                o.osdid, o.node, o.dev, o.device_class, o.encrypted, o.db_dev, o.wal_dev, osd_up(o, online), o.is_in
            )
            for o in ceph.osds.values()
        },
        mds={m.name: MdsView(m.name, m.node, *states[m.name]) for m in ceph.mds.values()},
        filesystems={f.name: FilesystemView(f.name, f.data_pool, f.metadata_pool) for f in ceph.filesystems.values()},
        pools={
            p.name: PoolView(
                p.name,
                p.pool_id,
                p.size,
                p.min_size,
                p.pg_num,
                p.application,
                ceph.rule_name(p.crush_rule),
                p.kind,
                dict(p.images),
            )
            for p in ceph.pools.values()
        },
        health=checks["status"],
        health_checks=tuple(sorted(checks["checks"])),
        flags=frozenset(ceph.flags),
    )


def storage_view(store: dict[str, StorageEntry]) -> dict[str, StorageView]:
    return {sid: StorageView(e.type, dict(e.options), frozenset(e.secrets)) for sid, e in store.items()}


def disk_view(disks: dict[str, Disk]) -> dict[str, DiskView]:
    return {p: DiskView(p, d.size, d.used, tuple(d.osd_ids())) for p, d in sorted(disks.items())}
