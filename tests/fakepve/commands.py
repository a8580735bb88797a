"""What the nodes' command-line tools do to the fake cluster: ``pvecm qdevice``, ``pveceph install``, ``dpkg-query``,
and ``cat``/``mv`` of ``/etc/pve/corosync.conf`` (pmxcfs: the file the API reads its links from).

The SSH tests run a real sshd whose ``pvecm``, ``pveceph`` and ``dpkg-query`` are stand-ins (standin.py): each
posts its argv to the fake's control endpoint (``POST /fakepve/command`` on the node's HTTPS port), which runs
it here against the shared state, under the World lock, and answers with the exit status and the output. So
what a command does shows in the fake's API (``/cluster/config/qdevice``, ``corosync.conf``).

Faults (:class:`CommandFault`): the connection drops before the command runs or after it ran, or the command
fails half-way (a QDevice setup leaves its certificate stores behind, as a real failed setup does, so a plain
rerun is refused until ``--force``; a ``mv`` onto corosync.conf fails after ``corosync.conf.new`` was written,
which stays behind).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from .model import ClusterConf, NodeState, World, corosync_conf

COROSYNC_CONF = "/etc/pve/corosync.conf"


class CommandFault(enum.Enum):
    DROP_BEFORE = "drop-before"  # the connection drops before the command does anything
    DROP_AFTER = "drop-after"  # the command does its work, then the connection drops (no exit status)
    FAIL_HALFWAY = "fail-halfway"  # the command does part of its work and exits non-zero


@dataclass
class FaultRule:
    prefix: tuple[str, ...]
    kind: CommandFault
    times: int


@dataclass
class Outcome:
    exit: int
    stdout: str = ""
    stderr: str = ""
    drop: bool = False


@dataclass
class CommandBook:
    """Faults waiting for a command, and every command that arrived (node, argv)."""

    rules: list[FaultRule] = field(default_factory=list)
    ran: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def take(self, argv: Sequence[str]) -> CommandFault | None:
        for rule in self.rules:
            if tuple(argv[: len(rule.prefix)]) == rule.prefix and rule.times > 0:
                rule.times -= 1
                return rule.kind
        return None


#: The Ceph release `pveceph install` installs by default (PVE 9: squid).
DEFAULT_CEPH = "squid"
CEPH_VERSIONS = {"squid": "19.2.3-pve1", "reef": "18.2.7-pve1"}


def run(world: World, book: CommandBook, node_name: str, argv: Sequence[str], *, content: str | None = None
        ) -> Outcome:
    """Run ``argv`` on ``node_name`` (hold the World lock); ``content``: the text of the file a ``mv`` moves."""
    book.ran.append((node_name, tuple(argv)))
    fault = book.take(argv)
    if fault is CommandFault.DROP_BEFORE:
        return Outcome(-1, drop=True)
    node = world.nodes[node_name]
    if argv[:2] == ["pvecm", "qdevice"] and len(argv) >= 3:
        outcome = _qdevice(world, node, list(argv[2:]), fault)
    elif argv[:2] == ["pveceph", "install"]:
        if fault is CommandFault.FAIL_HALFWAY:  # apt stopped part-way: nothing usable installed
            return Outcome(100, stdout="Unpacking ceph-base ...\n",
                           stderr="E: Sub-process /usr/bin/dpkg returned an error code (1)\n")
        outcome = _pveceph_install(node, list(argv[2:]))
    elif list(argv) == ["cat", COROSYNC_CONF]:
        if node.cluster is None:
            return Outcome(1, stderr=f"cat: {COROSYNC_CONF}: No such file or directory\n")
        outcome = Outcome(0, stdout=corosync_conf(node.cluster))
    elif argv[:1] == ["mv"] and argv[-1:] == [COROSYNC_CONF]:
        if fault is CommandFault.FAIL_HALFWAY:
            return Outcome(1, stderr=f"mv: cannot move '{argv[1]}' to '{COROSYNC_CONF}': Device or resource busy\n")
        outcome = _corosync_conf_moved(world, node, content or "")
    elif argv[:1] == ["dpkg-query"]:
        outcome = _dpkg_query(node, list(argv[1:]))
    else:
        outcome = Outcome(127, stderr=f"{argv[0]}: command not found\n")
    if fault is CommandFault.DROP_AFTER:
        outcome.drop = True
    return outcome


def _qdevice(world: World, node: NodeState, args: list[str], fault: CommandFault | None) -> Outcome:
    cluster = node.cluster
    if cluster is None:
        return Outcome(2, stderr="Error: Corosync config '/etc/pve/corosync.conf' does not exist - is this node "
                                 "part of a cluster?\n")
    if args[0] == "remove":
        if not cluster.qdevice:
            return Outcome(255, stderr="error during cfs-locked 'file-corosync_conf' operation: No QDevice "
                                       "configured!\n")
        if not world.quorate(node):
            return Outcome(255, stderr="cluster not ready - no quorum?\n")
        cluster.qdevice = None
        cluster.qdevice_certs = False
        cluster.config_version += 1
        return Outcome(0, stdout="Removed QDevice.\n")
    if args[0] != "setup" or len(args) < 2:
        return Outcome(255, stderr="ERROR: unknown command 'pvecm qdevice " + " ".join(args) + "'\n")
    host, force = args[1], "--force" in args[2:]
    if cluster.qdevice:
        return Outcome(255, stderr="QDevice already configured!\n")
    if len(cluster.nodes) % 2 == 1 and not force:
        return Outcome(255, stderr="Clusters with an odd node count are not officially supported!\n")
    if cluster.qdevice_certs and not force:
        return Outcome(255, stderr="QDevice certificate store already initialised, set force to delete!\n")
    if not world.quorate(node):
        return Outcome(255, stderr="cluster not ready - no quorum?\n")
    log = ["INFO: initializing qnetd server", "INFO: copying CA cert and initializing on all nodes"]
    cluster.qdevice_certs = True
    if fault is CommandFault.FAIL_HALFWAY:
        return Outcome(255, stdout="\n".join(log) + "\n", stderr=f"command 'ssh root@{host} corosync-qdevice-net-"
                                                               "certutil -M -c qdevice-net-node.p12' failed: exit "
                                                               "code 1\n")
    cluster.qdevice = host
    cluster.config_version += 1
    log += ["INFO: add QDevice to cluster configuration", "INFO: start and enable corosync qdevice daemon on "
            "node(s)", "Reloading corosync.conf..."]
    return Outcome(0, stdout="\n".join(log) + "\n")


def _pveceph_install(node: NodeState, args: list[str]) -> Outcome:
    version = args[args.index("--version") + 1] if "--version" in args[:-1] else DEFAULT_CEPH
    if version not in CEPH_VERSIONS:
        return Outcome(255, stderr=f"400 Parameter verification failed.\nversion: value '{version}' does not have "
                                   "a value in the enumeration 'squid, reef'\n")
    if node.ceph_packages is not None and node.ceph_packages != version:
        return Outcome(255, stderr=f"ceph {node.ceph_packages} is installed; upgrading to {version} is a separate "
                                   "procedure\n")
    node.ceph_packages = version
    return Outcome(0, stdout=f"installed ceph {version} successfully!\n")


def _dpkg_query(node: NodeState, args: list[str]) -> Outcome:
    package = args[-1] if args else ""
    if package in ("ceph-mon", "ceph-osd", "ceph-mgr", "ceph-mds", "ceph") and node.ceph_packages is not None:
        return Outcome(0, stdout=CEPH_VERSIONS[node.ceph_packages])
    return Outcome(1, stderr=f"dpkg-query: no packages found matching {package}\n")


def _conf_blocks(text: str) -> dict[str, object]:
    """corosync's brace format as nested dicts; a repeated block name gathers its blocks in a list."""
    root: dict[str, object] = {}
    stack = [root]
    for line in (raw.split("#", 1)[0].strip() for raw in text.splitlines()):
        if line.endswith("{"):
            block: dict[str, object] = {}
            found = stack[-1].setdefault(line[:-1].strip() + "[]", [])
            assert isinstance(found, list)
            found.append(block)
            stack.append(block)
        elif line == "}":
            stack.pop()
        elif line:
            key, _, value = line.partition(":")
            stack[-1][key.strip()] = value.strip()
    return root


