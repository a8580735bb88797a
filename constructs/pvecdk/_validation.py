"""Props validation for L2 constructs: a private pydantic model per construct, problems as ConfigError.

A validator states a problem as ``Fault("what is wrong, got X", "how to fix it")``, whose two fields become
the problem's; a problem between props or at an item of a list is raised with :func:`raise_at` as
``(field, what, fix)``. Type errors found by pydantic itself get a fix from the expected type.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError
from pydantic_core import InitErrorDetails

from pvecdk import _calendar, _cdk
from pvecdk._cdk import construct_path  # re-exported: the L2 modules take it from here with the rest
from pvecdk._fault import Fault
from pvecdk.errors import ConfigError, Problem

__all__ = ["CONFIG_ID", "LazyPath", "Props", "as_sequence", "check_props", "construct_path", "instance_of", "one_of",
           "problem", "raise_at", "schedule_value", "validate_between", "Fault", "Located", "is_number_token",
           "whole_number"]

M = TypeVar("M", bound=BaseModel)

#: PVE's ``pve-configid`` format, of HA rule and metrics server ids among others: a letter, then up to 62
#: letters, digits, '-' and '_'.
CONFIG_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$")


class Props(BaseModel):
    """Base of the private props models: frozen, unknown props refused, constructs allowed as values.

    ``_SECRETS`` names the props whose value a problem never shows, whatever is wrong with it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    _SECRETS: ClassVar[frozenset[str]] = frozenset()


class LazyPath:
    """The path a construct will have (:func:`construct_path`), read only when a problem is
    reported: reading it costs two jsii round trips, which add up over thousands of guests."""

    def __init__(self, scope: Any, id: str) -> None:
        self._scope = scope
        self._id = id
        self._value: str | None = None

    def __call__(self) -> str:
        if self._value is None:
            self._value = construct_path(self._scope, self._id)
        return self._value


def instance_of(cls: type, fix: str, *, name: str | None = None) -> Any:
    """A check that the value is a ``cls``, in the library's words (pydantic's would only name the class):
    ``"<value> is not a <name>; <fix>"`` (``an`` before a vowel), ``name`` defaulting to the class's."""
    shown = name or cls.__name__
    article = "an" if shown[:1].lower() in "aeiou" else "a"

    def check(value: Any) -> Any:
        if not isinstance(value, cls):
            raise Fault(f"{value!r} is not {article} {shown}", fix)
        return value

    return check


def as_sequence(value: Any) -> Any:
    """A list prop as the props model takes it; anything else is left for the model to report."""
    return tuple(value) if isinstance(value, (list, tuple, set, frozenset)) else value


def is_number_token(value: object) -> bool:
    """Tell whether ``value`` is a Terraform number token (``TerraformVariable(...).number_value``): a float
    that stands for a value known only at plan time. Only floats are asked, so whole numbers cost no jsii call."""
    return isinstance(value, float) and _cdk.is_unresolved(value)


def whole_number(low: int | None, high: int | None, what: str, fix: str) -> PlainValidator:
    """The check of a whole-number prop: an ``int`` (not a bool, not a string) in ``low``-``high`` (either
    bound may be None), or a number token, which Terraform resolves and PVE checks: it passes unchanged.

    ``"<what>, got <value>"`` names the range; ``fix`` says what to give instead.
    """

    def check(value: object) -> object:
        if is_number_token(value):
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and value.strip().isdigit():
                raise Fault(f"{value!r} is a string, not a whole number", f"pass {value.strip()} without quotes")
            raise Fault(f"{value!r} is not a whole number", "pass an int, or a number token "
                        "(TerraformVariable(...).number_value)")
        if (low is not None and value < low) or (high is not None and value > high):
            raise Fault(f"{what}, got {value!r}", fix)
        return value

    return PlainValidator(check)


def one_of(choices: Iterable[str], what: str, pick: str) -> Callable[[object], object]:
    """A check that a closed-set prop (a protocol, a compression) is one of ``choices``, before pydantic
    converts it: ``"<value> is not <what>; pick <pick>"`` names the choices in the order an operator
    would pick them, which pydantic's enum message does not."""
    allowed = frozenset(choices)

    def check(value: object) -> object:
        if not isinstance(value, str) or value not in allowed:
            raise Fault(f"{value!r} is not {what}", f"pick {pick}")
        return value

    return check


def problem(path: str, field: str, error: BaseException | str) -> Problem:
    """The problem a validator's error states: a :class:`Fault`'s what and fix; any other error's message, with
    a pointer to the documentation for a fix."""
    if isinstance(error, Fault):
        return Problem(path, field, error.what, error.fix)
    return Problem(path, field, str(error), "see the construct's documentation")


