"""Fake clusters of several shapes for `pvecdk import`: formed, networked, with storage, Ceph, guests, HA and jobs.

Each node has three networks: management 192.168.1.0/24 on vmbr0 (eno1, with the gateway), cluster
10.0.0.0/24 on vmbr1 (eno2, corosync link0) and storage 172.16.0.0/24 on vmbr2 (eno3, Ceph's public network).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fakepve import FakeCluster
from proxmoxer import ProxmoxAPI
from pvecdk.engine.client import Client, Credentials, TlsSettings

TOKEN = "root@pam!pvecdk=11111111-2222-3333-4444-555555555555"


def names(count: int) -> list[str]:
    return [f"pve{i}" for i in range(1, count + 1)]


@contextmanager
def shape(count: int, version: str = "9.1", name: str = "lab") -> Iterator[FakeCluster]:
    """A formed cluster of ``count`` nodes with networks and DNS (no guests yet)."""
    nodes = {n: [f"10.0.0.{10 + i}", f"172.16.0.{10 + i}"] for i, n in enumerate(names(count), start=1)}
    with FakeCluster(nodes, version=version, task_seconds=0.01) as fake:
        fake.form_cluster(name, list(nodes))
        # Migration on the cluster network, as the stack's cluster sets it by default.
        api(fake).cluster.options.put(migration="type=secure,network=10.0.0.0/24")
        for i, node in enumerate(nodes, start=1):
            fake.set_inventory(f"/nodes/{node}/network", [
                {"iface": "eno1", "type": "eth"}, {"iface": "eno2", "type": "eth"}, {"iface": "eno3", "type": "eth"},
                {"iface": "vmbr0", "type": "bridge", "cidr": f"192.168.1.{10 + i}/24", "gateway": "192.168.1.1",
                 "bridge_ports": "eno1", "comments": "management\n"},
                {"iface": "vmbr1", "type": "bridge", "cidr": f"10.0.0.{10 + i}/24", "bridge_ports": "eno2"},
                {"iface": "vmbr2", "type": "bridge", "cidr": f"172.16.0.{10 + i}/24", "bridge_ports": "eno3",
                 "mtu": 9000},
            ])
            fake.set_inventory(f"/nodes/{node}/dns", {"search": "example.internal", "dns1": "192.168.1.1"})
            fake.set_inventory(f"/nodes/{node}/hosts", {"digest": "0" * 40, "data": hosts(list(nodes))})
        yield fake


def hosts(members: list[str]) -> str:
    """/etc/hosts naming every node on the cluster network, as the stack writes it."""
    lines = ["127.0.0.1 localhost.localdomain localhost"]
    lines += [f"10.0.0.{10 + i} {n}.example.internal {n}" for i, n in enumerate(members, start=1)]
    return "\n".join(lines + ["", "# IPv6", "::1 ip6-localhost ip6-loopback", ""])


def client_factory(fake: FakeCluster) -> Any:
    def make(endpoints: dict[str, str]) -> Client:
        return Client(endpoints, Credentials.from_token(TOKEN), TlsSettings(ca_file=fake.ca_file), retries=0,
                      timeout_seconds=5)

    return make


def node_endpoints(fake: FakeCluster, count: int) -> dict[str, str]:
    return {n: fake.endpoint(n) for n in names(count)}


def api(fake: FakeCluster, node: str = "pve1") -> ProxmoxAPI:
    token_id, _, secret = TOKEN.partition("=")
    user, _, token_name = token_id.partition("!")
    return ProxmoxAPI(fake.host(node), port=fake.port(node), backend="https", user=user, token_name=token_name,
                      token_value=secret, verify_ssl=fake.ca_file, timeout=5)


def _wait(pve: ProxmoxAPI, upid: str) -> None:
    node = upid.split(":")[1]
    deadline = time.monotonic() + 10
    while pve.nodes(node).tasks(upid).status.get()["status"] != "stopped":
        assert time.monotonic() < deadline, upid
        time.sleep(0.01)
    assert pve.nodes(node).tasks(upid).status.get()["exitstatus"] == "OK", upid


def add_ceph(fake: FakeCluster, count: int = 3, *, cephfs: bool = True) -> None:
    """Ceph through the API as pveceph would: monitors and managers on the first three nodes, an OSD on every
    node's /dev/sdb, the RBD pool vm-pool with its storage, and (with ``cephfs``) two MDS and CephFS."""
    pve = api(fake)
    pve.nodes("pve1").ceph.init.post(network="172.16.0.0/24")
    for node in names(min(count, 3)):
        _wait(pve, pve.nodes(node).ceph.mon(node).post())
    for node in names(min(count, 3))[1:]:
        _wait(pve, pve.nodes(node).ceph.mgr(node).post())
    for node in names(count):
        _wait(pve, pve.nodes(node).ceph.osd.post(dev="/dev/sdb"))
    _wait(pve, pve.nodes("pve1").ceph.pool.post(name="vm-pool", size=3, min_size=2, add_storages=1))
    if cephfs:
        for node in ("pve1", "pve2"):
            _wait(pve, pve.nodes(node).ceph.mds(node).post())
        _wait(pve, pve.nodes("pve1").ceph.fs("cephfs").post(pg_num=32, **{"add-storage": 1}))


