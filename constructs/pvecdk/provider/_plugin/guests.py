"""``pvecdk_guest_placement``: the node a VM or container runs on, changed by migration, never by re-creation.

bpg/proxmox replaces a container whose ``node_name`` changes (and a VM unless ``migrate`` is set), and reads
an HA relocation as drift. The constructs therefore give the bpg guest ``lifecycle.ignore_changes =
["node_name"]`` and put the node here: a changed ``node_name`` plans an in-place update of this resource, and
the apply migrates the guest through the engine (:mod:`pvecdk.engine.guests`): a running VM online, a running
container in restart mode, a stopped guest offline. A refresh reads where the guest runs, so a guest moved by
hand shows as drift and the next apply moves it back; a guest under HA (``ha_managed``, or an HA resource in
the cluster) is where HA put it: no drift, no migration (move it by changing its HA node preferences).

Removing the resource forgets the placement; the guest stays where it is (its own resource removes it).

One limit of bpg/proxmox 0.111.1 remains: it reads a container on the node its own state records (a VM it finds
wherever it runs), so after a container moved its resource must be re-adopted on the new node (``terraform
state rm`` and ``terraform import <address> <node>/<vmid>``); the plan and the apply of the move say so, with
the commands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pvecdk.engine.client import Client
from pvecdk.engine.guests import GUEST_TYPES, LiveGuest, Placement, apply_placement, plan_placement, read_guest
from pvecdk.engine.steps import Step
from pvecdk.errors import EngineError, PlanRefused
from pvecdk.provider._plugin._common import EngineResource, has_unknown, known, local_node
from pvecdk.tfplugin import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    Block,
    Diagnostic,
    DiagnosticError,
    PlanResult,
    ReadResult,
    ResourceType,
    Schema,
    error,
    warning,
)
from pvecdk.tfplugin import types as t

__all__ = ["GUEST_PLACEMENT_SCHEMA", "GuestPlacementResource"]

GUEST_PLACEMENT_SCHEMA = Schema(Block((
    Attribute("id", type=t.STRING, computed=True),
    Attribute("vm_id", type=t.NUMBER, required=True),
    # PVE's guest type: qemu (a VM) or lxc (a container).
    Attribute("type", type=t.STRING, required=True),
    Attribute("node_name", type=t.STRING, required=True),
    # The API URL of each node of the cluster, by node name: a migration starts on the node the guest runs on.
    Attribute("endpoints", type=t.Map(t.STRING), required=True),
    # The model puts the guest under HA: the HA manager places it, this resource never migrates it.
    Attribute("ha_managed", type=t.BOOL, optional=True),
    Attribute("timeout_seconds", type=t.NUMBER, optional=True),
    # The Terraform address of the guest's own resource, which messages name.
    Attribute("guest_address", type=t.STRING, optional=True),
)))

#: How long a migration may take when ``timeout_seconds`` is unset (a live migration copies the memory).
DEFAULT_TIMEOUT_SECONDS = 1800.0

def _readopt(values: Mapping[str, Any], node: str) -> str:
    """What to do after a container moved: bpg/proxmox 0.111.1 reads a container on the node its state names
    (a VM it finds wherever it runs), so the container's resource must be pointed at the new node."""
    address = values.get("guest_address") or "<the container's resource address>"
    return (f"bpg/proxmox 0.111.1 reads a container on the node its state records and does not follow a "
            f"migration: re-adopt it on {node} before the next plan, or that plan shows it created anew (which "
            f"fails: the VMID is taken): terraform state rm '{address}' && terraform import '{address}' "
            f"{node}/{int(values['vm_id'])}")


_HA_MOVES = ("HA places it: change its HA node preferences (prefer= of its HA options, a node affinity rule "
             "on PVE 9 or an HA group on PVE 8) and the HA manager migrates it")


def _placement(values: Mapping[str, Any]) -> Placement:
    return Placement(int(values["vm_id"]), str(values["type"]), str(values["node_name"]),
                     values.get("ha_managed") is True)


def _order(values: Mapping[str, Any]) -> list[str]:
    """The nodes to ask, the model's node first."""
    endpoints = values.get("endpoints") or {}
    wanted = str(values.get("node_name"))
    return sorted(endpoints, key=lambda n: (n != wanted, n))


