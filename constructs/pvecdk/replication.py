"""Storage replication: copies of a guest's local ZFS volumes on another node (``proxmox_replication``).

PVE replicates ZFS snapshots incrementally on a schedule, so a guest on local ZFS can be migrated quickly and,
under HA, restarted on the target node with the data of the last run (anything written since is lost).
Replication works only with ``zfspool`` storage, and the target node needs a storage of the same id.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, PlainValidator, field_validator, model_validator

from pvecdk import _cdk
from pvecdk._base import NodeBase
from pvecdk._fault import Fault
from pvecdk._guest import GuestBase
from pvecdk._guest_props import NodeProp, rate_limit_mbps
from pvecdk._validation import Located, Props, check_props, construct_path, instance_of, raise_at, schedule_value
from pvecdk.bpg import replication

__all__ = ["Replication"]



class _ReplicationProps(Props):
    guest: Annotated[GuestBase, PlainValidator(instance_of(GuestBase, "pass a guest construct",
                                                           name="Vm or Container"))]
    target: NodeProp
    schedule: str
    rate_limit_mbps: Annotated[float, BeforeValidator(rate_limit_mbps)] | None
    enabled: bool
    comment: str | None

    @field_validator("guest")
    @classmethod
    def _guest(cls, v: GuestBase) -> GuestBase:
        if not any(d.replicate for d in v.disks):
            raise Fault(f"guest {v.vm_id} has no disk to replicate", "replicate a guest with disks on zfspool")
        return v

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule(cls, v: object) -> object:
        return schedule_value(v, "*/15")

    @model_validator(mode="after")
    def _between(self) -> _ReplicationProps:
        """The target against the guest's cluster and jobs, and each replicated disk's storage against both."""
        guest, target = self.guest, self.target
        located: list[Located] = []
        if target.cluster is not guest.cluster:
            located.append(("target", f"node {target.name} is not in cluster {guest.cluster.name}", "replicate to a "
                            "node of the guest's cluster"))
        elif target is guest.guest_node:
            located.append(("target", f"guest {guest.vm_id} already runs on {target.name}", "replicate to another "
                            "node of the cluster"))
        elif any(r.target is target for r in guest.replications):
            located.append(("target", f"guest {guest.vm_id} is already replicated to {target.name}", "add one job "
                            "per target node"))
        for i, disk in enumerate(guest.disks):
            if not disk.replicate:
                continue
            field = f"guest.{guest.disk_prop(i)}.storage"
            storage = disk.storage
            if storage.storage_type != "zfspool":
                located.append((field, f"storage {storage.node.id} is {storage.storage_type or 'of unknown type'}, "
                                "and PVE replicates only zfspool storage", "put the disk on ZFS (ZfsPoolStorage), use "
                                "shared storage instead of replication, or set replicate=False on the disk"))
            elif not storage.available_on(target):
                located.append((field, f"storage {storage.node.id} is not defined on the target node {target.name}", f""
                                f"define {storage.node.id} on {target.name} too"))
        raise_at(located)
        return self


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
        guest: GuestBase,
        target: NodeBase,
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
        props = check_props(_ReplicationProps, lambda: construct_path(scope, id), dict(
            guest=guest, target=target, schedule=schedule, rate_limit_mbps=rate_limit_mbps, enabled=enabled,
            comment=comment))
        super().__init__(scope, id)
        self._guest: GuestBase = props.guest
        self._target: NodeBase = props.target
        self._job_id = f"{guest.vm_id}-{len(guest.replications)}"  # the guest's jobs are numbered from 0
        props.guest.join_replication(self, props.target.name)
        self.resource = replication.Replication(
            self, "Resource", id=self._job_id, target=target.name, type="local",
            schedule=props.schedule, rate=props.rate_limit_mbps, disable=not props.enabled or None,
            comment=props.comment, depends_on=[guest.resource],
        )

    @property
    def guest(self) -> GuestBase:
        return self._guest

    @property
    def target(self) -> NodeBase:
        return self._target

    @property
    def job_id(self) -> str:
        """PVE's id of the job: ``<vmid>-<job number>``."""
        return self._job_id
