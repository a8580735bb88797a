"""StandardVm: the VM a team asks for, sized from a short menu, ready for cloud-init, backed up and under HA."""

from __future__ import annotations

import enum
from collections.abc import Sequence

from pvecdk import CloudInit, Disk, HaOptions, NetworkInterface, NodeBase, Storage, Vm
from pvecdk._cdk import Construct

from pvecdk_tenants.tenant import TenantSpace


class Size(enum.Enum):
    """(cores, memory in MiB, system disk in GiB)."""

    SMALL = (2, 2048, 32)
    MEDIUM = (4, 8192, 64)
    LARGE = (8, 32768, 128)


class StandardVm(Construct):
    """A VM of ``size`` in ``space``: in its pool, tagged with its name, on its VLAN, its system disk on
    ``storage``, cloud-init with ``ssh_keys`` for ``user``, and under HA (restarted twice, then moved once).

    ``vm`` is the pvecdk ``Vm``: every check of a VM applies (the storage holds disk images on the node, the
    VMID is free, HA storage is shared).
    """

    def __init__(self, scope: Construct, id: str, *, space: TenantSpace, node: NodeBase, vm_id: int,
                 storage: Storage, size: Size = Size.SMALL, ssh_keys: Sequence[str] = (), user: str = "ops",
                 ha: bool = True) -> None:
        super().__init__(scope, id)
        cores, memory, disk = size.value
        self.vm = Vm(self, "Vm", node=node, vm_id=vm_id, name=id, cores=cores, memory_mib=memory,
                     disks=[Disk(storage, size_gib=disk)], pool=space.pool, tags=[space.name, size.name.lower()],
                     networks=[NetworkInterface(vlan_id=space.vlan)],
                     cloud_init=CloudInit(user=user, ssh_keys=tuple(ssh_keys)),
                     ha=HaOptions(max_restart=2, max_relocate=1) if ha else None)
