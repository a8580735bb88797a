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
            cluster_address=f"10.10.0.{i}", storage_address=f"172.16.10.{i}", migration_address=f"10.20.0.{i}")
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


BUILT_STACKS = {
    "cluster-features": cluster_features_stack,
    "secrets": secret_stack,
    "every-type": every_type_stack,
    "references": references_stack,
}
