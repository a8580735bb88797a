"""Lazy access to the generated protocol modules: gRPC and protobuf cost ~50 ms to import, paid only on use."""

from __future__ import annotations

from types import ModuleType

__all__ = ["controller", "controller_rpc", "pb", "rpc", "stdio_rpc"]


def pb() -> ModuleType:
    """``tfplugin6`` messages."""
    from tf.gen import tfplugin_pb2

    return tfplugin_pb2


def rpc() -> ModuleType:
    """``tfplugin6.Provider`` service glue."""
    from tf.gen import tfplugin_pb2_grpc

    return tfplugin_pb2_grpc


def controller() -> ModuleType:
    from tf.gen import grpc_controller_pb2

    return grpc_controller_pb2


def controller_rpc() -> ModuleType:
    from tf.gen import grpc_controller_pb2_grpc

    return grpc_controller_pb2_grpc


def stdio_rpc() -> ModuleType:
    from tf.gen import grpc_stdio_pb2_grpc

    return grpc_stdio_pb2_grpc
