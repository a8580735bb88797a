"""Ceph through the PVE API: read what the cluster runs, plan the steps for one object, carry them out safely.

An object is what one resource of the provider manages: Ceph initialised on the cluster
(:class:`CephInit`), a monitor, a manager, an OSD on a device, a metadata server or a file system. For each,
:func:`read_ceph` asks a node what Ceph looks like, :func:`plan_ceph` says what to do to create it (or
destroy it) and what refuses the change, and :func:`apply_ceph` does it one step at a time, reading the
cluster again before each step, so a run that stopped half-way continues where the cluster is.

A plan separates two kinds of problem:

* *refused*: the change is unsafe or impossible whatever else happens in the run (destroying an OSD without
  ``allow_destroy``, removing a monitor that quorum needs, a device that does not exist); a plan shows these.
* *missing*: a prerequisite is not there yet (Ceph not initialised, no monitor, no MDS for a file system).
  Terraform creates prerequisites earlier in the same apply, so these fail only the apply, with a message
  that says which resource to apply first.

Destroying an OSD takes it out, stops it and destroys it, each step only when still needed. Before a daemon
is stopped or destroyed, Ceph itself is asked (``GET /nodes/{node}/ceph/cmd-safety``, what the GUI asks):
an OSD is stopped only when no placement group goes offline, and destroyed only once Ceph has moved its
data off (marked out, it backfills elsewhere; until then the apply stops and says to run again later); a
monitor is removed only when quorum survives, an MDS stopped only when every file system keeps one.
The PVE API cannot undo ``ceph/init`` or remove a file system; those stay where they are.
"""

from __future__ import annotations

import configparser
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pvecdk.engine.client import Client
from pvecdk.engine.steps import Action, Step
from pvecdk.errors import ApiError, EngineError, EngineProblem, PlanRefused, PrerequisiteMissing, TaskError

__all__ = [
    "CephInit",
    "CephObject",
    "CephPlan",
    "FileSystem",
    "LiveCeph",
    "LiveDaemon",
    "LiveDisk",
    "LiveFileSystem",
    "LiveOsd",
    "Manager",
    "MetadataServer",
    "Monitor",
    "Osd",
    "PrerequisiteMissing",
    "apply_ceph",
    "plan_ceph",
    "read_ceph",
    "read_for",
]


# --------------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class CephInit:
    """Ceph initialised on the cluster (``POST /nodes/{node}/ceph/init``), run on ``node``."""

    node: str
    network: str
    cluster_network: str | None = None

    @property
    def label(self) -> str:
        return "ceph"


class _Daemon:
    """What monitors, managers and metadata servers share: PVE's ``{service}/{id}`` path under
    ``/nodes/{node}/ceph`` and Ceph's ``service.id`` name; PVE names the daemon after its node."""

    service: ClassVar[str]
    node: str

    @property
    def id(self) -> str:
        return self.node

    @property
    def label(self) -> str:
        return f"{self.service}.{self.id}"

    def create_params(self) -> dict[str, Any]:
        """The parameters of ``POST /nodes/{node}/ceph/{service}/{id}`` besides the path."""
        return {}


@dataclass(frozen=True)
class Monitor(_Daemon):
    """A monitor on ``node``, named after it."""

    service = "mon"
    node: str
    address: str | None = None

    def create_params(self) -> dict[str, Any]:
        return {"mon-address": self.address}


@dataclass(frozen=True)
class Manager(_Daemon):
    """A manager on ``node``, named after it."""

    service = "mgr"
    node: str


@dataclass(frozen=True)
class Osd:
    """An OSD on ``device`` of ``node``; DB and WAL sizes in GiB (PVE's ``db_dev_size``/``wal_dev_size``)."""

    node: str
    device: str
    device_class: str | None = None
    encrypted: bool | None = None
    db_device: str | None = None
    db_size_gib: float | None = None
    wal_device: str | None = None
    wal_size_gib: float | None = None

    @property
    def label(self) -> str:
        return f"OSD on {self.node}:{self.device}"