#: A problem found by a validator, at a prop (or an item's location inside one): (field, what, fix).
Located = tuple[str | tuple[int | str, ...], str, str]


def raise_at(located: Iterable[Located], *, besides: ValidationError | None = None) -> None:
    """Raise each ``(field, what, fix)`` as a pydantic error at that field; nothing when there is none.

    A validator's ValueError is reported at the prop it validates, and a model validator's at no prop at all,
    but a ValidationError raised from a validator keeps its locations (taken relative to where the validator
    runs). Raised this way, a problem between props keeps the prop it is about, and one found by looking at a
    whole list keeps its item (``(1, "interface")`` inside ``disks``). ``besides``, the errors of validating
    the value itself, come first, so a wrap validator reports both kinds at once.
    """
    errors: list[InitErrorDetails] = []
    if besides is not None:
        for e in besides.errors():
            detail = InitErrorDetails(type=e["type"], loc=e["loc"], input=e["input"])
            if "ctx" in e:
                detail["ctx"] = e["ctx"]
            errors.append(detail)
    errors += [InitErrorDetails(type="value_error", loc=(field,) if isinstance(field, str) else field, input=None,
                                ctx={"error": Fault(what, fix)}) for field, what, fix in located]
    if errors:
        raise ValidationError.from_exception_data("props", errors)



def validate_between(data: Any, handler: Callable[[Any], M], located: Iterable[Located]) -> M:
    """In a wrap model validator: validate ``data`` with ``handler`` and raise its problems and ``located``
    (problems between props, found on the raw values) together, so one call reports every problem at once."""
    located = list(located)
    try:
        props = handler(data)
    except ValidationError as exc:
        raise_at(located, besides=exc)
        raise
    raise_at(located)
    return props

_FIXES = {
    "missing": "pass it",
    "extra_forbidden": "remove it, or check its spelling",
    "int_type": "pass a whole number",
    "int_parsing": "pass a whole number",
    "int_from_float": "pass a whole number",
    "string_type": "pass a string",
    "bool_type": "pass True or False",
    "bool_parsing": "pass True or False",
    "enum": "pass one of the listed values",
    "greater_than_equal": "raise it",
    "less_than_equal": "lower it",
    "greater_than": "raise it",
    "less_than": "lower it",
    "list_type": "pass a list",
    "tuple_type": "pass a list, even for one item",  # list props are tuples in the models
    "dict_type": "pass a dict",
    "is_instance_of": "pass the construct or value of the named type",
}


def _field(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(props)"


def check_props(model: type[M], path: str | Callable[[], str], values: Mapping[str, Any], *,
                context: Any = None, tf_type: str | None = None) -> M:
    """Validate ``values`` with ``model``; every problem found is raised at once as a ConfigError.

    ``path`` may be a function returning it, called only when there is a problem: reading a construct's path
    costs jsii round trips, which add up over many constructs. ``context`` reaches the validators as
    ``info.context``: what they check the values against without it being a prop (the construct the values
    are for, and through it the graph). ``tf_type`` is the Terraform type every problem names.
    """
    try:
        return model.model_validate(values, context=context)
    except ValidationError as exc:
        where = path() if callable(path) else path
        secrets: frozenset[str] = getattr(model, "_SECRETS", frozenset())
        problems = []
        for err in exc.errors():
            field = _field(tuple(err["loc"]))
            if err["type"] == "value_error":
                error = err["ctx"]["error"] if "ctx" in err else err["msg"]
                problems.append(dataclasses.replace(problem(where, field, error), type=tf_type))
                continue
            if err["type"] == "missing":
                shown = ""
            elif err["loc"] and err["loc"][0] in secrets:
                shown = " (value hidden)"
            else:
                shown = f", got {err.get('input')!r}"[:80]
            if err["type"] == "dataclass_type":  # a value class (QDevice, SshAccess...) given as something else
                fix = f"pass {err['ctx']['class_name']}(...)"
            else:
                fix = _FIXES.get(err["type"], "see the construct's documentation")
            problems.append(Problem(where, field, err["msg"][0].lower() + err["msg"][1:] + shown, fix, tf_type))
        raise ConfigError(problems) from None


def schedule_value(value: object, example: str) -> object:
    """Check a ``schedule`` prop (of a backup or replication job): a calendar event, or a token, which PVE
    checks when it is applied. Returns the value; raises ValueError as
    :func:`pvecdk._calendar.check_calendar_event` does."""
    if not isinstance(value, str):
        raise Fault(f"{value!r} is not a calendar event", f"give a string such as {example}")
    if not _cdk.is_unresolved(value):
        _calendar.check_calendar_event(value)
    return value
