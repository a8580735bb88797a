"""Files on storage: cloud images, ISO images and container templates downloaded by the nodes.

:class:`DownloadedFile` has PVE download a file from a URL (``proxmox_download_file``, PVE's
``download-url``) onto a storage that holds its content type: ``import`` (disk images a VM template imports
its disk from), ``iso`` (installer ISOs) or ``vztmpl`` (container templates). On shared storage it is
downloaded once, by one node; on local storage, by each node that needs it (every node the storage is
defined on, or the ``nodes`` given). :class:`StorageFile` is what it shares with
:class:`~pvecdk.cloudinit.Snippet`: the nodes it is on and its volume id there.

PVE's rules, checked at construction: the storage is a storage construct of the model that holds the
content; the URL is http or https; the checksum is required, with its algorithm, and has the algorithm's
length in hex digits; the file name ends as PVE's download wants it for the content (``.iso``/``.img``;
``.qcow2``/``.raw``/``.vmdk``/``.ova``; ``.tar.gz``/``.tar.xz``/``.tar.zst``/``.tar.bz2``) and holds only
letters, digits and ``-._+=``; decompression only for ISO images (PVE refuses it for other content).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, PlainValidator

from pvecdk import _cdk
from pvecdk._base import ClusterBase, NodeBase
from pvecdk._fault import Fault
from pvecdk._validation import LazyPath, Props, as_sequence, check_props, instance_of, one_of
from pvecdk.bpg import download_file
from pvecdk.errors import ConfigError, Problem
from pvecdk.storage import ContentType, Storage

__all__ = ["ChecksumAlgorithm", "Decompression", "DownloadedFile", "StorageFile"]


class ChecksumAlgorithm(enum.StrEnum):
    """The checksum algorithms PVE's download verifies (``checksum-algorithm``)."""

    MD5 = "md5"
    SHA1 = "sha1"
    SHA224 = "sha224"
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"

    @property
    def hex_digits(self) -> int:
        """How many hex digits a checksum of this algorithm has."""
        return {"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}[self.value]


class Decompression(enum.StrEnum):
    """How PVE decompresses a downloaded ISO image (``compression``)."""

    GZ = "gz"
    LZO = "lzo"
    ZST = "zst"
    BZ2 = "bz2"


# The file names PVE's download-url and upload take per content type (PVE::Storage's ISO_EXT_RE_0,
# UPLOAD_IMPORT_EXT_RE_1 and VZTMPL_EXT_RE_1), and its safe characters (SAFE_CHAR_CLASS_RE).
_ENDINGS: dict[ContentType, tuple[str, ...]] = {
    ContentType.ISO: (".iso", ".img"),
    ContentType.IMPORT: (".qcow2", ".raw", ".vmdk", ".ova"),
    ContentType.VZTMPL: (".tar.gz", ".tar.xz", ".tar.zst", ".tar.bz2"),
}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+=_-]*$")
_HEX = re.compile(r"^[0-9A-Fa-f]+$")


def content_of(file_name: str) -> ContentType | None:
    """The content type a file name's ending says (``.qcow2`` an import image), or None."""
    lower = file_name.lower()
    return next((c for c, endings in _ENDINGS.items() if lower.endswith(endings)), None)


def endings(content: ContentType) -> str:
    """The endings PVE takes for ``content``, for messages."""
    return ", ".join(_ENDINGS.get(content, ()))


def safe_file_name(value: str) -> str:
    """Check a file name PVE stores: letters, digits and ``-._+=``, no path."""
    if not _SAFE_NAME.match(value):
        raise Fault(f"{value!r} is not a file name PVE stores", "use letters, digits, '-', '.', '_', '+' and '='")
    return value


