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
    assert report("node-removed").counts() == {"delete": 4, "update": 4}
    assert summaries("node-removed", "node", "settings") == [
        "hosts removed; hosts updated x3; network_linux_bridge removed; time removed"]
    assert summaries("node-removed", "firewall", "settings") == ["node_firewall removed"]


def test_node_added_tolerates_one_more_failure() -> None:
    (line,) = summaries("node-added", "node")
    assert "pve5 joins with 1 vote" in line and "1 failure tolerated -> 5 votes, quorum 3, 2 failures" in line


def test_moves_say_how() -> None:
    assert summaries("vm-moved", "guests") == ["VM 100 (vm-100) moves pve1 -> pve2 by migration"]
    assert report("vm-moved").counts() == {"update": 1}  # bpg migrates a VM with migrate = true in place
    (ct,) = summaries("container-moved", "guests")
    assert "pve2 -> pve3 by replacement" in ct
    (change,) = [r for r in report("container-moved").stacks[0].resources if r.action == "replace"]
    assert change.replace_paths == ("node_name",)


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
