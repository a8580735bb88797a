"""The rules that span constructs: pure functions of a :class:`~pvecdk._model.ClusterModel`.

Quorum: corosync keeps a partition running only while it holds more than half of the expected votes. From
the model's votes this module computes the quorum and how many node failures the cluster survives, and
checks the field's rules:

A QDevice's vote counts only when the model sets the QDevice up (``ClusterModel.qdevice``, set by the cluster
once it has its ``pvecdk_qdevice`` resource): a vote nothing applies is never counted.

* fewer than three votes cannot fail over (unless two nodes plus a QDevice): a warning;
* an even vote count without a QDevice risks a split with no majority: a warning;
* HA on a cluster that cannot keep quorum after one node fails: an error;
* a QDevice on an odd number of nodes: an error, the one :func:`pvecdk._qdevice.odd_nodes` decides, so the
  policy refuses what ``pvecdk_qdevice``'s plan and ``pvecm qdevice setup`` refuse;
* corosync sharing the management network (no cluster network): a warning;
* a node's cluster, storage or migration address that no interface carries (neither one the model creates
  with that address nor one named as existing): an error, since corosync links and Ceph bind to it.

Guests and HA (:func:`check_guests`):

* every volume of an HA guest is on shared storage, or on zfspool storage the guest replicates to another
  node: otherwise HA cannot start it elsewhere: an error;
* an HA guest that relies on ZFS replicas, not restricted (``strict``) to the nodes that hold them: an error;
* a ``host``/``max`` CPU type (the node's own CPU) under HA, or on a cluster of several nodes, without
  ``allow_host_cpu=True``: an error (the guest could not migrate to a node with another CPU);
* an HA guest on a bridge some node it may move to lacks: an error;
* an HA affinity rule naming a guest that is not under HA, or keeping apart more guests than there are
  nodes: an error.

Clones (:func:`check_clones`):

* a VM cloned onto another node than its template's, while a volume of the template is on storage that node
  cannot reach (local storage, or shared storage not defined there): PVE clones to another node only from
  shared storage: an error;
* a linked clone of a template whose disk is on storage that cannot clone a base volume (thick LVM, iSCSI):
  an error.

SDN (:func:`check_vnets`):

* a guest on a VNet of another cluster's SDN (the VNet does not exist where the guest runs): an error;
* a guest on a VNet whose zone does not span the guest's node, or (under HA) a node HA may move it to: an error.

Nothing here imports cdktf or jsii: the rules read only the model a cluster's constructs join, so they run
(and are tested) on a model built by hand. :mod:`pvecdk.policy` applies them to the clusters of a construct
tree.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from pvecdk import _qdevice
from pvecdk._model import ClusterModel, Where
from pvecdk._storage_types import LINKED_CLONE_TYPES
from pvecdk._values import NetworkRole
from pvecdk.errors import Problem

__all__ = ["Finding", "Quorum", "check", "check_ceph", "check_clones", "check_guests", "check_interfaces",
           "check_vnets", "quorum", "quorum_of"]


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


def quorum(model: ClusterModel) -> Quorum:
    """The quorum figures of ``cluster`` as the model stands."""
    # With an even number of nodes the QDevice runs the ffsplit algorithm and holds one vote.
    return quorum_of([n.votes for n in model.nodes.values()], 1 if model.qdevice else 0)


def quorum_of(votes_per_node: Iterable[int], qdevice_votes: int = 0) -> Quorum:
    """The quorum figures of nodes with these votes, and a QDevice's votes (0 without one)."""
    node_votes = sorted(votes_per_node, reverse=True)
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


