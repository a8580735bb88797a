"""The library's constructs, synthesized and checked with pvecdk.testing."""

from __future__ import annotations

from typing import Any

import pytest
from pvecdk import Cluster, ConfigError, ContentType, DirStorage, NfsStorage, testing

from pvecdk_tenants import OPERATOR_PRIVILEGES, Size, StandardVm, TenantSpace


def build(stack: Any, name: str) -> tuple[Cluster, Any, Any]:
    cluster = Cluster(stack, "Cluster", name="lab", management_network="192.168.1.0/24",
                      cluster_network="10.0.0.0/24")
    for i in (1, 2, 3):
        cluster.add_node(f"pve{i}", node_id=i, management_interface="eno1", management_address=f"192.168.1.1{i}",
                         cluster_address=f"10.0.0.1{i}", cluster_interface="eno2")
    nfs = NfsStorage(stack, "nfs", server="192.168.1.100", export="/srv/pve",
                     content=[ContentType.IMAGES, ContentType.BACKUP])
    return cluster, nfs, TenantSpace(stack, "web", name=name, zone="tenants", vlan=120)


def test_a_space_grants_its_group_the_operator_role_on_its_pool_and_vnet() -> None:
    stack = testing.stack("team")
    _, nfs, space = build(stack, "web")
    space.back_up_to(nfs)
    config = testing.synth(stack)
    assert testing.resource(config, "proxmox_virtual_environment_pool")["pool_id"] == "web"
    assert testing.resource(config, "proxmox_virtual_environment_role")["privileges"] == sorted(OPERATOR_PRIVILEGES)
    acls = {a["path"]: a["role_id"] for a in testing.resources(config, "proxmox_acl")}
    assert set(acls) == {"/pool/web", "/sdn/zones/tenants/web"}
    assert acls["/sdn/zones/tenants/web"] == "PVESDNUser"
    vnet = testing.resource(config, "proxmox_sdn_vnet")
    assert (vnet["id"], vnet["zone"], vnet["tag"]) == ("web", "tenants", 120)
    backup = testing.resource(config, "proxmox_backup_job")
    assert (backup["id"], backup["storage"], backup["all"]) == ("web-backup", "${proxmox_storage_nfs.nfs_8F4679E8.id}",
                                                                False)
    pool = testing.resources(config, "proxmox_virtual_environment_pool")[0]["//"]["metadata"]["uniqueId"]
    assert backup["pool"] == f"${{proxmox_virtual_environment_pool.{pool}.pool_id}}"


def test_a_standard_vm_is_sized_tagged_on_the_vlan_and_under_ha() -> None:
    stack = testing.stack("team")
    cluster, nfs, space = build(stack, "web")
    StandardVm(stack, "web1", space=space, node=cluster.nodes[0], vm_id=2001, storage=nfs, size=Size.MEDIUM,
               ssh_keys=["ssh-ed25519 AAAAC3Nza ops@example"])
    config = testing.synth(stack)
    vm = testing.resource(config, "proxmox_virtual_environment_vm")
    assert (vm["cpu"]["cores"], vm["memory"]["dedicated"], vm["disk"][0]["size"]) == (4, 8192, 64)
    assert vm["tags"] == ["medium", "web"] and vm["network_device"][0]["vlan_id"] == 120
    assert vm["initialization"]["user_account"]["keys"] == ["ssh-ed25519 AAAAC3Nza ops@example"]
    assert testing.resource(config, "proxmox_haresource")["resource_id"] == "vm:2001"
    assert testing.policy_problems(stack) == []


def test_bad_input_names_the_construct_field_and_fix() -> None:
    stack = testing.stack("team")
    with pytest.raises(ConfigError) as caught:
        TenantSpace(stack, "bad", name="Web-Team", zone="tenants", vlan=5000)
    assert str(caught.value).splitlines()[1:] == [
        "  team/bad: name: 'Web-Team' is not a tenant name; use 2-8 lower-case letters and digits, starting with "
        "a letter, such as 'web'",
        "  team/bad: vlan: VLAN 5000 is outside 1-4094; give the team's VLAN tag"]


def test_pvecdk_checks_still_apply_to_a_standard_vm() -> None:
    stack = testing.stack("team")
    cluster, _, space = build(stack, "web")
    iso = DirStorage(stack, "iso", path="/srv/iso", content=[ContentType.ISO])
    with pytest.raises(ConfigError, match="does not hold images"):
        StandardVm(stack, "web1", space=space, node=cluster.nodes[0], vm_id=2001, storage=iso)
