"""The README shows a real report: the one `pvecdk diff` writes today for the node removal it describes."""

from __future__ import annotations

from pathlib import Path

from diff_corpus import example_node_removal
from pvecdk.diff import diff_configs
from pvecdk.diff.render import to_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_report() -> str:
    base, head = example_node_removal()
    return to_markdown(diff_configs({"example-cluster": base}, {"example-cluster": head}, base="main",
                                    head="remove-pve4"))


def test_readme_shows_the_report_of_a_node_removal() -> None:
    report = readme_report()
    assert "pve4 leaves (1 vote); 4 votes, quorum 3, 1 failure tolerated -> 3 votes, quorum 2" in report
    assert "class n_pve4,osd_pve4__dev_sdb removed" in report
    section = README.read_text().split("## Reviewing a change: `pvecdk diff`", 1)[1]
    assert report in section, "README's report is out of date: regenerate it with readme_report()"


def update_readme() -> None:
    """Put the report of today's code into the README (``python tests/diff/test_diff_readme.py``), after a change
    to the guide's cluster or to the report's shape."""
    text = README.read_text()
    head, marker, rest = text.partition("## Reviewing a change: `pvecdk diff`")
    intro, start, _old = rest.partition("\n<!-- pvecdk-diff -->\n")  # the report's first line, on its own
    README.write_text(head + marker + intro + "\n" + readme_report())


if __name__ == "__main__":
    import sys

    sys.path[:0] = [str(README.parent)]
    update_readme()
