"""``pvecdk_storage``: storage definitions of the types bpg/proxmox lacks (rbd, cephfs, iscsi, iscsidirect,
zfs over iSCSI, glusterfs), through ``/storage``.
"""

from __future__ import annotations

from pvecdk.tfplugin import Attribute, Block, ResourceType, Schema
from pvecdk.tfplugin import types as t

__all__ = ["STORAGE_SCHEMA"]

STORAGE_SCHEMA = Schema(Block((
    Attribute("id", type=t.STRING, required=True),
    Attribute("type", type=t.STRING, required=True),
    Attribute("endpoint", type=t.STRING, required=True),
    Attribute("content", type=t.Set(t.STRING), optional=True),
    Attribute("nodes", type=t.Set(t.STRING), optional=True),
    Attribute("disable", type=t.BOOL, optional=True),
    Attribute("options", type=t.Map(t.STRING), optional=True),
    Attribute("keyring", type=t.STRING, optional=True, sensitive=True),
    Attribute("allow_destroy", type=t.BOOL, optional=True),
    # The cluster's PVE release (8.4, 9.1) when the model knows it: validation then checks the options
    # against that release's table (GlusterFS is gone in 9).
    Attribute("pve_version", type=t.STRING, optional=True),
    Attribute("shared", type=t.BOOL, computed=True),
)))


class StorageResource(ResourceType):
    name = "pvecdk_storage"
    schema = STORAGE_SCHEMA

    def __init__(self, provider: object) -> None:
        self.provider = provider
