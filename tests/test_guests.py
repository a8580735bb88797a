"""Vm, Container, Disk, Pool: what they emit, and the input they refuse before synthesis."""

from __future__ import annotations

from typing import Any

import pytest
from lab import lab, only, policy_errors, resources
from pvecdk import CloudInit, ConfigError, Container, Disk, NetworkInterface, Pool, Storage, Vm


def test_vm_defaults_are_migratable_and_safe() -> None:
    l9 = lab()
    vm = Vm(l9.stack, "web", node=l9.nodes[0], vm_id=100, disks=[Disk(l9.rbd)])
    (r,) = resources(l9.stack, "proxmox_virtual_environment_vm")
    assert r["cpu"] == {"type": "x86-64-v2-AES", "cores": 2, "sockets": 1}
    assert r["memory"] == {"dedicated": 2048}
    assert (r["node_name"], r["vm_id"], r["name"]) == ("pve1", 100, "web")
    assert r["migrate"] is True, "a node change migrates the VM instead of re-creating it"
    assert r["on_boot"] is True and r["started"] is True and r["agent"] == {"enabled": True}
    assert r["disk"] == [{"interface": "scsi0", "datastore_id": "ceph-vm", "size": 32, "discard": "on",
                          "iothread": True, "backup": True, "replicate": True}]
    assert r["scsi_hardware"] == "virtio-scsi-single"
    (nic,) = r["network_device"]
    assert (nic["bridge"], nic["model"], nic["firewall"]) == ("vmbr0", "virtio", True)
    assert vm.ha_resource_id == "vm:100" and vm.node_name == "pve1" and vm.resource is vm.node.default_child
    assert l9.cluster.guests == (vm,)


def test_vm_settings_reach_the_resource() -> None:
    l9 = lab()
    l9.nodes[0].add_bridge("vmbr1", ports=["eno2"])
    pool = Pool(l9.stack, "Prod", pool_id="prod")
    Vm(l9.stack, "db", node=l9.nodes[0], vm_id=4242, name="db-1", cpu_type="EPYC-Rome", cores=8, sockets=2,
       memory_mib=32768, balloon_mib=16384, tags=["prod", "db", "prod"], pool=pool, start_on_boot=False,
       disks=[Disk(l9.rbd, size_gib=50, interface="virtio0", cache="writeback"), Disk(l9.rbd, size_gib=500, ssd=True)],
       networks=[NetworkInterface(), NetworkInterface(bridge="vmbr1", vlan_id=30, firewall=False, mtu=9000)],
       cloud_init=CloudInit(user="ops", ssh_keys=("ssh-ed25519 AAAA ops",), ipv4="10.1.0.5/24",
                            ipv4_gateway="10.1.0.1", dns_servers=("10.1.0.2",), search_domain="example.org"),
       boot_order=["virtio0", "net0"], migration_timeout_seconds=600, protection=True)
    (r,) = resources(l9.stack, "proxmox_virtual_environment_vm")
    assert r["cpu"] == {"type": "EPYC-Rome", "cores": 8, "sockets": 2}
    assert r["memory"] == {"dedicated": 32768, "floating": 16384}
    assert [d["interface"] for d in r["disk"]] == ["virtio0", "scsi0"]
    assert r["disk"][0]["cache"] == "writeback" and r["disk"][1]["ssd"] is True
    assert r["network_device"][1]["vlan_id"] == 30 and r["network_device"][1]["mtu"] == 9000
    assert r["tags"] == ["db", "prod"]
    assert r["pool_id"].startswith("${proxmox_virtual_environment_pool.")
    init = r["initialization"]
    assert init["ip_config"] == [{"ipv4": {"address": "10.1.0.5/24", "gateway": "10.1.0.1"}}]
    assert init["user_account"] == {"username": "ops", "keys": ["ssh-ed25519 AAAA ops"]}
    assert init["datastore_id"] == "ceph-vm", "the cloud-init drive defaults to the first disk's storage"
    assert init["dns"] == {"servers": ["10.1.0.2"], "domain": "example.org"}
    assert (r["boot_order"], r["timeout_migrate"], r["protection"], r["on_boot"]) == (
        ["virtio0", "net0"], 600, True, False)
    (p,) = resources(l9.stack, "proxmox_virtual_environment_pool")
    assert p["pool_id"] == "prod"


