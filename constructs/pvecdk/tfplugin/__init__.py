"""Terraform's plugin protocol v6 in Python.

A provider is a :class:`Provider` that declares its schema (:class:`Schema`) and implements validate, plan,
apply, read, import and upgrade-state per resource type (:class:`ResourceType`, :class:`DataSourceType`);
:func:`serve` does the rest: the go-plugin handshake, TLS, the gRPC service and the wire encoding of values
(:mod:`pvecdk.tfplugin.values`). :func:`install_plugin` puts a launcher where Terraform finds plugins.

This package depends on nothing of cdktf.
"""

from __future__ import annotations

from pvecdk.tfplugin.install import install_plugin, os_arch
from pvecdk.tfplugin.provider import (
    ApplyResult,
    DataSourceType,
    Diagnostic,
    DiagnosticError,
    PlanResult,
    Provider,
    ReadResult,
    ResourceType,
    error,
    warning,
)
from pvecdk.tfplugin.schema import Attribute, Block, NestedBlock, NestedType, Nesting, Schema
from pvecdk.tfplugin.server import serve
from pvecdk.tfplugin.values import UNKNOWN, Dynamic

__all__ = [
    "UNKNOWN",
    "ApplyResult",
    "Attribute",
    "Block",
    "DataSourceType",
    "Diagnostic",
    "DiagnosticError",
    "Dynamic",
    "NestedBlock",
    "NestedType",
    "Nesting",
    "PlanResult",
    "Provider",
    "ReadResult",
    "ResourceType",
    "Schema",
    "error",
    "install_plugin",
    "os_arch",
    "serve",
    "warning",
]
