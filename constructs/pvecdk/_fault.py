"""The error a check raises for a value it refuses: what is wrong and how to fix it, as fields."""

from __future__ import annotations

__all__ = ["Fault"]


class Fault(ValueError):
    """A value refused by a check, with what is wrong and the fix kept apart.

    Props validators raise it (pydantic passes it through as the error of a ``value_error``), and
    :func:`pvecdk._validation.check_props` turns it into a :class:`~pvecdk.errors.Problem` field by field.
    ``str()`` reads ``"what; fix"``, as a message for a person would.
    """

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(f"{what}; {fix}")
        self.what = what
        self.fix = fix
