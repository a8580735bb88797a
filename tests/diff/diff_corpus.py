"""Base/head pairs of a real cluster stack: each pair is one change a reviewer meets, and the flags it must raise.

Both sides are built with the constructs and synthesized as ``cdktf synth`` would (policy checks included).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from pvecdk import (
    Action,
    BackupJob,
    Cluster,
    Container,
    ContentType,
    Disk,
    FirewallRule,
    HaOptions,
    NetworkRole,
    NfsStorage,
    Vm,
)
from pvecdk._cdk import Construct, TerraformStack
from pvecdk.bpg import provider
from pvecdk.testing import synth_stack

HOSTS = {"pve1": 11, "pve2": 12, "pve3": 13, "pve4": 14, "pve5": 15}


@dataclass(frozen=True)
class Shape:
    """What a side of a pair holds; each pair changes one or two fields."""

    nodes: tuple[str, ...] = ("pve1", "pve2", "pve3")
    osds: tuple[str, ...] = ("pve1", "pve2", "pve3")
    min_size: int = 2
    nfs: bool = True
    ct_node: str = "pve2"
    vm_node: str = "pve1"
    vm_ha: bool = True
    backup_all: bool = True  # else the job names the container only
    open_rules: tuple[FirewallRule, ...] = field(default=())


def build(shape: Shape) -> dict[str, Any]:
    def factory(scope: Construct, name: str) -> TerraformStack:
        stack = TerraformStack(scope, name)
        provider.ProxmoxProvider(stack, "proxmox", endpoint="https://192.168.1.11:8006/")
        cluster = Cluster(stack, "Cluster", name="pve-cluster", management_network="192.168.1.0/24",
                          cluster_network="10.0.0.0/24", storage_network="172.16.0.0/24")
        for i, node in enumerate(shape.nodes, start=1):
            host = HOSTS[node]
            cluster.add_node(node, node_id=int(node[-1]) or i, management_interface="eno1",
                             management_address=f"192.168.1.{host}", cluster_address=f"10.0.0.{host}",
                             storage_address=f"172.16.0.{host}")
        ceph = cluster.enable_ceph(public_network=NetworkRole.STORAGE)
        nodes = {n.name: n for n in cluster.nodes}
        for name in shape.osds:
            nodes[name].add_osd("/dev/sdb")
        rbd = ceph.add_pool("vm-pool", size=3, min_size=shape.min_size, allow_unsafe=shape.min_size < 2).as_storage()
        nfs = (NfsStorage(stack, "nfs-storage", server="192.168.1.100", export="/srv/nfs/proxmox",
                          content=[ContentType.IMAGES, ContentType.BACKUP, ContentType.VZTMPL])
               if shape.nfs else None)
        Vm(stack, "vm-100", node=nodes[shape.vm_node], vm_id=100, disks=[Disk(rbd, size_gib=32)],
           ha=HaOptions(max_restart=3) if shape.vm_ha else None)
        ct = Container(stack, "dns", node=nodes[shape.ct_node], vm_id=200, template="local:vztmpl/debian-12.tar.zst",
                       disk=Disk(rbd, size_gib=8))
        if nfs is not None:
            BackupJob(stack, "nightly", storage=nfs, guests=None if shape.backup_all else [ct])
        firewall = cluster.firewall
        assert firewall is not None
        for rule in shape.open_rules:
            firewall.add_rule(rule)
        return stack

    return synth_stack(factory, "cluster")


BASE = Shape()

#: name -> (base, head, the flags (severity, rule) the change must raise: all of them and no other)
PAIRS: dict[str, tuple[Shape, Shape, set[tuple[str, str]]]] = {
    "node-added": (replace(BASE, nodes=("pve1", "pve2", "pve3", "pve4")),
                   replace(BASE, nodes=("pve1", "pve2", "pve3", "pve4", "pve5")), set()),
    "node-removed": (replace(BASE, nodes=("pve1", "pve2", "pve3", "pve4")), BASE, set()),
    "even-votes": (BASE, replace(BASE, nodes=("pve1", "pve2", "pve3", "pve4")), {("medium", "even-votes")}),
    "osd-removed": (replace(BASE, nodes=("pve1", "pve2", "pve3", "pve4"), osds=("pve1", "pve2", "pve3", "pve4")),
                    replace(BASE, nodes=("pve1", "pve2", "pve3", "pve4")), {("high", "data-destroyed")}),
    "pool-min-size-lowered": (BASE, replace(BASE, min_size=1), {("high", "pool-redundancy")}),
    "storage-removed": (BASE, replace(BASE, nfs=False), {("high", "data-destroyed"), ("medium", "backup-lost")}),
    "container-moved": (BASE, replace(BASE, ct_node="pve3"), {("high", "guest-replaced")}),
    "vm-moved": (BASE, replace(BASE, vm_node="pve2"), set()),
    "ha-lost": (BASE, replace(BASE, vm_ha=False), {("medium", "ha-lost")}),
    "backup-coverage-lost": (BASE, replace(BASE, backup_all=False), {("medium", "backup-lost")}),
    "firewall-opened": (BASE, replace(BASE, open_rules=(
        FirewallRule(Action.ACCEPT, proto="tcp", dport="443", comment="web"),
        FirewallRule(Action.ACCEPT, proto="tcp", dport="9100", source="+management", comment="metrics"))),
        {("high", "firewall-open"), ("low", "firewall-open")}),
    "nothing-changed": (BASE, BASE, set()),
}


def example_node_removal() -> tuple[dict[str, Any], dict[str, Any]]:
    """The README's report: the guide's cluster (``stacks/example_cluster.py``) with a fourth node and its OSD as
    the base, the guide's three nodes as the head."""
    from stacks import example_cluster as example

    guide = example.NODES
    head = synth_stack(example.ExampleClusterStack, "example-cluster")
    example.NODES = (*guide, example.GuideNode("pve4", 4, 14))
    try:
        base = synth_stack(example.ExampleClusterStack, "example-cluster")
    finally:
        example.NODES = guide
    return base, head
