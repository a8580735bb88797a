"""The construct layer's imports point one way: down.

The rule: every module of the construct layer sits on a numbered layer (``LAYERS``), and imports only modules of
a lower layer, at module level. Layer 0 is the base of plain values and PVE facts (enums, frozen value types, id
patterns, the storage tables shared with the engine) and the plumbing every construct uses (errors, props
validation, the L1 base and the generated L1 bindings); layer 1 holds the bases of what other constructs
reference (cluster, node); the concern modules sit above them; ``node.py`` and ``cluster.py`` are on top and
create their children through downward imports. So there is no import circle, and no import needs to hide
inside a function to break one: an import inside a function (or a class body) fails this test too, as does a
module of the construct layer that has no layer yet. ``TYPE_CHECKING`` imports count like any other.

The command layer (``cli``, ``synth``, ``validate``, ``init``, ``node_cli``, ``local_provider``,
``embedded_terraform``), the test helpers for users (``testing``, which loads the constructs only when used), the
package's lazy re-exports (``__init__``), the binding generator (``_codegen``) and the runtime adapter (``_cdk``,
which probes the optional Node wheel before cdktf loads) are outside the construct layer; the engine, the
provider plugin and ``tfplugin`` import no construct.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "constructs" / "pvecdk"

# Module -> layer. A module imports only modules of a lower layer. Prefixes end with "." (whole packages). Within
# a concern package, its modules have layers of their own, between the package's neighbours.
LAYERS: dict[str, float] = {
    # 0-2: plain values, PVE facts, plumbing, the generated L1 bindings
    "pvecdk.errors": 0,
    "pvecdk._fault": 0,
    "pvecdk._cdk": 0,
    "pvecdk._storage_types": 0,
    "pvecdk._watchdog": 0,  # the HA watchdog facts the engine shares
    "pvecdk._qdevice": 0,  # the QDevice rule the policy, the provider and the engine share
    "pvecdk._values": 0.5,  # on _fault
    "pvecdk._calendar": 0.5,  # on _fault
    "pvecdk._model": 1,  # on _values and errors
    "pvecdk._validation": 1,  # on _calendar (schedules) and errors
    "pvecdk._l1.fields": 1.0,  # the L1 base, a package: fields and structs < checks < synthesis, references
    "pvecdk._l1.checks": 1.1,
    "pvecdk._l1.synthesis": 1.2,
    "pvecdk._l1.references": 1.2,
    "pvecdk._l1.elements": 1.3,  # resources, data sources, providers
    "pvecdk._l1": 1.4,  # what the generated modules reach as _l1.<name>
    "pvecdk.backend": 1,  # the state backend of an app's stacks: on _cdk and errors
    "pvecdk._rules": 2,  # on _model
    "pvecdk.bpg.": 2,
    "pvecdk.provider.": 2,
    # 3: the bases of what others reference
    "pvecdk._base": 3,
    "pvecdk._providers": 3.5,  # each cluster's provider configurations: on _base, the L1 base and bindings
    # 4-7: concerns
    "pvecdk.storage.base": 4.0,
    "pvecdk.storage.options": 4.0,
    "pvecdk.storage._owned": 4.1,
    "pvecdk.storage.zfs": 4.2,
    "pvecdk.storage.files": 4.2,
    "pvecdk.storage.lvm": 4.2,
    "pvecdk.storage.pbs": 4.2,
    "pvecdk.storage.ceph": 4.2,
    "pvecdk.storage.gluster": 4.2,
    "pvecdk.storage.iscsi": 4.3,  # ZFS over iSCSI shares the pool name and block size formats of zfs
    "pvecdk.storage": 4.9,
    "pvecdk.sdn.base": 4.5,  # the applier, zones and VNets as guests see them: on _base and storage
    "pvecdk.sdn.vnets": 4.6,
    "pvecdk.sdn.zones": 4.7,
    "pvecdk.sdn": 4.8,
    "pvecdk.access": 4,
    "pvecdk.monitoring": 4,
    "pvecdk.firewall": 4,
    "pvecdk.images": 4.95,  # files on storage: on storage and the bases
    "pvecdk.cloudinit": 4.97,  # snippets: on images
    "pvecdk._guest_values": 5.0,
    "pvecdk._guest_props": 5.1,
    "pvecdk._guest": 5.2,
    "pvecdk.templates": 5.3,  # VM templates and clones: on the guest base
    "pvecdk.ceph.values": 5.0,
    "pvecdk.ceph.base": 5.1,
    "pvecdk.ceph._props": 5.15,  # the props models of the parts
    "pvecdk.ceph.parts": 5.2,
    "pvecdk.ceph.core": 5.3,
    "pvecdk.ceph": 5.4,
    "pvecdk.ha": 6,
    "pvecdk.replication": 6,
    "pvecdk.guests": 7,
    "pvecdk.backup": 7,
    "pvecdk.policy": 7,
    # 8-9: the top, which creates the children
    "pvecdk.node": 8,
    "pvecdk.platform": 8,  # a cluster referenced from another stack: on the bases, storage and policy
    "pvecdk.cluster": 9,
}

OUTSIDE = {"pvecdk", "pvecdk.cli", "pvecdk.synth", "pvecdk.validate", "pvecdk._codegen", "pvecdk._cdk",
           "pvecdk.init", "pvecdk.node_cli", "pvecdk.local_provider", "pvecdk.embedded_terraform", "pvecdk.testing",
           "pvecdk.adopt", "pvecdk.diff"}  # `pvecdk import` (a command-layer package) and the helper its modules call


def _layer(module: str) -> float | None:
    if module in LAYERS:
        return LAYERS[module]
    for prefix, layer in LAYERS.items():
        if prefix.endswith(".") and module.startswith(prefix):
            return layer
    return None


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(("pvecdk", *parts)).removesuffix(".__init__")


def _module_path(module: str) -> Path:
    path = PACKAGE.joinpath(*module.split(".")[1:])
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


# The construct layer: the package's modules, and those of its concern packages and of the L1 base.
CONCERN_PACKAGES = ("_l1", "ceph", "sdn", "storage")


def _construct_modules() -> list[str]:
    paths = [*PACKAGE.glob("*.py"), *(p for pkg in CONCERN_PACKAGES for p in (PACKAGE / pkg).glob("*.py"))]
    return sorted(m for m in map(_module_name, paths) if m not in OUTSIDE)


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The pvecdk modules an import statement loads (``from pvecdk import policy`` loads pvecdk.policy)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("pvecdk")]
    if node.module is None or not node.module.startswith("pvecdk"):
        return []
    # `from pvecdk import policy`, `from pvecdk.bpg import storage_nfs`: the names are modules
    folder = PACKAGE.joinpath(*node.module.split(".")[1:])
    return [f"{node.module}.{a.name}" if (folder / f"{a.name}.py").exists() or (folder / a.name).is_dir()
            else node.module for a in node.names]


def _imports(source: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(module-level pvecdk imports, imports anywhere else) of a module's source, as (line, what)."""
    tree = ast.parse(source)
    top: set[int] = set()
    for stmt in tree.body:
        top.add(id(stmt))
        if isinstance(stmt, ast.If):  # `if TYPE_CHECKING:` at module level
            top.update(id(s) for s in stmt.body)
    module_level: list[tuple[int, str]] = []
    nested: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if id(node) in top:
            module_level += [(node.lineno, m) for m in _imported(node)]
        else:
            nested.append((node.lineno, ast.unparse(node)))
    return module_level, nested


