"""Constructs a platform team shares with the teams on its Proxmox VE clusters.

``TenantSpace``: a team's resource pool, its group, a role for running its guests and the ACLs that grant it,
and an SDN VNet for its VLAN. ``StandardVm``: a VM in a tenant space, in one of three sizes, with cloud-init,
nightly backups through the space and HA.
"""

from __future__ import annotations

from pvecdk_tenants.standard_vm import Size, StandardVm
from pvecdk_tenants.tenant import OPERATOR_PRIVILEGES, TenantSpace

__all__ = ["OPERATOR_PRIVILEGES", "Size", "StandardVm", "TenantSpace"]
__version__ = "1.0.0"
