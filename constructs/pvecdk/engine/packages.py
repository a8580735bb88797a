"""Ceph's packages on the nodes: ``pveceph install`` over SSH, which PVE offers only on the command line.

``POST /nodes/{node}/ceph/init`` fails until the Ceph binaries are on the node. :func:`read_ceph_packages` asks
each node's package database (``dpkg-query``, a read, so a dropped connection is retried);
:func:`install_ceph` runs ``pveceph install`` on each node that lacks them, one node at a time, and never on a
node that has them (a rerun after a failure continues with the nodes still missing). A node with another Ceph
release than the one asked for is refused: upgrading Ceph is a procedure of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from pvecdk.engine.shell import Shell
from pvecdk.errors import EngineProblem, PlanRefused

__all__ = ["CEPH_RELEASES", "install_ceph", "read_ceph_packages", "release_of_version"]

#: Ceph release names ``pveceph install --version`` takes, and their major version numbers.
CEPH_RELEASES = {"quincy": 17, "reef": 18, "squid": 19}


def release_of_version(version: str) -> str | None:
    """The release name of a Debian package version (``19.2.3-pve1`` -> ``squid``); None when unknown."""
    head = version.strip().split(".", 1)[0].split(":")[-1]
    return next((name for name, major in CEPH_RELEASES.items() if str(major) == head), None)


def read_ceph_packages(shell: Shell, nodes: Sequence[str]) -> dict[str, str | None]:
    """Node -> the installed ``ceph-mon`` package version (None: not installed)."""
    found: dict[str, str | None] = {}
    for node in nodes:
        result = shell.run(node, ["dpkg-query", "-W", "-f=${Version}", "ceph-mon"], check=False, idempotent=True)
        found[node] = result.stdout.strip() or None if result.exit_status == 0 else None
    return found


def install_ceph(shell: Shell, nodes: Sequence[str], *, release: str | None = None,
                 repository: str | None = None) -> dict[str, str | None]:
    """Install Ceph on every node of ``nodes`` that lacks it; return what each node has after.

    Args:
        release: ``squid``, ``reef``, ...; None: PVE's default for its version.
        repository: ``no-subscription``, ``enterprise`` or ``test``; None: PVE's default.

    Raises:
        PlanRefused: a node has another Ceph release (nothing was installed anywhere).
        CommandError: ``pveceph install`` failed on a node; a rerun continues with the nodes still missing.
    """
    before = read_ceph_packages(shell, nodes)
    problems = [EngineProblem(node, f"has Ceph {release_of_version(v) or v} ({v}), the model asks for {release}",
                              "upgrade Ceph by its own procedure first, or set the release the node runs",
                              "release")
                for node, v in before.items() if v is not None and release is not None
                and release_of_version(v) != release]
    if problems:
        raise PlanRefused(problems)
    args = [*(["--version", release] if release else []), *(["--repository", repository] if repository else [])]
    for node in nodes:
        if before[node] is None:
            # No terminal on an SSH command: apt must not wait for an answer.
            shell.run(node, ["env", "DEBIAN_FRONTEND=noninteractive", "pveceph", "install", *args],
                      timeout_seconds=1800)
    return read_ceph_packages(shell, [n for n in nodes if before[n] is None]) | {
        n: v for n, v in before.items() if v is not None}

