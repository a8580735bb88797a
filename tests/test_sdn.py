"""SDN for tenants: zones, VNets, subnets, the EVPN controller, the one applier per cluster, guests on VNets."""

from __future__ import annotations

from typing import Any

import pytest
from built_stacks import BUILT_STACKS
from conftest import normalise
from lab import Lab, lab, only, policy_errors, resources, synth_json
from pvecdk import (
    Cluster,
    ConfigError,
    Container,
    DhcpRange,
    Disk,
    EvpnController,
    EvpnZone,
    HaOptions,
    NetworkInterface,
    NetworkRole,
    QinqZone,
    Sdn,
    SimpleZone,
    Subnet,
    VlanZone,
    Vm,
    VxlanZone,
    Zone,
    _cdk,
)
from pvecdk.bpg import provider
from pvecdk.policy import enforce


def _vm(lb: Lab, *nics: Any, vm_id: int = 100, node: int = 0, **kw: Any) -> Vm:
    return Vm(lb.stack, f"vm{vm_id}", node=lb.nodes[node], vm_id=vm_id, disks=[Disk(lb.rbd)],
              networks=[NetworkInterface(bridge=n) for n in nics], **kw)


def _appliers(config: dict[str, Any], kind: str = "Applier") -> dict[str, dict[str, Any]]:
    """The ``proxmox_sdn_applier`` resources of one kind (``Applier`` or ``Finalizer``), by name."""
    return {k: v for k, v in config["proxmox_sdn_applier"].items() if f"_Sdn_{kind}_" in k}


def _one(lb: Lab, tf_type: str) -> dict[str, Any]:
    (item,) = resources(lb.stack, tf_type)
    return item


# ----------------------------------------------------------------------------------- what is synthesized


def test_a_tenant_network_is_a_zone_a_vnet_and_a_subnet() -> None:
    lb = lab()
    zone = SimpleZone(lb.stack, "Tenants", zone_id="tenants", dhcp=True)
    web = zone.add_vnet("Web", vnet_id="web", alias="Web team")
    web.add_subnet("10.10.0.0/24", gateway="10.10.0.1", snat=True, dhcp_range=DhcpRange("10.10.0.100", "10.10.0.200"))
    config = synth_json(lb.stack)["resource"]
    (z,) = config["proxmox_sdn_zone_simple"].values()
    assert (z["id"], z["dhcp"], z["ipam"]) == ("tenants", "dnsmasq", "pve")
    assert "nodes" not in z, "every node by default"
    (v,) = config["proxmox_sdn_vnet"].values()
    assert (v["id"], v["alias"]) == ("web", "Web team") and "tag" not in v
    assert v["zone"].startswith("${proxmox_sdn_zone_simple.") and v["zone"].endswith(".id}")
    (s,) = config["proxmox_sdn_subnet"].values()
    assert (s["cidr"], s["gateway"], s["snat"]) == ("10.10.0.0/24", "10.10.0.1", True)
    assert s["dhcp_range"] == {"start_address": "10.10.0.100", "end_address": "10.10.0.200"}
    assert s["vnet"].startswith("${proxmox_sdn_vnet.")
    assert all("pvecdk_cluster." in r["depends_on"][0] for r in (z, v, s)), "created after the cluster is formed"


def test_the_applier_runs_once_per_cluster_after_every_sdn_change() -> None:
    lb = lab()
    simple = SimpleZone(lb.stack, "Tenants", zone_id="tenants")
    simple.add_vnet("Web", vnet_id="web").add_subnet("10.10.0.0/24", gateway="10.10.0.1")
    vlans = VlanZone(lb.stack, "Vlans", zone_id="vlans")
    vlans.add_vnet("Db", vnet_id="db", tag=120)
    evpn = EvpnController(lb.stack, "Evpn", asn=65000)
    EvpnZone(lb.stack, "Routed", zone_id="routed", controller=evpn, vrf_vxlan=10000)
    config = synth_json(lb.stack)["resource"]
    assert len(config["proxmox_sdn_applier"]) == 2
    (applier,) = _appliers(config).values()
    ((finalizer_name, finalizer),) = _appliers(config, "Finalizer").items()
    sdn = {f"{t}.{name}" for t, items in config.items() if t.startswith("proxmox_sdn_") and t != "proxmox_sdn_applier"
           for name in items}
    assert len(sdn) == 7
    assert set(applier["depends_on"]) == sdn | {applier["depends_on"][0]}
    assert applier["depends_on"][0].startswith("pvecdk_cluster.")
    assert set(applier["lifecycle"]["replace_triggered_by"]) == sdn, "a change to any SDN object applies again"
    assert applier["on_destroy"] is False and "on_create" not in applier, "applies on create, once"
    # The finalizer applies only when destroyed, and every SDN object waits for it: destroyed last.
    assert (finalizer["on_create"], finalizer["on_destroy"]) == (False, True)
    for t, items in config.items():
        if t.startswith("proxmox_sdn_") and t != "proxmox_sdn_applier":
            assert all(f"proxmox_sdn_applier.{finalizer_name}" in r["depends_on"] for r in items.values()), t
    assert Sdn.of(lb.cluster).applier is simple.sdn.applier is vlans.sdn.applier


