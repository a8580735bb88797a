"""Monitoring: PVE's external metrics servers (``proxmox_metrics_server``).

Every node sends its own and its guests' and storages' status to the server. One construct per kind:
:class:`InfluxDbServer` (InfluxDB 2 over HTTP(S) with an API token, or InfluxDB 1 over UDP),
:class:`GraphiteServer` and :class:`OpenTelemetryServer`, over the base :class:`MetricsServer`.

Secrets (the InfluxDB token, OpenTelemetry headers that carry credentials) are taken only as sensitive
Terraform variables (``TerraformVariable(..., sensitive=True)``), so they never appear in the synthesized
files or in messages.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from typing import Any

from pvecdk import _cdk
from pvecdk._validation import construct_path
from pvecdk.bpg import metrics_server
from pvecdk.errors import ConfigError, Problem

__all__ = ["GraphiteProtocol", "GraphiteServer", "InfluxDbProtocol", "InfluxDbServer", "MetricsServer",
           "MetricsServerType", "OpenTelemetryServer"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$")


class MetricsServerType(enum.StrEnum):
    INFLUXDB = "influxdb"
    GRAPHITE = "graphite"
    OPENTELEMETRY = "opentelemetry"


def _mtu_without_udp(path: str) -> Problem:
    """The problem of an ``mtu`` given for a protocol other than UDP."""
    return Problem(path, "mtu", "mtu applies to UDP only", "drop mtu, or use protocol udp")


def _secret(path: str, field: str, value: Any, problems: list[Problem]) -> str | None:
    """The string token of a sensitive variable; anything else is refused without showing it."""
    if value is None:
        return None
    if isinstance(value, _cdk.TerraformVariable):
        if value.sensitive:
            return str(value.string_value)
        problems.append(Problem(path, field, "the variable is not sensitive, so its value would show in plans",
                                "declare it with TerraformVariable(..., sensitive=True)"))
        return None
    problems.append(Problem(path, field, f"a secret must come from a sensitive variable, got a {type(value).__name__}",
                            "pass TerraformVariable(stack, 'name', type='string', sensitive=True)"))
    return None


class MetricsServer(_cdk.Construct):
    """What the metrics server kinds share: name, address, port, MTU, timeout and the L1 resource.

    Not created directly: use :class:`InfluxDbServer`, :class:`GraphiteServer` or :class:`OpenTelemetryServer`.
    """

    TYPE: MetricsServerType

    def _define(self, scope: _cdk.Construct, id: str, path: str, *, name: str | None, server: str, port: int,
                enabled: bool, mtu: int | None, timeout_seconds: int | None, problems: list[Problem],
                **attrs: Any) -> None:
        """Check the shared props into the kind's ``problems``, raise them all, or add the L1 resource."""
        server_name = name if name is not None else id
        if not isinstance(server_name, str) or not _NAME.match(server_name):
            problems.append(Problem(path, "name", f"{server_name!r} is not a valid metrics server id",
                                    "start with a letter; use letters, digits, '-' and '_' (or pass name=)"))
        if not isinstance(server, str) or not server or any(c.isspace() for c in server) or "/" in server:
            problems.append(Problem(path, "server", f"{server!r} is not a host name or address",
                                    "give the server's host name or IP address, without a scheme or path"))
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            problems.append(Problem(path, "port", f"port must be 1-65535, got {port!r}", "give the server's port"))
        if mtu is not None and not 512 <= mtu <= 65536:
            problems.append(Problem(path, "mtu", f"MTU must be 512-65536, got {mtu}", "give the network's MTU"))
        if timeout_seconds is not None and timeout_seconds < 1:
            problems.append(Problem(path, "timeout_seconds", f"must be positive, got {timeout_seconds}",
                                    "give seconds, or leave it unset"))
        if problems:
            raise ConfigError(problems)
        super().__init__(scope, id)
        self._name = server_name
        self.resource = metrics_server.MetricsServer(
            self, "Resource", name=server_name, server=server, port=port, type=self.TYPE.value,
            disable=None if enabled else True, mtu=mtu, timeout=timeout_seconds,
            **{k: v for k, v in attrs.items() if v is not None})

    @property
    def name(self) -> str:
        """PVE's id of the metrics server."""
        return self._name


