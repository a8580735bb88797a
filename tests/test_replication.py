"""Storage replication jobs: what they emit, and the guests and targets they refuse."""

from __future__ import annotations

import pytest
from lab import lab, only, resources
from pvecdk import ConfigError, Container, Disk, Replication, Storage, Vm


def test_replication_of_a_zfs_guest() -> None:
    l9 = lab()
    vm = Vm(l9.stack, "db", node=l9.nodes[0], vm_id=120, disks=[Disk(l9.zfs, size_gib=100)])
    first = vm.replicate_to(l9.nodes[1], schedule="*/5", rate_limit_mbps=100, comment="to pve2")
    second = vm.replicate_to(l9.nodes[2], enabled=False)
    assert (first.job_id, second.job_id) == ("120-0", "120-1")
    assert vm.replications == (first, second) and first.target is l9.nodes[1]
    jobs = {r["id"]: r for r in resources(l9.stack, "proxmox_replication")}
    assert jobs["120-0"] == {**jobs["120-0"], "target": "pve2", "type": "local", "schedule": "*/5", "rate": 100,
                             "comment": "to pve2"}
    assert jobs["120-1"]["disable"] is True and jobs["120-1"]["schedule"] == "*/15"
    assert all(any(d.startswith("proxmox_virtual_environment_vm.") for d in j["depends_on"]) for j in jobs.values())


def test_a_disk_left_out_of_replication_may_be_elsewhere() -> None:
    l9 = lab()
    ct = Container(l9.stack, "ct", node=l9.nodes[0], vm_id=200, template="local:vztmpl/a.tar.zst",
                   disk=Disk(l9.zfs, size_gib=8))
    Replication(l9.stack, "Rep", guest=ct, target=l9.nodes[2])
    vm = Vm(l9.stack, "vm", node=l9.nodes[0], vm_id=121,
            disks=[Disk(l9.zfs), Disk(l9.lvm, replicate=False)])
    vm.replicate_to(l9.nodes[1])
    (r,) = [v for v in resources(l9.stack, "proxmox_virtual_environment_vm")]
    assert r["disk"][1]["replicate"] is False


def test_rejects_a_guest_not_on_zfs() -> None:
    l9 = lab()
    vm = Vm(l9.stack, "web", node=l9.nodes[0], vm_id=100, disks=[Disk(l9.zfs), Disk(l9.lvm)])
    with pytest.raises(ConfigError) as excinfo:
        vm.replicate_to(l9.nodes[1])
    p = only(excinfo)
    assert (p.path, p.field) == ("test/web/Replication-pve2", "guest.disks[1].storage")
    assert p.problem == "storage local-lvm is lvmthin, and PVE replicates only zfspool storage"
    assert "replicate=False" in p.fix


def test_rejects_a_container_not_on_zfs() -> None:
    l9 = lab()
    ct = Container(l9.stack, "ct", node=l9.nodes[0], vm_id=200, template="local:vztmpl/a.tar.zst",
                   disk=Disk(l9.lvm))
    with pytest.raises(ConfigError) as excinfo:
        ct.replicate_to(l9.nodes[1])
    p = only(excinfo)
    assert (p.path, p.field) == ("test/ct/Replication-pve2", "guest.disk.storage"), "a container's prop is disk"
    assert p.problem == "storage local-lvm is lvmthin, and PVE replicates only zfspool storage"
    assert "replicate=False" in p.fix


def test_rejects_replicating_to_the_guests_own_node() -> None:
    l9 = lab()
    vm = Vm(l9.stack, "db", node=l9.nodes[0], vm_id=120, disks=[Disk(l9.zfs)])
    with pytest.raises(ConfigError) as excinfo:
        vm.replicate_to(l9.nodes[0])
    p = only(excinfo)
    assert (p.path, p.field) == ("test/db/Replication-pve1", "target")
    assert (p.problem, p.fix) == ("guest 120 already runs on pve1", "replicate to another node of the cluster")


def test_rejects_a_target_of_another_cluster_or_twice_the_same() -> None:
    l9, other = lab(), lab()
    vm = Vm(l9.stack, "db", node=l9.nodes[0], vm_id=120, disks=[Disk(l9.zfs)])
    with pytest.raises(ConfigError) as excinfo:
        vm.replicate_to(other.nodes[1])
    p = only(excinfo)
    assert (p.path, p.field, p.problem, p.fix) == ("test/db/Replication-pve2", "target",
                                                   "node pve2 is not in cluster lab",
                                                   "replicate to a node of the guest's cluster")
    vm.replicate_to(l9.nodes[1])
    with pytest.raises(ConfigError) as excinfo:
        Replication(l9.stack, "Again", guest=vm, target=l9.nodes[1])
    p = only(excinfo)
    assert (p.path, p.field, p.problem, p.fix) == ("test/Again", "target", "guest 120 is already replicated to pve2",
                                                   "add one job per target node")


def test_rejects_a_target_without_the_storage() -> None:
    l9 = lab()
    tank = Storage.from_id(l9.stack, "tank", storage_type="zfspool", content=["images"], nodes=l9.nodes[:2])
    vm = Vm(l9.stack, "db", node=l9.nodes[0], vm_id=120, disks=[Disk(tank)])
    with pytest.raises(ConfigError) as excinfo:
        vm.replicate_to(l9.nodes[2])
    p = only(excinfo)
    assert (p.path, p.field) == ("test/db/Replication-pve3", "guest.disks[0].storage")
    assert (p.problem, p.fix) == ("storage tank is not defined on the target node pve3", "define tank on pve3 too")


def test_rejects_a_guest_without_disks_bad_schedule_and_rate() -> None:
    l9 = lab()
    vm = Vm(l9.stack, "diskless", node=l9.nodes[0], vm_id=130)
    with pytest.raises(ConfigError) as excinfo:
        vm.replicate_to(l9.nodes[1], schedule="every 5 minutes", rate_limit_mbps=0)
    fields = [p.field for p in excinfo.value.problems]
    assert fields == ["guest", "schedule", "rate_limit_mbps"]
    assert {p.path for p in excinfo.value.problems} == {"test/diskless/Replication-pve2"}
    assert [p.fix for p in excinfo.value.problems] == [
        "replicate a guest with disks on zfspool", "use mon, tue, wed, thu, fri, sat or sun",
        "leave it unset for no limit"]


def test_rejects_a_schedule_that_is_no_string() -> None:
    l9 = lab()
    vm = Vm(l9.stack, "db", node=l9.nodes[0], vm_id=120, disks=[Disk(l9.zfs)])
    with pytest.raises(ConfigError) as excinfo:
        vm.replicate_to(l9.nodes[1], schedule=15)  # type: ignore[arg-type]
    p = only(excinfo)
    assert (p.path, p.field, p.problem, p.fix) == ("test/db/Replication-pve2", "schedule", "15 is not a calendar event",
                                                   "give a string such as */15")


def test_message_shape() -> None:
    l9 = lab()
    vm = Vm(l9.stack, "db", node=l9.nodes[0], vm_id=120, disks=[Disk(l9.zfs)])
    with pytest.raises(ConfigError) as excinfo:
        vm.replicate_to(l9.nodes[0])
    assert str(excinfo.value) == (
        "1 problem in the configuration\n"
        "  test/db/Replication-pve1: target: guest 120 already runs on pve1; replicate to another node of the cluster")
