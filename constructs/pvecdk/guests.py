"""Guests: virtual machines (:class:`Vm`) and containers (:class:`Container`), and resource pools (:class:`Pool`).

A guest lives on a :class:`~pvecdk.node.Node` of a cluster; its disks are :class:`Disk` values on
:class:`~pvecdk.storage.Storage` constructs, its network interfaces :class:`NetworkInterface` values on a
bridge. ``ha=`` puts it under HA (:meth:`pvecdk.ha.Ha.protect`); :meth:`Guest.replicate_to` adds a storage
replication job (:class:`~pvecdk.replication.Replication`).

Checked when the guest is defined: the VMID (100-999999999, unique in the cluster), the node (of the cluster
the guest is defined in), each disk's storage (holds ``images`` for a VM disk, ``rootdir`` for a container
volume; defined on the guest's node), the CPU type, tags, names and sizes. Checked before synthesis
(:mod:`pvecdk.policy`), because HA and replication may be added later: the CPU type is migratable (see
:class:`Vm`), and an HA guest's disks are on shared storage or replicated.

VMs use ``proxmox_virtual_environment_vm``: bpg/proxmox 0.111.1 marks ``proxmox_vm`` experimental (it has no
disks or network yet) and ``..._vm2`` deprecated. Containers use ``proxmox_virtual_environment_container``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    PlainValidator,
    StrictInt,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)

from pvecdk import _cdk
from pvecdk._validation import LazyPath, Props, as_sequence, check_props, instance_of, raise_at
from pvecdk.bpg import (
    network_linux_bridge,
    virtual_environment_container,
    virtual_environment_pool,
    virtual_environment_vm,
)
from pvecdk.cluster import Cluster, _dns_server
from pvecdk.errors import ConfigError, Problem
from pvecdk.node import Node
from pvecdk.storage import ContentType, Storage

if TYPE_CHECKING:
    from pvecdk.ha import HaOptions, HaResource
    from pvecdk.replication import Replication

__all__ = ["CloudInit", "Container", "Disk", "Guest", "NetworkInterface", "Pool", "Vm"]

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
_CUSTOM_CPU = re.compile(r"^custom-[A-Za-z0-9_.-]+$")
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_TAG = re.compile(r"^[a-z0-9_][a-z0-9_+.-]*$")
_POOL_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_BRIDGE = re.compile(r"^vmbr\d{1,4}$")
_VM_DISK = re.compile(r"^(scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|sata[0-5]|ide[0-3])$")
_TEMPLATE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*:vztmpl/.+$")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
_CACHE_MODES = ("none", "writeback", "writethrough", "directsync", "unsafe")


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
        bridge: The bridge, by name (``vmbr0``, which every node has) or as returned by ``node.add_bridge``.
            Defaults to vmbr0.
        vlan_id: VLAN tag (1-4094). Defaults to none (untagged).
        firewall: Filter the interface with the guest's firewall. Defaults to on.
        model: VM NIC model (``virtio``, ``e1000``, ``vmxnet3``, ``rtl8139``). Defaults to virtio.
        mac_address: Fixed MAC address. Defaults to one PVE generates (with the cluster's prefix).
        rate_limit_mbps: Limit in MB/s. Defaults to no limit.
        mtu: MTU (VM: 1 means the bridge's). Defaults to the bridge's.
    """

    bridge: str | network_linux_bridge.NetworkLinuxBridge = "vmbr0"
    vlan_id: int | None = None
    firewall: bool = True
    model: str = "virtio"
    mac_address: str | None = None
    rate_limit_mbps: float | None = None
    mtu: int | None = None

    @property
    def bridge_name(self) -> str:
        if isinstance(self.bridge, str):
            return self.bridge
        return str(self.bridge.name_input)


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
        user_data_file_id: A snippet with your own user-data (``local:snippets/user.yaml``; VM). Defaults to
            none (PVE generates it).
    """

    storage: Storage | None = None
    user: str | None = None
    ssh_keys: tuple[str, ...] = ()
    ipv4: str = "dhcp"
    ipv4_gateway: str | None = None
    dns_servers: tuple[str, ...] = ()
    search_domain: str | None = None
    user_data_file_id: str | None = None


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


# -- props models
#
# Messages keep PVE's terms and the value given. Checks are attached to the inner type of optional props
# (``Annotated[...] | None``) so that an unset prop costs no Python call: a benchmark builds thousands of guests.


def _ha(value: Any) -> Any:
    from pvecdk.ha import HaOptions  # ha.py builds on this module

    if value is None or isinstance(value, (bool, HaOptions)):
        return value
    raise ValueError(f"{value!r} is neither True nor HaOptions; pass ha=True, or ha=HaOptions(...) for its settings")


def _within(low: int, high: int | None, what: str, fix: str) -> Any:
    """A check of a whole number against ``low``-``high`` (no upper bound when ``high`` is None)."""

    def check(value: int) -> int:
        if value < low or (high is not None and value > high):
            raise ValueError(f"{what}, got {value!r}; {fix}")
        return value

    return check


def _validate_with(handler: ValidatorFunctionWrapHandler, value: Any,
                   found: list[tuple[tuple[int | str, ...], str]]) -> Any:
    """``handler(value)``, reporting ``found`` (``(location inside the prop, "what; fix")``) beside the
    problems it finds itself."""
    if not found:
        return handler(value)
    try:
        handler(value)
    except ValidationError as exc:
        raise_at(found, besides=exc)
    raise_at(found)  # found is not empty, so this raises


def _pool_id(value: str) -> str:
    if not _POOL_ID.match(value):
        raise ValueError(f"{value!r} is not a pool id; use 1-64 letters, digits, '-', '_' or '.'")
    return value


def _dns_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"{value!r} is not a DNS name (it defaults to the construct id); pass a name of letters, "
                         "digits and '-', such as web-1")
    return value


def _tag(value: str) -> str:
    if not _TAG.match(value):
        raise ValueError(f"{value!r} is not a PVE tag; use lowercase letters, digits, '_', '-', '+', '.'")
    return value


def _cpu_type(value: str) -> str:
    if not (value in GENERIC_CPU_TYPES or value in HOST_CPU_TYPES or value in NAMED_CPU_TYPES
            or _CUSTOM_CPU.match(value)):
        raise ValueError(f"{value!r} is not a QEMU CPU model; use {DEFAULT_CPU_TYPE} (migrates anywhere), a model "
                         "such as EPYC-Rome, or custom-<name>")
    return value


def _template(value: str) -> str:
    if not _TEMPLATE.match(value):
        raise ValueError(f"{value!r} is not a container template volume id; give <storage>:vztmpl/<file>, such as "
                         "local:vztmpl/debian-12-standard.tar.zst")
    return value


def _bridge(value: Any) -> Any:
    name = value if isinstance(value, str) else (
        str(value.name_input) if isinstance(value, network_linux_bridge.NetworkLinuxBridge) else None)
    if name is None:
        raise ValueError(f"{value!r} is not a bridge; give its name, such as vmbr0, or what node.add_bridge "
                         "returned")
    if not _BRIDGE.match(name):
        raise ValueError(f"{name!r} is not a bridge name; give a bridge such as vmbr0")
    return value


def _cache(value: str) -> str:
    if value not in _CACHE_MODES:
        raise ValueError(f"{value!r} is not a cache mode; use {', '.join(_CACHE_MODES[:-1])} or {_CACHE_MODES[-1]}")
    return value


def _mac_address(value: str) -> str:
    if not _MAC.match(value):
        raise ValueError(f"{value!r} is not a MAC address; give six hex octets, such as BC:24:11:2A:00:01, or leave "
                         "it unset")
    return value


def _rate_limit_mbps(value: object) -> object:
    """Check a ``rate_limit_mbps`` prop (a guest's interface, a replication job): a positive number of MB/s."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"must be positive (MB/s), got {value!r}; leave it unset for no limit")
    return value


def _disk_slot(value: str) -> str:
    if not _VM_DISK.match(value):
        raise ValueError(f"{value!r} is not a disk slot; use scsi0-30, virtio0-15, sata0-5 or ide0-3")
    return value


def _ipv4(value: str) -> str:
    if value != "dhcp":
        try:
            ipaddress.ip_interface(value)
            if "/" not in value:
                raise ValueError
        except ValueError:
            raise ValueError(f"{value!r} is neither dhcp nor an address in CIDR notation; give dhcp, or an "
                             "address such as 10.0.0.5/24") from None
    return value


def _slots(disks: Sequence[Disk | _VmDiskProps]) -> list[str]:
    """The bus and slot of each VM disk: the one given, else the next ``scsiN`` no disk asked for."""
    given = {d.interface for d in disks if d.interface is not None}
    out: list[str] = []
    n = 0
    for d in disks:
        if d.interface is not None:
            out.append(d.interface)
            continue
        while f"scsi{n}" in given or f"scsi{n}" in out:
            n += 1
        out.append(f"scsi{n}")
    return out


def _balloon(v: int, info: ValidationInfo) -> int:
    memory = info.data.get("memory_mib")
    if memory is not None and not 0 <= v <= memory:
        raise ValueError(f"must be 0-{memory} (memory_mib), got {v!r}; give at most memory_mib, or leave it unset")
    return v


def _boot_devices(v: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
    if "disks" not in info.data or "networks" not in info.data:
        return v  # a bad disk or interface is reported as such
    slots = _slots(info.data["disks"])
    known = {*slots, *(f"net{i}" for i in range(len(info.data["networks"]))), "ide2"}
    unknown = [device for device in v if device not in known]
    if unknown:
        what = "is not a device" if len(unknown) == 1 else "are not devices"
        # A VM without disks has only net interfaces to boot from: an empty "disks ()" would be no fix.
        devices = f"its disks ({', '.join(slots)}) or net interfaces" if slots else "its net interfaces (net0...)"
        raise ValueError(f"{', '.join(map(repr, unknown))} {what} of the VM; list {devices}")
    return v


def _drive_storage(v: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    """A VM's cloud-init drive needs a storage: its own, or the first disk's."""
    found: list[tuple[tuple[int | str, ...], str]] = []
    if v.storage is None and info.data.get("disks") == ():
        found.append((("storage",), "no storage for the cloud-init drive; pass CloudInit(storage=...), or give "
                      "the VM a disk"))
    return _validate_with(handler, v, found)


_Storage = Annotated[Storage, PlainValidator(instance_of(
    Storage, "pass a storage construct, or Storage.from_id(scope, 'local-lvm')"))]
_Node = Annotated[Node, PlainValidator(instance_of(Node, "pass a node returned by cluster.add_node"))]


class _PoolProps(Props):
    pool_id: Annotated[str, AfterValidator(_pool_id)]


class _DiskProps(Props):
    """What is checked of a :class:`Disk` itself; where its storage is defined is the guest's to check."""

    model_config = ConfigDict(from_attributes=True)

    storage: _Storage
    size_gib: Annotated[StrictInt, AfterValidator(_within(1, None, "size must be 1 GiB or more",
                                                          "give the size in whole GiB"))]


class _VmDiskProps(_DiskProps):
    interface: Annotated[str, AfterValidator(_disk_slot)] | None
    cache: Annotated[str, AfterValidator(_cache)] | None


class _NetworkInterfaceProps(Props):
    model_config = ConfigDict(from_attributes=True)

    bridge: Annotated[str | network_linux_bridge.NetworkLinuxBridge, PlainValidator(_bridge)]
    vlan_id: Annotated[StrictInt, AfterValidator(_within(1, 4094, "VLAN id must be 1-4094",
                                                         "pick a VLAN in 1-4094"))] | None
    mac_address: Annotated[str, AfterValidator(_mac_address)] | None
    rate_limit_mbps: Annotated[float, BeforeValidator(_rate_limit_mbps)] | None


class _CloudInitProps(Props):
    """A container reads only the network settings and keys of its :class:`CloudInit`."""

    model_config = ConfigDict(from_attributes=True)

    ipv4: Annotated[str, AfterValidator(_ipv4)]
    # Lists, so that one key or server given as a string is refused rather than taken letter by letter.
    ssh_keys: tuple[str, ...]
    dns_servers: tuple[Annotated[str, AfterValidator(_dns_server)], ...]


class _VmCloudInitProps(_CloudInitProps):
    storage: _Storage | None


_Disk = Annotated[_DiskProps, BeforeValidator(instance_of(Disk, "pass Disk(storage, size_gib=...)"))]
_VmDisk = Annotated[_VmDiskProps, BeforeValidator(instance_of(Disk, "pass Disk(storage, size_gib=...)"))]
_Nic = Annotated[_NetworkInterfaceProps, BeforeValidator(instance_of(NetworkInterface,
                                                                      "pass NetworkInterface(bridge=...)"))]
_CLOUD_INIT_FIX = "pass CloudInit(...), or leave cloud_init unset"


class _GuestProps(Props):
    """What VMs and containers share. Whether node, VMID, storages and bridges fit the cluster is checked
    against the graph once these are valid (:meth:`Guest._check_placement`)."""

    node: _Node
    vm_id: Annotated[StrictInt, AfterValidator(_within(MIN_VMID, MAX_VMID, f"VMID must be {MIN_VMID}-{MAX_VMID}",
                                                       f"pick a free VMID in {MIN_VMID}-{MAX_VMID}"))]
    name: Annotated[str, AfterValidator(_dns_name)]
    cores: Annotated[StrictInt, AfterValidator(_within(1, 8192, "cores must be 1-8192",
                                                       "give a whole number of cores"))]
    memory_mib: Annotated[StrictInt, AfterValidator(_within(16, None, "memory must be at least 16 MiB",
                                                            "give the memory in MiB, such as 2048"))]
    networks: tuple[_Nic, ...]
    tags: tuple[Annotated[str, AfterValidator(_tag)], ...]
    pool: Annotated[Pool, PlainValidator(instance_of(Pool, "pass Pool(...) or Pool.from_id(scope, 'name')"))] | None
    ha: Annotated[Any, PlainValidator(_ha)]


class _VmProps(_GuestProps):
    cpu_type: Annotated[str, AfterValidator(_cpu_type)] | None
    sockets: Annotated[StrictInt, AfterValidator(_within(1, 4, "sockets must be 1-4", "give 1-4 sockets"))]
    balloon_mib: Annotated[StrictInt, AfterValidator(_balloon)] | None
    disks: tuple[_VmDisk, ...]
    # The last validator runs first: _drive_storage is given a CloudInit.
    cloud_init: Annotated[_VmCloudInitProps, WrapValidator(_drive_storage),
                          BeforeValidator(instance_of(CloudInit, _CLOUD_INIT_FIX))] | None
    boot_order: Annotated[tuple[str, ...], AfterValidator(_boot_devices)] | None
    migration_timeout_seconds: Annotated[StrictInt, AfterValidator(_within(
        1, None, "must be positive", "give seconds, or leave it unset"))] | None

    @field_validator("disks", mode="wrap")
    @classmethod
    def _one_disk_per_slot(cls, v: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # Two disks on one slot are each valid alone: the clash is found over the given list, so that it is
        # reported beside the problems of single disks.
        if not isinstance(v, tuple) or len(v) < 2:
            return handler(v)
        found: list[tuple[tuple[int | str, ...], str]] = []
        seen: set[str] = set()
        for i, d in enumerate(v):
            slot = d.interface if isinstance(d, Disk) else None
            if isinstance(slot, str) and _VM_DISK.match(slot):  # a bad slot is the disk's own problem
                if slot in seen:
                    found.append(((i, "interface"), f"{slot} is used twice; give every disk its own slot"))
                seen.add(slot)
        return _validate_with(handler, v, found)


class _ContainerProps(_GuestProps):
    template: Annotated[str, AfterValidator(_template)]
    disk: _Disk
    swap_mib: Annotated[StrictInt, AfterValidator(_within(0, None, "swap must be 0 or more MiB",
                                                          "give swap in MiB, or 0"))]
    cloud_init: Annotated[_CloudInitProps, BeforeValidator(instance_of(CloudInit, _CLOUD_INIT_FIX))] | None


class Guest(_cdk.Construct):
    """What VMs and containers share: node, VMID, disks, HA and replication.

    Not created directly: use :class:`Vm` or :class:`Container`.
    """

    KIND: ClassVar[str] = ""  # "vm" or "ct": the prefix of its HA resource id
    _ROOT_CONTENT: ClassVar[ContentType] = ContentType.IMAGES

    resource: Any

    def _check_placement(self, scope: _cdk.Construct, path: LazyPath, *, node: Node, vm_id: int,
                         disks: Sequence[Disk], networks: Sequence[NetworkInterface],
                         cloud_init_storage: Storage | None = None) -> None:
        """Check the valid props against the graph: the node is in the cluster the guest is defined in, the
        VMID is free there, each volume's storage holds it on that node and each bridge exists there."""
        problems: list[Problem] = []

        def add(field_name: str, text: str, fix: str) -> None:
            problems.append(Problem(path(), field_name, text, fix))

        cluster = node.cluster
        # A guest defined in a stack (the common case) has no enclosing cluster; asking jsii for the scopes
        # of every guest would cost round trips for nothing.
        enclosing = None if isinstance(scope, _cdk.TerraformStack) else next(
            (s for s in reversed(scope.node.scopes) if isinstance(s, Cluster)), None)
        if enclosing is not None and enclosing is not cluster:
            add("node", f"node {node.name} is not in cluster {enclosing.name}",
                f"pick a node of {enclosing.name}, or define the guest outside that cluster")
        elif not any(n is node for n in cluster.nodes):
            add("node", f"node {node.name} is not in cluster {cluster.name}", "add it with cluster.add_node first")
        other = cluster._guests.get(vm_id)
        if other is not None:
            add("vm_id", f"VMID {vm_id} is already taken by {other.node.path}",
                "give every guest of the cluster its own VMID")
        for i, disk in enumerate(disks):
            self._check_storage(path, f"{self._disk_prop(i)}.storage", disk.storage, self._ROOT_CONTENT, node,
                                problems)
        for i, nic in enumerate(networks):
            bridge = nic.bridge_name
            if bridge != "vmbr0" and bridge not in node._bridges:
                add(f"networks[{i}].bridge", f"node {node.name} has no bridge {bridge}",
                    f"add it with node.add_bridge({bridge!r}, ...) first, or use vmbr0")
        if cloud_init_storage is not None:
            self._check_storage(path, "cloud_init.storage", cloud_init_storage, ContentType.IMAGES, node, problems)
        if problems:
            raise ConfigError(problems)

    @staticmethod
    def _disk_prop(index: int) -> str:
        """The prop that gives the guest's disk ``index``, as problems name it."""
        return f"disks[{index}]"

    @staticmethod
    def _check_storage(path: LazyPath, field_name: str, storage: Storage, content: ContentType, node: Node,
                       problems: list[Problem]) -> None:
        if not storage.holds(content):
            held = ", ".join(sorted(c.value for c in storage.content)) or "nothing"
            problems.append(Problem(path(), field_name, f"storage {storage.node.id} does not hold {content.value} "
                                    f"(it holds {held})",
                                    f"put the disk on a storage with {content.value} in its content, or add "
                                    f"{content.value} to {storage.node.id}'s content"))
        elif not storage.available_on(node):
            problems.append(Problem(path(), field_name, f"storage {storage.node.id} is not defined on node {node.name}",
                                    f"use a storage defined on {node.name}, or add {node.name} to its nodes"))

    def _register(self, *, node: Node, vm_id: int, disks: Sequence[Disk], cpu_type: str | None,
                  allow_host_cpu: bool, networks: Sequence[NetworkInterface]) -> None:
        self._node = node
        self._vm_id = vm_id
        self._disks = tuple(disks)
        self._cpu_type = cpu_type
        self._allow_host_cpu = allow_host_cpu
        self._bridges = tuple(n.bridge_name for n in networks)
        self._replications: list[Replication] = []
        node.cluster._guests[vm_id] = self

    def _common_attrs(self, *, tags: Sequence[str], pool: Pool | None, started: bool,
                      protection: bool) -> dict[str, Any]:
        """The L1 arguments of VMs and containers alike; the guest is created after the cluster's membership."""
        return {"node_name": self._node.name, "vm_id": self._vm_id, "started": started,
                "tags": sorted(set(tags)) or None, "pool_id": pool.pool_id if pool else None,
                "protection": protection or None, "depends_on": [self.cluster.membership]}

    def _protect(self, ha: bool | HaOptions | None) -> HaResource | None:
        from pvecdk.ha import HaOptions

        if ha is None or ha is False:
            return None
        options = ha if isinstance(ha, HaOptions) else HaOptions()  # True: the props model let nothing else by
        return self.cluster.ha.protect(self, **vars(options))  # its fields are protect's keyword arguments

    # -- attributes

    @property
    def vm_id(self) -> int:
        """The VMID."""
        return self._vm_id

    @property
    def node_name(self) -> str:
        """The name of the node the guest runs on."""
        return self._node.name

    @property
    def guest_node(self) -> Node:
        """The node the guest runs on (``node`` is the construct tree's)."""
        return self._node

    @property
    def cluster(self) -> Cluster:
        return self._node.cluster

    @property
    def ha_resource_id(self) -> str:
        """PVE's HA resource id: ``vm:<vmid>`` or ``ct:<vmid>``."""
        return f"{self.KIND}:{self._vm_id}"

    @property
    def disks(self) -> tuple[Disk, ...]:
        """Every volume of the guest (VM disks, cloud-init drive excluded; a container's root volume)."""
        return self._disks

    @property
    def volumes(self) -> tuple[Storage, ...]:
        """The storage of each of its volumes, in the order of :attr:`disks`."""
        return tuple(d.storage for d in self._disks)

    @property
    def cpu_type(self) -> str | None:
        return self._cpu_type

    @property
    def allow_host_cpu(self) -> bool:
        return self._allow_host_cpu

    @property
    def _host_cpu(self) -> bool:
        """Whether its CPU type passes the node's own CPU through (:data:`HOST_CPU_TYPES`): the policy's
        migration rule asks this, so the set of such types is kept in one place."""
        return self._cpu_type in HOST_CPU_TYPES

    @property
    def bridges(self) -> tuple[str, ...]:
        """The bridges its network interfaces are on."""
        return self._bridges

    @property
    def replications(self) -> tuple[Replication, ...]:
        """The replication jobs of this guest."""
        return tuple(self._replications)

    @property
    def under_ha(self) -> bool:
        """Whether the guest is under HA."""
        ha = self.cluster._ha
        return ha is not None and ha.is_protected(self)

    def replicate_to(self, target: Node, *, schedule: str = "*/15", rate_limit_mbps: float | None = None,
                     enabled: bool = True, comment: str | None = None) -> Replication:
        """Replicate the guest's ZFS volumes to ``target`` (``proxmox_replication``); returns the job.

        See :class:`~pvecdk.replication.Replication` for the arguments and rules.
        """
        from pvecdk.replication import Replication

        return Replication(self, f"Replication-{getattr(target, 'name', target)}", guest=self, target=target,
                           schedule=schedule, rate_limit_mbps=rate_limit_mbps, enabled=enabled, comment=comment)


def _nic(nic: NetworkInterface) -> dict[str, Any]:
    """What a VM's ``network_device`` and a container's ``network_interface`` share."""
    return {"bridge": nic.bridge_name, "vlan_id": nic.vlan_id, "firewall": nic.firewall,
            "mac_address": nic.mac_address, "rate_limit": nic.rate_limit_mbps, "mtu": nic.mtu}


def _network_init(ci: CloudInit) -> dict[str, Any]:
    """The ``initialization`` a VM and a container share: the first interface's address and the DNS."""
    ipv4: dict[str, Any] = {"address": ci.ipv4}
    if ci.ipv4_gateway:
        ipv4["gateway"] = ci.ipv4_gateway
    out: dict[str, Any] = {"ip_config": [{"ipv4": ipv4}]}
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
        node: Node,
        vm_id: int,
        name: str | None = None,
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
            cpu_type: QEMU CPU model (``cpu.type``); see the class docstring for what migrates. Defaults to
                x86-64-v2-AES.
            cores: Cores per socket. Defaults to 2.
            sockets: CPU sockets. Defaults to 1.
            memory_mib: Memory in MiB (``memory.dedicated``). Defaults to 2048.
            balloon_mib: Minimum memory in MiB the balloon driver may shrink it to (``memory.floating``).
                Defaults to PVE's (ballooning off).
            disks: Its disks, each on a storage that holds images; ``interface`` defaults to scsi0, scsi1...
                Defaults to none (a VM that boots from the network or a CD-ROM).
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
            migrate: When ``node`` changes, migrate the VM (``migrate``) rather than destroy and re-create it.
                The provider migrates online with local disks; it takes no target storage, so each disk keeps
                its storage id, which the new node must have. Defaults to on.
            migration_timeout_seconds: How long a migration may take (``timeout_migrate``). Defaults to the
                provider's (1800 s).
            allow_host_cpu: Allow ``host``/``max`` CPU types on a cluster of several nodes or under HA: set it
                only when every node has the same CPU. Defaults to off.
        """
        path = LazyPath(scope, id)
        check_props(_VmProps, path, dict(
            node=node, vm_id=vm_id, name=name or id, cores=cores, memory_mib=memory_mib,
            networks=as_sequence(networks), tags=as_sequence(tags), pool=pool, ha=ha, cpu_type=cpu_type,
            sockets=sockets, balloon_mib=balloon_mib, disks=as_sequence(disks), cloud_init=cloud_init,
            boot_order=as_sequence(boot_order) if boot_order is not None else None,
            migration_timeout_seconds=migration_timeout_seconds,
        ))
        disk_list = list(disks)
        nic_list = list(networks)
        self._check_placement(scope, path, node=node, vm_id=vm_id, disks=disk_list, networks=nic_list,
                              cloud_init_storage=cloud_init.storage if cloud_init is not None else None)
        interfaces = _slots(disk_list)
        super().__init__(scope, id)
        self._register(node=node, vm_id=vm_id, disks=disk_list, cpu_type=cpu_type, allow_host_cpu=allow_host_cpu,
                       networks=nic_list)
        self._cloud_init = cloud_init
        disk_blocks = [{"interface": iface, "datastore_id": d.storage.storage_id, "size": d.size_gib,
                        "ssd": d.ssd or None, "discard": "on" if d.discard else None,
                        "iothread": d.iothread or None, "cache": d.cache, "backup": d.backup,
                        "replicate": d.replicate} for iface, d in zip(interfaces, disk_list, strict=True)]
        self.resource = virtual_environment_vm.VirtualEnvironmentVm(
            self, "Resource", **self._common_attrs(tags=tags, pool=pool, started=started, protection=protection),
            name=name or id, cpu={"type": cpu_type, "cores": cores, "sockets": sockets},
            memory={"dedicated": memory_mib, "floating": balloon_mib},
            disk=disk_blocks or None, network_device=[{**_nic(n), "model": n.model} for n in nic_list] or None,
            scsi_hardware="virtio-scsi-single" if any(i.startswith("scsi") for i in interfaces) else None,
            initialization=self._initialization(cloud_init) if cloud_init else None,
            boot_order=list(boot_order) if boot_order is not None else None,
            operating_system={"type": os_type}, agent={"enabled": agent}, on_boot=start_on_boot,
            migrate=migrate, timeout_migrate=migration_timeout_seconds,
        )
        self.ha = self._protect(ha)

    def _initialization(self, ci: CloudInit) -> dict[str, Any]:
        out: dict[str, Any] = {"datastore_id": self._cloud_init_storage(ci).storage_id, **_network_init(ci)}
        if ci.user or ci.ssh_keys:
            out["user_account"] = {"username": ci.user, "keys": list(ci.ssh_keys) or None}
        if ci.user_data_file_id:
            out["user_data_file_id"] = ci.user_data_file_id
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

    PVE moves containers by restart migration (stop, move, start), so HA relocates them with a short outage;
    the provider has no migration setting for them. Example::

        ct = Container(stack, "dns", node=pve2, vm_id=200, template="local:vztmpl/debian-12-standard.tar.zst",
                       disk=Disk(rbd, size_gib=8), hostname="dns1")
    """

    KIND = "ct"
    _ROOT_CONTENT = ContentType.ROOTDIR

    @staticmethod
    def _disk_prop(index: int) -> str:
        return "disk"  # a container has one volume, its root

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        node: Node,
        vm_id: int,
        template: str,
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
            template: The OS template's volume id (``local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst``).
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
        check_props(_ContainerProps, path, dict(
            node=node, vm_id=vm_id, name=hostname or id, cores=cores, memory_mib=memory_mib,
            networks=as_sequence(networks), tags=as_sequence(tags), pool=pool, ha=ha, template=template, disk=disk,
            swap_mib=swap_mib, cloud_init=cloud_init,
        ))
        nic_list = list(networks)
        self._check_placement(scope, path, node=node, vm_id=vm_id, disks=[disk], networks=nic_list)
        super().__init__(scope, id)
        self._register(node=node, vm_id=vm_id, disks=[disk], cpu_type=None, allow_host_cpu=False,
                       networks=nic_list)
        ci = cloud_init or CloudInit()
        init: dict[str, Any] = {"hostname": hostname or id, **_network_init(ci)}
        if ci.ssh_keys:
            init["user_account"] = {"keys": list(ci.ssh_keys)}
        self.resource = virtual_environment_container.VirtualEnvironmentContainer(
            self, "Resource", **self._common_attrs(tags=tags, pool=pool, started=started, protection=protection),
            cpu={"cores": cores}, memory={"dedicated": memory_mib, "swap": swap_mib},
            disk={"datastore_id": disk.storage.storage_id, "size": disk.size_gib, "replicate": disk.replicate},
            network_interface=[{"name": f"eth{i}", **_nic(n)} for i, n in enumerate(nic_list)] or None,
            operating_system={"template_file_id": template, "type": os_type},
            initialization=init, unprivileged=unprivileged, features={"nesting": True} if nesting else None,
            start_on_boot=start_on_boot,
        )
        self.ha = self._protect(ha)

