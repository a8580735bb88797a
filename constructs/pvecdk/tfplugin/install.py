"""Put a plugin launcher where Terraform looks for providers."""

from __future__ import annotations

import platform
import shlex
import stat
from collections.abc import Sequence
from pathlib import Path

__all__ = ["install_plugin", "os_arch"]

_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i386": "386", "i686": "386"}


def os_arch() -> str:
    """Terraform's platform name for this machine, such as ``linux_amd64``."""
    system = platform.system().lower()
    machine = platform.machine().lower()
    return f"{system}_{_ARCH.get(machine, machine)}"


def install_plugin(
    plugin_dir: str | Path,
    source: str,
    version: str,
    command: Sequence[str],
    *,
    hostname: str = "registry.terraform.io",
) -> Path:
    """Write an executable launcher for provider ``source`` (``namespace/type``) at ``version``.

    The launcher lands at ``<plugin_dir>/<hostname>/<namespace>/<type>/<version>/<os_arch>/
    terraform-provider-<type>_v<version>``, the unpacked layout that ``terraform init -plugin-dir`` and the
    implied local mirror directories read, and runs ``command`` (for instance the venv's Python with
    ``-m some.module``). Returns its path.
    """
    namespace, type_name = source.split("/")
    target = Path(plugin_dir) / hostname / namespace / type_name / version / os_arch()
    target.mkdir(parents=True, exist_ok=True)
    launcher = target / f"terraform-provider-{type_name}_v{version}"
    text = "#!/bin/sh\nexec " + " ".join(shlex.quote(part) for part in command) + ' "$@"\n'
    if not launcher.exists() or launcher.read_text() != text:
        launcher.write_text(text)
    launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return launcher
