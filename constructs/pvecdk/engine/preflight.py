"""Day-0 checks of every node in the model, in parallel, before Terraform touches anything.

For each node: it answers; it runs the PVE release the model targets, like every other node; its clock is
within ``max_skew_seconds`` of this machine's; each of its corosync link addresses is configured on one of
its interfaces (``/nodes/{node}/network``); its membership is what the model expects (in the model's
cluster with the model's node id, or standalone and ready to join); and, once clustered, the cluster is
quorate. Where the model has them: the storage definitions it names are active on the node (or not defined
yet), and Ceph, once initialised, reports its health (``HEALTH_ERR`` fails; a warning passes with its checks).
The QDevice (``/cluster/config/qdevice``), once the cluster is formed: the one the model sets up, connected (or
not set up yet: the apply will); none when the model has none, as a vote the model does not count would be.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pvecdk.engine.ceph import read_ceph
from pvecdk.engine.client import Client
from pvecdk.engine.membership import ClusterSpec, MemberSpec, missing_addresses
from pvecdk.engine.qdevice import qnetd_host
from pvecdk.engine.storage import release_of
from pvecdk.errors import EngineError

__all__ = ["Check", "NodeReport", "preflight"]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class NodeReport:
    node: str
    checks: list[Check]
    version: str | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _node(client: Client, spec: ClusterSpec, member: MemberSpec, pve_version: str | None,
          max_skew_seconds: float, storages: Sequence[str] = ()) -> NodeReport:
    report = NodeReport(member.name, [])
    add = report.checks.append
    try:
        version = client.get(member.name, "/version")
    except EngineError as exc:
        add(Check("reachable", False, str(exc)))
        return report
    report.version = str(version.get("version", ""))
    add(Check("reachable", True, member.endpoint))
    release = release_of(version)
    if pve_version is not None:
        add(Check("version", release == pve_version,
                  f"PVE {report.version}" + ("" if release == pve_version else f", the model targets {pve_version}")))
    try:
        clock = client.get(member.name, f"/nodes/{member.name}/time")
        skew = abs(float(clock.get("time", 0)) - time.time())
        add(Check("clock", skew <= max_skew_seconds, f"{skew:.1f} s off (limit {max_skew_seconds:g} s)"))
        status = client.get(member.name, "/cluster/status") or []
    except EngineError as exc:
        add(Check("clock", False, str(exc)))
        return report
    add(_address_check(client, member))
    cluster = next((e for e in status if e.get("type") == "cluster"), None)
    me: dict[str, Any] = next((e for e in status if e.get("type") == "node" and e.get("name") == member.name), {})
    if cluster is None:
        add(Check("membership", True, f"standalone: will join {spec.name}"))
    elif cluster.get("name") != spec.name:
        add(Check("membership", False, f"in cluster {cluster.get('name')!r}, the model says {spec.name!r}"))
    else:
        nodeid = int(me.get("nodeid") or 0)
        add(Check("membership", nodeid == member.node_id,
                  f"member of {spec.name}, node id {nodeid}" + ("" if nodeid == member.node_id
                                                                  else f", the model says {member.node_id}")))
        add(Check("quorum", bool(int(cluster.get("quorate") or 0)),
                  "quorate" if int(cluster.get("quorate") or 0) else "no quorum"))
    if storages:
        add(_storage_check(client, member.name, storages))
    return report


def _address_check(client: Client, member: MemberSpec) -> Check:
    """Every corosync link address of ``member`` is on one of its interfaces, before it is used."""
    try:
        missing = missing_addresses(client, member)
    except EngineError as exc:
        return Check("addresses", False, str(exc))
    if missing:
        return Check("addresses", False, f"not on any interface: {', '.join(missing)}; configure the node's "
                     "network first")
    return Check("addresses", True, ", ".join(member.links))


def _storage_check(client: Client, node: str, storages: Sequence[str]) -> Check:
    """The modelled storages on ``node``: active ones pass, missing ones will be added; inactive ones fail."""
    try:
        rows = {str(r.get("storage")): r for r in client.get(node, f"/nodes/{node}/storage") or []}
    except EngineError as exc:
        return Check("storage", False, str(exc))
    inactive, fine = [], []
    for sid in sorted(storages):
        row = rows.get(sid)
        if row is None:
            fine.append(f"{sid} to be added")
        elif not int(row.get("enabled", 1) or 0):
            fine.append(f"{sid} not on this node")
        elif int(row.get("active", 0) or 0):
            fine.append(f"{sid} active")
        else:
            inactive.append(f"{sid} inactive (PVE cannot reach or mount it)")
    return Check("storage", not inactive, ", ".join(inactive + fine))


def _ceph_check(client: Client, node: str) -> Check:
    try:
        if not read_ceph(client, node, parts=frozenset()).initialised:
            return Check("ceph", True, "not initialised yet: the apply will")
        health = (client.get(node, "/cluster/ceph/status") or {}).get("health") or {}
    except EngineError as exc:
        return Check("ceph", False, str(exc))
    status = str(health.get("status", "unknown"))
    checks = health.get("checks") or {}
    detail = "; ".join(f"{name}: {(c.get('summary') or {}).get('message', '')}" for name, c in sorted(checks.items()))
    return Check("ceph", status in ("HEALTH_OK", "HEALTH_WARN"), status + (f" ({detail})" if detail else ""))


def _qdevice_check(client: Client, node: str, wanted: str | None) -> Check:
    try:
        status = client.get(node, "/cluster/config/qdevice") or {}
    except EngineError as exc:
        return Check("qdevice", False, str(exc))
    host = qnetd_host(status)
    state = str(status.get("State") or "no state")
    if wanted is None:
        return Check("qdevice", host is None, "none" if host is None else f"a QDevice on {host} ({state}) that the "
                     "model does not have: add it to the model (qdevice=QDevice(address=...)) or remove it")
    if host is None:
        return Check("qdevice", True, f"not set up yet on {wanted}: the apply will")
    if host != wanted:
        return Check("qdevice", False, f"on {host}, the model says {wanted}")
    return Check("qdevice", state == "Connected", f"on {host}: {state}")


def preflight(client: Client, spec: ClusterSpec, *, pve_version: str | None = None,
              max_skew_seconds: float = 2.0, ceph: bool = False, storages: Sequence[str] = (),
              qdevice: str | None = None) -> list[NodeReport]:
    """Check every node of ``spec`` in parallel; the reports come back in node-id order.

    Args:
        ceph: The model has Ceph: its health is checked once, through the first quorate member.
        storages: Storage ids the model defines, checked on every node.
        qdevice: The qnetd host of the QDevice the model sets up (None: none); checked once, through the first
            quorate member.
    """
    members = spec.ordered()
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(members)))) as pool:
        reports = list(pool.map(lambda m: _node(client, spec, m, pve_version, max_skew_seconds, storages),
                                members))
    speaker = next((r for r in reports if any(c.name == "quorum" and c.ok for c in r.checks)), None)
    if speaker is not None:
        speaker.checks.append(_qdevice_check(client, speaker.node, qdevice))
        if ceph:
            speaker.checks.append(_ceph_check(client, speaker.node))
    versions = {r.version for r in reports if r.version}
    if len(versions) > 1:
        for r in reports:
            if r.version:
                r.checks.append(Check("same version", False, f"nodes run {', '.join(sorted(versions))}"))
    return reports
