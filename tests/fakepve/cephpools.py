"""Ceph pools the way PVE drives them: `osd pool create`, then one `osd pool set` per option, min_size last.

Ceph, not PVE, judges most values, so its refusals surface inside the task as 'mon_command failed - ...'
lines and a 'Could not set: ...' exit status, with the pool left as far as it got. Pools need a monitor
quorum but no OSDs: Ceph creates them with their placement groups 'unknown' until OSDs come, and PVE does
not check either, so neither does the fake. What Ceph does check is the PG budget (mon_max_pg_per_osd per
OSD that is in, counting at least three OSDs), which is how a small cluster refuses one pool too many.
Every function here expects the World lock to be held.
"""

from __future__ import annotations

from typing import Any

from .ceph import MAX_PG_PER_OSD, CephCluster, Pool
from .tasks import TaskFailed

# The order PVE's set_pool sends options in: sorted, but min_size last, because setting size resets it.
_LAST = "min_size"


def mon_error(message: str) -> str:
    return f"mon_command failed - {message}"


def check_pg_num(ceph: CephCluster, name: str, pg_num: int, size: int) -> str | None:
    """Ceph's check_pg_num: the projected PG replicas of all pools against the per-OSD budget."""
    projected = pg_num * size + sum(p.pg_num * p.size for p in ceph.pools.values() if p.name != name)
    num = max(sum(1 for o in ceph.osds.values() if o.is_in), 3)
    limit = MAX_PG_PER_OSD * num
    if projected > limit:
        return (
            f"pg_num {pg_num} size {size} would mean {projected} total pgs, which exceeds max {limit} "
            f"(mon_max_pg_per_osd {MAX_PG_PER_OSD} * num_in_osds {num})"
        )
    return None


def _set_one(ceph: CephCluster, pool: Pool, key: str, value: str) -> None:
    """One `osd pool set` (or `application enable`); raises ValueError with Ceph's message."""
    if key == "application":
        if pool.application not in (None, value):
            raise ValueError(
                f"Are you SURE? Pool '{pool.name}' already has an enabled application; "
                "pass --yes-i-really-mean-it to proceed anyway"
            )
        pool.application = value
    elif key == "size":
        size = int(value)
        if size == 1:
            raise ValueError("configuring pool size as 1 is disabled by default.")
        problem = check_pg_num(ceph, pool.name, pool.pg_num, size)
        if problem:
            raise ValueError(problem)
        pool.size = size
        pool.min_size = size - size // 2  # Ceph resets min_size whenever the size changes
    elif key == "min_size":
        low = int(pool.settings.get("k", "1")) if pool.kind == "erasure" else 1
        if not low <= int(value) <= pool.size:
            low_text = "1" if pool.kind == "replicated" else str(low)
            raise ValueError(f"pool min_size must be between {low_text} and size, which is set to {pool.size}")
        pool.min_size = int(value)
    elif key == "pg_num":
        problem = check_pg_num(ceph, pool.name, int(value), pool.size)
        if problem:
            raise ValueError(problem)
        pool.pg_num = int(value)
    elif key == "crush_rule":
        if value not in ceph.rules:
            raise ValueError(f"crush rule {value} does not exist")
        pool.crush_rule = ceph.rules[value]
    elif key == "pg_autoscale_mode":
        pool.pg_autoscale_mode = value
    else:
        pool.settings[key] = value


def set_pool(ceph: CephCluster, name: str, params: dict[str, str]) -> list[str]:
    """PVE's set_pool: every option tried, failures printed, then one error naming all that failed."""
    pool = ceph.pools.get(name)
    if pool is None:
        raise TaskFailed(mon_error(f"unrecognized pool '{name}'"))
    if pool.kind == "erasure":
        params = {k: v for k, v in params.items() if k not in ("size", "crush_rule")}
    keys = sorted(k for k in params if k != _LAST) + ([_LAST] if _LAST in params else [])
    lines: list[str] = []
    failed: list[str] = []
    for key in keys:
        try:
            _set_one(ceph, pool, key, params[key])
        except ValueError as exc:
            lines.append(f"{key}: {mon_error(str(exc))}")
            failed.append(key)
        else:
            lines.append(f"pool {name}: applying {key} = {params[key]}")
    ceph.epoch += 1
    if failed:
        raise TaskFailed(f"Could not set: {', '.join(sorted(failed))}", lines)
    return lines


