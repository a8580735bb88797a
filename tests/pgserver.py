"""A throwaway PostgreSQL server on loopback for the state backend tests: started by a fixture, stopped after.

Uses the distribution's server (Debian's ``postgresql`` package, which ``.ci/run`` installs). PostgreSQL refuses
to run as root, so under root the server runs as the ``postgres`` user the package creates (or ``nobody``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER = "pvecdk"


def _bindir() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not versions:
        raise RuntimeError("no PostgreSQL server found: install it (`apt-get install postgresql`, as .ci/run does)")
    return Path(versions[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One server in a temporary directory; ``conn_str`` for Terraform, ``sql`` to look inside."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.bin = _bindir()
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pvecdk-pg-"))
        self._run_as: list[str] = []
        if os.geteuid() == 0:
            user = "postgres"
            try:
                pwd.getpwnam(user)
            except KeyError:
                user = "nobody"
            self._run_as = ["runuser", "-u", user, "--"]
            shutil.chown(self.root, user)
        self.data = self.root / "data"

    @property
    def conn_str(self) -> str:
        return f"postgres://{USER}:{self.password}@127.0.0.1:{self.port}/tfstate?sslmode=disable"

    def _server(self, *args: str) -> None:
        subprocess.run([*self._run_as, str(self.bin / args[0]), *args[1:]], check=True, capture_output=True)

    def start(self) -> PgServer:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if self._run_as:
            shutil.chown(pwfile, pwd.getpwuid(self.root.stat().st_uid).pw_name)
        self._server("initdb", "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}", "--auth=scram-sha-256")
        pwfile.unlink()
        self._server("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-o",
                     f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1", "start")
        self.sql("CREATE DATABASE tfstate", database="postgres")
        return self

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._server("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def sql(self, query: str, database: str = "tfstate") -> list[list[str]]:
        """Rows of ``query`` (psql, unaligned), each a list of column texts."""
        out = subprocess.run([str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER,
                              "-d", database, "-AtX", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", query],
                             env={**os.environ, "PGPASSWORD": self.password}, check=True, capture_output=True,
                             text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]
