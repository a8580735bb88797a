"""The ``pvecdk/pvecdk`` provider as Terraform finds it on a workstation or a CI machine.

Terraform records in ``.terraform.lock.hcl`` an ``h1:`` hash of the provider package's files. The package is a
launcher script, so its text must be the same on every machine, for every user and checkout: it names no venv.
It finds the Python of the project Terraform works for, in this order:

1. ``PVECDK_PYTHON`` (``pvecdk cdktf`` sets it to its own Python);
2. the nearest ``.venv/bin/python`` in the directory Terraform runs in or above it (``cdktf.out/stacks/<stack>``
   is inside the project, so this is the project's own venv);
3. ``python3`` on ``PATH``.

It says which it chose on standard error, which Terraform keeps in its log (``TF_LOG=debug``), and stops with a
message naming all three when the chosen Python has no pvecdk.

Because the hash is known in advance, synthesis writes the provider's entry into each stack's lock file
(:func:`lock_provider`): the cdktf CLI, finding every provider of a stack locked, never runs
``terraform providers lock``, which would ask the public registry for ``pvecdk/pvecdk``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import stat
from pathlib import Path

from pvecdk.tfplugin.install import os_arch

__all__ = ["LAUNCHER", "SOURCE", "install", "lock_provider", "package_hash"]

#: The provider's source address, as stacks require it.
SOURCE = "pvecdk/pvecdk"
_REGISTRY = "registry.terraform.io"

#: The launcher's text: the same bytes everywhere (see the module's documentation).
LAUNCHER = """\
#!/bin/sh
# The pvecdk/pvecdk Terraform provider. These bytes are the same on every machine, so one committed
# .terraform.lock.hcl fits every checkout. The Python that runs the provider is, in order:
# $PVECDK_PYTHON, the nearest .venv/bin/python from the working directory up, python3 on PATH.
py=
if [ -n "$PVECDK_PYTHON" ]; then
  py=$PVECDK_PYTHON
  how="PVECDK_PYTHON"
else
  dir=$(pwd -P)
  while [ -z "$py" ]; do
    if [ -x "$dir/.venv/bin/python" ]; then
      py=$dir/.venv/bin/python
      how="the project's venv $dir/.venv"
    elif [ "$dir" = / ]; then
      break
    fi
    dir=$(dirname "$dir")
  done
  if [ -z "$py" ]; then
    py=$(command -v python3)
    how="python3 on PATH"
  fi
fi
if [ -z "$py" ] || ! "$py" -c 'import importlib.util as u, sys; sys.exit(not u.find_spec("pvecdk"))' 2>/dev/null; then
  echo "pvecdk provider: no Python with pvecdk installed (tried: ${py:-none}, from ${how:-nothing})." >&2
  echo "Set PVECDK_PYTHON, create the project's .venv, or run through 'pvecdk cdktf'." >&2
  exit 1
fi
echo "pvecdk provider: running $py (chosen from $how)" >&2
exec "$py" -m pvecdk.provider._plugin "$@"
"""


def _file_name(version: str) -> str:
    return f"terraform-provider-{SOURCE.split('/')[1]}_v{version}"


def install(plugin_dir: str | Path, version: str) -> Path:
    """Write the launcher into Terraform's unpacked plugin layout under ``plugin_dir``; return its path.

    ``plugin_dir`` is usually ``~/.terraform.d/plugins``, one of the local mirror directories Terraform reads
    without any configuration. Rewriting it changes nothing, so every project on the machine can share it.
    """
    namespace, type_name = SOURCE.split("/")
    target = Path(plugin_dir) / _REGISTRY / namespace / type_name / version / os_arch()
    target.mkdir(parents=True, exist_ok=True)
    launcher = target / _file_name(version)
    if not launcher.is_file() or launcher.read_text() != LAUNCHER:
        launcher.write_text(LAUNCHER)
    launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return launcher


def package_hash(version: str) -> str:
    """The ``h1:`` hash Terraform records for the installed launcher (Go's ``dirhash.Hash1`` of the package).

    One line per file, ``<sha256 hex>  <path>``, sorted by path; the hash is the SHA-256 of those lines.
    """
    line = f"{hashlib.sha256(LAUNCHER.encode()).hexdigest()}  {_file_name(version)}\n"
    return "h1:" + base64.b64encode(hashlib.sha256(line.encode()).digest()).decode()


def lock_provider(lock_file: str | Path, version: str, constraints: str | None = None) -> bool:
    """Add the provider's entry to a ``.terraform.lock.hcl`` that has none; return whether it wrote.

    An entry already there is Terraform's to keep and is left alone. A file that does not exist is created
    with Terraform's own header.
    """
    path = Path(lock_file)
    text = path.read_text() if path.is_file() else (
        '# This file is maintained automatically by "terraform init".\n# Manual edits may be lost in future updates.\n'
    )
    address = f"{_REGISTRY}/{SOURCE}"
    if re.search(rf'^provider\s+"{re.escape(address)}"', text, flags=re.MULTILINE):
        return False
    block = (f'\nprovider "{address}" {{\n  version     = "{version}"\n'
             f'  constraints = "{constraints or version}"\n  hashes = [\n    "{package_hash(version)}",\n  ]\n}}\n')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + block)
    return True
