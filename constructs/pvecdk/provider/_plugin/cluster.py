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
from pvecdk.engine.storage import cluster_release
from pvecdk.provider._plugin._common import EngineResource, has_unknown, known, local_node
from pvecdk.tfplugin import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    Block,
    Diagnostic,
    DiagnosticError,
    NestedBlock,
    NestedType,
    Nesting,
    PlanResult,
    ReadResult,
    ResourceType,
    Schema,
    error,
    warning,
)
from pvecdk.tfplugin import types as t

__all__ = ["CLUSTER_SCHEMA", "DEFAULT_VOTES", "ClusterResource", "default_endpoint", "spec_from_config"]

CLUSTER_SCHEMA = Schema(Block(
    attributes=(
        Attribute("id", type=t.STRING, computed=True),
        Attribute("name", type=t.STRING, required=True),
        # Optional and computed: unset, the cluster's own setting is read back and left alone.
        Attribute("fencing", type=t.STRING, optional=True, computed=True),
        # The release the model targets; unset (or imported), the one the cluster runs.
        Attribute("pve_version", type=t.STRING, optional=True, computed=True),
        Attribute("quorate", type=t.BOOL, computed=True),
        # The qnetd host of the QDevice the model sets up through pvecdk_qdevice (unset: none). Set, a join or
        # removal is allowed at plan time although a QDevice is configured: pvecdk_qdevice is replaced around it.
        Attribute("qdevice", type=t.STRING, optional=True),
        # True: pvecdk_corosync_links changes the members' link addresses and the link priorities (over SSH),
        # so a change of them is no refusal here (unless beside a join or removal), and a refresh keeps the
        # ones given (that resource reads and reports the live ones).
        Attribute("links_managed", type=t.BOOL, optional=True),
        # A map keyed by node name, so a plan that removes one node shows that node's removal, not a shift of
        # every later one. An attribute, not blocks: a `for` expression builds it from values known only at
        # plan time, where dynamic blocks would need their labels while validating.
        Attribute("member", nested=NestedType((
            Attribute("node_id", type=t.NUMBER, required=True),
            Attribute("votes", type=t.NUMBER, optional=True, computed=True),
            Attribute("addresses", type=t.List(t.STRING), required=True),
            Attribute("endpoint", type=t.STRING, required=True),
            Attribute("online", type=t.BOOL, computed=True),
        ), Nesting.MAP), required=True),
    ),
    blocks=(
        NestedBlock("link", Block((Attribute("priority", type=t.NUMBER, optional=True, computed=True),)),
                    Nesting.LIST, 0, 8),
    ),
))

#: A member's votes when the configuration leaves them out (PVE's default).
DEFAULT_VOTES = 1


def _members(values: Mapping[str, Any]) -> dict[str, Any]:
    members = values.get("member")
    return members if isinstance(members, dict) else {}


def spec_from_config(state: Mapping[str, Any], *, fencing: Any = None) -> ClusterSpec:
    """The engine's view of a ``pvecdk_cluster`` configuration, plan or state (known values).

    Args:
        fencing: The fencing mode to enforce; defaults to the one in ``state``.
    """
    members = tuple(
        MemberSpec(name=name, node_id=int(m["node_id"]),
                   votes=int(m["votes"]) if isinstance(m.get("votes"), (int, float)) else DEFAULT_VOTES,
                   links=tuple(m.get("addresses") or ()), endpoint=m["endpoint"])
        for name, m in _members(state).items()
    )
    raw = state.get("link")
    links = raw if isinstance(raw, list) else []
    priorities = tuple(int(link["priority"]) if isinstance(link.get("priority"), (int, float)) else 0
                       for link in links)
    wanted = state.get("fencing") if fencing is None else fencing
    return ClusterSpec(name=state["name"], members=members, link_priorities=priorities,
                       fencing=wanted if isinstance(wanted, str) else None)


