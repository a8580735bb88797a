"""The exceptions pvecdk raises.

::

    PvecdkError                  root: catch this to catch everything pvecdk raises
    └── ConfigError              the model is wrong; .problems lists every problem found

A ``ConfigError`` is raised before anything is written: a construct that fails validation is never added to
the construct tree. Its message is a count line, then one line per problem::

    2 problems in the configuration
      example/nfs (proxmox_storage_nfs): server: missing required argument; pass server=<address of the NFS server>
      example/nfs (proxmox_storage_nfs): content: expected a list of strings, got int 3; pass a list such as ["images"]

Values of sensitive attributes never appear in a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ConfigError", "Problem", "PvecdkError"]


class PvecdkError(Exception):
    """The root of every exception pvecdk raises."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the model.

    Attributes:
        path: The construct path (``stack/construct/...``); the construct's own id for one not yet in the tree.
        field: The attribute or prop, dotted for nested blocks (``backups.keep_daily``, ``disk[1].size``).
        problem: What is wrong, with the value got (never a sensitive value).
        fix: How to fix it.
        type: The Terraform type of the construct (``proxmox_storage_nfs``) when it has one.
    """

    path: str
    field: str
    problem: str
    fix: str
    type: str | None = None

    def __str__(self) -> str:
        where = f"{self.path} ({self.type})" if self.type else self.path
        return f"{where}: {self.field}: {self.problem}; {self.fix}"


class ConfigError(PvecdkError):
    """The model has one or more problems; nothing was written.

    Attributes:
        problems: Every problem found, in the order found.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("ConfigError needs at least one problem")
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the configuration"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))