def test_each_cluster_has_its_own_applier() -> None:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "test")
    clusters = []
    for n in (1, 2):
        c = Cluster(stack, f"C{n}", name=f"c{n}", management_network=f"192.168.{n}.0/24",
                    provider=provider.ProxmoxProvider(stack, f"c{n}", alias=f"c{n}"))
        c.add_node(f"pve{n}", management_interface="eno1", management_address=f"192.168.{n}.10")
        SimpleZone(stack, f"Zone{n}", zone_id="tenants", cluster=c)  # the same id in two clusters is fine
        clusters.append(c)
    config = synth_json(stack)["resource"]
    appliers = _appliers(config)
    assert len(appliers) == 2
    for name, applier in appliers.items():
        (zone,) = applier["lifecycle"]["replace_triggered_by"]
        n = name[1]  # C1_Sdn_Applier_... or C2_...
        assert zone.startswith(f"proxmox_sdn_zone_simple.Zone{n}_"), (name, zone)
        (membership,) = [d for d in applier["depends_on"] if d.startswith("pvecdk_cluster.")]
        assert membership.startswith(f"pvecdk_cluster.C{n}_Membership_"), "after its own cluster is formed"
        assert applier["provider"] == f"proxmox.c{n}", "applied through its own cluster's endpoint"
    for name, zone in config["proxmox_sdn_zone_simple"].items():
        assert zone["provider"] == f"proxmox.c{name[4]}", name  # Zone1_... or Zone2_...
    assert [Sdn.of(c).applier.friendly_unique_id for c in clusters] == sorted(appliers)


def test_no_sdn_object_means_no_applier() -> None:
    lb = lab()
    _vm(lb, "vmbr0")
    assert "proxmox_sdn_applier" not in synth_json(lb.stack)["resource"]


def test_a_guest_on_a_vnet_gets_its_id_as_bridge_and_waits_for_the_applier() -> None:
    lb = lab()
    web = SimpleZone(lb.stack, "Tenants", zone_id="tenants").add_vnet("Web", vnet_id="web")
    vm = _vm(lb, web, "vmbr0")
    Container(lb.stack, "ct", node=lb.nodes[1], vm_id=200, template="local:vztmpl/debian-12-standard.tar.zst",
              disk=Disk(lb.rbd, size_gib=8), networks=[NetworkInterface(bridge=web)])
    config = synth_json(lb.stack)["resource"]
    (applier,) = _appliers(config)
    (v,) = config["proxmox_virtual_environment_vm"].values()
    assert [n["bridge"] for n in v["network_device"]] == ["web", "vmbr0"]
    assert f"proxmox_sdn_applier.{applier}" in v["depends_on"]
    (ct,) = config["proxmox_virtual_environment_container"].values()
    assert ct["network_interface"][0]["bridge"] == "web"
    assert f"proxmox_sdn_applier.{applier}" in ct["depends_on"]
    assert vm.vnets == (web,) and vm.bridges == ("vmbr0",)


def test_a_guest_without_a_vnet_does_not_wait_for_the_applier() -> None:
    lb = lab()
    SimpleZone(lb.stack, "Tenants", zone_id="tenants").add_vnet("Web", vnet_id="web")
    _vm(lb, "vmbr0")
    v = _one(lb, "proxmox_virtual_environment_vm")
    assert not any(d.startswith("proxmox_sdn_applier.") for d in v["depends_on"])


