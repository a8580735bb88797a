"""Cluster create, join (with the member-side 'addnode') and node removal, following pve-cluster's checks.

Messages and task log lines are the ones pve-cluster prints, so an engine can be tested against them.
Every function here expects the World lock to be held.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ApiError
from .formats import parse_property_string
from .model import ClusterConf, CorosyncNode, NodeState, World
from .tasks import TaskFailed

CLUSTER_CONF = "/etc/pve/corosync.conf"
MAX_LINK = 7
LINK_FORMAT: dict[str, Any] = {
    "address": {"default_key": 1, "type": "string", "format": "address"},
    "priority": {"type": "integer", "optional": 1, "minimum": 0, "maximum": 255},
}


@dataclass(frozen=True)
class Link:
    address: str
    priority: int | None


def parse_links(params: dict[str, str]) -> dict[int, Link]:
    """link0..link7 from already validated parameters (a bare address or 'address=...,priority=...')."""
    links: dict[int, Link] = {}
    for number in range(MAX_LINK + 1):
        raw = params.get(f"link{number}")
        if raw:
            parsed = parse_property_string(LINK_FORMAT, raw)
            priority = parsed.get("priority")
            links[number] = Link(parsed["address"], int(priority) if priority is not None else None)
    return links


def create_cluster(world: World, node: NodeState, name: str, nodeid: int, votes: int, links: dict[int, Link]) -> None:
    """Make `node` the only member of a new cluster; it keeps its authkey and datacenter.cfg, as in PVE."""
    if node.cluster is not None:
        raise TaskFailed(f"cluster config '{CLUSTER_CONF}' already exists")
    links = links or {0: Link(node.address, None)}
    cluster = world.new_cluster(name, node.authkey, node.local_options)
    # The new cluster's /etc/pve is the creator's: its storage.cfg and ceph.conf carry on.
    cluster.storage, cluster.ceph = node.local_storage, node.local_ceph
    cluster.nodes[node.name] = CorosyncNode(node.name, nodeid, votes, {k: v.address for k, v in links.items()})
    for number, link in sorted(links.items()):
        iface = {"linknumber": str(number)}
        if link.priority is not None:  # PVE writes any priority given, 0 included
            iface["knet_link_priority"] = str(link.priority)
        cluster.interfaces[number] = iface
    node.cluster = cluster


CREATE_LOG = [
    "Corosync Cluster Engine Authentication key generator.",
    "Gathering 2048 bits for key from /dev/urandom.",
    "Writing corosync key to /etc/corosync/authkey.",
    f"Writing corosync config to {CLUSTER_CONF}",
    "Restart corosync and cluster filesystem",
]


class AddNodeError(Exception):
    """A refusal by the member a node asked to join; `errors` mirrors PVE's error hash."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


def add_node(
    world: World,
    member: NodeState,
    name: str,
    links: dict[int, Link],
    new_node_ip: str,
    nodeid: int | None,
    votes: int | None,
    force: bool,
) -> ClusterConf:
    """The member side of a join (POST /cluster/config/nodes/{node}): check, then write the new nodelist."""
    cluster = member.cluster
    if cluster is None:
        # A standalone node has no corosync.conf, so PVE's config check finds no nodes.
        raise AddNodeError("invalid corosync.conf", {"error0": "no nodes found"})
    if not world.quorate(member):
        raise AddNodeError("cluster not ready - no quorum?")
    if cluster.qdevice:
        raise AddNodeError("cannot add node with a QDevice configured, remove it first (pvecm qdevice remove)")
    for link in links.values():
        for other in cluster.nodes.values():
            if other.name == name:
                continue
            for number, address in other.links.items():
                if address == link.address:
                    used = f"link ring{number}_addr by node '{other.name}'"
                    raise AddNodeError(f"corosync: address '{link.address}' already used on {used}")
    cluster_links = set(next(iter(cluster.nodes.values())).links) if cluster.nodes else set()
    addresses = {k: v.address for k, v in links.items()}
    if links:
        for number in range(MAX_LINK + 1):
            if number in cluster_links and number not in links:
                raise AddNodeError(
                    f"corosync: link {number} exists in cluster config but wasn't specified for new node"
                )
            if number not in cluster_links and number in links:
                raise AddNodeError(f"corosync: link {number} specified for new node doesn't exist in cluster config")
    elif len(cluster_links) == 1:
        addresses = {next(iter(cluster_links)): new_node_ip}
    else:
        raise AddNodeError(
            "no links given but multiple links found on other nodes, fallback only supported on single-link clusters"
        )
    existing = cluster.nodes.get(name)
    if existing is not None:
        nodeid = nodeid or existing.nodeid
        votes = existing.votes if votes is None else votes
        if not (force and existing.nodeid == nodeid and existing.votes == votes):
            raise AddNodeError(f"can't add existing node '{name}'")
    elif nodeid is None:
        taken = {m.nodeid for m in cluster.nodes.values()}
        nodeid = next(i for i in range(1, len(taken) + 2) if i not in taken)
    else:
        # PVE leaves a duplicate nodeid to corosync, which then refuses the configuration; the fake refuses early.
        clash = next((m.name for m in cluster.nodes.values() if m.nodeid == nodeid), None)
        if clash is not None:
            raise AddNodeError(f"corosync: nodeid {nodeid} already used by node '{clash}'")
    cluster.nodes[name] = CorosyncNode(name, nodeid, 1 if votes is None else votes, addresses)
    cluster.config_version += 1
    return cluster


