"""A node's command-line tool (``pvecm``, ``pveceph``, ``dpkg-query``; ``cat`` and ``mv`` of
``/etc/pve/corosync.conf``) as the SSH tests' sshd runs it.

``standin.py NAME ARGS...`` posts ``[NAME, *ARGS]`` to the fake's control endpoint of the node this sshd
stands for (``FAKEPVE_CONTROL``, ``FAKEPVE_CA``, ``FAKEPVE_SECRET`` in the environment sshd sets), prints what the
fake answers and exits with its status. When the fake says the connection drops, it kills the sshd process that
serves this connection, so the client sees the connection go away with no exit status.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import sys
import urllib.request


def _sshd_ancestor() -> int | None:
    pid = os.getppid()
    while pid > 1:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/comm") as f:
            comm = f.read().strip()
        if comm.startswith("sshd"):
            return pid
        pid = int(fields[1])
    return None


def main() -> int:
    argv = sys.argv[1:]
    payload: dict[str, object] = {"argv": argv}
    if argv[:1] == ["mv"]:  # `mv <file> /etc/pve/corosync.conf`: the fake takes the file's text
        with open(argv[1]) as f:
            payload = {"argv": ["mv", "/etc/pve/corosync.conf.new", argv[2]], "content": f.read()}
    request = urllib.request.Request(
        os.environ["FAKEPVE_CONTROL"] + "/fakepve/command", data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "X-Fakepve-Control": os.environ["FAKEPVE_SECRET"]})
    context = ssl.create_default_context(cafile=os.environ["FAKEPVE_CA"])
    with urllib.request.urlopen(request, context=context, timeout=60) as response:
        answer = json.load(response)
    sys.stdout.write(answer["stdout"])
    sys.stderr.write(answer["stderr"])
    sys.stdout.flush()
    sys.stderr.flush()
    if argv[:1] == ["mv"] and answer["exit"] == 0:
        os.unlink(argv[1])  # moved
    if answer["drop"]:
        pid = _sshd_ancestor()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
    return int(answer["exit"])


if __name__ == "__main__":
    raise SystemExit(main())
