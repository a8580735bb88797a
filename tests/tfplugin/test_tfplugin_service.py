"""The gRPC service driven with protocol messages, over the schema-only provider of bpg/proxmox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pvecdk.tfplugin import _proto
from pvecdk.tfplugin.schema_provider import SchemaProvider
from pvecdk.tfplugin.server import MAGIC_COOKIE_KEY, ProviderService, serve
from pvecdk.tfplugin.values import UNKNOWN, decode_msgpack, encode_msgpack

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "constructs/pvecdk/bpg/schema/bpg-proxmox-0.111.1.schema.json"


@pytest.fixture(scope="module")
def service() -> ProviderService:
    return ProviderService(SchemaProvider.from_file(SCHEMA_FILE, "proxmox"))


def dv(service: ProviderService, type_name: str, value: Any) -> Any:
    schema = service.provider.resources[type_name].schema
    return _proto.pb().DynamicValue(msgpack=encode_msgpack(value, schema.block.implied_type()))


def full(service: ProviderService, type_name: str, **values: Any) -> dict[str, Any]:
    implied = service.provider.resources[type_name].schema.block.implied_type()
    return {name: values.get(name) for name in implied.attributes}


def test_schema_lists_every_type(service: ProviderService) -> None:
    response = service.GetProviderSchema(None, None)
    schemas = json.loads(SCHEMA_FILE.read_text())
    assert set(response.resource_schemas) == set(schemas["resource_schemas"])
    assert set(response.data_source_schemas) == set(schemas["data_source_schemas"])
    metadata = service.GetMetadata(None, None)
    assert len(metadata.resources) == 115 and len(metadata.data_sources) == 91


def test_plan_keeps_configured_values_and_marks_computed_unknown(service: ProviderService) -> None:
    pb = _proto.pb()
    config = full(service, "proxmox_ceph_pool", name="vm-pool", node_name="pve1", size=3)
    request = pb.PlanResourceChange.Request(
        type_name="proxmox_ceph_pool", prior_state=dv(service, "proxmox_ceph_pool", None),
        proposed_new_state=dv(service, "proxmox_ceph_pool", config), config=dv(service, "proxmox_ceph_pool", config),
    )
    response = service.PlanResourceChange(request, None)
    implied = service.provider.resources["proxmox_ceph_pool"].schema.block.implied_type()
    planned = decode_msgpack(response.planned_state.msgpack, implied)
    assert (planned["name"], planned["size"]) == ("vm-pool", 3)
    assert planned["id"] is UNKNOWN and planned["min_size"] is UNKNOWN, "unset computed attributes are unknown"
    assert planned["target_size"] is None, "unset optional, not computed, stays null"

    applied = service.ApplyResourceChange(pb.ApplyResourceChange.Request(
        type_name="proxmox_ceph_pool", prior_state=dv(service, "proxmox_ceph_pool", None),
        planned_state=response.planned_state, config=dv(service, "proxmox_ceph_pool", config)), None)
    state = decode_msgpack(applied.new_state.msgpack, implied)
    assert state["size"] == 3 and isinstance(state["id"], str) and isinstance(state["min_size"], int)


def test_validate_reports_nested_item_limits() -> None:
    from pvecdk.tfplugin import Attribute, Block, NestedType, Nesting, Schema
    from pvecdk.tfplugin import types as t
    from pvecdk.tfplugin.schema_provider import SchemaResource

    items = NestedType((Attribute("n", type=t.NUMBER, optional=True),), Nesting.LIST, 1, 2)
    resource = SchemaResource("x", Schema(Block((Attribute("items", nested=items, optional=True),))))
    assert resource.validate({"items": [{"n": 1}, {"n": 2}]}) == []
    (diag,) = resource.validate({"items": [{"n": 1}, {"n": 2}, {"n": 3}]})
    assert (diag.summary, diag.path) == ("Too many list items", ("items",))
    (diag,) = resource.validate({"items": []})
    assert diag.summary == "Not enough list items"


def test_unknown_type_is_a_diagnostic(service: ProviderService) -> None:
    pb = _proto.pb()
    response = service.ValidateResourceConfig(pb.ValidateResourceConfig.Request(type_name="proxmox_nope"), None)
    (diag,) = response.diagnostics
    assert diag.severity == pb.Diagnostic.ERROR and "proxmox_nope" in diag.detail


def test_import_and_read(service: ProviderService) -> None:
    pb = _proto.pb()
    response = service.ImportResourceState(pb.ImportResourceState.Request(type_name="proxmox_storage_nfs",
                                                                          id="nfs-storage"), None)
    (imported,) = response.imported_resources
    implied = service.provider.resources["proxmox_storage_nfs"].schema.block.implied_type()
    assert decode_msgpack(imported.state.msgpack, implied)["id"] == "nfs-storage"
    read = service.ReadResource(pb.ReadResource.Request(type_name="proxmox_storage_nfs",
                                                        current_state=imported.state), None)
    assert decode_msgpack(read.new_state.msgpack, implied)["id"] == "nfs-storage"


def test_upgrade_state_from_json(service: ProviderService) -> None:
    pb = _proto.pb()
    raw = json.dumps({"id": "x", "name": "p", "node_name": "pve1", "size": 3}).encode()
    response = service.UpgradeResourceState(pb.UpgradeResourceState.Request(
        type_name="proxmox_ceph_pool", version=0, raw_state=pb.RawState(json=raw)), None)
    implied = service.provider.resources["proxmox_ceph_pool"].schema.block.implied_type()
    assert decode_msgpack(response.upgraded_state.msgpack, implied)["size"] == 3


def test_data_source_answers_with_the_right_shape(service: ProviderService) -> None:
    pb = _proto.pb()
    data = service.provider.data_sources["proxmox_virtual_environment_vms"]
    implied = data.schema.block.implied_type()
    config = {k: None for k in implied.attributes}
    config["node_name"] = "pve1"
    response = service.ReadDataSource(pb.ReadDataSource.Request(
        type_name="proxmox_virtual_environment_vms",
        config=pb.DynamicValue(msgpack=encode_msgpack(config, implied))), None)
    state = decode_msgpack(response.state.msgpack, implied)
    assert state["node_name"] == "pve1" and isinstance(state["vms"], list)


def test_serve_refuses_to_run_by_hand() -> None:
    provider = SchemaProvider.from_file(SCHEMA_FILE, "proxmox")
    assert serve(provider, environ={}) == 1
    assert serve(provider, environ={MAGIC_COOKIE_KEY: "wrong"}) == 1
