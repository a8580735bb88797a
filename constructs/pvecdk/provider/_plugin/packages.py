"""``pvecdk_ceph_packages``: Ceph's packages on every node (``pveceph install`` over SSH), before ``pvecdk_ceph``.

A plan marks an update when a node listed has no Ceph recorded (a node added to the model, or an install that
failed half-way); an apply asks each node's package database first and installs only where Ceph is missing
(see :mod:`pvecdk.engine.packages`). Taking the resource out of the model leaves the packages installed.
A refresh does not connect: what was installed stays installed unless someone removes it by hand.
"""

from __future__ import annotations

from typing import Any

from pvecdk.engine.packages import CEPH_RELEASES, install_ceph, read_ceph_versions, release_of_version
from pvecdk.errors import EngineError
from pvecdk.provider._plugin._common import EngineResource, has_unknown, split_settings_id
from pvecdk.provider._plugin.shell import (
    NODE_ATTRIBUTE,
    applied,
    apply_failed,
    host_key_errors,
    hosts,
    imported_nodes,
    nodes,
    plan_host_keys,
)
from pvecdk.tfplugin import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    Block,
    Diagnostic,
    DiagnosticError,
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
_ID = "ceph-packages"


class CephPackagesResource(EngineResource, ResourceType):
    """``pvecdk_ceph_packages``."""

    name = "pvecdk_ceph_packages"
    schema = CEPH_PACKAGES_SCHEMA
    endpoints_in_id = True

    def validate(self, config: Any) -> list[Diagnostic]:
        diags = host_key_errors(config)
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
        planned["id"] = _ID
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
        except EngineError as exc:
            return apply_failed(prior, shell, exc, refused="Ceph install refused", failed="Ceph install failed",
                                rerun="nodes that have Ceph are skipped.")
        return applied(planned, shell, {"installed": installed})

    def imported(self, id_: str, endpoint: str) -> list[Any]:
        """``ceph-packages,node.<name>.endpoint=<url>,node.<name>.ssh_address=<address>,...[,release=<name>]
        [,repository=<name>]`` (see :func:`settings_id`): the Ceph version each node runs, as the cluster reports
        it (``/cluster/ceph/metadata``); a node that reports none plans an install."""
        try:
            head, given = split_settings_id(id_)
        except ValueError:
            head, given = "", {}
        members = imported_nodes(_ID, id_, given)
        if head != _ID or set(given) - {"node", "release", "repository"}:
            raise DiagnosticError(error("Invalid import id", f"{id_!r}: it starts with {_ID}, followed by the nodes "
                                        "and optionally ,release=<name> and ,repository=<name>"))
        with self.provider.client({n: str(m["endpoint"]) for n, m in members.items()}) as client:
            versions = read_ceph_versions(client, sorted(members))
        installed = {n: versions.get(n) for n in members}
        release = given.get("release")
        if release is not None:
            # The release the nodes run: one that differs from the model's shows as a change (refused on apply).
            running = {release_of_version(v) for v in installed.values() if v is not None}
            release = running.pop() if len(running) == 1 else release
        return [{"id": _ID, "node": members, "release": release, "repository": given.get("repository"),
                 "installed": installed}]
