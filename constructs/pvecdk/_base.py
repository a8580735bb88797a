"""Base classes of what other constructs reference: the cluster and its nodes.

Storage, Ceph, guests, HA, backups and the policy take a cluster or a node; they import these bases, never
:mod:`pvecdk.cluster` or :mod:`pvecdk.node`, which sit on top and create their children through downward
imports. A base holds the validated props, the attributes read from them, and the cluster's model (nodes,
guests by VMID) that children join through public methods which check uniqueness.
"""

from __future__ import annotations

import ipaddress
import re
import weakref
import zoneinfo
from typing import Annotated, Any, ClassVar, TypeVar, cast

from pydantic import BeforeValidator, StrictInt, field_validator, model_validator

from pvecdk import _cdk
from pvecdk._fault import Fault
from pvecdk._model import ClusterModel, GuestModel, NodeModel
from pvecdk._validation import Props, as_sequence, raise_at, whole_number
from pvecdk._values import (
    KEYBOARDS,
    MAX_LINKS,
    AptRepository,
    Console,
    CorosyncLink,
    CrsMode,
    FencingMode,
    HaShutdownPolicy,
    MigrationType,
    NetworkRole,
    NextIdRange,
    PveVersion,
    QDevice,
    SshAccess,
    dns_server,
)
from pvecdk.errors import ConfigError, Problem
from pvecdk.provider import provider as pvecdk_provider

__all__ = ["ClusterBase", "NodeBase", "clusters_of_stack", "ensure_pvecdk_provider"]

_Part = TypeVar("_Part")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,14}$")
_MAC_PREFIX = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){0,2}$")


