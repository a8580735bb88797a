"""Backup jobs: schedule syntax, selection, retention, staggering, and what they refuse."""

from __future__ import annotations

from typing import Any

import pytest
from lab import lab, only, resources
from pvecdk import BackupJob, ConfigError, Container, Disk, Pool, Retention, Vm, _cdk
from pvecdk._calendar import check_calendar_event

ACCEPTED = ["02:00", "2:5", "daily", "weekly", "monthly", "yearly", "hourly", "minutely", "quarterly",
            "semiannually", "annually", "sat 03:30", "mon..fri 22:00", "mon,wed,fri 01:00", "sat,sun",
            "Mon..Fri 08..18:00", "*/15", "30", "*/2:00", "0/6:30", "8..17/2:0", "12,14,16:05", "fri 12..13:5/20",
            "*-*-01 04:00", "2026-12-24 18:00", "12-24", "mon *-1..7 02:00", "02:00:30", "mon..wed 30/10"]
REJECTED = [
    ("", "the schedule is empty"),
    ("25:00", "hour 25 is out of range"),
    ("02:60", "minute 60 is out of range"),
    ("funday 02:00", "'funday' is not a weekday"),
    ("fri..mon", "weekday range 'fri..mon' runs backwards"),
    ("18..8:00", "hour range '18..8' runs backwards"),
    ("*/0", "minute step 0 is out of range"),
    ("02:00 mon", "repeats or misorders its parts"),
    ("daily 02:00", "'daily' is a named event and stands alone"),
    ("2026-13-01", "month 13 is out of range"),
    ("1-2-3-4", "is not a date"),
    ("1:2:3:4", "is not a time"),
    ("0x10:00", "'0x10' is not a number for the hour"),
    ("02:", "the minute part is empty"),
]


@pytest.mark.parametrize("event", ACCEPTED)
def test_accepts_calendar_event(event: str) -> None:
    check_calendar_event(event)


@pytest.mark.parametrize(("event", "words"), REJECTED, ids=[r[0] or "empty" for r in REJECTED])
def test_rejects_calendar_event(event: str, words: str) -> None:
    with pytest.raises(ValueError, match="; ") as excinfo:
        check_calendar_event(event)
    assert words in str(excinfo.value)


def test_nightly_backup_defaults() -> None:
    l9 = lab()
    job = BackupJob(l9.stack, "nightly", storage=l9.nfs)
    (r,) = resources(l9.stack, "proxmox_backup_job")
    assert (r["id"], r["schedule"], r["storage"], r["all"]) == ("nightly", "02:00", "nfs-backup", True)
    assert (r["mode"], r["compress"]) == ("snapshot", "zstd")
    assert r["repeat_missed"] is True and r["enabled"] is True
    assert r["notes_template"] == "{{guestname}}"
    assert "prune_backups" not in r, "without retention the storage's applies"
    assert job.job_id == "nightly" and job.storage is l9.nfs


def test_retention_selection_and_notifications() -> None:
    l9 = lab()
    a = Vm(l9.stack, "a", node=l9.nodes[0], vm_id=100)
    b = Vm(l9.stack, "b", node=l9.nodes[1], vm_id=101)
    BackupJob(l9.stack, "Two", job_id="two-guests", storage=l9.nfs, schedule="sat 03:30", guests=[a, b],
              mode="stop", compression="gzip", mail_to=["ops@example.org", "root"], mail_notification="failure",
              retention=Retention(keep_last=3, keep_daily=7, keep_weekly=4, keep_monthly=6, keep_yearly=1),
              bandwidth_limit_kibps=51200, zstd_threads=0, enabled=False)
    (r,) = resources(l9.stack, "proxmox_backup_job")
    assert r["id"] == "two-guests" and r["all"] is False and r["vmid"] == ["100", "101"]
    assert r["prune_backups"] == {"keep-last": "3", "keep-daily": "7", "keep-weekly": "4", "keep-monthly": "6",
                                  "keep-yearly": "1"}
    assert (r["mailto"], r["mailnotification"]) == (["ops@example.org", "root"], "failure")
    assert (r["mode"], r["compress"], r["bwlimit"], r["zstd"], r["enabled"]) == ("stop", "gzip", 51200, 0, False)
    assert len(r["depends_on"]) == 2


