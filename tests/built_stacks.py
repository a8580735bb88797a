"""Stacks the tests build, besides those in stacks/: each must also pass Terraform's own checks."""

from __future__ import annotations

import importlib
import warnings
from typing import Any

from pvecdk import _cdk, _l1
from pvecdk.bpg import TYPES, provider, user_token, virtual_environment_vm


def secret_stack(scope: Any, name: str) -> Any:
    """Secrets the two allowed ways: sensitive variables, and the provider's environment variables."""
    stack = _cdk.TerraformStack(scope, name)
    token = _cdk.TerraformVariable(stack, "api_token", type="string", sensitive=True)
    key = _cdk.TerraformVariable(stack, "ssh_key", type="string", sensitive=True)
    provider.ProxmoxProvider(stack, "pve", endpoint="https://pve1:8006/", api_token=token.string_value,
                             ssh={"username": "root", "private_key": key.string_value})
    user_token.UserToken(stack, "ci", user_id="ci@pve", token_name="ci", privileges_separation=True)
    return stack


def sample(field: Any) -> Any:
    """A value Terraform accepts for a field: the minimal configuration of every type is built from these."""
    if isinstance(field, _l1.Nested):
        item = {n: sample(f) for n, f in field.struct._FIELDS.items()
                if f.required or (isinstance(f, _l1.Nested) and f.min_items)}
        return item if field.single else [item] * max(field.min_items, 1)
    if field.sensitive:
        return _cdk.Token.as_string(_cdk.Fn.sensitive("x"))
    type_ = field.type
    if isinstance(type_, str):
        return {"string": "x", "number": 1, "bool": True, "dynamic": "x"}[type_]
    if type_[0] in ("list", "set"):
        return [sample(_l1.Attr("x", type_[1], "r"))]
    if type_[0] == "map":
        return {"k": sample(_l1.Attr("x", type_[1], "r"))}
    return {}


def type_class(kind: str, tf_type: str) -> Any:
    module, cls = TYPES[(kind, tf_type)]
    return getattr(importlib.import_module(f"pvecdk.bpg.{module}"), cls)


