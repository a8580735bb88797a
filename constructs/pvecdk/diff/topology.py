"""A cluster as a reviewer thinks of it, read from one synthesized stack (or one side of a Terraform plan).

The input is Terraform's configuration shape: ``{"resource": {type: {name: attributes}}, "variable": ...}``.
References between resources (``${pvecdk_storage.rbd.id}``) are resolved to the literal they point at where the
stack holds one, so a VM's disk names its storage whichever way the stack wrote it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pvecdk._rules import quorum_of
from pvecdk._storage_types import SHARED_TYPES

__all__ = ["Guest", "Member", "Osd", "Pool", "Rule", "Storage", "Topology", "quorum", "read_topology",
           "resources"]

Config = Mapping[str, Any]
_REF = re.compile(r"\$\{([a-zA-Z0-9_]+)\.([^.}]+)\.([a-zA-Z0-9_]+)\}")
_EVERY_ADDRESS = frozenset({"0.0.0.0/0", "::/0", "any"})
_VAR = re.compile(r"\$\{var\.([a-zA-Z0-9_]+)\}")

#: Where a storage's data lives, per storage type's attributes (bpg's names, and pvecdk_storage's options).
_LOCATION_KEYS = ("server", "export", "share", "subdirectory", "path", "volume_group", "thin_pool", "zfs_pool",
                  "datastore", "namespace", "portal", "target", "pool", "monhost", "fs-name", "volume", "base")


def resources(config: Config) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(address, type, attributes) of every managed resource of a stack."""
    for tf_type, items in sorted((config.get("resource") or {}).items()):
        for name, attrs in sorted((items or {}).items()):
            if isinstance(attrs, Mapping):
                yield f"{tf_type}.{name}", tf_type, attrs


def construct_path(attrs: Mapping[str, Any]) -> str:
    """The construct path cdktf recorded for a resource, without the stack and a trailing ``/Resource``."""
    path = str(((attrs.get("//") or {}).get("metadata") or {}).get("path") or "")
    return path.split("/", 1)[-1].removesuffix("/Resource")


def quorum(votes: list[int], qdevice_votes: int = 0) -> tuple[int, int, int]:
    """(total votes, votes needed, node failures tolerated), the nodes with most votes failing first; a QDevice's
    vote counts in the total and the quorum, never as a node failure (the cluster rules' own figures)."""
    figures = quorum_of(votes, qdevice_votes)
    return figures.votes, figures.quorum, figures.tolerated_failures


@dataclass(frozen=True)
class Member:
    name: str
    votes: int
    node_id: int | None
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Osd:
    node: str
    device: str

    @property
    def key(self) -> str:
        return f"{self.node}:{self.device}"


@dataclass(frozen=True)
class Pool:
    name: str
    size: int | None
    min_size: int | None


@dataclass(frozen=True)
class Storage:
    id: str
    type: str
    location: tuple[tuple[str, str], ...]  # (key, value) of where its data lives
    content: tuple[str, ...]
    shared: bool
    address: str

    @property
    def where(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.location) or "-"

    @property
    def holds_data(self) -> bool:
        return bool(set(self.content) & {"images", "rootdir", "backup"}) or not self.content


@dataclass(frozen=True)
class Guest:
    kind: str  # vm or ct
    vm_id: int | None
    name: str
    node: str
    storages: tuple[str, ...]
    migrate: bool
    address: str
    pool: str | None = None
    disks: tuple[str, ...] = ()  # VM disk interfaces (scsi0, ...), container mount point paths
    placement: str | None = None  # the pvecdk_guest_placement that moves it by migration
    ha_managed: bool = False  # its placement leaves the node to HA

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.vm_id}" if self.vm_id is not None else self.address

    @property
    def label(self) -> str:
        kind = "VM" if self.kind == "vm" else "container"
        return f"{kind} {self.vm_id} ({self.name})" if self.name else f"{kind} {self.vm_id}"


@dataclass(frozen=True)
class Rule:
    scope: str  # cluster, group <name>, node <name>, vm <id>, ct <id>
    action: str
    direction: str
    source: str
    dest: str
    proto: str
    dport: str
    comment: str
    enabled: bool
    any_source: bool = False  # the source names an IP set or alias that holds every address

    @property
    def to_any(self) -> bool:
        """Accepting traffic in from any address."""
        return (self.action == "ACCEPT" and self.direction == "in" and self.enabled
                and (self.any_source or self.source == "" or bool(_EVERY_ADDRESS & set(self.source.split(",")))))

    def describe(self) -> str:
        what = f"{self.proto or 'any protocol'}" + (f" port {self.dport}" if self.dport else "")
        source = self.source or "any address"
        dest = f" to {self.dest}" if self.dest else ""
        note = f" ({self.comment})" if self.comment else ""
        return f"{self.action} {self.direction} {what} from {source}{dest} [{self.scope}]{note}"


