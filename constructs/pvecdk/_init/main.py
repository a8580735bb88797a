"""Synthesize the stacks of ``stacks/`` into ``cdktf.out/``: ``cdktf synth`` runs this file (see cdktf.json).

It prints one line per stack, with each cluster's quorum and the policy's warnings. A problem in the model is
printed as a list (construct path, field, what is wrong, the fix) and nothing is written.
"""

from __future__ import annotations

from pvecdk.synth import synth_app

from stacks import STACKS

if __name__ == "__main__":
    for report in synth_app(STACKS):
        print(report)
