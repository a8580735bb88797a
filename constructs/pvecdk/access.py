"""Access for automation: a role, a user, an API token and an ACL, with least privilege by default."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import ValidationInfo, field_validator

from pvecdk import _cdk
from pvecdk._fault import Fault
from pvecdk._validation import Props, check_props, construct_path
from pvecdk._values import PRIVILEGES, PveVersion
from pvecdk.bpg import acl, user_token, virtual_environment_role, virtual_environment_user

__all__ = ["DEFAULT_AUTOMATION_PRIVILEGES", "AutomationAccess"]

#: What managing the model's objects needs: cluster and node settings, storage, guests, pools and backups.
#: Left out on purpose: Permissions.Modify, User.Modify, Realm.*, Sys.PowerMgmt, Sys.Console, Sys.Incoming.
DEFAULT_AUTOMATION_PRIVILEGES: tuple[str, ...] = (
    "Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit",
    "Pool.Allocate", "Pool.Audit", "SDN.Audit", "SDN.Use", "Sys.Audit", "Sys.Modify",
    "VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone", "VM.Config.CDROM", "VM.Config.CPU", "VM.Config.Cloudinit",
    "VM.Config.Disk", "VM.Config.HWType", "VM.Config.Memory", "VM.Config.Network", "VM.Config.Options",
    "VM.Migrate", "VM.PowerMgmt", "VM.Snapshot",
)

_USER = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z][A-Za-z0-9.-]*$")
_TOKEN = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")
_PRIV = re.compile(r"^[A-Z][A-Za-z]+(\.[A-Za-z]+)+$")
_ROLE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


class _AccessProps(Props):
    user_id: str
    token_name: str
    role_id: str
    pve_version: PveVersion
    privileges: tuple[str, ...]
    path: str
    expiration_date: str | None
    comment: str

    @field_validator("user_id")
    @classmethod
    def _user(cls, v: str) -> str:
        if not _USER.match(v):
            raise Fault(f"{v!r} is not a user id", "give name@realm, such as automation@pve")
        if v.endswith("@pam"):
            raise Fault(f"{v} is a Linux (pam) user", "use a PVE-realm user such as automation@pve, which "
                        "needs no shell account")
        return v

    @field_validator("token_name")
    @classmethod
    def _token(cls, v: str) -> str:
        if not _TOKEN.match(v):
            raise Fault(f"{v!r} is not a token name", "use letters, digits, '.', '_' or '-', starting with a letter")
        return v

    @field_validator("role_id")
    @classmethod
    def _role(cls, v: str) -> str:
        if not _ROLE.match(v) or v.startswith("PVE"):
            raise Fault(f"{v!r} is not a name for a custom role", "use letters, digits, '_' or '-', not "
                        "starting with PVE (built-in roles)")
        return v

    @field_validator("privileges")
    @classmethod
    def _privileges(cls, v: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if not v:
            raise Fault("a role with no privilege can do nothing", "list the privileges it needs")
        bad = [p for p in v if not _PRIV.match(p)]
        if bad:
            raise Fault(f"not privilege names: {', '.join(bad)}", "use PVE's names, such as VM.Audit")
        version = info.data.get("pve_version")
        if version is not None:
            unknown = [p for p in v if p not in PRIVILEGES[version]]
            if unknown:
                elsewhere = {p: [str(r) for r, known in PRIVILEGES.items() if p in known] for p in unknown}
                hint = "; ".join(f"{p} exists in PVE {', '.join(rs)} only" for p, rs in elsewhere.items() if rs)
                raise Fault(f"PVE {version} has no privilege {', '.join(unknown)}",
                            hint + " (set pve_version)" if hint else "use PVE's names, such as VM.Audit, "
                            "VM.Config.Disk or Datastore.AllocateSpace")
        if "Permissions.Modify" in v:
            raise Fault("Permissions.Modify lets the token grant itself anything", "leave it out")
        return v

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/"):
            raise Fault(f"{v!r} is not an ACL path", "give a path such as / or /vms/100")
        return v


class AutomationAccess(_cdk.Construct):
    """A role, a user, an API token and an ACL that give automation what it needs and no more.

    Manages ``proxmox_virtual_environment_role``, ``proxmox_virtual_environment_user``, ``proxmox_user_token``
    (privilege separation on: the token holds only what its own ACL grants) and ``proxmox_acl``. The token's
    secret is a Terraform output marked sensitive. Example::

        access = AutomationAccess(stack, "Automation")
        # terraform output -raw <output name>  -> the token secret
    """

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        user_id: str = "automation@pve",
        token_name: str = "pvecdk",
        role_id: str = "Automation",
        privileges: Sequence[str] = DEFAULT_AUTOMATION_PRIVILEGES,
        pve_version: PveVersion | str = PveVersion.V9_1,
        path: str = "/",
        expiration_date: str | None = None,
        comment: str = "automation (pvecdk)",
    ) -> None:
        """Create the role, user, token and ACL.

        Args:
            scope: The stack.
            id: Construct id; stable.
            user_id: A PVE-realm user. Defaults to ``automation@pve``.
            token_name: The token's name. Defaults to ``pvecdk``.
            role_id: The custom role's name. Defaults to ``Automation``.
            privileges: The role's privileges. Defaults to DEFAULT_AUTOMATION_PRIVILEGES.
            pve_version: The PVE release whose privileges the role names. Defaults to 9.1.
            path: Where the ACL applies (propagating down). Defaults to ``/``.
            expiration_date: Token expiry (RFC 3339). Defaults to never.
            comment: Shown in PVE.
        """
        props = check_props(_AccessProps, construct_path(scope, id), dict(
            user_id=user_id, token_name=token_name, role_id=role_id, pve_version=pve_version,
            privileges=privileges, path=path,
            expiration_date=expiration_date, comment=comment))
        super().__init__(scope, id)
        self.props = props
        self.role = virtual_environment_role.VirtualEnvironmentRole(
            self, "Role", role_id=props.role_id, privileges=sorted(props.privileges))
        self.user = virtual_environment_user.VirtualEnvironmentUser(
            self, "User", user_id=props.user_id, comment=props.comment, enabled=True)
        self.resource = user_token.UserToken(
            self, "Resource", user_id=self.user.user_id, token_name=props.token_name, privileges_separation=True,
            expiration_date=props.expiration_date, comment=props.comment)
        self.acl = acl.Acl(
            self, "Acl", path=props.path, role_id=self.role.role_id, token_id=self.token_id, propagate=True,
            depends_on=[self.resource])
        self.secret_output = _cdk.TerraformOutput(
            self, "TokenSecret", value=self.resource.value, sensitive=True,
            description=f"API token secret of {self.token_id}")

    @property
    def token_id(self) -> str:
        """``user@realm!token``, as PVE names the token."""
        return f"{self.props.user_id}!{self.props.token_name}"