def _faults(module: str, source: str) -> list[str]:
    """What breaks the rule in ``module``'s source."""
    own = _layer(module)
    if own is None:
        return [f"{module} has no layer"]
    module_level, nested = _imports(source)
    faults = [f"line {line}: `{what}` is inside a function or class" for line, what in nested]
    for line, imported in module_level:
        layer = _layer(imported)
        if layer is None or layer >= own:
            faults.append(f"line {line}: imports {imported} (layer {layer}) from layer {own}")
    return faults


def test_every_construct_module_has_a_layer() -> None:
    missing = [m for m in _construct_modules() if _layer(m) is None]
    assert not missing, f"give these modules a layer in LAYERS: {missing}"


@pytest.mark.parametrize("module", _construct_modules())
def test_imports_point_down_and_sit_at_module_level(module: str) -> None:
    source = _module_path(module).read_text()
    assert _faults(module, source) == []


def test_the_rule_catches_upward_same_layer_and_nested_imports() -> None:
    """The check above can fail: an upward import, one within the layer and a function-level one are found."""
    source = ("from pvecdk import cluster\nfrom pvecdk.access import x\nfrom pvecdk._base import NodeBase\n\n"
              "def f():\n    import json\n    return json\n")
    assert _faults("pvecdk.firewall", source) == [
        "line 6: `import json` is inside a function or class",
        "line 1: imports pvecdk.cluster (layer 9) from layer 4",
        "line 2: imports pvecdk.access (layer 4) from layer 4",
    ]
