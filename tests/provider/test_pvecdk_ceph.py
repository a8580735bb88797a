"""The Ceph resources of pvecdk/pvecdk, driven directly (no Terraform), against the fake cluster."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakepve import FakeCluster, Fault
from pvecdk.engine import Client, Credentials, TlsSettings, read_ceph
from pvecdk.provider._plugin import PvecdkProvider
from pvecdk.tfplugin import UNKNOWN, Diagnostic, PlanResult, ResourceType

TOKEN = "root@pam!pvecdk=11111111-2222-3333-4444-555555555555"
NODES = ("pve1", "pve2", "pve3")
ADDRESSES = {n: f"10.0.0.{10 + int(n[3:])}" for n in NODES}
NETWORK = "10.0.0.0/24"


@pytest.fixture
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=ADDRESSES, version="9.1", token_id="root@pam!pvecdk",
                     token_secret="11111111-2222-3333-4444-555555555555", task_seconds=0.02) as cluster:
        cluster.form_cluster("lab", members=NODES)
        yield cluster


@pytest.fixture
def provider(fake: FakeCluster) -> PvecdkProvider:
    p = PvecdkProvider(environ={"PROXMOX_VE_API_TOKEN": TOKEN, "PVECDK_CA_FILE": fake.ca_file,
                                "PROXMOX_VE_ENDPOINT": fake.endpoint("pve1")})
    assert p.configure({}, "1.15.5") == []
    return p


def config(res: ResourceType, **values: Any) -> dict[str, Any]:
    """A configuration as Terraform sends it: every attribute, null when unset."""
    out: dict[str, Any] = {a.name: None for a in res.schema.block.attributes}
    out.update(values)
    return out


def errors(diags: list[Diagnostic]) -> list[str]:
    return [f"{d.summary}: {d.detail}" for d in diags if d.severity == "error"]


def create(res: ResourceType, wanted: dict[str, Any]) -> dict[str, Any]:
    planned = res.plan(None, wanted, wanted, b"")
    assert errors(planned.diagnostics) == []
    applied = res.apply(None, planned.planned_state, wanted, b"")
    assert errors(applied.diagnostics) == []
    state: dict[str, Any] = applied.new_state
    return state


def on(fake: FakeCluster, node: str, **values: Any) -> dict[str, Any]:
    return {"node_name": node, "endpoint": fake.endpoint(node), **values}


def live(fake: FakeCluster, node: str = "pve1", **kwargs: Any) -> Any:
    with Client({node: fake.endpoint(node)}, Credentials.from_token(TOKEN), TlsSettings(ca_file=fake.ca_file)) as c:
        return read_ceph(c, node, **kwargs)


def bootstrap(fake: FakeCluster, provider: PvecdkProvider) -> dict[str, dict[str, Any]]:
    """Ceph initialised with three monitors, a manager and an OSD per node; the states by name."""
    r = provider.resources
    states = {"ceph": create(r["pvecdk_ceph"], config(r["pvecdk_ceph"], **on(fake, "pve1", network=NETWORK)))}
    for n in NODES:
        states[f"mon.{n}"] = create(r["pvecdk_ceph_monitor"], config(r["pvecdk_ceph_monitor"], **on(fake, n)))
    states["mgr.pve1"] = create(r["pvecdk_ceph_manager"], config(r["pvecdk_ceph_manager"], **on(fake, "pve1")))
    for n in NODES:
        states[f"osd.{n}"] = create(r["pvecdk_ceph_osd"],
                                    config(r["pvecdk_ceph_osd"], **on(fake, n, device="/dev/sdb")))
    return states


def test_plan_leaves_the_computed_values_to_apply(fake: FakeCluster, provider: PvecdkProvider) -> None:
    res = provider.resources["pvecdk_ceph"]
    wanted = config(res, **on(fake, "pve1", network=NETWORK))
    planned = res.plan(None, wanted, wanted, b"")
    assert planned.diagnostics == [] and planned.planned_state["fsid"] is UNKNOWN
    state = res.apply(None, planned.planned_state, wanted, b"").new_state
    assert state["fsid"] and state["id"] == state["fsid"] and state["network"] == NETWORK
    # As Terraform proposes it: computed attributes the configuration leaves unset keep their prior values.
    proposed = {**wanted, **{k: state[k] for k in ("id", "fsid", "cluster_network")}}
    again = res.plan(state, proposed, wanted, b"")
    assert again.diagnostics == [] and again.planned_state == state, "nothing left to do"


def test_bootstraps_ceph_in_order(fake: FakeCluster, provider: PvecdkProvider) -> None:
    states = bootstrap(fake, provider)
    view = live(fake)
    assert sorted(view.monitors) == list(NODES) and "pve1" in view.managers
    assert {s["osd_id"] for k, s in states.items() if k.startswith("osd.")} == set(view.osds)
    assert states["mon.pve2"]["id"] == "mon.pve2" and states["osd.pve1"]["id"] == f"osd.{states['osd.pve1']['osd_id']}"


def test_apply_says_which_prerequisite_is_missing(fake: FakeCluster, provider: PvecdkProvider) -> None:
    res = provider.resources["pvecdk_ceph_monitor"]
    wanted = config(res, **on(fake, "pve1"))
    planned = res.plan(None, wanted, wanted, b"")
    assert errors(planned.diagnostics) == [], "the plan allows it: pvecdk_ceph may come earlier in the same apply"
    (problem,) = errors(res.apply(None, planned.planned_state, wanted, b"").diagnostics)
    assert problem.startswith("Ceph prerequisite missing: mon.pve1: Ceph is not initialised on the cluster")
    assert "apply pvecdk_ceph first" in problem


def test_rejects_destroying_an_osd_without_allow_destroy(fake: FakeCluster, provider: PvecdkProvider) -> None:
    states = bootstrap(fake, provider)
    res = provider.resources["pvecdk_ceph_osd"]
    osd = states["osd.pve2"]
    (problem,) = errors(res.plan_destroy(osd, b"").diagnostics)
    assert f"osd.{osd['osd_id']}: destroying it on pve2:/dev/sdb wipes the data it holds" in problem
    assert "set allow_destroy = true" in problem
    allowed = {**osd, "allow_destroy": True}
    assert errors(res.plan_destroy(allowed, b"").diagnostics) == []
    refused = res.apply(allowed, None, None, b"")
    assert "Ceph says OSD(s)" in errors(refused.diagnostics)[0], "its data has nowhere to go: three hosts, size 3"
    assert refused.new_state == allowed, "still managed: it is out, not destroyed"
    create(res, config(res, **on(fake, "pve2", device="/dev/sdc")))  # somewhere for pve2's data to go
    assert errors(res.apply(allowed, None, None, b"").diagnostics) == []
    assert osd["osd_id"] not in live(fake).osds


def test_changing_the_device_replaces_the_osd_and_is_refused(fake: FakeCluster, provider: PvecdkProvider) -> None:
    states = bootstrap(fake, provider)
    res = provider.resources["pvecdk_ceph_osd"]
    prior = states["osd.pve1"]
    proposed = {**prior, "device": "/dev/sdc"}
    result = res.plan(prior, proposed, proposed, b"")
    assert ("device",) in result.requires_replace and result.planned_state["osd_id"] is UNKNOWN
    (problem,) = errors(result.diagnostics)
    assert "wipes the data it holds" in problem and "changing device replaces the OSD on pve1:/dev/sdb" in problem
    assert "set allow_destroy = true" in problem, "the fix"
    assert [d.path for d in result.diagnostics] == [("device",)], "at the attribute whose change replaces it"
    # Allowed in the new configuration only, the removal half would be refused at apply: refused at plan.
    allowed = {**proposed, "allow_destroy": True}
    (problem,) = errors(res.plan(prior, allowed, allowed, b"").diagnostics)
    assert "apply that on its own first" in problem
    unlocked = {**prior, "allow_destroy": True}
    assert errors(res.plan(unlocked, allowed, allowed, b"").diagnostics) == []


def test_rejects_removing_the_last_monitor(fake: FakeCluster, provider: PvecdkProvider) -> None:
    r = provider.resources
    create(r["pvecdk_ceph"], config(r["pvecdk_ceph"], **on(fake, "pve1", network=NETWORK)))
    only = create(r["pvecdk_ceph_monitor"], config(r["pvecdk_ceph_monitor"], **on(fake, "pve1")))
    (problem,) = errors(r["pvecdk_ceph_monitor"].plan_destroy(only, b"").diagnostics)
    assert "mon.pve1: the cluster's last monitor" in problem
    second = create(r["pvecdk_ceph_monitor"], config(r["pvecdk_ceph_monitor"], **on(fake, "pve2")))
    assert errors(r["pvecdk_ceph_monitor"].plan_destroy(second, b"").diagnostics) == [], "one of two may go"


def test_a_monitor_removed_out_of_band_leaves_the_state(fake: FakeCluster, provider: PvecdkProvider) -> None:
    states = bootstrap(fake, provider)
    res = provider.resources["pvecdk_ceph_monitor"]
    with Client({"pve3": fake.endpoint("pve3")}, Credentials.from_token(TOKEN), TlsSettings(ca_file=fake.ca_file)) as c:
        upid = c.delete("pve3", "/nodes/pve3/ceph/mon/pve3")
        c.wait_task("pve3", upid)
    assert res.read(states["mon.pve3"], b"").new_state is None
    assert res.read(states["mon.pve2"], b"").new_state == states["mon.pve2"]


def test_import_adopts_daemons(fake: FakeCluster, provider: PvecdkProvider) -> None:
    states = bootstrap(fake, provider)
    r = provider.resources
    (mon,) = r["pvecdk_ceph_monitor"].import_state("pve2")
    assert mon["node_name"] == "pve2" and mon["id"] == "mon.pve2"
    (osd,) = r["pvecdk_ceph_osd"].import_state(f"osd.{states['osd.pve1']['osd_id']}")
    assert (osd["node_name"], osd["device"]) == ("pve1", "/dev/sdb")
    (ceph,) = r["pvecdk_ceph"].import_state("pve1")
    assert ceph["fsid"] == states["ceph"]["fsid"] and ceph["network"] == NETWORK
    assert r["pvecdk_ceph_monitor"].import_state("pve9") == []


def test_cephfs_needs_an_mds_and_cannot_be_removed_through_the_api(fake: FakeCluster,
                                                                   provider: PvecdkProvider) -> None:
    bootstrap(fake, provider)
    r = provider.resources
    fs_res = r["pvecdk_ceph_fs"]
    wanted = config(fs_res, **on(fake, "pve1", name="cephfs", pg_num=32))
    planned = fs_res.plan(None, wanted, wanted, b"")
    (problem,) = errors(fs_res.apply(None, planned.planned_state, wanted, b"").diagnostics)
    assert "CephFS cephfs: a file system needs a metadata server; apply a pvecdk_ceph_mds first" in problem
    mds = create(r["pvecdk_ceph_mds"], config(r["pvecdk_ceph_mds"], **on(fake, "pve1")))
    assert mds["name"] == "pve1" and mds["id"] == "mds.pve1"
    fs = create(fs_res, wanted)
    assert fs["id"] == "cephfs" and fs["data_pool"] and fs["metadata_pool"]
    assert "loses the files in it" in errors(fs_res.plan_destroy(fs, b"").diagnostics)[0]
    (problem,) = errors(r["pvecdk_ceph_mds"].plan_destroy(mds, b"").diagnostics)
    assert "mds.pve1: the last metadata server, and CephFS cephfs needs one" in problem
    gone = fs_res.apply({**fs, "allow_destroy": True}, None, None, b"")
    assert gone.new_state is None and "pveceph fs destroy cephfs" in gone.diagnostics[0].detail


def test_a_crash_after_a_step_converges_on_rerun(fake: FakeCluster, provider: PvecdkProvider) -> None:
    r = provider.resources
    create(r["pvecdk_ceph"], config(r["pvecdk_ceph"], **on(fake, "pve1", network=NETWORK)))
    res = r["pvecdk_ceph_monitor"]
    wanted = config(res, **on(fake, "pve1"))
    planned = res.plan(None, wanted, wanted, b"").planned_state
    # The monitor is created, but the answer is lost: the apply fails like a crash half-way.
    fake.fault("pve1", Fault.DROP, path="/nodes/pve1/ceph/mon/pve1", method="POST", after=True)
    failed = res.apply(None, planned, wanted, b"")
    assert failed.new_state is None and "Run the apply again" in errors(failed.diagnostics)[0]
    rerun = res.apply(None, res.plan(None, wanted, wanted, b"").planned_state, wanted, b"")
    assert errors(rerun.diagnostics) == [] and rerun.new_state["id"] == "mon.pve1"
    posts = [q for q in fake.requests if q.method == "POST" and q.path == "/nodes/pve1/ceph/mon/pve1"]
    assert len(posts) == 1, "the rerun found the monitor and did not create it again"


def test_rejects_removing_a_monitor_that_quorum_needs(fake: FakeCluster, provider: PvecdkProvider) -> None:
    states = bootstrap(fake, provider)
    fake.set_ceph_daemon("mon.pve2", False)
    res = provider.resources["pvecdk_ceph_monitor"]
    (problem,) = errors(res.plan_destroy(states["mon.pve1"], b"").diagnostics)
    assert "mon.pve1: removing it leaves 1 of 2 monitors in quorum, short of the majority 2" in problem
    fake.set_ceph_daemon("mon.pve2", True)
    assert errors(res.plan_destroy(states["mon.pve1"], b"").diagnostics) == []


def test_preflight_command_shows_ceph_and_storage(fake: FakeCluster, tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from pvecdk.cli import main as cli

    members = {n: {"node_id": int(n[3:]), "addresses": [ADDRESSES[n]], "endpoint": fake.endpoint(n)} for n in NODES}
    stack = {"resource": {
        "pvecdk_cluster": {"Cluster": {"name": "lab", "member": members}},
        "pvecdk_ceph": {"Ceph": on(fake, "pve1", network=NETWORK)},
        "pvecdk_storage": {"Rbd": {"id": "vm-pool", "type": "rbd", "endpoint": fake.endpoint("pve1")}},
    }}
    (tmp_path / "stacks" / "lab").mkdir(parents=True)
    (tmp_path / "stacks" / "lab" / "cdk.tf.json").write_text(json.dumps(stack))
    monkeypatch.setenv("PROXMOX_VE_API_TOKEN", TOKEN)
    monkeypatch.setenv("PVECDK_CA_FILE", fake.ca_file)
    assert cli(["preflight", "--outdir", str(tmp_path), "--max-skew", "60"]) == 0
    table = capsys.readouterr().out
    assert "pve1         ceph           ok     not initialised yet: the apply will" in table, table
    assert "pve3         storage        ok     vm-pool to be added" in table, table


def test_unsetting_a_create_time_attribute_replaces_the_osd(fake: FakeCluster, provider: PvecdkProvider) -> None:
    res = provider.resources["pvecdk_ceph_osd"]
    prior = config(res, **on(fake, "pve1", device="/dev/sdb", db_device="/dev/sdc"), id="osd.0", osd_id=0)
    proposed = {**prior, "db_device": None, "endpoint": fake.endpoint("pve2")}
    result = res.plan(prior, proposed, proposed, b"")
    assert result.requires_replace == [("db_device",)], "a new endpoint is only where to call"


def test_rejects_a_monitor_address_that_is_not_an_ip(fake: FakeCluster, provider: PvecdkProvider) -> None:
    res = provider.resources["pvecdk_ceph_monitor"]
    assert res.validate(config(res, **on(fake, "pve1", address="10.0.0.11"))) == []
    (diag,) = res.validate(config(res, **on(fake, "pve1", address="pve1.lan")))
    assert diag.path == ("address",) and "'pve1.lan' is not an IP address" in diag.detail


def test_rejects_a_node_name_or_mds_name_pve_does_not_take(fake: FakeCluster, provider: PvecdkProvider) -> None:
    res = provider.resources["pvecdk_ceph_mds"]
    assert res.validate(config(res, **on(fake, "pve1", name="pve1-a"))) == []
    (diag,) = res.validate({**config(res, **on(fake, "pve1")), "node_name": "pve_1"})
    assert diag.path == ("node_name",) and diag.summary == "Invalid node name"
    (diag,) = res.validate(config(res, **on(fake, "pve1", name="-a")))
    assert diag.path == ("name",) and diag.summary == "Invalid MDS name"


def test_import_finds_an_osd_on_another_node_by_its_id(fake: FakeCluster, provider: PvecdkProvider) -> None:
    states = bootstrap(fake, provider)
    (osd,) = provider.resources["pvecdk_ceph_osd"].import_state(f"osd.{states['osd.pve2']['osd_id']}")
    assert (osd["node_name"], osd["device"], osd["osd_id"]) == ("pve2", "/dev/sdb", states["osd.pve2"]["osd_id"])
    assert osd["endpoint"] == fake.endpoint("pve1"), "reached through the provider's endpoint"


def test_a_replacement_through_the_same_node_reads_it_once(fake: FakeCluster, provider: PvecdkProvider) -> None:
    states = bootstrap(fake, provider)
    res = provider.resources["pvecdk_ceph_osd"]
    prior = {**states["osd.pve1"], "allow_destroy": True}
    proposed = {**prior, "device": "/dev/sdc"}
    seen = len(fake.requests)
    result = res.plan(prior, proposed, proposed, b"")
    assert ("device",) in result.requires_replace
    paths = [q.path for q in fake.requests[seen:] if q.method == "GET"]
    assert paths.count("/nodes/pve1/ceph/cfg/raw") == 1 and paths.count("/nodes/pve1/disks/list") == 1
    assert "/nodes/pve1/ceph/cmd-safety" in paths, "the removal of the old OSD is still asked about"


# -------------------------------------------------------------------------------- destroy and replacement refusals


def diagnostics(diags: list[Diagnostic]) -> list[tuple[str, str, str, tuple[Any, ...]]]:
    """Every diagnostic whole: severity, summary, detail and the attribute it points at."""
    return [(str(d.severity), d.summary, d.detail, d.path) for d in diags]


def replacing_osd(fake: FakeCluster, provider: PvecdkProvider, **change: Any) -> tuple[dict[str, Any], PlanResult]:
    """Ceph bootstrapped, then the plan of pve1's OSD with ``change``: its prior state and the plan."""
    prior = bootstrap(fake, provider)["osd.pve1"]
    proposed = {**prior, **change}
    return prior, provider.resources["pvecdk_ceph_osd"].plan(prior, proposed, proposed, b"")


