"""Ceph's parts: OSDs, pools and CephFS file systems, and the storage defined on pools and file systems."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from pvecdk import _cdk
from pvecdk._base import NodeBase
from pvecdk._validation import construct_path
from pvecdk.bpg import ceph_pool
from pvecdk.ceph.base import CephBase, node_faults
from pvecdk.ceph.values import (
    MAX_PG_NUM,
    DeviceClass,
    ErasureCoding,
    PgAutoscaleMode,
    PoolApplication,
    is_name,
    valid_pg_num,
)
from pvecdk.errors import ConfigError, Problem
from pvecdk.provider import ceph_fs, ceph_osd
from pvecdk.storage import CephFsStorage, ContentType, RbdStorage
from pvecdk.storage._owned import protection


class Osd(_cdk.Construct):
    """An OSD on one disk of one node (``ceph.add_osd`` or ``node.add_osd``).

    Manages ``pvecdk_ceph_osd`` (``.resource``).
    """

    def __init__(
        self,
        scope: CephBase,
        id: str,
        *,
        ceph: CephBase,
        node: NodeBase,
        device: str,
        device_class: DeviceClass | str | None,
        encrypted: bool,
        db_device: str | None,
        db_size_gib: float | None,
        wal_device: str | None,
        wal_size_gib: float | None,
        allow_destroy: bool,
    ) -> None:
        problems: list[Problem] = []

        def add(field: str, text: str, fix: str) -> None:  # the path is read only for a problem
            problems.append(Problem(construct_path(scope, id), field, text, fix, "pvecdk_ceph_osd"))

        # A problem with the node is the OSD's own, like those of its disks; the checks below need a node.
        for what, fix in node_faults(ceph.cluster, "node", [node]):
            add("node", what, fix)
        if problems:
            raise ConfigError(problems)
        for field, value in (("device", device), ("db_device", db_device), ("wal_device", wal_device)):
            if value is not None and not re.match(r"^/dev/\S+$", value):
                add(field, f"{value!r} is not a device path", "give the disk as /dev/sdX or /dev/disk/by-id/...")
        if device_class is not None and device_class not in set(DeviceClass):
            add("device_class", f"{device_class!r} is not a device class",
                "pick one of " + ", ".join(c.value for c in DeviceClass))
        for field, size, disk, disk_field in (("db_size_gib", db_size_gib, db_device, "db_device"),
                                              ("wal_size_gib", wal_size_gib, wal_device, "wal_device")):
            if size is not None and disk is None:
                add(field, f"{field} is given without {disk_field}", f"pass {disk_field}=, or remove {field}")
            if size is not None and not (isinstance(size, (int, float)) and math.isfinite(size) and size > 0):
                add(field, f"must be a positive size in GiB, got {size!r}", "give the size in GiB, such as 64")
        if device in (db_device, wal_device):
            add("db_device" if device == db_device else "wal_device",
                f"{device} is the OSD's own disk", "put the database and log on another, faster disk, or leave "
                "them unset to keep them on the OSD's disk")
        on_node = [o for o in ceph.osds if o.host is node]
        if any(o.device == device for o in on_node):
            add("device", f"{device} on {node.name} is already an OSD", "use each disk for one OSD")
        elif any(device in (o.db_device, o.wal_device) for o in on_node):
            add("device", f"{device} on {node.name} already holds another OSD's database or log",
                "use another disk for the OSD")
        for field, value in (("db_device", db_device), ("wal_device", wal_device)):
            if value is not None and value != device and any(o.device == value for o in on_node):
                add(field, f"{value} on {node.name} is an OSD", "give a disk that is not an OSD")
        if problems:
            raise ConfigError(problems)
        super().__init__(scope, id)
        self.ceph = ceph
        self.host: NodeBase = node
        self.device: str = device
        self.device_class = DeviceClass(device_class) if device_class is not None else None
        self.db_device: str | None = db_device
        self.wal_device: str | None = wal_device
        self.allow_destroy = allow_destroy
        self.resource = ceph_osd.CephOsd(
            self, "Resource", node_name=node.name, endpoint=node.endpoint, device=device,
            device_class=self.device_class.value if self.device_class else None, encrypted=encrypted or None,
            db_device=db_device, db_size_gib=db_size_gib, wal_device=wal_device, wal_size_gib=wal_size_gib,
            allow_destroy=allow_destroy,
            lifecycle=protection(allow_destroy),
        )
        ceph.join_osd(self)

    @property
    def node_name(self) -> str:
        """The name of the node the OSD runs on."""
        return self.host.name

    @property
    def osd_id(self) -> float:
        """The OSD's number (a token, known once created)."""
        return self.resource.osd_id


