"""Cluster API methods: status, corosync configuration (create, join, remove), options, resources and HA."""

from __future__ import annotations

import time
from typing import Any

from .apischema import load_schema
from .clusterops import CLUSTER_CONF, CREATE_LOG, create_cluster, delete_node, join_cluster, parse_links
from .errors import ApiError
from .formats import parse_property_string
from .handlers_storage import status_row
from .model import Guest, config_digest, nodelist_entry, totem
from .routes import Call, route
from .storage import effective
from .workers import start_task


@route("GET", "/cluster/status")
def cluster_status(call: Call) -> list[dict[str, Any]]:
    node, world = call.node, call.world
    cluster = node.cluster
    rows: list[dict[str, Any]] = []
    if cluster is None:
        row = {"type": "node", "id": f"node/{node.name}", "name": node.name, "nodeid": 0, "ip": node.address}
        return [{**row, "online": 1, "local": 1, "level": ""}]
    rows.append(
        {
            "type": "cluster",
            "id": "cluster",
            "name": cluster.name,
            "nodes": len(cluster.nodes),
            "quorate": int(world.quorate(node)),
            "version": cluster.config_version,
        }
    )
    for member in sorted(cluster.nodes.values(), key=lambda m: m.nodeid):
        if not world.lists(node, member.name):
            continue
        known = world.nodes.get(member.name)
        rows.append(
            {
                "type": "node",
                "id": f"node/{member.name}",
                "name": member.name,
                "nodeid": member.nodeid,
                "ip": known.address if known else member.links.get(0, ""),
                "online": int(world.sees_online(node, member.name)),
                "local": int(member.name == node.name),
                "level": "",
            }
        )
    return rows


@route("GET", "/cluster/config")
def config_index(call: Call) -> list[dict[str, str]]:
    return [{"name": n} for n in ("nodes", "totem", "join", "qdevice", "apiversion")]


@route("GET", "/cluster/config/apiversion")
def join_api_version(call: Call) -> int:
    return 1


@route("POST", "/cluster/config")
def create(call: Call) -> str:
    node, params = call.node, call.params
    if node.cluster is not None:
        raise ApiError(500, f"cluster config '{CLUSTER_CONF}' already exists\n")
    links = parse_links(params)
    name = params["clustername"]
    nodeid, votes = int(params.get("nodeid") or 1), int(params.get("votes") or 1)

    def action() -> list[str]:
        create_cluster(call.world, node, name, nodeid, votes, links)
        return list(CREATE_LOG)

    return start_task(call, "clustercreate", name, action)


@route("GET", "/cluster/config/nodes")
def config_nodes(call: Call) -> list[dict[str, str]]:
    cluster = call.node.cluster
    if cluster is None:
        return []  # no corosync.conf: PVE lists no nodes
    members = sorted(cluster.nodes.values(), key=lambda m: m.name)
    return [{"node": m.name, **nodelist_entry(m)} for m in members]


@route("DELETE", "/cluster/config/nodes/{node}")
def remove_node(call: Call) -> None:
    delete_node(call.world, call.node, call.params["node"])


@route("GET", "/cluster/config/totem")
def config_totem(call: Call) -> dict[str, Any] | None:
    cluster = call.node.cluster
    return totem(cluster) if cluster is not None else None


@route("GET", "/cluster/config/qdevice")
def qdevice(call: Call) -> dict[str, str]:
    # A status a test set up whole (FakeCluster.set_inventory) wins over the one a set-up QDevice shows.
    shown = call.world.inventory.get("/cluster/config/qdevice")
    if shown is not None:
        return dict(shown)
    cluster = call.node.cluster
    if cluster is None or not cluster.qdevice:
        return {}  # no corosync-qdevice socket, hence no status
    # The fields corosync-qdevice-tool -sv prints, as PVE passes them on.
    member = cluster.nodes.get(call.node.name)
    return {"Algorithm": "Fifty-Fifty split", "Echo reply": "Received", "Heuristics": "Disabled",
            "Model": "Net", "Node ID": str(member.nodeid if member else 0), "QNetd host": f"{cluster.qdevice}:5403",
            "State": "Connected", "Tie-breaker": "Node with lowest node ID", "Configured node list": str(
                len(cluster.nodes))}


@route("GET", "/cluster/config/join")
def join_info(call: Call) -> dict[str, Any]:
    cluster = call.node.cluster
    if cluster is None:
        raise ApiError(424, "node is not in a cluster, no join info available!")
    name = call.params.get("node", call.node.name)
    if name not in cluster.nodes:
        raise ApiError(500, f"unknown node '{name}'\n")
    nodelist = []
    for member in sorted(cluster.nodes.values(), key=lambda m: m.nodeid):
        entry: dict[str, Any] = nodelist_entry(member)
        known = call.world.nodes.get(member.name)
        entry["pve_addr"] = known.address if known else member.links.get(0, "")
        entry["pve_fp"] = call.services.fingerprint(member.name)
        nodelist.append(entry)
    return {
        "nodelist": nodelist,
        "preferred_node": name,
        "totem": totem(cluster),
        "config_digest": config_digest(cluster),
    }


@route("POST", "/cluster/config/join")
def join(call: Call) -> str:
    node, params, services = call.node, dict(call.params), call.services

    def action() -> list[str]:
        lines = join_cluster(call.world, node, params, services.root_password, services.fingerprint)
        services.rotate_cert(node.name)  # a joined node gets a new certificate from the cluster CA
        return lines

    return start_task(call, "clusterjoin", "", action)


