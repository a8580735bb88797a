"""storage.cfg: storage definitions per type, checked the way pve-storage's section config checks them.

Which options a type takes, which are required on create and which are fixed afterwards comes from the
vendored table constructs/pvecdk/data/storage-type-options.json (read by path: the fake never imports
pvecdk). Messages are pve-storage's. Secrets (password, keyring, keys) are kept out of the definition, as
PVE keeps them under /etc/pve/priv: a GET never shows them, and the fake keeps only the fact they were set.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

OPTIONS_FILE = Path(__file__).resolve().parents[2] / "constructs" / "pvecdk" / "data" / "storage-type-options.json"
SECRET_OPTIONS = ("password", "encryption-key", "master-pubkey", "keyring")
# Types PVE always marks shared (@SHARED_STORAGE in pve-storage): one store seen by every node.
SHARED_TYPES = frozenset({"iscsi", "nfs", "cifs", "rbd", "cephfs", "iscsidirect", "glusterfs", "zfs", "pbs"})
# Types whose plugin fills in path=/mnt/pve/<storage> on create when it is left out.
MOUNTED_TYPES = frozenset({"nfs", "cifs", "cephfs", "glusterfs"})
_FILE_CONTENT = frozenset({"images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"})
# The content each plugin supports (pve-storage plugindata); others are dropped with a warning, as in PVE.
CONTENT: dict[str, frozenset[str]] = {
    "dir": _FILE_CONTENT | {"none"},
    "btrfs": _FILE_CONTENT | {"none"},
    "nfs": _FILE_CONTENT,
    "cifs": _FILE_CONTENT,
    "glusterfs": frozenset({"images", "vztmpl", "iso", "backup", "snippets"}),
    "cephfs": frozenset({"vztmpl", "iso", "backup", "snippets", "import"}),
    "rbd": frozenset({"images", "rootdir"}),
    "lvm": frozenset({"images", "rootdir", "none"}),
    "lvmthin": frozenset({"images", "rootdir"}),
    "zfspool": frozenset({"images", "rootdir"}),
    "zfs": frozenset({"images"}),
    "iscsi": frozenset({"images", "none"}),
    "iscsidirect": frozenset({"images", "none"}),
    "pbs": frozenset({"backup"}),
    "esxi": frozenset({"import"}),
}
LOCAL_DIR = {"path": "/var/lib/vz", "content": "iso,vztmpl,backup"}


class StorageError(Exception):
    """A refusal by pve-storage; the API answers it with status 500 and this message."""


@dataclass
class StorageEntry:
    type: str
    options: dict[str, str]  # as written to storage.cfg (no secrets)
    secrets: set[str] = field(default_factory=set)  # names of the secret options set under /etc/pve/priv


def default_storage() -> dict[str, StorageEntry]:
    """What the PVE installer writes on an ext4 install: 'local' (a directory) and 'local-lvm' (LVM-thin)."""
    return {
        "local": StorageEntry("dir", dict(LOCAL_DIR)),
        "local-lvm": StorageEntry("lvmthin", {"thinpool": "data", "vgname": "pve", "content": "rootdir,images"}),
    }


@lru_cache(maxsize=None)
def _table() -> dict[str, Any]:
    with OPTIONS_FILE.open(encoding="utf-8") as handle:
        table: dict[str, Any] = json.load(handle)
    return table


def type_options(release: str, kind: str) -> dict[str, dict[str, bool]]:
    """{option: {optional, fixed}} for a type on a release ('9.1' or '8.4'); {} for a type it lacks."""
    options: dict[str, dict[str, bool]] = _table()["pve9" if release.startswith("9") else "pve8"].get(kind, {})
    return options


# PVE splits list values on NUL, white space, commas and semicolons.
_LIST_SPLIT = re.compile(r"[\0\s,;]+")


def split_list(value: str) -> list[str]:
    """PVE::Tools::split_list, for every list the fake reads: content, nodes, delete, -list formats, IPs."""
    return [v for v in _LIST_SPLIT.split(value) if v]


def _content(kind: str, value: str, warnings: list[str]) -> str:
    """PVE's decode of 'content': unsupported types warned about and dropped; 'none' never combined."""
    valid = CONTENT.get(kind, frozenset())
    kept: list[str] = []
    for item in split_list(value):
        if item not in valid:
            warnings.append(f"storage does not support content type '{item}'")
        elif item not in kept:
            kept.append(item)
    if "none" in kept and len(kept) > 1:
        raise StorageError("unable to combine 'none' with other content types")
    if not kept and "none" not in valid:
        raise StorageError("storage does not support content type 'none'")
    return ",".join(kept) or "none"