def test_vlan_and_qinq_zones_take_their_bridge_and_tags() -> None:
    lb = lab()
    trunks = [n.add_bridge("vmbr1", ports=["eno2"], vlan_aware=True) for n in lb.nodes]
    VlanZone(lb.stack, "Vlans", zone_id="vlans", bridge=trunks[0]).add_vnet("Db", vnet_id="db", tag=120)
    QinqZone(lb.stack, "Stacked", zone_id="stacked", bridge="vmbr1", service_vlan=300,
             service_vlan_protocol="802.1ad").add_vnet("Cust", vnet_id="cust1", tag=5)
    config = synth_json(lb.stack)["resource"]
    (vlan,) = config["proxmox_sdn_zone_vlan"].values()
    assert vlan["bridge"] == "vmbr1"
    (qinq,) = config["proxmox_sdn_zone_qinq"].values()
    assert (qinq["bridge"], qinq["service_vlan"], qinq["service_vlan_protocol"]) == ("vmbr1", 300, "802.1ad")
    assert sorted(v["tag"] for v in config["proxmox_sdn_vnet"].values()) == [5, 120]


def test_vxlan_peers_default_to_the_zone_nodes_on_the_cluster_network() -> None:
    lb = lab()
    VxlanZone(lb.stack, "Overlay", zone_id="overlay", nodes=lb.nodes[:2], mtu=1450)
    z = _one(lb, "proxmox_sdn_zone_vxlan")
    assert z["peers"] == ["10.0.0.11", "10.0.0.12"] and z["nodes"] == ["pve1", "pve2"] and z["mtu"] == 1450


def test_evpn_zone_refers_to_its_controller() -> None:
    lb = lab()
    evpn = EvpnController(lb.stack, "Evpn", controller_id="evpn", asn=4_294_967_295)
    EvpnZone(lb.stack, "Routed", zone_id="routed", controller=evpn, vrf_vxlan=16_777_215, exit_nodes=lb.nodes[:2],
             primary_exit_node=lb.nodes[1], advertise_subnets=True)
    c = _one(lb, "proxmox_sdn_controller_evpn")
    assert (c["id"], c["asn"], c["peers"]) == ("evpn", 4_294_967_295, ["10.0.0.11", "10.0.0.12", "10.0.0.13"])
    z = _one(lb, "proxmox_sdn_zone_evpn")
    assert z["controller"].startswith("${proxmox_sdn_controller_evpn.")
    assert (z["vrf_vxlan"], z["exit_nodes"], z["primary_exit_node"], z["advertise_subnets"]) == (
        16_777_215, ["pve1", "pve2"], "pve2", True)


def test_zone_id_defaults_to_the_construct_id() -> None:
    lb = lab()
    zone = SimpleZone(lb.stack, "tenants")
    assert zone.zone_id == "tenants" and _one(lb, "proxmox_sdn_zone_simple")["id"] == "tenants"


def test_sdn_stack_snapshot(synth: Any, snapshot_json: Any) -> None:
    config = synth(BUILT_STACKS["sdn"], "sdn")
    assert normalise(config) == snapshot_json
    res = config["resource"]
    assert len(_appliers(res)) == 1 and len(_appliers(res, "Finalizer")) == 1
    kinds = sorted(t.removeprefix("proxmox_sdn_") for t in res if t.startswith("proxmox_sdn_"))
    assert kinds == ["applier", "controller_evpn", "subnet", "vnet", "zone_evpn", "zone_qinq", "zone_simple",
                     "zone_vlan", "zone_vxlan"]
    bridges = {v["vm_id"]: [n["bridge"] for n in v["network_device"]]
               for v in res["proxmox_virtual_environment_vm"].values()}
    assert bridges == {101: ["web", "db"], 102: ["app"]}


# ------------------------------------------------------------------------------------------ rejections


def _problem(build: Any) -> Any:
    with pytest.raises(ConfigError) as excinfo:
        build()
    return only(excinfo)


@pytest.mark.parametrize("zone_id", ["a", "1zone", "zone-1", "toolong12", "zone_1", ""])
def test_rejects_a_zone_id_pve_refuses(zone_id: str) -> None:
    lb = lab()
    p = _problem(lambda: SimpleZone(lb.stack, "Z", zone_id=zone_id))
    assert (p.path, p.field) == ("test/Z", "zone_id") and "2-8 letters and digits" in p.fix


