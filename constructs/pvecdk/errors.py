"""The exceptions pvecdk raises.

::

    PvecdkError                  root: catch this to catch everything pvecdk raises
    ├── ConfigError              the model is wrong; .problems lists every problem found
    └── EngineError              talking to PVE went wrong (raised by pvecdk.engine)
        ├── ApiError             PVE answered with an error: .node, .method, .path, .status, .errors
        │   └── ConcurrentEditError  a write found the configuration changed since it was read (digest)
        ├── UnreachableError     no answer from a node (refused, timed out, dropped) after retries: .node, .path
        ├── TaskError            a task (UPID) failed or did not finish in time: .node, .upid, .exitstatus,
        │                        .log (last lines), .timed_out
        ├── PlanRefused          the change is unsafe, nothing was done: .problems (EngineProblem)
        ├── PrerequisiteMissing  a Ceph object's prerequisite is not there yet: .problems (EngineProblem)
        └── ShellError           a command-line step over SSH went wrong: .node
            ├── HostKeyError     the node's SSH host key is not the one known (changed) or none is known and
            │                    pinning was not allowed: .expected, .got (fingerprints); nothing was sent
            └── CommandError     a command ran and failed: .command, .exit_status, .output (last lines)

A dropped or refused SSH connection is an ``UnreachableError`` whose method is ``SSH``.

A ``ConfigError`` is raised before anything is written: a construct that fails validation is never added to
the construct tree. Its message is a count line, then one line per problem::

    2 problems in the configuration
      example/nfs (proxmox_storage_nfs): server: missing required argument; pass server=<address of the NFS server>
      example/nfs (proxmox_storage_nfs): content: expected a list of strings, got int 3; pass a list such as ["images"]

An engine refusal lists its problems the same way, each with its subject (a node, a member, a Ceph object, a
storage attribute), what is wrong and the fix.

Values of sensitive attributes never appear in a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ApiError", "CommandError", "ConcurrentEditError", "ConfigError", "EngineError", "EngineProblem",
           "HostKeyError", "PlanRefused", "PrerequisiteMissing", "Problem", "PvecdkError", "Severity", "ShellError",
           "TaskError", "UnreachableError"]


class Severity(StrEnum):
    """How much a finding or diagnostic matters: an error stops the run, a warning is shown."""

    ERROR = "error"
    WARNING = "warning"


class PvecdkError(Exception):
    """The root of every exception pvecdk raises."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the model.

    Attributes:
        path: The construct path (``stack/construct/...``); the construct's own id for one not yet in the tree.
        field: The attribute or prop, dotted for nested blocks (``backups.keep_daily``, ``disk[1].size``).
        problem: What is wrong, with the value got (never a sensitive value).
        fix: How to fix it.
        type: The Terraform type of the construct (``proxmox_storage_nfs``) when it has one.
    """

    path: str
    field: str
    problem: str
    fix: str
    type: str | None = None

    def __str__(self) -> str:
        where = f"{self.path} ({self.type})" if self.type else self.path
        return f"{where}: {self.field}: {self.problem}; {self.fix}"


class ConfigError(PvecdkError):
    """The model has one or more problems; nothing was written.

    Attributes:
        problems: Every problem found, in the order found.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("ConfigError needs at least one problem")
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the configuration"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


class EngineError(PvecdkError):
    """Talking to PVE went wrong. Messages name the node and the call; they never hold a secret."""

    def __init__(self, message: str, *, node: str) -> None:
        super().__init__(message)
        self.node = node


class ApiError(EngineError):
    """PVE answered a call with an error.

    Attributes:
        node: The node asked.
        method: HTTP method.
        path: API path, such as ``/cluster/config/join``.
        status: HTTP status.
        message: PVE's message.
        errors: PVE's per-parameter errors.
    """

    def __init__(self, *, node: str, method: str, path: str, status: int, message: str,
                 errors: dict[str, str] | None = None) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.errors = dict(errors or {})
        detail = "; ".join(f"{k}: {v}" for k, v in sorted(self.errors.items()))
        text = f"{node}: {method} {path} failed with HTTP {status}: {message}" + (f" ({detail})" if detail else "")
        super().__init__(text, node=node)


