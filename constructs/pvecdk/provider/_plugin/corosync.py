"""``pvecdk_corosync_links``: the corosync links of a formed cluster, changed in ``corosync.conf`` over SSH.

``addresses`` gives each member's address per link (link0 first) and ``link_priorities`` each link's knet
priority. A plan marks an update on the first apply and when either differs from what the state recorded; it
refuses at once (from the configuration and the state, no connection) a change that leaves no link or changes
every recorded link at once. An apply reads the file on the first member that answers, refuses an unsafe
change (no quorum, a member offline, an address no interface carries, the file edited meanwhile), writes only
when the file differs, and waits until the API shows the links with quorum (see :mod:`pvecdk.engine.corosync`).

A refresh reads the links through the API (``/cluster/config/nodes``, ``/cluster/config/totem``: cheap, no SSH),
so an edit by hand shows as drift and the next apply puts the model's links back. ``pvecdk_cluster`` keeps the
members' addresses it was given while this resource carries them (``links_managed``), so the two never fight.
Destroying the resource leaves the links as they are: corosync keeps running on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pvecdk.engine.client import Client
from pvecdk.engine.corosync import MAX_LINKS, WantedLinks, apply_links, entry_links, read_status
from pvecdk.engine.shell import SshShell
from pvecdk.errors import ApiError, EngineError, UnreachableError
from pvecdk.provider._plugin._common import EngineResource, has_unknown
from pvecdk.provider._plugin.shell import (
    NODE_ATTRIBUTE,
    applied,
    apply_failed,
    host_key_errors,
    hosts,
    nodes,
    plan_host_keys,
)
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

__all__ = ["COROSYNC_LINKS_SCHEMA", "CorosyncLinksResource"]

COROSYNC_LINKS_SCHEMA = Schema(Block((
    Attribute("id", type=t.STRING, computed=True),
    Attribute("cluster_name", type=t.STRING, required=True),
    NODE_ATTRIBUTE,
    # Member -> its address on each link, link0 first.
    Attribute("addresses", type=t.Map(t.List(t.STRING)), required=True),
    Attribute("link_priorities", type=t.List(t.NUMBER), required=True),
    # totem.config_version after the last apply: a write bumps it by one.
    Attribute("config_version", type=t.NUMBER, computed=True),
)))


def _addresses(values: Mapping[str, Any] | None) -> dict[str, list[str]]:
    raw = (values or {}).get("addresses")
    return {str(k): [str(a) for a in v] for k, v in raw.items() if isinstance(v, list)} if isinstance(
        raw, dict) else {}


def _priorities(values: Mapping[str, Any] | None) -> list[int]:
    raw = (values or {}).get("link_priorities")
    return [int(p) for p in raw if isinstance(p, (int, float))] if isinstance(raw, list) else []


def _every_link_changes(prior: Mapping[str, Any], proposed: Mapping[str, Any]) -> bool:
    """Whether no link the state recorded keeps every common member's address."""
    before, after = _addresses(prior), _addresses(proposed)
    common = sorted(set(before) & set(after))
    count = min((len(before[n]) for n in common), default=0)
    if not common or not count:
        return False
    return not any(all(n < len(after[m]) and before[m][n] == after[m][n] for m in common) for n in range(count))


