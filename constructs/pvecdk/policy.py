"""Rules that span constructs, checked before synthesis.

The rules themselves (quorum, guests under HA and migration, clones of templates, SDN VNets, Ceph) are pure functions
of a cluster's model, in :mod:`pvecdk._rules`; see there for the list. This module applies them to constructs: each
function takes a :class:`~pvecdk.cluster.Cluster` (or its ``model``). :func:`enforce` runs every rule on every
cluster in a construct tree and raises a ConfigError listing all errors; ``pvecdk.synth.synth_app`` calls it
before writing anything. Each cluster also registers the rules as a cdktf validation, so ``app.synth()`` called
directly refuses the same models.
"""

from __future__ import annotations

from typing import Any

import jsii

from pvecdk import _cdk, _rules
from pvecdk._base import ClusterBase
from pvecdk._model import ClusterModel
from pvecdk._rules import Finding, Quorum
from pvecdk.errors import ConfigError

__all__ = ["Finding", "Quorum", "check", "check_ceph", "check_clones", "check_guests", "check_vnets", "clusters_in",
           "enforce", "findings",
           "quorum", "register"]


def _model(cluster: ClusterBase | ClusterModel) -> ClusterModel:
    return cluster.model if isinstance(cluster, ClusterBase) else cluster


def quorum(cluster: ClusterBase | ClusterModel) -> Quorum:
    """The quorum figures of ``cluster`` (a Cluster, or its model) as the model stands."""
    return _rules.quorum(_model(cluster))


def check(cluster: ClusterBase | ClusterModel) -> list[Finding]:
    """Every quorum and topology finding for ``cluster`` (a Cluster, or its model)."""
    return _rules.check(_model(cluster))


def check_guests(cluster: ClusterBase | ClusterModel) -> list[Finding]:
    """The rules on the cluster's guests that HA and migration need."""
    return _rules.check_guests(_model(cluster))


def check_clones(cluster: ClusterBase | ClusterModel) -> list[Finding]:
    """PVE's rules for cloning templates: the clone's node reaches the template's storage; linked clones."""
    return _rules.check_clones(_model(cluster))


def check_vnets(cluster: ClusterBase | ClusterModel) -> list[Finding]:
    """The rules on the SDN VNets the cluster's guests are on."""
    return _rules.check_vnets(_model(cluster))


def check_ceph(cluster: ClusterBase | ClusterModel) -> list[Finding]:
    """Ceph's rules over the whole model."""
    return _rules.check_ceph(_model(cluster))


def clusters_in(scope: Any) -> list[ClusterBase]:
    """Every cluster in the construct tree under ``scope`` (``scope`` included), in tree order."""
    return [c for c in scope.node.find_all() if isinstance(c, ClusterBase)]


def findings(scope: Any) -> list[Finding]:
    """Every finding, errors and warnings, on every cluster under ``scope``."""
    return [f for cluster in clusters_in(scope) for f in check(cluster)]


def enforce(scope: Any) -> list[Finding]:
    """Check every cluster under ``scope``; raise a ConfigError with all errors, return the warnings."""
    found = findings(scope)
    errors = [f.problem for f in found if f.severity == "error"]
    if errors:
        raise ConfigError(errors)
    return [f for f in found if f.severity == "warning"]


@jsii.implements(_cdk.IValidation)
class _ClusterValidation:
    def __init__(self, cluster: ClusterBase) -> None:
        self._cluster = cluster

    def validate(self) -> list[str]:
        findings = check(self._cluster)
        for f in findings:
            if f.severity == "warning":
                _cdk.Annotations.of(self._cluster).add_warning(str(f.problem))
        return [str(f.problem) for f in findings if f.severity == "error"]


def register(cluster: ClusterBase) -> None:
    """Run the cluster's rules as a cdktf validation too (for apps that call ``app.synth()`` directly)."""
    cluster.node.add_validation(_ClusterValidation(cluster))
