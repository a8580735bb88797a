"""Read-only configuration the fake keeps as data: node networks, DNS, hosts, guest configurations, HA groups
and rules, pools, backup and replication jobs, metrics servers, firewall options, users and ACLs.

Tests seed it through `FakeCluster.set_inventory(path, data)` with what PVE would answer for that concrete path
(`/nodes/pve1/network`, `/cluster/ha/rules`); a path not seeded answers what another handler of the fake
answers for it, else PVE's empty answer. The guest
lists of a node come from the guests the fake holds (`FakeCluster.add_guest`).
"""

from __future__ import annotations

from typing import Any

# The modules whose routes this one falls back on register theirs first.
from . import handlers_cluster, handlers_node  # noqa: F401
from .errors import ApiError
from .routes import ROUTES, Call, route, target_node

# Templates whose answer is a list when nothing was seeded; the others answer an object.
_LISTS = ("/nodes/{node}/network", "/cluster/ha/groups", "/cluster/ha/rules", "/pools", "/cluster/backup",
          "/cluster/replication", "/cluster/metrics/server", "/access/users", "/access/acl")
_OBJECTS = ("/nodes/{node}/dns", "/nodes/{node}/hosts", "/cluster/firewall/options")
_PER_ITEM = ("/nodes/{node}/qemu/{vmid}/config", "/nodes/{node}/lxc/{vmid}/config", "/cluster/ha/resources/{sid}",
             "/pools/{poolid}")


def _concrete(template: str, params: dict[str, str]) -> str:
    path = template
    for key, value in params.items():
        path = path.replace("{" + key + "}", value)
    return path


def _seeded(template: str, empty: Any) -> Any:
    # A route another module implements already answers what nothing seeded (this module registers last).
    previous = ROUTES.get(("GET", template))

    def handler(call: Call) -> Any:
        if "{node}" in template:
            target_node(call)  # a node that is down answers 595, as the real proxy does
        path = _concrete(template, call.params)
        if path in call.world.inventory:
            return call.world.inventory[path]
        return previous(call) if previous is not None else empty

    return handler


def _item(template: str) -> Any:
    def handler(call: Call) -> Any:
        if "{node}" in template:
            target_node(call)
        path = _concrete(template, call.params)
        if path not in call.world.inventory:
            raise ApiError(500, f"{path.rsplit('/', 1)[-1] if 'config' not in path else 'configuration'} "
                                "does not exist\n")
        return call.world.inventory[path]

    return handler


for _template in _LISTS:
    route("GET", _template)(_seeded(_template, []))
for _template in _OBJECTS:
    route("GET", _template)(_seeded(_template, {}))
for _template in _PER_ITEM:
    route("GET", _template)(_item(_template))


def _guests(kind: str) -> Any:
    def handler(call: Call) -> list[dict[str, Any]]:
        node = target_node(call)
        rows = []
        for guest in call.world.guests_of([node.name]):
            if guest.kind == kind:
                rows.append({"vmid": guest.vmid, "name": guest.name, "status": guest.status})
        return rows

    return handler


route("GET", "/nodes/{node}/qemu")(_guests("qemu"))
route("GET", "/nodes/{node}/lxc")(_guests("lxc"))
