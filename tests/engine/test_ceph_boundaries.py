"""Ceph planning at its boundaries: removing a monitor with 1, 2, 3 and 5 monitors, exactly at the majority
and one short; managers at 1, 2 and 3; every destroy decision (OSD, MDS, CephFS) on both sides."""

from __future__ import annotations

import pytest
from pvecdk.engine import Action, EngineProblem, FileSystem, LiveCeph, Manager, MetadataServer, Monitor, Osd, plan_ceph
from pvecdk.engine.ceph import LiveDaemon, LiveDisk, LiveFileSystem, LiveOsd


def daemon(name: str, quorum: bool = True) -> LiveDaemon:
    return LiveDaemon(name, name, f"10.0.1.{10 + int(name[3:])}", "running", quorum)


def ceph(monitors: int, *, out_of_quorum: tuple[int, ...] = (), **extra: object) -> LiveCeph:
    live = LiveCeph("pve1", initialised=True, fsid="f5a4", network="10.0.1.0/24",
                    monitors={f"pve{n}": daemon(f"pve{n}", n not in out_of_quorum) for n in range(1, monitors + 1)})
    for key, value in extra.items():
        setattr(live, key, value)
    return live


def steps(plan: object) -> list[str]:
    return [str(s) for s in plan.steps]  # type: ignore[attr-defined]


# -------------------------------------------------------------------------------- monitors


def test_the_last_monitor_is_never_removed() -> None:
    plan = plan_ceph(Monitor("pve1"), ceph(1), present=False)
    assert plan.steps == [] and plan.refused == [
        EngineProblem("mon.pve1", "the cluster's last monitor; Ceph stops without one",
                      "add another monitor first, or keep this one")]


# (monitors, the one removed, out of quorum, refusal (in quorum, remaining, majority) or None)
MONITOR_REMOVALS = [
    pytest.param(2, 2, (), None, id="2->1, the other in quorum"),
    pytest.param(2, 2, (1,), (0, 1, 1), id="2->1, the other out of quorum"),
    pytest.param(3, 2, (), None, id="3->2, both others in quorum"),
    pytest.param(3, 2, (2,), None, id="3->2, removing the one out of quorum"),
    pytest.param(3, 2, (3,), (1, 2, 2), id="3->2, one other out of quorum"),
    pytest.param(5, 3, (1,), None, id="5->4, exactly the majority (3 of 4)"),
    pytest.param(5, 3, (1, 5), (2, 4, 3), id="5->4, one short (2 of 4)"),
    pytest.param(6, 3, (1, 2), None, id="6->5, exactly the majority (3 of 5)"),
    pytest.param(6, 3, (1, 2, 4), (2, 5, 3), id="6->5, one short (2 of 5)"),
]


@pytest.mark.parametrize(("monitors", "removed", "out", "short"), MONITOR_REMOVALS)
def test_removing_a_monitor_keeps_the_majority_of_the_rest(monitors: int, removed: int, out: tuple[int, ...],
                                                           short: tuple[int, int, int] | None) -> None:
    plan = plan_ceph(Monitor(f"pve{removed}"), ceph(monitors, out_of_quorum=out), present=False)
    if short is None:
        assert plan.refused == [] and steps(plan) == [f"destroy_monitor pve{removed}: destroy monitor mon.pve{removed}"]
    else:
        in_quorum, remaining, needed = short
        assert plan.steps == [] and plan.refused == [
            EngineProblem(f"mon.pve{removed}", f"removing it leaves {in_quorum} of {remaining} monitors in quorum, "
                          f"short of the majority {needed}", "bring the other monitors back into quorum first")]


def test_ceph_saying_a_monitor_removal_is_unsafe_refuses_it() -> None:
    live = ceph(3, safety={"mon.pve2:destroy": (False, "removing mon.pve2 would break quorum.\n")})
    plan = plan_ceph(Monitor("pve2"), live, present=False)
    assert plan.steps == [] and plan.refused == [
        EngineProblem("mon.pve2", "removing mon.pve2: Ceph says removing mon.pve2 would break quorum",
                      "bring the other monitors back into quorum first")]
    live.safety = {"mon.pve2:destroy": (True, "safe")}
    assert steps(plan_ceph(Monitor("pve2"), live, present=False)) == ["destroy_monitor pve2: destroy monitor mon.pve2"]


