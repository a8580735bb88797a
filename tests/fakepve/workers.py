"""Starting PVE worker tasks from handlers: the fault book decides whether the task fails, the node keeps it.

A task failed by Fault.TASK_FAIL ends with the exit status such a worker typically dies of (per task type),
and its action never runs, so the state is left as it was.
"""

from __future__ import annotations

from .model import NodeState
from .routes import Call
from .tasks import Action

# Exit statuses per task type; '{id}' is the task's id with its 'mon.'-style prefix written as systemd's '@'.
TASK_FAILURES = {
    "clustercreate": "command 'systemctl restart corosync pve-cluster' failed: exit code 1",
    "clusterjoin": "starting pve-cluster failed: exit code 1",
    "cephcreatemon": "command '/bin/systemctl start ceph-{id}' failed: exit code 1",
    "cephcreatemgr": "command '/bin/systemctl start ceph-{id}' failed: exit code 1",
    "cephcreatemds": "command '/bin/systemctl start ceph-{id}' failed: exit code 1",
    "cephcreateosd": "command 'ceph-volume lvm create --cluster-fsid' failed: exit code 1",
    "cephcreatepool": "mon_command failed - got timeout",
    "cephsetpool": "mon_command failed - got timeout",
    "cephfscreate": "mon_command failed - got timeout",
}


def task_failure(kind: str, ident: str) -> str:
    return TASK_FAILURES.get(kind, "command failed: exit code 1").format(id=ident.replace(".", "@", 1))


def start_task(call: Call, kind: str, ident: str, action: Action, node: NodeState | None = None) -> str:
    """Start a worker and answer its UPID; it runs on `node` (a proxied call's target), else on the node asked."""
    node = node or call.node
    rule = call.services.faults.take_task(node.name)
    fail = None if rule is None else rule.message or task_failure(kind, ident)
    task = call.services.runner.start(node.name, node.clock_skew, kind, ident, call.user, action, fail)
    node.tasks[task.upid] = task
    return task.upid
