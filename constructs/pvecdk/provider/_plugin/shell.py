"""What the command-line resources (``pvecdk_qdevice``, ``pvecdk_ceph_packages``) share: the nodes' SSH access
as a nested map attribute, host keys pinned into the state, and the warnings that report a pin.

Each resource lists the nodes it may run commands on (``node``: name -> ``endpoint``, ``ssh_address``,
``ssh_port``, ``host_key``). A ``host_key`` the configuration gives is the one accepted. Left unset, the key a
node offers on first contact is pinned: written to the state (where every later connection checks it) and
reported as a warning with its fingerprint, so a first contact is never silent. A key that changed is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pvecdk.engine.shell import SshHost, SshShell, fingerprint
from pvecdk.tfplugin import UNKNOWN, Attribute, Diagnostic, NestedType, Nesting, warning
from pvecdk.tfplugin import types as t

__all__ = ["NODE_ATTRIBUTE", "hosts", "nodes", "pinned_state", "pin_warnings", "plan_host_keys"]

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


def pin_warnings(shell: SshShell) -> list[Diagnostic]:
    """One warning per key pinned on first contact in this run."""
    return [warning(f"Pinned the SSH host key of {node}",
                    f"{node} ({shell.hosts[node].label}) offered {key.split()[0]} {fingerprint(key)} on first "
                    "contact; it is kept in the state and every later connection must offer it. Compare it with "
                    "`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the node, or give the node's key in the "
                    "model.", ("node", ("key", node), "host_key"))
            for node, key in sorted(shell.pinned.items())]
