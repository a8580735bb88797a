"""Ceph API methods (pveceph over the API): init, monitors, managers, OSDs, MDS, CephFS, pools and services.

Checks happen where PVE makes them: those before its fork answer HTTP 500 with the message, those inside the
worker fail the task. Long operations answer a UPID of a task on the target node (PVE proxies /nodes/{node}
calls there), with PVE's task types and ids. Three rules are the fake's own, each marked where it is made:
a second init may not change the networks, a node runs at most one monitor and one manager, and an OSD
needs an active manager. Ceph being installed on every node is assumed (`pveceph install` has no API).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .apischema import load_schema
from .ceph import (
    NOT_INITIALISED,
    CephCluster,
    Filesystem,
    Manager,
    Mds,
    Monitor,
    Online,
    Osd,
    active_manager,
    conf_text,
    has_quorum,
    mds_states,
    mon_address,
    new_ceph,
    osd_network_ok,
    osd_up,
    rados,
    safety,
    status,
)
from .cephpools import create_pool, ensure_mgr_pool, mon_error, pool_row, pool_status, set_pool
from .disks import GIB, TIB, Disk
from .errors import ApiError, param_error
from .formats import parse_property_string
from .handlers_storage import create_definition
from .model import NO_QUORUM, NodeState, World
from .routes import Call, route, target_node
from .storage import effective
from .tasks import TaskFailed
from .workers import start_task

CONF_NO_QUORUM = "cfs-lock 'file-ceph_conf' error: no quorum!"
OSD_FLAGS = "sortbitwise,recovery_deletes,purged_snapdirs,pglog_hardlimit"


def _ceph(call: Call) -> tuple[NodeState, CephCluster]:
    """The target node and its cluster's Ceph; nothing Ceph works before `pveceph init`."""
    node = target_node(call)
    ceph = call.world.ceph(node)
    if ceph is None:
        raise ApiError(500, NOT_INITIALISED)
    return node, ceph


def _in_task(check: Callable[..., None], *args: Any) -> None:
    """Run a pre-fork check again inside the worker: state may have moved meanwhile, and then the task fails."""
    try:
        check(*args)
    except ApiError as exc:
        raise TaskFailed(exc.message.strip()) from None


def _conf_lock(world: World, node: NodeState) -> None:
    if not world.quorate(node):
        raise TaskFailed(CONF_NO_QUORUM)


def _version(ceph: CephCluster) -> dict[str, str]:
    version, release = ceph.version
    return {"ceph_version": f"ceph version {version} ({release}) stable", "ceph_version_short": version}


# --- index and status --------------------------------------------------------------------------------------


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
    ceph = call.world.ceph(call.node)
    if ceph is None:
        raise ApiError(500, NOT_INITIALISED)
    return status(ceph, call.world.online)


@route("GET", "/nodes/{node}/ceph/status")
def node_status(call: Call) -> dict[str, Any]:
    _, ceph = _ceph(call)
    return status(ceph, call.world.online)


@route("GET", "/nodes/{node}/ceph/cfg/raw")
def cfg_raw(call: Call) -> str:
    _, ceph = _ceph(call)
    return conf_text(ceph)


@route("GET", "/nodes/{node}/ceph/rules")
def crush_rules(call: Call) -> list[dict[str, str]]:
    _, ceph = _ceph(call)
    rados(ceph, call.world.online)
    return [{"name": n} for n in ceph.rules]


FLAG_NAMES = ("nobackfill", "nodeep-scrub", "nodown", "noin", "noout", "norebalance", "norecover", "noscrub",
              "notieragent", "noup", "pause")  # fmt: skip


@route("GET", "/cluster/ceph/flags")
def list_flags(call: Call) -> list[dict[str, Any]]:
    ceph = call.world.ceph(call.node)
    if ceph is None:
        raise ApiError(500, NOT_INITIALISED)
    rados(ceph, call.world.online)
    return [{"name": f, "value": int(f in ceph.flags)} for f in FLAG_NAMES]


