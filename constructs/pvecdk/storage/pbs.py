"""Proxmox Backup Server storage (bpg/proxmox).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pydantic import field_validator

from pvecdk import _cdk
from pvecdk._base import ClusterBase, NodeBase
from pvecdk._fault import Fault
from pvecdk._storage_types import ContentType
from pvecdk._values import Retention
from pvecdk.bpg import (
    storage_pbs,
)
from pvecdk.storage._owned import (
    BACKUP_OPTIONS,
    FINGERPRINT,
    BackupProps,
    OwnedStorage,
    bpg_backups,
    secret,
)


class _PbsProps(BackupProps):
    server: str
    datastore: str
    username: str
    password: str
    fingerprint: str | None = None
    namespace: str | None = None
    encryption_key: str | None = None

    @field_validator("password")
    @classmethod
    def _password(cls, v: str) -> str | None:
        return secret(v, "PBS password")

    @field_validator("encryption_key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        return secret(v, "encryption key")

    @field_validator("username")
    @classmethod
    def _username(cls, v: str) -> str:
        if not re.match(r"^[^\s@!]+@[^\s@!]+(![^\s@!]+)?$", v):
            raise Fault(f"{v!r} is not a PBS user", "give user@realm, or user@realm!token for an API token")
        return v

    @field_validator("fingerprint")
    @classmethod
    def _fingerprint(cls, v: str | None) -> str | None:
        if v is not None and not _cdk.is_unresolved(v) and not FINGERPRINT.match(v):
            raise Fault("the fingerprint is not a SHA-256 fingerprint", "give 32 hex pairs separated by ':' "
                        "(proxmox-backup-manager cert info)")
        return v


class PbsStorage(OwnedStorage):
    """A datastore on a Proxmox Backup Server (PVE type ``pbs``); it holds backups only.

    Manages ``proxmox_storage_pbs``; the password (or API token secret) is a sensitive variable's token.
    Example::

        secret = TerraformVariable(stack, "pbs_secret", type="string", sensitive=True)
        PbsStorage(stack, "pbs", server="pbs.example.internal", datastore="pve", username="pve@pbs!pvecdk",
                   password=secret.string_value, fingerprint="AA:BB:...")
    """

    STORAGE_TYPE = "pbs"
    _PROPS = _PbsProps
    _TF_TYPE = "proxmox_storage_pbs"
    _OPTION_NAMES = {**BACKUP_OPTIONS, "server": "server", "datastore": "datastore", "username": "username",
                     "password": "password",
                     "fingerprint": "fingerprint", "namespace": "namespace", "encryption_key": "encryption-key"}
    resource: storage_pbs.StoragePbs

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        server: str,
        datastore: str,
        username: str,
        password: str,
        fingerprint: str | None = None,
        storage_id: str | None = None,
        content: Iterable[ContentType | str] | None = None,
        nodes: Sequence[NodeBase] | None = None,
        cluster: ClusterBase | None = None,
        namespace: str | None = None,
        encryption_key: str | None = None,
        retention: Retention | None = None,
        max_protected_backups: int | None = None,
        enabled: bool = True,
        allow_destroy: bool = False,
    ) -> None:
        """Define the storage.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            server: The backup server's address (``server``); fixed once created.
            datastore: The datastore (``datastore``); fixed once created.
            username: ``user@realm`` or an API token ``user@realm!name`` (``username``).
            password: Its password or token secret (``password``): a sensitive variable's token.
            fingerprint: The server certificate's SHA-256 fingerprint. Defaults to none: the certificate must
                then be trusted by the nodes.
            storage_id: PVE's storage id. Defaults to the construct id.
            content: What it holds; only backups. Defaults to backups.
            nodes: The nodes it is defined on. Defaults to every node.
            cluster: The cluster. Defaults to the nodes' cluster, or the stack's only cluster.
            namespace: The datastore namespace. Defaults to the root namespace.
            encryption_key: A client-side encryption key (``encryption-key``): a sensitive variable's token.
                Defaults to none: backups are not encrypted on the client.
            retention: Which backups PVE keeps (``prune-backups``). Defaults to keeping every backup
                (or what the backup job says).
            max_protected_backups: Protected backups allowed per guest (-1: no limit). Defaults to
                PVE's (5).
            enabled: Whether PVE uses the storage (``disable``). Defaults to yes.
            allow_destroy: Let Terraform remove the definition. Defaults to no.
        """
        super().__init__(scope, id, locals())

    def _render(self) -> storage_pbs.StoragePbs:
        p = self.props
        assert isinstance(p, _PbsProps)
        return storage_pbs.StoragePbs(
            self, "Resource", id=p.storage_id, server=p.server, datastore=p.datastore, username=p.username,
            password=p.password, fingerprint=p.fingerprint, namespace=p.namespace,
            encryption_key=p.encryption_key, backups=bpg_backups(p), **self._common())
