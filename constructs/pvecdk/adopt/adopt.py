"""``pvecdk import``: read a running cluster, write its stack module with import blocks, and report."""

from __future__ import annotations

import re
import tempfile
import types
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pvecdk import _cdk, policy
from pvecdk.adopt.imports import import_ids, resources
from pvecdk.adopt.reader import read_inventory
from pvecdk.adopt.report import Report
from pvecdk.adopt.writer import write_module
from pvecdk.engine.client import Client
from pvecdk.errors import ConfigError, PvecdkError

__all__ = ["adopt", "build_stack"]


def class_name_for(cluster: str) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", cluster) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Adopted"
    return ("Cluster" + name if name[0].isdigit() else name) + "Stack"


def build_stack(text: str, class_name: str, stack_name: str, filename: str = "<adopted>") -> tuple[
        dict[str, Any] | None, list[str], list[str]]:
    """Run the module's text and build its stack: (its Terraform configuration, policy errors, warnings).

    The configuration is None when the module's constructs refuse what was read (the errors say why).
    """
    module = types.ModuleType("pvecdk_adopted")
    module.__file__ = filename
    exec(compile(text, filename, "exec"), module.__dict__)  # noqa: S102 - the text is what we just wrote

    with tempfile.TemporaryDirectory(prefix="pvecdk-import-") as outdir:
        app = _cdk.App(outdir=outdir)
        try:
            stack = module.__dict__[class_name](app, stack_name)
        except ConfigError as exc:
            return None, [str(p) for p in exc.problems], []
        # The warnings too when a rule is broken (enforce() would stop at the errors).
        findings = policy.findings(app)
        errors = [str(f.problem) for f in findings if f.severity == "error"]
        warnings = [str(f.problem) for f in findings if f.severity == "warning"]
        config: dict[str, Any] = stack.to_terraform()
    return config, errors, warnings


def adopt(endpoint: str, out: Path, *, stack_name: str | None = None,
          node_endpoints: Mapping[str, str] | None = None,
          client_factory: Callable[[dict[str, str]], Client] | None = None) -> Report:
    """Read the cluster behind ``endpoint`` and write its stack module to ``out``; return the report.

    Raises:
        PvecdkError: the cluster could not be read at all, or ``node_endpoints`` names a node it does not have.
    """
    inv = read_inventory(endpoint, client_factory)
    endpoints = dict(node_endpoints or {})
    members = sorted(n.name for n in inv.nodes)
    unknown = sorted(set(endpoints) - set(members))
    if unknown:
        raise PvecdkError(f"--node-endpoint {', '.join(unknown)}: no such node in cluster {inv.cluster_name} "
                          f"(its nodes: {', '.join(members)}); give NODE=URL with a member's name")
    class_name = class_name_for(inv.cluster_name)
    name = stack_name or out.stem.replace("_", "-")
    first = write_module(inv, class_name=class_name, node_endpoints=endpoints)
    config, errors, warnings = build_stack(first.text, class_name, name, str(out))
    ids: dict[str, str] = {}
    missing: list[str] = []
    types_: Counter[str] = Counter()
    if config is not None:
        ids, missing = import_ids(config)
        live = {"proxmox_hagroup": {str(g.get("group")) for g in inv.ha_groups},
                "proxmox_harule": {str(r.get("rule")) for r in inv.ha_rules}}
        for tf_type, path, _attrs in resources(config):
            if path in ids and tf_type in live and ids[path] not in live[tf_type]:
                # pvecdk names HA groups and rules after their preferences; one the cluster lacks is created
                del ids[path]
                missing.append(f"{path} ({tf_type}): not in the cluster yet, created")
            elif path in ids:
                types_[tf_type] += 1
    final = write_module(inv, class_name=class_name, node_endpoints=endpoints, imports=ids)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(final.text)
    return Report(inv, str(out), name, ids, types_, inv.left_out + final.left_out, final.decisions, errors,
                  warnings, final.secrets, missing)