@pytest.mark.parametrize("zone_id", ["ab", "Zone1234", "z9"])
def test_accepts_zone_ids_at_the_bounds(zone_id: str) -> None:
    lb = lab()
    assert SimpleZone(lb.stack, "Z", zone_id=zone_id).zone_id == zone_id


def test_rejects_a_construct_id_that_is_no_zone_id_saying_it_is_the_default() -> None:
    lb = lab()
    p = _problem(lambda: SimpleZone(lb.stack, "TenantNetworks"))
    assert p.field == "zone_id" and "defaults to the construct id" in p.fix


def test_rejects_a_zone_id_taken_twice_in_the_cluster() -> None:
    lb = lab()
    SimpleZone(lb.stack, "A", zone_id="tenants")
    p = _problem(lambda: VlanZone(lb.stack, "B", zone_id="tenants"))
    assert (p.path, p.field) == ("test/B", "zone_id") and "test/A" in p.problem


def test_rejects_a_vnet_id_taken_twice_in_the_cluster_even_in_another_zone() -> None:
    lb = lab()
    SimpleZone(lb.stack, "A", zone_id="za").add_vnet("Web", vnet_id="web")
    p = _problem(lambda: VlanZone(lb.stack, "B", zone_id="zb").add_vnet("Web", vnet_id="web", tag=10))
    assert (p.path, p.field) == ("test/B/Web", "vnet_id") and "own id" in p.fix


def test_rejects_a_vnet_named_like_a_node_bridge() -> None:
    lb = lab()
    lb.nodes[1].add_bridge("vmbr1", ports=["eno2"])
    zone = SimpleZone(lb.stack, "A", zone_id="za")
    p = _problem(lambda: zone.add_vnet("V", vnet_id="vmbr1"))
    assert p.field == "vnet_id" and "pve2" in p.problem
    p = _problem(lambda: zone.add_vnet("V0", vnet_id="vmbr0"))
    assert "pve1, pve2, pve3" in p.problem


@pytest.mark.parametrize("tag", [0, 4095, -1])
def test_rejects_a_vlan_tag_outside_1_to_4094(tag: int) -> None:
    lb = lab()
    zone = VlanZone(lb.stack, "V", zone_id="vlans")
    p = _problem(lambda: zone.add_vnet("Db", vnet_id="db", tag=tag))
    assert (p.path, p.field) == ("test/V/Db", "tag") and "1-4094" in p.fix and str(tag) in p.problem


@pytest.mark.parametrize("tag", [1, 4094])
def test_accepts_vlan_tags_at_the_bounds(tag: int) -> None:
    lb = lab()
    VlanZone(lb.stack, "V", zone_id="vlans").add_vnet("Db", vnet_id="db", tag=tag)
    assert _one(lb, "proxmox_sdn_vnet")["tag"] == tag


def test_rejects_a_vlan_vnet_without_a_tag_and_a_simple_vnet_with_one() -> None:
    lb = lab()
    p = _problem(lambda: VlanZone(lb.stack, "V", zone_id="vlans").add_vnet("Db", vnet_id="db"))
    assert p.field == "tag" and "needs a VLAN id" in p.problem
    p = _problem(lambda: SimpleZone(lb.stack, "S", zone_id="simple").add_vnet("W", vnet_id="vw", tag=10))
    assert p.field == "tag" and "simple zone has no tag" in p.problem


def test_rejects_a_tag_twice_in_a_zone_but_not_in_two_zones() -> None:
    lb = lab()
    a = VlanZone(lb.stack, "A", zone_id="za")
    a.add_vnet("One", vnet_id="one", tag=10)
    p = _problem(lambda: a.add_vnet("Two", vnet_id="two", tag=10))
    assert p.field == "tag" and "test/A/One" in p.problem
    lb.nodes[0].add_bridge("vmbr1", ports=["eno2"])
    VlanZone(lb.stack, "B", zone_id="zb", bridge="vmbr1", nodes=[lb.nodes[0]]).add_vnet("Three", vnet_id="three",
                                                                                        tag=10)


