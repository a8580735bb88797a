"""The ``pvecdk/pvecdk`` Terraform provider: what no community provider does, through the engine, on
:mod:`pvecdk.tfplugin`.

One module per concern: :mod:`.cluster` (``pvecdk_cluster``: membership), :mod:`.ceph` (Ceph init, monitors,
managers, OSDs, metadata servers, file systems), :mod:`.storage` (``pvecdk_storage``: the storage types
bpg lacks), :mod:`.guests` (``pvecdk_guest_placement``: guests moved by migration), and over SSH (:mod:`.shell`)
:mod:`.qdevice` (``pvecdk_qdevice``), :mod:`.packages` (``pvecdk_ceph_packages``), :mod:`.watchdog`
(``pvecdk_ha_watchdog``) and :mod:`.corosync` (``pvecdk_corosync_links``). Terraform plans them like any
resource: a refresh reads what the nodes report (drift shows), a plan refuses unsafe changes with a diagnostic
that says why, an apply converges step by step and can be rerun.
Secrets (API token, passwords, keyrings) come from the provider block, the environment or sensitive
attributes, never from errors or logs.

Run as a plugin: ``python -m pvecdk.provider._plugin``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pvecdk.engine.client import Client, Credentials, TlsSettings
from pvecdk.engine.shell import SshCredentials, SshHost, SshShell
from pvecdk.errors import EngineError
from pvecdk.provider._plugin.ceph import CEPH_SCHEMAS, ceph_resources
from pvecdk.provider._plugin.cluster import CLUSTER_SCHEMA, ClusterResource, spec_from_config
from pvecdk.provider._plugin.corosync import COROSYNC_LINKS_SCHEMA, CorosyncLinksResource
from pvecdk.provider._plugin.guests import GUEST_PLACEMENT_SCHEMA, GuestPlacementResource
from pvecdk.provider._plugin.packages import CEPH_PACKAGES_SCHEMA, CephPackagesResource
from pvecdk.provider._plugin.qdevice import QDEVICE_SCHEMA, QDeviceResource
from pvecdk.provider._plugin.storage import STORAGE_SCHEMA, StorageResource
from pvecdk.provider._plugin.watchdog import HA_WATCHDOG_SCHEMA, HaWatchdogResource
from pvecdk.tfplugin import (
    UNKNOWN,
    Attribute,
    Block,
    Diagnostic,
    Provider,
    ResourceType,
    Schema,
    error,
)
from pvecdk.tfplugin import types as t

__all__ = ["PROVIDER_SOURCE", "PROVIDER_VERSION", "ClusterResource", "PvecdkProvider", "StorageResource", "main",
           "schema_json", "spec_from_config"]

PROVIDER_SOURCE = "pvecdk/pvecdk"
PROVIDER_VERSION = "0.1.0"

PROVIDER_SCHEMA = Schema(Block((
    Attribute("endpoint", type=t.STRING, optional=True),
    Attribute("api_token", type=t.STRING, optional=True, sensitive=True),
    Attribute("username", type=t.STRING, optional=True),
    Attribute("password", type=t.STRING, optional=True, sensitive=True),
    Attribute("join_password", type=t.STRING, optional=True, sensitive=True),
    Attribute("insecure", type=t.BOOL, optional=True),
    Attribute("ca_file", type=t.STRING, optional=True),
    Attribute("timeout_seconds", type=t.NUMBER, optional=True),
    # SSH, for what PVE offers only on the command line (QDevice, pveceph install).
    Attribute("ssh_username", type=t.STRING, optional=True),
    Attribute("ssh_private_key", type=t.STRING, optional=True, sensitive=True),
    Attribute("ssh_password", type=t.STRING, optional=True, sensitive=True),
)))

#: The provider block's settings and the variables they stand for (a setting in the block wins).
_VARIABLES = {"endpoint": "PROXMOX_VE_ENDPOINT", "api_token": "PROXMOX_VE_API_TOKEN",
              "username": "PROXMOX_VE_USERNAME", "password": "PROXMOX_VE_PASSWORD",
              "join_password": "PVECDK_JOIN_PASSWORD", "insecure": "PROXMOX_VE_INSECURE",
              "ca_file": "PVECDK_CA_FILE", "timeout_seconds": "PVECDK_TIMEOUT_SECONDS",
              "ssh_username": "PROXMOX_VE_SSH_USERNAME", "ssh_private_key": "PROXMOX_VE_SSH_PRIVATE_KEY",
              "ssh_password": "PROXMOX_VE_SSH_PASSWORD"}

RESOURCE_SCHEMAS: dict[str, Schema] = {"pvecdk_cluster": CLUSTER_SCHEMA, **CEPH_SCHEMAS,
                                       "pvecdk_ceph_packages": CEPH_PACKAGES_SCHEMA,
                                       "pvecdk_qdevice": QDEVICE_SCHEMA, "pvecdk_storage": STORAGE_SCHEMA,
                                       "pvecdk_guest_placement": GUEST_PLACEMENT_SCHEMA,
                                       "pvecdk_ha_watchdog": HA_WATCHDOG_SCHEMA,
                                       "pvecdk_corosync_links": COROSYNC_LINKS_SCHEMA}


def schema_json() -> dict[str, Any]:
    """The provider's schema in the shape of ``terraform providers schema -json`` (what the generator reads)."""
    return {
        "format_version": "1.0",
        "provider_source": f"registry.terraform.io/{PROVIDER_SOURCE}",
        "version": PROVIDER_VERSION,
        "provider": PROVIDER_SCHEMA.to_json(),
        "resource_schemas": {name: schema.to_json() for name, schema in sorted(RESOURCE_SCHEMAS.items())},
        "data_source_schemas": {},
    }


