"""What the Ceph handlers share: finding the target node's Ceph, re-checking inside workers, the ceph.conf lock.

Checks happen where PVE makes them: those before its fork answer HTTP 500 with the message, those inside the
worker fail the task. Long operations answer a UPID of a task on the target node (PVE proxies /nodes/{node}
calls there), with PVE's task types and ids. Ceph being installed on every node is assumed (`pveceph install`
has no API).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .ceph import NOT_INITIALISED, CephCluster
from .errors import ApiError
from .model import NodeState, World
from .routes import Call, target_node
from .tasks import TaskFailed

CONF_NO_QUORUM = "cfs-lock 'file-ceph_conf' error: no quorum!"


def initialised_ceph(world: World, node: NodeState) -> CephCluster:
    """The Ceph of the node's cluster; nothing Ceph works before `pveceph init`."""
    ceph = world.ceph(node)
    if ceph is None:
        raise ApiError(500, NOT_INITIALISED)
    return ceph


def target_ceph(call: Call) -> tuple[NodeState, CephCluster]:
    """The target node of a /nodes/{node}/ceph call and its cluster's Ceph."""
    node = target_node(call)
    return node, initialised_ceph(call.world, node)


def in_task(check: Callable[..., None], *args: Any) -> None:
    """Run a pre-fork check again inside the worker: state may have moved meanwhile, and then the task fails."""
    try:
        check(*args)
    except ApiError as exc:
        raise TaskFailed(exc.message.strip()) from None


def conf_lock(world: World, node: NodeState) -> None:
    if not world.quorate(node):
        raise TaskFailed(CONF_NO_QUORUM)


def version_fields(ceph: CephCluster) -> dict[str, str]:
    version, release = ceph.version
    return {"ceph_version": f"ceph version {version} ({release}) stable", "ceph_version_short": version}
