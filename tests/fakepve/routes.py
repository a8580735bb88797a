"""The table of API methods the fake implements, keyed by HTTP method and schema path template.

Handlers get a Call: the node whose endpoint was asked, the checked parameters, the caller's identity and the
services they may use. They run with the World lock held and return the response's `data`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import ApiError
from .faults import FaultBook
from .model import NodeState, World
from .tasks import TaskRunner


@dataclass(frozen=True)
class Release:
    """What GET /version says and which schema checks requests."""

    schema: str  # "9.1" or "8.4"
    version: str  # "9.1.3"
    repoid: str


class Services(Protocol):
    world: World
    release: Release
    runner: TaskRunner
    faults: FaultBook
    root_password: str

    def fingerprint(self, node: str) -> str: ...

    def rotate_cert(self, node: str) -> None: ...


@dataclass
class Call:
    services: Services
    node: NodeState
    params: dict[str, str]
    user: str

    @property
    def world(self) -> World:
        return self.services.world


@dataclass
class Reply:
    """Data plus PVE's extra top-level response fields (such as a task log's `total`)."""

    data: Any
    extra: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Call], Any]
ROUTES: dict[tuple[str, str], Handler] = {}


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES[(method, template)] = handler
        return handler

    return register


def target_node(call: Call) -> NodeState:
    """The node a /nodes/{node}/... call is about; pveproxy forwards such calls to that cluster member."""
    name = call.params["node"]
    if name == call.node.name:
        return call.node
    members = {n.name: n for n in call.world.members(call.node)}
    if name not in members:
        raise ApiError(
            500,
            f"hostname lookup '{name}' failed - failed to get address info for: {name}: Name or service not known\n",
        )
    if not call.world.sees_online(call.node, name):
        raise ApiError(595, "No route to host\n")
    return members[name]
