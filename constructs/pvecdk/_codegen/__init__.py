"""Generates typed L1 bindings from a Terraform provider schema (``terraform providers schema -json`` shape).

One module per resource and data source type, plus the provider class, named as ``cdktf get`` names them, so
code written against cdktf's generated bindings ports by changing one import. The generated modules hold
signatures, docstrings and a compact field table; the behaviour lives in :mod:`pvecdk._l1`.

Run ``python -m pvecdk._codegen`` (or ``make bindings``) after replacing the vendored schema; the test suite
fails when the committed modules differ from what this package generates. Its modules, in the order they
build on each other: ``names`` (cdktf's naming), ``model`` (the schema read into arguments and structs),
``hints`` (type hints and getters), ``emit`` (one element's source), ``modules`` (the files of a provider);
this module writes them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pvecdk._codegen.model import BPG, PVECDK, ProviderSpec
from pvecdk._codegen.modules import elements, generate
from pvecdk._codegen.names import attribute_name, camel, member_name, names_for_type, pascal, snake, struct_candidate

__all__ = [
    "BPG", "PVECDK", "ProviderSpec", "attribute_name", "camel", "elements", "export_pvecdk_schema", "generate", "main",
    "member_name", "names_for_type", "pascal", "snake", "struct_candidate", "write",
]


def package_dir(spec: ProviderSpec) -> Path:
    return Path(__file__).resolve().parents[1].joinpath(*spec.package.split(".")[1:])


def load_schema(spec: ProviderSpec) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((package_dir(spec) / spec.schema_file).read_text())
    return data


def write(spec: ProviderSpec = BPG) -> list[str]:
    """Regenerate the modules of ``spec`` in place; returns the files written, and removes stale ones."""
    out = package_dir(spec)
    files = generate(load_schema(spec), spec)
    for stale in out.glob("*.py"):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        path = out / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return sorted(files)


def export_pvecdk_schema() -> Path:
    """Write the schema of ``pvecdk/pvecdk`` from the plugin's code, for the generator to read."""
    from pvecdk.provider._plugin import schema_json

    path = package_dir(PVECDK) / PVECDK.schema_file
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(schema_json(), indent=1, sort_keys=True) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def _iter_specs() -> Iterator[ProviderSpec]:
    yield BPG
    export_pvecdk_schema()
    yield PVECDK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pvecdk._codegen", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    for spec in _iter_specs():
        written = write(spec)
        print(f"{spec.package}: {len(written)} modules from {spec.source} {spec.version}")
    return 0
