"""The ``pvecdk/pvecdk`` Terraform provider: cluster membership through the engine, on :mod:`pvecdk.tfplugin`.

``pvecdk_cluster`` holds the cluster's name, corosync link priorities, fencing mode and members. Terraform
plans it like any resource: a refresh reads the membership the nodes report (so a node removed behind
Terraform's back shows as drift), a plan lists the joins and removals and refuses unsafe ones with a
diagnostic that says why, and an apply carries them out one at a time (see :mod:`pvecdk.engine.membership`).
Secrets (API token, passwords) come from the provider block or the environment, never from state.

Run as a plugin: ``python -m pvecdk.provider._plugin``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pvecdk.engine.client import Client, Credentials, TlsSettings
from pvecdk.engine.membership import (
    ClusterSpec,
    LiveCluster,
    MemberSpec,
    PlanRefused,
    apply_changes,
    plan_changes,
    read_cluster,
)
from pvecdk.errors import EngineError
from pvecdk.tfplugin import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    Block,
    Diagnostic,
    NestedBlock,
    Nesting,
    PlanResult,
    Provider,
    ReadResult,
    ResourceType,
    Schema,
    error,
    warning,
)
from pvecdk.tfplugin import types as t

__all__ = ["PROVIDER_SOURCE", "PROVIDER_VERSION", "ClusterResource", "PvecdkProvider", "main", "schema_json",
           "spec_from_config"]

PROVIDER_SOURCE = "pvecdk/pvecdk"
PROVIDER_VERSION = "0.1.0"

PROVIDER_SCHEMA = Schema(Block((
    Attribute("endpoint", type=t.STRING, optional=True),
    Attribute("api_token", type=t.STRING, optional=True, sensitive=True),
    Attribute("username", type=t.STRING, optional=True),
    Attribute("password", type=t.STRING, optional=True, sensitive=True),
    Attribute("join_password", type=t.STRING, optional=True, sensitive=True),
    Attribute("insecure", type=t.BOOL, optional=True),
    Attribute("ca_file", type=t.STRING, optional=True),
    Attribute("timeout_seconds", type=t.NUMBER, optional=True),
)))

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


def schema_json() -> dict[str, Any]:
    """The provider's schema in the shape of ``terraform providers schema -json`` (what the generator reads)."""
    return {
        "format_version": "1.0",
        "provider_source": f"registry.terraform.io/{PROVIDER_SOURCE}",
        "version": PROVIDER_VERSION,
        "provider": PROVIDER_SCHEMA.to_json(),
        "resource_schemas": {"pvecdk_cluster": CLUSTER_SCHEMA.to_json()},
        "data_source_schemas": {},
    }


# --------------------------------------------------------------------------------------------------- values


def spec_from_config(state: Mapping[str, Any]) -> ClusterSpec:
    """The engine's view of a ``pvecdk_cluster`` configuration or state."""
    return _spec(state)


def _spec(state: Mapping[str, Any]) -> ClusterSpec:
    members = tuple(
        MemberSpec(name=m["name"], node_id=int(m["node_id"]), votes=int(m.get("votes") or 1),
                   links=tuple(m.get("addresses") or ()), endpoint=m["endpoint"])
        for m in state.get("member") or []
    )
    priorities = tuple(int(link.get("priority") or 0) for link in state.get("link") or [])
    return ClusterSpec(name=state["name"], members=members, link_priorities=priorities, fencing=state.get("fencing"))


def _has_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return False


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


# --------------------------------------------------------------------------------------------------- types


