"""Metrics servers: InfluxDB, Graphite and OpenTelemetry, with secrets only from sensitive variables."""

from __future__ import annotations

from typing import Any

import pytest
from lab import lab, only, resources, synth_json
from pvecdk import ConfigError, GraphiteServer, InfluxDbServer, OpenTelemetryServer, _cdk


def _token(stack: Any, sensitive: bool = True) -> Any:
    return _cdk.TerraformVariable(stack, "token", type="string", sensitive=sensitive)


def test_influxdb_over_https_with_a_token() -> None:
    l9 = lab()
    server = InfluxDbServer(l9.stack, "influx", server="metrics.example.org", organization="ops", bucket="pve",
                            token=_token(l9.stack))
    (r,) = resources(l9.stack, "proxmox_metrics_server")
    assert (r["name"], r["type"], r["server"], r["port"]) == ("influx", "influxdb", "metrics.example.org", 8086)
    assert (r["influx_db_proto"], r["influx_verify"]) == ("https", True)
    assert (r["influx_organization"], r["influx_bucket"]) == ("ops", "pve")
    assert r["influx_token"] == "${var.token}", "the token is the variable's reference, never its value"
    assert synth_json(l9.stack)["variable"]["token"]["sensitive"] is True
    assert server.name == "influx"


def test_influxdb_over_udp_graphite_and_opentelemetry() -> None:
    l9 = lab()
    InfluxDbServer(l9.stack, "influx1", server="10.0.0.50", protocol="udp", mtu=9000, name="legacy")
    GraphiteServer(l9.stack, "graphite", server="10.0.0.60", path_prefix="pve", enabled=False)
    headers = _cdk.TerraformVariable(l9.stack, "otel_headers", type="string", sensitive=True)
    OpenTelemetryServer(l9.stack, "otel", server="otel.example.org", headers=headers,
                        resource_attributes={"env": "prod"}, timeout_seconds=5)
    by_name = {r["name"]: r for r in resources(l9.stack, "proxmox_metrics_server")}
    assert (by_name["legacy"]["port"], by_name["legacy"]["influx_db_proto"], by_name["legacy"]["mtu"]) == (
        8089, "udp", 9000)
    assert "influx_verify" not in by_name["legacy"]
    g = by_name["graphite"]
    assert (g["type"], g["port"], g["graphite_proto"], g["graphite_path"], g["disable"]) == (
        "graphite", 2003, "tcp", "pve", True)
    o = by_name["otel"]
    assert (o["type"], o["port"], o["opentelemetry_proto"], o["opentelemetry_compression"]) == (
        "opentelemetry", 4318, "https", "gzip")
    assert o["opentelemetry_headers"] == "${var.otel_headers}"
    assert o["opentelemetry_resource_attributes"] == '{"env": "prod"}'
    assert o["opentelemetry_timeout"] == 5 and "timeout" not in o, "OpenTelemetry has a timeout of its own"


def test_rejects_a_token_given_as_plain_text() -> None:
    l9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        InfluxDbServer(l9.stack, "influx", server="m.example.org", token="s3cr3t-token")  # type: ignore[arg-type]
    p = only(excinfo)
    assert (p.path, p.field) == ("test/influx", "token")
    assert "sensitive variable" in p.problem and "sensitive=True" in p.fix
    assert "s3cr3t" not in str(excinfo.value), "the secret is never shown"


def test_rejects_a_variable_that_is_not_sensitive() -> None:
    l9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        InfluxDbServer(l9.stack, "influx", server="m.example.org", token=_token(l9.stack, sensitive=False))
    p = only(excinfo)
    assert (p.path, p.field) == ("test/influx", "token") and "not sensitive" in p.problem
    assert p.fix == "declare it with TerraformVariable(..., sensitive=True)"


def test_rejects_a_token_over_plain_http() -> None:
    l9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        InfluxDbServer(l9.stack, "influx", server="m.example.org", protocol="http", token=_token(l9.stack))
    p = only(excinfo)
    assert (p.path, p.field, p.fix) == ("test/influx", "protocol", "use protocol https")
    assert p.problem == "the token would cross the network in clear text over http"


