"""Write one readable stack module from an :class:`~pvecdk.adopt.model.Inventory`, with the constructs users
write: the cluster and its nodes, storage, Ceph, guests per node (with HA and replication), pools, backup jobs
and metrics servers.

Values equal to a construct's default are left out, construct ids come from PVE's names, and every secret PVE
holds (a storage password, a metrics token) becomes a sensitive ``TerraformVariable`` listed at the top. The
output depends only on the inventory, so an unchanged cluster gives the same file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pvecdk._qdevice import ODD_NODES, odd_nodes
from pvecdk._storage_types import CONTENT
from pvecdk._values import NetworkRole
from pvecdk.adopt.code import Arg, call, literal
from pvecdk.adopt.guests import GuestWriter
from pvecdk.adopt.model import Inventory, Json, LeftOut, flag, kv
from pvecdk.adopt.networks import carrier, management_interface, recognise
from pvecdk.storage import (
    CephFsStorage,
    CifsStorage,
    DirStorage,
    GlusterFsStorage,
    IscsiDirectStorage,
    IscsiStorage,
    LvmStorage,
    LvmThinStorage,
    NfsStorage,
    PbsStorage,
    RbdStorage,
    ZfsOverIscsiStorage,
    ZfsPoolStorage,
)

__all__ = ["Written", "write_module"]

@dataclass
class Written:
    """The module's text, the secrets it asks for, and what it left out."""

    text: str
    secrets: list[str] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)


#: PVE option -> construct prop, per storage type: (required, optional); the secrets and flags apart.
_STORAGE_PROPS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "dir": ({"path": "path"}, {}),
    "nfs": ({"server": "server", "export": "export"}, {"options": "mount_options"}),
    "cifs": ({"server": "server", "share": "share", "username": "username"},
             {"domain": "domain", "subdir": "subdirectory"}),
    "lvm": ({"vgname": "volume_group"}, {}),
    "lvmthin": ({"vgname": "volume_group", "thinpool": "thin_pool"}, {}),
    "zfspool": ({"pool": "pool"}, {"blocksize": "blocksize"}),
    "pbs": ({"server": "server", "datastore": "datastore", "username": "username"},
            {"fingerprint": "fingerprint", "namespace": "namespace"}),
    "rbd": ({}, {"username": "username"}),
    "cephfs": ({}, {"fs-name": "fs_name", "username": "username"}),
    "iscsi": ({"portal": "portal", "target": "target"}, {}),
    "iscsidirect": ({"portal": "portal", "target": "target"}, {}),
    "zfs": ({"portal": "portal", "target": "target", "pool": "pool", "blocksize": "blocksize",
             "iscsiprovider": "iscsi_provider"}, {}),
    "glusterfs": ({"server": "server", "volume": "volume"}, {}),
}