@pytest.mark.parametrize("tag", [0, 16_777_216])
def test_rejects_a_vxlan_id_outside_1_to_16777215(tag: int) -> None:
    lb = lab()
    zone = VxlanZone(lb.stack, "X", zone_id="overlay")
    p = _problem(lambda: zone.add_vnet("App", vnet_id="app", tag=tag))
    assert p.field == "tag" and "1-16777215" in p.fix


def test_rejects_a_vxlan_id_used_in_another_vxlan_zone_or_by_an_evpn_vrf() -> None:
    lb = lab()
    VxlanZone(lb.stack, "X", zone_id="zx").add_vnet("A", vnet_id="va", tag=500)
    evpn = EvpnController(lb.stack, "Evpn", asn=65000)
    routed = EvpnZone(lb.stack, "R", zone_id="zr", controller=evpn, vrf_vxlan=600)
    p = _problem(lambda: routed.add_vnet("B", vnet_id="vb", tag=500))
    assert p.field == "tag" and "test/X/A" in p.problem
    p = _problem(lambda: routed.add_vnet("C", vnet_id="vc", tag=600))
    assert p.field == "tag" and "vrf_vxlan" in p.problem
    p = _problem(lambda: EvpnZone(lb.stack, "R2", zone_id="zr2", controller=evpn, vrf_vxlan=500))
    assert p.field == "vrf_vxlan"


@pytest.mark.parametrize("service_vlan", [0, 4095])
def test_rejects_a_service_vlan_outside_1_to_4094(service_vlan: int) -> None:
    lb = lab()
    p = _problem(lambda: QinqZone(lb.stack, "Q", zone_id="zq", service_vlan=service_vlan))
    assert (p.path, p.field) == ("test/Q", "service_vlan") and "1-4094" in p.fix


@pytest.mark.parametrize("service_vlan", [1, 4094])
def test_accepts_service_vlans_at_the_bounds(service_vlan: int) -> None:
    lb = lab()
    QinqZone(lb.stack, "Q", zone_id="zq", service_vlan=service_vlan)
    assert _one(lb, "proxmox_sdn_zone_qinq")["service_vlan"] == service_vlan


def test_rejects_a_vlan_zone_bridge_some_nodes_lack() -> None:
    lb = lab()
    lb.nodes[0].add_bridge("vmbr1", ports=["eno2"])
    p = _problem(lambda: VlanZone(lb.stack, "V", zone_id="vlans", bridge="vmbr1"))
    assert (p.path, p.field) == ("test/V", "bridge") and "pve2, pve3 have no bridge vmbr1" == p.problem
    # restricted to the node that has it, the zone is fine
    VlanZone(lb.stack, "V1", zone_id="vlans", bridge="vmbr1", nodes=[lb.nodes[0]])


def test_rejects_zone_nodes_of_another_cluster() -> None:
    lb = lab()
    other = lab()
    p = _problem(lambda: SimpleZone(lb.stack, "S", zone_id="zs", cluster=lb.cluster, nodes=[other.nodes[0]]))
    assert p.field == "nodes[0]" and "not in cluster" in p.problem


def test_rejects_vxlan_peers_that_are_not_the_nodes_addresses() -> None:
    lb = lab()
    p = _problem(lambda: VxlanZone(lb.stack, "X", zone_id="zx", peers=["10.0.0.11", "10.0.0.12", "10.9.9.9"]))
    assert (p.path, p.field) == ("test/X", "peers[2]") and "addresses of the cluster's nodes" in p.fix
    p = _problem(lambda: VxlanZone(lb.stack, "X", zone_id="zx", peers=["10.0.0.11", "192.168.1.12"]))
    assert p.field == "peers" and "pve3 has no address among the peers" in p.problem
    VxlanZone(lb.stack, "X", zone_id="zx", peers=["10.0.0.11", "192.168.1.12", "10.0.0.13"])


@pytest.mark.parametrize("asn", [0, 4_294_967_296])
def test_rejects_an_asn_outside_1_to_4294967295(asn: int) -> None:
    lb = lab()
    p = _problem(lambda: EvpnController(lb.stack, "Evpn", asn=asn))
    assert (p.path, p.field) == ("test/Evpn", "asn") and "AS number" in p.fix


