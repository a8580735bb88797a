"""The corpus of real changes: each pair raises exactly the flags it must, says what it means, and its Markdown
report matches its snapshot."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from diff_corpus import PAIRS, build
from pvecdk.diff import Report, diff_configs
from pvecdk.diff.render import MARKER, to_json, to_markdown, to_text
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode


class MarkdownSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "md"


@cache
def report(name: str) -> Report:
    base, head, _ = PAIRS[name]
    return diff_configs({"cluster": build(base)}, {"cluster": build(head)}, base="main", head="change")


def summaries(name: str, group: str, subject: str | None = None) -> list[str]:
    """The change lines of a group, the settings line (``subject="settings"``) apart."""
    return [c.summary for c in report(name).stacks[0].changes
            if c.group == group and (c.subject == subject if subject else c.subject != "settings")]


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_flags_raised_and_none_missed(name: str) -> None:
    expected = PAIRS[name][2]
    assert {(f.severity, f.rule) for f in report(name).flags} == expected
    assert all(f.reason and f.stack == "cluster" for f in report(name).flags)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_markdown_snapshot(name: str, snapshot: Any) -> None:
    markdown = to_markdown(report(name))
    assert markdown.startswith(MARKER + "\n")
    assert markdown == snapshot.use_extension(MarkdownSnapshot)


def test_node_removed_says_votes_and_quorum_before_and_after() -> None:
    (line,) = summaries("node-removed", "node")
    assert line == ("pve4 leaves (1 vote); 4 votes, quorum 3, 1 failure tolerated -> 3 votes, quorum 2, "
                    "1 failure tolerated")
    assert report("node-removed").counts() == {"delete": 4, "update": 7}
    # what names the nodes: the Ceph packages' node list, the placements' endpoints (no guest moves)
    assert summaries("node-removed", "ceph", "settings") == ["ceph_packages updated"]
    assert summaries("node-removed", "guests") == []
    assert summaries("node-removed", "guests", "settings") == ["guest_placement updated x2"]
    assert summaries("node-removed", "node", "settings") == [
        "hosts removed; hosts updated x3; network_linux_bridge removed; time removed"]
    assert summaries("node-removed", "firewall", "settings") == ["node_firewall removed"]


def test_node_added_tolerates_one_more_failure() -> None:
    (line,) = summaries("node-added", "node")
    assert "pve5 joins with 1 vote" in line and "1 failure tolerated -> 5 votes, quorum 3, 2 failures" in line


def test_moves_say_how() -> None:
    # A guest's node is its placement's: moved by migration, the bpg resource (ignoring node_name) untouched
    for name, line in (("vm-moved", "VM 100 (vm-100) moves pve1 -> pve2 by migration"),
                       ("container-moved", "container 200 (dns) moves pve2 -> pve3 by migration")):
        (move,) = [c for c in report(name).stacks[0].changes if c.group == "guests"]
        assert move.summary == line and move.action == "moved"
        (placement,) = report(name).stacks[0].resources
        assert (placement.tf_type, placement.action) == ("pvecdk_guest_placement", "update")
        assert placement.address in move.addresses
    # Under HA the node is recorded, and HA keeps the guest where it runs
    assert summaries("vm-under-ha-moved", "guests") == [
        "VM 100 (vm-100) node pve1 -> pve2 recorded; under HA it stays where HA runs it (move it by its HA node "
        "preferences)"]
    # Replaced only where bpg replaces: a container's disk shrunk
    assert summaries("container-disk-shrunk", "guests") == ["container 200 (dns) replaced (disk): its disks are "
                                                            "re-created"]
    (change,) = report("container-disk-shrunk").stacks[0].resources
    assert (change.action, change.replace_paths) == ("replace", ("disk",))


def test_qdevice_vote_counts_from_its_resource() -> None:
    assert summaries("qdevice-removed", "cluster") == [
        "QDevice 192.168.1.50 removed (1 vote); 5 votes, quorum 3, 2 failures tolerated -> 4 votes, quorum 3, "
        "1 failure tolerated"]
    assert {(r.tf_type, r.action) for r in report("qdevice-removed").stacks[0].resources} >= {
        ("pvecdk_qdevice", "delete")}
    (added,) = [c for c in report("qdevice-removed").stacks[0].changes if c.group == "firewall"]
    assert added.summary.startswith("drops: ACCEPT out tcp port 5403")  # the derived rule to qnetd goes too
    before_picture = to_markdown(report("qdevice-removed")).split("```mermaid")[1]
    assert 'q_qdevice[("QDevice 192.168.1.50<br/>1 vote")]' in before_picture
    assert "class q_qdevice removed" in before_picture


def test_ceph_and_storage_in_the_clusters_terms() -> None:
    assert summaries("pool-min-size-lowered", "ceph") == ["pool vm-pool: size 3 -> 3, min_size 2 -> 1"]
    assert summaries("osd-removed", "ceph")[0].startswith("OSD on pve4:/dev/sdb destroyed with its data (4 -> 3")
    assert summaries("storage-removed", "storage") == [
        "storage nfs-storage (nfs, server=192.168.1.100, export=/srv/nfs/proxmox) removed"]


def test_coverage_and_firewall_in_the_clusters_terms() -> None:
    assert summaries("ha-lost", "ha") == ["vm:100 loses HA"]
    assert summaries("backup-coverage-lost", "backups") == ["VM 100 (vm-100) is no longer covered by a backup job"]
    assert summaries("firewall-opened", "firewall") == [
        "opens: ACCEPT in tcp port 443 from any address [cluster] (web)",
        "opens: ACCEPT in tcp port 9100 from +management [cluster] (metrics)"]


def test_sdn_is_its_own_group() -> None:
    assert summaries("vnet-added", "network", "settings") == [
        "sdn_applier added x2; sdn_vnet added; sdn_zone_simple added"]
    assert {c.group for c in report("vnet-added").stacks[0].changes} == {"network"}


def test_nothing_changed_is_said_plainly() -> None:
    r = report("nothing-changed")
    assert not r.flags and not r.stacks[0].resources and not r.stacks[0].changes
    assert "No stack changes." in to_markdown(r)
    assert "no changes" in to_text(r)


def test_markdown_has_summary_on_top_and_folded_details() -> None:
    markdown = to_markdown(report("storage-removed"))
    head, _, rest = markdown.partition("### Stack")
    assert "highest risk: **high**" in head and "| 🔴 | high | cluster | nfs-storage |" in head
    assert "<details><summary>Resources" in rest and rest.count("```mermaid") == 2
    assert "class s_nfs_storage removed" in rest  # the removed storage is marked in the picture before


def test_json_and_text_carry_the_same_verdict() -> None:
    r = report("pool-min-size-lowered")
    data = to_json(r)
    assert data["highest"] == "high" and data["summary"]["update"] == 1
    assert data["flags"][0]["rule"] == "pool-redundancy"
    assert "\033[" not in to_text(r) and "\033[1;31m" in to_text(r, colour=True)
