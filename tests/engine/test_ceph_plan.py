"""Planning Ceph objects from what a node reports: the steps, the refusals and the missing prerequisites."""

from __future__ import annotations

import pytest
from pvecdk.engine import (
    CephInit,
    FileSystem,
    LiveCeph,
    Manager,
    MetadataServer,
    Monitor,
    Osd,
    plan_ceph,
)
from pvecdk.engine.ceph import LiveDaemon, LiveDisk, LiveFileSystem, LiveOsd, _osd_tree, _parse_conf
from pvecdk.errors import EngineProblem


def mon(name: str, quorum: bool = True) -> LiveDaemon:
    return LiveDaemon(name, name, f"10.0.0.{10 + int(name[3:])}:6789/0", "running", quorum)


def ceph(*mons: str, out_of_quorum: tuple[str, ...] = (), **extra: object) -> LiveCeph:
    live = LiveCeph("pve1", initialised=True, fsid="f5a4", network="10.0.1.0/24",
                    monitors={m: mon(m, m not in out_of_quorum) for m in mons})
    for key, value in extra.items():
        setattr(live, key, value)
    return live


def disks(**used: str | int | None) -> dict[str, LiveDisk]:
    """/dev/sdb, /dev/sdc free unless given: an int is the OSD on it, a str what else uses it."""
    out = {}
    for dev in ("sdb", "sdc", "sdd"):
        value = used.get(dev)
        out[f"/dev/{dev}"] = LiveDisk(f"/dev/{dev}", value if isinstance(value, int) else None,
                                      "LVM" if isinstance(value, int) else value, 1 << 40)
    return out


def actions(plan: object) -> list[str]:
    return [s.action for s in plan.steps]  # type: ignore[attr-defined]


# -- init


def test_init_when_there_is_no_ceph_conf() -> None:
    plan = plan_ceph(CephInit("pve1", "10.0.1.0/24", "10.0.2.0/24"), LiveCeph("pve1"))
    assert actions(plan) == ["init"] and plan.refused == plan.missing == []
    assert "cluster network 10.0.2.0/24" in plan.steps[0].detail


def test_init_is_done_once() -> None:
    assert actions(plan_ceph(CephInit("pve1", "10.0.1.0/24"), ceph("pve1"))) == []


def test_rejects_a_changed_public_network() -> None:
    plan = plan_ceph(CephInit("pve1", "10.9.0.0/24"), ceph("pve1"))
    assert plan.steps == [] and "public network 10.0.1.0/24, the model says 10.9.0.0/24" in plan.refused[0].problem
    assert (plan.refused[0].subject, plan.refused[0].field) == ("Ceph", "network")


def test_init_destroy_plans_nothing() -> None:
    assert actions(plan_ceph(CephInit("pve1", "10.0.1.0/24"), ceph("pve1"), present=False)) == []


# -- prerequisites


@pytest.mark.parametrize("obj", [Monitor("pve1"), Manager("pve1"), Osd("pve1", "/dev/sdb"),
                                 MetadataServer("pve1"), FileSystem("pve1", "cephfs")], ids=lambda o: type(o).__name__)
def test_everything_but_init_needs_ceph_initialised(obj: object) -> None:
    plan = plan_ceph(obj, LiveCeph("pve1", disks=disks()))  # type: ignore[arg-type]
    assert plan.missing and "apply pvecdk_ceph first" in plan.missing[0].fix and plan.refused == []
    assert plan.missing[0].subject == obj.label  # type: ignore[attr-defined]
    assert len(plan.missing) == 1, "one message, not one per missing layer"


@pytest.mark.parametrize("obj", [Manager("pve1"), Osd("pve1", "/dev/sdb"), MetadataServer("pve1")],
                         ids=lambda o: type(o).__name__)
def test_daemons_need_a_monitor(obj: object) -> None:
    plan = plan_ceph(obj, ceph(disks=disks()))  # type: ignore[arg-type]
    assert [m.fix for m in plan.missing if "no Ceph monitor yet" in m.problem] == [
        f"apply a pvecdk_ceph_monitor before the {obj.label}"]  # type: ignore[attr-defined]


def test_a_file_system_needs_a_metadata_server() -> None:
    plan = plan_ceph(FileSystem("pve1", "cephfs"), ceph("pve1"))
    assert actions(plan) == ["create_fs"] and "needs a metadata server" in plan.missing[0].problem
    assert (plan.missing[0].subject, plan.missing[0].fix) == ("CephFS cephfs", "apply a pvecdk_ceph_mds first")


# -- monitors


def test_creates_a_missing_monitor_and_keeps_an_existing_one() -> None:
    assert actions(plan_ceph(Monitor("pve2", "10.0.1.12"), ceph("pve1"))) == ["create_monitor"]
    assert actions(plan_ceph(Monitor("pve1"), ceph("pve1"))) == []