class _Writer(GuestWriter):
    # -- sections

    def write(self) -> None:
        self.roles = recognise(self.inv)
        self.cluster()
        self.storage_and_ceph()
        self.pools()
        self.guests()
        self.backup_jobs()
        self.metrics()
        self.access()

    def cluster(self) -> None:
        inv, roles, src = self.inv, self.roles, self.src
        src.use("Cluster")
        mgmt = roles.networks.get(NetworkRole.MANAGEMENT)
        kw: dict[str, Any] = {"name": inv.cluster_name, "management_network": str(mgmt) if mgmt else "0.0.0.0/0"}
        if mgmt is None:
            self.decide("no management network recognised: set management_network and each node's address")
        if inv.release != "9.1":
            src.use("PveVersion")
            kw["pve_version"] = Arg(f"PveVersion.V{inv.release.replace('.', '_')}")
        for role, key in ((NetworkRole.CLUSTER, "cluster_network"), (NetworkRole.STORAGE, "storage_network"),
                          (NetworkRole.MIGRATION, "migration_network")):
            if role in roles.networks:
                kw[key] = str(roles.networks[role])
        default_link = NetworkRole.CLUSTER if NetworkRole.CLUSTER in roles.networks else NetworkRole.MANAGEMENT
        if roles.links and roles.links != [(default_link, 0)]:
            src.use("CorosyncLink", "NetworkRole")
            kw["links"] = [Arg(f"CorosyncLink(NetworkRole.{role.name}" + (f", priority={prio})" if prio else ")"))
                           for role, prio in roles.links]
        if inv.qdevice:
            host = str(inv.qdevice.get("QNetd host") or inv.qdevice.get("qnetd_host") or "").split(":")[0]
            if host:
                src.use("QDevice")
                kw["qdevice"] = Arg(f"QDevice({literal(host)})")
                if odd_nodes(len(inv.nodes)) is not None:
                    # Set up by force (PVE's lms algorithm): written as it runs, and the report names the rule.
                    self.decide(f"the QDevice runs on {len(inv.nodes)} nodes, which pvecm does only when forced; "
                                f"the policy and the plan refuse a {ODD_NODES} (see the report): add a node, or "
                                "remove qdevice= and the 'Cluster/QDevice' entry of IMPORTS, then run `pvecm qdevice "
                                "remove` on a node")
        self.options(kw)
        dns = [n.dns for n in inv.nodes if n.dns]
        if dns:
            first = dns[0]
            servers = [first[k] for k in ("dns1", "dns2", "dns3") if first.get(k)]
            if servers:
                kw["dns_servers"] = servers
            if first.get("search") and first["search"] != "localdomain":
                kw["search_domain"] = first["search"]
            if any(d != first for d in dns[1:]):
                self.decide("the nodes' DNS settings differ; the stack gives every node the first node's")
        zones = sorted({n.time_zone for n in inv.nodes if n.time_zone})
        if zones and zones != ["UTC"]:
            kw["time_zone"] = zones[0]
            if len(zones) > 1:
                self.decide(f"the nodes' time zones differ ({', '.join(zones)}); the stack sets {zones[0]}")
        if roles.gateway:
            kw["management_gateway"] = roles.gateway
        firewall_on = bool(inv.firewall) and flag((inv.firewall or {}).get("enable"))
        if firewall_on:
            self.decide("the cluster firewall is on: firewall=True would replace its rules with pvecdk's "
                        "(see the report); compare them, then turn it on")
            self.skip("cluster firewall rules, aliases and IP sets", "pvecdk's firewall writes its own rule set; "
                      "adopting it would replace the cluster's rules")
        kw["firewall"] = False
        self.line(call("cluster = Cluster", [Arg("self"), "Cluster"], kw))
        over_ssh = [what for what, there in (("the QDevice", "qdevice" in kw),
                                             ("Ceph's packages", inv.ceph is not None)) if there]
        if over_ssh:
            # Nothing connects on the first plan (the imports record no key and need none); the decision is when.
            verb = "is" if len(over_ssh) == 1 and "qdevice" in kw else "are"
            self.decide(f"SSH host keys: {' and '.join(over_ssh)} {verb} managed over SSH, and the PVE API does "
                        "not report the nodes' keys, so the module pins none; the first apply that runs a command "
                        "on a node pins the key it offers and reports its fingerprint. To pin them now, give each "
                        "node ssh=SshAccess(host_key='ssh-ed25519 ...') from its /etc/ssh/ssh_host_ed25519_key.pub")
        for node in sorted(inv.nodes, key=lambda n: n.node_id):
            self.node(node)
        self.hosts(kw.get("search_domain", "localdomain"))

    def hosts(self, domain: str) -> None:
        """The stack writes every node's /etc/hosts: localhost and each node on the cluster network (link0's
        network without one). A node whose file says otherwise gets a decision to take."""
        role = NetworkRole.CLUSTER if NetworkRole.CLUSTER in self.roles.networks else NetworkRole.MANAGEMENT
        wanted = {"127.0.0.1": ["localhost.localdomain", "localhost"]}
        for n in sorted(self.inv.nodes, key=lambda n: n.node_id):
            address = self.roles.addresses.get(n.name, {}).get(role)
            if address:
                wanted[address] = [f"{n.name}.{domain}", n.name]
        for node in self.inv.nodes:
            if node.hosts is None:
                continue
            live: dict[str, list[str]] = {}
            for line in node.hosts.splitlines():
                words = line.split("#", 1)[0].split()
                if len(words) >= 2 and "." in words[0]:  # IPv4 entries: the stack writes no IPv6 ones
                    live[words[0]] = words[1:]
            if live != wanted:
                changed = sorted(a for a in set(live) | set(wanted) if live.get(a) != wanted.get(a))
                self.decide(f"{node.name}'s /etc/hosts differs from what the stack writes (every node on the "
                            f"{role.value} network): the first deploy rewrites the entries of {', '.join(changed)}")

    def options(self, kw: dict[str, Any]) -> None:
        o = self.inv.options
        migration = kv(o.get("migration"))
        if not migration.get("network"):
            default = self.roles.networks.get(NetworkRole.CLUSTER) or self.roles.networks.get(NetworkRole.MANAGEMENT)
            self.decide(f"datacenter.cfg names no migration network: the stack sets {default} (migration_network "
                        "defaults to the cluster network)")
        if migration.get("type") == "insecure" or migration.get("") == "insecure":
            self.src.use("MigrationType")
            kw["migration_type"] = Arg("MigrationType.INSECURE")
        ha = kv(o.get("ha"))
        if ha.get("shutdown_policy") and ha["shutdown_policy"] != "conditional":
            self.src.use("HaShutdownPolicy")
            kw["ha_shutdown_policy"] = Arg(f"HaShutdownPolicy.{ha['shutdown_policy'].upper()}")
        crs = kv(o.get("crs"))
        if crs.get("ha"):
            self.src.use("CrsMode")
            kw["crs_mode"] = Arg(f"CrsMode.{crs['ha'].upper()}")
        if o.get("fencing") and o["fencing"] != "watchdog":
            self.src.use("FencingMode")
            kw["fencing"] = Arg(f"FencingMode.{str(o['fencing']).upper()}")
        limits = kv(o.get("bwlimit"))
        for key in ("migration", "clone", "move", "restore", "default"):
            if limits.get(key):
                kw[f"bandwidth_limit_{key}_kibps"] = int(limits[key])
        if o.get("console"):
            self.src.use("Console")
            kw["console"] = Arg(f"Console.{str(o['console']).upper()}")
        if o.get("keyboard"):
            kw["keyboard"] = o["keyboard"]
        if o.get("mac_prefix"):
            kw["mac_prefix"] = o["mac_prefix"]
        next_id = kv(o.get("next-id"))
        if next_id:
            self.src.use("NextIdRange")
            args = ", ".join(f"{k}={int(next_id[k])}" for k in ("lower", "upper") if k in next_id)
            kw["next_id"] = Arg(f"NextIdRange({args})")
        known = {"migration", "ha", "crs", "fencing", "bwlimit", "console", "keyboard", "mac_prefix", "next-id",
                 "digest"}
        for key in sorted(set(o) - known):
            self.skip(f"cluster option {key}", "the Cluster construct has no prop for it; it stays as it is")

    def node(self, node: Any) -> None:
        roles = self.roles
        var = self.var(node.name)
        self.node_vars[node.name] = var
        addrs = roles.addresses.get(node.name, {})
        mgmt = management_interface(node)
        if node.interfaces:
            ports = str((mgmt or {}).get("bridge_ports") or "").split()
        else:  # nothing reported: the port the others' management bridge uses
            others = [management_interface(n) for n in self.inv.nodes if n.interfaces]
            ports = str((others[0] or {}).get("bridge_ports") or "").split() if others else []
        kw: dict[str, Any] = {"node_id": node.node_id}
        if node.votes != 1:
            kw["votes"] = node.votes
        kw["management_interface"] = ports[0] if ports else "eno1"
        kw["management_address"] = addrs.get(NetworkRole.MANAGEMENT, node.links.get(0, "0.0.0.0"))
        for role, key in ((NetworkRole.CLUSTER, "cluster_address"), (NetworkRole.STORAGE, "storage_address"),
                          (NetworkRole.MIGRATION, "migration_address")):
            if role in roles.networks and role in addrs:
                kw[key] = addrs[role]
                existing = self.existing_interface(node, mgmt, role, addrs[role])
                if existing is not None:
                    kw[f"{role.value}_interface"] = existing
        endpoint = self.endpoints.get(node.name)
        if endpoint and endpoint.rstrip("/") != f"https://{kw['management_address']}:8006":
            kw["endpoint"] = endpoint.rstrip("/")
        if not node.interfaces:
            how = "inferred from the other nodes' address plan" if node.name in roles.inferred else "unknown"
            self.decide(f"{node.name} did not report its interfaces: its addresses are {how}; check them and "
                        "management_interface")
        elif not ports:
            self.decide(f"{node.name}: the management bridge has no port: set management_interface")
        elif mgmt is not None and mgmt.get("iface") != "vmbr0":
            self.decide(f"{node.name}: management is on {mgmt.get('iface')}, the stack manages it as vmbr0")
        self.line(call(f"{var} = cluster.add_node", [node.name], kw))
        self.interfaces(node, var, mgmt)

    def existing_interface(self, node: Any, mgmt: Json | None, role: NetworkRole, address: str) -> str | None:
        """The interface to name as existing for ``node``'s ``role`` address: None when a bridge, bond or VLAN the
        module writes carries it; else the one that does (a NIC, or an interface the module leaves out), or, for
        a node that reported none (nothing is written for it), the one carrying that role on the others."""
        if node.interfaces:
            iface = carrier(node, address)
            if iface is not None and _written(iface, mgmt) and str(iface.get("cidr") or "").split("/")[0] == address:
                return None
            if iface is not None:
                return str(iface.get("iface"))
        for other in self.inv.nodes:
            theirs = self.roles.addresses.get(other.name, {}).get(role)
            iface = carrier(other, theirs) if other.interfaces and theirs else None
            if iface is not None:
                self.decide(f"{node.name}: its {role.value} address {address} is taken to be on "
                            f"{iface.get('iface')}, as on {other.name}; check it")
                return str(iface.get("iface"))
        self.decide(f"{node.name}: no interface is known to carry its {role.value} address {address}: set "
                    f"{role.value}_interface")
        return None

    def interfaces(self, node: Any, var: str, mgmt: Json | None) -> None:
        for iface in sorted(node.interfaces, key=lambda i: str(i.get("iface"))):
            name, kind = str(iface.get("iface")), str(iface.get("type"))
            if iface is mgmt or name == "vmbr0" or kind in ("eth", "loopback", "unknown", "alias"):
                continue
            common: dict[str, Any] = {}
            if iface.get("cidr"):
                common["address"] = iface["cidr"]
            if iface.get("comments"):
                common["comment"] = str(iface["comments"]).strip()
            if kind == "bridge":
                kw: dict[str, Any] = {}
                ports = str(iface.get("bridge_ports") or "").split()
                if ports:
                    kw["ports"] = ports
                kw.update({k: v for k, v in common.items() if k == "address"})
                if iface.get("gateway"):
                    kw["gateway"] = iface["gateway"]
                if flag(iface.get("bridge_vlan_aware")):
                    kw["vlan_aware"] = True
                if iface.get("mtu"):
                    kw["mtu"] = int(iface["mtu"])
                kw.update({k: v for k, v in common.items() if k == "comment"})
                self.line(call(f"{var}.add_bridge", [name], kw))
            elif kind == "bond":
                kw = {"slaves": str(iface.get("slaves") or "").split()}
                mode = str(iface.get("bond_mode") or "")
                if mode and mode != "active-backup":
                    self.src.use("BondMode")
                    kw["mode"] = Arg("BondMode." + {"802.3ad": "LACP"}.get(mode, mode.upper().replace("-", "_")))
                if iface.get("mtu"):
                    kw["mtu"] = int(iface["mtu"])
                kw.update(common)
                self.line(call(f"{var}.add_bond", [name], kw))
            elif kind == "vlan":
                raw = iface.get("vlan-raw-device") or name.rsplit(".", 1)[0]
                tag = iface.get("vlan-id") or name.rsplit(".", 1)[-1]
                self.line(call(f"{var}.add_vlan", [name], {"interface": raw, "vlan": int(tag), **common}))
            else:
                self.skip(f"node {node.name}: interface {name} ({kind})", "the Node construct models Linux "
                          "bridges, bonds and VLANs only")

    # -- storage and Ceph

    def storage_and_ceph(self) -> None:
        inv = self.inv
        ceph_pools = {str(p.get("pool_name")): p for p in (inv.ceph.pools if inv.ceph else [])}
        fs_names = {str(f["name"]) for f in (inv.ceph.filesystems if inv.ceph else [])}
        local: dict[str, Json] = {}
        self.line()
        self.line("        # Storage")
        for entry in sorted(inv.storage, key=lambda s: str(s.get("storage"))):
            kind, sid = str(entry.get("type")), str(entry.get("storage"))
            if kind == "rbd" and not entry.get("monhost") and str(entry.get("pool") or sid) in ceph_pools:
                local[sid] = entry
            elif kind == "cephfs" and not entry.get("monhost") and str(entry.get("fs-name") or "cephfs") in fs_names:
                local[sid] = entry
            else:
                self.storage(entry)
        if inv.ceph is not None:
            self.ceph(local)
        elif local:
            for sid in sorted(local):
                self.skip(f"storage {sid}", "its Ceph could not be read")

    def _common_storage(self, entry: Json, kind: str) -> dict[str, Any]:
        kw: dict[str, Any] = {}
        content = sorted(c for c in str(entry.get("content") or "").split(",") if c and c != "none")
        default = sorted(c.value for c in CONTENT.get(kind, (frozenset(), frozenset()))[1])
        if content and content != default:
            self.src.use("ContentType")
            kw["content"] = [Arg(f"ContentType.{c.upper()}") for c in content]
        nodes = sorted(n for n in str(entry.get("nodes") or "").split(",") if n)
        if nodes:
            kw["nodes"] = [Arg(self.node_vars[n]) for n in nodes if n in self.node_vars]
        if flag(entry.get("disable")):
            kw["enabled"] = False
        prune = kv(entry.get("prune-backups"))
        if prune and kind in ("dir", "nfs", "cifs", "pbs", "cephfs"):
            kw["retention"] = self.retention(prune)
        return kw

    def retention(self, prune: dict[str, str]) -> Arg:
        """``Retention(keep_daily=7, ...)`` from PVE's ``prune-backups`` (``keep-daily=7,...``)."""
        self.src.use("Retention")
        return Arg("Retention(" + ", ".join(
            f"{k.replace('-', '_')}={int(v)}" for k, v in sorted(prune.items()) if k.startswith("keep")) + ")")

    #: PVE storage type -> the construct's name (its STORAGE_TYPE says which type it writes).
    _STORAGE_CLASSES = {cls.STORAGE_TYPE: cls.__name__ for cls in (
        DirStorage, NfsStorage, CifsStorage, LvmStorage, LvmThinStorage, ZfsPoolStorage, PbsStorage, RbdStorage,
        CephFsStorage, IscsiStorage, IscsiDirectStorage, ZfsOverIscsiStorage, GlusterFsStorage)}

    def storage(self, entry: Json) -> None:
        kind, sid = str(entry.get("type")), str(entry.get("storage"))
        cls = self._STORAGE_CLASSES.get(kind)
        if cls is None:
            self.skip(f"storage {sid} ({kind})", f"pvecdk has no construct for {kind} storage")
            return
        e = entry
        required, optional = _STORAGE_PROPS[kind]
        kw: dict[str, Any] = {prop: e.get(option) or "" for option, prop in required.items()}
        kw.update({prop: e[option] for option, prop in optional.items() if e.get(option)})
        if kind in ("dir", "lvm") and flag(e.get("shared")):
            kw["shared"] = True
        if kind == "zfspool" and e.get("sparse") is not None:
            kw["sparse"] = flag(e["sparse"])
        if kind in ("cifs", "pbs"):
            what = "CIFS" if kind == "cifs" else "Proxmox Backup Server"
            kw["password"] = self.secret(f"{sid}_password", f"password of {what} storage {sid}")
        if kind == "rbd":
            kw["pool"] = e.get("pool") or sid
        if kind in ("rbd", "cephfs") and e.get("monhost"):
            kw["monhost"] = str(e["monhost"]).replace(",", " ").replace(";", " ").split()
            kw["keyring"] = self.secret(f"{sid}_keyring", f"Ceph keyring of external {kind} storage {sid}")
        kw.update(self._common_storage(e, kind))
        cid = self.construct_id(sid)
        var = self.var(sid)
        self.storage_vars[sid] = var
        self.src.use(cls)
        self.line(call(f"{var} = {cls}", [Arg("self"), cid], kw))

    def ceph(self, local: dict[str, Json]) -> None:
        ceph = self.inv.ceph
        assert ceph is not None
        self.line()
        self.line("        # Ceph")
        kw: dict[str, Any] = {}
        for key, prop in (("public_network", "public_network"), ("cluster_network", "cluster_network")):
            value = ceph.config.get(key)
            if not value:
                continue
            role = next((r for r, n in self.roles.networks.items() if str(n) == value.split(",")[0].strip()), None)
            if prop == "public_network" and role is NetworkRole.STORAGE:
                continue  # the default
            if prop == "cluster_network" and value == ceph.config.get("public_network"):
                continue
            self.src.use("NetworkRole")
            kw[prop] = Arg(f"NetworkRole.{role.name}") if role else value
        order = [n.name for n in sorted(self.inv.nodes, key=lambda n: n.node_id)]

        def by_node_id(hosts: list[str]) -> list[str]:
            """Hosts in the nodes' order (node ids), one that is no member last."""
            return sorted(hosts, key=lambda n: order.index(n) if n in order else len(order))

        mons_sorted = by_node_id([str(m.get("host") or m["name"]) for m in ceph.monitors])
        mgrs_sorted = by_node_id([str(m.get("host") or m["name"]) for m in ceph.managers])
        if mons_sorted != order[:3]:
            kw["monitors"] = [Arg(self.node_vars[n]) for n in mons_sorted if n in self.node_vars]
        if mgrs_sorted != mons_sorted:
            kw["managers"] = [Arg(self.node_vars[n]) for n in mgrs_sorted if n in self.node_vars]
        self.line(call("ceph = cluster.enable_ceph", [], kw))
        for osd in ceph.osds:
            node = self.node_vars.get(str(osd["host"]))
            if node is None:
                self.skip(f"osd.{osd['id']}", f"on {osd['host']}, which is not a member")
                continue
            self.line(f"        {node}.add_osd({literal(str(osd['device']))})")
        fs_pools = {p for f in ceph.filesystems for p in (f.get("data_pool"), f.get("metadata_pool"))}
        by_pool = {str(e.get("pool") or e.get("storage")): e for e in local.values() if e.get("type") == "rbd"}
        for pool in ceph.pools:
            name = str(pool.get("pool_name"))
            if name in (".mgr", "device_health_metrics") or name in fs_pools:
                continue
            self.ceph_pool(pool, by_pool.get(name))
        mds_hosts = [str(m.get("host") or m["name"]) for m in ceph.mds]
        for fs in ceph.filesystems:
            name = str(fs["name"])
            kw = {}
            if mds_hosts:
                kw["mds_nodes"] = [Arg(self.node_vars[n]) for n in by_node_id(mds_hosts) if n in self.node_vars]
            var = self.var(f"fs_{name}")
            self.line(call(f"{var} = ceph.add_filesystem", [name] if name != "cephfs" else [], kw))
            for sid, entry in sorted(local.items()):
                if entry.get("type") == "cephfs" and str(entry.get("fs-name") or "cephfs") == name:
                    self.as_storage(var, sid, name, entry, "cephfs")

    def ceph_pool(self, pool: Json, storage: Json | None) -> None:
        name = str(pool.get("pool_name"))
        kw: dict[str, Any] = {}
        size, min_size = int(pool.get("size") or 3), int(pool.get("min_size") or 2)
        if size != 3:
            kw["size"] = size
        if min_size != 2:
            kw["min_size"] = min_size
        mode = str(pool.get("pg_autoscale_mode") or "on")
        if mode != "on":
            self.src.use("PgAutoscaleMode")
            kw["pg_autoscale_mode"] = Arg(f"PgAutoscaleMode.{mode.upper()}")
            if pool.get("pg_num"):
                kw["pg_num"] = int(pool["pg_num"])
        app = pool.get("application_metadata") or {}
        apps = sorted(app) if isinstance(app, dict) else []
        if apps and apps != ["rbd"]:
            self.src.use("PoolApplication")
            kw["application"] = Arg(f"PoolApplication.{apps[0].upper()}")
        rule = pool.get("crush_rule_name") or pool.get("crush_rule")
        if rule and rule not in ("replicated_rule", 0, "0"):
            kw["crush_rule"] = str(rule)
        if pool.get("target_size_ratio"):
            kw["target_size_ratio"] = float(pool["target_size_ratio"])
        if min_size < 2 or size < 3:
            kw["allow_unsafe"] = True
            self.decide(f"pool {name} keeps size {size}/min_size {min_size}: below pvecdk's safe 3/2")
        var = self.var(name)
        self.line(call(f"{var} = ceph.add_pool", [name], kw))
        if storage is not None:
            self.as_storage(var, str(storage.get("storage")), name, storage, "rbd")

    def as_storage(self, var: str, sid: str, default_id: str, entry: Json, kind: str) -> None:
        positional: list[Any] = [sid] if sid != default_id else []
        kw = {k: v for k, v in self._common_storage(entry, kind).items() if k in ("content", "nodes")}
        if kind == "rbd" and entry.get("krbd") is not None:
            kw["krbd"] = flag(entry["krbd"])
        if kind == "cephfs" and entry.get("subdir"):
            kw["subdir"] = entry["subdir"]
        svar = self.var(f"{sid}_storage" if sid == default_id else sid)
        self.storage_vars[sid] = svar
        self.line(call(f"{svar} = {var}.as_storage", positional, kw))

    # -- jobs, metrics, access

    def backup_jobs(self) -> None:
        jobs = sorted(self.inv.backup_jobs, key=lambda j: str(j.get("id")))
        if not jobs:
            return
        self.line()
        self.line("        # Backup jobs")
        self.src.use("BackupJob")
        for job in jobs:
            jid = str(job.get("id"))
            storage = self.storage_vars.get(str(job.get("storage")))
            if storage is None:
                self.skip(f"backup job {jid}", f"its storage {job.get('storage')} is not in the stack")
                continue
            kw: dict[str, Any] = {"storage": Arg(storage)}
            if job.get("schedule") and job["schedule"] != "02:00":
                kw["schedule"] = job["schedule"]
            kw["job_id"] = jid
            mode = str(job.get("mode") or "snapshot")
            if mode != "snapshot":
                self.src.use("BackupMode")
                kw["mode"] = Arg(f"BackupMode.{mode.upper()}")
            compress = str(job.get("compress") or "0")
            if compress != "zstd":
                self.src.use("Compression")
                kw["compression"] = Arg("Compression." + {"0": "NONE", "1": "LZO"}.get(compress, compress.upper()))
            prune = kv(job.get("prune-backups"))
            if prune:
                kw["retention"] = self.retention(prune)
            if job.get("vmid"):
                ids = [int(v) for v in str(job["vmid"]).split(",") if v.strip()]
                missing = [v for v in ids if v not in self.guest_vars]
                if missing:
                    self.skip(f"backup job {jid}", f"guests {missing} are not in the stack")
                    continue
                kw["guests"] = [Arg(self.guest_vars[v]) for v in ids]
            elif job.get("pool") and str(job["pool"]) in self.pool_vars:
                kw["pool"] = Arg(self.pool_vars[str(job["pool"])])
            if job.get("node") and str(job["node"]) in self.node_vars:
                kw["node"] = Arg(self.node_vars[str(job["node"])])
            if job.get("exclude"):
                kw["exclude"] = [Arg(self.guest_vars[int(v)]) for v in str(job["exclude"]).split(",")
                                 if v.strip() and int(v) in self.guest_vars]
            if job.get("mailto"):
                kw["mail_to"] = [m for m in re.split(r"[,; ]", str(job["mailto"])) if m]
            if job.get("notes-template") != "{{guestname}}":
                kw["notes_template"] = job.get("notes-template")
            if not flag(job.get("repeat-missed")):
                kw["repeat_missed"] = False
            if job.get("enabled") is not None and not flag(job["enabled"]):
                kw["enabled"] = False
            self.line(call("BackupJob", [Arg("self"), self.construct_id(f"backup-{jid}")], kw))

    def metrics(self) -> None:
        servers = sorted(self.inv.metrics, key=lambda s: str(s.get("id")))
        if servers:
            self.line()
            self.line("        # Metrics servers")
        for server in servers:
            name, kind = str(server.get("id")), str(server.get("type"))
            kw: dict[str, Any] = {"server": server.get("server")}
            if kind == "influxdb":
                self.src.use("InfluxDbServer")
                proto = str(server.get("influxdbproto") or "udp")
                if server.get("port"):
                    kw["port"] = int(server["port"])
                if proto != "https":
                    self.src.use("InfluxDbProtocol")
                    kw["protocol"] = Arg(f"InfluxDbProtocol.{proto.upper()}")
                for key, prop in (("organization", "organization"), ("bucket", "bucket"),
                                  ("api-path-prefix", "api_path_prefix")):
                    if server.get(key):
                        kw[prop] = server[key]
                if proto in ("http", "https"):
                    token = self.secret(f"{name}_token", f"InfluxDB token of metrics server {name}")
                    kw["token"] = Arg(token.code.removesuffix(".string_value"))
                if server.get("verify-certificate") is not None and not flag(server["verify-certificate"]):
                    kw["verify_tls"] = False
                cls = "InfluxDbServer"
            elif kind == "graphite":
                self.src.use("GraphiteServer")
                if server.get("port") and int(server["port"]) != 2003:
                    kw["port"] = int(server["port"])
                if server.get("proto") and server["proto"] != "tcp":
                    self.src.use("GraphiteProtocol")
                    kw["protocol"] = Arg(f"GraphiteProtocol.{str(server['proto']).upper()}")
                if server.get("path"):
                    kw["path_prefix"] = server["path"]
                cls = "GraphiteServer"
            else:
                self.skip(f"metrics server {name} ({kind})", "written by hand: its options need a person")
                continue
            kw["name"] = name
            if server.get("mtu"):
                kw["mtu"] = int(server["mtu"])
            if server.get("timeout"):
                kw["timeout_seconds"] = int(server["timeout"])
            if flag(server.get("disable")):
                kw["enabled"] = False
            self.line(call(cls, [Arg("self"), self.construct_id(f"metrics-{name}")], kw))

    def access(self) -> None:
        users = [u for u in self.inv.users if u.get("userid") != "root@pam"]
        if users:
            self.skip(f"{len(users)} users and their tokens", "users, groups and ACLs stay as they are: pvecdk "
                      "models only its own automation access (AutomationAccess)")
        if self.inv.acl:
            self.skip(f"{len(self.inv.acl)} ACL entries", "ACLs stay as they are (see above)")


