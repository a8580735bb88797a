"""Many-teams benchmark: one platform stack and T team stacks of G guests, each synthesized and validated in its own
process, in parallel; against the same guests in one stack.

Split: every stack is a task in a process pool (``--workers``, default the CPU count). A task builds its stack
alone in an app (a team stack from the platform's exports, as another repo would), synthesizes it and runs
``pvecdk validate``'s checks on it (Terraform init, validate and plan against the offline providers). One
stack: the platform and all T x G guests in one stack, synthesized and validated in one process.

Figures, not a test: ``.venv/bin/python bench/teams.py [--teams 20] [--guests 100] [--workers N] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _check(config: dict[str, Any], name: str, workspace: Path) -> tuple[bool, list[str]]:
    from pvecdk.validate import check_configs

    (check,) = check_configs({name: config}, workspace=workspace)
    return check.ok, [str(f) for f in check.findings]


def run_stack(kind: str, name: str, exports_json: str, guests: int, first_vm_id: int, teams: int = 0) -> dict[str, Any]:
    """Build, synthesize and validate one stack in this process; its timings. ``one``: ``teams`` teams of
    ``guests`` guests in the platform stack."""
    started = time.monotonic()
    from pvecdk import _cdk
    from pvecdk.backend import StateBackend
    from pvecdk.platform import PlatformExports

    from stacks.teams import PlatformStack, TeamStack

    imported = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pvecdk-bench-") as tmp:
        app = _cdk.App(outdir=str(Path(tmp) / "out"))
        if kind == "platform":
            PlatformStack(app, name)
        elif kind == "team":
            TeamStack(app, name, exports=PlatformExports.from_json(exports_json), first_vm_id=first_vm_id,
                      guests=guests)
        else:  # everything in one stack: the platform stack with the teams' guests added to it
            platform = PlatformStack(app, name)
            for t in range(1, teams + 1):
                _add_team(platform, f"team-{t}", 1000 * t, guests)
        StateBackend.pg().apply_to(app)
        built = time.monotonic()
        app.synth()
        synthesized = time.monotonic()
        config = json.loads((Path(tmp) / "out" / "stacks" / name / "cdk.tf.json").read_text())
        ok, findings = _check(config, name, Path(tmp) / "validate")
        validated = time.monotonic()
    vms = len(config.get("resource", {}).get("proxmox_virtual_environment_vm", {}))
    return {"stack": name, "kind": kind, "vms": vms, "ok": ok, "findings": findings[:3],
            "import_s": imported - started, "build_s": built - imported, "synth_s": synthesized - built,
            "validate_s": validated - synthesized, "total_s": validated - started}


def _add_team(platform: Any, team: str, first_vm_id: int, guests: int) -> None:
    """A team's pool, guests and backup, in the platform stack itself (the one-stack variant)."""
    from pvecdk import BackupJob, Disk, Pool, Retention, Vm

    pool = Pool(platform, f"{team}-pool", pool_id=team)
    nodes = platform.cluster.nodes
    for i in range(guests):
        vm_id = first_vm_id + i
        Vm(platform, f"vm-{vm_id}", node=nodes[i % len(nodes)], vm_id=vm_id, cores=2, memory_mib=2048,
           disks=[Disk(platform.vm_storage, size_gib=16)], pool=pool, ha=i == 0)
    BackupJob(platform, f"{team}-nightly", storage=platform.backup_storage, schedule="02:00", pool=pool,
              retention=Retention(keep_daily=7))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--guests", type=int, default=100, help="guests per team stack")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()

    from pvecdk import _cdk

    from stacks.teams import PlatformStack

    exports = PlatformStack(_cdk.App(), "platform").exports.to_json()
    tasks = [("platform", "platform", exports, 0, 0)] + [
        ("team", f"team-{t}", exports, args.guests, 1000 * t) for t in range(1, args.teams + 1)]
    started = time.monotonic()
    spawn = multiprocessing.get_context("spawn")  # each process its own jsii runtime, none inherited
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=spawn) as pool:
        split = list(pool.map(run_stack, *zip(*tasks, strict=True)))
    split_total = time.monotonic() - started

    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:  # a fresh process, like each split task
        one = pool.submit(run_stack, "one", "everything", exports, args.guests, 0, args.teams).result()
    one_total = time.monotonic() - started

    teams = [r for r in split if r["kind"] == "team"]
    report = {
        "teams": args.teams, "guests_per_team": args.guests, "workers": args.workers,
        "split": {"wall_s": round(split_total, 1), "stacks": len(split),
                  "all_ok": all(r["ok"] for r in split),
                  "platform_s": round(split[0]["total_s"], 1),
                  "team_median_s": round(statistics.median(r["total_s"] for r in teams), 1),
                  "team_max_s": round(max(r["total_s"] for r in teams), 1),
                  "team_median_synth_s": round(statistics.median(r["synth_s"] for r in teams), 2),
                  "team_median_validate_s": round(statistics.median(r["validate_s"] for r in teams), 1)},
        "one_stack": {"wall_s": round(one_total, 1), "ok": one["ok"], "vms": one["vms"],
                      "build_s": round(one["build_s"], 1), "synth_s": round(one["synth_s"], 1),
                      "validate_s": round(one["validate_s"], 1)},
    }
    print(f"split: {len(split)} stacks ({args.teams} teams x {args.guests} guests + platform) on {args.workers} "
          f"workers: {report['split']['wall_s']} s wall; per team stack median {report['split']['team_median_s']} s "
          f"(synth {report['split']['team_median_synth_s']} s, validate {report['split']['team_median_validate_s']}"
          f" s), max {report['split']['team_max_s']} s; platform {report['split']['platform_s']} s; "
          f"all valid: {report['split']['all_ok']}")
    print(f"one stack: {one['vms']} guests: {report['one_stack']['wall_s']} s wall (build "
          f"{report['one_stack']['build_s']} s, synth {report['one_stack']['synth_s']} s, validate "
          f"{report['one_stack']['validate_s']} s); valid: {one['ok']}")
    failed = [r for r in [*split, one] if not r["ok"]]
    for r in failed:
        print(f"  {r['stack']}: " + "; ".join(r["findings"]))
    if args.json:
        args.json.write_text(json.dumps({"report": report, "stacks": split + [one]}, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
