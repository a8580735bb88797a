"""``pvecdk_ha_watchdog``: the watchdog module PVE's HA stack uses on each node (``WATCHDOG_MODULE=`` in
``/etc/default/pve-ha-manager``, over SSH: see :mod:`pvecdk.engine.watchdog`).

A plan marks an update when the module or the set of nodes changes, or on the first apply; an apply reads each
node's file and writes only where it differs, then warns that the nodes written need a reboot for the module to
take effect (nothing is rebooted or restarted). ``written`` records the nodes whose line this resource wrote:
taking the resource out of the model (or a node out of its map) removes the line again only there, so a line
someone else put in place stays. A refresh does not connect: an edit by hand shows at the next apply that runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pvecdk.engine.watchdog import MODULE_NAME, remove_watchdog_module, set_watchdog_module
from pvecdk.errors import EngineError
from pvecdk.provider._plugin._common import EngineResource, has_unknown
from pvecdk.provider._plugin.shell import (
    NODE_ATTRIBUTE,
    applied,
    apply_failed,
    host_key_errors,
    hosts,
    nodes,
    pin_warnings,
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
    ResourceType,
    Schema,
    error,
    warning,
)
from pvecdk.tfplugin import types as t

__all__ = ["HA_WATCHDOG_SCHEMA", "HaWatchdogResource"]

HA_WATCHDOG_SCHEMA = Schema(Block((
    Attribute("id", type=t.STRING, computed=True),
    NODE_ATTRIBUTE,
    Attribute("module", type=t.STRING, optional=True),  # unset: softdog, PVE's default
    Attribute("written", type=t.Map(t.BOOL), computed=True),
)))

_ID = "ha-watchdog"


def _reboot_warning(module: str | None, written: Sequence[str]) -> list[Diagnostic]:
    if not written:
        return []
    what = f"the {module} watchdog module" if module else "the default watchdog (softdog)"
    return [warning("Reboot needed for the HA watchdog module",
                    f"{', '.join(written)}: {what} is configured and takes effect when the node reboots (or when "
                    "watchdog-mux restarts while no HA resource is active on it). Nothing was restarted: migrate "
                    "the node's HA guests away and reboot it, one node at a time.")]


class HaWatchdogResource(EngineResource, ResourceType):
    """``pvecdk_ha_watchdog``."""

    name = "pvecdk_ha_watchdog"
    schema = HA_WATCHDOG_SCHEMA

    def validate(self, config: Any) -> list[Diagnostic]:
        diags = host_key_errors(config)
        module = config.get("module")
        if isinstance(module, str) and not MODULE_NAME.fullmatch(module):
            diags.append(error("Invalid watchdog module", f"module {module!r} is no kernel module name: give one "
                               "like ipmi_watchdog or iTCO_wdt (letters, digits, _ and -), or leave it unset for "
                               "softdog", ("module",)))
        return diags

    def plan(self, prior: Any, proposed: Any, config: Any, private: bytes) -> PlanResult:
        planned = dict(proposed)
        planned["id"] = _ID
        runs = (prior is None or has_unknown(proposed.get("node")) or has_unknown(proposed.get("module"))
                or prior.get("module") != proposed.get("module") or set(nodes(prior)) != set(nodes(proposed)))
        planned["written"] = UNKNOWN if runs else prior.get("written")
        plan_host_keys(planned, prior, config, contacts=runs)
        return PlanResult(planned)

    def apply(self, prior: Any, planned: Any, config: Any, private: bytes) -> ApplyResult:
        before: Mapping[str, Any] = (prior or {}).get("written") or {}
        values = {**(prior or {}), **(planned or {})}
        # Nodes that leave the map (or every node, on destroy) get the default back where this resource wrote.
        leaving = sorted(n for n in nodes(prior) if n not in nodes(planned) and before.get(n))
        shell = self.provider.shell({**hosts(prior or {}), **hosts(values)})
        try:
            with shell:
                restored = remove_watchdog_module(shell, leaving)
                if planned is None:
                    return ApplyResult(None, pin_warnings(shell) + _reboot_warning(None, restored))
                module = planned.get("module")
                wrote = set_watchdog_module(shell, sorted(nodes(planned)), module)
        except EngineError as exc:
            return apply_failed(prior, shell, exc, refused="HA watchdog module not configured",
                                failed="HA watchdog module not configured",
                                rerun="nodes already configured are not written again.")
        # A line this resource wrote stays its own while it names the module; the default has no line to own.
        written = {n: module is not None and (wrote[n] or bool(before.get(n))) for n in wrote}
        changed = sorted(n for n, w in wrote.items() if w)
        return applied(planned, shell, {"written": written},
                       _reboot_warning(module, changed) + _reboot_warning(None, restored))

    def import_state(self, id_: str) -> list[Any]:
        # Nothing to adopt: an apply reads each node's file first and writes none that already says so.
        raise DiagnosticError(error(f"Cannot import {self.name} {id_!r}", "it holds no object of its own to adopt: "
                                    "apply it instead; nodes whose file already names the module are read, not "
                                    "written, and keep their line when the resource is removed"))