@route("GET", "/cluster/ceph/flags/{flag}")
def get_flag(call: Call) -> int:
    ceph = call.world.ceph(call.node)
    if ceph is None:
        raise ApiError(500, NOT_INITIALISED)
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
    ceph = call.world.ceph(call.node)
    if ceph is None:
        raise ApiError(500, NOT_INITIALISED)
    rados(ceph, call.world.online)
    _set_flags(ceph, {call.params["flag"]: call.params["value"]})


@route("PUT", "/cluster/ceph/flags")
def set_flags(call: Call) -> str:
    """Several flags at once, in a worker (PVE's 'cephsetflags' task)."""
    ceph = call.world.ceph(call.node)
    if ceph is None:
        raise ApiError(500, NOT_INITIALISED)
    world = call.world
    wanted = {f: call.params[f] for f in FLAG_NAMES if f in call.params}

    def action() -> list[str]:
        _in_task(rados, ceph, world.online)
        _set_flags(ceph, wanted)
        return [f"{'set' if v == '1' else 'unset'} {f}" for f, v in wanted.items()]

    return start_task(call, "cephsetflags", "", action)


@route("GET", "/nodes/{node}/ceph/cmd-safety")
def cmd_safety(call: Call) -> dict[str, Any]:
    """Whether stopping or destroying a daemon keeps the cluster available, as the GUI asks before doing it."""
    _, ceph = _ceph(call)
    rados(ceph, call.world.online)
    service, action = call.params["service"], call.params["action"]
    if service == "mds" and action != "stop":
        raise param_error({"action": f"unsupported action for service '{service}'"})
    safe, message = safety(ceph, call.world.online, service, action, call.params["id"])
    return {"safe": int(safe), "status": message}


@route("POST", "/nodes/{node}/ceph/init")
def init(call: Call) -> None:
    """Write ceph.conf once per cluster; a repeat with the same networks changes nothing, as in PVE."""
    node = target_node(call)
    if not call.world.quorate(node):
        raise ApiError(500, CONF_NO_QUORUM + "\n")
    wanted = new_ceph(call.services.release.schema, call.params)
    existing = call.world.ceph(node)
    if existing is None:
        call.world.set_ceph(node, wanted)
        return None
    # The fake's own rule: PVE would rewrite public_network/cluster_network of a running Ceph cluster
    # (cutting monitors off their addresses); refusing makes an engine that re-inits differently visible.
    changed = "network" in call.params and (
        wanted.public_network != existing.public_network or wanted.cluster_network != existing.cluster_network
    )
    if changed:
        raise ApiError(
            500,
            f"ceph already initialized with public_network '{existing.public_network}' and cluster_network "
            f"'{existing.cluster_network}' - refusing to change the networks of an initialized cluster\n",
        )
    return None


# --- monitors ----------------------------------------------------------------------------------------------


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
    node, ceph = _ceph(call)
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
            **_version(ceph),
        }
        if mon.node == node.name:
            row["direxists"] = "1"
        rows.append(row)
    return rows


@route("POST", "/nodes/{node}/ceph/mon/{monid}")
def create_mon(call: Call) -> str:
    node, ceph = _ceph(call)
    world = call.world
    if ceph.monitors:
        rados(ceph, world.online)  # only the first monitor is made without asking a quorum
    monid = call.params.get("monid") or node.name
    addr = mon_address(ceph, node.name, node.addresses, call.params.get("mon-address"))
    _assert_mon(ceph, monid, node.name, addr)

    def action() -> list[str]:
        _conf_lock(world, node)
        _in_task(_assert_mon, ceph, monid, node.name, addr)
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
    node, ceph = _ceph(call)
    world = call.world
    rados(ceph, world.online)
    monid = call.params["monid"]
    _assert_mon_removable(ceph, monid, node.name)

    def action() -> list[str]:
        _conf_lock(world, node)
        _in_task(_assert_mon_removable, ceph, monid, node.name)
        del ceph.monitors[monid]
        return [f"removing monitor '{monid}' from the monmap", f"removing /var/lib/ceph/mon/ceph-{monid}"]

    return start_task(call, "cephdestroymon", f"mon.{monid}", action, node)


# --- managers ----------------------------------------------------------------------------------------------