def test_container_defaults_and_settings() -> None:
    l9 = lab()
    Container(l9.stack, "dns", node=l9.nodes[1], vm_id=200, template="local:vztmpl/debian-12.tar.zst",
              disk=Disk(l9.lvm, size_gib=8), nesting=True, tags=["infra"],
              cloud_init=CloudInit(ipv4="10.1.0.53/24", ssh_keys=("ssh-ed25519 AAAA ops",)))
    (r,) = resources(l9.stack, "proxmox_virtual_environment_container")
    assert r["unprivileged"] is True, "containers are unprivileged unless asked otherwise"
    assert r["disk"] == {"datastore_id": "local-lvm", "size": 8, "replicate": True}
    assert r["operating_system"] == {"template_file_id": "local:vztmpl/debian-12.tar.zst"}
    assert r["initialization"]["hostname"] == "dns"
    assert r["initialization"]["user_account"] == {"keys": ["ssh-ed25519 AAAA ops"]}
    assert r["network_interface"][0]["name"] == "eth0" and r["features"] == {"nesting": True}
    assert (r["cpu"], r["memory"]) == ({"cores": 1}, {"dedicated": 512, "swap": 512})


def test_container_network_settings_reach_the_resource() -> None:
    l9 = lab()
    Container(l9.stack, "dns", node=l9.nodes[0], vm_id=200, template="local:vztmpl/debian-12.tar.zst",
              disk=Disk(l9.rbd), networks=[NetworkInterface(vlan_id=20, mac_address="BC:24:11:00:00:01", mtu=9000)],
              cloud_init=CloudInit(ipv4="10.1.0.53/24", ipv4_gateway="10.1.0.1", dns_servers=("10.1.0.2",),
                                   search_domain="example.org"))
    (r,) = resources(l9.stack, "proxmox_virtual_environment_container")
    init = r["initialization"]
    assert init["ip_config"] == [{"ipv4": {"address": "10.1.0.53/24", "gateway": "10.1.0.1"}}]
    assert init["dns"] == {"servers": ["10.1.0.2"], "domain": "example.org"}
    assert "user_account" not in init
    (nic,) = r["network_interface"]
    assert nic == {"name": "eth0", "bridge": "vmbr0", "vlan_id": 20, "firewall": True,
                   "mac_address": "BC:24:11:00:00:01", "mtu": 9000}


def test_vm_and_container_share_placement_tags_pool_and_protection() -> None:
    l9 = lab()
    pool = Pool.from_id(l9.stack, "prod")
    Vm(l9.stack, "vm", node=l9.nodes[0], vm_id=100, tags=["web", "prod", "web"], pool=pool, protection=True,
       started=False)
    Container(l9.stack, "ct", node=l9.nodes[1], vm_id=200, template="local:vztmpl/a.tar.zst", disk=Disk(l9.rbd),
              tags=["web", "prod", "web"], pool=pool, protection=True, started=False)
    for kind, node in (("vm", "pve1"), ("container", "pve2")):
        (r,) = resources(l9.stack, f"proxmox_virtual_environment_{kind}")
        assert (r["node_name"], r["tags"], r["pool_id"], r["protection"], r["started"]) == (
            node, ["prod", "web"], "prod", True, False)
        assert any(d.startswith("pvecdk_cluster.") for d in r["depends_on"]), "created after the membership"