_ASSIGNED = re.compile(r"^ {8}([a-z_][a-z0-9_]*) = ")


def _written(iface: Json, mgmt: Json | None) -> bool:
    """Whether :meth:`_Writer.interfaces` writes ``iface`` (a bridge, bond or VLAN other than management's)."""
    return not (iface is mgmt or iface.get("iface") == "vmbr0") and str(iface.get("type")) in (
        "bridge", "bond", "vlan")


def _drop_unused(lines: list[str]) -> list[str]:
    """Assignments whose name nothing else uses lose their target (keeping the call)."""
    text = "\n".join(lines)
    out = []
    shift = 0
    for line in text.split("\n"):
        if shift and line.startswith(" " * (9 + shift)):
            out.append(line[shift:])  # a continuation line of the statement that lost its target
            continue
        shift = 0
        m = _ASSIGNED.match(line)
        if m and len(re.findall(rf"(?<![\w\"'.-]){m.group(1)}(?![\w\"'-])", text)) == 1:
            shift = m.end() - 8
            line = " " * 8 + line[m.end():]
        out.append(line)
    return out


def _entry(path: str, ident: str) -> str:
    """One IMPORTS line, the id split at its commas when the line would be too long."""
    line = f"    {literal(path)}: {literal(ident)},"
    if len(line) <= 120:
        return line
    parts = re.split(r"(?<=,)", ident)
    return "\n".join([f"    {literal(path)}: ("] + [f"        {literal(p)}" for p in parts] + ["    ),"])


