"""cty values on the wire: msgpack and JSON, unknowns, dynamic values, big numbers."""

from __future__ import annotations

import msgpack
import pytest
from pvecdk.tfplugin import types as t
from pvecdk.tfplugin.values import UNKNOWN, Dynamic, decode_json, decode_msgpack, encode_json, encode_msgpack

OBJ = t.Object({
    "id": t.STRING, "size": t.NUMBER, "on": t.BOOL, "tags": t.Set(t.STRING), "disks": t.List(t.Object({"n": t.NUMBER})),
    "labels": t.Map(t.STRING), "any": t.DYNAMIC,
})


@pytest.mark.parametrize(
    "value",
    [
        {"id": "a", "size": 3, "on": True, "tags": ["x"], "disks": [{"n": 1}], "labels": {"k": "v"},
         "any": Dynamic(t.List(t.STRING), ["p"])},
        {"id": UNKNOWN, "size": UNKNOWN, "on": None, "tags": UNKNOWN, "disks": [{"n": UNKNOWN}], "labels": None,
         "any": UNKNOWN},
        {"id": None, "size": 2.5, "on": False, "tags": [], "disks": [], "labels": {}, "any": None},
    ],
)
def test_msgpack_round_trip(value: dict[str, object]) -> None:
    assert decode_msgpack(encode_msgpack(value, OBJ), OBJ) == value


def test_unknown_is_cty_extension_zero() -> None:
    assert encode_msgpack(UNKNOWN, t.STRING) == b"\xd4\x00\x00"
    refined = msgpack.packb(msgpack.ExtType(12, b"\x81\x01\xc3"))
    assert decode_msgpack(refined, t.STRING) is UNKNOWN


def test_big_numbers_arrive_as_strings() -> None:
    assert decode_msgpack(msgpack.packb("123456789012345678901234567890"), t.NUMBER) == 123456789012345678901234567890
    assert decode_msgpack(msgpack.packb("0.5"), t.NUMBER) == 0.5


def test_dynamic_carries_its_type() -> None:
    wire = msgpack.unpackb(encode_msgpack(Dynamic(t.NUMBER, 4), t.DYNAMIC))
    assert wire == [b'"number"', 4]


def test_json_state_round_trip() -> None:
    value = {"id": "a", "size": 3, "on": True, "tags": ["x"], "disks": [{"n": 1}], "labels": {"k": "v"},
             "any": Dynamic(t.STRING, "s")}
    assert decode_json(encode_json(value, OBJ), OBJ) == value


def test_json_refuses_unknowns() -> None:
    with pytest.raises(ValueError):
        encode_json({"id": UNKNOWN}, t.Object({"id": t.STRING}))


def test_unknown_has_no_truth_value() -> None:
    with pytest.raises(TypeError):
        bool(UNKNOWN)
