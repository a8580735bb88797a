"""Corosync links of a formed cluster: read, changed and written in ``/etc/pve/corosync.conf`` over SSH.

PVE's API adds a node with its links but cannot change the links of a formed cluster: PVE documents editing
``corosync.conf`` instead. This module does that edit as the documentation describes it, on one member
(:class:`~pvecdk.engine.shell.Shell`): read the file (``cat``), parse it (:func:`parse`, corosync's brace format,
every key, comment and order kept), put each node's ``ring<N>_addr`` and the totem ``interface`` blocks
(``linknumber``, ``knet_link_priority``) where the model wants them (:func:`with_links`), and only if that
differs keep the file as it was in ``corosync.conf.bak``, write ``corosync.conf.new`` beside it with
``totem.config_version`` one higher and ``mv`` it into place: pmxcfs hands the new file to every member and
corosync reloads it.

Before writing, :func:`plan_links` refuses (nothing is written):

* a cluster without quorum, or with a member offline (it would miss the reload and come back with the old
  links, unable to talk to the others on a re-addressed link);
* a change that would leave no link, or that changes every link at once (no link stays as it was, so if the new
  addresses do not connect, the members lose each other): add the new link first, remove the old one after;
* an address no interface of its node carries (corosync binds each link to it);
* a node the file lists that the model does not, or one the model lists that the file does not (every member
  needs the same links: change the membership first);
* a file that changed since it was read (``config_version`` moved): checked in the same command that writes.

After the write, :func:`apply_links` waits until the API shows the new links (``/cluster/config/nodes``,
``/cluster/config/totem``) and the cluster quorate, or stops at a deadline with what it saw. Every run reads
first, so a run that stopped half-way (a dropped connection, a failed ``mv``) is continued by the next one, and a
rerun with nothing to change writes nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pvecdk.engine.client import Client
from pvecdk.engine.membership import carried_addresses
from pvecdk.engine.shell import Shell
from pvecdk.engine.status import first_member_status
from pvecdk.errors import ApiError, CommandError, EngineError, EngineProblem, PlanRefused, UnreachableError

__all__ = ["CONF_PATH", "MAX_LINKS", "Block", "Comment", "ConfError", "LinkChange", "LinkConfig", "LiveStatus",
           "Pair", "WantedLinks", "apply_links", "entry_links", "link_config", "parse", "plan_links", "read_status",
           "render", "with_links"]

CONF_PATH = "/etc/pve/corosync.conf"
#: knet carries links 0 to 7.
MAX_LINKS = 8
#: knet's priority of a link whose interface names none.
DEFAULT_PRIORITY = 0
#: Exit status of the write command when the file changed since it was read.
_MOVED = 3
#: Beside the file: what it held before the last write, for a person to go back to.
BACKUP_SUFFIX = ".bak"
# $1 the new text, $2 the file, $3 the config_version read. The version is checked in the command that writes,
# so an edit made since the read is never overwritten; the file as it was is kept in `.bak`, the new one written
# to `.new` beside it, then one `mv`, as PVE documents.
_WRITE = ('f=$2; old=$(cat "$f") || exit 1; '
          'printf "%s\\n" "$old" | grep -Eqx "[[:space:]]*config_version:[[:space:]]*$3[[:space:]]*" || '
          '{ echo "config_version is no longer $3" >&2; exit 3; }; '
          f'printf "%s\\n" "$old" > "$f{BACKUP_SUFFIX}" && printf %s "$1" > "$f.new" && mv -f "$f.new" "$f"')


# --------------------------------------------------------------------------------------------- the format


class ConfError(ValueError):
    """The text is not in corosync's configuration format."""


@dataclass
class Pair:
    """``key: value``."""

    key: str
    value: str


@dataclass
class Comment:
    """A comment line (``#`` first) or a blank line (``text`` empty), kept where it was."""

    text: str


