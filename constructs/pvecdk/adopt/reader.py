"""Read a running cluster through the engine's client: one endpoint, every node through it (PVE's proxy forwards
``/nodes/{node}/...`` calls to the member named).

Every part is read on its own: a part that fails (a node offline, a path the token may not read) is recorded in
``Inventory.left_out`` with PVE's reason, and the rest is read as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from pvecdk.adopt.model import CephInfo, GuestInfo, Inventory, Json, LeftOut, NodeInfo
from pvecdk.engine.ceph import read_ceph
from pvecdk.engine.client import Client
from pvecdk.errors import ApiError, EngineError, PvecdkError, UnreachableError

__all__ = ["read_inventory"]

T = TypeVar("T")


def _reason(exc: EngineError) -> str:
    if isinstance(exc, ApiError):
        if exc.status == 403:
            return f"permission denied on {exc.path} (HTTP 403): give the token Sys.Audit/Datastore.Audit/VM.Audit"
        if exc.status == 595:
            return f"node offline: {exc.path} could not be forwarded (HTTP 595)"
        return f"{exc.path}: HTTP {exc.status}: {exc.message.strip()}"
    if isinstance(exc, UnreachableError):
        return f"no answer: {exc.reason}"
    return str(exc)


class _Reader:
    def __init__(self, client: Client, entry: str, inventory: Inventory) -> None:
        self.client = client
        self.entry = entry
        self.inv = inventory

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(self.entry, path, **params)

    def rows(self, path: str) -> list[Json]:
        return list(self.get(path) or [])

    def obj(self, path: str) -> Json:
        return dict(self.get(path) or {})

    def part(self, what: str, read: Callable[[], T]) -> T | None:
        """Run one part of the reading; a failure is left out with its reason."""
        try:
            return read()
        except EngineError as exc:
            self.inv.left_out.append(LeftOut(what, _reason(exc), failed=True))
            return None


def read_inventory(endpoint: str, client_factory: Callable[[dict[str, str]], Client] | None = None) -> Inventory:
    """Read the cluster behind ``endpoint``. Credentials and TLS settings come from the environment
    (``PROXMOX_VE_API_TOKEN`` or ``PROXMOX_VE_USERNAME``/``PROXMOX_VE_PASSWORD``, ``PVECDK_CA_FILE``).

    Raises:
        PvecdkError: the endpoint does not answer, or its node is in no cluster.
    """
    make = client_factory or Client
    with make({"import": endpoint}) as probe:
        try:
            status = probe.get("import", "/cluster/status") or []
            version = probe.get("import", "/version") or {}
        except EngineError as exc:
            raise PvecdkError(f"cannot read the cluster through {endpoint}: {exc}") from None
    cluster = next((s for s in status if s.get("type") == "cluster"), None)
    if cluster is None:
        raise PvecdkError(f"{endpoint}: the node is in no cluster; `pvecdk import` adopts a formed cluster")
    local = next((str(s["name"]) for s in status if s.get("type") == "node" and s.get("local")), None)
    release = ".".join(str(version.get("version", "9.1")).split(".")[:2])
    inv = Inventory(endpoint=endpoint, release=release, cluster_name=str(cluster.get("name")))
    names = sorted(str(s["name"]) for s in status if s.get("type") == "node")
    online = {str(s["name"]): bool(s.get("online")) for s in status if s.get("type") == "node"}
    entry = local or names[0]
    with make({n: endpoint for n in names}) as client:
        r = _Reader(client, entry, inv)
        _read_cluster(r, names, online)
        for node in inv.nodes:
            _read_node(r, node)
        inv.storage = r.part("storage", partial(r.rows, "/storage")) or []
        _read_ceph(r, names, online)
        _read_ha(r)
        for node in inv.nodes:
            _read_guests(r, node)
        inv.pools = _read_pools(r)
        inv.backup_jobs = r.part("backup jobs", partial(r.rows, "/cluster/backup")) or []
        inv.replication = r.part("replication jobs", partial(r.rows, "/cluster/replication")) or []
        inv.metrics = r.part("metrics servers", partial(r.rows, "/cluster/metrics/server")) or []
        inv.firewall = r.part("cluster firewall", partial(r.obj, "/cluster/firewall/options"))
        inv.users = r.part("users", partial(r.rows, "/access/users")) or []
        inv.acl = r.part("ACLs", partial(r.rows, "/access/acl")) or []
    return inv


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _read_cluster(r: _Reader, names: list[str], online: dict[str, bool]) -> None:
    inv = r.inv
    members = r.part("corosync nodes", partial(r.rows, "/cluster/config/nodes")) or []
    by_name = {str(m.get("name") or m.get("node")): m for m in members}
    for name in names:
        m = by_name.get(name, {})
        links = {int(k.removeprefix("ring").removesuffix("_addr").removeprefix("link")): str(v)
                 for k, v in m.items() if (k.startswith("ring") and k.endswith("_addr")) or
                 (k.startswith("link") and k[4:].isdigit())}
        inv.nodes.append(NodeInfo(name, _int(m.get("nodeid")), _int(m.get("quorum_votes"), 1), links,
                                  online.get(name, False)))
    totem = r.part("corosync totem", partial(r.obj, "/cluster/config/totem")) or {}
    for number, iface in (totem.get("interface") or {}).items():
        if isinstance(iface, dict) and iface.get("knet_link_priority") is not None:
            inv.link_priorities[_int(number)] = _int(iface["knet_link_priority"])
    qdevice = r.part("QDevice", lambda: r.get("/cluster/config/qdevice"))
    inv.qdevice = dict(qdevice) if isinstance(qdevice, dict) and qdevice else None
    inv.options = r.part("cluster options", partial(r.obj, "/cluster/options")) or {}


def _read_node(r: _Reader, node: NodeInfo) -> None:
    if not node.online:
        r.inv.left_out.append(LeftOut(f"node {node.name}: networks, DNS, time, guests",
                                      "node offline: PVE lists it but cannot forward calls to it", failed=True))
        return
    n = node.name
    node.interfaces = r.part(f"node {n}: networks", partial(r.rows, f"/nodes/{n}/network")) or []
    node.dns = r.part(f"node {n}: DNS", partial(r.obj, f"/nodes/{n}/dns")) or {}
    hosts = r.part(f"node {n}: hosts", partial(r.obj, f"/nodes/{n}/hosts"))
    node.hosts = str(hosts.get("data") or "") if hosts else None
    time = r.part(f"node {n}: time", partial(r.obj, f"/nodes/{n}/time")) or {}
    node.time_zone = time.get("timezone")


def _read_ceph(r: _Reader, names: list[str], online: dict[str, bool]) -> None:
    up = [n for n in names if online.get(n)]
    if not up:
        return
    first = r.entry if r.entry in up else up[0]

    def read() -> CephInfo | None:
        live = read_ceph(r.client, first)  # the pools are read whole below; read_ceph would ask for them once more
        if not live.initialised:
            return None
        info = CephInfo(config={k: v for k, v in (("public_network", live.network),
                                                   ("cluster_network", live.cluster_network)) if v})
        info.monitors = [{"name": d.name, "host": d.host} for d in sorted(live.monitors.values(),
                                                                          key=lambda d: d.name)]
        info.managers = [{"name": d.name, "host": d.host} for d in sorted(live.managers.values(),
                                                                          key=lambda d: d.name)]
        info.mds = [{"name": d.name, "host": d.host} for d in sorted(live.mds.values(), key=lambda d: d.name)]
        info.filesystems = [{"name": f.name, "data_pool": f.data_pool, "metadata_pool": f.metadata_pool}
                            for f in sorted(live.filesystems.values(), key=lambda f: f.name)]
        info.pools = sorted(list(r.client.get(first, f"/nodes/{first}/ceph/pool") or []),
                            key=lambda p: str(p.get("pool_name")))
        return info

    ceph = r.part("Ceph", read)
    if ceph is None:
        return
    for name in up:
        def disks(name: str = name) -> list[Json]:
            return list(r.client.get(name, f"/nodes/{name}/disks/list") or [])

        for d in r.part(f"node {name}: disks (Ceph OSDs)", disks) or []:
            osd_id = _int(d.get("osdid"), -1)
            if osd_id >= 0:
                ceph.osds.append({"id": osd_id, "host": name, "device": str(d.get("devpath"))})
    ceph.osds.sort(key=lambda o: o["id"])
    r.inv.ceph = ceph


def _read_ha(r: _Reader) -> None:
    inv = r.inv
    listed = r.part("HA resources", partial(r.rows, "/cluster/ha/resources")) or []
    for row in sorted(listed, key=lambda x: str(x.get("sid"))):
        sid = str(row.get("sid"))
        detail = r.part(f"HA resource {sid}", partial(r.obj, f"/cluster/ha/resources/{sid}"))
        inv.ha_resources.append({**row, **(detail or {})})
    if inv.release.startswith("8"):
        inv.ha_groups = r.part("HA groups", partial(r.rows, "/cluster/ha/groups")) or []
    else:
        inv.ha_rules = r.part("HA rules", partial(r.rows, "/cluster/ha/rules")) or []


def _read_guests(r: _Reader, node: NodeInfo) -> None:
    if not node.online:
        return
    n = node.name
    for kind in ("qemu", "lxc"):
        rows = r.part(f"node {n}: {kind} guests", partial(r.rows, f"/nodes/{n}/{kind}")) or []
        for row in sorted(rows, key=lambda x: _int(x.get("vmid"))):
            vmid = _int(row.get("vmid"))
            config = r.part(f"guest {vmid} on {n}: configuration", partial(r.obj, f"/nodes/{n}/{kind}/{vmid}/config"))
            if config is None:
                continue
            r.inv.guests.append(GuestInfo(vmid, n, kind, str(row.get("name") or config.get("name")
                                                              or config.get("hostname") or vmid), config))


def _read_pools(r: _Reader) -> list[Json]:
    pools = []
    for row in sorted(r.part("pools", partial(r.rows, "/pools")) or [], key=lambda p: str(p.get("poolid"))):
        pool_id = str(row.get("poolid"))
        detail = r.part(f"pool {pool_id}", partial(r.obj, f"/pools/{pool_id}")) or {}
        pools.append({**row, "members": list(detail.get("members") or row.get("members") or [])})
    return pools
