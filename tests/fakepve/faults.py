"""Fault injection: rules that make a node's next matching requests (or tasks) misbehave."""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase


class Fault(enum.Enum):
    HTTP_500 = "http_500"  # answer HTTP 500 instead of handling the request
    SLOW = "slow"  # sleep `delay` seconds before handling (to exceed a client's timeout)
    DROP = "drop"  # close the connection without any response
    TASK_FAIL = "task_fail"  # the next task started on the node ends with an error exit status
    FORBIDDEN = "forbidden"  # answer 403, as PVE does when the token lacks a privilege on the path
    PROXY_ERROR = "proxy_error"  # a reverse proxy in front of the node answers 502 with its HTML error page


@dataclass
class FaultRule:
    node: str
    kind: Fault
    path: str | None  # exact API path (/cluster/status), schema template (/nodes/{node}/time) or glob
    method: str | None
    remaining: int | None  # None: until cleared
    delay: float
    message: str | None
    after: bool  # HTTP_500/DROP after the request took effect (the answer is lost, the change is not)

    def matches(self, node: str, method: str, path: str, template: str | None) -> bool:
        if self.node != node or (self.method is not None and self.method != method):
            return False
        return self.path is None or self.path in (path, template) or fnmatchcase(path, self.path)


class FaultBook:
    """The rules in force, consumed in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self, node: str | None = None) -> None:
        with self._lock:
            self._rules = [r for r in self._rules if node is not None and r.node != node]

    def take_request(self, node: str, method: str, path: str, template: str | None) -> FaultRule | None:
        return self._take(lambda r: r.kind is not Fault.TASK_FAIL and r.matches(node, method, path, template))

    def take_task(self, node: str) -> FaultRule | None:
        return self._take(lambda r: r.kind is Fault.TASK_FAIL and r.node == node)

    def _take(self, wanted: Callable[[FaultRule], bool]) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if wanted(rule):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                        if rule.remaining <= 0:
                            self._rules.remove(rule)
                    return rule
        return None
