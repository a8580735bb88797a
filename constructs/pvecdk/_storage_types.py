"""PVE's storage facts, shared by the storage constructs and the engine (which runs without cdktf).

The content types (:class:`ContentType`), what each storage type can hold and gets by default, which types
are shared, the storage-id format, and the per-type options (``data/storage-type-options.json``, read once).
Neither the constructs nor the engine may import the other, so these facts live here, once.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from pathlib import Path
from typing import Any

__all__ = ["CONTENT", "LINKED_CLONE_TYPES", "SHARED_TYPES", "STORAGE_ID", "ContentType", "create_defaults",
           "release_options"]


class ContentType(enum.StrEnum):
    """What a storage may hold (PVE's ``content`` option)."""

    IMAGES = "images"  # VM disk images
    ROOTDIR = "rootdir"  # container root file systems
    VZTMPL = "vztmpl"  # container templates
    ISO = "iso"  # ISO images
    BACKUP = "backup"  # vzdump backups
    SNIPPETS = "snippets"  # hook scripts, cloud-init files
    IMPORT = "import"  # disk images and OVAs to import guests from


# Storage types whose data every node sees: PVE treats them as shared without a `shared` flag.
SHARED_TYPES = frozenset({"nfs", "cifs", "glusterfs", "cephfs", "rbd", "pbs", "iscsi", "iscsidirect", "zfs"})

# Storage types that can clone a template's base volume into a linked clone (pve-storage's `clone` feature on
# base volumes): the file-based ones (any format: the clone is a qcow2 backed by the base), LVM-thin, ZFS, RBD
# and ZFS over iSCSI. Thick LVM, iSCSI LUNs, CephFS and PBS cannot.
LINKED_CLONE_TYPES = frozenset({"dir", "nfs", "cifs", "glusterfs", "lvmthin", "zfspool", "rbd", "zfs"})

_ALL = frozenset(ContentType)
_C = ContentType
# What each type can hold, and what PVE gives it when `content` is not set (pve-storage's plugindata).
CONTENT: dict[str, tuple[frozenset[ContentType], frozenset[ContentType]]] = {
    "dir": (_ALL, frozenset({_C.IMAGES, _C.ROOTDIR})),
    "nfs": (_ALL, frozenset({_C.IMAGES})),
    "cifs": (_ALL, frozenset({_C.IMAGES})),
    "glusterfs": (_ALL - {_C.ROOTDIR}, frozenset({_C.IMAGES})),
    "cephfs": (frozenset({_C.VZTMPL, _C.ISO, _C.BACKUP, _C.SNIPPETS, _C.IMPORT}), frozenset({_C.BACKUP})),
    "lvm": (frozenset({_C.IMAGES, _C.ROOTDIR}), frozenset({_C.IMAGES})),
    "lvmthin": (frozenset({_C.IMAGES, _C.ROOTDIR}), frozenset({_C.IMAGES, _C.ROOTDIR})),
    "zfspool": (frozenset({_C.IMAGES, _C.ROOTDIR}), frozenset({_C.IMAGES, _C.ROOTDIR})),
    "rbd": (frozenset({_C.IMAGES, _C.ROOTDIR}), frozenset({_C.IMAGES})),
    "pbs": (frozenset({_C.BACKUP}), frozenset({_C.BACKUP})),
    "iscsi": (frozenset({_C.IMAGES}), frozenset({_C.IMAGES})),
    "iscsidirect": (frozenset({_C.IMAGES}), frozenset({_C.IMAGES})),
    "zfs": (frozenset({_C.IMAGES}), frozenset({_C.IMAGES})),
}

# PVE's pve-storage-id (as the engine checks it): two characters or more, ending in a letter or digit.
STORAGE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9]")


@functools.cache
def _table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(__file__).resolve().parent / "data" / "storage-type-options.json")
                                      .read_text())
    return data


def release_options(storage_type: str, major: int | str) -> dict[str, dict[str, bool]] | None:
    """The options of ``storage_type`` on PVE ``major`` (option -> ``optional``, ``fixed``), or None when that
    release has no such type."""
    options: dict[str, dict[str, bool]] | None = _table()[f"pve{major}"].get(storage_type)
    return options


def create_defaults(storage_type: str) -> frozenset[str]:
    """Required options PVE fills in on create when they are left out (the mount point of network shares)."""
    defaults: dict[str, list[str]] = _table().get("create_defaults", {})
    return frozenset(opt for key, opts in defaults.items() if key.split(" ")[0] == storage_type for opt in opts)
