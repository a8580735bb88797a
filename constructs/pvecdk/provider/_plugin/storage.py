"""``pvecdk_storage``: storage definitions of the types bpg/proxmox lacks (rbd, cephfs, iscsi, iscsidirect,
zfs over iSCSI, glusterfs), through ``/storage``.

A plan checks the options against the cluster's release (``data/storage-type-options.json``), marks the
fixed ones for replacement, and refuses a removal or replacement unless ``allow_destroy`` is true; an apply
creates, updates or removes the definition (``POST``/``PUT``/``DELETE /storage``), adopting one that an
interrupted apply already created. A refresh reports options changed behind Terraform's back. The keyring is
sent, marked sensitive in state, and never read back or shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from pvecdk.engine.client import Client
from pvecdk.engine.storage import (
    LiveStorage,
    StorageSpec,
    apply_storage,
    check_storage,
    cluster_release,
    fixed_options,
    plan_storage,
    read_storage,
    removal_refused,
    same_value,
)
from pvecdk.errors import EngineError, EngineProblem, PlanRefused
from pvecdk.provider._plugin._common import (
    REPLACE_NEEDS_STATE,
    EngineResource,
    destroy_allowed,
    has_unknown,
    known,
    problem_diagnostics,
)
from pvecdk.tfplugin import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    Block,
    Diagnostic,
    PlanResult,
    ReadResult,
    ResourceType,
    Schema,
    error,
    warning,
)
from pvecdk.tfplugin import types as t

__all__ = ["STORAGE_SCHEMA", "StorageResource", "spec_from_values"]

STORAGE_SCHEMA = Schema(Block((
    Attribute("id", type=t.STRING, required=True),
    Attribute("type", type=t.STRING, required=True),
    Attribute("endpoint", type=t.STRING, required=True),
    # Optional and computed: unset, PVE's default content for the type is read back and left alone.
    Attribute("content", type=t.Set(t.STRING), optional=True, computed=True),
    Attribute("nodes", type=t.Set(t.STRING), optional=True),
    Attribute("disable", type=t.BOOL, optional=True),
    Attribute("options", type=t.Map(t.STRING), optional=True),
    Attribute("keyring", type=t.STRING, optional=True, sensitive=True),
    # Optional and computed: unset, false (and an import records false).
    Attribute("allow_destroy", type=t.BOOL, optional=True, computed=True),
    # The cluster's PVE release (8.4, 9.1) when the model knows it: validation then checks the options
    # against that release's table (GlusterFS is gone in 9). Unset, the release the cluster runs is read back.
    Attribute("pve_version", type=t.STRING, optional=True, computed=True),
    Attribute("shared", type=t.BOOL, computed=True),
)))


def _set(value: Any) -> frozenset[str] | None:
    """A known set of strings; None when unset or not known yet (then the engine leaves it alone)."""
    return None if value is None or has_unknown(value) else frozenset(str(v) for v in value)


def spec_from_values(values: Mapping[str, Any]) -> StorageSpec:
    """The engine's view of a ``pvecdk_storage`` configuration, plan or state (known values only)."""
    options = values.get("options") or {}
    return StorageSpec(
        id=str(values["id"]), type=str(values["type"]), content=_set(values.get("content")),
        nodes=_set(values.get("nodes")), disable=values.get("disable"),
        options={str(k): str(v) for k, v in options.items()}, keyring=values.get("keyring"),
    )


def _label(endpoint: str) -> str:
    """How messages name the node behind ``endpoint`` (its host; the port when not PVE's 8006)."""
    url = urlsplit(endpoint)
    host = url.hostname or endpoint
    return host if url.port in (None, 8006) else f"{host}:{url.port}"


def _problem_diags(problems: Iterable[EngineProblem]) -> list[Diagnostic]:
    return problem_diagnostics("Invalid storage definition", problems)