def build_minimal(stack: Any, kind: str, tf_type: str, name: str = "it") -> Any:
    cls = type_class(kind, tf_type)
    kwargs = {n: sample(f) for n, f in cls._CONFIG._FIELDS.items() if f.required or getattr(f, "min_items", 0)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return cls(stack, name, **kwargs)


def every_type_stack(scope: Any, name: str) -> Any:
    """Every resource and data source type of bpg/proxmox, each from its required arguments."""
    stack = _cdk.TerraformStack(scope, name)
    provider.ProxmoxProvider(stack, "proxmox")
    for kind, tf_type in TYPES:
        if kind != "provider":
            build_minimal(stack, kind, tf_type, f"{kind}-{tf_type}")
    return stack


def references_stack(scope: Any, name: str) -> Any:
    """Attributes referring to other resources' attributes, nested blocks included."""
    from pvecdk.bpg import ceph_pool, storage_nfs

    stack = _cdk.TerraformStack(scope, name)
    provider.ProxmoxProvider(stack, "proxmox")
    vm = virtual_environment_vm.VirtualEnvironmentVm(
        stack, "vm", node_name="pve1", cpu={"cores": 2}, disk=[{"interface": "scsi0", "size": 8}],
        network_device=[{"bridge": "vmbr0"}],
    )
    nfs = storage_nfs.StorageNfs(stack, "nfs", id="nfs", server="192.168.1.100", export="/srv/nfs",
                                 content=["images"], backups={"keep_last": 3})
    ceph_pool.CephPool(stack, "pool", name=nfs.id, node_name=vm.node_name, size=vm.cpu.cores,
                       min_size=nfs.backups.keep_last, pg_num=vm.disk.get(0).size)
    _cdk.TerraformOutput(stack, "mac", value=vm.network_device.get(0).mac_address)
    _cdk.TerraformOutput(stack, "ipv4", value=vm.ipv4_addresses)
    return stack


def cluster_features_stack(scope: Any, name: str) -> Any:
    """A cluster with what the example leaves out: QDevice, bonds, VLANs, own firewall rules, repositories."""
    from pvecdk import (
        Action,
        AptRepository,
        AutomationAccess,
        Cluster,
        CorosyncLink,
        FirewallRule,
        MigrationType,
        NetworkRole,
        NextIdRange,
        QDevice,
    )

    stack = _cdk.TerraformStack(scope, name)
    provider.ProxmoxProvider(stack, "proxmox")
    cluster = Cluster(
        stack, "Cluster", name="lab", pve_version="8.4", management_network="192.168.10.0/24",
        cluster_network="10.10.0.0/24", storage_network="172.16.10.0/24", migration_network="10.20.0.0/24",
        links=[CorosyncLink(NetworkRole.CLUSTER, 20), CorosyncLink(NetworkRole.STORAGE, 10)],
        qdevice=QDevice("192.168.10.5"), migration_type=MigrationType.INSECURE, crs_mode="static",
        bandwidth_limit_migration_kibps=512000, console="xtermjs", keyboard="en-us", mac_prefix="BC:24:11",
        next_id=NextIdRange(1000, 99999), dns_servers=["192.168.10.1", "1.1.1.1"], search_domain="lab.internal",
        management_gateway="192.168.10.1", apt_repository=AptRepository.NO_SUBSCRIPTION,
    )
    for i in (1, 2, 3, 4):
        node = cluster.add_node(
            f"pve{i}", node_id=i, management_interface="bond0", management_address=f"192.168.10.{i}",
            cluster_address=f"10.10.0.{i}", cluster_interface="eno5", storage_address=f"172.16.10.{i}",
            storage_interface="eno6", migration_address=f"10.20.0.{i}", migration_interface="eno7")
        node.add_bond("bond0", slaves=["eno1", "eno2"], mode="802.3ad")
        node.add_bridge("vmbr1", ports=["eno3"], vlan_aware=True)
        node.add_vlan("vmbr1.30", interface="vmbr1", vlan=30, address=f"172.30.0.{i}/24")
    assert cluster.firewall is not None
    ceph = FirewallRule(Action.ACCEPT, macro="Ceph", source="+storage")
    cluster.firewall.add_security_group("ceph", rules=[ceph])
    cluster.firewall.add_rule(FirewallRule(Action.ACCEPT, proto="icmp", source="+management", comment="ping"))
    cluster.ha.protect("vm:100", max_restart=2, max_relocate=2)
    AutomationAccess(stack, "Automation", user_id="ci@pve", token_name="ci", role_id="CiDeploy",
                     privileges=["VM.Audit", "Sys.Audit"], path="/vms")
    return stack


def workloads_stack(pve_version: str) -> Any:
    """Guests, HA, backups, replication and monitoring on a four-node cluster of one PVE release."""

    def build(scope: Any, name: str) -> Any:
        from pvecdk import (
            BackupJob,
            CloudInit,
            Cluster,
            Container,
            Disk,
            GraphiteServer,
            HaOptions,
            InfluxDbServer,
            NetworkInterface,
            OpenTelemetryServer,
            Pool,
            Retention,
            Storage,
            Vm,
        )

        stack = _cdk.TerraformStack(scope, name)
        provider.ProxmoxProvider(stack, "proxmox")
        cluster = Cluster(stack, "Cluster", name="work", pve_version=pve_version,
                          management_network="192.168.20.0/24", cluster_network="10.30.0.0/24")
        nodes = [cluster.add_node(f"pve{i}", node_id=i, management_interface="eno1",
                                  management_address=f"192.168.20.{i}", cluster_address=f"10.30.0.{i}",
                                  cluster_interface="eno5")
                 for i in (1, 2, 3, 4)]
        for node in nodes:
            node.add_bridge("vmbr1", ports=["eno2"], vlan_aware=True)
        rbd = Storage.from_id(stack, "ceph-vm", storage_type="rbd", content=["images", "rootdir"])
        zfs = Storage.from_id(stack, "local-zfs")
        nfs = Storage.from_id(stack, "nfs-backup", storage_type="nfs", content=["backup", "iso"])
        pool = Pool(stack, "Prod", pool_id="prod", comment="production guests")
        web = Vm(stack, "web", node=nodes[0], vm_id=100, cores=4, memory_mib=8192, tags=["web", "prod"], pool=pool,
                 disks=[Disk(rbd, size_gib=32), Disk(rbd, size_gib=100, interface="scsi1", ssd=True)],
                 networks=[NetworkInterface(), NetworkInterface(bridge="vmbr1", vlan_id=20)],
                 cloud_init=CloudInit(user="ops", ssh_keys=("ssh-ed25519 AAAAC3Nza ops@example",),
                                      ipv4="192.168.20.100/24", ipv4_gateway="192.168.20.254"),
                 boot_order=["scsi0", "net0"], migration_timeout_seconds=900,
                 ha=HaOptions(max_restart=3, max_relocate=1, prefer=[nodes[0], nodes[1]]))
        web2 = Vm(stack, "web2", node=nodes[1], vm_id=101, disks=[Disk(rbd)], pool=pool,
                  ha=HaOptions(prefer=[nodes[0], nodes[1]]))
        db = Vm(stack, "db", node=nodes[2], vm_id=110, memory_mib=16384, disks=[Disk(zfs, size_gib=200)])
        db.replicate_to(nodes[3], schedule="*/5", rate_limit_mbps=200)
        cluster.ha.protect(db, prefer={nodes[2]: 2, nodes[3]: 1}, strict=True)
        dns = Container(stack, "dns", node=nodes[3], vm_id=200, template="local:vztmpl/debian-12-standard.tar.zst",
                        disk=Disk(rbd, size_gib=8), hostname="dns1", nesting=True, ha=True,
                        cloud_init=CloudInit(ipv4="192.168.20.53/24", ipv4_gateway="192.168.20.254",
                                             ssh_keys=("ssh-ed25519 AAAAC3Nza ops@example",)))
        Vm(stack, "lab", node=nodes[3], vm_id=900, cpu_type="host", allow_host_cpu=True, started=False,
           disks=[Disk(zfs, size_gib=16)])
        if pve_version.startswith("9"):
            cluster.ha.keep_apart([web, web2])
            cluster.ha.keep_together([db, dns], name="db-with-dns")
        BackupJob(stack, "nightly", storage=nfs, schedule="02:00", exclude=[db],
                  retention=Retention(keep_last=3, keep_daily=7, keep_weekly=4, keep_monthly=6),
                  mail_to=["ops@example.org"], mail_notification="failure")
        BackupJob(stack, "prod-hourly", storage=nfs, schedule="mon..fri 8..18:00", pool=pool, mode="suspend",
                  compression="lzo", retention=Retention(keep_hourly=24))
        BackupJob.stagger_per_node(cluster, storage=nfs, window_start="22:00", window_end="02:00", days="sat",
                                   id_prefix="Weekly", retention=Retention(keep_weekly=8), bandwidth_limit_kibps=102400)
        token = _cdk.TerraformVariable(stack, "influx_token", type="string", sensitive=True)
        InfluxDbServer(stack, "influx", server="metrics.example.org", organization="ops", bucket="pve", token=token)
        GraphiteServer(stack, "graphite", server="192.168.20.60", path_prefix="pve")
        headers = _cdk.TerraformVariable(stack, "otel_headers", type="string", sensitive=True)
        OpenTelemetryServer(stack, "otel", server="otel.example.org", headers=headers,
                            resource_attributes={"deployment.environment": "prod"})
        return stack

    return build


def storage_stack(scope: Any, name: str) -> Any:
    """Every storage type on a PVE 8.4 cluster (GlusterFS included), secrets from sensitive variables."""
    from pvecdk import (
        CephFsStorage,
        CifsStorage,
        Cluster,
        ContentType,
        DirStorage,
        GlusterFsStorage,
        IscsiDirectStorage,
        IscsiProvider,
        IscsiStorage,
        LvmStorage,
        LvmThinStorage,
        NfsStorage,
        PbsStorage,
        Preallocation,
        RbdStorage,
        Retention,
        ZfsOverIscsiStorage,
        ZfsPoolStorage,
    )

    stack = _cdk.TerraformStack(scope, name)
    provider.ProxmoxProvider(stack, "proxmox")
    cluster = Cluster(stack, "Cluster", name="store", pve_version="8.4", management_network="192.168.30.0/24",
                      cluster_network="10.40.0.0/24", storage_network="172.16.40.0/24")
    pve1, pve2, pve3 = (cluster.add_node(f"pve{i}", node_id=i, management_interface="eno1",
                                         management_address=f"192.168.30.{i}", cluster_address=f"10.40.0.{i}",
                                         cluster_interface="eno2",
                                         storage_address=f"172.16.40.{i}", storage_interface="eno3") for i in (1, 2, 3))
    smb = _cdk.TerraformVariable(stack, "smb_password", type="string", sensitive=True)
    pbs = _cdk.TerraformVariable(stack, "pbs_secret", type="string", sensitive=True)
    keyring = _cdk.TerraformVariable(stack, "ceph_keyring", type="string", sensitive=True)
    iqn = "iqn.2003-01.org.example.san:pve"
    DirStorage(stack, "scratch", path="/mnt/scratch", content=[ContentType.IMAGES, ContentType.SNIPPETS],
               nodes=[pve1], preallocation=Preallocation.OFF)
    NfsStorage(stack, "nfs", server="172.16.40.100", export="/srv/pve", mount_options="vers=4.2",
               content=[ContentType.IMAGES, ContentType.ISO, ContentType.BACKUP])
    NfsStorage(stack, "isos", server="172.16.40.100", export="/srv/iso", content=[ContentType.ISO])
    CifsStorage(stack, "smb", server="nas.example.internal", share="pve", username="pve", domain="EXAMPLE",
                password=smb.string_value, content=[ContentType.BACKUP], subdirectory="/cluster",
                retention=Retention(keep_daily=7, keep_weekly=4), max_protected_backups=3)
    IscsiStorage(stack, "san", portal="172.16.40.200", target=iqn, content=[])
    LvmStorage(stack, "san-lvm", volume_group="vg_san", shared=True, wipe_removed_volumes=True)
    LvmThinStorage(stack, "fast", volume_group="nvme", thin_pool="data", nodes=[pve2, pve3])
    ZfsPoolStorage(stack, "tank", pool="tank", nodes=[pve2, pve3], devices=["/dev/sdb", "/dev/sdc"],
                   sparse=True, blocksize="16k", compression="zstd")
    PbsStorage(stack, "pbs", server="pbs.example.internal", datastore="pve", username="pve@pbs!pvecdk",
               password=pbs.string_value, namespace="store",
               fingerprint=":".join(["AB"] * 32))
    RbdStorage(stack, "ext-rbd", pool="pve", monhost=["10.9.0.1", "10.9.0.2", "10.9.0.3"], username="pve",
               keyring=keyring.string_value, krbd=True)
    CephFsStorage(stack, "ext-cephfs", fs_name="shared", monhost=["10.9.0.1"], keyring=keyring.string_value,
                  content=[ContentType.ISO, ContentType.VZTMPL])
    IscsiDirectStorage(stack, "lun", portal="172.16.40.201:3260", target=iqn)
    ZfsOverIscsiStorage(stack, "zfs-san", portal="172.16.40.202", target=iqn, pool="tank/pve", blocksize="16k",
                        iscsi_provider=IscsiProvider.LIO, lio_tpg="tpg1", sparse=True)
    GlusterFsStorage(stack, "gluster", server="172.16.40.210", server2="172.16.40.211", volume="pve",
                     content=[ContentType.IMAGES, ContentType.BACKUP], extra_options={"bwlimit": "default=102400"},
                     retention=Retention(keep_last=2))
    return stack


def ceph_stack(scope: Any, name: str) -> Any:
    """Ceph from nothing to RBD and CephFS storage, added in an order unlike the one Ceph needs."""
    from pvecdk import Cluster, ContentType, DeviceClass, ErasureCoding, NetworkRole

    stack = _cdk.TerraformStack(scope, name)
    provider.ProxmoxProvider(stack, "proxmox")
    cluster = Cluster(stack, "Cluster", name="hci", management_network="192.168.40.0/24",
                      cluster_network="10.50.0.0/24", storage_network="172.16.50.0/24",
                      migration_network="10.60.0.0/24")
    nodes = [cluster.add_node(f"pve{i}", node_id=i, management_interface="eno1",
                              management_address=f"192.168.40.{i}", cluster_address=f"10.50.0.{i}",
                              cluster_interface="eno2",
                              storage_address=f"172.16.50.{i}", storage_interface="eno3",
                              migration_address=f"10.60.0.{i}", migration_interface="eno4")
             for i in (1, 2, 3, 4, 5)]
    ceph = cluster.enable_ceph(public_network=NetworkRole.STORAGE, cluster_network="10.60.0.0/24",
                               monitors=nodes[:3], managers=nodes[:2])
    vms = ceph.add_pool("vms", pg_num=128, target_size_ratio=0.6)
    vms.as_storage(content=[ContentType.IMAGES])
    vms.as_storage("vms-krbd", content=[ContentType.ROOTDIR], krbd=True)
    archive = ceph.add_pool("archive", erasure_coding=ErasureCoding(k=2, m=1, device_class=DeviceClass.HDD),
                            pg_autoscale_mode="warn")
    archive.as_storage()
    for node in nodes:
        node.add_osd("/dev/nvme0n1", device_class=DeviceClass.NVME, encrypted=True)
        node.add_osd("/dev/sdb", device_class=DeviceClass.HDD, db_device="/dev/nvme1n1", db_size_gib=64)
        node.add_osd("/dev/sdc", device_class=DeviceClass.HDD, db_device="/dev/nvme1n1", db_size_gib=64,
                     wal_device="/dev/nvme2n1", wal_size_gib=4)
    ceph.add_monitor(nodes[3])
    ceph.add_monitor(nodes[4])
    fs = ceph.add_filesystem("cephfs", pg_num=64, mds_nodes=nodes[:3])
    fs.as_storage(content=[ContentType.ISO, ContentType.VZTMPL, ContentType.SNIPPETS])
    return stack


def booting_guests_stack(scope: Any, name: str) -> Any:
    """Guests that boot: images and templates downloaded onto shared and local storage, snippets, a VM template
    imported from a cloud image, full and linked clones with their own cloud-init, a container from a template."""
    from pvecdk import (
        ChecksumAlgorithm,
        Clone,
        CloudInit,
        Cluster,
        Container,
        ContentType,
        Decompression,
        DirStorage,
        Disk,
        DownloadedFile,
        IpConfig,
        NetworkInterface,
        NfsStorage,
        Snippet,
        Storage,
        Vm,
        VmTemplate,
    )

    stack = _cdk.TerraformStack(scope, name)
    provider.ProxmoxProvider(stack, "proxmox")
    cluster = Cluster(stack, "Cluster", name="boot", management_network="192.168.50.0/24",
                      cluster_network="10.70.0.0/24")
    pve1, pve2, pve3 = (cluster.add_node(f"pve{i}", node_id=i, management_interface="eno1",
                                         management_address=f"192.168.50.{i}", cluster_address=f"10.70.0.{i}",
                                         cluster_interface="eno5")
                        for i in (1, 2, 3))
    pve2.add_bridge("vmbr1", ports=["eno2"])
    images = NfsStorage(stack, "images", server="192.168.50.100", export="/srv/images",
                        content=[ContentType.IMPORT, ContentType.ISO, ContentType.SNIPPETS])
    scratch = DirStorage(stack, "scratch", path="/srv/scratch", content=[ContentType.SNIPPETS], nodes=[pve1])
    rbd = Storage.from_id(stack, "ceph-vm", storage_type="rbd", content=["images", "rootdir"])
    lvm = Storage.from_id(stack, "local-lvm")
    local = Storage.from_id(stack, "local")
    debian = DownloadedFile(stack, "debian-13", cluster=cluster, storage=images,
                            url="https://cloud.example.org/debian-13-genericcloud-amd64.qcow2",
                            checksum="ab" * 64, checksum_algorithm=ChecksumAlgorithm.SHA512)
    ubuntu = DownloadedFile(stack, "ubuntu-24.04", cluster=cluster, storage=images,
                            url="https://cloud.example.org/noble-server-cloudimg-amd64.img",
                            file_name="noble-server-cloudimg-amd64.qcow2", content=ContentType.IMPORT,
                            checksum="cd" * 32, checksum_algorithm="sha256", upload_timeout_seconds=1800)
    DownloadedFile(stack, "alpine-iso", cluster=cluster, storage=local,
                   url="http://mirror.example.org/alpine-virt-3.21.iso.gz", decompression=Decompression.GZ,
                   checksum="ef" * 20, checksum_algorithm=ChecksumAlgorithm.SHA1, nodes=[pve1, pve2], verify_tls=False)
    ct_template = DownloadedFile(stack, "debian-ct", cluster=cluster, storage=local,
                                 url="http://download.example.org/debian-12-standard_12.7-1_amd64.tar.zst",
                                 checksum="01" * 16, checksum_algorithm=ChecksumAlgorithm.MD5)
    vendor = Snippet(stack, "agent", cluster=cluster, storage=images, file_name="agent.yaml",
                     data="#cloud-config\npackages: [qemu-guest-agent]\n"
                          "runcmd: [[systemctl, start, qemu-guest-agent]]\n")
    network = Snippet(stack, "lab-net", cluster=cluster, storage=scratch, file_name="lab-net.yaml",
                      data="network:\n  version: 2\n  ethernets:\n    eth0: {dhcp4: true}\n")
    shared_template = VmTemplate(stack, "debian-13-template", node=pve1, vm_id=9000, image=debian, storage=rbd,
                                 disk_size_gib=4, tags=["template"])
    local_template = VmTemplate(stack, "ubuntu-template", node=pve1, vm_id=9001, image=ubuntu, storage=lvm,
                                cloud_init_storage=lvm, cores=2, memory_mib=2048)
    Vm(stack, "web", node=pve2, vm_id=100, clone=Clone.full(shared_template),
       disks=[Disk(rbd, size_gib=20), Disk(rbd, size_gib=50)],
       networks=[NetworkInterface(), NetworkInterface(bridge="vmbr1")],
       cloud_init=CloudInit(user="ops", ssh_keys=("ssh-ed25519 AAAAC3Nza ops@example",), vendor_data=vendor,
                            interfaces=(IpConfig("192.168.50.100/24", "192.168.50.254", "fd00:50::100/64",
                                                 "fd00:50::1"), IpConfig(ipv4=None, ipv6="auto")),
                            dns_servers=("192.168.50.254",), search_domain="boot.example.org"))
    Vm(stack, "lab", node=pve1, vm_id=101, clone=Clone.linked(local_template),
       cloud_init=CloudInit(network_data=network, user_data_file_id="local:snippets/lab-user.yaml"))
    Container(stack, "dns", node=pve3, vm_id=200, template=ct_template, disk=Disk(rbd, size_gib=8),
              cloud_init=CloudInit(interfaces=(IpConfig("192.168.50.53/24", "192.168.50.254"),)))
    return stack


def sdn_stack(scope: Any, name: str) -> Any:
    """Tenant networks of every zone kind, with subnets, and guests on them (one under HA on a zone of two nodes)."""
    from pvecdk import (
        CloudInit,
        Cluster,
        Container,
        DhcpRange,
        Disk,
        EvpnController,
        EvpnZone,
        HaOptions,
        NetworkInterface,
        QinqZone,
        SimpleZone,
        Storage,
        VlanZone,
        Vm,
        VxlanZone,
    )

    stack = _cdk.TerraformStack(scope, name)
    provider.ProxmoxProvider(stack, "proxmox")
    cluster = Cluster(stack, "Cluster", name="tenants", management_network="192.168.70.0/24",
                      cluster_network="10.70.0.0/24")
    nodes = [cluster.add_node(f"pve{i}", node_id=i, management_interface="eno1",
                              management_address=f"192.168.70.{i}", cluster_address=f"10.70.0.{i}",
                              cluster_interface="eno5")
             for i in (1, 2, 3)]
    trunks = [node.add_bridge("vmbr1", ports=["eno2"], vlan_aware=True) for node in nodes]
    rbd = Storage.from_id(stack, "ceph-vm", storage_type="rbd", content=["images", "rootdir"])
    tenants = SimpleZone(stack, "Tenants", zone_id="tenants", dhcp=True)
    web = tenants.add_vnet("Web", vnet_id="web", alias="Web team")
    web.add_subnet("10.10.0.0/24", gateway="10.10.0.1", snat=True, dhcp_range=DhcpRange("10.10.0.100", "10.10.0.200"),
                   dhcp_dns_server="10.10.0.1")
    vlans = VlanZone(stack, "Vlans", zone_id="vlans", bridge=trunks[0])
    db = vlans.add_vnet("Db", vnet_id="db", tag=120, isolate_ports=True)
    db.add_subnet("10.12.0.0/24", gateway="10.12.0.1")
    vlans.add_vnet("Lab", vnet_id="lab", tag=4094, vlan_aware=True)
    stacked = QinqZone(stack, "Stacked", zone_id="stacked", bridge="vmbr1", service_vlan=300,
                       service_vlan_protocol="802.1ad", mtu=1496)
    stacked.add_vnet("Cust", vnet_id="cust1", tag=1)
    overlay = VxlanZone(stack, "Overlay", zone_id="overlay", nodes=nodes[:2], mtu=1450)
    app = overlay.add_vnet("App", vnet_id="app", tag=16_777_215)
    evpn = EvpnController(stack, "Evpn", controller_id="evpn", asn=65000)
    routed = EvpnZone(stack, "Routed", zone_id="routed", controller=evpn, vrf_vxlan=10000,
                      exit_nodes=nodes[:2], primary_exit_node=nodes[0], advertise_subnets=True, mtu=1450)
    routed.add_vnet("Api", vnet_id="api", tag=11000).add_subnet("10.20.0.0/24", gateway="10.20.0.1", snat=True)
    Vm(stack, "web-1", node=nodes[0], vm_id=101, disks=[Disk(rbd, size_gib=16)],
       networks=[NetworkInterface(bridge=web), NetworkInterface(bridge=db)], cloud_init=CloudInit(ipv4="dhcp"))
    Vm(stack, "app-1", node=nodes[1], vm_id=102, disks=[Disk(rbd, size_gib=16)],
       networks=[NetworkInterface(bridge=app)],
       ha=HaOptions(prefer=[nodes[0], nodes[1]], strict=True))
    Container(stack, "cache", node=nodes[2], vm_id=200, template="local:vztmpl/debian-12-standard.tar.zst",
              disk=Disk(rbd, size_gib=8), networks=[NetworkInterface(bridge=db)],
              cloud_init=CloudInit(ipv4="10.12.0.20/24", ipv4_gateway="10.12.0.1"))


def two_clusters_stack(scope: Any, name: str) -> Any:
    """Two clusters in one stack, each on its own provider configurations: prod with Ceph and an HA guest on
    its RBD storage, lab with a guest on local storage and a nightly backup to its NFS share."""
    from pvecdk import BackupJob, Cluster, ContentType, Disk, HaOptions, NetworkRole, NfsStorage, Storage, Vm

    stack = _cdk.TerraformStack(scope, name)
    token = _cdk.TerraformVariable(stack, "lab_api_token", type="string", sensitive=True)
    clusters = {}
    for cid, alias, net, extra in (
            ("Prod", "prod", 1, {"storage_network": "172.16.1.0/24"}),
            ("Lab", "lab", 2, {"api_token": token.string_value})):
        config = provider.ProxmoxProvider(stack, alias, alias=alias, endpoint=f"https://192.168.{net}.11:8006/",
                                          **{k: v for k, v in extra.items() if k == "api_token"})
        cluster = Cluster(stack, cid, name=alias, management_network=f"192.168.{net}.0/24",
                          cluster_network=f"10.{net}.0.0/24", provider=config,
                          **{k: v for k, v in extra.items() if k != "api_token"})
        for i in (1, 2, 3):
            node = cluster.add_node(f"{alias}{i}", node_id=i, management_interface="eno1",
                                    management_address=f"192.168.{net}.{10 + i}",
                                    cluster_address=f"10.{net}.0.{10 + i}",
                                    storage_address=f"172.16.1.{10 + i}" if alias == "prod" else None)
            node.add_bridge("vmbr1", ports=["eno2"], address=f"10.{net}.0.{10 + i}/24")
            if alias == "prod":
                node.add_bond("bond0", slaves=["eno3", "eno4"], address=f"172.16.1.{10 + i}/24")
        clusters[alias] = cluster
    prod, lab = clusters["prod"], clusters["lab"]
    ceph = prod.enable_ceph(public_network=NetworkRole.STORAGE)
    for node in prod.nodes:
        node.add_osd("/dev/sdb")
    rbd = ceph.add_pool("vm-pool").as_storage()
    p1, p2, _ = prod.nodes
    Vm(stack, "prod-db", node=p1, vm_id=100, disks=[Disk(rbd, size_gib=16)], ha=HaOptions(prefer=[p1, p2]))
    nfs = NfsStorage(stack, "lab-nfs", storage_id="lab-nfs", server="192.168.2.100", export="/srv/lab",
                     content=[ContentType.BACKUP, ContentType.ISO], cluster=lab)
    Vm(stack, "lab-web", node=lab.nodes[0], vm_id=100, disks=[Disk(Storage.from_id(stack, "local-lvm"))])
    BackupJob(stack, "lab-nightly", storage=nfs, schedule="02:00", node=lab.nodes[0])
    return stack


BUILT_STACKS = {
    "booting-guests": booting_guests_stack,
    "cluster-features": cluster_features_stack,
    "secrets": secret_stack,
    "every-type": every_type_stack,
    "references": references_stack,
    "workloads-pve8": workloads_stack("8.4"),
    "workloads-pve9": workloads_stack("9.1"),
    "storage": storage_stack,
    "ceph": ceph_stack,
    "sdn": sdn_stack,
    "two-clusters": two_clusters_stack,
}
