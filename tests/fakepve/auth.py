"""Authentication as pveproxy does it: API tokens, or a ticket cookie plus a CSRF token on writes.

Tickets and CSRF tokens are signed with the node's authkey, which a cluster shares: a ticket from one member
works on all, and a node that joins a cluster takes the cluster's key, so its old tickets stop working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from .errors import ApiError

TICKET_LIFETIME = 7200  # seconds, as PVE's tickets
_TICKET_RE = re.compile(r"PVE:([^:\s]+):([0-9A-F]{8})::(\S+)")
_CSRF_RE = re.compile(r"([0-9A-F]{8}):(\S+)")
_TOKEN_RE = re.compile(r"PVEAPIToken=([^!\s]+)!([^=\s]+)=(\S+)")


def _sign(key: bytes, text: str) -> str:
    return base64.b64encode(hmac.new(key, text.encode(), hashlib.sha256).digest()).decode()


def make_ticket(key: bytes, user: str, now: float) -> tuple[str, str]:
    """A (ticket, CSRFPreventionToken) pair in PVE's shapes."""
    stamp = f"{int(now):08X}"
    plain = f"PVE:{user}:{stamp}"
    return f"{plain}::{_sign(key, plain)}", f"{stamp}:{_sign(key, f'{stamp}:{user}')}"


def verify_ticket(key: bytes, ticket: str, now: float) -> str | None:
    """The ticket's user when it is genuine and young enough, else None."""
    match = _TICKET_RE.fullmatch(ticket)
    if match is None:
        return None
    user, stamp, signature = match.groups()
    age = now - int(stamp, 16)
    good = hmac.compare_digest(signature, _sign(key, f"PVE:{user}:{stamp}"))
    return user if good and -300 <= age <= TICKET_LIFETIME else None


def _verify_csrf(key: bytes, token: str | None, user: str, now: float) -> bool:
    match = _CSRF_RE.fullmatch(token or "")
    if match is None:
        return False
    stamp, signature = match.groups()
    age = now - int(stamp, 16)
    return hmac.compare_digest(signature, _sign(key, f"{stamp}:{user}")) and -300 <= age <= TICKET_LIFETIME


def _cookie(header: str | None, name: str) -> str | None:
    for part in (header or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return unquote(value)
    return None


@dataclass(frozen=True)
class Credentials:
    token_id: str  # user@realm!name
    token_secret: str


def authenticate(creds: Credentials, key: bytes, method: str, headers: Mapping[str, str]) -> str:
    """The caller's identity (user, or user!token for a token), or ApiError 401 with pveproxy's message."""
    now = time.time()
    authorization = headers.get("Authorization") or ""
    # pveproxy prefers the cookie, then a ticket in the Authorization header, then an API token.
    ticket = _cookie(headers.get("Cookie"), "PVEAuthCookie") or _cookie(authorization, "PVEAuthCookie")
    if ticket is not None:
        user = verify_ticket(key, ticket, now)
        if user is None:
            raise ApiError(401, "permission denied - invalid PVE ticket\n")
        if method != "GET" and not _verify_csrf(key, headers.get("CSRFPreventionToken"), user, now):
            raise ApiError(401, "Permission denied - invalid csrf token\n")
        return user
    token = _TOKEN_RE.fullmatch(authorization.strip())
    if token is None:
        raise ApiError(401, "No ticket\n")
    user, name, secret = token.groups()
    if f"{user}!{name}" != creds.token_id:
        raise ApiError(401, f"no such token '{name}' for user '{user}'\n")
    if not hmac.compare_digest(secret, creds.token_secret):
        raise ApiError(401, "invalid token value!\n")
    return creds.token_id