REFUSED = "Unsafe Ceph change refused"


@pytest.mark.parametrize(("kind", "severity"), [
    ("pvecdk_ceph_osd", "error"), ("pvecdk_ceph_fs", "error"),  # data at stake: the plan stops
    ("pvecdk_ceph_monitor", "warning"), ("pvecdk_ceph_manager", "warning"), ("pvecdk_ceph_mds", "warning"),
])
def test_a_destroy_plan_that_cannot_read_ceph_stops_only_where_data_is_at_stake(
        fake: FakeCluster, provider: PvecdkProvider, kind: str, severity: str) -> None:
    res = provider.resources[kind]
    extra = {"pvecdk_ceph_osd": {"device": "/dev/sdb"}, "pvecdk_ceph_fs": {"name": "cephfs"}}.get(kind, {})
    prior = config(res, **on(fake, "pve2", **extra), id="x")
    fake.fault("pve2", Fault.HTTP_500, times=None, message="ceph status unavailable")
    result = res.plan_destroy(prior, b"")
    fake.clear_faults()
    assert result.planned_state is None
    ((got, summary, detail, path),) = diagnostics(result.diagnostics)
    assert (got, summary, path) == (severity, "Cannot read Ceph on pve2", ())
    assert "ceph status unavailable" in detail