class InfluxDbProtocol(enum.StrEnum):
    UDP = "udp"
    HTTP = "http"
    HTTPS = "https"


class InfluxDbServer(MetricsServer):
    """An InfluxDB metrics server (``proxmox_metrics_server``, type ``influxdb``).

    Example::

        token = TerraformVariable(stack, "influx_token", type="string", sensitive=True)
        InfluxDbServer(stack, "influx", server="metrics.example.org", organization="ops", bucket="pve",
                       token=token)
    """

    TYPE = MetricsServerType.INFLUXDB

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        server: str,
        port: int | None = None,
        protocol: InfluxDbProtocol | str = InfluxDbProtocol.HTTPS,
        organization: str | None = None,
        bucket: str | None = None,
        token: _cdk.TerraformVariable | None = None,
        api_path_prefix: str | None = None,
        max_body_size_bytes: int | None = None,
        verify_tls: bool = True,
        name: str | None = None,
        mtu: int | None = None,
        timeout_seconds: int | None = None,
        enabled: bool = True,
    ) -> None:
        """Define the server.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            server: Host name or address of InfluxDB.
            port: Its port. Defaults to 8086 (HTTP/HTTPS) or 8089 (UDP).
            protocol: ``https``, ``http`` or ``udp`` (InfluxDB 1 line protocol, no authentication). Defaults
                to https.
            organization: InfluxDB 2 organization (HTTP/HTTPS). Defaults to PVE's (``proxmox``).
            bucket: InfluxDB 2 bucket (HTTP/HTTPS). Defaults to PVE's (``proxmox``).
            token: An API token with write access to the bucket, as a sensitive variable (HTTP/HTTPS).
                Defaults to none (InfluxDB without authentication).
            api_path_prefix: Path before ``/api/v2`` when InfluxDB sits behind a proxy. Defaults to none.
            max_body_size_bytes: Largest request body. Defaults to PVE's (25 000 000).
            verify_tls: Verify the server's certificate (HTTPS). Defaults to on.
            name: PVE's id of the metrics server. Defaults to the construct id.
            mtu: Packet size for UDP. Defaults to PVE's (1500).
            timeout_seconds: Request timeout. Defaults to PVE's (1 s).
            enabled: Whether nodes send metrics. Defaults to on.
        """
        path = construct_path(scope, id)
        problems: list[Problem] = []
        if protocol not in set(InfluxDbProtocol):
            problems.append(Problem(path, "protocol", f"{protocol!r} is not an InfluxDB protocol",
                                    "pick https, http or udp"))
            proto = InfluxDbProtocol.HTTPS
        else:
            proto = InfluxDbProtocol(protocol)
        secret = _secret(path, "token", token, problems)
        if proto is InfluxDbProtocol.UDP:
            for field, value in (("token", token), ("organization", organization), ("bucket", bucket),
                                 ("api_path_prefix", api_path_prefix)):
                if value is not None:
                    problems.append(Problem(path, field, f"{field} is for HTTP(S); UDP has no {field}",
                                            "use protocol https, or drop " + field))
        elif mtu is not None:
            problems.append(_mtu_without_udp(path))
        if proto is InfluxDbProtocol.HTTP and token is not None:
            problems.append(Problem(path, "protocol", "the token would cross the network in clear text over http",
                                    "use protocol https"))
        default_port = 8089 if proto is InfluxDbProtocol.UDP else 8086
        self._define(scope, id, path, name=name, server=server, port=port if port is not None else default_port,
                     enabled=enabled, mtu=mtu, timeout_seconds=timeout_seconds, problems=problems,
                     influx_db_proto=proto.value, influx_organization=organization, influx_bucket=bucket,
                     influx_token=secret, influx_api_path_prefix=api_path_prefix,
                     influx_max_body_size=max_body_size_bytes,
                     influx_verify=None if proto is not InfluxDbProtocol.HTTPS else verify_tls)


class GraphiteProtocol(enum.StrEnum):
    UDP = "udp"
    TCP = "tcp"


