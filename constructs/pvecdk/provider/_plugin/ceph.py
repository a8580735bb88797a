"""Ceph on the cluster: ``pvecdk_ceph`` (init), monitors, managers, OSDs, metadata servers and file systems.

Each type is one Ceph object the PVE API creates on one node (``node_name``, reached at ``endpoint``).
Terraform applies them in the order Ceph needs because the constructs chain them with ``depends_on``;
each apply still checks its prerequisite (Ceph initialised, a monitor up, an MDS for a file system) and
says what is missing. Pools are bpg's ``proxmox_ceph_pool``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from pvecdk.engine.ceph import (
    CephInit,
    CephObject,
    FileSystem,
    LiveCeph,
    Manager,
    MetadataServer,
    Monitor,
    Osd,
    apply_ceph,
    plan_ceph,
    read_ceph,
    read_for,
)
from pvecdk.engine.client import Client
from pvecdk.engine.storage import NODE_NAME
from pvecdk.errors import EngineError, PlanRefused, PrerequisiteMissing
from pvecdk.provider._plugin._common import (
    REPLACE_NEEDS_STATE,
    EngineResource,
    destroy_allowed,
    has_unknown,
    known,
    local_node,
    replaced,
)
from pvecdk.tfplugin import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    Block,
    Diagnostic,
    PlanResult,
    ReadResult,
    ResourceType,
    Schema,
    error,
    warning,
)
from pvecdk.tfplugin import types as t

__all__ = [
    "CEPH_FS_SCHEMA",
    "CEPH_MANAGER_SCHEMA",
    "CEPH_MDS_SCHEMA",
    "CEPH_MONITOR_SCHEMA",
    "CEPH_OSD_SCHEMA",
    "CEPH_SCHEMA",
    "CephFsResource",
    "CephManagerResource",
    "CephMdsResource",
    "CephMonitorResource",
    "CephOsdResource",
    "CephResource",
    "ceph_resources",
]


def _daemon(*extra: Attribute) -> Schema:
    return Schema(Block((
        Attribute("id", type=t.STRING, computed=True),
        Attribute("node_name", type=t.STRING, required=True),
        Attribute("endpoint", type=t.STRING, required=True),
        *extra,
    )))


CEPH_SCHEMA = _daemon(
    Attribute("network", type=t.STRING, required=True),
    # Optional and computed: unset, Ceph uses the public network for both, and that is read back.
    Attribute("cluster_network", type=t.STRING, optional=True, computed=True),
    Attribute("fsid", type=t.STRING, computed=True),
)

CEPH_MONITOR_SCHEMA = _daemon(
    # Optional and computed: unset, PVE picks the node's address on the public network, and that is read back.
    Attribute("address", type=t.STRING, optional=True, computed=True),
)

CEPH_MANAGER_SCHEMA = _daemon()

CEPH_OSD_SCHEMA = _daemon(
    Attribute("device", type=t.STRING, required=True),
    Attribute("device_class", type=t.STRING, optional=True),
    Attribute("encrypted", type=t.BOOL, optional=True),
    Attribute("db_device", type=t.STRING, optional=True),
    Attribute("db_size_gib", type=t.NUMBER, optional=True),
    Attribute("wal_device", type=t.STRING, optional=True),
    Attribute("wal_size_gib", type=t.NUMBER, optional=True),
    Attribute("allow_destroy", type=t.BOOL, optional=True, computed=True),  # unset: false
    Attribute("osd_id", type=t.NUMBER, computed=True),
)

CEPH_MDS_SCHEMA = _daemon(
    # Optional and computed: PVE names the daemon after its node when no name is given.
    Attribute("name", type=t.STRING, optional=True, computed=True),
    Attribute("hotstandby", type=t.BOOL, optional=True),
)

CEPH_FS_SCHEMA = _daemon(
    Attribute("name", type=t.STRING, required=True),
    Attribute("pg_num", type=t.NUMBER, optional=True),
    Attribute("allow_destroy", type=t.BOOL, optional=True, computed=True),  # unset: false
    Attribute("data_pool", type=t.STRING, computed=True),
    Attribute("metadata_pool", type=t.STRING, computed=True),
)

CEPH_SCHEMAS: dict[str, Schema] = {
    "pvecdk_ceph": CEPH_SCHEMA,
    "pvecdk_ceph_monitor": CEPH_MONITOR_SCHEMA,
    "pvecdk_ceph_manager": CEPH_MANAGER_SCHEMA,
    "pvecdk_ceph_osd": CEPH_OSD_SCHEMA,
    "pvecdk_ceph_mds": CEPH_MDS_SCHEMA,
    "pvecdk_ceph_fs": CEPH_FS_SCHEMA,
}

_FS_NAME = re.compile(r"[^:/\s]+")
_IP = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3}|\[?[0-9a-fA-F:]*:[0-9a-fA-F:]+\]?)")


class _CephType(EngineResource, ResourceType):
    """What the six Ceph types share: read, plan, apply and import around one engine object."""

    #: Attributes whose change needs a new object (PVE cannot change them in place).
    replace_keys: tuple[str, ...] = ("node_name",)
    #: Computed attributes, unknown until the object exists.
    computed: tuple[str, ...] = ("id",)
    #: Optional and computed attributes: unset in the configuration, the cluster's value is read back.
    defaulted: tuple[str, ...] = ()
    #: Whether removing the object destroys data (then allow_destroy must say so).
    holds_data = False

    def obj(self, values: Mapping[str, Any]) -> CephObject:
        raise NotImplementedError

    def state(self, base: Mapping[str, Any], obj: CephObject, live: LiveCeph) -> dict[str, Any] | None:
        """The state from what the cluster reports; None when the object is gone."""
        raise NotImplementedError

    def import_values(self, id_: str, client: Client, node: str) -> dict[str, Any] | None:
        """The configuration an import id stands for (None: no such object), asked through ``node``."""
        raise NotImplementedError

    # -- helpers

    def _client(self, values: Mapping[str, Any]) -> Client:
        return self.provider.client({values["node_name"]: values["endpoint"]})

    def _read(self, values: Mapping[str, Any], obj: CephObject, *, present: bool = True,
              read: LiveCeph | None = None) -> LiveCeph:
        with self._client(values) as client:
            return read_for(client, obj, present=present, read=read)

    # -- validation shared by the types

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        diags = []
        node = config.get("node_name")
        if known(node) and not NODE_NAME.fullmatch(str(node)):
            diags.append(error("Invalid node name", f"{node!r} is not a PVE node name.", ("node_name",)))
        endpoint = config.get("endpoint")
        if known(endpoint) and not str(endpoint).startswith(("https://", "http://")):
            diags.append(error("Invalid endpoint", f"{endpoint!r} is not a URL; give the node's API URL, such as "
                               "https://10.0.0.11:8006.", ("endpoint",)))
        return diags

    # -- plan

    def plan(self, prior: Any, proposed: Any, config: Any, private: bytes) -> PlanResult:
        planned = dict(proposed)
        replace = replaced(prior, proposed, *self.replace_keys)
        for key in self.computed:
            planned[key] = UNKNOWN if prior is None or replace else prior.get(key)
        for key in self.defaulted:
            if (config or {}).get(key) is None:
                planned[key] = UNKNOWN if prior is None or replace else prior.get(key)
        if "allow_destroy" in planned and planned.get("allow_destroy") is None:
            planned["allow_destroy"] = False
        self.fill(planned)
        if has_unknown({k: planned.get(k) for k in ("node_name", "endpoint", *self.replace_keys)}):
            return PlanResult(planned, replace)
        obj = self.obj(planned)
        try:
            live = self._read(planned, obj)
        except EngineError as exc:
            return PlanResult(planned, replace, [error(f"Cannot read Ceph on {obj.node}", str(exc))])
        plan = plan_ceph(obj, live, present=True)
        diags = self.refused("Unsafe Ceph change refused", plan.refused)
        if replace:
            allow = destroy_allowed(prior)  # not the proposed config: see REPLACE_NEEDS_STATE
            old = self.obj(prior)
            try:
                # Through the same node, the removal is planned from the read above plus Ceph's safety answers.
                same_node = all(prior.get(k) == planned.get(k) for k in ("node_name", "endpoint"))
                old_live = self._read(prior, old, present=False, read=live if same_node else None)
            except EngineError as exc:
                return PlanResult(planned, replace, [error(f"Cannot read Ceph on {old.node}", str(exc))])
            gone = plan_ceph(old, old_live, present=False, allow_destroy=allow)
            # At the first attribute whose change forces the replacement: the one to put back.
            diags += [error("Unsafe Ceph change refused",
                            f"{p} (changing {', '.join(str(r[0]) for r in replace)} replaces the {old.label}; "
                            f"{REPLACE_NEEDS_STATE})", replace[0]) for p in gone.refused]
        if prior is not None and not replace and self.state(prior, obj, live) is None:
            # Gone behind Terraform's back and planned again: its computed values come from the new object.
            for key in self.computed:
                planned[key] = UNKNOWN
        return PlanResult(planned, replace, diags)

    def fill(self, planned: dict[str, Any]) -> None:
        """Set defaults the type computes from other attributes (before the plan is checked)."""

    def plan_destroy(self, prior: Any, private: bytes) -> PlanResult:
        obj = self.obj(prior)
        try:
            live = self._read(prior, obj, present=False)
        except EngineError as exc:
            if self.holds_data:
                return PlanResult(None, diagnostics=[error(f"Cannot read Ceph on {obj.node}", str(exc))])
            return PlanResult(None, diagnostics=[warning(f"Cannot read Ceph on {obj.node}", str(exc))])
        plan = plan_ceph(obj, live, present=False, allow_destroy=destroy_allowed(prior))
        return PlanResult(None, diagnostics=self.refused("Unsafe Ceph change refused", plan.refused))

    # -- apply

    def apply(self, prior: Any, planned: Any, config: Any, private: bytes) -> ApplyResult:
        values = planned if planned is not None else prior
        obj = self.obj(values)
        present = planned is not None
        try:
            with self._client(values) as client:
                live = apply_ceph(client, obj, present=present, allow_destroy=destroy_allowed(values))
        except PlanRefused as exc:
            return ApplyResult(prior, self.refused("Unsafe Ceph change refused", exc.problems))
        except PrerequisiteMissing as exc:
            return ApplyResult(prior, self.refused("Ceph prerequisite missing", exc.problems))
        except EngineError as exc:
            return ApplyResult(prior, [error(f"Ceph change failed on {obj.node}",
                                             f"{exc}\nRun the apply again to continue from where the cluster is.")])
        if not present:
            return ApplyResult(None, self.after_destroy(obj))
        state = self.state(planned, obj, live)
        if state is None:
            return ApplyResult(prior, [error(f"{obj.label} not found after creating it",
                                             f"{obj.node} does not list the {obj.label} although its task "
                                             "succeeded; run the apply again.")])
        # What was planned and known stands (Terraform holds the provider to it); the rest comes from the cluster.
        return ApplyResult({**state, **{k: v for k, v in planned.items() if v is not UNKNOWN}})

    def after_destroy(self, obj: CephObject) -> list[Diagnostic]:
        return []

    # -- read and import

    def read(self, current: Any, private: bytes) -> ReadResult:
        obj = self.obj(current)
        try:
            live = self._read(current, obj)
        except EngineError as exc:
            return ReadResult(current, [warning(f"Cannot read Ceph on {obj.node}", str(exc))])
        return ReadResult(self.state(current, obj, live))

    def imported(self, id_: str, endpoint: str) -> list[Any]:
        with self.provider.client({"import": endpoint}) as probe:
            node = local_node(probe, "import")
            members = {str(n.get("node")) for n in probe.get("import", "/nodes") or []}
        if node is None:
            raise EngineError("the endpoint did not name its node in /cluster/status", node="import")
        # Every member is asked through the import endpoint: PVE forwards /nodes/{other}/... to that node.
        with self.provider.client(dict.fromkeys(members | {node}, endpoint)) as client:
            values = self.import_values(id_, client, node)
            if values is None:
                return []
            base: dict[str, Any] = {a.name: None for a in self.schema.block.attributes}
            if "allow_destroy" in base:
                base["allow_destroy"] = False  # the argument's default: an import allows no destroy
            base.update(values, endpoint=endpoint)
            obj = self.obj(base)
            if obj.node not in members:
                return []
            live = read_for(client, obj)
        state = self.state(base, obj, live)
        return [state] if state is not None else []


def _split_id(id_: str, default_node: str) -> tuple[str, str]:
    """``node:rest`` or ``rest`` alone (then the endpoint's node)."""
    node, sep, rest = id_.partition(":")
    return (node, rest) if sep else (default_node, id_)


# --------------------------------------------------------------------------------------------------- types


class CephResource(_CephType):
    """``pvecdk_ceph``: Ceph initialised on the cluster (its ``ceph.conf``), run on ``node_name``."""

    name = "pvecdk_ceph"
    schema = CEPH_SCHEMA
    # The node that ran init changes nothing afterwards. The networks cannot change through the API: the plan
    # marks them for replacement and the engine refuses a change that differs from what ceph.conf says.
    replace_keys = ("network", "cluster_network")
    computed = ("id", "fsid")
    defaulted = ("cluster_network",)

    def obj(self, values: Mapping[str, Any]) -> CephObject:
        cluster_network = values.get("cluster_network")
        return CephInit(values["node_name"], values["network"],
                        None if cluster_network is UNKNOWN else cluster_network)

    def state(self, base: Mapping[str, Any], obj: CephObject, live: LiveCeph) -> dict[str, Any] | None:
        if not live.initialised:
            return None
        cluster_network = live.cluster_network if base.get("cluster_network") is not None else None
        return {**base, "id": live.fsid or "ceph", "fsid": live.fsid, "network": live.network or base["network"],
                "cluster_network": cluster_network}

    def after_destroy(self, obj: CephObject) -> list[Diagnostic]:
        return [warning("Ceph left as it is", "The PVE API cannot undo ceph/init, so Terraform only stops "
                        "managing it; Ceph keeps running. To remove it, run pveceph purge on each node.")]

    def import_values(self, id_: str, client: Client, node: str) -> dict[str, Any] | None:
        """``terraform import pvecdk_ceph.x <node name or fsid>``."""
        live = read_ceph(client, node, parts=frozenset())
        if not live.initialised:
            return None
        return {"node_name": node if id_ in ("", live.fsid) else id_, "network": live.network,
                "cluster_network": live.cluster_network}


class CephMonitorResource(_CephType):
    """``pvecdk_ceph_monitor``: a monitor on ``node_name`` (named after it)."""

    name = "pvecdk_ceph_monitor"
    schema = CEPH_MONITOR_SCHEMA
    replace_keys = ("node_name", "address")
    defaulted = ("address",)

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        diags = super().validate(config)
        address = config.get("address")
        if address is not None and known(address):
            for part in re.split(r"[,;\s]+", str(address).strip()):
                try:
                    ipaddress.ip_address(part)
                except ValueError:
                    diags.append(error("Invalid monitor address", f"{part!r} is not an IP address; give the "
                                       "node's address on the Ceph public network.", ("address",)))
        return diags

    def obj(self, values: Mapping[str, Any]) -> CephObject:
        address = values.get("address")
        return Monitor(values["node_name"], address if known(address) else None)

    def state(self, base: Mapping[str, Any], obj: CephObject, live: LiveCeph) -> dict[str, Any] | None:
        assert isinstance(obj, Monitor)
        mon = live.monitors.get(obj.id)
        if mon is None:
            return None
        address = base.get("address")
        if mon.address and (address is None or address is UNKNOWN or str(address) not in mon.address):
            found = _IP.search(mon.address)
            address = found.group(1).strip("[]") if found else mon.address
        return {**base, "id": obj.label, "address": address}

    def import_values(self, id_: str, client: Client, node: str) -> dict[str, Any] | None:
        return {"node_name": id_.removeprefix("mon.")}  # its address is read back (state)


class CephManagerResource(_CephType):
    """``pvecdk_ceph_manager``: a manager on ``node_name`` (named after it)."""

    name = "pvecdk_ceph_manager"
    schema = CEPH_MANAGER_SCHEMA

    def obj(self, values: Mapping[str, Any]) -> CephObject:
        return Manager(values["node_name"])

    def state(self, base: Mapping[str, Any], obj: CephObject, live: LiveCeph) -> dict[str, Any] | None:
        assert isinstance(obj, Manager)
        return {**base, "id": obj.label} if obj.id in live.managers else None

    def import_values(self, id_: str, client: Client, node: str) -> dict[str, Any] | None:
        return {"node_name": id_.removeprefix("mgr.")}


class CephOsdResource(_CephType):
    """``pvecdk_ceph_osd``: an OSD on ``device`` of ``node_name``; destroying it needs ``allow_destroy``."""

    name = "pvecdk_ceph_osd"
    schema = CEPH_OSD_SCHEMA
    # Everything but allow_destroy is fixed when the OSD is created.
    replace_keys = ("node_name", "device", "device_class", "encrypted", "db_device", "db_size_gib", "wal_device",
                    "wal_size_gib")
    computed = ("id", "osd_id")
    holds_data = True

    def obj(self, values: Mapping[str, Any]) -> CephObject:
        def num(key: str) -> float | None:
            value = values.get(key)
            return None if value is None else float(value)

        return Osd(values["node_name"], values["device"], values.get("device_class"), values.get("encrypted"),
                   values.get("db_device"), num("db_size_gib"), values.get("wal_device"), num("wal_size_gib"))

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        diags = super().validate(config)
        for size, device in (("db_size_gib", "db_device"), ("wal_size_gib", "wal_device")):
            value = config.get(size)
            if value is not None and known(value) and float(value) <= 0:
                diags.append(error(f"Invalid {size}", f"{size} must be above 0 GiB, got {value}.", (size,)))
            if known(value) and config.get(device) is None:
                diags.append(error(f"{size} without {device}", f"{size} sizes the {device}; set {device} too, "
                                   f"or leave {size} out.", (size,)))
        for key in ("device", "db_device", "wal_device"):
            value = config.get(key)
            if known(value) and not str(value).startswith("/dev/"):
                diags.append(error(f"Invalid {key}", f"{key} is a device path such as /dev/sdb, got {value!r}.",
                                   (key,)))
        same = [config.get(k) for k in ("device", "db_device", "wal_device") if known(config.get(k))]
        if config.get("device") in same[1:]:
            diags.append(error("OSD device reused", "The DB or WAL device cannot be the OSD's own device.",
                               ("device",)))
        return diags

    def state(self, base: Mapping[str, Any], obj: CephObject, live: LiveCeph) -> dict[str, Any] | None:
        assert isinstance(obj, Osd)
        osd_id = live.osd_on(obj.device)
        if osd_id is None:
            return None
        osd = live.osds.get(osd_id)
        device_class = base.get("device_class")
        if device_class is not None and osd is not None and osd.device_class:
            device_class = osd.device_class
        return {**base, "id": f"osd.{osd_id}", "osd_id": osd_id, "device_class": device_class}

    def import_values(self, id_: str, client: Client, node: str) -> dict[str, Any] | None:
        if id_.startswith("osd."):
            osd_id = int(id_.removeprefix("osd."))
            osd = read_ceph(client, node, parts=frozenset({"osd"})).osds.get(osd_id)
            if osd is None or osd.host is None:
                return None
            disks = read_ceph(client, osd.host, disks=True, parts=frozenset()).disks
            device = next((d.devpath for d in disks.values() if d.osd_id == osd_id), None)
            return {"node_name": osd.host, "device": device} if device else None
        host, device = _split_id(id_, node)
        return {"node_name": host, "device": device}


class CephMdsResource(_CephType):
    """``pvecdk_ceph_mds``: a metadata server on ``node_name``, named after it unless ``name`` says otherwise."""

    name = "pvecdk_ceph_mds"
    schema = CEPH_MDS_SCHEMA
    replace_keys = ("node_name", "name", "hotstandby")

    def fill(self, planned: dict[str, Any]) -> None:
        if planned.get("name") is None:
            planned["name"] = planned.get("node_name")

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        diags = super().validate(config)
        name = config.get("name")
        # An MDS id defaults to its node's name and takes the same format.
        if known(name) and not NODE_NAME.fullmatch(str(name)):
            diags.append(error("Invalid MDS name", f"{name!r}: letters, digits and inner hyphens only.", ("name",)))
        return diags

    def obj(self, values: Mapping[str, Any]) -> CephObject:
        return MetadataServer(values["node_name"], values.get("name") or "", values.get("hotstandby"))

    def state(self, base: Mapping[str, Any], obj: CephObject, live: LiveCeph) -> dict[str, Any] | None:
        assert isinstance(obj, MetadataServer)
        return {**base, "id": obj.label, "name": obj.id} if obj.id in live.mds else None

    def import_values(self, id_: str, client: Client, node: str) -> dict[str, Any] | None:
        host, name = _split_id(id_.removeprefix("mds."), "")
        mds = read_ceph(client, node, parts=frozenset({"mds"})).mds.get(name)
        if mds is None:
            return None
        return {"node_name": host or mds.host or node, "name": name}


class CephFsResource(_CephType):
    """``pvecdk_ceph_fs``: a CephFS, created through ``node_name``; PVE's API cannot remove one."""

    name = "pvecdk_ceph_fs"
    schema = CEPH_FS_SCHEMA
    replace_keys = ("name",)
    computed = ("id", "data_pool", "metadata_pool")
    holds_data = True

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        diags = super().validate(config)
        name = config.get("name")
        if known(name) and not _FS_NAME.fullmatch(str(name)):
            diags.append(error("Invalid file system name", f"{name!r} must not hold ':', '/' or spaces.",
                               ("name",)))
        pg_num = config.get("pg_num")
        if pg_num is not None and known(pg_num) and not 8 <= float(pg_num) <= 32768:
            diags.append(error("Invalid pg_num", f"pg_num must be between 8 and 32768, got {pg_num}.",
                               ("pg_num",)))
        return diags

    def obj(self, values: Mapping[str, Any]) -> CephObject:
        pg_num = values.get("pg_num")
        return FileSystem(values["node_name"], values["name"], None if pg_num is None else int(pg_num))

    def state(self, base: Mapping[str, Any], obj: CephObject, live: LiveCeph) -> dict[str, Any] | None:
        assert isinstance(obj, FileSystem)
        fs = live.filesystems.get(obj.name)
        if fs is None:
            return None
        return {**base, "id": fs.name, "data_pool": fs.data_pool, "metadata_pool": fs.metadata_pool}

    def after_destroy(self, obj: CephObject) -> list[Diagnostic]:
        assert isinstance(obj, FileSystem)
        return [warning(f"{obj.label} left on the cluster",
                        "The PVE API has no call to remove a CephFS, so Terraform only stops managing it. To "
                        f"remove it, run on {obj.node}: pveceph fs destroy {obj.name} --remove-storages "
                        "--remove-pools")]

    def import_values(self, id_: str, client: Client, node: str) -> dict[str, Any] | None:
        return {"node_name": node, "name": id_}


def ceph_resources(provider: Any) -> dict[str, ResourceType]:
    types: list[type[_CephType]] = [CephResource, CephMonitorResource, CephManagerResource, CephOsdResource,
                                    CephMdsResource, CephFsResource]
    return {cls.name: cls(provider) for cls in types}
