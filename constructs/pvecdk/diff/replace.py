"""Which attribute changes make Terraform replace a resource rather than update it in place.

Facts per provider:

- ``bpg/proxmox`` 0.111.1: ``data/bpg-proxmox-0.111.1.replace.json`` lists, per resource type, the attribute
  paths whose change forces replacement, ``always`` or ``conditional``. ``always`` paths replace on any
  change. The ``conditional`` ones are decided here as the provider's code decides them:

  - ``proxmox_virtual_environment_vm.node_name``: replaced when it changes and ``migrate`` is not true (with
    ``migrate = true`` the VM is migrated in place);
  - ``vm_id`` of VMs and containers: replaced when it changes to a set value (a null one is computed);
  - ``tpm_state``, ``tpm_state.version``, ``efi_disk.type`` of VMs: replaced when both values are set and differ;
  - ``disk`` of containers: replaced when a disk shrinks (grown in place otherwise);
  - ``proxmox_node_disk_zfs`` creation settings: replaced when changed from a set value;
  - ``size`` of downloaded files and OCI images: decided against the live file, which no offline plan sees,
    so it is treated as an update in place (the report says a live plan decides).

- ``pvecdk/pvecdk``: the attributes each resource of :mod:`pvecdk.provider._plugin` fixes at creation (its
  ``replace_keys``; a storage's ``id``, ``type`` and the options its type fixes; a cluster's ``name``; a guest
  placement's ``vm_id`` and ``type``, never its ``node_name``, which it migrates; a QDevice's ``cluster_name``,
  ``host``, and its ``node`` map when the set of nodes changes: it is set up again around a membership change).

One decision, used wherever a plan is made offline: by ``pvecdk diff``'s prediction from two syntheses, and by the
providers :mod:`pvecdk.diff.offline_plan` serves to Terraform.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from pvecdk.validate import BPG_REPLACE_FACTS

__all__ = ["LIVE_ONLY", "replace_table", "requires_replace", "values_at"]

#: Conditional paths decided against the live system: an offline plan treats them as updates in place.
LIVE_ONLY = frozenset({("proxmox_download_file", "size"), ("proxmox_virtual_environment_download_file", "size"),
                       ("proxmox_oci_image", "size"), ("proxmox_virtual_environment_oci_image", "size")})


def _pvecdk_table() -> dict[str, dict[str, str]]:
    from pvecdk.provider._plugin import ceph, guests, qdevice

    table: dict[str, dict[str, str]] = {"pvecdk_cluster": {"name": "always"},
                                        "pvecdk_storage": {"id": "always", "type": "always", "options": "conditional"}}
    for kind in (ceph.CephResource, ceph.CephMonitorResource, ceph.CephManagerResource, ceph.CephOsdResource,
                 ceph.CephMdsResource, ceph.CephFsResource, guests.GuestPlacementResource, qdevice.QDeviceResource):
        table[kind.name] = {key: "always" for key in kind.replace_keys}
    table[qdevice.QDeviceResource.name]["node"] = "conditional"
    return table


@cache
def replace_table() -> dict[str, dict[str, str]]:
    """Resource type -> attribute path -> ``always`` or ``conditional``, for both providers."""
    table: dict[str, dict[str, str]] = json.loads(BPG_REPLACE_FACTS.read_text())["resources"]
    return {**table, **_pvecdk_table()}


def values_at(value: Any, path: str) -> list[Any]:
    """Every value at a dotted ``path`` through nested blocks (lists of blocks are walked item by item)."""
    def flat(item: Any) -> list[Any]:
        return [x for one in item for x in flat(one)] if isinstance(item, list) else [item]

    items = [value]
    for step in path.split("."):
        items = [one.get(step) for item in items for one in flat(item) if isinstance(one, Mapping)]
    return items


def _set(value: Any) -> bool:
    return value is not None and value != [] and value != [None]


def _conditional(tf_type: str, path: str, before: Any, after: Any, proposed: Mapping[str, Any]) -> bool:
    if (tf_type, path) in LIVE_ONLY:
        return False
    if tf_type == "pvecdk_storage" and path == "options":
        from pvecdk.engine.storage import fixed_options

        kind = str(proposed.get("type") or "")
        old = before[0] if before and isinstance(before[0], Mapping) else {}
        new = after[0] if after and isinstance(after[0], Mapping) else {}
        return any(old.get(k) != new.get(k) for k in fixed_options(kind))
    if tf_type == "pvecdk_qdevice" and path == "node":
        return {k for m in before if isinstance(m, Mapping) for k in m} != {
            k for m in after if isinstance(m, Mapping) for k in m}
    if path == "node_name" and tf_type.endswith("_vm"):
        return proposed.get("migrate") is not True
    if path == "vm_id":
        return _set(after)
    if path == "disk" and tf_type.endswith("_container"):
        sizes = values_at(before, "size"), values_at(after, "size")
        return any(isinstance(o, (int, float)) and isinstance(n, (int, float)) and n < o
                   for o, n in zip(*sizes, strict=False))
    # tpm_state, efi_disk.type, ZFS creation settings: replaced when changed between set values
    return _set(before) and (tf_type != "proxmox_virtual_environment_vm" or _set(after))


def requires_replace(tf_type: str, prior: Mapping[str, Any] | None, proposed: Mapping[str, Any]) -> list[str]:
    """The attribute paths of ``tf_type`` whose change from ``prior`` to ``proposed`` replaces the resource
    (empty for a new resource, or an update in place)."""
    if prior is None:
        return []
    out = []
    for path, kind in replace_table().get(tf_type, {}).items():
        before, after = values_at(prior, path), values_at(proposed, path)
        if "." in path:  # inside blocks: a block added or removed without the attribute set changes nothing of it
            before, after = [v for v in before if v is not None], [v for v in after if v is not None]
        if before == after:
            continue
        if kind == "always" or _conditional(tf_type, path, before, after, proposed):
            out.append(path)
    return out