@route("GET", "/nodes/{node}/ceph/mgr")
def list_mgrs(call: Call) -> list[dict[str, Any]]:
    _, ceph = _ceph(call)
    online = call.world.online
    rados(ceph, online)
    active = active_manager(ceph, online)
    rows = []
    for mgr in ceph.managers.values():
        running = mgr.running and online(mgr.node)
        state = "active" if mgr is active else "standby" if running else "stopped"
        addr = call.world.nodes[mgr.node].address if mgr.node in call.world.nodes else ""
        rows.append({"name": mgr.name, "host": mgr.node, "addr": addr, "state": state})
    return rows


@route("POST", "/nodes/{node}/ceph/mgr/{id}")
def create_mgr(call: Call) -> str:
    node, ceph = _ceph(call)
    world = call.world
    mgrid = call.params.get("id") or node.name

    def action() -> list[str]:
        _in_task(rados, ceph, world.online)
        lines = _make_mgr(ceph, mgrid, node.name)
        if active_manager(ceph, world.online) is not None:
            ensure_mgr_pool(ceph)
        return lines

    return start_task(call, "cephcreatemgr", f"mgr.{mgrid}", action, node)


@route("DELETE", "/nodes/{node}/ceph/mgr/{id}")
def destroy_mgr(call: Call) -> str:
    node, ceph = _ceph(call)
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


# --- OSDs ---------------------------------------------------------------------------------------------------


def _osd_row(ceph: CephCluster, osd: Osd, online: Online) -> dict[str, Any]:
    up = osd_up(osd, online)
    return {
        "id": osd.osdid,
        "name": f"osd.{osd.osdid}",
        "type": "osd",
        "host": osd.node,
        "status": "up" if up else "down",
        "in": int(osd.is_in),
        "reweight": 1 if osd.is_in else 0,
        "crush_weight": round(osd.size / TIB, 5),
        "device_class": osd.device_class,
        "leaf": 1,
        "osdtype": "bluestore",
        "blfsdev": osd.dev,
        "dbdev": osd.db_dev or "",
        "waldev": osd.wal_dev or "",
        "total_space": osd.size,
        "bytes_used": 0,
        "percent_used": 0.0,
        "commit_latency_ms": 0,
        "apply_latency_ms": 0,
        **_version(ceph),
    }


@route("GET", "/nodes/{node}/ceph/osd")
def osd_tree(call: Call) -> dict[str, Any]:
    """`osd df tree` folded into PVE's tree: root > the CRUSH root 'default' > hosts > OSDs."""
    _, ceph = _ceph(call)
    online = call.world.online
    rados(ceph, online)
    hosts = []
    for index, host in enumerate(ceph.hosts):
        osds = sorted((o for o in ceph.osds.values() if o.node == host), key=lambda o: o.osdid)
        children = [_osd_row(ceph, o, online) for o in osds]
        hosts.append({"id": -3 - 2 * index, "name": host, "type": "host", "leaf": 0, "children": children})
    default = {"id": -1, "name": "default", "type": "root", "leaf": 0, "children": hosts}
    flags = ",".join([OSD_FLAGS, *sorted(ceph.flags)])
    return {"root": {"name": "root", "leaf": 0, "children": [default]}, "flags": flags}


def _blockdev(node: NodeState, path: str) -> Disk:
    if not path.startswith("/dev/"):
        raise ApiError(500, f"got unusual device path '{path}'\n")
    # PVE resolves the path first, so a stable /dev/disk/by-id link names the same disk as /dev/sdX.
    disk = node.disks.get(path) or next((d for d in node.disks.values() if d.row()["by_id_link"] == path), None)
    if disk is None:
        raise ApiError(500, "not a valid block device\n")
    return disk


def _disk_requirements(devs: dict[str, Disk]) -> None:
    dev = devs["dev"]
    if dev.used:
        raise ApiError(500, f"device '{dev.devpath}' is already in use\n")
    for kind in ("db_dev", "wal_dev"):
        disk = devs.get(kind)
        if disk is not None and disk.used not in (None, "LVM", "partitions"):
            raise ApiError(500, f"device '{disk.devpath}' is already in use and has no LVM on it\n")


