"""The guest base layer: what VMs and containers share, and the values their props take.

:class:`GuestBase` holds a guest's node, VMID, disks, CPU type and bridges, and checks its placement against
the cluster; HA (:mod:`pvecdk.ha`), replication (:mod:`pvecdk.replication`), backups and the policy take a
guest through it. :mod:`pvecdk.guests` builds :class:`~pvecdk.guests.Vm` and
:class:`~pvecdk.guests.Container` on it, with the HA and replication shortcuts that create children.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

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
from pvecdk._base import ClusterBase, NodeBase
from pvecdk._model import GuestModel, VolumeModel
from pvecdk._validation import LazyPath, Props, check_props, instance_of, raise_at
from pvecdk._values import dns_server
from pvecdk.bpg import (
    network_linux_bridge,
    virtual_environment_pool,
)
from pvecdk.errors import ConfigError, Problem
from pvecdk.storage import ContentType, Storage

__all__ = ["CloudInit", "Disk", "GuestBase", "HaOptions", "HaState", "NetworkInterface", "Pool"]

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


def rate_limit_mbps(value: object) -> object:
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
NodeProp = Annotated[NodeBase, PlainValidator(instance_of(NodeBase, "pass a node returned by cluster.add_node",
                                                            name="Node"))]


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
    rate_limit_mbps: Annotated[float, BeforeValidator(rate_limit_mbps)] | None


class _CloudInitProps(Props):
    """A container reads only the network settings and keys of its :class:`CloudInit`."""

    model_config = ConfigDict(from_attributes=True)

    ipv4: Annotated[str, AfterValidator(_ipv4)]
    # Lists, so that one key or server given as a string is refused rather than taken letter by letter.
    ssh_keys: tuple[str, ...]
    dns_servers: tuple[Annotated[str, AfterValidator(dns_server)], ...]


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

    node: NodeProp
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


class GuestBase(_cdk.Construct):
    """What VMs and containers share: node, VMID, disks, CPU type, bridges and replication jobs.

    Not created directly: use :class:`~pvecdk.guests.Vm` or :class:`~pvecdk.guests.Container`.
    """

    KIND: ClassVar[str] = ""  # "vm" or "ct": the prefix of its HA resource id
    _ROOT_CONTENT: ClassVar[ContentType] = ContentType.IMAGES

    resource: Any

    def _check_placement(self, scope: _cdk.Construct, path: LazyPath, *, node: NodeBase, vm_id: int,
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
            (s for s in reversed(scope.node.scopes) if isinstance(s, ClusterBase)), None)
        if enclosing is not None and enclosing is not cluster:
            add("node", f"node {node.name} is not in cluster {enclosing.name}",
                f"pick a node of {enclosing.name}, or define the guest outside that cluster")
        elif not any(n is node for n in cluster.nodes):
            add("node", f"node {node.name} is not in cluster {cluster.name}", "add it with cluster.add_node first")
        other = cluster.guest(vm_id)
        if other is not None:
            add("vm_id", f"VMID {vm_id} is already taken by {other.node.path}",
                "give every guest of the cluster its own VMID")
        for i, disk in enumerate(disks):
            self._check_storage(path, f"{self.disk_prop(i)}.storage", disk.storage, self._ROOT_CONTENT, node,
                                problems)
        for i, nic in enumerate(networks):
            bridge = nic.bridge_name
            if bridge != "vmbr0" and not node.has_bridge(bridge):
                add(f"networks[{i}].bridge", f"node {node.name} has no bridge {bridge}",
                    f"add it with node.add_bridge({bridge!r}, ...) first, or use vmbr0")
        if cloud_init_storage is not None:
            self._check_storage(path, "cloud_init.storage", cloud_init_storage, ContentType.IMAGES, node, problems)
        if problems:
            raise ConfigError(problems)

    @staticmethod
    def disk_prop(index: int) -> str:
        """The prop that gives the guest's disk ``index``, as problems name it."""
        return f"disks[{index}]"

    @staticmethod
    def _check_storage(path: LazyPath, field_name: str, storage: Storage, content: ContentType, node: NodeBase,
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

    def _register(self, where: LazyPath, *, node: NodeBase, vm_id: int, disks: Sequence[Disk],
                  cpu_type: str | None, allow_host_cpu: bool, networks: Sequence[NetworkInterface]) -> None:
        """Hold the checked props and join the cluster's model (the policy's view of the guest)."""
        self._node = node
        self._vm_id = vm_id
        self._disks = tuple(disks)
        self._cpu_type = cpu_type
        self._allow_host_cpu = allow_host_cpu
        self._bridges = tuple(n.bridge_name for n in networks)
        self._replications: list[Any] = []
        volumes = tuple(
            VolumeModel(f"{self.disk_prop(i)}.storage" if i < len(self._disks) else "cloud_init.storage",
                        storage.construct_id, storage.storage_type, storage.shared,
                        self._disks[i].replicate if i < len(self._disks) else True)
            for i, storage in enumerate(self.volumes))
        self._model = GuestModel(vm_id, self.ha_resource_id, node.name, where, cpu_type=cpu_type,
                                 host_cpu=self.passes_host_cpu, allow_host_cpu=allow_host_cpu, volumes=volumes,
                                 bridges=self._bridges)
        node.cluster.join_guest(self, self._model)

    def _common_attrs(self, *, tags: Sequence[str], pool: Pool | None, started: bool,
                      protection: bool) -> dict[str, Any]:
        """The L1 arguments of VMs and containers alike; the guest is created after the cluster's membership."""
        return {"node_name": self._node.name, "vm_id": self._vm_id, "started": started,
                "tags": sorted(set(tags)) or None, "pool_id": pool.pool_id if pool else None,
                "protection": protection or None, "depends_on": [self.cluster.membership]}

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
    def guest_node(self) -> NodeBase:
        """The node the guest runs on (``node`` is the construct tree's)."""
        return self._node

    @property
    def cluster(self) -> ClusterBase:
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
    def passes_host_cpu(self) -> bool:
        """Whether its CPU type passes the node's own CPU through (:data:`HOST_CPU_TYPES`): the policy's
        migration rule asks this, so the set of such types is kept in one place."""
        return self._cpu_type in HOST_CPU_TYPES

    @property
    def bridges(self) -> tuple[str, ...]:
        """The bridges its network interfaces are on."""
        return self._bridges

    @property
    def replications(self) -> tuple[Any, ...]:
        """The replication jobs of this guest (:class:`~pvecdk.replication.Replication`)."""
        return tuple(self._replications)

    def join_replication(self, job: Any, target: str) -> None:
        """Record a replication job of this guest to node ``target`` (its constructor calls this)."""
        self.cluster.model.add_replica(self._vm_id, target)
        self._replications.append(job)
