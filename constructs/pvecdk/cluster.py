"""The cluster: its networks, corosync links, quorum device, options and nodes.

``Cluster`` is the root of the model. It owns the cluster-wide options (``proxmox_cluster_options``), the
cluster firewall (:mod:`pvecdk.firewall`) and HA (:mod:`pvecdk.ha`), and creates its nodes through
:meth:`Cluster.add_node`. Rules that span nodes (unique ids and addresses) are checked when a node is added;
quorum rules, which need the whole cluster, are checked before synthesis (:mod:`pvecdk.policy`).
"""

from __future__ import annotations

import enum
import ipaddress
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import field_validator, model_validator

from pvecdk import _cdk
from pvecdk._validation import Props, check_props, construct_path
from pvecdk.bpg import cluster_options
from pvecdk.errors import ConfigError, Problem
from pvecdk.provider import cluster as membership_l1
from pvecdk.provider import provider as pvecdk_provider

if TYPE_CHECKING:
    from pvecdk.ceph import Ceph
    from pvecdk.firewall import ClusterFirewall
    from pvecdk.guests import Guest
    from pvecdk.ha import Ha
    from pvecdk.node import Node

__all__ = [
    "AptRepository",
    "Cluster",
    "Console",
    "CorosyncLink",
    "CrsMode",
    "FencingMode",
    "HaShutdownPolicy",
    "MigrationType",
    "NetworkRole",
    "NextIdRange",
    "PveVersion",
    "QDevice",
]

MAX_LINKS = 8


class PveVersion(enum.StrEnum):
    """The Proxmox VE release a cluster runs."""

    V8_4 = "8.4"
    V9_0 = "9.0"
    V9_1 = "9.1"

    @property
    def major(self) -> int:
        return int(self.value.split(".")[0])


class NetworkRole(enum.StrEnum):
    """What a network carries."""

    MANAGEMENT = "management"  # web UI, API, SSH
    CLUSTER = "cluster"  # corosync
    STORAGE = "storage"  # Ceph, NFS, iSCSI
    MIGRATION = "migration"  # live migration traffic


class MigrationType(enum.StrEnum):
    SECURE = "secure"  # through SSH
    INSECURE = "insecure"  # plain TCP on 60000-60050; only on a trusted, dedicated network


class HaShutdownPolicy(enum.StrEnum):
    CONDITIONAL = "conditional"
    FREEZE = "freeze"
    FAILOVER = "failover"
    MIGRATE = "migrate"


class CrsMode(enum.StrEnum):
    """How the cluster resource scheduler picks a node for an HA service."""

    BASIC = "basic"
    STATIC = "static"


class FencingMode(enum.StrEnum):
    """How a node that lost quorum is fenced (applied by the engine: no provider attribute)."""

    WATCHDOG = "watchdog"
    HARDWARE = "hardware"
    BOTH = "both"


class Console(enum.StrEnum):
    APPLET = "applet"
    VV = "vv"
    HTML5 = "html5"
    XTERMJS = "xtermjs"


class AptRepository(enum.StrEnum):
    """The Proxmox VE package repository the nodes use."""

    ENTERPRISE = "enterprise"
    NO_SUBSCRIPTION = "no-subscription"


@dataclass(frozen=True)
class CorosyncLink:
    """A corosync link (``link0`` .. ``link7``) on one of the cluster's networks.

    Args:
        network: The network it runs on; every node needs an address there.
        priority: Higher is preferred when corosync runs in passive mode (0-255). Defaults to 0.
    """

    network: NetworkRole
    priority: int = 0


@dataclass(frozen=True)
class QDevice:
    """An external vote (corosync-qnetd) that breaks ties in even-sized clusters.

    Args:
        address: The qnetd host's address.
    """

    address: str


@dataclass(frozen=True)
class NextIdRange:
    """The range new guest ids are taken from (``next-id`` in datacenter.cfg)."""

    lower: int = 100
    upper: int = 1_000_000


