"""``pvecdk_ceph_packages``: Ceph's packages on every node (``pveceph install`` over SSH), before ``pvecdk_ceph``.

A plan marks an update when a node listed has no Ceph recorded (a node added to the model, or an install that
failed half-way); an apply asks each node's package database first and installs only where Ceph is missing
(see :mod:`pvecdk.engine.packages`). Taking the resource out of the model leaves the packages installed.
A refresh does not connect: what was installed stays installed unless someone removes it by hand.
"""

from __future__ import annotations

from typing import Any

from pvecdk.engine.packages import CEPH_RELEASES, install_ceph
from pvecdk.errors import EngineError, PlanRefused
from pvecdk.provider._plugin._common import EngineResource, has_unknown
from pvecdk.provider._plugin.shell import NODE_ATTRIBUTE, hosts, nodes, pin_warnings, pinned_state, plan_host_keys
from pvecdk.tfplugin import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    Block,
    Diagnostic,
    PlanResult,
    ResourceType,
    Schema,
    error,
    warning,
)
from pvecdk.tfplugin import types as t

__all__ = ["CEPH_PACKAGES_SCHEMA", "CephPackagesResource"]

CEPH_PACKAGES_SCHEMA = Schema(Block((
    Attribute("id", type=t.STRING, computed=True),
    NODE_ATTRIBUTE,
    Attribute("release", type=t.STRING, optional=True),
    Attribute("repository", type=t.STRING, optional=True),
    Attribute("installed", type=t.Map(t.STRING), computed=True),
)))

_REPOSITORIES = ("enterprise", "no-subscription", "test")


class CephPackagesResource(EngineResource, ResourceType):
    """``pvecdk_ceph_packages``."""

    name = "pvecdk_ceph_packages"
    schema = CEPH_PACKAGES_SCHEMA

    def validate(self, config: Any) -> list[Diagnostic]:
        diags = []
        release = config.get("release")
        if isinstance(release, str) and release not in CEPH_RELEASES:
            diags.append(error("Unknown Ceph release", f"release {release!r}: pick one of "
                               f"{', '.join(CEPH_RELEASES)}", ("release",)))
        repository = config.get("repository")
        if isinstance(repository, str) and repository not in _REPOSITORIES:
            diags.append(error("Unknown Ceph repository", f"repository {repository!r}: pick one of "
                               f"{', '.join(_REPOSITORIES)}", ("repository",)))
        return diags

    def plan(self, prior: Any, proposed: Any, config: Any, private: bytes) -> PlanResult:
        planned = dict(proposed)
        planned["id"] = "ceph-packages"
        installed = (prior or {}).get("installed") or {}
        listed = nodes(proposed)
        runs = prior is None or has_unknown(proposed.get("node")) or any(installed.get(n) is None for n in listed)
        planned["installed"] = UNKNOWN if runs else {n: installed[n] for n in listed}
        plan_host_keys(planned, prior, config, contacts=runs)
        return PlanResult(planned)

    def apply(self, prior: Any, planned: Any, config: Any, private: bytes) -> ApplyResult:
        if planned is None:
            return ApplyResult(None, [warning("Ceph packages left installed", "Terraform stops managing them; "
                                              "remove them on the nodes by hand if that is wanted.")])
        shell = self.provider.shell(hosts(planned))
        release, repository = planned.get("release"), planned.get("repository")
        try:
            with shell:
                installed = install_ceph(shell, sorted(nodes(planned)), release=release, repository=repository)
        except PlanRefused as exc:
            return ApplyResult(prior, pin_warnings(shell) + self.refused("Ceph install refused", exc.problems))
        except EngineError as exc:
            return ApplyResult(prior, pin_warnings(shell) + [error(
                "Ceph install failed", f"{exc}\nRun the apply again: nodes that have Ceph are skipped.")])
        state = {**planned, "node": pinned_state(planned, shell), "installed": installed}
        return ApplyResult(state, pin_warnings(shell))