class CephPool(_cdk.Construct):
    """A CephBase pool (``ceph.add_pool``).

    Manages ``proxmox_ceph_pool`` (``.resource``), protected by ``prevent_destroy`` unless ``allow_destroy``.
    ``as_storage()`` defines RBD storage on it.
    """

    def __init__(
        self,
        scope: CephBase,
        id: str,
        *,
        ceph: CephBase,
        name: str,
        size: int,
        min_size: int,
        pg_num: int | None,
        pg_autoscale_mode: PgAutoscaleMode | str,
        application: PoolApplication | str,
        crush_rule: str | None,
        erasure_coding: ErasureCoding | None,
        target_size_ratio: float | None,
        allow_unsafe: bool,
        allow_destroy: bool,
    ) -> None:
        problems: list[Problem] = []

        def add(field: str, text: str, fix: str) -> None:  # the path is read only for a problem
            problems.append(Problem(construct_path(scope, id), field, text, fix, "proxmox_ceph_pool"))

        if not is_name(name):
            add("name", f"{name!r} is not a pool name", "use letters, digits, '-', '_' and '.', not starting with '.'")
        for field, value in (("size", size), ("min_size", min_size)):
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 7:
                add(field, f"must be 1-7, got {value!r}", "keep 3 copies (size=3, min_size=2)")
        if not problems:
            if min_size > size:
                add("min_size", f"must not exceed size {size}, got {min_size}", "lower min_size or raise size")
            if min_size == 1 and not allow_unsafe:
                add("min_size", "min_size=1 lets a pool accept writes with a single copy, which the next failed "
                    "disk loses", "use min_size=2 with size=3, or pass allow_unsafe=True to accept the risk")
            elif size == 1 and not allow_unsafe:
                add("size", "size=1 keeps one copy: any failed disk loses data",
                    "use size=3, or pass allow_unsafe=True for scratch data")
        if not valid_pg_num(pg_num):
            add("pg_num", f"must be a power of two up to {MAX_PG_NUM}, got {pg_num!r}",
                "pick 32, 64, 128, ..., or leave it unset for the autoscaler")
        if pg_autoscale_mode not in set(PgAutoscaleMode):
            add("pg_autoscale_mode", f"{pg_autoscale_mode!r} is not an autoscale mode",
                "pick one of " + ", ".join(m.value for m in PgAutoscaleMode))
        if application not in set(PoolApplication):
            add("application", f"{application!r} is not a pool application",
                "pick one of " + ", ".join(a.value for a in PoolApplication))
        if erasure_coding is not None:
            ec = erasure_coding
            if not isinstance(ec, ErasureCoding):
                add("erasure_coding", f"{ec!r} is not an ErasureCoding", "pass ErasureCoding(k=..., m=...)")
            elif ec.profile is None and not (isinstance(ec.k, int) and isinstance(ec.m, int)):
                add("erasure_coding", f"k and m must be whole numbers, got k={ec.k!r}, m={ec.m!r}",
                    "pass whole numbers, such as k=2, m=1")
            elif ec.profile is None and (ec.k < 2 or ec.m < 1):
                add("erasure_coding", f"k={ec.k}, m={ec.m} cannot survive a failure",
                    "use k of 2 or more and m of 1 or more, such as k=2, m=1")
        if target_size_ratio is not None and not (isinstance(target_size_ratio, (int, float))
                                                  and 0 < target_size_ratio):
            add("target_size_ratio", f"must be positive, got {target_size_ratio}", "give a ratio such as 0.5")
        if crush_rule is not None and not is_name(crush_rule):
            add("crush_rule", f"{crush_rule!r} is not a CRUSH rule name", "give an existing rule's name")
        if problems:
            raise ConfigError(problems)
        names = ([f"{name}-data", f"{name}-metadata"] if erasure_coding is not None else [name])
        ceph.check_pool_names(scope, id, names)
        super().__init__(scope, id)
        self.ceph = ceph
        self.pool_name = name
        self.size = size
        self.min_size = min_size
        self.application = PoolApplication(application)
        self.erasure_coding = erasure_coding
        self.pool_names: tuple[str, ...] = tuple(names)
        self.allow_destroy = allow_destroy
        self.resource = ceph_pool.CephPool(
            self, "Resource", name=name, node_name=ceph.init_node.name, size=size, min_size=min_size,
            pg_num=pg_num, pg_autoscale_mode=PgAutoscaleMode(pg_autoscale_mode).value,
            application=self.application.value, crush_rule=crush_rule,
            erasure_coding=erasure_coding.render() if erasure_coding is not None else None,
            target_size_ratio=target_size_ratio,
            lifecycle=protection(allow_destroy),
        )
        ceph.join_pool(self)

    def as_storage(
        self,
        storage_id: str | None = None,
        *,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        krbd: bool | None = None,
        allow_destroy: bool = False,
    ) -> RbdStorage:
        """Define RBD storage on this pool; returns it.

        Args:
            storage_id: PVE's storage id. Defaults to the pool's name.
            content: What it holds: disk images, container volumes. Defaults to both.
            nodes: The nodes it is defined on. Defaults to every node.
            krbd: Map images through the kernel driver. Defaults to PVE's (librbd for VMs).
            allow_destroy: Let Terraform remove the storage definition. Defaults to no.
        """
        sid = storage_id or self.pool_name
        if self.application is not PoolApplication.RBD:
            raise ConfigError([Problem(str(self.node.path), "application", f"a pool for {self.application.value} "
                                       "cannot back RBD storage", "add the pool with application=rbd")])
        ec = self.erasure_coding is not None
        storage = RbdStorage(
            self, f"Storage-{sid}", storage_id=sid, cluster=self.ceph.cluster, nodes=nodes,
            pool=f"{self.pool_name}-metadata" if ec else self.pool_name,
            data_pool=f"{self.pool_name}-data" if ec else None, krbd=krbd,
            content=content if content is not None else (ContentType.IMAGES, ContentType.ROOTDIR),
            allow_destroy=allow_destroy)
        storage.depend_on(self.resource)
        return storage


