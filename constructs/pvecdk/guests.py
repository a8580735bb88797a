"""Guests: virtual machines (:class:`Vm`) and containers (:class:`Container`), and resource pools (:class:`Pool`).

A guest lives on a :class:`~pvecdk.node.Node` of a cluster; its disks are :class:`Disk` values on
:class:`~pvecdk.storage.Storage` constructs, its network interfaces :class:`NetworkInterface` values on a
bridge. ``ha=`` puts it under HA (:meth:`pvecdk.ha.Ha.protect`); :meth:`Guest.replicate_to` adds a storage
replication job (:class:`~pvecdk.replication.Replication`). A VM may be cloned from a
:class:`~pvecdk.templates.VmTemplate` (``clone=``), a container made from a downloaded template
(:class:`~pvecdk.images.DownloadedFile`).

Checked when the guest is defined: the VMID (100-999999999, unique in the cluster), the node (of the cluster
the guest is defined in), each disk's storage (holds ``images`` for a VM disk, ``rootdir`` for a container
volume; defined on the guest's node), the CPU type, tags, names and sizes. Checked before synthesis
(:mod:`pvecdk.policy`), because HA and replication may be added later: the CPU type is migratable (see
:class:`Vm`), and an HA guest's disks are on shared storage or replicated.

VMs use ``proxmox_virtual_environment_vm``: bpg/proxmox 0.111.1 marks ``proxmox_vm`` experimental (it has no
disks or network yet) and ``..._vm2`` deprecated. Containers use ``proxmox_virtual_environment_container``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pvecdk import _cdk
from pvecdk._base import NodeBase, ensure_pvecdk_provider
from pvecdk._guest import GuestBase
from pvecdk._guest_props import ContainerProps, VmProps, disk_slots
from pvecdk._guest_values import DEFAULT_CPU_TYPE, CloudInit, Disk, HaOptions, IpConfig, NetworkInterface, Pool
from pvecdk._validation import LazyPath, as_sequence, check_props
from pvecdk.bpg import virtual_environment_container, virtual_environment_vm
from pvecdk.errors import ConfigError
from pvecdk.ha import Ha, HaResource
from pvecdk.images import DownloadedFile
from pvecdk.provider import guest_placement
from pvecdk.replication import Replication
from pvecdk.storage import ContentType, Storage
from pvecdk.templates import Clone

__all__ = ["CloudInit", "Container", "Disk", "Guest", "IpConfig", "NetworkInterface", "Pool", "Vm"]


class Guest(GuestBase):
    """What VMs and containers share: node, VMID, disks, HA and replication.

    Not created directly: use :class:`Vm` or :class:`Container`.
    """

    def _protect(self, ha: bool | HaOptions | None) -> HaResource | None:
        if ha is None or ha is False:
            return None
        options = ha if isinstance(ha, HaOptions) else HaOptions()  # True: the props model let nothing else by
        return Ha.of(self.cluster).protect(self, **vars(options))  # its fields are protect's keyword arguments

    #: The ``pvecdk_guest_placement`` resource: the node the guest runs on, changed by migration.
    placement: guest_placement.GuestPlacement

    def _place(self, guest_type: str, *, timeout_seconds: int | None = None) -> None:
        """Add the guest's placement: a change of its node plans an update of it, which migrates the guest
        (the bpg resource ignores ``node_name``, so it is never replaced for it). Under HA it never migrates
        the guest: HA places it (see :meth:`pvecdk.ha.Ha.protect`'s ``prefer``)."""
        ensure_pvecdk_provider(self)
        self.placement = guest_placement.GuestPlacement(
            self, "Placement", vm_id=self.vm_id, type=guest_type, node_name=self.node_name,
            endpoints={self.node_name: self.guest_node.endpoint}, timeout_seconds=timeout_seconds,
            depends_on=[self.resource])
        self.placement.render_late(self._render_placement)

    def _render_placement(self) -> None:
        self.placement.endpoints = {n.name: n.endpoint for n in self.cluster.nodes}
        self.placement.ha_managed = True if self.under_ha else None
        if self.KIND == "ct":  # named in the re-adoption a moved container needs (a jsii call, so only then)
            self.placement.guest_address = f"{self.resource.TF_RESOURCE_TYPE}.{self.resource.friendly_unique_id}"

    @property
    def replications(self) -> tuple[Replication, ...]:
        """The replication jobs of this guest."""
        return tuple(self._replications)

    @property
    def under_ha(self) -> bool:
        """Whether the guest is under HA."""
        ha = self.cluster.part(Ha)
        return ha is not None and ha.is_protected(self)

    def replicate_to(self, target: NodeBase, *, schedule: str = "*/15", rate_limit_mbps: float | None = None,
                     enabled: bool = True, comment: str | None = None) -> Replication:
        """Replicate the guest's ZFS volumes to ``target`` (``proxmox_replication``); returns the job.

        See :class:`~pvecdk.replication.Replication` for the arguments and rules.
        """
        return Replication(self, f"Replication-{getattr(target, 'name', target)}", guest=self, target=target,
                           schedule=schedule, rate_limit_mbps=rate_limit_mbps, enabled=enabled, comment=comment)


def _network_init(ci: CloudInit) -> dict[str, Any]:
    """The ``initialization`` a VM and a container share: each interface's addresses and the DNS."""
    configs = []
    for ip in ci.ip_configs:
        config: dict[str, Any] = {}
        for family, address, gateway in (("ipv4", ip.ipv4, ip.ipv4_gateway), ("ipv6", ip.ipv6, ip.ipv6_gateway)):
            if address is not None:
                config[family] = {"address": address, **({"gateway": gateway} if gateway else {})}
        configs.append(config)
    out: dict[str, Any] = {"ip_config": configs}
    if ci.dns_servers or ci.search_domain:
        out["dns"] = {"servers": list(ci.dns_servers) or None, "domain": ci.search_domain}
    return out


class Vm(Guest):
    """A QEMU virtual machine (``proxmox_virtual_environment_vm``).

    CPU type and migration: ``x86-64-v2-AES`` (the default) and the other generic models run on any x86-64
    node, so the VM migrates anywhere. ``host`` and ``max`` pass the node's own CPU through and migrate only
    between identical CPUs, which the model cannot see: they are refused (before synthesis) when the VM is
    under HA or its cluster has more than one node, unless ``allow_host_cpu=True`` states that every node has
    the same CPU. Named models (``EPYC-Rome``, ``Skylake-Server``...) are accepted: they migrate between nodes
    that all have the model's features.

    Example::

        vm = Vm(stack, "web", node=pve1, vm_id=100, cores=2, memory_mib=4096,
                disks=[Disk(rbd, size_gib=32)], networks=[NetworkInterface(bridge="vmbr0")], ha=True)
    """

    KIND = "vm"
    _ROOT_CONTENT = ContentType.IMAGES

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        node: NodeBase,
        vm_id: int,
        name: str | None = None,
        clone: Clone | None = None,
        cpu_type: str = DEFAULT_CPU_TYPE,
        cores: int = 2,
        sockets: int = 1,
        memory_mib: int = 2048,
        balloon_mib: int | None = None,
        disks: Sequence[Disk] = (),
        networks: Sequence[NetworkInterface] = (NetworkInterface(),),
        cloud_init: CloudInit | None = None,
        boot_order: Sequence[str] | None = None,
        os_type: str = "l26",
        agent: bool = True,
        start_on_boot: bool = True,
        started: bool = True,
        tags: Sequence[str] = (),
        pool: Pool | None = None,
        protection: bool = False,
        ha: bool | HaOptions | None = None,
        migrate: bool = True,
        migration_timeout_seconds: int | None = None,
        allow_host_cpu: bool = False,
    ) -> None:
        """Define the VM.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable (renaming it replaces the VM).
            node: The node it runs on.
            vm_id: The VMID (100-999999999), unique in the cluster.
            name: Its name in PVE (a DNS name). Defaults to the construct id.
            clone: The template it is cloned from (:class:`~pvecdk.templates.Clone`): ``Clone.full(template)``
                or ``Clone.linked(template)``. It then has the template's disks besides ``disks``; a disk given
                for one of the template's slots (the first is scsi0) grows that disk. Defaults to none (a new VM).
            cpu_type: QEMU CPU model (``cpu.type``); see the class docstring for what migrates. Defaults to
                x86-64-v2-AES.
            cores: Cores per socket. Defaults to 2.
            sockets: CPU sockets. Defaults to 1.
            memory_mib: Memory in MiB (``memory.dedicated``). Defaults to 2048.
            balloon_mib: Minimum memory in MiB the balloon driver may shrink it to (``memory.floating``).
                Defaults to PVE's (ballooning off).
            disks: Its disks, each on a storage that holds images; ``interface`` defaults to scsi0, scsi1...
                Defaults to none (a VM that boots from the network or a CD-ROM, or a clone's template's disks).
            networks: Its network interfaces, net0 first. Defaults to one virtio interface on vmbr0 with the
                firewall on.
            cloud_init: Cloud-init settings (a cloud-init drive). Defaults to none.
            boot_order: Devices to boot from, in order (``scsi0``, ``net0``...). Defaults to PVE's.
            os_type: Guest OS type (``l26`` Linux, ``win11``...). Defaults to l26.
            agent: Turn on the QEMU guest agent (the guest must run it). Defaults to on.
            start_on_boot: Start the VM when its node boots (``on_boot``). Defaults to on.
            started: Keep the VM running. Defaults to on.
            tags: PVE tags. Defaults to none.
            pool: The resource pool it belongs to. Defaults to none.
            protection: Refuse removal of the VM and its disks in PVE. Defaults to off.
            ha: Put it under HA: ``True`` for :meth:`~pvecdk.ha.Ha.protect`'s defaults, or
                :class:`~pvecdk.ha.HaOptions`. Defaults to no HA.
            migrate: bpg's own ``migrate`` setting. A change of ``node`` always migrates the VM (online when
                it runs, its local disks along; each disk keeps its storage id, which the new node must have)
                through its ``pvecdk_guest_placement`` (:attr:`placement`), never re-creates it. Defaults to on.
            migration_timeout_seconds: How long a migration may take (``timeout_migrate``, and the placement's
                ``timeout_seconds``). Defaults to 1800 s.
            allow_host_cpu: Allow ``host``/``max`` CPU types on a cluster of several nodes or under HA: set it
                only when every node has the same CPU. Defaults to off.
        """
        path = LazyPath(scope, id)
        check_props(VmProps, path, dict(
            node=node, vm_id=vm_id, name=name or id, cores=cores, memory_mib=memory_mib,
            networks=as_sequence(networks), tags=as_sequence(tags), pool=pool, ha=ha, cpu_type=cpu_type,
            sockets=sockets, balloon_mib=balloon_mib, disks=as_sequence(disks), cloud_init=cloud_init,
            boot_order=as_sequence(boot_order) if boot_order is not None else None,
            migration_timeout_seconds=migration_timeout_seconds, cloned=clone is not None,
        ))
        disk_list = list(disks)
        nic_list = list(networks)
        self._check_placement(scope, path, node=node, vm_id=vm_id, disks=disk_list, networks=nic_list,
                              cloud_init_storage=cloud_init.storage if cloud_init is not None else None)
        interfaces = disk_slots(disk_list)
        if cloud_init is not None and (unseen := [p for f, s in cloud_init.snippets.items()
                                                  if (p := s.problem_on(node, path(), f"cloud_init.{f}"))]):
            raise ConfigError(unseen)
        if clone is not None:  # the template's disks join those given; whether the node reaches them is policy's
            disk_list, interfaces = clone.disks(path(), node, disk_list, interfaces)
        super().__init__(scope, id)
        self._cloud_init = cloud_init
        self._register(path, node=node, vm_id=vm_id, disks=disk_list, cpu_type=cpu_type,
                       allow_host_cpu=allow_host_cpu, networks=nic_list, clone=clone.model if clone else None)
        disk_blocks = [{"interface": iface, "datastore_id": d.storage.storage_id, "size": d.size_gib,
                        "ssd": d.ssd or None, "discard": "on" if d.discard else None,
                        "iothread": d.iothread or None, "cache": d.cache, "backup": d.backup,
                        "replicate": d.replicate} for iface, d in zip(interfaces, disk_list, strict=True)]
        self.resource = virtual_environment_vm.VirtualEnvironmentVm(
            self, "Resource", **self._common_attrs(tags=tags, pool=pool, started=started, protection=protection),
            name=name or id, cpu={"type": cpu_type, "cores": cores, "sockets": sockets},
            memory={"dedicated": memory_mib, "floating": balloon_mib},
            disk=disk_blocks or None, network_device=[{**n.attrs(), "model": n.model} for n in nic_list] or None,
            scsi_hardware="virtio-scsi-single" if any(i.startswith("scsi") for i in interfaces) else None,
            initialization=self._initialization(cloud_init) if cloud_init else None,
            boot_order=list(boot_order) if boot_order is not None else None,
            operating_system={"type": os_type}, agent={"enabled": agent}, on_boot=start_on_boot,
            migrate=migrate, timeout_migrate=migration_timeout_seconds,
            clone=clone.render(disk_list, interfaces) if clone is not None else None,
        )
        self._place("qemu", timeout_seconds=migration_timeout_seconds)
        self.ha = self._protect(ha)

    def _initialization(self, ci: CloudInit) -> dict[str, Any]:
        out: dict[str, Any] = {"datastore_id": self._cloud_init_storage(ci).storage_id, **_network_init(ci)}
        if ci.user or ci.ssh_keys:
            out["user_account"] = {"username": ci.user, "keys": list(ci.ssh_keys) or None}
        if ci.user_data_file_id:
            out["user_data_file_id"] = ci.user_data_file_id
        for prop, snippet in ci.snippets.items():
            out[f"{prop}_file_id"] = snippet.file_id_on(self._node)
        return out

    def _cloud_init_storage(self, ci: CloudInit) -> Storage:
        """Where the cloud-init drive lives: its own storage, or the first disk's."""
        return ci.storage or self._disks[0].storage

    @property
    def cloud_init(self) -> CloudInit | None:
        return self._cloud_init

    @property
    def volumes(self) -> tuple[Storage, ...]:
        """Every storage the VM has a volume on (disks, then the cloud-init drive's)."""
        out = [d.storage for d in self._disks]
        if self._cloud_init is not None:
            out.append(self._cloud_init_storage(self._cloud_init))
        return tuple(out)


