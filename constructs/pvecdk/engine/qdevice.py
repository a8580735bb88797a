"""The QDevice (corosync-qnetd's vote): read through the API, set up and removed on the command line.

PVE shows a QDevice's status at ``GET /cluster/config/qdevice`` (empty when none is configured) but sets one up
or removes it only with ``pvecm qdevice setup <host>`` / ``pvecm qdevice remove`` on a member. Both steps check
first whether they are still needed, so a run that stopped half-way (a dropped connection, a failed command) is
continued by the next one, and both wait until the cluster is quorate again.

PVE refuses to add or remove a node while a QDevice is configured; :mod:`pvecdk.engine.membership` refuses such
a change too, and the provider orders it: the QDevice is removed before a membership change and set up again
after it (see :mod:`pvecdk.provider._plugin.qdevice`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pvecdk._qdevice import ODD_NODES_FIX, odd_nodes
from pvecdk.engine.client import Client
from pvecdk.engine.shell import Shell
from pvecdk.engine.status import first_member_status
from pvecdk.errors import EngineError, EngineProblem, PlanRefused, PrerequisiteMissing

__all__ = ["LiveQDevice", "qnetd_host", "read_qdevice", "remove_qdevice", "set_up_qdevice"]


@dataclass(frozen=True)
class LiveQDevice:
    """What the first member that answers reports.

    Attributes:
        cluster: The cluster's name (None: no node of the list is in a cluster).
        host: The qnetd host of the configured QDevice (None: none configured).
        state: corosync-qdevice's state (``Connected`` when its vote counts).
        nodes: Members of the cluster.
        quorate: Whether the cluster is quorate.
        answered_by: The node whose view this is.
    """

    cluster: str | None = None
    host: str | None = None
    state: str | None = None
    nodes: int = 0
    quorate: bool = False
    answered_by: str | None = None

    @property
    def connected(self) -> bool:
        return self.host is not None and self.state == "Connected"


def qnetd_host(status: Mapping[str, Any] | None) -> str | None:
    """The host of ``QNetd host`` (``10.0.0.5:5403``, ``[fd00::5]:5403``) in a ``/cluster/config/qdevice``
    answer; None when no QDevice is configured."""
    value = str((status or {}).get("QNetd host") or "").strip()
    if not value:
        return None
    if value.startswith("["):
        return value[1:].partition("]")[0]
    host, sep, port = value.rpartition(":")
    return host if sep and port.isdigit() and ":" not in host else value


def read_qdevice(client: Client, nodes: Sequence[str]) -> LiveQDevice:
    """Ask ``nodes`` in turn; the first in a cluster says what is configured. Unreachable nodes are skipped;
    none answering is an UnreachableError of the last."""
    answer, failed = first_member_status(client, nodes)
    if answer is None:
        if failed:
            raise list(failed.values())[-1]
        return LiveQDevice()
    qdevice = client.get(answer.node, "/cluster/config/qdevice") or {}
    return LiveQDevice(cluster=str(answer.cluster.get("name")), host=qnetd_host(qdevice),
                       state=str(qdevice.get("State")) if qdevice.get("State") else None,
                       nodes=len(answer.nodes), quorate=answer.quorate, answered_by=answer.node)


def _speaker(live: LiveQDevice, cluster: str) -> str:
    if live.cluster is None or live.answered_by is None:
        raise PrerequisiteMissing([EngineProblem(f"cluster {cluster}", "not formed yet (no node reports a "
                                                 "cluster)", "form it first (pvecdk_cluster)", "cluster_name")])
    if live.cluster != cluster:
        raise PlanRefused([EngineProblem(live.answered_by, f"is in cluster {live.cluster!r}, not {cluster!r}",
                                         "name the cluster the nodes form", "cluster_name")])
    if not live.quorate:
        raise PlanRefused([EngineProblem(f"cluster {cluster}", "has no quorum", "bring enough nodes online "
                                         "first", "cluster_name")])
    return live.answered_by


def set_up_qdevice(client: Client, shell: Shell, nodes: Sequence[str], *, cluster: str, host: str,
                   timeout_seconds: float = 120.0, sleep: Callable[[float], None] = time.sleep) -> LiveQDevice:
    """Set up the QDevice on ``host`` unless it is already; return what the cluster reports after.

    Raises:
        PlanRefused: another QDevice is configured, the cluster has an odd number of nodes
            (:func:`pvecdk._qdevice.odd_nodes`) or no quorum; nothing was run.
        PrerequisiteMissing: the cluster is not formed yet.
        CommandError: ``pvecm qdevice setup`` failed; a rerun continues.
    """
    live = read_qdevice(client, nodes)
    via = _speaker(live, cluster)
    if live.host == host:
        return _wait(client, nodes, host, timeout_seconds, sleep)
    if live.host is not None:
        raise PlanRefused([EngineProblem(f"cluster {cluster}", f"has a QDevice on {live.host} already",
                                         f"remove it first (pvecm qdevice remove) to use {host}", "host")])
    odd = odd_nodes(live.nodes)
    if odd is not None:
        raise PlanRefused([EngineProblem(f"cluster {cluster}", odd, ODD_NODES_FIX, "host")])
    # No QDevice is configured and the node count is even, so --force can only clear the certificate stores a
    # setup that failed half-way left behind (which make a plain setup refuse to run).
    shell.run(via, ["pvecm", "qdevice", "setup", host, "--force"])
    return _wait(client, nodes, host, timeout_seconds, sleep)


def remove_qdevice(client: Client, shell: Shell, nodes: Sequence[str], *, cluster: str,
                   timeout_seconds: float = 120.0, sleep: Callable[[float], None] = time.sleep) -> LiveQDevice:
    """Remove the QDevice if one is configured; return what the cluster reports after."""
    live = read_qdevice(client, nodes)
    if live.host is None:
        return live
    via = _speaker(live, cluster)
    shell.run(via, ["pvecm", "qdevice", "remove"])
    return _wait(client, nodes, None, timeout_seconds, sleep)


def _wait(client: Client, nodes: Sequence[str], host: str | None, timeout: float,
          sleep: Callable[[float], None]) -> LiveQDevice:
    """Until the cluster reports ``host`` (connected) or no QDevice (None), and quorum."""
    deadline = time.monotonic() + timeout
    while True:
        live = read_qdevice(client, nodes)
        done = live.connected if host is not None else live.host is None
        if live.host == host and done and live.quorate:
            return live
        if time.monotonic() >= deadline:
            want = f"QDevice on {host} connected" if host else "no QDevice"
            raise EngineError(f"cluster {live.cluster}: expected {want} and quorum after {timeout:g} s, found "
                              f"QDevice {live.host or 'none'} ({live.state or 'no state'}), "
                              f"{'quorate' if live.quorate else 'no quorum'}; check corosync-qdevice on the nodes "
                              "and the qnetd host", node=live.answered_by or "-")
        sleep(0.2)
