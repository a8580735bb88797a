"""The pvecdk/pvecdk provider's cluster resource, driven directly (no Terraform), against the fake cluster."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakepve import FakeCluster, Fault
from pvecdk import Cluster, _cdk
from pvecdk.bpg import provider as bpg_provider
from pvecdk.cli import main as cli
from pvecdk.provider._plugin import ClusterResource, PvecdkProvider
from pvecdk.tfplugin import UNKNOWN, DiagnosticError

TOKEN = "root@pam!pvecdk=11111111-2222-3333-4444-555555555555"
ADDRESSES = {f"pve{i}": f"10.0.0.{10 + i}" for i in range(1, 5)}


@pytest.fixture
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=ADDRESSES, version="9.1", root_password="s3cret-root", token_id="root@pam!pvecdk",
                     token_secret="11111111-2222-3333-4444-555555555555", task_seconds=0.05) as cluster:
        yield cluster


@pytest.fixture
def env(fake: FakeCluster) -> dict[str, str]:
    return {"PROXMOX_VE_API_TOKEN": TOKEN, "PVECDK_CA_FILE": str(fake.ca_file), "PVECDK_JOIN_PASSWORD": "s3cret-root",
            "PROXMOX_VE_ENDPOINT": fake.endpoint("pve1")}


def resource(env: dict[str, str], config: dict[str, Any] | None = None) -> ClusterResource:
    provider = PvecdkProvider(environ=env)
    assert provider.configure(config or {}, "1.15.5") == []
    res = provider.resources["pvecdk_cluster"]
    assert isinstance(res, ClusterResource)
    return res


def config(fake: FakeCluster, *names: str, fencing: str | None = "watchdog") -> dict[str, Any]:
    return {"id": None, "name": "lab", "fencing": fencing, "pve_version": "9.1", "quorate": None,
            "link": [{"priority": 10}],
            "member": {n: {"node_id": int(n[3:]), "votes": 1, "addresses": [ADDRESSES[n]],
                           "endpoint": fake.endpoint(n), "online": None} for n in names}}


def test_configure_without_credentials_is_an_error() -> None:
    (diag,) = PvecdkProvider(environ={}).configure({}, "1.15.5")
    assert diag.summary == "No credentials for Proxmox VE"


def test_the_provider_block_wins_over_the_environment() -> None:
    environ = {"PROXMOX_VE_USERNAME": "root@pam", "PROXMOX_VE_PASSWORD": "env-secret", "PROXMOX_VE_INSECURE": "true",
               "PROXMOX_VE_ENDPOINT": "https://10.0.0.11:8006", "PVECDK_TIMEOUT_SECONDS": "5"}
    provider = PvecdkProvider(environ=environ)
    assert provider.configure({"api_token": TOKEN, "insecure": False, "ca_file": "/etc/ca.pem", "timeout_seconds": 30,
                               "endpoint": None}, "1.15.5") == []
    client = provider.client({"pve1": "https://10.0.0.11:8006"})
    assert client.credentials.token_id == "root@pam!pvecdk" and client.credentials.password is None
    assert (client.tls.insecure, client.tls.ca_file, client.timeout_seconds) == (False, "/etc/ca.pem", 30.0)
    assert provider.endpoint == "https://10.0.0.11:8006", "unset in the block: the environment's"
    assert provider.join_password is None, "a token login has no root password to reuse"
    bare = PvecdkProvider(environ=environ)
    assert bare.configure({}, "1.15.5") == []
    assert bare.client({}).tls.insecure and bare.join_password == "env-secret", "root@pam's password joins"


def test_plan_marks_the_outcome_unknown_and_apply_forms_the_cluster(fake: FakeCluster, env: dict[str, str]) -> None:
    res = resource(env)
    wanted = config(fake, "pve1", "pve2")
    planned = res.plan(None, wanted, wanted, b"")
    assert planned.diagnostics == [] and planned.planned_state["quorate"] is UNKNOWN
    assert planned.planned_state["id"] == "lab"
    applied = res.apply(None, planned.planned_state, wanted, b"")
    assert applied.diagnostics == []
    state = applied.new_state
    assert state["quorate"] is True and list(state["member"]) == ["pve1", "pve2"]
    assert all(m["online"] is True for m in state["member"].values())
    again = res.plan(state, {**wanted, "id": "lab", "quorate": True, "member": state["member"]}, wanted, b"")
    assert again.diagnostics == [] and again.planned_state["quorate"] is True, "nothing left to do: nothing unknown"


def test_plan_refuses_unsafe_changes_with_the_reason(fake: FakeCluster, env: dict[str, str]) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3", "pve4"])
    fake.add_ha_resource("vm:100")
    fake.add_guest("pve4", 100)
    wanted = config(fake, "pve1", "pve2", "pve3")
    result = resource(env).plan(None, wanted, wanted, b"")
    assert [d.summary for d in result.diagnostics] == ["Unsafe cluster change refused"] * 3
    details = " ".join(d.detail for d in result.diagnostics)
    assert "pve4: is still online" in details and "shut pve4 down" in details
    assert "pve4: hosts guests (qemu/100)" in details and "pve4: runs HA resources (vm:100)" in details


def test_renaming_forces_replacement(fake: FakeCluster, env: dict[str, str]) -> None:
    prior = {**config(fake, "pve1"), "id": "lab"}
    proposed = {**config(fake, "pve1"), "name": "other"}
    result = resource(env).plan(prior, proposed, proposed, b"")
    assert ("name",) in result.requires_replace


def test_read_reports_a_missing_cluster_as_gone(fake: FakeCluster, env: dict[str, str]) -> None:
    assert resource(env).read({**config(fake, "pve1"), "id": "lab"}, b"").new_state is None


def test_import_adopts_an_existing_cluster(fake: FakeCluster, env: dict[str, str]) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2", "pve3"])
    (state,) = resource(env).import_state("lab")
    assert state["name"] == "lab" and list(state["member"]) == ["pve1", "pve2", "pve3"]
    assert resource(env).import_state("other") == []


def test_import_reads_fencing_links_and_the_release(fake: FakeCluster, env: dict[str, str]) -> None:
    res = resource(env)
    wanted = config(fake, "pve1", "pve2", fencing="hardware")
    res.apply(None, res.plan(None, wanted, wanted, b"").planned_state, wanted, b"")
    (state,) = res.import_state("lab," + ",".join(f"{n}={fake.endpoint(n)}" for n in ("pve1", "pve2")))
    assert (state["fencing"], state["link"], state["pve_version"]) == ("hardware", [{"priority": 10}], "9.1")
    assert {n: m["endpoint"] for n, m in state["member"].items()} == {n: fake.endpoint(n) for n in ("pve1", "pve2")}
    (guessed,) = res.import_state("lab")
    assert guessed["member"]["pve2"]["endpoint"] == "https://10.0.0.12:8006", "the address PVE reports, port 8006"
    assert guessed["member"]["pve1"]["endpoint"] == fake.endpoint("pve1"), "the node imported through"


def test_import_failures_are_diagnostics(fake: FakeCluster, env: dict[str, str]) -> None:
    with pytest.raises(DiagnosticError) as excinfo:
        resource(env).import_state("lab,pve1")
    (diag,) = excinfo.value.diagnostics
    assert diag.summary == "Invalid import id" and "lab,pve1=https://" in diag.detail
    fake.set_offline("pve1")
    with pytest.raises(DiagnosticError) as excinfo:
        resource(env).import_state("lab")
    (diag,) = excinfo.value.diagnostics
    assert diag.summary == "Cannot import pvecdk_cluster 'lab'" and "/cluster/status" in diag.detail


def test_validate_accepts_unknown_values_anywhere(env: dict[str, str]) -> None:
    res = resource(env)
    base = {"name": "lab", "fencing": None, "pve_version": None, "id": None, "quorate": None}
    assert res.validate({**base, "link": UNKNOWN, "member": UNKNOWN}) == []
    assert res.validate({**base, "link": [{"priority": UNKNOWN}], "member": {"pve1": UNKNOWN}}) == []
    assert res.validate({**base, "link": [{"priority": None}], "member": {"pve1": {
        "node_id": UNKNOWN, "votes": None, "addresses": UNKNOWN, "endpoint": UNKNOWN, "online": None}}}) == []
    (diag,) = res.validate({**base, "link": [{"priority": 300}], "member": {"pve1": {
        "node_id": 1, "votes": None, "addresses": ["10.0.0.11"], "endpoint": "https://x", "online": None}}})
    assert (diag.summary, diag.path) == ("Invalid link priority", ("link", 0, "priority"))


def test_plan_fills_in_defaults_and_keys_members_by_name(fake: FakeCluster, env: dict[str, str]) -> None:
    res = resource(env)
    wanted = config(fake, "pve1", "pve2", "pve3", fencing=None)
    wanted["link"] = [{"priority": None}]
    for m in wanted["member"].values():
        m["votes"] = None
    planned = res.plan(None, wanted, wanted, b"").planned_state
    assert {m["votes"] for m in planned["member"].values()} == {1}, "planned to PVE's default"
    assert planned["fencing"] is UNKNOWN and planned["link"] == [{"priority": UNKNOWN}]
    state = res.apply(None, planned, wanted, b"").new_state
    assert (state["fencing"], state["link"]) == ("watchdog", [{"priority": 0}]), "read back: PVE's defaults"
    smaller = {**wanted, "member": {k: v for k, v in wanted["member"].items() if k != "pve2"}}
    again = res.plan(state, smaller, smaller, b"").planned_state
    assert sorted(again["member"]) == ["pve1", "pve3"], "pve2 goes; pve3 keeps its key"
    assert again["member"]["pve3"]["node_id"] == 3


def test_a_join_that_fails_half_way_records_what_exists(fake: FakeCluster, env: dict[str, str]) -> None:
    res = resource(env)
    wanted = config(fake, "pve1", "pve2", "pve3")
    planned = res.plan(None, wanted, wanted, b"").planned_state
    fake.fault("pve3", Fault.TASK_FAIL, message="corosync did not start")
    result = res.apply(None, planned, wanted, b"")
    (diag,) = result.diagnostics
    assert diag.summary == "Cluster change failed" and "terraform untaint" in diag.detail
    assert sorted(result.new_state["member"]) == ["pve1", "pve2"], "the state says what exists"
    assert sorted(fake.state.members) == ["pve1", "pve2"]
    rerun = res.plan(result.new_state, wanted, wanted, b"")
    assert rerun.diagnostics == []
    done = res.apply(result.new_state, rerun.planned_state, wanted, b"")
    assert done.diagnostics == [] and sorted(done.new_state["member"]) == ["pve1", "pve2", "pve3"]


def test_an_update_that_fails_half_way_records_what_exists(fake: FakeCluster, env: dict[str, str]) -> None:
    fake.form_cluster("lab", members=["pve1"])
    res = resource(env)
    (state,) = res.import_state("lab," + ",".join(f"{n}={fake.endpoint(n)}" for n in ("pve1",)))
    wanted = config(fake, "pve1", "pve2", "pve3", "pve4")
    planned = res.plan(state, wanted, wanted, b"").planned_state
    fake.fault("pve4", Fault.TASK_FAIL, message="corosync did not start")
    result = res.apply(state, planned, wanted, b"")
    assert [d.summary for d in result.diagnostics] == ["Cluster change failed"]
    assert "untaint" not in result.diagnostics[0].detail
    assert sorted(result.new_state["member"]) == ["pve1", "pve2", "pve3"]


def test_destroy_leaves_the_cluster(fake: FakeCluster, env: dict[str, str]) -> None:
    fake.form_cluster("lab", members=["pve1", "pve2"])
    result = resource(env).apply({**config(fake, "pve1", "pve2"), "id": "lab"}, None, None, b"")
    assert result.new_state is None and result.diagnostics[0].severity == "warning"
    assert sorted(fake.state.members) == ["pve1", "pve2"]


def test_fencing_goes_to_cluster_options(fake: FakeCluster, env: dict[str, str]) -> None:
    wanted = config(fake, "pve1", fencing="hardware")
    res = resource(env)
    state = res.apply(None, res.plan(None, wanted, wanted, b"").planned_state, wanted, b"").new_state
    assert fake.state.options.get("fencing") == "hardware" and state["fencing"] == "hardware"


# ----------------------------------------------------------------------------------------------- commands


def synthesize(fake: FakeCluster, outdir: Path) -> None:
    app = _cdk.App(outdir=str(outdir))
    stack = _cdk.TerraformStack(app, "lab")
    bpg_provider.ProxmoxProvider(stack, "proxmox")
    cluster = Cluster(stack, "Cluster", name="lab", management_network="192.168.1.0/24",
                      cluster_network="10.0.0.0/24", firewall=False)
    for name in ("pve1", "pve2", "pve3"):
        i = int(name[3:])
        cluster.add_node(name, node_id=i, management_interface="eno1", management_address=f"192.168.1.{10 + i}",
                         cluster_address=ADDRESSES[name], cluster_interface="eno2", endpoint=fake.endpoint(name))
    app.synth()


def test_preflight_and_bootstrap_commands(fake: FakeCluster, env: dict[str, str], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    synthesize(fake, tmp_path / "out")
    assert cli(["preflight", "--outdir", str(tmp_path / "out")]) == 0
    table = capsys.readouterr().out
    assert re.search(r"pve2\s+membership\s+ok\s+standalone: will join lab", table), table
    assert table.strip().endswith("preflight passed")

    assert cli(["bootstrap", "--outdir", str(tmp_path / "out"), "--dry-run"]) == 0
    assert "create pve1" in capsys.readouterr().out and fake.state.cluster_name is None

    assert cli(["bootstrap", "--outdir", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert out.count("done:") == 3 and sorted(fake.state.members) == ["pve1", "pve2", "pve3"]
    assert "s3cret-root" not in out and "11111111-2222" not in out

    fake.set_offline("pve3", True)
    assert cli(["preflight", "--outdir", str(tmp_path / "out")]) == 1
    assert "preflight failed" in capsys.readouterr().out


def test_provider_install_writes_a_launcher(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["provider", "install", "--dir", str(tmp_path)]) == 0
    (launcher,) = tmp_path.glob("registry.terraform.io/pvecdk/pvecdk/0.1.0/*/terraform-provider-pvecdk_v0.1.0")
    assert launcher.stat().st_mode & 0o111 and "-m pvecdk.provider._plugin" in launcher.read_text()
    assert json.dumps(str(launcher))[1:-1] in capsys.readouterr().out


def hand_written_stack(fake: FakeCluster, outdir: Path) -> None:
    members = {n: {"node_id": int(n[3:]), "addresses": [ADDRESSES[n]], "endpoint": fake.endpoint(n)}
               for n in ("pve1", "pve2")}
    (outdir / "stacks" / "lab").mkdir(parents=True)
    (outdir / "stacks" / "lab" / "cdk.tf.json").write_text(json.dumps(
        {"resource": {"pvecdk_cluster": {"Cluster": {"name": "lab", "member": members}}}}))


@pytest.mark.parametrize("command", ["preflight", "bootstrap"])
def test_engine_failures_are_one_line_each_never_a_traceback(
        fake: FakeCluster, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], command: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    wrong = "99999999-0000-0000-0000-000000000000"
    monkeypatch.setenv("PROXMOX_VE_API_TOKEN", f"root@pam!pvecdk={wrong}")
    hand_written_stack(fake, tmp_path)
    assert cli([command, "--outdir", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    if command == "bootstrap":
        (line,) = captured.err.splitlines()
        assert line.startswith("pvecdk: lab: cluster lab: pve1: GET /cluster/status failed with HTTP 401")
    else:  # the table: one FAIL row per node, the reason in one line
        rows = [r for r in captured.out.splitlines() if " FAIL " in r]
        assert [r.split()[:3] for r in rows] == [["pve1", "reachable", "FAIL"], ["pve2", "reachable", "FAIL"]]
        assert all("GET /version failed with HTTP 401" in r for r in rows) and captured.err == ""
    assert "Traceback" not in captured.err + captured.out and wrong not in captured.err + captured.out


def test_a_wrong_password_is_one_line(fake: FakeCluster, env: dict[str, str], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PVECDK_CA_FILE", env["PVECDK_CA_FILE"])
    monkeypatch.delenv("PROXMOX_VE_API_TOKEN", raising=False)
    monkeypatch.setenv("PROXMOX_VE_USERNAME", "root@pam")
    monkeypatch.setenv("PROXMOX_VE_PASSWORD", "not-the-password")
    hand_written_stack(fake, tmp_path)
    assert cli(["bootstrap", "--outdir", str(tmp_path), "--dry-run"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("pvecdk: lab: cluster lab: pve1: POST /access/ticket failed with HTTP 401")
    assert "not-the-password" not in line


def test_the_provider_reports_a_wrong_password_on_the_resource(fake: FakeCluster, env: dict[str, str]) -> None:
    environ = {**env, "PROXMOX_VE_USERNAME": "root@pam", "PROXMOX_VE_PASSWORD": "not-the-password"}
    del environ["PROXMOX_VE_API_TOKEN"]
    wanted = config(fake, "pve1")
    (diag,) = resource(environ).plan(None, wanted, wanted, b"").diagnostics
    assert diag.summary == "Cannot read the cluster"
    assert diag.detail.startswith("pve1: POST /access/ticket failed with HTTP 401")
