"""`pvecdk import` against fake clusters of several shapes: what it reads, the module it writes, the import ids,
the report, and its behaviour when a node is offline or a path is forbidden."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import adopt_shapes as shapes
import pytest
from fakepve import FakeCluster, Fault
from pvecdk import cli
from pvecdk.adopt.adopt import adopt, build_stack
from pvecdk.adopt.report import Report

VENV_BIN = Path(sys.executable).parent
CIFS_PASSWORD = "cifs-s3cret-pw"


def run(fake: FakeCluster, out: Path, count: int) -> Report:
    return adopt(fake.endpoint("pve1"), out, node_endpoints=shapes.node_endpoints(fake, count),
                 client_factory=shapes.client_factory(fake))


def calls(text: str, name: str) -> list[ast.Call]:
    """Every call of ``name`` (``Vm``, ``cluster.add_node``) in the module's source; ``x = Vm`` for the calls
    assigned to ``x``."""
    target, _, func = name.rpartition(" = ")
    found = []
    for node in ast.walk(ast.parse(text)):
        if target:
            if (isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == target
                    and isinstance(node.value, ast.Call) and ast.unparse(node.value.func) == func):
                found.append(node.value)
        elif isinstance(node, ast.Call) and ast.unparse(node.func) == name:
            found.append(node)
    return found


def kwargs(node: ast.Call) -> dict[str, str]:
    return {k.arg: ast.unparse(k.value) for k in node.keywords if k.arg}


def imports_of(text: str) -> dict[str, str]:
    module = ast.parse(text)
    for stmt in module.body:
        if isinstance(stmt, ast.Assign) and ast.unparse(stmt.targets[0]) == "IMPORTS":
            value: dict[str, str] = ast.literal_eval(stmt.value)
            return value
    raise AssertionError("no IMPORTS")


def built(text: str, class_name: str = "LabStack") -> dict[str, Any]:
    config, errors, _warnings = build_stack(text, class_name, "lab")
    assert config is not None and errors == [], errors
    return config


def resources(config: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Construct path below the stack -> (Terraform type, arguments)."""
    return {str(a["//"]["metadata"]["path"]).split("/", 1)[1]: (t, a)
            for t, items in config.get("resource", {}).items() for a in items.values()}


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> tuple[FakeCluster, Report, str, Path]:
    """Three nodes on PVE 9.1 with Ceph and CephFS, VMs and a container, HA, a pool, a backup job and metrics."""
    out = tmp_path_factory.mktemp("three") / "stacks" / "lab.py"
    with shapes.shape(3) as fake:
        shapes.add_ceph(fake)
        shapes.add_vm(fake, "pve1", 100, "web1", storage="vm-pool")
        shapes.add_vm(fake, "pve2", 101, "db1", cores=4, memory=8192, storage="vm-pool", tags="db;prod")
        shapes.add_container(fake, "pve3", 200, "dns1")
        shapes.add_jobs_and_metrics(fake)
        shapes.api(fake).storage.post(storage="nas", type="cifs", server="192.168.1.60", share="pve",
                                      username="pve", password=CIFS_PASSWORD, content="iso,backup")
        fake.add_ha_resource("vm:100")
        fake.set_inventory("/cluster/ha/resources/vm:100", {"sid": "vm:100", "state": "started", "max_restart": 3,
                                                             "max_relocate": 1})
        fake.set_inventory("/cluster/ha/rules", [{"rule": "prefer-pve1_2-pve2_1", "type": "node-affinity",
                                                  "resources": "vm:100", "nodes": "pve1:2,pve2:1", "strict": 0}])
        report = run(fake, out, 3)
        text = out.read_text()
        again = run(fake, out.with_name("again.py"), 3)
        assert out.with_name("again.py").read_text() == text, "an unchanged cluster gives the same module"
        assert again.imports == report.imports
        assert fake.server_errors == []
        yield fake, report, text, out


