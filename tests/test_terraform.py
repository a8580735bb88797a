"""Terraform itself checks every stack, offline: init, validate and plan against the provider's exact schema."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from built_stacks import BUILT_STACKS
from pvecdk import _cdk
from pvecdk.bpg import ceph_pool, haresource, provider, storage_nfs, virtual_environment_vm
from pvecdk.cli import main as cli
from pvecdk.validate import StackCheck, check_configs

from stacks import STACKS

ROOT = Path(__file__).resolve().parent.parent
ALL_STACKS: dict[str, Callable[[Any, str], Any]] = {**STACKS, **BUILT_STACKS}


def synthesize(factories: dict[str, Callable[[Any, str], Any]], outdir: Path) -> dict[str, dict[str, Any]]:
    app = _cdk.App(outdir=str(outdir))
    for name, factory in factories.items():
        factory(app, name)
    app.synth()
    return {name: json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text()) for name in factories}


@pytest.fixture(scope="module")
def checks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, StackCheck]:
    configs = synthesize(ALL_STACKS, tmp_path_factory.mktemp("out"))
    return {c.stack: c for c in check_configs(configs)}


@pytest.mark.parametrize("name", sorted(ALL_STACKS))
def test_stack_passes_terraform(name: str, checks: dict[str, StackCheck]) -> None:
    check = checks[name]
    assert check.ok, "\n".join(str(f) for f in check.findings)
    assert check.planned.get("create", 0) > 0, "the plan ran and creates the stack's resources"
    assert set(check.planned) == {"create"}


def test_every_type_is_planned(checks: dict[str, StackCheck]) -> None:
    assert checks["every-type"].planned["create"] == 115


# ----------------------------------------------------------------------------------------------- negative


def base(scope: Any, name: str) -> Any:
    stack = _cdk.TerraformStack(scope, name)
    provider.ProxmoxProvider(stack, "proxmox")
    storage_nfs.StorageNfs(stack, "nfs", id="nfs", server="192.168.1.100", export="/srv/nfs", content=["images"])
    ceph_pool.CephPool(stack, "pool", name="vm-pool", node_name="pve1", size=3, min_size=2)
    virtual_environment_vm.VirtualEnvironmentVm(stack, "vm", node_name="pve1", cpu={"cores": 2})
    haresource.Haresource(stack, "ha", resource_id="vm:100", max_restart=3)
    return stack


def _misspelled(c: dict[str, Any]) -> None:
    c["resource"]["proxmox_storage_nfs"]["nfs"]["serverr"] = "192.168.1.100"


def _wrong_type(c: dict[str, Any]) -> None:
    c["resource"]["proxmox_storage_nfs"]["nfs"]["content"] = 5


def _missing_required(c: dict[str, Any]) -> None:
    del c["resource"]["proxmox_ceph_pool"]["pool"]["name"]


def _block_twice(c: dict[str, Any]) -> None:
    c["resource"]["proxmox_virtual_environment_vm"]["vm"]["cpu"] = [{"cores": 1}, {"cores": 2}]


def _bad_reference(c: dict[str, Any]) -> None:
    c["resource"]["proxmox_haresource"]["ha"]["comment"] = "${proxmox_ceph_pool.pool.no_such_attribute}"


NEGATIVE = {
    "misspelled": (_misspelled, "proxmox_storage_nfs.nfs", "Extraneous JSON object property",
                   'No argument or block type is named "serverr".'),
    "wrong-type": (_wrong_type, "proxmox_storage_nfs.nfs", "Incorrect attribute value type",
                   'Inappropriate value for attribute "content": set of string required'),
    "missing-required": (_missing_required, "proxmox_ceph_pool.pool", "Missing required argument",
                         'The argument "name" is required'),
    "block-twice": (_block_twice, "proxmox_virtual_environment_vm.vm.cpu[1]", "Too many cpu blocks",
                    "No more than 1"),
    "bad-reference": (_bad_reference, "proxmox_haresource.ha", "Unsupported attribute",
                      'This object has no argument, nested block, or exported attribute named "no_such_attribute"'),
}


@pytest.fixture(scope="module")
def negative_checks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, StackCheck]:
    (good,) = synthesize({"base": base}, tmp_path_factory.mktemp("neg")).values()
    configs = {"base": good}
    for case, (mutate, *_rest) in NEGATIVE.items():
        config = copy.deepcopy(good)
        mutate(config)
        configs[case] = config
    return {c.stack: c for c in check_configs(configs)}


def test_the_unbroken_base_passes(negative_checks: dict[str, StackCheck]) -> None:
    assert negative_checks["base"].ok, [str(f) for f in negative_checks["base"].findings]


@pytest.mark.parametrize("case", sorted(NEGATIVE))
def test_terraform_rejects(case: str, negative_checks: dict[str, StackCheck]) -> None:
    _mutate, address, summary, detail = NEGATIVE[case]
    check = negative_checks[case]
    assert not check.ok
    errors = [f for f in check.findings if f.severity == "error"]
    assert [(f.address, f.summary) for f in errors] == [(address, summary)], [str(f) for f in errors]
    assert detail in errors[0].detail


# ----------------------------------------------------------------------------------------------- command


def test_validate_command_passes_on_the_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = cli(["validate", "--app-dir", str(ROOT), "--outdir", str(tmp_path / "out"), "--synth"])
    out = capsys.readouterr().out
    assert status == 0, out
    import re

    config = json.loads((tmp_path / "out" / "stacks" / "example-cluster" / "cdk.tf.json").read_text())
    resources = sum(len(v) for v in config["resource"].values())
    assert re.search(rf"example-cluster: ok \(valid, plan: {resources} to create\)", out), out
    assert out.strip().endswith("1 of 1 stacks passed")


def test_validate_command_fails_with_stack_and_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (config,) = synthesize({"base": base}, tmp_path / "out").values()
    _misspelled(config)
    (tmp_path / "out" / "stacks" / "base" / "cdk.tf.json").write_text(json.dumps(config))
    status = cli(["validate", "--outdir", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert status == 1
    assert "base: FAILED, 1 error" in out
    assert "base: proxmox_storage_nfs.nfs: error: Extraneous JSON object property." in out


def test_validate_command_without_output_or_app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["validate", "--app-dir", str(tmp_path)]) == 2
    assert "no cdktf.json" in capsys.readouterr().err
