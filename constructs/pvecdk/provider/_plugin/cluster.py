"""``pvecdk_cluster``: the cluster's name, corosync link priorities, fencing mode and members.

A refresh reads the membership the nodes report (a node removed behind Terraform's back shows as drift), a
plan lists the joins and removals and refuses unsafe ones with a diagnostic that says why, and an apply
carries them out one at a time (see :mod:`pvecdk.engine.membership`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pvecdk.engine.membership import (
    ClusterSpec,
    LiveCluster,
    MemberSpec,
    apply_changes,
    plan_changes,
    read_cluster,
)
from pvecdk.errors import EngineError, PlanRefused
from pvecdk.provider._plugin._common import EngineResource, has_unknown, local_node
from pvecdk.tfplugin import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    Block,
    Diagnostic,
    NestedBlock,
    Nesting,
    PlanResult,
    ReadResult,
    ResourceType,
    Schema,
    error,
    warning,
)
from pvecdk.tfplugin import types as t

__all__ = ["CLUSTER_SCHEMA", "ClusterResource", "spec_from_config"]

CLUSTER_SCHEMA = Schema(Block(
    attributes=(
        Attribute("id", type=t.STRING, computed=True),
        Attribute("name", type=t.STRING, required=True),
        Attribute("fencing", type=t.STRING, optional=True),
        Attribute("pve_version", type=t.STRING, optional=True),
        Attribute("quorate", type=t.BOOL, computed=True),
    ),
    blocks=(
        NestedBlock("link", Block((Attribute("priority", type=t.NUMBER, optional=True),)), Nesting.LIST, 0, 8),
        NestedBlock("member", Block((
            Attribute("name", type=t.STRING, required=True),
            Attribute("node_id", type=t.NUMBER, required=True),
            Attribute("votes", type=t.NUMBER, optional=True),
            Attribute("addresses", type=t.List(t.STRING), required=True),
            Attribute("endpoint", type=t.STRING, required=True),
            Attribute("online", type=t.BOOL, computed=True),
        )), Nesting.LIST, 0, 0),
    ),
))


def spec_from_config(state: Mapping[str, Any]) -> ClusterSpec:
    """The engine's view of a ``pvecdk_cluster`` configuration or state."""
    members = tuple(
        MemberSpec(name=m["name"], node_id=int(m["node_id"]), votes=int(m.get("votes") or 1),
                   links=tuple(m.get("addresses") or ()), endpoint=m["endpoint"])
        for m in state.get("member") or []
    )
    priorities = tuple(int(link.get("priority") or 0) for link in state.get("link") or [])
    return ClusterSpec(name=state["name"], members=members, link_priorities=priorities, fencing=state.get("fencing"))


def _state(base: Mapping[str, Any], live: LiveCluster, spec: ClusterSpec) -> dict[str, Any]:
    """The resource's state from what the nodes report, in node-id order, endpoints kept from the model."""
    members = []
    for m in sorted(live.members.values(), key=lambda m: m.node_id):
        wanted = spec.member(m.name)
        members.append({
            "name": m.name, "node_id": m.node_id, "votes": m.votes, "addresses": list(m.links),
            "endpoint": wanted.endpoint if wanted else f"https://{m.links[0] if m.links else m.name}:8006",
            "online": m.online,
        })
    # Fencing is reported only when the model manages it (PVE's default, watchdog, is unset in datacenter.cfg).
    fencing = None if base.get("fencing") is None else (live.fencing or "watchdog")
    return {**base, "id": live.name, "name": live.name, "quorate": live.quorate, "member": members,
            "fencing": fencing}


