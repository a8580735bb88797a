"""Real OpenSSH servers on loopback for the SSH tests: one per fake node, each with its own host key, config
and port, whose ``pvecm``, ``pveceph`` and ``dpkg-query`` are stand-ins acting on the fake cluster. ``cat`` and
``sh`` (and ``mv``) are the real ones with ``/etc/default/...`` and ``/etc/pve/...`` moved under the node's own
directory (``etc_default`` is seeded with PVE's ``pve-ha-manager``), so the nodes do not share this machine's
files; each ``sh`` run is counted in ``sh.log`` (the tests' measure of writes). ``/etc/pve/corosync.conf`` is the
fake cluster's, as pmxcfs shares it: ``cat`` reads it from the fake, and a ``mv`` onto it hands the new file to
the fake, which takes its links and ``config_version`` (so the API shows them).

Uses Debian's ``openssh-server`` (``make test`` installs it without starting its system service). The server
runs as the user running the tests and lets in only that user with the key made here. Under root it needs the
privilege separation directory ``/run/sshd``, which it is given.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fakepve import FakeCluster

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
STANDIN = Path(__file__).parent / "fakepve" / "standin.py"
TOOLS = ("pvecm", "pveceph", "dpkg-query")
#: What PVE's pve-ha-manager package ships in /etc/default/pve-ha-manager.
PVE_HA_MANAGER_DEFAULT = "# select watchdog module (default is softdog)\n#WATCHDOG_MODULE=ipmi_watchdog\n"
_REROOTED = """#!/bin/sh
for a do
  shift
  case $a in /etc/default/*|/etc/pve/*) a="{root}$a" ;; esac
  set -- "$@" "$a"
done
{log}{hook}exec /bin/{tool} "$@"
"""
# /etc/pve/corosync.conf is the fake cluster's (pmxcfs shares it): read from it, and moved into it.
_HOOKS = {
    "cat": 'if [ "$#" -eq 1 ] && [ "$1" = "{root}/etc/pve/corosync.conf" ]; then exec {standin} cat '
           '/etc/pve/corosync.conf; fi\n',
    "mv": 'eval last=\\${{$#}}; if [ "$#" -ge 2 ] && [ "$last" = "{root}/etc/pve/corosync.conf" ]; then eval '
          'src=\\${{$(($# - 1))}}; exec {standin} mv "$src" /etc/pve/corosync.conf; fi\n',
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _keygen(path: Path) -> str:
    path.unlink(missing_ok=True)
    path.with_suffix(".pub").unlink(missing_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


class NodeSshd:
    """The sshd of one fake node."""

    def __init__(self, root: Path, node: str, fake: FakeCluster, authorized_key: str) -> None:
        self.node = node
        self.root = root
        self.port = _free_port()
        bindir = root / "bin"
        bindir.mkdir(parents=True)
        for tool in TOOLS:
            script = bindir / tool
            script.write_text(f"#!/bin/sh\nexec {sys.executable} {STANDIN} {tool} \"$@\"\n")
            script.chmod(0o755)
        self.etc_default = root / "etc" / "default"
        self.etc_default.mkdir(parents=True)
        (root / "etc" / "pve").mkdir()
        (self.etc_default / "pve-ha-manager").write_text(PVE_HA_MANAGER_DEFAULT)
        self.sh_log = root / "sh.log"
        for tool in ("cat", "sh", "mv"):
            log = f"echo run >> {self.sh_log}\n" if tool == "sh" else ""
            hook = _HOOKS.get(tool, "").format(root=root, standin=f"{sys.executable} {STANDIN}")
            (bindir / tool).write_text(_REROOTED.format(root=root, log=log, tool=tool, hook=hook))
            (bindir / tool).chmod(0o755)
        (root / "authorized_keys").write_text(authorized_key + "\n")
        self.host_key_file = root / "ssh_host_ed25519_key"
        self.host_key = _keygen(self.host_key_file)
        env = {"PATH": f"{bindir}:/usr/bin:/bin", "FAKEPVE_CONTROL": fake.endpoint(node),
               "FAKEPVE_CA": str(fake.ca_file), "FAKEPVE_SECRET": fake.control_secret}
        (root / "sshd_config").write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {self.host_key_file}",
            f"PidFile {root / 'sshd.pid'}", f"AuthorizedKeysFile {root / 'authorized_keys'}",
            f"AllowUsers {getpass.getuser()}", "PermitRootLogin prohibit-password", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no", "PrintMotd no", "LogLevel ERROR",
            "SetEnv " + " ".join(f"{k}={v}" for k, v in env.items()), "",
        ]))
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        with open(self.root / "sshd.log", "ab") as log:
            self._process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.root / "sshd_config")],
                                             stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"sshd for {self.node} did not start: "
                                       f"{(self.root / 'sshd.log').read_text()}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def sh_runs(self) -> int:
        return len(self.sh_log.read_text().splitlines()) if self.sh_log.exists() else 0

    def new_host_key(self) -> str:
        """The node is reinstalled (or impersonated): a new host key, the server restarted with it."""
        self.stop()
        self.host_key = _keygen(self.host_key_file)
        self.start()
        return self.host_key


class Sshds:
    """An sshd per fake node; ``private_key`` is the key that logs in, ``user`` the user it logs in as."""

    def __init__(self, fake: FakeCluster, nodes: list[str]) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="pvecdk-sshd-")
        root = Path(self._tmp.name)
        client_key = root / "client_ed25519"
        public = _keygen(client_key)
        self.private_key = client_key.read_text()
        self.user = getpass.getuser()
        self.nodes = {n: NodeSshd(root / n, n, fake, public) for n in nodes}

    def __enter__(self) -> Sshds:
        try:
            for server in self.nodes.values():
                server.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for server in self.nodes.values():
            server.stop()
        self._tmp.cleanup()

    def env(self) -> dict[str, str]:
        """The provider's SSH variables for these servers."""
        return {"PROXMOX_VE_SSH_USERNAME": self.user, "PROXMOX_VE_SSH_PRIVATE_KEY": self.private_key}