def test_writes_the_cluster_its_nodes_and_networks_as_roles(three: tuple[FakeCluster, Report, str, Path]) -> None:
    _fake, report, text, _out = three
    (cluster,) = calls(text, "cluster = Cluster")
    assert kwargs(cluster) == {
        "name": "'lab'", "management_network": "'192.168.1.0/24'", "cluster_network": "'10.0.0.0/24'",
        "storage_network": "'172.16.0.0/24'", "dns_servers": "['192.168.1.1']", "search_domain": "'example.internal'",
        "management_gateway": "'192.168.1.1'", "firewall": "False"}
    nodes = calls(text, "pve1 = cluster.add_node") + calls(text, "pve2 = cluster.add_node") + calls(
        text, "pve3 = cluster.add_node")
    assert [kwargs(n)["management_address"] for n in nodes] == ["'192.168.1.11'", "'192.168.1.12'", "'192.168.1.13'"]
    assert [kwargs(n)["cluster_address"] for n in nodes] == ["'10.0.0.11'", "'10.0.0.12'", "'10.0.0.13'"]
    assert all(kwargs(n)["management_interface"] == "'eno1'" for n in nodes)
    assert [ast.unparse(c) for c in calls(text, "pve1.add_bridge")] == [
        "pve1.add_bridge('vmbr1', ports=['eno2'], address='10.0.0.11/24')",
        "pve1.add_bridge('vmbr2', ports=['eno3'], address='172.16.0.11/24', mtu=9000)"]
    assert report.inventory.release == "9.1" and "pve_version" not in kwargs(cluster), "9.1 is the default"


def test_writes_ceph_storage_guests_ha_and_jobs(three: tuple[FakeCluster, Report, str, Path]) -> None:
    _fake, _report, text, _out = three
    assert [ast.unparse(c) for c in calls(text, "ceph = cluster.enable_ceph")] == ["cluster.enable_ceph()"]
    assert len(re.findall(r"pve\d\.add_osd\('/dev/sdb'\)", ast.unparse(ast.parse(text)))) == 3
    (pool,) = calls(text, "vm_pool = ceph.add_pool")
    assert ast.unparse(pool.args[0]) == "'vm-pool'" and "size" not in kwargs(pool), "3/2 is the default"
    (fs,) = calls(text, "fs_cephfs = ceph.add_filesystem")
    assert kwargs(fs) == {"mds_nodes": "[pve1, pve2]"}
    (web1,) = calls(text, "Vm")[:1]
    assert kwargs(web1)["ha"] == "HaOptions(max_restart=3, prefer={pve1: 2, pve2: 1})"
    assert kwargs(web1)["disks"] == "[Disk(vm_pool_storage)]" and kwargs(web1)["pool"] == "pool_prod"
    db1 = calls(text, "Vm")[1]
    assert {k: kwargs(db1)[k] for k in ("cores", "memory_mib", "tags")} == {
        "cores": "4", "memory_mib": "8192", "tags": "['db', 'prod']"}
    assert "cpu_type" not in kwargs(db1) and "agent" not in kwargs(db1), "defaults are left out"
    (backup,) = calls(text, "BackupJob")
    assert kwargs(backup) == {"storage": "local", "job_id": "'nightly'",
                              "retention": "Retention(keep_daily=7, keep_weekly=4)"}
    (ct,) = calls(text, "dns1 = Container")
    assert kwargs(ct)["disk"] == "Disk(local_lvm, size_gib=8)"
    assert text.index("# Guests on pve1") < text.index('"web1"') < text.index("# Guests on pve2") < text.index(
        '"db1"') < text.index("# Guests on pve3") < text.index('"dns1"')


