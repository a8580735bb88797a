"""One place that talks to PVE: a proxmoxer session per node, retries, task waits, and errors without secrets.

Calls read like the API paths (``client.get("pve1", "/cluster/status")``). Every failure becomes one of
:class:`~pvecdk.errors.ApiError` (:class:`~pvecdk.errors.ConcurrentEditError` when a write's ``digest`` no
longer matches), :class:`~pvecdk.errors.UnreachableError` or :class:`~pvecdk.errors.TaskError`, naming the node,
method and path with a readable reason (an HTML error page of a proxy is reduced to its title and text);
proxmoxer and requests exceptions never leave this module.

Retries: a read (GET) is retried on any transport failure and on a 5xx answer; a write only when the
connection was never made (refused, or the connect timed out), because a write whose connection dropped may
have been carried out.
Waits back off exponentially up to a cap.
"""

from __future__ import annotations

import html.parser
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pvecdk.errors import ApiError, ConcurrentEditError, EngineError, TaskError, UnreachableError

__all__ = ["Client", "Credentials", "TlsSettings", "parse_upid", "readable"]

_SECRET_PARAMS = frozenset({"password", "token", "ticket", "token_value", "new_password", "keyring", "encryption-key"})


@dataclass(frozen=True)
class Credentials:
    """How to log in: an API token (``user@realm!name=secret``) or a user and password (a ticket).

    The repr never shows the secret.
    """

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token_id: str | None = None  # user@realm!name
    token_secret: str | None = field(default=None, repr=False)

    @classmethod
    def from_token(cls, token: str) -> Credentials:
        token_id, sep, secret = token.partition("=")
        if not sep or "!" not in token_id or not secret:
            raise ValueError("an API token looks like user@realm!name=secret")
        return cls(token_id=token_id, token_secret=secret)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Credentials:
        """From the provider's variables: ``PROXMOX_VE_API_TOKEN``, else ``PROXMOX_VE_USERNAME``/``_PASSWORD``."""
        env = os.environ if env is None else env
        token = env.get("PROXMOX_VE_API_TOKEN")
        if token:
            try:
                return cls.from_token(token)
            except ValueError as exc:
                raise EngineError(f"PROXMOX_VE_API_TOKEN: {exc}", node="-") from None
        return cls(username=env.get("PROXMOX_VE_USERNAME"), password=env.get("PROXMOX_VE_PASSWORD"))

    @property
    def usable(self) -> bool:
        return bool(self.token_id and self.token_secret) or bool(self.username and self.password)

    def secrets(self) -> list[str]:
        return [s for s in (self.password, self.token_secret) if s]


@dataclass(frozen=True)
class TlsSettings:
    """How to trust a node's certificate. Verified by default.

    Attributes:
        ca_file: PEM of the CA that signed the nodes' certificates. Defaults to the system's store.
        fingerprints: Pinned SHA-256 fingerprints per node (``AB:CD:...``): that certificate, and only it, is
            accepted, whoever signed it.
        insecure: Skip verification. Only when asked (``PROXMOX_VE_INSECURE=true``).
    """

    ca_file: str | None = None
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    insecure: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TlsSettings:
        env = os.environ if env is None else env
        insecure = env.get("PROXMOX_VE_INSECURE", "").lower() in ("1", "true", "yes")
        return cls(ca_file=env.get("PVECDK_CA_FILE") or None, insecure=insecure)


def parse_upid(upid: str) -> dict[str, str]:
    """The parts of a task id: ``UPID:node:pid:pstart:starttime:type:id:user:``."""
    parts = upid.split(":")
    if len(parts) < 8 or parts[0] != "UPID":
        raise ValueError(f"not a UPID: {upid!r}")
    return {"node": parts[1], "pid": parts[2], "pstart": parts[3], "starttime": parts[4], "type": parts[5],
            "id": parts[6], "user": parts[7]}


