"""The one way the engine runs what PVE offers only on the command line: :class:`Shell`, over SSH.

PVE has no API for some steps (QDevice setup and removal, ``pveceph install``, the watchdog module): they run
as commands on a node. :class:`SshShell` runs them over SSH (paramiko) with the node's host key verified:

* a key known for the node (from the model, or pinned earlier and kept in Terraform's state) must be the one
  the node offers, else :class:`~pvecdk.errors.HostKeyError` is raised before anything is sent (no login, no
  command): a changed key is never accepted;
* a node with no known key is pinned on first contact only when the caller allows it (``pin_unknown``); the
  key learnt is in :attr:`SshShell.pinned`, which the provider writes to the state and reports, so a first
  contact is never silent.

Credentials come from the environment, like the API's: ``PROXMOX_VE_SSH_USERNAME`` (default ``root``) and
``PROXMOX_VE_SSH_PRIVATE_KEY`` (the key's text) or ``PROXMOX_VE_SSH_PASSWORD``. They never appear in a message.

Failures: a connection refused or timed out is retried (nothing ran); a connection dropped while a command ran
is an :class:`~pvecdk.errors.UnreachableError` (method ``SSH``) saying the command may have run, retried only
for commands that change nothing (``idempotent=True``); a command that exits non-zero is a
:class:`~pvecdk.errors.CommandError` with its last lines of output. Every step that runs a command first checks
whether it is still needed, so a rerun converges.
"""

from __future__ import annotations

import base64
import io
import os
import shlex
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import paramiko

from pvecdk.errors import CommandError, HostKeyError, ShellError, UnreachableError

__all__ = ["CommandResult", "Shell", "SshCredentials", "SshHost", "SshShell", "fingerprint", "parse_host_key"]


@dataclass(frozen=True)
class SshCredentials:
    """How to log in over SSH: a user and a private key (its text) or a password. The repr shows no secret."""

    username: str = "root"
    private_key: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SshCredentials:
        """From ``PROXMOX_VE_SSH_USERNAME``, ``PROXMOX_VE_SSH_PRIVATE_KEY`` and ``PROXMOX_VE_SSH_PASSWORD``."""
        env = os.environ if env is None else env
        return cls(username=env.get("PROXMOX_VE_SSH_USERNAME") or "root",
                   private_key=env.get("PROXMOX_VE_SSH_PRIVATE_KEY") or None,
                   password=env.get("PROXMOX_VE_SSH_PASSWORD") or None)

    @property
    def usable(self) -> bool:
        return bool(self.private_key or self.password)

    def secrets(self) -> list[str]:
        return [s for s in (self.password, self.private_key) if s]


@dataclass(frozen=True)
class SshHost:
    """Where a node's SSH server listens, and its host key when known.

    Attributes:
        address: Host name or IP address.
        port: TCP port. Defaults to 22.
        host_key: The public host key, ``<type> <base64>`` as in ``ssh_host_ed25519_key.pub`` (a comment after
            it is ignored). None: not known yet.
    """

    address: str
    port: int = 22
    host_key: str | None = None

    @property
    def label(self) -> str:
        return f"{self.address}:{self.port}"


@dataclass(frozen=True)
class CommandResult:
    """What a command printed and how it exited."""

    node: str
    command: str
    exit_status: int
    stdout: str
    stderr: str


class Shell(Protocol):
    """Runs a command on a node; the engine's only way to the command line."""

    def run(self, node: str, argv: Sequence[str], *, check: bool = True, idempotent: bool = False,
            timeout_seconds: float | None = None) -> CommandResult:
        """Run ``argv`` on ``node``; raise CommandError when it fails and ``check`` is set."""
        ...


def parse_host_key(text: str) -> paramiko.PKey:
    """A public key from ``<type> <base64> [comment]``; ValueError when it is not one."""
    parts = text.split()
    if len(parts) < 2:
        raise ValueError("a host key looks like 'ssh-ed25519 AAAA...'")
    try:
        return paramiko.PKey.from_type_string(parts[0], base64.b64decode(parts[1], validate=True))
    except (ValueError, paramiko.SSHException, TypeError) as exc:
        raise ValueError(f"not an SSH public key of type {parts[0]}: {exc}") from None


