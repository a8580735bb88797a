"""What the provider's storage tests share: a formed three-node cluster on the fake, and pvecdk_storage on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakepve import FakeCluster
from pvecdk.provider._plugin import PvecdkProvider
from pvecdk.tfplugin import ResourceType

TOKEN = "root@pam!pvecdk=11111111-2222-3333-4444-555555555555"
NODES = {"pve1": "10.0.0.11", "pve2": "10.0.0.12", "pve3": "10.0.0.13"}


@pytest.fixture
def fake() -> Iterator[FakeCluster]:
    """The cluster ``lab`` of pve1-pve3 (a test module may define its own ``fake`` instead)."""
    with FakeCluster(nodes=NODES, version="9.1", task_seconds=0.02) as cluster:
        cluster.form_cluster("lab", members=NODES)
        yield cluster


@pytest.fixture
def storage(fake: FakeCluster) -> ResourceType:
    """pvecdk_storage of a provider configured for ``fake`` through pve1."""
    p = PvecdkProvider(environ={"PROXMOX_VE_API_TOKEN": TOKEN, "PVECDK_CA_FILE": fake.ca_file,
                                "PROXMOX_VE_ENDPOINT": fake.endpoint("pve1")})
    assert p.configure({}, "1.15.5") == []
    return p.resources["pvecdk_storage"]
