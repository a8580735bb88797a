"""Corosync links of a formed 3-node cluster changed over real SSH (an sshd per fake node, whose ``cat`` and
``mv`` of /etc/pve/corosync.conf act on the fake cluster, so the API shows the file's links).

Adding link1 shows in ``/cluster/config/nodes`` and ``/cluster/config/totem`` with config_version one higher,
a rerun writes nothing, removing it works the same. Refusals leave the file alone. Faults: a connection dropped
after the ``mv``, a ``mv`` failing half-way, a changed host key, an edit made between the read and the write;
each reported clearly, and a rerun converges."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakepve import CommandFault, FakeCluster
from pvecdk.engine.client import Client, Credentials, TlsSettings
from pvecdk.engine.corosync import CONF_PATH, WantedLinks, apply_links
from pvecdk.engine.shell import CommandResult, SshCredentials, SshHost, SshShell
from pvecdk.errors import EngineError, HostKeyError, PlanRefused, UnreachableError
from sshd import Sshds

NODES = {f"pve{i}": (f"10.0.0.1{i}", f"10.1.0.1{i}") for i in (1, 2, 3)}
ORDER = sorted(NODES)
TOKEN = "root@pam!pvecdk=11111111-2222-3333-4444-555555555555"
ONE = WantedLinks({n: [a[0]] for n, a in NODES.items()}, [0])
TWO = WantedLinks({n: list(a) for n, a in NODES.items()}, [0, 10])


@pytest.fixture
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=NODES, task_seconds=0.01) as cluster:
        cluster.form_cluster("lab", ORDER)
        yield cluster


@pytest.fixture
def sshds(fake: FakeCluster) -> Iterator[Sshds]:
    with Sshds(fake, ORDER) as servers:
        yield servers


@pytest.fixture
def client(fake: FakeCluster) -> Iterator[Client]:
    with Client({n: fake.endpoint(n) for n in NODES}, Credentials.from_token(TOKEN),
                TlsSettings(ca_file=fake.ca_file), backoff_seconds=0.01, retries=0) as c:
        yield c


def _shell(sshds: Sshds, keys: dict[str, str] | None = None) -> SshShell:
    hosts = {n: SshHost("127.0.0.1", s.port, (keys or {}).get(n)) for n, s in sshds.nodes.items()}
    return SshShell(hosts, SshCredentials(sshds.user, private_key=sshds.private_key), timeout_seconds=5,
                    backoff_seconds=0.01)


def _apply(client: Client, shell: SshShell, wanted: WantedLinks, timeout: float = 10.0) -> int:
    return apply_links(client, shell, ORDER, wanted, cluster="lab", timeout_seconds=timeout,
                       sleep=lambda s: None).version


def _moves(fake: FakeCluster) -> int:
    return sum(1 for _, argv in fake.commands if argv[:1] == ("mv",))


def _shown(client: Client) -> tuple[str, dict[str, dict[str, str]], dict[str, list[str]]]:
    totem = client.get("pve2", "/cluster/config/totem")
    nodes = {e["node"]: [e[k] for k in sorted(e) if k.startswith("ring")]
             for e in client.get("pve2", "/cluster/config/nodes")}
    return totem["config_version"], totem["interface"], nodes


def test_link1_is_added_shown_by_the_api_kept_on_a_rerun_and_removed(
        fake: FakeCluster, sshds: Sshds, client: Client) -> None:
    version, _, _ = _shown(client)
    backup = sshds.nodes["pve1"].root / "etc" / "pve" / "corosync.conf.bak"
    with _shell(sshds) as shell:
        before = shell.run("pve1", ["cat", "/etc/pve/corosync.conf"]).stdout
        assert _apply(client, shell, TWO) == int(version) + 1
        assert backup.read_text() == before  # the file as it was, for a person to go back to
        with_two = shell.run("pve1", ["cat", "/etc/pve/corosync.conf"]).stdout
        assert with_two != before and f"config_version: {int(version) + 1}" in with_two
        assert _shown(client) == (str(int(version) + 1), {
            "0": {"linknumber": "0", "knet_link_priority": "0"}, "1": {"linknumber": "1", "knet_link_priority": "10"}},
            {n: list(a) for n, a in NODES.items()})
        assert _moves(fake) == 1
        assert _apply(client, shell, TWO) == int(version) + 1  # equal: read, not written
        assert _moves(fake) == 1
        assert _apply(client, shell, ONE) == int(version) + 2
        assert backup.read_text() == with_two
        assert _shown(client)[1:] == ({"0": {"linknumber": "0", "knet_link_priority": "0"}},
                                      {n: [a[0]] for n, a in NODES.items()})
        assert _moves(fake) == 2
    # Every read and write went to the first member; nothing was left beside the file.
    assert {node for node, argv in fake.commands} == {"pve1"}
    assert not (sshds.nodes["pve1"].root / "etc" / "pve" / "corosync.conf.new").exists()


@pytest.mark.parametrize("offline", ["pve2", "pve3", "pve1"])
def test_a_member_offline_refuses_and_nothing_is_written(
        fake: FakeCluster, sshds: Sshds, client: Client, offline: str) -> None:
    fake.set_offline(offline)
    with _shell(sshds) as shell, pytest.raises(PlanRefused) as refused:
        _apply(client, shell, TWO)
    assert [p.subject for p in refused.value.problems] == [offline]
    assert _moves(fake) == 0
    fake.set_offline(offline, False)
    with _shell(sshds) as shell:
        _apply(client, shell, TWO)
    assert _shown(client)[2] == {n: list(a) for n, a in NODES.items()}


def test_no_quorum_refuses_and_nothing_is_written(fake: FakeCluster, sshds: Sshds, client: Client) -> None:
    fake.lose_quorum()
    with _shell(sshds) as shell, pytest.raises(PlanRefused, match="has no quorum"):
        _apply(client, shell, TWO)
    assert _moves(fake) == 0


def test_an_address_no_interface_carries_refuses(fake: FakeCluster, sshds: Sshds, client: Client) -> None:
    wanted = WantedLinks({**TWO.addresses, "pve2": ["10.0.0.12", "10.9.0.12"]}, [0, 10])
    with _shell(sshds) as shell, pytest.raises(PlanRefused) as refused:
        _apply(client, shell, wanted)
    (problem,) = refused.value.problems
    assert problem.subject == "pve2" and problem.problem.startswith("link1 10.9.0.12: no interface of pve2")
    assert _moves(fake) == 0


def test_a_dropped_connection_after_the_move_is_reported_and_a_rerun_writes_nothing(
        fake: FakeCluster, sshds: Sshds, client: Client) -> None:
    version = int(_shown(client)[0])
    fake.command_fault(["mv"], CommandFault.DROP_AFTER)
    with _shell(sshds) as shell, pytest.raises(UnreachableError, match="it may have run: run again"):
        _apply(client, shell, TWO)
    assert _shown(client)[0] == str(version + 1)  # the move took effect before the connection went
    with _shell(sshds) as shell:
        assert _apply(client, shell, TWO) == version + 1
    assert _moves(fake) == 1


def test_a_connection_dropped_before_the_move_is_reported_and_a_rerun_writes(
        fake: FakeCluster, sshds: Sshds, client: Client) -> None:
    version = int(_shown(client)[0])
    fake.command_fault(["mv"], CommandFault.DROP_BEFORE)
    with _shell(sshds) as shell, pytest.raises(UnreachableError, match="it may have run: run again"):
        _apply(client, shell, TWO)
    assert _shown(client)[0] == str(version)  # the move never happened
    with _shell(sshds) as shell:
        assert _apply(client, shell, TWO) == version + 1
    assert _moves(fake) == 2 and _shown(client)[2] == {n: list(a) for n, a in NODES.items()}


def test_a_read_whose_connection_drops_is_retried(fake: FakeCluster, sshds: Sshds, client: Client) -> None:
    fake.command_fault(["cat"], CommandFault.DROP_BEFORE)
    with _shell(sshds) as shell:
        _apply(client, shell, TWO)
    assert sum(1 for _, argv in fake.commands if argv[:1] == ("cat",)) >= 3  # dropped, read, checked in the write


def test_a_move_failing_half_way_is_reported_and_a_rerun_converges(
        fake: FakeCluster, sshds: Sshds, client: Client) -> None:
    version = int(_shown(client)[0])
    fake.command_fault(["mv"], CommandFault.FAIL_HALFWAY)
    with _shell(sshds) as shell, pytest.raises(EngineError) as failed:
        _apply(client, shell, TWO)
    message = str(failed.value)
    assert "writing /etc/pve/corosync.conf (add link1) failed with exit status 1" in message
    assert "Device or resource busy" in message and "run again" in message and "totem" not in message
    assert "the file before it is in /etc/pve/corosync.conf.bak" in message
    assert _shown(client)[0] == str(version)  # nothing reached the cluster
    assert (sshds.nodes["pve1"].root / "etc" / "pve" / "corosync.conf.new").exists()  # left behind
    with _shell(sshds) as shell:
        assert _apply(client, shell, TWO) == version + 1
    assert _shown(client)[2] == {n: list(a) for n, a in NODES.items()}


def test_a_changed_host_key_is_refused_before_anything_runs(
        fake: FakeCluster, sshds: Sshds, client: Client) -> None:
    old = sshds.nodes["pve1"].host_key
    sshds.nodes["pve1"].new_host_key()
    with _shell(sshds, {"pve1": old}) as shell, pytest.raises(HostKeyError):
        _apply(client, shell, TWO)
    assert fake.commands == []
    with _shell(sshds, {"pve1": sshds.nodes["pve1"].host_key}) as shell:
        _apply(client, shell, TWO)
    assert _moves(fake) == 1


class _EditedMeanwhile:
    """A Shell whose first read of corosync.conf is followed by someone else's edit (version one higher)."""

    def __init__(self, shell: SshShell) -> None:
        self.shell, self.edited = shell, False

    def run(self, node: str, argv: list[str], **kwargs: object) -> CommandResult:
        result = self.shell.run(node, argv, **kwargs)  # type: ignore[arg-type]
        if argv == ["cat", CONF_PATH] and not self.edited:
            self.edited = True
            self.shell.run(node, ["sh", "-c", 'cat "$1" | sed -E "s/config_version: ([0-9]+)/config_version: 99/" > '
                                  '"$1.new" && mv "$1.new" "$1"', "sh", CONF_PATH])
        return result


def test_a_file_edited_between_read_and_write_is_not_overwritten(
        fake: FakeCluster, sshds: Sshds, client: Client) -> None:
    with _shell(sshds) as shell:
        with pytest.raises(PlanRefused, match="changed since it was read"):
            apply_links(client, _EditedMeanwhile(shell), ORDER, TWO, cluster="lab", sleep=lambda s: None)
        assert _shown(client)[0] == "99" and _moves(fake) == 1  # only the other edit
        assert _apply(client, shell, TWO) == 100


def test_links_not_shown_before_the_deadline_is_a_clear_error(
        fake: FakeCluster, sshds: Sshds, client: Client) -> None:
    with _shell(sshds) as shell:
        _apply(client, shell, TWO)
        fake.lose_quorum()
        with pytest.raises(EngineError, match=r"after 0\.3 s the cluster is not quorate"):
            _apply(client, shell, TWO, timeout=0.3)
