"""Engine benchmark: preflight over 16 fake nodes with 50 ms added to every request.

Target: under 1 s. The fake cluster (tests/fakepve) serves each node over HTTPS on 127.0.0.1; the engine talks
to it through proxmoxer, as in production. Figures, not a test: ``.venv/bin/python bench/engine.py``.

``--ceph`` instead bootstraps Ceph on three fake nodes through the engine (init, three monitors, a manager,
three OSDs, an MDS, a CephFS, an RBD storage), then runs the same objects again (nothing to do), and prints
the time and the number of API requests of each object: what one Terraform apply of those resources costs
in engine work, without Terraform.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fakepve import FakeCluster, Fault  # noqa: E402
from pvecdk.engine import Client, ClusterSpec, Credentials, MemberSpec, TlsSettings  # noqa: E402
from pvecdk.engine.preflight import preflight  # noqa: E402

TOKEN_ID, SECRET = "root@pam!bench", "00000000-1111-2222-3333-444444444444"
TARGET_SECONDS = 1.0


def ceph_bootstrap(latency: float) -> int:
    from pvecdk.engine import (
        CephInit,
        FileSystem,
        Manager,
        MetadataServer,
        Monitor,
        Osd,
        StorageSpec,
        apply_ceph,
        apply_storage,
    )

    names = ["pve1", "pve2", "pve3"]
    addresses = {n: f"10.0.0.{10 + i}" for i, n in enumerate(names, start=1)}
    objects = [CephInit("pve1", "10.0.0.0/24"), *(Monitor(n) for n in names), Manager("pve2"),
               *(Osd(n, "/dev/sdb") for n in names), MetadataServer("pve1"), FileSystem("pve1", "cephfs", 32)]
    rbd = StorageSpec("vm-pool", "rbd", content=frozenset({"images"}), options={"pool": "vm-pool"})
    with FakeCluster(nodes=addresses, token_id=TOKEN_ID, token_secret=SECRET, task_seconds=0.05) as fake:
        fake.form_cluster("bench", members=names)
        if latency:
            for n in names:
                fake.fault(n, Fault.SLOW, delay=latency, times=10**9)
        with Client({n: fake.endpoint(n) for n in names}, Credentials(token_id=TOKEN_ID, token_secret=SECRET),
                    TlsSettings(ca_file=str(fake.ca_file))) as client:
            for label in ("create", "again"):
                total = time.perf_counter()
                rows = []
                for obj in [*objects, rbd]:
                    before, started = len(fake.requests), time.perf_counter()
                    if isinstance(obj, StorageSpec):
                        apply_storage(client, "pve1", obj.id, obj)
                        what = f"storage {obj.id}"
                    else:
                        apply_ceph(client, obj)
                        what = obj.label
                    rows.append((what, time.perf_counter() - started, len(fake.requests) - before))
                elapsed = time.perf_counter() - total
                print(f"ceph bootstrap ({label}), {latency * 1000:.0f} ms added per request: {elapsed:.2f} s, "
                      f"{sum(r[2] for r in rows)} requests")
                for what, seconds, requests in rows:
                    print(f"  {what:<24} {seconds:6.2f} s  {requests:3d} requests")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--ceph", action="store_true", help="time a Ceph bootstrap on three nodes instead")
    args = parser.parse_args(argv)
    if args.ceph:
        return ceph_bootstrap(args.latency)
    names = [f"pve{i}" for i in range(1, args.nodes + 1)]
    addresses = {n: f"10.0.0.{10 + i}" for i, n in enumerate(names, start=1)}
    with FakeCluster(nodes=addresses, version="9.1", root_password="bench-root", token_id=TOKEN_ID,
                     token_secret=SECRET, task_seconds=0.05) as fake:
        fake.form_cluster("bench", members=names)
        for n in names:
            fake.fault(n, Fault.SLOW, delay=args.latency, times=10**9)
        spec = ClusterSpec("bench", tuple(MemberSpec(n, i, (addresses[n],), fake.endpoint(n))
                                          for i, n in enumerate(names, start=1)))
        runs = []
        for _ in range(args.repeat):
            # A new client each run: sessions (and TLS handshakes) are part of what a preflight costs.
            with Client(spec.endpoints, Credentials(token_id=TOKEN_ID, token_secret=SECRET),
                        TlsSettings(ca_file=str(fake.ca_file))) as client:
                started = time.perf_counter()
                reports = preflight(client, spec, pve_version="9.1")
                runs.append(time.perf_counter() - started)
            assert all(r.ok for r in reports), [c for r in reports for c in r.checks if not c.ok]
    median = statistics.median(runs)
    print(f"preflight, {args.nodes} nodes, {args.latency * 1000:.0f} ms per request: median {median:.3f} s "
          f"(runs: {', '.join(f'{r:.3f}' for r in runs)}); target under {TARGET_SECONDS:g} s: "
          f"{'met' if median < TARGET_SECONDS else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
