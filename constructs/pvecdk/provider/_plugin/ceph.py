"""Ceph on the cluster: ``pvecdk_ceph`` (init), monitors, managers, OSDs, metadata servers and file systems.

Each type is one Ceph object the PVE API creates on one node (``node_name``, reached at ``endpoint``).
Terraform applies them in the order Ceph needs because the constructs chain them with ``depends_on``;
each apply still checks its prerequisite (Ceph initialised, a monitor up, an MDS for a file system) and
says what is missing. Pools are bpg's ``proxmox_ceph_pool``.
"""

from __future__ import annotations

from typing import Any

from pvecdk.tfplugin import Attribute, Block, ResourceType, Schema
from pvecdk.tfplugin import types as t

__all__ = [
    "CEPH_FS_SCHEMA",
    "CEPH_MANAGER_SCHEMA",
    "CEPH_MDS_SCHEMA",
    "CEPH_MONITOR_SCHEMA",
    "CEPH_OSD_SCHEMA",
    "CEPH_SCHEMA",
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
    Attribute("cluster_network", type=t.STRING, optional=True),
    Attribute("fsid", type=t.STRING, computed=True),
)

CEPH_MONITOR_SCHEMA = _daemon(
    Attribute("address", type=t.STRING, optional=True),
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
    Attribute("allow_destroy", type=t.BOOL, optional=True),
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
    Attribute("allow_destroy", type=t.BOOL, optional=True),
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


class _Pending(ResourceType):
    def __init__(self, provider: object, name: str) -> None:
        self.name = name
        self.schema = CEPH_SCHEMAS[name]


def ceph_resources(provider: Any) -> dict[str, ResourceType]:
    return {name: _Pending(provider, name) for name in CEPH_SCHEMAS}
