"""Corosync links in the model: ``cluster.manage_links()`` adds one ``pvecdk_corosync_links`` carrying every
node's SSH access and its address per link (nodes added after the call included), after the membership, and
tells the membership that the links are carried there."""

from __future__ import annotations

from typing import Any

from pvecdk import Cluster, CorosyncLink, NetworkRole, SshAccess
from pvecdk.diff.changes import group_of
from pvecdk.testing import resource, resources, stack, synth

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB5l7P+6iYSFKbqlHE3U5XWe1mFX1wCADVocTY0NHhyo"


def _cluster(links: list[CorosyncLink] | None = None) -> tuple[Any, Cluster]:
    scope = stack("lab")
    cluster = Cluster(scope, "Cluster", name="lab", management_network="192.168.1.0/24",
                      cluster_network="10.0.0.0/24", storage_network="10.1.0.0/24", links=links)
    for i in (1, 2):
        cluster.add_node(f"pve{i}", management_address=f"192.168.1.{10 + i}", management_interface="eno1",
                         cluster_address=f"10.0.0.{10 + i}", cluster_interface="eno2",
                         storage_address=f"10.1.0.{10 + i}", storage_interface="eno3",
                         ssh=SshAccess(host_key=KEY, port=2222) if i == 1 else None)
    return scope, cluster


def test_manage_links_carries_every_nodes_links_after_the_membership() -> None:
    scope, cluster = _cluster([CorosyncLink(NetworkRole.CLUSTER, priority=20), CorosyncLink(NetworkRole.STORAGE)])
    made = cluster.manage_links()
    assert cluster.manage_links() is made and cluster.links_resource is made
    cluster.add_node("pve3", management_address="192.168.1.13", management_interface="eno1",
                     cluster_address="10.0.0.13", cluster_interface="eno2", storage_address="10.1.0.13",
                     storage_interface="eno3")
    synthesized = synth(scope)
    links = resource(synthesized, "pvecdk_corosync_links")
    assert links["cluster_name"] == "lab" and links["link_priorities"] == [20, 0]
    assert links["addresses"] == {f"pve{i}": [f"10.0.0.1{i}", f"10.1.0.1{i}"] for i in (1, 2, 3)}
    assert links["node"]["pve1"] == {"endpoint": "https://192.168.1.11:8006", "ssh_address": "192.168.1.11",
                                     "ssh_port": 2222, "host_key": KEY}
    assert set(links["node"]) == {"pve1", "pve2", "pve3"}
    # After the membership, and after the firewall rules that open corosync's ports on each link's network.
    after = [d.split(".")[0] for d in links["depends_on"]]
    assert after == ["pvecdk_cluster", "proxmox_virtual_environment_cluster_firewall_security_group",
                     "proxmox_virtual_environment_firewall_rules"]
    assert links["depends_on"][0].startswith("pvecdk_cluster.Cluster_Membership")
    membership = resource(synthesized, "pvecdk_cluster")
    assert membership["links_managed"] is True
    assert membership["member"]["pve3"]["addresses"] == links["addresses"]["pve3"]


def test_without_a_cluster_firewall_the_links_wait_for_the_membership_alone() -> None:
    scope = stack("lab")
    cluster = Cluster(scope, "Cluster", name="lab", management_network="192.168.1.0/24", firewall=False)
    for i in (1, 2, 3):
        cluster.add_node(f"pve{i}", management_address=f"192.168.1.{10 + i}", management_interface="eno1")
    cluster.manage_links()
    (after,) = resource(synth(scope), "pvecdk_corosync_links")["depends_on"]
    assert after.startswith("pvecdk_cluster.Cluster_Membership")


def test_without_manage_links_no_resource_and_the_membership_refuses_link_changes() -> None:
    scope, cluster = _cluster()
    synthesized = synth(scope)
    assert resources(synthesized, "pvecdk_corosync_links") == [] and cluster.links_resource is None
    assert "links_managed" not in resource(synthesized, "pvecdk_cluster")


def test_a_change_of_it_is_grouped_with_the_cluster_in_the_change_report() -> None:
    assert group_of("pvecdk_corosync_links") == group_of("pvecdk_cluster")
