"""TenantSpace: what a team gets on the cluster before it creates its first guest."""

from __future__ import annotations

import re

from pvecdk import BackupJob, ConfigError, Pool, Problem, Retention, Storage
from pvecdk._cdk import Construct, construct_path
from pvecdk.bpg import acl, sdn_vnet, virtual_environment_group, virtual_environment_role

# What a team may do with its own guests: run, watch, reconfigure and back them up; not create or delete them
# outside the infra repo, and nothing outside its pool.
OPERATOR_PRIVILEGES = ("VM.Audit", "VM.Backup", "VM.Config.CDROM", "VM.Config.Cloudinit", "VM.Console",
                       "VM.Monitor", "VM.PowerMgmt", "VM.Snapshot", "VM.Snapshot.Rollback")

_NAME = re.compile(r"[a-z][a-z0-9]{1,7}")  # PVE's VNet ids: at most 8 letters and digits


class TenantSpace(Construct):
    """A team's space: pool ``<name>``, group ``<name>-team``, role ``<name>-operator`` granted to the group on
    the pool, and VNet ``<name>`` (VLAN ``vlan`` in the existing SDN zone ``zone``) the group may use.

    Example::

        web = TenantSpace(stack, "web", name="web", zone="tenants", vlan=120)
        web.back_up_to(platform.storage("nfs-storage"))
    """

    def __init__(self, scope: Construct, id: str, *, name: str, zone: str, vlan: int,
                 comment: str | None = None) -> None:
        """Define the space.

        Args:
            scope: The stack (or construct) it belongs to.
            id: Construct id; stable.
            name: The team's short name: 2-8 lower-case letters and digits, starting with a letter (PVE's VNet
                ids are limited to 8).
            zone: The SDN VLAN zone, owned by the platform, that the VNet is created in.
            vlan: The team's VLAN tag, 1-4094.
            comment: Shown on the pool and group. Defaults to "team <name>".
        """
        problems = []
        path = construct_path(scope, id)
        if not _NAME.fullmatch(name):
            problems.append(Problem(path, "name", f"{name!r} is not a tenant name",
                                    "use 2-8 lower-case letters and digits, starting with a letter, such as 'web'"))
        if not 1 <= vlan <= 4094:
            problems.append(Problem(path, "vlan", f"VLAN {vlan} is outside 1-4094", "give the team's VLAN tag"))
        if problems:
            raise ConfigError(problems)
        super().__init__(scope, id)
        self.name = name
        self.vlan = vlan
        text = comment or f"team {name}"
        self.pool = Pool(self, "Pool", pool_id=name, comment=text)
        self.group = virtual_environment_group.VirtualEnvironmentGroup(self, "Group", group_id=f"{name}-team",
                                                                       comment=text)
        self.role = virtual_environment_role.VirtualEnvironmentRole(
            self, "Role", role_id=f"{name}-operator", privileges=list(OPERATOR_PRIVILEGES))
        self.pool_acl = acl.Acl(self, "PoolAcl", path=f"/pool/{name}", group_id=self.group.group_id,
                                role_id=self.role.role_id, propagate=True)
        self.vnet = sdn_vnet.SdnVnet(self, "Vnet", id=name, zone=zone, tag=vlan, alias=text)
        self.vnet_acl = acl.Acl(self, "VnetAcl", path=f"/sdn/zones/{zone}/{name}", group_id=self.group.group_id,
                                role_id="PVESDNUser", propagate=False)
        self.backup: BackupJob | None = None

    def back_up_to(self, storage: Storage, *, schedule: str = "02:00", keep_daily: int = 7,
                   keep_weekly: int = 4) -> BackupJob:
        """Back up every guest of the space's pool to ``storage`` (once per space)."""
        if self.backup is not None:
            raise ConfigError([Problem(str(self.node.path), "backup", "the space is already backed up",
                                       "call back_up_to once per space")])
        self.backup = BackupJob(self, "Backup", storage=storage, schedule=schedule, pool=self.pool,
                                job_id=f"{self.name}-backup",
                                retention=Retention(keep_daily=keep_daily, keep_weekly=keep_weekly))
        return self.backup
