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