def add_vm(fake: FakeCluster, node: str, vmid: int, name: str, *, storage: str = "local-lvm",
           **config: Any) -> None:
    fake.add_guest(node, vmid, "qemu", name=name)
    fake.set_inventory(f"/nodes/{node}/qemu/{vmid}/config", {
        "name": name, "cores": 2, "memory": 2048, "cpu": "x86-64-v2-AES", "onboot": 1, "agent": "1",
        "scsi0": f"{storage}:vm-{vmid}-disk-0,discard=on,iothread=1,size=32G",
        "net0": f"virtio=BC:24:11:00:{vmid // 256 % 256:02X}:{vmid % 256:02X},bridge=vmbr0,firewall=1",
        "ostype": "l26", "scsihw": "virtio-scsi-single", **config})


def add_container(fake: FakeCluster, node: str, vmid: int, hostname: str, **config: Any) -> None:
    fake.add_guest(node, vmid, "lxc", name=hostname)
    fake.set_inventory(f"/nodes/{node}/lxc/{vmid}/config", {
        "hostname": hostname, "cores": 1, "memory": 512, "swap": 512, "onboot": 1, "unprivileged": 1,
        "rootfs": f"local-lvm:vm-{vmid}-disk-0,size=8G", "ostype": "debian",
        "net0": f"name=eth0,bridge=vmbr0,firewall=1,hwaddr=BC:24:11:01:00:{vmid % 256:02X},ip=dhcp,type=veth",
        **config})


def add_jobs_and_metrics(fake: FakeCluster) -> None:
    """A pool holding VM 100, a nightly backup to NFS, an InfluxDB metrics server (its token stays in PVE)."""
    storage = fake.state.storage
    assert "local" in storage
    fake.set_inventory("/pools", [{"poolid": "prod", "comment": "production"}])
    fake.set_inventory("/pools/prod", {"comment": "production",
                                       "members": [{"id": "qemu/100", "type": "qemu", "vmid": 100}]})
    fake.set_inventory("/cluster/backup", [{
        "id": "nightly", "type": "vzdump", "schedule": "02:00", "storage": "local", "mode": "snapshot",
        "compress": "zstd", "all": 1, "enabled": 1, "prune-backups": "keep-daily=7,keep-weekly=4",
        "notes-template": "{{guestname}}", "repeat-missed": 1}])
    fake.set_inventory("/cluster/metrics/server", [{
        "id": "influx", "type": "influxdb", "server": "192.168.1.50", "port": 8086, "influxdbproto": "https",
        "organization": "proxmox", "bucket": "proxmox"}])


def add_nfs(fake: FakeCluster, storage: str = "nfs") -> None:
    """Shared NFS storage for images and backups, made through the API."""
    api(fake).storage.post(storage=storage, type="nfs", server="192.168.1.100", export="/srv/nfs",
                           content="images,backup")