def test_a_destroy_plan_asks_ceph_whether_stopping_the_osd_keeps_data_online(fake: FakeCluster,
                                                                              provider: PvecdkProvider) -> None:
    states = bootstrap(fake, provider)
    res = provider.resources["pvecdk_ceph_osd"]
    allowed = {**states["osd.pve2"], "allow_destroy": True}
    assert diagnostics(res.plan_destroy(allowed, b"").diagnostics) == []
    fake.set_ceph_daemon(f"osd.{states['osd.pve1']['osd_id']}", False)  # one copy down already
    osd = f"osd.{allowed['osd_id']}"
    ((severity, summary, detail, path),) = diagnostics(res.plan_destroy(allowed, b"").diagnostics)
    assert (severity, summary, path) == ("error", REFUSED, ())
    assert detail.startswith(f"{osd}: taking {osd} out of service: Ceph says unsafe to stop osd(s) at this time")
    assert detail.endswith("; add OSDs or lower the pools' size first")


def test_a_destroy_plan_asks_ceph_whether_a_file_system_keeps_an_active_mds(fake: FakeCluster,
                                                                            provider: PvecdkProvider) -> None:
    bootstrap(fake, provider)
    r = provider.resources
    mds = {n: create(r["pvecdk_ceph_mds"], config(r["pvecdk_ceph_mds"], **on(fake, n))) for n in ("pve1", "pve2")}
    assert diagnostics(r["pvecdk_ceph_mds"].plan_destroy(mds["pve2"], b"").diagnostics) == [], "a standby"
    for name in ("fs1", "fs2"):  # each takes an active MDS: no standby left
        create(r["pvecdk_ceph_fs"], config(r["pvecdk_ceph_fs"], **on(fake, "pve1", name=name, pg_num=16)))
    assert diagnostics(r["pvecdk_ceph_mds"].plan_destroy(mds["pve2"], b"").diagnostics) == [
        ("error", REFUSED, "mds.pve2: removing mds.pve2: Ceph says one or more filesystems would be left without "
         "an active MDS after stopping mds.pve2; add a standby metadata server first", ())]