@pytest.mark.parametrize("monitors", [1, 2, 3])
def test_a_monitor_is_created_only_where_none_runs(monitors: int) -> None:
    live = ceph(monitors)
    assert steps(plan_ceph(Monitor("pve4", "10.0.1.14"), live)) == [
        "create_monitor pve4: create monitor mon.pve4 at 10.0.1.14"]
    assert steps(plan_ceph(Monitor("pve4"), live)) == ["create_monitor pve4: create monitor mon.pve4"]
    assert steps(plan_ceph(Monitor(f"pve{monitors}"), live)) == []


# -------------------------------------------------------------------------------- managers


@pytest.mark.parametrize("managers", [1, 2, 3])
def test_managers_are_created_and_destroyed_one_by_one(managers: int) -> None:
    live = ceph(3, managers={f"pve{n}": daemon(f"pve{n}") for n in range(1, managers + 1)})
    last = f"pve{managers}"
    assert steps(plan_ceph(Manager(last), live)) == []
    assert steps(plan_ceph(Manager("pve4"), live)) == ["create_manager pve4: create manager mgr.pve4"]
    assert steps(plan_ceph(Manager(last), live, present=False)) == [
        f"destroy_manager {last}: destroy manager mgr.{last}"]
    assert steps(plan_ceph(Manager("pve4"), live, present=False)) == []


def test_a_manager_needs_a_monitor() -> None:
    plan = plan_ceph(Manager("pve1"), ceph(0))
    assert plan.missing == [EngineProblem("mgr.pve1", "the cluster has no Ceph monitor yet",
                                          "apply a pvecdk_ceph_monitor before the mgr.pve1")]


# -------------------------------------------------------------------------------- OSDs


def osd_ceph(*, up: bool = True, in_: bool = True, listed: bool = True, **extra: object) -> LiveCeph:
    disks = {d: LiveDisk(d, osd, "LVM" if osd is not None else None, 1 << 40)
             for d, osd in (("/dev/sdb", 2), ("/dev/sdc", 3), ("/dev/sdd", 4))}
    osds = {i: LiveOsd(i, "pve1", "ssd", True, True) for i in (2, 3, 4)}
    if listed:
        osds[3] = LiveOsd(3, "pve1", "ssd", up, in_)
    else:
        del osds[3]
    return ceph(3, managers={"pve1": daemon("pve1")}, disks=disks, osds=osds, **extra)


def test_destroying_an_osd_needs_allow_destroy() -> None:
    plan = plan_ceph(Osd("pve1", "/dev/sdc"), osd_ceph(), present=False)
    assert plan.steps == [] and plan.refused == [
        EngineProblem("osd.3", "destroying it on pve1:/dev/sdc wipes the data it holds",
                      "set allow_destroy = true on it, apply, then remove it", "allow_destroy")]


@pytest.mark.parametrize(("up", "in_", "listed", "expected"), [
    (True, True, True, [Action.OUT_OSD, Action.STOP_OSD, Action.DESTROY_OSD]),
    (True, False, True, [Action.STOP_OSD, Action.DESTROY_OSD]),
    (False, False, True, [Action.DESTROY_OSD]),
    (False, True, True, [Action.OUT_OSD, Action.DESTROY_OSD]),
    (True, True, False, [Action.OUT_OSD, Action.STOP_OSD, Action.DESTROY_OSD]),
])
def test_an_allowed_osd_destroy_does_only_the_steps_still_needed(up: bool, in_: bool, listed: bool,
                                                                 expected: list[Action]) -> None:
    plan = plan_ceph(Osd("pve1", "/dev/sdc"), osd_ceph(up=up, in_=in_, listed=listed), present=False,
                     allow_destroy=True)
    assert plan.refused == [] and [s.action for s in plan.steps] == expected
    assert all(s.node == "pve1" for s in plan.steps)
    assert steps(plan)[-1] == "destroy_osd pve1: destroy osd.3 and wipe /dev/sdc"