@dataclass
class Block:
    """``name { ... }``; the file itself is the block with no name."""

    name: str
    entries: list[Pair | Comment | Block] = field(default_factory=list)

    def get(self, key: str) -> str | None:
        """The value of the last ``key`` (corosync's last one wins)."""
        found = None
        for entry in self.entries:
            if isinstance(entry, Pair) and entry.key == key:
                found = entry.value
        return found

    def set(self, key: str, value: str, *, after: Sequence[str] = ()) -> None:
        """Set ``key`` in place (repeats folded into the first); a new key goes after the last of ``after``
        present, else after the block's last pair."""
        pairs = [e for e in self.entries if isinstance(e, Pair) and e.key == key]
        if pairs:
            pairs[0].value = value
            self.entries = [e for e in self.entries if not (isinstance(e, Pair) and e.key == key and e is not
                                                            pairs[0])]
            return
        anchors = [i for i, e in enumerate(self.entries) if isinstance(e, Pair) and e.key in after]
        if not anchors:
            anchors = [i for i, e in enumerate(self.entries) if isinstance(e, Pair)]
        self.entries.insert(anchors[-1] + 1 if anchors else len(self.entries), Pair(key, value))

    def remove(self, key: str) -> None:
        self.entries = [e for e in self.entries if not (isinstance(e, Pair) and e.key == key)]

    def blocks(self, name: str) -> list[Block]:
        return [e for e in self.entries if isinstance(e, Block) and e.name == name]

    def block(self, name: str) -> Block | None:
        found = self.blocks(name)
        return found[0] if found else None


_OPEN = re.compile(r"([A-Za-z0-9_.-]+)\s*\{$")


def parse(text: str) -> Block:
    """The file's blocks, pairs and comments, in order.

    Raises:
        ConfError: a line is neither ``key: value``, ``name {``, ``}`` nor a comment, or braces do not match
            (with the line number).
    """
    root = Block("")
    stack = [root]
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        opened = _OPEN.match(line)
        if not line or line.startswith("#"):
            stack[-1].entries.append(Comment(line))
        elif opened:
            block = Block(opened.group(1))
            stack[-1].entries.append(block)
            stack.append(block)
        elif line == "}":
            if len(stack) == 1:
                raise ConfError(f"line {number}: '}}' closes no block")
            stack.pop()
        elif ":" in line:
            # Split at the first colon: values hold colons (IPv6 addresses).
            key, _, value = line.partition(":")
            if not key.strip() or any(c.isspace() or c in "{}" for c in key.strip()):
                raise ConfError(f"line {number}: {raw.strip()!r} is no 'key: value'")
            stack[-1].entries.append(Pair(key.strip(), value.strip()))
        else:
            raise ConfError(f"line {number}: {raw.strip()!r} is no 'key: value', 'name {{' or '}}'")
    if len(stack) > 1:
        raise ConfError(f"block {stack[-1].name!r} is not closed")
    return root


def render(root: Block) -> str:
    """The text of ``root`` as PVE writes it: two spaces per level, ``key: value``."""
    lines: list[str] = []

    def emit(block: Block, depth: int) -> None:
        pad = "  " * depth
        for entry in block.entries:
            if isinstance(entry, Comment):
                lines.append(f"{pad}{entry.text}" if entry.text else "")
            elif isinstance(entry, Pair):
                lines.append(f"{pad}{entry.key}: {entry.value}")
            else:
                lines.append(f"{pad}{entry.name} {{")
                emit(entry, depth + 1)
                lines.append(f"{pad}}}")

    emit(root, 0)
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------ the links


@dataclass(frozen=True)
class LinkConfig:
    """The links a ``corosync.conf`` sets.

    Attributes:
        cluster_name: ``totem.cluster_name``.
        version: ``totem.config_version``.
        addresses: Node name -> link number -> its address (``ring<N>_addr``, or ``link<N>_addr``).
        priorities: Link number -> ``knet_link_priority`` of its totem interface (None: the interface names
            none, or there is no interface for it).
    """

    cluster_name: str | None
    version: int
    addresses: dict[str, dict[int, str]]
    priorities: dict[int, int | None]

    @property
    def links(self) -> list[int]:
        """The link numbers in use, by any node or interface."""
        return sorted({n for links in self.addresses.values() for n in links} | set(self.priorities))


@dataclass(frozen=True)
class WantedLinks:
    """The links the model wants: each node's address per link (link0 first), and each link's priority."""

    addresses: Mapping[str, Sequence[str]]
    priorities: Sequence[int]


_ADDR = re.compile(r"(?:ring|link)([0-7])_addr")


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


def link_config(root: Block) -> LinkConfig:
    """What ``root`` (a parsed ``corosync.conf``) says about the links.

    Raises:
        ConfError: no ``totem`` or ``nodelist`` block, a node without a name, or a ``config_version`` that is no
            number.
    """
    totem = root.block("totem")
    if totem is None:
        raise ConfError("no totem block")
    version = totem.get("config_version")
    if version is None or not version.isdigit():
        raise ConfError(f"totem.config_version {version!r} is no number")
    addresses: dict[str, dict[int, str]] = {}
    nodelist = root.block("nodelist")
    if nodelist is None:
        raise ConfError("no nodelist block")
    for node in nodelist.blocks("node"):
        name = node.get("name")
        if not name:
            raise ConfError("a node of the nodelist has no name")
        addresses[name] = {int(m.group(1)): e.value for e in node.entries if isinstance(e, Pair)
                           and (m := _ADDR.fullmatch(e.key))}
    priorities: dict[int, int | None] = {}
    for iface in totem.blocks("interface"):
        number = _int(iface.get("linknumber") or iface.get("ringnumber"))
        priority = iface.get("knet_link_priority")
        priorities[number] = None if priority is None else _int(priority)
    return LinkConfig(totem.get("cluster_name"), int(version), addresses, priorities)


