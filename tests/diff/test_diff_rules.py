"""The risk rules at their boundaries, on small hand-written configurations, and the replace-on-change facts."""

from __future__ import annotations

from typing import Any

import pytest
from pvecdk.diff import diff_configs
from pvecdk.diff.changes import SENSITIVE, attribute_changes, group_of, resource_changes
from pvecdk.diff.replace import requires_replace
from pvecdk.diff.topology import quorum


def cluster(*votes: int, monitors: int = 0, min_size: int | None = None, extra: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    members = {f"pve{i}": {"votes": v, "node_id": i, "addresses": [f"10.0.0.{i}"]} for i, v in enumerate(votes, 1)}
    resource: dict[str, Any] = {"pvecdk_cluster": {"c": {"name": "c", "member": members}}}
    if monitors:
        resource["pvecdk_ceph_monitor"] = {f"m{i}": {"node_name": f"pve{i}"} for i in range(1, monitors + 1)}
    if min_size is not None:
        resource["proxmox_ceph_pool"] = {"p": {"name": "p", "size": 3, "min_size": min_size}}
    for tf_type, items in (extra or {}).items():
        resource.setdefault(tf_type, {}).update(items)
    return {"resource": resource}


def flags(base: dict[str, Any], head: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f.severity, f.rule) for f in diff_configs({"s": base}, {"s": head}).flags}


@pytest.mark.parametrize(("votes", "expected"), [
    ([1], (1, 1, 0)), ([1, 1], (2, 2, 0)), ([1, 1, 1], (3, 2, 1)), ([1, 1, 1, 1], (4, 3, 1)),
    ([1, 1, 1, 1, 1], (5, 3, 2)), ([3, 1, 1], (5, 3, 0)), ([2, 1, 1, 1], (5, 3, 1)),
])
def test_quorum_figures(votes: list[int], expected: tuple[int, int, int]) -> None:
    assert quorum(votes) == expected


def test_a_qdevice_vote_counts_but_never_fails_as_a_node() -> None:
    assert quorum([1, 1], 1) == (3, 2, 1)
    assert quorum([1, 1, 1, 1], 1) == (5, 3, 2)
    head = cluster(1, 1, 1, 1, extra={"pvecdk_qdevice": {"q": {"host": "192.168.1.50", "cluster_name": "c"}}})
    assert flags(head, cluster(1, 1, 1, 1)) == {("medium", "even-votes")}
    assert flags(cluster(1, 1, 1, 1), head) == set()
    # the QDevice leaves with a node: 5 -> 3 votes, 3 of them stay while it applies (no quorum lost)
    assert flags(head, cluster(1, 1, 1)) == set()


def test_one_node_removed_from_five_is_safe_two_are_flagged_three_lose_quorum() -> None:
    five = cluster(1, 1, 1, 1, 1)
    assert flags(five, cluster(1, 1, 1, 1)) == {("medium", "even-votes")}
    assert flags(five, cluster(1, 1, 1)) == {("high", "nodes-removed")}  # 3 of 5 votes stay: quorum 3 holds
    assert flags(five, cluster(1, 1)) == {("high", "nodes-removed"), ("high", "quorum-lost"),
                                          ("medium", "even-votes"), ("high", "no-failure-tolerated")}


def test_votes_changed_without_membership_change() -> None:
    # 4 votes, quorum 3: the node with 2 votes failing stops the cluster
    assert flags(cluster(1, 1, 1), cluster(2, 1, 1)) == {("high", "no-failure-tolerated"), ("medium", "even-votes")}
    assert flags(cluster(1, 1, 1), cluster(1, 1, 1)) == set()


def test_monitor_majority_boundaries() -> None:
    nodes = (1, 1, 1, 1, 1)
    assert flags(cluster(*nodes, monitors=5), cluster(*nodes, monitors=3)) == set()
    assert flags(cluster(*nodes, monitors=5), cluster(*nodes, monitors=4)) == {("medium", "monitor-majority")}
    assert flags(cluster(*nodes, monitors=3), cluster(*nodes, monitors=2)) == {("medium", "monitor-majority")}
    assert flags(cluster(*nodes, monitors=3), cluster(*nodes, monitors=1)) == {("high", "monitor-majority")}
    assert flags(cluster(*nodes, monitors=5), cluster(*nodes, monitors=2)) == {("high", "monitor-majority")}


