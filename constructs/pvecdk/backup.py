"""Backups: scheduled vzdump jobs (``proxmox_backup_job``).

:class:`BackupJob` backs up every guest (of a node, a pool, or a list) on a schedule, to a storage that holds
backups, in snapshot mode with zstd by default. :meth:`BackupJob.stagger_per_node` spreads one job per node
across a time window so the nodes do not all read their disks and write to the backup storage at once.

Schedules are PVE calendar events, checked before synthesis. Accepted: the names ``minutely``, ``hourly``,
``daily``, ``weekly``, ``monthly``, ``yearly`` (``annually``), ``quarterly``, ``semiannually`` on their own;
otherwise ``[weekdays] [date] [time]`` in that order, where weekdays are ``mon``..``sun`` as a list or forward
ranges (``mon..fri``, ``sat,sun``), the date is ``[years-]months-days`` (``*-*-01``, ``12-24``), and the time
is ``hours:minutes[:seconds]``, or minutes alone (``*/15``). Each number part takes ``*``, values, lists,
forward ranges ``a..b`` and repetitions ``start/step`` or ``*/step``, within 0-23 hours, 0-59 minutes and
seconds, 1-12 months, 1-31 days. Examples: ``02:00``, ``sat 03:30``, ``mon..fri 22:00``, ``*-*-01 04:00``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pvecdk import _calendar, _cdk
from pvecdk._validation import construct_path, problem
from pvecdk.bpg import backup_job
from pvecdk.errors import ConfigError, Problem
from pvecdk.storage import ContentType, Storage

if TYPE_CHECKING:
    from pvecdk.cluster import Cluster
    from pvecdk.guests import Guest, Pool
    from pvecdk.node import Node

__all__ = ["BackupJob", "BackupMode", "Compression", "MailNotification", "Retention"]

_JOB_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,127}$")
_MAIL = re.compile(r"^[^@\s]+(@[^@\s]+\.[^@\s]+)?$")  # an address, or a local user such as root


class BackupMode(enum.StrEnum):
    """How vzdump gets a consistent copy of a running guest."""

    SNAPSHOT = "snapshot"  # no downtime: a live snapshot (VM) or a storage snapshot (container)
    SUSPEND = "suspend"  # pauses the guest briefly
    STOP = "stop"  # shuts the guest down for the backup: the most consistent, with downtime


class Compression(enum.StrEnum):
    ZSTD = "zstd"
    GZIP = "gzip"
    LZO = "lzo"
    NONE = "0"


class MailNotification(enum.StrEnum):
    ALWAYS = "always"
    FAILURE = "failure"


@dataclass(frozen=True)
class Retention:
    """Which backups to keep (PVE's ``prune-backups``); a field left at None does not limit.

    Args:
        keep_last: The newest N backups.
        keep_hourly: The last backup of each of the last N hours.
        keep_daily: The last backup of each of the last N days.
        keep_weekly: The last backup of each of the last N weeks.
        keep_monthly: The last backup of each of the last N months.
        keep_yearly: The last backup of each of the last N years.
    """

    keep_last: int | None = None
    keep_hourly: int | None = None
    keep_daily: int | None = None
    keep_weekly: int | None = None
    keep_monthly: int | None = None
    keep_yearly: int | None = None

    def as_prune_backups(self) -> dict[str, str]:
        """PVE's ``prune-backups`` keys (``keep-daily``...) and values, as the provider takes them."""
        return {f"keep-{name.removeprefix('keep_')}": str(value)
                for name, value in self.__dict__.items() if value is not None}


class _JobL1(backup_job.BackupJob):
    """A ``proxmox_backup_job`` whose guest list is computed at synthesis when exclusions are used, so guests
    defined after the job are counted."""

    _owner: BackupJob

    def _synthesize_attributes(self) -> Mapping[str, Any]:
        self._owner._render()
        return super()._synthesize_attributes()

    def _synthesize_hcl_attributes(self) -> Mapping[str, Any]:
        self._owner._render()
        return super()._synthesize_hcl_attributes()


class BackupJob(_cdk.Construct):
    """A scheduled backup (vzdump) job (``proxmox_backup_job``).

    Example::

        BackupJob(stack, "nightly", storage=nfs, schedule="02:00", retention=Retention(keep_daily=7, keep_weekly=4))
        BackupJob.stagger_per_node(cluster, storage=pbs, window_start="01:00", window_end="05:00")
    """

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        storage: Storage,
        schedule: str = "02:00",
        job_id: str | None = None,
        mode: BackupMode | str = BackupMode.SNAPSHOT,
        compression: Compression | str = Compression.ZSTD,
        retention: Retention | None = None,
        guests: Sequence[Guest] | None = None,
        pool: Pool | None = None,
        node: Node | None = None,
        exclude: Sequence[Guest] = (),
        mail_to: Sequence[str] = (),
        mail_notification: MailNotification | str | None = None,
        bandwidth_limit_kibps: int | None = None,
        zstd_threads: int | None = None,
        notes_template: str | None = "{{guestname}}",
        repeat_missed: bool = True,
        enabled: bool = True,
    ) -> None:
        """Define the job.

        Selection: every guest (the default), or ``guests``, or a ``pool``; ``node`` narrows any of them to the
        guests on one node; ``exclude`` leaves guests out of "every guest".

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            storage: Where backups go; must hold ``backup``.
            schedule: When it runs, a PVE calendar event (``02:00``, ``sat 03:30``, ``mon..fri 22:00``,
                ``daily``...; see the module docstring for what is accepted). Defaults to every day at 02:00.
            job_id: PVE's job id. Defaults to the construct id.
            mode: ``snapshot`` (no downtime), ``suspend`` or ``stop``. Defaults to snapshot.
            compression: ``zstd``, ``gzip``, ``lzo`` or none (``0``). Defaults to zstd.
            retention: Which backups to keep (``prune-backups``). Defaults to the storage's retention.
            guests: Back up only these guests. Defaults to every guest.
            pool: Back up the guests of this pool. Defaults to none.
            node: Back up only guests running on this node. Defaults to every node.
            exclude: Guests to leave out of "every guest". The provider has no exclusion list, so the job
                then names the cluster's other guests defined in this model (guests made outside it are not
                backed up by such a job). Defaults to none.
            mail_to: Addresses (or local users such as ``root``) told about each run. Defaults to none.
            mail_notification: When to send mail: ``always`` or ``failure``. Defaults to PVE's (always).
            bandwidth_limit_kibps: I/O limit in KiB/s (``bwlimit``). Defaults to the storage's or none.
            zstd_threads: zstd threads (0 is half the cores). Defaults to PVE's (1).
            notes_template: The note each backup gets (``{{guestname}}``, ``{{vmid}}``, ``{{node}}``,
                ``{{cluster}}``). Defaults to the guest's name; None leaves it empty.
            repeat_missed: Run a missed job as soon as the node is back. Defaults to on.
            enabled: Whether the job runs. Defaults to on.
        """
        from pvecdk.guests import Guest, Pool
        from pvecdk.node import Node

        path = construct_path(scope, id)
        problems: list[Problem] = []

        def add(field: str, text: str, fix: str) -> None:
            problems.append(Problem(path, field, text, fix))

        jid = job_id if job_id is not None else id
        if not isinstance(jid, str) or not _JOB_ID.match(jid):
            add("job_id", f"{jid!r} is not a valid job id",
                "start with a letter; use letters, digits, '-' and '_' (or pass job_id=)")
        if not isinstance(storage, Storage):
            add("storage", f"{storage!r} is not a Storage", "pass a storage construct, or Storage.from_id(...)")
        elif not storage.holds(ContentType.BACKUP):
            held = ", ".join(sorted(c.value for c in storage.content)) or "nothing"
            add("storage", f"storage {storage.node.id} does not hold backups (it holds {held})",
                f"back up to a storage with backup in its content, or add backup to {storage.node.id}'s content")
        _calendar.check_schedule(path, schedule, "02:00", problems)
        if mode not in set(BackupMode):
            add("mode", f"{mode!r} is not a backup mode", "pick one of " + ", ".join(m.value for m in BackupMode))
        if compression not in set(Compression):
            add("compression", f"{compression!r} is not a compression",
                "pick one of " + ", ".join(c.value for c in Compression))
        if mail_notification is not None and mail_notification not in set(MailNotification):
            add("mail_notification", f"{mail_notification!r} is not a notification setting",
                "pick always or failure")
        if retention is not None:
            if not isinstance(retention, Retention):
                add("retention", f"{retention!r} is not a Retention", "pass Retention(keep_daily=7, ...)")
            else:
                for name, value in retention.__dict__.items():
                    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                        add(f"retention.{name}", f"must be 1 or more, got {value!r}",
                            "give a whole number of backups, or leave it unset")
                if not any(v is not None for v in retention.__dict__.values()):
                    add("retention", "keeps nothing: every field is unset",
                        "set at least one keep_*, or pass retention=None for the storage's")
        for i, address in enumerate(mail_to):
            if not isinstance(address, str) or not _MAIL.match(address):
                add(f"mail_to[{i}]", f"{address!r} is not a mail address", "give an address such as ops@example.org")
        if guests is not None and pool is not None:
            add("guests", "both guests and pool select guests", "pass one of guests= and pool=")
        if exclude and (guests is not None or pool is not None):
            add("exclude", "exclude applies to every guest, not to a list or a pool",
                "drop exclude, or drop guests/pool")
        if guests is not None and not list(guests):
            add("guests", "the list is empty", "list the guests, or leave guests unset for every guest")
        selections = (("guests", list(guests or ())), ("exclude", list(exclude)))
        for field, items in selections:
            for i, g in enumerate(items):
                if not isinstance(g, Guest):
                    add(f"{field}[{i}]", f"{g!r} is not a Vm or Container", "pass guest constructs")
        if pool is not None and not isinstance(pool, Pool):
            add("pool", f"{pool!r} is not a Pool", "pass Pool(...) or Pool.from_id(...)")
        if node is not None and not isinstance(node, Node):
            add("node", f"{node!r} is not a Node", "pass a node returned by cluster.add_node")
        if bandwidth_limit_kibps is not None and bandwidth_limit_kibps <= 0:
            add("bandwidth_limit_kibps", f"must be positive (KiB/s), got {bandwidth_limit_kibps}",
                "leave it unset for no limit")
        if zstd_threads is not None and zstd_threads < 0:
            add("zstd_threads", f"must be 0 or more, got {zstd_threads}", "give 0 (half the cores) or more")
        clusters = {hash(c): c for c in self._clusters(guests, exclude, node)}
        if len(clusters) > 1:
            add("guests", "the guests and node belong to different clusters", "back up one cluster per job")
        elif isinstance(node, Node):
            for field, items in selections:
                for i, g in enumerate(items):
                    if isinstance(g, Guest) and g.guest_node is not node:
                        add(f"{field}[{i}]", f"guest {g.vm_id} runs on {g.node_name}, not on {node.name}",
                            "list guests of that node, or drop node=")
        if problems:
            raise ConfigError(problems)
        super().__init__(scope, id)
        self._storage = storage
        self._guests = tuple(guests) if guests is not None else None
        self._exclude = tuple(exclude)
        self._node = node
        self._cluster: Cluster | None = next(iter(clusters.values()), None)
        self._job_id = jid
        self.resource = _JobL1(
            self, "Resource", id=jid, schedule=schedule, storage=storage.storage_id, mode=BackupMode(mode).value,
            compress=Compression(compression).value, all=guests is None and pool is None and not exclude,
            vmid=[str(g.vm_id) for g in self._guests] if self._guests is not None else None,
            pool=pool.pool_id if pool is not None else None, node_attribute=node.name if node else None,
            prune_backups=retention.as_prune_backups() if retention else None,
            mailto=list(mail_to) or None,
            mailnotification=MailNotification(mail_notification).value if mail_notification else None,
            bwlimit=bandwidth_limit_kibps, zstd=zstd_threads, notes_template=notes_template,
            repeat_missed=repeat_missed, enabled=enabled,
            depends_on=[g.resource for g in self._guests] if self._guests else None,
        )
        self.resource._owner = self

    @staticmethod
    def _clusters(guests: Sequence[Guest] | None, exclude: Sequence[Guest], node: Node | None) -> list[Cluster]:
        from pvecdk.guests import Guest
        from pvecdk.node import Node

        out = [g.cluster for g in [*(guests or ()), *exclude] if isinstance(g, Guest)]
        if isinstance(node, Node):
            out.append(node.cluster)
        return out

    def _render(self) -> None:
        if not self._exclude or self._cluster is None:
            return
        left_out = {g.vm_id for g in self._exclude}
        chosen = [g for g in self._cluster.guests if g.vm_id not in left_out
                  and (self._node is None or g.guest_node is self._node)]
        self.resource.vmid = [str(g.vm_id) for g in sorted(chosen, key=lambda g: g.vm_id)]

    @property
    def job_id(self) -> str:
        """PVE's job id."""
        return self._job_id

    @property
    def storage(self) -> Storage:
        return self._storage

    @classmethod
    def stagger_per_node(
        cls,
        cluster: Cluster,
        *,
        storage: Storage,
        window_start: str = "01:00",
        window_end: str = "05:00",
        days: str | None = None,
        scope: _cdk.Construct | None = None,
        id_prefix: str = "Backup",
        **props: Any,
    ) -> list[BackupJob]:
        """Add one job per node, their start times spread evenly across a window; returns them, by node id.

        With N nodes the window is cut into N equal slots and node i starts at the beginning of slot i
        (rounded down to the minute), so each node's backups have a slot to themselves before the next begins.
        A window may cross midnight (``22:00`` to ``04:00``).

        Args:
            cluster: Whose nodes get a job each.
            storage: Where backups go; must hold ``backup``.
            window_start: ``HH:MM`` when the first node starts. Defaults to 01:00.
            window_end: ``HH:MM`` by which the last node has started. Defaults to 05:00.
            days: Weekdays to run on (``mon..fri``, ``sat,sun``). Defaults to every day.
            scope: Where the jobs are added. Defaults to the cluster.
            id_prefix: Construct ids and job ids are ``<id_prefix>-<node>`` (job ids lowercased). Defaults
                to Backup.
            **props: Any other :class:`BackupJob` argument (mode, compression, retention, pool, exclude,
                mail_to...), except ``schedule``, ``node``, ``guests`` and ``job_id``.

        Returns:
            The jobs.
        """
        path = construct_path(scope or cluster, f"{id_prefix}-*")
        problems = []
        for taken in ("schedule", "node", "guests", "job_id"):
            if taken in props:
                problems.append(Problem(path, taken, f"{taken} is set per node by stagger_per_node",
                                        f"drop {taken}=, or define the jobs yourself"))
        minutes: list[int] = []
        for field, value in (("window_start", window_start), ("window_end", window_end)):
            try:
                minutes.append(_calendar.minutes_of_day(value))
            except ValueError as exc:
                problems.append(problem(path, field, str(exc)))
        if days is not None:
            try:
                _calendar.check_weekdays(days)
            except ValueError as exc:
                problems.append(problem(path, "days", str(exc)))
        nodes = sorted(cluster.nodes, key=lambda n: n.node_id)
        if not nodes:
            problems.append(Problem(path, "cluster", "the cluster has no node yet", "add the nodes first"))
        if len(minutes) == 2 and minutes[0] == minutes[1]:
            problems.append(Problem(path, "window_end", f"the window {window_start}-{window_end} is empty",
                                    "give a window_end after window_start"))
        if problems:
            raise ConfigError(problems)
        start, end = minutes
        width = (end - start) % (24 * 60)
        jobs = []
        exclude = list(props.pop("exclude", ()))
        for i, node in enumerate(nodes):
            at = (start + width * i // len(nodes)) % (24 * 60)
            when = f"{at // 60:02d}:{at % 60:02d}"
            schedule = f"{days} {when}" if days else when
            cid = f"{id_prefix}-{node.name}"
            mine = [g for g in exclude if getattr(g, "guest_node", None) is node]
            jobs.append(cls(scope or cluster, cid, storage=storage, schedule=schedule, job_id=cid.lower(),
                            node=node, exclude=mine, **props))
        return jobs