def _carve(disk: Disk, kind: str, size: int) -> None:
    """PVE's create_part_or_lv: room for a DB or WAL volume on a free disk or on a Ceph volume group."""
    if disk.size < size:
        raise TaskFailed(f"'{disk.devpath}' is smaller than requested size '{size}' bytes")
    if disk.system:
        raise TaskFailed(f"cannot use '{disk.devpath}' for '{kind}'")
    if disk.vg is not None and disk.free < size:
        raise TaskFailed(f"vg '{disk.vg}' has not enough free space")


@route("POST", "/nodes/{node}/ceph/osd")
def create_osd(call: Call) -> str:
    node, ceph = _ceph(call)
    world, params = call.world, call.params
    online = world.online
    per_device = int(params.get("osds-per-device") or 1)
    if params.get("osds-per-device"):
        for kind in ("db_dev", "wal_dev"):
            if params.get(kind):
                raise param_error({kind: f"cannot use 'osds-per-device' parameter with '{kind}'"})
    if not osd_network_ok(ceph, node.addresses):
        net = ceph.cluster_network or ceph.public_network
        found = f"No address from ceph cluster network ({net}) found on node '{node.name}'"
        raise ApiError(500, f"{found}. Check your network config.\n")
    devs: dict[str, Disk] = {}
    for kind in ("dev", "db_dev", "wal_dev"):
        path = params.get(kind)
        if not path:
            continue
        disk = _blockdev(node, path)
        if any(d is disk for d in devs.values()):
            raise param_error({kind: f"cannot chose '{disk.devpath}' for more than one type."})
        devs[kind] = disk
    _disk_requirements(devs)
    rados(ceph, online)
    # The fake's own rule: ceph-volume would make the OSD, but nothing reports its PGs without a manager.
    if active_manager(ceph, online) is None:
        raise ApiError(500, "no active ceph manager - create a manager before adding OSDs\n")
    encrypted = params.get("encrypted") == "1"
    device_class = params.get("crush-device-class") or "ssd"

    def action() -> list[str]:
        _in_task(_disk_requirements, devs)
        dev = devs["dev"]
        sizes = {
            "db_dev": int(float(params["db_dev_size"]) * GIB) if params.get("db_dev_size") else dev.size // 10,
            "wal_dev": int(float(params["wal_dev_size"]) * GIB) if params.get("wal_dev_size") else dev.size // 100,
        }
        lines = [f"create OSD on {dev.devpath} (bluestore)"]
        for kind in ("db_dev", "wal_dev"):
            if kind in devs:
                _carve(devs[kind], kind.removesuffix("_dev"), sizes[kind])
                lines.append(f"creating block.{kind.removesuffix('_dev')} on '{devs[kind].devpath}'")
        lines.append(f"wiping block device {dev.devpath}")
        size = dev.size // per_device
        for _ in range(per_device):
            osdid = next(i for i in range(len(ceph.osds) + 1) if i not in ceph.osds)
            dev.allocate("block", osdid, size)
            for kind in ("db_dev", "wal_dev"):
                if kind in devs:
                    devs[kind].allocate(kind.removesuffix("_dev"), osdid, sizes[kind])
            db, wal = devs.get("db_dev"), devs.get("wal_dev")
            ceph.osds[osdid] = Osd(
                osdid,
                node.name,
                dev.devpath,
                device_class,
                encrypted,
                db.devpath if db else None,
                wal.devpath if wal else None,
                size,
            )
            lines += [
                f"Running command: /bin/ceph-authtool --gen-print-key{' (dmcrypt)' if encrypted else ''}",
                f"--> ceph-volume lvm activate successful for osd ID: {osdid}",
            ]
        dev.encrypted = encrypted
        if node.name not in ceph.hosts:
            ceph.hosts.append(node.name)
        ceph.epoch += 1
        lines.append(f"--> ceph-volume lvm create successful for: {dev.devpath}")
        return lines

    return start_task(call, "cephcreateosd", devs["dev"].name, action, node)