class Client:
    """Sessions to the nodes of one cluster.

    Args:
        endpoints: Node name -> API URL (``https://10.0.0.11:8006``).
        credentials: How to log in. Defaults to the ``PROXMOX_VE_*`` environment variables.
        tls: Certificate checks. Defaults to verification against the system's CAs.
        timeout_seconds: Per request. Defaults to 10.
        retries: Extra attempts for retryable failures. Defaults to 3.
        backoff_seconds: First wait between attempts, doubled each time. Defaults to 0.25.
    """

    def __init__(
        self,
        endpoints: Mapping[str, str],
        credentials: Credentials | None = None,
        tls: TlsSettings | None = None,
        *,
        timeout_seconds: float = 10.0,
        retries: int = 3,
        backoff_seconds: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoints = dict(endpoints)
        self.credentials = credentials or Credentials.from_env()
        self.tls = tls or TlsSettings.from_env()
        self.timeout_seconds = timeout_seconds
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep
        self._sessions: dict[str, Any] = {}
        self._lock = threading.Lock()

    # -- sessions

    def _session(self, node: str) -> Any:
        with self._lock:
            session = self._sessions.get(node)
            if session is None:
                session = self._open(node)
                self._sessions[node] = session
            return session

    def _open(self, node: str) -> Any:
        from proxmoxer import ProxmoxAPI

        try:
            url = urlsplit(self.endpoints[node])
        except KeyError:
            raise UnreachableError(node=node, method="-", path="-", reason="no endpoint for this node in the model",
                                   attempts=0) from None
        host = url.hostname or ""
        port = url.port or 8006
        fingerprint = self.tls.fingerprints.get(node)
        verify: bool | str = False if (self.tls.insecure or fingerprint) else (self.tls.ca_file or True)
        creds = self.credentials
        kwargs: dict[str, Any] = {"port": port, "verify_ssl": verify, "timeout": self.timeout_seconds,
                                  "service": "PVE", "backend": "https"}
        if creds.token_id and creds.token_secret:
            user, _, name = creds.token_id.partition("!")
            kwargs.update(user=user, token_name=name, token_value=creds.token_secret)
        elif creds.username and creds.password:
            kwargs.update(user=creds.username, password=creds.password)
        else:
            raise ApiError(node=node, method="-", path="/access/ticket", status=401,
                           message="no credentials: set PROXMOX_VE_API_TOKEN, or PROXMOX_VE_USERNAME and "
                                   "PROXMOX_VE_PASSWORD")

        def connect() -> Any:
            api = ProxmoxAPI(host, **kwargs)
            if fingerprint:
                _pin(api, fingerprint)
            return api

        # A password login talks to the node, so opening the session is a call like any other.
        return self._with_retries(node, "POST" if creds.password and not creds.token_id else "-",
                                  "/access/ticket", connect, idempotent=True)

    # -- calls

    def get(self, node: str, path: str, /, **params: Any) -> Any:
        return self._call(node, "GET", path, params)

    def probe(self, node: str, path: str, /, **params: Any) -> Any:
        """A GET whose server error is an answer, not a passing fault (``ceph/cfg/raw`` before ``ceph/init``):
        retried on transport failures only."""
        return self._call(node, "GET", path, params, retry_server_errors=False)

    def post(self, node: str, path: str, /, **params: Any) -> Any:
        return self._call(node, "POST", path, params)

    def put(self, node: str, path: str, /, **params: Any) -> Any:
        return self._call(node, "PUT", path, params)

    def delete(self, node: str, path: str, /, **params: Any) -> Any:
        return self._call(node, "DELETE", path, params)

    def _call(self, node: str, method: str, path: str, params: Mapping[str, Any], *,
              retry_server_errors: bool = True) -> Any:
        session = self._session(node)
        clean = {k: _encode(v) for k, v in params.items() if v is not None}
        resource = session(path.lstrip("/"))
        verb = getattr(resource, method.lower())
        return self._with_retries(node, method, path, lambda: verb(**clean), idempotent=method == "GET",
                                  params=clean, retry_server_errors=retry_server_errors)

    def _with_retries(self, node: str, method: str, path: str, call: Callable[[], Any], *, idempotent: bool,
                      params: Mapping[str, Any] | None = None, retry_server_errors: bool = True) -> Any:
        import requests
        from proxmoxer import ResourceException
        from proxmoxer.core import AuthenticationError

        delay = self.backoff_seconds
        attempt = 0
        while True:
            attempt += 1
            try:
                return call()
            except ResourceException as exc:
                # A 5xx on a read is often passing ("cluster not ready"); a write's 5xx may have done something.
                if not (idempotent and retry_server_errors and int(exc.status_code or 0) >= 500
                        and attempt <= self.retries):
                    raise self._api_error(node, method, path, exc, params) from None
            except AuthenticationError as exc:
                # proxmoxer's ticket login failed: PVE answered 401 (wrong user or password, or realm).
                raise ApiError(node=node, method=method, path=path, status=401,
                               message=self._scrub(readable(str(exc))) or "authentication failure",
                               errors={}) from None
            except requests.exceptions.RequestException as exc:
                refused = isinstance(exc, requests.exceptions.ConnectionError) and (
                    "NewConnectionError" in repr(exc) or "refused" in str(exc))
                never_connected = isinstance(exc, requests.exceptions.ConnectTimeout) or refused
                if attempt > self.retries or not (idempotent or never_connected):
                    raise UnreachableError(node=node, method=method, path=path, reason=self._scrub(_reason(exc)),
                                           attempts=attempt) from None
            except OSError as exc:
                # Local, not the node's: a CA file that cannot be read, a certificate that is no PEM.
                raise UnreachableError(node=node, method=method, path=path, reason=self._scrub(readable(str(exc))),
                                       attempts=attempt) from None
            self._sleep(delay)
            delay = min(delay * 2, 4.0)

    def _api_error(self, node: str, method: str, path: str, exc: Any, params: Mapping[str, Any] | None) -> ApiError:
        errors = exc.errors if isinstance(exc.errors, dict) else {}
        # A body that is not PVE's JSON (a proxy's error page) comes as {"errors": <bytes>}: it is the reason.
        body = errors.pop("errors", None) if isinstance(errors.get("errors"), (bytes, str)) else None
        message = readable(exc.content or exc.status_message or "")
        if exc.errors is not None and not isinstance(exc.errors, dict):
            message = f"{message} {readable(exc.errors)}".strip()
        if body is not None:
            message = f"{message}: {readable(body)}" if message else readable(body)
        hidden = [str(v) for k, v in (params or {}).items() if k in _SECRET_PARAMS]
        kind = ConcurrentEditError if _CONCURRENT_EDIT in message else ApiError
        return kind(node=node, method=method, path=path, status=int(exc.status_code or 0),
                    message=self._scrub(message, hidden),
                    errors={k: self._scrub(readable(v), hidden) for k, v in errors.items()})

    def _scrub(self, text: str, extra: list[str] | None = None) -> str:
        for secret in [*self.credentials.secrets(), *(extra or [])]:
            if secret:
                text = text.replace(secret, "<redacted>")
        return text

    # -- tasks

    def wait_task(self, node: str, upid: str, *, timeout_seconds: float = 300.0,
                  poll_seconds: float = 0.1) -> list[str]:
        """Wait until task ``upid`` stops; return its log, or raise TaskError (failed or timed out)."""
        deadline = time.monotonic() + timeout_seconds
        delay = poll_seconds
        while True:
            status = self.get(node, f"/nodes/{node}/tasks/{upid}/status")
            if status.get("status") == "stopped":
                log = self.task_log(node, upid)
                exitstatus = str(status.get("exitstatus", ""))
                if exitstatus != "OK":
                    raise TaskError(node=node, upid=upid, exitstatus=self._scrub(exitstatus), log=log[-20:],
                                    timed_out=False)
                return log
            if time.monotonic() >= deadline:
                raise TaskError(node=node, upid=upid, exitstatus="", log=self.task_log(node, upid)[-20:],
                                timed_out=True, timeout_seconds=timeout_seconds)
            self._sleep(delay)
            delay = min(delay * 1.5, 2.0)

    def task_log(self, node: str, upid: str) -> list[str]:
        lines = self.get(node, f"/nodes/{node}/tasks/{upid}/log", start=0, limit=500)
        return [self._scrub(str(line.get("t", ""))) for line in lines or []]

    def close(self) -> None:
        with self._lock:
            for api in self._sessions.values():
                session = getattr(api, "_store", {}).get("session")
                if session is not None:
                    session.close()
            self._sessions.clear()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: What PVE says when a write's ``digest`` no longer matches the file (PVE::Tools::assert_if_modified).
_CONCURRENT_EDIT = "detected modified configuration"


class _Text(html.parser.HTMLParser):
    """The title and visible text of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.text: list[str] = []
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._skip += tag in ("script", "style")
        self._in_title = self._in_title or tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style") and self._skip > 0
        self._in_title = self._in_title and tag != "title"

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.text.append(data)


def readable(body: Any, limit: int = 300) -> str:
    """A reason fit for one line of a message: bytes decoded, an HTML page reduced to its title and text."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    text = str(body).strip()
    if re.match(r"(?is)\s*(<!doctype html|<html|<head|<body|<title)", text):
        parser = _Text()
        parser.feed(text)
        parser.close()
        title = " ".join(parser.title.split())
        words = " ".join(" ".join(parser.text).split())
        if words.startswith(title):
            words = words[len(title):].strip()
        text = f"{title}: {words}" if title and words else title or words
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _encode(value: Any) -> Any:
    if isinstance(value, bool):
        return 1 if value else 0
    return value


def _reason(exc: Exception) -> str:
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "read timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS verification failed (check the CA file, the pinned fingerprint, or the endpoint)"
    text = str(exc)
    if "refused" in text:
        return "connection refused"
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "connection dropped"
    return type(exc).__name__


def _pin(api: Any, fingerprint: str) -> None:
    """Accept the node's certificate by its SHA-256 fingerprint (urllib3 checks it during the handshake)."""
    from requests.adapters import HTTPAdapter

    digest = fingerprint.replace(":", "").lower()

    class Pinned(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["assert_fingerprint"] = digest
            super().init_poolmanager(*args, **kwargs)

    # proxmoxer keeps its requests session in the resource's store; mounting an adapter there is the one
    # place the engine reaches into proxmoxer.
    api._store["session"].mount("https://", Pinned())
