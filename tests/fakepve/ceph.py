"""Ceph as a PVE cluster sees it: ceph.conf, the daemons, the OSD map, file systems and what `ceph status` says.

One CephCluster lives in a configuration store (/etc/pve/ceph.conf is cluster-wide), so all members share it
and it survives joins, removals and option changes like the rest of /etc/pve. Daemons name the node they run
on; a daemon counts as up when it is running and its node is online. Messages are those PVE and Ceph print.
Every function here expects the World lock to be held.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError
from .storage import split_list

NOT_INITIALISED = "pveceph configuration not initialized\n"
NO_RADOS = "rados_connect failed - No such file or directory\n"  # no monitor in ceph.conf yet
NO_MON_QUORUM = "got timeout\n"  # librados waits for a monitor quorum until its timeout
MON_PORT = 6789
MAX_PG_PER_OSD = 250  # Ceph's mon_max_pg_per_osd default
CEPH_RELEASES = {"9.1": ("19.2.3", "squid"), "8.4": ("18.2.7", "reef")}

Online = Callable[[str], bool]  # whether a node is up, as Ceph's daemons notice it


@dataclass
class Monitor:
    name: str
    node: str
    addr: str
    running: bool = True


@dataclass
class Manager:
    name: str
    node: str
    running: bool = True


@dataclass
class Osd:
    osdid: int
    node: str
    dev: str
    device_class: str
    encrypted: bool
    db_dev: str | None
    wal_dev: str | None
    size: int
    running: bool = True
    is_in: bool = True


@dataclass
class Mds:
    name: str
    node: str
    hotstandby: bool
    running: bool = True


@dataclass
class Filesystem:
    name: str
    data_pool: str
    metadata_pool: str


@dataclass
class Pool:
    pool_id: int
    name: str
    size: int
    min_size: int
    pg_num: int
    crush_rule: int = 0
    application: str | None = None
    pg_autoscale_mode: str = "on"
    kind: str = "replicated"  # or "erasure"
    ec_profile: str | None = None
    settings: dict[str, str] = field(default_factory=dict)  # pg_num_min, target_size_bytes, ...
    images: dict[str, int] = field(default_factory=dict)  # RBD images (name -> bytes): the data a pool holds

    @property
    def stored_bytes(self) -> int:
        return sum(self.images.values())


@dataclass
class CephCluster:
    fsid: str
    release: str  # the PVE release ("9.1"), which picks the Ceph version
    public_network: str | None
    cluster_network: str | None
    size: int
    min_size: int
    pg_bits: int | None
    cephx: bool
    monitors: dict[str, Monitor] = field(default_factory=dict)
    managers: dict[str, Manager] = field(default_factory=dict)
    osds: dict[int, Osd] = field(default_factory=dict)
    mds: dict[str, Mds] = field(default_factory=dict)
    filesystems: dict[str, Filesystem] = field(default_factory=dict)
    pools: dict[str, Pool] = field(default_factory=dict)
    rules: dict[str, int] = field(default_factory=lambda: {"replicated_rule": 0})
    ec_profiles: dict[str, dict[str, str]] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)  # CRUSH host buckets, in the order their first OSD came
    flags: set[str] = field(default_factory=set)  # OSD map flags set by an operator (noout, ...)
    next_pool_id: int = 1
    epoch: int = 1

    @property
    def version(self) -> tuple[str, str]:
        return CEPH_RELEASES[self.release]

    @property
    def raw_bytes(self) -> int:
        """The capacity of the OSDs that are in."""
        return sum(o.size for o in self.osds.values() if o.is_in)

    def rule_name(self, rule_id: int) -> str:
        """The name of a CRUSH rule, '' for an id no rule has."""
        return next((name for name, i in self.rules.items() if i == rule_id), "")

    def default_min_size(self, size: int) -> int:
        # Ceph clamps osd_pool_default_min_size to the size; unset, it is size - size/2.
        return min(self.min_size, size) if self.min_size else size - size // 2


Daemon = Monitor | Manager | Osd | Mds


def daemons(ceph: CephCluster) -> dict[str, Daemon]:
    """Every daemon by the name Ceph and its systemd unit give it ('mon.pve1', 'osd.3')."""
    found: dict[str, Daemon] = {}
    found.update({f"mon.{k}": v for k, v in ceph.monitors.items()})
    found.update({f"mgr.{k}": v for k, v in ceph.managers.items()})
    found.update({f"osd.{k}": v for k, v in ceph.osds.items()})
    found.update({f"mds.{k}": v for k, v in ceph.mds.items()})
    return found


def new_ceph(release: str, params: dict[str, str]) -> CephCluster:
    network = params.get("network")
    return CephCluster(
        fsid=str(uuid.uuid4()),
        release=release,
        public_network=network,
        cluster_network=params.get("cluster-network") or network,
        size=int(params.get("size") or 3),
        min_size=int(params.get("min_size") or 2),
        pg_bits=int(params["pg_bits"]) if params.get("pg_bits") else None,
        cephx=params.get("disable_cephx") != "1",
    )


# --- who is up ---------------------------------------------------------------------------------------


def mons_up(ceph: CephCluster, online: Online) -> list[Monitor]:
    return [m for m in ceph.monitors.values() if m.running and online(m.node)]


def has_quorum(ceph: CephCluster, online: Online) -> bool:
    return bool(ceph.monitors) and len(mons_up(ceph, online)) > len(ceph.monitors) // 2


def rados(ceph: CephCluster, online: Online) -> None:
    """What connecting to the cluster (PVE::RADOS->new, then a mon command) fails with, if it fails."""
    if not ceph.monitors:
        raise ApiError(500, NO_RADOS)
    if not has_quorum(ceph, online):
        raise ApiError(500, NO_MON_QUORUM)


def osd_up(osd: Osd, online: Online) -> bool:
    return osd.running and online(osd.node)


def active_manager(ceph: CephCluster, online: Online) -> Manager | None:
    """The first running manager (in creation order) is active; Ceph needs a monitor quorum to elect it."""
    if not has_quorum(ceph, online):
        return None
    return next((m for m in ceph.managers.values() if m.running and online(m.node)), None)


def manager_states(ceph: CephCluster, online: Online) -> dict[str, str]:
    """Each manager's state: 'active' (the elected one), 'standby' (running on a node that is up) or 'stopped'."""
    active = active_manager(ceph, online)
    return {
        m.name: "active" if m is active else "standby" if m.running and online(m.node) else "stopped"
        for m in ceph.managers.values()
    }