def check(model: ClusterModel) -> list[Finding]:
    """Every quorum and topology finding for ``cluster`` (a Cluster, or its model)."""
    path = model.where()
    findings: list[Finding] = []
    nodes = model.nodes
    q = quorum(model)

    def add(severity: str, field: str, text: str, fix: str) -> None:
        findings.append(Finding(severity, Problem(path, field, text, fix)))

    if not nodes:
        add("error", "nodes", "the cluster has no node", "add nodes with cluster.add_node(...)")
        return findings
    two_plus_qdevice = len(nodes) == 2 and model.qdevice
    if q.votes < 3 and not two_plus_qdevice:
        add("warning", "nodes", f"{q.votes} vote{'s' if q.votes != 1 else ''} cannot fail over: losing one node "
            "loses quorum", "add a third node, or a QDevice to a two-node cluster")
    if q.votes % 2 == 0 and not model.qdevice:
        add("warning", "qdevice", f"an even number of votes ({q.votes}) can split into two halves with no "
            "majority", "add a node, or a QDevice (qdevice=QDevice(address=...))")
    odd = _qdevice.odd_nodes(len(nodes)) if model.qdevice else None
    if odd is not None:
        add("error", "qdevice", odd, _qdevice.ODD_NODES_FIX)
    if model.ha_resources and q.tolerated_failures < 1:
        add("error", "ha", f"HA is configured for {len(model.ha_resources)} guest(s), but with {q.votes} votes and "
            f"quorum {q.quorum} the cluster cannot keep quorum after one node fails",
            "add nodes (three or more), or two nodes plus a QDevice, before protecting guests")
    if model.migration_network is not None:
        # PVE looks up each node's address in the migration network; a node with none cannot migrate.
        missing = [n.name for n in nodes.values() if NetworkRole.MIGRATION not in n.addresses]
        if missing:
            add("error", "migration_network", f"no address in the migration network {model.migration_network} "
                f"on {', '.join(missing)}: live migration to and from {'it' if len(missing) == 1 else 'them'} "
                "fails", "give every node migration_address=..., or leave migration_network unset")
    if model.cluster_network is None:
        add("warning", "cluster_network", "corosync shares the management network; traffic there can delay "
            "corosync and fence nodes", "give the cluster a separate cluster_network")
    findings += check_interfaces(model)
    findings += check_guests(model)
    findings += check_clones(model)
    findings += check_vnets(model)
    findings += check_ceph(model)
    return findings


def check_vnets(model: ClusterModel) -> list[Finding]:
    """The rules on the SDN VNets the cluster's guests are on (see the module docstring)."""
    findings: list[Finding] = []
    for guest in model.guests.values():
        ha = model.ha_resources.get(guest.ha_resource_id)
        for vnet in guest.vnets:
            if vnet.cluster != model.name:
                findings.append(Finding("error", Problem(
                    guest.where(), "networks", f"VNet {vnet.vnet_id} ({vnet.where()}) belongs to cluster "
                    f"{vnet.cluster}, but the guest runs on {guest.node} of cluster {model.name}: the VNet "
                    "does not exist there", f"attach the guest to a VNet of cluster {model.name}'s SDN, or "
                    f"move the guest to a node of {vnet.cluster}")))
                continue
            if vnet.nodes is None:
                continue
            # Where the guest may run: its node, and under HA every node HA may start it on.
            may_run = {guest.node}
            if ha is not None:
                may_run |= set(ha.strict_nodes if ha.strict_nodes is not None else model.nodes)
            outside = sorted(may_run - vnet.nodes)
            if outside:
                why = "runs on" if outside == [guest.node] else "may run (HA) on"
                findings.append(Finding("error", Problem(
                    guest.where(), "networks", f"the guest {why} {', '.join(outside)}, where the zone of VNet "
                    f"{vnet.vnet_id} does not reach (its nodes: {', '.join(sorted(vnet.nodes))})",
                    f"add {', '.join(outside)} to the zone's nodes, or keep the guest on "
                    f"{', '.join(sorted(vnet.nodes))} (node=, or prefer=[...] with strict=True)")))
    return findings


def check_interfaces(model: ClusterModel) -> list[Finding]:
    """Every role address of a node whose network the model manages lives on an interface (management's is
    vmbr0's, which the node creates)."""
    findings: list[Finding] = []
    for node in model.nodes.values():
        if node.interfaces is None or node.where is None:
            continue
        carried = {ipaddress.ip_interface(a).ip for a in node.interfaces.values() if a is not None}
        for role, address in node.addresses.items():
            if role is NetworkRole.MANAGEMENT or role in node.existing:
                continue
            if ipaddress.ip_address(address) not in carried:
                findings.append(Finding("error", Problem(
                    node.where(), f"{role.value}_address",
                    f"{address} is on no interface of {node.name}: the {role.value} network has no interface there",
                    f"add a bridge, bond or VLAN carrying it (node.add_bridge('vmbr1', ports=[...], "
                    f"address='{address}/<prefix>')), or name the existing one with "
                    f"{role.value}_interface='<name>'")))
    return findings