def test_rejects_an_opentelemetry_timeout_that_is_not_positive() -> None:
    l9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        OpenTelemetryServer(l9.stack, "otel", server="otel.example.org", timeout_seconds=0)
    p = only(excinfo)
    assert (p.path, p.field, p.problem, p.fix) == (
        "test/otel", "timeout_seconds", "must be positive, got 0", "give seconds, or leave it unset")


def test_rejects_headers_over_plain_http() -> None:
    l9 = lab()
    headers = _cdk.TerraformVariable(l9.stack, "otel_headers", type="string", sensitive=True)
    with pytest.raises(ConfigError) as excinfo:
        OpenTelemetryServer(l9.stack, "otel", server="otel.example.org", protocol="http", headers=headers)
    p = only(excinfo)
    assert (p.path, p.field) == ("test/otel", "protocol")
    assert p.problem == "the headers would cross the network in clear text over http"
    assert p.fix == "use protocol https"


@pytest.mark.parametrize(("cls", "kwargs", "field", "words", "fix"), [
    (InfluxDbServer, {"protocol": "tcp"}, "protocol", "'tcp' is not an InfluxDB protocol", "pick https, http or udp"),
    (InfluxDbServer, {"protocol": "udp", "bucket": "pve"}, "bucket", "UDP has no bucket",
     "use protocol https, or drop bucket"),
    (InfluxDbServer, {"mtu": 1400}, "mtu", "mtu applies to UDP only", "drop mtu, or use protocol udp"),
    (InfluxDbServer, {"port": 70000}, "port", "port must be 1-65535", "give the server's port"),
    (InfluxDbServer, {"server": "https://m.example.org/"}, "server", "is not a host name or address",
     "without a scheme or path"),
    (InfluxDbServer, {"name": "1st"}, "name", "is not a valid metrics server id", "(or pass name=)"),
    (GraphiteServer, {"protocol": "http"}, "protocol", "is not a Graphite protocol", "pick tcp or udp"),
    (GraphiteServer, {"mtu": 1400}, "mtu", "mtu applies to UDP only", "drop mtu, or use protocol udp"),
    (OpenTelemetryServer, {"protocol": "grpc"}, "protocol", "is not an OTLP protocol", "pick https or http"),
    (OpenTelemetryServer, {"compression": "zstd"}, "compression", "is not a compression", "pick gzip or none"),
    (InfluxDbServer, {"max_body_size_bytes": 0}, "max_body_size_bytes", "must be positive (bytes), got 0",
     "give the largest request body in bytes"),
    (OpenTelemetryServer, {"max_body_size_bytes": -1}, "max_body_size_bytes", "must be positive (bytes), got -1",
     "or leave it unset"),
])
def test_rejects_bad_metrics_server_settings(cls: Any, kwargs: dict[str, Any], field: str, words: str,
                                             fix: str) -> None:
    l9 = lab()
    kwargs.setdefault("server", "m.example.org")
    with pytest.raises(ConfigError) as excinfo:
        cls(l9.stack, "metrics", **kwargs)
    p = only(excinfo)
    assert (p.path, p.field) == ("test/metrics", field) and words in p.problem and fix in p.fix, p


@pytest.mark.parametrize("cls", [InfluxDbServer, GraphiteServer, OpenTelemetryServer])
def test_shared_problems_name_the_server(cls: Any) -> None:
    l9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        cls(l9.stack, "metrics", server="m.example.org", port=0)
    p = only(excinfo)
    assert (p.path, p.field, p.fix) == ("test/metrics", "port", "give the server's port")


def test_message_shape() -> None:
    l9 = lab()
    with pytest.raises(ConfigError) as excinfo:
        GraphiteServer(l9.stack, "graphite", server="m.example.org", protocol="http")
    assert str(excinfo.value) == (
        "1 problem in the configuration\n"
        "  test/graphite: protocol: 'http' is not a Graphite protocol; pick tcp or udp")