_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,14}$")
_MAC_PREFIX = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){0,2}$")


def _network(value: str | None, role: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if value is None:
        return None
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a network in CIDR notation ({exc}); pass the network address, "
                         f"such as 10.0.0.0/24, for the {role} network") from None



def _dns_server(value: str) -> str:
    """A DNS server given by address, as PVE takes it (the cluster's nodes, a guest's cloud-init)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"DNS server {value!r} is not an IP address; give addresses, not names") from None
    return value


class _ClusterProps(Props):
    name: str
    pve_version: PveVersion
    management_network: str
    cluster_network: str | None
    storage_network: str | None
    migration_network: str | None
    links: tuple[CorosyncLink, ...] | None
    qdevice: QDevice | None
    migration_type: MigrationType
    ha_shutdown_policy: HaShutdownPolicy
    crs_mode: CrsMode | None
    fencing: FencingMode
    bandwidth_limit_migration_kibps: int | None
    bandwidth_limit_clone_kibps: int | None
    bandwidth_limit_move_kibps: int | None
    bandwidth_limit_restore_kibps: int | None
    bandwidth_limit_default_kibps: int | None
    console: Console | None
    keyboard: str | None
    mac_prefix: str | None
    next_id: NextIdRange | None
    dns_servers: tuple[str, ...]
    search_domain: str
    time_zone: str
    management_gateway: str | None
    apt_repository: AptRepository | None
    firewall: bool

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _CLUSTER_NAME.match(v):
            raise ValueError(f"{v!r} is not a valid cluster name; use 1-15 letters, digits or '-', "
                             "starting with a letter or digit")
        return v

    @field_validator("management_network", "cluster_network", "storage_network", "migration_network")
    @classmethod
    def _cidr(cls, v: str | None, info: Any) -> str | None:
        _network(v, info.field_name.removesuffix("_network"))
        return v

    @field_validator("links")
    @classmethod
    def _links(cls, v: tuple[CorosyncLink, ...] | None) -> tuple[CorosyncLink, ...] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("no corosync link; give at least one link, or leave links unset for one on the "
                             "cluster network")
        if len(v) > MAX_LINKS:
            raise ValueError(f"corosync supports at most {MAX_LINKS} links (link0-link7), got {len(v)}; "
                             "remove links")
        for link in v:
            if not 0 <= link.priority <= 255:
                raise ValueError(f"link priority must be 0-255, got {link.priority}; pick a priority in 0-255")
        networks = [link.network for link in v]
        if len(set(networks)) != len(networks):
            raise ValueError("two corosync links on the same network add no redundancy; put each link on "
                             "its own network")
        return v

    @field_validator("mac_prefix")
    @classmethod
    def _mac(cls, v: str | None) -> str | None:
        if v is not None and not _MAC_PREFIX.match(v):
            raise ValueError(f"{v!r} is not a MAC prefix; give one to three hex octets, such as BC:24:11")
        return v

    @field_validator("bandwidth_limit_migration_kibps", "bandwidth_limit_clone_kibps", "bandwidth_limit_move_kibps",
                     "bandwidth_limit_restore_kibps", "bandwidth_limit_default_kibps")
    @classmethod
    def _bandwidth(cls, v: int | None) -> int | None:
        if v is not None and v <= 0:
            raise ValueError(f"a bandwidth limit must be positive (KiB/s), got {v}; leave it unset for no limit")
        return v

    @field_validator("next_id")
    @classmethod
    def _next_id(cls, v: NextIdRange | None) -> NextIdRange | None:
        if v is not None and not (100 <= v.lower < v.upper <= 999_999_999):
            raise ValueError(f"next id range {v.lower}-{v.upper} is not within 100-999999999 with lower < upper; "
                             "pick a range such as 100-999999")
        return v

    @field_validator("dns_servers")
    @classmethod
    def _dns(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for server in v:
            _dns_server(server)
        if len(v) > 3:
            raise ValueError(f"PVE takes at most 3 DNS servers, got {len(v)}; keep three")
        return v

    @model_validator(mode="after")
    def _cross(self) -> _ClusterProps:
        roles = {NetworkRole.MANAGEMENT: self.management_network, NetworkRole.CLUSTER: self.cluster_network,
                 NetworkRole.STORAGE: self.storage_network, NetworkRole.MIGRATION: self.migration_network}
        for link in self.links or ():
            if roles[link.network] is None:
                raise ValueError(f"link on the {link.network} network, which the cluster does not define; "
                                 f"set {link.network}_network or put the link on another network")
        if self.management_gateway is not None:
            gateway = ipaddress.ip_address(self.management_gateway)
            network = _network(self.management_network, "management")
            if network is not None and gateway not in network:
                raise ValueError(f"management gateway {gateway} is outside {network}; give a gateway inside the "
                                 "management network")
        return self


def _ensure_pvecdk_provider(scope: _cdk.Construct) -> None:
    """Add the ``pvecdk`` provider block to the stack unless it has one (it reads PROXMOX_VE_* then)."""
    stack = _cdk.TerraformStack.of(scope)
    if not any(isinstance(c, pvecdk_provider.PvecdkProvider) for c in stack.node.children):
        pvecdk_provider.PvecdkProvider(stack, "pvecdk")


# The clusters of each stack, as they are built: storage finds its stack's one cluster here rather than by
# walking the whole construct tree (a jsii call that returns every construct) once per storage.
_BY_STACK: weakref.WeakKeyDictionary[Any, list[Cluster]] = weakref.WeakKeyDictionary()


def clusters_of_stack(stack: Any) -> list[Cluster]:
    """The clusters built so far in ``stack``, in the order they were built."""
    return list(_BY_STACK.get(stack, ()))


class Cluster(_cdk.Construct):
    """A Proxmox VE cluster: networks, corosync links, quorum device, options and nodes.

    Manages ``proxmox_cluster_options`` and, through its children, the nodes' configuration, the cluster
    firewall and HA. Example::

        cluster = Cluster(stack, "Cluster", name="prod", management_network="192.168.1.0/24",
                          cluster_network="10.0.0.0/24")
        cluster.add_node("pve1", node_id=1, management_address="192.168.1.11", cluster_address="10.0.0.11",
                         management_interface="eno1")
    """

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        name: str,
        management_network: str,
        pve_version: PveVersion | str = PveVersion.V9_1,
        cluster_network: str | None = None,
        storage_network: str | None = None,
        migration_network: str | None = None,
        links: Sequence[CorosyncLink] | None = None,
        qdevice: QDevice | None = None,
        migration_type: MigrationType = MigrationType.SECURE,
        ha_shutdown_policy: HaShutdownPolicy = HaShutdownPolicy.CONDITIONAL,
        crs_mode: CrsMode | None = None,
        fencing: FencingMode = FencingMode.WATCHDOG,
        bandwidth_limit_migration_kibps: int | None = None,
        bandwidth_limit_clone_kibps: int | None = None,
        bandwidth_limit_move_kibps: int | None = None,
        bandwidth_limit_restore_kibps: int | None = None,
        bandwidth_limit_default_kibps: int | None = None,
        console: Console | None = None,
        keyboard: str | None = None,
        mac_prefix: str | None = None,
        next_id: NextIdRange | None = None,
        dns_servers: Sequence[str] = (),
        search_domain: str = "localdomain",
        time_zone: str = "UTC",
        management_gateway: str | None = None,
        apt_repository: AptRepository | None = None,
        firewall: bool = True,
    ) -> None:
        """Define the cluster.

        Args:
            scope: The stack (or construct) it belongs to.
            id: Construct id; stable.
            name: Cluster name (corosync ``cluster_name``): 1-15 letters, digits or '-'.
            management_network: CIDR of the management network (web UI, API, SSH); required.
            pve_version: The PVE release the cluster runs. Defaults to 9.1.
            cluster_network: CIDR of the corosync network. Defaults to none: corosync then shares the
                management network, which the policy warns about.
            storage_network: CIDR of the storage network (Ceph public network, NFS). Defaults to none.
            migration_network: CIDR for live migration. Defaults to the cluster network.
            links: Corosync links, link0 first. Defaults to one link on the cluster network (or management).
            qdevice: An external vote. Defaults to none.
            migration_type: ``secure`` (through SSH) by default.
            ha_shutdown_policy: What HA does with services when a node shuts down. Defaults to conditional.
            crs_mode: The HA resource scheduler. Defaults to PVE's (basic).
            fencing: How nodes are fenced; applied by the engine. Defaults to watchdog.
            bandwidth_limit_migration_kibps: Limit in KiB/s; likewise clone, move, restore, default.
                Defaults to no limit.
            console: Default console viewer. Defaults to PVE's.
            keyboard: Default keyboard layout for VNC (``en-us``, ``de``...). Defaults to PVE's.
            mac_prefix: Prefix for generated MAC addresses. Defaults to PVE's (BC:24:11).
            next_id: Range for new guest ids. Defaults to PVE's (100 up).
            dns_servers: Up to three DNS servers for every node. Defaults to none (DNS left as installed).
            search_domain: DNS search domain and the domain of the nodes' names. Defaults to ``localdomain``.
            time_zone: Every node's time zone. Defaults to UTC.
            management_gateway: Default gateway of the management bridge. Defaults to none.
            apt_repository: The PVE repository every node uses. Defaults to none (left as installed).
            firewall: Turn on the cluster firewall with the rules PVE needs. Defaults to on.
        """
        path = construct_path(scope, id)
        self.props = check_props(_ClusterProps, path, dict(
            name=name, pve_version=pve_version, management_network=management_network,
            cluster_network=cluster_network, storage_network=storage_network, migration_network=migration_network,
            links=tuple(links) if links is not None else None, qdevice=qdevice, migration_type=migration_type,
            ha_shutdown_policy=ha_shutdown_policy, crs_mode=crs_mode, fencing=fencing,
            bandwidth_limit_migration_kibps=bandwidth_limit_migration_kibps,
            bandwidth_limit_clone_kibps=bandwidth_limit_clone_kibps,
            bandwidth_limit_move_kibps=bandwidth_limit_move_kibps,
            bandwidth_limit_restore_kibps=bandwidth_limit_restore_kibps,
            bandwidth_limit_default_kibps=bandwidth_limit_default_kibps, console=console, keyboard=keyboard,
            mac_prefix=mac_prefix, next_id=next_id, dns_servers=tuple(dns_servers), search_domain=search_domain,
            time_zone=time_zone, management_gateway=management_gateway, apt_repository=apt_repository,
            firewall=firewall,
        ))
        super().__init__(scope, id)
        _BY_STACK.setdefault(_cdk.TerraformStack.of(self), []).append(self)
        self._nodes: list[Node] = []
        p = self.props
        _ensure_pvecdk_provider(self)
        # Membership (create, join, remove) goes through our own provider; everything else that needs the
        # cluster waits for it. Terraform cannot dissolve a cluster, so destroying it is refused by default.
        self.membership = membership_l1.Cluster(
            self, "Membership", name=p.name, fencing=p.fencing.value, pve_version=p.pve_version.value,
            link=[{"priority": link.priority} for link in self.links], member={},
            lifecycle=_cdk.TerraformResourceLifecycle(prevent_destroy=True),
        )
        self.resource = cluster_options.ClusterOptions(
            self, "Resource", depends_on=[self.membership],
            migration_cidr=str(self.migration_network or self.cluster_network or self.management_network),
            migration_type=p.migration_type.value,
            ha_shutdown_policy=p.ha_shutdown_policy.value,
            crs_ha=p.crs_mode.value if p.crs_mode else None,
            bandwidth_limit_migration=p.bandwidth_limit_migration_kibps,
            bandwidth_limit_clone=p.bandwidth_limit_clone_kibps,
            bandwidth_limit_move=p.bandwidth_limit_move_kibps,
            bandwidth_limit_restore=p.bandwidth_limit_restore_kibps,
            bandwidth_limit_default=p.bandwidth_limit_default_kibps,
            console=p.console.value if p.console else None,
            keyboard=p.keyboard,
            mac_prefix=p.mac_prefix,
            next_id={"lower": p.next_id.lower, "upper": p.next_id.upper} if p.next_id else None,
        )
        self._firewall: ClusterFirewall | None = None
        self._ha: Ha | None = None
        self._guests: dict[int, Guest] = {}  # VMID -> guest, filled by the guests themselves
        self._ceph: Ceph | None = None
        if p.firewall:
            from pvecdk.firewall import ClusterFirewall

            self._firewall = ClusterFirewall(self, "Firewall", cluster=self)
        from pvecdk import policy

        policy.register(self)

    # -- attributes

    @property
    def name(self) -> str:
        return self.props.name

    @property
    def pve_version(self) -> PveVersion:
        return self.props.pve_version

    @property
    def fencing(self) -> FencingMode:
        """The fencing mode (applied by the engine: the provider has no attribute for it)."""
        return self.props.fencing

    @property
    def qdevice(self) -> QDevice | None:
        return self.props.qdevice

    @property
    def nodes(self) -> tuple[Node, ...]:
        return tuple(self._nodes)

    @property
    def links(self) -> tuple[CorosyncLink, ...]:
        """The corosync links, link0 first."""
        if self.props.links is not None:
            return self.props.links
        role = NetworkRole.CLUSTER if self.props.cluster_network else NetworkRole.MANAGEMENT
        return (CorosyncLink(role),)

    def network(self, role: NetworkRole) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        """The network with ``role``, or None when the cluster does not define it."""
        value = {NetworkRole.MANAGEMENT: self.props.management_network,
                 NetworkRole.CLUSTER: self.props.cluster_network,
                 NetworkRole.STORAGE: self.props.storage_network,
                 NetworkRole.MIGRATION: self.props.migration_network}[role]
        return _network(value, role.value)

    @property
    def management_network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        network = self.network(NetworkRole.MANAGEMENT)
        assert network is not None
        return network

    @property
    def cluster_network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        return self.network(NetworkRole.CLUSTER)

    @property
    def storage_network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        return self.network(NetworkRole.STORAGE)

    @property
    def migration_network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        return self.network(NetworkRole.MIGRATION)

    @property
    def defined_networks(self) -> dict[NetworkRole, ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return {role: net for role in NetworkRole if (net := self.network(role)) is not None}

    @property
    def firewall(self) -> ClusterFirewall | None:
        """The cluster firewall (None when the cluster was defined with ``firewall=False``)."""
        return self._firewall

    @property
    def guests(self) -> tuple[Guest, ...]:
        """The VMs and containers defined on the cluster's nodes, in the order defined."""
        return tuple(self._guests.values())

    @property
    def ha(self) -> Ha:
        """HA services of this cluster (created on first use)."""
        if self._ha is None:
            from pvecdk.ha import Ha

            self._ha = Ha(self, "Ha", cluster=self)
        return self._ha

    # -- Ceph

    @property
    def ceph(self) -> Ceph | None:
        """Ceph on this cluster (None until :meth:`enable_ceph`)."""
        return self._ceph

    def enable_ceph(
        self,
        *,
        public_network: NetworkRole | str | None = None,
        cluster_network: NetworkRole | str | None = None,
        monitors: Sequence[Node] | None = None,
        managers: Sequence[Node] | None = None,
    ) -> Ceph:
        """Initialise Ceph on the nodes, with monitors and managers; returns the :class:`~pvecdk.ceph.Ceph`.

        Args:
            public_network: Ceph's public network (clients, monitors): one of the cluster's networks
                (``NetworkRole.STORAGE``) or a CIDR. Defaults to the storage network.
            cluster_network: Ceph's replication network, as above. Defaults to the public network.
            monitors: Nodes to run monitors on (an odd number, three or more). Defaults to the first three.
            managers: Nodes to run managers on. Defaults to the monitor nodes.
        """
        from pvecdk.ceph import enable

        self._ceph = enable(self, public_network=public_network, cluster_network=cluster_network,
                            monitors=monitors, managers=managers)
        return self._ceph

    # -- nodes

    def add_node(
        self,
        name: str,
        *,
        management_address: str,
        management_interface: str,
        node_id: int | None = None,
        votes: int = 1,
        cluster_address: str | None = None,
        storage_address: str | None = None,
        migration_address: str | None = None,
        endpoint: str | None = None,
    ) -> Node:
        """Add a node: its corosync membership, and its configuration (DNS, hosts, time, vmbr0, firewall).

        Args:
            name: Host name (one DNS label: letters, digits, '-').
            management_address: Its address on the management network.
            management_interface: The physical interface (or bond) vmbr0 bridges, such as ``eno1``.
            node_id: Corosync node id (1 and up), unique. Defaults to the lowest free id.
            votes: Corosync votes. Defaults to 1.
            cluster_address: Its address on the cluster network (required when the cluster has one).
            storage_address: Its address on the storage network (required when the cluster has one).
            migration_address: Its address on the migration network (required when the cluster has one).
            endpoint: Its API URL, which the engine uses to create, join and read the cluster. Defaults to
                ``https://<management_address>:8006``.

        Returns:
            The node.
        """
        from pvecdk.node import Node

        node = Node(
            self, name, cluster=self, name=name, node_id=node_id if node_id is not None else self._free_id(),
            votes=votes, management_address=management_address, management_interface=management_interface,
            cluster_address=cluster_address, storage_address=storage_address, migration_address=migration_address,
            endpoint=endpoint,
        )
        self._nodes.append(node)
        for each in self._nodes:
            each._render_hosts()
        self._render_members()
        return node

    def _render_members(self) -> None:
        self.membership.put_member({
            n.name: {"node_id": n.node_id, "votes": n.votes, "endpoint": n.endpoint,
                     "addresses": [n.link_address(i) for i in range(len(self.links))]}
            for n in sorted(self._nodes, key=lambda n: n.node_id)
        })

    def _free_id(self) -> int:
        taken = {n.node_id for n in self._nodes}
        return next(i for i in range(1, len(taken) + 2) if i not in taken)

    def _check_new_node(self, path: str, name: str, node_id: int, addresses: dict[NetworkRole, str]) -> None:
        """Uniqueness against the nodes already added (raised by Node before it enters the tree)."""
        problems = []
        for other in self._nodes:
            if other.name == name:
                problems.append(Problem(path, "name", f"node name {name!r} is already used",
                                        "give every node its own name"))
            if other.node_id == node_id:
                problems.append(Problem(path, "node_id", f"node id {node_id} is already used by {other.name}",
                                        "give every node its own id, or leave node_id unset"))
            for role, address in addresses.items():
                if other.addresses.get(role) == address:
                    problems.append(Problem(path, f"{role.value}_address",
                                            f"address {address} is already used by {other.name}",
                                            "give every node its own address on each network"))
        if problems:
            raise ConfigError(problems)

    # -- quorum figures

    def summary(self) -> str:
        """Votes, quorum and how many node failures the cluster survives, as printed by ``make synth``."""
        from pvecdk.policy import quorum

        q = quorum(self)
        qdev = " + QDevice" if self.qdevice else ""
        links = ", ".join(f"link{i} {link.network.value}" for i, link in enumerate(self.links))
        return (f"cluster {self.name} (PVE {self.pve_version.value}): {len(self._nodes)} nodes{qdev}, "
                f"{q.votes} votes, quorum {q.quorum}, survives {q.tolerated_failures} node "
                f"failure{'s' if q.tolerated_failures != 1 else ''}; {links}")
