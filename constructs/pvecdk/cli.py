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

from pvecdk.errors import PvecdkError

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
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args)
    except PvecdkError as exc:
        print(f"pvecdk {args.command}: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"pvecdk {args.command}: synthesis failed (exit {exc.returncode})", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
