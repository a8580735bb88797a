"""The cluster firewall: on, with rules derived from the model, and room for the user's own.

Every service the model turns on gets exactly its ports, open only from (and to) the network that carries it,
as PVE documents them ("Ports used by Proxmox VE", the ``Ceph`` macro, the QDevice chapter):

* corosync (knet): UDP 5405-5412 on each corosync link's network;
* Ceph, once enabled: monitors (TCP 3300 and 6789) and the other daemons (OSDs, managers, metadata servers:
  TCP 6800-7300) on Ceph's public network; the daemons' range again on Ceph's cluster network when it is
  another one (OSD replication and heartbeats);
* live migration: TCP 60000-60050 on the migration network (the migration network, else the cluster network,
  else management), and SSH (22) there, which ``secure`` migration tunnels through and cluster actions use;
* management: SSH (22), the web UI and API (8006), VNC consoles (5900-5999) and the SPICE proxy (3128);
* with a QDevice, the nodes' connections out to its qnetd host (TCP 5403) are allowed by name.

Nothing is opened to the world: every source is one of the model's networks. The rules form the security group
``pve-cluster``, applied at cluster level, and are derived at synthesis, so Ceph enabled after the cluster
still gets its ports. Each network gets an IP set and an alias named after its role.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, PlainValidator, field_validator

from pvecdk import _cdk
from pvecdk._base import ClusterBase
from pvecdk._fault import Fault
from pvecdk._model import Network
from pvecdk._validation import LazyPath, Props, check_props, instance_of, raise_at
from pvecdk._values import NetworkRole
from pvecdk.bpg import (
    virtual_environment_cluster_firewall,
    virtual_environment_cluster_firewall_security_group,
    virtual_environment_firewall_alias,
    virtual_environment_firewall_ipset,
    virtual_environment_firewall_rules,
)

__all__ = ["Action", "ClusterFirewall", "Direction", "FirewallRule", "SecurityGroup"]

# PVE's rule formats (pve-fw-protocol-spec, pve-fw-dport-spec, pve-fw-addr-spec, the log enum): protocols by
# name (those of /etc/protocols a rule uses) or number; ports by number, a:b range or comma list, at most 15
# numbers (a range counts two, iptables' multiport limit); only these protocols have ports.
_PROTOCOLS = frozenset({
    "tcp", "udp", "udplite", "sctp", "dccp", "icmp", "icmpv6", "ipv6-icmp", "igmp", "gre", "esp", "ah", "ospf",
    "vrrp", "pim", "l2tp", "ipip", "ipencap", "ipv6", "ipv6-route", "ipv6-frag", "ipv6-nonxt", "ipv6-opts",
    "egp", "ggp", "st", "pup", "hmp", "rdp", "xns-idp", "iso-tp4", "xtp", "ddp", "idpr-cmtp", "rsvp", "skip",
    "idrp", "rspf", "vmtp", "encap", "mobility-header", "mpls-in-ip", "manet", "hip", "shim6", "wesp", "rohc",
    "isis", "fc", "etherip", "ax.25", "ipcomp", "ipx-in-ip", "eigrp",
})
_PORTED = frozenset({"tcp", "udp", "udplite", "sctp", "dccp", "6", "17", "136", "132", "33"})
_LOG_LEVELS = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "nolog")
_MAX_PORTS = 15
_REF = re.compile(r"^(?:(?:dc|guest)/)?[A-Za-z][A-Za-z0-9_-]+$")


def _ports(value: str) -> str | None:
    """What is wrong with a port spec, or None."""
    count = 0
    for part in value.split(","):
        bounds = part.split(":")
        if len(bounds) > 2 or not all(b.isdigit() for b in bounds):
            return f"{part!r} is not a port or a range of ports"
        numbers = [int(b) for b in bounds]
        if not all(0 < n <= 65535 for n in numbers):
            return f"port {part} is out of range 1-65535"
        if len(numbers) == 2 and numbers[0] >= numbers[1]:
            return f"range {part} does not go up"
        count += len(numbers)
    if count > _MAX_PORTS:
        return f"{count} port numbers (a range counts two), PVE takes at most {_MAX_PORTS}"
    return None


def _address(value: str) -> str | None:
    """What is wrong with an address spec (addresses, CIDRs, a-b ranges, +ipset, alias; a comma list), or None."""
    families = set()
    for part in value.split(","):
        if part.startswith("+"):
            if not _REF.match(part[1:]):
                return f"{part!r} is not an IP set name"
            continue
        if _REF.match(part) and not part.replace("-", "").replace("_", "").isdigit():
            continue  # an alias
        try:
            if "-" in part:
                low, high = (ipaddress.ip_address(a) for a in part.split("-", 1))
                if low.version != high.version or int(low) >= int(high):
                    return f"{part!r} is not a range of addresses that goes up"
                families.add(low.version)
            else:
                families.add(ipaddress.ip_network(part, strict=False).version)
        except ValueError as exc:
            return f"{part!r} is not an address, a network in CIDR notation, an IP set or an alias ({exc})"
    if len(families) > 1:
        return "IPv4 and IPv6 addresses mixed in one rule"
    return None


def rule_faults(rule: FirewallRule) -> list[tuple[str, str, str]]:
    """The problems of one rule, as ``(field, what, fix)``, checked as PVE parses a rule."""
    found: list[tuple[str, str, str]] = []
    for field in ("proto", "dport", "sport", "source", "dest", "macro", "comment", "log"):
        value = getattr(rule, field)
        if value is not None and not isinstance(value, str):
            found.append((field, f"{value!r} is not a string", f"pass {field} as a string, such as "
                          f"{'22' if 'port' in field else 'tcp' if field == 'proto' else '10.0.0.0/24'}"))
    if found:
        return found
    if not isinstance(rule.action, Action):
        found.append(("action", f"{rule.action!r} is not an Action", "pass Action.ACCEPT, Action.DROP or "
                      "Action.REJECT"))
    if not isinstance(rule.direction, Direction):
        found.append(("direction", f"{rule.direction!r} is not a Direction", "pass Direction.IN or Direction.OUT"))
    proto = rule.proto.lower() if rule.proto is not None else None
    if proto is not None and proto not in _PROTOCOLS and not (proto.isdigit() and int(proto) <= 255):
        found.append(("proto", f"{rule.proto!r} is not a protocol", "give a name such as tcp, udp, icmp or "
                      "icmpv6, or a number 0-255"))
    for field in ("dport", "sport"):
        value = getattr(rule, field)
        if value is None:
            continue
        wrong = _ports(value)
        if wrong is not None:
            found.append((field, wrong, "give ports such as 22, 5900:5999 or 80,443"))
        elif rule.macro is None and proto is None:
            found.append((field, f"{field} without a protocol", "set proto='tcp' or 'udp' (ports belong to "
                          "one)"))
        elif proto is not None and proto not in _PORTED:
            found.append((field, f"protocol {rule.proto} has no ports", "use tcp, udp, sctp or dccp, or leave "
                          f"{field} unset"))
    for field in ("source", "dest"):
        value = getattr(rule, field)
        if value is not None:
            wrong = _address(value)
            if wrong is not None:
                found.append((field, wrong, "give an address, a CIDR such as 10.0.0.0/24, a range a-b, "
                              "+ipset or an alias; a comma list of one family"))
    if rule.macro is not None and not _REF.match(rule.macro):
        found.append(("macro", f"{rule.macro!r} is not a macro name", "give a PVE macro such as SSH or Ceph"))
    if rule.log is not None and rule.log not in _LOG_LEVELS:
        found.append(("log", f"{rule.log!r} is not a log level", f"pick one of {', '.join(_LOG_LEVELS)}"))
    return found

PVE_GROUP = "pve-cluster"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{1,17}$")


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class Action(enum.StrEnum):
    ACCEPT = "ACCEPT"
    DROP = "DROP"
    REJECT = "REJECT"


@dataclass(frozen=True)
class FirewallRule:
    """One firewall rule.

    Args:
        action: What to do with matching packets.
        direction: ``in`` (default) or ``out``.
        proto: ``tcp``, ``udp``, ``icmp``... Defaults to any.
        dport: Destination port or range (``22``, ``5900:5999``). Defaults to any.
        sport: Source port or range. Defaults to any.
        source: Source address, CIDR, ``+ipset`` or alias. Defaults to any.
        dest: Destination, likewise. Defaults to any.
        macro: A PVE macro (``SSH``, ``Ceph``...) instead of proto and ports.
        comment: Shown in PVE.
        log: Log level (``nolog``, ``info``...). Defaults to PVE's.
    """

    action: Action
    direction: Direction = Direction.IN
    proto: str | None = None
    dport: str | None = None
    sport: str | None = None
    source: str | None = None
    dest: str | None = None
    macro: str | None = None
    comment: str | None = None
    log: str | None = None

    def render(self) -> dict[str, Any]:
        out = {"type": self.direction.value, "action": self.action.value, "proto": self.proto, "dport": self.dport,
               "sport": self.sport, "source": self.source, "dest": self.dest, "macro": self.macro,
               "comment": self.comment, "log": self.log, "enabled": True}
        return {k: v for k, v in out.items() if v is not None}


def _depends_on(resource: Any, others: Sequence[Any]) -> None:
    """Make ``resource`` wait for ``others``: firewall objects refer to each other by name, not by reference."""
    resource.add_override("depends_on", [f"{o.terraform_resource_type}.{o.friendly_unique_id}" for o in others])


def _name(value: str) -> str:
    if not _NAME.match(value):
        raise Fault(f"{value!r} is not a valid firewall name", "use 2-18 letters, digits, '-' or '_', starting with a "
                    "letter")
    return value


class _SecurityGroupProps(Props):
    name: Annotated[str, AfterValidator(_name)]
    rules: tuple[Annotated[FirewallRule, PlainValidator(instance_of(FirewallRule, "pass FirewallRule(...)"))], ...]
    comment: str | None

    @field_validator("rules")
    @classmethod
    def _rules(cls, v: tuple[FirewallRule, ...]) -> tuple[FirewallRule, ...]:
        raise_at([((i, field), what, fix) for i, rule in enumerate(v)
                  for field, what, fix in rule_faults(rule)])
        return v


class _RuleProps(Props):
    rule: Annotated[FirewallRule, PlainValidator(instance_of(FirewallRule, "pass FirewallRule(...)"))]

    @field_validator("rule")
    @classmethod
    def _rule(cls, v: FirewallRule) -> FirewallRule:
        raise_at([((field,), what, fix) for field, what, fix in rule_faults(v)])
        return v


class SecurityGroup(_cdk.Construct):
    """A firewall security group (``proxmox_virtual_environment_cluster_firewall_security_group``)."""

    def __init__(self, scope: _cdk.Construct, id: str, *, name: str, rules: Sequence[FirewallRule],
                 comment: str | None = None) -> None:
        check_props(_SecurityGroupProps, LazyPath(scope, id), {"name": name, "rules": rules, "comment": comment})
        super().__init__(scope, id)
        self.group_name = name
        self._rules = list(rules)
        self._derived: Callable[[], list[FirewallRule]] = list
        group = virtual_environment_cluster_firewall_security_group
        self.resource = group.VirtualEnvironmentClusterFirewallSecurityGroup(
            self, "Resource", name=name, comment=comment, rule=[r.render() for r in self._rules])
        # Rules added later, and those derived from the model, are rendered at synthesis, once.
        self.resource.render_late(lambda: self.resource.put_rule([r.render() for r in self.rules]))

    @property
    def rules(self) -> tuple[FirewallRule, ...]:
        """The group's rules: those derived from the model (as it stands now), then those given and added."""
        return (*self._derived(), *self._rules)

    def _derive(self, rules: Callable[[], list[FirewallRule]]) -> None:
        """Put the rules ``rules()`` returns first, computed when read (the cluster firewall's own group)."""
        self._derived = rules

    def add_rule(self, rule: FirewallRule) -> None:
        """Append a rule to the group."""
        check_props(_RuleProps, lambda: str(self.node.path), {"rule": rule})
        self._rules.append(rule)


