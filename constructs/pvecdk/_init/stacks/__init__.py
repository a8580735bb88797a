"""The stacks of this repo: ``STACKS`` maps each stack's name to the class that builds it."""

from __future__ import annotations

from stacks.cluster import ClusterStack

STACKS = {"cluster": ClusterStack}
