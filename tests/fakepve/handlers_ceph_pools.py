"""Ceph pools and CephFS through the API, with the PVE storage pveceph adds for them when asked."""

from __future__ import annotations

from typing import Any

from .apischema import load_schema
from .ceph import Filesystem, mds_states, rados, served_filesystems
from .cephcalls import in_task, initialised_ceph, target_ceph
from .cephpools import create_pool, mon_error, pool_row, pool_status, set_pool
from .errors import ApiError
from .formats import parse_property_string
from .handlers_storage import create_definition
from .model import NO_QUORUM, NodeState, World
from .routes import Call, route, target_node
from .storage import effective
from .tasks import TaskFailed
from .workers import start_task


@route("GET", "/nodes/{node}/ceph/fs")
def list_fs(call: Call) -> list[dict[str, str]]:
    _, ceph = target_ceph(call)
    rados(ceph, call.world.online)
    return [
        {"name": fs.name, "data_pool": fs.data_pool, "metadata_pool": fs.metadata_pool}
        for fs in ceph.filesystems.values()
    ]


@route("POST", "/nodes/{node}/ceph/fs/{name}")
def create_fs(call: Call) -> str:
    node, ceph = target_ceph(call)
    world = call.world
    online = world.online
    name = call.params.get("name") or "cephfs"
    pg_num = int(call.params.get("pg_num") or 128)
    data, metadata = f"{name}_data", f"{name}_metadata"
    rados(ceph, online)
    if data in ceph.pools or metadata in ceph.pools:
        raise ApiError(500, f"ceph pools '{data}' and/or '{metadata}' already exist\n")
    if name in ceph.filesystems:
        raise ApiError(500, f"ceph fs '{name}' already exists\n")
    if not any(s.startswith("up:") for s, _ in mds_states(ceph, online).values()):
        raise ApiError(500, "no running Metadata Server (MDS) found!\n")
    add_storage = call.params.get("add-storage") == "1"
    release = call.services.release.schema

    def action() -> list[str]:
        in_task(rados, ceph, online)
        lines: list[str] = []
        created: list[str] = []
        try:
            for pool, pgs in ((data, pg_num), (metadata, pg_num // 4 if pg_num >= 32 else 8)):
                lines.append(f"creating {'data' if pool == data else 'metadata'} pool '{pool}'...")
                created.append(pool)
                lines += create_pool(ceph, pool, {"application": "cephfs", "pg_num": str(pgs)})
        except TaskFailed as exc:
            for pool in created:  # PVE removes the pools it made before giving up
                ceph.pools.pop(pool, None)
            raise TaskFailed(exc.message, lines + exc.lines) from None
        lines.append(f"configuring new CephFS '{name}'")
        ceph.filesystems[name] = Filesystem(name, data, metadata)
        if add_storage:
            lines.append(f"Adding '{name}' to storage configuration...")
            if name not in served_filesystems(ceph, online):
                raise TaskFailed("Need MDS to add storage, but none got active!", lines)
            params = {"type": "cephfs", "storage": name, "content": "backup,iso,vztmpl", "fs-name": name}
            try:
                create_definition(world, node, release, params)
            except ApiError as exc:
                message = f"adding storage for CephFS '{name}' failed, check log and add manually! {exc.message}"
                raise TaskFailed(message.strip(), lines) from None
        return lines

    return start_task(call, "cephfscreate", name, action, node)


def _size_bytes(text: str) -> int:
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    unit = text[-1] if text[-1] in "KMGT" else ""
    return int(float(text[: len(text) - len(unit)]) * units[unit])


def _pool_settings(params: dict[str, str]) -> dict[str, str]:
    keep = (
        "application",
        "crush_rule",
        "min_size",
        "pg_autoscale_mode",
        "pg_num",
        "pg_num_min",
        "size",
        "target_size_ratio",
    )
    settings = {k: params[k] for k in keep if k in params}
    if "target_size" in params:
        settings["target_size_bytes"] = str(_size_bytes(params["target_size"]))  # what Ceph calls it
    return settings


def _storages_of(world: World, node: NodeState, pool: str) -> dict[str, Any]:
    """RBD storages on this cluster's pool (PVE's default pool is 'rbd'), as pveceph finds them."""
    found = {}
    for sid, entry in effective(world.storage(node)).items():
        if entry.type == "rbd" and pool in (entry.options.get("pool", "rbd"), entry.options.get("data-pool")):
            found[sid] = entry
    return found


@route("GET", "/nodes/{node}/ceph/pool")
def list_pools(call: Call) -> list[dict[str, Any]]:
    _, ceph = target_ceph(call)
    rados(ceph, call.world.online)
    return [pool_row(ceph, p) for p in sorted(ceph.pools.values(), key=lambda p: p.pool_id)]


@route("POST", "/nodes/{node}/ceph/pool")
def create_pool_call(call: Call) -> str:
    """A pool needs monitors (a quorum), not OSDs; an existing name is not refused (Ceph's create is a no-op)."""
    node = target_node(call)
    world = call.world
    if not world.quorate(node):
        raise ApiError(500, NO_QUORUM)
    ceph = initialised_ceph(world, node)
    rados(ceph, world.online)
    params = call.params
    name = params["name"]
    settings = _pool_settings(params)
    settings.setdefault("application", "rbd")
    settings.setdefault("pg_autoscale_mode", "warn")
    ec = None
    if params.get("erasure-coding"):
        fmt = load_schema(call.services.release.schema).resolve("/nodes/x/ceph/pool")
        assert fmt is not None
        ec = parse_property_string(
            fmt.methods["POST"]["parameters"]["properties"]["erasure-coding"]["format"], params["erasure-coding"]
        )
    add_storages = params.get("add_storages", "1" if ec else "0") == "1"
    if add_storages and name in effective(world.storage(node)):
        raise ApiError(500, f"storage ID '{name}' already defined\n")
    release = call.services.release.schema

    def action() -> list[str]:
        in_task(rados, ceph, world.online)
        data_pool = None
        if ec is None:
            pool = name
            lines = create_pool(ceph, name, settings)
        else:
            k, m = int(ec["k"]), int(ec["m"])
            profile = ec.get("profile") or f"pve_ec_{name}"
            if ec.get("profile") and profile not in ceph.ec_profiles:
                raise TaskFailed(f"could not create erasure code profile '{profile}': unknown profile")
            ceph.ec_profiles.setdefault(
                profile, {"k": str(k), "m": str(m), "crush-failure-domain": ec.get("failure-domain", "host")}
            )
            pool, data_pool = f"{name}-metadata", f"{name}-data"
            meta = {**settings, "pg_num": "32"}
            lines = create_pool(ceph, pool, meta)
            ec_params = {k_: v for k_, v in settings.items() if k_ not in ("size", "min_size", "crush_rule")}
            ec_params.update(size=str(k + m), min_size=str(k + 1), k=str(k), erasure_code_profile=profile)
            lines += create_pool(ceph, data_pool, ec_params, kind="erasure")
        if add_storages:
            storage = {"type": "rbd", "storage": name, "pool": pool, "krbd": "0", "content": "rootdir,images"}
            if data_pool:
                storage["data-pool"] = data_pool
            try:
                create_definition(world, node, release, storage)
            except ApiError as exc:
                message = f"adding PVE storage for ceph pool '{name}' failed: {exc.message.strip()}"
                raise TaskFailed(message, lines) from None
        return lines

    return start_task(call, "cephcreatepool", name, action, node)


@route("GET", "/nodes/{node}/ceph/pool/{name}")
def pool_index(call: Call) -> list[dict[str, str]]:
    target_ceph(call)
    return [{"name": "status"}]


@route("GET", "/nodes/{node}/ceph/pool/{name}/status")
def get_pool(call: Call) -> dict[str, Any]:
    _, ceph = target_ceph(call)
    rados(ceph, call.world.online)
    name = call.params["name"]
    pool = ceph.pools.get(name)
    if pool is None:
        raise ApiError(500, mon_error(f"unrecognized pool '{name}'") + "\n")
    return pool_status(ceph, pool)


@route("PUT", "/nodes/{node}/ceph/pool/{name}")
def set_pool_call(call: Call) -> str:
    node, ceph = target_ceph(call)
    world = call.world
    name = call.params["name"]
    settings = _pool_settings(call.params)

    def action() -> list[str]:
        in_task(rados, ceph, world.online)
        return set_pool(ceph, name, settings)

    return start_task(call, "cephsetpool", name, action, node)


@route("DELETE", "/nodes/{node}/ceph/pool/{name}")
def destroy_pool(call: Call) -> str:
    """Refused while a storage on the pool still holds images, unless `force`; CephFS pools Ceph refuses."""
    node, ceph = target_ceph(call)
    world = call.world
    name = call.params["name"]
    storages = _storages_of(world, node, name)
    pool = ceph.pools.get(name)
    if call.params.get("force") != "1" and storages and pool is not None and pool.images:
        raise ApiError(500, f"ceph pool '{name}' still in use by storage '{min(storages)}'\n")
    remove_storages = call.params.get("remove_storages") == "1"
    remove_profile = call.params.get("remove_ecprofile", "1") == "1"

    def action() -> list[str]:
        in_task(rados, ceph, world.online)
        pool = ceph.pools.get(name)
        if pool is None:
            raise TaskFailed(mon_error(f"unrecognized pool '{name}'"))
        if any(name in (fs.data_pool, fs.metadata_pool) for fs in ceph.filesystems.values()):
            raise TaskFailed(mon_error(f"pool '{name}' is in use by CephFS"))
        del ceph.pools[name]
        ceph.epoch += 1
        lines = [f"pool {name}: removed"]
        profile = pool.ec_profile
        if profile and remove_profile and not any(p.ec_profile == profile for p in ceph.pools.values()):
            ceph.ec_profiles.pop(profile, None)
            lines.append(f"erasure code profile {profile}: removed")
        if remove_storages:
            store = world.storage(node)
            for sid, entry in sorted(storages.items()):
                if "monhost" in entry.options:
                    continue  # an external cluster's storage: not pveceph's to remove
                store.pop(sid, None)
                lines.append(f"storage {sid}: removed")
        return lines

    return start_task(call, "cephdestroypool", name, action, node)