def create_pool(ceph: CephCluster, name: str, params: dict[str, str], *, kind: str = "replicated") -> list[str]:
    """PVE's create_pool: `osd pool create` (a no-op for a pool that exists, as in Ceph), then set_pool."""
    pg_num = int(params.get("pg_num") or 128)
    if name not in ceph.pools:
        size = int(params["size"]) if kind == "erasure" else ceph.size
        problem = check_pg_num(ceph, name, pg_num, size)
        if problem:
            raise TaskFailed(mon_error(problem))
        min_size = int(params["min_size"]) if kind == "erasure" else ceph.default_min_size(size)
        pool = Pool(ceph.next_pool_id, name, size, min_size, pg_num, kind=kind)
        if kind == "erasure":
            pool.ec_profile = params.get("erasure_code_profile")
            pool.settings["k"] = params["k"]
            pool.crush_rule = ceph.rules.setdefault(name, max(ceph.rules.values()) + 1)
        ceph.next_pool_id += 1
        ceph.pools[name] = pool
    rest = {k: v for k, v in params.items() if k not in ("erasure_code_profile", "k")}
    if kind == "erasure":
        rest = {k: v for k, v in rest.items() if k not in ("size", "min_size")}
    return set_pool(ceph, name, rest)


def ensure_mgr_pool(ceph: CephCluster) -> None:
    """The first active manager makes the '.mgr' pool (one PG), as Ceph since Quincy does."""
    if ".mgr" not in ceph.pools:
        size = ceph.size
        pool = Pool(ceph.next_pool_id, ".mgr", size, ceph.default_min_size(size), 1, application="mgr")
        ceph.next_pool_id += 1
        ceph.pools[".mgr"] = pool


def pool_row(ceph: CephCluster, pool: Pool) -> dict[str, Any]:
    """One entry of GET .../ceph/pool (from `osd dump`, `df` and the autoscaler)."""
    used = pool.stored_bytes * pool.size
    raw = ceph.raw_bytes
    row: dict[str, Any] = {
        "pool": pool.pool_id,
        "pool_name": pool.name,
        "size": pool.size,
        "min_size": pool.min_size,
        "pg_num": pool.pg_num,
        "pg_num_final": pool.pg_num,
        "crush_rule": pool.crush_rule,
        "crush_rule_name": ceph.rule_name(pool.crush_rule),
        "pg_autoscale_mode": pool.pg_autoscale_mode,
        "type": pool.kind,
        "bytes_used": used,
        "percent_used": used / raw if raw else 0.0,
        "application_metadata": {pool.application: {}} if pool.application else {},
    }
    if "pg_num_min" in pool.settings:
        row["pg_num_min"] = int(pool.settings["pg_num_min"])
    if "target_size_bytes" in pool.settings:
        row["target_size"] = int(pool.settings["target_size_bytes"])
    if "target_size_ratio" in pool.settings:
        row["target_size_ratio"] = float(pool.settings["target_size_ratio"])
    return row


def pool_status(ceph: CephCluster, pool: Pool) -> dict[str, Any]:
    """GET .../ceph/pool/{name}/status: `osd pool get all` and the pool's applications."""
    data: dict[str, Any] = {
        "id": pool.pool_id,
        "name": pool.name,
        "size": pool.size,
        "min_size": pool.min_size,
        "pg_num": pool.pg_num,
        "pgp_num": pool.pg_num,
        "crush_rule": ceph.rule_name(pool.crush_rule),
        "pg_autoscale_mode": pool.pg_autoscale_mode,
        "fast_read": 0,
        "hashpspool": 1,
        "nodelete": 0,
        "nopgchange": 0,
        "nosizechange": 0,
        "noscrub": 0,
        "nodeep-scrub": 0,
        "use_gmt_hitset": 1,
        "write_fadvise_dontneed": 0,
        "application_list": [pool.application] if pool.application else [],
    }
    if pool.application:
        data["application"] = pool.application
    if "pg_num_min" in pool.settings:
        data["pg_num_min"] = int(pool.settings["pg_num_min"])
    if "target_size_ratio" in pool.settings:
        data["target_size_ratio"] = float(pool.settings["target_size_ratio"])
    return data
