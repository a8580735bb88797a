"""The props models of VMs and containers, and the checks on their values (messages keep PVE's terms)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Annotated, Any

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

from pvecdk._base import NodeBase
from pvecdk._fault import Fault
from pvecdk._guest_values import (
    DEFAULT_CPU_TYPE,
    GENERIC_CPU_TYPES,
    HOST_CPU_TYPES,
    MAX_VMID,
    MIN_VMID,
    NAMED_CPU_TYPES,
    CloudInit,
    Disk,
    HaOptions,
    IpConfig,
    NetworkInterface,
    Pool,
)
from pvecdk._validation import Located, Props, instance_of, is_number_token, raise_at, whole_number
from pvecdk._values import dns_server
from pvecdk.bpg import (
    network_linux_bridge,
)
from pvecdk.cloudinit import Snippet
from pvecdk.images import DownloadedFile
from pvecdk.sdn.base import VnetBase
from pvecdk.storage import ContentType, Storage

_CUSTOM_CPU = re.compile(r"^custom-[A-Za-z0-9_.-]+$")
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_TAG = re.compile(r"^[a-z0-9_][a-z0-9_+.-]*$")
_BRIDGE = re.compile(r"^vmbr\d{1,4}$")
_VM_DISK = re.compile(r"^(scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|sata[0-5]|ide[0-3])$")
_TEMPLATE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*:vztmpl/.+$")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
_CACHE_MODES = ("none", "writeback", "writethrough", "directsync", "unsafe")


# -- props models
#
# Messages keep PVE's terms and the value given. Checks are attached to the inner type of optional props
# (``Annotated[...] | None``) so that an unset prop costs no Python call: a benchmark builds thousands of guests.


def _ha(value: Any) -> Any:
    if value is None or isinstance(value, (bool, HaOptions)):
        return value
    raise Fault(f"{value!r} is neither True nor HaOptions", "pass ha=True, or ha=HaOptions(...) for its settings")


def _within(low: int, high: int | None, what: str, fix: str) -> Any:
    """A check of a whole number against ``low``-``high`` (no upper bound when ``high`` is None)."""

    def check(value: int) -> int:
        if value < low or (high is not None and value > high):
            raise Fault(f"{what}, got {value!r}", f"{fix}")
        return value

    return check


def _validate_with(handler: ValidatorFunctionWrapHandler, value: Any,
                   found: list[Located]) -> Any:
    """``handler(value)``, reporting ``found`` (``(location inside the prop, what, fix)``) beside the
    problems it finds itself."""
    if not found:
        return handler(value)
    try:
        handler(value)
    except ValidationError as exc:
        raise_at(found, besides=exc)
    raise_at(found)  # found is not empty, so this raises


def _dns_name(value: str) -> str:
    if not _NAME.match(value):
        raise Fault(f"{value!r} is not a DNS name (it defaults to the construct id)", "pass a name of letters, "
                    "digits and '-', such as web-1")
    return value


def _tag(value: str) -> str:
    if not _TAG.match(value):
        raise Fault(f"{value!r} is not a PVE tag", "use lowercase letters, digits, '_', '-', '+', '.'")
    return value


def _cpu_type(value: str) -> str:
    if not (value in GENERIC_CPU_TYPES or value in HOST_CPU_TYPES or value in NAMED_CPU_TYPES
            or _CUSTOM_CPU.match(value)):
        raise Fault(f"{value!r} is not a QEMU CPU model", f"use {DEFAULT_CPU_TYPE} (migrates anywhere), a model "
                    "such as EPYC-Rome, or custom-<name>")
    return value


def _template(value: Any) -> Any:
    if isinstance(value, DownloadedFile):
        if value.content is not ContentType.VZTMPL:
            raise Fault(f"{value.node.id} is {value.content.value} content, not a container template",
                        "download it with content=ContentType.VZTMPL (a name ending .tar.zst, .tar.xz...)")
        return value
    if not isinstance(value, str) or not _TEMPLATE.match(value):
        raise Fault(f"{value!r} is not a container template volume id", "give <storage>:vztmpl/<file>, such as "
                    "local:vztmpl/debian-12-standard.tar.zst, or a DownloadedFile of vztmpl content")
    return value


def _bridge(value: Any) -> Any:
    if isinstance(value, VnetBase):
        return value  # its id was checked when the VNet was defined
    name = value if isinstance(value, str) else (
        str(value.name_input) if isinstance(value, network_linux_bridge.NetworkLinuxBridge) else None)
    if name is None:
        raise Fault(f"{value!r} is not a bridge", "give its name, such as vmbr0, what node.add_bridge "
                    "returned, or an SDN VNet")
    if not _BRIDGE.match(name):
        raise Fault(f"{name!r} is not a bridge name", "give a bridge such as vmbr0")
    return value


def _cache(value: str) -> str:
    if value not in _CACHE_MODES:
        raise Fault(f"{value!r} is not a cache mode", f"use {', '.join(_CACHE_MODES[:-1])} or {_CACHE_MODES[-1]}")
    return value


def _mac_address(value: str) -> str:
    if not _MAC.match(value):
        raise Fault(f"{value!r} is not a MAC address", "give six hex octets, such as BC:24:11:2A:00:01, or leave "
                    "it unset")
    return value


def rate_limit_mbps(value: object) -> object:
    """Check a ``rate_limit_mbps`` prop (a guest's interface, a replication job): a positive number of MB/s."""
    if is_number_token(value):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise Fault(f"must be positive (MB/s), got {value!r}", "leave it unset for no limit")
    return value


def _disk_slot(value: str) -> str:
    if not _VM_DISK.match(value):
        raise Fault(f"{value!r} is not a disk slot", "use scsi0-30, virtio0-15, sata0-5 or ide0-3")
    return value


def _cloud_init_address(keywords: tuple[str, ...], parse: Any, what: str, fix: str) -> Any:
    """A check of a cloud-init address: one of ``keywords``, or an address in CIDR notation ``parse`` takes."""

    def check(value: str) -> str:
        if value not in keywords:
            try:
                parse(value)
                if "/" not in value:
                    raise ValueError
            except ValueError:
                raise Fault(f"{value!r} is neither {what} in CIDR notation", fix) from None
        return value

    return check


_ipv4 = _cloud_init_address(("dhcp",), ipaddress.ip_interface, "dhcp nor an address",
                            "give dhcp, or an address such as 10.0.0.5/24")
_ipv6 = _cloud_init_address(("dhcp", "auto"), ipaddress.IPv6Interface, "dhcp, auto nor an IPv6 address",
                            "give dhcp, auto (SLAAC), or an address such as fd00::5/64")


def _gateway(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise Fault(f"{value!r} is not an IP address", "give the gateway's address, such as 10.0.0.1") from None
    return value


def disk_slots(disks: Sequence[Disk | _VmDiskProps]) -> list[str]:
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
    if memory is not None and not is_number_token(memory) and not is_number_token(v) and not v <= memory:
        raise Fault(f"must be 0-{memory} (memory_mib), got {v!r}", "give at most memory_mib, or leave it unset")
    return v


def _boot_devices(v: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
    if "disks" not in info.data or "networks" not in info.data or info.data.get("cloned"):
        return v  # a bad disk or interface is reported as such; a clone also boots from its template's disks
    slots = disk_slots(info.data["disks"])
    known = {*slots, *(f"net{i}" for i in range(len(info.data["networks"]))), "ide2"}
    unknown = [device for device in v if device not in known]
    if unknown:
        what = "is not a device" if len(unknown) == 1 else "are not devices"
        # A VM without disks has only net interfaces to boot from: an empty "disks ()" would be no fix.
        devices = f"its disks ({', '.join(slots)}) or net interfaces" if slots else "its net interfaces (net0...)"
        raise Fault(f"{', '.join(map(repr, unknown))} {what} of the VM", f"list {devices}")
    return v


def _drive_storage(v: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    """A VM's cloud-init drive needs a storage: its own, or the first disk's."""
    found: list[Located] = []
    if v.storage is None and info.data.get("disks") == () and not info.data.get("cloned"):
        found.append((("storage",), "no storage for the cloud-init drive", "pass CloudInit(storage=...), or give "
                      "the VM a disk"))
    return _validate_with(handler, v, found)


def _cloud_init_fits(v: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    """One way to give each setting, and no more addresses than the VM has interfaces."""
    found: list[Located] = []
    if v.interfaces and (v.ipv4 != "dhcp" or v.ipv4_gateway is not None):
        found.append((("ipv4",), "both ipv4/ipv4_gateway and interfaces are given", "give the first interface's "
                      "addresses as interfaces[0], and leave ipv4 and ipv4_gateway unset"))
    networks = info.data.get("networks")
    if isinstance(networks, tuple) and isinstance(v.interfaces, tuple) and len(v.interfaces) > len(networks):
        found.append((("interfaces",), f"{len(v.interfaces)} address settings for {len(networks)} network "
                      "interface(s)", "give at most one IpConfig per item of networks"))
    if v.user_data is not None and v.user_data_file_id is not None:
        found.append((("user_data",), "both user_data and user_data_file_id are given",
                      "give the Snippet as user_data, or the volume id as user_data_file_id"))
    return _validate_with(handler, v, found)


_Storage = Annotated[Storage, PlainValidator(instance_of(
    Storage, "pass a storage construct, or Storage.from_id(scope, 'local-lvm')"))]
NodeProp = Annotated[NodeBase, PlainValidator(instance_of(NodeBase, "pass a node returned by cluster.add_node",
                                                            name="Node"))]



class _DiskProps(Props):
    """What is checked of a :class:`Disk` itself; where its storage is defined is the guest's to check."""

    model_config = ConfigDict(from_attributes=True)

    storage: _Storage
    size_gib: Annotated[int, whole_number(1, None, "size must be 1 GiB or more",
                                          "give the size in whole GiB")]


class _VmDiskProps(_DiskProps):
    interface: Annotated[str, AfterValidator(_disk_slot)] | None
    cache: Annotated[str, AfterValidator(_cache)] | None


class _NetworkInterfaceProps(Props):
    model_config = ConfigDict(from_attributes=True)

    bridge: Annotated[str | network_linux_bridge.NetworkLinuxBridge | VnetBase, PlainValidator(_bridge)]
    vlan_id: Annotated[int, whole_number(1, 4094, "VLAN id must be 1-4094",
                                         "pick a VLAN in 1-4094")] | None
    mac_address: Annotated[str, AfterValidator(_mac_address)] | None
    rate_limit_mbps: Annotated[float, BeforeValidator(rate_limit_mbps)] | None


class _IpConfigProps(Props):
    model_config = ConfigDict(from_attributes=True)

    ipv4: Annotated[str, AfterValidator(_ipv4)] | None
    ipv4_gateway: Annotated[str, AfterValidator(_gateway)] | None
    ipv6: Annotated[str, AfterValidator(_ipv6)] | None
    ipv6_gateway: Annotated[str, AfterValidator(_gateway)] | None


class _CloudInitProps(Props):
    """A container reads only the network settings and keys of its :class:`CloudInit`."""

    model_config = ConfigDict(from_attributes=True)

    ipv4: Annotated[str, AfterValidator(_ipv4)]
    ipv4_gateway: Annotated[str, AfterValidator(_gateway)] | None
    interfaces: tuple[Annotated[_IpConfigProps, BeforeValidator(instance_of(IpConfig, "pass IpConfig(...)"))], ...]
    # Lists, so that one key or server given as a string is refused rather than taken letter by letter.
    ssh_keys: tuple[str, ...]
    dns_servers: tuple[Annotated[str, AfterValidator(dns_server)], ...]


_Snippet = Annotated[Snippet, PlainValidator(instance_of(Snippet, "pass a Snippet (pvecdk.cloudinit)"))]


class _VmCloudInitProps(_CloudInitProps):
    storage: _Storage | None
    user_data: _Snippet | None
    vendor_data: _Snippet | None
    network_data: _Snippet | None


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
    cores: Annotated[int, whole_number(1, 8192, "cores must be 1-8192",
                                       "give a whole number of cores")]
    memory_mib: Annotated[int, whole_number(16, None, "memory must be at least 16 MiB",
                                            "give the memory in MiB, such as 2048")]
    networks: tuple[_Nic, ...]
    tags: tuple[Annotated[str, AfterValidator(_tag)], ...]
    pool: Annotated[Pool, PlainValidator(instance_of(Pool, "pass Pool(...) or Pool.from_id(scope, 'name')"))] | None
    ha: Annotated[Any, PlainValidator(_ha)]


class VmProps(_GuestProps):
    cpu_type: Annotated[str, AfterValidator(_cpu_type)] | None
    sockets: Annotated[int, whole_number(1, 4, "sockets must be 1-4", "give 1-4 sockets")]
    balloon_mib: Annotated[int, whole_number(0, None, "balloon must be 0 or more MiB",
                                             "give MiB, or 0 to turn ballooning off"), AfterValidator(_balloon)] | None
    cloned: bool = False  # cloned from a template, whose disks it has besides those given
    disks: tuple[_VmDisk, ...]
    # The last validator runs first: _drive_storage and _cloud_init_fits are given a CloudInit.
    cloud_init: Annotated[_VmCloudInitProps, WrapValidator(_cloud_init_fits), WrapValidator(_drive_storage),
                          BeforeValidator(instance_of(CloudInit, _CLOUD_INIT_FIX))] | None
    boot_order: Annotated[tuple[str, ...], AfterValidator(_boot_devices)] | None
    migration_timeout_seconds: Annotated[int, whole_number(
        1, None, "must be positive", "give seconds, or leave it unset")] | None

    @field_validator("disks", mode="wrap")
    @classmethod
    def _one_disk_per_slot(cls, v: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # Two disks on one slot are each valid alone: the clash is found over the given list, so that it is
        # reported beside the problems of single disks.
        if not isinstance(v, tuple) or len(v) < 2:
            return handler(v)
        found: list[Located] = []
        seen: set[str] = set()
        for i, d in enumerate(v):
            slot = d.interface if isinstance(d, Disk) else None
            if isinstance(slot, str) and _VM_DISK.match(slot):  # a bad slot is the disk's own problem
                if slot in seen:
                    found.append(((i, "interface"), f"{slot} is used twice", "give every disk its own slot"))
                seen.add(slot)
        return _validate_with(handler, v, found)


class ContainerProps(_GuestProps):
    template: Annotated[Any, PlainValidator(_template)]
    disk: _Disk
    swap_mib: Annotated[int, whole_number(0, None, "swap must be 0 or more MiB",
                                          "give swap in MiB, or 0")]
    cloud_init: Annotated[_CloudInitProps, WrapValidator(_cloud_init_fits),
                          BeforeValidator(instance_of(CloudInit, _CLOUD_INIT_FIX))] | None