class CephFs(_cdk.Construct):
    """A CephFS file system (``ceph.add_filesystem``).

    Manages ``pvecdk_ceph_fs`` (``.resource``), protected by ``prevent_destroy`` unless ``allow_destroy``.
    ``as_storage()`` defines CephFS storage on it.
    """

    def __init__(self, scope: CephBase, id: str, *, ceph: CephBase, name: str, pg_num: int | None,
                 allow_destroy: bool) -> None:
        problems: list[Problem] = []

        def add(field: str, text: str, fix: str) -> None:  # the path is read only for a problem
            problems.append(Problem(construct_path(scope, id), field, text, fix, "pvecdk_ceph_fs"))

        if not is_name(name):
            add("name", f"{name!r} is not a file system name", "use letters, digits, '-', '_' and '.'")
        if not valid_pg_num(pg_num):
            add("pg_num", f"must be a power of two up to {MAX_PG_NUM}, got {pg_num!r}",
                "pick 32, 64, 128, ..., or leave it unset")
        if name in ceph.filesystems:
            add("name", f"file system {name} already exists", "give every file system its own name")
        if problems:
            raise ConfigError(problems)
        names = (f"{name}_data", f"{name}_metadata")
        ceph.check_pool_names(scope, id, names)
        super().__init__(scope, id)
        self.ceph = ceph
        self.fs_name = name
        self.pool_names: tuple[str, ...] = names
        self.allow_destroy = allow_destroy
        self.resource = ceph_fs.CephFs(
            self, "Resource", name=name, node_name=ceph.init_node.name, endpoint=ceph.init_node.endpoint,
            pg_num=pg_num, allow_destroy=allow_destroy,
            lifecycle=protection(allow_destroy),
        )
        ceph.join_filesystem(self)

    def as_storage(
        self,
        storage_id: str | None = None,
        *,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        subdir: str | None = None,
        fuse: bool | None = None,
        allow_destroy: bool = False,
    ) -> CephFsStorage:
        """Define CephFS storage on this file system; returns it.

        Args:
            storage_id: PVE's storage id. Defaults to the file system's name.
            content: What it holds. Defaults to ISO images, container templates and backups.
            nodes: The nodes it is defined on. Defaults to every node.
            subdir: The directory of the file system to mount. Defaults to its root.
            fuse: Mount through FUSE. Defaults to PVE's (the kernel client).
            allow_destroy: Let Terraform remove the storage definition. Defaults to no while it holds backups.
        """
        sid = storage_id or self.fs_name
        storage = CephFsStorage(
            self, f"Storage-{sid}", storage_id=sid, cluster=self.ceph.cluster, nodes=nodes, fs_name=self.fs_name,
            subdir=subdir, fuse=fuse, allow_destroy=allow_destroy,
            content=content if content is not None else (ContentType.ISO, ContentType.VZTMPL, ContentType.BACKUP))
        storage.depend_on(self.resource)
        return storage