def check_config(
    release: str, kind: str, storage: str, params: dict[str, str], *, create: bool, warnings: list[str]
) -> dict[str, str]:
    """SectionConfig's check_config for one type: the settings to write, or the first refusal.

    Options are checked in sorted order so that a request with several faults always names the same one.
    """
    options = type_options(release, kind)
    config = dict(params)
    if create and kind in MOUNTED_TYPES and not config.get("path"):
        config["path"] = f"/mnt/pve/{storage}"
    settings: dict[str, str] = {}
    for key in sorted(config):
        if not create and options.get(key, {}).get("fixed"):
            raise StorageError(f"can't change value of fixed parameter '{key}'")
        if key not in options:
            raise StorageError(f"unexpected property '{key}'")
        settings[key] = _content(kind, config[key], warnings) if key == "content" else config[key]
    if create:
        for key, rule in sorted(options.items()):
            if not rule["optional"] and key not in config:
                raise StorageError(f"missing value for required option '{key}'")
    return settings


def extract_secrets(release: str, kind: str, params: dict[str, str]) -> dict[str, str]:
    """Take out the secrets the type takes (PVE moves them to /etc/pve/priv); others stay and are refused."""
    options = type_options(release, kind)
    return {k: params.pop(k) for k in SECRET_OPTIONS if k in params and k in options}


def secret_marker(key: str, value: str) -> str | None:
    """What storage.cfg keeps in a secret's place: a PBS key's fingerprint (or 1), master-pubkey 1, else nothing."""
    if key == "encryption-key":
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = None
        fingerprint = decoded.get("fingerprint") if isinstance(decoded, dict) else None
        return str(fingerprint) if fingerprint else "1"
    if key == "master-pubkey":
        return "1"
    return None


def effective(store: dict[str, StorageEntry]) -> dict[str, StorageEntry]:
    """storage.cfg as PVE parses it: 'local' is always there as the directory /var/lib/vz, on every node."""
    parsed = dict(store)
    local = parsed.get("local")
    if local is None or local.type != "dir" or local.options.get("path", LOCAL_DIR["path"]) != LOCAL_DIR["path"]:
        content = "backup,images,iso,rootdir,snippets,vztmpl"
        parsed["local"] = StorageEntry("dir", {"path": LOCAL_DIR["path"], "content": content})
    elif "nodes" in local.options:
        parsed["local"] = StorageEntry("dir", {k: v for k, v in local.options.items() if k != "nodes"}, local.secrets)
    return parsed


def cfg_text(store: dict[str, StorageEntry]) -> str:
    lines: list[str] = []
    for sid, entry in store.items():
        lines.append(f"{entry.type}: {sid}")
        lines += [f"\t{k} {v}" for k, v in sorted(entry.options.items())]
        lines.append("")
    return "\n".join(lines)


def digest(store: dict[str, StorageEntry]) -> str:
    """The SHA-1 of storage.cfg, which PUT's `digest` must match (PVE's assert_if_modified)."""
    return hashlib.sha1(cfg_text(store).encode()).hexdigest()


def shared(entry: StorageEntry) -> bool:
    return entry.type in SHARED_TYPES or entry.options.get("shared") == "1"


def enabled_on(entry: StorageEntry, node: str) -> bool:
    """storage_check_enabled: not disabled, and the node is in `nodes` when the storage is restricted."""
    if entry.options.get("disable") == "1":
        return False
    nodes = entry.options.get("nodes")
    return nodes is None or node in split_list(nodes)


def api_config(sid: str, entry: StorageEntry, cfg_digest: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A definition as GET /storage(/{storage}) shows it: integers and booleans as numbers, no secrets."""
    shown: dict[str, Any] = {"storage": sid, "type": entry.type, "digest": cfg_digest}
    for key, value in entry.options.items():
        kind = (schema.get(key) or {}).get("type")
        shown[key] = int(value) if kind in ("integer", "boolean") and value.lstrip("-").isdigit() else value
    shown["content"] = entry.options.get("content") or "none"
    if shared(entry):
        shown["shared"] = 1
    return shown