def with_links(root: Block, wanted: WantedLinks, *, version: int) -> Block:
    """A copy of ``root`` with each node's link addresses and the totem interfaces as ``wanted`` says, and
    ``config_version`` set to ``version``; everything else kept as it was, in its order.

    Raises:
        ConfError: no ``totem`` or ``nodelist`` block.
    """
    copy = parse(render(root))
    totem = copy.block("totem")
    nodelist = copy.block("nodelist")
    if totem is None or nodelist is None:
        raise ConfError("no totem block" if totem is None else "no nodelist block")
    count = len(wanted.priorities)
    for node in nodelist.blocks("node"):
        addresses = wanted.addresses.get(str(node.get("name")))
        if addresses is None:
            continue  # a member the model does not list (plan_links refuses it): its links are never stripped
        for number in range(MAX_LINKS):
            key = next((e.key for e in node.entries if isinstance(e, Pair) and e.key in (
                f"ring{number}_addr", f"link{number}_addr")), f"ring{number}_addr")
            if number < len(addresses):
                node.set(key, addresses[number], after=[f"ring{i}_addr" for i in range(number)] + ["name"])
            else:
                node.remove(f"ring{number}_addr")
                node.remove(f"link{number}_addr")
    interfaces = {_int(b.get("linknumber") or b.get("ringnumber")): b for b in totem.blocks("interface")}
    totem.entries = [e for e in totem.entries if not (isinstance(e, Block) and e.name == "interface"
                                                      and _int(e.get("linknumber") or e.get("ringnumber")) >= count)]
    for number in range(count):
        iface = interfaces.get(number)
        if iface is None:
            iface = Block("interface", [Pair("linknumber", str(number))])
            placed = [i for i, e in enumerate(totem.entries) if isinstance(e, Block) and e.name == "interface"]
            if placed:
                totem.entries.insert(placed[-1] + 1, iface)
            else:
                totem.entries.append(iface)
        # Written whenever the file is: the priority read back is then the model's, 0 included.
        iface.set("knet_link_priority", str(wanted.priorities[number]), after=["linknumber"])
    totem.set("config_version", str(version))
    return copy


# ----------------------------------------------------------------------------------------------- the change


@dataclass(frozen=True)
class LinkChange:
    """What a write changes: links added and removed, nodes re-addressed per link, priorities changed."""

    added: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()
    readdressed: tuple[tuple[int, tuple[str, ...]], ...] = ()
    reprioritized: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.readdressed or self.reprioritized)

    def describe(self) -> str:
        parts = [f"add link{n}" for n in self.added] + [f"remove link{n}" for n in self.removed]
        parts += [f"re-address link{n} on {', '.join(nodes)}" for n, nodes in self.readdressed]
        parts += [f"set the priority of link{n}" for n in self.reprioritized]
        return "; ".join(parts) or "no change"


@dataclass
class LiveStatus:
    """``/cluster/status`` as the first member that answers reports it."""

    cluster: str | None = None
    quorate: bool = False
    online: dict[str, bool] = field(default_factory=dict)
    answered_by: str | None = None
    unreachable: dict[str, str] = field(default_factory=dict)


def read_status(client: Client, nodes: Sequence[str]) -> LiveStatus:
    """Ask ``nodes`` in turn; the first that answers as a member speaks for the cluster."""
    answer, failed = first_member_status(client, nodes)
    live = LiveStatus(unreachable={node: exc.reason if isinstance(exc, UnreachableError) else exc.message
                                   for node, exc in failed.items()})
    if answer is not None:
        live.cluster = str(answer.cluster.get("name"))
        live.quorate = answer.quorate
        live.online = {str(e.get("name")): bool(_int(str(e.get("online") or 0))) for e in answer.nodes}
        live.answered_by = answer.node
    return live


def _priority(value: int | None) -> int:
    return DEFAULT_PRIORITY if value is None else value