class GraphiteServer(MetricsServer):
    """A Graphite metrics server (``proxmox_metrics_server``, type ``graphite``)."""

    TYPE = MetricsServerType.GRAPHITE

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        server: str,
        port: int = 2003,
        protocol: GraphiteProtocol | str = GraphiteProtocol.TCP,
        path_prefix: str | None = None,
        name: str | None = None,
        mtu: int | None = None,
        timeout_seconds: int | None = None,
        enabled: bool = True,
    ) -> None:
        """Define the server.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            server: Host name or address of Graphite (carbon).
            port: Its port. Defaults to 2003.
            protocol: ``tcp`` or ``udp``. Defaults to tcp (no metrics lost to dropped packets).
            path_prefix: Root of the metric paths (``graphite_path``). Defaults to PVE's (``proxmox``).
            name: PVE's id of the metrics server. Defaults to the construct id.
            mtu: Packet size for UDP. Defaults to PVE's (1500).
            timeout_seconds: TCP timeout. Defaults to PVE's (1 s).
            enabled: Whether nodes send metrics. Defaults to on.
        """
        path = construct_path(scope, id)
        problems: list[Problem] = []
        if protocol not in set(GraphiteProtocol):
            problems.append(Problem(path, "protocol", f"{protocol!r} is not a Graphite protocol", "pick tcp or udp"))
        elif GraphiteProtocol(protocol) is GraphiteProtocol.TCP and mtu is not None:
            problems.append(_mtu_without_udp(path))
        self._define(scope, id, path, name=name, server=server, port=port, enabled=enabled, mtu=mtu,
                     timeout_seconds=timeout_seconds, problems=problems,
                     graphite_proto=str(protocol), graphite_path=path_prefix)


class OpenTelemetryServer(MetricsServer):
    """An OpenTelemetry collector receiving OTLP over HTTP(S) (``proxmox_metrics_server``, ``opentelemetry``)."""

    TYPE = MetricsServerType.OPENTELEMETRY

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        server: str,
        port: int = 4318,
        protocol: str = "https",
        path: str | None = None,
        headers: _cdk.TerraformVariable | None = None,
        resource_attributes: Mapping[str, str] | None = None,
        compression: str | None = "gzip",
        verify_tls: bool = True,
        max_body_size_bytes: int | None = None,
        name: str | None = None,
        timeout_seconds: int | None = None,
        enabled: bool = True,
    ) -> None:
        """Define the server.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            server: Host name or address of the collector.
            port: Its OTLP/HTTP port. Defaults to 4318.
            protocol: ``https`` or ``http``. Defaults to https.
            path: The OTLP metrics path. Defaults to PVE's (``/v1/metrics``).
            headers: HTTP headers (often credentials), as a sensitive variable holding what PVE expects.
                Defaults to none.
            resource_attributes: Extra OpenTelemetry resource attributes. Defaults to none.
            compression: ``gzip`` or ``none``. Defaults to gzip.
            verify_tls: Verify the collector's certificate. Defaults to on.
            max_body_size_bytes: Largest request body. Defaults to PVE's.
            name: PVE's id of the metrics server. Defaults to the construct id.
            timeout_seconds: Request timeout. Defaults to PVE's.
            enabled: Whether nodes send metrics. Defaults to on.
        """
        where = construct_path(scope, id)
        problems: list[Problem] = []
        if protocol not in ("https", "http"):
            problems.append(Problem(where, "protocol", f"{protocol!r} is not an OTLP protocol", "pick https or http"))
        if compression not in (None, "gzip", "none"):
            problems.append(Problem(where, "compression", f"{compression!r} is not a compression",
                                    "pick gzip or none"))
        if protocol == "http" and headers is not None:
            problems.append(Problem(where, "protocol", "the headers would cross the network in clear text over http",
                                    "use protocol https"))
        secret = _secret(where, "headers", headers, problems)
        self._define(scope, id, where, name=name, server=server, port=port, enabled=enabled, mtu=None,
                     timeout_seconds=None, problems=problems, opentelemetry_proto=protocol,
                     opentelemetry_path=path, opentelemetry_headers=secret,
                     opentelemetry_resource_attributes=json.dumps(dict(resource_attributes), sort_keys=True)
                     if resource_attributes else None,
                     opentelemetry_compression=compression, opentelemetry_verify_ssl=verify_tls if protocol == "https"
                     else None, opentelemetry_max_body_size=max_body_size_bytes,
                     opentelemetry_timeout=timeout_seconds)
