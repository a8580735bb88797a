"""Every numeric range rule of the constructs at its minimum and maximum: both accepted, one step outside
refused with a ConfigError that names the construct path and the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from lab import lab
from pvecdk import (
    BackupJob,
    Cluster,
    ConfigError,
    CorosyncLink,
    Disk,
    InfluxDbServer,
    NetworkInterface,
    NetworkRole,
    Retention,
    Vm,
    _cdk,
)

Build = Callable[[int], Any]


def vm(**props: Any) -> Build:
    def build(value: int) -> Any:
        lab9 = lab()
        args: dict[str, Any] = {"vm_id": 100, "disks": [Disk(lab9.rbd)]}
        (name,) = props
        if name == "size_gib":
            args["disks"] = [Disk(lab9.rbd, size_gib=value)]
        elif name == "vlan_id":
            args["networks"] = [NetworkInterface(bridge="vmbr0", vlan_id=value)]
        else:
            args[name] = value
        return Vm(lab9.stack, "vm", node=lab9.nodes[0], **args)

    return build


def node(field: str) -> Build:
    def build(value: int) -> Any:
        stack = _cdk.TerraformStack(_cdk.Testing.app(), "r")
        c = Cluster(stack, "Cluster", name="r", management_network="192.168.1.0/24", cluster_network="10.0.0.0/24")
        return c.add_node("pve1", **{field: value}, management_address="192.168.1.11", cluster_address="10.0.0.11",
                          cluster_interface="eno2",
                          management_interface="eno1")

    return build


def link_priority(value: int) -> Any:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "r")
    return Cluster(stack, "Cluster", name="r", management_network="192.168.1.0/24", cluster_network="10.0.0.0/24",
                   links=[CorosyncLink(NetworkRole.CLUSTER, priority=value)])


def pool(field: str) -> Build:
    def build(value: int) -> Any:
        lab9 = lab(storage_network="172.16.0.0/24")
        ceph = lab9.cluster.enable_ceph(public_network="10.0.0.0/24")
        sizes = {"size": 7, "min_size": 1, field: value}
        return ceph.add_pool("p", allow_unsafe=True, **sizes)

    return build


def ha(field: str) -> Build:
    def build(value: int) -> Any:
        lab9 = lab()
        guest = Vm(lab9.stack, "vm", node=lab9.nodes[0], vm_id=100, disks=[Disk(lab9.rbd)])
        if field == "priority":
            return lab9.cluster.ha.protect(guest, prefer={lab9.nodes[0]: value, lab9.nodes[1]: 1})
        return lab9.cluster.ha.protect(guest, **{field: value})

    return build


def backup(field: str) -> Build:
    def build(value: int) -> Any:
        lab9 = lab()
        if field == "zstd_threads":
            return BackupJob(lab9.stack, "job", storage=lab9.nfs, schedule="02:00", zstd_threads=value)
        return BackupJob(lab9.stack, "job", storage=lab9.nfs, schedule="02:00",
                         retention=Retention(keep_daily=7, **{field: value}))

    return build


def influx(field: str) -> Build:
    def build(value: int) -> Any:
        stack = _cdk.TerraformStack(_cdk.Testing.app(), "r")
        udp = {"protocol": "udp"} if field == "mtu" else {}
        return InfluxDbServer(stack, "influx", server="10.0.0.5", **udp, **{field: value})

    return build


def node_vlan(value: int) -> Any:
    lab9 = lab()
    return lab9.nodes[0].add_vlan(f"eno1.{value}", interface="eno1", vlan=value)


# (rule, build, minimum, maximum or None for no upper bound, the field a problem names)
RANGES = [
    ("VMID", vm(vm_id=0), 100, 999_999_999, "vm_id"),
    ("cores", vm(cores=0), 1, 8192, "cores"),
    ("sockets", vm(sockets=0), 1, 4, "sockets"),
    ("memory", vm(memory_mib=0), 16, None, "memory_mib"),
    ("disk size", vm(size_gib=0), 1, None, "disks[0].size_gib"),
    ("guest VLAN", vm(vlan_id=0), 1, 4094, "networks[0].vlan_id"),
    ("node id", node("node_id"), 1, None, "node_id"),
    ("votes", node("votes"), 0, 255, "votes"),
    ("link priority", link_priority, 0, 255, "links"),
    ("pool size", pool("size"), 1, 7, "size"),
    ("pool min_size", pool("min_size"), 1, 7, "min_size"),
    ("HA max_restart", ha("max_restart"), 0, 10, "max_restart"),
    ("HA max_relocate", ha("max_relocate"), 0, 10, "max_relocate"),
    ("HA priority", ha("priority"), 0, 1000, "prefer"),
    ("retention", backup("keep_last"), 1, None, "retention.keep_last"),
    ("zstd threads", backup("zstd_threads"), 0, None, "zstd_threads"),
    ("metrics port", influx("port"), 1, 65535, "port"),
    ("metrics MTU", influx("mtu"), 512, 65536, "mtu"),
    ("node VLAN", node_vlan, 1, 4094, "vlan"),
]


def refused(build: Build, value: int) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as excinfo:
        build(value)
    return [(p.field, str(value)) for p in excinfo.value.problems if str(value) in p.problem]


@pytest.mark.parametrize(("rule", "build", "low", "high", "field"), RANGES, ids=[r[0] for r in RANGES])
def test_a_range_rule_at_its_minimum_and_maximum(rule: str, build: Build, low: int, high: int | None,
                                                 field: str) -> None:
    build(low)
    assert refused(build, low - 1) == [(field, str(low - 1))], f"{rule}: one below the minimum"
    if high is not None:
        build(high)
        assert refused(build, high + 1) == [(field, str(high + 1))], f"{rule}: one above the maximum"


def test_a_pool_min_size_above_its_size_is_refused_at_the_boundary() -> None:
    lab9 = lab(storage_network="172.16.0.0/24")
    ceph = lab9.cluster.enable_ceph(public_network="10.0.0.0/24")
    ceph.add_pool("equal", size=3, min_size=3)
    with pytest.raises(ConfigError) as excinfo:
        ceph.add_pool("above", size=3, min_size=4)
    assert [(p.field, p.problem) for p in excinfo.value.problems] == [("min_size", "must not exceed size 3, got 4")]
