"""PVE worker tasks: real UPIDs, a status and a log, finished by a background thread after a set time."""

from __future__ import annotations

import itertools
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# PVE's own UPID syntax (pve-common's PVE::UPID): node, pid, pstart, start time, type, id, user.
_UPID_RE = re.compile(
    r"UPID:([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):"
    r"([^:\s/]+):([^:\s/]*):([^:\s/]+):"
)


def encode_upid(node: str, pid: int, pstart: int, starttime: int, kind: str, ident: str, user: str) -> str:
    return f"UPID:{node}:{pid:08X}:{pstart:08X}:{starttime:08X}:{kind}:{ident}:{user}:"


def decode_upid(upid: str) -> dict[str, Any] | None:
    match = _UPID_RE.fullmatch(upid)
    if match is None:
        return None
    return {
        "node": match.group(1),
        "pid": int(match.group(3), 16),
        "pstart": int(match.group(4), 16),
        "starttime": int(match.group(5), 16),
        "type": match.group(6),
        "id": match.group(7),
        "user": match.group(8),
    }


class TaskFailed(Exception):
    """A task's action failing the way PVE's workers die: the message becomes the exit status."""

    def __init__(self, message: str, lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.lines = lines or []


@dataclass
class Task:
    upid: str
    node: str
    kind: str
    ident: str
    user: str
    pid: int
    pstart: int
    starttime: int
    status: str = "running"
    exitstatus: str | None = None
    endtime: int | None = None
    log: list[str] = field(default_factory=list)

    def status_data(self) -> dict[str, Any]:
        """The answer of GET /nodes/{node}/tasks/{upid}/status; a token's name is split off like PVE does."""
        user, _, token = self.user.partition("!")
        data: dict[str, Any] = {
            "upid": self.upid,
            "node": self.node,
            "pid": self.pid,
            "pstart": self.pstart,
            "starttime": self.starttime,
            "type": self.kind,
            "id": self.ident,
            "user": user,
            "status": self.status,
        }
        if token:
            data["tokenid"] = token
        if self.exitstatus is not None:
            data["exitstatus"] = self.exitstatus
        return data


# What a task's action gives back: the log lines printed on success.
Action = Callable[[], list[str]]


class TaskRunner:
    """Starts tasks and finishes each after `seconds`: the action runs then, under the state lock, atomically."""

    def __init__(self, lock: threading.RLock, seconds: float, on_error: Callable[[str], None]) -> None:
        self._lock = lock
        self._seconds = seconds
        self._on_error = on_error
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pids = itertools.count(random.randint(2000, 60000))
        self._pstart = random.randint(0x100000, 0xFFFFFF)

    def start(self, node: str, skew: float, kind: str, ident: str, user: str, action: Action, fail: str | None) -> Task:
        pid = next(self._pids)
        starttime = int(time.time() + skew)
        upid = encode_upid(node, pid, self._pstart + pid, starttime, kind, ident, user)
        task = Task(upid, node, kind, ident, user, pid, self._pstart + pid, starttime)
        thread = threading.Thread(target=self._finish, args=(task, action, fail, skew), name=f"fakepve-task-{pid}")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return task

    def _finish(self, task: Task, action: Action, fail: str | None, skew: float) -> None:
        interrupted = self._stop.wait(self._seconds)
        with self._lock:
            lines: list[str] = []
            error: str | None = None
            if interrupted:
                error = "interrupted by signal"
            elif fail is not None:
                error = fail
            else:
                try:
                    lines = action()
                except TaskFailed as exc:
                    lines, error = exc.lines, exc.message
                except Exception as exc:  # a bug in the fake itself: fail the task and tell the test
                    error = f"fakepve internal error: {exc!r}"
                    self._on_error(f"task {task.upid}: {exc!r}")
            task.log.extend(lines)
            task.log.append("TASK OK" if error is None else f"TASK ERROR: {error}")
            task.exitstatus = "OK" if error is None else error
            task.endtime = int(time.time() + skew)
            task.status = "stopped"

    def stop(self) -> None:
        """Interrupt waiting tasks (they end with an error, as on a daemon restart) and wait for their threads."""
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
