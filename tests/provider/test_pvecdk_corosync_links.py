"""``pvecdk_corosync_links`` and ``pvecdk_cluster`` at their plan-time edges: what marks an update, what is
refused before anything connects, what a refresh reads (through the API: an edit by hand shows as drift), and
the membership accepting a links change only while this resource carries it, and never beside a join."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakepve import FakeCluster
from pvecdk.provider._plugin import PvecdkProvider
from pvecdk.tfplugin import UNKNOWN, ResourceType

TOKEN = "root@pam!pvecdk=11111111-2222-3333-4444-555555555555"
NODES = {f"pve{i}": (f"10.0.0.1{i}", f"10.1.0.1{i}") for i in (1, 2, 3, 4)}
MEMBERS = ("pve1", "pve2", "pve3")


@pytest.fixture
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=NODES, version="9.1", task_seconds=0.02) as cluster:
        cluster.form_cluster("lab", members=MEMBERS)
        yield cluster


@pytest.fixture
def provider(fake: FakeCluster) -> PvecdkProvider:
    p = PvecdkProvider(environ={"PROXMOX_VE_API_TOKEN": TOKEN, "PVECDK_CA_FILE": fake.ca_file})
    assert p.configure({}, "1.15.5") == []
    return p


def links(fake: FakeCluster, count: int, *, members: tuple[str, ...] = MEMBERS, **values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": None, "cluster_name": "lab", "config_version": None, "link_priorities": [0.0, 10.0][:count],
        "addresses": {n: list(NODES[n][:count]) for n in members},
        "node": {n: {"endpoint": fake.endpoint(n), "ssh_address": "127.0.0.1", "ssh_port": None, "host_key": None}
                 for n in members}}
    out.update(values)
    return out


def cluster(fake: FakeCluster, count: int, *, managed: bool | None, members: tuple[str, ...] = MEMBERS
            ) -> dict[str, Any]:
    return {"id": None, "name": "lab", "fencing": None, "pve_version": None, "quorate": None, "qdevice": None,
            "links_managed": managed, "link": [{"priority": p} for p in (0.0, 10.0)[:count]],
            "member": {n: {"node_id": float(n[-1]), "votes": None, "addresses": list(NODES[n][:count]),
                           "endpoint": fake.endpoint(n), "online": None} for n in members}}


def _errors(result: Any) -> list[str]:
    return [d.summary for d in result.diagnostics if d.severity == "error"]


def test_an_update_is_planned_on_the_first_apply_and_when_the_links_differ_from_the_state(
        fake: FakeCluster, provider: PvecdkProvider) -> None:
    res = provider.resources["pvecdk_corosync_links"]
    first = res.plan(None, links(fake, 1), links(fake, 1), b"")
    assert first.planned_state["config_version"] is UNKNOWN and first.planned_state["id"] == "lab"
    assert first.planned_state["node"]["pve2"]["host_key"] is UNKNOWN  # pinned on first contact
    state = {**links(fake, 1, config_version=3.0), "id": "lab"}
    state["node"]["pve2"]["host_key"] = "ssh-ed25519 AAAA"
    same = res.plan(state, links(fake, 1), links(fake, 1), b"").planned_state
    assert same["config_version"] == 3.0 and same["node"]["pve2"]["host_key"] == "ssh-ed25519 AAAA"
    for changed in (links(fake, 2), links(fake, 1, link_priorities=[5.0])):
        planned = res.plan(state, changed, changed, b"")
        assert planned.planned_state["config_version"] is UNKNOWN and _errors(planned) == []
    # Re-addressing the only link, even on one node, could cut that node off: refused (add a link first).
    moved = links(fake, 1, addresses={**links(fake, 1)["addresses"], "pve2": ["10.1.0.12"]})
    assert _errors(res.plan(state, moved, moved, b"")) == ["Unsafe corosync link change refused"]


def test_destroying_it_leaves_the_links_and_says_so(fake: FakeCluster, provider: PvecdkProvider) -> None:
    res = provider.resources["pvecdk_corosync_links"]
    result = res.apply(links(fake, 1, config_version=3.0), None, None, b"")
    assert result.new_state is None and [d.summary for d in result.diagnostics] == ["Corosync links left as they are"]
    assert fake.commands == []


def test_changing_every_recorded_link_at_once_is_refused_at_plan_time(
        fake: FakeCluster, provider: PvecdkProvider) -> None:
    res = provider.resources["pvecdk_corosync_links"]
    state = links(fake, 2, config_version=3.0)
    swapped = links(fake, 2, addresses={n: [a[1], a[0]] for n, a in state["addresses"].items()})
    assert _errors(res.plan(state, swapped, swapped, b"")) == ["Unsafe corosync link change refused"]
    # One node's link1 kept as it was is not enough: a link is kept only when every member keeps it.
    mixed = links(fake, 2, addresses={**swapped["addresses"], "pve1": state["addresses"]["pve1"]})
    assert _errors(res.plan(state, mixed, mixed, b"")) == ["Unsafe corosync link change refused"]
    link0_moved = links(fake, 2, addresses={n: ["10.2.0.1" + n[-1], a[1]] for n, a in state["addresses"].items()})
    assert _errors(res.plan(state, link0_moved, link0_moved, b"")) == []


@pytest.mark.parametrize(("values", "summary"), [
    ({"link_priorities": []}, "Invalid number of corosync links"),
    ({"link_priorities": [0.0] * 9}, "Invalid number of corosync links"),
    ({"link_priorities": [0.0, 256.0]}, "Invalid link priority"),
    ({"link_priorities": [0.0]}, "Member addresses do not match the links"),
])
def test_invalid_configurations(fake: FakeCluster, provider: PvecdkProvider, values: dict[str, Any],
                                summary: str) -> None:
    res = provider.resources["pvecdk_corosync_links"]
    assert summary in [d.summary for d in res.validate(links(fake, 2, **values))]
    assert res.validate(links(fake, 2)) == [] and res.validate(links(fake, 2, link_priorities=[0.0] * 8,
                                                                     addresses={})) != []


def test_members_without_ssh_access_are_invalid(fake: FakeCluster, provider: PvecdkProvider) -> None:
    res = provider.resources["pvecdk_corosync_links"]
    config = links(fake, 1, node={n: v for n, v in links(fake, 1)["node"].items() if n != "pve3"})
    assert [d.summary for d in res.validate(config)] == ["Members without SSH access or addresses"]


def test_a_refresh_reads_the_links_through_the_api(fake: FakeCluster, provider: PvecdkProvider) -> None:
    res = provider.resources["pvecdk_corosync_links"]
    state = links(fake, 2, config_version=9.0)
    read = res.read(state, b"")
    assert read.diagnostics == []
    # The cluster has link0 only, without a priority (knet's 0): that is what the state now says.
    assert read.new_state["addresses"] == {n: [NODES[n][0]] for n in MEMBERS}
    assert read.new_state["link_priorities"] == [0.0]
    assert read.new_state["config_version"] == float(fake.state.config_version or 0) > 0
    fake.set_offline("pve1")
    fake.set_offline("pve2")
    fake.set_offline("pve3")
    unread = res.read(state, b"")
    assert unread.new_state == state and [d.summary for d in unread.diagnostics] == [
        "Cannot read the corosync links"]


@pytest.mark.parametrize(("managed", "refused"), [(None, True), (False, True), (True, False)])
def test_the_membership_accepts_a_links_change_only_while_the_links_resource_carries_it(
        fake: FakeCluster, provider: PvecdkProvider, managed: bool | None, refused: bool) -> None:
    res: ResourceType = provider.resources["pvecdk_cluster"]
    prior = cluster(fake, 1, managed=managed)
    wanted = cluster(fake, 2, managed=managed)
    result = res.plan(prior, wanted, wanted, b"")
    assert set(_errors(result)) == ({"Unsafe cluster change refused"} if refused else set())
    if refused:  # one per member whose links change, each saying how to let the change through
        assert len(result.diagnostics) == 3 and all("manage_links()" in d.detail for d in result.diagnostics)
    else:  # no step for the membership: its state keeps the links given (see the apply below)
        assert result.planned_state["member"]["pve2"]["addresses"] == list(NODES["pve2"])
        state = res.apply(prior, result.planned_state, wanted, b"").new_state
        assert state["member"]["pve2"]["addresses"] == list(NODES["pve2"])
        assert res.read(state, b"").new_state["member"] == state["member"]  # no fight with the live links


@pytest.mark.parametrize("members", [(*MEMBERS, "pve4"), ("pve1", "pve2")])
def test_a_links_change_beside_a_join_or_removal_is_refused(
        fake: FakeCluster, provider: PvecdkProvider, members: tuple[str, ...]) -> None:
    res = provider.resources["pvecdk_cluster"]
    prior = cluster(fake, 1, managed=True)
    wanted = cluster(fake, 2, managed=True, members=members)
    result = res.plan(prior, wanted, wanted, b"")
    assert set(_errors(result)) == {"Unsafe cluster change refused"}
    assert any("links change in the same run as a join or removal" in d.detail for d in result.diagnostics)
    # The same join or removal with the links as they are passes the links check.
    same = res.plan(prior, cluster(fake, 1, managed=True, members=members), wanted, b"")
    assert not any("links change" in d.detail for d in same.diagnostics)
