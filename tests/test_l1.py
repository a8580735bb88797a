"""The generated L1 classes: construction checks, tokens, synthesis (JSON and HCL) and references."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pvecdk import ConfigError, _cdk
from pvecdk.bpg import (
    backup_job,
    ceph_pool,
    data_proxmox_virtual_environment_vms,
    provider,
    storage_nfs,
    virtual_environment_hosts,
    virtual_environment_storage_nfs,
    virtual_environment_vm,
)

NFS = {"id": "nfs", "server": "192.168.1.100", "export": "/srv/nfs"}


def synth(stack: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_cdk.Testing.synth(stack))
    return data


def resource(stack: Any, tf_type: str, name: str) -> dict[str, Any]:
    item: dict[str, Any] = synth(stack)["resource"][tf_type][name]
    item.pop("//", None)
    return item


def children(stack: Any) -> list[str]:
    return [c.node.id for c in stack.node.children]


# ----------------------------------------------------------------------------------------------- good input


def test_required_and_optional_arguments_are_synthesized(stack: Any) -> None:
    storage_nfs.StorageNfs(stack, "nfs", **NFS, content=["images", "iso"], backups={"keep_daily": 7})
    assert resource(stack, "proxmox_storage_nfs", "nfs") == {
        **NFS,
        "content": ["images", "iso"],
        "backups": {"keep_daily": 7},
    }


def test_struct_classes_and_dicts_synthesize_alike(stack: Any) -> None:
    storage_nfs.StorageNfs(stack, "a", **NFS, backups=storage_nfs.StorageNfsBackups(keep_last=2))
    storage_nfs.StorageNfs(stack, "b", **NFS, backups={"keep_last": 2})
    assert resource(stack, "proxmox_storage_nfs", "a") == resource(stack, "proxmox_storage_nfs", "b")


def test_list_blocks_and_single_item_blocks(stack: Any) -> None:
    vm = virtual_environment_vm
    vm.VirtualEnvironmentVm(
        stack,
        "vm",
        node_name="pve1",
        cpu=vm.VirtualEnvironmentVmCpu(cores=4, type="x86-64-v2-AES"),
        disk=[{"interface": "scsi0", "size": 32}, vm.VirtualEnvironmentVmDisk(interface="scsi1", size=64)],
    )
    out = resource(stack, "proxmox_virtual_environment_vm", "vm")
    assert out["cpu"] == {"cores": 4, "type": "x86-64-v2-AES"}, "a one-item block is one object"
    assert out["disk"] == [{"interface": "scsi0", "size": 32}, {"interface": "scsi1", "size": 64}]


def test_meta_arguments_pass_through(stack: Any) -> None:
    first = storage_nfs.StorageNfs(stack, "first", **NFS)
    ceph_pool.CephPool(stack, "pool", name="p", node_name="pve1", depends_on=[first], count=2)
    out = resource(stack, "proxmox_ceph_pool", "pool")
    assert out["depends_on"] == ["proxmox_storage_nfs.first"]
    assert out["count"] == 2


def _every_meta_argument(stack: Any, suffix: str, **extra: Any) -> None:
    first = storage_nfs.StorageNfs(stack, f"first{suffix}", **NFS)
    alias = provider.ProxmoxProvider(stack, f"other{suffix}", alias=f"other{suffix}")
    ceph_pool.CephPool(stack, f"pool{suffix}", name="p", node_name="pve1", depends_on=[first], count=2,
                       lifecycle=_cdk.TerraformResourceLifecycle(prevent_destroy=True, ignore_changes=["size"]),
                       provider=alias, **extra)


def test_meta_arguments_synthesize_as_cdktfs_own_constructor_writes_them(stack: Any, monkeypatch: Any) -> None:
    # The generated classes create common elements without cdktf's run-time type checks: the result must be
    # what cdktf's constructor makes of the same arguments.
    from pvecdk._l1 import elements

    _every_meta_argument(stack, "")
    monkeypatch.setattr(elements, "_create_element", lambda *args: False)
    _every_meta_argument(stack, "-cdktf")
    pools = synth(stack)["resource"]["proxmox_ceph_pool"]
    ours, theirs = ({k: v for k, v in pools[name].items() if k != "//"} for name in ("pool", "pool-cdktf"))
    assert ours["lifecycle"] == {"prevent_destroy": True, "ignore_changes": ["size"]}
    assert ours["provider"] == "proxmox.other"
    assert (ours["depends_on"], theirs["depends_on"]) == (["proxmox_storage_nfs.first"],
                                                          ["proxmox_storage_nfs.first-cdktf"])
    assert {**ours, "depends_on": None, "provider": None} == {**theirs, "depends_on": None, "provider": None}


def test_common_meta_arguments_skip_cdktfs_constructor(stack: Any, monkeypatch: Any) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("cdktf's TerraformResource constructor was called")

    monkeypatch.setattr(_cdk.TerraformResource, "__init__", refuse)
    _every_meta_argument(stack, "")
    with pytest.raises(AssertionError, match="constructor was called"):  # a dict form is left to cdktf
        ceph_pool.CephPool(stack, "dict-form", name="p", node_name="pve1", lifecycle={"prevent_destroy": True})


def test_rejects_an_address_string_in_depends_on(stack: Any) -> None:
    with pytest.raises(ConfigError) as err:
        ceph_pool.CephPool(stack, "pool", name="p", node_name="pve1", depends_on=["proxmox_storage_nfs.x"])
    (problem,) = err.value.problems
    assert (problem.path, problem.field) == ("test/pool", "depends_on[0]")
    assert "'proxmox_storage_nfs.x'" in problem.problem and "construct itself" in problem.fix


def test_other_meta_argument_forms_are_left_to_cdktf(stack: Any) -> None:
    pool = ceph_pool.CephPool(stack, "dict-form", name="p", node_name="pve1", lifecycle={"prevent_destroy": True})
    assert synth(stack)["resource"]["proxmox_ceph_pool"]["dict-form"]["lifecycle"] == {"prevent_destroy": True}
    assert pool.node.id == "dict-form"


def test_tokens_pass_wherever_a_value_may_be_computed(stack: Any) -> None:
    nfs = storage_nfs.StorageNfs(stack, "nfs", **NFS)
    size = _cdk.TerraformVariable(stack, "size", type="number")
    flag = _cdk.TerraformVariable(stack, "flag", type="bool")
    names = _cdk.TerraformVariable(stack, "names", type="list(string)")
    ceph_pool.CephPool(
        stack, "pool", name=nfs.id, node_name="pve1", size=size.number_value, add_storages=flag.boolean_value
    )
    storage_nfs.StorageNfs(stack, "other", id="o", server="s", export="/e", nodes=names.list_value,
                           disable=_cdk.Token.as_any(flag.boolean_value))
    pool = resource(stack, "proxmox_ceph_pool", "pool")
    assert pool == {
        "name": "${proxmox_storage_nfs.nfs.id}",
        "node_name": "pve1",
        "size": "${var.size}",
        "add_storages": "${var.flag}",
    }
    assert resource(stack, "proxmox_storage_nfs", "other")["nodes"] == "${var.names}"


def test_a_string_token_is_accepted_for_a_number(stack: Any) -> None:
    size = _cdk.TerraformVariable(stack, "size", type="number")
    ceph_pool.CephPool(stack, "pool", name="p", node_name="pve1", size=_cdk.Token.as_string(size.number_value))
    assert resource(stack, "proxmox_ceph_pool", "pool")["size"] == "${var.size}"


def test_setters_put_and_reset(stack: Any) -> None:
    nfs = storage_nfs.StorageNfs(stack, "nfs", **NFS, options="vers=4.2")
    nfs.content = ["backup"]
    nfs.put_backups(keep_weekly=4)
    nfs.reset_options()
    assert nfs.content_input == ["backup"]
    assert nfs.options_input is None
    assert nfs.backups_input == storage_nfs.StorageNfsBackups(keep_weekly=4)
    out = resource(stack, "proxmox_storage_nfs", "nfs")
    assert out["content"] == ["backup"] and out["backups"] == {"keep_weekly": 4} and "options" not in out


def test_renamed_attribute_keeps_its_terraform_name(stack: Any) -> None:
    backup_job.BackupJob(stack, "job", id="j", schedule="02:00", storage="nfs", node_attribute="pve1")
    assert resource(stack, "proxmox_backup_job", "job")["node"] == "pve1"


def test_provider_block(stack: Any) -> None:
    token = _cdk.TerraformVariable(stack, "token", type="string", sensitive=True)
    provider.ProxmoxProvider(
        stack,
        "pve",
        endpoint="https://pve1.example.org:8006/",
        api_token=token.string_value,
        ssh={"agent": True, "node_attribute": [{"name": "pve1", "address": "10.0.0.11"}]},
        alias="second",
    )
    (block,) = synth(stack)["provider"]["proxmox"]
    assert block["api_token"] == "${var.token}"
    assert block["ssh"] == {"agent": True, "node": [{"address": "10.0.0.11", "name": "pve1"}]}
    assert block["alias"] == "second"


def test_data_source(stack: Any) -> None:
    data_proxmox_virtual_environment_vms.DataProxmoxVirtualEnvironmentVms(stack, "vms", node_name="pve1")
    out = synth(stack)["data"]["proxmox_virtual_environment_vms"]["vms"]
    assert out["node_name"] == "pve1"


# ----------------------------------------------------------------------------------------------- references


def test_attribute_getters_refer_to_the_resource(stack: Any) -> None:
    vm = virtual_environment_vm.VirtualEnvironmentVm(stack, "vm", node_name="pve1")
    hosts_file = virtual_environment_hosts.VirtualEnvironmentHosts(
        stack, "hosts", node_name="pve1", entry=[{"address": "10.0.0.11", "hostnames": ["a"]}]
    )
    refs = {
        "id": vm.id,
        "cores": vm.cpu.cores,
        "disk_size": vm.disk.get(1).size,
        "mac": vm.network_device.get(0).mac_address,
        "ipv4": vm.ipv4_addresses,
        "entry": hosts_file.entries.get(0).address,
        "digest": hosts_file.digest,
    }
    for key, value in refs.items():
        _cdk.TerraformOutput(stack, key, value=value)
    outputs = {k: v["value"] for k, v in synth(stack)["output"].items()}
    assert outputs == {
        "id": "${proxmox_virtual_environment_vm.vm.id}",
        "cores": "${proxmox_virtual_environment_vm.vm.cpu[0].cores}",
        "disk_size": "${proxmox_virtual_environment_vm.vm.disk[1].size}",
        "mac": "${proxmox_virtual_environment_vm.vm.network_device[0].mac_address}",
        "ipv4": "${proxmox_virtual_environment_vm.vm.ipv4_addresses}",
        "entry": "${proxmox_virtual_environment_hosts.hosts.entries[0].address}",
        "digest": "${proxmox_virtual_environment_hosts.hosts.digest}",
    }


def test_set_items_are_read_through_tolist(stack: Any) -> None:
    from pvecdk.bpg import data_proxmox_virtual_environment_user

    user = data_proxmox_virtual_environment_user.DataProxmoxVirtualEnvironmentUser(stack, "u", user_id="a@pve")
    _cdk.TerraformOutput(stack, "role", value=user.acl.get(0).role_id)
    value = synth(stack)["output"]["role"]["value"]
    assert value == "${element(tolist(data.proxmox_virtual_environment_user.u.acl), 0).role_id}"


# ----------------------------------------------------------------------------------------------- HCL


def test_hcl_shows_every_attribute(stack: Any) -> None:
    vm = virtual_environment_vm
    storage_nfs.StorageNfs(stack, "nfs", **NFS, content=["images", "iso"], backups={"keep_daily": 7},
                           disable=False)
    vm.VirtualEnvironmentVm(stack, "vm", node_name="pve1", cpu={"cores": 2}, tags=["a"],
                            disk=[{"interface": "scsi0", "size": 8}, {"interface": "scsi1", "size": 9}])
    hcl = _cdk.Testing.synth_hcl(stack)
    nfs_block = hcl.split('resource "proxmox_storage_nfs" "nfs" {')[1].split("resource ")[0]
    for line in ['export = "/srv/nfs"', 'id = "nfs"', 'server = "192.168.1.100"', "disable = false",
                 "keep_daily = 7", '"images"', '"iso"']:
        assert line in nfs_block
    assert "backups {" in nfs_block
    vm_block = hcl.split('resource "proxmox_virtual_environment_vm" "vm" {')[1]
    assert vm_block.count("disk {") == 2 and "cpu {" in vm_block and "cores = 2" in vm_block
    assert 'node_name = "pve1"' in vm_block and '"a"' in vm_block


# ----------------------------------------------------------------------------------------------- bad input


def problems(excinfo: pytest.ExceptionInfo[ConfigError]) -> list[tuple[str, str, str | None]]:
    return [(p.path, p.field, p.type) for p in excinfo.value.problems]


def test_rejects_unknown_argument(stack: Any) -> None:
    with pytest.raises(ConfigError) as excinfo:
        storage_nfs.StorageNfs(stack, "nfs", **NFS, serverr="x")  # type: ignore[call-arg]
    assert problems(excinfo) == [("test/nfs", "serverr", "proxmox_storage_nfs")]
    assert excinfo.value.problems[0].fix == "did you mean server"
    assert children(stack) == [], "nothing is added to the tree"


def test_rejects_missing_required_argument(stack: Any) -> None:
    with pytest.raises(ConfigError) as excinfo:
        storage_nfs.StorageNfs(stack, "nfs", id="nfs", export="/srv")  # type: ignore[call-arg]
    assert problems(excinfo) == [("test/nfs", "server", "proxmox_storage_nfs")]
    assert "missing required argument" in str(excinfo.value)
    assert children(stack) == []


def test_rejects_wrong_type(stack: Any) -> None:
    with pytest.raises(ConfigError) as excinfo:
        ceph_pool.CephPool(stack, "pool", name="p", node_name="pve1", size="three")
    (problem,) = excinfo.value.problems
    assert (problem.field, problem.type) == ("size", "proxmox_ceph_pool")
    assert problem.problem == "expected a number, got string 'three'"
    assert children(stack) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"content": "images"}, "content"),
        ({"content": ["images", 3]}, "content[1]"),
        ({"disable": "yes"}, "disable"),
        ({"backups": {"keep_daily": "7"}}, "backups.keep_daily"),
        ({"backups": {"keep_dialy": 7}}, "backups.keep_dialy"),
        ({"backups": [1, 2]}, "backups"),
    ],
)
def test_rejects_wrong_nested_types(stack: Any, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        storage_nfs.StorageNfs(stack, "nfs", **NFS, **kwargs)
    assert [p.field for p in excinfo.value.problems] == [field]


def test_rejects_too_many_blocks(stack: Any) -> None:
    disks = [{"interface": f"scsi{i}", "size": 1} for i in range(32)]
    with pytest.raises(ConfigError) as excinfo:
        virtual_environment_vm.VirtualEnvironmentVm(stack, "vm", node_name="pve1", disk=disks)
    (problem,) = excinfo.value.problems
    assert problem.field == "disk" and "at most 31" in problem.problem and problem.fix == "remove 1"


def test_rejects_two_items_in_a_one_item_block(stack: Any) -> None:
    with pytest.raises(ConfigError) as excinfo:
        virtual_environment_vm.VirtualEnvironmentVm(stack, "vm", node_name="pve1", cpu=[{"cores": 1}, {"cores": 2}])
    assert [p.field for p in excinfo.value.problems] == ["cpu"]


def test_reports_every_problem_at_once(stack: Any) -> None:
    with pytest.raises(ConfigError) as excinfo:
        storage_nfs.StorageNfs(stack, "nfs", id=1, server=2, export="/e", disable="no")  # type: ignore[arg-type]
    assert sorted(p.field for p in excinfo.value.problems) == ["disable", "id", "server"]
    assert str(excinfo.value).startswith("3 problems in the configuration\n")


def test_message_shape(stack: Any) -> None:
    with pytest.raises(ConfigError) as excinfo:
        ceph_pool.CephPool(stack, "pool", name="p", node_name="pve1", min_size=True)
    assert str(excinfo.value) == (
        "1 problem in the configuration\n"
        "  test/pool (proxmox_ceph_pool): min_size: expected a number, got bool True; pass a number"
    )


def test_setter_checks_too(stack: Any) -> None:
    nfs = storage_nfs.StorageNfs(stack, "nfs", **NFS)
    with pytest.raises(ConfigError) as excinfo:
        nfs.content = "images"  # type: ignore[assignment]
    assert problems(excinfo) == [("test/nfs", "content", "proxmox_storage_nfs")]
    assert "content" not in resource(stack, "proxmox_storage_nfs", "nfs")


def test_rejects_a_literal_secret_without_showing_it(stack: Any) -> None:
    secret = "root@pam!ci=0b1e2c3d-not-a-real-token"
    with pytest.raises(ConfigError) as excinfo:
        provider.ProxmoxProvider(stack, "pve", endpoint="https://pve1:8006/", api_token=secret)
    (problem,) = excinfo.value.problems
    assert problem.field == "api_token"
    assert "TerraformVariable" in problem.fix
    assert secret not in str(excinfo.value) and secret not in repr(excinfo.value.problems)


def test_rejects_a_literal_secret_in_a_nested_block(stack: Any) -> None:
    with pytest.raises(ConfigError) as excinfo:
        provider.ProxmoxProvider(stack, "pve", ssh={"private_key": "-----BEGIN KEY-----"})
    assert [p.field for p in excinfo.value.problems] == ["ssh.private_key"]
    assert "BEGIN KEY" not in str(excinfo.value)


# ----------------------------------------------------------------------------------------------- aliases


def test_deprecated_alias_warns_and_keeps_its_type(stack: Any) -> None:
    with pytest.warns(DeprecationWarning, match="use proxmox_storage_nfs"):
        virtual_environment_storage_nfs.VirtualEnvironmentStorageNfs(stack, "old", **NFS)
    assert resource(stack, "proxmox_virtual_environment_storage_nfs", "old") == NFS
    assert virtual_environment_storage_nfs.VirtualEnvironmentStorageNfsBackups is storage_nfs.StorageNfsBackups


def test_import_block(stack: Any) -> None:
    storage_nfs.StorageNfs.generate_config_for_import(stack, "existing", "nfs-storage")
    config = synth(stack)
    assert config["import"] == [{"id": "nfs-storage", "to": "proxmox_storage_nfs.existing"}]


# ----------------------------------------------------------------------------------------------- every type


def _all_types() -> list[tuple[str, str, str]]:
    from pvecdk import bpg

    return [(kind, tf_type, f"{module}.{cls}") for (kind, tf_type), (module, cls) in bpg.TYPES.items()]


@pytest.mark.parametrize(("kind", "tf_type", "where"), _all_types())
def test_every_type_synthesizes_its_required_arguments(kind: str, tf_type: str, where: str) -> None:
    from built_stacks import build_minimal

    stack = _cdk.TerraformStack(_cdk.Testing.app(), "test")
    build_minimal(stack, kind, tf_type)
    config = synth(stack)
    section = {"resource": "resource", "data": "data", "provider": "provider"}[kind]
    assert tf_type in config[section]
    assert "it" in _cdk.Testing.synth_hcl(stack) or kind == "provider"