def mds_states(ceph: CephCluster, online: Online) -> dict[str, tuple[str, str | None]]:
    """Each MDS's state ('up:active', 'up:standby', 'up:standby-replay', 'stopped') and the fs it serves.

    Each file system takes one active MDS (rank 0) in creation order; a hot-standby MDS left over follows
    the first file system as standby-replay, the rest wait as standbys.
    """
    states: dict[str, tuple[str, str | None]] = {}
    free = [m for m in ceph.mds.values() if m.running and online(m.node)]
    for fs in ceph.filesystems.values():
        if free:
            states[free.pop(0).name] = ("up:active", fs.name)
    first_fs = next(iter(ceph.filesystems), None)
    for mds in free:
        replay = mds.hotstandby and first_fs is not None
        states[mds.name] = ("up:standby-replay" if replay else "up:standby", first_fs if replay else None)
    for mds in ceph.mds.values():
        states.setdefault(mds.name, ("stopped", None))
    return states


def served_filesystems(ceph: CephCluster, online: Online) -> set[str]:
    """The file systems an active MDS serves; the others are offline."""
    return {fs for state, fs in mds_states(ceph, online).values() if state == "up:active" and fs is not None}


# --- addresses -----------------------------------------------------------------------------------------


def _in_network(address: str, network: str) -> bool:
    return ipaddress.ip_address(address) in ipaddress.ip_network(network, strict=False)


def mon_address(ceph: CephCluster, node: str, addresses: tuple[str, ...], wanted: str | None) -> str:
    """The monitor address PVE picks on a node: the one in the public network, or the node's own."""
    net = ceph.public_network
    if wanted:
        ips = split_list(wanted)
        for ip in ips:
            if ip not in addresses:
                raise ApiError(500, f"Specified monitor IP '{ip}' not configured or up on {node}!\n")
            if net and not _in_network(ip, net):
                raise ApiError(500, f"Monitor IP '{ip}' not in ceph public network '{net}'\n")
        return ips[0]
    if not net:
        return addresses[0]
    found = [a for a in addresses if _in_network(a, net)]
    if not found:
        raise ApiError(500, f"No active IP found for the requested ceph public network '{net}' on node '{node}'\n")
    if len(found) > 1:
        listed = "".join(f"{a}\n" for a in found)
        raise ApiError(
            500,
            f"Multiple IPs for ceph public network '{net}' detected on {node}:\n{listed}"
            "use 'mon-address' to specify one of them.\n",
        )
    return found[0]