def test_ceph_saying_an_osd_stop_or_destroy_is_unsafe_refuses_it() -> None:
    stop = osd_ceph(safety={"osd.3:stop": (False, "1 PGs are inactive.")})
    plan = plan_ceph(Osd("pve1", "/dev/sdc"), stop, present=False, allow_destroy=True)
    assert plan.steps == [] and plan.refused == [
        EngineProblem("osd.3", "taking osd.3 out of service: Ceph says 1 PGs are inactive",
                      "add OSDs or lower the pools' size first")]
    gone = osd_ceph(in_=False, safety={"osd.3:destroy": (False, "OSD(s) 3 have 12 pgs currently mapped to them.")})
    plan = plan_ceph(Osd("pve1", "/dev/sdc"), gone, present=False, allow_destroy=True)
    assert plan.steps == [] and plan.refused == [
        EngineProblem("osd.3", "destroying osd.3: Ceph says OSD(s) 3 have 12 pgs currently mapped to them",
                      "it is out and Ceph is moving its data to other OSDs; apply again when that is done")]
    safe = osd_ceph(in_=False, safety={"osd.3:stop": (True, ""), "osd.3:destroy": (True, "")})
    assert [s.action for s in plan_ceph(Osd("pve1", "/dev/sdc"), safe, present=False, allow_destroy=True).steps] == [
        Action.STOP_OSD, Action.DESTROY_OSD]


def test_a_device_without_an_osd_has_nothing_to_destroy() -> None:
    live = osd_ceph()
    live.disks["/dev/sde"] = LiveDisk("/dev/sde", None, None, 1 << 40)
    assert plan_ceph(Osd("pve1", "/dev/sde"), live, present=False).steps == []
    assert plan_ceph(Osd("pve1", "/dev/sde"), live, present=False).refused == []


def missing_disk(node: str, device: str, field: str, disks: str) -> EngineProblem:
    return EngineProblem(node, f"has no disk {device} ({field}); its disks: {disks}",
                         f"set {field} to one of its disks", field)


def test_every_missing_device_of_an_osd_is_named() -> None:
    live = osd_ceph()
    plan = plan_ceph(Osd("pve1", "/dev/sdx", db_device="/dev/sdb", wal_device="/dev/nvme1n1"), live)
    assert plan.refused == [
        missing_disk("pve1", "/dev/sdx", "device", "/dev/sdb, /dev/sdc, /dev/sdd"),
        missing_disk("pve1", "/dev/nvme1n1", "wal_device", "/dev/sdb, /dev/sdc, /dev/sdd"),
    ]


# -------------------------------------------------------------------------------- metadata servers, CephFS


def fs(*names: str) -> dict[str, LiveFileSystem]:
    return {n: LiveFileSystem(n, f"{n}_data", f"{n}_metadata") for n in names}


def test_the_last_metadata_server_of_file_systems_is_kept_and_every_file_system_named() -> None:
    live = ceph(3, mds={"pve2": daemon("pve2")}, filesystems=fs("media", "backups", "home"))
    plan = plan_ceph(MetadataServer("pve2"), live, present=False)
    assert plan.steps == [] and plan.refused == [
        EngineProblem("mds.pve2", "the last metadata server, and CephFS backups, home, media needs one",
                      "remove the file system first or add another metadata server")]


@pytest.mark.parametrize(("servers", "filesystems", "refused"), [
    (1, 0, False), (1, 1, True), (2, 1, False), (3, 2, False)])
def test_a_metadata_server_goes_when_another_remains_or_no_file_system_needs_it(servers: int, filesystems: int,
                                                                                refused: bool) -> None:
    live = ceph(3, mds={f"pve{n}": daemon(f"pve{n}") for n in range(1, servers + 1)},
                filesystems=fs(*[f"fs{i}" for i in range(filesystems)]))
    plan = plan_ceph(MetadataServer("pve1"), live, present=False)
    assert bool(plan.refused) is refused
    assert steps(plan) == ([] if refused else ["destroy_mds pve1: destroy metadata server mds.pve1"])


def test_ceph_saying_an_mds_stop_is_unsafe_refuses_it() -> None:
    live = ceph(3, mds={"pve1": daemon("pve1"), "pve2": daemon("pve2")}, filesystems=fs("cephfs"),
                safety={"mds.pve1:stop": (False, "no standby.")})
    plan = plan_ceph(MetadataServer("pve1"), live, present=False)
    assert plan.steps == [] and plan.refused == [
        EngineProblem("mds.pve1", "removing mds.pve1: Ceph says no standby", "add a standby metadata server first")]


