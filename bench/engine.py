"""Engine benchmark: preflight over 16 fake nodes with 50 ms added to every request.

Target: under 1 s. The fake cluster (tests/fakepve) serves each node over HTTPS on 127.0.0.1; the engine talks
to it through proxmoxer, as in production. Figures, not a test: ``.venv/bin/python bench/engine.py``.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
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