def osd_network_ok(ceph: CephCluster, addresses: tuple[str, ...]) -> bool:
    net = ceph.cluster_network or ceph.public_network
    return net is None or any(_in_network(a, net) for a in addresses)


# --- placement groups and health ---------------------------------------------------------------------------


def hosts_serving(ceph: CephCluster, online: Online) -> int:
    """Distinct hosts with an OSD up and in: the CRUSH failure domain of every pool here is the host."""
    return len({o.node for o in ceph.osds.values() if o.is_in and osd_up(o, online)})


def pg_state(ceph: CephCluster, pool: Pool, online: Online) -> str:
    if not any(o.is_in and osd_up(o, online) for o in ceph.osds.values()):
        return "unknown"
    hosts = hosts_serving(ceph, online)
    if hosts < pool.min_size:
        return "undersized+peered"
    if hosts < pool.size:
        return "active+undersized"
    return "active+clean"


def degraded_pgs(ceph: CephCluster, online: Online) -> tuple[int, int]:
    """(inactive, undersized) PGs over all pools: those no OSD or too few hosts serve, those short of a copy."""
    states = [(p.pg_num, pg_state(ceph, p, online)) for p in ceph.pools.values()]
    inactive = sum(n for n, state in states if state in ("unknown", "undersized+peered"))
    undersized = sum(n for n, state in states if "undersized" in state)
    return inactive, undersized


def _check(checks: dict[str, Any], name: str, severity: str, message: str, count: int = 1) -> None:
    checks[name] = {
        "severity": severity,
        "summary": {"message": message, "count": count},
        "detail": [],
        "muted": False,
    }


def health(ceph: CephCluster, online: Online) -> dict[str, Any]:
    """`ceph health detail` as JSON: the checks a cluster in this state raises and the worst severity."""
    checks: dict[str, Any] = {}
    up = mons_up(ceph, online)
    down = [m.name for m in ceph.monitors.values() if m not in up]
    if down:
        quorum = ",".join(m.name for m in up)
        _check(checks, "MON_DOWN", "HEALTH_WARN", f"{len(down)}/{len(ceph.monitors)} mons down, quorum {quorum}")
    if active_manager(ceph, online) is None:
        _check(checks, "MGR_DOWN", "HEALTH_WARN", "no active mgr")
    if len(ceph.osds) < ceph.size:
        _check(checks, "TOO_FEW_OSDS", "HEALTH_WARN", f"OSD count {len(ceph.osds)} < osd_pool_default_size {ceph.size}")
    osds_down = [o for o in ceph.osds.values() if not osd_up(o, online)]
    if osds_down:
        _check(checks, "OSD_DOWN", "HEALTH_WARN", f"{len(osds_down)} osds down", len(osds_down))
        hosts_down = sorted({o.node for o in osds_down if not online(o.node)})
        if hosts_down:
            osds = sum(1 for o in osds_down if o.node in hosts_down)
            _check(
                checks, "OSD_HOST_DOWN", "HEALTH_WARN", f"{len(hosts_down)} host ({osds} osds) down", len(hosts_down)
            )
    if ceph.flags:
        _check(checks, "OSDMAP_FLAGS", "HEALTH_WARN", f"{','.join(sorted(ceph.flags))} flag(s) set")
    inactive, undersized = degraded_pgs(ceph, online)
    if inactive:
        _check(checks, "PG_AVAILABILITY", "HEALTH_WARN", f"Reduced data availability: {inactive} pgs inactive")
    if undersized:
        message = f"Degraded data redundancy: {undersized} pgs undersized"
        _check(checks, "PG_DEGRADED", "HEALTH_WARN", message)
    mds = mds_states(ceph, online)
    served = served_filesystems(ceph, online)
    offline = [fs for fs in ceph.filesystems if fs not in served]
    if offline:
        _check(checks, "MDS_ALL_DOWN", "HEALTH_ERR", f"{len(offline)} filesystem is offline", len(offline))
    elif ceph.filesystems and not any(s.startswith("up:standby") for s, _ in mds.values()):
        _check(checks, "MDS_INSUFFICIENT_STANDBY", "HEALTH_WARN", "insufficient standby MDS daemons available")
    severities = [c["severity"] for c in checks.values()]
    status = "HEALTH_ERR" if "HEALTH_ERR" in severities else "HEALTH_WARN" if severities else "HEALTH_OK"
    return {"status": status, "checks": checks, "mutes": []}