class StorageFile(_cdk.Construct):
    """A file on a storage, on shared storage once, on local storage on each node that needs it.

    Not created directly: use :class:`DownloadedFile` or :class:`~pvecdk.cloudinit.Snippet`. Guests take it
    and ask for its volume id on their node (:meth:`file_id_on`).
    """

    CONTENT_FIELD: ClassVar[str] = "content"

    def _place(self, path: LazyPath, cluster: ClusterBase, storage: Storage, content: ContentType,
               nodes: Sequence[NodeBase] | None, problems: list[Problem]) -> tuple[NodeBase, ...]:
        """The nodes that hold the file: one for shared storage, else ``nodes`` or every node the storage is
        defined on. Problems of the storage and the nodes are added to ``problems``."""
        if not storage.holds(content):
            held = ", ".join(sorted(c.value for c in storage.content)) or "nothing"
            problems.append(Problem(path(), "storage", f"storage {storage.construct_id} does not hold "
                                    f"{content.value} (it holds {held})",
                                    f"use a storage with {content.value} in its content, or add {content.value} "
                                    f"to {storage.construct_id}'s content"))
        members = cluster.nodes
        if not members:
            problems.append(Problem(path(), "cluster", f"cluster {cluster.name} has no node to put the file on",
                                    "add the nodes with cluster.add_node first"))
            return ()
        for node in nodes or ():
            if not any(n is node for n in members):
                problems.append(Problem(path(), "nodes", f"node {node.name} is not in cluster {cluster.name}",
                                        f"list nodes of {cluster.name}"))
            elif not storage.available_on(node):
                problems.append(Problem(path(), "nodes", f"storage {storage.construct_id} is not defined on node "
                                        f"{node.name}", f"list nodes {storage.construct_id} is defined on"))
        if storage.shared and nodes is not None:
            problems.append(Problem(path(), "nodes", f"storage {storage.construct_id} is shared: one download "
                                    "serves every node", "leave nodes unset"))
        candidates = [n for n in (nodes if nodes is not None else members) if storage.available_on(n)]
        if not candidates and nodes is None:
            problems.append(Problem(path(), "storage", f"storage {storage.construct_id} is defined on no node of "
                                    f"cluster {cluster.name}", "use a storage of this cluster"))
        return tuple(candidates[:1] if storage.shared else candidates)

    def _hold(self, storage: Storage, content: ContentType, file_name: str, placed: dict[str, Any]) -> None:
        """Keep what guests ask: the storage, content, name and the L1 resource on each node (by name)."""
        self._storage = storage
        self._content = content
        self._file_name = file_name
        self._placed = placed

    @property
    def storage(self) -> Storage:
        return self._storage

    @property
    def content(self) -> ContentType:
        return self._content

    @property
    def file_name(self) -> str:
        """The file's name on the storage."""
        return self._file_name

    @property
    def node_names(self) -> tuple[str, ...]:
        """The nodes the file is put on by this construct (one for shared storage)."""
        return tuple(self._placed)

    @property
    def resources(self) -> tuple[Any, ...]:
        """The L1 resources, one per node it is put on."""
        return tuple(self._placed.values())

    def available_on(self, node: NodeBase) -> bool:
        """Tell whether ``node`` sees the file: any node of the shared storage, else the nodes it was put on."""
        if self._storage.shared:
            return self._storage.available_on(node)
        return node.name in self._placed

    def file_id_on(self, node: NodeBase) -> str:
        """The volume id (``<storage>:<content>/<file>``) as ``node`` uses it: a reference to the resource that
        puts it there, so what uses it is created after it. ``node`` must see it (:meth:`available_on`)."""
        resource = next(iter(self._placed.values())) if self._storage.shared else self._placed[node.name]
        return str(resource.id)

    def problem_on(self, node: NodeBase, where: str, field: str) -> Problem | None:
        """The problem of using the file on ``node``, or None: a guest's check of its placement."""
        if self.available_on(node):
            return None
        if self._storage.shared:
            return Problem(where, field, f"storage {self._storage.construct_id} of {self.node.id} is not defined on "
                           f"node {node.name}", f"use a file on a storage {node.name} has")
        put = ", ".join(self._placed) or "no node"
        return Problem(where, field, f"{self.node.id} is on local storage {self._storage.construct_id} of {put}, "
                       f"not of node {node.name}", f"add {node.name} to its nodes, or leave nodes unset")


