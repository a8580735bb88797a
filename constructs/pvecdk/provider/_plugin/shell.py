"""What the command-line resources (``pvecdk_qdevice``, ``pvecdk_ceph_packages``, ``pvecdk_ha_watchdog``,
``pvecdk_corosync_links``) share: the nodes' SSH access as a nested map attribute, host keys pinned into the
state, the warnings that report a pin, and the apply's answer after the commands ran (:func:`applied`) or the
engine stopped (:func:`apply_failed`).

Each resource lists the nodes it may run commands on (``node``: name -> ``endpoint``, ``ssh_address``,
``ssh_port``, ``host_key``). A ``host_key`` the configuration gives is the one accepted. Left unset, the key a
node offers on first contact is pinned: written to the state (where every later connection checks it) and
reported as a warning with its fingerprint, so a first contact is never silent. A key that changed is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pvecdk.engine.shell import SshHost, SshShell, fingerprint, parse_host_key
from pvecdk.errors import EngineError, PlanRefused, PrerequisiteMissing
from pvecdk.provider._plugin._common import problem_diagnostics
from pvecdk.tfplugin import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    Diagnostic,
    DiagnosticError,
    NestedType,
    Nesting,
    error,
    warning,
)
from pvecdk.tfplugin import types as t

__all__ = ["NODE_ATTRIBUTE", "applied", "apply_failed", "host_key_errors", "hosts", "imported_nodes", "nodes",
           "pinned_state", "pin_warnings", "plan_host_keys"]

NODE_ATTRIBUTE = Attribute("node", nested=NestedType((
    Attribute("endpoint", type=t.STRING, required=True),
    Attribute("ssh_address", type=t.STRING, required=True),
    Attribute("ssh_port", type=t.NUMBER, optional=True),  # unset: 22
    # Optional and computed: the model's key, or the one pinned on first contact.
    Attribute("host_key", type=t.STRING, optional=True, computed=True),
), Nesting.MAP), required=True)


def nodes(values: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    raw = (values or {}).get("node")
    return {k: v for k, v in raw.items() if isinstance(v, dict)} if isinstance(raw, dict) else {}


def host_key_errors(config: Mapping[str, Any] | None) -> list[Diagnostic]:
    """An error per ``host_key`` the configuration gives that is no SSH public key: found at validation, not
    when the apply opens its first connection."""
    out = []
    for name, node in nodes(config).items():
        key = node.get("host_key")
        if isinstance(key, str):
            try:
                parse_host_key(key)
            except ValueError as exc:
                out.append(error("Invalid SSH host key", f"node {name}: host_key {key[:40]!r}: {exc}; give the "
                                 "node's public key as in /etc/ssh/ssh_host_ed25519_key.pub, or leave it unset to "
                                 "pin the key offered on first contact", ("node", ("key", name), "host_key")))
    return out


def imported_nodes(what: str, id_: str, given: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``node`` map an import id carries (``node.<name>.endpoint=...``, ``node.<name>.ssh_address=...``, and
    optionally ``ssh_port`` and ``host_key``): how the nodes are reached is configuration the cluster cannot report.

    Raises:
        DiagnosticError: the id lists no node, or a node without its endpoint or SSH address.
    """
    raw = given.get("node")
    out: dict[str, dict[str, Any]] = {}
    for name, node in (raw.items() if isinstance(raw, dict) else ()):
        if not isinstance(node, dict) or not node.get("endpoint") or not node.get("ssh_address") or set(node) - {
                "endpoint", "ssh_address", "ssh_port", "host_key"}:
            break
        port = node.get("ssh_port")
        out[str(name)] = {"endpoint": node["endpoint"], "ssh_address": node["ssh_address"],
                          "ssh_port": float(port) if port is not None else None, "host_key": node.get("host_key")}
    else:
        if out:
            return out
    raise DiagnosticError(error("Invalid import id", f"{id_!r}: give {what} followed by each node's API and SSH "
                                "address: ,node.<name>.endpoint=<url>,node.<name>.ssh_address=<address> (and "
                                "optionally ,node.<name>.ssh_port=<port>, ,node.<name>.host_key=<key>)"))