def test_pool_from_id_adds_nothing() -> None:
    l9 = lab()
    pool = Pool.from_id(l9.stack, "existing")
    assert Pool.from_id(l9.stack, "existing") is pool and pool.pool_id == "existing"
    Vm(l9.stack, "a", node=l9.nodes[0], vm_id=100, pool=pool)
    assert resources(l9.stack, "proxmox_virtual_environment_pool") == []
    (r,) = resources(l9.stack, "proxmox_virtual_environment_vm")
    assert r["pool_id"] == "existing"


def test_host_cpu_is_fine_on_a_single_node() -> None:
    l1 = lab(nodes=1)
    Vm(l1.stack, "a", node=l1.nodes[0], vm_id=100, cpu_type="host")
    assert [p for p in policy_errors(l1.cluster) if p.field == "cpu_type"] == []


def test_host_cpu_with_identical_nodes_declared() -> None:
    l9 = lab()
    Vm(l9.stack, "a", node=l9.nodes[0], vm_id=100, cpu_type="host", allow_host_cpu=True)
    assert policy_errors(l9.cluster) == []


# ----------------------------------------------------------------------------------------------- rejections


def _vm_error(l9: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("node", l9.nodes[0])
    kwargs.setdefault("vm_id", 100)
    with pytest.raises(ConfigError) as excinfo:
        Vm(l9.stack, "bad", **kwargs)
    return excinfo


@pytest.mark.parametrize("vm_id", [99, 1_000_000_000, 0])
def test_rejects_vmid_out_of_range(vm_id: Any) -> None:
    p = only(_vm_error(lab(), vm_id=vm_id))
    assert (p.path, p.field, p.fix) == ("test/bad", "vm_id", "pick a free VMID in 100-999999999")
    assert "VMID must be 100-999999999" in p.problem


@pytest.mark.parametrize("vm_id", ["100", True, 100.0])
def test_rejects_vmid_that_is_no_whole_number(vm_id: Any) -> None:
    p = only(_vm_error(lab(), vm_id=vm_id))
    assert (p.path, p.field, p.fix) == ("test/bad", "vm_id", "pass a whole number")
    assert p.problem == f"input should be a valid integer, got {vm_id!r}"


def test_a_value_holding_the_fix_separator_stays_in_the_problem() -> None:
    p = only(_vm_error(lab(), tags=["a; b"]))
    assert (p.path, p.field) == ("test/bad", "tags[0]")
    assert p.problem == "'a; b' is not a PVE tag" and p.fix.startswith("use lowercase letters")


def test_rejects_one_disk_not_given_as_a_list() -> None:
    l9 = lab()
    p = only(_vm_error(l9, disks=Disk(l9.rbd)))
    assert (p.path, p.field, p.fix) == ("test/bad", "disks", "pass a list, even for one item")


@pytest.mark.parametrize("ha", [{"max_restart": 2}, "yes", 1])
def test_rejects_ha_that_is_neither_true_nor_ha_options(ha: Any) -> None:
    l9 = lab()
    p = only(_vm_error(l9, ha=ha))
    assert (p.path, p.field) == ("test/bad", "ha")
    assert p.problem == f"{ha!r} is neither True nor HaOptions"
    assert p.fix == "pass ha=True, or ha=HaOptions(...) for its settings"
    assert l9.stack.node.try_find_child("bad") is None, "nothing is protected or built"


def test_rejects_vmid_taken_twice_in_the_cluster() -> None:
    l9 = lab()
    Container(l9.stack, "ct", node=l9.nodes[1], vm_id=100, template="local:vztmpl/a.tar.zst", disk=Disk(l9.rbd))
    p = only(_vm_error(l9, vm_id=100))
    assert (p.path, p.field) == ("test/bad", "vm_id") and p.problem == "VMID 100 is already taken by test/ct"
    assert p.fix == "give every guest of the cluster its own VMID"
    assert l9.stack.node.try_find_child("bad") is None, "a refused guest never enters the tree"


def test_the_same_vmid_in_two_clusters_is_fine() -> None:
    a, b = lab(), lab()
    Vm(a.stack, "x", node=a.nodes[0], vm_id=100)
    Vm(b.stack, "x", node=b.nodes[0], vm_id=100)


def test_rejects_a_disk_on_storage_without_images() -> None:
    l9 = lab()
    p = only(_vm_error(l9, disks=[Disk(l9.rbd), Disk(l9.local)]))
    assert (p.path, p.field) == ("test/bad", "disks[1].storage")
    assert p.problem == "storage local does not hold images (it holds backup, iso, vztmpl)"
    assert "add images to local's content" in p.fix


def test_rejects_a_container_volume_on_storage_without_rootdir() -> None:
    l9 = lab()
    images_only = Storage.from_id(l9.stack, "vm-only", storage_type="rbd", content=["images"])
    with pytest.raises(ConfigError) as excinfo:
        Container(l9.stack, "ct", node=l9.nodes[0], vm_id=200, template="local:vztmpl/a.tar.zst",
                  disk=Disk(images_only))
    p = only(excinfo)
    assert (p.path, p.field) == ("test/ct", "disk.storage") and "does not hold rootdir" in p.problem
    assert "add rootdir to vm-only's content" in p.fix


def test_rejects_a_disk_on_storage_not_defined_on_the_node() -> None:
    l9 = lab()
    only_pve2 = Storage.from_id(l9.stack, "fast", storage_type="lvmthin", content=["images"], nodes=[l9.nodes[1]])
    p = only(_vm_error(l9, disks=[Disk(only_pve2)]))
    assert (p.path, p.field) == ("test/bad", "disks[0].storage")
    assert p.problem == "storage fast is not defined on node pve1"
    assert p.fix == "use a storage defined on pve1, or add pve1 to its nodes"


def test_rejects_a_node_of_another_cluster() -> None:
    l9, other = lab(), lab()
    with pytest.raises(ConfigError) as excinfo:
        Vm(l9.cluster, "bad", node=other.nodes[0], vm_id=100)
    p = only(excinfo)
    assert (p.path, p.field) == ("test/Cluster/bad", "node") and p.problem == "node pve1 is not in cluster lab"
    assert p.fix == "pick a node of lab, or define the guest outside that cluster"


def test_rejects_a_node_that_is_not_a_node() -> None:
    p = only(_vm_error(lab(), node="pve1"))
    assert (p.path, p.field) == ("test/bad", "node") and "is not a Node" in p.problem
    assert p.fix == "pass a node returned by cluster.add_node"


@pytest.mark.parametrize(("kwargs", "field", "words", "fix"), [
    ({"cpu_type": "pentium9"}, "cpu_type", "'pentium9' is not a QEMU CPU model", "use x86-64-v2-AES"),
    ({"cores": 0}, "cores", "cores must be 1-8192", "give a whole number of cores"),
    ({"memory_mib": 8}, "memory_mib", "at least 16 MiB", "give the memory in MiB"),
    ({"sockets": 9}, "sockets", "sockets must be 1-4", "give 1-4 sockets"),
    ({"balloon_mib": 4096}, "balloon_mib", "must be 0-2048", "give at most memory_mib"),
    ({"name": "web_1"}, "name", "'web_1' is not a DNS name", "such as web-1"),
    ({"tags": ["Prod Web"]}, "tags[0]", "is not a PVE tag", "use lowercase letters"),
    ({"networks": [NetworkInterface(bridge="br0")]}, "networks[0].bridge", "'br0' is not a bridge name",
     "give a bridge such as vmbr0"),
    ({"networks": [NetworkInterface(bridge="vmbr7")]}, "networks[0].bridge", "node pve1 has no bridge vmbr7",
     "node.add_bridge('vmbr7', ...)"),
    ({"networks": [NetworkInterface(vlan_id=5000)]}, "networks[0].vlan_id", "VLAN id must be 1-4094",
     "pick a VLAN in 1-4094"),
    ({"boot_order": ["scsi3"]}, "boot_order", "'scsi3' is not a device of the VM", "list its net interfaces (net0"),
    ({"migration_timeout_seconds": 0}, "migration_timeout_seconds", "must be positive", "give seconds"),
    ({"pool": "prod"}, "pool", "'prod' is not a Pool", "Pool.from_id(scope, 'name')"),
    ({"networks": [NetworkInterface(mac_address="bc:24:11")]}, "networks[0].mac_address",
     "'bc:24:11' is not a MAC address", "give six hex octets"),
    ({"networks": [NetworkInterface(rate_limit_mbps=0)]}, "networks[0].rate_limit_mbps", "must be positive (MB/s)",
     "leave it unset for no limit"),
])
def test_rejects_bad_vm_settings(kwargs: dict[str, Any], field: str, words: str, fix: str) -> None:
    p = only(_vm_error(lab(), **kwargs))
    assert (p.path, p.field) == ("test/bad", field) and words in p.problem and fix in p.fix, p


def test_rejects_a_boot_device_the_vm_lacks() -> None:
    l9 = lab()
    p = only(_vm_error(l9, disks=[Disk(l9.rbd), Disk(l9.rbd, interface="virtio0")], boot_order=["scsi0", "net1"]))
    assert (p.path, p.field, p.problem) == ("test/bad", "boot_order", "'net1' is not a device of the VM")
    assert p.fix == "list its disks (scsi0, virtio0) or net interfaces"


def test_rejects_bad_disks() -> None:
    l9 = lab()
    excinfo = _vm_error(l9, disks=[Disk(l9.rbd, size_gib=0), Disk(l9.rbd, interface="scsi31"),
                                   Disk(l9.rbd, interface="virtio0"), Disk(l9.rbd, interface="virtio0"),
                                   "local-lvm:32", Disk(l9.rbd, cache="write-back")])
    fields = [(p.field, p.problem) for p in excinfo.value.problems]
    assert ("disks[0].size_gib", "size must be 1 GiB or more, got 0") in fields
    assert ("disks[1].interface", "'scsi31' is not a disk slot") in fields
    assert ("disks[3].interface", "virtio0 is used twice") in fields
    assert ("disks[4]", "'local-lvm:32' is not a Disk") in fields
    assert ("disks[5].cache", "'write-back' is not a cache mode") in fields
    fixes = {p.field: p.fix for p in excinfo.value.problems}
    assert fixes == {"disks[0].size_gib": "give the size in whole GiB",
                     "disks[1].interface": "use scsi0-30, virtio0-15, sata0-5 or ide0-3",
                     "disks[3].interface": "give every disk its own slot",
                     "disks[4]": "pass Disk(storage, size_gib=...)",
                     "disks[5].cache": "use none, writeback, writethrough, directsync or unsafe"}
    assert {p.path for p in excinfo.value.problems} == {"test/bad"}


def test_rejects_cloud_init_without_storage_or_with_a_bad_address() -> None:
    l9 = lab()
    excinfo = _vm_error(l9, cloud_init=CloudInit(ipv4="10.1.0.5"))
    fields = {p.field for p in excinfo.value.problems}
    assert fields == {"cloud_init.storage", "cloud_init.ipv4"}
    fixes = {p.field: p.fix for p in excinfo.value.problems}
    assert fixes == {"cloud_init.storage": "pass CloudInit(storage=...), or give the VM a disk",
                     "cloud_init.ipv4": "give dhcp, or an address such as 10.0.0.5/24"}
    assert {p.path for p in excinfo.value.problems} == {"test/bad"}


def test_rejects_cloud_init_lists_given_as_strings_and_dns_servers_by_name() -> None:
    l9 = lab()
    excinfo = _vm_error(l9, disks=[Disk(l9.rbd)], cloud_init=CloudInit(ssh_keys="ssh-ed25519 AAAA",  # type: ignore[arg-type]
                                                                      dns_servers="10.0.0.53"))  # type: ignore[arg-type]
    assert [(p.path, p.field, p.fix) for p in excinfo.value.problems] == [
        ("test/bad", "cloud_init.ssh_keys", "pass a list, even for one item"),
        ("test/bad", "cloud_init.dns_servers", "pass a list, even for one item")], "not taken letter by letter"
    with pytest.raises(ConfigError) as excinfo:
        Container(l9.stack, "ct", node=l9.nodes[0], vm_id=200, template="local:vztmpl/a.tar.zst", disk=Disk(l9.rbd),
                  cloud_init=CloudInit(dns_servers=["dns.example.org"]))
    p = only(excinfo)
    assert (p.path, p.field) == ("test/ct", "cloud_init.dns_servers[0]")
    assert (p.problem, p.fix) == ("DNS server 'dns.example.org' is not an IP address", "give addresses, not names")


def test_rejects_a_construct_id_that_is_no_dns_name_as_default_name() -> None:
    l9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        Vm(l9.stack, "Web_1", node=l9.nodes[0], vm_id=100)
    p = only(excinfo)
    assert (p.path, p.field) == ("test/Web_1", "name") and "defaults to the construct id" in p.problem
    assert p.fix == "pass a name of letters, digits and '-', such as web-1"
    Vm(l9.stack, "Web_2", node=l9.nodes[0], vm_id=101, name="web-2")


def test_rejects_a_bad_container_template() -> None:
    l9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        Container(l9.stack, "ct", node=l9.nodes[0], vm_id=200, template="debian-12.tar.zst", disk=Disk(l9.rbd))
    p = only(excinfo)
    assert (p.path, p.field) == ("test/ct", "template")
    assert p.fix == (
        "give <storage>:vztmpl/<file>, such as local:vztmpl/debian-12-standard.tar.zst, or a DownloadedFile of vztmpl "
        "content")


@pytest.mark.parametrize(("pool_id", "problem", "fix"), [
    ("bad id", "'bad id' is not a pool id", "use 1-64 letters, digits, '-', '_' or '.'"),
    (5, "input should be a valid string, got 5", "pass a string"),
])
def test_rejects_a_bad_pool_id(pool_id: Any, problem: str, fix: str) -> None:
    l9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        Pool(l9.stack, "Prod", pool_id=pool_id)
    p = only(excinfo)
    assert (p.path, p.field, p.problem, p.fix) == ("test/Prod", "pool_id", problem, fix)
    assert l9.stack.node.try_find_child("Prod") is None


def test_rejects_host_cpu_under_ha() -> None:
    l9 = lab()
    vm = Vm(l9.stack, "a", node=l9.nodes[0], vm_id=100, cpu_type="host", disks=[Disk(l9.rbd)], ha=True)
    (p,) = policy_errors(l9.cluster)
    assert (p.path, p.field) == (str(vm.node.path), "cpu_type")
    assert "migrates only to identical CPUs, and it is under HA" in p.problem
    assert "allow_host_cpu=True" in p.fix


def test_rejects_host_cpu_on_a_cluster_of_several_nodes() -> None:
    l9 = lab()
    Vm(l9.stack, "a", node=l9.nodes[0], vm_id=100, cpu_type="max")
    (p,) = policy_errors(l9.cluster)
    assert (p.path, p.field) == ("test/a", "cpu_type") and "the cluster has 3 nodes" in p.problem
    assert "allow_host_cpu=True" in p.fix


def test_message_shape() -> None:
    excinfo = _vm_error(lab(), vm_id=5)
    assert str(excinfo.value) == (
        "1 problem in the configuration\n"
        "  test/bad: vm_id: VMID must be 100-999999999, got 5; pick a free VMID in 100-999999999")