def test_removes_a_monitor_when_quorum_holds() -> None:
    plan = plan_ceph(Monitor("pve3"), ceph("pve1", "pve2", "pve3"), present=False)
    assert (actions(plan), plan.refused) == (["destroy_monitor"], [])


def test_rejects_removing_the_last_monitor() -> None:
    plan = plan_ceph(Monitor("pve1"), ceph("pve1"), present=False)
    assert plan.steps == [] and "last monitor" in plan.refused[0].problem
    assert plan.refused[0].subject == "mon.pve1"


def test_rejects_removing_a_monitor_that_quorum_needs() -> None:
    plan = plan_ceph(Monitor("pve1"), ceph("pve1", "pve2", "pve3", out_of_quorum=("pve2",)), present=False)
    assert plan.steps == []
    assert [str(p) for p in plan.refused] == ["mon.pve1: removing it leaves 1 of 2 monitors in quorum, short of the "
                                              "majority 2; bring the other monitors back into quorum first"]


def test_removing_a_monitor_that_is_gone_is_nothing() -> None:
    assert actions(plan_ceph(Monitor("pve4"), ceph("pve1"), present=False)) == []


# -- managers and metadata servers


def test_managers() -> None:
    live = ceph("pve1", managers={"pve1": mon("pve1")})
    assert actions(plan_ceph(Manager("pve1"), live)) == []
    assert actions(plan_ceph(Manager("pve2"), live)) == ["create_manager"]
    assert actions(plan_ceph(Manager("pve1"), live, present=False)) == ["destroy_manager"]


def test_metadata_server_named_after_its_node_unless_named() -> None:
    assert MetadataServer("pve2").id == "pve2" and MetadataServer("pve2", "fast").id == "fast"
    live = ceph("pve1", mds={"pve2": mon("pve2")})
    assert actions(plan_ceph(MetadataServer("pve2"), live)) == []
    assert actions(plan_ceph(MetadataServer("pve2", "fast"), live)) == ["create_mds"]


def test_rejects_removing_the_last_metadata_server_of_a_file_system() -> None:
    live = ceph("pve1", mds={"pve1": mon("pve1")}, filesystems={"cephfs": LiveFileSystem("cephfs", "d", "m")})
    plan = plan_ceph(MetadataServer("pve1"), live, present=False)
    assert plan.steps == [] and "the last metadata server, and CephFS cephfs needs one" == plan.refused[0].problem
    live.mds["pve2"] = mon("pve2")
    assert actions(plan_ceph(MetadataServer("pve1"), live, present=False)) == ["destroy_mds"]


# -- OSDs


def test_creates_an_osd_on_a_free_device() -> None:
    plan = plan_ceph(Osd("pve1", "/dev/sdb", db_device="/dev/sdc"),
                     ceph("pve1", disks=disks(), managers={"pve1": mon("pve1")}))
    assert (actions(plan), plan.refused, plan.missing) == (["create_osd"], [], [])


def test_an_osd_needs_a_manager() -> None:
    (missing,) = plan_ceph(Osd("pve1", "/dev/sdb"), ceph("pve1", disks=disks())).missing
    assert (missing.problem, missing.fix) == ("the cluster has no Ceph manager yet",
                                              f"apply a pvecdk_ceph_manager before the {missing.subject}")


def test_an_osd_already_on_the_device_is_adopted() -> None:
    assert actions(plan_ceph(Osd("pve1", "/dev/sdb"), ceph("pve1", disks=disks(sdb=0)))) == []


def test_rejects_a_device_in_use_or_missing() -> None:
    plan = plan_ceph(Osd("pve1", "/dev/sdc", wal_device="/dev/nvme0n1"), ceph("pve1", disks=disks(sdc="ZFS")))
    assert (plan.refused[-1].subject, plan.refused[-1].problem, plan.refused[-1].field) == (
        "pve1:/dev/sdc", "in use (ZFS)", "device")
    assert str(plan.refused[0]).startswith("pve1: has no disk /dev/nvme0n1 (wal_device); its disks: /dev/sdb")
    assert plan.refused[0].field == "wal_device"


def test_rejects_destroying_an_osd_without_allow_destroy() -> None:
    live = ceph("pve1", disks=disks(sdb=3), osds={3: LiveOsd(3, "pve1", "ssd", True, True)})
    plan = plan_ceph(Osd("pve1", "/dev/sdb"), live, present=False)
    assert plan.steps == []
    assert plan.refused == [EngineProblem("osd.3", "destroying it on pve1:/dev/sdb wipes the data it holds",
                                          "set allow_destroy = true on it, apply, then remove it", "allow_destroy")]


def test_destroys_an_osd_out_then_stopped_then_destroyed() -> None:
    live = ceph("pve1", disks=disks(sdb=3), osds={3: LiveOsd(3, "pve1", "ssd", True, True)})
    assert actions(plan_ceph(Osd("pve1", "/dev/sdb"), live, present=False, allow_destroy=True)) == [
        "out_osd", "stop_osd", "destroy_osd"]
    live.osds[3] = LiveOsd(3, "pve1", "ssd", up=True, in_=False)  # a rerun after the out step
    assert actions(plan_ceph(Osd("pve1", "/dev/sdb"), live, present=False, allow_destroy=True)) == [
        "stop_osd", "destroy_osd"]
    live.disks = disks()
    assert actions(plan_ceph(Osd("pve1", "/dev/sdb"), live, present=False, allow_destroy=True)) == []