def test_min_size_boundaries() -> None:
    assert flags(cluster(1, 1, 1, min_size=2), cluster(1, 1, 1, min_size=1)) == {("high", "pool-redundancy")}
    assert flags(cluster(1, 1, 1, min_size=3), cluster(1, 1, 1, min_size=2)) == {("medium", "pool-redundancy")}
    assert flags(cluster(1, 1, 1, min_size=2), cluster(1, 1, 1, min_size=3)) == set()


def test_ha_guest_on_local_storage() -> None:
    local = {"proxmox_storage_lvmthin": {"l": {"id": "local-lvm", "volume_group": "pve", "thin_pool": "data"}},
             "proxmox_storage_nfs": {"n": {"id": "nfs", "server": "x", "export": "/e"}},
             "proxmox_haresource": {"h": {"resource_id": "vm:100"}}}

    def with_vm(store: str) -> dict[str, Any]:
        vm = {"proxmox_virtual_environment_vm": {"v": {"vm_id": 100, "node_name": "pve1", "migrate": True,
                                                       "disk": [{"datastore_id": store, "size": 8}]}}}
        return cluster(1, 1, 1, extra={**local, **vm})

    assert flags(with_vm("nfs"), with_vm("local-lvm")) == {("medium", "ha-local-storage")}
    assert flags(with_vm("local-lvm"), with_vm("nfs")) == set()


def test_firewall_disabled_or_policy_accept() -> None:
    def fw(enabled: bool, policy: str) -> dict[str, Any]:
        return cluster(1, 1, 1, extra={"proxmox_virtual_environment_cluster_firewall": {
            "f": {"enabled": enabled, "input_policy": policy}}})

    assert flags(fw(True, "DROP"), fw(False, "DROP")) == {("high", "firewall-open")}
    assert flags(fw(True, "DROP"), fw(True, "ACCEPT")) == {("high", "firewall-open")}
    assert flags(fw(False, "DROP"), fw(True, "DROP")) == set()


def test_sensitive_values_are_never_shown() -> None:
    def metrics(token: str) -> dict[str, Any]:
        return {"variable": {"t": {"type": "string", "sensitive": True}},
                "resource": {"proxmox_metrics_server": {"m": {"name": "m", "server": "a", "influx_token": token}},
                             "proxmox_user_token": {"u": {"token_name": "x", "comment": "${var.t}"}}}}

    (metric, user) = resource_changes(metrics("old-secret"), metrics("new-secret") | {"resource": {
        "proxmox_metrics_server": {"m": {"name": "m", "server": "a", "influx_token": "new-secret"}},
        "proxmox_user_token": {"u": {"token_name": "x", "comment": "${var.t} more"}}}})
    assert [(a.name, a.before, a.after) for a in metric.attributes] == [("influx_token", SENSITIVE, SENSITIVE)]
    assert [(a.before, a.after) for a in user.attributes] == [(SENSITIVE, SENSITIVE)]


