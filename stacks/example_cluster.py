"""The operations guide's three-node cluster, built from the L1 classes of ``pvecdk.bpg``.

Three nodes (pve1..pve3) on three networks: management 192.168.1.0/24, cluster (corosync, migration)
10.0.0.0/24 and storage (Ceph) 172.16.0.0/24; an NFS share for images, ISOs and container templates; the Ceph
pool ``vm-pool`` (size 3, min_size 2); VM 100 under HA; and a nightly backup of every guest at 02:00.

The endpoint is a Terraform variable; the API token comes from the provider's ``PROXMOX_VE_API_TOKEN``
environment variable, so no secret is written into the synthesized files (a sensitive ``TerraformVariable`` is
the other way: see the README).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from pvecdk._cdk import Construct, TerraformStack, TerraformVariable
from pvecdk.bpg import (
    backup_job,
    ceph_pool,
    cluster_options,
    haresource,
    network_linux_bridge,
    provider,
    storage_nfs,
)

MANAGEMENT = ipaddress.ip_network("192.168.1.0/24")
CLUSTER = ipaddress.ip_network("10.0.0.0/24")
STORAGE = ipaddress.ip_network("172.16.0.0/24")


@dataclass(frozen=True)
class GuideNode:
    """A node of the guide's cluster: its name and host number on each network."""

    name: str
    host: int

    def address(self, network: ipaddress.IPv4Network) -> str:
        return str(network.network_address + self.host)


NODES = (GuideNode("pve1", 11), GuideNode("pve2", 12), GuideNode("pve3", 13))


class ExampleClusterStack(TerraformStack):
    """The guide's cluster as one stack."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        endpoint = TerraformVariable(
            self,
            "proxmox_endpoint",
            type="string",
            default=f"https://{NODES[0].address(MANAGEMENT)}:8006/",
            description="URL of the PVE API of one node",
        )
        # The API token is read by the provider from PROXMOX_VE_API_TOKEN: nothing secret is in the stack.
        provider.ProxmoxProvider(self, "proxmox", endpoint=endpoint.string_value)

        # Live migration over the cluster network, encrypted.
        cluster_options.ClusterOptions(self, "cluster-options", migration_cidr=str(CLUSTER), migration_type="secure")

        # vmbr0 on the management network of every node.
        for node in NODES:
            network_linux_bridge.NetworkLinuxBridge(
                self,
                f"{node.name}-vmbr0",
                node_name=node.name,
                name="vmbr0",
                address=f"{node.address(MANAGEMENT)}/{MANAGEMENT.prefixlen}",
                gateway=str(MANAGEMENT.network_address + 1),
                ports=["eno1"],
                autostart=True,
                comment="management",
            )

        nfs = storage_nfs.StorageNfs(
            self,
            "nfs-storage",
            id="nfs-storage",
            server="192.168.1.100",
            export="/srv/nfs/proxmox",
            content=["images", "iso", "vztmpl", "backup"],
        )

        ceph_pool.CephPool(
            self,
            "vm-pool",
            name="vm-pool",
            node_name=NODES[0].name,
            size=3,
            min_size=2,
            application="rbd",
            pg_autoscale_mode="on",
        )

        haresource.Haresource(
            self, "ha-vm-100", resource_id="vm:100", state="started", max_restart=3, max_relocate=1
        )

        backup_job.BackupJob(
            self,
            "nightly-backup",
            id="nightly-backup",
            schedule="02:00",
            storage=nfs.id,
            all=True,
            mode="snapshot",
            compress="zstd",
        )
