"""What the writer's parts share: the module's lines, the names taken, the variables of nodes, storages, guests
and pools, the secrets, decisions and what was left out."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from pvecdk.adopt.code import LINE, Arg, Source, call, identifier
from pvecdk.adopt.model import Inventory, LeftOut
from pvecdk.adopt.networks import Roles

__all__ = ["WriterBase"]


class WriterBase:
    """The state of one module being written, and the helpers every part uses."""

    def __init__(self, inv: Inventory, node_endpoints: Mapping[str, str]) -> None:
        self.inv = inv
        self.src = Source()
        self.names: set[str] = set()
        self.node_vars: dict[str, str] = {}
        self.storage_vars: dict[str, str] = {}
        self.guest_vars: dict[int, str] = {}
        self.pool_vars: dict[str, str] = {}
        self.guest_pools: dict[int, str] = {}  # vmid -> the variable of its pool (the first that lists it)
        self.construct_ids: set[str] = set()
        self.secrets: list[tuple[str, str]] = []
        self.left_out: list[LeftOut] = []
        self.decisions: list[str] = []
        self.endpoints = dict(node_endpoints)
        self.roles: Roles = Roles()
        self.v9 = not inv.release.startswith("8")

    # -- helpers

    def line(self, text: str = "") -> None:
        self.src.add(text)

    def var(self, name: str) -> str:
        return identifier(name, self.names)

    def construct_id(self, wanted: str) -> str:
        found, n = wanted, 2
        while found in self.construct_ids:
            found, n = f"{wanted}-{n}", n + 1
        self.construct_ids.add(found)
        return found

    def secret(self, name: str, description: str) -> Arg:
        var = identifier(name, self.names)
        self.secrets.append((var, description))
        self.line(call(f"{var} = TerraformVariable", [Arg("self"), var],
                       {"type": "string", "sensitive": True, "description": description}))
        return Arg(f"{var}.string_value")

    def decide(self, comment: str) -> None:
        self.decisions.append(comment)
        self.line("\n".join(textwrap.wrap(f"DECIDE: {comment}", width=LINE - 10, initial_indent="        # ",
                                           subsequent_indent="        #   ")))

    def skip(self, what: str, reason: str) -> None:
        self.left_out.append(LeftOut(what, reason))