def test_every_destroy_refusal_whole(fake: FakeCluster, provider: PvecdkProvider) -> None:
    states = bootstrap(fake, provider)
    r = provider.resources
    osd = states["osd.pve2"]
    assert diagnostics(r["pvecdk_ceph_osd"].plan_destroy(osd, b"").diagnostics) == [
        ("error", REFUSED, f"osd.{osd['osd_id']}: destroying it on pve2:/dev/sdb wipes the data it holds; set "
         "allow_destroy = true on it, apply, then remove it", ("allow_destroy",))]
    assert diagnostics(r["pvecdk_ceph_osd"].plan_destroy({**osd, "allow_destroy": False}, b"").diagnostics) != []
    mds = create(r["pvecdk_ceph_mds"], config(r["pvecdk_ceph_mds"], **on(fake, "pve3")))
    fs = create(r["pvecdk_ceph_fs"], config(r["pvecdk_ceph_fs"], **on(fake, "pve1", name="cephfs")))
    assert diagnostics(r["pvecdk_ceph_fs"].plan_destroy(fs, b"").diagnostics) == [
        ("error", REFUSED, "CephFS cephfs: destroying it loses the files in it; set allow_destroy = true on it, "
         "apply, then remove it", ("allow_destroy",))]
    assert diagnostics(r["pvecdk_ceph_fs"].plan_destroy({**fs, "allow_destroy": True}, b"").diagnostics) == []
    assert diagnostics(r["pvecdk_ceph_mds"].plan_destroy(mds, b"").diagnostics) == [
        ("error", REFUSED, "mds.pve3: the last metadata server, and CephFS cephfs needs one; remove the file system "
         "first or add another metadata server", ())]
    fake.set_ceph_daemon("mon.pve3", False)
    assert diagnostics(r["pvecdk_ceph_monitor"].plan_destroy(states["mon.pve2"], b"").diagnostics) == [
        ("error", REFUSED, "mon.pve2: removing it leaves 1 of 2 monitors in quorum, short of the majority 2; bring "
         "the other monitors back into quorum first", ())]
    # What holds no data and keeps quorum goes without a word.
    assert diagnostics(r["pvecdk_ceph_manager"].plan_destroy(states["mgr.pve1"], b"").diagnostics) == []
    assert r["pvecdk_ceph_manager"].plan_destroy(states["mgr.pve1"], b"").planned_state is None