def _corosync_conf_moved(world: World, node: NodeState, text: str) -> Outcome:
    """pmxcfs takes the new corosync.conf for the whole cluster; corosync reloads its links from it."""
    cluster: ClusterConf | None = node.cluster
    if cluster is None:
        return Outcome(1, stderr=f"mv: cannot move to '{COROSYNC_CONF}': No such file or directory\n")
    if not world.quorate(node):  # pmxcfs is read-only without quorum
        return Outcome(1, stderr=f"mv: cannot move to '{COROSYNC_CONF}': Permission denied\n")
    conf = _conf_blocks(text)
    totem = (conf.get("totem[]") or [{}])[0]
    nodelist = (conf.get("nodelist[]") or [{}])[0]
    assert isinstance(totem, dict) and isinstance(nodelist, dict)
    for entry in nodelist.get("node[]") or []:
        member = cluster.nodes.get(str(entry.get("name")))
        if member is not None:
            member.links = {int(k[4]): str(v) for k, v in entry.items() if k.startswith("ring") and
                            k.endswith("_addr")}
    cluster.interfaces = {int(i.get("linknumber", 0)): {k: str(v) for k, v in i.items()}
                          for i in totem.get("interface[]") or []}
    cluster.config_version = int(str(totem.get("config_version", cluster.config_version)))
    return Outcome(0)
