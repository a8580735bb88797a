"""Which provider configuration each cluster's resources use: one per cluster when a stack holds several.

A stack with one cluster uses the default configurations of ``bpg/proxmox`` and ``pvecdk/pvecdk`` (no alias), as
a stack written by hand would, so its synthesized output does not change. Each further cluster in the stack has
its own endpoint and credentials, so it takes ``provider=ProxmoxProvider(stack, "lab", alias="lab", ...)``: the
cluster then derives a ``pvecdk/pvecdk`` configuration with the same alias, endpoint and credentials, and at
synthesis every resource and data source of the cluster is bound to the configuration of its provider. A
resource belongs to the cluster of the construct that creates it (a node, guest, storage, job, Ceph part of
that cluster): the owner is found once per synthesis by walking the stack, and only in stacks where some
cluster has an alias. Two clusters of one stack on the same configuration are refused at the second one.
"""

from __future__ import annotations

import weakref
from typing import Any

import jsii

from pvecdk import _cdk, _l1
from pvecdk._base import ClusterBase, clusters_of_stack
from pvecdk.bpg import provider as bpg_provider
from pvecdk.errors import ConfigError, Problem
from pvecdk.provider import provider as pvecdk_provider

__all__ = ["bind_at_synthesis", "check_provider", "derive_pvecdk_provider"]

# What the pvecdk provider takes from the cluster's bpg/proxmox configuration: the same API, the same secrets.
_SHARED = ("endpoint", "api_token", "username", "password", "insecure")


def _alias(provider: Any) -> str | None:
    return provider.alias if provider is not None else None


def check_provider(scope: _cdk.Construct, path: str, name: str, provider: Any) -> None:
    """Refuse a ``provider`` that is no bpg/proxmox configuration of the cluster's stack, or one that another
    cluster of the stack already uses (the default configuration counts as one)."""
    stack = _cdk.TerraformStack.of(scope)
    if provider is not None and not isinstance(provider, bpg_provider.ProxmoxProvider):
        raise ConfigError([Problem(path, "provider", f"{provider!r} is not a bpg/proxmox provider configuration",
                                   "pass provider=ProxmoxProvider(stack, 'lab', alias='lab', endpoint=...)")])
    if provider is not None and _cdk.TerraformStack.of(provider) is not stack:
        raise ConfigError([Problem(path, "provider", "the provider configuration belongs to another stack",
                                   "pass a ProxmoxProvider of the cluster's own stack")])
    mine = _alias(provider)
    for other in clusters_of_stack(stack):
        if _alias(getattr(other, "provider", None)) == mine:
            what = f"provider alias {mine!r}" if mine else "the default proxmox provider (no alias)"
            raise ConfigError([Problem(path, "provider", f"cluster {name} would share {what} with cluster "
                                       f"{other.name}: one endpoint and one set of credentials for two clusters",
                                       f"give cluster {name} its own provider: provider=ProxmoxProvider(stack, "
                                       f"{name!r}, alias={name!r}, endpoint=...)")])


def derive_pvecdk_provider(scope: _cdk.Construct, provider: Any) -> pvecdk_provider.PvecdkProvider | None:
    """The pvecdk/pvecdk configuration beside an aliased bpg/proxmox ``provider``: same alias, endpoint and
    credentials; None for the default configuration (the stack's default ``pvecdk`` block serves it)."""
    alias = _alias(provider)
    if alias is None:
        return None
    stack = _cdk.TerraformStack.of(scope)
    shared = {k: v for k, v in provider._values_tf.items() if k in _SHARED and v is not None}
    made = pvecdk_provider.PvecdkProvider(stack, f"pvecdk-{alias}", alias=alias, **shared)
    bind_at_synthesis(stack)
    return made


def _owner(construct: Any, inherited: ClusterBase | None) -> ClusterBase | None:
    if isinstance(construct, ClusterBase):
        return construct
    cluster = getattr(construct, "cluster", None)
    return cluster if isinstance(cluster, ClusterBase) else inherited


def _bind(construct: Any, cluster: ClusterBase | None) -> None:
    for child in construct.node.children:
        owner = _owner(child, cluster)
        if owner is not None and isinstance(child, (_l1.Resource, _l1.DataSource)):
            ours = child.terraform_resource_type.startswith("pvecdk_")
            config = getattr(owner, "pvecdk_provider" if ours else "provider", None)
            if config is not None and config.alias is not None:
                child.provider = config
        _bind(child, owner)


@jsii.implements(_cdk.IAspect)
class _Bind:
    """Binds every resource of the stack to its cluster's configuration, once per synthesis (on the stack)."""

    def visit(self, node: Any) -> None:
        if isinstance(node, _cdk.TerraformStack):
            _bind(node, None)


# Stacks whose resources are bound at synthesis, so the aspect is added once per stack.
_BOUND: weakref.WeakKeyDictionary[Any, _Bind] = weakref.WeakKeyDictionary()


def bind_at_synthesis(scope: _cdk.Construct) -> None:
    """Bind the resources of ``scope``'s stack to their clusters' configurations when it is synthesized."""
    stack = _cdk.TerraformStack.of(scope)
    if stack not in _BOUND:
        _BOUND[stack] = _Bind()
        _cdk.Aspects.of(stack).add(_BOUND[stack])
