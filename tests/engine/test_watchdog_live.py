"""``pvecdk_ha_watchdog`` against real sshds (one per fake node, ``cat`` and ``sh`` acting on the node's own
``/etc/default/pve-ha-manager``): the apply writes only where the line differs and keeps the file's other
lines, a rerun writes nothing, the destroy removes only the lines the resource wrote, and a bad module name is
refused before any node is contacted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakepve import FakeCluster
from pvecdk.engine.watchdog import configured_module, with_module
from pvecdk.provider._plugin import PvecdkProvider
from pvecdk.tfplugin import UNKNOWN, DiagnosticError
from sshd import PVE_HA_MANAGER_DEFAULT, Sshds

NODES = {"pve1": "10.0.0.11", "pve2": "10.0.0.12", "pve3": "10.0.0.13"}


@pytest.fixture
def sshds() -> Iterator[Sshds]:
    with FakeCluster(nodes=NODES, task_seconds=0.01) as fake, Sshds(fake, list(NODES)) as servers:
        yield servers


def _resource(sshds: Sshds) -> Any:
    return PvecdkProvider(environ=sshds.env()).resources["pvecdk_ha_watchdog"]


def _config(sshds: Sshds, module: str | None, nodes: tuple[str, ...] = ("pve1", "pve2", "pve3")) -> dict[str, Any]:
    return {"id": None, "module": module, "written": None,
            "node": {n: {"endpoint": f"https://{NODES[n]}:8006", "ssh_address": "127.0.0.1",
                         "ssh_port": float(sshds.nodes[n].port), "host_key": None} for n in nodes}}


def _apply(resource: Any, prior: Any, config: dict[str, Any] | None) -> Any:
    if config is None:
        return resource.apply(prior, None, None, b"")
    planned = resource.plan(prior, config, config, b"").planned_state
    return resource.apply(prior, planned, config, b"")


def _file(sshds: Sshds, node: str) -> str:
    return (sshds.nodes[node].etc_default / "pve-ha-manager").read_text()


def _writes(sshds: Sshds) -> dict[str, int]:
    return {n: s.sh_runs() for n, s in sshds.nodes.items()}


def _titles(result: Any) -> list[str]:
    return [d.summary for d in result.diagnostics]


def test_apply_writes_the_module_keeping_other_lines_and_warns_of_the_reboot(sshds: Sshds) -> None:
    # pve3 already names the module (set by hand): read, not written, and not this resource's to remove.
    (sshds.nodes["pve3"].etc_default / "pve-ha-manager").write_text(
        PVE_HA_MANAGER_DEFAULT + "WATCHDOG_MODULE=iTCO_wdt\n")
    resource = _resource(sshds)
    result = _apply(resource, None, _config(sshds, "iTCO_wdt"))
    assert not [d for d in result.diagnostics if d.severity.name == "ERROR"]
    for node in ("pve1", "pve2"):
        assert _file(sshds, node) == PVE_HA_MANAGER_DEFAULT + "WATCHDOG_MODULE=iTCO_wdt\n"
    assert _writes(sshds) == {"pve1": 1, "pve2": 1, "pve3": 0}
    state = result.new_state
    assert state["written"] == {"pve1": True, "pve2": True, "pve3": False}
    assert all(node["host_key"] == sshds.nodes[n].host_key for n, node in state["node"].items())
    (reboot,) = [d for d in result.diagnostics if d.summary == "Reboot needed for the HA watchdog module"]
    assert reboot.detail.startswith("pve1, pve2: the iTCO_wdt watchdog module") and "Nothing was restarted" in (
        reboot.detail)

    # Unchanged model: the plan has nothing to do; an apply run anyway (state lost) writes nothing.
    again = resource.plan(state, {**_config(sshds, "iTCO_wdt"), "node": state["node"]}, _config(sshds, "iTCO_wdt"),
                          b"").planned_state
    assert again["written"] == state["written"]
    rerun = _apply(resource, None, _config(sshds, "iTCO_wdt"))
    assert _writes(sshds) == {"pve1": 1, "pve2": 1, "pve3": 0}
    assert "Reboot needed for the HA watchdog module" not in _titles(rerun)

    # Destroy: only the lines this resource wrote go; comments stay; pve3's own line stays.
    gone = _apply(resource, state, None)
    assert gone.new_state is None
    assert _file(sshds, "pve1") == _file(sshds, "pve2") == PVE_HA_MANAGER_DEFAULT
    assert _file(sshds, "pve3") == PVE_HA_MANAGER_DEFAULT + "WATCHDOG_MODULE=iTCO_wdt\n"
    assert _writes(sshds) == {"pve1": 2, "pve2": 2, "pve3": 0}
    assert "Reboot needed for the HA watchdog module" in _titles(gone)


def test_a_module_change_rewrites_and_a_node_leaving_gets_the_default_back(sshds: Sshds) -> None:
    resource = _resource(sshds)
    first = _apply(resource, None, _config(sshds, "ipmi_watchdog", ("pve1", "pve2"))).new_state
    plan = resource.plan(first, _config(sshds, "iTCO_wdt", ("pve1",)), _config(sshds, "iTCO_wdt", ("pve1",)), b"")
    assert plan.planned_state["written"] is UNKNOWN
    second = resource.apply(first, plan.planned_state, _config(sshds, "iTCO_wdt", ("pve1",)), b"").new_state
    assert _file(sshds, "pve1") == PVE_HA_MANAGER_DEFAULT + "WATCHDOG_MODULE=iTCO_wdt\n"
    assert _file(sshds, "pve2") == PVE_HA_MANAGER_DEFAULT  # left the map: the line it wrote is gone
    assert second["written"] == {"pve1": True}
    assert _writes(sshds) == {"pve1": 2, "pve2": 2, "pve3": 0}


def test_a_bad_module_name_is_refused_before_any_node_is_contacted(sshds: Sshds) -> None:
    resource = _resource(sshds)
    (diag,) = resource.validate(_config(sshds, "iTCO_wdt; reboot"))
    assert diag.summary == "Invalid watchdog module" and "iTCO_wdt" in diag.detail
    assert resource.validate(_config(sshds, "ipmi_watchdog")) == []
    assert _writes(sshds) == {"pve1": 0, "pve2": 0, "pve3": 0}


def test_an_import_is_refused_with_what_to_do_instead(sshds: Sshds) -> None:
    with pytest.raises(DiagnosticError) as caught:
        _resource(sshds).import_state("ha-watchdog")
    (diag,) = caught.value.diagnostics
    assert "apply it instead" in diag.detail
    assert _writes(sshds) == {"pve1": 0, "pve2": 0, "pve3": 0}


def test_the_line_is_replaced_in_place_and_repeats_are_folded() -> None:
    text = "# keep\nWATCHDOG_MODULE=softdog\nOTHER=1\nexport WATCHDOG_MODULE='ipmi_watchdog'\n"
    assert configured_module(text) == "ipmi_watchdog"
    assert with_module(text, "iTCO_wdt") == "# keep\nWATCHDOG_MODULE=iTCO_wdt\nOTHER=1\n"
    assert with_module(text, None) == "# keep\nOTHER=1\n"
    assert with_module("", "iTCO_wdt") == "WATCHDOG_MODULE=iTCO_wdt\n" and with_module("", None) == ""
    assert configured_module("#WATCHDOG_MODULE=ipmi_watchdog\n") is None
