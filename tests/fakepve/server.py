"""One HTTPS endpoint per fake node: stdlib ThreadingHTTPServer and ssl, on 127.0.0.1 only.

Stopping a node closes its listening socket (new connections are refused) and every open connection, then
joins all handler threads, so a test ends with no thread or socket left behind. A restarted node listens on
the port it had, so clients can keep their endpoint.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn
from typing import Any

from .api import Backend, Response

HOST = "127.0.0.1"
IDLE_TIMEOUT = 30.0  # seconds a kept-alive connection may idle; stopping a node closes them at once anyway


class _Server(ThreadingMixIn, HTTPServer):
    daemon_threads = False  # so that server_close() joins every handler thread
    allow_reuse_address = True

    def __init__(self, port: int, node: NodeServer) -> None:
        self.node = node
        self._open: set[ssl.SSLSocket] = set()
        self._open_lock = threading.Lock()
        super().__init__((HOST, port), _Handler)

    def get_request(self) -> tuple[Any, Any]:
        raw, address = self.socket.accept()
        # The handshake happens in the handler's thread, so a slow client cannot stall accept().
        wrapped = self.node.context().wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
        with self._open_lock:
            self._open.add(wrapped)
        return wrapped, address

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                # Shut down the TCP stream under the TLS layer: wakes a handler blocked reading it.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients going away (timeouts, dropped connections, refused handshakes) are normal here.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    # Headers and body go out in separate writes: with Nagle's algorithm and the client's delayed ACK each
    # answer would wait ~40 ms for the second segment, as no real pveproxy does.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        self.request.settimeout(self.timeout)
        self.request.do_handshake()
        super().setup()

    def version_string(self) -> str:
        return "pve-api-daemon/3.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean; fake.requests records what arrived

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding"):
            self._send(Response(501, "chunked transfer encoding not supported", b"", True))
            return
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        node = self.server.node
        try:
            response = node.backend.handle(node.name, self.command, self.path, headers, body, node.stopping)
        except Exception as exc:  # defensive: the pipeline catches its own errors
            node.backend.record_error(f"{self.command} {self.path}: {exc!r}")
            response = Response(500, "fakepve internal error", b"", True)
        if response is None:
            self._drop()
        else:
            self._send(response)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def _send(self, response: Response) -> None:
        self.send_response(response.status, response.reason)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "max-age=0")
        self.send_header("Pragma", "no-cache")
        self.send_header("Connection", "close" if response.close else "Keep-Alive")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            socket.socket.shutdown(self.request, socket.SHUT_RDWR)
        except OSError:
            pass


class NodeServer:
    """The HTTPS endpoint of one fake node."""

    def __init__(self, name: str, backend: Backend) -> None:
        self.name = name
        self.backend = backend
        self.stopping = threading.Event()
        self.port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._context_for: tuple[str, ssl.SSLContext] | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def context(self) -> ssl.SSLContext:
        """The TLS context for new connections; rebuilt when the node's certificate was reissued."""
        cert = self.backend.cert(self.name)
        if self._context_for is None or self._context_for[0] != cert.fingerprint:
            self._context_for = (cert.fingerprint, cert.server_context())
        return self._context_for[1]

    def start(self) -> None:
        self.stopping.clear()
        self._server = _Server(self.port, self)
        self.port = self._server.server_address[1]
        serve: Callable[[], None] = self._server.serve_forever
        self._thread = threading.Thread(target=serve, kwargs={"poll_interval": 0.01}, name=f"fakepve-{self.name}")
        self._thread.start()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self.stopping.set()  # wakes handlers sleeping in a SLOW fault
        server.shutdown()
        server.close_connections()
        server.server_close()  # closes the listening socket and joins the handler threads
        thread.join()
        self._server = self._thread = None
