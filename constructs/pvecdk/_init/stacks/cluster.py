"""A three-node Proxmox VE cluster: management on 192.168.1.0/24, corosync on 10.0.0.0/24.

`cdktf deploy cluster` forms the cluster (the pvecdk/pvecdk provider) and sets its options (bpg/proxmox). The
endpoint is a variable; credentials come from the environment (PROXMOX_VE_API_TOKEN, PVECDK_JOIN_PASSWORD),
never from this file.
"""

from __future__ import annotations

from pvecdk import Cluster
from pvecdk._cdk import Construct, TerraformStack, TerraformVariable
from pvecdk.bpg import provider

NODES = {"pve1": 11, "pve2": 12, "pve3": 13}  # name -> host number on each network


class ClusterStack(TerraformStack):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        endpoint = TerraformVariable(self, "proxmox_endpoint", type="string", default="https://192.168.1.11:8006/",
                                     description="URL of the PVE API of one node")
        provider.ProxmoxProvider(self, "proxmox", endpoint=endpoint.string_value)
        self.cluster = Cluster(self, "Cluster", name="pve-cluster", management_network="192.168.1.0/24",
                               cluster_network="10.0.0.0/24")
        for node_id, (name, host) in enumerate(NODES.items(), start=1):
            self.cluster.add_node(name, node_id=node_id, management_interface="eno1",
                                  management_address=f"192.168.1.{host}", cluster_address=f"10.0.0.{host}",
                                  cluster_interface="eno2")
