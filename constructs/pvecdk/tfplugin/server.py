"""Serve a :class:`~pvecdk.tfplugin.provider.Provider` to Terraform: the go-plugin handshake and the gRPC service.

Terraform starts the plugin executable with ``TF_PLUGIN_MAGIC_COOKIE`` and its client certificate in
``PLUGIN_CLIENT_CERT``; the plugin listens on a Unix socket with TLS (a fresh self-signed certificate, and the
socket in a private directory), prints one handshake line (``1|6|unix|<socket>|grpc|<certificate>``) and
answers ``tfplugin6.Provider`` calls until Terraform asks it to stop.
"""

from __future__ import annotations

import base64
import datetime
import os
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent import futures
from contextlib import contextmanager
from typing import Any

from pvecdk.errors import Severity
from pvecdk.tfplugin import _proto
from pvecdk.tfplugin.provider import DataSourceType, Diagnostic, DiagnosticError, Provider, ResourceType, error
from pvecdk.tfplugin.schema import Schema
from pvecdk.tfplugin.values import decode_json, decode_msgpack, encode_msgpack

__all__ = ["MAGIC_COOKIE_KEY", "MAGIC_COOKIE_VALUE", "ProviderService", "serve", "serve_in_process"]

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
_CORE_PROTOCOL = 1
_APP_PROTOCOL = 6


def _diagnostics(diags: Iterable[Diagnostic]) -> list[Any]:
    pb = _proto.pb()
    out = []
    for d in diags:
        steps = []
        for step in d.path:
            if isinstance(step, int):
                steps.append(pb.AttributePath.Step(element_key_int=step))
            elif isinstance(step, tuple):
                steps.append(pb.AttributePath.Step(element_key_string=step[1]))
            else:
                steps.append(pb.AttributePath.Step(attribute_name=step))
        severity = pb.Diagnostic.ERROR if d.severity is Severity.ERROR else pb.Diagnostic.WARNING
        message = pb.Diagnostic(severity=severity, summary=d.summary, detail=d.detail)
        if steps:
            message.attribute.CopyFrom(pb.AttributePath(steps=steps))
        out.append(message)
    return out


def _path(steps: Iterable[Any]) -> Any:
    pb = _proto.pb()
    out = []
    for step in steps:
        if isinstance(step, int):
            out.append(pb.AttributePath.Step(element_key_int=step))
        elif isinstance(step, tuple):
            out.append(pb.AttributePath.Step(element_key_string=step[1]))
        else:
            out.append(pb.AttributePath.Step(attribute_name=step))
    return pb.AttributePath(steps=out)


def _guarded(rpc: Any) -> Any:
    """An exception in provider code becomes an error diagnostic, not a broken gRPC call."""
    import functools

    @functools.wraps(rpc)
    def call(self: ProviderService, request: Any, context: Any) -> Any:
        try:
            return rpc(self, request, context)
        except DiagnosticError as exc:
            return getattr(_proto.pb(), rpc.__name__).Response(diagnostics=_diagnostics(exc.diagnostics))
        except Exception as exc:  # noqa: BLE001 - reported to Terraform, which shows it to the user
            response = getattr(_proto.pb(), rpc.__name__).Response
            diag = error("Provider error", f"{type(exc).__name__}: {exc}")
            return response(diagnostics=_diagnostics([diag]))

    return call