class GuestPlacementResource(EngineResource, ResourceType):
    """``pvecdk_guest_placement``."""

    name = "pvecdk_guest_placement"
    schema = GUEST_PLACEMENT_SCHEMA

    def _client(self, values: Mapping[str, Any]) -> Client:
        return self.provider.client({str(k): str(v) for k, v in (values.get("endpoints") or {}).items()})

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        diags = []
        kind = config.get("type")
        if known(kind) and kind not in GUEST_TYPES:
            diags.append(error("Invalid guest type", f"type is qemu (a VM) or lxc (a container), got {kind!r}.",
                               ("type",)))
        vm_id = config.get("vm_id")
        if isinstance(vm_id, (int, float)) and not 100 <= vm_id <= 999_999_999:
            diags.append(error("Invalid vm_id", f"vm_id is 100 to 999999999, got {vm_id}.", ("vm_id",)))
        endpoints, node = config.get("endpoints"), config.get("node_name")
        if isinstance(endpoints, dict) and not has_unknown(endpoints) and known(node) and node not in endpoints:
            diags.append(error("No endpoint for the node", f"node_name {node!r} has no entry in endpoints "
                               f"({', '.join(sorted(endpoints)) or 'none'}); add its API URL.", ("endpoints",)))
        return diags

    def _live(self, values: Mapping[str, Any]) -> LiveGuest | None:
        with self._client(values) as client:
            return read_guest(client, int(values["vm_id"]), _order(values))

    def plan(self, prior: Any, proposed: Any, config: Any, private: bytes) -> PlanResult:
        planned = dict(proposed)
        kind, vm_id = proposed.get("type"), proposed.get("vm_id")
        planned["id"] = f"{kind}/{int(vm_id)}" if known(kind) and isinstance(vm_id, (int, float)) else UNKNOWN
        replace: list[tuple[Any, ...]] = [] if prior is None else [
            (k,) for k in ("vm_id", "type") if not has_unknown(proposed.get(k)) and prior.get(k) != proposed.get(k)]
        if has_unknown({k: proposed.get(k) for k in ("vm_id", "type", "node_name", "endpoints", "ha_managed")}):
            return PlanResult(planned, replace)
        moving = prior is None or replace or prior.get("node_name") != proposed.get("node_name")
        if not moving:
            return PlanResult(planned, replace)
        want = _placement(proposed)
        try:
            live = self._live(proposed)
        except EngineError as exc:
            return PlanResult(planned, replace, [error("Cannot read where the guest runs", str(exc))])
        steps, problems = plan_placement(want, live, reachable=frozenset(proposed.get("endpoints") or {}))
        diags = self.refused("Guest migration refused", problems)
        if not problems and steps and want.type == "lxc":
            diags.append(warning("Container's resource to re-adopt after the move", _readopt(proposed, want.node)))
        if prior is not None and live is not None and live.node != want.node and (
                want.ha_managed or live.ha_state is not None):
            diags.append(warning("Guest left where HA placed it", f"{want.label} runs on {live.node} under HA, so "
                                 f"it is not migrated to {want.node}: {_HA_MOVES}."))
        return PlanResult(planned, replace, diags)

    def apply(self, prior: Any, planned: Any, config: Any, private: bytes) -> ApplyResult:
        if planned is None:
            return ApplyResult(None)  # the guest stays where it is: its own resource removes it
        want = _placement(planned)
        timeout = planned.get("timeout_seconds")
        steps: list[Step] = []
        try:
            with self._client(planned) as client:
                live = apply_placement(client, want, _order(planned), task_timeout_seconds=float(
                    timeout) if isinstance(timeout, (int, float)) else DEFAULT_TIMEOUT_SECONDS, on_step=steps.append)
        except PlanRefused as exc:
            return ApplyResult(prior, self.refused("Guest migration refused", exc.problems))
        except EngineError as exc:
            return ApplyResult(prior, [error("Guest migration failed", f"{exc}\nThe guest is where PVE left it; "
                                             "run the apply again to continue.")])
        if live is None:
            return ApplyResult(prior, [error("Guest not found", f"no guest has VMID {want.vm_id}: its "
                                             f"{GUEST_TYPES.get(want.type, want.type)} resource creates it, and "
                                             "this placement is applied after it; apply again once it exists.")])
        moved = [warning("Container's resource to re-adopt", _readopt(planned, want.node))
                 if want.type == "lxc" else warning("Guest migrated", s.detail) for s in steps]
        return ApplyResult(dict(planned), moved)

    def read(self, current: Any, private: bytes) -> ReadResult:
        try:
            live = self._live(current)
        except EngineError as exc:
            return ReadResult(current, [warning("Cannot read where the guest runs", str(exc))])
        if live is None:
            return ReadResult(None)  # the guest is gone, and its placement with it
        if current.get("ha_managed") is True or live.ha_state is not None:
            # Where HA put it is where it belongs: not drift. A container bpg must be told about, though.
            moved = live.type == "lxc" and live.node != current.get("node_name")
            return ReadResult(current, [warning("Container's resource to re-adopt", _readopt(current, live.node))]
                              if moved else [])
        return ReadResult({**current, "node_name": live.node})

    def imported(self, id_: str, endpoint: str) -> list[Any]:
        kind, sep, number = id_.partition("/")
        if not sep or kind not in GUEST_TYPES or not number.isdigit():
            raise DiagnosticError(error("Invalid import id", f"{id_!r}: give the guest as qemu/<vmid> or "
                                        "lxc/<vmid>, such as qemu/100"))
        with self.provider.client({"import": endpoint}) as client:
            local = local_node(client, "import") or "import"
        with self.provider.client({local: endpoint}) as client:
            live = read_guest(client, int(number), [local])
        if live is None or live.type != kind:
            return []
        return [{"id": id_, "vm_id": live.vm_id, "type": kind, "node_name": live.node, "endpoints": {local: endpoint},
                 "ha_managed": True if live.ha_state is not None else None, "timeout_seconds": None,
                 "guest_address": None}]
