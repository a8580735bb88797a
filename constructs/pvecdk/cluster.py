"""The cluster: its networks, corosync links, quorum device, options and nodes.

``Cluster`` is the root of the model. It owns the cluster-wide options (``proxmox_cluster_options``), the
cluster firewall (:mod:`pvecdk.firewall`) and HA (:mod:`pvecdk.ha`), and creates its nodes through
:meth:`Cluster.add_node`. Rules that span nodes (unique ids and addresses) are checked when a node is added;
quorum rules, which need the whole cluster, are checked before synthesis (:mod:`pvecdk.policy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from pvecdk import _cdk, _providers, policy
from pvecdk._base import ClusterBase, ensure_pvecdk_provider
from pvecdk._validation import check_props, construct_path
from pvecdk._values import (
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
)
from pvecdk.bpg import cluster_options
from pvecdk.bpg import provider as bpg_provider
from pvecdk.ceph import Ceph, enable
from pvecdk.firewall import ClusterFirewall
from pvecdk.ha import Ha
from pvecdk.node import Node
from pvecdk.provider import cluster as membership_l1
from pvecdk.provider import corosync_links as corosync_links_l1
from pvecdk.provider import qdevice as qdevice_l1

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
    "SshAccess",
]

class Cluster(ClusterBase):
    """A Proxmox VE cluster: networks, corosync links, quorum device, options and nodes.

    Manages ``proxmox_cluster_options`` and, through its children, the nodes' configuration, the cluster
    firewall and HA. Example::

        cluster = Cluster(stack, "Cluster", name="prod", management_network="192.168.1.0/24",
                          cluster_network="10.0.0.0/24")
        cluster.add_node("pve1", node_id=1, management_address="192.168.1.11", cluster_address="10.0.0.11",
                         management_interface="eno1")
    """

    #: The ``pvecdk_cluster`` resource (membership); what every other resource of the cluster waits for.
    membership: membership_l1.Cluster

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
        provider: bpg_provider.ProxmoxProvider | None = None,
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
                Changing them once the cluster is formed needs :meth:`manage_links`.
            qdevice: An external vote, set up by the engine over SSH (``pvecm qdevice setup``) on a member once
                the cluster is formed, removed before a node joins or leaves and set up again after. Its vote
                counts in the quorum rules because the model sets it up. Only on an even number of nodes: on an
                odd number the policy refuses it, as ``pvecm qdevice setup`` does. Defaults to none.
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
            provider: The bpg/proxmox configuration (with an ``alias``) of this cluster's API, for a stack that
                holds several clusters: every resource of the cluster uses it, and a pvecdk/pvecdk configuration
                with the same alias, endpoint and credentials is derived from it. Defaults to the stack's default
                configurations (no alias), which one cluster per stack needs; two clusters of a stack cannot
                share a configuration.
        """
        path = construct_path(scope, id)
        props = check_props(ClusterBase.Props, path, dict(
            name=name, pve_version=pve_version, management_network=management_network,
            cluster_network=cluster_network, storage_network=storage_network, migration_network=migration_network,
            links=links, qdevice=qdevice, migration_type=migration_type,
            ha_shutdown_policy=ha_shutdown_policy, crs_mode=crs_mode, fencing=fencing,
            bandwidth_limit_migration_kibps=bandwidth_limit_migration_kibps,
            bandwidth_limit_clone_kibps=bandwidth_limit_clone_kibps,
            bandwidth_limit_move_kibps=bandwidth_limit_move_kibps,
            bandwidth_limit_restore_kibps=bandwidth_limit_restore_kibps,
            bandwidth_limit_default_kibps=bandwidth_limit_default_kibps, console=console, keyboard=keyboard,
            mac_prefix=mac_prefix, next_id=next_id, dns_servers=dns_servers, search_domain=search_domain,
            time_zone=time_zone, management_gateway=management_gateway, apt_repository=apt_repository,
            firewall=firewall,
        ))
        _providers.check_provider(scope, path, name, provider)
        super().__init__(scope, id, props)
        self.provider = provider
        self.pvecdk_provider = _providers.derive_pvecdk_provider(self, provider)
        if self.pvecdk_provider is None:
            ensure_pvecdk_provider(self)
        p = props
        # Membership (create, join, remove) goes through our own provider; everything else that needs the
        # cluster waits for it. Terraform cannot dissolve a cluster, so destroying it is refused by default.
        self.membership = membership_l1.Cluster(
            self, "Membership", name=p.name, fencing=p.fencing.value, pve_version=p.pve_version.value,
            link=[{"priority": link.priority} for link in self.links], member={},
            qdevice=p.qdevice.address if p.qdevice else None,
            lifecycle=_cdk.TerraformResourceLifecycle(prevent_destroy=True),
        )
        self.membership.render_late(self._render_members)
        #: The ``pvecdk_qdevice`` resource that sets the QDevice up (None without one).
        self.qdevice_resource: qdevice_l1.Qdevice | None = None
        if p.qdevice is not None:
            # After the membership: Terraform then removes it before a join or removal and sets it up after.
            self.qdevice_resource = qdevice_l1.Qdevice(
                self, "QDevice", cluster_name=p.name, host=p.qdevice.address, node_attribute={},
                depends_on=[self.membership])
            self.qdevice_resource.render_late(self._render_qdevice_nodes)
            self.model.qdevice = True  # a vote the model sets up is a vote the rules may count
        #: The ``pvecdk_corosync_links`` resource (None until :meth:`manage_links`).
        self.links_resource: corosync_links_l1.CorosyncLinks | None = None
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
        if p.firewall:
            self._firewall = ClusterFirewall(self, "Firewall", cluster=self)
        policy.register(self)

    # -- attributes

    @property
    def nodes(self) -> tuple[Node, ...]:
        """The nodes, in the order added."""
        return cast(tuple[Node, ...], super().nodes)

    def manage_links(self) -> corosync_links_l1.CorosyncLinks:
        """Let a change of the corosync links reach the formed cluster: a link added to or removed from
        ``links``, a link's priority, or a node's address on a link's network.

        PVE's API sets a node's links only when it joins; a formed cluster's links change in
        ``/etc/pve/corosync.conf``. This adds a ``pvecdk_corosync_links`` that edits that file over SSH on a
        member (each node's ``ssh``), as PVE documents: written only when it differs, ``config_version`` bumped,
        refused while the cluster has no quorum or a member is offline, or when the change would leave no link
        or change every link at once (add the new link first, remove the old one in a later apply); the apply
        then waits until the cluster shows the links and is quorate. Without this call such a change is refused
        at plan time. A links change and a join or removal are refused together: apply one, then the other.
        Calling it again returns the same resource.

        Returns:
            The ``pvecdk_corosync_links`` resource.
        """
        if self.links_resource is not None:
            return self.links_resource
        # A link on a new network needs corosync's ports open there before corosync is told to use it.
        firewall = [self._firewall.pve_group.resource, self._firewall.rules] if self._firewall else []
        resource = corosync_links_l1.CorosyncLinks(
            self, "CorosyncLinks", cluster_name=self.name, addresses={}, node_attribute={},
            link_priorities=[link.priority for link in self.links], depends_on=[self.membership, *firewall])
        resource.render_late(self._render_links)
        self.membership.links_managed = True
        self.links_resource = resource
        return resource

    def _render_links(self) -> None:
        """Every node's SSH access and link addresses, for pvecdk_corosync_links (rendered at synthesis)."""
        assert self.links_resource is not None
        self.links_resource.put_node_attribute(self.ssh_entries())
        self.links_resource.addresses = {n.name: [n.link_address(i) for i in range(len(self.links))]
                                         for n in self._nodes}

    @property
    def firewall(self) -> ClusterFirewall | None:
        """The cluster firewall (None when the cluster was defined with ``firewall=False``)."""
        return self._firewall

    @property
    def ha(self) -> Ha:
        """HA services of this cluster (created on first use)."""
        return Ha.of(self)

    # -- Ceph

    @property
    def ceph(self) -> Ceph | None:
        """Ceph on this cluster (None until :meth:`enable_ceph`)."""
        return self.part(Ceph)

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
        return enable(self, public_network=public_network, cluster_network=cluster_network, monitors=monitors,
                      managers=managers)

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
        cluster_interface: str | None = None,
        storage_interface: str | None = None,
        migration_interface: str | None = None,
        ssh: SshAccess | None = None,
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
            cluster_interface: An interface that exists already on the node (set up outside this model) and
                carries ``cluster_address``, such as ``eno2``. Defaults to none: a bridge, bond or VLAN added to
                the node with ``address=<cluster_address>/<prefix>`` must carry it. Likewise
                ``storage_interface`` and ``migration_interface``.
            ssh: How the engine reaches its SSH server for command-line steps (QDevice, Ceph packages,
                corosync links).
                Defaults to the management address on port 22, the host key pinned on first contact.

        Returns:
            The node.
        """
        return Node(
            self, name, cluster=self, name=name, node_id=node_id if node_id is not None else self.free_node_id(),
            votes=votes, management_address=management_address, management_interface=management_interface,
            cluster_address=cluster_address, storage_address=storage_address, migration_address=migration_address,
            endpoint=endpoint, cluster_interface=cluster_interface, storage_interface=storage_interface,
            migration_interface=migration_interface,
            ssh=ssh,
        )

    def _render_members(self) -> None:
        """Every node's membership, by node id (rendered at synthesis)."""
        self.membership.put_member({
            n.name: {"node_id": n.node_id, "votes": n.votes, "endpoint": n.endpoint,
                     "addresses": [n.link_address(i) for i in range(len(self.links))]}
            for n in sorted(self._nodes, key=lambda n: n.node_id)
        })

    def _render_qdevice_nodes(self) -> None:
        """Every member's SSH access, for the QDevice (rendered at synthesis)."""
        assert self.qdevice_resource is not None
        self.qdevice_resource.put_node_attribute(self.ssh_entries())

    # -- quorum figures

    def summary(self) -> str:
        """Votes, quorum and how many node failures the cluster survives, as printed by ``make synth``."""
        q = policy.quorum(self)
        qdev = " + QDevice" if self.qdevice else ""
        links = ", ".join(f"link{i} {link.network.value}" for i, link in enumerate(self.links))
        return (f"cluster {self.name} (PVE {self.pve_version.value}): {len(self._nodes)} nodes{qdev}, "
                f"{q.votes} votes, quorum {q.quorum}, survives {q.tolerated_failures} node "
                f"failure{'s' if q.tolerated_failures != 1 else ''}; {links}")