# PVE's ports ("Ports used by Proxmox VE", the Ceph macro, the QDevice chapter of pvecm).
COROSYNC_PORTS = "5405:5412"  # knet, one port per link number
CEPH_MONITOR_PORTS = "3300,6789"  # msgr2, msgr1
CEPH_DAEMON_PORTS = "6800:7300"  # OSDs, managers, metadata servers
MIGRATION_PORTS = "60000:60050"
QNETD_PORT = "5403"
MANAGEMENT_PORTS = (("22", "SSH"), ("8006", "web UI and API"), ("5900:5999", "VNC consoles"),
                    ("3128", "SPICE proxy"))


def _on(cluster: ClusterBase, network: Network) -> str:
    """A network as a rule's source or destination: its role's IP set, or the CIDR when it has no role."""
    role = next((r for r, n in cluster.defined_networks.items() if n == network), None)
    return f"+{role.value}" if role is not None else str(network)


def service_rules(cluster: ClusterBase) -> list[FirewallRule]:
    """The rules every service the model of ``cluster`` turns on needs, each only on its own network."""
    def accept(proto: str, dport: str, network: str, comment: str) -> FirewallRule:
        return FirewallRule(Action.ACCEPT, proto=proto, dport=dport, source=network, dest=network, comment=comment)

    rules = [accept("udp", COROSYNC_PORTS, f"+{link.network.value}", f"corosync link{i}")
             for i, link in enumerate(cluster.links)]
    mgmt = f"+{NetworkRole.MANAGEMENT.value}"
    rules += [accept("tcp", port, mgmt, what) for port, what in MANAGEMENT_PORTS]
    migration = _on(cluster, cluster.migration_network or cluster.cluster_network or cluster.management_network)
    if migration != mgmt:
        rules.append(accept("tcp", "22", migration, "SSH for migration and cluster actions"))
    rules.append(accept("tcp", MIGRATION_PORTS, migration, "live migration"))
    ceph = cluster.model.ceph
    if ceph is not None and ceph.public_network is not None:
        public = _on(cluster, ceph.public_network)
        rules += [accept("tcp", CEPH_MONITOR_PORTS, public, "Ceph monitors"),
                  accept("tcp", CEPH_DAEMON_PORTS, public, "Ceph OSDs, managers, metadata servers")]
        if ceph.cluster_network is not None and ceph.cluster_network != ceph.public_network:
            rules.append(accept("tcp", CEPH_DAEMON_PORTS, _on(cluster, ceph.cluster_network),
                                "Ceph OSD replication"))
    if cluster.qdevice is not None:
        rules.append(FirewallRule(Action.ACCEPT, Direction.OUT, proto="tcp", dport=QNETD_PORT,
                                  dest=cluster.qdevice.address, comment="QDevice (corosync-qnetd)"))
    return rules


