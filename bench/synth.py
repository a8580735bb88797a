"""Synthesis benchmark: pvecdk's L1 classes against a bare cdktf ``TerraformResource`` subclass.

For each size N and each variant, a fresh subprocess builds one stack of N resources and synthesizes it; the
parent reports the median of ``--repeat`` runs and checks that both variants wrote the same ``cdk.tf.json``.
Figures, not a test: ``make bench`` or ``.venv/bin/python bench/synth.py [--sizes 100,1000] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

VARIANTS = ("bare", "pvecdk")
TARGET_N, TARGET_RATIO = 5000, 1.2
Spec = tuple[str, str, dict[str, Any]]  # (Terraform type, construct id, Terraform attributes)


def specs(n: int) -> list[Spec]:
    """N resources cycling through NFS storage (with a nested block), Ceph pool and HA resource.

    The attribute names are the same in Python and Terraform for these types, so one dict serves as the
    keyword arguments of an L1 class and as the precomputed output of the bare class.

    Args:
        n: How many resources.

    Returns:
        (Terraform type, construct id, attributes) per resource; ids are unique and the same in both variants.
    """
    out: list[Spec] = []
    for i in range(n):
        if i % 3 == 0:
            out.append(("proxmox_storage_nfs", f"nfs-{i}", {
                "id": f"nfs-{i}", "server": f"192.168.1.{100 + i % 100}", "export": f"/srv/nfs/{i}",
                "content": ["images", "iso"], "backups": {"keep_daily": 3}}))
        elif i % 3 == 1:
            out.append(("proxmox_ceph_pool", f"pool-{i}",
                        {"name": f"pool-{i}", "node_name": f"pve{i // 3 % 3 + 1}", "size": 3, "min_size": 2}))
        else:
            out.append(("proxmox_haresource", f"ha-{i}",
                        {"resource_id": f"vm:{100 + i}", "max_restart": 3, "max_relocate": 1}))
    return out


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (a process's children are listed per thread, hence the task loop)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_descendants(int(child))]
    return found


def _vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def run_child(variant: str, n: int, outdir: str) -> dict[str, float]:
    """Build and synthesize one stack in this (fresh) process.

    Args:
        variant: ``"pvecdk"`` (L1 classes) or ``"bare"`` (the minimal ``TerraformResource`` subclass).
        n: How many resources.
        outdir: The app's output directory (the parent compares the files written there).

    Returns:
        Seconds to construct, synthesize and both; peak memory in MiB of Python, Node and their sum.
    """
    from pvecdk import _cdk  # first: it points JSII_NODE at the Node 22 wheel before cdktf loads

    resources = specs(n)  # outside the timings: both variants get the same ready-made input
    if variant == "pvecdk":
        from pvecdk.bpg import ceph_pool, haresource, storage_nfs

        classes: dict[str, Any] = {"proxmox_storage_nfs": storage_nfs.StorageNfs,
                                   "proxmox_ceph_pool": ceph_pool.CephPool,
                                   "proxmox_haresource": haresource.Haresource}

        def add(stack: Any, tf_type: str, cid: str, attrs: dict[str, Any]) -> None:
            classes[tf_type](stack, cid, **attrs)
    else:
        class Bare(_cdk.TerraformResource):
            """What cdktf needs at the least: a type, generator metadata and attributes to write."""

            def __init__(self, scope: Any, id: str, tf_type: str, attrs: dict[str, Any]) -> None:
                super().__init__(scope, id, terraform_resource_type=tf_type,
                                 terraform_generator_metadata=_cdk.TerraformProviderGeneratorMetadata(
                                     provider_name="proxmox", provider_version="0.111.1"))
                self._attrs = attrs

            def _synthesize_attributes(self) -> dict[str, Any]:
                return self._attrs

        def add(stack: Any, tf_type: str, cid: str, attrs: dict[str, Any]) -> None:
            Bare(stack, cid, tf_type, attrs)

    start = time.perf_counter()
    # No provider in the stack (a bare twin of ProxmoxProvider would be one more class to keep equal), so
    # cdktf's provider-presence check is skipped; it is the same cdktf code in both variants anyway.
    app = _cdk.App(outdir=outdir, skip_validation=True)
    stack = _cdk.TerraformStack(app, "bench")
    for tf_type, cid, attrs in resources:
        add(stack, tf_type, cid, attrs)
    built = time.perf_counter()
    app.synth()
    done = time.perf_counter()
    # Peak memory: jsii runs TWO node processes (jsii-runtime.js, which spawns the kernel lib/program.js), and
    # RUSAGE_CHILDREN would not do: it counts only children already waited for (so the kernel would have to
    # be stopped through jsii internals first), and its ru_maxrss is the largest descendant's peak, not the
    # sum. So each node process's own peak (VmHWM) is read from /proc while it is still alive. Summing
    # per-process peaks gives an upper bound of the tree's simultaneous peak, measured alike for both variants.
    node_kib = sum(_vm_hwm_kib(pid) for pid in _descendants(os.getpid()))
    python_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"construct_s": built - start, "synth_s": done - built, "total_s": done - start,
            "python_mb": python_kib / 1024, "node_mb": node_kib / 1024,
            "peak_mb": (python_kib + node_kib) / 1024}


def _measure(variant: str, n: int, outdir: Path) -> dict[str, float]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", variant, str(n), "--outdir", str(outdir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{variant} N={n} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _without_comments(value: Any) -> Any:
    """Drop cdktf's ``//`` metadata (construct paths), recursively."""
    if isinstance(value, dict):
        return {k: _without_comments(v) for k, v in value.items() if k != "//"}
    return value


