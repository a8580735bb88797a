"""Each storage type's explicit constructor, its props model and its docstring agree, and the shared props are
written the same way everywhere (as ``storage._owned.SHARED_PROPS`` states them once).

The constructors list every prop, shared ones included, so an IDE completes and documents them; the
constructor hands its ``locals()`` to the props model, so a prop missing from the model would be refused and one
missing from the signature could never be given. This keeps the copies from drifting apart.
"""

from __future__ import annotations

import inspect
import re

import pvecdk.storage as storage
import pytest
from pvecdk.storage._owned import SHARED_PROPS, OwnedStorage

TYPES = sorted((t for name in storage.__all__ if isinstance(t := getattr(storage, name), type)
                and issubclass(t, OwnedStorage)), key=lambda t: t.__name__)
NOT_PROPS = {"self", "scope", "id"}
NOT_IN_MODEL = {"extra_options"}  # options by PVE's name, checked against the type's table instead


def _documented_args(doc: str) -> dict[str, str]:
    """The ``Args:`` section of a Google-style docstring: name -> its text, continuation lines joined."""
    out: dict[str, str] = {}
    current: str | None = None
    for line in doc.split("\n"):
        if match := re.match(r"^    (\w+): (.*)$", line):
            current = match.group(1)
            out[current] = match.group(2)
        elif current is not None and line.startswith("        "):
            out[current] += " " + line.strip()
        elif not line.startswith("    "):
            current = None
    return out


def test_every_owned_type_is_covered() -> None:
    assert len(TYPES) == 13
    assert {t.__name__ for t in TYPES} >= {"NfsStorage", "RbdStorage", "ZfsPoolStorage", "GlusterFsStorage"}


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.__name__)
def test_signature_props_model_and_docstring_agree(kind: type[OwnedStorage]) -> None:
    parameters = inspect.signature(kind.__init__).parameters
    props = [name for name in parameters if name not in NOT_PROPS]
    assert set(props) - NOT_IN_MODEL == set(kind._PROPS.model_fields), "signature and props model differ"
    assert all(parameters[name].kind is inspect.Parameter.KEYWORD_ONLY for name in props)
    documented = _documented_args(inspect.getdoc(kind.__init__) or "")
    assert [name for name in props if name not in documented] == [], "props without a docstring line"
    assert [name for name in documented if name not in parameters] == [], "docstring lines of no prop"


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.__name__)
def test_shared_props_are_written_as_stated_once(kind: type[OwnedStorage]) -> None:
    parameters = inspect.signature(kind.__init__).parameters
    documented = _documented_args(inspect.getdoc(kind.__init__) or "")
    for name, (annotation, default, text) in SHARED_PROPS.items():
        if name not in parameters:
            continue
        assert (str(parameters[name].annotation), repr(parameters[name].default)) == (annotation, default), name
        # A full sentence is the whole line; a stem leaves the type its own default (what it holds, say).
        if text.endswith("."):
            assert documented[name] == text, name
        else:
            assert documented[name].startswith(text), name


def test_the_docstring_reader_finds_what_is_missing() -> None:
    doc = "Define it.\n\nArgs:\n    scope: The scope.\n    server: The host,\n        by name.\n\nReturns:\n    it"
    assert _documented_args(doc) == {"scope": "The scope.", "server": "The host, by name."}