@dataclass(frozen=True)
class MetadataServer(_Daemon):
    """A CephFS metadata server on ``node``; ``name`` defaults to the node name, as in PVE."""

    service = "mds"
    node: str
    name: str = ""
    hotstandby: bool | None = None

    @property
    def id(self) -> str:
        return self.name or self.node

    def create_params(self) -> dict[str, Any]:
        return {"hotstandby": self.hotstandby}


@dataclass(frozen=True)
class FileSystem:
    """A CephFS, created through ``node`` with ``pg_num`` placement groups for its data pool."""

    node: str
    name: str
    pg_num: int | None = None

    @property
    def label(self) -> str:
        return f"CephFS {self.name}"


CephObject = CephInit | Monitor | Manager | Osd | MetadataServer | FileSystem


@dataclass(frozen=True)
class LiveDaemon:
    name: str
    host: str | None
    address: str | None
    state: str | None
    quorum: bool = False  # monitors only


@dataclass(frozen=True)
class LiveOsd:
    id: int
    host: str | None
    device_class: str | None
    up: bool
    in_: bool


@dataclass(frozen=True)
class LiveDisk:
    devpath: str
    osd_id: int | None
    used: str | None
    size: int


@dataclass(frozen=True)
class LiveFileSystem:
    name: str
    data_pool: str
    metadata_pool: str
    data_pg_num: int | None = None


@dataclass
class LiveCeph:
    """What one node reports about Ceph (the cluster's view; ``disks`` are that node's)."""

    node: str
    initialised: bool = False
    fsid: str | None = None
    network: str | None = None
    cluster_network: str | None = None
    monitors: dict[str, LiveDaemon] = field(default_factory=dict)
    managers: dict[str, LiveDaemon] = field(default_factory=dict)
    mds: dict[str, LiveDaemon] = field(default_factory=dict)
    filesystems: dict[str, LiveFileSystem] = field(default_factory=dict)
    osds: dict[int, LiveOsd] = field(default_factory=dict)
    disks: dict[str, LiveDisk] = field(default_factory=dict)
    #: Ceph's answers to cmd-safety, by ``service.id:action`` (``osd.3:destroy``): (safe, its message).
    safety: dict[str, tuple[bool, str]] = field(default_factory=dict)

    def osd_on(self, device: str) -> int | None:
        disk = self.disks.get(device)
        return disk.osd_id if disk is not None else None


@dataclass
class CephPlan:
    """The steps for one object, what refuses them, and the prerequisites still missing."""

    steps: list[Step] = field(default_factory=list)
    refused: list[EngineProblem] = field(default_factory=list)
    missing: list[EngineProblem] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------- read


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes", "on", "up", "in")
    return bool(value)


def _not_initialised(exc: ApiError) -> bool:
    """Whether a failed read of ceph.conf means "no Ceph here yet" rather than a broken node."""
    text = exc.message.lower()
    return exc.status in (400, 404) or any(w in text for w in (
        "does not exist", "not initialized", "not initialised", "no such file", "not configured", "not installed"))


