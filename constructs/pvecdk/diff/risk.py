"""Risk flags: what a change puts at risk, with a severity and a one-line reason each.

Severities: ``high`` (data or quorum can be lost, or the cluster is opened to anyone), ``medium`` (redundancy or
coverage is reduced) and ``low`` (worth a look). ``--fail-on`` compares the highest flag with a threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

from pvecdk.diff.changes import StackDiff, holds_data

__all__ = ["SEVERITIES", "Flag", "at_least", "flags_of", "highest"]

SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class Flag:
    severity: str
    rule: str
    subject: str
    reason: str
    stack: str = ""


def at_least(severity: str, threshold: str) -> bool:
    return SEVERITIES.index(severity) <= SEVERITIES.index(threshold)


def highest(flags: list[Flag]) -> str | None:
    return min((f.severity for f in flags), key=SEVERITIES.index, default=None)


def _quorum_flags(diff: StackDiff) -> list[Flag]:
    out: list[Flag] = []
    before, after = diff.before, diff.after
    if not before.members or (before.votes == after.votes and set(before.members) == set(after.members)
                              and before.qdevice_votes == after.qdevice_votes):
        return out
    removed = sorted(set(before.members) - set(after.members))
    total_b, needed_b, _ = before.quorum()
    total_a, needed_a, tolerated_a = after.quorum()
    # What stays while the change applies: the nodes that stay, and a QDevice both sides keep
    kept = (sum(m.votes for n, m in before.members.items() if n not in removed)
            + min(before.qdevice_votes, after.qdevice_votes))
    if removed and kept < needed_b:
        out.append(Flag("high", "quorum-lost", ", ".join(removed), f"removing {', '.join(removed)} leaves {kept} "
                        f"of {total_b} votes, below the quorum of {needed_b}: the cluster stops"))
    if len(removed) > 1:
        out.append(Flag("high", "nodes-removed", ", ".join(removed), f"{len(removed)} nodes removed in one change: "
                        "remove one at a time and let the cluster settle"))
    if after.members:
        if total_a % 2 == 0:
            out.append(Flag("medium", "even-votes", after.cluster or "cluster", f"{total_a} votes after the change: "
                            "an even count tolerates no more failures than one vote less, and a split halves it"))
        if tolerated_a == 0 and len(after.members) > 1:
            out.append(Flag("high", "no-failure-tolerated", after.cluster or "cluster", f"{total_a} votes, quorum "
                            f"{needed_a}: losing any node stops the cluster"))
    return out


def _ceph_flags(diff: StackDiff) -> list[Flag]:
    out: list[Flag] = []
    before, after = diff.before, diff.after
    gone = sorted(before.monitors - after.monitors)
    if gone and before.monitors:
        majority = len(before.monitors) // 2 + 1
        kept = len(before.monitors) - len(gone)
        if kept < majority:
            out.append(Flag("high", "monitor-majority", ", ".join(gone), f"{kept} of {len(before.monitors)} monitors "
                            f"stay, below the majority of {majority}: Ceph stops until they are back"))
        elif len(after.monitors) < 3 or len(after.monitors) % 2 == 0:
            out.append(Flag("medium", "monitor-majority", ", ".join(gone), f"{len(after.monitors)} monitors after "
                            f"the change tolerate {(len(after.monitors) - 1) // 2} failure(s)"))
    hosts = {o.node for o in after.osds.values()}
    for name, new in sorted(after.pools.items()):
        old = before.pools.get(name)
        if old is not None and new.min_size is not None and old.min_size is not None and new.min_size < old.min_size:
            severity = "high" if new.min_size <= 1 else "medium"
            out.append(Flag(severity, "pool-redundancy", f"pool {name}", f"min_size {old.min_size} -> {new.min_size}"
                            + (": writes are accepted with a single copy" if new.min_size <= 1 else
                               ": writes continue with fewer copies")))
        if old is not None and new.size is not None and old.size is not None and new.size < old.size:
            out.append(Flag("medium", "pool-redundancy", f"pool {name}", f"size {old.size} -> {new.size}: fewer "
                            "copies of every object"))
        if new.size and after.osds and len(hosts) < new.size and (old is None or len(
                {o.node for o in before.osds.values()}) >= (old.size or 0)):
            out.append(Flag("high", "pool-redundancy", f"pool {name}", f"size {new.size} but OSDs on only "
                            f"{len(hosts)} node(s): Ceph cannot place every copy"))
    return out


def _data_flags(diff: StackDiff) -> list[Flag]:
    out = []
    moved = {a for c in diff.changes if c.group == "guests" and c.action == "moved" for a in c.addresses}
    for change in diff.resources:
        if change.action == "replace" and change.address in moved:
            continue  # said once, as the move it is (guest-replaced)
        if change.action in ("delete", "replace") and holds_data(change.tf_type):
            verb = "destroyed" if change.action == "delete" else "replaced (destroyed, then created)"
            why = f" because {', '.join(change.replace_paths)} changed" if change.replace_paths else ""
            out.append(Flag("high", "data-destroyed", change.path or change.address,
                            f"{change.tf_type} {verb}{why}: the data it holds is lost"))
    for key, new in sorted(diff.after.guests.items()):
        old = diff.before.guests.get(key)
        gone = sorted(set(old.disks) - set(new.disks)) if old is not None and old.address == new.address else []
        if gone and diff.action_of(new.address) == "update":
            out.append(Flag("high", "data-destroyed", key, f"{new.label} loses {', '.join(gone)}: the volume is "
                            "deleted with its data"))
    return out


def _guest_flags(diff: StackDiff) -> list[Flag]:
    out = []
    before, after = diff.before, diff.after
    for rid in sorted(before.ha - after.ha):
        if rid in after.guests:
            out.append(Flag("medium", "ha-lost", rid, f"{after.guests[rid].label} is no longer restarted elsewhere "
                            "when its node fails"))
    for rid in sorted(after.ha):
        guest = after.guests.get(rid)
        if guest is None:
            continue
        local = sorted(s for s in guest.storages if s in after.storages and not after.storages[s].shared)
        old = before.guests.get(rid)
        was_local = old is not None and rid in before.ha and any(
            s in before.storages and not before.storages[s].shared for s in old.storages)
        if local and not was_local:
            out.append(Flag("medium", "ha-local-storage", rid, f"{guest.label} is under HA with disks on local "
                            f"storage {', '.join(local)}: no other node can start it"))
    for key in sorted(before.backed_up() - after.backed_up()):
        if key in after.guests:
            out.append(Flag("medium", "backup-lost", key, f"{after.guests[key].label} is no longer covered by any "
                            "backup job"))
    for change in diff.changes:
        replaced = any(diff.action_of(a) in ("replace", "delete") for a in change.addresses)
        if change.group == "guests" and change.action == "moved" and replaced:
            out.append(Flag("high", "guest-replaced", change.subject, f"{change.summary}, its disks lost"))
    return out


def _firewall_flags(diff: StackDiff) -> list[Flag]:
    out = []
    before, after = diff.before, diff.after
    old = set(before.rules)
    for rule in after.rules:
        if rule not in old and rule.to_any:
            out.append(Flag("high", "firewall-open", rule.scope, f"opened to any address: {rule.describe()}"))
        elif rule not in old and rule.action == "ACCEPT" and rule.direction == "in":
            out.append(Flag("low", "firewall-open", rule.scope, f"opened: {rule.describe()}"))
    if before.firewall_enabled and after.firewall_enabled is False:
        out.append(Flag("high", "firewall-open", "cluster", "the cluster firewall is disabled: every port is open"))
    if before.input_policy not in (None, "ACCEPT") and after.input_policy == "ACCEPT":
        out.append(Flag("high", "firewall-open", "cluster", "input policy ACCEPT: traffic no rule drops is let in"))
    return out


def _access_flags(diff: StackDiff) -> list[Flag]:
    out = []
    for change in diff.resources:
        if change.tf_type.endswith("_acl") and change.action in ("create", "update", "replace"):
            roles = [a.after for a in change.attributes if a.name == "role_id"]
            if any("Admin" in r for r in roles):
                out.append(Flag("medium", "access-grant", change.path or change.address,
                                f"grants {', '.join(roles)}"))
    return out


def flags_of(diff: StackDiff) -> list[Flag]:
    """Every flag one stack's changes raise, highest first."""
    found = [*_quorum_flags(diff), *_ceph_flags(diff), *_data_flags(diff), *_guest_flags(diff),
             *_firewall_flags(diff), *_access_flags(diff)]
    unique = list(dict.fromkeys(Flag(f.severity, f.rule, f.subject, f.reason, diff.stack) for f in found))
    return sorted(unique, key=lambda f: SEVERITIES.index(f.severity))