def test_secrets_become_sensitive_variables_listed_at_the_top(three: tuple[FakeCluster, Report, str, Path]) -> None:
    _fake, report, text, _out = three
    assert report.secrets == ["nas_password", "influx_token"]
    docstring = ast.get_docstring(ast.parse(text)) or ""
    assert "influx_token: InfluxDB token of metrics server influx" in docstring
    assert "nas_password: password of CIFS storage nas" in docstring
    for name in report.secrets:
        (var,) = calls(text, f"{name} = TerraformVariable")
        assert kwargs(var)["sensitive"] == "True"
    (nas,) = calls(text, "CifsStorage")
    assert kwargs(nas)["password"] == "nas_password.string_value"
    assert "SECRETS = ('nas_password', 'influx_token')" in ast.unparse(ast.parse(text))
    assert shapes.TOKEN.split("=")[1] not in text and CIFS_PASSWORD not in text
    assert CIFS_PASSWORD not in report.markdown() + report.terminal()


def test_every_resource_gets_an_import_block_in_its_providers_format(
        three: tuple[FakeCluster, Report, str, Path]) -> None:
    fake, report, text, _out = three
    config = built(text)
    found = resources(config)
    assert report.not_importable == []
    assert set(imports_of(text)) == set(found), "one import per resource of the stack"
    blocks = {b["to"]: b["id"] for b in config["import"]}
    assert len(blocks) == len(found)
    ep = {n: fake.endpoint(n) for n in ("pve1", "pve2", "pve3")}
    ids = imports_of(text)
    assert ids["Cluster/Membership"] == f"lab,pve1={ep['pve1']},pve2={ep['pve2']},pve3={ep['pve3']}"
    assert ids["Cluster/Ceph/Resource"] == f"pve1@{ep['pve1']}"
    assert ids["Cluster/Ceph/Monitor-pve2"] == f"pve2@{ep['pve2']}"
    assert ids["Cluster/Ceph/Osd-pve3-sdb/Resource"] == f"pve3:/dev/sdb@{ep['pve3']}"
    assert ids["Cluster/Ceph/Mds-pve2"] == f"pve2:pve2@{ep['pve2']}"
    assert ids["Cluster/Ceph/Fs-cephfs/Resource"] == f"cephfs@{ep['pve1']}"
    assert ids["Cluster/Ceph/Pool-vm-pool/Storage-vm-pool/Resource"] == f"vm-pool@{ep['pve1']}"
    assert {k: ids[k] for k in ("Cluster/Resource", "Cluster/pve2/Bridge-vmbr1", "Cluster/pve3/Dns",
                                "Cluster/Ceph/Pool-vm-pool/Resource", "Cluster/Ha/vm-100",
                                "Cluster/Ha/Rule-prefer-pve1_2-pve2_1", "web1/Resource", "dns1/Resource",
                                "Pool-prod/Resource", "backup-nightly/Resource", "local-lvm/Resource",
                                "metrics-influx/Resource")} == {
        "Cluster/Resource": "cluster", "Cluster/pve2/Bridge-vmbr1": "pve2:vmbr1", "Cluster/pve3/Dns": "pve3",
        "Cluster/Ceph/Pool-vm-pool/Resource": "pve1/vm-pool", "Cluster/Ha/vm-100": "vm:100",
        "Cluster/Ha/Rule-prefer-pve1_2-pve2_1": "prefer-pve1_2-pve2_1", "web1/Resource": "pve1/100",
        "dns1/Resource": "pve3/200", "Pool-prod/Resource": "prod", "backup-nightly/Resource": "nightly",
        "local-lvm/Resource": "local-lvm", "metrics-influx/Resource": "influx"}
    assert report.import_types["proxmox_virtual_environment_vm"] == 2
    assert report.import_types["pvecdk_ceph_osd"] == 3