class PvecdkProvider(Provider):
    """The ``pvecdk`` provider."""

    type_name = "pvecdk"
    schema = PROVIDER_SCHEMA

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._env = dict(os.environ if environ is None else environ)
        self.config: dict[str, Any] = {}
        resources: dict[str, ResourceType] = {"pvecdk_cluster": ClusterResource(self),
                                              "pvecdk_qdevice": QDeviceResource(self),
                                              "pvecdk_ceph_packages": CephPackagesResource(self),
                                              "pvecdk_storage": StorageResource(self)}
        resources.update(ceph_resources(self))
        resources["pvecdk_guest_placement"] = GuestPlacementResource(self)
        resources["pvecdk_ha_watchdog"] = HaWatchdogResource(self)
        resources["pvecdk_corosync_links"] = CorosyncLinksResource(self)
        self.resources = resources
        self.data_sources = {}

    def configure(self, config: Mapping[str, Any], terraform_version: str) -> list[Diagnostic]:
        self.config = {k: v for k, v in config.items() if v is not None and v is not UNKNOWN}
        try:
            credentials = self._credentials()
        except EngineError as exc:
            return [error("Invalid API token", str(exc), ("api_token",))]
        if not credentials.usable:
            return [error("No credentials for Proxmox VE",
                          "Set api_token (or PROXMOX_VE_API_TOKEN), or username and password (or "
                          "PROXMOX_VE_USERNAME and PROXMOX_VE_PASSWORD).")]
        return []

    def _environ(self) -> dict[str, str]:
        """The environment with the provider block's settings over it, under the variables' names."""
        env = dict(self._env)
        for key, variable in _VARIABLES.items():
            value = self.config.get(key)
            if isinstance(value, bool):
                env[variable] = str(value).lower()
            elif value:
                env[variable] = str(value)
        return env

    def _credentials(self) -> Credentials:
        return Credentials.from_env(self._environ())

    @property
    def endpoint(self) -> str | None:
        return self._environ().get("PROXMOX_VE_ENDPOINT") or None

    def import_endpoint(self, what: str) -> str:
        """The endpoint an import talks to (the resource's own endpoint is not in an import id)."""
        endpoint = self.endpoint
        if not endpoint:
            raise EngineError(f"importing {what} needs the provider's endpoint (PROXMOX_VE_ENDPOINT)", node="-")
        return endpoint

    @property
    def join_password(self) -> str | None:
        env = self._environ()
        value = env.get("PVECDK_JOIN_PASSWORD")
        if not value:
            # A password login as a @pam user is the password a join asks for (the cluster node's root login).
            credentials = Credentials.from_env(env)
            if (credentials.username or "").endswith("@pam"):
                value = credentials.password
        return str(value) if value else None

    def client(self, endpoints: Mapping[str, str]) -> Client:
        """Sessions to ``endpoints`` (node name -> API URL) with the provider's credentials and TLS settings."""
        env = self._environ()
        timeout = float(env.get("PVECDK_TIMEOUT_SECONDS") or 10)
        return Client(endpoints, Credentials.from_env(env), TlsSettings.from_env(env), timeout_seconds=timeout)

    def shell(self, hosts: Mapping[str, SshHost]) -> SshShell:
        """SSH to ``hosts`` with the provider's SSH credentials; unknown host keys are pinned on first contact
        (the resources keep them in the state and report them)."""
        env = self._environ()
        timeout = float(env.get("PVECDK_TIMEOUT_SECONDS") or 10)
        return SshShell(hosts, SshCredentials.from_env(env), timeout_seconds=timeout)


def main() -> int:
    from pvecdk.tfplugin.server import serve

    return serve(PvecdkProvider())
