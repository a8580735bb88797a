"""The schema model: JSON and protocol round trips, every nesting mode, every flag, implied types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pvecdk.tfplugin import Attribute, Block, NestedBlock, NestedType, Nesting, Schema
from pvecdk.tfplugin import types as t

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "constructs/pvecdk/bpg/schema/bpg-proxmox-0.111.1.schema.json"
BPG = json.loads(SCHEMA_FILE.read_text())


def _kitchen_sink() -> Schema:
    leaf = Block((Attribute("name", type=t.STRING, required=True),))
    nested = NestedType((Attribute("port", type=t.NUMBER, optional=True),
                         Attribute("token", type=t.STRING, optional=True, sensitive=True, write_only=True)),
                        Nesting.SINGLE)
    attributes = (
            Attribute("id", type=t.STRING, computed=True),
            Attribute("tags", type=t.Set(t.STRING), optional=True, computed=True),
            Attribute("labels", type=t.Map(t.NUMBER), optional=True, deprecated=True),
            Attribute("pairs", type=t.List(t.Tuple((t.STRING, t.BOOL))), optional=True),
            Attribute("obj", type=t.Object({"a": t.STRING, "b": t.NUMBER}, frozenset({"b"})), optional=True),
            Attribute("any", type=t.DYNAMIC, optional=True),
            Attribute("single", nested=nested, optional=True),
            *(Attribute(f"nested_{m.value}", nested=NestedType(nested.attributes, m, 0, 0), optional=True)
              for m in (Nesting.LIST, Nesting.SET, Nesting.MAP)),
    )
    blocks = tuple(NestedBlock(f"block_{m.value}", leaf, m, 1 if m == Nesting.LIST else 0,
                               3 if m == Nesting.LIST else 0) for m in Nesting)
    # Sorted by name, as the schema JSON's objects are read.
    return Schema(Block(tuple(sorted(attributes, key=lambda a: a.name)), tuple(sorted(blocks, key=lambda b: b.name))),
                  version=2)


def test_proto_round_trip_keeps_every_mode_and_flag() -> None:
    schema = _kitchen_sink()
    assert Schema.from_proto(schema.to_proto()) == schema


def test_json_round_trip() -> None:
    schema = _kitchen_sink()
    assert Schema.from_json(schema.to_json()) == schema


@pytest.mark.parametrize("kind", ["resource_schemas", "data_source_schemas"])
def test_every_bpg_schema_round_trips(kind: str) -> None:
    for name, data in BPG[kind].items():
        schema = Schema.from_json(data)
        assert Schema.from_proto(schema.to_proto()) == schema, name
        assert Schema.from_proto(_reparse(schema.to_proto())) == schema, name


def _reparse(message: object) -> object:
    """Through bytes, as Terraform receives it."""
    from pvecdk.tfplugin import _proto

    copy = _proto.pb().Schema()
    copy.ParseFromString(message.SerializeToString())  # type: ignore[attr-defined]
    return copy


def test_write_only_reaches_the_wire() -> None:
    data = BPG["resource_schemas"]["proxmox_metrics_server"]
    schema = Schema.from_json(data)
    attr = next(a for a in schema.to_proto().block.attributes if a.name == "influx_token_wo")
    assert attr.SerializeToString().endswith(b"\x58\x01"), "field 11 (write_only) set"
    assert Schema.from_proto(_reparse(schema.to_proto())).block.attribute("influx_token_wo").write_only


def test_provider_block_serves_exactly() -> None:
    schema = Schema.from_json(BPG["provider"])
    assert schema.to_json()["block"]["block_types"]["ssh"]["max_items"] == 1
    assert schema.block.attribute("api_token").sensitive  # type: ignore[union-attr]


def test_implied_types() -> None:
    schema = _kitchen_sink()
    implied = schema.block.implied_type()
    assert implied.attributes["block_list"] == t.List(t.Object({"name": t.STRING}))
    assert implied.attributes["block_set"] == t.Set(t.Object({"name": t.STRING}))
    assert implied.attributes["block_map"] == t.Map(t.Object({"name": t.STRING}))
    assert implied.attributes["block_single"] == t.Object({"name": t.STRING})
    assert isinstance(implied.attributes["nested_list"], t.List)
    assert implied.attributes["single"] == t.Object({"port": t.NUMBER, "token": t.STRING},
                                                    frozenset({"port", "token"}))


@pytest.mark.parametrize(
    "encoded",
    ['"string"', '["list","number"]', '["set",["map","bool"]]', '["object",{"a":"string"},["a"]]',
     '["tuple",["string","dynamic"]]'],
)
def test_type_json_round_trip(encoded: str) -> None:
    assert t.from_bytes(encoded.encode()).to_bytes() == encoded.encode()


def test_attribute_needs_one_of_type_and_nested() -> None:
    with pytest.raises(ValueError):
        Attribute("x", optional=True)
    with pytest.raises(ValueError):
        Attribute("x", type=t.STRING)
