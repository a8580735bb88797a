"""High availability: which guests PVE restarts or moves when their node fails.

This first version protects guests by their HA resource id (``vm:100``, ``ct:200``) through
``proxmox_haresource``. The policy refuses HA on a cluster that cannot keep quorum after one node fails.
"""

from __future__ import annotations

import enum
import re
from typing import TYPE_CHECKING

from pvecdk import _cdk
from pvecdk.bpg import haresource
from pvecdk.errors import ConfigError, Problem

if TYPE_CHECKING:
    from pvecdk.cluster import Cluster

__all__ = ["Ha", "HaState"]

_RESOURCE_ID = re.compile(r"^(vm|ct):(\d+)$")


class HaState(enum.StrEnum):
    STARTED = "started"
    STOPPED = "stopped"
    DISABLED = "disabled"
    IGNORED = "ignored"


class Ha(_cdk.Construct):
    """The HA services of a cluster (``cluster.ha``)."""

    def __init__(self, scope: Cluster, id: str, *, cluster: Cluster) -> None:
        super().__init__(scope, id)
        self.cluster = cluster
        self._resources: dict[str, haresource.Haresource] = {}

    @property
    def resources(self) -> dict[str, haresource.Haresource]:
        """HA resource id -> its L1 resource."""
        return dict(self._resources)

    def protect(self, resource_id: str, *, state: HaState | str = HaState.STARTED, max_restart: int = 1,
                max_relocate: int = 1, comment: str | None = None) -> haresource.Haresource:
        """Put a guest under HA (``proxmox_haresource``); returns the resource.

        Args:
            resource_id: ``vm:<vmid>`` or ``ct:<vmid>``.
            state: The state HA keeps it in. Defaults to started.
            max_restart: Restarts on the same node before relocating (0-10). Defaults to 1.
            max_relocate: Relocations to other nodes before giving up (0-10). Defaults to 1.
            comment: Shown in PVE.
        """
        path = f"{self.node.path}/{resource_id}"
        problems = []
        match = _RESOURCE_ID.match(resource_id)
        if not match or not 100 <= int(match.group(2)) <= 999_999_999:
            problems.append(Problem(path, "resource_id", f"{resource_id!r} is not an HA resource id",
                                    "give vm:<vmid> or ct:<vmid> with a vmid of 100 or more"))
        for field, value in (("max_restart", max_restart), ("max_relocate", max_relocate)):
            if not 0 <= value <= 10:
                problems.append(Problem(path, field, f"must be 0-10, got {value}", "pick a value in 0-10"))
        if state not in set(HaState):
            problems.append(Problem(path, "state", f"{state!r} is not an HA state",
                                    "pick one of " + ", ".join(s.value for s in HaState)))
        if resource_id in self._resources:
            problems.append(Problem(path, "resource_id", f"{resource_id} is already protected",
                                    "protect each guest once"))
        if problems:
            raise ConfigError(problems)
        resource = haresource.Haresource(
            self, resource_id.replace(":", "-"), resource_id=resource_id, state=HaState(state).value,
            max_restart=max_restart, max_relocate=max_relocate, comment=comment,
            depends_on=[self.cluster.membership])
        self._resources[resource_id] = resource
        return resource
