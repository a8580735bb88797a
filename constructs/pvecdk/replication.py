"""Storage replication: copies of a guest's local ZFS volumes on another node (``proxmox_replication``).

PVE replicates ZFS snapshots incrementally on a schedule, so a guest on local ZFS can be migrated quickly and,
under HA, restarted on the target node with the data of the last run (anything written since is lost).
Replication works only with ``zfspool`` storage, and the target node needs a storage of the same id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pvecdk import _calendar, _cdk
from pvecdk._validation import construct_path
from pvecdk.bpg import replication
from pvecdk.errors import ConfigError, Problem

if TYPE_CHECKING:
    from pvecdk.guests import Guest
    from pvecdk.node import Node

__all__ = ["Replication"]


class Replication(_cdk.Construct):
    """A storage replication job of one guest to one node (``proxmox_replication``).

    Usually added with :meth:`pvecdk.guests.Guest.replicate_to`. Example::

        vm = Vm(stack, "db", node=pve1, vm_id=120, disks=[Disk(local_zfs, size_gib=100)])
        vm.replicate_to(pve2, schedule="*/5", rate_limit_mbps=100)
    """

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        guest: Guest,
        target: Node,
        schedule: str = "*/15",
        rate_limit_mbps: float | None = None,
        enabled: bool = True,
        comment: str | None = None,
    ) -> None:
        """Define the job.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            guest: The VM or container; every disk it replicates is on ``zfspool`` storage.
            target: The node that receives the copies: another node of the guest's cluster, where each of the
                guest's storages is defined.
            schedule: When it runs, a PVE calendar event. Defaults to every 15 minutes (PVE's).
            rate_limit_mbps: Limit in MB/s (``rate``). Defaults to no limit.
            enabled: Whether the job runs. Defaults to on.
            comment: Shown in PVE.
        """
        from pvecdk.guests import Guest
        from pvecdk.node import Node

        path = construct_path(scope, id)
        problems: list[Problem] = []

        def add(field: str, text: str, fix: str) -> None:
            problems.append(Problem(path, field, text, fix))

        if not isinstance(guest, Guest):
            raise ConfigError([Problem(path, "guest", f"{guest!r} is not a Vm or Container", "pass a guest construct")])
        if not isinstance(target, Node):
            add("target", f"{target!r} is not a Node", "pass a node returned by cluster.add_node")
        elif target.cluster is not guest.cluster:
            add("target", f"node {target.name} is not in cluster {guest.cluster.name}",
                "replicate to a node of the guest's cluster")
        elif target is guest.guest_node:
            add("target", f"guest {guest.vm_id} already runs on {target.name}",
                "replicate to another node of the cluster")
        elif any(r._target is target for r in guest._replications):
            add("target", f"guest {guest.vm_id} is already replicated to {target.name}",
                "add one job per target node")
        replicated = [d for d in guest.disks if d.replicate]
        if not replicated:
            add("guest", f"guest {guest.vm_id} has no disk to replicate", "replicate a guest with disks on zfspool")
        for i, disk in enumerate(guest.disks):
            if not disk.replicate:
                continue
            where = f"guest.disks[{i}].storage"
            storage = disk.storage
            if storage.storage_type != "zfspool":
                add(where, f"storage {storage.node.id} is {storage.storage_type or 'of unknown type'}, and PVE "
                    "replicates only zfspool storage",
                    "put the disk on ZFS (ZfsPoolStorage), use shared storage instead of replication, or set "
                    "replicate=False on the disk")
            elif isinstance(target, Node) and not storage.available_on(target):
                add(where, f"storage {storage.node.id} is not defined on the target node {target.name}",
                    f"define {storage.node.id} on {target.name} too")
        _calendar.check_schedule(path, schedule, "*/15", problems)
        if rate_limit_mbps is not None and (isinstance(rate_limit_mbps, bool) or rate_limit_mbps <= 0):
            add("rate_limit_mbps", f"must be positive (MB/s), got {rate_limit_mbps!r}", "leave it unset for no limit")
        if problems:
            raise ConfigError(problems)
        super().__init__(scope, id)
        self._guest: Guest = guest
        self._target: Node = target
        self._job_id = f"{guest.vm_id}-{len(guest._replications)}"  # the guest's jobs are numbered from 0
        guest._replications.append(self)
        self.resource = replication.Replication(
            self, "Resource", id=self._job_id, target=target.name, type="local",
            schedule=schedule, rate=rate_limit_mbps, disable=not enabled or None, comment=comment,
            depends_on=[guest.resource],
        )

    @property
    def guest(self) -> Guest:
        return self._guest

    @property
    def target(self) -> Node:
        return self._target

    @property
    def job_id(self) -> str:
        """PVE's id of the job: ``<vmid>-<job number>``."""
        return self._job_id