def _network(value: str | None, role: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if value is None:
        return None
    if "/" not in value:
        raise Fault(f"{value!r} has no prefix length", f"pass the network in CIDR notation, such as 10.0.0.0/24, "
                    f"for the {role} network")
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise Fault(f"{value!r} is not a network in CIDR notation ({exc})", f"pass the network address, "
                    f"such as 10.0.0.0/24, for the {role} network") from None



# A bandwidth limit may be a number token; PVE checks it once resolved.
_Bandwidth = Annotated[int, whole_number(1, None, "a bandwidth limit must be positive (KiB/s)",
                                         "leave it unset for no limit")]


class _ClusterProps(Props):
    name: str
    pve_version: PveVersion
    management_network: str
    cluster_network: str | None
    storage_network: str | None
    migration_network: str | None
    # One link given alone (not in a list) is refused as such, not iterated.
    links: Annotated[tuple[CorosyncLink, ...], BeforeValidator(as_sequence)] | None
    qdevice: QDevice | None
    migration_type: MigrationType
    ha_shutdown_policy: HaShutdownPolicy
    crs_mode: CrsMode | None
    fencing: FencingMode
    bandwidth_limit_migration_kibps: _Bandwidth | None
    bandwidth_limit_clone_kibps: _Bandwidth | None
    bandwidth_limit_move_kibps: _Bandwidth | None
    bandwidth_limit_restore_kibps: _Bandwidth | None
    bandwidth_limit_default_kibps: _Bandwidth | None
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
            raise Fault(f"{v!r} is not a valid cluster name", "use 1-15 letters, digits or '-', "
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
            raise Fault("no corosync link", "give at least one link, or leave links unset for one on the "
                        "cluster network")
        if len(v) > MAX_LINKS:
            raise Fault(f"corosync supports at most {MAX_LINKS} links (link0-link7), got {len(v)}", ""
                        "remove links")
        for link in v:
            if not 0 <= link.priority <= 255:
                raise Fault(f"link priority must be 0-255, got {link.priority}", "pick a priority in 0-255")
        networks = [link.network for link in v]
        if len(set(networks)) != len(networks):
            raise Fault("two corosync links on the same network add no redundancy", "put each link on "
                        "its own network")
        return v

    @field_validator("mac_prefix")
    @classmethod
    def _mac(cls, v: str | None) -> str | None:
        if v is not None and not _MAC_PREFIX.match(v):
            raise Fault(f"{v!r} is not a MAC prefix", "give one to three hex octets, such as BC:24:11")
        if v is not None and int(v[:2], 16) & 1:
            raise Fault(f"{v} is a multicast prefix: no guest can have such an address", "clear the lowest bit of "
                        "the first octet, such as BC:24:11 (PVE's default)")
        return v

    @field_validator("keyboard")
    @classmethod
    def _keyboard(cls, v: str | None) -> str | None:
        if v is not None and v not in KEYBOARDS:
            raise Fault(f"{v!r} is not a keyboard layout PVE offers", f"pick one of {', '.join(KEYBOARDS)}")
        return v

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise Fault(f"{v!r} is not a time zone", "give an IANA name such as Europe/Berlin or UTC") from None
        return v

    @field_validator("qdevice")
    @classmethod
    def _qdevice(cls, v: QDevice | None) -> QDevice | None:
        if v is None:
            return v
        address = v.address
        if not isinstance(address, str):
            raise Fault(f"QDevice address {address!r} is not a string", "give the qnetd host's IP address")
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise Fault(f"QDevice address {address!r} is not an IP address", "give the qnetd host's IP address, "
                        "such as 192.168.1.5") from None
        if ip.is_unspecified or ip.is_multicast or ip.is_loopback:
            raise Fault(f"QDevice address {address} is not a host's address", "give the qnetd host's own address")
        return v

    @field_validator("next_id")
    @classmethod
    def _next_id(cls, v: NextIdRange | None) -> NextIdRange | None:
        if v is not None and not (100 <= v.lower < v.upper <= 999_999_999):
            raise Fault(f"next id range {v.lower}-{v.upper} is not within 100-999999999 with lower < upper", ""
                        "pick a range such as 100-999999")
        return v

    @field_validator("dns_servers")
    @classmethod
    def _dns(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for server in v:
            dns_server(server)
        if len(v) > 3:
            raise Fault(f"PVE takes at most 3 DNS servers, got {len(v)}", "keep three")
        return v

    @model_validator(mode="after")
    def _cross(self) -> _ClusterProps:
        roles = {NetworkRole.MANAGEMENT: self.management_network, NetworkRole.CLUSTER: self.cluster_network,
                 NetworkRole.STORAGE: self.storage_network, NetworkRole.MIGRATION: self.migration_network}
        for link in self.links or ():
            if roles[link.network] is None:
                raise Fault(f"link on the {link.network} network, which the cluster does not define", f""
                            f"set {link.network}_network or put the link on another network")
        if self.management_gateway is not None:
            gateway = ipaddress.ip_address(self.management_gateway)
            network = _network(self.management_network, "management")
            if network is not None and gateway not in network:
                raise Fault(f"management gateway {gateway} is outside {network}", "give a gateway inside the "
                            "management network")
        return self


def ensure_pvecdk_provider(scope: _cdk.Construct) -> None:
    """Add the ``pvecdk`` provider block to the stack unless it has one (it reads PROXMOX_VE_* then).

    Every guest asks: the answer is kept per stack, so the stack's children are listed (a jsii call that returns
    every one of them) once, not once per guest.
    """
    stack = _cdk.TerraformStack.of(scope)
    if stack in _PROVIDED:
        return
    if not any(isinstance(c, pvecdk_provider.PvecdkProvider) for c in stack.node.children):
        pvecdk_provider.PvecdkProvider(stack, "pvecdk")
    _PROVIDED[stack] = True


_PROVIDED: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


# The clusters of each stack, as they are built: storage finds its stack's one cluster here rather than by
# walking the whole construct tree (a jsii call that returns every construct) once per storage.
_BY_STACK: weakref.WeakKeyDictionary[Any, list[ClusterBase]] = weakref.WeakKeyDictionary()


def clusters_of_stack(stack: Any) -> list[ClusterBase]:
    """The clusters built so far in ``stack``, in the order they were built."""
    return list(_BY_STACK.get(stack, ()))


def url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_IFACE = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,14}$")
MAX_NODE_ID = 2**32 - 1
_HOST_KEY = re.compile(r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,2}( .*)?$")


class _NodeProps(Props):
    name: str
    node_id: StrictInt
    votes: StrictInt
    management_address: str
    management_interface: str
    cluster_address: str | None
    storage_address: str | None
    migration_address: str | None
    cluster_interface: str | None = None
    storage_interface: str | None = None
    migration_interface: str | None = None
    endpoint: str
    ssh: SshAccess | None = None

    @field_validator("ssh")
    @classmethod
    def _ssh(cls, v: SshAccess | None) -> SshAccess | None:
        if v is None:
            return v
        if v.address is not None and (not isinstance(v.address, str) or not v.address.strip()):
            raise Fault(f"SSH address {v.address!r} is not a host", "give the node's SSH host name or address, or "
                        "leave it unset for the management address")
        if not isinstance(v.port, int) or isinstance(v.port, bool) or not 1 <= v.port <= 65535:
            raise Fault(f"SSH port {v.port!r} is not a TCP port", "give 1-65535 (22 by default)")
        if v.host_key is not None and not (isinstance(v.host_key, str) and _HOST_KEY.match(v.host_key)):
            raise Fault(f"SSH host key {v.host_key!r} is not a public key line", "give the contents of the "
                        "node's /etc/ssh/ssh_host_ed25519_key.pub (ssh-ed25519 AAAA...)")
        return v

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        if not re.match(r"^https://[^/\s]+(:\d+)?/?$", v):
            raise Fault(f"{v!r} is not an API endpoint", "give https://<host>:8006")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if "." in v and all(_HOSTNAME.match(part) for part in v.split(".")):
            raise Fault(f"{v!r} is a domain name, not a host name", f"give the short name "
                        f"({v.split('.')[0]}) and set search_domain on the cluster")
        if not _HOSTNAME.match(v):
            raise Fault(f"{v!r} is not a valid host name", "use one DNS label: letters, digits and '-', "
                        "not starting or ending with '-', at most 63 characters, no dots")
        return v

    @field_validator("node_id")
    @classmethod
    def _node_id(cls, v: int) -> int:
        if not 1 <= v <= MAX_NODE_ID:
            raise Fault(f"node id must be 1 or more, got {v}", "number nodes from 1")
        return v

    @field_validator("votes")
    @classmethod
    def _votes(cls, v: int) -> int:
        if not 0 <= v <= 255:
            raise Fault(f"votes must be 0-255, got {v}", "give each node 1 vote unless you have a reason")
        return v

    @field_validator("management_interface")
    @classmethod
    def _iface(cls, v: str) -> str:
        if not _IFACE.match(v):
            raise Fault(f"{v!r} is not an interface name", "give the NIC or bond vmbr0 bridges, such as eno1")
        return v

    @field_validator("cluster_interface", "storage_interface", "migration_interface")
    @classmethod
    def _existing(cls, v: str | None) -> str | None:
        if v is not None and not _IFACE.match(v):
            raise Fault(f"{v!r} is not an interface name", "give the name of the interface that carries the "
                        "address, such as eno2 or bond0")
        return v

    @model_validator(mode="after")
    def _interface_needs_address(self) -> _NodeProps:
        raise_at([(f"{role}_interface", f"{role}_interface without {role}_address", f"give {role}_address=..., "
                   f"or leave {role}_interface unset") for role in ("cluster", "storage", "migration")
                  if getattr(self, f"{role}_interface") is not None and getattr(self, f"{role}_address") is None])
        return self

    def existing_interfaces(self) -> dict[NetworkRole, str]:
        """The interfaces named as existing, by the role whose address they carry."""
        return {role: name for role in (NetworkRole.CLUSTER, NetworkRole.STORAGE, NetworkRole.MIGRATION)
                if (name := getattr(self, f"{role.value}_interface")) is not None}

    @field_validator("management_address", "cluster_address", "storage_address", "migration_address")
    @classmethod
    def _address(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                ipaddress.ip_address(v)
            except ValueError:
                raise Fault(f"{v!r} is not an IP address", "give the node's address without a prefix "
                            "length, such as 10.0.0.11") from None
        return v



class ClusterBase(_cdk.Construct):
    """What every construct may know of a cluster: its props, networks, links, nodes and guests.

    :class:`pvecdk.cluster.Cluster` owns a cluster: it creates the L1 resources and the children.
    :class:`pvecdk.platform.Platform` refers to one that another stack owns, and creates nothing of it.
    """

    Props = _ClusterProps
    props: _ClusterProps
    #: What every other resource of the cluster waits for: an owned cluster's ``pvecdk_cluster`` resource (its
    #: membership), or what a referenced cluster reads of the cluster in its own stack.
    membership: _cdk.ITerraformDependable
    #: The bpg/proxmox and pvecdk/pvecdk configurations the cluster's resources use; None: the stack's default.
    provider: Any = None
    pvecdk_provider: Any = None

    def __init__(self, scope: _cdk.Construct, id: str, props: _ClusterProps) -> None:
        super().__init__(scope, id)
        self.props = props
        _BY_STACK.setdefault(_cdk.TerraformStack.of(self), []).append(self)
        self._nodes: list[NodeBase] = []
        self._guests: dict[int, Any] = {}  # VMID -> guest, joined through join_guest
        self._hosts_entries: tuple[int, list[dict[str, Any]]] | None = None
        self._parts: dict[type, Any] = {}  # class -> the cluster's one construct of it (Ha, Ceph)
        #: What the rules that span constructs read (:mod:`pvecdk.policy`); the children join it.
        # The QDevice's vote counts once the cluster sets it up (a pvecdk_qdevice resource): see Cluster.
        self.model = ClusterModel(lambda: str(self.node.path), name=props.name, qdevice=False,
                                  cluster_network=self.cluster_network, migration_network=self.migration_network)

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
    def nodes(self) -> tuple[NodeBase, ...]:
        return tuple(self._nodes)

    def ssh_entries(self) -> dict[str, dict[str, object]]:
        """Every node's SSH access, by name: the ``node`` map of the resources that act over SSH (QDevice,
        corosync links, Ceph's packages, the HA watchdog)."""
        return {n.name: n.ssh_entry() for n in self._nodes}

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
    def guests(self) -> tuple[Any, ...]:
        """The VMs and containers defined on the cluster's nodes, in the order defined."""
        return tuple(self._guests.values())

    def guest(self, vm_id: int) -> Any | None:
        """The guest with VMID ``vm_id``, or None."""
        return self._guests.get(vm_id)

    # -- joining the model (the children call these; nothing outside writes the cluster's fields)

    def join_node(self, node: NodeBase) -> None:
        """Add ``node`` to the cluster (its uniqueness was checked by :meth:`check_new_node`)."""
        self.model.add_node(NodeModel(
            node.name, node.node_id, node.votes, dict(node.addresses), where=lambda: str(node.node.path),
            interfaces={} if node.manages_network else None, existing=node.props.existing_interfaces()))
        self._nodes.append(node)

    def join_guest(self, guest: Any, model: GuestModel) -> None:
        """Add ``guest``, described by ``model``; a VMID another guest has is a ConfigError (guests check it
        first, with their other props, so this only guards the model)."""
        self.model.add_guest(model)
        self._guests[model.vm_id] = guest

    def hosts_entries(self) -> list[dict[str, Any]]:
        """The ``/etc/hosts`` entries every node gets: localhost and every node on the cluster network (link0's
        network when the cluster has none). Built once per node count, so synthesis stays linear in nodes."""
        cached = self._hosts_entries
        if cached is not None and cached[0] == len(self._nodes):
            return cached[1]
        role = NetworkRole.CLUSTER if self.cluster_network else self.links[0].network
        domain = self.props.search_domain
        entries: list[dict[str, Any]] = [
            {"address": "127.0.0.1", "hostnames": ["localhost.localdomain", "localhost"]}]
        entries += [{"address": n.addresses[role], "hostnames": [f"{n.name}.{domain}", n.name]}
                    for n in sorted(self._nodes, key=lambda n: n.node_id)]
        self._hosts_entries = (len(self._nodes), entries)
        return entries

    def attach(self, part: Any) -> None:
        """Record ``part`` as the cluster's one construct of its class (its HA, its Ceph)."""
        if type(part) in self._parts:
            raise ValueError(f"cluster {self.name} has a {type(part).__name__} already")
        self._parts[type(part)] = part

    def part(self, kind: type[_Part]) -> _Part | None:
        """The cluster's construct of class ``kind`` (attached by its constructor), or None."""
        return cast("_Part | None", self._parts.get(kind))

    def free_node_id(self) -> int:
        """The lowest node id no node has."""
        return self.model.free_node_id()

    def check_new_node(self, path: str, name: str, node_id: int, addresses: dict[NetworkRole, str]) -> None:
        """Uniqueness against the nodes already added (raised by Node before it enters the tree)."""
        self.model.check_new_node(path, name, node_id, addresses)


class NodeBase(_cdk.Construct):
    """What every construct may know of a node: its cluster, name, id, votes, addresses and bridges.

    :class:`pvecdk.node.Node` owns a node and creates its L1 resources; a node of a
    :class:`pvecdk.platform.Platform` is referenced and creates none.
    """

    Props = _NodeProps
    props: _NodeProps
    #: Whether this stack creates the node's interfaces (an owned node), so its role addresses are checked.
    manages_network: ClassVar[bool] = False

    def __init__(self, scope: ClusterBase, id: str, *, cluster: ClusterBase, props: _NodeProps,
                 addresses: dict[NetworkRole, str]) -> None:
        super().__init__(scope, id)
        self.props = props
        self.cluster = cluster
        self.addresses: dict[NetworkRole, str] = addresses
        self._bridges: dict[str, Any] = {}
        cluster.join_node(self)

    @staticmethod
    def check_addresses(cluster: ClusterBase, path: str, addresses: dict[NetworkRole, str]) -> None:
        problems = []
        for role, address in addresses.items():
            network = cluster.network(role)
            field = f"{role.value}_address"
            if network is None:
                problems.append(Problem(path, field, f"the cluster has no {role.value} network",
                                        f"set {role.value}_network on the cluster, or leave {field} unset"))
            elif ipaddress.ip_address(address) not in network:
                problems.append(Problem(path, field, f"{address} is outside the {role.value} network {network}",
                                        f"give an address inside {network}"))
            elif ipaddress.ip_address(address) in (network.network_address, network.broadcast_address):
                problems.append(Problem(path, field, f"{address} is the network's own or broadcast address",
                                        f"give a host address inside {network}"))
        for i, link in enumerate(cluster.links):
            if link.network not in addresses:
                problems.append(Problem(path, f"{link.network.value}_address",
                                        f"corosync link{i} runs on the {link.network.value} network, but the node "
                                        "has no address there",
                                        f"give {link.network.value}_address=..."))
        if problems:
            raise ConfigError(problems)

    # -- attributes

    @property
    def name(self) -> str:
        return self.props.name

    @property
    def node_name(self) -> str:
        """The node's name as PVE and the provider know it."""
        return self.props.name

    @property
    def endpoint(self) -> str:
        """The node's API URL."""
        return self.props.endpoint

    @property
    def node_id(self) -> int:
        return self.props.node_id

    @property
    def ssh(self) -> SshAccess:
        """Where the engine reaches the node's SSH server (the management address on port 22 by default)."""
        given = self.props.ssh or SshAccess()
        return SshAccess(address=given.address or self.props.management_address, port=given.port,
                         host_key=given.host_key)

    def ssh_entry(self) -> dict[str, object]:
        """The node's entry in the ``node`` map of the command-line resources (QDevice, Ceph packages)."""
        ssh = self.ssh
        entry: dict[str, object] = {"endpoint": self.endpoint, "ssh_address": ssh.address}
        if ssh.port != 22:
            entry["ssh_port"] = ssh.port
        if ssh.host_key is not None:
            entry["host_key"] = ssh.host_key
        return entry

    @property
    def votes(self) -> int:
        return self.props.votes

    def link_address(self, link: int) -> str:
        """The node's address on corosync link ``link``."""
        return self.addresses[self.cluster.links[link].network]

    @property
    def bridges(self) -> tuple[str, ...]:
        """The names of the bridges defined on the node (vmbr0 first)."""
        return tuple(self._bridges)

    def has_bridge(self, name: str) -> bool:
        """Tell whether the node defines bridge ``name``."""
        return name in self._bridges

    def join_bridge(self, name: str, bridge: Any) -> None:
        """Record bridge ``name`` (its L1 resource ``bridge``) of this node, in the cluster's model too."""
        self.cluster.model.add_bridge(self.name, name)
        self._bridges[name] = bridge