def _addrvec(addr: str) -> dict[str, Any]:
    return {"addrvec": [{"type": "v2", "addr": f"{addr}:3300", "nonce": 0}, {"type": "v1", "addr": f"{addr}:6789"}]}


def status(ceph: CephCluster, online: Online) -> dict[str, Any]:
    """What GET .../ceph/status answers: `ceph status`, with `health detail`, `mon dump` and `mgr dump`."""
    rados(ceph, online)
    version, release = ceph.version
    up = mons_up(ceph, online)
    ranks = {name: rank for rank, name in enumerate(ceph.monitors)}
    active = active_manager(ceph, online)
    managers = manager_states(ceph, online)
    standbys = [m for m in ceph.managers.values() if managers[m.name] == "standby"]
    states = {p.name: pg_state(ceph, p, online) for p in ceph.pools.values()}
    by_state: dict[str, int] = {}
    for pool in ceph.pools.values():
        by_state[states[pool.name]] = by_state.get(states[pool.name], 0) + pool.pg_num
    raw = ceph.raw_bytes
    stored = sum(p.stored_bytes for p in ceph.pools.values())
    used = sum(p.stored_bytes * p.size for p in ceph.pools.values())
    mds = mds_states(ceph, online)
    return {
        "fsid": ceph.fsid,
        "health": health(ceph, online),
        "election_epoch": 2 * len(ceph.monitors) + 1,
        "quorum": [ranks[m.name] for m in up],
        "quorum_names": [m.name for m in up],
        "quorum_age": 3600,
        "monmap": {
            "epoch": len(ceph.monitors),
            "fsid": ceph.fsid,
            "min_mon_release_name": release,
            "mons": [
                {
                    "rank": ranks[m.name],
                    "name": m.name,
                    "public_addrs": _addrvec(m.addr),
                    "addr": f"{m.addr}:{MON_PORT}/0",
                    "public_addr": f"{m.addr}:{MON_PORT}/0",
                }
                for m in ceph.monitors.values()
            ],
        },
        "osdmap": {
            "epoch": ceph.epoch,
            "num_osds": len(ceph.osds),
            "num_up_osds": sum(1 for o in ceph.osds.values() if osd_up(o, online)),
            "num_in_osds": sum(1 for o in ceph.osds.values() if o.is_in),
            "num_remapped_pgs": 0,
        },
        "pgmap": {
            "pgs_by_state": [{"state_name": k, "count": v} for k, v in sorted(by_state.items())],
            "num_pgs": sum(p.pg_num for p in ceph.pools.values()),
            "num_pools": len(ceph.pools),
            "num_objects": sum(len(p.images) for p in ceph.pools.values()),
            "data_bytes": stored,
            "bytes_used": used,
            "bytes_avail": max(raw - used, 0),
            "bytes_total": raw,
        },
        "fsmap": {
            "epoch": len(ceph.filesystems) + len(ceph.mds) + 1,
            "by_rank": [
                {"filesystem_id": list(ceph.filesystems).index(fs) + 1, "rank": 0, "name": name, "status": state}
                for name, (state, fs) in mds.items()
                if state == "up:active" and fs is not None
            ],
            "up:standby": sum(1 for s, _ in mds.values() if s == "up:standby"),
        },
        "mgrmap": {
            "available": active is not None,
            "active_name": active.name if active else "",
            "num_standbys": len(standbys),
            "standbys": [{"name": m.name} for m in standbys],
            "modules": ["iostat", "nfs", "restful"],
            "services": {},
        },
        "servicemap": {"epoch": 1, "services": {}},
        "ceph_version": version,
    }


# --- ceph.conf -------------------------------------------------------------------------------------------


