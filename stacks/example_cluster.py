"""The operations guide's three-node cluster.

Three nodes (pve1..pve3) on three networks: management 192.168.1.0/24, cluster (corosync, migration)
10.0.0.0/24 and storage (Ceph) 172.16.0.0/24, with the cluster firewall on; an NFS share for images, ISOs,
container templates and backups; Ceph on the storage network (monitors and managers on the three nodes, an
OSD on each node's /dev/sdb) with the pool ``vm-pool`` (size 3, min_size 2) and its RBD storage; VM 100 on
that RBD storage under HA (restarted three times, then moved once, preferring pve1 then pve2: an HA group on
PVE 8, a node-affinity rule on PVE 9); a nightly snapshot backup of every guest at 02:00 to the NFS share,
keeping 7 daily, 4 weekly and 6 monthly backups; and an InfluxDB metrics server.

The endpoint is a Terraform variable; the API token comes from the provider's ``PROXMOX_VE_API_TOKEN``
environment variable, so no secret is written into the synthesized files.
"""

from __future__ import annotations

from dataclasses import dataclass

from pvecdk import (
    AutomationAccess,
    BackupJob,
    BackupMode,
    Cluster,
    ContentType,
    CorosyncLink,
    Disk,
    HaOptions,
    InfluxDbServer,
    NetworkRole,
    NfsStorage,
    Retention,
    Vm,
)
from pvecdk._cdk import Construct, TerraformStack, TerraformVariable
from pvecdk.bpg import provider


@dataclass(frozen=True)
class GuideNode:
    """A node of the guide's cluster: its name, id and host number on each network."""

    name: str
    node_id: int
    host: int


NODES = (GuideNode("pve1", 1, 11), GuideNode("pve2", 2, 12), GuideNode("pve3", 3, 13))


class ExampleClusterStack(TerraformStack):
    """The guide's cluster as one stack."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        endpoint = TerraformVariable(
            self, "proxmox_endpoint", type="string", default="https://192.168.1.11:8006/",
            description="URL of the PVE API of one node",
        )
        # The API token is read by the provider from PROXMOX_VE_API_TOKEN: nothing secret is in the stack.
        provider.ProxmoxProvider(self, "proxmox", endpoint=endpoint.string_value)

        self.cluster = Cluster(
            self, "Cluster",
            name="pve-cluster",
            management_network="192.168.1.0/24",
            cluster_network="10.0.0.0/24",
            storage_network="172.16.0.0/24",
            # corosync on its own network, with the management network as a fallback link
            links=[CorosyncLink(NetworkRole.CLUSTER, priority=10), CorosyncLink(NetworkRole.MANAGEMENT, priority=5)],
            management_gateway="192.168.1.1",
            dns_servers=["192.168.1.1"],
            search_domain="example.internal",
            time_zone="Europe/Berlin",
        )
        for n in NODES:
            self.cluster.add_node(
                n.name, node_id=n.node_id, management_interface="eno1",
                management_address=f"192.168.1.{n.host}", cluster_address=f"10.0.0.{n.host}",
                storage_address=f"172.16.0.{n.host}",
            )

        nfs = NfsStorage(
            self, "nfs-storage", server="192.168.1.100", export="/srv/nfs/proxmox",
            content=[ContentType.IMAGES, ContentType.ISO, ContentType.VZTMPL, ContentType.BACKUP],
        )
        ceph = self.cluster.enable_ceph(public_network=NetworkRole.STORAGE)
        for node in self.cluster.nodes:
            node.add_osd("/dev/sdb")
        rbd = ceph.add_pool("vm-pool", size=3, min_size=2).as_storage()
        pve1, pve2 = self.cluster.nodes[:2]
        # On RBD every node sees the disk, so HA can start the VM on another node when pve1 fails.
        self.vm = Vm(
            self, "vm-100", node=pve1, vm_id=100, cores=2, memory_mib=4096, disks=[Disk(rbd, size_gib=32)],
            ha=HaOptions(max_restart=3, max_relocate=1, prefer=[pve1, pve2]),
        )
        BackupJob(
            self, "nightly-backup", storage=nfs, schedule="02:00", mode=BackupMode.SNAPSHOT,
            retention=Retention(keep_daily=7, keep_weekly=4, keep_monthly=6),
        )
        influxdb_token = TerraformVariable(
            self, "influxdb_token", type="string", sensitive=True,
            description="InfluxDB API token with write access to the proxmox bucket",
        )
        InfluxDbServer(self, "metrics", server="192.168.1.50", organization="proxmox", bucket="proxmox",
                       token=influxdb_token)
        AutomationAccess(self, "Automation")