class Container(Guest):
    """An LXC container (``proxmox_virtual_environment_container``), unprivileged by default.

    PVE moves containers by restart migration (stop, move, start), so HA relocates them with a short outage.
    bpg has no migration setting for them and replaces a container whose node changes; here a change of
    ``node`` migrates it in restart mode through its ``pvecdk_guest_placement`` instead. Example::

        ct = Container(stack, "dns", node=pve2, vm_id=200, template="local:vztmpl/debian-12-standard.tar.zst",
                       disk=Disk(rbd, size_gib=8), hostname="dns1")
    """

    KIND = "ct"
    _ROOT_CONTENT = ContentType.ROOTDIR

    @staticmethod
    def disk_prop(index: int) -> str:
        return "disk"  # a container has one volume, its root

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        node: NodeBase,
        vm_id: int,
        template: str | DownloadedFile,
        disk: Disk,
        hostname: str | None = None,
        cores: int = 1,
        memory_mib: int = 512,
        swap_mib: int = 512,
        networks: Sequence[NetworkInterface] = (NetworkInterface(),),
        cloud_init: CloudInit | None = None,
        unprivileged: bool = True,
        nesting: bool = False,
        os_type: str | None = None,
        start_on_boot: bool = True,
        started: bool = True,
        tags: Sequence[str] = (),
        pool: Pool | None = None,
        protection: bool = False,
        ha: bool | HaOptions | None = None,
    ) -> None:
        """Define the container.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable (renaming it replaces the container).
            node: The node it runs on.
            vm_id: The VMID (100-999999999), unique in the cluster.
            template: The OS template: a :class:`~pvecdk.images.DownloadedFile` of ``vztmpl`` content the node
                sees, or the volume id of one on storage (``local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst``).
            disk: The root volume, on a storage that holds rootdir.
            hostname: Host name inside the container. Defaults to the construct id.
            cores: CPU cores. Defaults to 1.
            memory_mib: Memory in MiB. Defaults to 512.
            swap_mib: Swap in MiB. Defaults to 512.
            networks: Interfaces eth0, eth1...; ``model`` is ignored. Defaults to eth0 on vmbr0, firewall on.
            cloud_init: Initial network, DNS and root SSH keys (``initialization``); ``storage``, ``user`` and
                ``user_data_file_id`` are ignored. Defaults to DHCP on eth0.
            unprivileged: Map root inside to an unprivileged user on the host. Defaults to on.
            nesting: Allow nested containers (needed by recent systemd in unprivileged containers). Defaults
                to off.
            os_type: The distribution (``debian``, ``ubuntu``...). Defaults to PVE's detection.
            start_on_boot: Start it when its node boots. Defaults to on.
            started: Keep it running. Defaults to on.
            tags: PVE tags. Defaults to none.
            pool: The resource pool it belongs to. Defaults to none.
            protection: Refuse removal in PVE. Defaults to off.
            ha: Put it under HA (``True`` or :class:`~pvecdk.ha.HaOptions`). Defaults to no HA.
        """
        path = LazyPath(scope, id)
        check_props(ContainerProps, path, dict(
            node=node, vm_id=vm_id, name=hostname or id, cores=cores, memory_mib=memory_mib,
            networks=as_sequence(networks), tags=as_sequence(tags), pool=pool, ha=ha, template=template, disk=disk,
            swap_mib=swap_mib, cloud_init=cloud_init,
        ))
        nic_list = list(networks)
        if isinstance(template, DownloadedFile) and (found := template.problem_on(node, path(), "template")):
            raise ConfigError([found])
        self._check_placement(scope, path, node=node, vm_id=vm_id, disks=[disk], networks=nic_list)
        super().__init__(scope, id)
        self._register(path, node=node, vm_id=vm_id, disks=[disk], cpu_type=None, allow_host_cpu=False,
                       networks=nic_list)
        ci = cloud_init or CloudInit()
        init: dict[str, Any] = {"hostname": hostname or id, **_network_init(ci)}
        if ci.ssh_keys:
            init["user_account"] = {"keys": list(ci.ssh_keys)}
        self.resource = virtual_environment_container.VirtualEnvironmentContainer(
            self, "Resource", **self._common_attrs(tags=tags, pool=pool, started=started, protection=protection),
            cpu={"cores": cores}, memory={"dedicated": memory_mib, "swap": swap_mib},
            disk={"datastore_id": disk.storage.storage_id, "size": disk.size_gib, "replicate": disk.replicate},
            network_interface=[{"name": f"eth{i}", **n.attrs()} for i, n in enumerate(nic_list)] or None,
            operating_system={"template_file_id": template.file_id_on(node) if isinstance(
                template, DownloadedFile) else template, "type": os_type},
            initialization=init, unprivileged=unprivileged, features={"nesting": True} if nesting else None,
            start_on_boot=start_on_boot,
        )
        self._place("lxc")
        self.ha = self._protect(ha)

