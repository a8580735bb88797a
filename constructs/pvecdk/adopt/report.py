"""What ``pvecdk import`` read, wrote and left out: for the terminal and as markdown."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pvecdk.adopt.model import CephInfo, Inventory, LeftOut

__all__ = ["Report"]


@dataclass
class Report:
    """The outcome of one adoption."""

    inventory: Inventory
    module: str
    stack: str
    imports: dict[str, str] = field(default_factory=dict)
    import_types: Counter[str] = field(default_factory=Counter)
    left_out: list[LeftOut] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    policy_errors: list[str] = field(default_factory=list)
    policy_warnings: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    not_importable: list[str] = field(default_factory=list)

    def read_counts(self) -> list[tuple[str, int]]:
        inv = self.inventory
        ceph = inv.ceph or CephInfo()  # none read: every count 0
        return [("nodes", len(inv.nodes)), ("storages", len(inv.storage)), ("Ceph monitors", len(ceph.monitors)),
                ("Ceph managers", len(ceph.managers)), ("Ceph metadata servers", len(ceph.mds)),
                ("Ceph OSDs", len(ceph.osds)), ("Ceph pools", len(ceph.pools)),
                ("Ceph file systems", len(ceph.filesystems)),
                ("VMs", sum(1 for g in inv.guests if g.kind == "qemu")),
                ("containers", sum(1 for g in inv.guests if g.kind == "lxc")),
                ("HA resources", len(inv.ha_resources)), ("HA groups", len(inv.ha_groups)),
                ("HA rules", len(inv.ha_rules)), ("resource pools", len(inv.pools)),
                ("backup jobs", len(inv.backup_jobs)), ("replication jobs", len(inv.replication)),
                ("metrics servers", len(inv.metrics)), ("users", len(inv.users)), ("ACL entries", len(inv.acl))]

    @property
    def ok(self) -> bool:
        """Whether the stack adopts the cluster with nothing failing to read and no rule broken."""
        return not self.policy_errors and not any(lo.failed for lo in self.left_out)

    def terminal(self) -> str:
        inv = self.inventory
        lines = [f"pvecdk import: cluster {inv.cluster_name} (PVE {inv.release}) -> {self.module} "
                 f"(stack {self.stack})",
                 "  read: " + ", ".join(f"{n} {what}" for what, n in self.read_counts() if n),
                 f"  import blocks: {len(self.imports)} ("
                 + ", ".join(f"{n} {t}" for t, n in sorted(self.import_types.items())) + ")"]
        if self.secrets:
            lines.append(f"  secrets (set TF_VAR_<name>): {', '.join(self.secrets)}")
        for title, items in (("rules the cluster breaks", self.policy_errors),
                             ("policy warnings", self.policy_warnings), ("to decide", self.decisions),
                             ("left out", [f"{lo.what}: {lo.reason}" for lo in self.left_out]),
                             ("created, not imported (no import id)", self.not_importable)):
            if items:
                lines.append(f"  {title}:")
                lines += [f"    - {item}" for item in items]
        return "\n".join(lines)

    def markdown(self) -> str:
        inv = self.inventory
        out = [f"# Adoption of cluster `{inv.cluster_name}`", "",
               f"Read through {inv.endpoint} (PVE {inv.release}); written to `{self.module}` (stack `{self.stack}`).",
               "", "## Read", "", "| what | count |", "|---|---|"]
        out += [f"| {what} | {n} |" for what, n in self.read_counts()]
        out += ["", "## Imported", "", "| Terraform type | resources |", "|---|---|"]
        out += [f"| `{t}` | {n} |" for t, n in sorted(self.import_types.items())]
        sections = (("Rules the cluster breaks", self.policy_errors), ("Policy warnings", self.policy_warnings),
                    ("To decide", self.decisions), ("Created, not imported", self.not_importable),
                    ("Secrets (sensitive variables)", [f"`{s}`" for s in self.secrets]))
        for title, items in sections:
            if items:
                out += ["", f"## {title}", ""] + [f"- {i}" for i in items]
        out += ["", "## Left out", ""]
        out += ["| what | why |", "|---|---|"] + [f"| {lo.what} | {lo.reason} |" for lo in self.left_out] \
            if self.left_out else ["Nothing."]
        return "\n".join(out) + "\n"
