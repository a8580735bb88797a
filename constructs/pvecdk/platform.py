"""Stacks per concern: a platform stack owns the cluster and its storage, team stacks place guests on them.

The platform stack exports what teams may use: the cluster's name and release, its nodes (with their bridges)
and the storages teams may put guests on (with what each holds). A team stack looks the platform up from
those exports and gets a *referenced* cluster: nodes and storages that guests, pools, HA and backups take like
owned ones, checked the same way (a disk on a storage without ``images`` is refused, a bridge the node lacks
too), while the team stack holds none of the platform's resources, so nothing a team applies or destroys can
change or remove them::

    # platform stack
    exports = PlatformExports.export(platform_stack, cluster, storages=[rbd, nfs])
    # a team stack, in the same app or another repo (PlatformExports.from_json of the platform's output)
    platform = Platform.lookup(team_stack, "Platform", exports)
    Vm(team_stack, "web1", node=platform.node_named("pve1"), vm_id=2001, disks=[Disk(platform.storage("vm-pool"))])

In one app the team stacks depend on the platform stack, so ``cdktf deploy '*'`` applies it first. The
exports are also the platform stack's output ``pvecdk_platform`` (JSON): what ``terraform output -raw
pvecdk_platform`` prints there (or ``exports.to_json()``, saved) is what an infra repo of another team reads
with :meth:`PlatformExports.from_json` or :meth:`PlatformExports.from_file`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pvecdk import _cdk, policy
from pvecdk._base import ClusterBase, NodeBase
from pvecdk._values import FencingMode, HaShutdownPolicy, MigrationType, NetworkRole, PveVersion
from pvecdk.bpg import data_proxmox_virtual_environment_nodes as nodes_data
from pvecdk.errors import ConfigError, Problem
from pvecdk.storage import Storage

__all__ = ["NodeExport", "Platform", "PlatformExports", "StorageExport"]

OUTPUT = "pvecdk_platform"
_FORMAT = 1


@dataclass(frozen=True)
class NodeExport:
    """A node as the platform exports it."""

    name: str
    node_id: int
    votes: int
    management_address: str
    management_interface: str
    endpoint: str
    bridges: tuple[str, ...]


@dataclass(frozen=True)
class StorageExport:
    """A storage as the platform exports it: what it holds, whether it is shared, where it is defined."""

    storage_id: str
    storage_type: str
    content: tuple[str, ...]
    shared: bool
    nodes: tuple[str, ...] | None  # None: every node


@dataclass(frozen=True)
class PlatformExports:
    """What a platform stack shares with team stacks. Build it with :meth:`export`, or :meth:`from_json`."""

    stack: str
    cluster: str
    pve_version: str
    management_network: str
    cluster_network: str | None
    nodes: tuple[NodeExport, ...]
    storage: tuple[StorageExport, ...]

    @classmethod
    def export(cls, stack: _cdk.TerraformStack, cluster: ClusterBase, *,
               storages: Sequence[Storage]) -> PlatformExports:
        """Export ``cluster``'s nodes and ``storages`` from the platform ``stack`` (also as its output
        ``pvecdk_platform``).

        Only what is listed is exported: a storage kept for the platform (backups, ISO images) stays private.
        """
        problems = [Problem(str(s.node.path), "storages", f"{s.node.path} is not in stack {stack.node.id}",
                            "export the platform stack's own storages")
                    for s in storages if _cdk.TerraformStack.of(s) is not stack]
        if _cdk.TerraformStack.of(cluster) is not stack:
            problems.append(Problem(str(cluster.node.path), "cluster", f"{cluster.node.path} is not in stack "
                                    f"{stack.node.id}", "export the platform stack's own cluster"))
        if problems:
            raise ConfigError(problems)
        exports = cls(
            stack=stack.node.id, cluster=cluster.name, pve_version=cluster.pve_version.value,
            management_network=str(cluster.management_network),
            cluster_network=str(cluster.cluster_network) if cluster.cluster_network else None,
            nodes=tuple(NodeExport(n.name, n.node_id, n.votes, n.props.management_address,
                                   n.props.management_interface, n.endpoint, tuple(sorted(n.bridges)))
                        for n in cluster.nodes),
            storage=tuple(StorageExport(_plain_id(s), s.storage_type, tuple(sorted(c.value for c in s.content)),
                                        s.shared, tuple(n.name for n in s.nodes) if s.nodes is not None else None)
                          for s in storages))
        _cdk.TerraformOutput(stack, OUTPUT, value=exports.to_json(),
                             description="what team stacks may use (pvecdk.platform.PlatformExports)")
        return exports

    def to_json(self) -> str:
        return json.dumps({"format": _FORMAT, **asdict(self)}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, *, source: str = "platform exports") -> PlatformExports:
        """Read exports written by :meth:`to_json` (the platform's output or its ``pvecdk-platform.json``).

        Raises:
            ConfigError: naming ``source`` when the text is not platform exports.
        """
        try:
            data = json.loads(text)
            if data.pop("format") != _FORMAT:
                raise ValueError("format")
            return cls(**{**data, "nodes": tuple(NodeExport(**{**n, "bridges": tuple(n["bridges"])})
                                                 for n in data["nodes"]),
                          "storage": tuple(StorageExport(**{**s, "content": tuple(s["content"]),
                                                            "nodes": tuple(s["nodes"]) if s["nodes"] else None})
                                           for s in data["storage"])})
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError([Problem(source, "exports", f"not pvecdk platform exports ({exc})",
                                       "pass the platform stack's pvecdk_platform output as it is")]) from None

    @classmethod
    def from_file(cls, path: str | Path) -> PlatformExports:
        """Read exports saved to a file (``exports.to_json()``, or ``terraform output -raw pvecdk_platform``)."""
        file = Path(path)
        if not file.is_file():
            raise ConfigError([Problem(str(file), "path", "no such file",
                                       "save the platform's exports there first "
                                       "(terraform output -raw pvecdk_platform)")])
        return cls.from_json(file.read_text(), source=str(file))


def _plain_id(storage: Storage) -> str:
    """The PVE id of a storage: an owned one's ``storage_id`` is a token of its resource."""
    props = getattr(storage, "props", None)
    return str(getattr(props, "storage_id", storage.storage_id))


class _PlatformNode(NodeBase):
    """A node of the platform, as a team stack sees it: its name, id and bridges, and no resource."""

    def __init__(self, scope: Platform, export: NodeExport) -> None:
        # The platform checked these when it built the node.
        props = NodeBase.Props.model_construct(
            name=export.name, node_id=export.node_id, votes=export.votes,
            management_address=export.management_address, management_interface=export.management_interface,
            cluster_address=None, storage_address=None, migration_address=None, endpoint=export.endpoint)
        # "Node-": the storage ids are the platform's other children.
        super().__init__(scope, f"Node-{export.name}", cluster=scope, props=props,
                         addresses={NetworkRole.MANAGEMENT: export.management_address})
        for bridge in export.bridges:  # guests check bridges by name; the platform owns the bridges themselves
            self.join_bridge(bridge, None)


class Platform(ClusterBase):
    """The platform's cluster, referenced from a team stack (:meth:`lookup`).

    Guests, pools, HA and backups take it and its nodes as they take an owned cluster's; its model holds the
    exported nodes and bridges, so the rules across constructs check a team's guests as in one stack. It adds
    one data source to the team stack, ``proxmox_virtual_environment_nodes`` (the cluster's nodes, read at
    plan time), which the team's resources wait for instead of the platform's membership.
    """

    exports: PlatformExports

    def __init__(self, scope: _cdk.Construct, id: str, exports: PlatformExports) -> None:
        """Prefer :meth:`lookup`."""
        # What the platform's cluster was built with, as far as team stacks need it; the platform checked it.
        given: dict[str, Any] = dict.fromkeys(ClusterBase.Props.model_fields)  # None: not known to team stacks
        props = ClusterBase.Props.model_construct(**{
            **given, "name": exports.cluster, "pve_version": PveVersion(exports.pve_version),
            "management_network": exports.management_network, "cluster_network": exports.cluster_network,
            "migration_type": MigrationType.SECURE, "ha_shutdown_policy": HaShutdownPolicy.CONDITIONAL,
            "fencing": FencingMode.WATCHDOG, "dns_servers": (), "firewall": False})
        super().__init__(scope, id, props)
        self.exports = exports
        # What the team's resources wait for: the platform's membership is not in this stack.
        self.membership = nodes_data.DataProxmoxVirtualEnvironmentNodes(self, "Nodes")
        for node in exports.nodes:
            _PlatformNode(self, node)
        # In the platform's own app, the team stack is applied after it.
        stack = _cdk.TerraformStack.of(self)
        app = stack.node.scope
        platform = app.node.try_find_child(exports.stack) if app is not None else None
        if isinstance(platform, _cdk.TerraformStack) and platform is not stack:
            stack.add_dependency(platform)
        policy.register(self)

    @classmethod
    def lookup(cls, scope: _cdk.Construct, id: str, exports: PlatformExports) -> Platform:
        """Refer to the platform from a team stack (``scope``): its nodes and exported storages."""
        return cls(scope, id, exports)

    def add_node(self, name: str, **_: Any) -> NodeBase:
        """Refused: the platform's nodes are the platform stack's."""
        raise self._owned_by_platform("add_node", f"cannot add node {name!r} from a team stack")

    def enable_ceph(self, **_: Any) -> Any:
        """Refused: Ceph is the platform stack's."""
        raise self._owned_by_platform("enable_ceph", "cannot enable Ceph from a team stack")

    def _owned_by_platform(self, field: str, what: str) -> ConfigError:
        return ConfigError([Problem(str(self.node.path), field, f"{what}: the cluster belongs to platform stack "
                                    f"{self.exports.stack}", "change it in the platform stack, then export it")])

    def node_named(self, name: str) -> NodeBase:
        """The exported node ``name``.

        Raises:
            ConfigError: when the platform exports no such node.
        """
        for node in self.nodes:
            if node.name == name:
                return node
        raise ConfigError([Problem(str(self.node.path), "node", f"platform {self.exports.stack} exports no node "
                                   f"{name!r} (it exports {_listing(n.name for n in self.nodes)})",
                                   "pick an exported node, or add the node to the platform cluster")])

    def storage(self, storage_id: str) -> Storage:
        """The exported storage ``storage_id``, with what it holds and where it is defined (a reference, as
        :meth:`Storage.from_id <pvecdk.storage.Storage.from_id>` gives; asking twice returns the same one).

        Raises:
            ConfigError: when the platform does not export it (a storage it keeps to itself included).
        """
        export = next((s for s in self.exports.storage if s.storage_id == storage_id), None)
        if export is None:
            raise ConfigError([Problem(str(self.node.path), "storage", f"platform {self.exports.stack} exports no "
                                       f"storage {storage_id!r} (it exports "
                                       f"{_listing(s.storage_id for s in self.exports.storage)})",
                                       "pick an exported storage, or add it to the storages= of "
                                       "PlatformExports.export in the platform stack")])
        nodes = [self.node_named(n) for n in export.nodes] if export.nodes is not None else None
        return Storage.from_id(self, storage_id, storage_type=export.storage_type, content=export.content,
                               shared=export.shared, nodes=nodes)


def _listing(names: Iterable[str]) -> str:
    items = sorted(names)
    return ", ".join(items) if items else "none"
