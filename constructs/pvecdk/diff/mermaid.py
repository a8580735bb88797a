"""Mermaid pictures of a cluster's topology: nodes, corosync links and networks, storage, Ceph daemons and pools,
HA placement; with the parts a change adds, removes or changes marked against the other revision.

GitHub renders a ``mermaid`` code block in Markdown (a PR comment included). Guests not under HA and not
changed are counted per node rather than drawn, so a cluster of thousands of guests stays readable.
"""

from __future__ import annotations

import re

from pvecdk.diff.topology import Topology, quorum

__all__ = ["MAX_GUESTS", "topology_graph"]

#: Guests drawn one by one at most (HA or changed ones first); the others are counted on their node.
MAX_GUESTS = 30

_CLASSES = (
    "classDef added fill:#dafbe1,stroke:#1a7f37,stroke-width:2px",
    "classDef removed fill:#ffebe9,stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 3",
    "classDef changed fill:#fff8c5,stroke:#9a6700,stroke-width:2px",
)


def _id(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))


def _text(value: str) -> str:
    return value.replace('"', "#quot;")


class _Graph:
    def __init__(self, other: Topology | None, mark: str) -> None:
        self.other = other
        self.mark = mark  # what this side has that the other has not: added (after) or removed (before)
        self.lines: list[str] = []
        self.classes: dict[str, list[str]] = {}

    def node(self, ident: str, shape: tuple[str, str], label: str, state: str | None, indent: str = "  ") -> None:
        self.lines.append(f'{indent}{ident}{shape[0]}"{_text(label)}"{shape[1]}')
        if state:
            self.classes.setdefault(state, []).append(ident)

    def state(self, present_in_other: bool, changed: bool = False) -> str | None:
        if self.other is None:
            return None
        if not present_in_other:
            return self.mark
        return "changed" if changed else None


def topology_graph(topo: Topology, other: Topology | None = None, *, side: str = "after") -> str:
    """A Mermaid flowchart of ``topo``. With ``other`` (the other revision), parts only ``topo`` has are marked
    ``added`` (``side="after"``) or ``removed`` (``side="before"``), and parts both have but differ, ``changed``."""
    g = _Graph(other, "added" if side == "after" else "removed")
    o = other or Topology()
    g.lines.append("flowchart LR")
    total, needed, tolerated = quorum(topo.votes)
    title = f"{topo.cluster or 'cluster'}: {total} votes, quorum {needed}, tolerates {tolerated}"
    g.lines.append(f'  subgraph {_id("c", topo.cluster or "cluster")}["{_text(title)}"]')
    counted: dict[str, int] = {}
    drawn = _guests_to_draw(topo, o if other is not None else None)
    for guest in topo.guests.values():
        if guest.key not in drawn:
            counted[guest.node] = counted.get(guest.node, 0) + 1
    for name, member in sorted(topo.members.items()):
        extra = f"<br/>{counted[name]} more guests" if counted.get(name) else ""
        label = f"{name}<br/>{member.votes} vote{'s' if member.votes != 1 else ''}{extra}"
        was = o.members.get(name)
        state = g.state(was is not None, was is not None and was.votes != member.votes)
        g.node(_id("n", name), ("[", "]"), label, state, "    ")
    g.lines.append("  end")
    for name, cidr in sorted(topo.networks.items()):
        g.node(_id("net", name), ("([", "])"), f"{name} {cidr}", g.state(name in o.networks))
    for name, member in sorted(topo.members.items()):
        for i, address in enumerate(member.addresses):
            network = topo.network_of(address)
            if network is not None:
                kind = f"link{i}" if i < topo.links else "net"
                g.lines.append(f"  {_id('n', name)} ---|{kind}| {_id('net', network)}")
    if topo.monitors or topo.osds or topo.pools:
        g.node("ceph", ("{{", "}}"), f"Ceph: {len(topo.monitors)} mon, {len(topo.osds)} OSD", None)
    for node in sorted(topo.monitors):
        g.node(_id("mon", node), ("((", "))"), f"mon.{node}", g.state(node in o.monitors))
        g.lines.append(f"  {_id('n', node)} --- {_id('mon', node)} --- ceph")
        public = topo.network_of(topo.monitor_addresses.get(node, ""))
        if public is not None:
            g.lines.append(f"  {_id('mon', node)} -.- {_id('net', public)}")
    for key, osd in sorted(topo.osds.items()):
        g.node(_id("osd", key), ("[/", "/]"), f"OSD {osd.device}", g.state(key in o.osds))
        g.lines.append(f"  {_id('n', osd.node)} --- {_id('osd', key)} --- ceph")
    for name, pool in sorted(topo.pools.items()):
        was_pool = o.pools.get(name)
        g.node(_id("pool", name), ("[(", ")]"), f"pool {name}<br/>size {pool.size}, min_size {pool.min_size}",
               g.state(was_pool is not None, was_pool is not None and was_pool != pool))
        g.lines.append(f"  ceph --- {_id('pool', name)}")
    for sid, storage in sorted(topo.storages.items()):
        was_s = o.storages.get(sid)
        g.node(_id("s", sid), ("[(", ")]"), f"{sid}<br/>{storage.type}", g.state(
            was_s is not None, was_s is not None and (was_s.type, was_s.location) != (storage.type, storage.location)))
        backing = dict(storage.location).get("pool")
        if backing and backing in topo.pools:
            g.lines.append(f"  {_id('pool', backing)} --- {_id('s', sid)}")
    for key in sorted(drawn):
        guest = topo.guests[key]
        was_g = o.guests.get(key)
        ha = " (HA)" if key in topo.ha else ""
        g.node(_id("g", key), ("([", "])"), f"{guest.label}{ha}", g.state(
            was_g is not None, was_g is not None and (was_g.node != guest.node or (key in o.ha) != (key in topo.ha))))
        g.lines.append(f"  {_id('g', key)} {'==>' if ha else '-->'} {_id('n', guest.node)}")
        for sid in guest.storages:
            if sid in topo.storages:
                g.lines.append(f"  {_id('g', key)} -.- {_id('s', sid)}")
    if g.classes:
        g.lines += [f"  {line}" for line in _CLASSES]
        g.lines += [f"  class {','.join(ids)} {state}" for state, ids in sorted(g.classes.items())]
    return "\n".join(g.lines)


def _guests_to_draw(topo: Topology, other: Topology | None) -> set[str]:
    def changed(key: str) -> bool:
        if other is None:
            return False
        old = other.guests.get(key)
        return old is None or old.node != topo.guests[key].node or (key in other.ha) != (key in topo.ha)

    ranked = sorted(topo.guests, key=lambda k: (not changed(k), k not in topo.ha, k))
    return {k for k in ranked[:MAX_GUESTS] if changed(k) or k in topo.ha}
