"""A small cluster to put guests on, for the tests of guests, HA, backups, replication and monitoring."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pvecdk import Cluster, ConfigError, Node, Problem, Storage, _cdk, testing
from pvecdk.bpg import provider
from pvecdk.policy import check


@dataclass
class Lab:
    stack: Any
    cluster: Cluster
    nodes: list[Node]
    rbd: Storage  # shared, images and rootdir
    zfs: Storage  # local-zfs: zfspool, images and rootdir
    lvm: Storage  # local-lvm: lvmthin, images and rootdir
    local: Storage  # local: dir, iso, vztmpl, backup
    nfs: Storage  # shared, backup and iso


def lab(nodes: int = 3, pve_version: str = "9.1", **cluster: Any) -> Lab:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "test")
    provider.ProxmoxProvider(stack, "proxmox")
    c = Cluster(stack, "Cluster", name="lab", pve_version=pve_version, management_network="192.168.1.0/24",
                cluster_network="10.0.0.0/24", **cluster)
    members = [c.add_node(f"pve{i}", node_id=i, management_address=f"192.168.1.{10 + i}",
                          cluster_address=f"10.0.0.{10 + i}", cluster_interface="eno2", management_interface="eno1")
               for i in range(1, nodes + 1)]
    return Lab(stack, c, members,
               rbd=Storage.from_id(stack, "ceph-vm", storage_type="rbd", content=["images", "rootdir"]),
               zfs=Storage.from_id(stack, "local-zfs"), lvm=Storage.from_id(stack, "local-lvm"),
               local=Storage.from_id(stack, "local"),
               nfs=Storage.from_id(stack, "nfs-backup", storage_type="nfs", content=["backup", "iso"]))


def policy_errors(cluster: Cluster) -> list[Problem]:
    return [f.problem for f in check(cluster) if f.severity == "error"]


def only(excinfo: Any) -> Problem:
    """The single problem of a ConfigError, checked to name a path and a fix."""
    err = excinfo.value
    assert isinstance(err, ConfigError)
    assert len(err.problems) == 1, str(err)
    problem = err.problems[0]
    assert problem.path and problem.fix, str(err)
    return problem


def synth_json(stack: Any) -> dict[str, Any]:
    """The stack's Terraform JSON (``cdk.tf.json``) as cdktf's testing helper renders it."""
    data: dict[str, Any] = json.loads(_cdk.Testing.synth(stack))
    return data


def resources(stack: Any, tf_type: str) -> list[dict[str, Any]]:
    return testing.resources(synth_json(stack), tf_type)
