"""The operations guide's three-node cluster.

Three nodes (pve1..pve3) on three networks: management 192.168.1.0/24 (vmbr0 on eno1), cluster (corosync,
migration) 10.0.0.0/24 (vmbr1 on eno2) and storage (Ceph) 172.16.0.0/24 (bond0 of eno3 and eno4), with the
cluster firewall on, opening each service's ports on its own network only; an NFS share for images, ISOs,
container templates and backups; Ceph on the storage network (monitors and managers on the three nodes, an
OSD on each node's /dev/sdb) with the pool ``vm-pool`` (size 3, min_size 2) and its RBD storage; the Debian 12
cloud image downloaded once onto the NFS share, and VM template 9000 imported from it onto RBD; VM 100, a full
clone of that template with its disk grown to 32 GiB and its own cloud-init (user, SSH key, the static address
10.10.0.10), on that RBD storage under HA (restarted three times, then moved once, preferring pve1 then pve2:
an HA group on PVE 8, a node-affinity rule on PVE 9), on the tenant network ``web`` (an SDN VNet in a simple
zone, with the subnet 10.10.0.0/24 routed and NATed by the nodes and addresses from PVE's DHCP server); a
nightly snapshot backup of every guest at 02:00 to the NFS share, keeping 7 daily, 4 weekly and 6 monthly
backups; and an InfluxDB metrics server.

The endpoint is a Terraform variable; the API token comes from the provider's ``PROXMOX_VE_API_TOKEN``
environment variable, so no secret is written into the synthesized files.
"""

from __future__ import annotations

from dataclasses import dataclass

from pvecdk import (
    AutomationAccess,
    BackupJob,
    BackupMode,
    ChecksumAlgorithm,
    Clone,
    CloudInit,
    Cluster,
    ContentType,
    CorosyncLink,
    DhcpRange,
    Disk,
    DownloadedFile,
    HaOptions,
    InfluxDbServer,
    NetworkInterface,
    NetworkRole,
    NfsStorage,
    Retention,
    SimpleZone,
    Vm,
    VmTemplate,
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
            node = self.cluster.add_node(
                n.name, node_id=n.node_id, management_interface="eno1",
                management_address=f"192.168.1.{n.host}", cluster_address=f"10.0.0.{n.host}",
                storage_address=f"172.16.0.{n.host}",
            )
            # Each role address on its own interface: corosync on a NIC of its own, Ceph on a bond of two.
            node.add_bridge("vmbr1", ports=["eno2"], address=f"10.0.0.{n.host}/24", comment="cluster")
            node.add_bond("bond0", slaves=["eno3", "eno4"], address=f"172.16.0.{n.host}/24", comment="storage")

        nfs = NfsStorage(
            self, "nfs-storage", server="192.168.1.100", export="/srv/nfs/proxmox",
            content=[ContentType.IMAGES, ContentType.ISO, ContentType.VZTMPL, ContentType.BACKUP, ContentType.IMPORT],
        )
        ceph = self.cluster.enable_ceph(public_network=NetworkRole.STORAGE)
        for node in self.cluster.nodes:
            node.add_osd("/dev/sdb")
        rbd = ceph.add_pool("vm-pool", size=3, min_size=2).as_storage()
        pve1, pve2 = self.cluster.nodes[:2]
        # On shared NFS one node downloads the image for all; the checksum is the one Debian publishes.
        image = DownloadedFile(
            self, "debian-12-image", cluster=self.cluster, storage=nfs,
            url="https://cloud.debian.org/images/cloud/bookworm/20250416-2084/"
                "debian-12-genericcloud-amd64-20250416-2084.qcow2",
            checksum="72ef23f399ceff56f7e0c213db796d655aaaea833bc18838210a1ab40e531e6a"
                     "cf9b21adc1954b902db8c9b2255bff7a08aed816250e6afc2821550533df457d",
            checksum_algorithm=ChecksumAlgorithm.SHA512,
        )
        self.template = VmTemplate(self, "debian-12-template", node=pve1, vm_id=9000, image=image, storage=rbd)
        ssh_key = TerraformVariable(self, "vm_ssh_public_key", type="string",
                                    description="public SSH key of the ops user on VM 100")
        # A tenant network: its guests get addresses from PVE's DHCP server and reach out through the node (SNAT).
        self.tenant_net = SimpleZone(self, "Tenants", zone_id="tenants", dhcp=True).add_vnet("Web", vnet_id="web")
        self.tenant_net.add_subnet("10.10.0.0/24", gateway="10.10.0.1", snat=True,
                                   dhcp_range=DhcpRange("10.10.0.100", "10.10.0.200"))
        # On RBD every node sees the disk, so HA can start the VM on another node when pve1 fails.
        self.vm = Vm(
            self, "vm-100", node=pve1, vm_id=100, clone=Clone.full(self.template), cores=2, memory_mib=4096,
            disks=[Disk(rbd, size_gib=32)],
            cloud_init=CloudInit(user="ops", ssh_keys=(ssh_key.string_value,), ipv4="10.10.0.10/24",
                                 ipv4_gateway="10.10.0.1"),
            ha=HaOptions(max_restart=3, max_relocate=1, prefer=[pve1, pve2]),
            networks=[NetworkInterface(bridge=self.tenant_net)],
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