def _option_formats(call: Call) -> dict[str, Any]:
    route_ = load_schema(call.services.release.schema).resolve("/cluster/options")
    assert route_ is not None
    props: dict[str, Any] = route_.methods["PUT"]["parameters"]["properties"]
    return props


@route("GET", "/cluster/options")
def get_options(call: Call) -> dict[str, Any]:
    formats = _option_formats(call)
    shown: dict[str, Any] = {}
    for key, value in call.world.options(call.node).items():
        fmt = formats.get(key, {}).get("format")
        kind = formats.get(key, {}).get("type")
        # datacenter.cfg is returned parsed: property strings become objects, numbers numbers.
        if isinstance(fmt, dict):
            shown[key] = parse_property_string(fmt, value)
        elif kind in ("integer", "boolean"):
            shown[key] = int(value)
        else:
            shown[key] = value
    return shown


@route("PUT", "/cluster/options")
def set_options(call: Call) -> None:
    call.world.require_quorum(call.node)
    options = call.world.options(call.node)
    for key in (call.params.get("delete") or "").replace(";", ",").split(","):
        options.pop(key.strip(), None)
    options.update({k: v for k, v in call.params.items() if k != "delete"})


def _ha_state(call: Call, guest: Guest) -> str | None:
    prefix = "vm" if guest.kind == "qemu" else "ct"
    return call.world.ha_resources.get(f"{prefix}:{guest.vmid}")


@route("GET", "/cluster/resources")
def resources(call: Call) -> list[dict[str, Any]]:
    wanted = call.params.get("type")
    members = call.world.members(call.node)
    rows: list[dict[str, Any]] = []
    if wanted in (None, "node"):
        for member in members:
            online = call.world.sees_online(call.node, member.name)
            status = "online" if online else "offline"
            rows.append(
                {"id": f"node/{member.name}", "type": "node", "node": member.name, "status": status, "level": ""}
            )
    if wanted in (None, "storage"):
        # pvestatd reports a storage only from the nodes it is enabled on, which is where `nodes=` shows.
        for member in members:
            if not call.world.sees_online(call.node, member.name):
                continue
            for sid, entry in sorted(effective(call.world.storage(member)).items()):
                usage = status_row(call.world, member, entry)
                if not usage["enabled"]:
                    continue
                rows.append(
                    {
                        "id": f"storage/{member.name}/{sid}",
                        "type": "storage",
                        "storage": sid,
                        "node": member.name,
                        "status": "available" if usage["active"] else "unknown",
                        "plugintype": entry.type,
                        "content": usage["content"],
                        "shared": usage["shared"],
                        "disk": usage["used"],
                        "maxdisk": usage["total"],
                    }
                )
    if wanted in (None, "vm"):
        for guest in call.world.guests_of([m.name for m in members]):
            row: dict[str, Any] = {
                "id": f"{guest.kind}/{guest.vmid}",
                "vmid": guest.vmid,
                "node": guest.node,
                "type": guest.kind,
                "name": guest.name,
                "status": guest.status if call.world.sees_online(call.node, guest.node) else "unknown",
                "template": 0,
            }
            hastate = _ha_state(call, guest)
            if hastate is not None:
                row["hastate"] = hastate
            rows.append(row)
    return rows


@route("GET", "/cluster/ha/resources")
def ha_resources(call: Call) -> list[dict[str, Any]]:
    if call.node.cluster is None:
        return []
    wanted = call.params.get("type")
    rows = []
    for sid, state in sorted(call.world.ha_resources.items()):
        kind = sid.split(":", 1)[0]
        if wanted is None or wanted == kind:
            rows.append({"sid": sid, "state": state, "type": kind})
    return rows


@route("GET", "/cluster/ha/status/current")
def ha_status(call: Call) -> list[dict[str, Any]]:
    node, world = call.node, call.world
    quorate = world.quorate(node)
    rows: list[dict[str, Any]] = [
        {
            "id": "quorum",
            "type": "quorum",
            "node": node.name,
            "status": "OK" if quorate else f"No quorum on node '{node.name}'!",
            "quorate": int(quorate),
        }
    ]
    if node.cluster is None:
        return rows
    now = int(time.time())
    online = [m.name for m in world.members(node) if world.sees_online(node, m.name)]
    active = bool(world.ha_resources)
    if online:
        state = "active" if active else "idle"
        rows.append({"id": "master", "type": "master", "node": online[0], "status": f"{online[0]} ({state}, {now})"})
    for member in world.members(node):
        state = ("active" if active else "idle") if member.name in online else "old timestamp - dead?"
        rows.append(
            {"id": f"lrm:{member.name}", "type": "lrm", "node": member.name, "status": f"{member.name} ({state})"}
        )
    guests = {f"{'vm' if g.kind == 'qemu' else 'ct'}:{g.vmid}": g for g in world.guests.values()}
    for sid, wanted in sorted(world.ha_resources.items()):
        guest = guests.get(sid)
        rows.append(
            {
                "id": f"service:{sid}",
                "type": "service",
                "sid": sid,
                "node": guest.node if guest else "",
                "state": wanted,
                "request_state": wanted,
                "status": f"{sid} ({guest.node if guest else '?'}, {wanted})",
            }
        )
    return rows
