"""PVE's named string formats and property strings, checked the way PVE's JSONSchema checks them.

Messages are PVE's own, so an engine that reports them can be tested against what a real node says.
Only the formats a cluster engine meets are checked; other named formats are accepted as they are.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from .storage import CONTENT, split_list

_NODE_RE = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?")
_DNS_LABEL = r"[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?"
_DNS_RE = re.compile(rf"({_DNS_LABEL}\.)*{_DNS_LABEL}")
_CONFIGID_RE = re.compile(r"[a-z][a-z0-9_-]+", re.IGNORECASE)
_VMID_RE = re.compile(r"[1-9][0-9]{2,8}")
_HA_SID_RE = re.compile(r"((vm|ct):)?[1-9][0-9]{2,8}")
_MAC_PREFIX_RE = re.compile(r"[a-f0-9][02468ace](?::[a-f0-9]{2}){0,2}:?", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[^\s@]+@[^\s@]+")
_STORAGE_ID_RE = re.compile(r"[a-z][a-z0-9\-_.]*[a-z0-9]", re.IGNORECASE)
_CONTENT_TYPES = frozenset().union(*CONTENT.values())  # what any storage type may hold


class FormatError(Exception):
    """A value that does not fit its format; the text is what PVE puts after 'invalid format - '."""


def _is_ip(value: str, version: int | None = None) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return version is None or address.version == version


def _cidr_ok(value: str, version: int) -> bool:
    address, _, bits = value.partition("/")
    if not bits.isdigit() or not _is_ip(address, version):
        return False
    # PVE refuses networks wider than /8, whatever the family.
    return 7 < int(bits) <= (32 if version == 4 else 128)


def _need(ok: bool, message: str) -> None:
    if not ok:
        raise FormatError(message + "\n")


def _check_address(value: str) -> None:
    _need(_is_ip(value) or bool(_DNS_RE.fullmatch(value)), f"value does not look like a valid address: {value}")


NAMED: dict[str, Callable[[str], None]] = {
    "pve-node": lambda v: _need(bool(_NODE_RE.fullmatch(v)), "value does not look like a valid node name"),
    "ip": lambda v: _need(_is_ip(v), "value does not look like a valid IP address"),
    "ipv4": lambda v: _need(_is_ip(v, 4), "value does not look like a valid IPv4 address"),
    "ipv6": lambda v: _need(_is_ip(v, 6), "value does not look like a valid IPv6 address"),
    "address": _check_address,
    "dns-name": lambda v: _need(bool(_DNS_RE.fullmatch(v)), "value does not look like a valid DNS name"),
    "CIDRv4": lambda v: _need(_cidr_ok(v, 4), "value does not look like a valid IPv4 CIDR network"),
    "CIDRv6": lambda v: _need(_cidr_ok(v, 6), "value does not look like a valid IPv6 CIDR network"),
    "CIDR": lambda v: _need(_cidr_ok(v, 4) or _cidr_ok(v, 6), "value does not look like a valid CIDR network"),
    "pve-configid": lambda v: _need(bool(_CONFIGID_RE.fullmatch(v)), f"invalid configuration ID '{v}'"),
    "pve-vmid": lambda v: _need(bool(_VMID_RE.fullmatch(v)), "value does not look like a valid VM ID"),
    "pve-ha-resource-or-vm-id": lambda v: _need(bool(_HA_SID_RE.fullmatch(v)), f"unable to parse HA resource id '{v}'"),
    "mac-prefix": lambda v: _need(
        bool(_MAC_PREFIX_RE.fullmatch(v)), "value does not look like a valid MAC address prefix"
    ),
    "email": lambda v: _need(bool(_EMAIL_RE.fullmatch(v)), "value does not look like a valid email address"),
    "pve-storage-id": lambda v: _need(
        bool(_STORAGE_ID_RE.fullmatch(v)), f"storage ID '{v}' contains illegal characters"
    ),
    "pve-storage-content": lambda v: _need(v in _CONTENT_TYPES, f"invalid content type '{v}'"),
}


def check_named(fmt: str, value: str) -> None:
    """Check a value against a named format; '-list' and '-opt' variants work as in PVE."""
    check = NAMED.get(fmt)
    if check is not None:
        check(value)
        return
    base, _, variant = fmt.rpartition("-")
    check = NAMED.get(base)
    if check is None:
        return  # a format this fake does not know: accepted (only the formats the engine sends are checked)
    if variant == "list":
        for item in split_list(value):
            check(item)
    elif variant == "opt" and value:
        check(value)


def parse_property_string(fmt: dict[str, Any], data: str) -> dict[str, str]:
    """Split 'key=value,...' (or a bare default-key value) into a dict, refusing keys the format lacks."""
    result: dict[str, str] = {}
    default_key: str | None = None
    for part in data.split(","):
        if not part.strip():
            continue
        keyed = re.fullmatch(r"([^=]+)=(.+)", part, re.DOTALL)
        if keyed:
            key, value = keyed.group(1), keyed.group(2)
            if key in result:
                raise FormatError(f"duplicate key in comma-separated list property: {key}\n")
            schema = fmt.get(key)
            if isinstance(schema, dict) and "alias" in schema:
                key = str(schema["alias"])
                schema = fmt.get(key)
            if not isinstance(schema, dict):
                raise FormatError(f"invalid key in comma-separated list property: {key}\n")
            result[key] = _normalise_boolean(value) if schema.get("type") == "boolean" else value
        elif "=" not in part:
            if default_key is not None:
                raise FormatError(f"duplicate key in comma-separated list property: {default_key}\n")
            default_key = next((k for k, s in fmt.items() if isinstance(s, dict) and s.get("default_key")), None)
            if default_key is None:
                raise FormatError("value without key, but schema does not define a default key\n")
            if default_key in result:
                raise FormatError(f"duplicate key in comma-separated list property: {default_key}\n")
            result[default_key] = part
        else:
            raise FormatError("missing key in comma-separated list property\n")
    return result


def _normalise_boolean(value: str) -> str:
    lowered = value.lower()
    if lowered in ("1", "on", "yes", "true"):
        return "1"
    if lowered in ("0", "off", "no", "false"):
        return "0"
    return value
