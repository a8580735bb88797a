"""The HA watchdog module in the model: ``cluster.ha.use_watchdog(module)`` adds one ``pvecdk_ha_watchdog``
listing every node's SSH access (nodes added after the call included), after the membership; a bad module name
is refused before anything is synthesized."""

from __future__ import annotations

from typing import Any

import pytest
from pvecdk import Cluster, ConfigError, SshAccess
from pvecdk.diff.changes import group_of
from pvecdk.testing import resource, resources, stack, synth

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB5l7P+6iYSFKbqlHE3U5XWe1mFX1wCADVocTY0NHhyo"


def _cluster(nodes: int = 3) -> tuple[Any, Cluster]:
    scope = stack("lab")
    cluster = Cluster(scope, "Cluster", name="lab", management_network="192.168.1.0/24",
                      cluster_network="10.0.0.0/24")
    for i in range(1, nodes + 1):
        cluster.add_node(f"pve{i}", management_address=f"192.168.1.{10 + i}", management_interface="eno1",
                         cluster_address=f"10.0.0.{10 + i}", cluster_interface="eno2",
                         ssh=SshAccess(host_key=KEY, port=2222) if i == 1 else None)
    return scope, cluster


def test_use_watchdog_configures_every_node_after_the_membership() -> None:
    scope, cluster = _cluster(2)
    made = cluster.ha.use_watchdog("ipmi_watchdog")
    assert cluster.ha.watchdog is made
    # A node added after the call is configured too: the node map is rendered at synthesis.
    cluster.add_node("pve3", management_address="192.168.1.13", management_interface="eno1",
                     cluster_address="10.0.0.13", cluster_interface="eno2")
    synthesized = synth(scope)
    watchdog = resource(synthesized, "pvecdk_ha_watchdog")
    assert watchdog["module"] == "ipmi_watchdog"
    assert watchdog["node"] == {
        "pve1": {"endpoint": "https://192.168.1.11:8006", "ssh_address": "192.168.1.11", "ssh_port": 2222,
                 "host_key": KEY},
        "pve2": {"endpoint": "https://192.168.1.12:8006", "ssh_address": "192.168.1.12"},
        "pve3": {"endpoint": "https://192.168.1.13:8006", "ssh_address": "192.168.1.13"},
    }
    (after,) = watchdog["depends_on"]
    assert after.startswith("pvecdk_cluster.Cluster_Membership")
    assert "pvecdk" in synthesized["terraform"]["required_providers"]


def test_without_use_watchdog_no_resource() -> None:
    scope, cluster = _cluster()
    synthesized = synth(scope)
    assert resources(synthesized, "pvecdk_ha_watchdog") == [] and cluster.ha.watchdog is None


@pytest.mark.parametrize("module", ["ipmi watchdog", "iTCO_wdt;reboot", "", "a" * 56, "../softdog"])
def test_a_bad_module_name_is_a_config_error(module: str) -> None:
    scope, cluster = _cluster()
    with pytest.raises(ConfigError) as caught:
        cluster.ha.use_watchdog(module)
    (problem,) = caught.value.problems
    assert problem.path.endswith("Cluster/Ha/Watchdog") and problem.field == "module"
    assert "not a kernel module name" in problem.problem and "iTCO_wdt" in problem.fix
    assert problem.type == "pvecdk_ha_watchdog"
    assert cluster.ha.watchdog is None and resources(synth(scope), "pvecdk_ha_watchdog") == []


def test_the_longest_module_name_passes_and_a_second_choice_is_refused() -> None:
    _, cluster = _cluster()
    cluster.ha.use_watchdog("a" * 55)
    with pytest.raises(ConfigError) as caught:
        cluster.ha.use_watchdog("iTCO_wdt")
    (problem,) = caught.value.problems
    assert problem.field == "module" and "already chosen" in problem.problem


def test_a_change_of_it_is_grouped_with_ha_in_the_change_report() -> None:
    assert group_of("pvecdk_ha_watchdog") == "ha"
