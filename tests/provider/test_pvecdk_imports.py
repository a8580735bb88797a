"""Importing ``pvecdk_guest_placement``, ``pvecdk_ceph_packages`` and ``pvecdk_qdevice`` (no Terraform) against the
fake cluster: their ids carry the arguments the cluster cannot report, the state records what it reports, and a
bad id is a diagnostic that shows the format."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakepve import FakeCluster
from pvecdk.provider._plugin import PvecdkProvider
from pvecdk.provider._plugin._common import settings_id, split_settings_id
from pvecdk.tfplugin import DiagnosticError, ResourceType

TOKEN = "root@pam!pvecdk=11111111-2222-3333-4444-555555555555"
ADDRESSES = {f"pve{i}": f"10.0.0.{10 + i}" for i in range(1, 5)}
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM4b+/x=y,z"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=ADDRESSES, version="9.1", token_id="root@pam!pvecdk",
                     token_secret="11111111-2222-3333-4444-555555555555", task_seconds=0.01) as cluster:
        cluster.form_cluster("lab", members=list(ADDRESSES))
        cluster.add_guest("pve2", 100, "qemu")
        cluster.add_guest("pve3", 200, "lxc")
        yield cluster


def resource(fake: FakeCluster, name: str, *, endpoint: bool = True) -> ResourceType:
    environ = {"PROXMOX_VE_API_TOKEN": TOKEN, "PVECDK_CA_FILE": str(fake.ca_file), "PVECDK_TIMEOUT_SECONDS": "5"}
    provider = PvecdkProvider(environ={**environ, **({"PROXMOX_VE_ENDPOINT": fake.endpoint("pve1")} if endpoint
                                                      else {})})
    assert provider.configure({}, "1.15.5") == []
    return provider.resources[name]


def members(fake: FakeCluster, **extra: Any) -> dict[str, dict[str, Any]]:
    return {n: {"endpoint": fake.endpoint(n), "ssh_address": f"192.168.1.{10 + i}", "ssh_port": None,
                "host_key": None, **extra} for i, n in enumerate(ADDRESSES, start=1)}


def test_a_settings_id_carries_any_value_and_reads_back() -> None:
    given = {"node": {"pve1": {"endpoint": "https://[fd00::1]:8006", "host_key": KEY, "ssh_port": 2222.0}},
             "release": "squid", "repository": None}
    ident = settings_id("ceph-packages", given)
    assert ident.startswith("ceph-packages,node.pve1.endpoint=https://[fd00::1]:8006,")
    assert "@https://" not in ident and " " not in ident
    assert split_settings_id(ident) == ("ceph-packages", {"node": {"pve1": {
        "endpoint": "https://[fd00::1]:8006", "host_key": KEY, "ssh_port": "2222"}}, "release": "squid"})
    with pytest.raises(ValueError, match="is not path=value"):
        split_settings_id("ceph-packages,release")


def test_a_guest_placement_imports_where_the_guest_runs(fake: FakeCluster) -> None:
    res = resource(fake, "pvecdk_guest_placement")
    endpoints = {n: fake.endpoint(n) for n in ADDRESSES}
    address = "proxmox_virtual_environment_container.dns1_96875882"
    (state,) = res.import_state(settings_id("lxc/200", {"endpoints": endpoints, "guest_address": address,
                                                        "timeout_seconds": 600.0}))
    assert state == {"id": "lxc/200", "vm_id": 200, "type": "lxc", "node_name": "pve3", "endpoints": endpoints,
                     "ha_managed": None, "timeout_seconds": 600.0, "guest_address": address}
    # Without settings: through the endpoint given, which is then the only one recorded.
    (bare,) = res.import_state(f"qemu/100@{fake.endpoint('pve1')}")
    assert (bare["node_name"], bare["endpoints"]) == ("pve2", {"pve1": fake.endpoint("pve1")})
    assert res.import_state("qemu/200") == [], "VMID 200 is a container"
    assert res.import_state("qemu/999") == []
    for bad in ("vm/100", "qemu/100,node=pve1", "qemu/100,endpoints"):
        with pytest.raises(DiagnosticError, match="qemu/<vmid> or lxc/<vmid>"):
            res.import_state(bad)


def test_ceph_packages_import_the_version_each_node_runs(fake: FakeCluster) -> None:
    res = resource(fake, "pvecdk_ceph_packages")
    fake.set_ceph_packages("pve4", None)
    try:
        nodes = members(fake)
        (state,) = res.import_state(settings_id("ceph-packages", {"node": nodes, "repository": "no-subscription"}))
        assert state == {"id": "ceph-packages", "node": nodes, "release": None, "repository": "no-subscription",
                         "installed": {"pve1": "19.2.3", "pve2": "19.2.3", "pve3": "19.2.3", "pve4": None}}
        # A node without Ceph plans an install.
        plan = res.plan(state, {**state, "installed": None}, {**state, "installed": None}, b"")
        assert plan.planned_state is not None and plan.planned_state["installed"] != state["installed"]
        # The release the nodes run is recorded: another one in the model shows as a change.
        fake.set_ceph_packages("pve4", "squid")
        for release, recorded in (("squid", "squid"), ("reef", "squid")):
            (state,) = res.import_state(settings_id("ceph-packages", {"node": nodes, "release": release}))
            assert state["release"] == recorded
    finally:
        fake.set_ceph_packages("pve4", "squid")
    keyed = members(fake, host_key=KEY, ssh_port=2222.0)
    (state,) = res.import_state(settings_id("ceph-packages", {"node": keyed}))
    assert state["node"] == keyed
    for bad in ("ceph-packages", "packages,node.pve1.endpoint=https://x,node.pve1.ssh_address=y",
                "ceph-packages,node.pve1.endpoint=https://x", "ceph-packages,node.pve1.endpoint=https://x,"
                "node.pve1.ssh_address=y,color=red"):
        with pytest.raises(DiagnosticError, match="Invalid import id"):
            res.import_state(bad)


def test_a_qdevice_imports_the_one_the_cluster_reports(fake: FakeCluster) -> None:
    res = resource(fake, "pvecdk_qdevice")
    nodes = members(fake)
    ident = settings_id("lab", {"node": nodes})
    assert res.import_state(ident) == [], "no QDevice configured"
    fake.set_inventory("/cluster/config/qdevice", {"QNetd host": "192.168.1.5:5403", "State": "Connected"})
    (state,) = res.import_state(ident)
    assert state == {"id": "lab", "cluster_name": "lab", "host": "192.168.1.5", "node": nodes, "state": "Connected"}
    # Imported without keys and already connected: the next plan contacts no node, so it pins none.
    plan = res.plan(state, state, state, b"")
    assert plan.planned_state == state and not plan.requires_replace
    assert res.import_state(settings_id("other", {"node": nodes})) == [], "another cluster's name"
    with pytest.raises(DiagnosticError, match="node.<name>.endpoint"):
        res.import_state("lab")


def test_ids_naming_their_endpoints_need_no_provider_endpoint(fake: FakeCluster) -> None:
    """The adopted module gives bpg/proxmox its endpoint; PROXMOX_VE_ENDPOINT may well be unset."""
    endpoints = {n: fake.endpoint(n) for n in ADDRESSES}
    placement = resource(fake, "pvecdk_guest_placement", endpoint=False)
    (state,) = placement.import_state(settings_id("qemu/100", {"endpoints": endpoints}))
    assert state["node_name"] == "pve2"
    with pytest.raises(DiagnosticError) as bare:
        placement.import_state("qemu/100")
    assert "PROXMOX_VE_ENDPOINT" in bare.value.diagnostics[0].detail
    cluster = resource(fake, "pvecdk_cluster", endpoint=False)
    (state,) = cluster.import_state("lab," + ",".join(f"{n}={u}" for n, u in endpoints.items()))
    assert sorted(state["member"]) == sorted(ADDRESSES)
    with pytest.raises(DiagnosticError) as named:
        cluster.import_state("lab")
    assert "PROXMOX_VE_ENDPOINT" in named.value.diagnostics[0].detail
    (packages,) = resource(fake, "pvecdk_ceph_packages", endpoint=False).import_state(
        settings_id("ceph-packages", {"node": members(fake)}))
    assert set(packages["installed"]) == set(ADDRESSES)
