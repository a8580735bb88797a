"""Cloud-init snippets: user, vendor and network data a VM's cloud-init drive carries.

:class:`Snippet` uploads a file (``proxmox_virtual_environment_file``, ``source_raw``) onto a storage that holds
``snippets``; a VM takes it in :class:`~pvecdk.guests.CloudInit` (``user_data=``, ``vendor_data=``,
``network_data=``) and PVE puts it on the cloud-init drive instead of the data it generates. PVE's API takes no
snippet upload, so the provider writes it over SSH: the provider needs its ``ssh`` block (or
``PROXMOX_VE_SSH_*``). On shared storage it is uploaded once, on local storage to each node that needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator, PlainValidator

from pvecdk import _cdk
from pvecdk._base import ClusterBase, NodeBase
from pvecdk._fault import Fault
from pvecdk._validation import LazyPath, Props, as_sequence, check_props, instance_of
from pvecdk.bpg import virtual_environment_file
from pvecdk.errors import ConfigError, Problem
from pvecdk.images import ClusterProp, NodesProp, StorageFile, safe_file_name
from pvecdk.storage import ContentType, Storage

__all__ = ["Snippet"]


def _data(value: object) -> object:
    if not isinstance(value, str) or (not _cdk.is_unresolved(value) and not value.strip()):
        raise Fault("the snippet is empty" if isinstance(value, str) else f"{value!r} is not text",
                    "give the file's text, such as '#cloud-config\\npackages: [qemu-guest-agent]\\n'")
    return value


class _SnippetProps(Props):
    cluster: ClusterProp
    storage: Annotated[Storage, PlainValidator(instance_of(
        Storage, "pass a storage construct with snippets in its content", name="Storage"))]
    file_name: Annotated[str, AfterValidator(safe_file_name)]
    data: Annotated[str, PlainValidator(_data)]
    nodes: NodesProp


class Snippet(StorageFile):
    """A cloud-init snippet on a storage with ``snippets`` content (``proxmox_virtual_environment_file``).

    Example::

        vendor = Snippet(stack, "agent", cluster=cluster, storage=nfs, file_name="agent.yaml",
                         data="#cloud-config\\npackages: [qemu-guest-agent]\\n")
        Vm(stack, "web", ..., cloud_init=CloudInit(vendor_data=vendor))
    """

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        cluster: ClusterBase,
        storage: Storage,
        file_name: str,
        data: str,
        nodes: Sequence[NodeBase] | None = None,
    ) -> None:
        """Upload the snippet.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable.
            cluster: The cluster whose nodes hold it.
            storage: A storage construct of the model with ``snippets`` in its content.
            file_name: Its name on the storage (``user.yaml``).
            data: Its text (cloud-config YAML, a network config...). It is written into the synthesized
                files: keep secrets out, or pass a sensitive variable's value.
            nodes: For local storage, the nodes that get it. Defaults to every node the storage is defined on.
                Not for shared storage.
        """
        path = LazyPath(scope, id)
        props = check_props(_SnippetProps, path, dict(
            cluster=cluster, storage=storage, file_name=file_name, data=data,
            nodes=as_sequence(nodes) if nodes is not None else None))
        problems: list[Problem] = []
        placed_on = self._place(path, props.cluster, props.storage, ContentType.SNIPPETS, props.nodes, problems)
        if problems:
            raise ConfigError(problems)
        super().__init__(scope, id)
        placed = {node.name: virtual_environment_file.VirtualEnvironmentFile(
            self, "Resource" if storage.shared else f"Resource-{node.name}", content_type="snippets",
            datastore_id=storage.storage_id, node_name=node.name,
            source_raw={"data": data, "file_name": file_name}, depends_on=[props.cluster.membership])
            for node in placed_on}
        self._hold(storage, ContentType.SNIPPETS, file_name, placed)
