"""The operations guide's three-node cluster.

Three nodes (pve1..pve3) on three networks: management 192.168.1.0/24, cluster (corosync, migration)
10.0.0.0/24 and storage (Ceph) 172.16.0.0/24, with the cluster firewall on; an NFS share for images, ISOs,
container templates and backups; the Ceph pool ``vm-pool`` (size 3, min_size 2); VM 100 under HA; and a
nightly backup of every guest at 02:00. Storage, the Ceph pool and the backup job are still L1 classes of
``pvecdk.bpg`` until their own constructs land.

The endpoint is a Terraform variable; the API token comes from the provider's ``PROXMOX_VE_API_TOKEN``
environment variable, so no secret is written into the synthesized files.
"""

from __future__ import annotations

from dataclasses import dataclass

from pvecdk import AutomationAccess, Cluster, CorosyncLink, NetworkRole
from pvecdk._cdk import Construct, TerraformStack, TerraformVariable
from pvecdk.bpg import backup_job, ceph_pool, provider, storage_nfs


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

        nfs = storage_nfs.StorageNfs(
            self, "nfs-storage", id="nfs-storage", server="192.168.1.100", export="/srv/nfs/proxmox",
            content=["images", "iso", "vztmpl", "backup"],
        )
        ceph_pool.CephPool(
            self, "vm-pool", name="vm-pool", node_name=NODES[0].name, size=3, min_size=2, application="rbd",
            pg_autoscale_mode="on",
        )
        self.cluster.ha.protect("vm:100", max_restart=3, max_relocate=1)
        backup_job.BackupJob(
            self, "nightly-backup", id="nightly-backup", schedule="02:00", storage=nfs.id, all=True,
            mode="snapshot", compress="zstd",
        )
        AutomationAccess(self, "Automation")
