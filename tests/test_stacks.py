"""The ready-made stacks: snapshots of their output, beside assertions of what the output means."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from conftest import normalise

from stacks import STACKS


@pytest.mark.parametrize("name", sorted(STACKS))
def test_stack_snapshot(name: str, synth: Any, snapshot_json: Any) -> None:
    config = synth(STACKS[name], name)
    assert normalise(config) == snapshot_json


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    import json
    import tempfile
    from pathlib import Path

    from pvecdk import _cdk

    with tempfile.TemporaryDirectory() as out:
        app = _cdk.App(outdir=out)
        STACKS["example-cluster"](app, "example-cluster")
        app.synth()
        data: dict[str, Any] = json.loads((Path(out) / "stacks" / "example-cluster" / "cdk.tf.json").read_text())
        return data


def _only(config: dict[str, Any], tf_type: str) -> dict[str, Any]:
    items = config["resource"][tf_type]
    assert len(items) == 1, f"expected one {tf_type}, got {sorted(items)}"
    return next(iter(items.values()))  # type: ignore[no-any-return]


def test_example_pins_the_provider(example: dict[str, Any]) -> None:
    assert example["terraform"]["required_providers"]["proxmox"] == {"source": "bpg/proxmox", "version": "0.111.1"}
    (provider,) = example["provider"]["proxmox"]
    assert provider["endpoint"] == "${var.proxmox_endpoint}"
    assert "api_token" not in provider, "the token comes from PROXMOX_VE_API_TOKEN, never from the stack"
    assert "insecure" not in provider, "TLS stays verified unless the user asks otherwise"


def test_example_has_three_nodes_with_management_bridges(example: dict[str, Any]) -> None:
    bridges = [b for b in example["resource"]["proxmox_network_linux_bridge"].values() if b["name"] == "vmbr0"]
    assert sorted(b["node_name"] for b in bridges) == ["pve1", "pve2", "pve3"]
    management = ipaddress.ip_network("192.168.1.0/24")
    addresses = [ipaddress.ip_interface(b["address"]) for b in bridges]
    assert all(a.network == management for a in addresses)
    assert len({a.ip for a in addresses}) == 3
    assert all(b["ports"] == ["eno1"] and b["gateway"] == "192.168.1.1" for b in bridges)


def test_example_puts_every_role_address_on_an_interface(example: dict[str, Any]) -> None:
    res = example["resource"]
    carried = {(i["node_name"], i["name"]): ipaddress.ip_interface(i["address"])
               for tf_type in ("proxmox_network_linux_bridge", "proxmox_network_linux_bond")
               for i in res[tf_type].values() if "address" in i}
    membership = _only(example, "pvecdk_cluster")
    for node, member in membership["member"].items():
        host = member["node_id"] + 10
        assert carried[(node, "vmbr1")] == ipaddress.ip_interface(f"10.0.0.{host}/24"), "corosync link0's address"
        assert str(carried[(node, "vmbr1")].ip) == member["addresses"][0]
        assert carried[(node, "bond0")] == ipaddress.ip_interface(f"172.16.0.{host}/24"), "Ceph's public address"
    bonds = res["proxmox_network_linux_bond"].values()
    assert all(b["slaves"] == ["eno3", "eno4"] and b["bond_mode"] == "active-backup" for b in bonds)
    monitors = {m["node_name"]: m["address"] for m in res["pvecdk_ceph_monitor"].values()}
    assert all(str(carried[(n, "bond0")].ip) == a for n, a in monitors.items()), "monitors bind on the bond"


def test_example_nodes_resolve_each_other_on_the_cluster_network(example: dict[str, Any]) -> None:
    hosts = example["resource"]["proxmox_virtual_environment_hosts"].values()
    assert len(hosts) == 3
    cluster = ipaddress.ip_network("10.0.0.0/24")
    for h in hosts:
        named = {e["hostnames"][-1]: e["address"] for e in h["entry"]}
        assert named["localhost"] == "127.0.0.1"
        assert {n: ipaddress.ip_address(named[n]) in cluster for n in ("pve1", "pve2", "pve3")} == {
            "pve1": True, "pve2": True, "pve3": True}
    times = example["resource"]["proxmox_virtual_environment_time"].values()
    assert {t["time_zone"] for t in times} == {"Europe/Berlin"}


def test_example_migrates_over_the_cluster_network_securely(example: dict[str, Any]) -> None:
    options = _only(example, "proxmox_cluster_options")
    assert options["migration_cidr"] == "10.0.0.0/24"
    assert options["migration_type"] == "secure"


def test_example_firewall_opens_only_what_pve_needs(example: dict[str, Any]) -> None:
    fw = _only(example, "proxmox_virtual_environment_cluster_firewall")
    assert fw["enabled"] is True and fw["input_policy"] == "DROP"
    group = _only(example, "proxmox_virtual_environment_cluster_firewall_security_group")
    opened = {(r["proto"], r["dport"], r["source"]) for r in group["rule"]}
    assert opened == {
        ("udp", "5405:5412", "+cluster"), ("udp", "5405:5412", "+management"),
        ("tcp", "22", "+management"), ("tcp", "8006", "+management"), ("tcp", "3128", "+management"),
        ("tcp", "5900:5999", "+management"), ("tcp", "22", "+cluster"), ("tcp", "60000:60050", "+cluster"),
        ("tcp", "3300,6789", "+storage"), ("tcp", "6800:7300", "+storage"),
    }
    assert all(r["dest"] == r["source"] for r in group["rule"]), "each service only within its own network"
    assert all(r["action"] == "ACCEPT" and r["type"] == "in" for r in group["rule"])
    ipset_resources = example["resource"]["proxmox_virtual_environment_firewall_ipset"].values()
    ipsets = {i["name"]: i["cidr"][0]["name"] for i in ipset_resources}
    assert ipsets == {"management": "192.168.1.0/24", "cluster": "10.0.0.0/24", "storage": "172.16.0.0/24"}


def _address(config: dict[str, Any], tf_type: str) -> str:
    (name,) = config["resource"][tf_type]
    return f"{tf_type}.{name}"


def test_example_nfs_storage(example: dict[str, Any]) -> None:
    nfs = _only(example, "proxmox_storage_nfs")
    assert nfs["id"] == "nfs-storage"
    assert (nfs["server"], nfs["export"]) == ("192.168.1.100", "/srv/nfs/proxmox")
    assert sorted(nfs["content"]) == ["backup", "images", "import", "iso", "vztmpl"]
    assert nfs["lifecycle"] == {"prevent_destroy": True}, "it holds disks and backups"
    assert nfs["depends_on"] == [_address(example, "pvecdk_cluster")]


def test_example_ceph_pool_keeps_three_copies(example: dict[str, Any]) -> None:
    pool = _only(example, "proxmox_ceph_pool")
    assert pool["name"] == "vm-pool"
    assert (pool["size"], pool["min_size"]) == (3, 2)
    assert pool["application"] == "rbd"
    assert pool["lifecycle"] == {"prevent_destroy": True}


def test_example_ceph_runs_on_the_storage_network(example: dict[str, Any]) -> None:
    init = _only(example, "pvecdk_ceph")
    assert init["network"] == "172.16.0.0/24" and "cluster_network" not in init
    monitors = example["resource"]["pvecdk_ceph_monitor"].values()
    assert sorted((m["node_name"], m["address"]) for m in monitors) == [
        ("pve1", "172.16.0.11"), ("pve2", "172.16.0.12"), ("pve3", "172.16.0.13")]
    assert sorted(m["node_name"] for m in example["resource"]["pvecdk_ceph_manager"].values()) == [
        "pve1", "pve2", "pve3"]
    osds = example["resource"]["pvecdk_ceph_osd"].values()
    assert sorted((o["node_name"], o["device"]) for o in osds) == [
        ("pve1", "/dev/sdb"), ("pve2", "/dev/sdb"), ("pve3", "/dev/sdb")]


def test_example_ceph_is_applied_in_order(example: dict[str, Any]) -> None:
    res = example["resource"]

    def refs(tf_type: str) -> set[str]:
        return {f"{tf_type}.{name}" for name in res[tf_type]}

    # Ceph's init waits for the membership and for Ceph's packages on every node (pveceph install).
    assert set(_only(example, "pvecdk_ceph")["depends_on"]) == refs("pvecdk_cluster") | refs("pvecdk_ceph_packages")
    assert sorted(_only(example, "pvecdk_ceph_packages")["node"]) == ["pve1", "pve2", "pve3"]
    for before, after in (("pvecdk_ceph", "pvecdk_ceph_monitor"), ("pvecdk_ceph_monitor", "pvecdk_ceph_manager"),
                          ("pvecdk_ceph_manager", "pvecdk_ceph_osd"), ("pvecdk_ceph_osd", "proxmox_ceph_pool")):
        for item in res[after].values():
            assert set(item["depends_on"]) == refs(before), (after, item)


def test_example_rbd_storage_on_vm_pool(example: dict[str, Any]) -> None:
    rbd = _only(example, "pvecdk_storage")
    assert (rbd["type"], rbd["id"], rbd["options"]) == ("rbd", "vm-pool", {"pool": "vm-pool"})
    assert sorted(rbd["content"]) == ["images", "rootdir"]
    assert rbd["pve_version"] == "9.1" and rbd["endpoint"] == "https://192.168.1.11:8006"
    assert _address(example, "proxmox_ceph_pool") in rbd["depends_on"]
    assert rbd["lifecycle"] == {"prevent_destroy": True} and rbd["allow_destroy"] is False


def test_example_protects_vm_100(example: dict[str, Any]) -> None:
    ha = _only(example, "proxmox_haresource")
    assert ha["resource_id"] == "vm:100"
    assert (ha["max_restart"], ha["max_relocate"]) == (3, 1)
    (vm,) = [v for v in example["resource"]["proxmox_virtual_environment_vm"].values() if not v.get("template")]
    assert (vm["vm_id"], vm["node_name"], vm["cpu"]["type"]) == (100, "pve1", "x86-64-v2-AES")
    (disk,) = vm["disk"]
    (rbd,) = [k for k, v in example["resource"]["pvecdk_storage"].items() if v["type"] == "rbd"]
    assert disk["datastore_id"] == f"${{pvecdk_storage.{rbd}.id}}", "the VM's disk is on the shared RBD storage"
    rule = _only(example, "proxmox_harule")  # PVE 9.1: node preferences are an HA rule, not a group
    assert (rule["type"], rule["nodes"], rule["strict"]) == ("node-affinity", {"pve1": 2, "pve2": 1}, False)
    assert "proxmox_hagroup" not in example["resource"]


def test_example_vm_boots_from_a_clone_of_a_template_imported_from_a_cloud_image(example: dict[str, Any]) -> None:
    # The image: downloaded once (NFS is shared), as import content, its checksum verified by PVE.
    image = _only(example, "proxmox_download_file")
    assert (image["content_type"], image["node_name"], image["checksum_algorithm"]) == ("import", "pve1", "sha512")
    assert image["file_name"].endswith(".qcow2") and image["url"].startswith("https://cloud.debian.org/")
    assert len(image["checksum"]) == 128 and image["datastore_id"].startswith("${proxmox_storage_nfs.")
    # The template: its disk imported from that image onto RBD, with a cloud-init drive, serial console, agent.
    vms = example["resource"]["proxmox_virtual_environment_vm"]
    ((template_key, template),) = [(k, v) for k, v in vms.items() if v.get("template")]
    (image_key,) = example["resource"]["proxmox_download_file"]
    assert (template["vm_id"], template["started"]) == (9000, False)
    (root,) = template["disk"]
    assert root["import_from"] == f"${{proxmox_download_file.{image_key}.id}}"
    assert root["interface"] == "scsi0" and root["datastore_id"].startswith("${pvecdk_storage.")
    assert template["initialization"]["interface"] == "ide2"
    assert template["serial_device"] == [{"device": "socket"}] and template["vga"] == {"type": "serial0"}
    assert template["agent"] == {"enabled": True}
    # The VM: a full clone of the template (a reference, so it is created after it), its disk grown to 32 GiB,
    # its own cloud-init user, key (a variable) and address.
    (vm,) = [v for v in vms.values() if not v.get("template")]
    assert vm["clone"]["vm_id"] == f"${{proxmox_virtual_environment_vm.{template_key}.vm_id}}"
    assert vm["clone"]["full"] is True and "node_name" not in vm["clone"], "the template is on the VM's node"
    assert [(d["interface"], d["size"]) for d in vm["disk"]] == [("scsi0", 32)]
    init = vm["initialization"]
    assert init["user_account"] == {"username": "ops", "keys": ["${var.vm_ssh_public_key}"]}
    assert init["ip_config"] == [{"ipv4": {"address": "10.10.0.10/24", "gateway": "10.10.0.1"}}]
    assert "default" not in example["variable"]["vm_ssh_public_key"], "the key is the operator's to give"


def test_example_vm_is_on_a_tenant_network(example: dict[str, Any]) -> None:
    zone = _only(example, "proxmox_sdn_zone_simple")
    assert (zone["id"], zone["dhcp"]) == ("tenants", "dnsmasq")
    vnet = _only(example, "proxmox_sdn_vnet")
    assert vnet["id"] == "web"
    subnet = _only(example, "proxmox_sdn_subnet")
    assert (subnet["cidr"], subnet["gateway"], subnet["snat"]) == ("10.10.0.0/24", "10.10.0.1", True)
    assert ipaddress.ip_address(subnet["dhcp_range"]["start_address"]) in ipaddress.ip_network(subnet["cidr"])
    ((applier_name, applier),) = [(k, v) for k, v in example["resource"]["proxmox_sdn_applier"].items()
                                  if "_Sdn_Applier_" in k]
    assert len(applier["lifecycle"]["replace_triggered_by"]) == 3, "applied after the zone, VNet and subnet"
    (vm,) = [v for v in example["resource"]["proxmox_virtual_environment_vm"].values() if not v.get("template")]
    assert [n["bridge"] for n in vm["network_device"]] == ["web"]
    assert ipaddress.ip_address(vm["initialization"]["ip_config"][0]["ipv4"]["address"].split("/")[0]) in \
        ipaddress.ip_network(subnet["cidr"]), "the VM's static address is on the tenant subnet"
    assert f"proxmox_sdn_applier.{applier_name}" in vm["depends_on"], "the VM starts once the VNet exists"


def test_example_vm_100_moves_by_migration_and_ha_places_it(example: dict[str, Any]) -> None:
    (vm_address, vm), = [(k, v) for k, v in example["resource"]["proxmox_virtual_environment_vm"].items()
                         if not v.get("template")]
    assert vm["lifecycle"] == {"ignore_changes": ["node_name"]}, "bpg never replaces it for a node change"
    placement = _only(example, "pvecdk_guest_placement")
    assert (placement["vm_id"], placement["type"], placement["node_name"]) == (100, "qemu", "pve1")
    assert placement["ha_managed"] is True, "under HA: the HA manager places it, the placement never migrates it"
    assert placement["endpoints"] == {f"pve{i}": f"https://192.168.1.1{i}:8006" for i in (1, 2, 3)}
    assert placement["depends_on"] == [f"proxmox_virtual_environment_vm.{vm_address}"]
    assert "guest_address" not in placement, "bpg follows a VM wherever it runs: no re-adoption to name"


def test_example_backs_up_nightly_to_nfs(example: dict[str, Any]) -> None:
    job = _only(example, "proxmox_backup_job")
    assert job["schedule"] == "02:00"
    assert job["mode"] == "snapshot"
    assert job["storage"].startswith("${proxmox_storage_nfs.")
    nfs = _only(example, "proxmox_storage_nfs")
    assert "backup" in nfs["content"], "the backup target must hold backups"
    assert (job["all"], job["compress"]) == (True, "zstd")
    assert job["prune_backups"] == {"keep-daily": "7", "keep-weekly": "4", "keep-monthly": "6"}


def test_example_sends_metrics_with_a_secret_token(example: dict[str, Any]) -> None:
    server = _only(example, "proxmox_metrics_server")
    assert (server["type"], server["influx_db_proto"], server["influx_verify"]) == ("influxdb", "https", True)
    assert server["influx_token"] == "${var.influxdb_token}"
    assert example["variable"]["influxdb_token"]["sensitive"] is True


def test_example_automation_token_is_least_privilege(example: dict[str, Any]) -> None:
    token = _only(example, "proxmox_user_token")
    assert token["privileges_separation"] is True
    acl = _only(example, "proxmox_acl")
    assert acl["token_id"] == "automation@pve!pvecdk" and acl["path"] == "/"
    role = _only(example, "proxmox_virtual_environment_role")
    assert "Permissions.Modify" not in role["privileges"] and "User.Modify" not in role["privileges"]
    (output,) = [o for o in example["output"].values()]
    assert output["sensitive"] is True


def test_example_forms_the_cluster_through_the_pvecdk_provider(example: dict[str, Any]) -> None:
    assert example["terraform"]["required_providers"]["pvecdk"] == {"source": "pvecdk/pvecdk", "version": "0.1.0"}
    membership = _only(example, "pvecdk_cluster")
    assert membership["name"] == "pve-cluster"
    assert [(k, m["node_id"], m["addresses"][0]) for k, m in membership["member"].items()] == [
        ("pve1", 1, "10.0.0.11"), ("pve2", 2, "10.0.0.12"), ("pve3", 3, "10.0.0.13")]
    options = _only(example, "proxmox_cluster_options")
    assert options["depends_on"] == [f"pvecdk_cluster.{next(iter(example['resource']['pvecdk_cluster']))}"]