def _module(w: _Writer, class_name: str, imports: Mapping[str, str]) -> str:
    inv = w.inv
    names = sorted(w.src.names)
    head = [f'"""Cluster {inv.cluster_name} (PVE {inv.release}), adopted from {inv.endpoint} by `pvecdk import`.',
            "", "Every resource below exists already: IMPORTS gives Terraform its id, so the first plan imports it "
            "instead", "of creating it. Lines marked DECIDE need a person's decision before the first deploy."]
    if w.secrets:
        head += ["", "Secrets (sensitive Terraform variables; set each with TF_VAR_<name>):"]
        head += [f"    {name}: {description}" for name, description in w.secrets]
    head += ['"""', "", "from __future__ import annotations", ""]
    head.append("from pvecdk import " + ", ".join(names) if len(", ".join(names)) < 90 else
                "from pvecdk import (\n" + "".join(f"    {n},\n" for n in names) + ")")
    cdk = ["Construct", "TerraformStack"] + (["TerraformVariable"] if any(
        "TerraformVariable(" in line for line in w.src.lines) else [])
    head += [f"from pvecdk._cdk import {', '.join(cdk)}", "from pvecdk.adopt import adopt_existing",
             "from pvecdk.bpg import provider", ""]
    head.append(f"SECRETS = ({', '.join(literal(n) for n, _ in w.secrets)}{',' if len(w.secrets) == 1 else ''})")
    head += ["", "", f"class {class_name}(TerraformStack):",
             f'    """Cluster {inv.cluster_name} as it ran when it was adopted."""', "",
             "    def __init__(self, scope: Construct, id: str) -> None:", "        super().__init__(scope, id)",
             call("provider.ProxmoxProvider", [Arg("self"), "proxmox"], {"endpoint": inv.endpoint})]
    body = _drop_unused(w.src.lines)
    tail = ["        adopt_existing(self, IMPORTS)", "", "",
            "#: Construct path -> the id of the object that already exists (Terraform `import` blocks).",
            "IMPORTS = {"]
    tail += [_entry(path, ident) for path, ident in sorted(imports.items())]
    tail += ["}", ""]
    return "\n".join(head + body + tail)


def write_module(inv: Inventory, *, class_name: str, node_endpoints: Mapping[str, str] | None = None,
                 imports: Mapping[str, str] | None = None) -> Written:
    """The stack module for ``inv``: a ``TerraformStack`` subclass named ``class_name``.

    Args:
        inv: What was read.
        class_name: The stack class's name.
        node_endpoints: Node name -> API URL, for nodes not reachable at ``https://<management address>:8006``.
        imports: Construct path (below the stack) -> import id; see :func:`pvecdk.adopt.imports.import_ids`.
    """
    w = _Writer(inv, node_endpoints or {})
    w.write()
    return Written(_module(w, class_name, imports or {}), [n for n, _ in w.secrets], w.left_out, w.decisions)