class ProviderService:
    """The ``tfplugin6.Provider`` service over a :class:`Provider` (methods are the protocol's RPCs)."""

    def __init__(self, provider: Provider, on_stop: Any = None) -> None:
        self.provider = provider
        self._on_stop = on_stop
        self._schema_response: Any = None

    # -- helpers

    def _decode(self, value: Any, schema: Schema) -> Any:
        return decode_msgpack(value.msgpack, schema.block.implied_type()) if value.msgpack else None

    def _encode(self, value: Any, schema: Schema) -> Any:
        return _proto.pb().DynamicValue(msgpack=encode_msgpack(value, schema.block.implied_type()))

    def _resource(self, name: str) -> ResourceType | None:
        return self.provider.resources.get(name)

    def _data_source(self, name: str) -> DataSourceType | None:
        return self.provider.data_sources.get(name)

    @staticmethod
    def _unknown_type(kind: str, name: str) -> list[Any]:
        return _diagnostics([error(f"Unknown {kind} type", f"This provider has no {kind} type {name!r}.")])

    def _capabilities(self) -> Any:
        # plan_destroy: Terraform asks the provider to plan destroys too, so a type can refuse one at plan time.
        return _proto.pb().ServerCapabilities(plan_destroy=True, get_provider_schema_optional=False)

    # -- RPCs

    def GetMetadata(self, request: Any, context: Any) -> Any:
        m = _proto.pb().GetMetadata
        return m.Response(
            server_capabilities=self._capabilities(),
            resources=[m.ResourceMetadata(type_name=n) for n in sorted(self.provider.resources)],
            data_sources=[m.DataSourceMetadata(type_name=n) for n in sorted(self.provider.data_sources)],
        )

    def GetProviderSchema(self, request: Any, context: Any) -> Any:
        if self._schema_response is None:
            self._schema_response = _proto.pb().GetProviderSchema.Response(
                provider=self.provider.schema.to_proto(),
                resource_schemas={n: r.schema.to_proto() for n, r in self.provider.resources.items()},
                data_source_schemas={n: d.schema.to_proto() for n, d in self.provider.data_sources.items()},
                server_capabilities=self._capabilities(),
            )
        return self._schema_response

    @_guarded
    def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
        config = self._decode(request.config, self.provider.schema)
        diags = self.provider.validate_config(config or {})
        return _proto.pb().ValidateProviderConfig.Response(diagnostics=_diagnostics(diags))

    @_guarded
    def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
        m = _proto.pb().ValidateResourceConfig
        resource = self._resource(request.type_name)
        if resource is None:
            return m.Response(diagnostics=self._unknown_type("resource", request.type_name))
        config = self._decode(request.config, resource.schema)
        return m.Response(diagnostics=_diagnostics(resource.validate(config or {})))

    @_guarded
    def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
        m = _proto.pb().ValidateDataResourceConfig
        data = self._data_source(request.type_name)
        if data is None:
            return m.Response(diagnostics=self._unknown_type("data source", request.type_name))
        config = self._decode(request.config, data.schema)
        return m.Response(diagnostics=_diagnostics(data.validate(config or {})))

    @_guarded
    def UpgradeResourceState(self, request: Any, context: Any) -> Any:
        m = _proto.pb().UpgradeResourceState
        resource = self._resource(request.type_name)
        if resource is None:
            return m.Response(diagnostics=self._unknown_type("resource", request.type_name))
        state = decode_json(request.raw_state.json, resource.schema.block.implied_type())
        upgraded = resource.upgrade_state(request.version, state)
        return m.Response(upgraded_state=self._encode(upgraded, resource.schema))

    @_guarded
    def ConfigureProvider(self, request: Any, context: Any) -> Any:
        config = self._decode(request.config, self.provider.schema)
        diags = self.provider.configure(config or {}, request.terraform_version)
        return _proto.pb().ConfigureProvider.Response(diagnostics=_diagnostics(diags))

    @_guarded
    def ReadResource(self, request: Any, context: Any) -> Any:
        m = _proto.pb().ReadResource
        resource = self._resource(request.type_name)
        if resource is None:
            return m.Response(diagnostics=self._unknown_type("resource", request.type_name))
        current = self._decode(request.current_state, resource.schema)
        result = resource.read(current, request.private)
        return m.Response(new_state=self._encode(result.new_state, resource.schema),
                          diagnostics=_diagnostics(result.diagnostics), private=result.private)

    @_guarded
    def PlanResourceChange(self, request: Any, context: Any) -> Any:
        m = _proto.pb().PlanResourceChange
        resource = self._resource(request.type_name)
        if resource is None:
            return m.Response(diagnostics=self._unknown_type("resource", request.type_name))
        schema = resource.schema
        proposed = self._decode(request.proposed_new_state, schema)
        prior = self._decode(request.prior_state, schema)
        if proposed is None:  # destroy: the type may refuse it (a destroy that loses data)
            result = resource.plan_destroy(prior, request.prior_private)
        else:
            result = resource.plan(prior, proposed, self._decode(request.config, schema), request.prior_private)
        return m.Response(
            planned_state=self._encode(result.planned_state, schema),
            requires_replace=[_path(p) for p in result.requires_replace],
            planned_private=result.private,
            diagnostics=_diagnostics(result.diagnostics),
        )

    @_guarded
    def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        m = _proto.pb().ApplyResourceChange
        resource = self._resource(request.type_name)
        if resource is None:
            return m.Response(diagnostics=self._unknown_type("resource", request.type_name))
        schema = resource.schema
        result = resource.apply(self._decode(request.prior_state, schema), self._decode(request.planned_state, schema),
                                self._decode(request.config, schema), request.planned_private)
        return m.Response(new_state=self._encode(result.new_state, schema), private=result.private,
                          diagnostics=_diagnostics(result.diagnostics))

    @_guarded
    def ImportResourceState(self, request: Any, context: Any) -> Any:
        m = _proto.pb().ImportResourceState
        resource = self._resource(request.type_name)
        if resource is None:
            return m.Response(diagnostics=self._unknown_type("resource", request.type_name))
        states = resource.import_state(request.id)
        if not states:
            diag = error("Cannot import non-existent remote object",
                         f"No {request.type_name} with id {request.id!r} was found.")
            return m.Response(diagnostics=_diagnostics([diag]))
        return m.Response(imported_resources=[
            m.ImportedResource(type_name=request.type_name, state=self._encode(s, resource.schema)) for s in states
        ])

    def MoveResourceState(self, request: Any, context: Any) -> Any:
        diag = error("Move not supported", "This provider does not move state between resource types.")
        return _proto.pb().MoveResourceState.Response(diagnostics=_diagnostics([diag]))

    @_guarded
    def ReadDataSource(self, request: Any, context: Any) -> Any:
        m = _proto.pb().ReadDataSource
        data = self._data_source(request.type_name)
        if data is None:
            return m.Response(diagnostics=self._unknown_type("data source", request.type_name))
        result = data.read(self._decode(request.config, data.schema))
        return m.Response(state=self._encode(result.new_state, data.schema),
                          diagnostics=_diagnostics(result.diagnostics))

    def GetFunctions(self, request: Any, context: Any) -> Any:
        return _proto.pb().GetFunctions.Response()

    def CallFunction(self, request: Any, context: Any) -> Any:
        m = _proto.pb()
        return m.CallFunction.Response(error=m.FunctionError(text="this provider has no functions"))

    def StopProvider(self, request: Any, context: Any) -> Any:
        text = self.provider.stop()
        if self._on_stop is not None:
            self._on_stop()
        return _proto.pb().StopProvider.Response(Error=text)


