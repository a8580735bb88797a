"""Synthesis benchmark: pvecdk against bare cdktf ``TerraformResource`` subclasses emitting the same JSON.

Three scenarios. ``resources`` (the default): N L1 resources of ``pvecdk.bpg`` against a bare subclass given
the same attributes. ``cluster``: the L2 model of a 16-node cluster with N guests (half under HA with node
preferences, every guest backed up by one staggered job per node), checked by the policy, against bare
resources replaying the JSON that model synthesizes (recorded once, untimed, before the timed runs).
``nodes``: the same model with N nodes and four guests per node, against the same replay: what a node costs
as the cluster grows (every value derived from the other nodes, such as each node's hosts file, is rendered
once at synthesis, so the pvecdk/bare ratio stays flat from 16 to 64 nodes).

For each size N and each variant, a fresh subprocess builds one stack and synthesizes it; the parent reports
the median of ``--repeat`` runs and checks that both variants wrote the same ``cdk.tf.json``. Figures, not a
test: ``make bench`` or ``.venv/bin/python bench/synth.py [--scenario cluster] [--sizes 100,1000] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import ipaddress
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
# scenario -> (N, largest pvecdk/bare ratio)
TARGETS = {"resources": (5000, 1.2), "cluster": (2000, 1.3), "nodes": (64, 1.3)}
DEFAULT_SIZES = {"resources": "100,1000,5000", "cluster": "2000", "nodes": "16,32,64"}
CLUSTER_NODES = 16
GUESTS_PER_NODE = 4  # in the ``nodes`` scenario
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


def build_cluster(stack: Any, guests: int, node_count: int = CLUSTER_NODES) -> None:
    """The ``cluster`` scenario's model: 16 nodes, ``guests`` VMs on shared RBD storage round-robin over the
    nodes, every other one under HA preferring its node then the next, one backup job per node staggered
    over 01:00-05:00 backing up every guest, and an InfluxDB metrics server.

    Args:
        stack: The stack to build in.
        guests: How many VMs.
        node_count: How many nodes (the ``nodes`` scenario varies it).
    """
    from pvecdk import BackupJob, Cluster, Disk, HaOptions, InfluxDbServer, Retention, Storage, Vm

    cluster = Cluster(stack, "Cluster", name="bench", management_network="192.168.0.0/22",
                      cluster_network="10.0.0.0/22")
    nodes = [cluster.add_node(f"pve{i}", node_id=i, management_interface="eno1",
                              management_address=str(ipaddress.ip_address("192.168.0.10") + i),
                              cluster_address=str(ipaddress.ip_address("10.0.0.10") + i), cluster_interface="eno2")
             for i in range(1, node_count + 1)]
    rbd = Storage.from_id(stack, "ceph-vm", storage_type="rbd", content=["images", "rootdir"])
    nfs = Storage.from_id(stack, "nfs-backup", storage_type="nfs", content=["backup"])
    for i in range(guests):
        node = nodes[i % len(nodes)]
        ha = HaOptions(max_restart=3, max_relocate=1, prefer=[node, nodes[(i + 1) % len(nodes)]]) if i % 2 else None
        Vm(stack, f"vm-{100 + i}", node=node, vm_id=100 + i, cores=2, memory_mib=4096,
           disks=[Disk(rbd, size_gib=32)], tags=["bench"], ha=ha)
    BackupJob.stagger_per_node(cluster, storage=nfs, window_start="01:00", window_end="05:00",
                               retention=Retention(keep_daily=7, keep_weekly=4))
    InfluxDbServer(stack, "metrics", server="192.168.0.5", protocol="udp")


def _bare_class(_cdk: Any) -> Any:
    class Bare(_cdk.TerraformResource):
        """What cdktf needs at the least: a type, generator metadata and attributes to write."""

        def __init__(self, scope: Any, id: str, tf_type: str, attrs: dict[str, Any], **meta: Any) -> None:
            name, version = ("pvecdk", "0.1.0") if tf_type.startswith("pvecdk_") else ("proxmox", "0.111.1")
            super().__init__(scope, id, terraform_resource_type=tf_type,
                             terraform_generator_metadata=_cdk.TerraformProviderGeneratorMetadata(
                                 provider_name=name, provider_version=version), **meta)
            self._attrs = attrs

        def _synthesize_attributes(self) -> dict[str, Any]:
            return self._attrs

    return Bare


def _replay(_cdk: Any, doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], list[str], Any]]:
    """The resources of a synthesized document as a bare variant builds them: attributes (nulls as cdktf's null
    token, as the L1 classes write them), ``depends_on`` addresses and lifecycle, dependencies first."""
    null = _cdk.Token.null_value()

    def fill(value: Any) -> Any:
        if value is None:
            return null
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    entries = {f"{t}.{lid}": (t, lid, attrs) for t, items in doc["resource"].items() for lid, attrs in items.items()}
    ordered: list[tuple[str, str, dict[str, Any], list[str], Any]] = []
    done: set[str] = set()

    def visit(address: str) -> None:
        if address in done:
            return
        done.add(address)
        tf_type, lid, attrs = entries[address]
        deps = list(attrs.get("depends_on", []))
        for dep in deps:
            visit(dep)
        life = attrs.get("lifecycle")
        body = {k: fill(v) for k, v in attrs.items() if k not in ("//", "depends_on", "lifecycle")}
        ordered.append((tf_type, lid, body, deps, _cdk.TerraformResourceLifecycle(**life) if life else None))

    for address in entries:
        visit(address)
    return ordered


def run_cluster_child(variant: str, n: int, outdir: str, record: str | None,
                      scenario: str = "cluster") -> dict[str, float]:
    """One run of the ``cluster`` or ``nodes`` scenario in this (fresh) process; see :func:`run_child` for the
    figures.

    Args:
        variant: ``"pvecdk"`` (the L2 model, policy checks included) or ``"bare"`` (replays ``record``).
        n: How many guests (``cluster``) or nodes (``nodes``).
        outdir: The app's output directory.
        record: The ``cdk.tf.json`` of a pvecdk run, which the bare variant replays.
    """
    from pvecdk import _cdk  # first: it points JSII_NODE at the Node 22 wheel before cdktf loads
    from pvecdk.bpg import provider
    from pvecdk.provider import provider as pvecdk_provider

    replay: list[tuple[str, str, dict[str, Any], list[str], Any]] = []
    if variant == "bare":  # prepared outside the timings: the bare variant gets its input ready-made
        replay = _replay(_cdk, json.loads(Path(str(record)).read_text()))
        bare = _bare_class(_cdk)
    else:
        from pvecdk import policy

    start = time.perf_counter()
    app = _cdk.App(outdir=outdir, skip_validation=True)
    stack = _cdk.TerraformStack(app, "bench")
    # Both providers in both variants, so the documents match outside the resources too.
    provider.ProxmoxProvider(stack, "proxmox")
    if variant == "bare":
        pvecdk_provider.PvecdkProvider(stack, "pvecdk")
        made: dict[str, Any] = {}
        for tf_type, lid, attrs, deps, lifecycle in replay:
            made[f"{tf_type}.{lid}"] = bare(stack, lid, tf_type, attrs, depends_on=[made[d] for d in deps] or None,
                                            lifecycle=lifecycle)
    else:
        if scenario == "nodes":
            build_cluster(stack, GUESTS_PER_NODE * n, node_count=n)
        else:
            build_cluster(stack, n)
        policy.enforce(app)  # what `pvecdk synth` runs before writing: part of pvecdk's cost
    built = time.perf_counter()
    app.synth()
    done = time.perf_counter()
    return _figures(start, built, done)


def _figures(start: float, built: float, done: float) -> dict[str, float]:
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
        bare = _bare_class(_cdk)

        def add(stack: Any, tf_type: str, cid: str, attrs: dict[str, Any]) -> None:
            bare(stack, cid, tf_type, attrs)

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
    return _figures(start, built, done)


def _measure(variant: str, n: int, outdir: Path, scenario: str = "resources",
             record: Path | None = None) -> dict[str, float]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", variant, str(n), "--outdir", str(outdir),
           "--scenario", scenario]
    if record is not None:
        cmd += ["--record", str(record)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{variant} N={n} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _without_comments(value: Any) -> Any:
    """Drop cdktf's ``//`` metadata (construct paths), recursively."""
    if isinstance(value, dict):
        return {k: _without_comments(v) for k, v in value.items() if k != "//"}
    return value