def test_a_replacement_names_every_attribute_it_changes_and_points_at_the_first(fake: FakeCluster,
                                                                                provider: PvecdkProvider) -> None:
    prior, result = replacing_osd(fake, provider, device="/dev/sdc", db_device="/dev/sdd")
    assert result.requires_replace == [("device",), ("db_device",)]
    assert diagnostics(result.diagnostics) == [
        ("error", REFUSED, f"osd.{prior['osd_id']}: destroying it on pve1:/dev/sdb wipes the data it holds; set "
         "allow_destroy = true on it, apply, then remove it (changing device, db_device replaces the OSD on "
         "pve1:/dev/sdb; set allow_destroy = true and apply that on its own first: the removal half of a "
         "replacement sees only the current state)", ("device",))]


def test_a_replacement_on_another_node_plans_the_removal_from_the_old_node(fake: FakeCluster,
                                                                           provider: PvecdkProvider) -> None:
    # The new OSD on pve2 through pve1's endpoint: the old one is still pve1's, not the OSD on pve2's /dev/sdb.
    prior, result = replacing_osd(fake, provider, node_name="pve2", device="/dev/sdc")
    assert result.requires_replace == [("node_name",), ("device",)]
    ((severity, summary, detail, path),) = diagnostics(result.diagnostics)
    assert (severity, summary, path) == ("error", REFUSED, ("node_name",))
    assert detail.startswith(f"osd.{prior['osd_id']}: destroying it on pve1:/dev/sdb wipes the data it holds")
    # The old node cannot be read: the replacement is kept and the plan says why it stopped.
    fake.fault("pve1", Fault.HTTP_500, times=None, message="pve1 is down")
    moved = {**prior, "node_name": "pve2", "device": "/dev/sdc", "endpoint": fake.endpoint("pve2")}
    result = provider.resources["pvecdk_ceph_osd"].plan(prior, moved, moved, b"")
    fake.clear_faults()
    assert result.requires_replace == [("node_name",), ("device",)]
    assert result.planned_state == {**moved, "id": UNKNOWN, "osd_id": UNKNOWN}, "the plan of the new OSD stands"
    ((severity, summary, detail, path),) = diagnostics(result.diagnostics)
    assert (severity, summary, path) == ("error", "Cannot read Ceph on pve1", ())
    assert "pve1 is down" in detail