def test_rejects_an_exit_node_outside_the_zone_and_a_primary_that_is_no_exit_node() -> None:
    lb = lab()
    evpn = EvpnController(lb.stack, "Evpn", asn=65000)
    p = _problem(lambda: EvpnZone(lb.stack, "R", zone_id="zr", controller=evpn, vrf_vxlan=1, nodes=lb.nodes[:2],
                                  exit_nodes=[lb.nodes[2]]))
    assert p.field == "exit_nodes[0]"
    p = _problem(lambda: EvpnZone(lb.stack, "R", zone_id="zr", controller=evpn, vrf_vxlan=1, exit_nodes=[lb.nodes[0]],
                                  primary_exit_node=lb.nodes[1]))
    assert p.field == "primary_exit_node"


def _vnet(lb: Lab, zone: str = "simple", **kw: Any) -> Any:
    if zone == "simple":
        return SimpleZone(lb.stack, "Z", zone_id="zz", **kw).add_vnet("V", vnet_id="vv")
    return VlanZone(lb.stack, "Z", zone_id="zz", **kw).add_vnet("V", vnet_id="vv", tag=10)


@pytest.mark.parametrize(("cidr", "fix"), [("10.10.0.1/24", "network address"), ("10.10.0.0", "CIDR notation"),
                                            ("10.10.0.0/33", "network address"), ("web", "CIDR notation")])
def test_rejects_a_subnet_not_in_cidr_form(cidr: str, fix: str) -> None:
    lb = lab()
    vnet = _vnet(lb)
    p = _problem(lambda: Subnet(lb.stack, "S", vnet=vnet, cidr=cidr))
    assert (p.path, p.field) == ("test/S", "cidr") and fix in p.fix


@pytest.mark.parametrize(("gateway", "problem"), [("10.10.1.1", "outside"), ("10.10.0.0", "own or broadcast"),
                                                  ("10.10.0.255", "own or broadcast"), ("fd00::1", "outside")])
def test_rejects_a_gateway_that_is_no_host_of_the_subnet(gateway: str, problem: str) -> None:
    lb = lab()
    vnet = _vnet(lb)
    p = _problem(lambda: vnet.add_subnet("10.10.0.0/24", gateway=gateway))
    assert (p.path, p.field) == ("test/Z/V/Subnet-10.10.0.0_24", "gateway") and problem in p.problem


@pytest.mark.parametrize("gateway", ["10.10.0.1", "10.10.0.254"])
def test_accepts_gateways_at_the_ends_of_the_subnet(gateway: str) -> None:
    lb = lab()
    _vnet(lb).add_subnet("10.10.0.0/24", gateway=gateway)
    assert _one(lb, "proxmox_sdn_subnet")["gateway"] == gateway


def test_rejects_snat_without_a_gateway_and_in_a_zone_the_nodes_do_not_route() -> None:
    lb = lab()
    p = _problem(lambda: _vnet(lb).add_subnet("10.10.0.0/24", snat=True))
    assert p.field == "snat" and "gateway=" in p.fix
    lb = lab()
    p = _problem(lambda: _vnet(lb, "vlan").add_subnet("10.10.0.0/24", gateway="10.10.0.1", snat=True))
    assert p.field == "snat" and "vlan zone" in p.problem


@pytest.mark.parametrize(("start", "end", "field", "problem"), [
    ("10.10.1.10", "10.10.0.20", "dhcp_range.start", "outside"),
    ("10.10.0.10", "10.10.1.20", "dhcp_range.end", "outside"),
    ("10.10.0.20", "10.10.0.10", "dhcp_range", "after its end"),
    ("10.10.0.1", "10.10.0.20", "dhcp_range", "covers the gateway"),   # gateway at the start
    ("10.10.0.0", "10.10.0.1", "dhcp_range", "covers the gateway"),    # gateway at the end
    ("nope", "10.10.0.20", "dhcp_range.start", "not an IP address"),
])
def test_rejects_a_dhcp_range_outside_the_subnet_backwards_or_over_the_gateway(start: str, end: str, field: str,
                                                                              problem: str) -> None:
    lb = lab()
    vnet = _vnet(lb, dhcp=True)
    p = _problem(lambda: vnet.add_subnet("10.10.0.0/24", gateway="10.10.0.1", dhcp_range=DhcpRange(start, end)))
    assert p.field == field and problem in p.problem