class CorosyncLinksResource(EngineResource, ResourceType):
    """``pvecdk_corosync_links``."""

    name = "pvecdk_corosync_links"
    schema = COROSYNC_LINKS_SCHEMA

    def _engine(self, values: Mapping[str, Any]) -> tuple[Client, list[str]]:
        members = nodes(values)
        return self.provider.client({n: str(m["endpoint"]) for n, m in members.items()}), sorted(members)

    def validate(self, config: Any) -> list[Diagnostic]:
        diags = host_key_errors(config)
        priorities = config.get("link_priorities")
        if isinstance(priorities, list) and not has_unknown(priorities):
            if not 1 <= len(priorities) <= MAX_LINKS:
                diags.append(error("Invalid number of corosync links", f"{len(priorities)} links: corosync needs "
                                   f"at least link0 and carries at most {MAX_LINKS} (link0 to link7)",
                                   ("link_priorities",)))
            for i, priority in enumerate(priorities):
                if isinstance(priority, (int, float)) and not 0 <= priority <= 255:
                    diags.append(error("Invalid link priority", f"link{i}: priority is 0 to 255, got {priority:g}",
                                       ("link_priorities", i)))
        addresses = config.get("addresses")
        members = config.get("node")
        if isinstance(addresses, dict) and isinstance(priorities, list) and not has_unknown(priorities):
            for name, row in addresses.items():
                if isinstance(row, list) and len(row) != len(priorities):
                    diags.append(error("Member addresses do not match the links", f"{name} has {len(row)} "
                                       f"addresses for {len(priorities)} corosync links: give one per link",
                                       ("addresses", ("key", name))))
        if isinstance(addresses, dict) and isinstance(members, dict) and not has_unknown(addresses) \
                and not has_unknown(members) and set(addresses) != set(members):
            diags.append(error("Members without SSH access or addresses", "addresses and node must list the "
                               f"same members; addresses: {sorted(addresses)}, node: {sorted(members)}",
                               ("addresses",)))
        return diags

    def plan(self, prior: Any, proposed: Any, config: Any, private: bytes) -> PlanResult:
        planned = dict(proposed)
        planned["id"] = proposed.get("cluster_name")
        unknown = any(has_unknown(proposed.get(k)) for k in ("node", "addresses", "link_priorities",
                                                              "cluster_name"))
        runs = (prior is None or unknown or set(nodes(prior)) != set(nodes(proposed))
                or any(prior.get(k) != proposed.get(k) for k in ("addresses", "link_priorities", "cluster_name")))
        if prior is not None and not unknown and _every_link_changes(prior, proposed):
            return PlanResult(planned, diagnostics=[error(
                "Unsafe corosync link change refused", "every link changes at once: if the new addresses do not "
                "connect, the members lose each other. Add the new addresses as another link first, apply, then "
                "remove the old link in a second apply.", ("addresses",))])
        planned["config_version"] = UNKNOWN if runs else prior.get("config_version")
        plan_host_keys(planned, prior, config, contacts=runs)
        return PlanResult(planned)

    def apply(self, prior: Any, planned: Any, config: Any, private: bytes) -> ApplyResult:
        if planned is None:
            return ApplyResult(None, [warning("Corosync links left as they are", "Terraform stops managing the "
                                              "links; corosync keeps running on them.")])
        client, order = self._engine(planned)
        shell: SshShell = self.provider.shell(hosts(planned))
        wanted = WantedLinks(_addresses(planned), _priorities(planned))
        try:
            with client, shell:
                result = apply_links(client, shell, order, wanted, cluster=str(planned["cluster_name"]))
        except EngineError as exc:
            return apply_failed(prior, shell, exc, refused="Corosync link change refused",
                                failed="Corosync links not changed",
                                rerun="it reads corosync.conf first and writes only what still differs.")
        return applied(planned, shell, {"config_version": float(result.version)})

    def read(self, current: Any, private: bytes) -> ReadResult:
        client, order = self._engine(current)
        try:
            with client:
                live = read_status(client, order)
                if live.answered_by is None:
                    return ReadResult(current, [warning("Cannot read the corosync links",
                                                        "no node of the list answers as a cluster member")])
                totem = client.get(live.answered_by, "/cluster/config/totem") or {}
                entries = client.get(live.answered_by, "/cluster/config/nodes") or []
        except (ApiError, UnreachableError) as exc:
            return ReadResult(current, [warning("Cannot read the corosync links", str(exc))])
        interfaces = totem.get("interface") or {}
        priorities = [float(interfaces.get(str(i), {}).get("knet_link_priority") or 0)
                      for i in range(max((int(k) + 1 for k in interfaces), default=0))]
        addresses = dict(_addresses(current))
        for entry in entries:
            name = str(entry.get("node") or entry.get("name"))
            if name in addresses:
                addresses[name] = entry_links(entry)
        version = totem.get("config_version")
        return ReadResult({**current, "addresses": addresses, "link_priorities": priorities,
                           "config_version": float(version) if version else current.get("config_version")})

    def import_state(self, id_: str) -> list[Any]:
        raise DiagnosticError(error(f"Cannot import {self.name} {id_!r}", "it holds no object of its own to adopt: "
                                    "apply it instead; an apply reads corosync.conf first and writes nothing when "
                                    "the links already are the model's"))