def test_pool_and_node_selection() -> None:
    l9 = lab()
    pool = Pool(l9.stack, "Prod", pool_id="prod")
    BackupJob(l9.stack, "prod", storage=l9.nfs, pool=pool, node=l9.nodes[2])
    (r,) = resources(l9.stack, "proxmox_backup_job")
    assert r["pool"].startswith("${proxmox_virtual_environment_pool.") and r["node"] == "pve3"
    assert r["all"] is False


def test_exclusions_name_every_other_guest_including_later_ones() -> None:
    l9 = lab()
    skip = Vm(l9.stack, "scratch", node=l9.nodes[0], vm_id=150)
    BackupJob(l9.stack, "all-but", storage=l9.nfs, exclude=[skip])
    Vm(l9.stack, "a", node=l9.nodes[0], vm_id=100)
    Container(l9.stack, "c", node=l9.nodes[1], vm_id=300, template="local:vztmpl/a.tar.zst", disk=Disk(l9.rbd))
    (r,) = resources(l9.stack, "proxmox_backup_job")
    assert r["all"] is False and r["vmid"] == ["100", "300"]


def test_stagger_per_node_spreads_starts_across_the_window() -> None:
    l9 = lab(nodes=4)
    jobs = BackupJob.stagger_per_node(l9.cluster, storage=l9.nfs, window_start="01:00", window_end="05:00",
                                      retention=Retention(keep_daily=7))
    assert [j.job_id for j in jobs] == ["backup-pve1", "backup-pve2", "backup-pve3", "backup-pve4"]
    by_node = {r["node"]: r for r in resources(l9.stack, "proxmox_backup_job")}
    assert {n: r["schedule"] for n, r in by_node.items()} == {
        "pve1": "01:00", "pve2": "02:00", "pve3": "03:00", "pve4": "04:00"}
    assert all(r["all"] is True and r["prune_backups"] == {"keep-daily": "7"} for r in by_node.values())


def test_stagger_across_midnight_on_given_days() -> None:
    l9 = lab()
    skip = Vm(l9.stack, "skip", node=l9.nodes[1], vm_id=100)
    Vm(l9.stack, "keep", node=l9.nodes[1], vm_id=101)
    BackupJob.stagger_per_node(l9.cluster, storage=l9.nfs, window_start="23:00", window_end="02:00",
                               days="mon..fri", exclude=[skip], id_prefix="Night")
    by_node = {r["node"]: r for r in resources(l9.stack, "proxmox_backup_job")}
    assert {n: r["schedule"] for n, r in by_node.items()} == {
        "pve1": "mon..fri 23:00", "pve2": "mon..fri 00:00", "pve3": "mon..fri 01:00"}
    assert by_node["pve2"]["vmid"] == ["101"] and by_node["pve1"]["all"] is True


# ----------------------------------------------------------------------------------------------- rejections


def _job_error(**kwargs: Any) -> Any:
    l9 = lab()
    kwargs.setdefault("storage", l9.nfs)
    with pytest.raises(ConfigError) as excinfo:
        BackupJob(l9.stack, "job", **{k: (v(l9) if callable(v) else v) for k, v in kwargs.items()})
    return excinfo


def test_message_shape() -> None:
    assert str(_job_error(mode="live").value) == (
        "1 problem in the configuration\n"
        "  test/job: mode: 'live' is not a backup mode; pick one of snapshot, suspend, stop")


def test_rejects_storage_without_backups() -> None:
    p = only(_job_error(storage=lambda l9: l9.rbd))
    assert (p.path, p.field) == ("test/job", "storage")
    assert p.problem == "storage ceph-vm does not hold backups (it holds images, rootdir)"
    assert "add backup to ceph-vm's content" in p.fix


def test_rejects_a_bad_schedule() -> None:
    p = only(_job_error(schedule="mon..fri 25:00"))
    assert (p.path, p.field) == ("test/job", "schedule") and p.problem == "time '25:00': hour 25 is out of range"
    assert p.fix == "give hour as 0-23"


