"""What ``pvecdk import`` read from a running cluster: plain data, as PVE reports it, and what was left out; and
PVE's booleans and property strings read as Python values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CephInfo", "GuestInfo", "Inventory", "Json", "LeftOut", "NodeInfo", "flag", "kv"]

Json = dict[str, Any]


def flag(value: Any) -> bool:
    """PVE's booleans: 1, true, yes, on."""
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def kv(text: Any) -> dict[str, str]:
    """``a=1,b=2`` (PVE's property strings) -> dict; a leading bare value is ``""``'s. An object (the API returns
    datacenter.cfg's property strings parsed) is taken as it is."""
    if isinstance(text, dict):
        return {str(k): str(v) for k, v in text.items()}
    out: dict[str, str] = {}
    for part in str(text or "").split(","):
        if not part:
            continue
        key, sep, value = part.partition("=")
        if sep:
            out[key.strip()] = value.strip()
        else:
            out[""] = key.strip()
    return out


@dataclass(frozen=True)
class LeftOut:
    """Something read (or not readable) that the written stack does not model, and why."""

    what: str
    reason: str
    failed: bool = False  # could not be read (a node offline, a path forbidden), rather than not modelled


@dataclass
class NodeInfo:
    """A cluster member: corosync entry, reachability and what its node-level API reports."""

    name: str
    node_id: int
    votes: int
    links: dict[int, str]
    online: bool = True
    interfaces: list[Json] = field(default_factory=list)
    dns: Json = field(default_factory=dict)
    hosts: str | None = None  # /etc/hosts as the node reports it
    time_zone: str | None = None


@dataclass
class GuestInfo:
    """A VM (``qemu``) or container (``lxc``) with its configuration as ``.../config`` returns it."""

    vmid: int
    node: str
    kind: str
    name: str
    config: Json = field(default_factory=dict)


@dataclass
class CephInfo:
    """Ceph as PVE's Ceph API reports it."""

    config: dict[str, str] = field(default_factory=dict)  # the [global] section (public/cluster network)
    monitors: list[Json] = field(default_factory=list)
    managers: list[Json] = field(default_factory=list)
    mds: list[Json] = field(default_factory=list)
    osds: list[Json] = field(default_factory=list)  # {id, host, device}
    pools: list[Json] = field(default_factory=list)
    filesystems: list[Json] = field(default_factory=list)


@dataclass
class Inventory:
    """Everything read, in PVE's words."""

    endpoint: str
    release: str  # "8.4", "9.1"
    cluster_name: str
    nodes: list[NodeInfo] = field(default_factory=list)
    link_priorities: dict[int, int] = field(default_factory=dict)
    qdevice: Json | None = None
    options: Json = field(default_factory=dict)
    storage: list[Json] = field(default_factory=list)
    ceph: CephInfo | None = None
    ha_resources: list[Json] = field(default_factory=list)
    ha_groups: list[Json] = field(default_factory=list)
    ha_rules: list[Json] = field(default_factory=list)
    guests: list[GuestInfo] = field(default_factory=list)
    pools: list[Json] = field(default_factory=list)
    backup_jobs: list[Json] = field(default_factory=list)
    replication: list[Json] = field(default_factory=list)
    metrics: list[Json] = field(default_factory=list)
    firewall: Json | None = None
    users: list[Json] = field(default_factory=list)
    acl: list[Json] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)

    def node(self, name: str) -> NodeInfo | None:
        return next((n for n in self.nodes if n.name == name), None)