def fingerprint(key: paramiko.PKey | str) -> str:
    """OpenSSH's SHA-256 fingerprint (``SHA256:...``) of a key or of its ``<type> <base64>`` text."""
    return (parse_host_key(key) if isinstance(key, str) else key).fingerprint


def _key_text(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.get_base64()}"


def _private_key(text: str) -> paramiko.PKey:
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return kind.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise ShellError("PROXMOX_VE_SSH_PRIVATE_KEY: not an unencrypted Ed25519, ECDSA or RSA private key", node="-")


class _Verify(paramiko.MissingHostKeyPolicy):
    """Called by paramiko when the node offers a key of a type with no known key: pin it, or refuse."""

    def __init__(self, shell: SshShell, node: str, host: SshHost) -> None:
        self.shell, self.node, self.host = shell, node, host

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        known = self.shell.host_key(self.node)
        if known is not None:  # a key of another type than the known one: the node's keys changed
            raise HostKeyError(node=self.node, address=self.host.label, expected=fingerprint(known),
                               got=key.fingerprint)
        if not self.shell.pin_unknown:
            raise HostKeyError(node=self.node, address=self.host.label, expected=None, got=key.fingerprint)
        self.shell.pin(self.node, _key_text(key))


class SshShell:
    """SSH sessions to the nodes of one cluster, host keys verified.

    Args:
        hosts: Node name -> where its SSH server listens (and its known host key).
        credentials: How to log in. Defaults to the ``PROXMOX_VE_SSH_*`` environment variables.
        pin_unknown: Accept and pin the key of a node with no known key on first contact (reported through
            :attr:`pinned`). Defaults to True; False refuses such a node.
        timeout_seconds: Connect timeout, and the default time a command may take. Defaults to 10 and 600.
        retries: Extra connect attempts when the connection is refused or times out. Defaults to 2.
    """

    def __init__(self, hosts: Mapping[str, SshHost], credentials: SshCredentials | None = None, *,
                 pin_unknown: bool = True, timeout_seconds: float = 10.0, command_timeout_seconds: float = 600.0,
                 retries: int = 2, backoff_seconds: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.hosts = dict(hosts)
        self.credentials = credentials or SshCredentials.from_env()
        self.pin_unknown = pin_unknown
        self.timeout_seconds = timeout_seconds
        self.command_timeout_seconds = command_timeout_seconds
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep
        #: Keys learnt on first contact in this session: node -> ``<type> <base64>``.
        self.pinned: dict[str, str] = {}
        self._clients: dict[str, paramiko.SSHClient] = {}
        self._lock = threading.Lock()
        for node, host in self.hosts.items():
            if host.host_key is not None:
                try:
                    parse_host_key(host.host_key)
                except ValueError as exc:
                    raise ShellError(f"{node}: host_key: {exc}", node=node) from None

    def host_key(self, node: str) -> str | None:
        """The key known for ``node`` (given, or pinned in this session)."""
        return self.hosts[node].host_key if self.hosts[node].host_key else self.pinned.get(node)

    def pin(self, node: str, key: str) -> None:
        self.pinned[node] = key

    # -- connections

    def _client(self, node: str) -> paramiko.SSHClient:
        with self._lock:
            client = self._clients.get(node)
            transport = client.get_transport() if client is not None else None
            if client is None or transport is None or not transport.is_active():
                client = self._connect(node)
                self._clients[node] = client
            return client

    def _connect(self, node: str) -> paramiko.SSHClient:
        try:
            host = self.hosts[node]
        except KeyError:
            raise UnreachableError(node=node, method="SSH", path="-", reason="no SSH address for this node in the "
                                   "model", attempts=0) from None
        creds = self.credentials
        if not creds.usable:
            raise ShellError(f"{node}: no SSH credentials: set PROXMOX_VE_SSH_PRIVATE_KEY (or "
                             "PROXMOX_VE_SSH_PASSWORD), and PROXMOX_VE_SSH_USERNAME unless it is root", node=node)
        pkey = _private_key(creds.private_key) if creds.private_key else None
        delay = self.backoff_seconds
        attempt = 0
        while True:
            attempt += 1
            client = paramiko.SSHClient()
            known = self.host_key(node)
            if known is not None:
                name = host.address if host.port == 22 else f"[{host.address}]:{host.port}"
                key = parse_host_key(known)
                client.get_host_keys().add(name, key.get_name(), key)
            client.set_missing_host_key_policy(_Verify(self, node, host))
            try:
                client.connect(host.address, port=host.port, username=creds.username, pkey=pkey,
                               password=creds.password, look_for_keys=False, allow_agent=False,
                               timeout=self.timeout_seconds, banner_timeout=self.timeout_seconds,
                               auth_timeout=self.timeout_seconds)
                return client
            except HostKeyError:
                client.close()
                raise
            except paramiko.BadHostKeyException as exc:
                client.close()
                raise HostKeyError(node=node, address=host.label, expected=exc.expected_key.fingerprint,
                                   got=exc.key.fingerprint) from None
            except paramiko.AuthenticationException:
                client.close()
                raise ShellError(f"{node}: SSH login as {creds.username} at {host.label} was refused; check "
                                 "PROXMOX_VE_SSH_USERNAME and its key or password", node=node) from None
            except (OSError, paramiko.SSHException, EOFError) as exc:
                client.close()
                if attempt > self.retries:
                    raise UnreachableError(node=node, method="SSH", path=host.label, reason=self._scrub(
                        _reason(exc)), attempts=attempt) from None
            self._sleep(delay)
            delay = min(delay * 2, 4.0)

    # -- commands

    def run(self, node: str, argv: Sequence[str], *, check: bool = True, idempotent: bool = False,
            timeout_seconds: float | None = None) -> CommandResult:
        """Run ``argv`` (quoted for the node's shell) on ``node``.

        Args:
            check: Raise CommandError when it exits non-zero. Defaults to True.
            idempotent: The command changes nothing (a read): run it again once when the connection dropped.
            timeout_seconds: How long it may take. Defaults to the shell's command timeout.
        """
        command = shlex.join(argv)
        attempts = 2 if idempotent else 1
        for attempt in range(1, attempts + 1):
            client = self._client(node)
            try:
                result = self._exec(client, node, command, timeout_seconds or self.command_timeout_seconds)
                break
            except (OSError, paramiko.SSHException, EOFError) as exc:
                self._forget(node)
                if attempt == attempts:
                    what = "" if idempotent else "; it may have run: run again (every step checks first)"
                    raise UnreachableError(node=node, method="SSH", path=command,
                                           reason=f"{self._scrub(_reason(exc))}{what}", attempts=attempt) from None
        if check and result.exit_status != 0:
            lines = (result.stdout + result.stderr).splitlines()
            raise CommandError(node=node, command=command, exit_status=result.exit_status, output=lines[-20:])
        return result

    def _exec(self, client: paramiko.SSHClient, node: str, command: str, timeout: float) -> CommandResult:
        transport = client.get_transport()
        if transport is None:
            raise EOFError("connection dropped")
        channel = transport.open_session(timeout=self.timeout_seconds)
        channel.settimeout(timeout)
        channel.exec_command(command)
        out, err = bytearray(), bytearray()
        while True:
            chunk = channel.recv(65536)
            if not chunk:
                break
            out += chunk
        while True:
            chunk = channel.recv_stderr(65536)
            if not chunk:
                break
            err += chunk
        status = channel.recv_exit_status()
        channel.close()
        if status == -1:  # the channel closed without an exit status: the connection went away
            raise EOFError("connection dropped while the command ran")
        return CommandResult(node, command, status, self._scrub(out.decode("utf-8", "replace")),
                             self._scrub(err.decode("utf-8", "replace")))

    def _forget(self, node: str) -> None:
        with self._lock:
            client = self._clients.pop(node, None)
        if client is not None:
            client.close()

    def _scrub(self, text: str) -> str:
        for secret in self.credentials.secrets():
            text = text.replace(secret, "<redacted>")
        return text

    def close(self) -> None:
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()

    def __enter__(self) -> SshShell:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    text = str(exc).strip()
    return text or type(exc).__name__
