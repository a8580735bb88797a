"""VM templates from cloud images, clones of them with their own cloud-init, containers from downloaded
templates, and the policy's clone rules."""

from __future__ import annotations

from typing import Any

import pytest
from built_stacks import BUILT_STACKS
from conftest import normalise
from lab import Lab, lab, only, policy_errors, resources
from pvecdk import (
    Clone,
    CloudInit,
    ConfigError,
    Container,
    ContentType,
    Disk,
    DownloadedFile,
    IpConfig,
    LvmStorage,
    NetworkInterface,
    NfsStorage,
    Snippet,
    Storage,
    Vm,
    VmTemplate,
)
from pvecdk.policy import check_clones


def _images(lb: Lab) -> Storage:
    return NfsStorage(lb.stack, "images", server="10.0.0.100", export="/srv/images",
                      content=[ContentType.IMPORT, ContentType.ISO, ContentType.VZTMPL, ContentType.SNIPPETS])


def _image(lb: Lab, storage: Storage | None = None, **kw: Any) -> DownloadedFile:
    kw.setdefault("url", "https://cloud.example.org/debian-13-genericcloud-amd64.qcow2")
    return DownloadedFile(lb.stack, kw.pop("id", "debian"), cluster=lb.cluster, storage=storage or _images(lb),
                          checksum="ab" * 64, checksum_algorithm="sha512", **kw)


def _template(lb: Lab, storage: Storage | None = None, *, node: int = 0, vm_id: int = 9000, **kw: Any) -> VmTemplate:
    image = kw.pop("image", None) or _image(lb)
    return VmTemplate(lb.stack, f"tmpl-{vm_id}", node=lb.nodes[node], vm_id=vm_id, image=image,
                      storage=storage or lb.rbd, **kw)


def _vm(lb: Lab, **kw: Any) -> dict[str, Any]:
    """The synthesized VM 100 (``web``)."""
    Vm(lb.stack, "web", vm_id=100, **kw)
    (vm,) = [v for v in resources(lb.stack, "proxmox_virtual_environment_vm") if not v.get("template")]
    return vm


# ------------------------------------------------------------------------------------------------ templates


def test_a_template_imports_its_disk_and_has_cloud_init_serial_console_and_agent() -> None:
    lb = lab()
    template = _template(lb, disk_size_gib=4, cores=2, tags=["template"])
    (res,) = resources(lb.stack, "proxmox_virtual_environment_vm")
    assert (res["template"], res["started"], res["on_boot"], res["vm_id"], res["name"]) == (
        True, False, False, 9000, "tmpl-9000")
    (disk,) = res["disk"]
    assert disk["import_from"].startswith("${proxmox_download_file.debian_") and disk["size"] == 4
    assert (disk["interface"], disk["datastore_id"]) == ("scsi0", "ceph-vm")
    assert res["initialization"] == {"datastore_id": "ceph-vm", "interface": "ide2"}
    assert res["serial_device"] == [{"device": "socket"}] and res["vga"] == {"type": "serial0"}
    assert res["agent"] == {"enabled": True} and res["boot_order"] == ["scsi0"]
    assert lb.cluster.guest(9000) is template and template.volumes == (lb.rbd, lb.rbd)


def test_a_template_takes_its_vmid_from_the_cluster() -> None:
    lb = lab()
    _template(lb)
    with pytest.raises(ConfigError) as excinfo:
        Vm(lb.stack, "web", node=lb.nodes[0], vm_id=9000, disks=[Disk(lb.rbd)])
    assert only(excinfo).field == "vm_id"


def test_rejects_a_template_from_an_iso_image_or_an_image_its_node_lacks() -> None:
    lb = lab()
    iso = _image(lb, url="https://example.org/alpine.iso", id="iso")
    with pytest.raises(ConfigError) as excinfo:
        _template(lb, image=iso)
    p = only(excinfo)
    assert (p.path, p.field) == ("test/tmpl-9000", "image") and "content=ContentType.IMPORT" in p.fix
    local = Storage.from_id(lb.stack, "local-import", storage_type="dir", content=["import"])
    on_pve2 = _image(lb, local, id="debian-pve2", nodes=[lb.nodes[1]])
    with pytest.raises(ConfigError) as excinfo:
        _template(lb, image=on_pve2)
    p = only(excinfo)
    assert p.problem == "debian-pve2 is on local storage local-import of pve2, not of node pve1"