def test_destroying_a_file_system_needs_allow_destroy_and_then_leaves_it_to_the_operator() -> None:
    live = ceph(3, mds={"pve1": daemon("pve1")}, filesystems=fs("backups", "cephfs", "media"))
    plan = plan_ceph(FileSystem("pve1", "cephfs"), live, present=False)
    assert plan.steps == [] and plan.refused == [
        EngineProblem("CephFS cephfs", "destroying it loses the files in it",
                      "set allow_destroy = true on it, apply, then remove it", "allow_destroy")]
    allowed = plan_ceph(FileSystem("pve1", "cephfs"), live, present=False, allow_destroy=True)
    assert (allowed.steps, allowed.refused) == ([], [])
    gone = plan_ceph(FileSystem("pve1", "other"), live, present=False)
    assert (gone.steps, gone.refused) == ([], [])


# -------------------------------------------------------------------------------- what each step says


def test_every_create_and_change_step_names_its_node_and_what_it_does() -> None:
    free = LiveCeph("pve2", initialised=True, monitors={"pve1": daemon("pve1")}, managers={"pve1": daemon("pve1")},
                    mds={"pve1": daemon("pve1")},
                    disks={"/dev/sdb": LiveDisk("/dev/sdb", None, None, 1 << 40)})
    assert steps(plan_ceph(Osd("pve2", "/dev/sdb"), free)) == ["create_osd pve2: create an OSD on pve2:/dev/sdb"]
    assert steps(plan_ceph(MetadataServer("pve2"), free)) == ["create_mds pve2: create metadata server mds.pve2"]
    assert steps(plan_ceph(FileSystem("pve2", "cephfs"), free)) == ["create_fs pve2: create CephFS cephfs"]
    assert steps(plan_ceph(FileSystem("pve2", "cephfs", 64), free)) == [
        "create_fs pve2: create CephFS cephfs with 64 placement groups"]
    free.filesystems = {"cephfs": LiveFileSystem("cephfs", "cephfs_data", "cephfs_metadata", 32)}
    assert steps(plan_ceph(FileSystem("pve2", "cephfs", 128), free)) == [
        "resize_fs pve2: set pg_num of pool cephfs_data from 32 to 128"]
    out = plan_ceph(Osd("pve1", "/dev/sdc"), osd_ceph(), present=False, allow_destroy=True)
    assert steps(out)[:2] == ["out_osd pve1: mark osd.3 out", "stop_osd pve1: stop osd.3"]


def test_a_missing_db_device_on_a_node_without_disks_is_named() -> None:
    bare = LiveCeph("pve2", initialised=True, monitors={"pve1": daemon("pve1")}, managers={"pve1": daemon("pve1")})
    plan = plan_ceph(Osd("pve2", "/dev/sdb", db_device="/dev/nvme0n1"), bare)
    assert plan.refused == [missing_disk("pve2", "/dev/sdb", "device", "none"),
                            missing_disk("pve2", "/dev/nvme0n1", "db_device", "none")]


# -------------------------------------------------------------------------------- prerequisites and devices in use


def test_a_daemon_on_ceph_not_yet_initialised_waits_for_it_whole() -> None:
    plan = plan_ceph(Manager("pve1"), LiveCeph("pve1"))
    assert plan.missing == [EngineProblem("mgr.pve1", "Ceph is not initialised on the cluster (pve1 has no ceph.conf)",
                                          "apply pvecdk_ceph first (POST /nodes/{node}/ceph/init) before the mgr.pve1")]
    assert plan.refused == [] and [s.action for s in plan.steps] == [Action.CREATE_MANAGER]


def test_a_device_in_use_is_refused_with_the_wipe_that_frees_it() -> None:
    live = ceph(3, managers={"pve1": daemon("pve1")},
                disks={"/dev/sdb": LiveDisk("/dev/sdb", None, "ZFS", 1 << 40),
                       "/dev/sdc": LiveDisk("/dev/sdc", None, None, 1 << 40)})
    assert plan_ceph(Osd("pve1", "/dev/sdb"), live).refused == [
        EngineProblem("pve1:/dev/sdb", "in use (ZFS)", "wipe it (PUT /nodes/pve1/disks/wipedisk) or choose another "
                      "device", "device")]
    assert plan_ceph(Osd("pve1", "/dev/sdc"), live).refused == []


def test_a_file_system_waits_for_a_metadata_server_whole() -> None:
    plan = plan_ceph(FileSystem("pve2", "cephfs"), ceph(3))
    assert plan.missing == [EngineProblem("CephFS cephfs", "a file system needs a metadata server",
                                          "apply a pvecdk_ceph_mds first")]
    assert plan_ceph(FileSystem("pve2", "cephfs"), ceph(3, mds={"pve1": daemon("pve1")})).missing == []
