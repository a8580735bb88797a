"""After `pvecdk import`, bpg/proxmox's first plan changes nothing: for every bpg resource type the importer writes,
each synthesized argument equals what bpg/proxmox reads back from the object the fake cluster reports.

bpg/proxmox cannot run here, so `READS` holds how it turns PVE's answer into each argument (its documented
mapping: `cores` -> `cpu.cores`, a missing `onboot` -> `on_boot = false`, ...). A type the importer writes with no
entry in `READS` fails the test, and so does an argument the entry does not cover (unless it is a setting of the
provider itself, which PVE does not hold: `EXEMPT`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import adopt_shapes as shapes
import pytest
from fakepve import FakeCluster
from proxmoxer import ProxmoxAPI
from pvecdk.adopt.adopt import adopt, build_stack
from pvecdk.adopt.imports import import_id

Attrs = dict[str, Any]
Read = Callable[[ProxmoxAPI, Attrs], Attrs]


def _kv(text: Any) -> dict[str, str]:
    if isinstance(text, dict):
        return {str(k): str(v) for k, v in text.items()}
    out: dict[str, str] = {}
    for part in str(text or "").split(","):
        key, sep, value = part.partition("=")
        out[key if sep else ""] = value if sep else key
    return out


def _flag(value: Any, default: bool = False) -> bool:
    return default if value is None else str(value) in ("1", "true", "on")


def _split(text: Any) -> list[str]:
    return sorted(p for p in re.split(r"[,; ]", str(text or "")) if p)


def _gib(text: str) -> int:
    m = re.fullmatch(r"(\d+)([MGT])", text)
    assert m, text
    return int(m.group(1)) * {"M": 1 / 1024, "G": 1, "T": 1024}[m.group(2)]


def _cluster_options(api: ProxmoxAPI, a: Attrs) -> Attrs:
    o = api.cluster.options.get()
    migration = _kv(o.get("migration"))
    return {"migration_cidr": migration.get("network"), "migration_type": migration.get("type", "secure"),
            "ha_shutdown_policy": _kv(o.get("ha")).get("shutdown_policy", "conditional")}


def _dns(api: ProxmoxAPI, a: Attrs) -> Attrs:
    d = api.nodes(a["node_name"]).dns.get()
    return {"node_name": a["node_name"], "domain": d.get("search"),
            "servers": [d[k] for k in ("dns1", "dns2", "dns3") if d.get(k)]}


def _hosts(api: ProxmoxAPI, a: Attrs) -> Attrs:
    entries = []
    for line in str(api.nodes(a["node_name"]).hosts.get()["data"]).splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and "." in words[0]:
            entries.append({"address": words[0], "hostnames": words[1:]})
    return {"node_name": a["node_name"], "entry": entries}


def _time(api: ProxmoxAPI, a: Attrs) -> Attrs:
    return {"node_name": a["node_name"], "time_zone": api.nodes(a["node_name"]).time.get()["timezone"]}


def _bridge(api: ProxmoxAPI, a: Attrs) -> Attrs:
    (i,) = [i for i in api.nodes(a["node_name"]).network.get() if i["iface"] == a["name"]]
    out = {"node_name": a["node_name"], "name": i["iface"], "address": i.get("cidr"), "gateway": i.get("gateway"),
           "comment": str(i.get("comments") or "").strip() or None, "ports": _split(i.get("bridge_ports")),
           "autostart": _flag(i.get("autostart"), True), "mtu": i.get("mtu"),
           "vlan_aware": _flag(i.get("bridge_vlan_aware"), False)}
    return out


def _ceph_pool(api: ProxmoxAPI, a: Attrs) -> Attrs:
    (p,) = [p for p in api.nodes(a["node_name"]).ceph.pool.get() if p["pool_name"] == a["name"]]
    return {"node_name": a["node_name"], "name": p["pool_name"], "size": p["size"], "min_size": p["min_size"],
            "pg_num": p["pg_num"], "pg_autoscale_mode": p["pg_autoscale_mode"],
            "application": next(iter(p.get("application_metadata") or {"rbd": {}}))}


def _haresource(api: ProxmoxAPI, a: Attrs) -> Attrs:
    r = api.cluster.ha.resources(a["resource_id"]).get()
    return {"resource_id": r["sid"], "state": r.get("state", "started"), "max_restart": r.get("max_restart", 1),
            "max_relocate": r.get("max_relocate", 1), "group": r.get("group"), "comment": r.get("comment")}


def _storage(api: ProxmoxAPI, a: Attrs) -> Attrs:
    s = api.storage(a["id"]).get()
    out = {"id": s["storage"], "content": _split(s.get("content")), "path": s.get("path"),
           "shared": _flag(s.get("shared"), False), "volume_group": s.get("vgname"), "thin_pool": s.get("thinpool"),
           "server": s.get("server"), "export": s.get("export"), "nodes": _split(s.get("nodes")) or None,
           "disable": _flag(s.get("disable"), False)}
    return out


def _pool(api: ProxmoxAPI, a: Attrs) -> Attrs:
    return {"pool_id": a["pool_id"], "comment": api.pools(a["pool_id"]).get().get("comment")}


def _pool_of(api: ProxmoxAPI, vmid: int) -> str | None:
    for pool in api.pools.get():
        members = api.pools(pool["poolid"]).get().get("members") or []
        if any(m.get("vmid") == vmid for m in members):
            return str(pool["poolid"])
    return None


def _status(api: ProxmoxAPI, node: str, kind: str, vmid: int) -> bool:
    return any(g["vmid"] == vmid and g["status"] == "running" for g in getattr(api.nodes(node), kind).get())


def _vm(api: ProxmoxAPI, a: Attrs) -> Attrs:
    node, vmid = a["node_name"], a["vm_id"]
    c = api.nodes(node).qemu(vmid).config.get()
    disks = []
    for key in sorted(k for k in c if re.fullmatch(r"(scsi|virtio|sata|ide)\d+", k)):
        opts = _kv(c[key])
        disks.append({"interface": key, "datastore_id": opts[""].split(":")[0], "size": _gib(opts["size"]),
                      "discard": opts.get("discard", "ignore"), "iothread": _flag(opts.get("iothread")),
                      "backup": _flag(opts.get("backup"), True), "replicate": not _flag(opts.get("norep"))})
    nics = []
    for key in sorted(k for k in c if re.fullmatch(r"net\d+", k)):
        opts = _kv(c[key])
        model = next(m for m in ("virtio", "e1000", "vmxnet3", "rtl8139") if m in opts)
        nics.append({"bridge": opts.get("bridge"), "firewall": _flag(opts.get("firewall")), "model": model})
    return {"node_name": node, "vm_id": vmid, "name": c.get("name"),
            "cpu": {"cores": c.get("cores", 1), "sockets": c.get("sockets", 1), "type": _kv(c.get("cpu")).get("")},
            "memory": {"dedicated": c.get("memory", 512)}, "disk": disks, "network_device": nics,
            "on_boot": _flag(c.get("onboot")), "operating_system": {"type": c.get("ostype", "other")},
            "agent": {"enabled": _flag(_kv(c.get("agent")).get(""))}, "scsi_hardware": c.get("scsihw", "lsi"),
            "started": _status(api, node, "qemu", vmid), "pool_id": _pool_of(api, vmid),
            "tags": _split(c.get("tags")) or None}


def _container(api: ProxmoxAPI, a: Attrs) -> Attrs:
    node, vmid = a["node_name"], a["vm_id"]
    c = api.nodes(node).lxc(vmid).config.get()
    root = _kv(c["rootfs"])
    nics = []
    for key in sorted(k for k in c if re.fullmatch(r"net\d+", k)):
        opts = _kv(c[key])
        nics.append({"name": opts.get("name"), "bridge": opts.get("bridge"), "firewall": _flag(opts.get("firewall"))})
    ips = [{"ipv4": {"address": _kv(c[k]).get("ip")}} for k in sorted(c) if re.fullmatch(r"net\d+", k)]
    return {"node_name": node, "vm_id": vmid, "cpu": {"cores": c.get("cores", 1)},
            "memory": {"dedicated": c.get("memory", 512), "swap": c.get("swap", 512)},
            "disk": {"datastore_id": root[""].split(":")[0], "size": _gib(root["size"]),
                     "replicate": not _flag(root.get("norep"))},
            "initialization": {"hostname": c.get("hostname"), "ip_config": ips}, "network_interface": nics,
            "start_on_boot": _flag(c.get("onboot")), "started": _status(api, node, "lxc", vmid),
            "unprivileged": _flag(c.get("unprivileged")), "operating_system": {"type": c.get("ostype")},
            "pool_id": _pool_of(api, vmid), "tags": _split(c.get("tags")) or None}


def _backup_job(api: ProxmoxAPI, a: Attrs) -> Attrs:
    (j,) = [j for j in api.cluster.backup.get() if j["id"] == a["id"]]
    prune = {k: v for k, v in _kv(j.get("prune-backups")).items() if k}
    return {"id": j["id"], "schedule": j.get("schedule"), "storage": j.get("storage"), "mode": j.get("mode"),
            "compress": j.get("compress", "0"), "all": _flag(j.get("all")), "enabled": _flag(j.get("enabled"), True),
            "prune_backups": prune or None, "notes_template": j.get("notes-template"),
            "repeat_missed": _flag(j.get("repeat-missed"))}


def _metrics(api: ProxmoxAPI, a: Attrs) -> Attrs:
    (m,) = [m for m in api.cluster.metrics.server.get() if m["id"] == a["name"]]
    return {"name": m["id"], "type": m["type"], "server": m["server"], "port": m.get("port"),
            "influx_bucket": m.get("bucket"), "influx_organization": m.get("organization"),
            "influx_db_proto": m.get("influxdbproto", "udp"), "influx_verify": _flag(m.get("verify-certificate"),
                                                                                     True)}


READS: dict[str, Read] = {
    "proxmox_cluster_options": _cluster_options, "proxmox_virtual_environment_dns": _dns,
    "proxmox_virtual_environment_hosts": _hosts, "proxmox_virtual_environment_time": _time,
    "proxmox_network_linux_bridge": _bridge, "proxmox_ceph_pool": _ceph_pool, "proxmox_haresource": _haresource,
    "proxmox_storage_directory": _storage, "proxmox_storage_lvmthin": _storage, "proxmox_storage_nfs": _storage,
    "proxmox_virtual_environment_pool": _pool, "proxmox_virtual_environment_vm": _vm,
    "proxmox_virtual_environment_container": _container, "proxmox_backup_job": _backup_job,
    "proxmox_metrics_server": _metrics,
}

#: Settings of the provider itself (how it migrates or waits), which PVE does not hold; and the container's
#: template, which the adopted module tells Terraform to ignore (PVE keeps no record of it).
EXEMPT = {"proxmox_virtual_environment_vm": {"migrate"},
          "proxmox_virtual_environment_container": {"operating_system.template_file_id"},
          "proxmox_metrics_server": {"influx_token"}}


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(v, f"{prefix}{k}.")
    else:
        yield prefix.rstrip("."), value


def _resolve(value: Any, resources: dict[str, Any]) -> Any:
    if isinstance(value, str):
        m = re.fullmatch(r"\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}", value)
        if m:
            return resources[m.group(1)][m.group(2)][m.group(3)]
    if isinstance(value, list):
        return [_resolve(v, resources) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, resources) for k, v in value.items()}
    return value


def _norm(value: Any) -> Any:
    """Lists of strings compare as sets (PVE keeps content and ports in its own order)."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return sorted(value)
    return value


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeCluster, dict[str, Any]]]:
    out = tmp_path_factory.mktemp("adopt-bpg") / "lab.py"
    with shapes.shape(3) as fake:
        shapes.add_ceph(fake, cephfs=False)
        shapes.add_nfs(fake)
        shapes.add_vm(fake, "pve1", 100, "web1", storage="vm-pool")
        shapes.add_vm(fake, "pve2", 101, "db1", cores=4, memory=8192, storage="nfs", tags="db;prod")
        shapes.add_container(fake, "pve3", 200, "dns1")
        shapes.add_jobs_and_metrics(fake)
        fake.add_ha_resource("vm:100")
        fake.set_inventory("/cluster/ha/resources/vm:100", {"sid": "vm:100", "state": "started", "max_restart": 3})
        adopt(fake.endpoint("pve1"), out, node_endpoints=shapes.node_endpoints(fake, 3),
              client_factory=shapes.client_factory(fake))
        config, errors, _ = build_stack(out.read_text(), "LabStack", "lab")
        assert config is not None and errors == []
        yield fake, config


