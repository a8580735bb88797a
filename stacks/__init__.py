"""Ready-made stacks. ``STACKS`` maps a stack name to the class ``main.py`` builds by default."""

from __future__ import annotations

from stacks.example_cluster import ExampleClusterStack

STACKS = {"example-cluster": ExampleClusterStack}

__all__ = ["STACKS", "ExampleClusterStack"]
