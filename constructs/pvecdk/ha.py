"""High availability: which guests PVE restarts or moves when their node fails, and where it puts them.

One API for both releases. :meth:`Ha.protect` puts a guest under HA (``proxmox_haresource``); its node
preferences become an HA group on PVE 8 (``proxmox_hagroup``) and a node-affinity HA rule on PVE 9
(``proxmox_harule``), which replaces groups there. Guests with the same preferences share one group or rule.
:meth:`Ha.keep_together` and :meth:`Ha.keep_apart` add resource-affinity rules, which exist only on PVE 9.

Rules checked before synthesis (:mod:`pvecdk.policy`): HA needs a cluster that keeps quorum after one node
fails; every disk of an HA guest is on shared storage or replicated to another node; a guest in an affinity
rule is under HA. How a failed node is fenced is the cluster's ``fencing`` (applied by the engine).
:meth:`Ha.use_watchdog` picks the hardware watchdog module fencing relies on (``pvecdk_ha_watchdog``, over SSH).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, cast

from pydantic import (
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pvecdk import _cdk
from pvecdk._base import ClusterBase, NodeBase, ensure_pvecdk_provider
from pvecdk._fault import Fault
from pvecdk._guest import GuestBase
from pvecdk._guest_values import HaOptions, HaState
from pvecdk._model import HaResourceModel, HaRuleModel
from pvecdk._validation import CONFIG_ID, LazyPath, Located, Props, check_props, raise_at, whole_number
from pvecdk._watchdog import MODULE_NAME
from pvecdk.bpg import hagroup, haresource, harule
from pvecdk.provider import ha_watchdog

__all__ = ["Ha", "HaOptions", "HaResource", "HaRule", "HaState"]

_RESOURCE_ID = re.compile(r"^(vm|ct):(\d+)$")
MAX_PRIORITY = 1000


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

    def __init__(self, *, resource_id: str, guest: GuestBase | None, resource: haresource.Haresource,
                 group: hagroup.Hagroup | None, rule: HaRule | None) -> None:
        self.resource_id = resource_id
        self.guest = guest
        self.resource = resource
        self.group = group
        self.rule = rule
        self._ref_token: str | None = None

    @property
    def ref(self) -> str:
        """A reference to the HA resource's id, so rules listing it are created after it. Asked for only by
        rules: it is a jsii round trip, and most HA resources are in none."""
        if self._ref_token is None:
            self._ref_token = self.resource.resource_id
        return self._ref_token

    @property
    def ha_resource_id(self) -> str:
        """The same as :attr:`resource_id` (guests have it too, so rule members read alike)."""
        return self.resource_id


class HaRule:
    """An HA rule (PVE 9), as returned by :meth:`Ha.keep_together`, :meth:`Ha.keep_apart` and, for node
    affinity, held by :attr:`HaResource.rule`.

    Attributes:
        name: PVE's rule id.
        kind: ``node-affinity`` or ``resource-affinity``.
        resource: The ``proxmox_harule`` L1 resource; its member list is filled in at synthesis.
    """

    def __init__(self, *, name: str, kind: str, resource: harule.Harule, ha: Ha, model: HaRuleModel) -> None:
        self.name = name
        self.kind = kind
        self.resource = resource
        self._ha = ha
        self._model = model
        self._members: list[HaResource | GuestBase] = []
        # The member list is rendered at synthesis, so the order of calls never matters.
        resource.render_late(self._render)

    @property
    def members(self) -> tuple[HaResource | GuestBase, ...]:
        """The HA resources (node affinity) or guests (resource affinity) the rule applies to."""
        return tuple(self._members)

    def add_members(self, members: Iterable[HaResource | GuestBase]) -> None:
        """Add HA resources or guests to the rule (its Ha calls this)."""
        added = list(members)
        self._members.extend(added)
        self._model.members.extend(m.ha_resource_id for m in added)

    def _render(self) -> None:
        refs = []
        for member in self._members:
            if isinstance(member, HaResource):
                refs.append(member.ref)
                continue
            protected = self._ha.protected(member.ha_resource_id)
            # A guest missing from HA is reported by the policy before synthesis; its id keeps the list whole.
            refs.append(protected.ref if protected is not None else member.ha_resource_id)
        self.resource.resources = refs


# -- props models
#
# The graph a call is checked against (the Ha, and through it the cluster, its PVE version and what is already
# protected or named) is the validation context: ``{"ha": ..., "method": ...}``.

_STATES = frozenset(s.value for s in HaState)


def _context(info: ValidationInfo) -> dict[str, Any]:
    return cast("dict[str, Any]", info.context)


_RESTARTS = whole_number(0, 10, "must be 0-10", "pick a value in 0-10")


class _ProtectProps(Props):
    """The arguments of :meth:`Ha.protect`. ``resource_id`` is the guest's, or the string given for a guest
    this model does not define (``guest`` is then None)."""

    resource_id: str
    guest: Any
    state: HaState
    max_restart: Annotated[int, _RESTARTS]
    max_relocate: Annotated[int, _RESTARTS]
    prefer: dict[str, int]
    strict: bool
    failback: bool | None
    comment: str | None

    @field_validator("resource_id", mode="before")
    @classmethod
    def _resource_id(cls, v: object) -> object:
        if not isinstance(v, str) or not (m := _RESOURCE_ID.match(v)) or not 100 <= int(m.group(2)) <= 999_999_999:
            raise Fault(f"{v!r} is not an HA resource id", "pass the Vm or Container, or vm:<vmid> / ct:<vmid> "
                        "with a vmid of 100 or more")
        return v

    @field_validator("guest")
    @classmethod
    def _guest(cls, v: GuestBase | None, info: ValidationInfo) -> GuestBase | None:
        ha: Ha = _context(info)["ha"]
        located: list[Located] = []
        if v is not None and v.cluster is not ha.cluster:
            located.append(((), f"{v.node.path} belongs to cluster {v.cluster.name}, not {ha.cluster.name}", "protect "
                            "it through its own cluster's ha"))
        resource_id = info.data.get("resource_id")
        if resource_id in ha._resources:
            located.append(((), f"{resource_id} is already protected", "protect each guest once"))
        raise_at(located)
        return v

    @field_validator("state", mode="before")
    @classmethod
    def _state(cls, v: object) -> object:
        if not isinstance(v, str) or v not in _STATES:
            raise Fault(f"{v!r} is not an HA state", "pick one of " + ", ".join(s.value for s in HaState))
        return v

    @field_validator("prefer", mode="plain")
    @classmethod
    def _prefer(cls, v: Any, info: ValidationInfo) -> dict[str, int]:
        """Node name -> priority; a list ranks its nodes, the first highest."""
        if v is None:
            return {}
        if isinstance(v, Mapping):
            pairs = list(v.items())
        elif isinstance(v, Iterable) and not isinstance(v, str):
            nodes = list(v)
            pairs = [(n, len(nodes) - i) for i, n in enumerate(nodes)]
        else:
            raise Fault(f"{v!r} is not a list of nodes or a mapping of node to priority", "pass prefer=[node, ...]")
        cluster = _context(info)["ha"].cluster
        located: list[Located] = []
        if not pairs:
            located.append(((), "no node given", "list the preferred nodes, or leave prefer unset"))
        out: dict[str, int] = {}
        for node, priority in pairs:
            if not isinstance(node, NodeBase):
                located.append(((), f"{node!r} is not a Node", "pass the nodes returned by cluster.add_node"))
                continue
            if node.cluster is not cluster:
                located.append(((), f"node {node.name} is not in cluster {cluster.name}", "prefer nodes of the guest's "
                                "own cluster"))
            if node.name in out:
                located.append(((), f"node {node.name} is listed twice", "list each node once"))
            if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= MAX_PRIORITY:
                located.append(((), f"priority of {node.name} must be 0-{MAX_PRIORITY}, got {priority!r}", f"give a "
                                f"whole number in 0-{MAX_PRIORITY}"))
            out[node.name] = priority
        raise_at(located)
        return out

    @field_validator("strict")
    @classmethod
    def _strict(cls, v: bool, info: ValidationInfo) -> bool:
        # No preferred node at all: a prefer that is wrong is reported as such.
        if v and info.data.get("prefer") == {}:
            raise Fault("strict without preferred nodes would keep the guest nowhere", "pass prefer=[...] with "
                        "the nodes it may run on, or drop strict")
        return v

    @field_validator("failback")
    @classmethod
    def _failback(cls, v: bool | None, info: ValidationInfo) -> bool | None:
        version = _context(info)["ha"].cluster.pve_version
        if v is not None and version.major < 9:
            raise Fault(f"failback is a per-resource option from PVE 9, but the cluster runs PVE "
                        f"{version.value}", "leave failback unset on PVE 8 (HA groups fail back), or target "
                        "PVE 9")
        return v


class _AffinityProps(Props):
    """The arguments of :meth:`Ha.keep_together` and :meth:`Ha.keep_apart`; ``name`` is the rule's id, given or
    derived from the guests."""

    guests: tuple[Any, ...]
    name: str
    comment: str | None

    @field_validator("guests")
    @classmethod
    def _guests(cls, v: tuple[Any, ...], info: ValidationInfo) -> tuple[Any, ...]:
        cluster = _context(info)["ha"].cluster
        ids = [g.vm_id for g in v if isinstance(g, GuestBase)]
        located: list[Located] = []
        if len(ids) != len(v):
            located.append(((), "every member must be a Vm or Container", "pass the guest constructs"))
        if len(v) < 2:
            located.append(((), f"an affinity rule needs two or more guests, got {len(v)}", "list at least two guests"))
        if len(set(ids)) != len(ids):
            located.append(((), "a guest is listed twice", "list each guest once"))
        located += [((), f"guest {g.vm_id} is in cluster {g.cluster.name}", "relate guests of the same cluster")
                    for g in v if isinstance(g, GuestBase) and g.cluster is not cluster]
        raise_at(located)
        return v

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: object, info: ValidationInfo) -> object:
        if not isinstance(v, str) or not CONFIG_ID.match(v):
            raise Fault(f"{v!r} is not a valid rule id", "start with a letter, use letters, digits, '-' and '_' "
                        "(at most 63)")
        if v in _context(info)["ha"]._rules:
            raise Fault(f"rule {v!r} already exists", "give each rule its own name")
        return v

    @model_validator(mode="wrap")
    @classmethod
    def _needs_pve9(cls, data: Any, handler: ModelWrapValidatorHandler[_AffinityProps], info: ValidationInfo) -> Any:
        # Reported at the method's name, beside what is wrong with its arguments.
        version = _context(info)["ha"].cluster.pve_version
        if version.major >= 9:
            return handler(data)
        gate = [(_context(info)["method"], f"resource affinity rules need PVE 9, but the cluster runs PVE "
                 f"{version.value}", "target PVE 9 (pve_version='9.1'), or place the guests with prefer= on protect")]
        try:
            handler(data)
        except ValidationError as exc:
            raise_at(gate, besides=exc)
        raise_at(gate)  # gate is not empty, so this raises


class _WatchdogProps(Props):
    """The arguments of :meth:`Ha.use_watchdog`."""

    module: str

    @field_validator("module", mode="before")
    @classmethod
    def _module(cls, v: object, info: ValidationInfo) -> object:
        if not isinstance(v, str) or not MODULE_NAME.fullmatch(v):
            raise Fault(f"{v!r} is not a kernel module name", "give the watchdog driver's module, like "
                        "ipmi_watchdog or iTCO_wdt (letters, digits, '_' and '-', at most 55)")
        if _context(info)["ha"].watchdog is not None:
            raise Fault("the cluster's watchdog module is already chosen", "call use_watchdog once per cluster")
        return v


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

    def __init__(self, scope: ClusterBase, id: str, *, cluster: ClusterBase) -> None:
        super().__init__(scope, id)
        cluster.attach(self)
        self.cluster = cluster
        self._resources: dict[str, HaResource] = {}
        self._groups: dict[str, hagroup.Hagroup] = {}
        self._rules: dict[str, HaRule] = {}
        #: The ``pvecdk_ha_watchdog`` resource (None: PVE's default, softdog, left as the nodes have it).
        self.watchdog: ha_watchdog.HaWatchdog | None = None

    @classmethod
    def of(cls, cluster: ClusterBase) -> Ha:
        """The HA services of ``cluster``, created on first use (what ``cluster.ha`` returns)."""
        found = cluster.part(Ha)
        return found if found is not None else Ha(cluster, "Ha", cluster=cluster)

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

    def protected(self, resource_id: str) -> HaResource | None:
        """The HA resource with id ``resource_id`` (``vm:100``), or None."""
        return self._resources.get(resource_id)

    def is_protected(self, guest: GuestBase) -> bool:
        """Tell whether ``guest`` is under HA."""
        return guest.ha_resource_id in self._resources

    # -- watchdog

    def use_watchdog(self, module: str) -> ha_watchdog.HaWatchdog:
        """Fence with the hardware watchdog ``module`` (``ipmi_watchdog``, ``iTCO_wdt``, ...) instead of PVE's
        software one (softdog) on every node of the cluster.

        Adds a ``pvecdk_ha_watchdog``, which sets ``WATCHDOG_MODULE`` in ``/etc/default/pve-ha-manager`` on
        each node over SSH. The module takes effect when a node reboots: the apply warns which nodes need it
        and reboots nothing. Taking the call out of the model removes the line again where the resource wrote it.

        Args:
            module: The kernel module of the nodes' watchdog device.

        Returns:
            The ``pvecdk_ha_watchdog`` resource.
        """
        props = check_props(_WatchdogProps, LazyPath(self, "Watchdog"), {"module": module}, context={"ha": self},
                            tf_type="pvecdk_ha_watchdog")
        cluster = self.cluster
        if cluster.pvecdk_provider is None:
            ensure_pvecdk_provider(self)
        resource = ha_watchdog.HaWatchdog(self, "Watchdog", module=props.module, node_attribute={},
                                          depends_on=[cluster.membership])
        # Every node's SSH access, rendered at synthesis (nodes may be added after this call).
        resource.render_late(lambda: resource.put_node_attribute(cluster.ssh_entries()))
        self.watchdog = resource
        return resource

    # -- protect

    def protect(
        self,
        guest: GuestBase | str,
        *,
        state: HaState | str = HaState.STARTED,
        max_restart: int = 1,
        max_relocate: int = 1,
        prefer: Sequence[NodeBase] | Mapping[NodeBase, int] | None = None,
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
        cluster = self.cluster
        own = guest if isinstance(guest, GuestBase) else None
        given_id = own.ha_resource_id if own is not None else guest
        props = check_props(_ProtectProps, LazyPath(self, str(given_id)), {
            "resource_id": given_id, "guest": own, "state": state, "max_restart": max_restart,
            "max_relocate": max_relocate, "prefer": prefer, "strict": strict, "failback": failback,
            "comment": comment}, context={"ha": self})
        resource_id, priorities, strict = props.resource_id, props.prefer, props.strict
        v9 = cluster.pve_version.major >= 9

        after: list[_cdk.ITerraformDependable] = [cluster.membership]
        if own is not None:
            after.append(own.resource)
        # Node preferences: an HA group on PVE 8, a node-affinity rule (listing the resource) on PVE 9.
        group = self._group(priorities, strict) if priorities and not v9 else None
        resource = haresource.Haresource(
            self, resource_id.replace(":", "-"), resource_id=resource_id, state=props.state.value,
            max_restart=props.max_restart, max_relocate=props.max_relocate, comment=props.comment,
            group=group.group if group is not None else None, failback=props.failback, depends_on=after)
        rule = self._node_rule(priorities, strict) if priorities and v9 else None
        protected = HaResource(resource_id=resource_id, guest=own, resource=resource, group=group, rule=rule)
        if rule is not None:
            rule.add_members([protected])
        cluster.model.protect(HaResourceModel(resource_id, frozenset(priorities) if priorities and strict else None))
        self._resources[resource_id] = protected
        return protected

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
        l1 = harule.Harule(self, f"Rule-{name}", rule=name, type=kind, resources=[], comment=comment,
                           depends_on=[self.cluster.membership], **attrs)
        model = HaRuleModel(name, kind, lambda: str(l1.node.path), negative=attrs.get("affinity") == "negative")
        self.cluster.model.add_ha_rule(model)
        rule = HaRule(name=name, kind=kind, resource=l1, ha=self, model=model)
        self._rules[name] = rule
        return rule

    # -- resource affinity (PVE 9)

    def keep_together(self, guests: Sequence[GuestBase], *, name: str | None = None,
                      comment: str | None = None) -> HaRule:
        """Keep guests on the same node (a positive resource-affinity ``proxmox_harule``, PVE 9); returns it.

        Args:
            guests: Two or more guests, each under HA (checked before synthesis).
            name: The rule's id. Defaults to ``together-<vmid>-<vmid>...``.
            comment: Shown in PVE.
        """
        return self._affinity("positive", "together", guests, name, comment)

    def keep_apart(self, guests: Sequence[GuestBase], *, name: str | None = None, comment: str | None = None) -> HaRule:
        """Keep guests on different nodes (a negative resource-affinity ``proxmox_harule``, PVE 9); returns it.

        Args:
            guests: Two or more guests, each under HA (checked before synthesis); the cluster needs a node for
                each.
            name: The rule's id. Defaults to ``apart-<vmid>-<vmid>...``.
            comment: Shown in PVE.
        """
        return self._affinity("negative", "apart", guests, name, comment)

    def _affinity(self, affinity: str, word: str, guests: Sequence[GuestBase], name: str | None,
                  comment: str | None) -> HaRule:
        members = list(guests) if isinstance(guests, (list, tuple, set, frozenset)) else [guests]
        ids = [g.vm_id for g in members if isinstance(g, GuestBase)]
        rule_name = name or f"{word}-" + "-".join(str(i) for i in ids)
        props = check_props(_AffinityProps, LazyPath(self, f"Rule-{rule_name}"),
                            {"guests": tuple(members), "name": rule_name, "comment": comment},
                            context={"ha": self, "method": f"keep_{word}"})
        rule = self._new_rule(props.name, "resource-affinity", affinity=affinity, comment=props.comment)
        rule.add_members(props.guests)
        return rule
