"""The fake PVE cluster (tests/fakepve), driven like production: proxmoxer over HTTPS, TLS verified."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# proxmoxer's https backend needs requests (it exits the process when requests is missing).
requests = pytest.importorskip("requests", reason="proxmoxer's https backend needs requests")

from fakepve import FakeCluster, Fault  # noqa: E402
from proxmoxer import ProxmoxAPI, ResourceException  # noqa: E402
from proxmoxer.core import AuthenticationError  # noqa: E402

NODES = {"pve1": "10.0.0.11", "pve2": "10.0.0.12", "pve3": "10.0.0.13"}
PASSWORD = "s3cret-root"
TOKEN_SECRET = "11111111-2222-3333-4444-555555555555"
UPID_RE = re.compile(r"UPID:(pve\d):[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:(\w+):([^:]*):root@pam!pvecdk:")

Connect = Callable[..., ProxmoxAPI]


@pytest.fixture
def fake() -> Iterator[FakeCluster]:
    threads = set(threading.enumerate())
    with FakeCluster(NODES, task_seconds=0.05) as cluster:
        yield cluster
        assert cluster.server_errors == []
    assert set(threading.enumerate()) <= threads  # servers, handlers and tasks all joined


@pytest.fixture
def connect(fake: FakeCluster) -> Iterator[Connect]:
    """proxmoxer clients; their sessions are closed afterwards (open sockets would warn at collection)."""
    apis: list[ProxmoxAPI] = []

    def make(
        node: str, *, token_value: str = TOKEN_SECRET, password: str | None = None, timeout: float = 5
    ) -> ProxmoxAPI:
        auth: dict[str, Any] = (
            {"password": password} if password else {"token_name": "pvecdk", "token_value": token_value}
        )
        api = ProxmoxAPI(
            fake.host(node),
            port=fake.port(node),
            backend="https",
            user="root@pam",
            verify_ssl=fake.ca_file,
            timeout=timeout,
            **auth,
        )
        apis.append(api)
        return api

    yield make
    for api in apis:
        api._store["session"].close()


def wait_task(api: ProxmoxAPI, node: str, upid: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        status: dict[str, Any] = api.nodes(node).tasks(upid).status.get()
        if status["status"] == "stopped":
            return status
        time.sleep(0.02)
    raise AssertionError(f"task {upid} still running")


def task_log(api: ProxmoxAPI, node: str, upid: str) -> list[str]:
    return [line["t"] for line in api.nodes(node).tasks(upid).log.get(limit=500)]


def join(connect: Connect, fake: FakeCluster, node: str, via: str = "pve1", **extra: Any) -> tuple[dict[str, Any], str]:
    api = connect(node)
    params = {"hostname": NODES[via], "fingerprint": fake.fingerprint(via), "password": PASSWORD, **extra}
    upid = api.cluster.config.join.post(**params)
    return wait_task(api, node, upid), upid


def test_a_cluster_is_created_and_joined_over_the_api(fake: FakeCluster, connect: Connect) -> None:
    pve1 = connect("pve1")
    assert pve1.cluster.status.get() == [
        {
            "type": "node",
            "id": "node/pve1",
            "name": "pve1",
            "nodeid": 0,
            "ip": "10.0.0.11",
            "online": 1,
            "local": 1,
            "level": "",
        }
    ]
    upid = pve1.cluster.config.post(clustername="lab", link0="address=10.0.0.11,priority=10")
    assert UPID_RE.fullmatch(upid).groups() == ("pve1", "clustercreate", "lab")  # type: ignore[union-attr]
    assert wait_task(pve1, "pve1", upid)["exitstatus"] == "OK"
    assert task_log(pve1, "pve1", upid)[-1] == "TASK OK"

    info = pve1.cluster.config.join.get()
    assert info["preferred_node"] == "pve1"
    assert info["totem"]["interface"] == {"0": {"linknumber": "0", "knet_link_priority": "10"}}
    fingerprint = info["nodelist"][0]["pve_fp"]
    assert fingerprint == fake.fingerprint("pve1")
    for node in ("pve2", "pve3"):
        status, upid = join(connect, fake, node)
        assert status["exitstatus"] == "OK", task_log(connect(node), node, upid)
        assert UPID_RE.fullmatch(upid).groups() == (node, "clusterjoin", "")  # type: ignore[union-attr]

    rows = pve1.cluster.status.get()
    assert rows[0] == {"type": "cluster", "id": "cluster", "name": "lab", "nodes": 3, "quorate": 1, "version": 3}
    assert [(r["name"], r["nodeid"], r["online"], r["local"]) for r in rows[1:]] == [
        ("pve1", 1, 1, 1),
        ("pve2", 2, 1, 0),
        ("pve3", 3, 1, 0),
    ]
    assert connect("pve3").cluster.status.get()[3]["local"] == 1
    assert [n["ring0_addr"] for n in pve1.cluster.config.nodes.get()] == ["10.0.0.11", "10.0.0.12", "10.0.0.13"]
    assert {n["node"]: n["status"] for n in pve1.nodes.get()} == dict.fromkeys(NODES, "online")
    assert fake.state.cluster_name == "lab"
    assert fake.state.quorate and fake.state.standalone == set()
    assert {m.name: (m.nodeid, m.votes, m.links) for m in fake.state.members.values()} == {
        "pve1": (1, 1, {0: "10.0.0.11"}),
        "pve2": (2, 1, {0: "10.0.0.12"}),
        "pve3": (3, 1, {0: "10.0.0.13"}),
    }
    joins = [r for r in fake.requests if r.path == "/cluster/config/join" and r.method == "POST"]
    assert [r.node for r in joins] == ["pve2", "pve3"]
    assert joins[0].params["password"] == "<redacted>" and joins[0].params["hostname"] == "10.0.0.11"


def test_a_joined_node_gets_a_new_certificate(fake: FakeCluster, connect: Connect) -> None:
    fake.form_cluster("lab", ["pve1"])
    before = fake.fingerprint("pve2")
    assert join(connect, fake, "pve2")[0]["exitstatus"] == "OK"
    after = fake.fingerprint("pve2")
    assert after != before
    assert {n["node"]: n["ssl_fingerprint"] for n in connect("pve1").nodes.get()}["pve2"] == after


@pytest.mark.parametrize(("version", "answer"), [("9.1", ("9.1.3", "9.1")), ("8.4", ("8.4.2", "8.4"))])
def test_the_version_answer_and_schema_follow_the_release(version: str, answer: tuple[str, str]) -> None:
    with FakeCluster({"pve1": "10.0.0.11"}, version=version, task_seconds=0.05) as fake:
        api = ProxmoxAPI(
            fake.host("pve1"),
            port=fake.port("pve1"),
            user="root@pam",
            token_name="pvecdk",
            token_value=TOKEN_SECRET,
            verify_ssl=fake.ca_file,
        )
        try:
            got = api.version.get()
            assert (got["version"], got["release"]) == answer
            assert re.fullmatch(r"[0-9a-f]{16}", got["repoid"])
            # token-coefficient arrived in PVE 9: the 8.4 schema refuses it.
            if version == "9.1":
                assert UPID_RE.fullmatch(api.cluster.config.post(clustername="lab", **{"token-coefficient": 125}))
            else:
                with pytest.raises(ResourceException) as caught:
                    api.cluster.config.post(clustername="lab", **{"token-coefficient": 125})
                assert caught.value.status_code == 400
        finally:
            api._store["session"].close()


def test_a_wrong_or_unknown_token_is_refused(connect: Connect) -> None:
    with pytest.raises(ResourceException) as caught:
        connect("pve1", token_value="00000000-0000-0000-0000-000000000000").version.get()
    assert (caught.value.status_code, caught.value.content) == (401, "invalid token value!")
    assert connect("pve1").version.get()["version"] == "9.1.3"


def test_tickets_work_cluster_wide_and_die_when_a_node_joins(fake: FakeCluster, connect: Connect) -> None:
    with pytest.raises(AuthenticationError):
        connect("pve1", password="wrong")
    fake.form_cluster("lab", ["pve1"])
    pve1 = connect("pve1", password=PASSWORD)
    pve1.cluster.options.put(migration="type=insecure,network=10.0.0.0/24")  # a write: needs the CSRF token
    assert pve1.cluster.options.get()["migration"] == {"type": "insecure", "network": "10.0.0.0/24"}
    assert fake.state.options == {"migration": "type=insecure,network=10.0.0.0/24"}
    pve2 = connect("pve2", password=PASSWORD)
    assert join(connect, fake, "pve2")[0]["exitstatus"] == "OK"
    # pve2 now signs tickets with the cluster's key: its old ticket is gone, pve1's works on it.
    with pytest.raises(ResourceException) as caught:
        pve2.version.get()
    assert caught.value.status_code == 401
    ticket = pve1.get_tokens()[0]
    session = requests.Session()
    try:
        answer = session.get(
            f"{fake.endpoint('pve2')}/api2/json/version", cookies={"PVEAuthCookie": ticket}, verify=fake.ca_file
        )
        assert answer.json()["data"]["version"] == "9.1.3"
    finally:
        session.close()


UNKNOWN = "property is not defined in schema and the schema does not allow additional properties"


def test_an_unknown_parameter_is_refused_by_the_schema(fake: FakeCluster, connect: Connect) -> None:
    with pytest.raises(ResourceException) as caught:
        connect("pve1").cluster.config.post(clustername="lab", bogus=1)
    assert (caught.value.status_code, caught.value.content) == (400, "Parameter verification failed.")
    assert caught.value.errors == {"bogus": UNKNOWN}
    assert fake.state.cluster_name is None


def test_a_missing_required_parameter_is_refused_by_the_schema(connect: Connect) -> None:
    with pytest.raises(ResourceException) as caught:
        connect("pve2").cluster.config.join.post(hostname="10.0.0.11")
    assert caught.value.status_code == 400
    assert caught.value.errors == {
        "fingerprint": "property is missing and it is not optional",
        "password": "property is missing and it is not optional",
    }


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"clustername": "a-much-too-long-name"}, {"clustername": "value may only be 15 characters long"}),
        ({"clustername": "lab", "votes": "many"}, {"votes": "type check ('integer') failed - got 'many'"}),
        ({"clustername": "lab", "nodeid": 0}, {"nodeid": "value must have a minimum value of 1"}),
        ({"clustername": "lab_1"}, {"clustername": "invalid format - value does not look like a valid node name\n"}),
        (
            {"clustername": "lab", "link0": "address=10.0.0.11,speed=10"},
            {"link0": "invalid format - invalid key in comma-separated list property: speed\n"},
        ),
        (
            {"clustername": "lab", "link0": "10.0.0.11,priority=300"},
            {"link0": "invalid format - format error\nlink0.priority: value must have a maximum value of 255\n"},
        ),
        ({"clustername": "lab", "link8": "10.0.0.11"}, {"link8": UNKNOWN}),
    ],
)
def test_parameter_checks_follow_pve(connect: Connect, params: dict[str, Any], errors: dict[str, str]) -> None:
    with pytest.raises(ResourceException) as caught:
        connect("pve1").cluster.config.post(**params)
    assert caught.value.errors == errors


def test_more_parameter_checks(connect: Connect) -> None:
    api = connect("pve1")
    with pytest.raises(ResourceException) as caught:
        api.cluster.resources.get(type="vms")
    assert caught.value.errors == {
        "type": "value 'vms' does not have a value in the enumeration 'vm, storage, node, sdn'"
    }
    with pytest.raises(ResourceException) as caught:
        api.cluster.config.join.post(hostname="10.0.0.11", fingerprint="AB:CD", password=PASSWORD, force=True)
    assert caught.value.errors == {
        "fingerprint": "value does not match the regex pattern",
        "force": "type check ('boolean') failed - got 'True'",
    }


def test_unknown_paths_and_methods(connect: Connect) -> None:
    api = connect("pve1")
    with pytest.raises(ResourceException) as caught:
        api.nodes("pve1").nonsense.get()
    assert caught.value.status_code == 404
    with pytest.raises(ResourceException) as caught:
        api.version.delete()
    assert (caught.value.status_code, caught.value.content) == (501, "Method 'DELETE /version' not implemented")
    with pytest.raises(ResourceException) as caught:
        api.nodes("pve1").qemu.post(vmid=100)  # in the schema, not in the fake
    assert caught.value.status_code == 501


def test_fault_http_500(fake: FakeCluster, connect: Connect) -> None:
    api = connect("pve2")
    fake.fault("pve2", Fault.HTTP_500, path="/cluster/status", times=1)
    api.version.get()  # another path: not affected
    with pytest.raises(ResourceException) as caught:
        api.cluster.status.get()
    assert caught.value.status_code == 500
    assert api.cluster.status.get()[0]["name"] == "pve2"


def test_fault_slow_exceeds_the_client_timeout(fake: FakeCluster, connect: Connect) -> None:
    fake.fault("pve2", Fault.SLOW, delay=3.0, times=1)
    api = connect("pve2", timeout=0.3)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        api.version.get()
    assert time.monotonic() - started < 2
    assert api.version.get()["release"] == "9.1"


def test_fault_drop_closes_the_connection(fake: FakeCluster, connect: Connect) -> None:
    fake.fault("pve2", Fault.DROP, times=1)
    api = connect("pve2")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.cluster.status.get()
    assert api.cluster.status.get()[0]["name"] == "pve2"


def test_fault_after_loses_the_answer_not_the_change(fake: FakeCluster, connect: Connect) -> None:
    fake.fault("pve1", Fault.DROP, path="/cluster/config", method="POST", after=True)
    api = connect("pve1")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.cluster.config.post(clustername="lab")
    (task,) = fake.requests[-1:]
    assert task.path == "/cluster/config"
    deadline = time.monotonic() + 5
    while fake.state.cluster_name is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fake.state.cluster_name == "lab"


def test_fault_task_fail(fake: FakeCluster, connect: Connect) -> None:
    fake.fault("pve1", Fault.TASK_FAIL, times=1)
    api = connect("pve1")
    upid = api.cluster.config.post(clustername="lab")
    status = wait_task(api, "pve1", upid)
    assert status["exitstatus"] == "command 'systemctl restart corosync pve-cluster' failed: exit code 1"
    assert task_log(api, "pve1", upid)[-1].startswith("TASK ERROR: ")
    assert fake.state.cluster_name is None
    assert wait_task(api, "pve1", api.cluster.config.post(clustername="lab"))["exitstatus"] == "OK"


def test_an_offline_node_refuses_connections_and_costs_quorum(fake: FakeCluster, connect: Connect) -> None:
    fake.form_cluster("lab", ["pve1", "pve2", "pve3"])
    pve1, pve3 = connect("pve1"), connect("pve3")
    port = fake.port("pve3")
    fake.set_offline("pve3")
    with pytest.raises(requests.exceptions.ConnectionError):
        pve3.version.get()
    rows = pve1.cluster.status.get()
    assert rows[0]["quorate"] == 1 and [r["online"] for r in rows[1:]] == [1, 1, 0]
    assert {n["node"]: n["status"] for n in pve1.nodes.get()}["pve3"] == "offline"
    with pytest.raises(ResourceException) as caught:
        pve1.nodes("pve3").time.get()
    assert caught.value.status_code == 595
    fake.set_offline("pve2")
    assert not fake.state.quorate
    with pytest.raises(ResourceException) as caught:
        pve1.cluster.options.put(fencing="hardware")
    assert (caught.value.status_code, caught.value.content) == (500, "cluster not ready - no quorum?")
    fake.set_offline("pve2", False)
    fake.set_offline("pve3", False)
    assert fake.port("pve3") == port
    assert pve3.cluster.status.get()[0]["quorate"] == 1
    pve1.cluster.options.put(fencing="hardware")
    assert fake.state.options == {"fencing": "hardware"}


def test_lost_quorum_blocks_writes_until_restored(fake: FakeCluster, connect: Connect) -> None:
    fake.form_cluster("lab", ["pve1", "pve2", "pve3"])
    api = connect("pve1")
    fake.lose_quorum()
    rows = api.cluster.status.get()
    assert rows[0]["quorate"] == 0 and [r["online"] for r in rows[1:]] == [1, 0, 0]
    with pytest.raises(ResourceException) as deleting:
        api.cluster.config.nodes("pve3").delete()
    with pytest.raises(ResourceException) as setting:
        api.cluster.options.put(fencing="both")
    for caught in (deleting, setting):
        assert (caught.value.status_code, caught.value.content) == (500, "cluster not ready - no quorum?")
    status, _ = join(connect, fake, "pve2")
    assert status["exitstatus"].startswith("Check if node may join a cluster failed!")
    fake.restore_quorum()
    assert api.cluster.config.nodes("pve3").delete() is None
    assert set(fake.state.members) == {"pve1", "pve2"} and fake.state.standalone == {"pve3"}


ABORTED_BY_PVE1 = "An error occurred on the cluster node: corosync: nodeid 1 already used by node 'pve1'"
NOT_LOCAL = "* link0: cannot use IP '10.0.9.9', not found on local node!"


@pytest.mark.parametrize(
    ("change", "exitstatus", "log_line"),
    [
        ({"fingerprint": "AA:" * 31 + "AA"}, "fingerprint '{fp}' not verified, abort!", None),
        ({"password": "wrong"}, "401 authentication failure", None),
        ({"hostname": "10.0.0.99"}, "500 Can't connect to 10.0.0.99:8006 (No route to host)", None),
        ({"nodeid": 1}, "Cluster join aborted!", ABORTED_BY_PVE1),
        ({"link0": "10.0.9.9"}, "Check if node may join a cluster failed!", NOT_LOCAL),
    ],
)
def test_a_join_fails_like_pve(
    fake: FakeCluster, connect: Connect, change: dict[str, Any], exitstatus: str, log_line: str | None
) -> None:
    fake.form_cluster("lab", ["pve1"])
    status, upid = join(connect, fake, "pve3", **change)
    assert status["exitstatus"] == exitstatus.format(fp=fake.fingerprint("pve1"))
    log = task_log(connect("pve3"), "pve3", upid)
    assert log[-1] == f"TASK ERROR: {status['exitstatus']}"
    if log_line:
        assert log_line in log
    assert set(fake.state.members) == {"pve1"}


def test_a_join_is_refused_for_guests_a_standalone_target_and_lost_quorum(fake: FakeCluster, connect: Connect) -> None:
    fake.add_guest("pve3", 100)
    status, _ = join(connect, fake, "pve3")
    assert status["exitstatus"] == "Check if node may join a cluster failed!"
    status, upid = join(connect, fake, "pve2")  # pve1 is not in a cluster yet
    assert "! no nodes found" in task_log(connect("pve2"), "pve2", upid)
    fake.form_cluster("lab", ["pve1"])
    fake.lose_quorum()
    status, upid = join(connect, fake, "pve2")
    assert status["exitstatus"] == "Cluster join aborted!"
    assert "An error occurred on the cluster node: cluster not ready - no quorum?" in task_log(
        connect("pve2"), "pve2", upid
    )


def test_cluster_config_answers_on_a_standalone_node_and_a_member(fake: FakeCluster, connect: Connect) -> None:
    pve1 = connect("pve1")
    assert pve1.cluster.config.nodes.get() == []
    assert pve1.cluster.config.totem.get() is None
    assert pve1.cluster.config.qdevice.get() == {}
    with pytest.raises(ResourceException) as caught:
        pve1.cluster.config.join.get()
    assert caught.value.status_code == 424
    fake.form_cluster("lab", ["pve1", "pve2"])
    assert pve1.cluster.config.totem.get()["cluster_name"] == "lab"
    with pytest.raises(ResourceException) as caught:
        pve1.cluster.config.post(clustername="other")
    assert caught.value.content == "cluster config '/etc/pve/corosync.conf' already exists"
    with pytest.raises(ResourceException) as caught:
        pve1.cluster.config.nodes("pve1").delete()
    assert caught.value.content == "Cannot delete myself from cluster!"


def test_out_of_band_removal_is_visible_as_drift(fake: FakeCluster, connect: Connect) -> None:
    fake.form_cluster("lab", ["pve1", "pve2", "pve3"])
    version = fake.state.config_version
    fake.remove_member_out_of_band("pve3")
    assert [n["node"] for n in connect("pve1").cluster.config.nodes.get()] == ["pve1", "pve2"]
    assert fake.state.config_version == (version or 0) + 1
    assert connect("pve3").cluster.status.get()[0]["type"] == "node"  # standalone again


def test_guests_ha_and_node_time(fake: FakeCluster, connect: Connect) -> None:
    fake.form_cluster("lab", ["pve1", "pve2", "pve3"])
    fake.add_guest("pve2", 100, kind="qemu")
    fake.add_guest("pve3", 101, kind="lxc", status="stopped")
    fake.add_ha_resource("vm:100")
    api = connect("pve1")
    assert [(r["id"], r["node"], r["status"]) for r in api.cluster.resources.get(type="vm")] == [
        ("qemu/100", "pve2", "running"),
        ("lxc/101", "pve3", "stopped"),
    ]
    assert api.cluster.ha.resources.get() == [{"sid": "vm:100", "state": "started", "type": "vm"}]
    assert api.cluster.ha.status.current.get()[0]["status"] == "OK"
    fake.clock_skew("pve2", 120)
    skewed = api.nodes("pve2").time.get()["time"] - api.nodes("pve1").time.get()["time"]
    assert 119 <= skewed <= 121
