"""Several clusters in one stack: each on its own provider configurations, and no reference across them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from built_stacks import two_clusters_stack
from pvecdk import (
    BackupJob,
    Cluster,
    ConfigError,
    ContentType,
    Disk,
    HaOptions,
    NetworkRole,
    NfsStorage,
    Vm,
    _cdk,
)
from pvecdk.bpg import provider

from stacks import STACKS


def synth(stack: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_cdk.Testing.synth(stack))
    return data


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("out")
    app = _cdk.App(outdir=str(out))
    two_clusters_stack(app, "two")
    app.synth()  # the written file keeps each resource's construct path
    data: dict[str, Any] = json.loads((out / "stacks" / "two" / "cdk.tf.json").read_text())
    return data


def _cluster_of(path: str) -> str:
    """Which cluster a resource of the two-cluster stack belongs to, by the construct that made it."""
    top = path.split("/")[1]
    return {"Prod": "prod", "prod-db": "prod", "Lab": "lab", "lab-nfs": "lab", "lab-web": "lab",
            "lab-nightly": "lab"}[top]


def test_every_resource_uses_its_own_clusters_configuration(two: dict[str, Any]) -> None:
    seen = {"prod": set(), "lab": set()}
    for tf_type, items in two["resource"].items():
        for name, item in items.items():
            cluster = _cluster_of(item["//"]["metadata"]["path"])
            family = "pvecdk" if tf_type.startswith("pvecdk_") else "proxmox"
            assert item.get("provider") == f"{family}.{cluster}", (tf_type, name)
            seen[cluster].add(tf_type)
    assert {"pvecdk_cluster", "pvecdk_ceph", "pvecdk_storage", "proxmox_virtual_environment_vm",
            "proxmox_haresource", "proxmox_ceph_pool"} <= seen["prod"]
    assert {"pvecdk_cluster", "proxmox_storage_nfs", "proxmox_virtual_environment_vm",
            "proxmox_backup_job", "proxmox_virtual_environment_cluster_firewall"} <= seen["lab"]


def test_each_cluster_has_a_configuration_of_both_providers(two: dict[str, Any]) -> None:
    bpg = {p["alias"]: p for p in two["provider"]["proxmox"]}
    ours = {p["alias"]: p for p in two["provider"]["pvecdk"]}
    assert sorted(bpg) == sorted(ours) == ["lab", "prod"], "no default configuration is left over"
    for alias in ("lab", "prod"):
        assert ours[alias]["endpoint"] == bpg[alias]["endpoint"], "the same API for both providers"
    assert ours["lab"]["api_token"] == bpg["lab"]["api_token"] == "${var.lab_api_token}"
    assert "api_token" not in ours["prod"], "prod's token comes from the environment, as for its bpg provider"


def test_one_cluster_stack_keeps_the_default_configurations() -> None:
    config = synth(STACKS["example-cluster"](_cdk.Testing.app(), "one"))
    assert [p.get("alias") for p in config["provider"]["proxmox"]] == [None]
    assert [p.get("alias") for p in config["provider"]["pvecdk"]] == [None]
    assert not [name for items in config["resource"].values() for name, r in items.items() if "provider" in r]


# ------------------------------------------------------------------------------------------- refusals


def _two(scope_name: str = "t") -> tuple[Any, Cluster, Cluster, Any]:
    """prod (with Ceph and its RBD storage) and lab, each on its own configurations."""
    stack = _cdk.TerraformStack(_cdk.Testing.app(), scope_name)
    made = []
    for cid, alias, net in (("Prod", "prod", 1), ("Lab", "lab", 2)):
        c = Cluster(stack, cid, name=alias, management_network=f"192.168.{net}.0/24",
                    storage_network=f"172.16.{net}.0/24",
                    provider=provider.ProxmoxProvider(stack, alias, alias=alias))
        for i in (1, 2, 3):
            c.add_node(f"{alias}{i}", management_interface="eno1", management_address=f"192.168.{net}.{10 + i}",
                       storage_address=f"172.16.{net}.{10 + i}", storage_interface="eno3")
        made.append(c)
    prod, lab = made
    ceph = prod.enable_ceph(public_network=NetworkRole.STORAGE)
    return stack, prod, lab, ceph.add_pool("vm-pool").as_storage()


def _problem(excinfo: Any) -> tuple[str, str, str, str]:
    (problem,) = excinfo.value.problems
    return problem.path, problem.field, problem.problem, problem.fix


def test_rejects_a_guest_whose_disk_is_on_another_clusters_storage() -> None:
    stack, _, lab, rbd = _two()
    with pytest.raises(ConfigError) as excinfo:
        Vm(stack, "lab-vm", node=lab.nodes[0], vm_id=100, disks=[Disk(rbd, size_gib=8)])
    path, field, what, fix = _problem(excinfo)
    assert (path, field) == ("t/lab-vm", "disks[0].storage")
    assert "belongs to cluster prod" in what and "lab1 of cluster lab" in what
    assert "use a storage of lab" in fix
    assert stack.node.try_find_child("lab-vm") is None, "nothing was added"


def test_rejects_an_ha_preference_for_another_clusters_node() -> None:
    stack, prod, lab, rbd = _two()
    with pytest.raises(ConfigError) as excinfo:
        Vm(stack, "db", node=prod.nodes[0], vm_id=100, disks=[Disk(rbd)], ha=HaOptions(prefer=[lab.nodes[0]]))
    path, field, what, _ = _problem(excinfo)
    assert path == "t/Prod/Ha/vm:100" and "prefer" in field and "not in cluster prod" in what


def test_rejects_a_backup_of_one_clusters_guests_to_another_clusters_storage() -> None:
    stack, prod, lab, _ = _two()
    nfs = NfsStorage(stack, "prod-nfs", server="192.168.1.100", export="/srv/b", content=[ContentType.BACKUP],
                     cluster=prod)
    with pytest.raises(ConfigError) as excinfo:
        BackupJob(stack, "lab-nightly", storage=nfs, node=lab.nodes[0])
    path, field, what, fix = _problem(excinfo)
    assert (path, field) == ("t/lab-nightly", "storage")
    assert "belongs to cluster prod" in what and "cluster lab" in what and "storage of lab" in fix


def test_rejects_replication_to_another_clusters_node() -> None:
    from pvecdk import Storage

    stack, prod, lab, _ = _two()
    vm = Vm(stack, "db", node=prod.nodes[0], vm_id=100, disks=[Disk(Storage.from_id(stack, "local-zfs"))])
    with pytest.raises(ConfigError) as excinfo:
        vm.replicate_to(lab.nodes[0])
    path, field, what, _ = _problem(excinfo)
    assert path.startswith("t/db") and field == "target" and "not in cluster prod" in what


@pytest.mark.parametrize("second", [None, "shared"])
def test_rejects_two_clusters_on_one_configuration(second: str | None) -> None:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "t")
    shared = provider.ProxmoxProvider(stack, "shared", alias="shared")
    Cluster(stack, "A", name="a", management_network="192.168.1.0/24", provider=shared if second else None)
    with pytest.raises(ConfigError) as excinfo:
        Cluster(stack, "B", name="b", management_network="192.168.2.0/24", provider=shared if second else None)
    path, field, what, fix = _problem(excinfo)
    assert (path, field) == ("t/B", "provider")
    assert "share" in what and "cluster a" in what
    assert "provider=ProxmoxProvider(stack, 'b', alias='b'" in fix


def test_rejects_a_provider_that_is_not_a_proxmox_configuration() -> None:
    from pvecdk.provider import provider as pvecdk_provider

    stack = _cdk.TerraformStack(_cdk.Testing.app(), "t")
    wrong = pvecdk_provider.PvecdkProvider(stack, "p", alias="p")
    with pytest.raises(ConfigError) as excinfo:
        Cluster(stack, "A", name="a", management_network="192.168.1.0/24", provider=wrong)  # type: ignore[arg-type]
    assert _problem(excinfo)[:2] == ("t/A", "provider")
