"""High availability: which guests PVE restarts or moves when their node fails, and where it puts them.

One API for both releases. :meth:`Ha.protect` puts a guest under HA (``proxmox_haresource``); its node
preferences become an HA group on PVE 8 (``proxmox_hagroup``) and a node-affinity HA rule on PVE 9
(``proxmox_harule``), which replaces groups there. Guests with the same preferences share one group or rule.
:meth:`Ha.keep_together` and :meth:`Ha.keep_apart` add resource-affinity rules, which exist only on PVE 9.

Rules checked before synthesis (:mod:`pvecdk.policy`): HA needs a cluster that keeps quorum after one node
fails; every disk of an HA guest is on shared storage or replicated to another node; a guest in an affinity
rule is under HA. How a failed node is fenced is the cluster's ``fencing`` (applied by the engine).
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pvecdk import _cdk
from pvecdk.bpg import hagroup, haresource, harule
from pvecdk.errors import ConfigError, Problem
from pvecdk.guests import _LazyPath

if TYPE_CHECKING:
    from pvecdk.cluster import Cluster
    from pvecdk.guests import Guest
    from pvecdk.node import Node

__all__ = ["Ha", "HaOptions", "HaResource", "HaRule", "HaState"]

_RESOURCE_ID = re.compile(r"^(vm|ct):(\d+)$")
_RULE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$")
MAX_PRIORITY = 1000


class HaState(enum.StrEnum):
    """The state HA keeps a guest in."""

    STARTED = "started"
    STOPPED = "stopped"
    DISABLED = "disabled"
    IGNORED = "ignored"


@dataclass(frozen=True)
class HaOptions:
    """HA settings for the ``ha=`` shortcut of :class:`~pvecdk.guests.Vm` and :class:`~pvecdk.guests.Container`.

    The fields are the keyword arguments of :meth:`Ha.protect`, with the same defaults.
    """

    state: HaState | str = HaState.STARTED
    max_restart: int = 1
    max_relocate: int = 1
    prefer: Sequence[Node] | Mapping[Node, int] | None = None
    strict: bool = False
    failback: bool | None = None
    comment: str | None = None


class HaResource:
    """A guest under HA, as returned by :meth:`Ha.protect`.

    Attributes:
        resource_id: PVE's id of the HA resource (``vm:100``, ``ct:200``).
        guest: The guest construct; None when it was protected by its id string.
        resource: The ``proxmox_haresource`` L1 resource.
        group: The ``proxmox_hagroup`` holding its node preferences (PVE 8), shared with guests that prefer
            the same nodes; None without preferences or on PVE 9.
        rule: The node-affinity ``proxmox_harule`` holding its preferences (PVE 9); None otherwise.
    """

    def __init__(self, *, resource_id: str, guest: Guest | None, resource: haresource.Haresource,
                 group: hagroup.Hagroup | None, rule: HaRule | None) -> None:
        self.resource_id = resource_id
        self.guest = guest
        self.resource = resource
        self.group = group
        self.rule = rule
        # A reference to the HA resource's id, so rules listing it are created after it.
        self._ref: str = resource.resource_id

    @property
    def ha_resource_id(self) -> str:
        """The same as :attr:`resource_id` (guests have it too, so rule members read alike)."""
        return self.resource_id


class _RuleL1(harule.Harule):
    """A ``proxmox_harule`` whose member list is rendered at synthesis, so the order of calls never matters."""

    _members: list[HaResource | Guest]
    _ha: Ha

    def _render(self) -> None:
        refs = []
        for member in self._members:
            if isinstance(member, HaResource):
                refs.append(member._ref)
                continue
            ha = self._ha._resources.get(member.ha_resource_id)
            # A guest missing from HA is reported by the policy before synthesis; its id keeps the list whole.
            refs.append(ha._ref if ha is not None else member.ha_resource_id)
        self.resources = refs

    def _synthesize_attributes(self) -> Mapping[str, Any]:
        self._render()
        return super()._synthesize_attributes()

    def _synthesize_hcl_attributes(self) -> Mapping[str, Any]:
        self._render()
        return super()._synthesize_hcl_attributes()


class HaRule:
    """An HA rule (PVE 9), as returned by :meth:`Ha.keep_together`, :meth:`Ha.keep_apart` and, for node
    affinity, held by :attr:`HaResource.rule`.

    Attributes:
        name: PVE's rule id.
        kind: ``node-affinity`` or ``resource-affinity``.
        resource: The ``proxmox_harule`` L1 resource; its member list is filled in at synthesis.
    """

    def __init__(self, *, name: str, kind: str, resource: _RuleL1) -> None:
        self.name = name
        self.kind = kind
        self.resource: harule.Harule = resource
        self._l1 = resource

    @property
    def members(self) -> tuple[HaResource | Guest, ...]:
        """The HA resources (node affinity) or guests (resource affinity) the rule applies to."""
        return tuple(self._l1._members)


def _preference_name(priorities: Mapping[str, int], strict: bool) -> str:
    """A readable, stable name for a set of node priorities: ``prefer-pve1_2-pve2_1[-strict]``."""
    ordered = sorted(priorities.items(), key=lambda kv: (-kv[1], kv[0]))
    name = "prefer-" + "-".join(f"{n}_{p}" for n, p in ordered) + ("-strict" if strict else "")
    if len(name) > 60:  # PVE ids are short; a digest keeps long preference lists distinct
        name = "prefer-" + hashlib.sha256(name.encode()).hexdigest()[:12] + ("-strict" if strict else "")
    return name


class Ha(_cdk.Construct):
    """The HA services of a cluster (``cluster.ha``, created on first use).

    Manages ``proxmox_haresource`` per protected guest, and ``proxmox_hagroup`` (PVE 8) or ``proxmox_harule``
    (PVE 9) for node preferences and affinity. Example::

        cluster.ha.protect(vm, max_restart=3, max_relocate=1, prefer=[pve1, pve2])
        cluster.ha.keep_apart([db1, db2])       # PVE 9
    """

    def __init__(self, scope: Cluster, id: str, *, cluster: Cluster) -> None:
        super().__init__(scope, id)
        self.cluster = cluster
        self._resources: dict[str, HaResource] = {}
        self._groups: dict[str, hagroup.Hagroup] = {}
        self._rules: dict[str, HaRule] = {}

    @property
    def resources(self) -> dict[str, HaResource]:
        """HA resource id (``vm:100``) -> the protected guest."""
        return dict(self._resources)

    @property
    def rules(self) -> dict[str, HaRule]:
        """Rule name -> the HA rule (PVE 9)."""
        return dict(self._rules)

    @property
    def groups(self) -> dict[str, hagroup.Hagroup]:
        """Group name -> the HA group (PVE 8)."""
        return dict(self._groups)

    def is_protected(self, guest: Guest) -> bool:
        """Tell whether ``guest`` is under HA."""
        return guest.ha_resource_id in self._resources

    # -- protect

    def protect(
        self,
        guest: Guest | str,
        *,
        state: HaState | str = HaState.STARTED,
        max_restart: int = 1,
        max_relocate: int = 1,
        prefer: Sequence[Node] | Mapping[Node, int] | None = None,
        strict: bool = False,
        failback: bool | None = None,
        comment: str | None = None,
    ) -> HaResource:
        """Put a guest under HA; returns the HA resource.

        Adds a ``proxmox_haresource``, and for ``prefer`` a ``proxmox_hagroup`` (PVE 8) or a node-affinity
        ``proxmox_harule`` (PVE 9), shared by guests with the same preferences.

        Args:
            guest: The :class:`~pvecdk.guests.Vm` or :class:`~pvecdk.guests.Container`. A ``"vm:<vmid>"`` or
                ``"ct:<vmid>"`` string names a guest this model does not define (its disks are then not checked).
            state: The state HA keeps it in (``state``). Defaults to started.
            max_restart: Restarts on its node before HA relocates it (0-10). Defaults to 1, PVE's.
            max_relocate: Relocations to other nodes before HA gives up (0-10). Defaults to 1, PVE's.
            prefer: The nodes it should run on: a list, most preferred first, or a mapping of node to priority
                (higher is preferred). Defaults to none: any node.
            strict: Run it only on the ``prefer`` nodes (a restricted group on PVE 8, a strict rule on 9).
                Defaults to false: other nodes take it when no preferred node is up.
            failback: Move it back to a more preferred node when that node returns (PVE 9 only; PVE 8 groups
                always fail back). Defaults to PVE's (on).
            comment: Shown in PVE.

        Returns:
            The HA resource.
        """
        from pvecdk.guests import Guest

        cluster = self.cluster
        resource_id = guest.ha_resource_id if isinstance(guest, Guest) else guest
        path = _LazyPath(self, str(resource_id))
        problems: list[Problem] = []
        if isinstance(guest, Guest):
            if guest.cluster is not cluster:
                problems.append(Problem(path(), "guest", f"{guest.node.path} belongs to cluster "
                                        f"{guest.cluster.name}, not {cluster.name}",
                                        "protect it through its own cluster's ha"))
        elif not isinstance(guest, str) or not (m := _RESOURCE_ID.match(guest)) \
                or not 100 <= int(m.group(2)) <= 999_999_999:
            problems.append(Problem(path(), "resource_id", f"{guest!r} is not an HA resource id",
                                    "pass the Vm or Container, or vm:<vmid> / ct:<vmid> with a vmid of 100 or more"))
        for field, value in (("max_restart", max_restart), ("max_relocate", max_relocate)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
                problems.append(Problem(path(), field, f"must be 0-10, got {value!r}", "pick a value in 0-10"))
        if state not in set(HaState):
            problems.append(Problem(path(), "state", f"{state!r} is not an HA state",
                                    "pick one of " + ", ".join(s.value for s in HaState)))
        if resource_id in self._resources:
            problems.append(Problem(path(), "guest", f"{resource_id} is already protected", "protect each guest once"))
        priorities = self._priorities(path, prefer, problems)
        if strict and not priorities:
            problems.append(Problem(path(), "strict", "strict without preferred nodes would keep the guest nowhere",
                                    "pass prefer=[...] with the nodes it may run on, or drop strict"))
        v9 = cluster.pve_version.major >= 9
        if failback is not None and not v9:
            problems.append(Problem(path(), "failback", f"failback is a per-resource option from PVE 9; the "
                                    f"cluster runs PVE {cluster.pve_version.value}",
                                    "leave failback unset on PVE 8 (HA groups fail back), or target PVE 9"))
        if problems:
            raise ConfigError(problems)

        after: list[_cdk.ITerraformDependable] = [cluster.membership]
        if isinstance(guest, Guest):
            after.append(guest.resource)
        # Node preferences: an HA group on PVE 8, a node-affinity rule (listing the resource) on PVE 9.
        group = self._group(priorities, strict) if priorities and not v9 else None
        resource = haresource.Haresource(
            self, resource_id.replace(":", "-"), resource_id=resource_id, state=HaState(state).value,
            max_restart=max_restart, max_relocate=max_relocate, comment=comment,
            group=group.group if group is not None else None, failback=failback, depends_on=after)
        rule = self._node_rule(priorities, strict) if priorities and v9 else None
        protected = HaResource(resource_id=resource_id, guest=guest if isinstance(guest, Guest) else None,
                               resource=resource, group=group, rule=rule)
        if rule is not None:
            rule._l1._members.append(protected)
        self._resources[resource_id] = protected
        return protected

    def _priorities(self, path: _LazyPath, prefer: Sequence[Node] | Mapping[Node, int] | None,
                    problems: list[Problem]) -> dict[str, int]:
        from pvecdk.node import Node

        if prefer is None:
            return {}
        if isinstance(prefer, Mapping):
            pairs = list(prefer.items())
        else:
            nodes = list(prefer)
            pairs = [(n, len(nodes) - i) for i, n in enumerate(nodes)]
        if not pairs:
            problems.append(Problem(path(), "prefer", "no node given",
                                    "list the preferred nodes, or leave prefer unset"))
        out: dict[str, int] = {}
        for node, priority in pairs:
            if not isinstance(node, Node):
                problems.append(Problem(path(), "prefer", f"{node!r} is not a Node",
                                        "pass the nodes returned by cluster.add_node"))
                continue
            if node.cluster is not self.cluster:
                problems.append(Problem(path(), "prefer", f"node {node.name} is not in cluster {self.cluster.name}",
                                        "prefer nodes of the guest's own cluster"))
            if node.name in out:
                problems.append(Problem(path(), "prefer", f"node {node.name} is listed twice", "list each node once"))
            if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= MAX_PRIORITY:
                problems.append(Problem(path(), "prefer", f"priority of {node.name} must be 0-{MAX_PRIORITY}, "
                                        f"got {priority!r}", f"give a whole number in 0-{MAX_PRIORITY}"))
            out[node.name] = priority
        return out

    def _group(self, priorities: dict[str, int], strict: bool) -> hagroup.Hagroup:
        name = _preference_name(priorities, strict)
        group = self._groups.get(name)
        if group is None:
            group = hagroup.Hagroup(self, f"Group-{name}", group=name, nodes=dict(priorities),
                                    restricted=strict, depends_on=[self.cluster.membership])
            self._groups[name] = group
        return group

    def _node_rule(self, priorities: dict[str, int], strict: bool) -> HaRule:
        name = _preference_name(priorities, strict)
        rule = self._rules.get(name)
        if rule is None:
            rule = self._new_rule(name, "node-affinity", nodes=dict(priorities), strict=strict)
        return rule

    def _new_rule(self, name: str, kind: str, *, comment: str | None = None, **attrs: Any) -> HaRule:
        l1 = _RuleL1(self, f"Rule-{name}", rule=name, type=kind, resources=[], comment=comment,
                     depends_on=[self.cluster.membership], **attrs)
        l1._members = []
        l1._ha = self
        rule = HaRule(name=name, kind=kind, resource=l1)
        self._rules[name] = rule
        return rule

    # -- resource affinity (PVE 9)

    def keep_together(self, guests: Sequence[Guest], *, name: str | None = None,
                      comment: str | None = None) -> HaRule:
        """Keep guests on the same node (a positive resource-affinity ``proxmox_harule``, PVE 9); returns it.

        Args:
            guests: Two or more guests, each under HA (checked before synthesis).
            name: The rule's id. Defaults to ``together-<vmid>-<vmid>...``.
            comment: Shown in PVE.
        """
        return self._affinity("positive", "together", guests, name, comment)

    def keep_apart(self, guests: Sequence[Guest], *, name: str | None = None, comment: str | None = None) -> HaRule:
        """Keep guests on different nodes (a negative resource-affinity ``proxmox_harule``, PVE 9); returns it.

        Args:
            guests: Two or more guests, each under HA (checked before synthesis); the cluster needs a node for
                each.
            name: The rule's id. Defaults to ``apart-<vmid>-<vmid>...``.
            comment: Shown in PVE.
        """
        return self._affinity("negative", "apart", guests, name, comment)

    def _affinity(self, affinity: str, word: str, guests: Sequence[Guest], name: str | None,
                  comment: str | None) -> HaRule:
        from pvecdk.guests import Guest

        members = list(guests)
        ids = [g.vm_id for g in members if isinstance(g, Guest)]
        rule_name = name or f"{word}-" + "-".join(str(i) for i in ids)
        path = _LazyPath(self, f"Rule-{rule_name}")
        method = f"keep_{word}"
        problems: list[Problem] = []

        def add(field: str, text: str, fix: str) -> None:
            problems.append(Problem(path(), field, text, fix))

        v = self.cluster.pve_version
        if v.major < 9:
            add(method, f"resource affinity rules need PVE 9; the cluster runs PVE {v.value}",
                "target PVE 9 (pve_version='9.1'), or place the guests with prefer= on protect")
        if len(ids) != len(members):
            add("guests", "every member must be a Vm or Container", "pass the guest constructs")
        if len(members) < 2:
            add("guests", f"an affinity rule needs two or more guests, got {len(members)}", "list at least two guests")
        if len(set(ids)) != len(ids):
            add("guests", "a guest is listed twice", "list each guest once")
        for g in members:
            if isinstance(g, Guest) and g.cluster is not self.cluster:
                add("guests", f"guest {g.vm_id} is in cluster {g.cluster.name}", "relate guests of the same cluster")
        if not _RULE_NAME.match(rule_name):
            add("name", f"{rule_name!r} is not a valid rule id",
                "start with a letter; use letters, digits, '-' and '_' (at most 63)")
        elif rule_name in self._rules:
            add("name", f"rule {rule_name!r} already exists", "give each rule its own name")
        if problems:
            raise ConfigError(problems)
        rule = self._new_rule(rule_name, "resource-affinity", affinity=affinity, comment=comment)
        rule._l1._members.extend(members)
        return rule