def _joinable_errors(world: World, node: NodeState, links: dict[int, Link]) -> list[str]:
    errors: list[str] = []
    if node.cluster is not None:
        errors += [
            "authentication key '/etc/corosync/authkey' already exists",
            f"cluster config '{CLUSTER_CONF}' already exists",
            "corosync is already running, is this node already in a cluster?!",
        ]
    if world.guests_of([node.name]):
        errors.append("this host already contains virtual guests")
    for number, link in sorted(links.items()):
        if link.address not in node.addresses:
            errors.append(f"link{number}: cannot use IP '{link.address}', not found on local node!")
    return errors


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def join_cluster(
    world: World,
    node: NodeState,
    params: dict[str, str],
    root_password: str,
    fingerprint_of: Callable[[str], str],
) -> list[str]:
    """The joining node's worker: local checks, login to `hostname`, addnode there, then take the new config."""
    links = parse_links(params)
    force = params.get("force") == "1"
    lines: list[str] = []
    errors = _joinable_errors(world, node, links)
    if errors:
        lines.append("detected the following error(s):")
        lines += [f"* {e}" for e in errors]
        if not force:
            raise TaskFailed("Check if node may join a cluster failed!", lines)
        lines += ["", "WARNING : detected error but forced to continue!", ""]
    host = params["hostname"]
    lines.append(f"Establishing API connection with host '{host}'")
    member = world.node_by_address(host)
    if member is None or not member.online:
        reason = "No route to host" if _is_ip(host) else "Name or service not known"
        raise TaskFailed(f"500 Can't connect to {host}:8006 ({reason})", lines)
    actual = fingerprint_of(member.name)
    if params["fingerprint"].upper() != actual:
        raise TaskFailed(f"fingerprint '{actual}' not verified, abort!", lines)
    if params["password"] != root_password:
        raise TaskFailed("401 authentication failure", lines)
    lines += ["Login succeeded.", "check cluster join API version"]
    if not links:
        lines.append(f"No cluster network links passed explicitly, fallback to local node IP '{node.address}'")
    lines.append("Request addition of this node")
    nodeid = int(params["nodeid"]) if params.get("nodeid") else None
    votes = int(params["votes"]) if params.get("votes") is not None else None
    try:
        cluster = add_node(world, member, node.name, links, node.address, nodeid, votes, force)
    except AddNodeError as exc:
        lines.append(f"An error occurred on the cluster node: {exc.message}")
        lines += [("* " if k.startswith("warning") else "! ") + v for k, v in sorted(exc.errors.items())]
        raise TaskFailed("Cluster join aborted!", lines) from None
    old = node.cluster
    if old is not None and old is not cluster:
        old.nodes.pop(node.name, None)
        old.config_version += 1
    # The joined node's /etc/pve is replaced by the cluster's: its tickets and options are the cluster's now.
    node.cluster = cluster
    world.reset_local_store(node)
    world.membership_changed(joined=node.name)
    lines += [
        "Join request OK, finishing setup locally",
        "stopping pve-cluster service",
        f"backup old database to '/var/lib/pve-cluster/backup/config-{int(time.time())}.sql.gz'",
        "waiting for quorum...OK",
        "(re)generate node files",
        "generate new node certificate",
        "merge authorized SSH keys",
        "generated new node certificate, restart pveproxy and pvedaemon services",
        f"successfully added node '{node.name}' to cluster.",
    ]
    return lines


def delete_node(world: World, node: NodeState, target: str) -> None:
    """DELETE /cluster/config/nodes/{node}: the removed node is left standalone (its corosync config gone)."""
    if target == node.name:
        raise ApiError(500, "Cannot delete myself from cluster!\n")
    world.require_quorum(node)
    cluster = node.cluster
    found = None
    if cluster is not None:
        found = next(
            (m for m in cluster.nodes.values() if target in (m.name, m.links.get(0), m.links.get(1))),
            None,
        )
    if cluster is None or found is None:
        raise ApiError(500, f"Node/IP: {target} is not a known host of the cluster.\n")
    if cluster.qdevice:
        raise ApiError(500, "cannot delete node with a QDevice configured, remove it first (pvecm qdevice remove)\n")
    remove_member(world, cluster, found.name)


def remove_member(world: World, cluster: ClusterConf, name: str) -> None:
    del cluster.nodes[name]
    cluster.config_version += 1
    removed = world.nodes.get(name)
    if removed is not None and removed.cluster is cluster:
        world.detach(removed)
    world.membership_changed()