def test_a_plan_that_cannot_read_the_node_says_so(fake: FakeCluster, provider: PvecdkProvider) -> None:
    res = provider.resources["pvecdk_ceph_manager"]
    wanted = config(res, **on(fake, "pve3"))
    fake.fault("pve3", Fault.HTTP_500, times=None, message="no answer from pve3")
    result = res.plan(None, wanted, wanted, b"")
    fake.clear_faults()
    assert result.requires_replace == [] and result.planned_state["id"] is UNKNOWN
    ((severity, summary, detail, path),) = diagnostics(result.diagnostics)
    assert (severity, summary, path) == ("error", "Cannot read Ceph on pve3", ())
    assert "no answer from pve3" in detail


def test_an_unset_cluster_network_is_read_back_and_a_set_one_planned_as_given(fake: FakeCluster,
                                                                              provider: PvecdkProvider) -> None:
    res = provider.resources["pvecdk_ceph"]
    unset = config(res, **on(fake, "pve1", network=NETWORK))
    assert res.plan(None, unset, unset, b"").planned_state["cluster_network"] is UNKNOWN, "Ceph's own default"
    given = config(res, **on(fake, "pve1", network=NETWORK, cluster_network="10.1.0.0/24"))
    planned = res.plan(None, given, given, b"")
    assert planned.diagnostics == [] and planned.planned_state["cluster_network"] == "10.1.0.0/24"
    state = create(res, given)
    assert state["cluster_network"] == "10.1.0.0/24"
    other = {**given, **{k: state[k] for k in ("id", "fsid")}, "cluster_network": "10.2.0.0/24"}
    changed = res.plan(state, other, other, b"")
    assert changed.requires_replace == [("cluster_network",)]
    assert changed.planned_state["cluster_network"] == "10.2.0.0/24" and changed.planned_state["fsid"] is UNKNOWN