def test_rejects_a_schedule_that_is_no_string_and_leaves_tokens_to_pve() -> None:
    p = only(_job_error(schedule=5))
    assert (p.path, p.field, p.problem, p.fix) == ("test/job", "schedule", "5 is not a calendar event",
                                                   "give a string such as 02:00")
    l9 = lab()
    when = _cdk.TerraformVariable(l9.stack, "when", type="string")
    BackupJob(l9.stack, "job", storage=l9.nfs, schedule=when.string_value)
    (r,) = resources(l9.stack, "proxmox_backup_job")
    assert r["schedule"] == "${var.when}"


@pytest.mark.parametrize(("kwargs", "field", "words", "fix"), [
    ({"mode": "live"}, "mode", "'live' is not a backup mode", "pick one of snapshot, suspend, stop"),
    ({"compression": "xz"}, "compression", "'xz' is not a compression", "pick one of zstd, gzip, lzo, 0"),
    ({"retention": Retention()}, "retention", "keeps nothing", "set at least one keep_*"),
    ({"retention": Retention(keep_daily=0)}, "retention.keep_daily", "must be 1 or more",
     "give a whole number of backups"),
    ({"mail_to": ["ops at example"]}, "mail_to[0]", "is not a mail address", "such as ops@example.org"),
    ({"mail_notification": "never"}, "mail_notification", "'never' is not a notification setting",
     "pick always or failure"),
    ({"job_id": "1-nightly"}, "job_id", "is not a valid job id", "start with a letter"),
    ({"guests": []}, "guests", "the list is empty", "leave guests unset for every guest"),
    ({"guests": ["vm:100"]}, "guests[0]", "is not a Vm or Container", "pass guest constructs"),
    ({"bandwidth_limit_kibps": 0}, "bandwidth_limit_kibps", "must be positive", "leave it unset for no limit"),
])
def test_rejects_bad_job_settings(kwargs: dict[str, Any], field: str, words: str, fix: str) -> None:
    p = only(_job_error(**kwargs))
    assert (p.path, p.field) == ("test/job", field) and words in p.problem and fix in p.fix, p


def test_rejects_mail_to_given_as_one_string() -> None:
    p = only(_job_error(mail_to="root"))
    assert (p.path, p.field) == ("test/job", "mail_to"), "a string is not taken letter by letter"
    assert p.problem == "expected a list of addresses, got the string 'root'"
    assert p.fix == "pass a list, such as ['root']"


def test_rejects_a_single_guest_instead_of_a_list() -> None:
    l9 = lab()
    vm = Vm(l9.stack, "a", node=l9.nodes[0], vm_id=100)
    with pytest.raises(ConfigError) as excinfo:
        BackupJob(l9.stack, "job", storage=l9.nfs, guests=vm)  # type: ignore[arg-type]
    p = only(excinfo)
    assert (p.path, p.field) == ("test/job", "guests")
    assert p.problem.startswith("input should be a valid tuple, got <pvecdk.guests.Vm object")
    assert p.fix == "pass a list, even for one item"


def test_rejects_guests_of_two_clusters() -> None:
    l9, other = lab(), lab()
    mine = Vm(l9.stack, "a", node=l9.nodes[0], vm_id=100)
    theirs = Vm(other.stack, "b", node=other.nodes[0], vm_id=101)
    with pytest.raises(ConfigError) as excinfo:
        BackupJob(l9.stack, "job", storage=l9.nfs, guests=[mine, theirs])
    p = only(excinfo)
    assert (p.path, p.field) == ("test/job", "guests")
    assert p.problem == "the guests and node belong to different clusters"
    assert p.fix == "back up one cluster per job"