# -- file systems


def test_file_systems() -> None:
    live = ceph("pve1", mds={"pve1": mon("pve1")})
    assert actions(plan_ceph(FileSystem("pve1", "cephfs", 32), live)) == ["create_fs"]
    live.filesystems["cephfs"] = LiveFileSystem("cephfs", "cephfs_data", "cephfs_metadata", 32)
    assert actions(plan_ceph(FileSystem("pve1", "cephfs", 32), live)) == []
    assert actions(plan_ceph(FileSystem("pve1", "cephfs", 64), live)) == ["resize_fs"]


def test_rejects_destroying_a_file_system_without_allow_destroy() -> None:
    live = ceph("pve1", filesystems={"cephfs": LiveFileSystem("cephfs", "d", "m")})
    (problem,) = plan_ceph(FileSystem("pve1", "cephfs"), live, present=False).refused
    assert ("loses the files in it" in problem.problem, problem.field) == (True, "allow_destroy")
    plan = plan_ceph(FileSystem("pve1", "cephfs"), live, present=False, allow_destroy=True)
    assert plan.refused == [] and plan.steps == [], "the API cannot remove one: nothing to do but forget it"


# -- parsing


def test_reads_the_networks_from_ceph_conf_in_any_spelling() -> None:
    conf = _parse_conf("[global]\n\tfsid = 5e2c\n\tpublic network = 10.0.1.0/24\n\tcluster_network = 10.0.2.0/24\n")
    assert (conf["fsid"], conf["public_network"], conf["cluster_network"]) == ("5e2c", "10.0.1.0/24", "10.0.2.0/24")
    assert _parse_conf("") == {} and _parse_conf("not ini") == {}


def test_reads_osds_from_the_crush_tree() -> None:
    out: dict[int, LiveOsd] = {}
    _osd_tree({"name": "default", "type": "root", "children": [
        {"name": "pve1", "type": "host", "children": [
            {"id": 0, "name": "osd.0", "type": "osd", "status": "up", "in": 1, "device_class": "ssd"},
            {"id": 1, "name": "osd.1", "type": "osd", "status": "down", "in": 0}]}]}, None, out)
    assert out[0] == LiveOsd(0, "pve1", "ssd", True, True) and out[1] == LiveOsd(1, "pve1", None, False, False)


# -- Ceph's own answer (cmd-safety)


def test_cephs_answer_refuses_what_it_says_is_unsafe() -> None:
    live = ceph("pve1", "pve2", "pve3", disks=disks(sdb=3), osds={3: LiveOsd(3, "pve1", "ssd", True, True)})
    live.safety["osd.3:stop"] = (False, "unsafe to stop osd(s) at this time (64 PGs are or would become offline)")
    plan = plan_ceph(Osd("pve1", "/dev/sdb"), live, present=False, allow_destroy=True)
    assert plan.steps == [] and [str(p) for p in plan.refused] == [
        "osd.3: taking osd.3 out of service: Ceph says unsafe to stop osd(s) at this time (64 PGs are or would "
        "become offline); add OSDs or lower the pools' size first"]
    live.osds[3] = LiveOsd(3, "pve1", "ssd", True, False)
    live.safety = {"osd.3:destroy": (False, "OSD(s) 3 have 64 pgs currently mapped to them.")}
    (problem,) = plan_ceph(Osd("pve1", "/dev/sdb"), live, present=False, allow_destroy=True).refused
    assert problem.fix == "it is out and Ceph is moving its data to other OSDs; apply again when that is done"
    live.safety = {"osd.3:destroy": (True, "OSD(s) 3 are safe to destroy without reducing data durability.")}
    assert actions(plan_ceph(Osd("pve1", "/dev/sdb"), live, present=False, allow_destroy=True)) == [
        "stop_osd", "destroy_osd"]


def test_cephs_answer_on_monitors_and_metadata_servers() -> None:
    live = ceph("pve1", "pve2", "pve3", mds={"pve1": mon("pve1"), "pve2": mon("pve2")})
    live.safety = {"mon.pve3:destroy": (False, "removing mon.pve3 would break quorum (current quorum: pve3)"),
                   "mds.pve2:stop": (False, "one or more filesystems would be left without an active MDS")}
    assert "Ceph says removing mon.pve3 would break quorum" in plan_ceph(Monitor("pve3"), live,
                                                                          present=False).refused[0].problem
    assert plan_ceph(MetadataServer("pve2"), live, present=False).refused[0].fix == (
        "add a standby metadata server first")
    assert actions(plan_ceph(MetadataServer("pve1"), live, present=False)) == ["destroy_mds"]