def verify(outdirs: dict[str, Path], n: int) -> None:
    """Check that both variants synthesized the same document, with all N resources.

    Args:
        outdirs: Variant -> the output directory of its run.
        n: How many resources were asked for.

    Raises:
        AssertionError: The documents differ (``//`` metadata aside) or hold the wrong number of resources.
    """
    docs = {v: json.loads((d / "stacks" / "bench" / "cdk.tf.json").read_text()) for v, d in outdirs.items()}
    bare, pvecdk = (_without_comments(docs[v]) for v in VARIANTS)
    count = sum(len(r) for r in bare["resource"].values())
    problems = [message for ok, message in (
        (bare["resource"] == pvecdk["resource"], "the resource sections differ"),
        (bare == pvecdk, "the documents differ outside the resource sections"),
        (count == n, f"{count} resources instead of {n}"),
    ) if not ok]
    if problems:  # not `assert`: the check must also hold under `python -O`
        raise AssertionError(f"N={n}: " + "; ".join(problems))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with the hidden ``--child``, one measurement) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="comma-separated resource counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per (variant, N); the median is shown")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--outdir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args.child[0], int(args.child[1]), args.outdir)))
        return 0

    sizes = [int(s) for s in args.sizes.split(",")]
    raw: dict[int, dict[str, list[dict[str, float]]]] = {}
    with tempfile.TemporaryDirectory(prefix="pvecdk-bench-") as tmp:
        for n in sizes:
            runs: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
            for r in range(args.repeat):
                # Variants alternate within each repeat, so drift in machine load hits both alike.
                outdirs = {v: Path(tmp, f"{v}-{n}-{r}") for v in VARIANTS}
                for v in VARIANTS:
                    runs[v].append(_measure(v, n, outdirs[v]))
                verify(outdirs, n)
                print(f"N={n} repeat {r + 1}/{args.repeat}: identical JSON", file=sys.stderr)
            raw[n] = runs

    keys = ("construct_s", "synth_s", "total_s", "peak_mb")
    med = {(n, v): {k: statistics.median(run[k] for run in runs) for k in keys}
           for n, by_variant in raw.items() for v, runs in by_variant.items()}
    print(f"{'N':>6}  {'variant':<12}{'construct s':>12}{'synth s':>9}{'total s':>9}"
          f"{'peak MB (py+node)':>19}")
    ratios: dict[int, tuple[float, float]] = {}
    for n in raw:
        for v in VARIANTS:
            m = med[n, v]
            print(f"{n:>6}  {v:<12}{m['construct_s']:>12.2f}{m['synth_s']:>9.2f}{m['total_s']:>9.2f}"
                  f"{m['peak_mb']:>19.0f}")
        p, b = med[n, "pvecdk"], med[n, "bare"]
        ratios[n] = (p["total_s"] / b["total_s"], p["peak_mb"] / b["peak_mb"])
        print(f"{n:>6}  {'pvecdk/bare':<12}{'':>21}{ratios[n][0]:>8.2f}x{ratios[n][1]:>18.2f}x")
    if TARGET_N in ratios:
        time_x, memory_x = ratios[TARGET_N]
        met = "met" if time_x <= TARGET_RATIO and memory_x <= TARGET_RATIO else "NOT met"
        print(f"target: pvecdk within {TARGET_RATIO}x of bare cdktf at N={TARGET_N}: {met} "
              f"(time {time_x:.2f}x, memory {memory_x:.2f}x)")
    else:
        print(f"target: N={TARGET_N} not measured")
    if args.json:
        ratio_figures = {n: {"total_s": t, "peak_mb": m} for n, (t, m) in ratios.items()}
        figures = {"repeat": args.repeat, "median": {f"{n} {v}": m for (n, v), m in med.items()},
                   "ratios": ratio_figures, "runs": raw}
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
