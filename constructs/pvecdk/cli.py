"""The ``pvecdk`` command."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pvecdk.errors import EngineError, PvecdkError

__all__ = ["main"]

_VALIDATE_HELP = """\
Check synthesized stacks with Terraform itself, offline: for every stack, Terraform runs
`init -plugin-dir`, `validate` and `plan -refresh=false` against providers that serve the exact
schema of the real ones (bpg/proxmox 0.111.1).

What it proves: the JSON is what the providers accept -- argument names, types, required
arguments, block counts and references -- and Terraform can plan it.
What it does not prove: anything about your cluster. It talks to no cluster and no network,
reads no state (each plan starts empty) and uses placeholders for variables without a default,
so values a cluster would refuse (an unknown node, a storage id in use, a wrong token) pass.

Exit status: 0 when every stack passes, 1 when any fails, 2 on a usage error.
"""


def _synth(app_dir: Path, outdir: Path) -> None:
    """Run the app command of cdktf.json with this Python, writing into ``outdir``."""
    config = json.loads((app_dir / "cdktf.json").read_text())
    command = shlex.split(config.get("app", "python3 main.py"))
    if command and Path(command[0]).name.startswith("python"):
        command[0] = sys.executable
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir.resolve())}
    subprocess.run(command, cwd=app_dir, env=env, check=True)


def _validate(args: argparse.Namespace) -> int:
    from pvecdk.validate import check_outdir

    app_dir = Path(args.app_dir)
    outdir = Path(args.outdir) if Path(args.outdir).is_absolute() else app_dir / args.outdir
    if args.synth or not (outdir / "stacks").is_dir():
        if not (app_dir / "cdktf.json").is_file():
            print(f"pvecdk validate: no {outdir}/stacks and no cdktf.json in {app_dir} to synthesize from",
                  file=sys.stderr)
            return 2
        _synth(app_dir, outdir)
    checks = check_outdir(outdir, workspace=args.workspace, plan=not args.no_plan, stacks=args.stack or None)
    for check in checks:
        if check.ok:
            planned = ", ".join(f"{n} to {a}" for a, n in sorted(check.planned.items())) or "no changes"
            phases = "valid" if args.no_plan else f"valid, plan: {planned}"
            print(f"{check.stack}: ok ({phases}) in {check.seconds:.1f} s")
        else:
            errors = sum(1 for f in check.findings if f.severity == "error")
            print(f"{check.stack}: FAILED, {errors} error{'s' if errors != 1 else ''}")
        for finding in check.findings:
            print(f"  {finding}")
    failed = [c.stack for c in checks if not c.ok]
    print(f"{len(checks) - len(failed)} of {len(checks)} stacks passed" + (f"; failed: {', '.join(failed)}"
                                                                           if failed else ""))
    return 1 if failed else 0


def _cluster_models(outdir: Path) -> list[tuple[str, Any, str | None, dict[str, Any]]]:
    """(stack, ClusterSpec, target PVE release, what else the stack models: Ceph, and the storage ids it
    defines) for every ``pvecdk_cluster`` in the synthesized output."""
    from pvecdk.provider._plugin import spec_from_config

    found = []
    for path in sorted((outdir / "stacks").glob("*/cdk.tf.json")):
        config = json.loads(path.read_text())
        resources = config.get("resource", {})
        storages = sorted({str(r["id"]) for kind, items in resources.items()
                           if kind == "pvecdk_storage" or kind.startswith("proxmox_storage_")
                           for r in items.values() if isinstance(r.get("id"), str) and "${" not in r["id"]})
        extra = {"ceph": bool(resources.get("pvecdk_ceph")), "storages": storages}
        for resource in (resources.get("pvecdk_cluster") or {}).values():
            found.append((path.parent.name, spec_from_config(resource), resource.get("pve_version"), extra))
    return found


def _engine_client(spec: Any) -> Any:
    from pvecdk.engine import Client

    return Client(spec.endpoints)


def _models_or_fail(args: argparse.Namespace) -> list[tuple[str, Any, str | None, dict[str, Any]]]:
    outdir = Path(args.outdir)
    if not (outdir / "stacks").is_dir():
        raise PvecdkError(f"{outdir}: no synthesized stacks; run `make synth` (or cdktf synth) first")
    specs = _cluster_models(outdir)
    if not specs:
        raise PvecdkError(f"{outdir}: no cluster in the synthesized stacks")
    return specs


def _preflight(args: argparse.Namespace) -> int:
    from pvecdk.engine.preflight import preflight

    failed = False
    for stack, spec, release, extra in _models_or_fail(args):
        try:
            with _engine_client(spec) as client:
                reports = preflight(client, spec, pve_version=release, max_skew_seconds=args.max_skew, **extra)
        except EngineError as exc:
            _engine_failure(stack, spec, exc)
            failed = True
            continue
        print(f"{stack}: cluster {spec.name}")
        print(f"  {'node':<12} {'check':<14} {'result':<6} detail")
        for report in reports:
            for check in report.checks:
                print(f"  {report.node:<12} {check.name:<14} {'ok' if check.ok else 'FAIL':<6} {check.detail}")
        failed = failed or not all(r.ok for r in reports)
    print("preflight failed" if failed else "preflight passed")
    return 1 if failed else 0


def _bootstrap(args: argparse.Namespace) -> int:
    from pvecdk.engine import PlanRefused, apply_changes, plan_changes, read_cluster

    status = 0
    for stack, spec, _release, _extra in _models_or_fail(args):
        try:
            with _engine_client(spec) as client:
                live = read_cluster(client, spec)
                steps, problems = plan_changes(spec, live)
                print(f"{stack}: cluster {spec.name}: {len(steps)} step(s)")
                for step in steps:
                    print(f"  {step}")
                for problem in problems:
                    print(f"  refused: {problem}")
                if problems:
                    status = 1
                    continue
                if args.dry_run or not steps:
                    continue
                password = os.environ.get("PVECDK_JOIN_PASSWORD") or os.environ.get("PROXMOX_VE_PASSWORD")
                apply_changes(client, spec, join_password=password,
                              on_step=lambda step: print(f"  done: {step}", flush=True))
        except PlanRefused as exc:
            for problem in exc.problems:
                print(f"  refused: {problem}")
            status = 1
        except EngineError as exc:
            _engine_failure(stack, spec, exc)
            status = 1
    return status


def _engine_failure(stack: str, spec: Any, exc: EngineError) -> None:
    """One line on stderr per failure of the engine (a task's log lines follow it, indented)."""
    print(f"pvecdk: {stack}: cluster {spec.name}: {exc}", file=sys.stderr)


def _provider_install(args: argparse.Namespace) -> int:
    from pvecdk.provider._plugin import PROVIDER_SOURCE, PROVIDER_VERSION
    from pvecdk.tfplugin.install import install_plugin

    launcher = install_plugin(Path(args.dir).expanduser(), PROVIDER_SOURCE, PROVIDER_VERSION,
                              [sys.executable, "-m", "pvecdk.provider._plugin"])
    print(f"installed {PROVIDER_SOURCE} {PROVIDER_VERSION}: {launcher}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pvecdk", description="Proxmox VE clusters as code.")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser(
        "validate", help="check synthesized stacks with Terraform, offline",
        description=_VALIDATE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validate.add_argument("--app-dir", default=".", help="directory with cdktf.json (default: .)")
    validate.add_argument("--outdir", default="cdktf.out", help="synthesized output (default: cdktf.out)")
    validate.add_argument("--synth", action="store_true",
                          help="synthesize first (default: only when the output directory has no stacks)")
    validate.add_argument("--stack", action="append", metavar="NAME", help="check only this stack (repeatable)")
    validate.add_argument("--no-plan", action="store_true", help="stop after `terraform validate`")
    validate.add_argument("--workspace", metavar="DIR",
                          help="keep Terraform's working directories here (default: a temporary directory)")
    preflight = commands.add_parser(
        "preflight", help="check every node of the model before deploying",
        description="For every node of every cluster in the synthesized stacks, in parallel: reachable, the PVE "
                    "release the model targets and the same as the others, clock skew, membership as the model "
                    "expects, quorum. Credentials: PROXMOX_VE_API_TOKEN, or PROXMOX_VE_USERNAME and "
                    "PROXMOX_VE_PASSWORD; PVECDK_CA_FILE for the nodes' CA. Exit 1 when a check fails.")
    preflight.add_argument("--outdir", default="cdktf.out", help="synthesized output (default: cdktf.out)")
    preflight.add_argument("--max-skew", type=float, default=2.0, help="clock skew limit in seconds (default 2)")
    bootstrap = commands.add_parser(
        "bootstrap", help="form the cluster: the provider's membership steps, from the command line",
        description="Create the cluster on the first node and join the others, one at a time, as the provider "
                    "would. Joins need the cluster's root@pam password in PVECDK_JOIN_PASSWORD.")
    bootstrap.add_argument("--outdir", default="cdktf.out", help="synthesized output (default: cdktf.out)")
    bootstrap.add_argument("--dry-run", action="store_true", help="print the steps, change nothing")
    provider = commands.add_parser("provider", help="the pvecdk/pvecdk Terraform provider")
    provider_commands = provider.add_subparsers(dest="provider_command", required=True)
    install = provider_commands.add_parser(
        "install", help="put the provider where Terraform finds it (its implied local mirror)")
    install.add_argument("--dir", default="~/.terraform.d/plugins",
                         help="plugin directory (default: ~/.terraform.d/plugins)")
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args)
        if args.command == "preflight":
            return _preflight(args)
        if args.command == "bootstrap":
            return _bootstrap(args)
        if args.command == "provider":
            return _provider_install(args)
    except PvecdkError as exc:
        print(f"pvecdk {args.command}: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"pvecdk {args.command}: synthesis failed (exit {exc.returncode})", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
