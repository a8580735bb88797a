"""The four SSH resources refuse a ``host_key`` that is no public key at validation, naming the node's
attribute, before any apply opens a connection with it."""

from __future__ import annotations

from typing import Any

import paramiko
import pytest
from pvecdk.provider._plugin import PvecdkProvider

SSH_RESOURCES = ("pvecdk_qdevice", "pvecdk_ceph_packages", "pvecdk_ha_watchdog", "pvecdk_corosync_links")


def _node(host_key: str | None) -> dict[str, Any]:
    return {"endpoint": "https://10.0.0.11:8006", "ssh_address": "10.0.0.11", "ssh_port": None,
            "host_key": host_key}


@pytest.mark.parametrize("name", SSH_RESOURCES)
def test_a_host_key_that_is_no_public_key_is_invalid_and_named(name: str) -> None:
    res = PvecdkProvider(environ={}).resources[name]
    key = paramiko.ECDSAKey.generate()
    good = f"{key.get_name()} {key.get_base64()} root@pve2"
    config = {"node": {"pve1": _node("ssh-ed25519 not-base64!"), "pve2": _node(good), "pve3": _node(None),
                       "pve4": _node("ssh-ed25519")}}
    bad = [d for d in res.validate(config) if d.summary == "Invalid SSH host key"]
    assert [d.path for d in bad] == [("node", ("key", "pve1"), "host_key"), ("node", ("key", "pve4"), "host_key")]
    assert bad[0].detail.startswith("node pve1: host_key 'ssh-ed25519 not-base64!': not an SSH public key")
    assert "ssh_host_ed25519_key.pub" in bad[0].detail
    del config["node"]["pve1"], config["node"]["pve4"]
    assert [d for d in res.validate(config) if d.summary == "Invalid SSH host key"] == []



def test_a_failed_apply_keeps_the_keys_it_pinned_in_the_prior_state_and_says_which_it_could_not() -> None:
    from pvecdk.engine.shell import SshHost, SshShell
    from pvecdk.errors import EngineError
    from pvecdk.provider._plugin.shell import apply_failed

    keys = {n: paramiko.ECDSAKey.generate() for n in ("pve1", "pve2", "pve4")}
    text = {n: f"{k.get_name()} {k.get_base64()}" for n, k in keys.items()}
    shell = SshShell({n: SshHost(f"10.0.0.1{n[-1]}", 22, None) for n in ("pve1", "pve2", "pve3", "pve4")})
    shell.pinned.update(text)  # pve1, pve2 and pve4 answered before the engine stopped; pve3 was never reached
    given = _node(text["pve2"])  # pve2's key is in the model: a pin never replaces it
    prior = {"id": "x", "node": {"pve1": _node(None), "pve2": given, "pve3": _node(None)}}
    result = apply_failed(prior, shell, EngineError("dropped", node="pve3"), refused="refused", failed="Failed",
                          rerun="it reads first")
    assert result.new_state["node"] == {"pve1": {**_node(None), "host_key": text["pve1"]}, "pve2": given,
                                        "pve3": _node(None)}
    assert result.new_state["id"] == "x"
    pinned = {d.path[1][1]: d.detail for d in result.diagnostics if d.summary.startswith("Pinned")}
    assert sorted(pinned) == ["pve1", "pve2", "pve4"]
    assert "kept in the state" in pinned["pve1"]
    assert "next apply meets it as a first contact again" in pinned["pve4"]  # a node the prior state lacks
    assert [d.summary for d in result.diagnostics if d.severity == "error"] == ["Failed"]

    created = apply_failed(None, shell, EngineError("dropped", node="pve3"), refused="refused", failed="Failed",
                           rerun="it reads first")
    assert created.new_state is None
    assert all("first contact again" in d.detail for d in created.diagnostics if d.summary.startswith("Pinned"))