def plan_links(current: LinkConfig, wanted: WantedLinks, live: LiveStatus, *, cluster: str
               ) -> tuple[LinkChange, list[EngineProblem]]:
    """The change from ``current`` to ``wanted``, and the reasons to refuse it (empty when safe or unchanged).

    A priority the file leaves out counts as knet's default (0): an equal model writes nothing.
    """
    problems: list[EngineProblem] = []
    subject = f"cluster {cluster}"
    if current.cluster_name is not None and current.cluster_name != cluster:
        problems.append(EngineProblem(subject, f"corosync.conf names cluster {current.cluster_name!r}",
                                      "name the cluster the nodes form", "cluster_name"))
    count = len(wanted.priorities)
    for name, addresses in sorted(wanted.addresses.items()):
        if len(addresses) != count:
            problems.append(EngineProblem(name, f"has {len(addresses)} link addresses for {count} links",
                                          "give every node one address per link", "addresses"))
    for name in sorted(set(current.addresses) - set(wanted.addresses)):
        problems.append(EngineProblem(name, "is a member the model does not list: every member needs the same "
                                      "links", "add it to the model, or remove it from the cluster first",
                                      "addresses"))
    for name in sorted(set(wanted.addresses) - set(current.addresses)):
        problems.append(EngineProblem(name, "is not a member of the cluster yet", "join it first (pvecdk_cluster"
                                      " does, in the same apply), then run again", "addresses"))
    if problems:
        return LinkChange(), problems
    before = set(current.links)
    added = tuple(n for n in range(count) if n not in before)
    removed = tuple(n for n in sorted(before) if n >= count)
    readdressed = tuple(
        (n, nodes) for n in range(count) if n in before
        if (nodes := tuple(name for name in sorted(wanted.addresses)
                           if current.addresses[name].get(n) != wanted.addresses[name][n])))
    reprioritized = tuple(n for n in range(count) if n in before
                          and _priority(current.priorities.get(n)) != wanted.priorities[n])
    change = LinkChange(added, removed, readdressed, reprioritized)
    if change.empty:
        return change, []
    if count == 0:
        problems.append(EngineProblem(subject, "would be left with no corosync link", "keep at least link0",
                                      "link_priorities"))
    kept = [n for n in range(count) if n in before and n not in dict(readdressed)]
    if count and before and not kept:
        problems.append(EngineProblem(subject, f"would change every link at once ({change.describe()}): if the "
                                      "new addresses do not connect, the members lose each other",
                                      "add the new addresses as another link first, apply, then remove the old "
                                      "link in a second apply", "addresses"))
    if live.cluster is None:
        problems.append(EngineProblem(subject, "no member answered as part of a cluster" + (
            f" ({'; '.join(f'{k}: {v}' for k, v in live.unreachable.items())})" if live.unreachable else ""),
            "form the cluster first and check that its members answer", "node"))
    elif not live.quorate:
        problems.append(EngineProblem(subject, "has no quorum: corosync.conf cannot be written",
                                      "bring enough nodes online until it is quorate again", "node"))
    for name in sorted(wanted.addresses):
        if live.cluster is not None and not live.online.get(name):
            problems.append(EngineProblem(name, "is offline: it would miss the reload and come back with the old "
                                          "links", f"bring {name} online (it then shows online in /cluster/status)"
                                          " and run again", "node"))
    return change, problems


# -------------------------------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class LinksResult:
    """What :func:`apply_links` did: the change written (empty: none), on which node, and the version after."""

    change: LinkChange
    written_on: str | None
    version: int


def _read(shell: Shell, node: str, path: str) -> tuple[Block, LinkConfig]:
    text = shell.run(node, ["cat", path], idempotent=True).stdout
    try:
        root = parse(text)
        return root, link_config(root)
    except ConfError as exc:
        raise EngineError(f"{node}: {path} cannot be read as a corosync configuration: {exc}; fix the file by "
                          "hand (each node keeps the copy corosync last loaded in /etc/corosync/corosync.conf), "
                          "then run again",
                          node=node) from None


def _new_addresses(client: Client, current: LinkConfig, wanted: WantedLinks) -> list[EngineProblem]:
    """Addresses the change brings that no interface of their node carries (``/nodes/{node}/network``)."""
    problems = []
    for name, addresses in sorted(wanted.addresses.items()):
        new = {n: a for n, a in enumerate(addresses) if current.addresses.get(name, {}).get(n) != a}
        if not new:
            continue
        try:
            carried = carried_addresses(client, name)
        except (ApiError, UnreachableError) as exc:
            problems.append(EngineProblem(name, f"its interfaces could not be read: {exc}", "check that it "
                                          "answers and run again", "addresses"))
            continue
        for number, address in new.items():
            if address in carried:
                continue
            problems.append(EngineProblem(name, f"link{number} {address}: no interface of {name} carries this "
                                          "address", "configure the interface the model gives it first (apply "
                                          "the node's network), then run again", "addresses"))
    return problems


