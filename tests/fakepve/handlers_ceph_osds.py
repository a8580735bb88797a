"""Ceph OSDs through the API: the OSD tree, creating one on a node's disk (with DB/WAL devices), in/out and
destroying it.

One rule is the fake's own, marked where it is made: an OSD needs an active manager.
"""

from __future__ import annotations

from typing import Any

from .ceph import CephCluster, Online, Osd, active_manager, osd_network_ok, osd_up, rados
from .cephcalls import in_task, target_ceph, version_fields
from .disks import GIB, TIB, Disk
from .errors import ApiError, param_error
from .model import NodeState
from .routes import Call, route
from .tasks import TaskFailed
from .workers import start_task

OSD_FLAGS = "sortbitwise,recovery_deletes,purged_snapdirs,pglog_hardlimit"


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
        **version_fields(ceph),
    }


@route("GET", "/nodes/{node}/ceph/osd")
def osd_tree(call: Call) -> dict[str, Any]:
    """`osd df tree` folded into PVE's tree: root > the CRUSH root 'default' > hosts > OSDs."""
    _, ceph = target_ceph(call)
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
    disk = node.disks.get(path) or next((d for d in node.disks.values() if d.by_id_link == path), None)
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
    node, ceph = target_ceph(call)
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
        in_task(_disk_requirements, devs)
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
    node, ceph = target_ceph(call)
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
    _, ceph = target_ceph(call)
    rados(ceph, call.world.online)
    _osd(ceph, int(call.params["osdid"])).is_in = value
    ceph.epoch += 1


@route("POST", "/nodes/{node}/ceph/osd/{osdid}/in")
def osd_in(call: Call) -> None:
    _set_in(call, True)


@route("POST", "/nodes/{node}/ceph/osd/{osdid}/out")
def osd_out(call: Call) -> None:
    _set_in(call, False)
