"""Ceph daemons through the API: monitors, managers and metadata servers.

Two rules are the fake's own, marked where they are made: a node runs at most one monitor and one manager.
"""

from __future__ import annotations

from typing import Any

from .ceph import (
    CephCluster,
    Manager,
    Mds,
    Monitor,
    active_manager,
    has_quorum,
    manager_states,
    mds_states,
    mon_address,
    rados,
)
from .cephcalls import conf_lock, in_task, target_ceph, version_fields
from .cephpools import ensure_mgr_pool
from .errors import ApiError
from .routes import Call, route
from .tasks import TaskFailed
from .workers import start_task


def _assert_mon(ceph: CephCluster, monid: str, node: str, addr: str) -> None:
    for mon in ceph.monitors.values():
        if mon.addr == addr:
            raise ApiError(500, f"monitor address '{addr}' already in use\n")
    if monid in ceph.monitors:
        raise ApiError(500, f"monitor '{monid}' already exists\n")
    # The fake's own rule: one monitor per node (PVE only compares ids and addresses).
    other = next((m.name for m in ceph.monitors.values() if m.node == node), None)
    if other is not None:
        raise ApiError(500, f"node '{node}' already runs monitor '{other}'\n")


def _make_mgr(ceph: CephCluster, mgrid: str, node: str) -> list[str]:
    mgrdir = f"/var/lib/ceph/mgr/ceph-{mgrid}"
    if mgrid in ceph.managers:
        raise TaskFailed(f"ceph manager directory '{mgrdir}' already exists")
    # The fake's own rule: one manager per node.
    other = next((m.name for m in ceph.managers.values() if m.node == node), None)
    if other is not None:
        raise TaskFailed(f"node '{node}' already runs manager '{other}'")
    ceph.managers[mgrid] = Manager(mgrid, node)
    return [
        f"creating manager directory '{mgrdir}'",
        f"creating keys for 'mgr.{mgrid}'",
        "setting owner for directory",
        f"enabling service 'ceph-mgr@{mgrid}.service'",
        f"Created symlink /etc/systemd/system/ceph-mgr.target.wants/ceph-mgr@{mgrid}.service -> "
        "/lib/systemd/system/ceph-mgr@.service.",
        f"starting service 'ceph-mgr@{mgrid}.service'",
    ]


@route("GET", "/nodes/{node}/ceph/mon")
def list_mons(call: Call) -> list[dict[str, Any]]:
    node, ceph = target_ceph(call)
    online = call.world.online
    quorum = has_quorum(ceph, online)
    rows = []
    for rank, mon in enumerate(ceph.monitors.values()):
        running = mon.running and online(mon.node)
        row: dict[str, Any] = {
            "name": mon.name,
            "host": mon.node,  # PVE gives the host name here, whatever the schema's 'boolean' says
            "addr": f"{mon.addr}:6789/0",
            "rank": rank,
            "quorum": int(running and quorum),
            "state": "running" if running else "stopped",
            "service": 1,
            **version_fields(ceph),
        }
        if mon.node == node.name:
            row["direxists"] = "1"
        rows.append(row)
    return rows


@route("POST", "/nodes/{node}/ceph/mon/{monid}")
def create_mon(call: Call) -> str:
    node, ceph = target_ceph(call)
    world = call.world
    if ceph.monitors:
        rados(ceph, world.online)  # only the first monitor is made without asking a quorum
    monid = call.params.get("monid") or node.name
    addr = mon_address(ceph, node.name, node.addresses, call.params.get("mon-address"))
    _assert_mon(ceph, monid, node.name, addr)

    def action() -> list[str]:
        conf_lock(world, node)
        in_task(_assert_mon, ceph, monid, node.name, addr)
        first = not ceph.monitors
        ceph.monitors[monid] = Monitor(monid, node.name, addr)
        lines = [
            "creating new monitor keyring",
            "creating /etc/pve/priv/ceph.mon.keyring",
            "importing contents of /etc/pve/priv/ceph.client.admin.keyring into /etc/pve/priv/ceph.mon.keyring",
            f"monmaptool: monmap file /tmp/monmap.{monid}",
            f"monmaptool: set fsid to {ceph.fsid}",
            f"monmaptool: writing epoch 0 to /tmp/monmap.{monid} (1 monitors)",
            f"Created symlink /etc/systemd/system/ceph-mon.target.wants/ceph-mon@{monid}.service -> "
            "/lib/systemd/system/ceph-mon@.service.",
        ]
        if first:
            # PVE creates a manager on the node of the first monitor, in the same worker.
            lines.append("created the first monitor, assume it's safe to disable insecure global ID reclaim")
            if node.name not in ceph.managers and not any(m.node == node.name for m in ceph.managers.values()):
                lines += _make_mgr(ceph, node.name, node.name)
                ensure_mgr_pool(ceph)
        return lines

    return start_task(call, "cephcreatemon", f"mon.{monid}", action, node)


def _assert_mon_removable(ceph: CephCluster, monid: str, node: str) -> None:
    mon = ceph.monitors.get(monid)
    if mon is None:
        raise ApiError(500, f"no such monitor id '{monid}'\n")
    if mon.node != node:
        raise ApiError(500, f"monitor filesystem '/var/lib/ceph/mon/ceph-{monid}' does not exist on this node\n")
    if len(ceph.monitors) <= 1:
        raise ApiError(500, "can't remove last monitor\n")