def test_a_plan_with_where_or_what_unknown_until_apply_reads_nothing(fake: FakeCluster,
                                                                     provider: PvecdkProvider) -> None:
    states = bootstrap(fake, provider)
    res = provider.resources["pvecdk_ceph_osd"]
    prior = states["osd.pve1"]
    for unknown in ("node_name", "endpoint", "device"):
        seen = len(fake.requests)
        proposed = {**prior, unknown: UNKNOWN}
        result = res.plan(prior, proposed, proposed, b"")
        assert fake.requests[seen:] == [], f"{unknown} unknown: nothing to read yet"
        assert result.diagnostics == [] and result.requires_replace == [], "an unknown value forces nothing yet"
        assert result.planned_state["osd_id"] == prior["osd_id"]
    moved = {**prior, "node_name": "pve2", "endpoint": UNKNOWN}
    result = res.plan(prior, moved, moved, b"")
    assert result.diagnostics == [] and result.requires_replace == [("node_name",)], "a known change forces it"
    assert result.planned_state["osd_id"] is UNKNOWN
    # pvecdk_ceph: node_name is only where init ran, no attribute that forces a replacement; unknown, still unread.
    seen = len(fake.requests)
    ceph = {**states["ceph"], "node_name": UNKNOWN}
    result = provider.resources["pvecdk_ceph"].plan(states["ceph"], ceph, ceph, b"")
    assert fake.requests[seen:] == [] and result.diagnostics == [] and result.requires_replace == []