@pytest.mark.parametrize(("tf_type", "prior", "proposed", "expected"), [
    ("proxmox_virtual_environment_vm", {"node_name": "a", "migrate": True}, {"node_name": "b", "migrate": True}, []),
    ("proxmox_virtual_environment_vm", {"node_name": "a"}, {"node_name": "b"}, ["node_name"]),
    ("proxmox_virtual_environment_vm", {"node_name": "a", "migrate": False}, {"node_name": "b", "migrate": False},
     ["node_name"]),
    ("proxmox_virtual_environment_vm", {"vm_id": 100}, {"vm_id": 101}, ["vm_id"]),
    ("proxmox_virtual_environment_vm", {"vm_id": 100}, {}, []),  # null: computed, kept
    ("proxmox_virtual_environment_vm", {"efi_disk": [{"type": "2m"}]}, {"efi_disk": [{"type": "4m"}]},
     ["efi_disk.type"]),
    ("proxmox_virtual_environment_vm", {}, {"efi_disk": [{"type": "4m"}]}, []),
    ("proxmox_virtual_environment_container", {"disk": [{"size": 8}]}, {"disk": [{"size": 16}]}, []),
    ("proxmox_virtual_environment_container", {"disk": [{"size": 16}]}, {"disk": [{"size": 8}]}, ["disk"]),
    ("proxmox_virtual_environment_container", {"node_name": "a"}, {"node_name": "b"}, ["node_name"]),
    ("proxmox_storage_nfs", {"server": "a", "content": ["images"]}, {"server": "b", "content": ["iso"]}, ["server"]),
    ("proxmox_ceph_pool", {"name": "p", "min_size": 2}, {"name": "p", "min_size": 1}, []),
    ("proxmox_download_file", {"size": 1}, {"size": 2}, []),  # decided against the live file
    ("pvecdk_ceph_osd", {"node_name": "a", "device": "/dev/sdb"}, {"node_name": "a", "device": "/dev/sdc"},
     ["device"]),
    ("pvecdk_storage", {"id": "r", "type": "iscsi", "options": {"portal": "a", "target": "t"}},
     {"id": "r", "type": "iscsi", "options": {"portal": "b", "target": "t"}}, ["options"]),
    ("pvecdk_storage", {"id": "r", "type": "rbd", "options": {"pool": "a"}},
     {"id": "r", "type": "rbd", "options": {"pool": "b"}}, []),  # PVE changes an RBD storage's pool in place
    ("pvecdk_storage", {"id": "r", "type": "rbd", "content": ["images"]},
     {"id": "r", "type": "rbd", "content": ["rootdir"]}, []),
    ("pvecdk_cluster", {"name": "a"}, {"name": "b"}, ["name"]),
    ("pvecdk_guest_placement", {"vm_id": 100, "type": "lxc", "node_name": "a"},
     {"vm_id": 100, "type": "lxc", "node_name": "b"}, []),  # migrated
    ("pvecdk_guest_placement", {"vm_id": 100, "type": "lxc"}, {"vm_id": 101, "type": "lxc"}, ["vm_id"]),
    ("pvecdk_qdevice", {"host": "q", "node": {"a": {"ssh_address": "1"}}}, {"host": "q", "node": {
        "a": {"ssh_address": "2"}}}, []),
    ("pvecdk_qdevice", {"host": "q", "node": {"a": {}}}, {"host": "q", "node": {"a": {}, "b": {}}}, ["node"]),
    ("pvecdk_qdevice", {"host": "q", "node": {"a": {}}}, {"host": "r", "node": {"a": {}}}, ["host"]),
])
def test_replace_on_change(tf_type: str, prior: dict[str, Any], proposed: dict[str, Any], expected: list[str]) -> None:
    assert requires_replace(tf_type, prior, proposed) == expected
    assert requires_replace(tf_type, None, proposed) == []


def test_a_disk_removed_from_a_guest_loses_its_data() -> None:
    def vm(*interfaces: str) -> dict[str, Any]:
        disks = [{"datastore_id": "nfs", "interface": i, "size": 8} for i in interfaces]
        return cluster(1, 1, 1, extra={"proxmox_virtual_environment_vm": {"v": {
            "vm_id": 100, "node_name": "pve1", "migrate": True, "disk": disks}}})

    assert flags(vm("scsi0", "scsi1"), vm("scsi0")) == {("high", "data-destroyed")}
    assert flags(vm("scsi0"), vm("scsi0", "scsi1")) == set()
    assert flags(vm("scsi0", "scsi1"), vm("scsi0", "scsi1")) == set()


def test_nested_replace_paths_ignore_blocks_without_the_attribute() -> None:
    vm = "proxmox_virtual_environment_vm"
    one, two = [{"interface": "scsi0"}], [{"interface": "scsi0"}, {"interface": "scsi1"}]
    assert requires_replace(vm, {"disk": one}, {"disk": two}) == []
    assert requires_replace(vm, {"disk": [{"file_id": "iso:a.img"}]}, {"disk": [{"file_id": "iso:b.img"}]}) == [
        "disk.file_id"]


