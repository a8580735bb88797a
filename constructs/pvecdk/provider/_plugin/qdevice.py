"""``pvecdk_qdevice``: the cluster's QDevice (the vote of a corosync-qnetd host), set up and removed over SSH.

A refresh reads ``/cluster/config/qdevice``: a QDevice removed behind Terraform's back shows as drift (``state``
``absent``: it is set up again in place, with the host keys pinned in the state still checked), one moved to
another host shows as a change of ``host`` (replaced). A plan refuses a QDevice on an odd number of nodes, by
the rule the policy applies at synthesis (:mod:`pvecdk._qdevice`). An apply runs ``pvecm qdevice setup`` or
``remove`` on a member (see :mod:`pvecdk.engine.qdevice`), each only when still needed, and waits for quorum.

Ordering around membership changes: PVE adds or removes a node only while no QDevice is configured. ``node``
lists the cluster's members, so a plan that adds or removes one replaces this resource; as the resource depends
on ``pvecdk_cluster``, Terraform runs its removal before the membership change and its setup after it. A
QDevice taken out of the model is likewise removed before the membership change of the same apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pvecdk._qdevice import ODD_NODES, ODD_NODES_FIX, odd_nodes
from pvecdk.engine.client import Client
from pvecdk.engine.qdevice import LiveQDevice, read_qdevice, remove_qdevice, set_up_qdevice
from pvecdk.engine.shell import SshShell
from pvecdk.errors import EngineError
from pvecdk.provider._plugin._common import EngineResource, has_unknown, split_settings_id
from pvecdk.provider._plugin.shell import (
    NODE_ATTRIBUTE,
    applied,
    apply_failed,
    host_key_errors,
    hosts,
    imported_nodes,
    nodes,
    pin_warnings,
    plan_host_keys,
)
from pvecdk.tfplugin import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    Block,
    Diagnostic,
    PlanResult,
    ReadResult,
    ResourceType,
    Schema,
    error,
    warning,
)
from pvecdk.tfplugin import types as t

__all__ = ["QDEVICE_SCHEMA", "QDeviceResource"]

QDEVICE_SCHEMA = Schema(Block((
    Attribute("id", type=t.STRING, computed=True),
    Attribute("cluster_name", type=t.STRING, required=True),
    Attribute("host", type=t.STRING, required=True),
    NODE_ATTRIBUTE,
    Attribute("state", type=t.STRING, computed=True),
)))


class QDeviceResource(EngineResource, ResourceType):
    """``pvecdk_qdevice``."""

    name = "pvecdk_qdevice"
    #: Set up again when these change (and when the set of nodes changes: see the module's docstring).
    replace_keys = ("cluster_name", "host")
    schema = QDEVICE_SCHEMA
    endpoints_in_id = True

    def _engine(self, values: Mapping[str, Any]) -> tuple[Client, list[str]]:
        """The API sessions to the nodes, and the order they are asked in (reads need no SSH)."""
        members = nodes(values)
        return self.provider.client({n: str(m["endpoint"]) for n, m in members.items()}), sorted(members)

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        diags = host_key_errors(config)
        members = config.get("node")
        if isinstance(members, dict) and not has_unknown(members):
            odd = odd_nodes(len(members))  # the rule the policy applies at synthesis
            if odd is not None:
                diags.append(error(ODD_NODES, f"{odd}; {ODD_NODES_FIX}", ("node",)))
        return diags

    def plan(self, prior: Any, proposed: Any, config: Any, private: bytes) -> PlanResult:
        planned = dict(proposed)
        planned["id"] = proposed.get("cluster_name")
        replace: list[tuple[Any, ...]] = []
        if prior is not None:
            replace = [(k,) for k in self.replace_keys if prior.get(k) != proposed.get(k)
                       and not has_unknown(proposed.get(k))]
            if not has_unknown(proposed.get("node")) and set(nodes(prior)) != set(nodes(proposed)):
                # Removed before the membership change and set up after it (see the module's docstring).
                replace.append(("node",))
        runs = prior is None or bool(replace) or prior.get("state") != "Connected"
        if runs:
            planned["state"] = UNKNOWN  # set up (again) by the apply
        plan_host_keys(planned, None if replace else prior, config, contacts=runs)
        return PlanResult(planned, replace)

    def apply(self, prior: Any, planned: Any, config: Any, private: bytes) -> ApplyResult:
        values = planned if planned is not None else prior
        client, order = self._engine(values)
        shell: SshShell = self.provider.shell(hosts(values))
        try:
            with client, shell:
                if planned is None:
                    remove_qdevice(client, shell, order, cluster=str(prior["cluster_name"]))
                    return ApplyResult(None, pin_warnings(shell))
                live = set_up_qdevice(client, shell, order, cluster=str(planned["cluster_name"]),
                                      host=str(planned["host"]))
        except EngineError as exc:
            return apply_failed(prior, shell, exc, refused="QDevice change refused",
                                failed=f"QDevice {'removal' if planned is None else 'setup'} failed",
                                rerun="it checks what is configured first and continues from there.")
        return applied(planned, shell, {"state": live.state})

    def read(self, current: Any, private: bytes) -> ReadResult:
        client, order = self._engine(current)
        try:
            with client:
                live: LiveQDevice = read_qdevice(client, order)
        except EngineError as exc:
            return ReadResult(current, [warning("Cannot read the QDevice", str(exc))])
        if live.cluster is not None and live.host is None:
            # Removed behind Terraform's back: kept (with its pinned keys) and set up again by the next apply.
            return ReadResult({**current, "state": "absent"})
        if live.host is None:
            return ReadResult(current, [warning("Cannot read the QDevice", "no node of the list reports a cluster")])
        return ReadResult({**current, "host": live.host, "state": live.state})

    def imported(self, id_: str, endpoint: str) -> list[Any]:
        """``<cluster name>,node.<name>.endpoint=<url>,node.<name>.ssh_address=<address>,...`` (see
        :func:`settings_id`): the QDevice the cluster reports (``/cluster/config/qdevice``), reached as the id says."""
        try:
            name, given = split_settings_id(id_)
        except ValueError:
            name, given = "", {}
        members = imported_nodes("the cluster's name", id_, given)
        client, order = self._engine({"node": members})
        with client:
            live = read_qdevice(client, order)
        if live.cluster != name or live.host is None:
            return []
        # Host keys the id does not give stay unpinned: the first apply that connects pins them, as on a setup.
        return [{"id": name, "cluster_name": name, "host": live.host, "node": members, "state": live.state}]
