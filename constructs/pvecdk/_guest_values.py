"""The values a guest's props take: disks, network interfaces, cloud-init, HA options, pools, CPU types."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
)

from pvecdk import _cdk
from pvecdk._base import NodeBase
from pvecdk._fault import Fault
from pvecdk._validation import LazyPath, Props, check_props
from pvecdk.bpg import (
    network_linux_bridge,
    virtual_environment_pool,
)
from pvecdk.cloudinit import Snippet
from pvecdk.sdn.base import VnetBase
from pvecdk.storage import Storage

__all__ = ["CloudInit", "Disk", "HaOptions", "HaState", "IpConfig", "NetworkInterface", "Pool"]

MIN_VMID, MAX_VMID = 100, 999_999_999
DEFAULT_CPU_TYPE = "x86-64-v2-AES"
# Generic models every x86-64 host of that level runs: safe to migrate between any nodes.
GENERIC_CPU_TYPES = frozenset({"x86-64-v2", "x86-64-v2-AES", "x86-64-v3", "x86-64-v4", "kvm64", "qemu64",
                               "kvm32", "qemu32"})
# The host's own CPU passed through: migrates only between nodes with the very same CPU.
HOST_CPU_TYPES = frozenset({"host", "max"})
# Named QEMU models: migrate between nodes whose CPUs all have the model's features.
NAMED_CPU_TYPES = frozenset({
    "486", "athlon", "pentium", "pentium2", "pentium3", "coreduo", "core2duo", "phenom", "Conroe", "Penryn",
    "Nehalem", "Nehalem-IBRS", "Westmere", "Westmere-IBRS", "SandyBridge", "SandyBridge-IBRS", "IvyBridge",
    "IvyBridge-IBRS", "Haswell", "Haswell-noTSX", "Haswell-IBRS", "Broadwell", "Broadwell-noTSX",
    "Broadwell-IBRS", "Skylake-Client", "Skylake-Client-IBRS", "Skylake-Server", "Skylake-Server-IBRS",
    "Cascadelake-Server", "Cooperlake", "Icelake-Client", "Icelake-Server", "SapphireRapids", "GraniteRapids",
    "KnightsMill", "Opteron_G1", "Opteron_G2", "Opteron_G3", "Opteron_G4", "Opteron_G5", "EPYC", "EPYC-IBPB",
    "EPYC-Rome", "EPYC-Milan", "EPYC-Genoa",
})
_POOL_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class HaState(enum.StrEnum):
    """The state HA keeps a guest in."""

    STARTED = "started"
    STOPPED = "stopped"
    DISABLED = "disabled"
    IGNORED = "ignored"


@dataclass(frozen=True)
class HaOptions:
    """HA settings for the ``ha=`` shortcut of :class:`~pvecdk.guests.Vm` and :class:`~pvecdk.guests.Container`.

    The fields are the keyword arguments of :meth:`Ha.protect`, with the same defaults, and are checked as
    those when the guest is protected.
    """

    state: HaState | str = HaState.STARTED
    max_restart: int = 1
    max_relocate: int = 1
    prefer: Sequence[NodeBase] | Mapping[NodeBase, int] | None = None
    strict: bool = False
    failback: bool | None = None
    comment: str | None = None


@dataclass(frozen=True)
class Disk:
    """A guest disk (a VM disk, or a container's root volume) on a storage.

    Args:
        storage: Where it lives; must hold ``images`` (VM) or ``rootdir`` (container).
        size_gib: Size in GiB. Defaults to 32.
        interface: VM bus and slot (``scsi0``, ``virtio1``, ``sata0``...). Defaults to the next free ``scsiN``.
            Ignored for a container's root volume.
        ssd: Present the disk as an SSD to the guest (VM). Defaults to off.
        discard: Pass TRIM/discard through so thin storage frees deleted blocks (VM). Defaults to on.
        iothread: Give the disk its own I/O thread (VM, with the virtio-scsi-single controller). Defaults to on.
        cache: Host cache mode (``none``, ``writeback``, ``writethrough``, ``directsync``, ``unsafe``).
            Defaults to PVE's (none).
        backup: Include the disk in backups. Defaults to on.
        replicate: Include the disk in storage replication. Defaults to on.
    """

    storage: Storage
    size_gib: int = 32
    interface: str | None = None
    ssd: bool = False
    discard: bool = True
    iothread: bool = True
    cache: str | None = None
    backup: bool = True
    replicate: bool = True


@dataclass(frozen=True)
class NetworkInterface:
    """A network interface on a bridge.

    Args:
        bridge: The bridge, by name (``vmbr0``, which every node has) or as returned by ``node.add_bridge``, or
            an SDN VNet (:class:`~pvecdk.sdn.Vnet`), whose id becomes the bridge. Defaults to vmbr0.
        vlan_id: VLAN tag (1-4094). Defaults to none (untagged).
        firewall: Filter the interface with the guest's firewall. Defaults to on.
        model: VM NIC model (``virtio``, ``e1000``, ``vmxnet3``, ``rtl8139``). Defaults to virtio.
        mac_address: Fixed MAC address. Defaults to one PVE generates (with the cluster's prefix).
        rate_limit_mbps: Limit in MB/s. Defaults to no limit.
        mtu: MTU (VM: 1 means the bridge's). Defaults to the bridge's.
    """

    bridge: str | network_linux_bridge.NetworkLinuxBridge | VnetBase = "vmbr0"
    vlan_id: int | None = None
    firewall: bool = True
    model: str = "virtio"
    mac_address: str | None = None
    rate_limit_mbps: float | None = None
    mtu: int | None = None

    def attrs(self) -> dict[str, Any]:
        """What a VM's ``network_device`` (a template's too) and a container's ``network_interface`` share."""
        return {"bridge": self.bridge_name, "vlan_id": self.vlan_id, "firewall": self.firewall,
                "mac_address": self.mac_address, "rate_limit": self.rate_limit_mbps, "mtu": self.mtu}

    @property
    def bridge_name(self) -> str:
        if isinstance(self.bridge, str):
            return self.bridge
        if isinstance(self.bridge, VnetBase):
            return self.bridge.vnet_id
        return str(self.bridge.name_input)

    @property
    def vnet(self) -> VnetBase | None:
        """The SDN VNet the interface is on, if it is on one."""
        return self.bridge if isinstance(self.bridge, VnetBase) else None


@dataclass(frozen=True)
class IpConfig:
    """The addresses cloud-init gives one network interface.

    Args:
        ipv4: ``dhcp``, or an address in CIDR notation (``10.0.0.5/24``). Defaults to dhcp.
        ipv4_gateway: Gateway for a static IPv4 address. Defaults to none.
        ipv6: ``dhcp``, ``auto`` (SLAAC) or an address in CIDR notation. Defaults to none (no IPv6 set).
        ipv6_gateway: Gateway for a static IPv6 address. Defaults to none.
    """

    ipv4: str | None = "dhcp"
    ipv4_gateway: str | None = None
    ipv6: str | None = None
    ipv6_gateway: str | None = None


@dataclass(frozen=True)
class CloudInit:
    """Cloud-init settings of a VM (its cloud-init drive) or the initial settings of a container.

    Args:
        storage: Where a VM's cloud-init drive lives (holds ``images``). Ignored for containers. Defaults to
            the storage of the VM's first disk.
        user: The user account to create (VM). Defaults to the image's default user.
        ssh_keys: Public SSH keys for that user (root in a container). Defaults to none.
        ipv4: ``dhcp`` or an address in CIDR notation (``10.0.0.5/24``) for the first interface.
            Defaults to dhcp.
        ipv4_gateway: Gateway for a static address. Defaults to none.
        dns_servers: DNS servers. Defaults to the node's.
        search_domain: DNS search domain. Defaults to the node's.
        user_data_file_id: The volume id of a snippet on storage with your own user-data
            (``local:snippets/user.yaml``; VM). Defaults to none (PVE generates it).
        interfaces: The addresses of each interface, net0 first (:class:`IpConfig`; VM and container), instead
            of ``ipv4`` and ``ipv4_gateway``, which give only the first. Defaults to those two.
        user_data: A :class:`~pvecdk.cloudinit.Snippet` with your own user-data (VM), instead of what PVE
            generates from ``user`` and ``ssh_keys``. Defaults to none.
        vendor_data: A snippet with vendor-data (VM), run besides the user-data: packages, the guest agent.
            Defaults to none.
        network_data: A snippet with network-config (VM), instead of what PVE generates. Defaults to none.
    """

    storage: Storage | None = None
    user: str | None = None
    ssh_keys: tuple[str, ...] = ()
    ipv4: str = "dhcp"
    ipv4_gateway: str | None = None
    dns_servers: tuple[str, ...] = ()
    search_domain: str | None = None
    user_data_file_id: str | None = None
    interfaces: tuple[IpConfig, ...] = ()
    user_data: Snippet | None = None
    vendor_data: Snippet | None = None
    network_data: Snippet | None = None

    @property
    def snippets(self) -> dict[str, Snippet]:
        """The snippets it uses, by prop name."""
        given = {"user_data": self.user_data, "vendor_data": self.vendor_data, "network_data": self.network_data}
        return {name: s for name, s in given.items() if s is not None}

    @property
    def ip_configs(self) -> tuple[IpConfig, ...]:
        """The addresses per interface: ``interfaces``, else the first interface's from ``ipv4``."""
        return self.interfaces or (IpConfig(self.ipv4, self.ipv4_gateway),)


class Pool(_cdk.Construct):
    """A resource pool (``proxmox_virtual_environment_pool``): groups guests for permissions and backups.

    Example::

        pool = Pool(stack, "Prod", pool_id="prod")
        Vm(stack, "web", node=pve1, vm_id=101, pool=pool)
    """

    def __init__(self, scope: _cdk.Construct, id: str, *, pool_id: str, comment: str | None = None,
                 _existing: bool = False) -> None:
        """Define a pool.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            pool_id: PVE's pool id (letters, digits, ``-``, ``_``, ``.``).
            comment: Shown in PVE.
        """
        check_props(_PoolProps, LazyPath(scope, id), {"pool_id": pool_id})
        super().__init__(scope, id)
        self._pool_id = pool_id
        self.resource: virtual_environment_pool.VirtualEnvironmentPool | None = None
        if not _existing:
            self.resource = virtual_environment_pool.VirtualEnvironmentPool(
                self, "Resource", pool_id=pool_id, comment=comment)

    @property
    def pool_id(self) -> str:
        """PVE's pool id; for an owned pool a reference to its resource (so members are created after it)."""
        return self.resource.pool_id if self.resource is not None else self._pool_id

    @property
    def name(self) -> str:
        """The pool id as given (never a token)."""
        return self._pool_id

    @classmethod
    def from_id(cls, scope: _cdk.Construct, pool_id: str) -> Pool:
        """Refer to a pool that exists; nothing is added to the plan. ``pool_id`` doubles as the construct id."""
        existing = scope.node.try_find_child(pool_id)
        if isinstance(existing, Pool):
            return existing
        return cls(scope, pool_id, pool_id=pool_id, _existing=True)



def _pool_id(value: str) -> str:
    if not _POOL_ID.match(value):
        raise Fault(f"{value!r} is not a pool id", "use 1-64 letters, digits, '-', '_' or '.'")
    return value




class _PoolProps(Props):
    pool_id: Annotated[str, AfterValidator(_pool_id)]