def test_accepts_a_dhcp_range_next_to_the_gateway_and_of_one_address() -> None:
    lb = lab()
    vnet = _vnet(lb, dhcp=True)
    vnet.add_subnet("10.10.0.0/24", gateway="10.10.0.1", dhcp_range=DhcpRange("10.10.0.2", "10.10.0.2"))
    assert _one(lb, "proxmox_sdn_subnet")["dhcp_range"]["start_address"] == "10.10.0.2"


def test_rejects_a_dhcp_range_in_a_zone_without_dhcp() -> None:
    lb = lab()
    p = _problem(lambda: _vnet(lb).add_subnet("10.10.0.0/24", dhcp_range=DhcpRange("10.10.0.10", "10.10.0.20")))
    assert p.field == "dhcp_range" and "dhcp=True" in p.fix


def test_rejects_overlapping_subnets_in_a_zone_but_not_across_zones() -> None:
    lb = lab()
    zone = SimpleZone(lb.stack, "Z", zone_id="zz")
    zone.add_vnet("A", vnet_id="va").add_subnet("10.10.0.0/16")
    b = zone.add_vnet("B", vnet_id="vb")
    p = _problem(lambda: b.add_subnet("10.10.5.0/24"))
    assert p.field == "cidr" and "test/Z/A/Subnet-10.10.0.0_16" in p.problem
    b.add_subnet("10.11.0.0/24")
    SimpleZone(lb.stack, "Y", zone_id="zy").add_vnet("C", vnet_id="vc").add_subnet("10.10.5.0/24")


def test_rejects_a_nic_bridge_that_is_neither_a_bridge_nor_a_vnet() -> None:
    lb = lab()
    p = _problem(lambda: _vm(lb, 42))
    assert p.field == "networks[0].bridge" and "SDN VNet" in p.fix


# --------------------------------------------------------------------------------------------- policy


def test_a_guest_on_a_vnet_of_another_cluster_is_a_policy_error() -> None:
    lb = lab()
    stack = lb.stack
    other = Cluster(stack, "Other", name="other", management_network="192.168.9.0/24",
                    provider=provider.ProxmoxProvider(stack, "other", alias="other"))
    other.add_node("ox1", management_interface="eno1", management_address="192.168.9.10")
    foreign = SimpleZone(stack, "Foreign", zone_id="foreign", cluster=other).add_vnet("Web", vnet_id="web")
    _vm(lb, foreign)
    (problem,) = [p for p in policy_errors(lb.cluster) if p.field == "networks"]
    assert problem.path == "test/vm100" and "belongs to cluster other" in problem.problem
    assert "cluster lab's SDN" in problem.fix
    with pytest.raises(ConfigError):
        enforce(stack)


def test_a_guest_outside_its_zones_nodes_is_a_policy_error_at_the_boundary() -> None:
    lb = lab()
    app = VxlanZone(lb.stack, "X", zone_id="zx", nodes=lb.nodes[:2]).add_vnet("App", vnet_id="app", tag=10)
    _vm(lb, app, vm_id=100, node=1)  # pve2: inside
    assert not policy_errors(lb.cluster)
    _vm(lb, app, vm_id=101, node=2)  # pve3: outside
    (problem,) = policy_errors(lb.cluster)
    assert problem.path == "test/vm101" and "runs on pve3" in problem.problem and "add pve3" in problem.fix


def test_an_ha_guest_on_a_zone_of_some_nodes_must_be_kept_on_them() -> None:
    lb = lab()
    app = VxlanZone(lb.stack, "X", zone_id="zx", nodes=lb.nodes[:2]).add_vnet("App", vnet_id="app", tag=10)
    _vm(lb, app, vm_id=100, ha=True)
    (problem,) = policy_errors(lb.cluster)
    assert "may run (HA) on pve3" in problem.problem and "strict=True" in problem.fix
    _vm(lb, app, vm_id=101, ha=HaOptions(prefer=lb.nodes[:2], strict=True))
    assert len(policy_errors(lb.cluster)) == 1, "strict to the zone's nodes passes"


def test_a_zone_of_every_node_lets_ha_guests_anywhere() -> None:
    lb = lab()
    web = SimpleZone(lb.stack, "S", zone_id="zs").add_vnet("Web", vnet_id="web")
    _vm(lb, web, ha=True)
    assert not policy_errors(lb.cluster)