def _osd(ceph: CephCluster, osdid: int) -> Osd:
    osd = ceph.osds.get(osdid)
    if osd is None:
        raise ApiError(500, f"no such OSD '{osdid}'\n")
    return osd


@route("DELETE", "/nodes/{node}/ceph/osd/{osdid}")
def destroy_osd(call: Call) -> str:
    """An OSD is destroyed only when out and stopped, on its own node, as PVE insists."""
    node, ceph = _ceph(call)
    online = call.world.online
    rados(ceph, online)
    osdid = int(call.params["osdid"])
    osd = ceph.osds.get(osdid)
    if osd is None or osd.node != node.name:
        raise ApiError(500, f"OSD osd.{osdid} does not belong to node {node.name}!\n")
    if osd.is_in:
        raise ApiError(500, "osd is in use (in == 1)\n")
    if osd_up(osd, online):
        raise ApiError(500, "osd is still running\n")
    cleanup = call.params.get("cleanup") == "1"

    def action() -> list[str]:
        ceph.osds.pop(osdid, None)
        ceph.epoch += 1
        lines = [
            f"destroy OSD osd.{osdid}",
            f"Remove osd.{osdid} from the CRUSH map",
            f"Remove the osd.{osdid} authentication key.",
            f"Remove OSD osd.{osdid}",
            f"--> Zapping successful for OSD: {osdid}",
        ]
        for disk in node.disks.values():
            mine = [v for v in disk.volumes if v.osdid == osdid]
            if not mine:
                continue
            if cleanup:
                # `ceph-volume lvm zap --destroy` and pvremove: the disk is free again.
                disk.volumes = [v for v in disk.volumes if v not in mine]
                if not disk.volumes:
                    disk.vg, disk.encrypted = None, False
                lines.append(f"--> Destroying volume group {disk.vg or 'ceph'} on {disk.devpath}")
            else:
                for volume in mine:
                    volume.osdid = None  # zapped: the logical volumes stay, so the disk stays in use
        return lines

    return start_task(call, "cephdestroyosd", f"osd.{osdid}", action, node)


def _set_in(call: Call, value: bool) -> None:
    _, ceph = _ceph(call)
    rados(ceph, call.world.online)
    _osd(ceph, int(call.params["osdid"])).is_in = value
    ceph.epoch += 1


@route("POST", "/nodes/{node}/ceph/osd/{osdid}/in")
def osd_in(call: Call) -> None:
    _set_in(call, True)


@route("POST", "/nodes/{node}/ceph/osd/{osdid}/out")
def osd_out(call: Call) -> None:
    _set_in(call, False)


# --- services ----------------------------------------------------------------------------------------------


def _daemons_on(ceph: CephCluster, node: str, service: str) -> list[Monitor | Manager | Osd | Mds]:
    kind, _, ident = service.partition(".")
    found: list[Monitor | Manager | Osd | Mds] = []
    groups: dict[str, list[Any]] = {
        "mon": list(ceph.monitors.values()),
        "mgr": list(ceph.managers.values()),
        "osd": list(ceph.osds.values()),
        "mds": list(ceph.mds.values()),
    }
    for group, daemons in groups.items():
        if kind not in ("ceph", group):
            continue
        for daemon in daemons:
            name = str(daemon.osdid) if isinstance(daemon, Osd) else daemon.name
            if daemon.node == node and (kind == "ceph" or not ident or ident == name):
                found.append(daemon)
    return found


def _service(call: Call, verb: str, running: bool) -> str:
    node, ceph = _ceph(call)
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


# --- MDS and CephFS ----------------------------------------------------------------------------------------