def test_a_create_the_node_cannot_take_is_refused_at_plan(fake: FakeCluster, provider: PvecdkProvider) -> None:
    bootstrap(fake, provider)
    res = provider.resources["pvecdk_ceph_osd"]
    wanted = config(res, **on(fake, "pve3", device="/dev/sdz"))
    disks = ", ".join(sorted(live(fake, "pve3", disks=True).disks))
    assert diagnostics(res.plan(None, wanted, wanted, b"").diagnostics) == [
        ("error", REFUSED, f"pve3: has no disk /dev/sdz (device); its disks: {disks}; set device to one of its disks",
         ("device",))]


def test_a_replacement_through_another_endpoint_reads_the_old_object_through_its_own(
        fake: FakeCluster, provider: PvecdkProvider) -> None:
    states = bootstrap(fake, provider)
    res = provider.resources["pvecdk_ceph_osd"]
    prior = {**states["osd.pve1"], "allow_destroy": True}
    proposed = {**prior, "device": "/dev/sdc", "endpoint": fake.endpoint("pve2")}
    seen = len(fake.requests)
    result = res.plan(prior, proposed, proposed, b"")
    assert result.requires_replace == [("device",)] and errors(result.diagnostics) == []
    reads = [(q.node, q.path) for q in fake.requests[seen:] if q.method == "GET"]
    assert ("pve2", "/nodes/pve1/disks/list") in reads, "the new OSD through the new endpoint"
    assert ("pve1", "/nodes/pve1/disks/list") in reads, "the old one through the endpoint its state names"


def test_a_replacement_refused_on_both_halves_shows_both(fake: FakeCluster, provider: PvecdkProvider) -> None:
    prior, result = replacing_osd(fake, provider, device="/dev/sdz")
    disks = ", ".join(sorted(live(fake, "pve1", disks=True).disks))
    assert diagnostics(result.diagnostics) == [
        ("error", REFUSED, f"pve1: has no disk /dev/sdz (device); its disks: {disks}; set device to one of its disks",
         ("device",)),
        ("error", REFUSED, f"osd.{prior['osd_id']}: destroying it on pve1:/dev/sdb wipes the data it holds; set "
         "allow_destroy = true on it, apply, then remove it (changing device replaces the OSD on pve1:/dev/sdb; "
         "set allow_destroy = true and apply that on its own first: the removal half of a replacement sees only "
         "the current state)", ("device",)),
    ]


def test_a_daemon_gone_behind_terraforms_back_is_planned_anew_and_one_kept_asks_nothing_of_its_removal(
        fake: FakeCluster, provider: PvecdkProvider) -> None:
    states = bootstrap(fake, provider)
    res = provider.resources["pvecdk_ceph_monitor"]
    seen = len(fake.requests)
    kept = res.plan(states["mon.pve2"], states["mon.pve2"], states["mon.pve2"], b"")
    assert kept.diagnostics == [] and kept.planned_state == states["mon.pve2"]
    assert not [q for q in fake.requests[seen:] if q.path.endswith("/ceph/cmd-safety")], "nothing is removed"
    with Client({"pve3": fake.endpoint("pve3")}, Credentials.from_token(TOKEN), TlsSettings(ca_file=fake.ca_file)) as c:
        c.wait_task("pve3", c.delete("pve3", "/nodes/pve3/ceph/mon/pve3"))
    again = res.plan(states["mon.pve3"], states["mon.pve3"], states["mon.pve3"], b"")
    assert again.diagnostics == [] and again.requires_replace == []
    assert again.planned_state == {**states["mon.pve3"], "id": UNKNOWN}, "created again: its id comes from apply"


def test_allow_destroy_left_unset_is_planned_false_and_only_where_the_type_has_it(fake: FakeCluster,
                                                                                 provider: PvecdkProvider) -> None:
    for kind, extra in (("pvecdk_ceph_osd", {"device": "/dev/sdb"}), ("pvecdk_ceph_fs", {"name": "cephfs"})):
        res = provider.resources[kind]
        wanted = config(res, **on(fake, "pve1", **extra))
        assert res.plan(None, wanted, wanted, b"").planned_state["allow_destroy"] is False, kind
        allowed = {**wanted, "allow_destroy": True}
        assert res.plan(None, allowed, allowed, b"").planned_state["allow_destroy"] is True, kind
    manager = provider.resources["pvecdk_ceph_manager"]
    wanted = config(manager, **on(fake, "pve1"))
    assert "allow_destroy" not in manager.plan(None, wanted, wanted, b"").planned_state