def test_opened_to_any_address_only_when_the_source_holds_every_address() -> None:
    sets = {"proxmox_virtual_environment_firewall_ipset": {
                "w": {"name": "world", "cidr": [{"name": "10.9.0.0/16"}, {"name": "0.0.0.0/0"}]},
                "m": {"name": "management", "cidr": [{"name": "192.168.1.0/24"}]}},
            "proxmox_virtual_environment_firewall_alias": {"a": {"name": "anywhere6", "cidr": "::/0"}}}

    def opened(source: str | None, *, dest: str = "+management", direction: str = "in") -> set[tuple[str, str]]:
        rule = {"action": "ACCEPT", "type": direction, "proto": "tcp", "dport": "22", "dest": dest,
                **({"source": source} if source is not None else {})}
        head = cluster(1, 1, 1, extra={**sets, "proxmox_virtual_environment_firewall_rules": {"r": {"rule": [rule]}}})
        return flags(cluster(1, 1, 1, extra=sets), head)

    for source in (None, "0.0.0.0/0", "+world", "anywhere6", "192.168.1.0/24,::/0"):
        assert opened(source) == {("high", "firewall-open")}, source
    for source in ("+management", "192.168.1.0/24", "10.9.0.0/16"):
        assert opened(source) == {("low", "firewall-open")}, source
    assert opened(None, direction="out") == set()
    (line,) = [c.summary for c in diff_configs({"s": cluster(1, 1, 1, extra=sets)}, {"s": cluster(1, 1, 1, extra={
        **sets, "proxmox_virtual_environment_firewall_rules": {"r": {"rule": [
            {"action": "ACCEPT", "type": "in", "proto": "tcp", "dport": "22", "source": "+management",
             "dest": "+management"}]}}})}).stacks[0].changes if c.group == "firewall"]
    assert line == "opens: ACCEPT in tcp port 22 from +management to +management [cluster]"


@pytest.mark.parametrize(("tf_type", "group"), [
    ("proxmox_sdn_vnet", "network"), ("proxmox_virtual_environment_sdn_zone_simple", "network"),
    ("proxmox_sdn_applier", "network"), ("proxmox_download_file", "guests"),
    ("proxmox_virtual_environment_file", "guests"), ("proxmox_oci_image", "guests"),
    ("pvecdk_guest_placement", "guests"), ("pvecdk_qdevice", "cluster"), ("pvecdk_ceph_packages", "ceph"),
    ("proxmox_network_linux_bridge", "node"),
])
def test_groups_of_the_new_resources(tf_type: str, group: str) -> None:
    assert group_of(tf_type) == group


def test_what_ignore_changes_names_is_no_change() -> None:
    guest = {"node_name": "pve1", "vm_id": 200, "lifecycle": {"ignore_changes": ["node_name"]}}
    base = {"resource": {"proxmox_virtual_environment_container": {"ct": guest}}}
    moved = {"resource": {"proxmox_virtual_environment_container": {"ct": {**guest, "node_name": "pve2"}}}}
    assert resource_changes(base, moved) == []
    unruled = {"resource": {"proxmox_virtual_environment_container": {"ct": {"node_name": "pve2", "vm_id": 200}}}}
    (change,) = resource_changes(base, unruled)
    assert (change.action, change.replace_paths) == ("replace", ("node_name",))


def test_a_guest_moved_by_replacement_is_flagged_once_a_migration_is_not() -> None:
    def vm(node: str, migrate: bool = False) -> dict[str, Any]:
        attrs = {"vm_id": 100, "name": "db", "node_name": node, "migrate": migrate}
        return cluster(1, 1, 1, extra={"proxmox_virtual_environment_vm": {"db": attrs}})

    replaced = diff_configs({"s": vm("pve1")}, {"s": vm("pve2")})
    assert [c.summary for c in replaced.stacks[0].changes if c.action == "moved"] == [
        "VM 100 (db) moves pve1 -> pve2 by replacement: destroyed on the old node and created empty on the new one"]
    assert [(f.severity, f.rule, f.subject) for f in replaced.flags] == [("high", "guest-replaced", "vm:100")]
    assert flags(vm("pve1", migrate=True), vm("pve2", migrate=True)) == set()


def test_a_block_list_shows_the_blocks_that_go_and_come_counted() -> None:
    one, two = [{"priority": 0}], [{"priority": 0}, {"priority": 0}]  # a second corosync link like the first
    (added,) = attribute_changes("pvecdk_cluster", {"link": one}, {"link": two})
    assert (added.name, added.before, added.after) == ("link (items)", "-", '[{"priority": 0}]')
    (removed,) = attribute_changes("pvecdk_cluster", {"link": two + [{"priority": 1}]}, {"link": [{"priority": 1}]})
    assert (removed.before, removed.after) == ('[{"priority": 0}, {"priority": 0}]', "-")
    # the same blocks in another order: the lists whole, not "- -> -"
    (moved,) = attribute_changes("pvecdk_cluster", {"link": [{"priority": 1}, *one]}, {"link": [*one, {"priority": 1}]})
    assert (moved.name, moved.before, moved.after) == ("link", '[{"priority": 1}, {"priority": 0}]',
                                                       '[{"priority": 0}, {"priority": 1}]')
