"""The rules that span constructs, run on cluster models built by hand: no construct, no jsii."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pvecdk._model import (
    CephModel,
    CloneModel,
    ClusterModel,
    GuestModel,
    HaResourceModel,
    HaRuleModel,
    NodeModel,
    PoolModel,
    VolumeModel,
)
from pvecdk._rules import check, check_ceph, check_clones, check_guests, quorum
from pvecdk._values import NetworkRole
from pvecdk.errors import ConfigError


def _cluster(nodes: int, *, votes: int = 1, qdevice: bool = False) -> ClusterModel:
    model = ClusterModel(lambda: "stack/Cluster", qdevice=qdevice, cluster_network=None)
    for i in range(1, nodes + 1):
        model.add_node(NodeModel(f"pve{i}", i, votes, {NetworkRole.MANAGEMENT: f"10.0.0.{i}"}, {"vmbr0"}))
    return model


def _guest(vm_id: int, *, node: str = "pve1", volumes: tuple[VolumeModel, ...] = (),
           bridges: tuple[str, ...] = ("vmbr0",)) -> GuestModel:
    return GuestModel(vm_id, f"vm:{vm_id}", node, lambda: f"stack/vm-{vm_id}", cpu_type="x86-64-v2-AES",
                      volumes=volumes, bridges=bridges)


def test_the_rules_import_no_cdktf_and_no_jsii() -> None:
    code = ("import sys, pvecdk._rules, pvecdk._model; "
            "loaded = [m for m in ('jsii', 'cdktf', 'cdktn', 'constructs') if m in sys.modules]; "
            "print(loaded); sys.exit(1 if loaded else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_quorum_at_the_boundaries() -> None:
    assert (quorum(_cluster(1)).votes, quorum(_cluster(1)).tolerated_failures) == (1, 0)
    assert (quorum(_cluster(2)).quorum, quorum(_cluster(2)).tolerated_failures) == (2, 0)
    assert (quorum(_cluster(3)).quorum, quorum(_cluster(3)).tolerated_failures) == (2, 1)
    assert quorum(_cluster(2, qdevice=True)).tolerated_failures == 1
    assert (quorum(_cluster(5)).quorum, quorum(_cluster(5)).tolerated_failures) == (3, 2)
    assert quorum(_cluster(4)).tolerated_failures == 1


def test_ha_on_a_cluster_that_cannot_lose_a_node_is_an_error_and_three_nodes_are_fine() -> None:
    for nodes, errors in ((2, 1), (3, 0)):
        model = _cluster(nodes)
        model.add_guest(_guest(100, volumes=(VolumeModel("disks[0].storage", "ceph-vm", "rbd", True),)))
        model.protect(HaResourceModel("vm:100", None))
        found = [f for f in check(model) if f.severity == "error"]
        assert len(found) == errors
        if errors:
            assert found[0].problem.field == "ha" and found[0].problem.path == "stack/Cluster"


def test_an_ha_guest_on_local_storage_is_reported_at_its_volume() -> None:
    model = _cluster(3)
    model.add_guest(_guest(100, volumes=(VolumeModel("disks[0].storage", "ceph-vm", "rbd", True),
                                         VolumeModel("disks[1].storage", "local-lvm", "lvmthin", False))))
    model.protect(HaResourceModel("vm:100", None))
    (finding,) = check_guests(model)
    assert (finding.problem.path, finding.problem.field) == ("stack/vm-100", "disks[1].storage")
    assert "local-lvm (lvmthin) is local to its node" in finding.problem.problem
    assert finding.problem.fix.startswith("put the volume on shared storage")


def test_zfs_replicas_need_a_strict_restriction_to_the_replica_holders() -> None:
    def model(strict_nodes: frozenset[str] | None) -> ClusterModel:
        m = _cluster(3)
        m.add_guest(_guest(100, volumes=(VolumeModel("disks[0].storage", "tank", "zfspool", False),)))
        m.add_replica(100, "pve2")
        m.protect(HaResourceModel("vm:100", strict_nodes))
        return m

    assert [f.problem.field for f in check_guests(model(None))] == ["ha"]
    assert [f.problem.field for f in check_guests(model(frozenset({"pve1", "pve3"})))] == ["ha"]
    assert check_guests(model(frozenset({"pve1", "pve2"}))) == []


def test_a_bridge_some_node_lacks_and_affinity_rules() -> None:
    model = _cluster(2, qdevice=True)
    model.add_bridge("pve1", "vmbr1")
    for vm_id in (100, 101, 102):
        model.add_guest(_guest(vm_id, bridges=("vmbr0", "vmbr1")))
    model.protect(HaResourceModel("vm:100", None))
    model.protect(HaResourceModel("vm:101", frozenset({"pve1"})))
    model.add_ha_rule(HaRuleModel("apart", "resource-affinity", lambda: "stack/Ha/Rule-apart", negative=True,
                                  members=["vm:100", "vm:101", "vm:102"]))
    found = [(f.problem.path, f.problem.field, f.problem.problem) for f in check_guests(model)]
    assert found == [
        ("stack/vm-100", "networks", "the guest is under HA on bridge vmbr1, which pve2 lacks"),
        ("stack/Ha/Rule-apart", "guests", "vm:102 is in the rule but not under HA"),
        ("stack/Ha/Rule-apart", "guests", "3 guests kept apart on 2 nodes"),
    ]


def test_clones_reach_the_templates_storage_and_linked_clones_need_the_clone_feature() -> None:
    model = _cluster(3)
    lvm = VolumeModel("disks[0].storage", "local-lvm", "lvmthin", False)
    nfs_two = VolumeModel("disks[0].storage", "nfs", "nfs", True, nodes=frozenset({"pve1", "pve2"}))
    thick = VolumeModel("disks[0].storage", "san", "lvm", True)
    drive = VolumeModel("cloud_init.storage", "san", "lvm", True)  # PVE copies a cloud-init drive even when linked
    model.add_guest(_guest(9000, volumes=(lvm, VolumeModel("cloud_init.storage", "local-lvm", "lvmthin", False))))
    model.add_guest(_guest(9001, volumes=(nfs_two,)))
    model.add_guest(_guest(9002, volumes=(VolumeModel("disks[0].storage", "rbd", "rbd", True), drive)))
    model.add_guest(_guest(9003, volumes=(thick,)))
    clones = {100: ("pve1", 9000, True), 101: ("pve2", 9000, False), 102: ("pve2", 9001, True),
              103: ("pve3", 9001, False), 104: ("pve3", 9002, True), 105: ("pve2", 9003, False),
              106: ("pve2", 9003, True), 107: ("pve1", 404, True)}
    for vm_id, (node, template, linked) in clones.items():
        guest = _guest(vm_id, node=node)
        guest.clone = CloneModel(template, linked)
        model.add_guest(guest)
    found = [(f.problem.path, f.problem.problem.split(",")[0]) for f in check_clones(model)]
    assert found == [
        ("stack/vm-101", "template 9000's storage local-lvm (lvmthin) is local to pve1"),
        ("stack/vm-103", "template 9001's storage nfs is not defined on pve3"),
        ("stack/vm-106", "a linked clone needs storage that clones a base volume"),
    ]
    assert all(f.severity == "error" for f in check_clones(model))
    assert [f.problem.path for f in check(model) if f.problem.field == "clone"] == [p for p, _ in found]


def test_ceph_monitors_pools_and_metadata_servers() -> None:
    model = _cluster(3)
    ceph = CephModel(lambda: "stack/Cluster/Ceph", NetworkRole.STORAGE, None, monitors=["pve1", "pve2"],
                     managers=["pve1"], osd_hosts=["pve1", "pve1", "pve2"], filesystems=["fs"])
    ceph.pools.append(PoolModel("vm", lambda: "stack/Cluster/Ceph/Pool-vm", 3, 2, False))
    model.enable_ceph(ceph)
    found = [(f.severity, f.problem.field) for f in check_ceph(model)]
    assert found == [("error", "monitors"), ("warning", "managers"), ("warning", "size"), ("error", "mds")]
    ceph.monitors.append("pve3")
    ceph.osd_hosts.append("pve3")
    ceph.metadata_servers += ["pve1", "pve2"]
    assert [(f.severity, f.problem.field) for f in check_ceph(model)] == [("warning", "managers")]


def test_the_model_refuses_what_would_be_taken_twice() -> None:
    model = _cluster(2)
    model.add_guest(_guest(100))
    with pytest.raises(ConfigError) as caught:
        model.add_guest(_guest(100, node="pve2"))
    (problem,) = caught.value.problems
    assert (problem.path, problem.field) == ("stack/vm-100", "vm_id")
    assert "already taken by stack/vm-100" in problem.problem
    with pytest.raises(ConfigError) as caught:
        model.check_new_node("stack/Cluster/pve3", "pve3", 2, {NetworkRole.MANAGEMENT: "10.0.0.1"})
    assert [(p.field, p.problem) for p in caught.value.problems] == [
        ("management_address", "address 10.0.0.1 is already used by pve1"),
        ("node_id", "node id 2 is already used by pve2"),
    ]
    model.check_new_node("stack/Cluster/pve3", "pve3", 3, {NetworkRole.MANAGEMENT: "10.0.0.3"})
    assert model.free_node_id() == 3
    with pytest.raises(ValueError):
        model.add_bridge("pve1", "vmbr0")
