"""Storage: where guests' disks, ISO images, templates, backups and snippets live.

:class:`Storage` is the base every storage construct shares, and what other constructs take (``storage=nfs``):
its attributes say what the storage holds (:class:`ContentType`), whether every node sees the same data
(``shared``) and on which nodes it is defined. :meth:`Storage.from_id` refers to a storage that already exists
(``local``, ``local-lvm``) and adds nothing to the plan.

The owned types create a storage definition: ``DirStorage``, ``NfsStorage``, ``CifsStorage``, ``LvmStorage``,
``LvmThinStorage``, ``ZfsPoolStorage`` and ``PbsStorage`` through bpg/proxmox's resources, and ``RbdStorage``,
``CephFsStorage``, ``IscsiStorage``, ``IscsiDirectStorage``, ``ZfsOverIscsiStorage`` and ``GlusterFsStorage``
(PVE 8 only) through ``pvecdk_storage``. Their props are checked, before anything is added to the tree,
against the options PVE takes for the type on the cluster's release (``data/storage-type-options.json``)
and the content types the type can hold. A storage that holds data (anything but ISO images and container
templates) is protected by ``prevent_destroy`` unless ``allow_destroy=True``: a changed option that PVE
fixes at creation (an NFS export, a volume group) replaces the storage, and Terraform then refuses the plan
instead of dropping the definition guests' disks live on.
"""

from __future__ import annotations

from pvecdk._storage_types import CONTENT, ContentType
from pvecdk.storage._owned import type_options
from pvecdk.storage.base import Storage
from pvecdk.storage.ceph import CephFsStorage, RbdStorage
from pvecdk.storage.files import CifsStorage, DirStorage, NfsStorage
from pvecdk.storage.gluster import GlusterFsStorage
from pvecdk.storage.iscsi import IscsiDirectStorage, IscsiStorage, ZfsOverIscsiStorage
from pvecdk.storage.lvm import LvmStorage, LvmThinStorage
from pvecdk.storage.options import GlusterTransport, IscsiProvider, Preallocation, ZfsCompression, ZfsRaidLevel
from pvecdk.storage.pbs import PbsStorage
from pvecdk.storage.zfs import ZfsPoolStorage

__all__ = [
    "CONTENT",
    "CephFsStorage",
    "CifsStorage",
    "ContentType",
    "DirStorage",
    "GlusterFsStorage",
    "GlusterTransport",
    "IscsiDirectStorage",
    "IscsiProvider",
    "IscsiStorage",
    "LvmStorage",
    "LvmThinStorage",
    "NfsStorage",
    "PbsStorage",
    "Preallocation",
    "RbdStorage",
    "Storage",
    "ZfsCompression",
    "ZfsOverIscsiStorage",
    "ZfsPoolStorage",
    "ZfsRaidLevel",
    "type_options",
]