def check_guests(model: ClusterModel) -> list[Finding]:
    """The rules on the cluster's guests that HA and migration need (see the module docstring)."""
    findings: list[Finding] = []
    protected = model.ha_resources
    node_count = len(model.nodes)

    def error(where: Where, field: str, text: str, fix: str) -> None:
        # The path is read (from jsii, for a built model) only here, when a problem is reported.
        findings.append(Finding("error", Problem(where(), field, text, fix)))

    for guest in model.guests.values():
        under_ha = guest.ha_resource_id in protected
        if guest.host_cpu and not guest.allow_host_cpu and (under_ha or node_count > 1):
            why = "it is under HA" if under_ha else f"the cluster has {node_count} nodes"
            error(guest.where, "cpu_type", f"{guest.cpu_type} passes the node's own CPU through, so the VM migrates "
                  f"only to identical CPUs, and {why}",
                  "use x86-64-v2-AES (or a model every node supports), or allow_host_cpu=True if every node has "
                  "the same CPU")
        if not under_ha:
            continue
        replicated = bool(guest.replicas)
        relies_on_replicas = False
        for volume in guest.volumes:
            if volume.shared:
                continue
            if volume.storage_type == "zfspool" and replicated and volume.replicate:
                relies_on_replicas = True
                continue
            hint = " and replicate it with guest.replicate_to(node)" if volume.storage_type == "zfspool" else ""
            error(guest.where, volume.field, f"the guest is under HA, but storage {volume.storage} "
                  f"({volume.storage_type}) is local to its node and not replicated, so HA cannot start it elsewhere",
                  f"put the volume on shared storage (NFS, RBD, CephFS...), or on zfspool{hint}")
        strict_nodes = protected[guest.ha_resource_id].strict_nodes
        if relies_on_replicas:
            # HA recovers a guest on local ZFS only where a replica is: its own node and the targets.
            holders = {guest.node, *guest.replicas}
            if strict_nodes is None or not strict_nodes <= holders:
                where = ", ".join(sorted(holders))
                error(guest.where, "ha", "the guest's ZFS volumes exist only on " + where + ", but HA may start it "
                      + ("on any node" if strict_nodes is None else "on " + ", ".join(sorted(strict_nodes - holders))),
                      f"restrict it to the nodes with a replica: prefer=[...] of {where} with strict=True, or "
                      "replicate to the other nodes too")
        for bridge in guest.bridges:
            if bridge == "vmbr0":
                continue
            lacking = [n.name for n in model.nodes.values() if bridge not in n.bridges
                       and (strict_nodes is None or n.name in strict_nodes)]
            if lacking:
                error(guest.where, "networks", f"the guest is under HA on bridge {bridge}, which "
                      f"{', '.join(lacking)} lack{'s' if len(lacking) == 1 else ''}",
                      f"add {bridge} to every node it may move to (node.add_bridge), or restrict it with prefer=")
    for rule in model.ha_rules.values():
        if rule.kind != "resource-affinity":
            continue
        for member in rule.members:
            if member not in protected:
                error(rule.where, "guests", f"{member} is in the rule but not under HA",
                      "protect it first (cluster.ha.protect(guest) or ha=True)")
        if rule.negative and len(rule.members) > node_count:
            error(rule.where, "guests", f"{len(rule.members)} guests kept apart on {node_count} nodes",
                  "keep apart at most as many guests as the cluster has nodes")
    return findings