def default_endpoint(address: str) -> str:
    """The API URL of a node at ``address``, as the constructs spell it by default."""
    host = f"[{address}]" if ":" in address else address
    return f"https://{host}:8006"


def _links_managed(*values: Mapping[str, Any] | None) -> bool:
    """Whether pvecdk_corosync_links carries the links (the configuration says so: once it no longer does, a
    change of links is refused again, as nothing would carry it out)."""
    return any(v is not None and v.get("links_managed") is True for v in values)


def _state(base: Mapping[str, Any], live: LiveCluster, spec: ClusterSpec, *, links: int | None = None
           ) -> dict[str, Any]:
    """The resource's state from what the nodes report; endpoints are the model's (PVE does not know them).

    With ``links_managed``, a member's addresses and the link priorities stay those of ``base``:
    pvecdk_corosync_links changes them and reports their drift, so reading them here too would fight it.
    """
    managed = _links_managed(base)
    given = _members(base)
    members = {}
    for m in sorted(live.members.values(), key=lambda m: m.node_id):
        wanted = spec.member(m.name)
        address = live.addresses.get(m.name) or (m.links[0] if m.links else m.name)
        kept = given.get(m.name, {}).get("addresses") if managed and isinstance(given.get(m.name), dict) else None
        members[m.name] = {"node_id": m.node_id, "votes": m.votes,
                           "addresses": list(kept) if isinstance(kept, list) else list(m.links),
                           "endpoint": wanted.endpoint if wanted else default_endpoint(address), "online": m.online}
    count = len(base.get("link") or []) if links is None else links
    link = []
    for i in range(count):
        given_link = (base.get("link") or [None] * count)[i]
        if managed and isinstance(given_link, dict) and isinstance(given_link.get("priority"), (int, float)):
            link.append({"priority": given_link["priority"]})
            continue
        priority = live.link_priorities.get(i)
        if priority is None and i < len(spec.link_priorities) and not any(
                p is not None for p in live.link_priorities.values()):
            priority = spec.link_priorities[i]  # totem unreadable, or naming no priority: the model's stands
        link.append({"priority": priority})
    # PVE's default fencing (watchdog) is not written to datacenter.cfg: unset reads as watchdog.
    return {**base, "id": live.name, "name": live.name, "quorate": live.quorate, "member": members,
            "fencing": live.fencing or "watchdog", "link": link}


def _import_id(id_: str) -> tuple[str, dict[str, str]]:
    """``lab``, or ``lab,pve1=https://10.0.0.11:8006,pve2=...`` to give members' endpoints."""
    name, *pairs = [p.strip() for p in id_.split(",")]
    endpoints = {}
    for pair in pairs:
        node, sep, url = pair.partition("=")
        if not sep or not node or not url.startswith(("https://", "http://")):
            raise DiagnosticError(error("Invalid import id", f"{pair!r}: give the cluster's name, then optionally "
                                        "node=endpoint pairs: lab,pve1=https://10.0.0.11:8006,pve2=..."))
        endpoints[node] = url
    return name, endpoints


