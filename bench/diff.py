"""`pvecdk diff` benchmark: what a report costs, and where the time goes.

Two scenarios, each a node removal:

- ``example``: the operations guide's cluster (``stacks/example_cluster.py``) with a fourth node and its OSD as the
  base, the guide's three nodes as the head;
- ``cluster``: 16 nodes with ``--guests`` VMs (default 2000) on shared RBD storage, spread over the nodes, every
  other one under HA, one staggered backup job per node; the head removes pve16, its guests moved to pve1.

Phases, timed apart: synthesis of both sides (in this process, as ``cdktf synth`` would: policy checks
included), the predicted report (the change model and the risk flags from the two syntheses), Terraform's
offline plan (apply the base, plan the head, against the providers served from this process) with its report,
and rendering (text, Markdown with its Mermaid pictures, JSON). ``pvecdk diff --base`` runs synthesis and the
predicted report; ``--offline-plan`` adds Terraform.

Figures, not a test: ``.venv/bin/python bench/diff.py [--scenario example|cluster|all] [--guests 2000]
[--no-terraform] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "diff"))

NODES = 16


def example_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    """The pair the README's report shows (kept with the test corpus, which checks the README against it)."""
    from diff_corpus import example_node_removal

    return example_node_removal()


def cluster_stack(guests: int, removed: str | None) -> Any:
    """The ``cluster`` scenario's stack factory; ``removed`` names the node left out (its guests go to pve1)."""
    def build(scope: Any, name: str) -> Any:
        from pvecdk import BackupJob, Cluster, Disk, HaOptions, Retention, Storage, Vm
        from pvecdk._cdk import TerraformStack
        from pvecdk.bpg import provider

        stack = TerraformStack(scope, name)
        provider.ProxmoxProvider(stack, "proxmox", endpoint="https://192.168.0.11:8006/")
        cluster = Cluster(stack, "Cluster", name="bench", management_network="192.168.0.0/22",
                          cluster_network="10.0.0.0/22")
        names = [f"pve{i}" for i in range(1, NODES + 1)]
        nodes = {n: cluster.add_node(n, node_id=i, management_interface="eno1",
                                     management_address=str(ipaddress.ip_address("192.168.0.10") + i),
                                     cluster_address=str(ipaddress.ip_address("10.0.0.10") + i))
                 for i, n in enumerate(names, start=1) if n != removed}
        rbd = Storage.from_id(stack, "ceph-vm", storage_type="rbd", content=["images", "rootdir"])
        nfs = Storage.from_id(stack, "nfs-backup", storage_type="nfs", content=["backup"])
        kept = list(nodes)
        for i in range(guests):
            home = names[i % NODES] if names[i % NODES] != removed else names[0]
            node, other = nodes[home], nodes[kept[(kept.index(home) + 1) % len(kept)]]
            ha = HaOptions(max_restart=3, prefer=[node, other]) if i % 2 else None
            Vm(stack, f"vm-{100 + i}", node=node, vm_id=100 + i, disks=[Disk(rbd, size_gib=32)], ha=ha)
        BackupJob.stagger_per_node(cluster, storage=nfs, window_start="01:00", window_end="05:00",
                                   retention=Retention(keep_daily=7))
        return stack

    return build


def cluster_pair(guests: int) -> tuple[dict[str, Any], dict[str, Any]]:
    from pvecdk.testing import synth_stack

    return (synth_stack(cluster_stack(guests, None), "cluster"),
            synth_stack(cluster_stack(guests, f"pve{NODES}"), "cluster"))


def run(scenario: str, guests: int, terraform: bool) -> dict[str, Any]:
    from pvecdk.diff import diff_configs, report_of
    from pvecdk.diff.render import dumps, to_markdown, to_text
    from pvecdk.diff.sources import plan_diffs

    started = time.monotonic()
    base, head = example_pair() if scenario == "example" else cluster_pair(guests)
    stack = "example-cluster" if scenario == "example" else "cluster"
    synthesized = time.monotonic()
    report = diff_configs({stack: base}, {stack: head}, base="base", head="head")
    modelled = time.monotonic()
    figures: dict[str, Any] = {"scenario": scenario, "resources": len([1 for t in base["resource"].values()
                                                                      for _ in t]),
                               "synth_s": synthesized - started, "model_s": modelled - synthesized}
    if terraform:
        from pvecdk.diff.offline_plan import offline_plans

        plans = offline_plans({stack: base}, {stack: head})
        planned = report_of([plan_diffs(plans[stack], stack, "offline-plan")])
        figures["terraform_s"] = time.monotonic() - modelled
        same = ({r.address: r.action for r in planned.stacks[0].resources}
                == {r.address: r.action for r in report.stacks[0].resources})
        figures["terraform_agrees"] = same
    rendering = time.monotonic()
    markdown = to_markdown(report)
    to_text(report)
    dumps(report)
    figures["render_s"] = time.monotonic() - rendering
    figures["total_s"] = time.monotonic() - started
    figures["markdown_kib"] = len(markdown.encode()) / 1024
    figures["flags"] = [f"{f.severity} {f.rule}: {f.subject}" for f in report.flags]
    figures["counts"] = dict(report.counts())
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=("example", "cluster", "all"), default="all")
    parser.add_argument("--guests", type=int, default=2000)
    parser.add_argument("--no-terraform", action="store_true", help="leave out the offline plan")
    parser.add_argument("--json", metavar="PATH", help="also write the figures here")
    args = parser.parse_args(argv)
    scenarios = ("example", "cluster") if args.scenario == "all" else (args.scenario,)
    results = [run(s, args.guests, not args.no_terraform) for s in scenarios]
    print(f"{'scenario':<9} {'resources':>9} {'synth s':>8} {'model s':>8} {'terraform s':>11} {'render s':>8} "
          f"{'total s':>8}   shares synth/model/terraform/render")
    for r in results:
        parts = [r["synth_s"], r["model_s"], r.get("terraform_s", 0.0), r["render_s"]]
        shares = "/".join(f"{100 * p / r['total_s']:.0f}%" for p in parts)
        print(f"{r['scenario']:<9} {r['resources']:>9} {parts[0]:>8.2f} {parts[1]:>8.2f} {parts[2]:>11.2f} "
              f"{parts[3]:>8.2f} {r['total_s']:>8.2f}   {shares}")
        print(f"  {r['counts']}; markdown {r['markdown_kib']:.0f} KiB; flags: {'; '.join(r['flags']) or 'none'}"
              + ("" if "terraform_agrees" not in r else
                 f"; Terraform's actions {'match' if r['terraform_agrees'] else 'DIFFER FROM'} the prediction"))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