def test_the_module_passes_ruff_and_strict_mypy(three: tuple[FakeCluster, Report, str, Path]) -> None:
    _fake, _report, _text, out = three
    ruff = subprocess.run([str(VENV_BIN / "ruff"), "check", "--isolated", "--line-length", "120", "--select",
                           "E,F,I,B", str(out)], capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout
    mypy = subprocess.run([str(VENV_BIN / "mypy"), "--strict", "--no-incremental", "--follow-imports", "silent",
                           str(out)], capture_output=True, text=True, cwd=out.parent)
    assert mypy.returncode == 0, mypy.stdout


def test_the_report_lists_what_was_read_and_what_to_decide(three: tuple[FakeCluster, Report, str, Path]) -> None:
    _fake, report, text, _out = three
    counts = dict(report.read_counts())
    assert {k: counts[k] for k in ("nodes", "Ceph OSDs", "Ceph file systems", "VMs", "containers", "HA rules",
                                   "backup jobs", "metrics servers")} == {
        "nodes": 3, "Ceph OSDs": 3, "Ceph file systems": 1, "VMs": 2, "containers": 1, "HA rules": 1,
        "backup jobs": 1, "metrics servers": 1}
    assert report.ok and report.policy_errors == []
    assert [d for d in report.decisions if d.startswith("container 200")], report.decisions
    assert "# DECIDE: container 200" in text
    # Ceph's packages are installed over SSH, and no API reports the keys to pin.
    (keys,) = [d for d in report.decisions if d.startswith("SSH host keys")]
    assert keys.startswith("SSH host keys: Ceph's packages are managed over SSH") and "SshAccess(host_key=" in keys
    markdown = report.markdown()
    assert "| Ceph OSDs | 3 |" in markdown and "| `pvecdk_ceph_osd` | 3 |" in markdown
    assert "## To decide" in markdown and "`influx_token`" in markdown


def test_pve8_ha_groups_become_preferences(tmp_path: Path) -> None:
    with shapes.shape(3, version="8.4") as fake:
        shapes.add_nfs(fake)
        for vmid, node in ((100, "pve1"), (101, "pve2")):
            shapes.add_vm(fake, node, vmid, f"app{vmid}", cpu="kvm64", storage="nfs")
            fake.add_ha_resource(f"vm:{vmid}")
        fake.set_inventory("/cluster/ha/resources/vm:100", {"sid": "vm:100", "state": "started",
                                                             "group": "prefer-pve1_2-pve2_1"})
        fake.set_inventory("/cluster/ha/resources/vm:101", {"sid": "vm:101", "state": "stopped", "group": "web"})
        fake.set_inventory("/cluster/ha/groups", [
            {"group": "prefer-pve1_2-pve2_1", "nodes": "pve1:2,pve2:1", "restricted": 0},
            {"group": "web", "nodes": "pve2,pve3", "restricted": 1}])
        report = run(fake, tmp_path / "lab.py", 3)
    text = (tmp_path / "lab.py").read_text()
    (cluster,) = calls(text, "cluster = Cluster")
    assert kwargs(cluster)["pve_version"] == "PveVersion.V8_4"
    app100, app101 = calls(text, "Vm")
    assert kwargs(app100)["cpu_type"] == "'kvm64'", "PVE 8's default CPU type is not the construct's"
    assert kwargs(app100)["ha"] == "HaOptions(prefer={pve1: 2, pve2: 1})"
    assert kwargs(app101)["ha"] == "HaOptions(state=HaState.STOPPED, prefer={pve2: 1, pve3: 1}, strict=True)"
    ids = imports_of(text)
    assert ids["Cluster/Ha/Group-prefer-pve1_2-pve2_1"] == "prefer-pve1_2-pve2_1"
    # The group pvecdk names for web's preferences does not exist under that name: created, and the report says so.
    assert "Cluster/Ha/Group-prefer-pve2_1-pve3_1-strict" not in ids
    assert any("HA group web" in d for d in report.decisions), report.decisions
    assert "Cluster/Ha/Group-prefer-pve2_1-pve3_1-strict (proxmox_hagroup): not in the cluster yet, created" in (
        report.not_importable)
    (nfs,) = calls(text, "nfs = NfsStorage")
    assert kwargs(nfs) == {"server": "'192.168.1.100'", "export": "'/srv/nfs'",
                           "content": "[ContentType.BACKUP, ContentType.IMAGES]"}
    assert ids["nfs/Resource"] == "nfs"
    assert report.policy_errors == [] and report.ok


def test_pve9_ha_rules_with_resource_affinity(tmp_path: Path) -> None:
    with shapes.shape(3) as fake:
        for vmid, node in ((100, "pve1"), (101, "pve2")):
            shapes.add_vm(fake, node, vmid, f"db{vmid}", storage="local-lvm")
            fake.add_ha_resource(f"vm:{vmid}")
            fake.set_inventory(f"/cluster/ha/resources/vm:{vmid}", {"sid": f"vm:{vmid}", "state": "started",
                                                                     "failback": 0})
        fake.set_inventory("/cluster/ha/rules", [
            {"rule": "apart-100-101", "type": "resource-affinity", "affinity": "negative",
             "resources": "vm:100,vm:101"}])
        report = run(fake, tmp_path / "lab.py", 3)
    text = (tmp_path / "lab.py").read_text()
    db100, db101 = calls(text, "db100 = Vm") + calls(text, "db101 = Vm")
    assert kwargs(db100)["ha"] == "HaOptions(failback=False)"
    (apart,) = calls(text, "cluster.ha.keep_apart")
    assert ast.unparse(apart) == "cluster.ha.keep_apart([db100, db101], name='apart-100-101')"
    assert imports_of(text)["Cluster/Ha/Rule-apart-100-101"] == "apart-100-101"
    # HA on local storage: the rule the cluster breaks is named, and the module is still written.
    assert any("shared" in e or "replicat" in e for e in report.policy_errors), report.policy_errors
    assert not report.ok


def test_five_nodes_with_a_qdevice(tmp_path: Path) -> None:
    with shapes.shape(5) as fake:
        fake.set_inventory("/cluster/config/qdevice", {"QNetd host": "192.168.1.5:5403", "State": "Connected"})
        report = run(fake, tmp_path / "five.py", 5)
    text = (tmp_path / "five.py").read_text()
    (cluster,) = calls(text, "cluster = Cluster")
    assert kwargs(cluster)["qdevice"] == "QDevice('192.168.1.5')"
    assert len(calls(text, "pve5 = cluster.add_node")) == 1
    assert imports_of(text)["Cluster/Membership"].startswith("lab,pve1=")
    assert any(d.startswith("SSH host keys: the QDevice is managed over SSH") for d in report.decisions)
    assert imports_of(text)["Cluster/QDevice"].startswith("lab,node.pve1.endpoint=https://")
    # PVE runs a QDevice on five nodes only when forced, and the plan would refuse it: the module is still written
    # as the cluster runs, the report names the broken rule with its fix, and the module says what to decide.
    assert [e.split(": ", 2)[:2] for e in report.policy_errors] == [["five/Cluster", "qdevice"]]
    (rule,) = report.policy_errors
    assert "a QDevice on an odd number of nodes (5)" in rule and rule.endswith("; remove the QDevice or add a node")
    assert not report.ok
    assert "rules the cluster breaks:\n    - five/Cluster: qdevice: a QDevice on an odd number of nodes (5)" in (
        report.terminal())
    assert "## Rules the cluster breaks\n\n- five/Cluster: qdevice: a QDevice on an odd number" in report.markdown()
    (decision,) = [d for d in report.decisions if d.startswith("the QDevice runs on 5 nodes")]
    assert "remove qdevice= and the 'Cluster/QDevice' entry of IMPORTS" in decision
    assert "# DECIDE: the QDevice runs on 5 nodes" in text
    # The module is one a user can fix as the decision says: without the QDevice it breaks no rule, and its
    # warnings are those the report gave beside the error.
    fixed = re.sub(r'\n    "Cluster/QDevice": \((\n        .*)+\n    \),', "",
                   text.replace('qdevice=QDevice("192.168.1.5"), ', ""))
    assert "Cluster/QDevice" not in imports_of(fixed) and "qdevice" not in kwargs(calls(fixed, "cluster = Cluster")[0])
    config, errors, warnings = build_stack(fixed, "LabStack", "five")
    assert config is not None and "pvecdk_qdevice" not in config["resource"] and errors == []
    assert warnings == report.policy_warnings


def test_two_hundred_guests_grouped_per_node(tmp_path: Path) -> None:
    with shapes.shape(3) as fake:
        for i in range(200):
            node = f"pve{i % 3 + 1}"
            if i % 4 == 3:
                shapes.add_container(fake, node, 1000 + i, f"ct{1000 + i}")
            else:
                shapes.add_vm(fake, node, 1000 + i, f"vm{1000 + i}", memory=1024 * (1 + i % 3))
        report = run(fake, tmp_path / "many.py", 3)
    text = (tmp_path / "many.py").read_text()
    assert len(calls(text, "Vm")) == 150
    assert len(re.findall(r"= Container\(", text)) == 50
    ids = imports_of(text)
    assert sum(1 for k in ids if re.fullmatch(r"(vm|ct)\d+/Resource", k)) == 200
    assert ids["vm1000/Resource"] == "pve1/1000" and ids["ct1003/Resource"] == "pve1/1003"
    for n in (1, 2, 3):
        section = text.split(f"# Guests on pve{n}")[1].split("# Guests on")[0]
        assert all(f"node=pve{n}" in line for line in section.splitlines() if "= Vm(" in line or "Vm(self" in line)
    assert report.import_types["proxmox_virtual_environment_container"] == 50
    assert not any(d.startswith("SSH host keys") for d in report.decisions), "nothing runs over SSH"


def test_a_node_offline_is_reported_and_the_rest_imported(tmp_path: Path) -> None:
    with shapes.shape(3) as fake:
        shapes.add_vm(fake, "pve1", 100, "web1")
        shapes.add_vm(fake, "pve3", 300, "lost1")
        fake.set_offline("pve3")
        report = run(fake, tmp_path / "lab.py", 3)
    text = (tmp_path / "lab.py").read_text()
    assert any(lo.what.startswith("node pve3") and "offline" in lo.reason for lo in report.left_out), report.left_out
    assert not report.ok
    assert len(calls(text, "Vm")) == 1 and '"lost1"' not in text
    assert len(calls(text, "pve3 = cluster.add_node")) == 1, "the member stays in the cluster"
    assert imports_of(text)["web1/Resource"] == "pve1/100"


def test_a_node_offline_takes_the_management_port_the_others_use(tmp_path: Path) -> None:
    """A node that reported no interfaces gets the port of the others' management bridge, not a guess."""
    with shapes.shape(3) as fake:
        for i, node in enumerate(("pve1", "pve2"), start=1):
            fake.set_inventory(f"/nodes/{node}/network", [
                {"iface": "enp1s0", "type": "eth"}, {"iface": "eno2", "type": "eth"},
                {"iface": "vmbr0", "type": "bridge", "cidr": f"192.168.1.{10 + i}/24", "gateway": "192.168.1.1",
                 "bridge_ports": "enp1s0"},
                {"iface": "vmbr1", "type": "bridge", "cidr": f"10.0.0.{10 + i}/24", "bridge_ports": "eno2"}])
        fake.set_offline("pve3")
        run(fake, tmp_path / "lab.py", 3)
    text = (tmp_path / "lab.py").read_text()
    interfaces = [kwargs(calls(text, f"{n} = cluster.add_node")[0])["management_interface"]
                  for n in ("pve1", "pve2", "pve3")]
    assert interfaces == ["'enp1s0'"] * 3
    assert "# DECIDE: pve3 did not report its interfaces" in text


def test_permission_denied_on_one_path_is_reported(tmp_path: Path) -> None:
    with shapes.shape(3) as fake:
        shapes.add_vm(fake, "pve1", 100, "web1")
        shapes.add_jobs_and_metrics(fake)
        fake.fault("pve1", Fault.FORBIDDEN, path="/cluster/backup", times=None)
        report = run(fake, tmp_path / "lab.py", 3)
    text = (tmp_path / "lab.py").read_text()
    (denied,) = [lo for lo in report.left_out if lo.what == "backup jobs"]
    assert denied.reason.startswith("permission denied on /cluster/backup (HTTP 403)") and denied.failed
    assert not report.ok and [lo.what for lo in report.left_out if lo.failed] == ["backup jobs"]
    assert calls(text, "BackupJob") == [] and len(calls(text, "InfluxDbServer")) == 1
    assert "| backup jobs | permission denied" in report.markdown()


def test_cli_writes_the_module_and_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    with shapes.shape(3) as fake:
        monkeypatch.setenv("PROXMOX_VE_API_TOKEN", shapes.TOKEN)
        monkeypatch.setenv("PVECDK_CA_FILE", fake.ca_file)
        shapes.add_vm(fake, "pve2", 100, "web1")
        out = tmp_path / "stacks" / "lab.py"
        args = ["import", "--endpoint", fake.endpoint("pve1"), "--out", str(out)]
        for n in ("pve1", "pve2", "pve3"):
            args += ["--node-endpoint", f"{n}={fake.endpoint(n)}"]
        assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "pvecdk import: cluster lab (PVE 9.1)" in printed and "1 VMs" in printed
    assert (tmp_path / "stacks" / "lab.import.md").read_text().startswith("# Adoption of cluster `lab`")
    assert imports_of(out.read_text())["web1/Resource"] == "pve2/100"
    assert shapes.TOKEN.split("=")[1] not in printed


def test_cli_writes_a_cluster_that_breaks_a_rule_and_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    with shapes.shape(5) as fake:
        fake.set_inventory("/cluster/config/qdevice", {"QNetd host": "192.168.1.5:5403", "State": "Connected"})
        monkeypatch.setenv("PROXMOX_VE_API_TOKEN", shapes.TOKEN)
        monkeypatch.setenv("PVECDK_CA_FILE", fake.ca_file)
        out = tmp_path / "stacks" / "five.py"
        args = ["import", "--endpoint", fake.endpoint("pve1"), "--out", str(out),
                "--report", str(tmp_path / "reports" / "five.md")]  # a folder that does not exist yet
        for n in shapes.node_endpoints(fake, 5).items():
            args += ["--node-endpoint", "=".join(n)]
        assert cli.main(args) == 1
    assert "rules the cluster breaks:" in capsys.readouterr().out
    assert "- five/Cluster: qdevice: a QDevice on an odd number of nodes (5)" in (
        tmp_path / "reports" / "five.md").read_text()
    assert imports_of(out.read_text())["Cluster/QDevice"].startswith("lab,")


def test_cli_refuses_a_bad_node_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["import", "--endpoint", "https://x:8006", "--out", "x.py", "--node-endpoint", "pve1"]) == 2
    assert "give NODE=https://ADDRESS:8006" in capsys.readouterr().err
    assert cli.main(["import", "--endpoint", "https://x:8006", "--out", "x.py", "--node-endpoint",
                     "=https://10.0.0.11:8006"]) == 2, "a node without a name"
    assert "give NODE=https://ADDRESS:8006" in capsys.readouterr().err