def test_rejects_two_selections_at_once() -> None:
    l9 = lab()
    vm = Vm(l9.stack, "a", node=l9.nodes[0], vm_id=100)
    with pytest.raises(ConfigError) as excinfo:
        BackupJob(l9.stack, "job", storage=l9.nfs, guests=[vm], pool=Pool.from_id(l9.stack, "p"), exclude=[vm])
    fields = [p.field for p in excinfo.value.problems]
    assert fields == ["guests", "exclude"]
    assert [(p.path, p.fix) for p in excinfo.value.problems] == [
        ("test/job", "pass one of guests= and pool="), ("test/job", "drop exclude, or drop guests/pool")]


def test_rejects_guests_of_another_node() -> None:
    l9 = lab()
    vm = Vm(l9.stack, "a", node=l9.nodes[0], vm_id=100)
    with pytest.raises(ConfigError) as excinfo:
        BackupJob(l9.stack, "job", storage=l9.nfs, guests=[vm], node=l9.nodes[1])
    p = only(excinfo)
    assert (p.path, p.field) == ("test/job", "guests[0]") and p.problem == "guest 100 runs on pve1, not on pve2"
    assert p.fix == "list guests of that node, or drop node="


def test_rejects_bad_stagger_arguments() -> None:
    l9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        BackupJob.stagger_per_node(l9.cluster, storage=l9.nfs, window_start="1am", window_end="01:00",
                                   days="weekend", schedule="02:00")
    fields = [p.field for p in excinfo.value.problems]
    assert fields == ["schedule", "window_start", "days"]
    assert {p.path for p in excinfo.value.problems} == {"test/Cluster/Backup-*"}
    assert [p.fix for p in excinfo.value.problems] == [
        "drop schedule=, or define the jobs yourself", "give HH:MM, such as 01:00",
        "use mon, tue, wed, thu, fri, sat or sun"]
    with pytest.raises(ConfigError) as excinfo:
        BackupJob.stagger_per_node(l9.cluster, storage=l9.nfs, window_start="01:00", window_end="01:00")
    p = only(excinfo)
    assert (p.path, p.field, p.fix) == ("test/Cluster/Backup-*", "window_end", "give a window_end after window_start")


def test_rejects_stagger_exclusions_no_job_would_get() -> None:
    l9, other = lab(), lab()
    theirs = Vm(other.stack, "b", node=other.nodes[0], vm_id=101)
    with pytest.raises(ConfigError) as excinfo:
        BackupJob.stagger_per_node(l9.cluster, storage=l9.nfs, exclude=["vm:100", theirs])
    p = only(excinfo)
    assert (p.path, p.field, p.problem, p.fix) == ("test/Cluster/Backup-*", "exclude[0]",
                                                   "'vm:100' is not a Vm or Container", "pass guest constructs")
    with pytest.raises(ConfigError) as excinfo:
        BackupJob.stagger_per_node(l9.cluster, storage=l9.nfs, exclude=[theirs])
    p = only(excinfo)
    assert (p.path, p.field, p.problem, p.fix) == ("test/Cluster/Backup-*", "exclude[0]",
                                                   "guest 101 is not in cluster lab", "exclude only guests of lab")
    assert l9.cluster.node.try_find_child("Backup-pve1") is None, "no job is added"


def test_stagger_problems_name_the_jobs_it_would_add() -> None:
    l9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        BackupJob.stagger_per_node(l9.cluster, storage=l9.nfs, node=l9.nodes[0])
    assert only(excinfo).path == "test/Cluster/Backup-*"
    with pytest.raises(ConfigError) as excinfo:
        BackupJob.stagger_per_node(l9.cluster, storage=l9.nfs, scope=l9.stack, id_prefix="Night", job_id="x")
    assert only(excinfo).path == "test/Night-*"


def test_rejects_an_exclusion_of_another_node() -> None:
    l9 = lab()
    vm = Vm(l9.stack, "a", node=l9.nodes[0], vm_id=100)
    with pytest.raises(ConfigError) as excinfo:
        BackupJob(l9.stack, "job", storage=l9.nfs, exclude=[vm], node=l9.nodes[1])
    p = only(excinfo)
    assert (p.path, p.field) == ("test/job", "exclude[0]") and p.problem == "guest 100 runs on pve1, not on pve2"
    assert p.fix == "list guests of that node, or drop node="
