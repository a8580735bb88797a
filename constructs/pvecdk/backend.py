"""Where the stacks of an app keep their state: one remote backend for all, one state per stack, with locking.

Without a backend a stack keeps ``terraform.tfstate`` in the checkout, so two people applying at once each
write their own copy. ``StateBackend.pg()`` puts every stack's state into one PostgreSQL database (Terraform's
``pg`` backend): each stack gets its own schema, and Terraform locks a stack's state for the length of a plan
or apply (a PostgreSQL advisory lock, held by the run's database session), so a second run of the same stack
stops with "Error acquiring the state lock" while runs of other stacks go ahead. Every run also takes, for an
instant, Terraform's creation lock, which is one for the whole database: runs of two stacks starting together
can collide on it, which the lock timeout ``pvecdk cdktf`` gives Terraform rides out
(:data:`pvecdk.node_cli.DEFAULT_LOCK_TIMEOUT`)::

    app = App()
    platform = PlatformStack(app, "platform")
    TeamStack(app, "team-web", ...)
    StateBackend.pg().apply_to(app)      # every stack of the app, after they are defined
    app.synth()

The connection string is never part of the stack: Terraform reads it from ``PG_CONN_STR``
(``postgres://user:password@host:5432/database``) when it initialises the stack, so the synthesized files
and snapshots hold only the schema name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pvecdk import _cdk
from pvecdk.errors import ConfigError, Problem

__all__ = ["CONN_STR_VARIABLE", "StateBackend"]

#: The environment variable Terraform's ``pg`` backend reads its connection string from.
CONN_STR_VARIABLE = "PG_CONN_STR"

_SCHEMA_PREFIX = re.compile(r"[a-z_][a-z0-9_]*")
_MAX_IDENTIFIER = 63  # PostgreSQL truncates longer identifiers, so two long names could share a schema


class StateBackend:
    """A remote backend for every stack of an app (or of one stack).

    Use :meth:`pg`; then :meth:`apply_to` the app once its stacks are defined.
    """

    def __init__(self, *, schema_prefix: str) -> None:
        """Prefer :meth:`pg`."""
        self._schema_prefix = schema_prefix

    @classmethod
    def pg(cls, *, schema_prefix: str = "pvecdk") -> StateBackend:
        """State in PostgreSQL: stack ``team-web`` in schema ``<schema_prefix>_team_web`` of the database that
        ``PG_CONN_STR`` names.

        Args:
            schema_prefix: What every schema name starts with (lower-case letters, digits, underscores); give
                each infra repo sharing a database its own.

        Returns:
            The backend; nothing is added to any stack until :meth:`apply_to`.
        """
        if not _SCHEMA_PREFIX.fullmatch(schema_prefix) or len(schema_prefix) > _MAX_IDENTIFIER - 2:
            raise ConfigError([Problem("StateBackend", "schema_prefix", f"{schema_prefix!r} is not a schema prefix",
                                       "use lower-case letters, digits and underscores, starting with a letter, "
                                       f"at most {_MAX_IDENTIFIER - 2} characters, such as 'pvecdk'")])
        return cls(schema_prefix=schema_prefix)

    def schema_name(self, stack_name: str) -> str:
        """The PostgreSQL schema that holds the state of the stack named ``stack_name``."""
        return f"{self._schema_prefix}_{re.sub(r'[^a-z0-9_]', '_', stack_name.lower())}"

    def apply_to(self, scope: _cdk.Construct) -> list[str]:
        """Set the backend of every stack in ``scope`` (an app or a stack).

        Call it after the stacks are defined: a stack added later keeps the default local backend.

        Returns:
            The names of the stacks it was set on.

        Raises:
            ConfigError: when ``scope`` holds no stack, a stack already has a backend, or two stacks' names map
                to one schema (or to one longer than PostgreSQL keeps); nothing is changed then.
        """
        stacks = list(_stacks(scope))
        problems: list[Problem] = []
        if not stacks:
            problems.append(Problem(str(scope.node.path) or "app", "scope", "holds no TerraformStack",
                                    "call apply_to(app) after the stacks are defined"))
        schemas: dict[str, str] = {}
        for stack in stacks:
            path = str(stack.node.path)
            schema = self.schema_name(stack.node.id)
            if any(isinstance(child, _cdk.TerraformBackend) for child in stack.node.children):
                problems.append(Problem(path, "backend", "the stack already has a backend",
                                        "leave the backend to StateBackend, or apply it to the other stacks only"))
            if len(schema) > _MAX_IDENTIFIER:
                problems.append(Problem(path, "schema_name", f"{schema!r} is longer than PostgreSQL's "
                                        f"{_MAX_IDENTIFIER} characters", "give the stack a shorter name"))
            elif schema in schemas:
                problems.append(Problem(path, "schema_name", f"{schema!r} is also the schema of {schemas[schema]}",
                                        "give the stacks names that differ in more than case and punctuation"))
            schemas.setdefault(schema, path)
        if problems:
            raise ConfigError(problems)
        for stack in stacks:
            # cdktf requires conn_str; it is removed from the output so that Terraform reads PG_CONN_STR.
            backend = _cdk.PgBackend(stack, conn_str="<from PG_CONN_STR>", schema_name=self.schema_name(stack.node.id))
            backend.add_override("conn_str", None)
        return [stack.node.id for stack in stacks]


def _stacks(scope: _cdk.Construct) -> Iterator[_cdk.TerraformStack]:
    if isinstance(scope, _cdk.TerraformStack):
        yield scope
        return
    for child in scope.node.children:
        if isinstance(child, _cdk.TerraformStack):
            yield child
