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
from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BeforeValidator, field_validator, model_validator

from pvecdk import _cdk
from pvecdk._fault import Fault
from pvecdk._validation import (
    CONFIG_ID,
    Located,
    Props,
    check_props,
    construct_path,
    one_of,
    raise_at,
    whole_number,
)
from pvecdk.bpg import metrics_server

__all__ = ["GraphiteProtocol", "GraphiteServer", "InfluxDbProtocol", "InfluxDbServer", "MetricsServer",
           "MetricsServerType", "OpenTelemetryServer"]

_MTU_WITHOUT_UDP = ("mtu applies to UDP only", "drop mtu, or use protocol udp")


class MetricsServerType(enum.StrEnum):
    INFLUXDB = "influxdb"
    GRAPHITE = "graphite"
    OPENTELEMETRY = "opentelemetry"


def _secret(value: object) -> str | None:
    """The string token of a sensitive variable; anything else is refused without showing it."""
    if value is None:
        return None
    if not isinstance(value, _cdk.TerraformVariable):
        raise Fault(f"a secret must come from a sensitive variable, got a {type(value).__name__}", ""
                    "pass TerraformVariable(stack, 'name', type='string', sensitive=True)")
    if not value.sensitive:
        raise Fault("the variable is not sensitive, so its value would show in plans", "declare it with "
                    "TerraformVariable(..., sensitive=True)")
    return str(value.string_value)


def _clear_text(field: str) -> tuple[str, str]:
    return f"the {field} would cross the network in clear text over http", "use protocol https"




def _max_body_size(value: int) -> int:
    if value < 1:
        raise Fault(f"must be positive (bytes), got {value}", "give the largest request body in bytes, or leave "
                    "it unset")
    return value


# InfluxDB's and OpenTelemetry's, the two kinds that send bodies over HTTP.
_MaxBodySize = Annotated[int, AfterValidator(_max_body_size)] | None


class _MetricsServerProps(Props):
    """What every kind checks; a kind adds its own props and the rules between them (:meth:`_conflicts`)."""

    name: str
    server: str
    port: Annotated[int, whole_number(1, 65535, "port must be 1-65535", "give the server's port")]
    enabled: bool
    mtu: Annotated[int, whole_number(512, 65536, "MTU must be 512-65536",
                                     "give the network's MTU")] | None = None  # OpenTelemetry has none
    timeout_seconds: Annotated[int, whole_number(1, None, "must be positive", "give seconds, or leave it unset")] | None

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: object) -> object:
        if not isinstance(v, str) or not CONFIG_ID.match(v):
            raise Fault(f"{v!r} is not a valid metrics server id", "start with a letter, use letters, digits, "
                        "'-' and '_' (or pass name=)")
        return v

    @field_validator("server", mode="before")
    @classmethod
    def _server(cls, v: object) -> object:
        if not isinstance(v, str) or not v or any(c.isspace() for c in v) or "/" in v:
            raise Fault(f"{v!r} is not a host name or address", "give the server's host name or IP address, "
                        "without a scheme or path")
        return v

    def _conflicts(self) -> list[Located]:
        """The kind's problems between props, as ``(field, what, fix)``."""
        return []

    @model_validator(mode="after")
    def _between(self) -> Self:
        raise_at(self._conflicts())
        return self


class MetricsServer(_cdk.Construct):
    """What the metrics server kinds share: name, address, port, MTU, timeout and the L1 resource.

    Not created directly: use :class:`InfluxDbServer`, :class:`GraphiteServer` or :class:`OpenTelemetryServer`.
    """

    TYPE: MetricsServerType

    def _define(self, scope: _cdk.Construct, id: str, props: _MetricsServerProps, **attrs: Any) -> None:
        """Add the L1 resource from the validated shared props and the kind's ``attrs`` (None: PVE's default)."""
        super().__init__(scope, id)
        self._name = props.name
        self.resource = metrics_server.MetricsServer(
            self, "Resource", name=props.name, server=props.server, port=props.port, type=self.TYPE.value,
            disable=None if props.enabled else True, mtu=props.mtu,
            **{k: v for k, v in attrs.items() if v is not None})

    @property
    def name(self) -> str:
        """PVE's id of the metrics server."""
        return self._name


class InfluxDbProtocol(enum.StrEnum):
    UDP = "udp"
    HTTP = "http"
    HTTPS = "https"