def test_rejects_a_template_disk_on_storage_without_images() -> None:
    lb = lab()
    with pytest.raises(ConfigError) as excinfo:
        _template(lb, lb.nfs)
    assert [(p.field, p.problem.split(" (")[0]) for p in excinfo.value.problems] == [
        ("disks[0].storage", "storage nfs-backup does not hold images"),
        ("cloud_init.storage", "storage nfs-backup does not hold images")]


# --------------------------------------------------------------------------------------------------- clones


def test_a_full_clone_grows_its_disk_and_gets_its_own_cloud_init() -> None:
    lb = lab()
    template = _template(lb, disk_size_gib=8)
    vm = _vm(lb, node=lb.nodes[1], clone=Clone.full(template), disks=[Disk(lb.rbd, size_gib=32)],
             cloud_init=CloudInit(user="ops", ssh_keys=["ssh-ed25519 AAAA ops"], ipv4="10.0.0.50/24",
                                  ipv4_gateway="10.0.0.1"))
    assert vm["clone"]["vm_id"].startswith("${proxmox_virtual_environment_vm.tmpl-9000_")
    assert (vm["clone"]["full"], vm["clone"]["node_name"], vm["clone"]["datastore_id"]) == (True, "pve1", "ceph-vm")
    assert [(d["interface"], d["size"]) for d in vm["disk"]] == [("scsi0", 32)]
    assert vm["initialization"]["user_account"] == {"username": "ops", "keys": ["ssh-ed25519 AAAA ops"]}
    assert vm["initialization"]["ip_config"] == [{"ipv4": {"address": "10.0.0.50/24", "gateway": "10.0.0.1"}}]
    assert vm["initialization"]["datastore_id"] == "ceph-vm"


def test_a_clone_moved_to_another_node_keeps_its_clone_block() -> None:
    # bpg replaces a VM whose clone block changes: the block names the template's node wherever the VM runs, so
    # a move changes only the VM's placement (a migration), as for any guest.
    blocks = []
    for node in (0, 1):
        lb = lab()
        vm = _vm(lb, node=lb.nodes[node], clone=Clone.full(_template(lb)), disks=[Disk(lb.rbd, size_gib=32)])
        blocks.append((vm["clone"], vm["node_name"]))
    assert blocks[0][0] == blocks[1][0] and blocks[0][0]["node_name"] == "pve1"
    assert (blocks[0][1], blocks[1][1]) == ("pve1", "pve2")


def test_a_clone_keeps_the_templates_disk_and_adds_those_given_for_other_slots() -> None:
    lb = lab()
    template = _template(lb, disk_size_gib=10)
    vm = _vm(lb, node=lb.nodes[0], clone=Clone.linked(template), disks=[Disk(lb.rbd, size_gib=50, interface="scsi1")])
    assert "datastore_id" not in vm["clone"] and vm["clone"]["full"] is False and vm["clone"]["node_name"] == "pve1"
    assert [(d["interface"], d["size"], d["datastore_id"]) for d in vm["disk"]] == [
        ("scsi1", 50, "ceph-vm"), ("scsi0", 10, "ceph-vm")]
    assert "initialization" not in vm, "without cloud_init the template's drive stays as it is"


def test_a_disk_given_for_the_templates_slot_may_keep_its_size_but_never_shrink_it() -> None:
    template = _template(lb := lab(), disk_size_gib=8)
    _vm(lb, node=lb.nodes[0], clone=Clone.full(template), disks=[Disk(lb.rbd, size_gib=8)])
    lb = lab()
    template = _template(lb, disk_size_gib=8)
    with pytest.raises(ConfigError) as excinfo:
        Vm(lb.stack, "web", node=lb.nodes[0], vm_id=100, clone=Clone.full(template), disks=[Disk(lb.rbd, size_gib=7)])
    p = only(excinfo)
    assert (p.path, p.field) == ("test/web", "disks[0].size_gib")
    assert p.problem == "PVE only grows a disk: the template's scsi0 is 8 GiB, got 7"


