"""Lazy access to the generated protocol modules: gRPC and protobuf cost ~50 ms to import, paid only on use."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["controller", "controller_rpc", "pb", "rpc", "stdio_rpc"]


def _load(name: str) -> ModuleType:
    return importlib.import_module(f"tf.gen.{name}")


def pb() -> ModuleType:
    """``tfplugin6`` messages."""
    return _load("tfplugin_pb2")


def rpc() -> ModuleType:
    """``tfplugin6.Provider`` service glue."""
    return _load("tfplugin_pb2_grpc")


def controller() -> ModuleType:
    """go-plugin's controller messages."""
    return _load("grpc_controller_pb2")


def controller_rpc() -> ModuleType:
    """go-plugin's controller service (Terraform asks the plugin to shut down through it)."""
    return _load("grpc_controller_pb2_grpc")


def stdio_rpc() -> ModuleType:
    """go-plugin's stdio service."""
    return _load("grpc_stdio_pb2_grpc")