class _InfluxDbProps(_MetricsServerProps):
    protocol: Annotated[InfluxDbProtocol, BeforeValidator(one_of(InfluxDbProtocol, "an InfluxDB protocol",
                                                                  "https, http or udp"))]
    organization: str | None
    bucket: str | None
    token: str | None
    api_path_prefix: str | None
    max_body_size_bytes: _MaxBodySize
    verify_tls: bool

    @field_validator("token", mode="before")
    @classmethod
    def _token(cls, v: object) -> str | None:
        return _secret(v)

    def _conflicts(self) -> list[Located]:
        out: list[Located] = []
        if self.protocol is InfluxDbProtocol.UDP:
            for field in ("token", "organization", "bucket", "api_path_prefix"):
                if getattr(self, field) is not None:
                    out.append((field, f"{field} is for HTTP(S), UDP has no {field}",
                                "use protocol https, or drop " + field))
        elif self.mtu is not None:
            out.append(("mtu", *_MTU_WITHOUT_UDP))
        if self.protocol is InfluxDbProtocol.HTTP and self.token is not None:
            out.append(("protocol", *_clear_text("token")))
        return out


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
        default_port = 8089 if protocol == InfluxDbProtocol.UDP else 8086
        props = check_props(_InfluxDbProps, lambda: construct_path(scope, id), dict(
            name=name if name is not None else id, server=server, port=port if port is not None else default_port,
            enabled=enabled, mtu=mtu, timeout_seconds=timeout_seconds, protocol=protocol, organization=organization,
            bucket=bucket, token=token, api_path_prefix=api_path_prefix, max_body_size_bytes=max_body_size_bytes,
            verify_tls=verify_tls))
        self._define(scope, id, props, timeout=props.timeout_seconds, influx_db_proto=props.protocol.value,
                     influx_organization=props.organization, influx_bucket=props.bucket, influx_token=props.token,
                     influx_api_path_prefix=props.api_path_prefix, influx_max_body_size=props.max_body_size_bytes,
                     influx_verify=props.verify_tls if props.protocol is InfluxDbProtocol.HTTPS else None)


class GraphiteProtocol(enum.StrEnum):
    UDP = "udp"
    TCP = "tcp"


class _GraphiteProps(_MetricsServerProps):
    protocol: Annotated[GraphiteProtocol, BeforeValidator(one_of(GraphiteProtocol, "a Graphite protocol",
                                                                  "tcp or udp"))]
    path_prefix: str | None

    def _conflicts(self) -> list[Located]:
        if self.protocol is GraphiteProtocol.TCP and self.mtu is not None:
            return [("mtu", *_MTU_WITHOUT_UDP)]
        return []


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
        props = check_props(_GraphiteProps, lambda: construct_path(scope, id), dict(
            name=name if name is not None else id, server=server, port=port, enabled=enabled, mtu=mtu,
            timeout_seconds=timeout_seconds, protocol=protocol, path_prefix=path_prefix))
        self._define(scope, id, props, timeout=props.timeout_seconds, graphite_proto=props.protocol.value,
                     graphite_path=props.path_prefix)


class _OpenTelemetryProps(_MetricsServerProps):
    protocol: Annotated[str, BeforeValidator(one_of(("https", "http"), "an OTLP protocol", "https or http"))]
    path: str | None
    headers: str | None
    resource_attributes: Mapping[str, str] | None
    # The check is on the inner type: None (leave it to PVE) is valid and passes the optional.
    compression: Annotated[str, BeforeValidator(one_of(("gzip", "none"), "a compression", "gzip or none"))] | None
    verify_tls: bool
    max_body_size_bytes: _MaxBodySize

    @field_validator("headers", mode="before")
    @classmethod
    def _headers(cls, v: object) -> str | None:
        return _secret(v)

    def _conflicts(self) -> list[Located]:
        if self.protocol == "http" and self.headers is not None:
            return [("protocol", *_clear_text("headers"))]
        return []


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
        props = check_props(_OpenTelemetryProps, lambda: construct_path(scope, id), dict(
            name=name if name is not None else id, server=server, port=port, enabled=enabled,
            timeout_seconds=timeout_seconds, protocol=protocol, path=path, headers=headers,
            resource_attributes=resource_attributes, compression=compression, verify_tls=verify_tls,
            max_body_size_bytes=max_body_size_bytes))
        attributes = props.resource_attributes
        self._define(scope, id, props, opentelemetry_proto=props.protocol, opentelemetry_path=props.path,
                     opentelemetry_headers=props.headers,
                     opentelemetry_resource_attributes=json.dumps(dict(attributes), sort_keys=True)
                     if attributes else None,
                     opentelemetry_compression=props.compression,
                     opentelemetry_verify_ssl=props.verify_tls if props.protocol == "https" else None,
                     opentelemetry_max_body_size=props.max_body_size_bytes,
                     opentelemetry_timeout=props.timeout_seconds)
