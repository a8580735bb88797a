"""Software-defined networks for tenants: zones, VNets, subnets, the EVPN controller, and the SDN applier.

A zone (:class:`SimpleZone`, :class:`VlanZone`, :class:`QinqZone`, :class:`VxlanZone`, :class:`EvpnZone`)
holds VNets (``zone.add_vnet``), a VNet holds subnets (``vnet.add_subnet``), and a guest's interface attaches
to a VNet by reference (``NetworkInterface(bridge=vnet)``). Every SDN object joins its cluster's
:class:`Sdn`, whose one ``proxmox_sdn_applier`` applies PVE's pending SDN configuration after the last change
of a deploy; guests on a VNet wait for it. Example::

    zone = SimpleZone(stack, "Tenants", zone_id="tenants", dhcp=True)
    web = zone.add_vnet("Web", vnet_id="web")
    web.add_subnet("10.10.0.0/24", gateway="10.10.0.1", snat=True, dhcp_range=DhcpRange("10.10.0.100", "10.10.0.200"))
    Vm(stack, "web-1", node=pve1, vm_id=101, networks=[NetworkInterface(bridge=web)])
"""

from __future__ import annotations

from pvecdk.sdn.base import Sdn, VnetBase, ZoneBase, ZoneKind
from pvecdk.sdn.vnets import DhcpRange, Subnet, Vnet
from pvecdk.sdn.zones import EvpnController, EvpnZone, QinqZone, SimpleZone, VlanZone, VxlanZone, Zone

__all__ = ["DhcpRange", "EvpnController", "EvpnZone", "QinqZone", "Sdn", "SimpleZone", "Subnet", "VlanZone", "Vnet",
           "VnetBase", "VxlanZone", "Zone", "ZoneBase", "ZoneKind"]
