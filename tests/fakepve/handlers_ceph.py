"""Ceph API methods for the cluster as a whole: init, status, ceph.conf, CRUSH rules, flags, cmd-safety and
starting or stopping a node's Ceph services.

One rule is the fake's own, marked where it is made: a second init may not change the networks once
monitors run.
"""

from __future__ import annotations

from typing import Any

from .ceph import CephCluster, Daemon, conf_text, daemons, new_ceph, rados, safety, status
from .cephcalls import CONF_NO_QUORUM, in_task, initialised_ceph, target_ceph
from .errors import ApiError, param_error
from .routes import Call, route, target_node
from .tasks import TaskFailed
from .workers import start_task


@route("GET", "/cluster/ceph")
def cluster_index(call: Call) -> list[dict[str, str]]:
    return [{"name": n} for n in ("flags", "metadata", "status")]  # metadata is not modelled (501)


@route("GET", "/nodes/{node}/ceph")
def node_index(call: Call) -> list[dict[str, str]]:
    target_node(call)
    names = (
        "cfg",
        "cmd-safety",
        "crush",
        "fs",
        "init",
        "log",
        "mds",
        "mgr",
        "mon",
        "osd",
        "pool",
        "restart",
        "rules",
        "start",
        "status",
        "stop",
    )
    return [{"name": n} for n in names]


@route("GET", "/cluster/ceph/status")
def cluster_status(call: Call) -> dict[str, Any]:
    ceph = initialised_ceph(call.world, call.node)
    return status(ceph, call.world.online)


@route("GET", "/nodes/{node}/ceph/status")
def node_status(call: Call) -> dict[str, Any]:
    _, ceph = target_ceph(call)
    return status(ceph, call.world.online)


@route("GET", "/nodes/{node}/ceph/cfg/raw")
def cfg_raw(call: Call) -> str:
    _, ceph = target_ceph(call)
    return conf_text(ceph)


@route("GET", "/nodes/{node}/ceph/rules")
def crush_rules(call: Call) -> list[dict[str, str]]:
    _, ceph = target_ceph(call)
    rados(ceph, call.world.online)
    return [{"name": n} for n in ceph.rules]


FLAG_NAMES = ("nobackfill", "nodeep-scrub", "nodown", "noin", "noout", "norebalance", "norecover", "noscrub",
              "notieragent", "noup", "pause")  # fmt: skip


@route("GET", "/cluster/ceph/flags")
def list_flags(call: Call) -> list[dict[str, Any]]:
    ceph = initialised_ceph(call.world, call.node)
    rados(ceph, call.world.online)
    return [{"name": f, "value": int(f in ceph.flags)} for f in FLAG_NAMES]


@route("GET", "/cluster/ceph/flags/{flag}")
def get_flag(call: Call) -> int:
    ceph = initialised_ceph(call.world, call.node)
    rados(ceph, call.world.online)
    return int(call.params["flag"] in ceph.flags)


def _set_flags(ceph: CephCluster, wanted: dict[str, str]) -> None:
    for flag, value in wanted.items():
        if value == "1":
            ceph.flags.add(flag)
        else:
            ceph.flags.discard(flag)
    ceph.epoch += 1


@route("PUT", "/cluster/ceph/flags/{flag}")
def set_flag(call: Call) -> None:
    ceph = initialised_ceph(call.world, call.node)
    rados(ceph, call.world.online)
    _set_flags(ceph, {call.params["flag"]: call.params["value"]})


@route("PUT", "/cluster/ceph/flags")
def set_flags(call: Call) -> str:
    """Several flags at once, in a worker (PVE's 'cephsetflags' task)."""
    ceph = initialised_ceph(call.world, call.node)
    world = call.world
    wanted = {f: call.params[f] for f in FLAG_NAMES if f in call.params}

    def action() -> list[str]:
        in_task(rados, ceph, world.online)
        _set_flags(ceph, wanted)
        return [f"{'set' if v == '1' else 'unset'} {f}" for f, v in wanted.items()]

    return start_task(call, "cephsetflags", "", action)


@route("GET", "/nodes/{node}/ceph/cmd-safety")
def cmd_safety(call: Call) -> dict[str, Any]:
    """Whether stopping or destroying a daemon keeps the cluster available, as the GUI asks before doing it."""
    _, ceph = target_ceph(call)
    rados(ceph, call.world.online)
    service, action = call.params["service"], call.params["action"]
    if service == "mds" and action != "stop":
        raise param_error({"action": f"unsupported action for service '{service}'"})
    safe, message = safety(ceph, call.world.online, service, action, call.params["id"])
    return {"safe": int(safe), "status": message}


@route("POST", "/nodes/{node}/ceph/init")
def init(call: Call) -> None:
    """Write ceph.conf once per cluster. A repeat keeps fsid, size and min_size, as PVE keeps [global]."""
    node = target_node(call)
    if node.ceph_packages is None:
        # PVE checks for the Ceph binaries first; `pveceph install` puts them there.
        raise ApiError(500, "binary not installed: /usr/bin/ceph-mon\n")
    if not call.world.quorate(node):
        raise ApiError(500, CONF_NO_QUORUM + "\n")
    wanted = new_ceph(call.services.release.schema, call.params)
    existing = call.world.ceph(node)
    if existing is None:
        call.world.set_ceph(node, wanted)
        return None
    changed = "network" in call.params and (
        wanted.public_network != existing.public_network or wanted.cluster_network != existing.cluster_network
    )
    if not changed:
        return None
    if existing.monitors:
        # The fake's own rule: PVE would rewrite the networks under running monitors, cutting them off their
        # addresses; refusing makes an engine that re-inits with other networks visible.
        raise ApiError(
            500,
            f"ceph already initialized with public_network '{existing.public_network}' and cluster_network "
            f"'{existing.cluster_network}' - refusing to change the networks under running monitors\n",
        )
    existing.public_network, existing.cluster_network = wanted.public_network, wanted.cluster_network
    return None


def _daemons_on(ceph: CephCluster, node: str, service: str) -> list[Daemon]:
    """What a unit on the node covers: 'ceph' (or 'ceph.target') every daemon, 'mon' its monitors, 'osd.3' one."""
    kind, _, ident = service.partition(".")
    return [
        daemon
        for name, daemon in daemons(ceph).items()
        if daemon.node == node and (kind == "ceph" or name == service or (not ident and name.startswith(f"{kind}.")))
    ]


def _service(call: Call, verb: str, running: bool) -> str:
    node, ceph = target_ceph(call)
    service = call.params.get("service") or "ceph.target"

    def action() -> list[str]:
        daemons = _daemons_on(ceph, node.name, service)
        kind, _, ident = service.partition(".")
        if kind != "ceph" and ident and not daemons:
            raise TaskFailed(f"command '/bin/systemctl {verb} ceph-{kind}@{ident}' failed: exit code 5")
        for daemon in daemons:
            daemon.running = running
        ceph.epoch += 1
        return [f"{verb} {service}"]

    return start_task(call, f"srv{verb}", call.params.get("service") or "ceph", action, node)


@route("POST", "/nodes/{node}/ceph/stop")
def stop(call: Call) -> str:
    return _service(call, "stop", False)


@route("POST", "/nodes/{node}/ceph/start")
def start(call: Call) -> str:
    return _service(call, "start", True)


@route("POST", "/nodes/{node}/ceph/restart")
def restart(call: Call) -> str:
    return _service(call, "restart", True)