def test_rejects_sdn_with_no_cluster_to_belong_to() -> None:
    stack = _cdk.TerraformStack(_cdk.Testing.app(), "test")
    p = _problem(lambda: SimpleZone(stack, "S", zone_id="zs"))
    assert (p.path, p.field) == ("test/S", "cluster") and "cluster=" in p.fix


def test_vnet_rules_on_a_model_built_by_hand() -> None:
    from pvecdk._model import ClusterModel, GuestModel, HaResourceModel, NodeModel, VnetModel
    from pvecdk._rules import check_vnets

    model = ClusterModel(lambda: "c", name="lab")
    for i, name in enumerate(("a", "b", "c"), start=1):
        model.add_node(NodeModel(name, i, 1, {}))
    two = VnetModel("web", "lab", frozenset({"a", "b"}), lambda: "z/web")
    every = VnetModel("db", "lab", None, lambda: "z/db")
    foreign = VnetModel("ext", "other", None, lambda: "o/ext")

    def guest(vm_id: int, node: str, *vnets: VnetModel, strict: frozenset[str] | None = None,
              ha: bool = False) -> None:
        model.add_guest(GuestModel(vm_id, f"vm:{vm_id}", node, lambda: f"g{vm_id}", vnets=vnets))
        if ha:
            model.protect(HaResourceModel(f"vm:{vm_id}", strict))

    guest(100, "a", two, every)                                   # inside: fine
    guest(101, "b", two, ha=True, strict=frozenset({"a", "b"}))   # HA kept on the zone's nodes: fine
    guest(102, "c", two)                                          # outside the zone
    guest(103, "a", foreign, every)                               # another cluster's VNet
    guest(104, "a", two, ha=True)                                 # HA may move it to c
    guest(105, "c", every, ha=True)                               # a zone of every node: fine
    found = {(f.problem.path, f.severity) for f in check_vnets(model)}
    assert found == {("g102", "error"), ("g103", "error"), ("g104", "error")}


def test_a_team_stack_adds_vnets_to_a_platform_zone_and_applies_them_itself() -> None:
    from pvecdk.platform import Platform

    from stacks.teams import PlatformStack

    app = _cdk.Testing.app()
    exports = PlatformStack(app, "platform").exports
    stack = _cdk.TerraformStack(app, "team")
    platform = Platform.lookup(stack, "Platform", exports)
    zone = Zone.from_id(stack, "tenants", kind="vlan", cluster=platform)
    web = zone.add_vnet("Web", vnet_id="web", tag=120)
    Vm(stack, "web-1", node=platform.nodes[0], vm_id=1000, networks=[NetworkInterface(bridge=web)])
    config = synth_json(stack)["resource"]
    assert "proxmox_sdn_zone_vlan" not in config, "the platform owns the zone"
    (vnet,) = config["proxmox_sdn_vnet"].values()
    assert (vnet["zone"], vnet["tag"]) == ("tenants", 120)
    ((applier_name, applier),) = _appliers(config).items()
    assert applier["depends_on"][0].startswith("data.proxmox_virtual_environment_nodes.")
    assert len(applier["lifecycle"]["replace_triggered_by"]) == 1
    (vm,) = config["proxmox_virtual_environment_vm"].values()
    assert f"proxmox_sdn_applier.{applier_name}" in vm["depends_on"]
    p = _problem(lambda: zone.add_vnet("Db", vnet_id="db"))
    assert p.field == "tag" and "1-4094" in p.fix, "the kind given is what tags are checked against"
    p = _problem(lambda: Zone.from_id(stack, "tenants2", kind="tunnel", cluster=platform))
    assert p.field == "kind"


def test_rejects_a_peer_network_some_nodes_have_no_address_on() -> None:
    lb = lab()
    p = _problem(lambda: VxlanZone(lb.stack, "X", zone_id="zx", peer_network=NetworkRole.STORAGE))
    assert (p.field, p.problem) == ("peer_network", "pve1, pve2, pve3 have no address on the storage network")
    VxlanZone(lb.stack, "M", zone_id="zm", peer_network=NetworkRole.MANAGEMENT)
    assert _one(lb, "proxmox_sdn_zone_vxlan")["peers"] == ["192.168.1.11", "192.168.1.12", "192.168.1.13"]
