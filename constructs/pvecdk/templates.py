"""VM templates built from a cloud image, and the clones VMs are made from.

:class:`VmTemplate` is a VM marked as template (``proxmox_virtual_environment_vm`` with ``template``): its disk
imported from a :class:`~pvecdk.images.DownloadedFile` of ``import`` content (``import_from``), a cloud-init
drive, a serial console (cloud images print their console there) and the QEMU guest agent on. A
:class:`~pvecdk.guests.Vm` is cloned from it with ``clone=Clone.full(template)`` (a copy of its disks) or
``Clone.linked(template)`` (disks backed by the template's, created in seconds), and gets its own cloud-init.

Checked when the clone is defined: the template is of the VM's cluster; a disk given for one of the template's
slots only grows it (PVE cannot shrink a disk); a linked clone's disks stay on the template's storage. Checked
before synthesis (:func:`pvecdk.policy.check_clones`): the VM's node reaches every volume of the template
(PVE clones to another node only from shared storage), and a linked clone's template is on storage that can
clone a base volume (not thick LVM or iSCSI).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import PlainValidator

from pvecdk import _cdk
from pvecdk._base import NodeBase
from pvecdk._guest import GuestBase
from pvecdk._guest_props import VmProps
from pvecdk._guest_values import DEFAULT_CPU_TYPE, Disk, NetworkInterface
from pvecdk._model import CloneModel
from pvecdk._validation import LazyPath, Props, as_sequence, check_props, instance_of, whole_number
from pvecdk.bpg import virtual_environment_vm
from pvecdk.errors import ConfigError, Problem
from pvecdk.images import DownloadedFile
from pvecdk.storage import ContentType, Storage

__all__ = ["Clone", "VmTemplate"]

#: The slot of a template's disk; the cloud-init drive is on ide2, as PVE's GUI puts it.
TEMPLATE_DISK = "scsi0"


class _TemplateProps(Props):
    image: Annotated[DownloadedFile, PlainValidator(instance_of(
        DownloadedFile, "pass a DownloadedFile of import content (a cloud image)", name="DownloadedFile"))]
    storage: Annotated[Storage, PlainValidator(instance_of(
        Storage, "pass a storage construct that holds images", name="Storage"))]
    disk_size_gib: Annotated[int, whole_number(1, None, "size must be 1 GiB or more", "give the size in whole GiB, "
                                               "at least the image's virtual size")]
    cloud_init_storage: Annotated[Storage, PlainValidator(instance_of(
        Storage, "pass a storage construct that holds images", name="Storage"))] | None


class VmTemplate(GuestBase):
    """A VM template made from a cloud image (``proxmox_virtual_environment_vm`` with ``template = true``).

    Example::

        template = VmTemplate(stack, "debian-13", node=pve1, vm_id=9000, image=image, storage=rbd)
        Vm(stack, "web", node=pve2, vm_id=100, clone=Clone.full(template), disks=[Disk(rbd, size_gib=32)])
    """

    KIND = "vm"
    _ROOT_CONTENT = ContentType.IMAGES

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        node: NodeBase,
        vm_id: int,
        image: DownloadedFile,
        storage: Storage,
        disk_size_gib: int = 8,
        cloud_init_storage: Storage | None = None,
        name: str | None = None,
        cpu_type: str = DEFAULT_CPU_TYPE,
        cores: int = 1,
        memory_mib: int = 1024,
        networks: Sequence[NetworkInterface] = (NetworkInterface(),),
        os_type: str = "l26",
        tags: Sequence[str] = (),
    ) -> None:
        """Define the template.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable (renaming it replaces the template).
            node: The node it is on.
            vm_id: Its VMID (100-999999999), unique in the cluster.
            image: The cloud image its disk is imported from: a :class:`~pvecdk.images.DownloadedFile` of
                ``import`` content that ``node`` sees.
            storage: Where its disk (scsi0) lives: holds images. A linked clone's disks stay there.
            disk_size_gib: The disk's size in GiB: at least the image's virtual size (a cloud image's is 2-4
                GiB). Clones may grow it. Defaults to 8.
            cloud_init_storage: Where its cloud-init drive (ide2) lives. Defaults to ``storage``.
            name: Its name in PVE. Defaults to the construct id.
            cpu_type: QEMU CPU model, which clones keep unless they set theirs. Defaults to x86-64-v2-AES.
            cores: Cores, which clones keep unless they set theirs. Defaults to 1.
            memory_mib: Memory in MiB. Defaults to 1024.
            networks: Its network interfaces. Defaults to one virtio interface on vmbr0, firewall on.
            os_type: Guest OS type. Defaults to l26 (Linux).
            tags: PVE tags. Defaults to none.
        """
        path = LazyPath(scope, id)
        check_props(VmProps, path, dict(
            node=node, vm_id=vm_id, name=name or id, cores=cores, memory_mib=memory_mib,
            networks=as_sequence(networks), tags=as_sequence(tags), pool=None, ha=None, cpu_type=cpu_type,
            sockets=1, balloon_mib=None, disks=(), cloud_init=None, boot_order=None, migration_timeout_seconds=None))
        props = check_props(_TemplateProps, path, dict(image=image, storage=storage, disk_size_gib=disk_size_gib,
                                                       cloud_init_storage=cloud_init_storage))
        problems: list[Problem] = []
        if image.content is not ContentType.IMPORT:
            problems.append(Problem(path(), "image", f"{image.node.id} is {image.content.value} content; PVE "
                                    "imports a disk only from import content", "download the cloud image with "
                                    "content=ContentType.IMPORT (a name ending .qcow2, .raw or .vmdk)"))
        else:
            found = image.problem_on(node, path(), "image")
            if found is not None:
                problems.append(found)
        if problems:
            raise ConfigError(problems)
        disk = Disk(props.storage, size_gib=disk_size_gib, interface=TEMPLATE_DISK)
        nic_list = list(networks)
        self._check_placement(scope, path, node=node, vm_id=vm_id, disks=[disk], networks=nic_list,
                              cloud_init_storage=cloud_init_storage or storage)
        super().__init__(scope, id)
        self._image = image
        self._cloud_init_storage = cloud_init_storage or storage
        self._register(path, node=node, vm_id=vm_id, disks=[disk], cpu_type=cpu_type, allow_host_cpu=False,
                       networks=nic_list)
        self.resource = virtual_environment_vm.VirtualEnvironmentVm(
            self, "Resource", node_name=node.name, vm_id=vm_id, name=name or id, template=True, started=False,
            on_boot=False, tags=sorted(set(tags)) or None, depends_on=[self.cluster.membership],
            cpu={"type": cpu_type, "cores": cores}, memory={"dedicated": memory_mib},
            disk=[{"interface": TEMPLATE_DISK, "datastore_id": storage.storage_id,
                   "import_from_attribute": image.file_id_on(node), "size": disk_size_gib, "discard": "on",
                   "iothread": True}],
            scsi_hardware="virtio-scsi-single", boot_order=[TEMPLATE_DISK],
            initialization={"datastore_id": self._cloud_init_storage.storage_id, "interface": "ide2"},
            # Cloud images print their console on the first serial port, and the GUI's console follows it there.
            serial_device=[{"device": "socket"}], vga={"type": "serial0"},
            agent={"enabled": True}, operating_system={"type": os_type},
            network_device=[{**n.attrs(), "model": n.model} for n in nic_list] or None,
        )

    @property
    def image(self) -> DownloadedFile:
        """The cloud image its disk was imported from."""
        return self._image

    @property
    def volumes(self) -> tuple[Storage, ...]:
        """Every storage the template has a volume on (its disk, then its cloud-init drive's)."""
        return (*(d.storage for d in self._disks), self._cloud_init_storage)


@dataclass(frozen=True)
class Clone:
    """What a VM is cloned from: ``Clone.full(template)`` or ``Clone.linked(template)``.

    A full clone copies the template's disks (onto the storage of the VM's disk for that slot, else the
    template's); a linked clone's disks are backed by the template's on the template's storage, so the template
    must stay.
    """

    template: VmTemplate
    is_linked: bool = False

    @classmethod
    def full(cls, template: VmTemplate) -> Clone:
        """A full clone: a copy of every disk, independent of the template."""
        return cls(template, is_linked=False)

    @classmethod
    def linked(cls, template: VmTemplate) -> Clone:
        """A linked clone: disks backed by the template's, on its storage."""
        return cls(template, is_linked=True)

    @property
    def model(self) -> CloneModel:
        return CloneModel(self.template.vm_id, self.is_linked)

    def disks(self, where: str, node: NodeBase, given: Sequence[Disk], slots: Sequence[str]
              ) -> tuple[list[Disk], list[str]]:
        """The clone's disks: those given (``slots`` are theirs), then the template's in slots none was given for.

        A ConfigError when a given disk would shrink one of the template's, or move a linked clone's off the
        template's storage, or the template is of another cluster.
        """
        template = self.template
        problems: list[Problem] = []
        if template.cluster is not node.cluster:
            problems.append(Problem(where, "clone", f"template {template.node.id} is in cluster "
                                    f"{template.cluster.name}, the VM in {node.cluster.name}",
                                    "clone a template of the VM's own cluster"))
        inherited = {str(d.interface): d for d in template.disks}
        for i, (disk, slot) in enumerate(zip(given, slots, strict=True)):
            base = inherited.pop(slot, None)
            if base is None:
                continue
            if isinstance(disk.size_gib, int) and disk.size_gib < base.size_gib:
                problems.append(Problem(where, f"disks[{i}].size_gib", f"PVE only grows a disk: the template's "
                                        f"{slot} is {base.size_gib} GiB, got {disk.size_gib}",
                                        f"give {base.size_gib} GiB or more, or leave the disk out to keep its size"))
            if self.is_linked and disk.storage is not base.storage:
                problems.append(Problem(where, f"disks[{i}].storage", f"a linked clone's {slot} stays on the "
                                        f"template's storage {base.storage.construct_id}",
                                        f"use {base.storage.construct_id}, or Clone.full(template) to copy it"))
        if problems:
            raise ConfigError(problems)
        return [*given, *inherited.values()], [*slots, *inherited]

    def render(self, disks: Sequence[Disk], slots: Sequence[str]) -> dict[str, Any]:
        """The ``clone`` block: the template by reference (so the VM is created after it), its node, and for a
        full clone the storage the root disk is copied to. The template's node is named even when it is the VM's:
        bpg replaces a VM whose ``clone`` block changes, so a VM moved to another node keeps the same block and
        is migrated by its placement."""
        template = self.template
        out: dict[str, Any] = {"vm_id": template.resource.vm_id, "full": not self.is_linked,
                               "node_name": template.node_name}
        if not self.is_linked:
            out["datastore_id"] = next(d for d, s in zip(disks, slots, strict=True) if s == TEMPLATE_DISK
                                       ).storage.storage_id
        return out

