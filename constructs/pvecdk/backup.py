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
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, PlainValidator, ValidationInfo, field_validator, model_validator

from pvecdk import _calendar, _cdk
from pvecdk._base import ClusterBase, NodeBase
from pvecdk._fault import Fault
from pvecdk._guest import GuestBase
from pvecdk._guest_props import NodeProp
from pvecdk._guest_values import Pool
from pvecdk._validation import (
    Located,
    Props,
    check_props,
    construct_path,
    instance_of,
    raise_at,
    schedule_value,
    whole_number,
)
from pvecdk._values import Retention
from pvecdk.bpg import backup_job
from pvecdk.storage import ContentType, Storage

__all__ = ["BackupJob", "BackupMode", "Compression", "MailNotification", "Retention"]

_JOB_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,127}$")
_MAIL = re.compile(r"^[^@\s]+(@[^@\s]+\.[^@\s]+)?$")  # an address, or a local user such as root
#: The BackupJob arguments stagger_per_node sets for each node.
_PER_NODE = ("schedule", "node", "guests", "job_id")



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


_Guest = Annotated[GuestBase, PlainValidator(instance_of(GuestBase, "pass guest constructs", name="Vm or Container"))]


def _mail_address(v: Any) -> Any:
    if not isinstance(v, str) or not _MAIL.match(v):
        raise Fault(f"{v!r} is not a mail address", "give an address such as ops@example.org")
    return v


