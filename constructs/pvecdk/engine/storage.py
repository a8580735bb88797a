"""Storage definitions through ``/storage``, for the types bpg/proxmox lacks: rbd, cephfs, iscsi, iscsidirect,
zfs (ZFS over iSCSI) and glusterfs (PVE 8 only).

:func:`check_storage` holds a definition against the options PVE takes for its type on a release (the
vendored table ``data/storage-type-options.json``: required on create, fixed after create);
:func:`read_storage` reads one definition, :func:`plan_storage` says what to create, change or remove and
what refuses it, :func:`apply_storage` does it, reading again first so a rerun after a crash converges.

Option values are PVE's strings; booleans compare by meaning (``1``, ``true``, ``yes``), so ``krbd = "true"``
against PVE's ``1`` is no change. A keyring is sent to PVE and never read back (PVE keeps it under
``/etc/pve/priv``); it never appears in a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pvecdk._storage_types import CONTENT, STORAGE_ID, create_defaults, release_options
from pvecdk.engine.client import Client
from pvecdk.engine.steps import Action, Step
from pvecdk.errors import EngineProblem, PlanRefused

__all__ = [
    "CONTENT_TYPES",
    "NODE_NAME",
    "STORAGE_TYPES",
    "LiveStorage",
    "StoragePlan",
    "StorageSpec",
    "apply_storage",
    "check_storage",
    "cluster_release",
    "fixed_options",
    "option_table",
    "plan_storage",
    "read_storage",
    "release_of",
    "removal_refused",
]

#: The types this module manages; bpg/proxmox has resources for the others.
STORAGE_TYPES = ("rbd", "cephfs", "iscsi", "iscsidirect", "zfs", "glusterfs")

#: The content each type can hold (the table the constructs check against), plus PVE's ``none`` for iSCSI
#: (LUNs used directly), which a definition read back from PVE may carry.
CONTENT_TYPES: dict[str, frozenset[str]] = {
    kind: frozenset(c.value for c in CONTENT[kind][0]) | ({"none"} if kind.startswith("iscsi") else frozenset())
    for kind in STORAGE_TYPES
}

#: Options with an attribute of their own in ``pvecdk_storage``, or that PVE manages itself.
_ATTRIBUTES = {"content": "content", "nodes": "nodes", "disable": "disable", "keyring": "keyring",
               "storage": "id", "type": "type", "digest": None, "delete": None, "shared": None}

_BOOLEAN = frozenset({"krbd", "fuse", "sparse", "nowritecache", "create-base-path", "create-subdirs", "mkdir",
                      "disable", "is_mountpoint", "shared", "tagged_only"})

_SECRET_OPTIONS = frozenset({"keyring", "password", "encryption-key"})

#: PVE's node name format (pve-node); use it with ``fullmatch``.
NODE_NAME = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?")


def _major(release: str | None) -> str | None:
    if not release:
        return None
    return release.split(".")[0].strip()


def option_table(storage_type: str, release: str | None = None) -> dict[str, dict[str, bool]]:
    """The options of ``storage_type`` on ``release`` (``8.4``, ``9.1``; None: those of either release)."""
    major = _major(release)
    tables = [release_options(storage_type, m) or {} for m in ((major,) if major in ("8", "9") else ("9", "8"))]
    merged: dict[str, dict[str, bool]] = {}
    for t in tables:
        for name, flags in t.items():
            merged.setdefault(name, {"optional": bool(flags["optional"]), "fixed": bool(flags["fixed"])})
    return merged


def fixed_options(storage_type: str, release: str | None = None) -> frozenset[str]:
    """The options that cannot change after create (a change replaces the storage)."""
    return frozenset(k for k, v in option_table(storage_type, release).items() if v["fixed"])


@dataclass(frozen=True)
class StorageSpec:
    """A storage definition as the model wants it.

    Attributes:
        options: The type's own options, in PVE's names (``pool``, ``monhost``, ``portal``, ``fs-name``).
        content, nodes, disable: None leaves PVE's value (its default on create).
        keyring: The Ceph keyring of an external cluster; never shown.
    """

    id: str
    type: str
    content: frozenset[str] | None = None
    nodes: frozenset[str] | None = None
    disable: bool | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    keyring: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class LiveStorage:
    """A definition as PVE reports it (no secret: PVE does not return keyrings)."""

    id: str
    type: str
    content: frozenset[str] | None
    nodes: frozenset[str] | None
    disable: bool
    shared: bool
    options: dict[str, str]
    #: The digest of storage.cfg when it was read: an update sends it, so PVE refuses it if someone else
    #: changed the file in between.
    digest: str | None = None


@dataclass
class StoragePlan:
    steps: list[Step] = field(default_factory=list)
    refused: list[EngineProblem] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------- check


def _field(name: str, problem: str, fix: str) -> EngineProblem:
    """A problem of one attribute of the definition (``options.pool``): subject and field are both its name."""
    return EngineProblem(name, problem, fix, name)


def check_storage(spec: StorageSpec, release: str | None = None) -> list[EngineProblem]:
    """Every problem of ``spec`` for ``release`` (None: any release), each with the attribute and the fix."""
    problems: list[EngineProblem] = []
    if spec.type not in STORAGE_TYPES:
        return [_field("type", f"pvecdk_storage manages {', '.join(STORAGE_TYPES)}, got {spec.type!r}",
                       f"use the bpg/proxmox resource for {spec.type} storage")]
    if not STORAGE_ID.fullmatch(spec.id):
        problems.append(_field("id", f"{spec.id!r} is not a PVE storage id", "start with a letter, then letters, "
                               "digits, '-', '_' or '.', ending in a letter or digit"))
    for node in sorted(spec.nodes or ()):
        if not NODE_NAME.fullmatch(node):
            problems.append(_field("nodes", f"{node!r} is not a PVE node name", "use the node's name, such as pve1"))
    major = _major(release)
    if spec.type == "glusterfs" and major is not None and int(major or 0) >= 9:
        # The release's table has no glusterfs at all, so this one problem says everything.
        return [*problems, _field("type", f"GlusterFS storage is gone in PVE 9, the cluster runs {release}",
                                  "use CephFS or NFS, or stay on PVE 8")]
    table = option_table(spec.type, release)
    for name in sorted(spec.options):
        if name in _ATTRIBUTES:
            attribute = _ATTRIBUTES[name]
            problems.append(_field(f"options.{name}", "has its own attribute" if attribute else "PVE manages it",
                                   f"set it with the {attribute} attribute, not in options" if attribute
                                   else "leave it out"))
        elif name not in table:
            hint = ("CephFS storage has no pool option (RBD does); name the file system with fs-name"
                    if spec.type == "cephfs" and name == "pool" else
                    f"{spec.type} storage takes {', '.join(sorted(k for k in table if k not in _ATTRIBUTES))}")
            problems.append(_field(f"options.{name}", f"not an option of {spec.type} storage"
                                   + (f" on PVE {release}" if release else ""), hint))
    defaults = create_defaults(spec.type)
    for name, flags in sorted(table.items()):
        if not flags["optional"] and name not in spec.options and name not in defaults and name not in _ATTRIBUTES:
            problems.append(_field(f"options.{name}", f"required for {spec.type} storage", "add it to options"))
    if spec.content is not None:
        allowed = CONTENT_TYPES[spec.type]
        wrong = sorted(spec.content - allowed)
        if wrong:
            problems.append(_field("content", f"{spec.type} storage cannot hold {', '.join(wrong)}",
                                   f"it takes {', '.join(sorted(allowed))}"))
    if spec.keyring is not None and "keyring" not in table:
        problems.append(_field("keyring", f"{spec.type} storage takes no keyring", "leave it unset"))
    return problems


# --------------------------------------------------------------------------------------------------- read


def _split(value: Any) -> frozenset[str] | None:
    if value is None or value == "":
        return None
    # PVE writes an empty content list as "none".
    return frozenset(p.strip() for p in str(value).replace(";", ",").split(",") if p.strip() not in ("", "none"))


def _truth(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def same_value(name: str, a: Any, b: Any) -> bool:
    """Whether two spellings of option ``name`` mean the same to PVE."""
    if a is None or b is None:
        return a is None and b is None
    if name in _BOOLEAN:
        return _truth(a) == _truth(b)
    return str(a).strip() == str(b).strip()


def release_of(version: Mapping[str, Any]) -> str:
    """The release (``9.1``) in a ``GET /version`` answer; empty when it names none."""
    return str(version.get("release") or ".".join(str(version.get("version", "")).split(".")[:2]))


def cluster_release(client: Client, node: str) -> str | None:
    """The PVE release a node runs (``9.1``), or None when it does not say."""
    return release_of(client.get(node, "/version") or {}) or None


def read_storage(client: Client, node: str, storage_id: str) -> LiveStorage | None:
    """The definition of ``storage_id`` as ``node`` reports it; None when there is none.

    One call: PVE lists each definition as ``GET /storage/{storage}`` returns it, and asking for a missing one
    is an error rather than an empty answer.
    """
    entry = next((s for s in client.get(node, "/storage") or [] if str(s.get("storage")) == storage_id), None)
    if entry is None:
        return None
    options = {str(k): str(v) for k, v in entry.items() if k not in _ATTRIBUTES and k not in _SECRET_OPTIONS}
    return LiveStorage(
        id=storage_id, type=str(entry.get("type", "")), content=_split(entry.get("content")),
        nodes=_split(entry.get("nodes")), disable=_truth(entry.get("disable", 0)),
        # Every type managed here is shared storage; PVE reports it only when it is set explicitly.
        shared=_truth(entry.get("shared", 1)), options=options,
        digest=str(entry["digest"]) if entry.get("digest") else None,
    )


# --------------------------------------------------------------------------------------------------- plan


def plan_storage(
    storage_id: str,
    spec: StorageSpec | None,
    live: LiveStorage | None,
    *,
    previous: StorageSpec | None = None,
    allow_destroy: bool = False,
    keyring_changed: bool = False,
    release: str | None = None,
) -> StoragePlan:
    """The step from ``live`` to ``spec`` (None: remove it), and what refuses it.

    Args:
        previous: What the model said before (the state), so options taken out of the model are removed.
        allow_destroy: The user allows removing the definition; without it a removal is refused.
        keyring_changed: The model's keyring differs from the one sent before (PVE never returns it).
        release: The cluster's PVE release, for the option table.
    """
    plan = StoragePlan()
    if spec is None:
        if live is None:
            return plan
        if not allow_destroy:
            plan.refused.append(removal_refused(storage_id))
            return plan
        plan.steps.append(Step(Action.DELETE_STORAGE, storage_id, f"remove storage {storage_id} ({live.type})"))
        return plan
    plan.refused.extend(check_storage(spec, release))
    if live is None:
        plan.steps.append(Step(Action.CREATE_STORAGE, storage_id, f"add {spec.type} storage {storage_id}"))
        return plan
    if live.type != spec.type:
        plan.refused.append(EngineProblem(f"storage {storage_id}", f"exists as {live.type} storage, the model "
                                          f"says {spec.type}; a storage id cannot change type",
                                          "pick another id, or remove the old one first", "type"))
        return plan
    changes, deletes = update_params(spec, live, previous, keyring_changed=keyring_changed)
    fixed = fixed_options(spec.type, release)
    stuck = sorted(k for k in [*changes, *deletes] if k in fixed)
    if stuck:
        plan.refused.append(EngineProblem(f"storage {storage_id}", f"{', '.join(stuck)} cannot change after "
                                          "create", "replace the storage (allow_destroy = true) or put the "
                                          "current value back", f"options.{stuck[0]}"))
    elif changes or deletes:
        names = sorted({*(k for k in changes if k == "keyring" or k not in _SECRET_OPTIONS), *deletes})
        plan.steps.append(Step(Action.UPDATE_STORAGE, storage_id, f"update {', '.join(names)} of storage {storage_id}"))
    return plan


def removal_refused(storage_id: str) -> EngineProblem:
    """Why removing ``storage_id`` without ``allow_destroy`` is refused, and the way out."""
    return EngineProblem(f"storage {storage_id}", "removing it takes the disks and backups on it out of PVE's "
                         "reach", "set allow_destroy = true on it, apply, then remove it", "allow_destroy")


def update_params(spec: StorageSpec, live: LiveStorage, previous: StorageSpec | None, *,
                  keyring_changed: bool = False) -> tuple[dict[str, Any], list[str]]:
    """The ``PUT /storage/{id}`` parameters that bring ``live`` to ``spec``, and the options to delete."""
    changes: dict[str, Any] = {}
    deletes: list[str] = []
    for name, value in spec.options.items():
        if not same_value(name, value, live.options.get(name)):
            changes[name] = _wire(name, value)
    for name in sorted((previous.options if previous else {}).keys() - spec.options.keys()):
        if name in live.options:
            deletes.append(name)
    for name, wanted, current in (("content", spec.content, live.content), ("nodes", spec.nodes, live.nodes)):
        if wanted is not None and wanted != current:
            changes[name] = ",".join(sorted(wanted))
        elif wanted is None and previous is not None and getattr(previous, name) is not None and current:
            deletes.append(name)
    if spec.disable is not None and spec.disable != live.disable:
        changes["disable"] = spec.disable
    elif spec.disable is None and previous is not None and previous.disable is not None and live.disable:
        deletes.append("disable")
    if keyring_changed:
        if spec.keyring:
            changes["keyring"] = spec.keyring
        else:
            deletes.append("keyring")
    return changes, deletes


def _wire(name: str, value: str) -> Any:
    return _truth(value) if name in _BOOLEAN else value


def _create_params(spec: StorageSpec) -> dict[str, Any]:
    params: dict[str, Any] = {name: _wire(name, value) for name, value in spec.options.items()}
    params.update(storage=spec.id, type=spec.type, disable=spec.disable, keyring=spec.keyring)
    if spec.content is not None:
        params["content"] = ",".join(sorted(spec.content))
    if spec.nodes is not None:
        params["nodes"] = ",".join(sorted(spec.nodes))
    return params


# --------------------------------------------------------------------------------------------------- apply


def apply_storage(
    client: Client,
    node: str,
    storage_id: str,
    spec: StorageSpec | None,
    *,
    previous: StorageSpec | None = None,
    allow_destroy: bool = False,
    keyring_changed: bool = False,
    release: str | None = None,
) -> LiveStorage | None:
    """Bring storage ``storage_id`` to ``spec`` (None: remove it) through ``node``; return what PVE reports.

    Raises:
        PlanRefused: the change is unsafe or invalid (nothing was done).
        EngineError: PVE refused a call; rerunning continues from where the definition is.
    """
    if release is None:
        release = cluster_release(client, node)
    for _ in range(3):
        live = read_storage(client, node, storage_id)
        plan = plan_storage(storage_id, spec, live, previous=previous, allow_destroy=allow_destroy,
                            keyring_changed=keyring_changed, release=release)
        if plan.refused:
            raise PlanRefused(plan.refused, node=node)
        if not plan.steps:
            return live
        step = plan.steps[0]
        if step.action is Action.DELETE_STORAGE:
            client.delete(node, f"/storage/{storage_id}")
        elif step.action is Action.CREATE_STORAGE:
            assert spec is not None
            client.post(node, "/storage", **_create_params(spec))
        else:
            assert spec is not None and live is not None
            changes, deletes = update_params(spec, live, previous, keyring_changed=keyring_changed)
            # The digest read above: PVE refuses the update if storage.cfg changed since (a concurrent edit).
            client.put(node, f"/storage/{storage_id}", **changes,
                       delete=",".join(deletes) if deletes else None, digest=live.digest)
        # The keyring went with this step; the next read cannot see it, so it is not sent again.
        keyring_changed = False
        if spec is not None and step.action is Action.CREATE_STORAGE:
            previous = spec
    return read_storage(client, node, storage_id)
