"""The generator: committed bindings are current, and names follow cdktf's rules."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pvecdk import _codegen
from pvecdk._codegen import BPG, attribute_name, camel, member_name, names_for_type, pascal, snake

SCHEMA = _codegen.load_schema(BPG)
PACKAGE = _codegen.package_dir(BPG)


@pytest.mark.parametrize("spec", [_codegen.BPG, _codegen.PVECDK], ids=["bpg", "pvecdk"])
def test_committed_bindings_match_the_generator(spec: _codegen.ProviderSpec) -> None:
    package = _codegen.package_dir(spec)
    files = _codegen.generate(_codegen.load_schema(spec), spec)
    on_disk = {p.name for p in package.glob("*.py")}
    assert on_disk == set(files), "stale or missing modules: run `make bindings`"
    stale = [name for name, text in files.items() if (package / name).read_text() != text]
    assert stale == [], f"modules differ from the generator: {stale[:5]}; run `make bindings`"


def test_pvecdk_schema_file_matches_the_plugin() -> None:
    from pvecdk.provider._plugin import schema_json

    path = _codegen.package_dir(_codegen.PVECDK) / _codegen.PVECDK.schema_file
    assert json.loads(path.read_text()) == schema_json(), "run `make bindings`"


def test_one_module_per_type() -> None:
    from pvecdk import bpg

    resources, data = SCHEMA["resource_schemas"], SCHEMA["data_source_schemas"]
    assert (len(resources), len(data)) == (115, 91)
    kinds = [kind for kind, _ in bpg.TYPES]
    assert (kinds.count("resource"), kinds.count("data"), kinds.count("provider")) == (115, 91, 1)


def test_package_import_loads_no_submodule() -> None:
    import subprocess
    import sys

    code = (
        "import sys, importlib.util\n"
        "spec = importlib.util.spec_from_file_location('bpg_only', sys.argv[1])\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(sorted(m for m in sys.modules if m.startswith('pvecdk')))"
    )
    init = str(PACKAGE / "__init__.py")
    out = subprocess.run([sys.executable, "-c", code, init], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", "the bindings package imports nothing"


@pytest.mark.parametrize(
    ("tf", "expected"),
    [("ipv6cidr_block", "ipv6CidrBlock"), ("bgp_ipv6state", "bgpIpv6State"), ("s3_bucket", "s3Bucket"),
     ("a__b_", "aB"), ("link0", "link0"), ("vm2", "vm2")],
)
def test_camel(tf: str, expected: str) -> None:
    assert camel(tf) == expected


def test_snake_and_pascal() -> None:
    assert snake("ipv6CidrBlock") == "ipv6_cidr_block"
    assert snake("someURLValue") == "some_url_value"
    assert pascal("virtual_environment_vm2") == "VirtualEnvironmentVm2"


@pytest.mark.parametrize(
    ("tf", "py"),
    [("node", "node_attribute"), ("get_config", "fetch_config"), ("self", "self_attribute"),
     ("equals", "equal_to"), ("import_from", "import_from_attribute"), ("from", "from_"), ("vlan_id", "vlan_id")],
)
def test_attribute_renames(tf: str, py: str) -> None:
    assert attribute_name(tf) == py


def test_member_names() -> None:
    assert member_name("node", "put") == "put_node_attribute"
    assert member_name("cpu", "reset") == "reset_cpu"
    assert member_name("from", "input") == "from_input"


@pytest.mark.parametrize(
    ("tf_type", "data", "module", "cls"),
    [
        ("proxmox_storage_nfs", False, "storage_nfs", "StorageNfs"),
        ("proxmox_virtual_environment_vm2", False, "virtual_environment_vm2", "VirtualEnvironmentVm2"),
        ("proxmox_vms", True, "data_proxmox_vms", "DataProxmoxVms"),
        ("random_string", False, "random_string", "RandomString"),
        ("proxmox_string", False, "string_resource", "StringResource"),
        ("proxmox_provider", False, "provider_resource", "ProviderResource"),
    ],
)
def test_type_names(tf_type: str, data: bool, module: str, cls: str) -> None:
    names = names_for_type(tf_type, "proxmox", data=data)
    assert (names.module, names.cls) == (module, cls)


# Names as `cdktf get` gives them for bpg/proxmox, checked by hand against its rules.
KNOWN = [
    ("ceph_pool", ["CephPool", "CephPoolConfig"]),
    ("virtual_environment_vm", ["VirtualEnvironmentVm", "VirtualEnvironmentVmDisk", "VirtualEnvironmentVmDiskList",
                                "VirtualEnvironmentVmDiskOutputReference", "VirtualEnvironmentVmCpuOutputReference"]),
    ("data_proxmox_virtual_environment_vms", ["DataProxmoxVirtualEnvironmentVms",
                                              "DataProxmoxVirtualEnvironmentVmsVmsList"]),
    ("provider", ["ProxmoxProvider", "ProxmoxProviderConfig", "ProxmoxProviderSsh", "ProxmoxProviderSshNode"]),
]


@pytest.mark.parametrize(("module", "names"), KNOWN)
def test_known_names(module: str, names: list[str]) -> None:
    mod = importlib.import_module(f"pvecdk.bpg.{module}")
    for name in names:
        assert inspect.isclass(getattr(mod, name, None)), f"{module}.{name}"


def test_member_shapes_follow_cdktf() -> None:
    from pvecdk.bpg import backup_job, storage_nfs, virtual_environment_vm

    vm = virtual_environment_vm.VirtualEnvironmentVm
    assert list(inspect.signature(vm.put_cpu).parameters)[:3] == ["self", "affinity", "architecture"]
    assert list(inspect.signature(vm.put_disk).parameters) == ["self", "value"]
    assert list(inspect.signature(storage_nfs.StorageNfs.__init__).parameters)[:6] == [
        "self", "scope", "id_", "export", "id", "server"]
    params = inspect.signature(backup_job.BackupJob.__init__).parameters
    assert "node_attribute" in params and "node" not in params
    assert params["scope"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for n, p in params.items() if n not in ("self", "scope", "id_"))
    assert storage_nfs.StorageNfs.TF_RESOURCE_TYPE == "proxmox_storage_nfs"
    assert callable(storage_nfs.StorageNfs.generate_config_for_import)
    from pvecdk.bpg import realm_sync

    assert list(inspect.signature(realm_sync.RealmSync.__init__).parameters)[1:3] == ["scope_", "id"]


# An independent derivation of every struct name in the schema, from cdktf's rules: the scope path joined and
# PascalCased, "Struct" after names ending in "list", "A" after a name already taken in the provider, children
# named before parents and attributes before blocks.


def _pascal(text: str) -> str:
    words = [w for w in re.split(r"_+", text.lower()) if w]
    out = "".join(w[0].upper() + w[1:] for w in words)
    return re.sub(r"(\d+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), out)


def _expected(block: dict[str, Any], scope: str, taken: set[str], out: list[tuple[str, str]]) -> None:
    def name(tf: str, inner: dict[str, Any]) -> None:
        _expected(inner, f"{scope}_{tf}", taken, out)
        candidate = _pascal(f"{scope}_{tf}")
        if candidate.lower().endswith("list"):
            candidate += "Struct"
        if candidate in taken:
            candidate += "A"
        taken.add(candidate)
        out.append((f"{scope}.{tf}", candidate))

    for tf, a in sorted(block.get("attributes", {}).items()):
        if "nested_type" in a:
            name(tf, a["nested_type"])
        elif "nested_block" in a:
            name(tf, a["nested_block"]["block"])
        elif isinstance(a["type"], list) and ("object" in json.dumps(a["type"][:1]) or (
                a["type"][0] in ("list", "set", "map") and isinstance(a["type"][1], list)
                and a["type"][1][0] == "object")):
            fields = a["type"][1] if a["type"][0] == "object" else a["type"][1][1]
            name(tf, {"attributes": {k: {"type": t} for k, t in fields.items()}})
    for tf, bt in sorted(block.get("block_types", {}).items()):
        name(tf, bt["block"])


def test_every_struct_is_named_as_cdktf_names_it() -> None:
    taken: set[str] = set()
    expected: list[tuple[str, str, str]] = []  # (module, path, class)
    for kind, key in (("resource", "resource_schemas"), ("data", "data_source_schemas")):
        for tf_type, entry in sorted(SCHEMA[key].items()):
            base = ("data_" + tf_type) if kind == "data" else tf_type.removeprefix("proxmox_")
            cls = _pascal(base)
            taken.update({cls, cls + "Config"})
            found: list[tuple[str, str]] = []
            _expected(entry["block"], base, taken, found)
            expected += [(base, path, name) for path, name in found]
    found_p: list[tuple[str, str]] = []
    taken.update({"ProxmoxProvider", "ProxmoxProviderConfig"})
    _expected(SCHEMA["provider"]["block"], "proxmox_provider", taken, found_p)
    expected += [("provider", path, name) for path, name in found_p]
    assert len(expected) > 150
    missing = []
    for module, path, name in expected:
        mod = importlib.import_module(f"pvecdk.bpg.{module}")
        if not inspect.isclass(getattr(mod, name, None)):
            missing.append(f"{module}.{name} ({path})")
    assert missing == []


def test_generated_code_compiles_without_warnings() -> None:
    import warnings

    for path in sorted(PACKAGE.glob("*.py")):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            compile(path.read_text(), str(path), "exec")


def test_generated_header_names_generator_and_schema() -> None:
    text = (PACKAGE / "storage_nfs.py").read_text()
    assert "Generated by pvecdk._codegen from bpg/proxmox 0.111.1" in text
    assert "Do not edit" in text


def test_schema_is_vendored() -> None:
    assert Path(PACKAGE / BPG.schema_file).is_file()
    assert SCHEMA["version"] == "0.111.1" and SCHEMA["provider_source"].endswith("bpg/proxmox")