def check_clones(model: ClusterModel) -> list[Finding]:
    """The rules PVE has for cloning a template: where the clone may go, and what a linked clone needs."""
    findings: list[Finding] = []
    for guest in model.guests.values():
        clone = guest.clone
        template = model.guests.get(clone.template_vm_id) if clone is not None else None
        if clone is None or template is None:
            continue  # a template of another cluster is refused when the clone is defined
        unreachable: dict[str, str] = {}  # storage -> why, once per storage (a disk and a drive may share it)
        for volume in template.volumes:
            if not volume.shared:
                if guest.node != template.node:
                    unreachable[volume.storage] = f"({volume.storage_type}) is local to {template.node}"
            elif volume.nodes is not None and guest.node not in volume.nodes:
                unreachable[volume.storage] = f"is not defined on {guest.node}"
            if clone.linked and volume.field != "cloud_init.storage" and volume.storage_type not in LINKED_CLONE_TYPES:
                # PVE copies a cloud-init drive even into a linked clone: only disks need the clone feature.
                findings.append(Finding("error", Problem(
                    guest.where(), "clone", f"a linked clone needs storage that clones a base volume, and template "
                    f"{template.vm_id}'s storage {volume.storage} is {volume.storage_type}",
                    "use Clone.full(template), or keep the template on lvmthin, zfspool, rbd or a directory "
                    "or NFS storage")))
        for storage, why in unreachable.items():
            findings.append(Finding("error", Problem(
                guest.where(), "clone", f"template {template.vm_id}'s storage {storage} {why}, so {guest.node} "
                "cannot clone it (PVE clones to another node only from shared storage)",
                f"put the VM on {template.node}, or the template on shared storage {guest.node} has")))
    return findings


def check_ceph(model: ClusterModel) -> list[Finding]:
    """Ceph's rules over the whole model: monitor quorum, managers, pool sizes against the nodes with OSDs,
    metadata servers for the file systems, and the networks Ceph shares."""
    ceph = model.ceph
    findings: list[Finding] = []
    if ceph is None:
        return findings
    path = ceph.where()

    def add(severity: str, where: str, field: str, text: str, fix: str) -> None:
        findings.append(Finding(severity, Problem(where, field, text, fix)))

    mons = len(ceph.monitors)
    if mons % 2 == 0:
        add("error", path, "monitors", f"{mons} monitors: an even number survives no more failures than one "
            "fewer and can split with no majority", "run monitors on an odd number of nodes (3 or 5)")
    elif mons == 1:  # odd and below three
        # A lab of one or two nodes cannot do better; a cluster with three nodes or more must.
        severity = "error" if len(model.nodes) >= 3 else "warning"
        add(severity, path, "monitors", "1 monitor: losing it stops Ceph", "run three monitors (on three nodes)")
    if len(ceph.managers) == 1 and len(model.nodes) >= 3:
        add("warning", path, "managers", "one manager: when it fails, nothing reports or balances until it returns",
            "run a manager beside each monitor")
    osd_nodes = len(ceph.osd_nodes)
    for pool in ceph.pools:
        where = pool.where()
        if pool.size < 3:
            add("warning", where, "size", f"size={pool.size} keeps {pool.size} cop{'y' if pool.size == 1 else 'ies'}: "
                "a second failure during recovery loses data", "use size=3, min_size=2")
        # OSDs already in the cluster but not in the model are unknown: only judge a model that has OSDs.
        if ceph.osd_hosts and not pool.erasure_coded and osd_nodes < pool.size:
            severity = "error" if osd_nodes < pool.min_size else "warning"
            add(severity, where, "size", f"size={pool.size} needs OSDs on {pool.size} nodes (one copy per host), "
                f"the model has OSDs on {osd_nodes}", "add OSDs on more nodes, or lower size")
    if ceph.filesystems and not ceph.metadata_servers:
        add("error", path, "mds", "a CephFS file system without a metadata server cannot be mounted",
            "add metadata servers (ceph.add_mds(node), or mds_nodes= on add_filesystem)")
    elif ceph.filesystems and len(ceph.metadata_servers) <= len(ceph.filesystems):
        add("warning", path, "mds", f"{len(ceph.metadata_servers)} metadata server(s) for "
            f"{len(ceph.filesystems)} file system(s) leave no standby", "add a metadata server on another node")
    if ceph.cluster_network is not None and ceph.cluster_network == model.cluster_network:
        add("warning", path, "cluster_network", "Ceph replicates over the corosync network; recovery traffic "
            "there can delay corosync and fence nodes", "put Ceph's cluster network on the storage network")
    if ceph.public_role is NetworkRole.CLUSTER:
        add("warning", path, "public_network", "Ceph's public network is the corosync network; its traffic can "
            "delay corosync and fence nodes", "put Ceph on the storage network")
    return findings
