"""The changes between two revisions of a stack: per resource (Terraform's view) and in the cluster's terms.

A resource change carries Terraform's action: from a plan when there is one (offline or live), else predicted
from the two configurations with the providers' replace-on-change facts (:mod:`pvecdk.diff.replace`). The
cluster changes read the two :class:`~pvecdk.diff.topology.Topology` and say what the resource changes mean.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pvecdk.diff.replace import requires_replace
from pvecdk.diff.topology import Config, Topology, construct_path, read_topology, resources
from pvecdk.validate import OFFLINE_PROVIDERS

__all__ = ["DATA_TYPES", "GROUPS", "SENSITIVE", "AttributeChange", "Change", "ResourceChange", "StackDiff",
           "attribute_changes", "cluster_changes", "diff_stack", "group_of", "holds_data", "resource_changes"]

SENSITIVE = "(sensitive)"

#: The groups of a report, in order.
GROUPS = ("cluster", "node", "network", "storage", "ceph", "ha", "guests", "backups", "firewall", "access", "other")

_IGNORED = ("//", "depends_on", "lifecycle", "provider", "count", "for_each", "provisioner", "connection")
#: Types that hold data: destroying or replacing one loses it (or the cluster's way to it).
DATA_TYPES = ("pvecdk_storage", "pvecdk_ceph_osd", "pvecdk_ceph_fs", "proxmox_ceph_pool",
              "proxmox_virtual_environment_vm", "proxmox_virtual_environment_vm2", "proxmox_vm",
              "proxmox_virtual_environment_container", "proxmox_container")


def holds_data(tf_type: str) -> bool:
    return tf_type in DATA_TYPES or tf_type.startswith("proxmox_storage_")


def group_of(tf_type: str) -> str:
    kind = tf_type.removeprefix("proxmox_virtual_environment_").removeprefix("proxmox_").removeprefix("pvecdk_")
    if kind in ("cluster", "cluster_options", "qdevice", "corosync_links"):
        return "cluster"
    if kind.startswith("sdn"):
        return "network"
    if "firewall" in kind:
        return "firewall"
    if kind.startswith(("storage", "node_disk")):
        return "storage"
    if kind.startswith("ceph"):
        return "ceph"
    if kind.startswith("ha"):
        return "ha"
    if kind in ("vm", "vm2", "container", "guest_placement", "pool", "pool_membership", "replication", "file",
                "download_file", "oci_image"):  # guests, where they run, and the images and snippets they start from
        return "guests"
    if kind.startswith("backup"):
        return "backups"
    if kind.startswith(("user", "role", "acl", "group", "realm", "user_token")):
        return "access"
    if kind.startswith(("network", "dns", "hosts", "time", "apt", "certificate", "node")):
        return "node"
    return "other"


@cache
def _sensitive_attributes() -> dict[str, frozenset[str]]:
    """Resource type -> top-level attributes that are sensitive, or hold a sensitive nested attribute."""
    out: dict[str, frozenset[str]] = {}

    def sensitive(block: Mapping[str, Any]) -> bool:
        attrs = block.get("attributes") or {}
        return (any(a.get("sensitive") or sensitive(a.get("nested_type") or {}) for a in attrs.values())
                or any(sensitive(b.get("block") or {}) for b in (block.get("block_types") or {}).values()))

    for provider in OFFLINE_PROVIDERS.values():
        schemas = json.loads(provider.schema.read_text()).get("resource_schemas", {})
        for tf_type, schema in schemas.items():
            block = schema.get("block") or {}
            names = {n for n, a in (block.get("attributes") or {}).items()
                     if a.get("sensitive") or sensitive(a.get("nested_type") or {})}
            names |= {n for n, b in (block.get("block_types") or {}).items() if sensitive(b.get("block") or {})}
            out[tf_type] = frozenset(names)
    return out


@dataclass(frozen=True)
class AttributeChange:
    name: str
    before: str
    after: str
    forces_replacement: bool = False


@dataclass(frozen=True)
class ResourceChange:
    """One resource's change, as Terraform would act on it."""

    address: str
    tf_type: str
    path: str  # construct path
    action: str  # create, update, replace, delete
    attributes: tuple[AttributeChange, ...] = ()
    replace_paths: tuple[str, ...] = ()

    @property
    def group(self) -> str:
        return group_of(self.tf_type)