def verify(outdirs: dict[str, Path], n: int | None) -> None:
    """Check that both variants synthesized the same document, with all N resources.

    Args:
        outdirs: Variant -> the output directory of its run.
        n: How many resources were asked for; None when the count is the model's (``cluster`` scenario).

    Raises:
        AssertionError: The documents differ (``//`` metadata aside) or hold the wrong number of resources.
    """
    docs = {v: json.loads((d / "stacks" / "bench" / "cdk.tf.json").read_text()) for v, d in outdirs.items()}
    bare, pvecdk = (_without_comments(docs[v]) for v in VARIANTS)
    count = sum(len(r) for r in bare["resource"].values())
    problems = [message for ok, message in (
        (bare["resource"] == pvecdk["resource"], "the resource sections differ"),
        (bare == pvecdk, "the documents differ outside the resource sections"),
        (n is None or count == n, f"{count} resources instead of {n}"),
    ) if not ok]
    if problems:  # not `assert`: the check must also hold under `python -O`
        raise AssertionError(f"N={n}: " + "; ".join(problems))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with the hidden ``--child``, one measurement) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(TARGETS), default="resources",
                        help="L1 resources, the L2 model of a cluster with N guests, or of a cluster of N nodes")
    parser.add_argument("--sizes", help="comma-separated resource (or guest) counts; defaults to "
                        + "; ".join(f"{k}: {v}" for k, v in DEFAULT_SIZES.items()))
    parser.add_argument("--repeat", type=int, default=3, help="runs per (variant, N); the median is shown")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--outdir", help=argparse.SUPPRESS)
    parser.add_argument("--record", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    scenario = args.scenario
    if args.child:
        variant, n = args.child[0], int(args.child[1])
        if scenario in ("cluster", "nodes"):
            print(json.dumps(run_cluster_child(variant, n, args.outdir, args.record, scenario)))
        else:
            print(json.dumps(run_child(variant, n, args.outdir)))
        return 0

    target_n, target_ratio = TARGETS[scenario]
    sizes = [int(s) for s in (args.sizes or DEFAULT_SIZES[scenario]).split(",")]
    raw: dict[int, dict[str, list[dict[str, float]]]] = {}
    with tempfile.TemporaryDirectory(prefix="pvecdk-bench-") as tmp:
        for n in sizes:
            runs: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
            record = None
            if scenario != "resources":  # the JSON the bare variant replays, from one untimed pvecdk run
                _measure("pvecdk", n, Path(tmp, f"record-{n}"), scenario)
                record = Path(tmp, f"record-{n}", "stacks", "bench", "cdk.tf.json")
            for r in range(args.repeat):
                # Variants alternate within each repeat, so drift in machine load hits both alike.
                outdirs = {v: Path(tmp, f"{v}-{n}-{r}") for v in VARIANTS}
                for v in VARIANTS:
                    runs[v].append(_measure(v, n, outdirs[v], scenario, record))
                verify(outdirs, n if scenario == "resources" else None)
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
    if target_n in ratios:
        time_x, memory_x = ratios[target_n]
        met = "met" if time_x <= target_ratio and memory_x <= target_ratio else "NOT met"
        print(f"target: pvecdk within {target_ratio}x of bare cdktf at N={target_n}: {met} "
              f"(time {time_x:.2f}x, memory {memory_x:.2f}x)")
    else:
        print(f"target: N={target_n} not measured")
    if args.json:
        ratio_figures = {n: {"total_s": t, "peak_mb": m} for n, (t, m) in ratios.items()}
        figures = {"scenario": scenario, "repeat": args.repeat,
                   "median": {f"{n} {v}": m for (n, v), m in med.items()},
                   "ratios": ratio_figures, "runs": raw}
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