def plan_host_keys(planned: dict[str, Any], prior: Mapping[str, Any] | None, config: Mapping[str, Any] | None,
                   *, contacts: bool) -> None:
    """Fill the computed part of ``planned["node"]``: a key the configuration leaves out is the one pinned in
    the state; else unknown when the apply contacts the nodes (``contacts``: a first contact may pin it), else
    left unpinned."""
    before = nodes(prior)
    given = nodes(config)
    out = {}
    for name, node in nodes(planned).items():
        node = dict(node)
        if given.get(name, {}).get("host_key") is None:
            pinned = before.get(name, {}).get("host_key")
            node["host_key"] = pinned if pinned is not None or not contacts else UNKNOWN
        out[name] = node
    if isinstance(planned.get("node"), dict):
        planned["node"] = out


def hosts(values: Mapping[str, Any]) -> dict[str, SshHost]:
    """Where each node's SSH server listens, with its known key (given or pinned; None: none yet)."""
    out = {}
    for name, node in nodes(values).items():
        key = node.get("host_key")
        port = node.get("ssh_port")
        out[name] = SshHost(str(node["ssh_address"]), int(port) if isinstance(port, (int, float)) else 22,
                            key if isinstance(key, str) and key else None)
    return out


def pinned_state(values: Mapping[str, Any], shell: SshShell | None) -> dict[str, Any]:
    """``values["node"]`` with every key known: given, pinned earlier, or pinned in this run (else null)."""
    out = {}
    for name, node in nodes(values).items():
        key = node.get("host_key")
        if not isinstance(key, str) or not key:
            key = shell.pinned.get(name) if shell is not None else None
        out[name] = {**node, "host_key": key}
    return out


def pin_warnings(shell: SshShell, *, kept: Mapping[str, Any] | None = None) -> list[Diagnostic]:
    """One warning per key pinned on first contact in this run. ``kept``: the node map the state keeps, when
    that is not every node contacted (an apply that failed keeps only the prior state's nodes)."""
    def where(node: str) -> str:
        if kept is None or node in kept:
            return "it is kept in the state and every later connection must offer it"
        return "this apply failed before the state held the node, so the next apply meets it as a first contact again"
    return [warning(f"Pinned the SSH host key of {node}",
                    f"{node} ({shell.hosts[node].label}) offered {key.split()[0]} {fingerprint(key)} on first "
                    f"contact; {where(node)}. Compare it with "
                    "`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the node, or give the node's key in the "
                    "model.", ("node", ("key", node), "host_key"))
            for node, key in sorted(shell.pinned.items())]


def applied(planned: Mapping[str, Any], shell: SshShell, computed: Mapping[str, Any],
            diagnostics: Sequence[Diagnostic] = ()) -> ApplyResult:
    """The state after a run: ``planned`` with every host key known and the ``computed`` attributes, and a
    warning per key pinned in this run before ``diagnostics``."""
    state = {**planned, "node": pinned_state(planned, shell), **computed}
    return ApplyResult(state, pin_warnings(shell) + list(diagnostics))


def apply_failed(prior: Any, shell: SshShell, exc: EngineError, *, refused: str, failed: str,
                 rerun: str) -> ApplyResult:
    """The answer when the engine stopped: ``prior`` kept, with the keys pinned before it stopped (the next run
    must meet the same keys, not pin anew), a warning per such key, then the refusal's problems (under
    ``refused``) or the error (under ``failed``, with ``rerun``: how a rerun goes on)."""
    if isinstance(exc, (PlanRefused, PrerequisiteMissing)):
        diags = problem_diagnostics(refused, exc.problems)
    else:
        diags = [error(failed, f"{exc}\nRun the apply again: {rerun}")]
    if not isinstance(prior, Mapping):
        return ApplyResult(prior, pin_warnings(shell, kept={}) + diags)
    kept = pinned_state(prior, shell)
    return ApplyResult({**prior, "node": kept}, pin_warnings(shell, kept=kept) + diags)