@dataclass
class Topology:
    """What one stack says about its cluster."""

    cluster: str | None = None
    members: dict[str, Member] = field(default_factory=dict)
    qdevice: str | None = None  # the QDevice's host, when a pvecdk_qdevice sets it up (its vote counts then)
    qdevice_address: str = ""  # that resource's address
    links: int = 0
    networks: dict[str, str] = field(default_factory=dict)  # name -> CIDR (from the firewall's IP sets)
    monitors: set[str] = field(default_factory=set)
    monitor_addresses: dict[str, str] = field(default_factory=dict)  # node -> the monitor's address
    managers: set[str] = field(default_factory=set)
    osds: dict[str, Osd] = field(default_factory=dict)
    pools: dict[str, Pool] = field(default_factory=dict)
    filesystems: set[str] = field(default_factory=set)
    storages: dict[str, Storage] = field(default_factory=dict)
    guests: dict[str, Guest] = field(default_factory=dict)
    ha: set[str] = field(default_factory=set)  # "vm:100", "ct:200"
    backup_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    firewall_enabled: bool | None = None
    input_policy: str | None = None

    @property
    def votes(self) -> list[int]:
        """The nodes' votes."""
        return [m.votes for m in self.members.values()]

    @property
    def qdevice_votes(self) -> int:
        return 1 if self.qdevice is not None else 0

    def quorum(self) -> tuple[int, int, int]:
        """(total votes, votes needed, node failures tolerated), the QDevice's vote included."""
        return quorum(self.votes, self.qdevice_votes)

    def network_of(self, address: str) -> str | None:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        for name, cidr in sorted(self.networks.items()):
            try:
                if ip in ipaddress.ip_network(cidr, strict=False):
                    return name
            except ValueError:
                continue
        return None

    def backed_up(self) -> set[str]:
        """Keys of the guests some enabled backup job selects."""
        covered: set[str] = set()
        for job in self.backup_jobs.values():
            if job.get("enabled") is False:
                continue
            node = job.get("node")
            vmids = {str(v) for v in job.get("vmid") or []}
            for guest in self.guests.values():
                if node and guest.node != node:
                    continue
                chosen = (job.get("all") is True or str(guest.vm_id) in vmids
                          or (job.get("pool") is not None and job.get("pool") == guest.pool))
                if chosen:
                    covered.add(guest.key)
        return covered


class _Resolver:
    def __init__(self, config: Config) -> None:
        self.resources = {address: attrs for address, _t, attrs in resources(config)}
        self.variables = config.get("variable") or {}

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or "${" not in value:
            return value
        match = _REF.fullmatch(value)
        if match:
            target = self.resources.get(f"{match.group(1)}.{match.group(2)}", {})
            found = target.get(match.group(3))
            return found if isinstance(found, (str, int, float)) and "${" not in str(found) else value
        var = _VAR.fullmatch(value)
        if var and "default" in (self.variables.get(var.group(1)) or {}):
            return self.variables[var.group(1)]["default"]
        return value


def _one(value: Any) -> Mapping[str, Any]:
    """A block limited to one item: an object in configuration, a list of one in state and plans."""
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _storage(address: str, tf_type: str, attrs: Mapping[str, Any], resolve: _Resolver) -> Storage | None:
    sid = resolve(attrs.get("id"))
    if not isinstance(sid, str):
        return None
    kind = str(attrs.get("type")) if tf_type == "pvecdk_storage" else tf_type.removeprefix("proxmox_storage_")
    kind = {"directory": "dir"}.get(kind, kind)
    nested = attrs.get("options")
    options = {**attrs, **(nested if isinstance(nested, Mapping) else {})}
    location = tuple((k, str(resolve(options[k]))) for k in _LOCATION_KEYS
                     if options.get(k) not in (None, "") and not isinstance(options[k], (Mapping, list)))
    content = tuple(sorted(str(c) for c in attrs.get("content") or []))
    shared = kind in SHARED_TYPES or attrs.get("shared") is True
    return Storage(sid, kind, location, content, shared, address)


def _disk_storages(attrs: Mapping[str, Any], resolve: _Resolver) -> tuple[str, ...]:
    found: list[str] = []
    for block in ("disk", "efi_disk", "tpm_state", "mount_point"):
        items = attrs.get(block)
        for item in items if isinstance(items, list) else [items] if isinstance(items, Mapping) else []:
            if not isinstance(item, Mapping):
                continue
            store = resolve(item.get("datastore_id") or item.get("volume"))
            if isinstance(store, str):
                found.append(store.split(":", 1)[0])
    return tuple(sorted(set(found)))


def _disk_names(attrs: Mapping[str, Any]) -> tuple[str, ...]:
    names = [str(d.get("interface")) for d in attrs.get("disk") or [] if isinstance(d, Mapping) and d.get("interface")]
    names += [str(m.get("path")) for m in attrs.get("mount_point") or [] if isinstance(m, Mapping) and m.get("path")]
    return tuple(sorted(names))


def _rules(scope: str, items: Any, resolve: _Resolver) -> list[Rule]:
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping) or item.get("security_group"):
            continue  # a group's rules are read from the group itself
        out.append(Rule(scope, str(item.get("action") or ""), str(item.get("type") or "in"),
                        str(resolve(item.get("source")) or ""), str(resolve(item.get("dest")) or ""),
                        str(item.get("proto") or item.get("macro") or ""), str(item.get("dport") or ""),
                        str(item.get("comment") or ""), item.get("enabled") is not False))
    return out