def test_cli_refuses_a_node_endpoint_for_no_member_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with shapes.shape(3) as fake:
        monkeypatch.setenv("PROXMOX_VE_API_TOKEN", shapes.TOKEN)
        monkeypatch.setenv("PVECDK_CA_FILE", fake.ca_file)
        out = tmp_path / "stacks" / "lab.py"
        args = ["import", "--endpoint", fake.endpoint("pve1"), "--out", str(out),
                "--node-endpoint", f"pve2={fake.endpoint('pve2')}", "--node-endpoint", "pve9=https://10.9.9.9:8006"]
        assert cli.main(args) == 2
    assert capsys.readouterr().err.strip() == (
        "pvecdk import: --node-endpoint pve9: no such node in cluster lab (its nodes: pve1, pve2, pve3); "
        "give NODE=URL with a member's name")
    assert not out.exists() and not out.with_suffix(".import.md").exists()


def test_the_module_passes_pvecdk_validate(three: tuple[FakeCluster, Report, str, Path], tmp_path: Path) -> None:
    """Terraform validates the synthesized stack and plans it, import blocks included, against the providers'
    schemas (offline: nothing is asked of the cluster)."""
    from pvecdk.synth import synth_app
    from pvecdk.validate import check_outdir

    _fake, report, text, _out = three
    module: dict[str, Any] = {}
    exec(compile(text, "lab.py", "exec"), module)  # the module as `pvecdk cdktf synth` would load it
    synth_app({"lab": module["LabStack"]}, outdir=str(tmp_path / "cdktf.out"))
    (check,) = check_outdir(tmp_path / "cdktf.out")
    assert check.ok, [str(f) for f in check.findings]
    assert sum(check.planned.values()) == len(report.imports)