def _parse_conf(raw: str) -> dict[str, str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(raw)
    except configparser.Error:
        return {}
    if not parser.has_section("global"):
        return {}
    # Ceph accepts "public network", "public_network" and "public-network" alike.
    return {k.replace(" ", "_").replace("-", "_"): v.strip() for k, v in parser.items("global")}


def _daemons(entries: Any) -> dict[str, LiveDaemon]:
    out = {}
    for e in entries or []:
        name = str(e.get("name") or "")
        if not name:
            continue
        host = e.get("host")
        out[name] = LiveDaemon(name, host if isinstance(host, str) else None, e.get("addr"), e.get("state"),
                               _flag(e.get("quorum")))
    return out


def _osd_tree(node: Any, host: str | None, out: dict[int, LiveOsd]) -> None:
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "host":
        host = str(node.get("name"))
    if kind == "osd":
        osd_id = _int(node.get("id"))
        if osd_id is not None:
            out[osd_id] = LiveOsd(osd_id, str(node.get("host") or host) if (node.get("host") or host) else None,
                                  node.get("device_class"), str(node.get("status", "")) == "up",
                                  _flag(node.get("in", 1)))
    for child in node.get("children") or []:
        _osd_tree(child, host, out)


#: What planning each kind of object needs to know besides ceph.conf and the monitors.
_PARTS: dict[type, frozenset[str]] = {
    CephInit: frozenset(),
    Monitor: frozenset(),
    Manager: frozenset({"mgr"}),
    Osd: frozenset({"mgr", "osd", "disks"}),
    MetadataServer: frozenset({"mds", "fs"}),
    FileSystem: frozenset({"mds", "fs", "pools"}),
}
_ALL = frozenset({"mgr", "mds", "fs", "osd"})


def read_ceph(client: Client, node: str, *, disks: bool = False, pools: bool = False,
              parts: frozenset[str] = _ALL) -> LiveCeph:
    """What ``node`` reports about Ceph: config, monitors, and the ``parts`` asked for (managers ``mgr``,
    metadata servers ``mds``, file systems ``fs``, ``osd``s; all by default); its own disks when asked.

    Raises:
        EngineError: the node did not answer, or answered with an error other than "no Ceph here".
    """
    live = LiveCeph(node)
    try:
        raw = client.probe(node, f"/nodes/{node}/ceph/cfg/raw")
    except ApiError as exc:
        if not _not_initialised(exc):
            raise
        raw = ""
    conf = _parse_conf(str(raw or ""))
    live.initialised = bool(conf)
    live.fsid = conf.get("fsid")
    live.network = conf.get("public_network")
    live.cluster_network = conf.get("cluster_network")
    if live.initialised:
        live.monitors = _daemons(client.get(node, f"/nodes/{node}/ceph/mon"))
    # Managers, MDS, file systems and OSDs are listed through the monitors (RADOS); without a monitor there
    # are none, and asking would only fail.
    if live.monitors:
        if "mgr" in parts:
            live.managers = _daemons(client.get(node, f"/nodes/{node}/ceph/mgr"))
        if "mds" in parts:
            live.mds = _daemons(client.get(node, f"/nodes/{node}/ceph/mds"))
        fss = (client.get(node, f"/nodes/{node}/ceph/fs") or []) if "fs" in parts else []
        pg: dict[str, int | None] = {}
        if pools and fss:
            pg = {str(p.get("pool_name") or p.get("name")): _int(p.get("pg_num"))
                  for p in client.get(node, f"/nodes/{node}/ceph/pool") or []}
        for f in fss:
            name = str(f.get("name"))
            data_pool = str(f.get("data_pool") or "")
            live.filesystems[name] = LiveFileSystem(name, data_pool, str(f.get("metadata_pool") or ""),
                                                    pg.get(data_pool))
        if "osd" in parts:
            tree = client.get(node, f"/nodes/{node}/ceph/osd") or {}
            _osd_tree(tree.get("root") if isinstance(tree, dict) else None, None, live.osds)
    if disks:
        for d in client.get(node, f"/nodes/{node}/disks/list") or []:
            path = str(d.get("devpath") or "")
            osd_id = _int(d.get("osdid"))
            live.disks[path] = LiveDisk(path, osd_id if osd_id is not None and osd_id >= 0 else None,
                                        d.get("used") or None, _int(d.get("size")) or 0)
    return live


def _safety_questions(obj: CephObject, live: LiveCeph) -> list[tuple[str, str, str]]:
    """The cmd-safety questions (service, action, id) the removal of ``obj`` depends on now."""
    if isinstance(obj, Monitor) and obj.id in live.monitors:
        return [(obj.service, "destroy", obj.id)]
    if isinstance(obj, MetadataServer) and obj.id in live.mds:
        return [(obj.service, "stop", obj.id)]
    if isinstance(obj, Osd):
        osd_id = live.osd_on(obj.device)
        osd = live.osds.get(osd_id) if osd_id is not None else None
        if osd is not None:
            # While in, the question is whether stopping it would take data offline; once out, whether its
            # data has moved off so destroying it loses nothing.
            return [("osd", "stop" if osd.in_ else "destroy", str(osd.id))]
    return []


def read_for(client: Client, obj: CephObject, *, present: bool = True, read: LiveCeph | None = None) -> LiveCeph:
    """:func:`read_ceph` with what planning ``obj`` needs: the node's disks for an OSD, pools for a file
    system, and for a removal Ceph's own view of whether it is safe.

    Args:
        read: What ``obj.node`` reported for an object of the same type in this plan; then only the removal's
            questions are asked (a replacement plans the new object and the removal of the old one).

    A cluster that cannot answer cmd-safety (an older release, no quorum) leaves the question to the checks
    here.
    """
    parts = _PARTS[type(obj)]
    if read is None:
        live = read_ceph(client, obj.node, disks="disks" in parts, pools="pools" in parts, parts=parts)
    else:
        live = dataclasses.replace(read, safety={})
    if not present and live.monitors:
        for service, action, ident in _safety_questions(obj, live):
            try:
                answer = client.get(obj.node, f"/nodes/{obj.node}/ceph/cmd-safety", service=service,
                                    action=action, id=ident) or {}
            except ApiError:
                continue
            live.safety[f"{service}.{ident}:{action}"] = (_flag(answer.get("safe")), str(answer.get("status", "")))
    return live


# --------------------------------------------------------------------------------------------------- plan


def plan_ceph(obj: CephObject, live: LiveCeph, *, present: bool = True, allow_destroy: bool = False) -> CephPlan:
    """What it takes for ``obj`` to exist (``present``) or be gone, given ``live``.

    Args:
        allow_destroy: The user allows destroying data (an OSD). Without it, destroying one is refused.
    """
    plan = CephPlan()
    if isinstance(obj, CephInit):
        _plan_init(obj, live, present, plan)
        return plan
    if not live.initialised:
        if not present:
            return plan  # no Ceph, so nothing of it to remove
        plan.missing.append(EngineProblem(obj.label, f"Ceph is not initialised on the cluster ({live.node} has "
                                          "no ceph.conf)", "apply pvecdk_ceph first (POST /nodes/{node}/ceph/"
                                          f"init) before the {obj.label}"))
    if isinstance(obj, Monitor):
        _plan_monitor(obj, live, present, plan)
    elif isinstance(obj, Manager):
        _plan_manager(obj, live, present, plan)
    elif isinstance(obj, Osd):
        _plan_osd(obj, live, present, allow_destroy, plan)
    elif isinstance(obj, MetadataServer):
        _plan_mds(obj, live, present, plan)
    else:
        _plan_fs(obj, live, present, allow_destroy, plan)
    return plan


def _needs_monitor(obj: CephObject, live: LiveCeph, plan: CephPlan) -> None:
    if live.initialised and not live.monitors:
        plan.missing.append(EngineProblem(obj.label, "the cluster has no Ceph monitor yet",
                                          f"apply a pvecdk_ceph_monitor before the {obj.label}"))


def _plan_init(obj: CephInit, live: LiveCeph, present: bool, plan: CephPlan) -> None:
    if not present:
        return  # the API has no way back from init (pveceph purge is a node command); nothing to plan
    if not live.initialised:
        detail = f"initialise Ceph with public network {obj.network}" + (
            f" and cluster network {obj.cluster_network}" if obj.cluster_network else "")
        plan.steps.append(Step(Action.INIT, obj.node, detail))
        return
    for what, wanted, current in (("public network", obj.network, live.network),
                                  ("cluster network", obj.cluster_network, live.cluster_network)):
        if wanted is not None and current is not None and wanted != current:
            plan.refused.append(EngineProblem(
                "Ceph", f"initialised with {what} {current}, the model says {wanted}; the PVE API cannot change it",
                f"edit /etc/pve/ceph.conf and restart the daemons, or put {current} in the model",
                what.replace(" ", "_").replace("public_", "")))


def _plan_monitor(obj: Monitor, live: LiveCeph, present: bool, plan: CephPlan) -> None:
    current = live.monitors.get(obj.id)
    if present:
        if current is None:
            where = f" at {obj.address}" if obj.address else ""
            plan.steps.append(Step(Action.CREATE_MONITOR, obj.node, f"create monitor {obj.label}{where}"))
        return
    if current is None:
        return
    total = len(live.monitors)
    if total == 1:
        plan.refused.append(EngineProblem(obj.label, "the cluster's last monitor; Ceph stops without one",
                                          "add another monitor first, or keep this one"))
        return
    remaining = [m for n, m in live.monitors.items() if n != obj.id]
    in_quorum = sum(1 for m in remaining if m.quorum)
    needed = len(remaining) // 2 + 1
    if in_quorum < needed:
        plan.refused.append(EngineProblem(obj.label, f"removing it leaves {in_quorum} of {len(remaining)} "
                                          f"monitors in quorum, short of the majority {needed}",
                                          "bring the other monitors back into quorum first"))
        return
    if _unsafe(live, f"{obj.label}:destroy", plan, f"removing {obj.label}",
               "bring the other monitors back into quorum first"):
        return
    plan.steps.append(Step(Action.DESTROY_MONITOR, obj.node, f"destroy monitor {obj.label}"))


def _unsafe(live: LiveCeph, key: str, plan: CephPlan, what: str, hint: str) -> bool:
    """Refuse ``what`` when Ceph said it is unsafe (cmd-safety); whether it did."""
    answer = live.safety.get(key)
    if answer is None or answer[0]:
        return False
    plan.refused.append(EngineProblem(key.split(":")[0], f"{what}: Ceph says {answer[1].strip().rstrip('.')}",
                                      hint))
    return True


def _plan_manager(obj: Manager, live: LiveCeph, present: bool, plan: CephPlan) -> None:
    current = live.managers.get(obj.id)
    if present and current is None:
        _needs_monitor(obj, live, plan)
        plan.steps.append(Step(Action.CREATE_MANAGER, obj.node, f"create manager {obj.label}"))
    elif not present and current is not None:
        plan.steps.append(Step(Action.DESTROY_MANAGER, obj.node, f"destroy manager {obj.label}"))


def _osd_devices(obj: Osd, live: LiveCeph, plan: CephPlan) -> None:
    known = ", ".join(sorted(live.disks)) or "none"
    for what, device in (("device", obj.device), ("db_device", obj.db_device), ("wal_device", obj.wal_device)):
        if device is not None and device not in live.disks:
            plan.refused.append(EngineProblem(obj.node, f"has no disk {device} ({what}); its disks: {known}",
                                              f"set {what} to one of its disks", what))


def _plan_osd(obj: Osd, live: LiveCeph, present: bool, allow_destroy: bool, plan: CephPlan) -> None:
    osd_id = live.osd_on(obj.device)
    if present:
        if osd_id is not None:
            return
        _osd_devices(obj, live, plan)
        disk = live.disks.get(obj.device)
        if disk is not None and disk.used:
            plan.refused.append(EngineProblem(f"{obj.node}:{obj.device}", f"in use ({disk.used})",
                                              f"wipe it (PUT /nodes/{obj.node}/disks/wipedisk) or choose another "
                                              "device", "device"))
        _needs_monitor(obj, live, plan)
        if live.monitors and not live.managers:
            # Ceph runs OSDs without one, but nothing reports on them (and PVE's OSD list needs a manager).
            plan.missing.append(EngineProblem(obj.label, "the cluster has no Ceph manager yet",
                                              f"apply a pvecdk_ceph_manager before the {obj.label}"))
        plan.steps.append(Step(Action.CREATE_OSD, obj.node, f"create an OSD on {obj.node}:{obj.device}"))
        return
    if osd_id is None:
        return
    if not allow_destroy:
        plan.refused.append(EngineProblem(f"osd.{osd_id}", f"destroying it on {obj.node}:{obj.device} wipes "
                                          "the data it holds", "set allow_destroy = true on it, apply, then "
                                          "remove it", "allow_destroy"))
        return
    osd = live.osds.get(osd_id)
    if _unsafe(live, f"osd.{osd_id}:stop", plan, f"taking osd.{osd_id} out of service",
               "add OSDs or lower the pools' size first"):
        return
    if _unsafe(live, f"osd.{osd_id}:destroy", plan, f"destroying osd.{osd_id}",
               "it is out and Ceph is moving its data to other OSDs; apply again when that is done"):
        return
    if osd is None or osd.in_:
        plan.steps.append(Step(Action.OUT_OSD, obj.node, f"mark osd.{osd_id} out"))
    if osd is None or osd.up:
        plan.steps.append(Step(Action.STOP_OSD, obj.node, f"stop osd.{osd_id}"))
    plan.steps.append(Step(Action.DESTROY_OSD, obj.node, f"destroy osd.{osd_id} and wipe {obj.device}"))


def _plan_mds(obj: MetadataServer, live: LiveCeph, present: bool, plan: CephPlan) -> None:
    current = live.mds.get(obj.id)
    if present:
        if current is None:
            _needs_monitor(obj, live, plan)
            plan.steps.append(Step(Action.CREATE_MDS, obj.node, f"create metadata server {obj.label}"))
        return
    if current is None:
        return
    if len(live.mds) == 1 and live.filesystems:
        names = ", ".join(sorted(live.filesystems))
        plan.refused.append(EngineProblem(obj.label, f"the last metadata server, and CephFS {names} needs one",
                                          "remove the file system first or add another metadata server"))
        return
    if _unsafe(live, f"{obj.label}:stop", plan, f"removing {obj.label}", "add a standby metadata server first"):
        return
    plan.steps.append(Step(Action.DESTROY_MDS, obj.node, f"destroy metadata server {obj.label}"))


def _plan_fs(obj: FileSystem, live: LiveCeph, present: bool, allow_destroy: bool, plan: CephPlan) -> None:
    current = live.filesystems.get(obj.name)
    if present:
        if current is None:
            if live.initialised and not live.mds:
                plan.missing.append(EngineProblem(obj.label, "a file system needs a metadata server",
                                                  "apply a pvecdk_ceph_mds first"))
            pgs = f" with {obj.pg_num} placement groups" if obj.pg_num else ""
            plan.steps.append(Step(Action.CREATE_FS, obj.node, f"create CephFS {obj.name}{pgs}"))
        elif obj.pg_num is not None and current.data_pg_num is not None and current.data_pg_num != obj.pg_num:
            plan.steps.append(Step(Action.RESIZE_FS, obj.node, f"set pg_num of pool {current.data_pool} from "
                                                          f"{current.data_pg_num} to {obj.pg_num}"))
        return
    if current is not None and not allow_destroy:
        plan.refused.append(EngineProblem(obj.label, "destroying it loses the files in it",
                                          "set allow_destroy = true on it, apply, then remove it", "allow_destroy"))


# --------------------------------------------------------------------------------------------------- apply


def apply_ceph(
    client: Client,
    obj: CephObject,
    *,
    present: bool = True,
    allow_destroy: bool = False,
    task_timeout_seconds: float = 600.0,
    on_step: Callable[[Step], None] | None = None,
) -> LiveCeph:
    """Bring ``obj`` into being (or remove it), one step at a time; return what the node reports at the end.

    Raises:
        PlanRefused: the change is unsafe (nothing was done in this call).
        PrerequisiteMissing: something ``obj`` needs is not there (nothing was done).
        EngineError: a step failed; rerunning continues from where the cluster is.
    """
    node = obj.node
    awaited = False
    for _ in range(8):
        live = read_for(client, obj, present=present)
        plan = plan_ceph(obj, live, present=present, allow_destroy=allow_destroy)
        if plan.refused:
            raise PlanRefused(plan.refused, node=node)
        if plan.missing:
            raise PrerequisiteMissing(plan.missing, node=node)
        if not plan.steps:
            return live
        if not awaited:
            # Read again after the wait, even when nothing was running by then: a task that ended between
            # the read above and the task list has changed what the plan was made from.
            awaited = True
            _await_running_tasks(client, node, task_timeout_seconds)
            continue
        step = plan.steps[0]
        _run(client, obj, live, step, task_timeout_seconds)
        if on_step is not None:
            on_step(step)
    raise EngineError(f"{obj.label} did not converge; run again to continue", node=node)


def _await_running_tasks(client: Client, node: str, timeout: float) -> None:
    """Wait for the Ceph tasks still running on ``node``.

    A run that ended while its task was still running (a crash, a lost answer) leaves the daemon half made:
    not yet listed, but its name and address taken. Starting it again would fail, so a rerun lets the task
    finish first; whether it succeeded is read back from the cluster afterwards.
    """
    running = [t for t in client.get(node, f"/nodes/{node}/tasks", source="active") or []
               if str(t.get("type", "")).startswith("ceph") and t.get("upid")]
    for task in running:
        try:
            client.wait_task(node, str(task["upid"]), timeout_seconds=timeout)
        except TaskError:
            pass  # a failed attempt leaves nothing to adopt: the next plan creates the object again


def _wait(client: Client, node: str, result: Any, timeout: float) -> None:
    # Most Ceph calls start a task; ceph/init and osd/out answer directly (null).
    if isinstance(result, str) and result.startswith("UPID:"):
        client.wait_task(node, result, timeout_seconds=timeout)


def _gib(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _run(client: Client, obj: CephObject, live: LiveCeph, step: Step, timeout: float) -> None:
    n = obj.node
    base = f"/nodes/{n}/ceph"
    if isinstance(obj, CephInit):
        _wait(client, n, client.post(n, f"{base}/init", network=obj.network,
                                     **{"cluster-network": obj.cluster_network}), timeout)
    elif isinstance(obj, _Daemon):
        path = f"{base}/{obj.service}/{obj.id}"
        if step.action.creates:
            _wait(client, n, client.post(n, path, **obj.create_params()), timeout)
        else:
            _wait(client, n, client.delete(n, path), timeout)
    elif isinstance(obj, Osd):
        if step.action is Action.CREATE_OSD:
            _wait(client, n, client.post(
                n, f"{base}/osd", dev=obj.device, encrypted=obj.encrypted, db_dev=obj.db_device,
                db_dev_size=_gib(obj.db_size_gib), wal_dev=obj.wal_device, wal_dev_size=_gib(obj.wal_size_gib),
                **{"crush-device-class": obj.device_class}), timeout)
            return
        osd_id = live.osd_on(obj.device)
        if step.action is Action.OUT_OSD:
            _wait(client, n, client.post(n, f"{base}/osd/{osd_id}/out"), timeout)
        elif step.action is Action.STOP_OSD:
            _wait(client, n, client.post(n, f"{base}/stop", service=f"osd.{osd_id}"), timeout)
        else:
            _wait(client, n, client.delete(n, f"{base}/osd/{osd_id}", cleanup=True), timeout)
    elif step.action is Action.CREATE_FS:
        # The storage definition is pvecdk_storage's job, so PVE is not asked to add one.
        _wait(client, n, client.post(n, f"{base}/fs/{obj.name}", pg_num=obj.pg_num,
                                     **{"add-storage": False}), timeout)
    else:
        current = live.filesystems[obj.name]
        _wait(client, n, client.put(n, f"{base}/pool/{current.data_pool}", pg_num=obj.pg_num), timeout)