def test_rejects_a_linked_clone_disk_moved_off_the_templates_storage() -> None:
    lb = lab()
    template = _template(lb)
    with pytest.raises(ConfigError) as excinfo:
        Vm(lb.stack, "web", node=lb.nodes[0], vm_id=100, clone=Clone.linked(template),
           disks=[Disk(lb.lvm, size_gib=32)])
    p = only(excinfo)
    assert p.field == "disks[0].storage" and p.fix == "use ceph-vm, or Clone.full(template) to copy it"


def test_rejects_a_template_of_another_cluster() -> None:
    lb = lab()
    other = lab()
    template = _template(other)
    with pytest.raises(ConfigError) as excinfo:
        Vm(lb.stack, "web", node=lb.nodes[0], vm_id=100, clone=Clone.full(template))
    assert only(excinfo).field == "clone"


def test_a_clone_needs_no_disk_of_its_own_for_cloud_init_or_boot_order() -> None:
    lb = lab()
    template = _template(lb)
    vm = _vm(lb, node=lb.nodes[0], clone=Clone.full(template), boot_order=["scsi0"], cloud_init=CloudInit())
    assert vm["initialization"]["datastore_id"] == "ceph-vm" and vm["boot_order"] == ["scsi0"]


def test_cloud_init_gives_each_interface_its_addresses_and_takes_snippets() -> None:
    lb = lab()
    lb.nodes[1].add_bridge("vmbr1", ports=["eno2"])
    template = _template(lb)
    snippets = NfsStorage(lb.stack, "snips", server="10.0.0.100", export="/srv/snippets",
                          content=[ContentType.SNIPPETS])
    vendor = Snippet(lb.stack, "agent", cluster=lb.cluster, storage=snippets, file_name="agent.yaml",
                     data="#cloud-config\npackages: [qemu-guest-agent]\n")
    vm = _vm(lb, node=lb.nodes[1], clone=Clone.full(template),
             networks=[NetworkInterface(), NetworkInterface(bridge="vmbr1")],
             cloud_init=CloudInit(vendor_data=vendor, dns_servers=["10.0.0.1"], interfaces=[
                 IpConfig("10.0.0.50/24", "10.0.0.1", "fd00::50/64", "fd00::1"), IpConfig(ipv4=None, ipv6="auto")]))
    init = vm["initialization"]
    assert init["ip_config"] == [
        {"ipv4": {"address": "10.0.0.50/24", "gateway": "10.0.0.1"},
         "ipv6": {"address": "fd00::50/64", "gateway": "fd00::1"}},
        {"ipv6": {"address": "auto"}}]
    assert init["vendor_data_file_id"].startswith("${proxmox_virtual_environment_file.agent_")
    assert init["dns"]["servers"] == ["10.0.0.1"]


@pytest.mark.parametrize(("cloud_init", "field", "fix"), [
    (CloudInit(interfaces=(IpConfig(), IpConfig())), "cloud_init.interfaces", "at most one IpConfig"),
    (CloudInit(ipv4="10.0.0.5/24", interfaces=(IpConfig(),)), "cloud_init.ipv4", "interfaces[0]"),
    (CloudInit(interfaces=(IpConfig(ipv6="fd00::5"),)), "cloud_init.interfaces[0].ipv6", "fd00::5/64"),
    (CloudInit(interfaces=(IpConfig(ipv4_gateway="gw"),)), "cloud_init.interfaces[0].ipv4_gateway", "10.0.0.1"),
    (CloudInit(interfaces=("dhcp",)), "cloud_init.interfaces[0]", "IpConfig"),
    (CloudInit(vendor_data="local:snippets/v.yaml"), "cloud_init.vendor_data", "Snippet"),
])
def test_rejects_cloud_init_settings_the_vm_cannot_take(cloud_init: CloudInit, field: str, fix: str) -> None:
    lb = lab()
    with pytest.raises(ConfigError) as excinfo:
        Vm(lb.stack, "web", node=lb.nodes[0], vm_id=100, disks=[Disk(lb.rbd)], cloud_init=cloud_init)
    p = only(excinfo)
    assert p.field == field and fix in p.fix, p


