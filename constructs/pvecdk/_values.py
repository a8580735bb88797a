"""The base layer: plain values and PVE facts that every construct module may import.

Nothing here is a construct or imports one: enums of PVE's settings, frozen value types passed as props
(corosync links, a QDevice, retention), and the small checks on them that several modules share. The
construct modules re-export what belongs to their concern (``pvecdk.cluster.NetworkRole`` is this module's),
so a user never needs to know this module.
"""

from __future__ import annotations

import enum
import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path

from pvecdk._fault import Fault

__all__ = [
    "MAX_LINKS",
    "AptRepository",
    "BondMode",
    "Console",
    "CorosyncLink",
    "CrsMode",
    "FencingMode",
    "HaShutdownPolicy",
    "MigrationType",
    "NetworkRole",
    "NextIdRange",
    "PveVersion",
    "QDevice",
    "Retention",
    "SshAccess",
    "dns_server",
]

MAX_LINKS = 8


class PveVersion(enum.StrEnum):
    """The Proxmox VE release a cluster runs."""

    V8_4 = "8.4"
    V9_0 = "9.0"
    V9_1 = "9.1"

    @property
    def major(self) -> int:
        return int(self.value.split(".")[0])


class NetworkRole(enum.StrEnum):
    """What a network carries."""

    MANAGEMENT = "management"  # web UI, API, SSH
    CLUSTER = "cluster"  # corosync
    STORAGE = "storage"  # Ceph, NFS, iSCSI
    MIGRATION = "migration"  # live migration traffic


class MigrationType(enum.StrEnum):
    SECURE = "secure"  # through SSH
    INSECURE = "insecure"  # plain TCP on 60000-60050; only on a trusted, dedicated network


class HaShutdownPolicy(enum.StrEnum):
    CONDITIONAL = "conditional"
    FREEZE = "freeze"
    FAILOVER = "failover"
    MIGRATE = "migrate"


class CrsMode(enum.StrEnum):
    """How the cluster resource scheduler picks a node for an HA service."""

    BASIC = "basic"
    STATIC = "static"


class FencingMode(enum.StrEnum):
    """How a node that lost quorum is fenced (applied by the engine: no provider attribute)."""

    WATCHDOG = "watchdog"
    HARDWARE = "hardware"
    BOTH = "both"


class Console(enum.StrEnum):
    APPLET = "applet"
    VV = "vv"
    HTML5 = "html5"
    XTERMJS = "xtermjs"


class AptRepository(enum.StrEnum):
    """The Proxmox VE package repository the nodes use."""

    ENTERPRISE = "enterprise"
    NO_SUBSCRIPTION = "no-subscription"


@dataclass(frozen=True)
class CorosyncLink:
    """A corosync link (``link0`` .. ``link7``) on one of the cluster's networks.

    Args:
        network: The network it runs on; every node needs an address there.
        priority: Higher is preferred when corosync runs in passive mode (0-255). Defaults to 0.
    """

    network: NetworkRole
    priority: int = 0


@dataclass(frozen=True)
class QDevice:
    """An external vote (corosync-qnetd) that breaks ties in even-sized clusters.

    Args:
        address: The qnetd host's address.
    """

    address: str


@dataclass(frozen=True)
class SshAccess:
    """How the engine reaches a node's SSH server, for what PVE offers only on the command line (QDevice setup,
    ``pveceph install``).

    Args:
        address: Host name or address. Defaults to the node's management address.
        port: TCP port. Defaults to 22.
        host_key: The node's public host key, ``ssh-ed25519 AAAA...`` as in
            ``/etc/ssh/ssh_host_ed25519_key.pub``: only that key is accepted. Defaults to none: the key the node
            offers on first contact is pinned in the Terraform state (and reported), and a later change of it
            is refused.
    """

    address: str | None = None
    port: int = 22
    host_key: str | None = None


@dataclass(frozen=True)
class NextIdRange:
    """The range new guest ids are taken from (``next-id`` in datacenter.cfg)."""

    lower: int = 100
    upper: int = 1_000_000


class BondMode(enum.StrEnum):
    BALANCE_RR = "balance-rr"
    ACTIVE_BACKUP = "active-backup"
    BALANCE_XOR = "balance-xor"
    BROADCAST = "broadcast"
    LACP = "802.3ad"
    BALANCE_TLB = "balance-tlb"
    BALANCE_ALB = "balance-alb"


@dataclass(frozen=True)
class Retention:
    """Which backups to keep (PVE's ``prune-backups``); a field left at None does not limit.

    Args:
        keep_last: The newest N backups.
        keep_hourly: The last backup of each of the last N hours.
        keep_daily: The last backup of each of the last N days.
        keep_weekly: The last backup of each of the last N weeks.
        keep_monthly: The last backup of each of the last N months.
        keep_yearly: The last backup of each of the last N years.
    """

    keep_last: int | None = None
    keep_hourly: int | None = None
    keep_daily: int | None = None
    keep_weekly: int | None = None
    keep_monthly: int | None = None
    keep_yearly: int | None = None

    def as_prune_backups(self) -> dict[str, str]:
        """PVE's ``prune-backups`` keys (``keep-daily``...) and values, as the provider takes them."""
        return {f"keep-{name.removeprefix('keep_')}": str(value)
                for name, value in self.__dict__.items() if value is not None}


def dns_server(value: str) -> str:
    """A DNS server given by address, as PVE takes it (the cluster's nodes, a guest's cloud-init)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise Fault(f"DNS server {value!r} is not an IP address", "give addresses, not names") from None
    return value


# PVE's privileges per release and the keyboard layouts of the cluster options, from PVE's API schema.
_FACTS = json.loads((Path(__file__).resolve().parent / "data" / "pve-facts.json").read_text())
#: The privileges a role can hold, by release.
PRIVILEGES: dict[PveVersion, frozenset[str]] = {PveVersion(v): frozenset(p) for v, p in _FACTS["privileges"].items()}
#: The keyboard layouts PVE offers for VNC consoles (``keyboard`` in datacenter.cfg).
KEYBOARDS: tuple[str, ...] = tuple(_FACTS["keyboards"])