class ClusterResource(EngineResource, ResourceType):
    """``pvecdk_cluster``."""

    name = "pvecdk_cluster"
    schema = CLUSTER_SCHEMA
    endpoints_in_id = True

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        # Values may be unknown anywhere (dynamic blocks, other resources' attributes): check what is known.
        diags = []
        members = config.get("member")
        if isinstance(members, dict) and not members:
            diags.append(error("No member", "A cluster needs at least one member block.", ("member",)))
        known_members = {k: m for k, m in _members(config).items() if isinstance(m, dict)}
        ids = [m.get("node_id") for m in known_members.values() if known(m.get("node_id"))]
        if len(ids) != len(set(ids)):
            diags.append(error("Duplicate member node_id", "Every member needs its own node_id.", ("member",)))
        for name, m in known_members.items():
            node_id = m.get("node_id")
            if isinstance(node_id, (int, float)) and not 1 <= node_id <= 4096:
                diags.append(error("Invalid node_id", f"{name}: node_id is 1 to 4096, got {node_id}.",
                                   ("member", ("key", name), "node_id")))
            votes = m.get("votes")
            if isinstance(votes, (int, float)) and not 0 <= votes <= 255:
                diags.append(error("Invalid votes", f"{name}: votes is 0 to 255, got {votes}.",
                                   ("member", ("key", name), "votes")))
        links = config.get("link")
        if isinstance(links, list):
            for name, m in known_members.items():
                addresses = m.get("addresses")
                if isinstance(addresses, list) and links and len(addresses) != len(links):
                    diags.append(error("Member addresses do not match the links",
                                       f"{name} has {len(addresses)} addresses for {len(links)} corosync links.",
                                       ("member", ("key", name), "addresses")))
            for i, link in enumerate(links):
                priority = link.get("priority") if isinstance(link, dict) else None
                if isinstance(priority, (int, float)) and not 0 <= priority <= 255:
                    diags.append(error("Invalid link priority", f"link {i}: priority is 0 to 255, got {priority}.",
                                       ("link", i, "priority")))
        return diags

    def plan(self, prior: Any, proposed: Any, config: Any, private: bytes) -> PlanResult:
        planned = dict(proposed)
        planned["id"] = proposed["name"]
        prior_members = _members(prior) if prior is not None else {}
        members = proposed.get("member")
        if isinstance(members, dict):
            planned["member"] = {name: {**m, "votes": DEFAULT_VOTES if m.get("votes") is None else m["votes"]}
                                 if isinstance(m, dict) else m for name, m in members.items()}
        for key in ("fencing", "pve_version"):
            if (config or {}).get(key) is None:
                planned[key] = prior.get(key) if prior is not None else UNKNOWN
        links = proposed.get("link")
        if isinstance(links, list):
            before = (prior or {}).get("link") or []
            planned["link"] = [
                {**link, "priority": (before[i].get("priority") if i < len(before) else UNKNOWN)}
                if isinstance(link, dict) and link.get("priority") is None else link
                for i, link in enumerate(links)]
        replace: list[tuple[Any, ...]] = [("name",)] if prior is not None and prior.get("name") != proposed.get("name") else []

        def changing() -> PlanResult:
            planned["quorate"] = UNKNOWN
            if isinstance(planned.get("member"), dict):
                planned["member"] = {n: {**m, "online": UNKNOWN} if isinstance(m, dict) else m
                                     for n, m in planned["member"].items()}
            return PlanResult(planned, replace)

        if has_unknown(planned.get("member")) or has_unknown(planned.get("name")):
            return changing()
        spec = spec_from_config(planned, fencing=(config or {}).get("fencing"))
        if not spec.members:
            return PlanResult(planned, replace)
        try:
            with self.provider.client(spec.endpoints) as client:
                live = read_cluster(client, spec)
        except EngineError as exc:
            return PlanResult(planned, replace, [error("Cannot read the cluster", str(exc))])
        steps, problems = plan_changes(spec, live, links_elsewhere=_links_managed(config))
        if (config or {}).get("qdevice") or (prior or {}).get("qdevice"):
            # Modelled (now, or until this apply removes it): pvecdk_qdevice is removed before the change.
            problems = [p for p in problems if p.field != "qdevice"]
        if problems:
            return PlanResult(planned, replace, self.refused("Unsafe cluster change refused", problems))
        if steps or prior is None or set(prior_members) != set(spec.endpoints):
            return changing()
        if has_unknown(planned.get("fencing")):
            planned["fencing"] = live.fencing or "watchdog"
        return PlanResult(planned, replace)

    def apply(self, prior: Any, planned: Any, config: Any, private: bytes) -> ApplyResult:
        if planned is None:
            return ApplyResult(None, [warning(
                "Cluster left as it is",
                "The PVE API cannot dissolve a cluster, so Terraform only stops managing it; its nodes stay "
                "clustered. Remove members by taking them out of the model, one per apply.")])
        spec = spec_from_config(planned, fencing=(config or {}).get("fencing"))
        try:
            with self.provider.client(spec.endpoints) as client:
                live = apply_changes(client, spec, join_password=self.provider.join_password,
                                     links_elsewhere=_links_managed(config))
                release = cluster_release(client, live.answered_by or spec.ordered()[0].name)
        except PlanRefused as exc:
            return ApplyResult(prior, self.refused("Unsafe cluster change refused", exc.problems))
        except EngineError as exc:
            return self._stopped(prior, planned, spec, exc)
        return ApplyResult(self._applied(planned, _state(planned, live, spec), release))

    @staticmethod
    def _applied(planned: Mapping[str, Any], state: dict[str, Any], release: str | None) -> dict[str, Any]:
        """The new state: what was planned and known stands (Terraform holds the provider to it)."""
        state["pve_version"] = release if planned.get("pve_version") is UNKNOWN else planned.get("pve_version")
        if planned.get("fencing") is not UNKNOWN:
            state["fencing"] = planned.get("fencing")
        state["link"] = [{"priority": p.get("priority") if p.get("priority") is not UNKNOWN else s.get("priority")}
                         for p, s in zip(planned.get("link") or [], state["link"], strict=True)]
        return state

    def _stopped(self, prior: Any, planned: Mapping[str, Any], spec: ClusterSpec, exc: EngineError) -> ApplyResult:
        """A step failed half-way: the state of what the nodes form now, so Terraform records it."""
        detail = f"{exc}\nRun the apply again to continue from where the nodes are."
        try:
            with self.provider.client(spec.endpoints) as client:
                live = read_cluster(client, spec)
        except EngineError:
            live = None
        if live is None or live.name != spec.name:
            return ApplyResult(prior, [error("Cluster change failed", detail)])
        if prior is None:
            detail += (" Terraform marks the cluster tainted because its create stopped half-way; run "
                       "`terraform untaint <address>` first, or let the next apply replace it (a replacement of "
                       "the cluster dissolves nothing: it continues the joins).")
        state = self._applied(planned, _state(planned, live, spec), None)
        state["fencing"] = live.fencing or "watchdog"  # not yet set when the run stopped before it
        return ApplyResult(state, [error("Cluster change failed", detail)])

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

    def imported(self, id_: str, endpoint: str) -> list[Any]:
        name, endpoints = _import_id(id_)
        # Asked through the provider's endpoint, else through the first member the id names.
        endpoint = endpoint or next(iter(endpoints.values()), "") or self.provider.import_endpoint(f"a {self.name}")
        with self.provider.client({"import": endpoint}) as client:
            local = local_node(client, "import")
            release = cluster_release(client, "import")
        if local is None:
            return []
        probe = ClusterSpec(name, (MemberSpec(local, 1, (), endpoints.get(local, endpoint)),))
        with self.provider.client(probe.endpoints) as client:
            live = read_cluster(client, probe)
        if live.name != name:
            return []
        members = tuple(
            MemberSpec(m.name, m.node_id, m.links, endpoints.get(m.name) or (
                probe.members[0].endpoint if m.name == local else default_endpoint(live.addresses.get(m.name)
                                                                                   or m.links[0])), m.votes)
            for m in live.members.values())
        spec = ClusterSpec(name, members)
        # The QDevice configured is the one the adopted model sets up (its pvecdk_qdevice is imported beside).
        base: dict[str, Any] = {"name": name, "pve_version": release, "link": [], "member": {},
                                "qdevice": live.qdevice}
        state = _state(base, live, spec, links=len(live.link_priorities))
        if not any(p is not None for p in live.link_priorities.values()):
            # A totem without priorities: as on refresh, where the model's priorities then stand, the imported
            # links get the model's default (0), so an adopted model that sets none plans no change.
            state["link"] = [{"priority": 0} for _ in state["link"]]
        return [state]
