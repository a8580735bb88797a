"""Import ids: what each provider expects to adopt an existing object, and Terraform 1.5+ ``import`` blocks.

:func:`import_ids` reads a synthesized stack and gives every resource's import id, in the format of its
provider (bpg/proxmox's documented formats, and pvecdk/pvecdk's ``<id>@<endpoint>``); :func:`adopt_existing`
puts them on the stack's resources (cdktf's ``import_from``), so synthesis writes one ``import`` block each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pvecdk import _cdk
from pvecdk.provider._plugin._common import settings_id

__all__ = ["IMPORT_FORMATS", "adopt_existing", "import_id", "import_ids", "resources"]

Attrs = Mapping[str, Any]


def _node(a: Attrs) -> str:
    return str(a.get("node_name") or a.get("node_attribute") or a.get("node"))


def _settings(head: str, a: Attrs, *keys: str) -> str:
    """``head`` with the arguments ``keys`` the cluster cannot report (see :func:`settings_id`).

    Raises:
        TypeError: one is a reference, known only when Terraform runs.
    """
    settings = {k: a.get(k) for k in keys}
    if "${" in repr(settings):
        raise TypeError(f"{head}: an argument of the import id is a reference")
    return settings_id(head, settings)


#: Terraform type -> the import id of a resource with these synthesized attributes.
IMPORT_FORMATS: dict[str, Callable[[Attrs], str]] = {
    # bpg/proxmox 0.111: the "Import" section of each resource's documentation
    "proxmox_cluster_options": lambda a: "cluster",
    "proxmox_virtual_environment_cluster_firewall": lambda a: "cluster",
    "proxmox_node_firewall": _node,
    "proxmox_virtual_environment_dns": _node,
    "proxmox_virtual_environment_hosts": _node,
    "proxmox_virtual_environment_time": _node,
    "proxmox_network_linux_bridge": lambda a: f"{_node(a)}:{a['name']}",
    "proxmox_network_linux_bond": lambda a: f"{_node(a)}:{a['name']}",
    "proxmox_network_linux_vlan": lambda a: f"{_node(a)}:{a['name']}",
    "proxmox_apt_standard_repository": lambda a: f"{_node(a)},{a['handle']}",
    "proxmox_ceph_pool": lambda a: f"{_node(a)}/{a['name']}",
    "proxmox_haresource": lambda a: str(a["resource_id"]),
    "proxmox_hagroup": lambda a: str(a["group"]),
    "proxmox_harule": lambda a: str(a["rule"]),
    "proxmox_backup_job": lambda a: str(a["id"]),
    "proxmox_replication": lambda a: str(a["id"]),
    "proxmox_metrics_server": lambda a: str(a["name"]),
    "proxmox_virtual_environment_vm": lambda a: f"{_node(a)}/{a['vm_id']}",
    "proxmox_virtual_environment_container": lambda a: f"{_node(a)}/{a['vm_id']}",
    "proxmox_virtual_environment_pool": lambda a: str(a["pool_id"]),
    **{f"proxmox_storage_{kind}": (lambda a: str(a["id"]))
       for kind in ("directory", "nfs", "cifs", "lvm", "lvmthin", "zfspool", "pbs")},
    # pvecdk/pvecdk: <id>@<endpoint>, asked through the node the configuration names
    "pvecdk_cluster": lambda a: ",".join([str(a["name"])] + [f"{n}={m['endpoint']}"
                                                             for n, m in sorted(a["member"].items())]),
    "pvecdk_ceph": lambda a: f"{_node(a)}@{a['endpoint']}",
    "pvecdk_ceph_monitor": lambda a: f"{_node(a)}@{a['endpoint']}",
    "pvecdk_ceph_manager": lambda a: f"{_node(a)}@{a['endpoint']}",
    "pvecdk_ceph_osd": lambda a: f"{_node(a)}:{a['device']}@{a['endpoint']}",
    "pvecdk_ceph_mds": lambda a: f"{_node(a)}:{a.get('name') or _node(a)}@{a['endpoint']}",
    "pvecdk_ceph_fs": lambda a: f"{a['name']}@{a['endpoint']}",
    "pvecdk_storage": lambda a: f"{a['id']}@{a['endpoint']}",
    # pvecdk/pvecdk: the arguments the cluster cannot report (how nodes are reached), carried in the id
    "pvecdk_guest_placement": lambda a: _settings(f"{a['type']}/{a['vm_id']}", a, "endpoints", "ha_managed",
                                                  "timeout_seconds", "guest_address"),
    "pvecdk_ceph_packages": lambda a: _settings("ceph-packages", a, "node", "release", "repository"),
    "pvecdk_qdevice": lambda a: _settings(str(a["cluster_name"]), a, "node"),
}

_REF = re.compile(r"^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}$")


def _resolve(value: Any, resources: Mapping[str, Mapping[str, Any]]) -> Any:
    """A reference to another resource's argument (``${proxmox_hagroup.x.group}``) -> that argument."""
    if isinstance(value, str):
        m = _REF.match(value)
        if m:
            return _resolve(resources.get(m.group(1), {}).get(m.group(2), {}).get(m.group(3)), resources)
    return value


def import_id(tf_type: str, attrs: Attrs) -> str | None:
    """The import id of a resource of ``tf_type`` with these (resolved) arguments; None for a type with none."""
    fmt = IMPORT_FORMATS.get(tf_type)
    return fmt(attrs) if fmt is not None else None


def resources(config: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(Terraform type, construct path below the stack, arguments) for every resource of a synthesized stack
    (``cdk.tf.json``), by type."""
    for tf_type, items in sorted(config.get("resource", {}).items()):
        for attrs in items.values():
            yield tf_type, str(attrs["//"]["metadata"]["path"]).split("/", 1)[1], attrs


def import_ids(config: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """(construct path below the stack -> import id, the paths of resources no import id could be made for)
    for a synthesized stack (``cdk.tf.json``)."""
    by_type: Mapping[str, Mapping[str, Any]] = config.get("resource", {})
    found: dict[str, str] = {}
    missing: list[str] = []
    for tf_type, path, attrs in resources(config):
        resolved = {k: _resolve(v, by_type) for k, v in attrs.items()}
        try:
            ident = import_id(tf_type, resolved)
        except (KeyError, TypeError):
            ident = None
        if ident is None or "${" in ident:
            missing.append(f"{path} ({tf_type})")
        else:
            found[path] = ident
    return found, missing


def adopt_existing(stack: _cdk.TerraformStack, imports: Mapping[str, str]) -> None:
    """Give every resource of ``stack`` named in ``imports`` (construct path below the stack -> import id) an
    ``import`` block, so Terraform adopts the existing object instead of creating one.

    Raises:
        KeyError: a path names no resource of the stack (the module's IMPORTS is out of date).
    """
    prefix = stack.node.path + "/"
    by_path = {c.node.path.removeprefix(prefix): c for c in stack.node.find_all()
               if isinstance(c, _cdk.TerraformResource)}
    unknown = sorted(set(imports) - set(by_path))
    if unknown:
        raise KeyError(f"IMPORTS names no resource at {', '.join(unknown)}")
    for path, ident in imports.items():
        by_path[path].import_from(ident)
