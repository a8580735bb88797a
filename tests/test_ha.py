"""HA: groups on PVE 8, rules on PVE 9, from the same calls; the rules HA must follow."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest
from built_stacks import BUILT_STACKS
from conftest import normalise
from lab import lab, only, policy_errors, resources
from pvecdk import CloudInit, ConfigError, Container, Disk, Ha, HaOptions, NetworkInterface, Vm


def _vm(lab_: Any, vm_id: int, node: int = 0, **kwargs: Any) -> Vm:
    kwargs.setdefault("disks", [Disk(lab_.rbd)])
    return Vm(lab_.stack, f"vm{vm_id}", node=lab_.nodes[node], vm_id=vm_id, **kwargs)


# ----------------------------------------------------------------------------------------------- PVE 8 and 9


def test_pve8_preferences_become_a_shared_group() -> None:
    lab8 = lab(pve_version="8.4")
    a, b = _vm(lab8, 100), _vm(lab8, 101, node=1)
    pve1, pve2 = lab8.nodes[0], lab8.nodes[1]
    ha_a = lab8.cluster.ha.protect(a, max_restart=3, max_relocate=1, prefer=[pve1, pve2])
    lab8.cluster.ha.protect(b, prefer=[pve1, pve2])
    assert ha_a.group is not None and ha_a.rule is None
    (group,) = resources(lab8.stack, "proxmox_hagroup")
    assert group["group"] == "prefer-pve1_2-pve2_1"
    assert group["nodes"] == {"pve1": 2, "pve2": 1}
    assert group["restricted"] is False
    ha = {r["resource_id"]: r for r in resources(lab8.stack, "proxmox_haresource")}
    assert set(ha) == {"vm:100", "vm:101"}
    assert (ha["vm:100"]["max_restart"], ha["vm:100"]["max_relocate"], ha["vm:100"]["state"]) == (3, 1, "started")
    assert all(r["group"].startswith("${proxmox_hagroup.") for r in ha.values())
    assert resources(lab8.stack, "proxmox_harule") == []


def test_pve9_preferences_become_a_node_affinity_rule() -> None:
    lab9 = lab(pve_version="9.1")
    a, b = _vm(lab9, 100), _vm(lab9, 101, node=1)
    pve1, pve2 = lab9.nodes[0], lab9.nodes[1]
    ha_a = lab9.cluster.ha.protect(a, max_restart=3, prefer=[pve1, pve2], failback=False)
    lab9.cluster.ha.protect(b, prefer=[pve1, pve2])
    assert ha_a.rule is not None and ha_a.group is None
    (rule,) = resources(lab9.stack, "proxmox_harule")
    assert (rule["type"], rule["rule"], rule["strict"]) == ("node-affinity", "prefer-pve1_2-pve2_1", False)
    assert rule["nodes"] == {"pve1": 2, "pve2": 1}
    assert len(rule["resources"]) == 2
    assert all(r.startswith("${proxmox_haresource.") and r.endswith(".resource_id}") for r in rule["resources"])
    ha = {r["resource_id"]: r for r in resources(lab9.stack, "proxmox_haresource")}
    assert "group" not in ha["vm:100"], "PVE 9 has no HA groups"
    assert ha["vm:100"]["failback"] is False
    assert resources(lab9.stack, "proxmox_hagroup") == []


def test_strict_preferences_restrict_the_group_or_rule() -> None:
    for version, tf_type, field in (("8.4", "proxmox_hagroup", "restricted"), ("9.1", "proxmox_harule", "strict")):
        lab_ = lab(pve_version=version)
        lab_.cluster.ha.protect(_vm(lab_, 100), prefer={lab_.nodes[0]: 5, lab_.nodes[2]: 5}, strict=True)
        (item,) = resources(lab_.stack, tf_type)
        assert item[field] is True
        assert item["nodes"] == {"pve1": 5, "pve3": 5}


def test_resource_affinity_rules_on_pve9() -> None:
    lab9 = lab()
    a, b, c = _vm(lab9, 100, ha=True), _vm(lab9, 101, node=1, ha=True), _vm(lab9, 102, node=2, ha=True)
    apart = lab9.cluster.ha.keep_apart([a, b, c])
    together = lab9.cluster.ha.keep_together([a, c], name="app-and-cache", comment="latency")
    assert (apart.name, together.name) == ("apart-100-101-102", "app-and-cache")
    rules = {r["rule"]: r for r in resources(lab9.stack, "proxmox_harule")}
    assert rules["apart-100-101-102"]["affinity"] == "negative"
    assert rules["app-and-cache"]["affinity"] == "positive"
    assert rules["app-and-cache"]["comment"] == "latency"
    assert {r["type"] for r in rules.values()} == {"resource-affinity"}
    assert len(rules["apart-100-101-102"]["resources"]) == 3
    assert policy_errors(lab9.cluster) == []


def test_rule_members_may_be_protected_after_the_rule() -> None:
    lab9 = lab()
    a, b = _vm(lab9, 100), _vm(lab9, 101, node=1)
    lab9.cluster.ha.keep_apart([a, b])
    lab9.cluster.ha.protect(a)
    lab9.cluster.ha.protect(b)
    (rule,) = resources(lab9.stack, "proxmox_harule")
    assert all(r.startswith("${proxmox_haresource.") for r in rule["resources"])


def test_ha_shortcut_and_string_form() -> None:
    lab9 = lab()
    vm = _vm(lab9, 100, ha=HaOptions(max_restart=2, state="stopped"))
    ct = Container(lab9.stack, "ct", node=lab9.nodes[1], vm_id=200, template="local:vztmpl/debian.tar.zst",
                   disk=Disk(lab9.rbd, size_gib=8), ha=True)
    external = lab9.cluster.ha.protect("vm:900")
    assert vm.ha is not None and vm.ha.resource_id == "vm:100" and vm.under_ha
    assert ct.ha is not None and ct.ha.resource_id == "ct:200"
    assert external.guest is None
    ha = {r["resource_id"]: r for r in resources(lab9.stack, "proxmox_haresource")}
    assert (ha["vm:100"]["max_restart"], ha["vm:100"]["state"]) == (2, "stopped")
    assert any(d.startswith("proxmox_virtual_environment_vm.") for d in ha["vm:100"]["depends_on"]), \
        "the HA resource is created after its VM"
    assert set(lab9.cluster.ha.resources) == {"vm:100", "ct:200", "vm:900"}


def test_ha_options_are_the_keyword_arguments_of_protect() -> None:
    params = inspect.signature(Ha.protect).parameters
    keywords = {n: p.default for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert {f.name: f.default for f in dataclasses.fields(HaOptions)} == keywords


# ----------------------------------------------------------------------------------------------- rejections


def test_rejects_failback_on_pve8() -> None:
    lab8 = lab(pve_version="8.4")
    with pytest.raises(ConfigError) as excinfo:
        lab8.cluster.ha.protect(_vm(lab8, 100), failback=True)
    p = only(excinfo)
    assert (p.field, p.path) == ("failback", "test/Cluster/Ha/vm:100")
    assert "from PVE 9" in p.problem and "PVE 8.4" in p.problem


def test_rejects_resource_affinity_on_pve8() -> None:
    lab8 = lab(pve_version="8.4")
    a, b = _vm(lab8, 100, ha=True), _vm(lab8, 101, ha=True)
    with pytest.raises(ConfigError) as excinfo:
        lab8.cluster.ha.keep_apart([a, b])
    p = only(excinfo)
    assert p.field == "keep_apart"
    assert "need PVE 9" in p.problem and "prefer=" in p.fix
    with pytest.raises(ConfigError) as excinfo:
        lab8.cluster.ha.keep_together([a], name="9bad")
    assert [p.field for p in excinfo.value.problems] == ["guests", "name", "keep_together"], \
        "the PVE 9 gate is reported beside the arguments' problems"


def test_rejects_protecting_twice() -> None:
    lab9 = lab()
    vm = _vm(lab9, 100, ha=True)
    with pytest.raises(ConfigError) as excinfo:
        lab9.cluster.ha.protect(vm)
    assert only(excinfo).problem == "vm:100 is already protected"


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"max_restart": 11}, "max_restart", "must be 0-10, got 11"),
    ({"max_relocate": -1}, "max_relocate", "must be 0-10, got -1"),
    ({"state": "running"}, "state", "'running' is not an HA state"),
    ({"strict": True}, "strict", "strict without preferred nodes"),
    ({"prefer": []}, "prefer", "no node given"),
    ({"prefer": ["pve1"]}, "prefer", "'pve1' is not a Node"),
    ({"prefer": "pve1"}, "prefer", "'pve1' is not a list of nodes or a mapping of node to priority"),
    ({"max_restart": "3"}, "max_restart", "'3' is a string, not a whole number"),
    ({"max_relocate": True}, "max_relocate", "True is not a whole number"),
])
def test_rejects_bad_protect_arguments(kwargs: dict[str, Any], field: str, words: str) -> None:
    lab9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        lab9.cluster.ha.protect(_vm(lab9, 100), **kwargs)
    p = only(excinfo)
    assert p.field == field and words in p.problem


def test_rejects_every_bad_protect_argument_at_once() -> None:
    lab9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        lab9.cluster.ha.protect("vm:42", state="running", max_restart=11, strict=True)
    assert [(p.path, p.field) for p in excinfo.value.problems] == [
        ("test/Cluster/Ha/vm:42", "resource_id"), ("test/Cluster/Ha/vm:42", "state"),
        ("test/Cluster/Ha/vm:42", "max_restart"), ("test/Cluster/Ha/vm:42", "strict")]
    assert str(excinfo.value).splitlines()[:2] == [
        "4 problems in the configuration",
        "  test/Cluster/Ha/vm:42: resource_id: 'vm:42' is not an HA resource id; pass the Vm or Container, or "
        "vm:<vmid> / ct:<vmid> with a vmid of 100 or more"]


def test_rejects_bad_ha_options_at_the_guests_ha_resource() -> None:
    lab9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        _vm(lab9, 100, ha=HaOptions(max_restart=42))
    p = only(excinfo)
    assert (p.path, p.field, p.problem) == ("test/Cluster/Ha/vm:100", "max_restart", "must be 0-10, got 42")


def test_protect_and_rules_read_no_construct_path_when_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    lab9 = lab()
    a, b = _vm(lab9, 100), _vm(lab9, 101, node=1)

    def path_read(*_: Any) -> str:
        raise AssertionError("the construct path is read only to report a problem (it costs jsii round trips)")

    monkeypatch.setattr("pvecdk._validation.construct_path", path_read)  # what LazyPath calls
    lab9.cluster.ha.protect(a, prefer=lab9.nodes[:2])
    lab9.cluster.ha.protect(b)
    lab9.cluster.ha.keep_apart([a, b])


def test_rejects_a_preferred_node_of_another_cluster() -> None:
    lab_a, lab_b = lab(), lab()
    with pytest.raises(ConfigError) as excinfo:
        lab_a.cluster.ha.protect(_vm(lab_a, 100), prefer=[lab_b.nodes[0]])
    p = only(excinfo)
    assert p.field == "prefer" and "not in cluster lab" in p.problem


def test_rejects_a_bad_resource_id_string() -> None:
    lab9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        lab9.cluster.ha.protect("vm:42")
    assert only(excinfo).field == "resource_id"


def test_rejects_an_affinity_rule_of_one_guest_or_a_bad_name() -> None:
    lab9 = lab()
    a = _vm(lab9, 100, ha=True)
    with pytest.raises(ConfigError) as excinfo:
        lab9.cluster.ha.keep_together([a], name="9bad")
    fields = [(p.field, p.problem) for p in excinfo.value.problems]
    assert ("guests", "an affinity rule needs two or more guests, got 1") in fields
    assert any(f == "name" and "not a valid rule id" in text for f, text in fields)


def test_rejects_an_affinity_rule_given_one_guest_not_in_a_list() -> None:
    lab9 = lab()
    a = _vm(lab9, 100, ha=True)
    with pytest.raises(ConfigError) as excinfo:
        lab9.cluster.ha.keep_apart(a)  # type: ignore[arg-type]
    assert [(p.field, p.problem) for p in excinfo.value.problems] == [
        ("guests", "an affinity rule needs two or more guests, got 1")]


def test_an_ha_resource_in_no_rule_is_not_referred_to(monkeypatch: Any) -> None:
    # The reference costs a jsii round trip per guest, so only rules ask for it.
    from pvecdk.bpg import haresource

    def refuse(self: Any) -> str:
        raise AssertionError("the HA resource's id was referred to")

    lab9 = lab()
    monkeypatch.setattr(haresource.Haresource, "resource_id", property(refuse))
    vm = _vm(lab9, 100, ha=True)
    assert vm.ha is not None and vm.ha.rule is None
    assert {r["resource_id"] for r in resources(lab9.stack, "proxmox_haresource")} == {"vm:100"}
    lab9.cluster.ha.protect(_vm(lab9, 101), prefer=[lab9.nodes[0]])
    with pytest.raises(RuntimeError, match="referred to"):  # raised in the rule's synthesis, through jsii
        resources(lab9.stack, "proxmox_harule")


def test_rejects_ha_on_a_cluster_that_cannot_fail_over() -> None:
    two = lab(nodes=2)
    _vm(two, 100, ha=True)
    (p,) = policy_errors(two.cluster)
    assert p.field == "ha" and "cannot keep quorum after one node fails" in p.problem


def test_rejects_ha_guest_on_local_storage() -> None:
    lab9 = lab()
    vm = _vm(lab9, 100, disks=[Disk(lab9.rbd), Disk(lab9.lvm)], ha=True)
    (p,) = policy_errors(lab9.cluster)
    assert (p.path, p.field) == (str(vm.node.path), "disks[1].storage")
    assert "storage local-lvm (lvmthin) is local to its node and not replicated" in p.problem
    assert "shared storage" in p.fix


def test_rejects_ha_guest_with_its_cloud_init_drive_on_local_storage() -> None:
    lab9 = lab()
    _vm(lab9, 100, cloud_init=CloudInit(storage=lab9.lvm), ha=True)
    (p,) = policy_errors(lab9.cluster)
    assert p.field == "cloud_init.storage" and "storage local-lvm (lvmthin)" in p.problem


def test_rejects_ha_guest_on_zfs_without_replication() -> None:
    lab9 = lab()
    _vm(lab9, 100, disks=[Disk(lab9.zfs)], ha=True)
    (p,) = policy_errors(lab9.cluster)
    assert p.field == "disks[0].storage" and "replicate_to" in p.fix


def test_replicated_zfs_guest_restricted_to_its_replicas_may_be_under_ha() -> None:
    lab9 = lab()
    vm = _vm(lab9, 100, disks=[Disk(lab9.zfs)])
    vm.replicate_to(lab9.nodes[1])
    lab9.cluster.ha.protect(vm, prefer=lab9.nodes[:2], strict=True)
    assert policy_errors(lab9.cluster) == []


def test_rejects_replicated_ha_guest_that_may_start_without_its_replica() -> None:
    lab9 = lab()
    vm = _vm(lab9, 100, disks=[Disk(lab9.zfs)])
    vm.replicate_to(lab9.nodes[1])
    lab9.cluster.ha.protect(vm)
    (p,) = policy_errors(lab9.cluster)
    assert p.field == "ha"
    assert p.problem == "the guest's ZFS volumes exist only on pve1, pve2, but HA may start it on any node"
    assert "strict=True" in p.fix


def test_rejects_replicated_ha_guest_preferring_a_node_without_its_replica() -> None:
    lab9 = lab()
    vm = _vm(lab9, 100, disks=[Disk(lab9.zfs)])
    vm.replicate_to(lab9.nodes[1])
    lab9.cluster.ha.protect(vm, prefer=lab9.nodes, strict=True)
    (p,) = policy_errors(lab9.cluster)
    assert p.problem.endswith("but HA may start it on pve3")


def test_rejects_ha_container_on_local_storage() -> None:
    lab9 = lab()
    Container(lab9.stack, "ct", node=lab9.nodes[0], vm_id=200, template="local:vztmpl/debian.tar.zst",
              disk=Disk(lab9.lvm, size_gib=8), ha=True)
    (p,) = policy_errors(lab9.cluster)
    assert p.field == "disk.storage"


def test_rejects_ha_guest_on_a_bridge_other_nodes_lack() -> None:
    lab9 = lab()
    lab9.nodes[0].add_bridge("vmbr1", ports=["eno2"])
    _vm(lab9, 100, networks=[NetworkInterface(bridge="vmbr1")], ha=True)
    (p,) = policy_errors(lab9.cluster)
    assert p.field == "networks" and "pve2, pve3 lack" in p.problem


def test_a_strict_preference_limits_the_bridge_check() -> None:
    lab9 = lab()
    for node in lab9.nodes[:2]:
        node.add_bridge("vmbr1", ports=["eno2"])
    vm = _vm(lab9, 100, networks=[NetworkInterface(bridge="vmbr1")])
    lab9.cluster.ha.protect(vm, prefer=lab9.nodes[:2], strict=True)
    assert policy_errors(lab9.cluster) == []


def test_rejects_affinity_with_an_unprotected_guest() -> None:
    lab9 = lab()
    a, b = _vm(lab9, 100, ha=True), _vm(lab9, 101)
    lab9.cluster.ha.keep_together([a, b])
    (p,) = policy_errors(lab9.cluster)
    assert p.field == "guests" and p.problem == "vm:101 is in the rule but not under HA"


def test_rule_problems_name_the_rule() -> None:
    lab9 = lab()
    a, b = _vm(lab9, 100, ha=True), _vm(lab9, 101)
    lab9.cluster.ha.keep_together([a, b])
    (p,) = policy_errors(lab9.cluster)
    assert p.path == "test/Cluster/Ha/Rule-together-100-101"
    with pytest.raises(ConfigError) as excinfo:
        lab9.cluster.ha.keep_apart([a])
    assert only(excinfo).path == "test/Cluster/Ha/Rule-apart-100"


def test_rejects_keeping_apart_more_guests_than_nodes() -> None:
    lab9 = lab()
    guests = [_vm(lab9, 100 + i, node=i % 3, ha=True) for i in range(4)]
    lab9.cluster.ha.keep_apart(guests)
    (p,) = policy_errors(lab9.cluster)
    assert p.problem == "4 guests kept apart on 3 nodes"


# ----------------------------------------------------------------------------------------------- snapshots


@pytest.mark.parametrize("name", ["workloads-pve8", "workloads-pve9"])
def test_workload_snapshot(name: str, synth: Any, snapshot_json: Any) -> None:
    config = synth(BUILT_STACKS[name], name)
    assert normalise(config) == snapshot_json
    res = config["resource"]
    if name.endswith("pve8"):
        assert "proxmox_harule" not in res and len(res["proxmox_hagroup"]) == 2
    else:
        assert "proxmox_hagroup" not in res
        kinds = sorted((r["type"], r.get("affinity")) for r in res["proxmox_harule"].values())
        assert kinds == [("node-affinity", None), ("node-affinity", None), ("resource-affinity", "negative"),
                         ("resource-affinity", "positive")]
    assert {r["resource_id"] for r in res["proxmox_haresource"].values()} == {"vm:100", "vm:101", "vm:110", "ct:200"}
    # Every guest moves by migration; those under HA are placed by HA, the others by their placement.
    placements = {(p["type"], p["vm_id"]): p.get("ha_managed") for p in res["pvecdk_guest_placement"].values()}
    under_ha = {("qemu" if sid.startswith("vm") else "lxc", int(sid.split(":")[1]))
                for sid in (r["resource_id"] for r in res["proxmox_haresource"].values())}
    assert {k for k, managed in placements.items() if managed} == under_ha
    for tf_type in ("proxmox_virtual_environment_vm", "proxmox_virtual_environment_container"):
        assert all(g["lifecycle"]["ignore_changes"] == ["node_name"] for g in res.get(tf_type, {}).values())
    # A moved container must be re-adopted by its bpg resource, which its placement names.
    (container,) = res["proxmox_virtual_environment_container"]
    (ct,) = [p for p in res["pvecdk_guest_placement"].values() if p["type"] == "lxc"]
    assert ct["guest_address"] == f"proxmox_virtual_environment_container.{container}"
    # The cluster firewall the snapshot shows: derived from the model, corosync's knet range and live migration on
    # the cluster network, each rule within its own network.
    (group,) = res["proxmox_virtual_environment_cluster_firewall_security_group"].values()
    opened = {(r["proto"], r["dport"], r["source"]) for r in group["rule"]}
    assert {("udp", "5405:5412", "+cluster"), ("tcp", "60000:60050", "+cluster")} <= opened
    assert all(r["dest"] == r["source"] for r in group["rule"])
