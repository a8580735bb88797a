"""Rules that span constructs, checked before synthesis.

Quorum: corosync keeps a partition running only while it holds more than half of the expected votes. From
the model's votes this module computes the quorum and how many node failures the cluster survives, and
checks the field's rules:

* fewer than three votes cannot fail over (unless two nodes plus a QDevice): a warning;
* an even vote count without a QDevice risks a split with no majority: a warning;
* HA on a cluster that cannot keep quorum after one node fails: an error;
* a QDevice on an odd number of nodes adds no tie-break (PVE supports it only on even clusters): a warning;
* corosync sharing the management network (no cluster network): a warning.

Guests and HA (:func:`check_guests`):

* every volume of an HA guest is on shared storage, or on zfspool storage the guest replicates to another
  node: otherwise HA cannot start it elsewhere: an error;
* an HA guest that relies on ZFS replicas, not restricted (``strict``) to the nodes that hold them: an error;
* a ``host``/``max`` CPU type (the node's own CPU) under HA, or on a cluster of several nodes, without
  ``allow_host_cpu=True``: an error (the guest could not migrate to a node with another CPU);
* an HA guest on a bridge some node it may move to lacks: an error;
* an HA affinity rule naming a guest that is not under HA, or keeping apart more guests than there are
  nodes: an error.

:func:`enforce` runs every rule on every cluster in a construct tree and raises a ConfigError listing all
errors; ``pvecdk.synth.synth_app`` calls it before writing anything. Each cluster also registers the rules as
a cdktf validation, so ``app.synth()`` called directly refuses the same models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsii

from pvecdk import _cdk
from pvecdk._base import ClusterBase
from pvecdk._values import NetworkRole
from pvecdk.ceph import Ceph
from pvecdk.errors import ConfigError, Problem
from pvecdk.ha import Ha

__all__ = ["Finding", "Quorum", "check", "check_ceph", "check_guests", "clusters_in", "enforce", "quorum",
           "register"]


@dataclass(frozen=True)
class Quorum:
    """Quorum figures of a cluster.

    Attributes:
        votes: Expected votes: every node's, plus the QDevice's.
        quorum: Votes a partition needs to keep running.
        tolerated_failures: Nodes that can fail (those with the most votes first) while the rest keep quorum.
    """

    votes: int
    quorum: int
    tolerated_failures: int
    qdevice_votes: int


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" or "warning"
    problem: Problem

    def __str__(self) -> str:
        return f"{self.severity}: {self.problem}"


def quorum(cluster: ClusterBase) -> Quorum:
    """The quorum figures of ``cluster`` as the model stands."""
    node_votes = sorted((n.votes for n in cluster.nodes), reverse=True)
    # With an even number of nodes the QDevice runs the ffsplit algorithm and holds one vote.
    qdevice_votes = 1 if cluster.qdevice is not None else 0
    votes = sum(node_votes) + qdevice_votes
    needed = votes // 2 + 1
    tolerated = 0
    remaining = votes
    for i, v in enumerate(node_votes):
        if remaining - v < needed or i + 1 >= len(node_votes):
            break
        remaining -= v
        tolerated += 1
    if votes == 0 or remaining < needed:
        tolerated = 0
    return Quorum(votes, needed, tolerated, qdevice_votes)


def check(cluster: ClusterBase) -> list[Finding]:
    """Every quorum and topology finding for ``cluster``."""
    path = str(cluster.node.path)
    findings: list[Finding] = []
    nodes = cluster.nodes
    q = quorum(cluster)

    def add(severity: str, field: str, text: str, fix: str) -> None:
        findings.append(Finding(severity, Problem(path, field, text, fix)))

    if not nodes:
        add("error", "nodes", "the cluster has no node", "add nodes with cluster.add_node(...)")
        return findings
    two_plus_qdevice = len(nodes) == 2 and cluster.qdevice is not None
    if q.votes < 3 and not two_plus_qdevice:
        add("warning", "nodes", f"{q.votes} vote{'s' if q.votes != 1 else ''} cannot fail over: losing one node "
            "loses quorum", "add a third node, or a QDevice to a two-node cluster")
    if q.votes % 2 == 0 and cluster.qdevice is None:
        add("warning", "qdevice", f"an even number of votes ({q.votes}) can split into two halves with no "
            "majority", "add a node, or a QDevice (qdevice=QDevice(address=...))")
    if cluster.qdevice is not None and len(nodes) % 2 == 1:
        add("warning", "qdevice", f"a QDevice on an odd number of nodes ({len(nodes)}) breaks no tie and PVE "
            "supports it only on even clusters", "remove the QDevice, or use an even number of nodes")
    ha = cluster.part(Ha)
    if ha is not None and ha.resources and q.tolerated_failures < 1:
        add("error", "ha", f"HA is configured for {len(ha.resources)} guest(s), but with {q.votes} votes and "
            f"quorum {q.quorum} the cluster cannot keep quorum after one node fails",
            "add nodes (three or more), or two nodes plus a QDevice, before protecting guests")
    if cluster.cluster_network is None:
        add("warning", "cluster_network", "corosync shares the management network; traffic there can delay "
            "corosync and fence nodes", "give the cluster a separate cluster_network")
    findings += check_guests(cluster)
    findings += check_ceph(cluster)
    return findings


def check_guests(cluster: ClusterBase) -> list[Finding]:
    """The rules on the cluster's guests that HA and migration need (see the module docstring)."""
    findings: list[Finding] = []
    ha = cluster.part(Ha)
    protected = ha.resources if ha is not None else {}
    node_count = len(cluster.nodes)

    def error(where: _cdk.Construct, field: str, text: str, fix: str) -> None:
        # The path is read from jsii only here, when a problem is reported.
        findings.append(Finding("error", Problem(str(where.node.path), field, text, fix)))

    for guest in cluster.guests:
        under_ha = guest.ha_resource_id in protected
        if guest.passes_host_cpu and not guest.allow_host_cpu and (under_ha or node_count > 1):
            why = "it is under HA" if under_ha else f"the cluster has {node_count} nodes"
            error(guest, "cpu_type", f"{guest.cpu_type} passes the node's own CPU through, so the VM migrates only "
                  f"to identical CPUs, and {why}",
                  "use x86-64-v2-AES (or a model every node supports), or allow_host_cpu=True if every node has "
                  "the same CPU")
        if not under_ha:
            continue
        replicated = bool(guest.replications)
        volumes = list(guest.volumes)
        relies_on_replicas = False
        for i, storage in enumerate(volumes):
            disk = guest.disks[i] if i < len(guest.disks) else None
            if storage.shared:
                continue
            if storage.storage_type == "zfspool" and replicated and (disk is None or disk.replicate):
                relies_on_replicas = True
                continue
            field = f"{guest.disk_prop(i)}.storage" if disk is not None else "cloud_init.storage"
            hint = " and replicate it with guest.replicate_to(node)" if storage.storage_type == "zfspool" else ""
            error(guest, field, f"the guest is under HA, but storage {storage.node.id} ({storage.storage_type}) is "
                  "local to its node and not replicated, so HA cannot start it elsewhere",
                  f"put the volume on shared storage (NFS, RBD, CephFS...), or on zfspool{hint}")
        entry = protected[guest.ha_resource_id]
        strict_nodes = None
        if entry.rule is not None and entry.rule.resource.strict_input:
            strict_nodes = set((entry.rule.resource.nodes_input or {}).keys())
        elif entry.group is not None and entry.group.restricted_input:
            strict_nodes = set((entry.group.nodes_input or {}).keys())
        if relies_on_replicas:
            # HA recovers a guest on local ZFS only where a replica is: its own node and the targets.
            holders = {guest.node_name, *(r.target.name for r in guest.replications)}
            if strict_nodes is None or not strict_nodes <= holders:
                where = ", ".join(sorted(holders))
                error(guest, "ha", "the guest's ZFS volumes exist only on " + where + ", but HA may start it "
                      + ("on any node" if strict_nodes is None else "on " + ", ".join(sorted(strict_nodes - holders))),
                      f"restrict it to the nodes with a replica: prefer=[...] of {where} with strict=True, or "
                      "replicate to the other nodes too")
        for bridge in guest.bridges:
            if bridge == "vmbr0":
                continue
            lacking = [n.name for n in cluster.nodes if not n.has_bridge(bridge)
                       and (strict_nodes is None or n.name in strict_nodes)]
            if lacking:
                error(guest, "networks", f"the guest is under HA on bridge {bridge}, which "
                      f"{', '.join(lacking)} lack{'s' if len(lacking) == 1 else ''}",
                      f"add {bridge} to every node it may move to (node.add_bridge), or restrict it with prefer=")
    if ha is not None:
        for rule in ha.rules.values():
            if rule.kind != "resource-affinity":
                continue
            for member in rule.members:
                if member.ha_resource_id not in protected:
                    error(rule.resource, "guests", f"{member.ha_resource_id} is in the rule but not under HA",
                          "protect it first (cluster.ha.protect(guest) or ha=True)")
            if rule.resource.affinity_input == "negative" and len(rule.members) > node_count:
                error(rule.resource, "guests", f"{len(rule.members)} guests kept apart on {node_count} nodes",
                      "keep apart at most as many guests as the cluster has nodes")
    return findings