@route("DELETE", "/nodes/{node}/ceph/mon/{monid}")
def destroy_mon(call: Call) -> str:
    node, ceph = target_ceph(call)
    world = call.world
    rados(ceph, world.online)
    monid = call.params["monid"]
    _assert_mon_removable(ceph, monid, node.name)

    def action() -> list[str]:
        conf_lock(world, node)
        in_task(_assert_mon_removable, ceph, monid, node.name)
        del ceph.monitors[monid]
        return [f"removing monitor '{monid}' from the monmap", f"removing /var/lib/ceph/mon/ceph-{monid}"]

    return start_task(call, "cephdestroymon", f"mon.{monid}", action, node)


@route("GET", "/nodes/{node}/ceph/mgr")
def list_mgrs(call: Call) -> list[dict[str, Any]]:
    _, ceph = target_ceph(call)
    online = call.world.online
    rados(ceph, online)
    states = manager_states(ceph, online)
    rows = []
    for mgr in ceph.managers.values():
        addr = call.world.nodes[mgr.node].address if mgr.node in call.world.nodes else ""
        rows.append({"name": mgr.name, "host": mgr.node, "addr": addr, "state": states[mgr.name]})
    return rows


@route("POST", "/nodes/{node}/ceph/mgr/{id}")
def create_mgr(call: Call) -> str:
    node, ceph = target_ceph(call)
    world = call.world
    mgrid = call.params.get("id") or node.name

    def action() -> list[str]:
        in_task(rados, ceph, world.online)
        lines = _make_mgr(ceph, mgrid, node.name)
        if active_manager(ceph, world.online) is not None:
            ensure_mgr_pool(ceph)
        return lines

    return start_task(call, "cephcreatemgr", f"mgr.{mgrid}", action, node)


@route("DELETE", "/nodes/{node}/ceph/mgr/{id}")
def destroy_mgr(call: Call) -> str:
    node, ceph = target_ceph(call)
    mgrid = call.params["id"]

    def action() -> list[str]:
        mgr = ceph.managers.get(mgrid)
        mgrdir = f"/var/lib/ceph/mgr/ceph-{mgrid}"
        if mgr is None or mgr.node != node.name:
            raise TaskFailed(f"ceph manager directory '{mgrdir}' not found")
        del ceph.managers[mgrid]
        return [
            f"disabling service 'ceph-mgr@{mgrid}.service'",
            f"stopping service 'ceph-mgr@{mgrid}.service'",
            f"removing manager directory '{mgrdir}'",
        ]

    return start_task(call, "cephdestroymgr", f"mgr.{mgrid}", action, node)


@route("GET", "/nodes/{node}/ceph/mds")
def list_mds(call: Call) -> list[dict[str, Any]]:
    _, ceph = target_ceph(call)
    online = call.world.online
    rados(ceph, online)
    states = mds_states(ceph, online)
    rows = []
    for mds in ceph.mds.values():
        state, _ = states[mds.name]
        addr = call.world.nodes[mds.node].address if mds.node in call.world.nodes else ""
        row: dict[str, Any] = {
            "name": mds.name,
            "host": mds.node,
            "addr": f"{addr}:6800/0",
            "state": state,
            "standby_replay": int(mds.hotstandby),
        }
        if state == "up:active":
            row["rank"] = 0
        rows.append(row)
    return rows


@route("POST", "/nodes/{node}/ceph/mds/{name}")
def create_mds(call: Call) -> str:
    node, ceph = target_ceph(call)
    world = call.world
    name = call.params.get("name") or node.name
    hotstandby = call.params.get("hotstandby") == "1"

    def action() -> list[str]:
        in_task(rados, ceph, world.online)
        conf_lock(world, node)
        if name in ceph.mds:
            raise TaskFailed(f"MDS '{name}' already referenced in ceph config, abort!")
        ceph.mds[name] = Mds(name, node.name, hotstandby)
        service_dir = f"/var/lib/ceph/mds/ceph-{name}"
        return [
            f"creating MDS directory '{service_dir}'",
            f"creating keys for 'mds.{name}'",
            "setting ceph as owner for service directory",
            f"enabling service 'ceph-mds@{name}.service'",
            f"starting service 'ceph-mds@{name}.service'",
        ]

    return start_task(call, "cephcreatemds", f"mds.{name}", action, node)


@route("DELETE", "/nodes/{node}/ceph/mds/{name}")
def destroy_mds(call: Call) -> str:
    node, ceph = target_ceph(call)
    world = call.world
    name = call.params["name"]

    def action() -> list[str]:
        in_task(rados, ceph, world.online)
        conf_lock(world, node)
        ceph.mds.pop(name, None)  # PVE drops the config section and the key whether or not they existed
        return [
            f"disabling service 'ceph-mds@{name}.service'",
            f"stopping service 'ceph-mds@{name}.service'",
            f"removing ceph-mds directory '/var/lib/ceph/mds/ceph-{name}'",
            f"removing ceph auth for 'mds.{name}'",
        ]

    return start_task(call, "cephdestroymds", f"mds.{name}", action, node)
