"""What a fake node does with one HTTP request, apart from the socket work: the pveproxy pipeline.

Order as in pveproxy: split /api2/{format}/path, authenticate, find the method, check parameters, run it.
Faults are applied first (or after running, for lost answers). Every request is recorded with secrets redacted.
"""

from __future__ import annotations

import http
import json
import re
import secrets
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

# Importing the handler modules fills the route table.
from . import (  # noqa: F401
    commands,
    handlers_ceph,
    handlers_ceph_daemons,
    handlers_ceph_osds,
    handlers_ceph_pools,
    handlers_cluster,
    handlers_guests,
    handlers_inventory,
    handlers_node,
    handlers_storage,
)
from .apischema import Route, load_schema, validate
from .auth import Credentials, authenticate
from .certs import CertAuthority, NodeCert
from .errors import ApiError, param_error
from .faults import Fault, FaultBook, FaultRule
from .model import World
from .routes import ROUTES, Call, Release, Reply
from .storage import SECRET_OPTIONS
from .tasks import TaskRunner

SECRET_PARAMS = frozenset({"password", "new-password", "otp", "tfa-challenge", "token", "secret", *SECRET_OPTIONS})
REDACTED = "<redacted>"


class Request(NamedTuple):
    """One recorded request: node, HTTP method, API path (after /api2/json) and parameters."""

    node: str
    method: str
    path: str
    params: dict[str, str]


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    body: bytes
    close: bool  # errors end the connection, as pveproxy does
    content_type: str = "application/json;charset=UTF-8"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return value if isinstance(value, str) else json.dumps(value)


