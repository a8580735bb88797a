"""Day-0 checks of every node in the model, in parallel, before Terraform touches anything.

For each node: it answers; it runs the PVE release the model targets, like every other node; its clock is
within ``max_skew_seconds`` of this machine's; its membership is what the model expects (in the model's
cluster with the model's node id, or standalone and ready to join); and, once clustered, the cluster is
quorate.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pvecdk.engine.client import Client
from pvecdk.engine.membership import ClusterSpec, MemberSpec
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
          max_skew_seconds: float) -> NodeReport:
    report = NodeReport(member.name, [])
    add = report.checks.append
    try:
        version = client.get(member.name, "/version")
    except EngineError as exc:
        add(Check("reachable", False, str(exc)))
        return report
    report.version = str(version.get("version", ""))
    add(Check("reachable", True, member.endpoint))
    release = str(version.get("release") or ".".join(report.version.split(".")[:2]))
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
    return report


def preflight(client: Client, spec: ClusterSpec, *, pve_version: str | None = None,
              max_skew_seconds: float = 2.0) -> list[NodeReport]:
    """Check every node of ``spec`` in parallel; the reports come back in node-id order."""
    members = spec.ordered()
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(members)))) as pool:
        reports = list(pool.map(lambda m: _node(client, spec, m, pve_version, max_skew_seconds), members))
    versions = {r.version for r in reports if r.version}
    if len(versions) > 1:
        for r in reports:
            if r.version:
                r.checks.append(Check("same version", False, f"nodes run {', '.join(sorted(versions))}"))
    return reports
