"""The guests' part of the written module: resource pools, VMs and containers per node with their disks,
networks and HA, replication jobs and HA affinity rules."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from pvecdk.adopt.base import WriterBase
from pvecdk.adopt.code import Arg, call, literal
from pvecdk.adopt.model import GuestInfo, Json, flag, kv
from pvecdk.ha import _preference_name as preference_name

__all__ = ["GuestWriter"]

_DNS_LABEL = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")
_GiB = 1024**3
_UNKNOWN_TEMPLATE = "local:vztmpl/unknown.tar.zst"


def _size_gib(text: str) -> int | None:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)", text.strip())
    if m is None:
        return None
    factor = {"": 1, "K": 1024, "M": 1024**2, "G": _GiB, "T": 1024**4}[m.group(2)]
    gib = float(m.group(1)) * factor / _GiB
    return int(gib) if gib == int(gib) and gib >= 1 else None


class GuestWriter(WriterBase):
    """Writes the guests and what hangs on them."""

    # -- pools and guests

    def pools(self) -> None:
        if not self.inv.pools:
            return
        self.line()
        self.line("        # Resource pools")
        self.src.use("Pool")
        for pool in self.inv.pools:
            pid = str(pool.get("poolid"))
            var = self.var(f"pool_{pid}")
            self.pool_vars[pid] = var
            for member in pool.get("members") or []:
                if member.get("vmid") is not None:
                    self.guest_pools.setdefault(int(member["vmid"]), var)
            kw: dict[str, Any] = {"pool_id": pid}
            if pool.get("comment"):
                kw["comment"] = str(pool["comment"]).strip()
            self.line(call(f"{var} = Pool", [Arg("self"), self.construct_id(f"Pool-{pid}")], kw))

    def guests(self) -> None:
        by_node: dict[str, list[GuestInfo]] = {}
        for guest in sorted(self.inv.guests, key=lambda g: g.vmid):
            by_node.setdefault(guest.node, []).append(guest)
        names = Counter(g.name for g in self.inv.guests)
        for node in sorted(by_node):
            self.line()
            self.line(f"        # Guests on {node}")
            for guest in by_node[node]:
                unique = names[guest.name] == 1 and _DNS_LABEL.fullmatch(guest.name) is not None
                cid = self.construct_id(guest.name if unique else f"{'vm' if guest.kind == 'qemu' else 'ct'}-"
                                                                    f"{guest.vmid}")
                if guest.kind == "qemu":
                    self.vm(guest, cid, unique)
                else:
                    self.container(guest, cid, unique)
        self.replication()
        self.affinity_rules()

    def _disk(self, spec: str, interface: str | None, what: str, *, vm: bool = False) -> Arg | None:
        opts = kv(spec)
        volume = opts.get("", "")
        sid = volume.split(":", 1)[0]
        if sid not in self.storage_vars:
            self.skip(what, f"its disk {interface or 'rootfs'} is on storage {sid or volume!r}, which the stack "
                            "does not define")
            return None
        args = [self.storage_vars[sid]]
        size = _size_gib(opts.get("size", "")) if opts.get("size") else None
        if size is not None and size != 32:
            args.append(f"size_gib={size}")
        if interface is not None:
            args.append(f"interface={literal(interface)}")
        if vm:
            if flag(opts.get("ssd")):
                args.append("ssd=True")
            if opts.get("discard") != "on":
                args.append("discard=False")
            if not flag(opts.get("iothread")):
                args.append("iothread=False")
            if opts.get("cache"):
                args.append(f"cache={literal(opts['cache'])}")
        if opts.get("backup") is not None and not flag(opts["backup"]):
            args.append("backup=False")
        if flag(opts.get("norep") or "0") or (opts.get("replicate") is not None and not flag(opts["replicate"])):
            args.append("replicate=False")
        self.src.use("Disk")
        return Arg(f"Disk({', '.join(args)})")

    def _nics(self, config: Json, vm: bool) -> list[Arg] | None:
        nics: list[Arg] = []
        for key in sorted((k for k in config if re.fullmatch(r"net\d+", k)), key=lambda k: int(k[3:])):
            opts = kv(config[key])
            args: list[str] = []
            bridge = opts.get("bridge", "vmbr0")
            if bridge != "vmbr0":
                args.append(f"bridge={literal(bridge)}")
            if opts.get("tag"):
                args.append(f"vlan_id={int(opts['tag'])}")
            if not flag(opts.get("firewall")):
                args.append("firewall=False")
            model = next((m for m in ("virtio", "e1000", "vmxnet3", "rtl8139") if m in opts), "virtio")
            if vm and model != "virtio":
                args.append(f"model={literal(model)}")
            if opts.get("rate"):
                args.append(f"rate_limit_mbps={float(opts['rate'])}")
            if opts.get("mtu"):
                args.append(f"mtu={int(opts['mtu'])}")
            nics.append(Arg(f"NetworkInterface({', '.join(args)})"))
        if [n.code for n in nics] == ["NetworkInterface()"]:
            return None
        self.src.use("NetworkInterface")
        return nics

    def _ha(self, guest: GuestInfo) -> Arg | None:
        sid = f"{'vm' if guest.kind == 'qemu' else 'ct'}:{guest.vmid}"
        res = next((r for r in self.inv.ha_resources if r.get("sid") == sid), None)
        if res is None:
            return None
        self.src.use("HaOptions")
        args: list[str] = []
        if res.get("state") and res["state"] != "started":
            self.src.use("HaState")
            args.append(f"state=HaState.{str(res['state']).upper()}")
        for key in ("max_restart", "max_relocate"):
            if res.get(key) is not None and int(res[key]) != 1:
                args.append(f"{key}={int(res[key])}")
        nodes, strict, live_name = self._preference(sid, res)
        if nodes and live_name != preference_name(nodes, strict):
            kind = "rule" if self.v9 else "group"
            self.decide(f"HA {kind} {live_name} holds {sid}: pvecdk names the {kind} for these preferences "
                        f"{preference_name(nodes, strict)} and creates it; remove {live_name} once nothing uses it")
        if nodes:
            args.append("prefer={" + ", ".join(f"{self.node_vars[n]}: {p}" for n, p in nodes.items()
                                               if n in self.node_vars) + "}")
        if strict:
            args.append("strict=True")
        if res.get("failback") is not None and self.v9 and not flag(res["failback"]):
            args.append("failback=False")
        if res.get("comment"):
            args.append(f"comment={literal(str(res['comment']))}")
        return Arg(f"HaOptions({', '.join(args)})") if args else Arg("True")

    def _preference(self, sid: str, res: Json) -> tuple[dict[str, int], bool, str]:
        entry: Json | None = None
        if self.v9:
            entry = next((r for r in self.inv.ha_rules if r.get("type") == "node-affinity"
                          and sid in str(r.get("resources") or "").split(",")), None)
        elif res.get("group"):
            entry = next((g for g in self.inv.ha_groups if g.get("group") == res["group"]), None)
        if entry is None:
            return {}, False, ""
        nodes: dict[str, int] = {}
        for part in str(entry.get("nodes") or "").split(","):
            name, _, prio = part.strip().partition(":")
            if name:
                nodes[name] = int(prio) if prio else 1
        strict = flag(entry.get("strict") if self.v9 else entry.get("restricted"))
        return nodes, strict, str(entry.get("rule") if self.v9 else entry.get("group"))

    def _guest_common(self, guest: GuestInfo, kw: dict[str, Any]) -> None:
        c = guest.config
        if not flag(c.get("onboot")):
            kw["start_on_boot"] = False
        tags = sorted(t for t in re.split(r"[;, ]", str(c.get("tags") or "")) if t)
        if tags:
            kw["tags"] = tags
        pool = self.guest_pools.get(guest.vmid)
        if pool:
            kw["pool"] = Arg(pool)
        if flag(c.get("protection")):
            kw["protection"] = True
        ha = self._ha(guest)
        if ha is not None:
            kw["ha"] = ha

    def vm(self, guest: GuestInfo, cid: str, unique: bool) -> None:
        c = guest.config
        node = self.node_vars.get(guest.node)
        if node is None:
            self.skip(f"VM {guest.vmid}", f"on {guest.node}, which is not a member")
            return
        kw: dict[str, Any] = {"node": Arg(node), "vm_id": guest.vmid}
        if not unique and c.get("name"):
            kw["name"] = c["name"]
        cpu = kv(c.get("cpu")).get("") or ("x86-64-v2-AES" if self.v9 else "kvm64")
        if cpu != "x86-64-v2-AES":
            kw["cpu_type"] = cpu
            if cpu in ("host", "max"):
                kw["allow_host_cpu"] = True
                self.decide(f"VM {guest.vmid} uses CPU type {cpu}: it migrates only between identical CPUs")
        cores, sockets = int(c.get("cores") or 1), int(c.get("sockets") or 1)
        if cores != 2:
            kw["cores"] = cores
        if sockets != 1:
            kw["sockets"] = sockets
        memory = int(str(c.get("memory") or "512").split(",")[0].removeprefix("current="))
        if memory != 2048:
            kw["memory_mib"] = memory
        if c.get("balloon") and int(c["balloon"]) not in (0, memory):
            kw["balloon_mib"] = int(c["balloon"])
        disks: list[Arg] = []
        for key in sorted((k for k in c if re.fullmatch(r"(scsi|virtio|sata|ide)\d+", k)),
                          key=lambda k: (re.sub(r"\d", "", k), int(re.sub(r"\D", "", k)))):
            if "media=cdrom" in str(c[key]) or str(c[key]).startswith("none"):
                continue
            # The construct numbers scsi disks in order: scsi0, scsi1... need no interface.
            interface = None if key == f"scsi{len(disks)}" and all(
                d.code.find("interface=") < 0 for d in disks) else key
            disk = self._disk(str(c[key]), interface, f"VM {guest.vmid}", vm=True)
            if disk is None:
                return
            disks.append(disk)
        if disks:
            kw["disks"] = disks
        nics = self._nics(c, vm=True)
        if nics is not None:
            kw["networks"] = nics
        if str(c.get("scsihw") or "lsi") != "virtio-scsi-single":
            self.decide(f"VM {guest.vmid} uses SCSI controller {c.get('scsihw') or 'lsi'}: the stack sets "
                        "virtio-scsi-single, which the guest sees as new hardware")
        if c.get("ostype") and c["ostype"] != "l26":
            kw["os_type"] = c["ostype"]
        agent = kv(c.get("agent"))
        if not flag(agent.get("enabled", agent.get("", "0"))):
            kw["agent"] = False
        self._guest_common(guest, kw)
        self.src.use("Vm")
        var = self.var(cid)
        self.guest_vars[guest.vmid] = var
        self.line(call(f"{var} = Vm", [Arg("self"), cid], kw))

    def container(self, guest: GuestInfo, cid: str, unique: bool) -> None:
        c = guest.config
        node = self.node_vars.get(guest.node)
        if node is None:
            self.skip(f"container {guest.vmid}", f"on {guest.node}, which is not a member")
            return
        disk = self._disk(str(c.get("rootfs") or ""), None, f"container {guest.vmid}")
        if disk is None:
            return
        var = self.var(cid)
        self.decide(f"container {guest.vmid}: PVE does not keep the template it was made from; name the one to "
                    "recreate it from (the template is ignored while the container exists)")
        kw: dict[str, Any] = {"node": Arg(node), "vm_id": guest.vmid, "template": _UNKNOWN_TEMPLATE, "disk": disk}
        hostname = c.get("hostname")
        if hostname and hostname != cid:
            kw["hostname"] = hostname
        cores = int(c.get("cores") or 1)
        if cores != 1:
            kw["cores"] = cores
        if int(c.get("memory") or 512) != 512:
            kw["memory_mib"] = int(c["memory"])
        if int(str(c.get("swap", 512))) != 512:
            kw["swap_mib"] = int(c["swap"])
        nics = self._nics(c, vm=False)
        if nics is not None:
            kw["networks"] = nics
        if not flag(c.get("unprivileged")):
            kw["unprivileged"] = False
        if flag(kv(c.get("features")).get("nesting")):
            kw["nesting"] = True
        if c.get("ostype"):
            kw["os_type"] = c["ostype"]
        self._guest_common(guest, kw)
        self.src.use("Container")
        self.guest_vars[guest.vmid] = var
        self.line(call(f"{var} = Container", [Arg("self"), cid], kw))
        # The template is fixed at creation: an adopted container would otherwise be planned for replacement.
        self.line(f'        {var}.resource.add_override("lifecycle.ignore_changes", ["operating_system"])')

    def replication(self) -> None:
        jobs = sorted(self.inv.replication, key=lambda j: str(j.get("id")))
        if jobs:
            self.line()
            self.line("        # Storage replication")
        for job in jobs:
            jid = str(job.get("id"))
            vmid = int(str(job.get("guest") or jid.split("-")[0]))
            guest, target = self.guest_vars.get(vmid), self.node_vars.get(str(job.get("target")))
            if guest is None or target is None:
                self.skip(f"replication job {jid}", "its guest or target node is not in the stack")
                continue
            kw: dict[str, Any] = {}
            if job.get("schedule") and job["schedule"] != "*/15":
                kw["schedule"] = job["schedule"]
            if job.get("rate"):
                kw["rate_limit_mbps"] = float(job["rate"])
            if flag(job.get("disable")):
                kw["enabled"] = False
            if job.get("comment"):
                kw["comment"] = job["comment"]
            self.line(call(f"{guest}.replicate_to", [Arg(target)], kw))

    def affinity_rules(self) -> None:
        for rule in sorted(self.inv.ha_rules, key=lambda r: str(r.get("rule"))):
            if rule.get("type") != "resource-affinity":
                continue
            members = [self.guest_vars.get(int(s.split(":")[1])) for s in str(rule.get("resources")).split(",")
                       if ":" in s]
            if None in members or len(members) < 2:
                self.skip(f"HA rule {rule.get('rule')}", "one of its guests is not in the stack")
                continue
            verb = "keep_together" if rule.get("affinity") == "positive" else "keep_apart"
            kw: dict[str, Any] = {"name": rule.get("rule")}
            if rule.get("comment"):
                kw["comment"] = rule["comment"]
            self.line(call(f"cluster.ha.{verb}", [Arg("[" + ", ".join(str(m) for m in members) + "]")], kw))