def conf_sections(ceph: CephCluster) -> dict[str, dict[str, str]]:
    auth = "cephx" if ceph.cephx else "none"
    glob = {
        "auth_client_required": auth,
        "auth_cluster_required": auth,
        "auth_service_required": auth,
        "fsid": ceph.fsid,
        "mon_allow_pool_delete": "true",
        "ms_bind_ipv4": "true",
        "ms_bind_ipv6": "false",
        "osd_pool_default_min_size": str(ceph.min_size),
        "osd_pool_default_size": str(ceph.size),
    }
    if ceph.public_network:
        glob["public_network"] = ceph.public_network
    if ceph.cluster_network:
        glob["cluster_network"] = ceph.cluster_network
    if ceph.pg_bits:
        glob["osd_pg_bits"] = glob["osd_pgp_bits"] = str(ceph.pg_bits)
    if ceph.monitors:
        glob["mon_host"] = " ".join(m.addr for m in ceph.monitors.values())
    sections: dict[str, dict[str, str]] = {"global": glob}
    if ceph.cephx:
        sections["client"] = {"keyring": "/etc/pve/priv/$cluster.$name.keyring"}
        sections["client.crash"] = {"keyring": "/etc/pve/ceph/$cluster.$name.keyring"}
    if ceph.mds:
        sections["mds"] = {"keyring": "/var/lib/ceph/mds/ceph-$id/keyring"}
    for mds in ceph.mds.values():
        entry = {"host": mds.node, "mds_standby_for_name": "pve"}
        if mds.hotstandby:
            entry["mds_standby_replay"] = "true"
        sections[f"mds.{mds.name}"] = entry
    for mon in ceph.monitors.values():
        sections[f"mon.{mon.name}"] = {"public_addr": mon.addr}
    return sections


def conf_text(ceph: CephCluster) -> str:
    """ceph.conf as PVE writes it: sections sorted with [global] first, keys sorted and tab-indented."""
    sections = conf_sections(ceph)
    order = ["global"] + sorted(s for s in sections if s != "global")
    out = []
    for name in order:
        out.append(f"[{name}]")
        out += [f"\t{k} = {v}" for k, v in sorted(sections[name].items())]
        out.append("")
    return "\n".join(out)


# --- cmd-safety: what Ceph answers to ok-to-stop, safe-to-destroy and ok-to-rm -----------------------------


def safety(ceph: CephCluster, online: Online, service: str, action: str, ident: str) -> tuple[bool, str]:
    """(safe, Ceph's status message) for stopping or destroying one daemon, judged on the state now."""
    if service == "mon":
        mon = ceph.monitors.get(ident)
        if mon is None:
            return False, f"mon.{ident} does not exist"
        rest = [m.name for m in mons_up(ceph, online) if m is not mon]
        # A removed monitor shrinks the monmap too; a stopped one still counts towards the majority.
        total = len(ceph.monitors) - (1 if action == "destroy" else 0)
        if len(rest) > total // 2:
            if action == "destroy":
                return True, f"safe to remove mon.{ident}, new quorum should be ({','.join(rest)})"
            return True, f"quorum should be preserved ({','.join(rest)}) after stopping [{ident}]"
        if action == "destroy":
            return False, f"removing mon.{ident} would break quorum (current quorum: {','.join(rest)})"
        return False, f"not enough monitors would be available ({','.join(rest)}) after stopping mons [{ident}]"
    if service == "osd":
        osd = ceph.osds.get(int(ident)) if ident.isdigit() else None
        if osd is None:
            return False, f"osd.{ident} does not exist"
        was_running, was_in = osd.running, osd.is_in
        osd.running = False
        if action == "destroy":
            osd.is_in = False
        offline, undersized = degraded_pgs(ceph, online)
        osd.running, osd.is_in = was_running, was_in
        if action == "stop":
            if offline:
                return False, f"unsafe to stop osd(s) at this time ({offline} PGs are or would become offline)"
            return True, f"OSD(s) {ident} are ok to stop without reducing availability"
        if was_in or undersized or offline:
            pgs = sum(p.pg_num for p in ceph.pools.values())
            return False, f"OSD(s) {ident} have {pgs} pgs currently mapped to them."
        return True, f"OSD(s) {ident} are safe to destroy without reducing data durability."
    mds = ceph.mds.get(ident)
    if mds is None:
        return False, f"mds.{ident} does not exist"
    states = mds_states(ceph, online)
    state, _ = states[ident]
    spare = any(s.startswith("up:standby") for n, (s, _) in states.items() if n != ident)
    if state == "up:active" and not spare:
        return False, f"one or more filesystems would be left without an active MDS after stopping mds.{ident}"
    return True, f"mds.{ident} is ok to stop"
