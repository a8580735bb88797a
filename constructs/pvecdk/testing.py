"""Helpers for testing stacks and constructs built with pvecdk, with pytest or any other runner.

::

    from pvecdk import testing

    def test_cluster_has_three_members():
        config = testing.synth_stack(ClusterStack)
        (cluster,) = testing.resources(config, "pvecdk_cluster")
        assert list(cluster["member"]) == ["pve1", "pve2", "pve3"]
        testing.assert_matches_snapshot(config, Path(__file__).parent / "snapshots" / "cluster.json")

    def test_two_nodes_are_flagged():
        stack = testing.stack()
        cluster = Cluster(stack, "Cluster", ...)
        ...
        testing.assert_policy_problem(stack, "qdevice", "even number of votes")

Synthesis goes to a throwaway app in a temporary directory; nothing is written into the project except the
snapshot files, and those only on the first run (or when ``PVECDK_UPDATE_SNAPSHOTS=1``).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pvecdk import _cdk
from pvecdk.errors import Problem

__all__ = [
    "assert_matches_snapshot",
    "assert_policy_problem",
    "normalise",
    "policy_problems",
    "resource",
    "resources",
    "stack",
    "synth",
    "synth_stack",
]

Config = dict[str, Any]


def stack(name: str = "test") -> Any:
    """An empty stack in a throwaway app, to build constructs into and pass to :func:`synth`."""
    return _cdk.TerraformStack(_cdk.Testing.app(), name)


def synth(scope: Any) -> Config:
    """The Terraform JSON (``cdk.tf.json``) of the stack ``scope``, after pvecdk's policy checks.

    Raises the ``ConfigError`` a synthesis would raise.
    """
    from pvecdk import policy

    policy.enforce(scope)
    # The stack's own rendering, as synthesis writes it: with each resource's construct path in its metadata.
    data: Config = json.loads(json.dumps(scope.to_terraform()))
    return data


def synth_stack(factory: Callable[[Any, str], Any], name: str = "test") -> Config:
    """Build a stack with ``factory(app, name)`` (a stack class, usually) in a throwaway app, synthesize it as
    ``cdktf synth`` would (policy checks and cdktf's own validations included) and return its ``cdk.tf.json``.
    """
    from pvecdk.synth import synth_app

    with tempfile.TemporaryDirectory(prefix="pvecdk-test-") as outdir:
        (report,) = synth_app({name: factory}, outdir=outdir)
        data: Config = json.loads(report.path.read_text())
    return data


def _path(item: Mapping[str, Any]) -> str:
    return str(item.get("//", {}).get("metadata", {}).get("path", ""))


def resources(config: Mapping[str, Any], tf_type: str, path: str | None = None, *, data: bool = False) -> list[Config]:
    """The resources (``data=True``: data sources) of Terraform type ``tf_type`` in a synthesized stack, in the
    configuration's order.

    ``path`` keeps those whose construct path (``stack/Cluster/pve1``) is ``path`` or lies under it; a ``path``
    without the stack's name matches after it (``Cluster/pve1``).
    """
    found = list(config.get("data" if data else "resource", {}).get(tf_type, {}).values())
    if path is None:
        return found
    path = path.strip("/")

    def matches(item: Config) -> bool:
        full = _path(item)
        relative = full.split("/", 1)[1] if "/" in full else full
        return any(p == path or p.startswith(path + "/") for p in (full, relative))

    return [item for item in found if matches(item)]


def resource(config: Mapping[str, Any], tf_type: str, path: str | None = None) -> Config:
    """The one resource of ``tf_type`` (under ``path``); fails listing what there is when there is not one."""
    found = resources(config, tf_type, path)
    if len(found) != 1:
        have = sorted(_path(r) for r in resources(config, tf_type))
        raise AssertionError(f"expected one {tf_type}{f' under {path}' if path else ''}, found {len(found)}; "
                             f"the stack has {tf_type} at: {', '.join(have) or 'nowhere'}")
    return found[0]


def policy_problems(scope: Any, severity: str = "error") -> list[Problem]:
    """The problems pvecdk's policy finds for every cluster under ``scope`` (``"error"`` or ``"warning"``)."""
    from pvecdk import policy

    return [f.problem for c in policy.clusters_in(scope) for f in policy.check(c) if f.severity == severity]


def assert_policy_problem(scope: Any, field: str, contains: str, severity: str = "error") -> Problem:
    """Assert that the policy reports a problem on ``field`` whose text contains ``contains``; return it."""
    found = policy_problems(scope, severity)
    for problem in found:
        if problem.field == field and contains in problem.problem:
            return problem
    listed = "\n  ".join(str(p) for p in found) or "none"
    raise AssertionError(f"no {severity} on {field!r} containing {contains!r}; the {severity}s are:\n  {listed}")


def normalise(config: Mapping[str, Any]) -> Config:
    """``config`` without what differs between machines and runtime releases: the CDK's version and the local
    backend's absolute path."""
    data: Config = json.loads(json.dumps(config, sort_keys=True))
    meta = data.get("//", {}).get("metadata")
    if isinstance(meta, dict) and "version" in meta:
        meta["version"] = "<cdk-version>"
    backend = data.get("terraform", {}).get("backend", {}).get("local")
    if isinstance(backend, dict) and "path" in backend:
        backend["path"] = "<outdir>/" + Path(str(backend["path"])).name
    return data


def assert_matches_snapshot(config: Mapping[str, Any], snapshot: str | Path) -> None:
    """Compare the normalised ``config`` with the JSON file ``snapshot``.

    A missing snapshot is written (the first run records it; commit it), except under CI (``CI`` set), where
    it fails. ``PVECDK_UPDATE_SNAPSHOTS=1`` rewrites it after a change you meant.
    """
    path = Path(snapshot)
    text = json.dumps(normalise(config), indent=2, sort_keys=True) + "\n"
    if os.environ.get("PVECDK_UPDATE_SNAPSHOTS") == "1" or (not path.exists() and not os.environ.get("CI")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    if not path.exists():
        raise AssertionError(f"{path}: no snapshot; run the tests once outside CI and commit it")
    if path.read_text() != text:
        changed = _changed_lines(path.read_text(), text)
        raise AssertionError(f"{path}: the synthesized stack differs from the snapshot ({changed}); if the change "
                             "is meant, rerun with PVECDK_UPDATE_SNAPSHOTS=1 and commit the file")


def _changed_lines(old: str, new: str) -> str:
    import difflib

    diff = [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
            if re.match(r"[-+](?![-+])", line)]
    shown = "; ".join(d[0] + d[1:].strip() for d in diff[:6])
    return f"{len(diff)} changed lines: {shown}" + (" ..." if len(diff) > 6 else "")