def test_rejects_a_snippet_the_vms_node_does_not_have() -> None:
    lb = lab()
    local = Storage.from_id(lb.stack, "snips", storage_type="dir", content=["snippets"])
    snippet = Snippet(lb.stack, "user", cluster=lb.cluster, storage=local, file_name="u.yaml", data="#cloud-config\n",
                      nodes=[lb.nodes[0]])
    with pytest.raises(ConfigError) as excinfo:
        Vm(lb.stack, "web", node=lb.nodes[1], vm_id=100, disks=[Disk(lb.rbd)], cloud_init=CloudInit(user_data=snippet))
    p = only(excinfo)
    assert (p.field, p.problem) == ("cloud_init.user_data", "user is on local storage snips of pve1, not of node pve2")


def test_a_container_is_made_from_a_downloaded_template_on_its_node() -> None:
    lb = lab()
    tmpl = _image(lb, lb.local, id="ct", url="http://example.org/debian-12-standard_12.7-1_amd64.tar.zst",
                  nodes=[lb.nodes[2]])
    Container(lb.stack, "dns", node=lb.nodes[2], vm_id=200, template=tmpl, disk=Disk(lb.rbd, size_gib=8))
    (ct,) = resources(lb.stack, "proxmox_virtual_environment_container")
    assert ct["operating_system"]["template_file_id"].startswith("${proxmox_download_file.ct_Resource-pve3_")
    with pytest.raises(ConfigError) as excinfo:
        Container(lb.stack, "dns2", node=lb.nodes[0], vm_id=201, template=tmpl, disk=Disk(lb.rbd, size_gib=8))
    assert only(excinfo).field == "template"
    image = _image(lb)
    with pytest.raises(ConfigError) as excinfo:
        Container(lb.stack, "dns3", node=lb.nodes[0], vm_id=202, template=image, disk=Disk(lb.rbd, size_gib=8))
    p = only(excinfo)
    assert p.field == "template" and "ContentType.VZTMPL" in p.fix


# ---------------------------------------------------------------------------------------------------- policy


def _clone_errors(lb: Lab) -> list[Any]:
    return [f.problem for f in check_clones(lb.cluster) if f.severity == "error"]


def test_a_clone_on_the_templates_node_may_use_its_local_storage() -> None:
    lb = lab()
    template = _template(lb, lb.lvm)
    Vm(lb.stack, "web", node=lb.nodes[0], vm_id=100, clone=Clone.linked(template))
    Vm(lb.stack, "db", node=lb.nodes[0], vm_id=101, clone=Clone.full(template))
    assert _clone_errors(lb) == [] and policy_errors(lb.cluster) == []


def test_a_clone_on_another_node_needs_the_templates_storage_shared() -> None:
    lb = lab()
    local = _template(lb, lb.lvm)
    shared = _template(lb, lb.rbd, vm_id=9001, image=local.image)
    Vm(lb.stack, "a", node=lb.nodes[1], vm_id=100, clone=Clone.full(local))
    Vm(lb.stack, "b", node=lb.nodes[2], vm_id=101, clone=Clone.linked(local))
    Vm(lb.stack, "c", node=lb.nodes[2], vm_id=102, clone=Clone.linked(shared))
    problems = _clone_errors(lb)
    assert [(p.path, p.field) for p in problems] == [("test/a", "clone"), ("test/b", "clone")]
    assert problems[0].problem == ("template 9000's storage local-lvm (lvmthin) is local to pve1, so pve2 cannot "
                                   "clone it (PVE clones to another node only from shared storage)")
    assert problems[0].fix == "put the VM on pve1, or the template on shared storage pve2 has"
    assert {p.path for p in policy_errors(lb.cluster)} == {"test/a", "test/b"}, "enforced with the other rules"