@dataclass(frozen=True)
class Change:
    """A change in the cluster's terms."""

    group: str
    subject: str
    action: str  # added, removed, changed, moved
    summary: str
    addresses: tuple[str, ...] = ()


@dataclass
class StackDiff:
    """Everything the report says about one stack."""

    stack: str
    before: Topology
    after: Topology
    resources: list[ResourceChange] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    source: str = "config"  # config, offline-plan or plan

    def action_of(self, address: str) -> str | None:
        return next((r.action for r in self.resources if r.address == address), None)


def _clean(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attrs.items() if k not in _IGNORED and v is not None}


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_sensitive(tf_type: str, name: str, value: Any, sensitive_vars: set[str], marks: Any) -> bool:
    if name in _sensitive_attributes().get(tf_type, frozenset()):
        return True
    if marks is True or (isinstance(marks, Mapping) and marks.get(name)):
        return True
    text = json.dumps(value) if not isinstance(value, str) else value
    return any(f"var.{v}" in text for v in sensitive_vars)


def attribute_changes(tf_type: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                      replace_paths: Iterable[str] = (), sensitive_vars: set[str] | None = None,
                      marks: tuple[Any, Any] = (None, None)) -> tuple[AttributeChange, ...]:
    """The top-level attributes that differ, with sensitive values shown as ``(sensitive)``."""
    old, new = _clean(before or {}), _clean(after or {})
    roots = {p.split(".")[0] for p in replace_paths}
    secret = sensitive_vars or set()
    out = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) == new.get(name):
            continue
        hide = (_is_sensitive(tf_type, name, old.get(name), secret, marks[0])
                or _is_sensitive(tf_type, name, new.get(name), secret, marks[1]))
        pairs: list[tuple[str, Any, Any]] = [(name, old.get(name), new.get(name))]
        a_list, b_list = old.get(name), new.get(name)
        if not hide and isinstance(a_list, list) and isinstance(b_list, list) and len(a_list) + len(b_list) > 2:
            gone, came = _minus(a_list, b_list), _minus(b_list, a_list)  # a list of blocks: what goes and comes
            if gone or came:  # counted, so a second block equal to the first one shows; a reordering shows whole
                pairs = [(f"{name} (items)", gone or None, came or None)]
        elif not hide and isinstance(old.get(name) or {}, Mapping) and isinstance(new.get(name) or {}, Mapping):
            a, b = old.get(name) or {}, new.get(name) or {}  # a map (cluster members, options): per key
            pairs = [(f"{name}.{k}", a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
        out += [AttributeChange(label, SENSITIVE if hide and name in old else _shown(x),
                                SENSITIVE if hide and name in new else _shown(y), name in roots)
                for label, x, y in pairs]
    return tuple(out)


def _minus(items: list[Any], others: list[Any]) -> list[Any]:
    """``items`` less one equal item of ``others`` for each of those (a multiset difference of blocks)."""
    left, out = list(others), []
    for item in items:
        if item in left:
            left.remove(item)
        else:
            out.append(item)
    return out


def _ignoring(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """``after`` with what its ``lifecycle.ignore_changes`` names kept from ``before``, as Terraform plans it
    (a guest's ``node_name`` is its placement's to change)."""
    ignored = (after.get("lifecycle") or {}).get("ignore_changes") or []
    if ignored == "all" or ignored == ["all"]:
        return {**before, **{k: v for k, v in after.items() if k in _IGNORED}}
    kept = {name: before.get(name) for name in ignored if isinstance(name, str) and "." not in name}
    return {**after, **kept}


def resource_changes(base: Config, head: Config) -> list[ResourceChange]:
    """Every resource that differs between two configurations, with the action Terraform would take (what
    ``lifecycle.ignore_changes`` names does not count)."""
    old = {a: (t, attrs) for a, t, attrs in resources(base)}
    new = {a: (t, attrs) for a, t, attrs in resources(head)}
    secret = {n for c in (base, head) for n, s in (c.get("variable") or {}).items()
              if isinstance(s, Mapping) and s.get("sensitive")}
    out = []
    for address in sorted(set(old) | set(new)):
        tf_type, before = old.get(address, (None, None))
        tf_type, after = new.get(address, (tf_type, None))
        assert tf_type is not None
        if before is not None and after is not None:
            after = _ignoring(before, after)
        if before is not None and after is not None and _clean(before) == _clean(after):
            continue
        replaced = requires_replace(tf_type, _clean(before), _clean(after)) if before and after else []
        action = ("create" if before is None else "delete" if after is None else "replace" if replaced
                  else "update")
        out.append(ResourceChange(address, tf_type, construct_path(after or before or {}), action,
                                  attribute_changes(tf_type, before, after, replaced, secret), tuple(replaced)))
    return out


# ----------------------------------------------------------------------------------------- cluster's terms


def _votes(n: int) -> str:
    return f"{n} vote{'s' if n != 1 else ''}"


def _quorum_text(topo: Topology) -> str:
    total, needed, tolerated = topo.quorum()
    return f"{total} votes, quorum {needed}, {tolerated} failure{'s' if tolerated != 1 else ''} tolerated"


def _addresses(*items: Any) -> tuple[str, ...]:
    return tuple(sorted({i.address for i in items if getattr(i, "address", None)}))


def cluster_changes(before: Topology, after: Topology, changed: list[ResourceChange]) -> list[Change]:
    """What the resource changes mean for the cluster, grouped as :data:`GROUPS` lists them."""
    by_address = {r.address: r for r in changed}
    out: list[Change] = []
    add = out.append
    joined = sorted(set(after.members) - set(before.members))
    left = sorted(set(before.members) - set(after.members))
    if joined or left or before.quorum() != after.quorum() or before.qdevice != after.qdevice:
        figures = f"{_quorum_text(before)} -> {_quorum_text(after)}"
        for name in joined:
            add(Change("node", name, "added", f"{name} joins with {_votes(after.members[name].votes)}; {figures}"))
        for name in left:
            add(Change("node", name, "removed", f"{name} leaves ({_votes(before.members[name].votes)}); {figures}"))
        for name in sorted(set(before.members) & set(after.members)):
            if before.members[name].votes != after.members[name].votes:
                add(Change("node", name, "changed", f"{name} votes {before.members[name].votes} -> "
                           f"{after.members[name].votes}; {figures}"))
        if before.qdevice != after.qdevice and before.qdevice is None:
            add(Change("cluster", "qdevice", "added", f"QDevice {after.qdevice} set up (1 vote); {figures}",
                       (after.qdevice_address,)))
        elif before.qdevice != after.qdevice and after.qdevice is None:
            add(Change("cluster", "qdevice", "removed", f"QDevice {before.qdevice} removed (1 vote); {figures}",
                       (before.qdevice_address,)))
        elif before.qdevice != after.qdevice:
            add(Change("cluster", "qdevice", "changed", f"QDevice {before.qdevice} -> {after.qdevice}; {figures}",
                       (after.qdevice_address,)))
    if before.links != after.links and before.members and after.members:
        add(Change("cluster", "corosync", "changed", f"corosync links {before.links} -> {after.links}"))
    if before.cluster and after.cluster and before.cluster != after.cluster:
        add(Change("cluster", after.cluster, "changed", f"cluster name {before.cluster} -> {after.cluster}"))

    mons = f"{len(before.monitors)} -> {len(after.monitors)} monitors"
    for node in sorted(after.monitors - before.monitors):
        add(Change("ceph", f"mon.{node}", "added", f"monitor on {node} added ({mons})"))
    for node in sorted(before.monitors - after.monitors):
        add(Change("ceph", f"mon.{node}", "removed", f"monitor on {node} removed ({mons})"))
    osds = f"{len(before.osds)} -> {len(after.osds)} OSDs"
    for key in sorted(set(after.osds) - set(before.osds)):
        add(Change("ceph", f"osd {key}", "added", f"OSD on {key} added ({osds})"))
    for key in sorted(set(before.osds) - set(after.osds)):
        add(Change("ceph", f"osd {key}", "removed", f"OSD on {key} destroyed with its data ({osds}); Ceph "
                   "re-creates its copies on the other OSDs"))
    for name in sorted(set(before.pools) | set(after.pools)):
        old, new = before.pools.get(name), after.pools.get(name)
        if old is None and new is not None:
            add(Change("ceph", f"pool {name}", "added",
                       f"pool {name} added (size {new.size}, min_size {new.min_size})"))
        elif new is None and old is not None:
            add(Change("ceph", f"pool {name}", "removed", f"pool {name} destroyed with its data"))
        elif old is not None and new is not None and (old.size, old.min_size) != (new.size, new.min_size):
            add(Change("ceph", f"pool {name}", "changed", f"pool {name}: size {old.size} -> {new.size}, min_size "
                       f"{old.min_size} -> {new.min_size}"))
    for name in sorted(after.filesystems - before.filesystems):
        add(Change("ceph", f"fs {name}", "added", f"CephFS {name} added"))
    for name in sorted(before.filesystems - after.filesystems):
        add(Change("ceph", f"fs {name}", "removed", f"CephFS {name} destroyed with its data"))

    for sid in sorted(set(before.storages) | set(after.storages)):
        old_s, new_s = before.storages.get(sid), after.storages.get(sid)
        if old_s is None and new_s is not None:
            add(Change("storage", sid, "added", f"storage {sid} ({new_s.type}, {new_s.where}) added",
                       _addresses(new_s)))
        elif new_s is None and old_s is not None:
            users = sorted(g.label for g in before.guests.values() if sid in g.storages)
            also = f"; disks of {', '.join(users)} are on it" if users else ""
            add(Change("storage", sid, "removed", f"storage {sid} ({old_s.type}, {old_s.where}) removed{also}",
                       _addresses(old_s)))
        elif old_s is not None and new_s is not None and (old_s.type, old_s.location) != (new_s.type, new_s.location):
            how = by_address.get(new_s.address)
            verb = "replaced" if how and how.action == "replace" else "changed"
            add(Change("storage", sid, "changed", f"storage {sid} re-pointed: {old_s.where} -> {new_s.where} "
                       f"({verb})", _addresses(new_s)))
        elif old_s is not None and new_s is not None and old_s.content != new_s.content:
            add(Change("storage", sid, "changed", f"storage {sid} content {','.join(old_s.content)} -> "
                       f"{','.join(new_s.content)}", _addresses(new_s)))

    for key in sorted(set(before.guests) | set(after.guests)):
        old_g, new_g = before.guests.get(key), after.guests.get(key)
        if old_g is None and new_g is not None:
            add(Change("guests", key, "added", f"{new_g.label} created on {new_g.node}", _addresses(new_g)))
        elif new_g is None and old_g is not None:
            add(Change("guests", key, "removed", f"{old_g.label} on {old_g.node} destroyed with its disks",
                       _addresses(old_g)))
        elif old_g is not None and new_g is not None:
            how = by_address.get(new_g.address)
            replaced = old_g.address != new_g.address or (how is not None and how.action == "replace")
            placed = by_address.get(new_g.placement or "")
            if old_g.node != new_g.node and not replaced and new_g.ha_managed and placed is not None:
                add(Change("guests", key, "changed", f"{new_g.label} node {old_g.node} -> {new_g.node} recorded; "
                           "under HA it stays where HA runs it (move it by its HA node preferences)",
                           (placed.address,)))
            elif old_g.node != new_g.node:
                way = ("by replacement: destroyed on the old node and created empty on the new one" if replaced
                       else "by migration")
                moves = (placed.address,) if placed is not None else ()
                add(Change("guests", key, "moved", f"{new_g.label} moves {old_g.node} -> {new_g.node} {way}",
                           tuple(sorted({*_addresses(old_g, new_g), *moves}))))
            elif replaced:
                why = ", ".join(how.replace_paths) if how and how.replace_paths else "a new resource address"
                add(Change("guests", key, "changed", f"{new_g.label} replaced ({why}): its disks are re-created",
                           _addresses(old_g, new_g)))
            elif old_g.storages != new_g.storages:
                add(Change("guests", key, "changed", f"{new_g.label} disks on {','.join(old_g.storages) or '-'} -> "
                           f"{','.join(new_g.storages) or '-'}", _addresses(new_g)))

    for rid in sorted(after.ha - before.ha):
        add(Change("ha", rid, "added", f"{rid} comes under HA"))
    for rid in sorted(before.ha - after.ha):
        still = rid in after.guests  # HA ids and guest keys are both vm:<id> / ct:<id>
        add(Change("ha", rid, "removed", f"{rid} loses HA" + ("" if still else " (the guest is removed too)")))

    covered_before, covered_after = before.backed_up(), after.backed_up()
    for key in sorted(covered_before - covered_after):
        if key in after.guests:
            add(Change("backups", key, "removed", f"{after.guests[key].label} is no longer covered by a backup job"))
    for key in sorted((covered_after - covered_before) & set(after.guests)):
        if key in before.guests:
            add(Change("backups", key, "added", f"{after.guests[key].label} is now covered by a backup job"))
    for job in sorted(set(before.backup_jobs) - set(after.backup_jobs)):
        add(Change("backups", job, "removed", f"backup job {job} removed"))
    for job in sorted(set(after.backup_jobs) - set(before.backup_jobs)):
        add(Change("backups", job, "added", f"backup job {job} added"))

    old_rules = set(before.rules)
    for rule in after.rules:
        if rule not in old_rules:
            verb = "opens" if rule.action == "ACCEPT" and rule.direction == "in" else "adds"
            add(Change("firewall", rule.scope, "added", f"{verb}: {rule.describe()}"))
    new_rules = set(after.rules)
    for rule in before.rules:
        if rule not in new_rules:
            add(Change("firewall", rule.scope, "removed", f"drops: {rule.describe()}"))
    if before.firewall_enabled is not None and after.firewall_enabled is not None:
        if before.firewall_enabled != after.firewall_enabled:
            add(Change("firewall", "cluster", "changed",
                       f"cluster firewall {'enabled' if after.firewall_enabled else 'disabled'}"))
        if before.input_policy != after.input_policy:
            add(Change("firewall", "cluster", "changed",
                       f"cluster input policy {before.input_policy} -> {after.input_policy}"))

    for change in changed:
        if change.group == "access":
            verb = {"create": "added", "delete": "removed"}.get(change.action, "changed")
            add(Change("access", change.path or change.address, verb,
                       f"{_short(change.tf_type)} {change.path or change.address} {verb}", (change.address,)))
    out += _settings(changed, {a for c in out for a in c.addresses})
    return out


def _short(tf_type: str) -> str:
    return tf_type.removeprefix("pvecdk_").removeprefix("proxmox_").removeprefix("virtual_environment_")


#: Types the cluster's terms above already say everything about.
_INTERPRETED = ("pvecdk_cluster", "pvecdk_ceph_monitor", "pvecdk_ceph_osd", "pvecdk_ceph_fs", "proxmox_ceph_pool",
                "pvecdk_storage", "proxmox_storage_", "proxmox_virtual_environment_vm", "proxmox_vm",
                "proxmox_virtual_environment_container", "proxmox_container", "proxmox_haresource",
                "proxmox_backup_job", "proxmox_virtual_environment_firewall_rules",
                "proxmox_virtual_environment_cluster_firewall")


def _settings(changed: list[ResourceChange], said: set[str]) -> list[Change]:
    """One line per group for the other resources (node settings, options, HA rules, ... counted by kind), but
    those a line in the cluster's terms names already (``said``: a moved guest's placement)."""
    verbs = {"create": "added", "update": "updated", "replace": "replaced", "delete": "removed"}
    counts: dict[str, dict[tuple[str, str], int]] = {}
    for change in changed:
        if change.group == "access" or change.tf_type.startswith(_INTERPRETED) or change.address in said:
            continue
        key = (_short(change.tf_type), verbs[change.action])
        group = counts.setdefault(change.group, {})
        group[key] = group.get(key, 0) + 1
    return [Change(group, "settings", "changed", "; ".join(
        f"{kind} {verb}" + (f" x{n}" if n > 1 else "") for (kind, verb), n in sorted(found.items())))
            for group, found in counts.items()]


def diff_stack(stack: str, base: Config, head: Config) -> StackDiff:
    """The changes of one stack between two synthesized configurations (Terraform's actions predicted)."""
    before, after = read_topology(base), read_topology(head)
    changed = resource_changes(base, head)
    return StackDiff(stack, before, after, changed, cluster_changes(before, after, changed))