class ClusterResource(EngineResource, ResourceType):
    """``pvecdk_cluster``."""

    name = "pvecdk_cluster"
    schema = CLUSTER_SCHEMA

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        diags = []
        members = [m for m in config.get("member") or [] if isinstance(m, dict)]
        if not members and config.get("member") is not UNKNOWN:
            diags.append(error("No member", "A cluster needs at least one member block.", ("member",)))
        for key in ("name", "node_id"):
            values = [m.get(key) for m in members if m.get(key) not in (None, UNKNOWN)]
            if len(values) != len(set(values)):
                diags.append(error(f"Duplicate member {key}", f"Every member needs its own {key}.", ("member",)))
        links = len(config.get("link") or [])
        for i, m in enumerate(members):
            addresses = m.get("addresses")
            if isinstance(addresses, list) and links and len(addresses) != links:
                diags.append(error("Member addresses do not match the links",
                                   f"{m.get('name')} has {len(addresses)} addresses for {links} corosync links.",
                                   ("member", i, "addresses")))
        return diags

    def plan(self, prior: Any, proposed: Any, config: Any, private: bytes) -> PlanResult:
        planned = dict(proposed)
        planned["id"] = proposed["name"]
        if has_unknown(proposed.get("member")) or proposed.get("name") is UNKNOWN:
            planned["quorate"] = UNKNOWN
            return PlanResult(planned)
        replace: list[tuple[Any, ...]] = [("name",)] if prior is not None and prior.get("name") != proposed.get("name") else []
        spec = spec_from_config(proposed)
        try:
            with self.provider.client(spec.endpoints) as client:
                live = read_cluster(client, spec)
        except EngineError as exc:
            return PlanResult(planned, replace, [error("Cannot read the cluster", str(exc))])
        steps, problems = plan_changes(spec, live)
        if problems:
            return PlanResult(planned, replace, self.refused("Unsafe cluster change refused", problems))
        if steps or prior is None:
            planned["quorate"] = UNKNOWN
            planned["member"] = [{**m, "online": UNKNOWN} for m in proposed.get("member") or []]
        return PlanResult(planned, replace)

    def apply(self, prior: Any, planned: Any, config: Any, private: bytes) -> ApplyResult:
        if planned is None:
            return ApplyResult(None, [warning(
                "Cluster left as it is",
                "The PVE API cannot dissolve a cluster, so Terraform only stops managing it; its nodes stay "
                "clustered. Remove members by taking them out of the model, one per apply.")])
        spec = spec_from_config(planned)
        try:
            with self.provider.client(spec.endpoints) as client:
                live = apply_changes(client, spec, join_password=self.provider.join_password)
        except PlanRefused as exc:
            return ApplyResult(prior, self.refused("Unsafe cluster change refused", exc.problems))
        except EngineError as exc:
            return ApplyResult(prior, [error("Cluster change failed", f"{exc}\nRun the apply again to continue "
                                                                     "from where the nodes are.")])
        return ApplyResult(_state(planned, live, spec))

    def read(self, current: Any, private: bytes) -> ReadResult:
        spec = spec_from_config(current)
        try:
            with self.provider.client(spec.endpoints) as client:
                live = read_cluster(client, spec)
        except EngineError as exc:
            return ReadResult(current, [warning("Cannot read the cluster", str(exc))])
        if live.name is None:
            if live.unreachable and not live.standalone:
                return ReadResult(current, [warning("Cluster unreachable", "No node answered: "
                                                    + "; ".join(f"{k}: {v}" for k, v in live.unreachable.items()))])
            return ReadResult(None)
        return ReadResult(_state(current, live, spec))

    def imported(self, id_: str) -> list[Any]:
        endpoint = self.provider.import_endpoint("a cluster")
        with self.provider.client({"import": endpoint}) as client:
            local = local_node(client, "import")
        if local is None:
            return []
        spec = ClusterSpec(id_, (MemberSpec(local, 1, (), endpoint),))
        with self.provider.client(spec.endpoints) as client:
            live = read_cluster(client, spec)
        if live.name != id_:
            return []
        base: dict[str, Any] = {"name": id_, "fencing": None, "link": [], "member": []}
        return [_state(base, live, spec)]