class ClusterResource(ResourceType):
    """``pvecdk_cluster``."""

    name = "pvecdk_cluster"
    schema = CLUSTER_SCHEMA

    def __init__(self, provider: PvecdkProvider) -> None:
        self.provider = provider

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
        if _has_unknown(proposed.get("member")) or proposed.get("name") is UNKNOWN:
            planned["quorate"] = UNKNOWN
            return PlanResult(planned)
        replace: list[tuple[Any, ...]] = [("name",)] if prior is not None and prior.get("name") != proposed.get("name") else []
        spec = _spec(proposed)
        try:
            with self.provider.client(spec) as client:
                live = read_cluster(client, spec)
        except EngineError as exc:
            return PlanResult(planned, replace, [error("Cannot read the cluster", str(exc))])
        steps, problems = plan_changes(spec, live)
        if problems:
            return PlanResult(planned, replace, [
                error("Unsafe cluster change refused", p, ("member",)) for p in problems])
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
        spec = _spec(planned)
        try:
            with self.provider.client(spec) as client:
                live = apply_changes(client, spec, join_password=self.provider.join_password)
        except PlanRefused as exc:
            return ApplyResult(prior, [error("Unsafe cluster change refused", p) for p in exc.problems])
        except EngineError as exc:
            return ApplyResult(prior, [error("Cluster change failed", f"{exc}\nRun the apply again to continue "
                                                                     "from where the nodes are.")])
        return ApplyResult(_state(planned, live, spec))

    def read(self, current: Any, private: bytes) -> ReadResult:
        spec = _spec(current)
        try:
            with self.provider.client(spec) as client:
                live = read_cluster(client, spec)
        except EngineError as exc:
            return ReadResult(current, [warning("Cannot read the cluster", str(exc))])
        if live.name is None:
            if live.unreachable and not live.standalone:
                return ReadResult(current, [warning("Cluster unreachable", "No node answered: "
                                                    + "; ".join(f"{k}: {v}" for k, v in live.unreachable.items()))])
            return ReadResult(None)
        return ReadResult(_state(current, live, spec))

    def import_state(self, id_: str) -> list[Any]:
        endpoint = self.provider.endpoint
        if not endpoint:
            raise EngineError("importing a cluster needs the provider's endpoint (PROXMOX_VE_ENDPOINT)", node="-")
        with self.provider.client(ClusterSpec(id_, (MemberSpec("import", 1, (), endpoint),))) as client:
            status = client.get("import", "/cluster/status") or []
        local = next((e["name"] for e in status if e.get("type") == "node" and e.get("local")), None)
        if local is None:
            return []
        spec = ClusterSpec(id_, (MemberSpec(local, 1, (), endpoint),))
        with self.provider.client(spec) as client:
            live = read_cluster(client, spec)
        if live.name != id_:
            return []
        base: dict[str, Any] = {"name": id_, "fencing": None, "link": [], "member": []}
        return [_state(base, live, spec)]


class PvecdkProvider(Provider):
    """The ``pvecdk`` provider."""

    type_name = "pvecdk"
    schema = PROVIDER_SCHEMA

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._env = dict(os.environ if environ is None else environ)
        self.config: dict[str, Any] = {}
        self.resources = {"pvecdk_cluster": ClusterResource(self)}
        self.data_sources = {}

    def configure(self, config: Mapping[str, Any], terraform_version: str) -> list[Diagnostic]:
        self.config = {k: v for k, v in config.items() if v is not None and v is not UNKNOWN}
        if not self._credentials().usable:
            return [error("No credentials for Proxmox VE",
                          "Set api_token (or PROXMOX_VE_API_TOKEN), or username and password (or "
                          "PROXMOX_VE_USERNAME and PROXMOX_VE_PASSWORD).")]
        return []

    def _credentials(self) -> Credentials:
        token = self.config.get("api_token") or self._env.get("PROXMOX_VE_API_TOKEN")
        if token:
            return Credentials.from_token(token)
        return Credentials(username=self.config.get("username") or self._env.get("PROXMOX_VE_USERNAME"),
                           password=self.config.get("password") or self._env.get("PROXMOX_VE_PASSWORD"))

    @property
    def endpoint(self) -> str | None:
        value = self.config.get("endpoint") or self._env.get("PROXMOX_VE_ENDPOINT")
        return str(value) if value else None

    @property
    def join_password(self) -> str | None:
        value = self.config.get("join_password") or self._env.get("PVECDK_JOIN_PASSWORD")
        if not value and (self._credentials().username or "").endswith("@pam"):
            value = self._credentials().password
        return str(value) if value else None

    def client(self, spec: ClusterSpec) -> Client:
        insecure = self.config.get("insecure")
        if insecure is None:
            insecure = self._env.get("PROXMOX_VE_INSECURE", "").lower() in ("1", "true", "yes")
        tls = TlsSettings(ca_file=self.config.get("ca_file") or self._env.get("PVECDK_CA_FILE") or None,
                          insecure=bool(insecure))
        timeout = float(self.config.get("timeout_seconds") or self._env.get("PVECDK_TIMEOUT_SECONDS") or 10)
        return Client(spec.endpoints, self._credentials(), tls, timeout_seconds=timeout)


def main() -> int:
    from pvecdk.tfplugin.server import serve

    return serve(PvecdkProvider())
