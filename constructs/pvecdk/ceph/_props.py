"""The props models of Ceph and its parts: what Ceph, an OSD, a pool and a file system are checked against.

Values pass through unchanged (each check is a plain validator), so what reaches the L1 resource is what was
given. A problem between props, or against what the Ceph already holds (its OSDs, its file systems; the Ceph is
the validation context), is raised together with the problems of the values themselves, so one call reports
every problem at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Annotated, Any, cast

from pydantic import ModelWrapValidatorHandler, PlainValidator, ValidationInfo, model_validator

from pvecdk._base import ClusterBase, NodeBase
from pvecdk._fault import Fault
from pvecdk._validation import Located, Props, one_of, raise_at, validate_between
from pvecdk._values import NetworkRole
from pvecdk.ceph.base import CephBase, node_faults, resolve_network
from pvecdk.ceph.values import (
    MAX_PG_NUM,
    DeviceClass,
    ErasureCoding,
    PgAutoscaleMode,
    PoolApplication,
    is_name,
    valid_pg_num,
)


def _ceph(info: ValidationInfo) -> CephBase:
    return cast(CephBase, info.context)


def _named(what: str, fix: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not is_name(value):
            raise Fault(f"{value!r} is not {what}", fix)
        return value
    return check


def _pg_num(fix: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not valid_pg_num(value):
            raise Fault(f"must be a power of two up to {MAX_PG_NUM}, got {value!r}", fix)
        return value
    return check


def _choice(enum: type[DeviceClass] | type[PgAutoscaleMode] | type[PoolApplication], what: str) -> Any:
    return PlainValidator(one_of([m.value for m in enum], what, "one of " + ", ".join(m.value for m in enum)))


# ----------------------------------------------------------------------------------------------- OSDs


def _device_path(value: Any) -> Any:
    if value is not None and not re.match(r"^/dev/\S+$", value):
        raise Fault(f"{value!r} is not a device path", "give the disk as /dev/sdX or /dev/disk/by-id/...")
    return value


def _size_gib(value: Any) -> Any:
    if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise Fault(f"must be a positive size in GiB, got {value!r}", "give the size in GiB, such as 64")
    return value


_DevicePath = Annotated[str, PlainValidator(_device_path)]
_SizeGib = Annotated[float | None, PlainValidator(_size_gib)]


class OsdProps(Props):
    """An OSD's props; the context is the Ceph it joins."""

    node: Annotated[NodeBase, PlainValidator(lambda v: v)]
    device: _DevicePath
    device_class: Annotated[DeviceClass | str | None, PlainValidator(lambda v: v)]
    encrypted: bool
    db_device: _DevicePath | None
    db_size_gib: _SizeGib
    wal_device: _DevicePath | None
    wal_size_gib: _SizeGib
    allow_destroy: bool

    @model_validator(mode="wrap")
    @classmethod
    def _between(cls, data: Any, handler: ModelWrapValidatorHandler[OsdProps], info: ValidationInfo) -> Any:
        """The node first: a problem with it is the OSD's only one, as the other checks need a node. Then the
        device class, each size against its disk, and the disks against each other and the node's OSDs."""
        ceph = _ceph(info)
        faults = node_faults(ceph.cluster, "node", [data["node"]])
        if faults:
            raise_at([("node", what, fix) for what, fix in faults])
        device, db_device, wal_device = data["device"], data["db_device"], data["wal_device"]
        located: list[Located] = []
        device_class = data["device_class"]
        if device_class is not None and device_class not in set(DeviceClass):
            located.append(("device_class", f"{device_class!r} is not a device class",
                            "pick one of " + ", ".join(c.value for c in DeviceClass)))
        for field, disk_field in (("db_size_gib", "db_device"), ("wal_size_gib", "wal_device")):
            if data[field] is not None and data[disk_field] is None:
                located.append((field, f"{field} is given without {disk_field}", f"pass {disk_field}=, or remove "
                                f"{field}"))
        if device in (db_device, wal_device):
            located.append(("db_device" if device == db_device else "wal_device", f"{device} is the OSD's own disk",
                            "put the database and log on another, faster disk, or leave them unset to keep them "
                            "on the OSD's disk"))
        node = data["node"]
        on_node = [o for o in ceph.osds if o.host is node]
        if any(o.device == device for o in on_node):
            located.append(("device", f"{device} on {node.name} is already an OSD", "use each disk for one OSD"))
        elif any(device in (o.db_device, o.wal_device) for o in on_node):
            located.append(("device", f"{device} on {node.name} already holds another OSD's database or log",
                            "use another disk for the OSD"))
        for field, value in (("db_device", db_device), ("wal_device", wal_device)):
            if value is not None and value != device and any(o.device == value for o in on_node):
                located.append((field, f"{value} on {node.name} is an OSD", "give a disk that is not an OSD"))
        return validate_between(data, handler, located)


# ----------------------------------------------------------------------------------------------- pools


def _copies(value: Any) -> Any:
    if not _is_copies(value):
        raise Fault(f"must be 1-7, got {value!r}", "keep 3 copies (size=3, min_size=2)")
    return value


