"""Many teams, many stacks: the guide's cluster as a platform stack, and team stacks that place guests on it.

The platform stack owns the cluster (three nodes, networks, firewall), Ceph with the RBD storage ``vm-pool``,
an NFS share for backups and ISO images and a local ISO directory; it exports the nodes, ``vm-pool`` and
``nfs-storage`` (and ``iso-store``, which holds no disk images). A team stack owns only its resource pool, its
VMs (round robin over the nodes, disks on ``vm-pool``, the first under HA) and the nightly backup of its pool.

Every stack keeps its state in PostgreSQL (``StateBackend.pg()``, connection string from ``PG_CONN_STR``).
"""

from __future__ import annotations

from pvecdk import BackupJob, Cluster, ContentType, DirStorage, Disk, NetworkRole, NfsStorage, Pool, Retention, Vm
from pvecdk._cdk import App, Construct, TerraformStack
from pvecdk.backend import StateBackend
from pvecdk.bpg import provider
from pvecdk.platform import Platform, PlatformExports

__all__ = ["PlatformStack", "TeamStack", "many_teams_app"]


class PlatformStack(TerraformStack):
    """The cluster and the storage every team uses; ``exports`` is what team stacks may use."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        provider.ProxmoxProvider(self, "proxmox")
        self.cluster = Cluster(self, "Cluster", name="pve-cluster", management_network="192.168.1.0/24",
                               cluster_network="10.0.0.0/24", storage_network="172.16.0.0/24")
        for i in (1, 2, 3):
            self.cluster.add_node(f"pve{i}", node_id=i, management_interface="eno1",
                                  management_address=f"192.168.1.1{i}", cluster_address=f"10.0.0.1{i}",
                                  cluster_interface="eno2",
                                  storage_address=f"172.16.0.1{i}", storage_interface="eno3")
        ceph = self.cluster.enable_ceph(public_network=NetworkRole.STORAGE)
        for node in self.cluster.nodes:
            node.add_osd("/dev/sdb")
        self.vm_storage = rbd = ceph.add_pool("vm-pool", size=3, min_size=2).as_storage()
        self.backup_storage = nfs = NfsStorage(self, "nfs-storage", server="192.168.1.100", export="/srv/nfs/proxmox",
                         content=[ContentType.BACKUP, ContentType.ISO])
        iso = DirStorage(self, "iso-store", path="/srv/iso", content=[ContentType.ISO])
        self.exports = PlatformExports.export(self, self.cluster, storages=[rbd, nfs, iso])


class TeamStack(TerraformStack):
    """One team's guests on the platform: a pool, ``guests`` VMs from VMID ``first_vm_id``, a nightly backup."""

    def __init__(self, scope: Construct, id: str, *, exports: PlatformExports, first_vm_id: int,
                 guests: int = 3) -> None:
        super().__init__(scope, id)
        provider.ProxmoxProvider(self, "proxmox")
        self.platform = Platform.lookup(self, "Platform", exports)
        self.pool = Pool(self, "Pool", pool_id=id)
        disks = self.platform.storage("vm-pool")
        nodes = self.platform.nodes
        self.guests = [
            Vm(self, f"vm-{first_vm_id + i}", node=nodes[i % len(nodes)], vm_id=first_vm_id + i, cores=2,
               memory_mib=2048, disks=[Disk(disks, size_gib=16)], pool=self.pool, ha=i == 0)
            for i in range(guests)]
        BackupJob(self, "nightly", storage=self.platform.storage("nfs-storage"), schedule="02:00", pool=self.pool,
                  retention=Retention(keep_daily=7))


def many_teams_app(outdir: str, *, teams: int = 2, guests: int = 3) -> App:
    """The platform stack and ``teams`` team stacks (``team-1``...), 1000 VMIDs apart, with state in PostgreSQL."""
    app = App(outdir=outdir)
    platform = PlatformStack(app, "platform")
    for t in range(1, teams + 1):
        TeamStack(app, f"team-{t}", exports=platform.exports, first_vm_id=1000 * t, guests=guests)
    StateBackend.pg().apply_to(app)
    return app
