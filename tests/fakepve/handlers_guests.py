"""Guest migration: POST /nodes/{node}/qemu/{vmid}/migrate and /nodes/{node}/lxc/{vmid}/migrate, as tasks.

The checks PVE makes before it starts (the guest's config is on the node asked, the target is another online
member, a running VM needs ``online=1``, a running container ``restart=1``) answer errors; the move itself is
the task's action: when it ends, the guest's config lives on the target. A guest under HA is handed to the HA
manager instead (an ``hamigrate`` task), which moves it the same way.
"""

from __future__ import annotations

from .errors import ApiError
from .routes import Call, route, target_node
from .tasks import TaskFailed
from .workers import start_task

_CONF_DIR = {"qemu": "qemu-server", "lxc": "lxc"}


def _migrate(call: Call, kind: str) -> str:
    node = target_node(call)
    world = call.world
    vmid = int(call.params["vmid"])
    guest = world.guests.get(vmid)
    if guest is None or guest.kind != kind or guest.node != node.name:
        raise ApiError(500, f"Configuration file 'nodes/{node.name}/{_CONF_DIR[kind]}/{vmid}.conf' does not exist\n")
    target = call.params["target"]
    if target == node.name:
        raise ApiError(400, "Target node is local node.\n")
    if target not in {m.name for m in world.members(node)}:
        raise ApiError(500, f"no such cluster node '{target}'\n")
    if not world.sees_online(node, target):
        raise ApiError(500, f"target node '{target}' is not online\n")
    world.require_quorum(node)
    running = guest.status == "running"
    sid = f"{'vm' if kind == 'qemu' else 'ct'}:{vmid}"
    if sid in world.ha_resources:
        task_kind = "hamigrate"
    elif kind == "qemu":
        if running and call.params.get("online") != "1":
            raise ApiError(500, "can't migrate running VM without --online\n")
        task_kind = "qmigrate"
    else:
        if running and call.params.get("online") == "1":
            raise ApiError(500, "lxc live migration is currently not implemented\n")
        if running and call.params.get("restart") != "1":
            raise ApiError(500, "running container can only be migrated in restart mode\n")
        task_kind = "vzmigrate"
    what = "VM" if kind == "qemu" else "CT"

    def action() -> list[str]:
        if guest.node != node.name:
            raise TaskFailed(f"{what} {vmid} is no longer on node '{node.name}'")
        guest.node = target
        lines = [f"starting migration of {what} {vmid} to node '{target}'"]
        if kind == "lxc" and running:
            lines = [f"shutdown CT {vmid}", *lines, f"start container on target node '{target}'"]
        return [*lines, "migration finished successfully"]

    return start_task(call, task_kind, str(vmid), action, node)


@route("POST", "/nodes/{node}/qemu/{vmid}/migrate")
def migrate_vm(call: Call) -> str:
    return _migrate(call, "qemu")


@route("POST", "/nodes/{node}/lxc/{vmid}/migrate")
def migrate_container(call: Call) -> str:
    return _migrate(call, "lxc")