class UnreachableError(EngineError):
    """A node did not answer (connection refused, timed out or dropped), retries included."""

    def __init__(self, *, node: str, method: str, path: str, reason: str, attempts: int) -> None:
        self.method = method
        self.path = path
        self.reason = reason
        self.attempts = attempts
        super().__init__(f"{node}: {method} {path}: no answer after {attempts} attempt(s): {reason}", node=node)


class TaskError(EngineError):
    """A PVE task failed, or did not finish within its timeout.

    Attributes:
        upid: The task id.
        exitstatus: PVE's exit status ("" when it timed out).
        log: The last lines of the task log.
        timed_out: Whether the wait gave up.
    """

    def __init__(self, *, node: str, upid: str, exitstatus: str, log: list[str], timed_out: bool,
                 timeout_seconds: float | None = None) -> None:
        self.upid = upid
        self.exitstatus = exitstatus
        self.log = list(log)
        self.timed_out = timed_out
        head = (f"{node}: task {upid} did not finish within {timeout_seconds:g} s" if timed_out
                else f"{node}: task {upid} failed: {exitstatus}")
        tail = "\n".join(f"  | {line}" for line in self.log)
        super().__init__(head + (f"\n{tail}" if tail else ""), node=node)


class ConcurrentEditError(ApiError):
    """A write sent the digest of the configuration it read, and PVE found the file changed since: someone else
    edited it in between. Nothing was written; read again and rerun."""


@dataclass(frozen=True)
class EngineProblem:
    """One reason the engine refuses a change (or waits for a prerequisite).

    Attributes:
        subject: What it is about: a node (``pve4``), a Ceph object (``osd.3``), a storage attribute
            (``options.pool``), the cluster (``cluster lab``).
        problem: What is wrong, as the nodes report it.
        fix: What to do about it.
        field: The attribute of the resource it points at (``member``, ``options.pool``), when there is one.
    """

    subject: str
    problem: str
    fix: str
    field: str | None = None

    def __str__(self) -> str:
        return f"{self.subject}: {self.problem}; {self.fix}"


class _Problems(EngineError):
    prefix = ""

    def __init__(self, problems: Iterable[EngineProblem], node: str = "-") -> None:
        self.problems: tuple[EngineProblem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError(f"{type(self).__name__} needs at least one problem")
        super().__init__(self.prefix + "; ".join(str(p) for p in self.problems), node=node)


class PlanRefused(_Problems):
    """The change is unsafe or invalid; nothing was done. ``problems`` says why."""

    prefix = "refused: "


class PrerequisiteMissing(_Problems):
    """Something a Ceph object needs is not there yet (Ceph not initialised, no monitor); nothing was done."""

    prefix = "missing: "


class ShellError(EngineError):
    """A step PVE offers only on the command line (run over SSH) went wrong."""


class HostKeyError(ShellError):
    """The node's SSH host key is not the one known for it; nothing was sent to it (no login, no command).

    Attributes:
        address: ``host:port`` connected to.
        expected: Fingerprint of the known key (None: none was known and pinning on first contact is off).
        got: Fingerprint of the key the node presented.
    """

    def __init__(self, *, node: str, address: str, expected: str | None, got: str) -> None:
        self.address = address
        self.expected = expected
        self.got = got
        if expected is None:
            text = (f"{node}: SSH host key of {address} is unknown ({got}) and pinning on first contact is off; "
                    "give the node's host key in the model")
        else:
            text = (f"{node}: SSH host key of {address} changed: known {expected}, offered {got}; refusing to "
                    "connect. If the node was reinstalled, put its new key in the model (or remove the pinned "
                    "one from the state); otherwise someone may be intercepting the connection")
        super().__init__(text, node=node)


class CommandError(ShellError):
    """A command ran on the node and exited non-zero.

    Attributes:
        command: The command line.
        exit_status: Its exit status.
        output: Its last lines of output (standard error after standard output).
    """

    def __init__(self, *, node: str, command: str, exit_status: int, output: list[str]) -> None:
        self.command = command
        self.exit_status = exit_status
        self.output = list(output)
        tail = "\n".join(f"  | {line}" for line in self.output)
        super().__init__(f"{node}: `{command}` failed with exit status {exit_status}" + (f"\n{tail}" if tail else ""),
                         node=node)
