"""Ceph constructs: init, monitors, managers, OSDs, pools, CephFS and their storage; the Ceph rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from built_stacks import ceph_stack
from conftest import normalise
from pvecdk import (
    Ceph,
    Cluster,
    ConfigError,
    ContentType,
    DeviceClass,
    ErasureCoding,
    NetworkRole,
    _cdk,
)
from pvecdk.bpg import provider
from pvecdk.policy import Finding, check_ceph
from pvecdk.synth import synth_app


def lab(nodes: int = 3, *, storage: bool = True, **cluster: Any) -> tuple[Any, Cluster]:
    app = _cdk.Testing.app()
    stack = _cdk.TerraformStack(app, "lab")
    provider.ProxmoxProvider(stack, "proxmox")
    nets = {"management_network": "192.168.1.0/24", "cluster_network": "10.0.0.0/24"}
    if storage:
        nets["storage_network"] = "172.16.0.0/24"
    c = Cluster(stack, "Cluster", name="lab", **{**nets, **cluster})
    for i in range(1, nodes + 1):
        c.add_node(f"pve{i}", management_address=f"192.168.1.{10 + i}", cluster_address=f"10.0.0.{10 + i}",
                   cluster_interface="eno2", storage_address=f"172.16.0.{10 + i}" if storage else None,
                   storage_interface="eno3" if storage else None, management_interface="eno1")
    return stack, c


def ceph_lab(nodes: int = 3, **enable: Any) -> tuple[Any, Cluster, Ceph]:
    stack, cluster = lab(nodes)
    return stack, cluster, cluster.enable_ceph(**enable)


def resources(stack: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_cdk.Testing.synth(stack))
    return data.get("resource", {})


def refs(res: dict[str, Any], tf_type: str) -> set[str]:
    return {f"{tf_type}.{name}" for name in res.get(tf_type, {})}


def findings(cluster: Cluster) -> list[tuple[str, str, str]]:
    return [(f.severity, f.problem.field, f.problem.problem) for f in check_ceph(cluster)]


# ----------------------------------------------------------------------------------------------- init


def test_defaults_three_monitors_and_managers_on_the_first_nodes() -> None:
    stack, cluster, ceph = ceph_lab(5)
    res = resources(stack)
    (init,) = res["pvecdk_ceph"].values()
    assert (init["node_name"], init["endpoint"], init["network"]) == ("pve1", "https://192.168.1.11:8006",
                                                                      "172.16.0.0/24")
    assert "cluster_network" not in init
    # After the membership and Ceph's packages on every node (pveceph install: init fails without them).
    assert set(init["depends_on"]) == refs(res, "pvecdk_cluster") | refs(res, "pvecdk_ceph_packages")
    (packages,) = res["pvecdk_ceph_packages"].values()
    assert sorted(packages["node"]) == [f"pve{i}" for i in range(1, 6)]
    assert packages["node"]["pve2"] == {"endpoint": "https://192.168.1.12:8006", "ssh_address": "192.168.1.12"}
    assert ceph.monitors == ceph.managers == ("pve1", "pve2", "pve3")
    assert sorted((m["node_name"], m["address"]) for m in res["pvecdk_ceph_monitor"].values()) == [
        ("pve1", "172.16.0.11"), ("pve2", "172.16.0.12"), ("pve3", "172.16.0.13")]
    assert cluster.ceph is ceph and ceph.resource.node.id == "Resource"
    assert findings(cluster) == []


def test_public_network_given_as_a_cidr_of_the_cluster() -> None:
    stack, cluster, ceph = ceph_lab(public_network="172.16.0.0/24", cluster_network=NetworkRole.STORAGE)
    assert ceph.public_role is NetworkRole.STORAGE
    (init,) = resources(stack)["pvecdk_ceph"].values()
    assert init["cluster_network"] == "172.16.0.0/24"


def test_public_network_outside_the_cluster_leaves_monitor_addresses_to_pve() -> None:
    stack, cluster, ceph = ceph_lab(public_network="172.20.0.0/24")
    assert ceph.public_role is None and str(ceph.public_network) == "172.20.0.0/24"
    assert all("address" not in m for m in resources(stack)["pvecdk_ceph_monitor"].values())


NO_CIDR = "give NetworkRole.STORAGE (or another role the cluster defines), or a CIDR such as 172.16.0.0/24"
NO_MIGRATION = "set migration_network on the cluster, or give a CIDR"


@pytest.mark.parametrize(("enable", "field", "words", "fix"), [
    (dict(public_network="172.16.0.1/24"), "public_network", "is neither a network of the cluster nor a CIDR",
     NO_CIDR),
    (dict(public_network="storage-net"), "public_network", "is neither a network of the cluster nor a CIDR",
     NO_CIDR),
    (dict(public_network=NetworkRole.MIGRATION), "public_network", "the cluster has no migration network",
     NO_MIGRATION),
    (dict(cluster_network="migration"), "cluster_network", "the cluster has no migration network", NO_MIGRATION),
])
def test_rejects_bad_network(enable: dict[str, Any], field: str, words: str, fix: str) -> None:
    stack, cluster = lab()
    with pytest.raises(ConfigError) as excinfo:
        cluster.enable_ceph(**enable)
    (problem,) = excinfo.value.problems
    assert problem.field == field and words in problem.problem
    assert (problem.path, problem.fix) == ("lab/Cluster/Ceph", fix)
    assert cluster.ceph is None and cluster.node.try_find_child("Ceph") is None


def test_rejects_default_public_network_without_a_storage_network() -> None:
    stack, cluster = lab(storage=False)
    with pytest.raises(ConfigError) as excinfo:
        cluster.enable_ceph()
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field, problem.fix) == ("lab/Cluster/Ceph", "public_network",
                                                          "set storage_network on the cluster, or pass "
                                                          "public_network=")
    assert problem.problem == "no public network: the cluster has no storage network"
    ceph = cluster.enable_ceph(public_network=NetworkRole.CLUSTER)
    assert ("warning", "public_network", "Ceph's public network is the corosync network; its traffic can delay "
            "corosync and fence nodes") in findings(cluster)
    assert ceph.public_role is NetworkRole.CLUSTER


def test_rejects_monitor_without_an_address_on_the_public_network() -> None:
    stack, cluster = lab(2)
    cluster.add_node("pve3", management_address="192.168.1.13", cluster_address="10.0.0.13", cluster_interface="eno2",
                     management_interface="eno1")
    with pytest.raises(ConfigError) as excinfo:
        cluster.enable_ceph()
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field, problem.fix) == ("lab/Cluster/Ceph", "monitors", "give pve3 a storage_address")
    assert problem.problem == "monitor node pve3 has no address on the storage network (Ceph's public network)"


def test_rejects_monitors_of_another_cluster_and_twice() -> None:
    stack, cluster = lab()
    other = Cluster(stack, "Other", name="other", management_network="192.168.9.0/24", cluster_network="10.9.0.0/24",
                    provider=provider.ProxmoxProvider(stack, "other", alias="other"))
    stray = other.add_node("px1", management_address="192.168.9.11", cluster_address="10.9.0.11",
                           cluster_interface="eno2",
                           management_interface="eno1")
    pve1 = cluster.nodes[0]
    with pytest.raises(ConfigError) as excinfo:
        cluster.enable_ceph(monitors=[pve1, pve1, stray], managers=[])
    assert [(p.path, p.field, p.problem, p.fix) for p in excinfo.value.problems] == [
        ("lab/Cluster/Ceph", "monitors", "node pve1 is listed twice", "list each node once"),
        ("lab/Cluster/Ceph", "monitors", "'px1' is not a node of cluster lab",
         "pass nodes that cluster.add_node(...) returned"),
        ("lab/Cluster/Ceph", "managers", "no manager node", "list at least one node in managers"),
    ]


def test_rejects_enabling_twice_and_without_nodes() -> None:
    stack, cluster, _ = ceph_lab()
    with pytest.raises(ConfigError) as excinfo:
        cluster.enable_ceph()
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field, problem.problem, problem.fix) == (
        "lab/Cluster", "enable_ceph", "Ceph is already enabled on this cluster",
        "call enable_ceph() once and keep the Ceph it returns (cluster.ceph)")
    empty = Cluster(stack, "Empty", name="empty", management_network="192.168.7.0/24", storage_network="172.17.0.0/24",
                    provider=provider.ProxmoxProvider(stack, "empty", alias="empty"))
    with pytest.raises(ConfigError) as excinfo:
        empty.enable_ceph()
    (problem,) = excinfo.value.problems
    assert "has no node to run Ceph on" in problem.problem
    assert (problem.path, problem.field, problem.fix) == ("lab/Empty/Ceph", "monitors",
                                                          "add nodes with cluster.add_node(...) before enable_ceph()")


def test_rejects_a_second_monitor_on_a_node() -> None:
    stack, cluster, ceph = ceph_lab()
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_monitor(cluster.nodes[0])
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field, problem.problem, problem.fix) == (
        "lab/Cluster/Ceph", "monitors", "node pve1 already runs a monitor", "run one monitor per node")


# ----------------------------------------------------------------------------------------------- OSDs


def test_osd_on_a_node() -> None:
    stack, cluster, ceph = ceph_lab()
    osd = cluster.nodes[1].add_osd("/dev/disk/by-id/nvme-SAMSUNG_1", device_class=DeviceClass.NVME, encrypted=True,
                                   db_device="/dev/nvme1n1", db_size_gib=64)
    (item,) = resources(stack)["pvecdk_ceph_osd"].values()
    assert osd.node.id == "Osd-pve2-nvme-SAMSUNG_1" and osd.node_name == "pve2"
    assert (item["node_name"], item["endpoint"], item["device"]) == ("pve2", "https://192.168.1.12:8006",
                                                                     "/dev/disk/by-id/nvme-SAMSUNG_1")
    assert (item["device_class"], item["encrypted"], item["db_device"], item["db_size_gib"]) == (
        "nvme", True, "/dev/nvme1n1", 64)
    assert item["lifecycle"] == {"prevent_destroy": True} and item["allow_destroy"] is False
    assert ceph.osds == (osd,) and ceph.osd_nodes == ("pve2",)


def test_db_device_shared_by_osds_of_a_node() -> None:
    stack, cluster, ceph = ceph_lab()
    node = cluster.nodes[0]
    for disk in ("/dev/sdb", "/dev/sdc"):
        ceph.add_osd(node, device=disk, db_device="/dev/nvme0n1")
    cluster.nodes[1].add_osd("/dev/sdb")
    assert len(resources(stack)["pvecdk_ceph_osd"]) == 3


@pytest.mark.parametrize(("first", "second", "field", "words"), [
    (dict(device="/dev/sdb"), dict(device="/dev/sdb"), "device", "/dev/sdb on pve1 is already an OSD"),
    (dict(device="/dev/sdb", db_device="/dev/nvme0n1"), dict(device="/dev/nvme0n1"), "device",
     "/dev/nvme0n1 on pve1 already holds another OSD's database or log"),
    (dict(device="/dev/sdb"), dict(device="/dev/sdc", db_device="/dev/sdb"), "db_device", "/dev/sdb on pve1 is an OSD"),
    (dict(device="/dev/sdb"), dict(device="/dev/sdc", wal_device="/dev/sdb"), "wal_device",
     "/dev/sdb on pve1 is an OSD"),
    (None, dict(device="/dev/sdc", db_device="/dev/sdc"), "db_device", "/dev/sdc is the OSD's own disk"),
    (None, dict(device="sdc"), "device", "'sdc' is not a device path"),
    (None, dict(device="/dev/sdc", device_class="flash"), "device_class", "'flash' is not a device class"),
    (None, dict(device="/dev/sdc", db_size_gib=64), "db_size_gib", "db_size_gib is given without db_device"),
    (None, dict(device="/dev/sdc", wal_device="/dev/nvme0n1", wal_size_gib=-1), "wal_size_gib",
     "must be a positive size in GiB, got -1"),
])
def test_rejects_bad_osd(first: dict[str, Any] | None, second: dict[str, Any], field: str, words: str) -> None:
    stack, cluster, ceph = ceph_lab()
    node = cluster.nodes[0]
    if first is not None:
        ceph.add_osd(node, **first)
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_osd(node, **second)
    (problem,) = excinfo.value.problems
    assert (problem.field, problem.problem, problem.type) == (field, words, "pvecdk_ceph_osd")
    assert problem.path == f"lab/Cluster/Ceph/Osd-pve1-{second['device'].rsplit('/', 1)[-1]}" and problem.fix
    assert len(ceph.osds) == (1 if first else 0)


def test_rejects_osd_on_a_node_of_another_cluster() -> None:
    stack, cluster, ceph = ceph_lab()
    other = Cluster(stack, "Other", name="other", management_network="192.168.9.0/24", cluster_network="10.9.0.0/24",
                    provider=provider.ProxmoxProvider(stack, "other", alias="other"))
    stray = other.add_node("px1", management_address="192.168.9.11", cluster_address="10.9.0.11",
                           cluster_interface="eno2",
                           management_interface="eno1")
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_osd(stray, device="/dev/sdb")
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field, problem.problem, problem.fix, problem.type) == (
        "lab/Cluster/Ceph/Osd-px1-sdb", "node", "'px1' is not a node of cluster lab",
        "pass nodes that cluster.add_node(...) returned", "pvecdk_ceph_osd")
    assert ceph.osds == ()


def test_same_device_on_another_node_is_fine() -> None:
    stack, cluster, ceph = ceph_lab()
    for node in cluster.nodes:
        node.add_osd("/dev/sdb")
    assert ceph.osd_nodes == ("pve1", "pve2", "pve3")


def test_rejects_osd_without_ceph() -> None:
    stack, cluster = lab()
    with pytest.raises(ConfigError) as excinfo:
        cluster.nodes[0].add_osd("/dev/sdb")
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field, problem.fix) == ("lab/Cluster/pve1", "add_osd",
                                                          "call cluster.enable_ceph(...) before adding OSDs")
    assert problem.problem == "Ceph is not enabled on the cluster"


# ----------------------------------------------------------------------------------------------- pools


def test_pool_defaults_keep_three_copies_and_are_protected() -> None:
    stack, cluster, ceph = ceph_lab()
    pool = ceph.add_pool("vm-pool")
    (item,) = resources(stack)["proxmox_ceph_pool"].values()
    assert (item["name"], item["size"], item["min_size"], item["application"], item["pg_autoscale_mode"]) == (
        "vm-pool", 3, 2, "rbd", "on")
    assert item["node_name"] == "pve1"
    assert item["lifecycle"] == {"prevent_destroy": True}
    assert pool.node.id == "Pool-vm-pool" and ceph.pools == {"vm-pool": pool}


UNSAFE = "min_size=1 lets a pool accept writes with a single copy, which the next failed disk loses"


@pytest.mark.parametrize(("props", "field", "words"), [
    (dict(size=3, min_size=4), "min_size", "must not exceed size 3, got 4"),
    (dict(size=3, min_size=1), "min_size", UNSAFE),
    (dict(size=1, min_size=1), "min_size", UNSAFE),
    (dict(size=0), "size", "must be 1-7, got 0"),
    (dict(pg_num=100), "pg_num", "must be a power of two up to 32768, got 100"),
    (dict(pg_num=True), "pg_num", "must be a power of two up to 32768, got True"),
    (dict(pg_autoscale_mode="auto"), "pg_autoscale_mode", "'auto' is not an autoscale mode"),
    (dict(application="nfs"), "application", "'nfs' is not a pool application"),
    (dict(erasure_coding=ErasureCoding(k=1, m=0)), "erasure_coding", "k=1, m=0 cannot survive a failure"),
    (dict(name=".hidden"), "name", "'.hidden' is not a pool name"),
    (dict(name=7), "name", "7 is not a pool name"),
    (dict(target_size_ratio="half"), "target_size_ratio", "must be positive, got half"),
    (dict(erasure_coding=ErasureCoding(k="2", m=1)), "erasure_coding",  # type: ignore[arg-type]
     "k and m must be whole numbers, got k='2', m=1"),
])
def test_rejects_bad_pool(props: dict[str, Any], field: str, words: str) -> None:
    stack, cluster, ceph = ceph_lab()
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_pool(**{"name": "vm-pool", **props})
    (problem,) = excinfo.value.problems
    assert (problem.field, problem.problem, problem.type) == (field, words, "proxmox_ceph_pool")
    assert problem.path == f"lab/Cluster/Ceph/Pool-{props.get('name', 'vm-pool')}" and problem.fix
    assert ceph.pools == {}


def test_min_size_message_names_the_fix() -> None:
    stack, cluster, ceph = ceph_lab()
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_pool("vmdata", size=3, min_size=4)
    assert str(excinfo.value).splitlines()[1] == (
        "  lab/Cluster/Ceph/Pool-vmdata (proxmox_ceph_pool): min_size: must not exceed size 3, got 4; lower "
        "min_size or raise size")


def test_unsafe_pool_only_when_allowed() -> None:
    stack, cluster, ceph = ceph_lab()
    pool = ceph.add_pool("scratch", size=2, min_size=1, allow_unsafe=True, allow_destroy=True)
    (item,) = resources(stack)["proxmox_ceph_pool"].values()
    assert (item["size"], item["min_size"]) == (2, 1) and "lifecycle" not in item
    assert ("warning", "size", "size=2 keeps 2 copies: a second failure during recovery loses data") in findings(
        cluster)
    assert pool.allow_destroy


def test_rejects_duplicate_pool_names() -> None:
    stack, cluster, ceph = ceph_lab()
    ceph.add_pool("archive", erasure_coding=ErasureCoding(k=2, m=1))
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_pool("archive-data")
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field, problem.problem, problem.fix) == (
        "lab/Cluster/Ceph/Pool-archive-data", "name", "pool archive-data already exists in this Ceph",
        "give every pool and file system its own name")
    ceph.add_filesystem("media", mds_nodes=cluster.nodes[:2])
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_pool("media_data")
    assert excinfo.value.problems[0].problem == "pool media_data already exists in this Ceph"


def test_erasure_coded_pool_and_its_storage() -> None:
    stack, cluster, ceph = ceph_lab()
    pool = ceph.add_pool("archive", erasure_coding=ErasureCoding(k=2, m=1, failure_domain="host",
                                                                 device_class=DeviceClass.HDD))
    storage = pool.as_storage()
    res = resources(stack)
    (item,) = res["proxmox_ceph_pool"].values()
    assert item["erasure_coding"] == "k=2,m=1,failure-domain=host,device-class=hdd"
    (rbd,) = res["pvecdk_storage"].values()
    assert rbd["options"] == {"pool": "archive-metadata", "data-pool": "archive-data"}
    assert storage.pool == "archive-metadata"


def test_rbd_storage_on_a_pool() -> None:
    stack, cluster, ceph = ceph_lab()
    pool = ceph.add_pool("vm-pool")
    vms = pool.as_storage()
    cts = pool.as_storage("vm-pool-ct", content=[ContentType.ROOTDIR], krbd=True, nodes=cluster.nodes[:2])
    res = resources(stack)
    items = {s["id"]: s for s in res["pvecdk_storage"].values()}
    assert items["vm-pool"]["options"] == {"pool": "vm-pool"}
    assert sorted(items["vm-pool"]["content"]) == ["images", "rootdir"]
    assert items["vm-pool-ct"]["options"] == {"pool": "vm-pool", "krbd": "1"}
    assert items["vm-pool-ct"]["nodes"] == ["pve1", "pve2"]
    for item in items.values():
        assert set(item["depends_on"]) == refs(res, "pvecdk_cluster") | refs(res, "proxmox_ceph_pool")
        assert item["lifecycle"] == {"prevent_destroy": True}
    assert vms.shared and vms.holds(ContentType.IMAGES) and not cts.holds(ContentType.IMAGES)


def test_rejects_rbd_storage_on_a_cephfs_pool() -> None:
    stack, cluster, ceph = ceph_lab()
    pool = ceph.add_pool("fsdata", application="cephfs")
    with pytest.raises(ConfigError) as excinfo:
        pool.as_storage()
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field, problem.problem, problem.fix) == (
        "lab/Cluster/Ceph/Pool-fsdata", "application", "a pool for cephfs cannot back RBD storage",
        "add the pool with application=rbd")


def test_rejects_rbd_storage_with_wrong_content() -> None:
    stack, cluster, ceph = ceph_lab()
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_pool("vm-pool").as_storage(content=[ContentType.ISO])
    assert excinfo.value.problems[0].problem == "rbd storage cannot hold iso"


# ----------------------------------------------------------------------------------------------- CephFS


def test_filesystem_with_metadata_servers_and_storage() -> None:
    stack, cluster, ceph = ceph_lab()
    fs = ceph.add_filesystem(pg_num=64, hotstandby=True)
    storage = fs.as_storage()
    res = resources(stack)
    assert ceph.metadata_servers == ("pve1", "pve2", "pve3"), "one per monitor node by default"
    assert all(m["hotstandby"] is True for m in res["pvecdk_ceph_mds"].values())
    (item,) = res["pvecdk_ceph_fs"].values()
    assert (item["name"], item["pg_num"], item["node_name"]) == ("cephfs", 64, "pve1")
    assert item["lifecycle"] == {"prevent_destroy": True} and item["allow_destroy"] is False
    assert set(item["depends_on"]) == refs(res, "pvecdk_ceph_mds")
    (cephfs,) = res["pvecdk_storage"].values()
    assert (cephfs["type"], cephfs["options"]) == ("cephfs", {"fs-name": "cephfs"})
    assert "pool" not in cephfs["options"], "CephFS storage has no pool option"
    assert sorted(cephfs["content"]) == ["backup", "iso", "vztmpl"]
    assert refs(res, "pvecdk_ceph_fs") <= set(cephfs["depends_on"])
    assert storage.storage_type == "cephfs" and fs.pool_names == ("cephfs_data", "cephfs_metadata")
    assert findings(cluster) == []


def test_second_filesystem_reuses_the_metadata_servers() -> None:
    stack, cluster, ceph = ceph_lab()
    ceph.add_filesystem("one")
    ceph.add_filesystem("two")
    assert ceph.metadata_servers == ("pve1", "pve2", "pve3")
    assert findings(cluster) == []
    ceph.add_filesystem("three")
    assert findings(cluster) == [("warning", "mds", "3 metadata server(s) for 3 file system(s) leave no standby")]


def test_rejects_bad_filesystem() -> None:
    stack, cluster, ceph = ceph_lab()
    ceph.add_filesystem("cephfs")
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_filesystem("cephfs")
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field, problem.problem, problem.fix, problem.type) == (
        "lab/Cluster/Ceph/Fs-cephfs", "name", "file system cephfs already exists",
        "give every file system its own name", "pvecdk_ceph_fs")
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_filesystem("media", pg_num=3)
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field, problem.problem, problem.fix) == (
        "lab/Cluster/Ceph/Fs-media", "pg_num", "must be a power of two up to 32768, got 3",
        "pick 32, 64, 128, ..., or leave it unset")
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_mds(cluster.nodes[0])
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field, problem.problem, problem.fix) == (
        "lab/Cluster/Ceph", "mds", "node pve1 already runs a metadata server", "run one metadata server per node")


@pytest.mark.parametrize("name", ["mds_a", "mds.a", "-a", "a-"])
def test_rejects_mds_name_pve_refuses(name: str) -> None:
    stack, cluster, ceph = ceph_lab()
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_mds(cluster.nodes[1], name=name)
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field, problem.problem) == ("lab/Cluster/Ceph", "name",
                                                              f"{name!r} is not a metadata server name")
    assert problem.fix == "use letters, digits and '-', starting and ending with a letter or digit"
    ceph.add_mds(cluster.nodes[1], name="mds-b2")


def test_rejects_cephfs_storage_content_it_cannot_hold() -> None:
    stack, cluster, ceph = ceph_lab()
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_filesystem().as_storage(content=[ContentType.IMAGES])
    assert excinfo.value.problems[0].problem == "cephfs storage cannot hold images"


# ----------------------------------------------------------------------------------------------- order


def test_stages_are_ordered_whatever_the_call_order() -> None:
    stack, cluster, ceph = ceph_lab()
    fs = ceph.add_filesystem()
    fs.as_storage()
    ceph.add_pool("vm-pool").as_storage()
    for node in cluster.nodes:
        node.add_osd("/dev/sdb")
    res = resources(stack)
    chain = ["pvecdk_cluster", "pvecdk_ceph", "pvecdk_ceph_monitor", "pvecdk_ceph_manager", "pvecdk_ceph_osd",
             "proxmox_ceph_pool", "pvecdk_ceph_mds", "pvecdk_ceph_fs"]
    for before, after in zip(chain, chain[1:], strict=False):
        expected = refs(res, before) | (refs(res, "pvecdk_ceph_packages") if after == "pvecdk_ceph" else set())
        for item in res[after].values():
            assert set(item["depends_on"]) == expected, (after, item["depends_on"])


def test_stage_without_members_is_skipped() -> None:
    stack, cluster, ceph = ceph_lab()
    ceph.add_pool("vm-pool")
    res = resources(stack)
    (pool,) = res["proxmox_ceph_pool"].values()
    assert set(pool["depends_on"]) == refs(res, "pvecdk_ceph_manager"), "no OSD in the model: after the managers"


def test_stage_filled_later_is_waited_for() -> None:
    """A stage that gains a member after the later stages exist: the next stage waits for every member."""
    stack, cluster, ceph = ceph_lab(4, monitors=None)
    ceph.add_pool("vm-pool")
    cluster.nodes[0].add_osd("/dev/sdb")
    cluster.nodes[1].add_osd("/dev/sdb")
    ceph.add_manager(cluster.nodes[3])
    res = resources(stack)
    (pool,) = res["proxmox_ceph_pool"].values()
    assert set(pool["depends_on"]) == refs(res, "pvecdk_ceph_osd")
    for osd in res["pvecdk_ceph_osd"].values():
        assert set(osd["depends_on"]) == refs(res, "pvecdk_ceph_manager") and len(osd["depends_on"]) == 4


# ----------------------------------------------------------------------------------------------- policy


@pytest.mark.parametrize(("nodes", "monitors", "expected"), [
    (4, 4, ("error", "monitors", "4 monitors: an even number survives no more failures than one fewer and can "
            "split with no majority")),
    (3, 1, ("error", "monitors", "1 monitor: losing it stops Ceph")),
    (1, 1, ("warning", "monitors", "1 monitor: losing it stops Ceph")),
    (2, 2, ("error", "monitors", "2 monitors: an even number survives no more failures than one fewer and can "
            "split with no majority")),
])
def test_monitor_rules(nodes: int, monitors: int, expected: tuple[str, str, str]) -> None:
    stack, cluster = lab(nodes)
    cluster.enable_ceph(monitors=cluster.nodes[:monitors])
    assert expected in findings(cluster)


def test_monitors_added_later_count() -> None:
    stack, cluster, ceph = ceph_lab(5)
    ceph.add_monitor(cluster.nodes[3])
    assert findings(cluster)[0][:2] == ("error", "monitors")
    ceph.add_monitor(cluster.nodes[4])
    assert findings(cluster) == []


def test_single_manager_is_warned_about() -> None:
    stack, cluster = lab()
    cluster.enable_ceph(managers=cluster.nodes[:1])
    assert findings(cluster) == [("warning", "managers", "one manager: when it fails, nothing reports or balances "
                                  "until it returns")]


def test_pool_size_against_the_nodes_with_osds() -> None:
    stack, cluster, ceph = ceph_lab()
    ceph.add_pool("vm-pool")
    assert findings(cluster) == [], "OSDs outside the model are unknown: no judgement without OSDs"
    cluster.nodes[0].add_osd("/dev/sdb")
    assert findings(cluster) == [("error", "size", "size=3 needs OSDs on 3 nodes (one copy per host), the model "
                                  "has OSDs on 1")]
    cluster.nodes[1].add_osd("/dev/sdb")
    assert [f[0] for f in findings(cluster)] == ["warning"]
    cluster.nodes[2].add_osd("/dev/sdb")
    assert findings(cluster) == []


def test_filesystem_without_metadata_server_is_refused() -> None:
    stack, cluster, ceph = ceph_lab()
    ceph.add_filesystem(mds_nodes=[])
    assert ("error", "mds", "a CephFS file system without a metadata server cannot be mounted") in findings(cluster)


def test_ceph_replicating_over_corosync_is_warned_about() -> None:
    stack, cluster = lab()
    cluster.enable_ceph(cluster_network=NetworkRole.CLUSTER)
    assert findings(cluster) == [("warning", "cluster_network", "Ceph replicates over the corosync network; "
                                  "recovery traffic there can delay corosync and fence nodes")]


def test_policy_refuses_before_anything_is_written(tmp_path: Path) -> None:
    def bad(scope: Any, name: str) -> Any:
        stack = _cdk.TerraformStack(scope, name)
        provider.ProxmoxProvider(stack, "proxmox")
        cluster = Cluster(stack, "Cluster", name="lab", management_network="192.168.1.0/24",
                          cluster_network="10.0.0.0/24", storage_network="172.16.0.0/24")
        for i in (1, 2, 3, 4):
            cluster.add_node(f"pve{i}", management_address=f"192.168.1.{10 + i}", cluster_address=f"10.0.0.{10 + i}",
                             cluster_interface="eno2",
                             storage_address=f"172.16.0.{10 + i}", storage_interface="eno3",
                             management_interface="eno1")
        cluster.enable_ceph(monitors=cluster.nodes)
        return stack

    with pytest.raises(ConfigError) as excinfo:
        synth_app({"bad": bad}, outdir=str(tmp_path / "out"))
    assert [p.field for p in excinfo.value.problems] == ["monitors"]
    assert [p for p in (tmp_path / "out").rglob("*") if p.is_file()] == [], "nothing is written"


def test_findings_are_findings() -> None:
    stack, cluster = lab()
    cluster.enable_ceph(managers=cluster.nodes[:1])
    assert all(isinstance(f, Finding) for f in check_ceph(cluster))


# ----------------------------------------------------------------------------------------------- stack


def test_ceph_stack_snapshot(synth: Any, snapshot_json: Any) -> None:
    config = synth(ceph_stack, "ceph")
    res = config["resource"]
    assert len(res["pvecdk_ceph_monitor"]) == 5 and len(res["pvecdk_ceph_manager"]) == 2
    assert len(res["pvecdk_ceph_osd"]) == 15
    (init,) = res["pvecdk_ceph"].values()
    assert (init["network"], init["cluster_network"]) == ("172.16.50.0/24", "10.60.0.0/24")
    pools = {p["name"]: p for p in res["proxmox_ceph_pool"].values()}
    assert pools["vms"]["pg_num"] == 128 and pools["archive"]["erasure_coding"] == "k=2,m=1,device-class=hdd"
    storage = {s["id"]: (s["type"], s["options"]) for s in res["pvecdk_storage"].values()}
    assert storage == {
        "vms": ("rbd", {"pool": "vms"}),
        "vms-krbd": ("rbd", {"pool": "vms", "krbd": "1"}),
        "archive": ("rbd", {"pool": "archive-metadata", "data-pool": "archive-data"}),
        "cephfs": ("cephfs", {"fs-name": "cephfs"}),
    }
    for osd in res["pvecdk_ceph_osd"].values():
        assert set(osd["depends_on"]) == {f"pvecdk_ceph_manager.{n}" for n in res["pvecdk_ceph_manager"]}
    # What the snapshot's firewall shows, pinned: Ceph's ports on its public network (storage, 172.16.50.0/24)
    # and replication on its cluster network (migration, 10.60.0.0/24), corosync's knet range, each within its
    # own network; and the packages installed before Ceph is initialised.
    (group,) = res["proxmox_virtual_environment_cluster_firewall_security_group"].values()
    opened = {(r["proto"], r["dport"], r["source"]) for r in group["rule"]}
    assert {("tcp", "3300,6789", "+storage"), ("tcp", "6800:7300", "+storage"), ("tcp", "6800:7300", "+migration"),
            ("udp", "5405:5412", "+cluster")} <= opened
    assert not any("5404" in r["dport"] for r in group["rule"])
    assert all(r["dest"] == r["source"] for r in group["rule"])
    ipsets = {i["name"]: i["cidr"][0]["name"] for i in res["proxmox_virtual_environment_firewall_ipset"].values()}
    assert (ipsets["storage"], ipsets["migration"]) == (init["network"], init["cluster_network"])
    assert "pvecdk_ceph_packages" in " ".join(init["depends_on"])
    assert normalise(config) == snapshot_json


def test_every_problem_of_one_call_is_reported_at_once() -> None:
    # The props models report a value's problems and those between props together, in the order of the props.
    stack, cluster, ceph = ceph_lab()
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_osd(cluster.nodes[0], device="sdc", device_class="flash", db_size_gib=64)
    assert [(p.field, p.problem) for p in excinfo.value.problems] == [
        ("device", "'sdc' is not a device path"), ("device_class", "'flash' is not a device class"),
        ("db_size_gib", "db_size_gib is given without db_device")]
    assert {p.type for p in excinfo.value.problems} == {"pvecdk_ceph_osd"}
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_pool(".bad", size=3, min_size=4, pg_num=100)
    assert [(p.path, p.field, p.problem) for p in excinfo.value.problems] == [
        ("lab/Cluster/Ceph/Pool-.bad", "name", "'.bad' is not a pool name"),
        ("lab/Cluster/Ceph/Pool-.bad", "pg_num", "must be a power of two up to 32768, got 100")]
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_pool("ok", size=3, min_size=4, pg_num=100)
    assert [(p.field, p.problem) for p in excinfo.value.problems] == [
        ("pg_num", "must be a power of two up to 32768, got 100"), ("min_size", "must not exceed size 3, got 4")]
    assert ceph.osds == () and ceph.pools == {}
