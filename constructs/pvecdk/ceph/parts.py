"""Ceph's parts: OSDs, pools and CephFS file systems, and the storage defined on pools and file systems."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pvecdk import _cdk
from pvecdk._base import NodeBase
from pvecdk._validation import LazyPath, check_props
from pvecdk.bpg import ceph_pool
from pvecdk.ceph._props import FsProps, OsdProps, PoolProps
from pvecdk.ceph.base import CephBase
from pvecdk.ceph.values import (
    DeviceClass,
    ErasureCoding,
    PgAutoscaleMode,
    PoolApplication,
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
        check_props(OsdProps, LazyPath(scope, id), dict(
            node=node, device=device, device_class=device_class, encrypted=encrypted, db_device=db_device,
            db_size_gib=db_size_gib, wal_device=wal_device, wal_size_gib=wal_size_gib, allow_destroy=allow_destroy),
            context=ceph, tf_type="pvecdk_ceph_osd")
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
        check_props(PoolProps, LazyPath(scope, id), dict(
            name=name, size=size, min_size=min_size, pg_num=pg_num, pg_autoscale_mode=pg_autoscale_mode,
            application=application, crush_rule=crush_rule, erasure_coding=erasure_coding,
            target_size_ratio=target_size_ratio, allow_unsafe=allow_unsafe, allow_destroy=allow_destroy),
            tf_type="proxmox_ceph_pool")
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
        check_props(FsProps, LazyPath(scope, id), dict(name=name, pg_num=pg_num, allow_destroy=allow_destroy),
                    context=ceph, tf_type="pvecdk_ceph_fs")
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