def apply_links(client: Client, shell: Shell, nodes: Sequence[str], wanted: WantedLinks, *, cluster: str,
                path: str = CONF_PATH, timeout_seconds: float = 120.0,
                sleep: Callable[[float], None] = time.sleep) -> LinksResult:
    """Make corosync.conf carry ``wanted``; write only if it differs, then wait until the API shows it.

    Args:
        nodes: The members, in the order they are asked (the first that answers reads and writes the file).
        cluster: The cluster's name, which the file must carry.

    Raises:
        PlanRefused: the change is unsafe (see the module's docstring); nothing was written.
        CommandError, UnreachableError: reading or writing failed; a rerun reads again and continues.
        EngineError: the API did not show the new links with quorum before the deadline.
    """
    live = read_status(client, nodes)
    via = live.answered_by or (nodes[0] if nodes else "-")
    root, current = _read(shell, via, path)
    change, problems = plan_links(current, wanted, live, cluster=cluster)
    if not problems and not change.empty:
        problems = _new_addresses(client, current, wanted)
    if problems:
        raise PlanRefused(problems)
    if change.empty:
        _wait_shown(client, nodes, wanted, current.version, timeout_seconds, sleep)
        return LinksResult(change, None, current.version)
    version = current.version + 1
    text = render(with_links(root, wanted, version=version))
    try:
        shell.run(via, ["sh", "-c", _WRITE, "sh", text, path, str(current.version)])
    except CommandError as exc:
        if exc.exit_status == _MOVED:
            raise PlanRefused([EngineProblem(f"cluster {cluster}", f"{path} changed since it was read "
                                             f"(config_version is no longer {current.version}): someone else "
                                             "edited it", "run again: the next run reads the new file and plans "
                                             "from it", "node")]) from None
        # The command line holds the whole file: say what failed, not the argument list.
        raise EngineError(f"{via}: writing {path} ({change.describe()}) failed with exit status "
                          f"{exc.exit_status}" + "".join(f"\n  | {line}" for line in exc.output) + "\nNothing "
                          "reached the other members unless the `mv` ran (the file before it is in "
                          f"{path}{BACKUP_SUFFIX}); run again: it reads the file first",
                          node=via) from None
    _wait_shown(client, nodes, wanted, version, timeout_seconds, sleep)
    return LinksResult(change, via, version)


def entry_links(entry: Mapping[str, Any]) -> list[str]:
    """The link addresses of a ``/cluster/config/nodes`` entry (``ring<N>_addr`` or ``link<N>_addr``), link0
    first."""
    return [str(a) for i in range(MAX_LINKS) if (a := entry.get(f"ring{i}_addr") or entry.get(f"link{i}_addr"))]


def _shown(client: Client, live: LiveStatus, wanted: WantedLinks, version: int) -> str | None:
    """What still differs from ``wanted`` in what the member that answered ``live`` shows (None: nothing)."""
    node = live.answered_by
    if node is None:
        return "no member answers"
    if not live.quorate:
        return "the cluster is not quorate"
    totem: dict[str, Any] = client.get(node, "/cluster/config/totem") or {}
    if _int(str(totem.get("config_version") or 0)) < version:
        return f"config_version is {totem.get('config_version')}, not {version} yet"
    interfaces = totem.get("interface") or {}
    numbers = sorted(_int(str(k)) for k in interfaces)
    if numbers != list(range(len(wanted.priorities))):
        return f"totem shows links {numbers}"
    for entry in client.get(node, "/cluster/config/nodes") or []:
        name = str(entry.get("node") or entry.get("name"))
        want = wanted.addresses.get(name)
        got = entry_links(entry)
        if want is not None and got != list(want):
            return f"{name} shows links {got}"
    return None


def _wait_shown(client: Client, nodes: Sequence[str], wanted: WantedLinks, version: int, timeout: float,
                sleep: Callable[[float], None]) -> None:
    deadline = time.monotonic() + timeout
    while True:
        live = read_status(client, nodes)
        differs = _shown(client, live, wanted, version)
        if differs is None:
            return
        if time.monotonic() >= deadline:
            raise EngineError(f"corosync.conf was written (config_version {version}), but after {timeout:g} s "
                              f"{differs}; check `journalctl -u corosync` on the members (corosync may have "
                              "refused the reload) and run again", node=live.answered_by or "-")
        sleep(0.2)