class _BackupJobProps(Props):
    job_id: str
    storage: Annotated[Storage, PlainValidator(instance_of(
        Storage, "pass a storage construct, or Storage.from_id(...)"))]
    schedule: str
    mode: BackupMode
    compression: Compression
    mail_notification: MailNotification | None
    retention: Annotated[Retention, PlainValidator(instance_of(Retention, "pass Retention(keep_daily=7, ...)"))] | None
    mail_to: tuple[Annotated[Any, AfterValidator(_mail_address)], ...]
    guests: tuple[_Guest, ...] | None
    exclude: tuple[_Guest, ...]
    pool: Annotated[Pool, PlainValidator(instance_of(Pool, "pass Pool(...) or Pool.from_id(...)"))] | None
    node: NodeProp | None
    bandwidth_limit_kibps: Annotated[int, whole_number(1, None, "must be positive (KiB/s)",
                                                       "leave it unset for no limit")] | None
    zstd_threads: Annotated[int, whole_number(0, None, "must be 0 or more", "give 0 (half the cores) or more")] | None
    notes_template: str | None
    repeat_missed: bool
    enabled: bool

    @field_validator("job_id", mode="before")
    @classmethod
    def _job_id(cls, v: object) -> object:
        if not isinstance(v, str) or not _JOB_ID.match(v):
            raise Fault(f"{v!r} is not a valid job id", "start with a letter, use letters, digits, '-' and '_' "
                        "(or pass job_id=)")
        return v

    @field_validator("storage")
    @classmethod
    def _storage(cls, v: Storage) -> Storage:
        if not v.holds(ContentType.BACKUP):
            held = ", ".join(sorted(c.value for c in v.content)) or "nothing"
            raise Fault(f"storage {v.node.id} does not hold backups (it holds {held})", f"back up to a storage "
                        f"with backup in its content, or add backup to {v.node.id}'s content")
        return v

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule(cls, v: object) -> object:
        return schedule_value(v, "02:00")

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, v: object) -> object:
        if not isinstance(v, str) or v not in set(BackupMode):
            raise Fault(f"{v!r} is not a backup mode", "pick one of " + ", ".join(m.value for m in BackupMode))
        return v

    @field_validator("compression", mode="before")
    @classmethod
    def _compression(cls, v: object) -> object:
        if not isinstance(v, str) or v not in set(Compression):
            raise Fault(f"{v!r} is not a compression", "pick one of " + ", ".join(c.value for c in Compression))
        return v

    @field_validator("mail_notification", mode="before")
    @classmethod
    def _mail_notification(cls, v: object) -> object:
        if v is not None and (not isinstance(v, str) or v not in set(MailNotification)):
            raise Fault(f"{v!r} is not a notification setting", "pick always or failure")
        return v

    @field_validator("mail_to", mode="before")
    @classmethod
    def _mail_list(cls, v: object) -> object:
        # A string is a sequence too: taken letter by letter, "root" would mail r, o, o and t.
        if isinstance(v, str):
            raise Fault(f"expected a list of addresses, got the string {v!r}", f"pass a list, such as [{v!r}]")
        return v

    @field_validator("retention")
    @classmethod
    def _retention(cls, v: Retention | None) -> Retention | None:
        if v is None:
            return v
        raise_at([(name, f"must be 1 or more, got {value!r}", "give a whole number of backups, or leave it unset")
                   for name, value in vars(v).items()
                   if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1)])
        if all(value is None for value in vars(v).values()):
            raise Fault("keeps nothing: every field is unset", "set at least one keep_*, or pass retention=None "
                        "for the storage's")
        return v

    @field_validator("guests")
    @classmethod
    def _guests(cls, v: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
        if v is not None and not v:
            raise Fault("the list is empty", "list the guests, or leave guests unset for every guest")
        return v

    def clusters(self) -> list[ClusterBase]:
        """The clusters of the listed guests and the node, each once."""
        found = [g.cluster for g in (*(self.guests or ()), *self.exclude)]
        if self.node is not None:
            found.append(self.node.cluster)
        return list({hash(c): c for c in found}.values())

    @model_validator(mode="after")
    def _between(self) -> _BackupJobProps:
        """One way of selecting guests, from one cluster, on the node when one is given."""
        located: list[Located] = []
        if self.guests is not None and self.pool is not None:
            located.append(("guests", "both guests and pool select guests", "pass one of guests= and pool="))
        if self.exclude and (self.guests is not None or self.pool is not None):
            located.append(("exclude", "exclude applies to every guest, not to a list or a pool", "drop exclude, or "
                            "drop guests/pool"))
        clusters = self.clusters()
        owner = getattr(self.storage, "cluster", None)
        if len(clusters) > 1:
            located.append(("guests", "the guests and node belong to different clusters", "back up one cluster per "
                            "job"))
        elif clusters and isinstance(owner, ClusterBase) and owner is not clusters[0]:
            located.append(("storage", f"storage {self.storage.node.id} belongs to cluster {owner.name}, the "
                            f"guests to cluster {clusters[0].name}", f"back up to a storage of {clusters[0].name}"))
        elif self.node is not None:
            for field, items in (("guests", self.guests or ()), ("exclude", self.exclude)):
                located += [(f"{field}[{i}]", f"guest {g.vm_id} runs on {g.node_name}, not on {self.node.name}", ""
                             "list guests of that node, or drop node=")
                            for i, g in enumerate(items) if g.guest_node is not self.node]
        raise_at(located)
        return self


class _StaggerProps(Props):
    """The arguments of :meth:`BackupJob.stagger_per_node`; the jobs it adds check the others."""

    schedule: Any = None
    node: Any = None
    guests: Any = None
    job_id: Any = None
    window_start: str
    window_end: str
    days: str | None
    cluster: Annotated[ClusterBase, PlainValidator(instance_of(ClusterBase, "pass the ClusterBase construct",
                                                                          name="Cluster"))]
    # Split here among the per-node jobs, so checked here: a guest no job would get is an error, not dropped.
    exclude: tuple[_Guest, ...] = ()

    @field_validator(*_PER_NODE, mode="before")
    @classmethod
    def _set_per_node(cls, v: object, info: ValidationInfo) -> object:
        raise Fault(f"{info.field_name} is set per node by stagger_per_node", f"drop {info.field_name}=, or "
                    "define the jobs yourself")

    @field_validator("window_start", "window_end")
    @classmethod
    def _time_of_day(cls, v: str) -> str:
        _calendar.minutes_of_day(v)
        return v

    @field_validator("days")
    @classmethod
    def _days(cls, v: str | None) -> str | None:
        if v is not None:
            _calendar.check_weekdays(v)
        return v

    @field_validator("cluster")
    @classmethod
    def _cluster(cls, v: ClusterBase) -> ClusterBase:
        if not v.nodes:
            raise Fault("the cluster has no node yet", "add the nodes first")
        return v

    @property
    def window(self) -> tuple[int, int]:
        """Start and end of the window, in minutes after midnight."""
        return _calendar.minutes_of_day(self.window_start), _calendar.minutes_of_day(self.window_end)

    @model_validator(mode="after")
    def _between(self) -> _StaggerProps:
        located: list[Located] = []
        start, end = self.window
        if start == end:
            located.append(("window_end", f"the window {self.window_start}-{self.window_end} is empty", "give a "
                            "window_end after window_start"))
        name = self.cluster.name
        located += [(f"exclude[{i}]", f"guest {g.vm_id} is not in cluster {name}", f"exclude only guests of {name}")
                    for i, g in enumerate(self.exclude) if g.cluster is not self.cluster]
        raise_at(located)
        return self


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
        guests: Sequence[GuestBase] | None = None,
        pool: Pool | None = None,
        node: NodeBase | None = None,
        exclude: Sequence[GuestBase] = (),
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
        props = check_props(_BackupJobProps, lambda: construct_path(scope, id), dict(
            job_id=job_id if job_id is not None else id, storage=storage, schedule=schedule, mode=mode,
            compression=compression, mail_notification=mail_notification, retention=retention, mail_to=mail_to,
            guests=guests, exclude=exclude, pool=pool, node=node, bandwidth_limit_kibps=bandwidth_limit_kibps,
            zstd_threads=zstd_threads, notes_template=notes_template, repeat_missed=repeat_missed, enabled=enabled))
        super().__init__(scope, id)
        self._storage: Storage = props.storage
        self._guests: tuple[GuestBase, ...] | None = props.guests
        self._exclude: tuple[GuestBase, ...] = props.exclude
        self._node: NodeBase | None = props.node
        self._cluster: ClusterBase | None = next(iter(props.clusters()), None)
        self._job_id = props.job_id
        self.resource = backup_job.BackupJob(
            self, "Resource", id=props.job_id, schedule=props.schedule, storage=self._storage.storage_id,
            mode=props.mode.value, compress=props.compression.value,
            all=self._guests is None and props.pool is None and not self._exclude,
            vmid=[str(g.vm_id) for g in self._guests] if self._guests is not None else None,
            pool=props.pool.pool_id if props.pool is not None else None,
            node_attribute=self._node.name if self._node is not None else None,
            prune_backups=props.retention.as_prune_backups() if props.retention is not None else None,
            mailto=list(props.mail_to) or None,
            mailnotification=props.mail_notification.value if props.mail_notification is not None else None,
            bwlimit=props.bandwidth_limit_kibps, zstd=props.zstd_threads, notes_template=props.notes_template,
            repeat_missed=props.repeat_missed, enabled=props.enabled,
            depends_on=[g.resource for g in self._guests] if self._guests else None,
        )
        # With exclusions the guest list is every other guest of the cluster: rendered at synthesis, so guests
        # defined after the job are counted.
        self.resource.render_late(self._render)

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
    def cluster(self) -> ClusterBase | None:
        """The cluster the job runs on: its guests' or node's, else its storage's; None when neither tells."""
        if self._cluster is not None:
            return self._cluster
        owner = getattr(self._storage, "cluster", None)
        return owner if isinstance(owner, ClusterBase) else None

    @property
    def storage(self) -> Storage:
        return self._storage

    @classmethod
    def stagger_per_node(
        cls,
        cluster: ClusterBase,
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
        checked = check_props(_StaggerProps, lambda: construct_path(scope or cluster, f"{id_prefix}-*"), dict(
            window_start=window_start, window_end=window_end, days=days, cluster=cluster,
            exclude=props.pop("exclude", ()), **{name: props[name] for name in _PER_NODE if name in props}))
        start, end = checked.window
        nodes = sorted(cluster.nodes, key=lambda n: n.node_id)
        width = (end - start) % (24 * 60)
        jobs = []
        for i, node in enumerate(nodes):
            at = (start + width * i // len(nodes)) % (24 * 60)
            when = f"{at // 60:02d}:{at % 60:02d}"
            schedule = f"{days} {when}" if days else when
            cid = f"{id_prefix}-{node.name}"
            mine = [g for g in checked.exclude if g.guest_node is node]
            jobs.append(cls(scope or cluster, cid, storage=storage, schedule=schedule, job_id=cid.lower(),
                            node=node, exclude=mine, **props))
        return jobs