def test_an_etc_hosts_the_stack_would_rewrite_is_a_decision(tmp_path: Path) -> None:
    with shapes.shape(3) as fake:
        installer = "127.0.0.1 localhost.localdomain localhost\n192.168.1.12 pve2.example.internal pve2\n"
        fake.set_inventory("/nodes/pve2/hosts", {"digest": "0" * 40, "data": installer})
        report = run(fake, tmp_path / "lab.py", 3)
    (decision,) = [d for d in report.decisions if "/etc/hosts" in d]
    assert decision.startswith("pve2's /etc/hosts differs from what the stack writes (every node on the cluster "
                               "network): the first deploy rewrites the entries of 10.0.0.11, 10.0.0.12, 10.0.0.13, "
                               "192.168.1.12")
    assert "# DECIDE: pve2's /etc/hosts" in (tmp_path / "lab.py").read_text()


def test_role_addresses_live_on_the_interfaces_written_or_named_as_existing(tmp_path: Path) -> None:
    """A node's cluster and storage addresses are on the bridges the module writes; one on a NIC (no bridge) is
    named as existing (storage_interface=), as is, for a node that reported no interfaces, the one the others
    use, with a decision to check it. The policy finds every address on an interface."""
    with shapes.shape(3) as fake:
        shapes.add_ceph(fake, cephfs=False)
        fake.set_inventory("/nodes/pve2/network", [
            {"iface": "eno1", "type": "eth"}, {"iface": "eno2", "type": "eth"},
            {"iface": "eno3", "type": "eth", "cidr": "172.16.0.12/24", "mtu": 9000},
            {"iface": "vmbr0", "type": "bridge", "cidr": "192.168.1.12/24", "gateway": "192.168.1.1",
             "bridge_ports": "eno1"},
            {"iface": "vmbr1", "type": "bridge", "cidr": "10.0.0.12/24", "bridge_ports": "eno2"}])
        fake.set_offline("pve3")
        report = run(fake, tmp_path / "lab.py", 3)
    text = (tmp_path / "lab.py").read_text()
    nodes = {n: kwargs(calls(text, f"{n} = cluster.add_node")[0]) for n in ("pve1", "pve2", "pve3")}
    assert not any(k.endswith("_interface") and k != "management_interface" for k in nodes["pve1"]), nodes["pve1"]
    assert 'pve1.add_bridge("vmbr2", ports=["eno3"], address="172.16.0.11/24", mtu=9000)' in text
    assert nodes["pve2"]["storage_address"] == "'172.16.0.12'" and nodes["pve2"]["storage_interface"] == "'eno3'"
    assert "cluster_interface" not in nodes["pve2"]
    assert (nodes["pve3"]["cluster_interface"], nodes["pve3"]["storage_interface"]) == ("'vmbr1'", "'vmbr2'")
    assert "# DECIDE: pve3: its storage address 172.16.0.13 is taken to be on vmbr2, as on pve1; check it" in text
    assert not any("is on no interface" in e for e in report.policy_errors), report.policy_errors
    built(text)
