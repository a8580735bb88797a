"""Storage API methods: the definitions (/storage) and what each node sees of them (/nodes/{node}/storage).

As in pve-storage, option checks before the config lock answer their bare message, and refusals under the
lock carry the operation's prefix ('create storage failed: ...'). PVE activates a new storage on the node
that adds it, which for RBD checks nothing (the pool need not exist yet) but mounts NFS, CIFS or CephFS and
so fails on an unreachable server. The fake reaches no server: it accepts every backing store, and only a
node's status tells whether storage on this cluster's own Ceph could be used.
"""

from __future__ import annotations

from typing import Any

from .apischema import load_schema
from .ceph import has_quorum, served_filesystems
from .disks import GIB
from .errors import ApiError, param_error
from .model import NodeState, World
from .routes import Call, route, target_node
from .storage import (
    StorageEntry,
    StorageError,
    api_config,
    check_config,
    digest,
    effective,
    enabled_on,
    extract_secrets,
    secret_marker,
    shared,
    split_list,
    type_options,
)


def _schema_props(release: str) -> dict[str, Any]:
    found = load_schema(release).resolve("/storage")
    assert found is not None
    props: dict[str, Any] = found.methods["POST"]["parameters"]["properties"]
    return props


def _locked(world: World, node: NodeState, prefix: str) -> None:
    """storage.cfg is written under a cluster-wide lock, which needs quorum."""
    if not world.quorate(node):
        raise ApiError(500, f"{prefix}: cfs-lock 'file-storage_cfg' error: no quorum!\n")


def _refuse(message: str) -> ApiError:
    return ApiError(500, message + "\n")


def create_definition(world: World, node: NodeState, release: str, params: dict[str, str]) -> dict[str, Any]:
    """POST /storage; also how pveceph adds the storage of a new pool or CephFS."""
    params = dict(params)
    kind, sid = params.pop("type"), params.pop("storage")
    if not params.get("nodes"):
        params.pop("nodes", None)  # an empty node list means all nodes, so PVE drops it
    secrets = extract_secrets(release, kind, params)
    warnings: list[str] = []
    try:
        settings = check_config(release, kind, sid, params, create=True, warnings=warnings)
    except StorageError as exc:
        raise _refuse(str(exc)) from None
    _locked(world, node, "create storage failed")
    store = world.storage(node)
    if sid in effective(store):
        raise _refuse(f"create storage failed: storage ID '{sid}' already defined")
    entry = StorageEntry(kind, settings, set(secrets))
    for key, value in secrets.items():
        marker = secret_marker(key, value)
        if marker is not None:
            entry.options[key] = marker
    store[sid] = entry
    return {"storage": sid, "type": kind}


@route("GET", "/storage")
def list_storage(call: Call) -> list[dict[str, Any]]:
    store = effective(call.world.storage(call.node))
    cfg_digest = digest(call.world.storage(call.node))
    props = _schema_props(call.services.release.schema)
    wanted = call.params.get("type")
    return [api_config(s, e, cfg_digest, props) for s, e in store.items() if wanted in (None, e.type)]


@route("POST", "/storage")
def create_storage(call: Call) -> dict[str, Any]:
    return create_definition(call.world, call.node, call.services.release.schema, call.params)


def _entry(call: Call, sid: str, prefix: str = "") -> StorageEntry:
    entry = effective(call.world.storage(call.node)).get(sid)
    if entry is None:
        raise _refuse(f"{prefix}storage '{sid}' does not exist")
    return entry


@route("GET", "/storage/{storage}")
def read_storage(call: Call) -> dict[str, Any]:
    sid = call.params["storage"]
    entry = _entry(call, sid)
    props = _schema_props(call.services.release.schema)
    return api_config(sid, entry, digest(call.world.storage(call.node)), props)


@route("PUT", "/storage/{storage}")
def update_storage(call: Call) -> dict[str, Any]:
    params = dict(call.params)
    sid = params.pop("storage")
    wanted_digest = params.pop("digest", None)
    deletes = split_list(params.pop("delete", ""))
    release = call.services.release.schema
    prefix = "update storage failed: "
    _locked(call.world, call.node, prefix.rstrip(": "))
    store = call.world.storage(call.node)
    if wanted_digest is not None and wanted_digest != digest(store):
        raise _refuse(f"{prefix}detected modified configuration - file changed by other user? Try again.")
    entry = _entry(call, sid, prefix)
    secrets = extract_secrets(release, entry.type, params)
    warnings: list[str] = []
    try:
        settings = check_config(release, entry.type, sid, params, create=False, warnings=warnings)
    except StorageError as exc:
        raise _refuse(prefix + str(exc)) from None
    options = type_options(release, entry.type)
    for key in deletes:
        rule = options.get(key)
        if rule is None:
            raise _refuse(f"{prefix}no such option '{key}'")
        if not rule["optional"]:
            raise _refuse(f"{prefix}unable to delete required option '{key}'")
        if rule["fixed"]:
            raise _refuse(f"{prefix}unable to delete fixed option '{key}'")
        if key in settings or key in secrets:
            raise _refuse(f"{prefix}cannot set and delete property '{key}' at the same time!")
    if sid not in store:  # 'local' came from PVE's built-in default: the update writes it out
        store[sid] = entry
    for key in deletes:
        entry.options.pop(key, None)
        entry.secrets.discard(key)
    entry.options.update(settings)
    for key, value in secrets.items():
        entry.secrets.add(key)
        marker = secret_marker(key, value)
        if marker is not None:
            entry.options[key] = marker
    return {"storage": sid, "type": entry.type}