def _certificate() -> tuple[bytes, bytes, bytes]:
    """A fresh self-signed certificate for this run: (key PEM, certificate PEM, certificate DER)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pvecdk plugin")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                     data_encipherment=False, key_agreement=True, key_cert_sign=True,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM), cert.public_bytes(serialization.Encoding.DER)


def serve(provider: Provider, environ: Mapping[str, str] | None = None) -> int:
    """Run ``provider`` as a Terraform plugin until Terraform stops it; returns the exit status."""
    env = os.environ if environ is None else environ
    if env.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print("This is a Terraform provider plugin: Terraform starts it; it is not run by hand.", file=sys.stderr)
        return 1
    import grpc

    stopped = threading.Event()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    service = ProviderService(provider, on_stop=stopped.set)
    _proto.rpc().add_ProviderServicer_to_server(service, server)

    class Controller(_proto.controller_rpc().GRPCControllerServicer):  # type: ignore[misc]
        def Shutdown(self, request: Any, context: Any) -> Any:
            stopped.set()
            return _proto.controller().Empty()

    class Stdio(_proto.stdio_rpc().GRPCStdioServicer):  # type: ignore[misc]
        def StreamStdio(self, request: Any, context: Any) -> Any:
            stopped.wait()
            return iter(())

    _proto.controller_rpc().add_GRPCControllerServicer_to_server(Controller(), server)
    _proto.stdio_rpc().add_GRPCStdioServicer_to_server(Stdio(), server)

    key_pem, cert_pem, cert_der = _certificate()
    # Terraform pins this certificate from the handshake line. It does not present its own certificate to a
    # server that asks for it, so the socket's private directory (mode 0700) is what keeps others out.
    credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)], require_client_auth=False)
    with tempfile.TemporaryDirectory(prefix="pvecdk-plugin-") as tmp:
        socket = os.path.join(tmp, "plugin.sock")
        server.add_secure_port(f"unix://{socket}", credentials)
        server.start()
        certificate = base64.b64encode(cert_der).decode().rstrip("=")
        print(f"{_CORE_PROTOCOL}|{_APP_PROTOCOL}|unix|{socket}|grpc|{certificate}", flush=True)
        try:
            while not stopped.wait(0.05):
                pass
        except KeyboardInterrupt:
            pass
        server.stop(grace=0.2)
    return 0


@contextmanager
def serve_in_process(providers: Mapping[str, Provider]) -> Iterator[str]:
    """Serve ``providers`` (by provider address, ``registry.terraform.io/bpg/proxmox``) from this process, and
    yield the value of ``TF_REATTACH_PROVIDERS`` that points Terraform at them.

    Terraform then starts no plugin process: every command of a run (init, validate, plan, apply, show) talks
    to the same servers. Each listens on a Unix socket in a private directory (mode 0700), without TLS, as
    Terraform connects to reattached providers; they stop when the block ends.
    """
    import json

    import grpc

    servers = []
    config = {}
    with tempfile.TemporaryDirectory(prefix="pvecdk-plugin-") as tmp:
        try:
            for i, (address, provider) in enumerate(sorted(providers.items())):
                server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
                _proto.rpc().add_ProviderServicer_to_server(ProviderService(provider), server)
                socket = os.path.join(tmp, f"provider-{i}.sock")
                server.add_insecure_port(f"unix://{socket}")
                server.start()
                servers.append(server)
                config[address] = {"Protocol": "grpc", "ProtocolVersion": _APP_PROTOCOL, "Pid": os.getpid(),
                                   "Test": True, "Addr": {"Network": "unix", "String": socket}}
            yield json.dumps(config)
        finally:
            for server in servers:
                server.stop(grace=0.2)