def _urlencoded(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        # Repeated keys arrive NUL-joined in PVE, which is how list parameters are sent.
        params[key] = f"{params[key]}\0{value}" if key in params else value
    return params


def _reason(message: str, status: int) -> str:
    lines = message.strip().splitlines()
    text = "".join(c if 32 <= ord(c) < 127 else "?" for c in (lines[0] if lines else ""))
    if text:
        return text
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class Backend:
    """The shared server side of all fake nodes (the routes' Services)."""

    def __init__(
        self,
        world: World,
        release: Release,
        root_password: str,
        creds: Credentials,
        ca: CertAuthority,
        task_seconds: float,
        rotate_certs: bool,
        auth_failure_delay: float,
    ) -> None:
        self.world = world
        self.release = release
        self.root_password = root_password
        self.creds = creds
        self.faults = FaultBook()
        self.runner = TaskRunner(world.lock, task_seconds, self.record_error)
        self.requests: list[Request] = []
        self.errors: list[str] = []
        self._schema = load_schema(release.schema)
        self._ca = ca
        self._rotate = rotate_certs
        self._auth_delay = auth_failure_delay
        self._certs: dict[str, NodeCert] = {}
        self._record_lock = threading.Lock()
        # The command-line stand-ins of the SSH tests post to /fakepve/command with this secret.
        self.control_secret = secrets.token_hex(16)
        self.commands = commands.CommandBook()
        for node in world.nodes.values():
            self._certs[node.name] = ca.issue(node.name, node.addresses)

    # --- services for the handlers -----------------------------------------------------------------

    def fingerprint(self, node: str) -> str:
        return self._certs[node].fingerprint

    def cert(self, node: str) -> NodeCert:
        return self._certs[node]

    def rotate_cert(self, node: str) -> None:
        if self._rotate:
            self._certs[node] = self._ca.issue(node, self.world.nodes[node].addresses)

    def record_error(self, text: str) -> None:
        with self._record_lock:
            self.errors.append(text)

    # --- the pipeline -------------------------------------------------------------------------------

    def handle(
        self, node: str, method: str, target: str, headers: Mapping[str, str], body: bytes, interrupt: threading.Event
    ) -> Response | None:
        """Answer one request; None means: close the connection without an answer."""
        url = urlsplit(target)
        path = unquote(url.path)
        if path == "/fakepve/command":
            return self._command(node, method, headers, body)
        match = re.fullmatch(r"/api2/+([a-z][a-z0-9]+)(/.*)?", path)
        if match is None:
            return self._error(ApiError(501, f"no such file '{path}'\n"))
        fmt = match.group(1)
        rel = "/" + "/".join(p for p in (match.group(2) or "").split("/") if p)
        try:
            params = self._params(method, url.query, headers, body)
        except ValueError as exc:
            self._record(node, method, rel, {})
            return self._error(ApiError(400, f"unable to parse request body - {exc}"))
        self._record(node, method, rel, params)
        if method not in ("GET", "POST", "PUT", "DELETE"):
            return self._error(ApiError(501, f"method '{method}' not available"))
        if body and method not in ("POST", "PUT"):
            return self._error(ApiError(501, f"Unexpected content for method '{method}'"))
        found = self._schema.resolve(rel)
        rule = self.faults.take_request(node, method, rel, found.template if found else None)
        if rule is not None and not rule.after:
            stop, early = self._apply(rule, interrupt)
            if stop:
                return early
        if fmt != "json":
            response = self._error(ApiError(501, f"no formatter for uri {rel}, {fmt}"))
        else:
            response = self._answer(node, method, rel, found, params, headers)
        if response.status == 401 and self._auth_delay > 0:
            interrupt.wait(self._auth_delay)  # pveproxy delays every failed authentication
        if rule is not None and rule.after:
            stop, late = self._apply(rule, interrupt)
            if stop:
                return late
        return response

    def _command(self, node: str, method: str, headers: Mapping[str, str], body: bytes) -> Response:
        """A command a stand-in ran on ``node`` (see commands.py); not part of PVE's API."""
        if method != "POST" or not secrets.compare_digest(headers.get("X-Fakepve-Control", ""), self.control_secret):
            return self._error(ApiError(403, "fakepve control: forbidden"))
        request = json.loads(body)
        argv = [str(a) for a in request["argv"]]
        with self.world.lock:
            outcome = commands.run(self.world, self.commands, node, argv, content=request.get("content"))
        payload = {"exit": outcome.exit, "stdout": outcome.stdout, "stderr": outcome.stderr, "drop": outcome.drop}
        return Response(200, "OK", json.dumps(payload).encode(), False)

    def _apply(self, rule: FaultRule, interrupt: threading.Event) -> tuple[bool, Response | None]:
        """(True, answer) when the fault replaces the answer (None: drop); (False, None) to carry on."""
        if rule.kind is Fault.DROP:
            return True, None
        if rule.kind is Fault.HTTP_500:
            return True, self._error(ApiError(500, rule.message or "Internal Server Error"))
        if rule.kind is Fault.FORBIDDEN:
            return True, self._error(ApiError(403, rule.message or "Permission check failed"))
        if rule.kind is Fault.PROXY_ERROR:
            page = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
                    b"Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
            return True, Response(502, "Bad Gateway", page, True, "text/html")
        interrupt.wait(rule.delay)
        return False, None

    def _params(self, method: str, query: str, headers: Mapping[str, str], body: bytes) -> dict[str, str]:
        params: dict[str, str] = {}
        if method in ("POST", "PUT") and body:
            ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype == "application/json":
                decoded = json.loads(body)
                if not isinstance(decoded, dict):
                    raise ValueError("JSON body is not an object")
                params.update({k: _scalar(v) for k, v in decoded.items() if v is not None})
            else:
                params.update(_urlencoded(body.decode("utf-8")))
        params.update(_urlencoded(query))
        return params

    def _record(self, node: str, method: str, path: str, params: dict[str, str]) -> None:
        shown = {k: REDACTED if k in SECRET_PARAMS else v for k, v in params.items()}
        with self._record_lock:
            self.requests.append(Request(node, method, path, shown))

    def _answer(
        self,
        node_name: str,
        method: str,
        rel: str,
        found: Route | None,
        params: dict[str, str],
        headers: Mapping[str, str],
    ) -> Response:
        try:
            with self.world.lock:
                node = self.world.nodes[node_name]
                info = found.methods.get(method) if found else None
                if info is not None and (info.get("permissions") or {}).get("user") == "world":
                    user = ""  # login and similar calls need no authentication
                else:
                    user = authenticate(self.creds, self.world.authkey(node), method, headers)
                if found is None:
                    raise ApiError(404, f"no such API path '{rel}' (PVE {self.release.version} schema)")
                if info is None:
                    raise ApiError(501, f"Method '{method} {rel}' not implemented")
                merged = {**params, **found.path_params}
                errors = validate(info, merged)
                if errors:
                    raise param_error(errors)
                handler = ROUTES.get((method, found.template))
                if handler is None:
                    raise ApiError(501, f"Method '{method} {rel}' not implemented")
                result = handler(Call(self, node, merged, user))
        except ApiError as exc:
            return self._error(exc)
        except Exception as exc:  # a bug in the fake: answer 500 and let the test see it
            self.record_error(f"{method} {rel} on {node_name}: {traceback.format_exc()}")
            return self._error(ApiError(500, f"fakepve internal error: {exc!r}"))
        reply = result if isinstance(result, Reply) else Reply(result)
        body = json.dumps({"data": reply.data, **reply.extra}).encode()
        return Response(200, "OK", body, False)

    def _error(self, exc: ApiError) -> Response:
        if exc.status == 401:
            body = b""  # pveproxy answers failed authentication with a bare status line
        else:
            payload: dict[str, Any] = {"data": None, "message": exc.message}
            if exc.errors:
                payload["errors"] = exc.errors
            body = json.dumps(payload).encode()
        return Response(exc.status, _reason(exc.message, exc.status), body, True)
