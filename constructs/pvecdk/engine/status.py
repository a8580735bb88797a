"""``/cluster/status`` from the first member that answers: the one reading the QDevice and the corosync links
both start from (a node that is down, or not in a cluster, is passed over; a refused login is not)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pvecdk.engine.client import Client
from pvecdk.errors import ApiError, UnreachableError

__all__ = ["StatusAnswer", "first_member_status"]


@dataclass(frozen=True)
class StatusAnswer:
    """What one member said: its name, the ``cluster`` entry and every entry (nodes included)."""

    node: str
    cluster: Mapping[str, Any]
    entries: Sequence[Mapping[str, Any]]

    @property
    def nodes(self) -> list[Mapping[str, Any]]:
        return [e for e in self.entries if e.get("type") == "node"]

    @property
    def quorate(self) -> bool:
        """Whether the ``cluster`` entry says the cluster is quorate (``quorate: 1``)."""
        try:
            return bool(int(self.cluster.get("quorate") or 0))
        except (TypeError, ValueError):
            return False


def first_member_status(client: Client, nodes: Sequence[str]
                        ) -> tuple[StatusAnswer | None, dict[str, UnreachableError | ApiError]]:
    """Ask ``nodes`` in turn for ``/cluster/status``; the first that answers as a cluster member speaks.

    Returns:
        Its answer (None when no node did) and, per node asked before it, the error it gave (a node that
        answered as no member has none).

    Raises:
        ApiError: a 401 or 403: the credentials are wrong for every node alike, so asking on would not help.
    """
    failed: dict[str, UnreachableError | ApiError] = {}
    for node in nodes:
        try:
            entries = client.get(node, "/cluster/status") or []
        except (UnreachableError, ApiError) as exc:
            if isinstance(exc, ApiError) and exc.status in (401, 403):
                raise
            failed[node] = exc
            continue
        cluster = next((e for e in entries if e.get("type") == "cluster"), None)
        if cluster is not None:
            return StatusAnswer(node, cluster, entries), failed
    return None, failed
