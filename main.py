"""Synthesize the stacks in ``stacks/`` into ``cdktf.out/`` and print one line per stack.

``cdktf synth`` runs this file (see cdktf.json); ``make synth`` does too.
"""

from __future__ import annotations

import sys

from pvecdk.synth import synth_app

from stacks import STACKS


def main() -> int:
    for line in synth_app(STACKS):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