def test_every_synthesized_argument_is_what_bpg_reads_back(adopted: tuple[FakeCluster, dict[str, Any]]) -> None:
    fake, config = adopted
    pve = shapes.api(fake)
    resources = config["resource"]
    written = {t for t in resources if not t.startswith("pvecdk_")}
    assert written - set(READS) == set(), "a bpg type the importer writes has no read model here"
    compared: dict[str, int] = {}
    differences = []
    for tf_type in sorted(written):
        for name, raw in resources[tf_type].items():
            attrs = {k: _resolve(v, resources) for k, v in raw.items() if k not in ("//", "depends_on", "lifecycle")}
            assert import_id(tf_type, attrs) is not None
            live = READS[tf_type](pve, attrs)
            for key, value in attrs.items():
                if key in EXEMPT.get(tf_type, set()):
                    continue
                if isinstance(value, dict):
                    pairs = [(f"{key}.{k}", v, dict(_flatten(live.get(key) or {})).get(k, "<not read>"))
                             for k, v in _flatten(value) if f"{key}.{k}" not in EXEMPT.get(tf_type, set())]
                else:
                    assert key in live, f"{tf_type}.{key}: no read model"
                    pairs = [(key, value, live[key])]
                for path, want, got in pairs:
                    compared[tf_type] = compared.get(tf_type, 0) + 1
                    if _norm(want) != _norm(got):
                        differences.append(f"{tf_type}.{name}.{path}: stack {want!r}, PVE {got!r}")
    assert differences == []
    assert set(compared) == written
    assert compared["proxmox_virtual_environment_vm"] >= 2 * 15, compared