class ClusterFirewall(_cdk.Construct):
    """The cluster firewall, its IP sets and aliases, the ``pve-cluster`` group and the cluster-level rules.

    Manages ``proxmox_virtual_environment_cluster_firewall`` (on, input DROP, output ACCEPT) and its rules.
    """

    def __init__(self, scope: ClusterBase, id: str, *, cluster: ClusterBase) -> None:
        super().__init__(scope, id)
        self.cluster = cluster
        self.resource = virtual_environment_cluster_firewall.VirtualEnvironmentClusterFirewall(
            self, "Resource", enabled=True, input_policy="DROP", output_policy="ACCEPT",
            depends_on=[cluster.membership])
        self.ipsets: dict[NetworkRole, virtual_environment_firewall_ipset.VirtualEnvironmentFirewallIpset] = {}
        self.aliases: dict[NetworkRole, virtual_environment_firewall_alias.VirtualEnvironmentFirewallAlias] = {}
        for role, network in cluster.defined_networks.items():
            self.ipsets[role] = virtual_environment_firewall_ipset.VirtualEnvironmentFirewallIpset(
                self, f"IpSet-{role.value}", name=role.value, comment=f"{role.value} network",
                cidr=[{"name": str(network)}], depends_on=[cluster.membership])
            self.aliases[role] = virtual_environment_firewall_alias.VirtualEnvironmentFirewallAlias(
                self, f"Alias-{role.value}", name=f"{role.value}-net", cidr=str(network),
                comment=f"{role.value} network", depends_on=[cluster.membership])
        self.pve_group = SecurityGroup(self, "PveGroup", name=PVE_GROUP, rules=[],
                                       comment="what Proxmox VE needs")
        # Derived at synthesis: Ceph, enabled after the cluster, adds its ports then.
        self.pve_group._derive(lambda: service_rules(cluster))
        # Rules name IP sets and groups by string, so Terraform learns the order from depends_on.
        _depends_on(self.pve_group.resource, list(self.ipsets.values()))
        self._cluster_rules: list[dict[str, Any]] = [{"security_group": PVE_GROUP, "comment": "Proxmox VE"}]
        self._depends: list[Any] = [self.pve_group.resource]
        self.rules = virtual_environment_firewall_rules.VirtualEnvironmentFirewallRules(
            self, "Rules", rule=self._cluster_rules)
        _depends_on(self.rules, self._depends)
        # Groups and rules added later are rendered at synthesis, once.
        self.rules.render_late(self._render_rules)

    def _render_rules(self) -> None:
        self.rules.put_rule(list(self._cluster_rules))
        _depends_on(self.rules, self._depends)

    def add_security_group(self, name: str, *, rules: Sequence[FirewallRule], comment: str | None = None,
                           apply: bool = True) -> SecurityGroup:
        """Add a security group; with ``apply`` (the default) it is also applied at cluster level.

        Returns:
            The group.
        """
        group = SecurityGroup(self, f"Group-{name}", name=name, rules=rules, comment=comment)
        if apply:
            self._cluster_rules.append({"security_group": name})
            self._depends.append(group.resource)
        return group

    def add_rule(self, rule: FirewallRule) -> None:
        """Add a rule at cluster level, after the groups."""
        check_props(_RuleProps, lambda: str(self.node.path), {"rule": rule})
        self._cluster_rules.append(rule.render())