@route("DELETE", "/storage/{storage}")
def delete_storage(call: Call) -> None:
    sid = call.params["storage"]
    prefix = "delete storage failed: "
    _locked(call.world, call.node, prefix.rstrip(": "))
    store = call.world.storage(call.node)
    _entry(call, sid, prefix)
    for other in store.values():
        if other.type == "lvm" and other.options.get("base", "").startswith(f"{sid}:"):
            raise _refuse(f"{prefix}can't remove storage - storage is used as base of another storage")
    store.pop(sid, None)  # removing 'local' only brings back PVE's default definition of it


# --- what a node sees ------------------------------------------------------------------------------------


def _usage(world: World, node: NodeState, entry: StorageEntry) -> tuple[bool, int, int]:
    """(active, total, used) in bytes. Storage on this cluster's Ceph is active only when Ceph can serve it."""
    local_ceph = entry.type in ("rbd", "cephfs") and "monhost" not in entry.options
    if local_ceph:
        ceph = world.ceph(node)
        if ceph is None or not has_quorum(ceph, world.online):
            return False, 0, 0
        raw = ceph.raw_bytes
        if entry.type == "rbd":
            pool = ceph.pools.get(entry.options.get("pool", "rbd"))
            if pool is None:
                return False, 0, 0
            return True, raw // max(pool.size, 1), pool.stored_bytes
        name = entry.options.get("fs-name") or next(iter(ceph.filesystems), None)
        if name not in ceph.filesystems:
            return False, 0, 0
        return name in served_filesystems(ceph, world.online), raw // 3, 0
    sizes = {"lvmthin": 400, "lvm": 400, "zfspool": 800, "pbs": 2000, "nfs": 2000, "cifs": 2000}
    total = sizes.get(entry.type, 100) * GIB
    return True, total, total // 10


def status_row(world: World, node: NodeState, entry: StorageEntry) -> dict[str, Any]:
    """storage_info's entry for one storage on one node."""
    enabled = enabled_on(entry, node.name)
    active, total, used = _usage(world, node, entry) if enabled else (False, 0, 0)
    row: dict[str, Any] = {
        "type": entry.type,
        "content": entry.options.get("content", ""),
        "shared": int(shared(entry)),
        "enabled": int(enabled),
        "active": int(active),
        "total": total,
        "used": used,
        "avail": total - used,
    }
    if total:
        row["used_fraction"] = used / total
    return row


@route("GET", "/nodes/{node}/storage")
def node_storage(call: Call) -> list[dict[str, Any]]:
    """Every definition, as PVE lists them: one restricted to other nodes shows with enabled 0, active 0."""
    node = target_node(call)
    store = effective(call.world.storage(node))
    params = call.params
    if params.get("storage") and params["storage"] not in store:
        raise param_error({"storage": "No such storage."})
    wanted_content = set(split_list(params.get("content", "")))
    rows: list[dict[str, Any]] = []
    for sid, entry in sorted(store.items()):
        if params.get("storage") not in (None, sid):
            continue
        if wanted_content and not wanted_content & set(split_list(entry.options.get("content", ""))):
            continue
        row = status_row(call.world, node, entry)
        if params.get("enabled") == "1" and not row["enabled"]:
            continue
        if params.get("target") and not enabled_on(entry, params["target"]):
            continue
        rows.append({"storage": sid, **row})
    return rows


@route("GET", "/nodes/{node}/storage/{storage}")
def node_storage_index(call: Call) -> list[dict[str, str]]:
    target_node(call)
    subdirs = ("content", "download-url", "file-restore", "import-metadata", "prunebackups", "rrd", "rrddata")
    return [{"subdir": s} for s in (*subdirs, "status", "upload")]


@route("GET", "/nodes/{node}/storage/{storage}/status")
def node_storage_status(call: Call) -> dict[str, Any]:
    node = target_node(call)
    entry = effective(call.world.storage(node)).get(call.params["storage"])
    if entry is None:
        raise param_error({"storage": "No such storage."})
    return status_row(call.world, node, entry)
