"""Cluster membership through the PVE API: read what the nodes say, plan the steps, carry them out safely.

The model (:class:`ClusterSpec`) says which nodes form the cluster. :func:`read_cluster` asks the nodes what
they form now; :func:`plan_changes` turns the difference into steps (create the cluster on the first node,
join each missing node, remove one departed node, set the fencing mode) and refuses what is unsafe:

* two removals at once (one node per run keeps quorum checkable between steps);
* removing a node that is still online (PVE requires it powered off first: once removed it must never come
  back with its old cluster configuration);
* removing a node that hosts guests or HA resources (migrate them first), or Ceph daemons or OSDs (destroy
  them first), or whose guests or Ceph daemons could not be read (nothing is removed on a guess);
* a removal after which the remaining online nodes would not be quorate;
* changing the id, votes or addresses of an existing member (PVE cannot; remove and rejoin it), unless the
  links are changed in corosync.conf by :mod:`pvecdk.engine.corosync` (``links_elsewhere``): then such a change
  is refused only beside a join or removal (one kind of change per run: a node joins with the links the cluster
  has, and quorum is checked between the two);
* any join or removal while the cluster has no quorum;
* any join or removal while a QDevice is configured (PVE refuses them: it is removed first, see
  :mod:`pvecdk.engine.qdevice`).

:func:`apply_changes` carries out one step at a time and reads the cluster again after each, so a run that
stopped half-way (a crash, a failed task) is simply continued by the next run: every step checks that it is
still needed. It never removes a node the model still lists, and never touches nodes outside the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pvecdk.engine.ceph import read_ceph
from pvecdk.engine.client import Client
from pvecdk.engine.qdevice import qnetd_host
from pvecdk.engine.steps import Action, Step
from pvecdk.errors import ApiError, EngineError, EngineProblem, PlanRefused, TaskError, UnreachableError

__all__ = [
    "Action",
    "ClusterSpec",
    "LiveCluster",
    "LiveMember",
    "MemberSpec",
    "PlanRefused",
    "Step",
    "apply_changes",
    "carried_addresses",
    "missing_addresses",
    "plan_changes",
    "read_cluster",
]


@dataclass(frozen=True)
class MemberSpec:
    """A node the model puts in the cluster.

    Attributes:
        name: Node name.
        node_id: Corosync node id.
        votes: Corosync votes.
        links: Its address on each corosync link, link0 first.
        endpoint: Its API URL (``https://10.0.0.11:8006``).
    """

    name: str
    node_id: int
    links: tuple[str, ...]
    endpoint: str
    votes: int = 1


@dataclass(frozen=True)
class ClusterSpec:
    """The cluster the model describes."""

    name: str
    members: tuple[MemberSpec, ...]
    link_priorities: tuple[int, ...] = ()
    fencing: str | None = None

    def member(self, name: str) -> MemberSpec | None:
        return next((m for m in self.members if m.name == name), None)

    @property
    def endpoints(self) -> dict[str, str]:
        return {m.name: m.endpoint for m in self.members}

    def ordered(self) -> list[MemberSpec]:
        return sorted(self.members, key=lambda m: m.node_id)


@dataclass(frozen=True)
class LiveMember:
    name: str
    node_id: int
    votes: int
    links: tuple[str, ...]
    online: bool


@dataclass
class LiveCluster:
    """What the nodes report."""

    name: str | None = None  # None: no node of the model is in a cluster
    members: dict[str, LiveMember] = field(default_factory=dict)
    quorate: bool = False
    standalone: set[str] = field(default_factory=set)
    unreachable: dict[str, str] = field(default_factory=dict)
    foreign: dict[str, str] = field(default_factory=dict)  # node -> the other cluster it is in
    fencing: str | None = None
    link_priorities: dict[int, int | None] = field(default_factory=dict)  # link number -> knet priority (None: unset)
    addresses: dict[str, str] = field(default_factory=dict)  # node -> the address /cluster/status reports
    guests: dict[str, list[str]] = field(default_factory=dict)  # node -> guest ids on it
    ha_nodes: dict[str, list[str]] = field(default_factory=dict)  # node -> HA resources placed on it
    ceph_daemons: dict[str, list[str]] = field(default_factory=dict)  # node -> Ceph daemons on it (mon.pve3, osd.4)
    #: Why the guests or Ceph daemons of the nodes could not be read (None: they were); a removal then waits.
    placement_unread: str | None = None
    answered_by: str | None = None  # the member whose view this is
    qdevice: str | None = None  # the qnetd host of a configured QDevice


# --------------------------------------------------------------------------------------------------- read


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def read_cluster(client: Client, spec: ClusterSpec) -> LiveCluster:
    """Ask every node of the model what it is part of; the first member that answers speaks for the cluster."""
    live = LiveCluster()
    views: dict[str, list[dict[str, Any]]] = {}
    for member in spec.ordered():
        try:
            views[member.name] = client.get(member.name, "/cluster/status") or []
        except UnreachableError as exc:
            live.unreachable[member.name] = exc.reason
        except ApiError as exc:
            if exc.status in (401, 403):
                raise  # the credentials, not the node: no plan can be made without them
            live.unreachable[member.name] = exc.message
    for name, status in views.items():
        cluster = next((e for e in status if e.get("type") == "cluster"), None)
        if cluster is None:
            live.standalone.add(name)
        elif cluster.get("name") != spec.name and live.name is None:
            live.foreign[name] = str(cluster.get("name"))
        elif live.name is None:
            live.name = str(cluster.get("name"))
            live.quorate = bool(_int(cluster.get("quorate")))
            live.answered_by = name
            online = {e.get("name"): bool(_int(e.get("online"))) for e in status if e.get("type") == "node"}
            live.addresses = {str(e["name"]): str(e["ip"]) for e in status if e.get("type") == "node" and e.get("ip")}
            for entry in client.get(name, "/cluster/config/nodes") or []:
                node = str(entry.get("node") or entry.get("name"))
                links = []
                for i in range(8):
                    address = entry.get(f"ring{i}_addr") or entry.get(f"link{i}")
                    if address is None:
                        break
                    links.append(str(address))
                live.members[node] = LiveMember(node, _int(entry.get("nodeid")), _int(entry.get("quorum_votes"), 1),
                                                tuple(links), online.get(node, False))
    for name in list(live.standalone):
        if name in live.members:  # a member that answered as standalone: removed behind our back
            live.standalone.discard(name)
    if live.answered_by is not None:
        _read_placement(client, live)
        _read_links(client, live)
        try:
            live.qdevice = qnetd_host(client.get(live.answered_by, "/cluster/config/qdevice"))
        except (ApiError, UnreachableError):
            pass  # unread, a join or removal still meets PVE's own refusal
        if any(spec.member(n) is None for n in live.members):  # a removal is coming: what still runs there
            _read_ceph_daemons(client, live)
    return live


def _read_ceph_daemons(client: Client, live: LiveCluster) -> None:
    """The Ceph monitors, managers, metadata servers and OSDs of each node, as the answering member lists them."""
    node = live.answered_by
    assert node is not None
    try:
        ceph = read_ceph(client, node)
    except EngineError as exc:
        live.placement_unread = f"its Ceph daemons could not be read: {exc}"
        return
    for kind, daemons in (("mon", ceph.monitors), ("mgr", ceph.managers), ("mds", ceph.mds)):
        for name, daemon in daemons.items():
            host = daemon.host or name  # PVE names monitors, managers and MDS after their node
            live.ceph_daemons.setdefault(host, []).append(f"{kind}.{name}")
    for osd_id, osd in sorted(ceph.osds.items()):
        if osd.host:
            live.ceph_daemons.setdefault(osd.host, []).append(f"osd.{osd_id}")


def _read_links(client: Client, live: LiveCluster) -> None:
    """The corosync links and their priorities, from the totem section of corosync.conf."""
    node = live.answered_by
    assert node is not None
    try:
        totem = client.get(node, "/cluster/config/totem") or {}
    except (ApiError, UnreachableError):
        return  # advisory, as placement is: the state keeps the model's priorities
    interfaces = totem.get("interface") or {}
    for number, iface in interfaces.items():
        priority = iface.get("knet_link_priority") if isinstance(iface, dict) else None
        live.link_priorities[_int(number)] = None if priority is None else _int(priority)


def _read_placement(client: Client, live: LiveCluster) -> None:
    node = live.answered_by
    assert node is not None
    try:
        for r in client.get(node, "/cluster/resources", type="vm") or []:
            live.guests.setdefault(str(r.get("node")), []).append(f"{r.get('type')}/{r.get('vmid')}")
        sids = [str(r.get("sid")) for r in client.get(node, "/cluster/ha/resources") or []]
        by_sid = {f"{kind}:{vmid}": host for host, ids in live.guests.items() for kind, vmid in
                  (("vm" if g.startswith("qemu") else "ct", g.split("/")[1]) for g in ids)}
        for sid in sids:
            if sid in by_sid:
                live.ha_nodes.setdefault(by_sid[sid], []).append(sid)
        live.fencing = (client.get(node, "/cluster/options") or {}).get("fencing")
    except (ApiError, UnreachableError) as exc:
        # Joins do not need it; a removal is refused while it is unknown (an empty list would read as "empty").
        live.placement_unread = f"its guests and HA resources could not be read: {exc}"


# --------------------------------------------------------------------------------------------------- plan


def plan_changes(spec: ClusterSpec, live: LiveCluster, *, links_elsewhere: bool = False
                 ) -> tuple[list[Step], list[EngineProblem]]:
    """The steps from ``live`` to ``spec``, and the reasons to refuse them (empty when safe).

    Args:
        links_elsewhere: The members' link addresses are changed by ``pvecdk_corosync_links`` (see
            :mod:`pvecdk.engine.corosync`): a change of them is no step here, and is refused only beside a join
            or removal.
    """
    problems: list[EngineProblem] = []
    steps: list[Step] = []
    for node, other in live.foreign.items():
        problems.append(EngineProblem(node, f"already in cluster {other!r}, not {spec.name!r}",
                                      "remove it from that cluster or from the model", "member"))
    if live.name is not None and live.name != spec.name:
        problems.append(EngineProblem(f"cluster {live.name}", f"the model names it {spec.name!r}, but PVE "
                                      "cannot rename a cluster", f"name it {live.name!r} in the model", "name"))
    ordered = spec.ordered()
    if live.name is None:
        first = ordered[0]
        if first.name in live.unreachable:
            problems.append(EngineProblem(first.name, f"cannot reach it to create the cluster: "
                                          f"{live.unreachable[first.name]}", "check its endpoint and that it is "
                                          "up", "member"))
        steps.append(Step(Action.CREATE, first.name, f"create cluster {spec.name} on {first.name}"))
        joining = ordered[1:]
    else:
        joining = [m for m in ordered if m.name not in live.members]
        if not live.quorate:
            problems.append(EngineProblem(f"cluster {live.name}", "has no quorum: no member can be added or "
                                          "removed", "bring enough nodes online until it is quorate again",
                                          "member"))
    for member in joining:
        if member.name in live.unreachable:
            problems.append(EngineProblem(member.name, f"cannot reach it to join it: "
                                          f"{live.unreachable[member.name]}", "check its endpoint and that it is "
                                          "up", "member"))
        steps.append(Step(Action.JOIN, member.name, f"join {member.name} (node id {member.node_id}) to {spec.name}"))
    removals = sorted(n for n in live.members if spec.member(n) is None)
    relinked = []
    for name, current in live.members.items():
        wanted = spec.member(name)
        if wanted is None:
            continue
        pairs = (("node_id", current.node_id, wanted.node_id), ("votes", current.votes, wanted.votes),
                 ("links", current.links, wanted.links))
        changed = [f for f, a, b in pairs if a != b]
        if links_elsewhere and "links" in changed:
            changed.remove("links")
            relinked.append(name)
        if changed:
            fix = "remove the node in one run and add it back in the next"
            if "links" in changed:
                fix = ("call manage_links() on the Cluster, so pvecdk_corosync_links changes the links in "
                       f"corosync.conf over SSH; or {fix}")
            problems.append(EngineProblem(name, f"{', '.join(changed)} of an existing member cannot change "
                                          "through the PVE API", fix, "member"))
    if relinked and live.name is not None and (joining or removals):
        problems.append(EngineProblem(", ".join(sorted(relinked)), "links change in the same run as a join or "
                                      "removal: a node joins with the links the cluster has, and quorum is "
                                      "checked between the two changes", "change the links in one apply and the "
                                      "membership in the next (either first)", "member"))
    if live.qdevice and live.name is not None and (joining or removals):
        problems.append(EngineProblem(f"cluster {live.name}", f"has a QDevice on {live.qdevice}, and PVE adds or "
                                      "removes nodes only without one", "model it (Cluster qdevice=...), so it is "
                                      "removed before the change and set up again after, or run `pvecm qdevice "
                                      "remove` first", "qdevice"))
    if len(removals) > 1:
        problems.append(EngineProblem(", ".join(removals), f"{len(removals)} removals at once",
                                      "remove one node per run so quorum can be checked between steps", "member"))
    for name in removals[:1]:
        if live.members[name].online:
            problems.append(EngineProblem(name, "is still online: PVE removes only a node that is powered off, "
                                          "which must never come back with its old cluster configuration",
                                          f"migrate its guests off, shut {name} down (it then shows offline in "
                                          "/cluster/status) and run again", "member"))
        if live.placement_unread is not None:
            problems.append(EngineProblem(name, f"cannot be checked for removal: {live.placement_unread}",
                                          "check that the cluster answers and run again", "member"))
        if live.guests.get(name):
            problems.append(EngineProblem(name, f"hosts guests ({', '.join(live.guests[name])})",
                                          "migrate them off before removing it", "member"))
        if live.ha_nodes.get(name):
            problems.append(EngineProblem(name, f"runs HA resources ({', '.join(live.ha_nodes[name])})",
                                          "move or remove them first", "member"))
        if live.ceph_daemons.get(name):
            problems.append(EngineProblem(name, f"runs Ceph daemons ({', '.join(live.ceph_daemons[name])})",
                                          "destroy them first: take its monitor, manager, metadata server and "
                                          "OSDs out of the model and apply that, then remove the node", "member"))
        remaining = [m for n, m in live.members.items() if n != name]
        expected = sum(m.votes for m in remaining)
        online = sum(m.votes for m in remaining if m.online)
        if expected == 0 or online < expected // 2 + 1:
            problems.append(EngineProblem(name, f"removing it leaves {online} of {expected} votes online, short "
                                          f"of quorum {expected // 2 + 1}", "bring nodes online first", "member"))
        steps.append(Step(Action.REMOVE, name, f"remove {name} from {spec.name}"))
    if spec.fencing is not None and spec.fencing != (live.fencing or "watchdog"):
        steps.append(Step(Action.OPTIONS, ordered[0].name, f"set fencing to {spec.fencing}"))
    return steps, problems


def carried_addresses(client: Client, node: str) -> set[str]:
    """The addresses the interfaces of ``node`` carry (``/nodes/{node}/network``), without prefix lengths."""
    rows = client.get(node, f"/nodes/{node}/network") or []
    return {str(r[key]).split("/")[0] for r in rows for key in ("address", "address6", "cidr", "cidr6") if r.get(key)}


def missing_addresses(client: Client, member: MemberSpec) -> list[str]:
    """The link addresses of ``member`` that no interface of the node carries, as ``link<N> <address>``."""
    carried = carried_addresses(client, member.name)
    return [f"link{i} {address}" for i, address in enumerate(member.links) if address not in carried]


# --------------------------------------------------------------------------------------------------- apply


def _link_params(spec: ClusterSpec, member: MemberSpec, *, with_priority: bool) -> dict[str, str]:
    params = {}
    for i, address in enumerate(member.links):
        priority = spec.link_priorities[i] if i < len(spec.link_priorities) else None
        params[f"link{i}"] = (f"address={address},priority={priority}" if with_priority and priority is not None
                              else address)
    return params


def apply_changes(
    client: Client,
    spec: ClusterSpec,
    *,
    join_password: str | None,
    links_elsewhere: bool = False,
    task_timeout_seconds: float = 600.0,
    quorum_timeout_seconds: float = 120.0,
    on_step: Callable[[Step], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> LiveCluster:
    """Bring the cluster to ``spec``, one step at a time; return what the nodes report at the end.

    Args:
        join_password: root@pam password of the cluster's members, which a join needs.
        links_elsewhere: See :func:`plan_changes`.
        on_step: Called after each step completes (progress reporting; tests inject crashes here).

    Raises:
        PlanRefused: the change is unsafe (nothing was done in this call).
        EngineError: a step failed; rerunning continues from where the nodes are.
    """
    for _ in range(2 * len(spec.members) + 4):
        live = read_cluster(client, spec)
        steps, problems = plan_changes(spec, live, links_elsewhere=links_elsewhere)
        waits = any(s.action is not Action.OPTIONS for s in steps)
        if problems and live.name is not None and not live.quorate and waits:
            live = _wait_quorate(client, spec, live, quorum_timeout_seconds, sleep)
            steps, problems = plan_changes(spec, live, links_elsewhere=links_elsewhere)
        if problems:
            raise PlanRefused(problems)
        if not steps:
            return live
        step = steps[0]
        _run(client, spec, live, step, join_password, task_timeout_seconds, quorum_timeout_seconds, sleep)
        if on_step is not None:
            on_step(step)
    raise EngineError("membership did not converge; run again to continue", node=spec.ordered()[0].name)


def _run(client: Client, spec: ClusterSpec, live: LiveCluster, step: Step, join_password: str | None,
         task_timeout: float, quorum_timeout: float, sleep: Callable[[float], None]) -> None:
    member = spec.member(step.node)
    if step.action in (Action.CREATE, Action.JOIN) and _await_running_tasks(client, step.node, task_timeout):
        return  # an earlier run's create or join was still running: read again, then plan from its outcome
    if step.action in (Action.CREATE, Action.JOIN):
        assert member is not None
        # corosync binds each link to its address: one the node lacks fails the join half-way.
        missing = missing_addresses(client, member)
        if missing:
            raise EngineError(f"{', '.join(missing)}: no interface of {member.name} carries this address; "
                              "configure the interface the model gives it (apply the node's network first), "
                              "then run again", node=member.name)
    if step.action is Action.CREATE:
        assert member is not None
        upid = client.post(member.name, "/cluster/config", clustername=spec.name, nodeid=member.node_id,
                           votes=member.votes, **_link_params(spec, member, with_priority=True))
        client.wait_task(member.name, str(upid), timeout_seconds=task_timeout)
        _wait_member(client, spec, member.name, member.name, quorum_timeout, sleep)
    elif step.action is Action.JOIN:
        assert member is not None
        if not join_password:
            raise EngineError("joining a node needs the root@pam password of the cluster: set "
                              "PVECDK_JOIN_PASSWORD (or the provider's join_password)", node=member.name)
        via = live.answered_by or spec.ordered()[0].name
        info = client.get(via, "/cluster/config/join", node=via)
        entry = next((n for n in info.get("nodelist", []) if n.get("name") == via), None)
        if entry is None:
            raise EngineError(f"{via} did not list itself in its join information", node=via)
        via_spec = spec.member(via)
        hostname = via_spec.links[0] if via_spec else str(entry.get("ring0_addr") or entry.get("pve_addr"))
        upid = client.post(member.name, "/cluster/config/join", hostname=hostname, fingerprint=entry["pve_fp"],
                           password=join_password, nodeid=member.node_id, votes=member.votes,
                           **_link_params(spec, member, with_priority=False))
        client.wait_task(member.name, str(upid), timeout_seconds=task_timeout)
        _wait_member(client, spec, via, member.name, quorum_timeout, sleep)
    elif step.action is Action.REMOVE:
        via = next(m.name for m in spec.ordered() if m.name in live.members and live.members[m.name].online)
        client.delete(via, f"/cluster/config/nodes/{step.node}")
        _wait_quorate(client, spec, read_cluster(client, spec), quorum_timeout, sleep)
    elif step.action is Action.OPTIONS:
        client.put(step.node, "/cluster/options", fencing=spec.fencing)


def _await_running_tasks(client: Client, node: str, timeout: float) -> bool:
    """Wait for a create or join task an earlier run left running on ``node``; whether there was one.

    A run that stopped waiting (its deadline passed, a crash) leaves the task running: the node is not in the
    cluster yet, so the plan says create or join again, and a second task would fail once the first is done.
    """
    running = [t for t in client.get(node, f"/nodes/{node}/tasks", source="active") or []
               if t.get("type") in ("clustercreate", "clusterjoin") and t.get("upid")]
    for task in running:
        try:
            client.wait_task(node, str(task["upid"]), timeout_seconds=timeout)
        except TaskError:
            pass  # a failed attempt changed nothing: the next plan makes it again
    return bool(running)


def _wait_member(client: Client, spec: ClusterSpec, via: str, name: str, timeout: float,
                 sleep: Callable[[float], None]) -> None:
    """After a create or join: wait until ``via`` sees ``name`` online and the cluster quorate."""
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(via, "/cluster/status") or []
        cluster: dict[str, Any] = next((e for e in status if e.get("type") == "cluster"), {})
        node: dict[str, Any] = next((e for e in status if e.get("type") == "node" and e.get("name") == name), {})
        if _int(cluster.get("quorate")) and _int(node.get("online")):
            return
        if time.monotonic() >= deadline:
            raise EngineError(f"{name} joined but {via} does not see it online in a quorate cluster after "
                              f"{timeout:g} s; check corosync on the link networks", node=name)
        sleep(0.2)


def _wait_quorate(client: Client, spec: ClusterSpec, live: LiveCluster, timeout: float,
                  sleep: Callable[[float], None]) -> LiveCluster:
    deadline = time.monotonic() + timeout
    while not live.quorate:
        if time.monotonic() >= deadline:
            raise EngineError(f"cluster {spec.name} has had no quorum for {timeout:g} s; nothing was changed. "
                              "Bring enough nodes online (or check corosync) and run again",
                              node=live.answered_by or "-")
        sleep(0.5)
        live = read_cluster(client, spec)
    return live