def _is_copies(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 7


def _erasure(ec: Any) -> Any:
    if ec is None:
        return ec
    if not isinstance(ec, ErasureCoding):
        raise Fault(f"{ec!r} is not an ErasureCoding", "pass ErasureCoding(k=..., m=...)")
    if ec.profile is None and not (isinstance(ec.k, int) and isinstance(ec.m, int)):
        raise Fault(f"k and m must be whole numbers, got k={ec.k!r}, m={ec.m!r}", "pass whole numbers, such as "
                    "k=2, m=1")
    if ec.profile is None and (ec.k < 2 or ec.m < 1):
        raise Fault(f"k={ec.k}, m={ec.m} cannot survive a failure", "use k of 2 or more and m of 1 or more, such "
                    "as k=2, m=1")
    return ec


def _ratio(value: Any) -> Any:
    if value is not None and not (isinstance(value, (int, float)) and 0 < value):
        raise Fault(f"must be positive, got {value}", "give a ratio such as 0.5")
    return value


def _crush_rule(value: Any) -> Any:
    if value is not None and not is_name(value):
        raise Fault(f"{value!r} is not a CRUSH rule name", "give an existing rule's name")
    return value


_Copies = Annotated[int, PlainValidator(_copies)]


class PoolProps(Props):
    """A pool's props."""

    name: Annotated[str, PlainValidator(_named("a pool name", "use letters, digits, '-', '_' and '.', not starting "
                                                              "with '.'"))]
    size: _Copies
    min_size: _Copies
    pg_num: Annotated[int | None, PlainValidator(_pg_num("pick 32, 64, 128, ..., or leave it unset for the "
                                                         "autoscaler"))]
    pg_autoscale_mode: Annotated[PgAutoscaleMode | str, _choice(PgAutoscaleMode, "an autoscale mode")]
    application: Annotated[PoolApplication | str, _choice(PoolApplication, "a pool application")]
    crush_rule: Annotated[str | None, PlainValidator(_crush_rule)]
    erasure_coding: Annotated[ErasureCoding | None, PlainValidator(_erasure)]
    target_size_ratio: Annotated[float | None, PlainValidator(_ratio)]
    allow_unsafe: bool
    allow_destroy: bool

    @model_validator(mode="wrap")
    @classmethod
    def _between(cls, data: Any, handler: ModelWrapValidatorHandler[PoolProps]) -> Any:
        """Copies against each other, once the name and both counts are right: ``min_size`` at most ``size``,
        and a single copy only with ``allow_unsafe``."""
        located: list[Located] = []
        size, min_size = data["size"], data["min_size"]
        if is_name(data["name"]) and _is_copies(size) and _is_copies(min_size):
            if min_size > size:
                located.append(("min_size", f"must not exceed size {size}, got {min_size}",
                                "lower min_size or raise size"))
            elif min_size == 1 and not data["allow_unsafe"]:
                located.append(("min_size", "min_size=1 lets a pool accept writes with a single copy, which the "
                                "next failed disk loses", "use min_size=2 with size=3, or pass allow_unsafe=True to "
                                "accept the risk"))
            elif size == 1 and not data["allow_unsafe"]:
                located.append(("size", "size=1 keeps one copy: any failed disk loses data",
                                "use size=3, or pass allow_unsafe=True for scratch data"))
        return validate_between(data, handler, located)


# ----------------------------------------------------------------------------------------------- file systems


class FsProps(Props):
    """A CephFS file system's props; the context is the Ceph it joins."""

    name: Annotated[str, PlainValidator(_named("a file system name", "use letters, digits, '-', '_' and '.'"))]
    pg_num: Annotated[int | None, PlainValidator(_pg_num("pick 32, 64, 128, ..., or leave it unset"))]
    allow_destroy: bool

    @model_validator(mode="wrap")
    @classmethod
    def _between(cls, data: Any, handler: ModelWrapValidatorHandler[FsProps], info: ValidationInfo) -> Any:
        """A name no other file system of the Ceph has."""
        located: list[Located] = []
        if data["name"] in _ceph(info).filesystems:
            located.append(("name", f"file system {data['name']} already exists",
                            "give every file system its own name"))
        return validate_between(data, handler, located)


# ----------------------------------------------------------------------------------------------- Ceph


def _as_given(value: Any) -> Any:
    return value


class CephProps(Props):
    """Ceph's props (``cluster.enable_ceph``); the context is the cluster. ``monitors`` and ``managers`` come
    with their defaults filled in."""

    public_network: Annotated[NetworkRole | str | None, PlainValidator(_as_given)]
    cluster_network: Annotated[NetworkRole | str | None, PlainValidator(_as_given)]
    monitors: Annotated[tuple[NodeBase, ...], PlainValidator(_as_given)]
    managers: Annotated[tuple[NodeBase, ...], PlainValidator(_as_given)]

    @model_validator(mode="wrap")
    @classmethod
    def _between(cls, data: Any, handler: ModelWrapValidatorHandler[CephProps], info: ValidationInfo) -> Any:
        """Nodes to run on (else that is the only problem), networks the cluster has or CIDRs, monitor and
        manager nodes of the cluster listed once, and each monitor with an address on the public network."""
        cluster = cast(ClusterBase, info.context)
        if not cluster.nodes:
            raise_at([("monitors", "the cluster has no node to run Ceph on",
                       "add nodes with cluster.add_node(...) before enable_ceph()")])
        located: list[Located] = []
        if data["public_network"] is None and cluster.storage_network is None:
            located.append(("public_network", "no public network: the cluster has no storage network",
                            "set storage_network on the cluster, or pass public_network="))
        public, public_role = resolve_network(cluster, data["public_network"] or NetworkRole.STORAGE,
                                              "public_network", located) if not located else (None, None)
        resolve_network(cluster, data["cluster_network"], "cluster_network", located)
        for field in ("monitors", "managers"):
            located += [(field, what, fix) for what, fix in node_faults(cluster, field, data[field])]
        if public_role is not None and public is not None:
            for node in data["monitors"]:
                if getattr(node, "cluster", None) is cluster and public_role not in node.addresses:
                    located.append(("monitors", f"monitor node {node.name} has no address on the "
                                    f"{public_role.value} network (Ceph's public network)",
                                    f"give {node.name} a {public_role.value}_address"))
        return validate_between(data, handler, located)
