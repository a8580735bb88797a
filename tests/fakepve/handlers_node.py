"""Node-level API methods: version, login, the node list, node time, network, worker tasks and the node's disks."""

from __future__ import annotations

import time
from typing import Any

from .auth import make_ticket, verify_ticket
from .errors import ApiError, param_error
from .routes import Call, Reply, route, target_node
from .tasks import Task, decode_upid


@route("GET", "/version")
def version(call: Call) -> dict[str, Any]:
    release = call.services.release
    return {"version": release.version, "release": release.schema, "repoid": release.repoid}


@route("GET", "/access/ticket")
def ticket_index(call: Call) -> None:
    return None  # PVE answers null: this GET only lets the GUI probe for a login form


@route("POST", "/access/ticket")
def login(call: Call) -> dict[str, Any]:
    username = call.params["username"]
    if "@" not in username and call.params.get("realm"):
        username = f"{username}@{call.params['realm']}"
    password = call.params["password"]
    key = call.world.authkey(call.node)
    now = time.time()
    # A still valid ticket may stand in for the password: that is how clients renew tickets.
    renewing = verify_ticket(key, password, now) == username
    if username != "root@pam" or not (renewing or password == call.services.root_password):
        raise ApiError(401, "authentication failure\n")
    ticket, csrf = make_ticket(key, username, now)
    data: dict[str, Any] = {"username": username, "ticket": ticket, "CSRFPreventionToken": csrf}
    if call.node.cluster is not None:
        data["clustername"] = call.node.cluster.name
    return data


@route("GET", "/nodes")
def nodes(call: Call) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for node in call.world.members(call.node):
        online = call.world.sees_online(call.node, node.name)
        row: dict[str, Any] = {
            "node": node.name,
            "id": f"node/{node.name}",
            "type": "node",
            "status": "online" if online else "offline",
            "ssl_fingerprint": call.services.fingerprint(node.name),
            "level": "",
        }
        if online:
            row.update(uptime=86400, cpu=0.01, maxcpu=8, mem=4 << 30, maxmem=32 << 30)
        rows.append(row)
    return rows


@route("GET", "/nodes/{node}/time")
def node_time(call: Call) -> dict[str, Any]:
    node = target_node(call)
    now = int(time.time() + node.clock_skew)
    return {"time": now, "localtime": now, "timezone": "UTC"}


@route("GET", "/nodes/{node}/network")
def node_network(call: Call) -> list[dict[str, Any]]:
    """One configured interface per address of the node (its own first), as ``/nodes/{node}/network`` lists
    them: IPv4 in ``address``/``cidr``, IPv6 in ``address6``/``cidr6``."""
    node = target_node(call)
    rows: list[dict[str, Any]] = []
    for i, address in enumerate(node.addresses):
        row: dict[str, Any] = {"iface": f"vmbr{i}", "type": "bridge", "method": "static", "active": 1,
                               "autostart": 1, "families": ["inet6" if ":" in address else "inet"]}
        if ":" in address:
            row.update(address6=address, cidr6=f"{address}/64", netmask6="64", method6="static")
        else:
            row.update(address=address, cidr=f"{address}/24", netmask="255.255.255.0")
        rows.append(row)
    kind = call.params.get("type")
    return [r for r in rows if kind in (None, "any_bridge", r["type"])]


def _task(call: Call) -> Task:
    node = target_node(call)
    upid = call.params["upid"]
    if decode_upid(upid) is None:
        raise param_error({"upid": "unable to parse worker upid"})
    task = node.tasks.get(upid)
    if task is None:
        raise param_error({"upid": "no such task"})
    return task


@route("GET", "/nodes/{node}/tasks")
def task_list(call: Call) -> Reply:
    """The node's tasks, newest first: finished ones (``source=archive``, PVE's default), running ones
    (``active``) or both; ``typefilter`` keeps one task type. Running tasks carry no status, as in PVE."""
    node = target_node(call)
    source = call.params.get("source", "archive")
    wanted = call.params.get("typefilter")
    rows = []
    for task in sorted(node.tasks.values(), key=lambda t: (t.starttime, t.pid), reverse=True):
        running = task.status == "running"
        if (source == "active" and not running) or (source == "archive" and running):
            continue
        if wanted and task.kind != wanted:
            continue
        row = {k: v for k, v in task.status_data().items() if k not in ("status", "exitstatus", "tokenid")}
        if not running:
            row["status"] = task.exitstatus
            row["endtime"] = task.endtime
        rows.append(row)
    start = int(call.params.get("start", "0"))
    limit = int(call.params.get("limit", "50"))
    return Reply(rows[start : start + limit] if limit else rows[start:], {"total": len(rows)})


@route("GET", "/nodes/{node}/tasks/{upid}/status")
def task_status(call: Call) -> dict[str, Any]:
    return _task(call).status_data()


@route("GET", "/nodes/{node}/tasks/{upid}/log")
def task_log(call: Call) -> Reply:
    lines = _task(call).log
    start = int(call.params.get("start", "0"))
    limit = int(call.params.get("limit", "50")) or 50
    chosen = [{"n": i + 1, "t": text} for i, text in enumerate(lines)][start : start + limit]
    return Reply(chosen, {"total": len(lines)})


@route("GET", "/nodes/{node}/disks/list")
def disks(call: Call) -> list[dict[str, Any]]:
    """The node's disks, sorted; `type=unused` keeps free ones, `journal_disks` those a DB/WAL may go on."""
    node = target_node(call)
    wanted = call.params.get("type")
    rows = []
    for _, disk in sorted(node.disks.items()):
        row = disk.row()
        if wanted == "unused" and disk.used:
            continue
        if wanted == "journal_disks" and (row["osdid"] >= 0 or disk.used not in (None, "LVM", "partitions")):
            continue
        rows.append(row)
    return rows