def read_topology(config: Config) -> Topology:
    """The cluster one stack's configuration describes (empty parts for what it does not hold)."""
    topo = Topology()
    resolve = _Resolver(config)
    placements: dict[str, tuple[str, str, bool]] = {}  # guest key -> (address, node, ha_managed)
    sets: dict[str, set[str]] = {}  # "+ipset" or alias name -> its CIDRs
    for address, tf_type, attrs in resources(config):
        kind = tf_type.removeprefix("proxmox_virtual_environment_").removeprefix("proxmox_")
        if tf_type == "pvecdk_cluster":
            topo.cluster = str(attrs.get("name"))
            links = attrs.get("link")
            topo.links = len(links) if isinstance(links, list) else 1
            for name, member in sorted((attrs.get("member") or {}).items()):
                topo.members[name] = Member(name, _int(member.get("votes")) or 1, _int(member.get("node_id")),
                                            tuple(str(a) for a in member.get("addresses") or []))
        elif tf_type == "pvecdk_ceph_monitor":
            topo.monitors.add(str(attrs.get("node_name")))
            if isinstance(attrs.get("address"), str):
                topo.monitor_addresses[str(attrs.get("node_name"))] = str(attrs["address"])
        elif tf_type == "pvecdk_ceph_manager":
            topo.managers.add(str(attrs.get("node_name")))
        elif tf_type == "pvecdk_ceph_osd":
            osd = Osd(str(attrs.get("node_name")), str(attrs.get("device")))
            topo.osds[osd.key] = osd
        elif tf_type == "pvecdk_ceph_fs":
            topo.filesystems.add(str(attrs.get("name")))
        elif kind == "ceph_pool":
            name = str(attrs.get("name"))
            topo.pools[name] = Pool(name, _int(attrs.get("size")), _int(attrs.get("min_size")))
        elif tf_type == "pvecdk_storage" or tf_type.startswith("proxmox_storage_"):
            storage = _storage(address, tf_type, attrs, resolve)
            if storage is not None:
                topo.storages[storage.id] = storage
        elif kind in ("vm", "vm2", "container"):
            guest = Guest("ct" if kind == "container" else "vm", _int(resolve(attrs.get("vm_id"))),
                          str(attrs.get("name") or _one(attrs.get("initialization")).get("hostname") or ""),
                          str(resolve(attrs.get("node_name"))), _disk_storages(attrs, resolve),
                          attrs.get("migrate") is True, address, resolve(attrs.get("pool_id")), _disk_names(attrs))
            topo.guests[guest.key] = guest
        elif tf_type == "pvecdk_qdevice":
            topo.qdevice, topo.qdevice_address = str(resolve(attrs.get("host"))), address
        elif tf_type == "pvecdk_guest_placement":
            placements[f"{'ct' if attrs.get('type') == 'lxc' else 'vm'}:{_int(resolve(attrs.get('vm_id')))}"] = (
                address, str(resolve(attrs.get("node_name"))), attrs.get("ha_managed") is True)
        elif kind == "haresource":
            rid = str(resolve(attrs.get("resource_id")))
            if attrs.get("state") != "ignored":
                topo.ha.add(rid)
        elif kind == "backup_job":
            job = {k: resolve(attrs.get(k)) for k in ("all", "vmid", "pool", "node", "enabled", "storage")}
            topo.backup_jobs[str(attrs.get("id") or address)] = job
        elif kind == "cluster_firewall":
            topo.firewall_enabled = attrs.get("enabled") is not False
            topo.input_policy = str(attrs.get("input_policy") or "DROP")
        elif kind == "cluster_firewall_security_group":
            topo.rules += _rules(f"group {attrs.get('name')}", attrs.get("rule"), resolve)
        elif kind == "firewall_rules":
            scope = ("vm " + str(attrs["vm_id"]) if attrs.get("vm_id") is not None
                     else "ct " + str(attrs["container_id"]) if attrs.get("container_id") is not None
                     else "node " + str(attrs["node_name"]) if attrs.get("node_name") else "cluster")
            topo.rules += _rules(scope, attrs.get("rule"), resolve)
        elif kind == "firewall_ipset":
            cidrs = [str(c.get("name")) for c in attrs.get("cidr") or [] if isinstance(c, Mapping)]
            if cidrs:
                topo.networks[str(attrs.get("name"))] = cidrs[0]
            sets[f"+{attrs.get('name')}"] = set(cidrs)
        elif kind == "firewall_alias":
            sets[str(attrs.get("name"))] = {str(resolve(attrs.get("cidr")))}
    for key, (address, node, ha_managed) in placements.items():
        if key in topo.guests:  # where the guest runs is its placement's (its own resource ignores node_name)
            topo.guests[key] = replace(topo.guests[key], node=node, placement=address, ha_managed=ha_managed)
    topo.rules = [replace(r, any_source=any(sets.get(s, set()) & _EVERY_ADDRESS for s in r.source.split(",")))
                  for r in topo.rules]
    return topo
