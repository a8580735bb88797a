"""The Shell and the QDevice against real parts: an OpenSSH sshd per fake node on loopback, whose ``pvecm`` acts
on the fake cluster, so the API shows what the commands did.

Host keys: pinned on first contact (and reported through ``pinned``), a known key accepted, a changed key or an
unknown one without pinning refused before any command runs. Faults: a connection dropped before or after the
command, a command failing half-way; each reported clearly, and a rerun converges.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakepve import CommandFault, FakeCluster
from pvecdk._qdevice import odd_nodes
from pvecdk.engine.client import Client
from pvecdk.engine.membership import ClusterSpec, MemberSpec, plan_changes, read_cluster
from pvecdk.engine.qdevice import read_qdevice, remove_qdevice, set_up_qdevice
from pvecdk.engine.shell import SshCredentials, SshHost, SshShell, fingerprint
from pvecdk.errors import CommandError, HostKeyError, PlanRefused, UnreachableError
from sshd import Sshds

NODES = {"pve1": "10.0.0.11", "pve2": "10.0.0.12", "pve3": "10.0.0.13"}
QNETD = "10.0.0.5"
TOKEN = "root@pam!pvecdk=11111111-2222-3333-4444-555555555555"


@pytest.fixture
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=NODES, task_seconds=0.01) as cluster:
        cluster.form_cluster("lab", ["pve1", "pve2"])
        yield cluster


@pytest.fixture
def sshds(fake: FakeCluster) -> Iterator[Sshds]:
    with Sshds(fake, list(NODES)) as servers:
        yield servers


@pytest.fixture
def client(fake: FakeCluster) -> Iterator[Client]:
    from pvecdk.engine.client import Credentials, TlsSettings

    with Client({n: fake.endpoint(n) for n in NODES}, Credentials.from_token(TOKEN),
                TlsSettings(ca_file=fake.ca_file), backoff_seconds=0.01) as c:
        yield c


def _shell(sshds: Sshds, *, keys: dict[str, str] | None = None, pin: bool = True) -> SshShell:
    hosts = {n: SshHost("127.0.0.1", s.port, (keys or {}).get(n)) for n, s in sshds.nodes.items()}
    return SshShell(hosts, SshCredentials(sshds.user, private_key=sshds.private_key), pin_unknown=pin,
                    timeout_seconds=5, backoff_seconds=0.01)


def _ran(fake: FakeCluster, *prefix: str) -> int:
    return sum(1 for _, argv in fake.commands if argv[: len(prefix)] == prefix)


# -- host keys


def test_pins_the_key_on_first_contact_and_refuses_it_changed(fake: FakeCluster, sshds: Sshds) -> None:
    with _shell(sshds) as shell:
        result = shell.run("pve1", ["dpkg-query", "-W", "-f=${Version}", "ceph-mon"], check=False)
        assert (result.exit_status, result.stdout) == (0, "19.2.3-pve1")
        assert shell.pinned == {"pve1": sshds.nodes["pve1"].host_key}
    pinned = shell.pinned["pve1"]
    before = len(fake.commands)
    new_key = sshds.nodes["pve1"].new_host_key()
    with _shell(sshds, keys={"pve1": pinned}) as shell, pytest.raises(HostKeyError) as caught:
        shell.run("pve1", ["pvecm", "qdevice", "setup", QNETD])
    err = caught.value
    assert (err.node, err.expected, err.got) == ("pve1", fingerprint(pinned), fingerprint(new_key))
    assert "changed" in str(err) and "refusing to connect" in str(err)
    assert len(fake.commands) == before and fake.qdevice() is None  # nothing ran


def test_accepts_the_key_the_model_gives_and_pins_nothing(fake: FakeCluster, sshds: Sshds) -> None:
    with _shell(sshds, keys={"pve2": sshds.nodes["pve2"].host_key}) as shell:
        assert shell.run("pve2", ["dpkg-query", "-W", "ceph-mon"]).exit_status == 0
        assert shell.pinned == {}


def test_refuses_an_unknown_key_when_pinning_is_off(fake: FakeCluster, sshds: Sshds) -> None:
    with _shell(sshds, pin=False) as shell, pytest.raises(HostKeyError) as caught:
        shell.run("pve1", ["pvecm", "qdevice", "setup", QNETD])
    assert caught.value.expected is None and "unknown" in str(caught.value)
    assert fake.commands == []


def test_a_key_of_another_type_counts_as_changed(fake: FakeCluster, sshds: Sshds) -> None:
    import paramiko

    other = paramiko.ECDSAKey.generate()
    known = f"{other.get_name()} {other.get_base64()}"
    with _shell(sshds, keys={"pve1": known}) as shell, pytest.raises(HostKeyError) as caught:
        shell.run("pve1", ["dpkg-query", "-W", "ceph-mon"])
    assert caught.value.expected == fingerprint(known) and fake.commands == []


def test_a_failing_command_reports_its_status_and_output(fake: FakeCluster, sshds: Sshds) -> None:
    with _shell(sshds) as shell, pytest.raises(CommandError) as caught:
        shell.run("pve3", ["pvecm", "qdevice", "remove"])
    err = caught.value
    assert err.exit_status == 2 and err.command == "pvecm qdevice remove"
    assert any("part of a cluster" in line for line in err.output)


def test_secrets_stay_out_of_reprs_and_errors(sshds: Sshds) -> None:
    creds = SshCredentials(sshds.user, private_key=sshds.private_key, password="hunter2-pw")
    assert sshds.private_key not in repr(creds) and "hunter2-pw" not in repr(creds)
    shell = SshShell({"pve1": SshHost("127.0.0.1", sshds.nodes["pve1"].port)},
                     SshCredentials("nobody-here", password="hunter2-pw"), timeout_seconds=5)
    with shell, pytest.raises(Exception) as caught:
        shell.run("pve1", ["true"])
    assert "hunter2-pw" not in str(caught.value) and "refused" in str(caught.value)


# -- the QDevice


def test_sets_up_the_qdevice_the_api_then_shows_and_a_rerun_runs_nothing(
        fake: FakeCluster, sshds: Sshds, client: Client) -> None:
    with _shell(sshds) as shell:
        live = set_up_qdevice(client, shell, ["pve1", "pve2"], cluster="lab", host=QNETD, sleep=lambda s: None)
        assert (live.host, live.state, live.quorate) == (QNETD, "Connected", True)
        assert client.get("pve2", "/cluster/config/qdevice")["QNetd host"] == f"{QNETD}:5403"
        assert f"host: {QNETD}" in (fake.state.corosync_conf or "")
        assert _ran(fake, "pvecm", "qdevice", "setup") == 1
        set_up_qdevice(client, shell, ["pve1", "pve2"], cluster="lab", host=QNETD, sleep=lambda s: None)
        assert _ran(fake, "pvecm", "qdevice", "setup") == 1
        # With the QDevice set up, one of two nodes down keeps quorum: 2 of 3 votes.
        fake.set_offline("pve2")
        assert read_qdevice(client, ["pve1"]).quorate
        fake.set_offline("pve2", False)
        remove_qdevice(client, shell, ["pve1", "pve2"], cluster="lab", sleep=lambda s: None)
        assert fake.qdevice() is None and client.get("pve1", "/cluster/config/qdevice") == {}
        remove_qdevice(client, shell, ["pve1", "pve2"], cluster="lab", sleep=lambda s: None)
        assert _ran(fake, "pvecm", "qdevice", "remove") == 1


def test_a_connection_dropped_after_the_setup_ran_is_reported_and_a_rerun_converges(
        fake: FakeCluster, sshds: Sshds, client: Client) -> None:
    fake.command_fault(["pvecm", "qdevice", "setup"], CommandFault.DROP_AFTER)
    with _shell(sshds) as shell, pytest.raises(UnreachableError) as caught:
        set_up_qdevice(client, shell, ["pve1", "pve2"], cluster="lab", host=QNETD, sleep=lambda s: None)
    assert caught.value.method == "SSH" and "may have run" in str(caught.value)
    assert fake.qdevice() == QNETD
    with _shell(sshds, keys={"pve1": shell.pinned["pve1"]}) as again:
        assert set_up_qdevice(client, again, ["pve1", "pve2"], cluster="lab", host=QNETD).connected
    assert _ran(fake, "pvecm", "qdevice", "setup") == 1


def test_a_connection_dropped_before_the_setup_is_reported_and_a_rerun_sets_it_up(
        fake: FakeCluster, sshds: Sshds, client: Client) -> None:
    fake.command_fault(["pvecm", "qdevice", "setup"], CommandFault.DROP_BEFORE)
    with _shell(sshds) as shell, pytest.raises(UnreachableError):
        set_up_qdevice(client, shell, ["pve1", "pve2"], cluster="lab", host=QNETD, sleep=lambda s: None)
    assert fake.qdevice() is None
    with _shell(sshds) as shell:
        assert set_up_qdevice(client, shell, ["pve1", "pve2"], cluster="lab", host=QNETD).host == QNETD


def test_a_setup_failing_half_way_is_reported_and_a_rerun_converges(
        fake: FakeCluster, sshds: Sshds, client: Client) -> None:
    fake.command_fault(["pvecm", "qdevice", "setup"], CommandFault.FAIL_HALFWAY)
    with _shell(sshds) as shell, pytest.raises(CommandError) as caught:
        set_up_qdevice(client, shell, ["pve1", "pve2"], cluster="lab", host=QNETD, sleep=lambda s: None)
    assert caught.value.exit_status == 255 and any("certutil" in line for line in caught.value.output)
    assert fake.qdevice() is None
    with _shell(sshds) as shell:
        # The half-done certificate stores make a plain setup refuse; the engine's rerun clears them.
        assert set_up_qdevice(client, shell, ["pve1", "pve2"], cluster="lab", host=QNETD).connected


def test_refuses_a_qdevice_on_an_odd_number_of_nodes_before_running_anything() -> None:
    from pvecdk.engine.client import Credentials, TlsSettings

    with FakeCluster(nodes=NODES, task_seconds=0.01) as fake:
        fake.form_cluster("lab", list(NODES))
        shell = SshShell({n: SshHost("127.0.0.1", 1) for n in NODES}, SshCredentials("root", password="x"))
        with Client({n: fake.endpoint(n) for n in NODES}, Credentials.from_token(TOKEN),
                    TlsSettings(ca_file=fake.ca_file)) as client, shell, pytest.raises(PlanRefused) as caught:
            set_up_qdevice(client, shell, list(NODES), cluster="lab", host=QNETD)
        # The rule the policy and the plan apply, in their words.
        (problem,) = caught.value.problems
        assert (problem.problem, problem.fix) == (odd_nodes(3), "remove the QDevice or add a node")
        assert problem.problem.startswith("a QDevice on an odd number of nodes (3)") and fake.commands == []


def test_a_join_or_removal_with_a_qdevice_configured_is_refused(
        fake: FakeCluster, sshds: Sshds, client: Client) -> None:
    with _shell(sshds) as shell:
        set_up_qdevice(client, shell, ["pve1", "pve2"], cluster="lab", host=QNETD, sleep=lambda s: None)
    members = tuple(MemberSpec(n, i + 1, (NODES[n],), fake.endpoint(n)) for i, n in enumerate(NODES))
    # A join of pve3; a removal of pve2, which is also refused for being online (PVE removes only a node that
    # is off): the QDevice is refused either way, on its own.
    for wanted, others in ((members, []), (members[:1], [("pve2", "member")])):
        spec = ClusterSpec("lab", wanted)
        live = read_cluster(client, spec)
        assert live.qdevice == QNETD
        _, problems = plan_changes(spec, live)
        assert [p.field for p in problems] == ["qdevice"] + [f for _, f in others]
        assert "QDevice on 10.0.0.5" in problems[0].problem
        assert [(p.subject, p.field) for p in problems[1:]] == others
        assert all("still online" in p.problem for p in problems[1:])
    _, problems = plan_changes(ClusterSpec("lab", members[:2]), read_cluster(client, ClusterSpec("lab", members[:2])))
    assert problems == []  # no membership change: the QDevice is no obstacle


# -- Ceph's packages


def test_installs_ceph_where_missing_and_a_rerun_after_a_failure_continues() -> None:
    from pvecdk.engine.packages import install_ceph, read_ceph_packages

    with FakeCluster(nodes=NODES, task_seconds=0.01, ceph_installed=False) as fake, Sshds(fake, list(NODES)) as own:
        fake.command_fault(["pveceph", "install"], CommandFault.FAIL_HALFWAY)
        with _shell(own) as shell:
            assert read_ceph_packages(shell, ["pve1"]) == {"pve1": None}
            with pytest.raises(CommandError) as caught:
                install_ceph(shell, ["pve1", "pve2"], release="squid")
            assert caught.value.node == "pve1" and caught.value.exit_status == 100
            assert "pveceph install --version squid" in caught.value.command
            assert [fake.ceph_packages(n) for n in ("pve1", "pve2")] == [None, None]
            installed = install_ceph(shell, ["pve1", "pve2"], release="squid")
            assert installed == {"pve1": "19.2.3-pve1", "pve2": "19.2.3-pve1"}
            again = install_ceph(shell, ["pve1", "pve2"], release="squid")
            assert again == installed
        assert _ran(fake, "env", "DEBIAN_FRONTEND=noninteractive", "pveceph", "install") == 0  # env ran it
        assert sum(1 for _, argv in fake.commands if argv[:2] == ("pveceph", "install")) == 3


def test_refuses_another_ceph_release_before_installing_anywhere(fake: FakeCluster, sshds: Sshds) -> None:
    from pvecdk.engine.packages import install_ceph

    with _shell(sshds) as shell, pytest.raises(PlanRefused) as caught:
        install_ceph(shell, ["pve1", "pve2"], release="reef")
    assert "has Ceph squid (19.2.3-pve1), the model asks for reef" in str(caught.value)
    assert not any(argv[:2] == ("pveceph", "install") for _, argv in fake.commands)