@route("GET", "/nodes/{node}/ceph/mds")
def list_mds(call: Call) -> list[dict[str, Any]]:
    _, ceph = _ceph(call)
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
    node, ceph = _ceph(call)
    world = call.world
    name = call.params.get("name") or node.name
    hotstandby = call.params.get("hotstandby") == "1"

    def action() -> list[str]:
        _in_task(rados, ceph, world.online)
        _conf_lock(world, node)
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
    node, ceph = _ceph(call)
    world = call.world
    name = call.params["name"]

    def action() -> list[str]:
        _in_task(rados, ceph, world.online)
        _conf_lock(world, node)
        ceph.mds.pop(name, None)  # PVE drops the config section and the key whether or not they existed
        return [
            f"disabling service 'ceph-mds@{name}.service'",
            f"stopping service 'ceph-mds@{name}.service'",
            f"removing ceph-mds directory '/var/lib/ceph/mds/ceph-{name}'",
            f"removing ceph auth for 'mds.{name}'",
        ]

    return start_task(call, "cephdestroymds", f"mds.{name}", action, node)


@route("GET", "/nodes/{node}/ceph/fs")
def list_fs(call: Call) -> list[dict[str, str]]:
    _, ceph = _ceph(call)
    rados(ceph, call.world.online)
    return [
        {"name": fs.name, "data_pool": fs.data_pool, "metadata_pool": fs.metadata_pool}
        for fs in ceph.filesystems.values()
    ]


@route("POST", "/nodes/{node}/ceph/fs/{name}")
def create_fs(call: Call) -> str:
    node, ceph = _ceph(call)
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
        _in_task(rados, ceph, online)
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
            if not any(s == "up:active" and fs == name for s, fs in mds_states(ceph, online).values()):
                raise TaskFailed("Need MDS to add storage, but none got active!", lines)
            params = {"type": "cephfs", "storage": name, "content": "backup,iso,vztmpl", "fs-name": name}
            try:
                create_definition(world, node, release, params)
            except ApiError as exc:
                message = f"adding storage for CephFS '{name}' failed, check log and add manually! {exc.message}"
                raise TaskFailed(message.strip(), lines) from None
        return lines

    return start_task(call, "cephfscreate", name, action, node)


# --- pools ---------------------------------------------------------------------------------------------------


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
    _, ceph = _ceph(call)
    rados(ceph, call.world.online)
    return [pool_row(ceph, p) for p in sorted(ceph.pools.values(), key=lambda p: p.pool_id)]


@route("POST", "/nodes/{node}/ceph/pool")
def create_pool_call(call: Call) -> str:
    """A pool needs monitors (a quorum), not OSDs; an existing name is not refused (Ceph's create is a no-op)."""
    node = target_node(call)
    world = call.world
    if not world.quorate(node):
        raise ApiError(500, NO_QUORUM)
    node, ceph = _ceph(call)
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
        _in_task(rados, ceph, world.online)
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
    _ceph(call)
    return [{"name": "status"}]


@route("GET", "/nodes/{node}/ceph/pool/{name}/status")
def get_pool(call: Call) -> dict[str, Any]:
    _, ceph = _ceph(call)
    rados(ceph, call.world.online)
    name = call.params["name"]
    pool = ceph.pools.get(name)
    if pool is None:
        raise ApiError(500, mon_error(f"unrecognized pool '{name}'") + "\n")
    return pool_status(ceph, pool)


@route("PUT", "/nodes/{node}/ceph/pool/{name}")
def set_pool_call(call: Call) -> str:
    node, ceph = _ceph(call)
    world = call.world
    name = call.params["name"]
    settings = _pool_settings(call.params)

    def action() -> list[str]:
        _in_task(rados, ceph, world.online)
        return set_pool(ceph, name, settings)

    return start_task(call, "cephsetpool", name, action, node)


@route("DELETE", "/nodes/{node}/ceph/pool/{name}")
def destroy_pool(call: Call) -> str:
    """Refused while a storage on the pool still holds images, unless `force`; CephFS pools Ceph refuses."""
    node, ceph = _ceph(call)
    world = call.world
    name = call.params["name"]
    storages = _storages_of(world, node, name)
    if call.params.get("force") != "1":
        pool = ceph.pools.get(name)
        for sid in sorted(storages):
            if pool is not None and pool.images:
                raise ApiError(500, f"ceph pool '{name}' still in use by storage '{sid}'\n")
    remove_storages = call.params.get("remove_storages") == "1"
    remove_profile = call.params.get("remove_ecprofile", "1") == "1"

    def action() -> list[str]:
        _in_task(rados, ceph, world.online)
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