def _url(value: str) -> str:
    if _cdk.is_unresolved(value):
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Fault(f"{value!r} is not an http or https URL", "give the file's http:// or https:// URL (PVE "
                    "downloads nothing else)")
    return value


def _positive(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Fault(f"must be a positive whole number of seconds, got {value!r}", "give seconds, or leave it unset")
    return value


#: The props :class:`DownloadedFile` and :class:`~pvecdk.cloudinit.Snippet` share: the cluster, and the nodes
#: that get a file on local storage.
ClusterProp = Annotated[ClusterBase, PlainValidator(instance_of(ClusterBase, "pass the Cluster the nodes are in",
                                                                name="Cluster"))]
NodesProp = tuple[Annotated[NodeBase, PlainValidator(instance_of(
    NodeBase, "pass the nodes cluster.add_node(...) returned", name="Node"))], ...] | None


class _DownloadProps(Props):
    cluster: ClusterProp
    storage: Annotated[Storage, PlainValidator(instance_of(
        Storage, "pass a storage construct, or Storage.from_id(scope, 'local')", name="Storage"))]
    url: Annotated[str, AfterValidator(_url)]
    checksum: str
    checksum_algorithm: Annotated[ChecksumAlgorithm, BeforeValidator(one_of(
        ChecksumAlgorithm, "a checksum algorithm", "sha256 or sha512 (or sha384, sha224, sha1, md5)"))]
    content: Annotated[ContentType, BeforeValidator(one_of(
        (ContentType.IMPORT, ContentType.ISO, ContentType.VZTMPL), "a content PVE downloads",
        "import (disk images), iso or vztmpl"))] | None
    file_name: Annotated[str, AfterValidator(safe_file_name)] | None
    decompression: Annotated[Decompression, BeforeValidator(one_of(Decompression, "a decompression",
                                                                   "gz, lzo, zst or bz2"))] | None
    nodes: NodesProp
    upload_timeout_seconds: Annotated[int, PlainValidator(_positive)] | None = None


class DownloadedFile(StorageFile):
    """A cloud image, ISO image or container template PVE downloads onto a storage (``proxmox_download_file``).

    Example::

        image = DownloadedFile(stack, "debian-13", cluster=cluster, storage=nfs,
                               url="https://cloud.debian.org/images/cloud/trixie/latest/debian-13-genericcloud-amd64.qcow2",
                               checksum="<sha512 hex>", checksum_algorithm=ChecksumAlgorithm.SHA512)
    """

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        cluster: ClusterBase,
        storage: Storage,
        url: str,
        checksum: str,
        checksum_algorithm: ChecksumAlgorithm | str,
        content: ContentType | str | None = None,
        file_name: str | None = None,
        decompression: Decompression | str | None = None,
        nodes: Sequence[NodeBase] | None = None,
        verify_tls: bool = True,
        upload_timeout_seconds: int | None = None,
    ) -> None:
        """Download the file.

        Args:
            scope: The construct it belongs to.
            id: Construct id; stable (renaming it downloads the file again).
            cluster: The cluster whose nodes download it.
            storage: Where it goes: a storage construct of the model that holds ``content``.
            url: Where PVE downloads it from (http or https).
            checksum: The file's checksum in hex, as published beside it (of the downloaded, compressed file).
            checksum_algorithm: The checksum's algorithm (``sha256``, ``sha512``...).
            content: ``import`` (a disk image a template imports), ``iso`` or ``vztmpl``. Defaults to what the
                file name's ending says (``.qcow2`` import, ``.iso`` iso, ``.tar.zst`` vztmpl).
            file_name: Its name on the storage. Defaults to the URL's last segment, without the compression
                ending when ``decompression`` is set.
            decompression: Decompress the download (ISO images only). Defaults to none.
            nodes: For local storage, the nodes that download it. Defaults to every node the storage is defined
                on. Not for shared storage, which one node fills for all.
            verify_tls: Verify the server's TLS certificate (``verify``). Defaults to on.
            upload_timeout_seconds: How long the download may take. Defaults to the provider's (600 s).
        """
        path = LazyPath(scope, id)
        props = check_props(_DownloadProps, path, dict(
            cluster=cluster, storage=storage, url=url, checksum=checksum, checksum_algorithm=checksum_algorithm,
            content=content, file_name=file_name, decompression=decompression,
            nodes=as_sequence(nodes) if nodes is not None else None, upload_timeout_seconds=upload_timeout_seconds))
        problems: list[Problem] = []

        def add(field: str, text: str, fix: str) -> None:
            problems.append(Problem(path(), field, text, fix))

        algorithm = props.checksum_algorithm
        if not _cdk.is_unresolved(checksum) and not (_HEX.match(checksum) and len(checksum) == algorithm.hex_digits):
            add("checksum", f"a {algorithm.value} checksum is {algorithm.hex_digits} hex digits, got "
                f"{len(checksum)} characters{'' if _HEX.match(checksum or '-') else ' that are not all hex'}",
                f"copy the {algorithm.value} checksum published beside the file, or name the algorithm it is")
        name = props.file_name
        if name is None and not _cdk.is_unresolved(url):
            name = urlsplit(url).path.rsplit("/", 1)[-1]
            if props.decompression is not None and name.lower().endswith(f".{props.decompression.value}"):
                name = name[: -len(props.decompression.value) - 1]
            if not _SAFE_NAME.match(name):
                add("file_name", f"the URL's last segment {name!r} is no file name PVE stores",
                    "pass file_name= of letters, digits, '-', '.', '_', '+' and '='")
        if name is None:
            add("file_name", "the file name cannot be read from a URL computed at plan time",
                "pass file_name=")
            raise ConfigError(problems)
        kind = props.content or content_of(name)
        if kind is None:
            add("content", f"what {name!r} holds cannot be told from its name", "pass content= (import, iso or "
                "vztmpl), and a file_name with the matching ending")
            raise ConfigError(problems)
        if not name.lower().endswith(_ENDINGS[kind]):
            add("file_name", f"PVE stores {kind.value} content only under a name ending {endings(kind)}, got "
                f"{name!r}", "pass file_name= with one of those endings (a qcow2 image named .img: "
                "file_name='<name>.qcow2')")
        if props.decompression is not None and kind is not ContentType.ISO:
            add("decompression", f"PVE decompresses only ISO images, not {kind.value} content",
                "leave decompression unset, or download an ISO image")
        placed_on = self._place(path, props.cluster, props.storage, kind, props.nodes, problems)
        if problems:
            raise ConfigError(problems)
        super().__init__(scope, id)
        placed: dict[str, Any] = {}
        for node in placed_on:
            placed[node.name] = download_file.DownloadFile(
                self, "Resource" if storage.shared else f"Resource-{node.name}", content_type=kind.value,
                datastore_id=storage.storage_id, node_name=node.name, url=url, file_name=name,
                checksum=checksum, checksum_algorithm=algorithm.value,
                decompression_algorithm=props.decompression.value if props.decompression else None,
                verify=None if verify_tls else False, upload_timeout=upload_timeout_seconds,
                depends_on=[props.cluster.membership])
        self._hold(storage, kind, name, placed)
        self._url = url
        self._checksum = checksum
        self._algorithm = algorithm
        #: The L1 resource on shared storage (one download); None on local storage (see :attr:`resources`).
        self.resource: download_file.DownloadFile | None = next(iter(placed.values())) if storage.shared else None

    @property
    def url(self) -> str:
        return self._url