class StorageResource(EngineResource, ResourceType):
    """``pvecdk_storage``."""

    name = "pvecdk_storage"
    schema = STORAGE_SCHEMA

    def _client(self, endpoint: str) -> tuple[Client, str]:
        label = _label(endpoint)
        return self.provider.client({label: endpoint}), label

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        if has_unknown({k: config.get(k) for k in ("id", "type", "options", "content")}):
            return []
        release = config.get("pve_version") if known(config.get("pve_version")) else None
        return _problem_diags(check_storage(spec_from_values(config), release))

    def plan(self, prior: Any, proposed: Any, config: Any, private: bytes) -> PlanResult:
        planned = dict(proposed)
        planned["shared"] = UNKNOWN if prior is None else prior.get("shared")
        if planned.get("content") is None:
            planned["content"] = UNKNOWN  # created with PVE's default content, read back after the apply
        if planned.get("allow_destroy") is None:
            planned["allow_destroy"] = False
        if (config or {}).get("pve_version") is None:
            planned["pve_version"] = UNKNOWN if prior is None else prior.get("pve_version")
        if has_unknown({k: proposed.get(k) for k in ("id", "type", "endpoint", "options")}):
            return PlanResult(planned)
        replace: list[tuple[Any, ...]] = []
        if prior is not None:
            replace += [(k,) for k in ("id", "type") if prior.get(k) != proposed.get(k)]
            before, after = prior.get("options") or {}, proposed.get("options") or {}
            replace += [("options", ("key", k)) for k in sorted(fixed_options(str(proposed["type"])))
                        if not same_value(k, before.get(k), after.get(k))]
        if replace:
            planned["shared"] = UNKNOWN
        spec = spec_from_values(proposed)
        client, label = self._client(str(proposed["endpoint"]))
        try:
            with client:
                release = cluster_release(client, label)
                live = read_storage(client, label, spec.id)
        except EngineError as exc:
            return PlanResult(planned, replace, [error("Cannot read the storage", str(exc))])
        if planned.get("pve_version") is UNKNOWN and release:
            planned["pve_version"] = release
        diags: list[Diagnostic] = []
        if replace and not destroy_allowed(prior):
            changed = ", ".join(str(r[-1][1]) if isinstance(r[-1], tuple) else str(r[-1]) for r in replace)
            diags.append(error("Storage replacement refused",
                               f"changing {changed} replaces storage {prior.get('id')}: it is removed and added "
                               f"again, and guests lose access to its disks meanwhile; {REPLACE_NEEDS_STATE}, or "
                               "put the old value back"))
        if prior is not None and prior.get("id") != spec.id and live is not None:
            diags.append(error("Storage id taken", f"storage {spec.id} exists already ({live.type}); choose another "
                               f"id, or import it (terraform import <address> {spec.id})", ("id",)))
        previous = spec_from_values(prior) if prior is not None and not replace else None
        if prior is None and live is not None and live.type == spec.type:
            previous = spec  # adopted: an earlier apply created it and stopped before saving the state
            diags.append(warning(f"Storage {spec.id} exists already", f"PVE has a {live.type} storage {spec.id}; "
                                 "the apply adopts it and sets the options the model gives. Import it instead "
                                 f"(terraform import <address> {spec.id}) to see its current options first."))
        plan = plan_storage(spec.id, spec, None if replace else live, previous=previous, release=release)
        diags += _problem_diags(plan.refused)
        return PlanResult(planned, replace, diags)

    def plan_destroy(self, prior: Any, private: bytes) -> PlanResult:
        if not destroy_allowed(prior):
            return PlanResult(None, diagnostics=[error("Storage removal refused", str(removal_refused(str(prior.get("id")))))])
        return PlanResult(None)

    def apply(self, prior: Any, planned: Any, config: Any, private: bytes) -> ApplyResult:
        values = planned if planned is not None else prior
        spec = spec_from_values(planned) if planned is not None else None
        previous = spec_from_values(prior) if prior is not None else None
        keyring_changed = planned is not None and (prior is None or prior.get("keyring") != planned.get("keyring"))
        client, label = self._client(str(values["endpoint"]))
        try:
            with client:
                live = apply_storage(client, label, str(values["id"]), spec, previous=previous,
                                     allow_destroy=destroy_allowed(prior, planned), keyring_changed=keyring_changed)
                if planned is not None and planned.get("pve_version") is UNKNOWN:
                    planned = {**planned, "pve_version": cluster_release(client, label)}
        except PlanRefused as exc:
            return ApplyResult(prior, _problem_diags(exc.problems))
        except EngineError as exc:
            return ApplyResult(prior, [error("Storage change failed", f"{exc}\nRun the apply again to continue.")])
        if planned is None:
            return ApplyResult(None)
        if live is None:
            return ApplyResult(prior, [error("Storage not found after creating it",
                                             f"{label} does not list storage {values['id']}; run the apply again.")])
        # What was planned and known stands (Terraform holds the provider to it); a refresh reports drift.
        return ApplyResult({**_state(planned, live), **{k: v for k, v in planned.items() if v is not UNKNOWN}})

    def read(self, current: Any, private: bytes) -> ReadResult:
        client, label = self._client(str(current["endpoint"]))
        try:
            with client:
                live = read_storage(client, label, str(current["id"]))
        except EngineError as exc:
            return ReadResult(current, [warning("Cannot read the storage", str(exc))])
        return ReadResult(None if live is None else _state(current, live))

    def imported(self, id_: str, endpoint: str) -> list[Any]:
        client, label = self._client(endpoint)
        with client:
            live = read_storage(client, label, id_)
            release = cluster_release(client, label) if live is not None else None
        if live is None:
            return []
        base: dict[str, Any] = {a.name: None for a in self.schema.block.attributes}
        base.update(pve_version=release, allow_destroy=False)  # the release asked; an import allows no destroy
        # PVE's own default (a CephFS mount point) is no option the configuration sets.
        options = {k: v for k, v in live.options.items() if not (k == "path" and v == f"/mnt/pve/{id_}")}
        base.update(id=id_, type=live.type, endpoint=endpoint, options=options or None,
                    content=sorted(live.content) if live.content is not None else None,
                    nodes=sorted(live.nodes) if live.nodes else None, disable=True if live.disable else None)
        return [_state(base, live)]


def _state(base: Mapping[str, Any], live: LiveStorage) -> dict[str, Any]:
    """The state from what PVE reports, for what the model manages; the model's spelling when it means the same."""
    options = {}
    for name, value in (base.get("options") or {}).items():
        current = live.options.get(name)
        if current is not None:
            options[name] = value if same_value(name, value, current) else current
    state = {**base, "type": live.type, "shared": live.shared, "options": options if base.get("options") is not None
             else None}
    if base.get("content") is UNKNOWN:
        state["content"] = sorted(live.content) if live.content is not None else None
    for name, reported in (("content", live.content), ("nodes", live.nodes)):
        wanted = base.get(name)
        if wanted is not None and wanted is not UNKNOWN:
            state[name] = sorted(reported) if reported is not None and frozenset(wanted) != reported else wanted
    if base.get("disable") is not None:
        state["disable"] = live.disable
    return state
