"""The watchdog module of PVE's HA stack: ``WATCHDOG_MODULE=<module>`` in ``/etc/default/pve-ha-manager``.

PVE's ``watchdog-mux`` loads the module named there when it starts (no line: ``softdog``, the software watchdog).
PVE has no API for it, so the file is edited over SSH (:class:`~pvecdk.engine.shell.Shell`): read first
(``cat``), written only when the line differs, every other line kept as it was, and replaced in one rename so a
dropped connection leaves the old file or the new one. Nothing is restarted: the module takes effect when the
node reboots (or when ``watchdog-mux`` restarts while no HA resource is active on the node), which stays the
operator's decision, as a reboot or a restart with HA armed could fence the node.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pvecdk._watchdog import CONFIG_FILE, MODULE_NAME
from pvecdk.engine.shell import Shell
from pvecdk.errors import CommandError

__all__ = ["CONFIG_FILE", "MODULE_NAME", "configured_module", "remove_watchdog_module", "set_watchdog_module",
           "with_module"]

_LINE = re.compile(r"\s*(?:export\s+)?WATCHDOG_MODULE=")
# Written beside the file and renamed over it: the file is never left half-written.
_WRITE = 'umask 022 && printf %s "$1" > "$2.pvecdk-new" && mv -f "$2.pvecdk-new" "$2"'


def configured_module(text: str) -> str | None:
    """The module the file's last ``WATCHDOG_MODULE=`` line names (quotes stripped); None: no such line."""
    found = None
    for line in text.splitlines():
        if _LINE.match(line):
            found = line.split("=", 1)[1].strip().strip("'\"") or None
    return found


def with_module(text: str, module: str | None) -> str:
    """``text`` with its ``WATCHDOG_MODULE=`` lines replaced by one naming ``module`` (None: no line), in place of
    the first such line or appended; every other line (comments included) kept."""
    lines = text.splitlines()
    out: list[str] = []
    placed = module is None
    for line in lines:
        if _LINE.match(line):
            if not placed:
                out.append(f"WATCHDOG_MODULE={module}")
                placed = True
            continue
        out.append(line)
    if not placed:
        out.append(f"WATCHDOG_MODULE={module}")
    return "\n".join(out) + "\n" if out else ""


def _read(shell: Shell, node: str, path: str) -> str:
    result = shell.run(node, ["cat", path], check=False, idempotent=True)
    if result.exit_status == 0:
        return result.stdout
    if "No such file" in result.stderr:
        return ""
    raise CommandError(node=node, command=result.command, exit_status=result.exit_status,
                       output=(result.stdout + result.stderr).splitlines()[-20:])


def _write(shell: Shell, node: str, path: str, text: str) -> None:
    shell.run(node, ["sh", "-c", _WRITE, "sh", text, path])


def set_watchdog_module(shell: Shell, nodes: Sequence[str], module: str | None, *,
                        path: str = CONFIG_FILE) -> dict[str, bool]:
    """Make every node's file name ``module`` (None: no line, so ``softdog``); node -> whether it was written.

    A node whose file already says so is not written (a rerun writes nothing). One node at a time: a failure
    leaves the nodes before it done and a rerun continues.

    Raises:
        ValueError: ``module`` is no kernel module name (checked before any node is touched).
        CommandError: the file could not be read or written on a node.
    """
    if module is not None and not MODULE_NAME.fullmatch(module):
        raise ValueError(f"{module!r} is no kernel module name")
    written = {}
    for node in nodes:
        text = _read(shell, node, path)
        wanted = with_module(text, module)
        # Written when the module differs, or to fold repeated lines into one (the last one wins for the shell).
        written[node] = configured_module(text) != module or _duplicated(text)
        if written[node]:
            _write(shell, node, path, wanted)
    return written


def _duplicated(text: str) -> bool:
    return sum(1 for line in text.splitlines() if _LINE.match(line)) > 1


def remove_watchdog_module(shell: Shell, nodes: Sequence[str], *, path: str = CONFIG_FILE) -> list[str]:
    """Take the ``WATCHDOG_MODULE=`` line out of each node's file (back to ``softdog``); the nodes written."""
    return [node for node, wrote in set_watchdog_module(shell, nodes, None, path=path).items() if wrote]