def check_ceph(cluster: ClusterBase) -> list[Finding]:
    """Ceph's rules over the whole model: monitor quorum, managers, pool sizes against the nodes with OSDs,
    metadata servers for the file systems, and the networks Ceph shares."""
    ceph = cluster.part(Ceph)
    findings: list[Finding] = []
    if ceph is None:
        return findings
    path = str(ceph.node.path)

    def add(severity: str, where: str, field: str, text: str, fix: str) -> None:
        findings.append(Finding(severity, Problem(where, field, text, fix)))

    mons = len(ceph.monitors)
    if mons % 2 == 0:
        add("error", path, "monitors", f"{mons} monitors: an even number survives no more failures than one "
            "fewer and can split with no majority", "run monitors on an odd number of nodes (3 or 5)")
    elif mons < 3:
        # A lab of one or two nodes cannot do better; a cluster with three nodes or more must.
        severity = "error" if len(cluster.nodes) >= 3 else "warning"
        add(severity, path, "monitors", f"{mons} monitor{'s' if mons != 1 else ''}: losing "
            f"{'it' if mons == 1 else 'one'} stops Ceph", "run three monitors (on three nodes)")
    if len(ceph.managers) == 1 and len(cluster.nodes) >= 3:
        add("warning", path, "managers", "one manager: when it fails, nothing reports or balances until it returns",
            "run a manager beside each monitor")
    osd_nodes = len(ceph.osd_nodes)
    for pool in ceph.pools.values():
        where = str(pool.node.path)
        if pool.size < 3:
            add("warning", where, "size", f"size={pool.size} keeps {pool.size} cop{'y' if pool.size == 1 else 'ies'}: "
                "a second failure during recovery loses data", "use size=3, min_size=2")
        # OSDs already in the cluster but not in the model are unknown: only judge a model that has OSDs.
        if ceph.osds and pool.erasure_coding is None and osd_nodes < pool.size:
            severity = "error" if osd_nodes < pool.min_size else "warning"
            add(severity, where, "size", f"size={pool.size} needs OSDs on {pool.size} nodes (one copy per host), "
                f"the model has OSDs on {osd_nodes}", "add OSDs on more nodes, or lower size")
    if ceph.filesystems and not ceph.metadata_servers:
        add("error", path, "mds", "a CephFS file system without a metadata server cannot be mounted",
            "add metadata servers (ceph.add_mds(node), or mds_nodes= on add_filesystem)")
    elif ceph.filesystems and len(ceph.metadata_servers) <= len(ceph.filesystems):
        add("warning", path, "mds", f"{len(ceph.metadata_servers)} metadata server(s) for "
            f"{len(ceph.filesystems)} file system(s) leave no standby", "add a metadata server on another node")
    if ceph.cluster_network is not None and ceph.cluster_network == cluster.cluster_network:
        add("warning", path, "cluster_network", "Ceph replicates over the corosync network; recovery traffic "
            "there can delay corosync and fence nodes", "put Ceph's cluster network on the storage network")
    if ceph.public_role is NetworkRole.CLUSTER:
        add("warning", path, "public_network", "Ceph's public network is the corosync network; its traffic can "
            "delay corosync and fence nodes", "put Ceph on the storage network")
    return findings


def clusters_in(scope: Any) -> list[ClusterBase]:
    """Every cluster in the construct tree under ``scope`` (``scope`` included), in tree order."""
    return [c for c in scope.node.find_all() if isinstance(c, ClusterBase)]


def enforce(scope: Any) -> list[Finding]:
    """Check every cluster under ``scope``; raise a ConfigError with all errors, return the warnings."""
    findings = [f for cluster in clusters_in(scope) for f in check(cluster)]
    errors = [f.problem for f in findings if f.severity == "error"]
    if errors:
        raise ConfigError(errors)
    return [f for f in findings if f.severity == "warning"]


@jsii.implements(_cdk.IValidation)
class _ClusterValidation:
    def __init__(self, cluster: ClusterBase) -> None:
        self._cluster = cluster

    def validate(self) -> list[str]:
        findings = check(self._cluster)
        for f in findings:
            if f.severity == "warning":
                _cdk.Annotations.of(self._cluster).add_warning(str(f.problem))
        return [str(f.problem) for f in findings if f.severity == "error"]


def register(cluster: ClusterBase) -> None:
    """Run the cluster's rules as a cdktf validation too (for apps that call ``app.synth()`` directly)."""
    cluster.node.add_validation(_ClusterValidation(cluster))