def test_a_clone_needs_shared_storage_defined_on_its_node() -> None:
    lb = lab()
    nfs = NfsStorage(lb.stack, "vmstore", server="10.0.0.100", export="/srv/vm", content=[ContentType.IMAGES],
                     nodes=[lb.nodes[0], lb.nodes[1]])
    template = _template(lb, nfs)
    Vm(lb.stack, "ok", node=lb.nodes[1], vm_id=100, clone=Clone.full(template))
    Vm(lb.stack, "bad", node=lb.nodes[2], vm_id=101, clone=Clone.full(template))
    (problem,) = _clone_errors(lb)
    assert problem.path == "test/bad" and "vmstore is not defined on pve3" in problem.problem


def test_a_linked_clone_needs_storage_that_clones_a_base_volume() -> None:
    lb = lab()
    thick = LvmStorage(lb.stack, "san", volume_group="vg_san", shared=True)
    template = _template(lb, thick, cloud_init_storage=lb.rbd)
    Vm(lb.stack, "full", node=lb.nodes[1], vm_id=100, clone=Clone.full(template))
    Vm(lb.stack, "linked", node=lb.nodes[1], vm_id=101, clone=Clone.linked(template))
    (problem,) = _clone_errors(lb)
    assert (problem.path, problem.field) == ("test/linked", "clone")
    assert problem.problem == ("a linked clone needs storage that clones a base volume, and template 9000's storage "
                               "san is lvm")


# ------------------------------------------------------------------------------------------------- snapshot


def test_booting_guests_snapshot(synth: Any, snapshot_json: Any) -> None:
    config = synth(BUILT_STACKS["booting-guests"], "booting-guests")
    assert normalise(config) == snapshot_json
    res = config["resource"]
    downloads = res["proxmox_download_file"].values()
    assert sorted((d["file_name"], d["node_name"]) for d in downloads if d["datastore_id"] == "local") == [
        ("alpine-virt-3.21.iso", "pve1"), ("alpine-virt-3.21.iso", "pve2"),
        ("debian-12-standard_12.7-1_amd64.tar.zst", "pve1"), ("debian-12-standard_12.7-1_amd64.tar.zst", "pve2"),
        ("debian-12-standard_12.7-1_amd64.tar.zst", "pve3")]
    assert sum(1 for d in downloads if d["datastore_id"] != "local") == 2, "shared storage: one download each"
    vms = {v["name"]: v for v in res["proxmox_virtual_environment_vm"].values()}
    assert vms["debian-13-template"]["template"] and vms["ubuntu-template"]["template"]
    assert (vms["web"]["clone"]["full"], vms["web"]["clone"]["node_name"]) == (True, "pve1")
    assert [d["size"] for d in vms["web"]["disk"]] == [20, 50]
    assert vms["lab"]["clone"]["full"] is False and vms["lab"]["initialization"]["user_data_file_id"] == (
        "local:snippets/lab-user.yaml")
    (ct,) = res["proxmox_virtual_environment_container"].values()
    assert ct["operating_system"]["template_file_id"].startswith("${proxmox_download_file.debian-ct_Resource-pve3_")


def test_a_template_s_interfaces_carry_what_a_vm_s_do() -> None:
    lb = lab()
    nic = NetworkInterface(vlan_id=20, mac_address="BC:24:11:00:00:01", rate_limit_mbps=100, mtu=1450, model="e1000")
    _template(lb, networks=[NetworkInterface(), nic])
    (template,) = [v for v in resources(lb.stack, "proxmox_virtual_environment_vm") if v.get("template")]
    device = template["network_device"][1]
    assert (device["vlan_id"], device["mac_address"], device["rate_limit"], device["mtu"], device["model"]) == (
        20, "BC:24:11:00:00:01", 100, 1450, "e1000"), "no interface setting is dropped from a template"
    assert template["network_device"][0]["bridge"] == "vmbr0"
