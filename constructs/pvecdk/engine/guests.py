"""Where guests run: read a VM's or container's node, and move it by migration, never by re-creation.

The model says which node a guest runs on (:class:`Placement`). :func:`read_guest` asks the cluster where it
runs now (``GET /cluster/resources``) and whether HA manages it (``GET /cluster/ha/resources``);
:func:`plan_placement` says what to do: nothing when it is where the model puts it, or one migration
(``POST /nodes/{node}/qemu/{vmid}/migrate``, ``.../lxc/{vmid}/migrate``) from where it is to the model's node.
A running VM migrates online (live, its local disks with it); a running container migrates in restart mode
(PVE shuts it down, moves it and starts it on the target: containers cannot migrate live); a stopped guest
migrates offline. :func:`apply_placement` runs the migration task to its end and reads the guest again, so a
run that stopped half-way (a crash, a lost answer) is continued by the next one: a migration still running is
waited for, never started twice.

A guest under HA is placed by the HA manager (its node affinity rule or group, its failover): wherever HA put
it is where it belongs, so the plan of an HA guest has no step, whatever node it runs on. To move an HA guest,
change its HA node preferences; HA migrates it.

Refused (nothing is done): a guest of another type under that VMID, a target node that is not a member of the
cluster or is offline, a migration while the cluster has no quorum.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pvecdk.engine.client import Client
from pvecdk.engine.steps import Action, Step
from pvecdk.errors import ApiError, EngineError, EngineProblem, PlanRefused, UnreachableError

__all__ = ["GUEST_TYPES", "LiveGuest", "Placement", "apply_placement", "plan_placement", "read_guest"]

#: PVE's guest types, as ``/cluster/resources`` and the API paths name them, and how messages name them.
GUEST_TYPES = {"qemu": "VM", "lxc": "container"}

#: The migration tasks PVE runs (a guest under HA is handed to the HA manager: ``hamigrate``).
_MIGRATE_TASKS = ("qmigrate", "vzmigrate", "hamigrate")


@dataclass(frozen=True)
class Placement:
    """A guest the model puts on ``node``.

    Attributes:
        vm_id: The VMID.
        type: ``qemu`` (a VM) or ``lxc`` (a container).
        node: The node it should run on.
        ha_managed: The model puts it under HA: HA places it, so it is never migrated here.
    """

    vm_id: int
    type: str
    node: str
    ha_managed: bool = False

    @property
    def label(self) -> str:
        return f"{self.type}/{self.vm_id}"


@dataclass(frozen=True)
class LiveGuest:
    """What the cluster reports of a guest: its type, node, status, and its HA state when HA manages it."""

    vm_id: int
    type: str
    node: str
    status: str
    ha_state: str | None = None
    #: The members the reporting node sees online (the targets a migration may go to).
    online_nodes: frozenset[str] = frozenset()
    members: frozenset[str] = frozenset()
    quorate: bool = True

    @property
    def running(self) -> bool:
        return self.status == "running"


def read_guest(client: Client, vm_id: int, nodes: Mapping[str, str] | list[str]) -> LiveGuest | None:
    """Where guest ``vm_id`` runs, asked of the first of ``nodes`` (labels of ``client``) that answers.

    Returns None when no guest has that VMID.

    Raises:
        EngineError: no node answered (every error is kept: the last one is raised).
    """
    last: EngineError | None = None
    for node in nodes:
        try:
            return _read_via(client, node, vm_id)
        except UnreachableError as exc:
            last = exc
        except ApiError as exc:
            if exc.status in (401, 403):
                raise
            last = exc
    raise last if last is not None else EngineError("no node to ask where the guest runs", node="-")


def _read_via(client: Client, via: str, vm_id: int) -> LiveGuest | None:
    row = next((r for r in client.get(via, "/cluster/resources", type="vm") or []
                if str(r.get("vmid")) == str(vm_id)), None)
    if row is None:
        return None
    kind = str(row.get("type"))
    sid = f"{'vm' if kind == 'qemu' else 'ct'}:{vm_id}"
    ha = next((r for r in client.get(via, "/cluster/ha/resources") or [] if r.get("sid") == sid), None)
    status = client.get(via, "/cluster/status") or []
    cluster = next((e for e in status if e.get("type") == "cluster"), None)
    nodes = [e for e in status if e.get("type") == "node"]
    return LiveGuest(
        vm_id=vm_id, type=kind, node=str(row.get("node")), status=str(row.get("status") or ""),
        ha_state=None if ha is None else str(ha.get("state") or "started"),
        online_nodes=frozenset(str(e.get("name")) for e in nodes if str(e.get("online")) in ("1", "True", "true")),
        members=frozenset(str(e.get("name")) for e in nodes),
        quorate=cluster is None or str(cluster.get("quorate")) in ("1", "True", "true"),
    )


def plan_placement(want: Placement, live: LiveGuest | None, *, reachable: frozenset[str] | None = None
                   ) -> tuple[list[Step], list[EngineProblem]]:
    """The steps that put ``want`` where the model says (none or one migration), and the reasons to refuse.

    Args:
        reachable: The nodes the engine has an endpoint for (None: every node); a migration is started on the
            node the guest runs on, so that node must be one of them.
    """
    if live is None:
        return [], []  # not created yet: its own resource creates it on the model's node
    what = GUEST_TYPES.get(want.type, want.type)
    if live.type != want.type:
        return [], [EngineProblem(want.label, f"VMID {want.vm_id} is a {GUEST_TYPES.get(live.type, live.type)}, "
                                  f"not a {what}", "give the guest its own VMID", "vm_id")]
    if want.ha_managed or live.ha_state is not None or live.node == want.node:
        return [], []  # where it belongs; under HA, wherever the HA manager put it
    problems = []
    if want.node not in live.members:
        problems.append(EngineProblem(want.node, f"is not a member of the cluster {want.label} runs in (its "
                                      f"members: {', '.join(sorted(live.members))})",
                                      "pick a node of the cluster", "node_name"))
    elif want.node not in live.online_nodes:
        problems.append(EngineProblem(want.node, f"is offline: {want.label} cannot migrate to it",
                                      f"bring {want.node} online, or leave the {what} on {live.node}", "node_name"))
    if reachable is not None and live.node not in reachable:
        problems.append(EngineProblem(want.label, f"runs on {live.node}, which has no API endpoint in the model",
                                      f"add {live.node} to the cluster's nodes, or migrate the {what} by hand",
                                      "endpoints"))
    if not live.quorate:
        problems.append(EngineProblem(want.label, "the cluster has no quorum: no guest can migrate",
                                      "bring enough nodes online until it is quorate again", "node_name"))
    mode = ("online" if want.type == "qemu" else "restart mode") if live.running else "offline"
    step = Step(Action.MIGRATE, live.node, f"migrate {want.label} from {live.node} to {want.node} ({mode})")
    return [step], problems


def _migrate_params(want: Placement, live: LiveGuest) -> dict[str, Any]:
    params: dict[str, Any] = {"target": want.node}
    if live.running and want.type == "qemu":
        params.update({"online": 1, "with-local-disks": 1})  # live; local disks are copied along
    elif live.running:
        params["restart"] = 1  # stop, move, start: the container is down for the move
    return params


def apply_placement(
    client: Client,
    want: Placement,
    nodes: list[str],
    *,
    task_timeout_seconds: float = 1800.0,
    on_step: Callable[[Step], None] | None = None,
) -> LiveGuest | None:
    """Put the guest on the model's node; return what the cluster reports at the end (None: no such guest).

    Args:
        nodes: The labels of ``client`` to read through, in order of preference.
        on_step: Called after each step completes (progress reporting; tests inject crashes here).

    Raises:
        PlanRefused: the move is refused (nothing was done in this call).
        EngineError: the migration failed; the guest is where PVE left it, and a rerun continues from there.
    """
    for _ in range(3):
        live = read_guest(client, want.vm_id, nodes)
        if live is not None and _await_running_migration(client, live, nodes, task_timeout_seconds):
            continue  # an earlier run's migration was still running: read again, then plan from its outcome
        steps, problems = plan_placement(want, live, reachable=frozenset(nodes))
        if problems:
            raise PlanRefused(problems)
        if not steps:
            return live
        assert live is not None
        upid = client.post(live.node, f"/nodes/{live.node}/{want.type}/{want.vm_id}/migrate",
                           **_migrate_params(want, live))
        client.wait_task(live.node, str(upid), timeout_seconds=task_timeout_seconds)
        if on_step is not None:
            on_step(steps[0])
    raise EngineError(f"{want.label} did not settle on {want.node}; run again to continue", node=want.node)


def _await_running_migration(client: Client, live: LiveGuest, nodes: list[str], timeout: float) -> bool:
    """Wait for a migration of the guest an earlier run left running on its node; whether there was one."""
    if live.node not in nodes:
        return False
    try:
        active = client.get(live.node, f"/nodes/{live.node}/tasks", source="active", vmid=live.vm_id) or []
    except (ApiError, UnreachableError):
        return False  # the source node does not answer: the migration call would say why
    running = [t for t in active if t.get("type") in _MIGRATE_TASKS and str(t.get("id")) == str(live.vm_id)
               and t.get("upid")]
    deadline = time.monotonic() + timeout
    for task in running:
        try:
            client.wait_task(live.node, str(task["upid"]), timeout_seconds=max(1.0, deadline - time.monotonic()))
        except EngineError:
            pass  # a failed migration leaves the guest where it was: the next plan makes it again
    return bool(running)
