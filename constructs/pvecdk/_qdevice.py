"""The QDevice rule shared by the quorum rules, ``pvecdk_qdevice``'s plan and the engine (none may import another).

PVE sets a QDevice up only on a cluster with an even number of nodes: ``pvecm qdevice setup`` refuses an odd
count unless forced. There the QDevice's algorithm (ffsplit) gives it one vote, which makes the total even: the
cluster survives no more failures than without it, and the QDevice is one more part that can fail. Forced, PVE
switches to the lms algorithm, whose N-1 votes make the QDevice nearly a single point of failure. One function
decides, so a model the policy passes is one the plan and the apply accept.
"""

from __future__ import annotations

__all__ = ["ODD_NODES", "ODD_NODES_FIX", "odd_nodes"]

#: The short name of the rule (a diagnostic's summary).
ODD_NODES = "QDevice on an odd number of nodes"
#: How to satisfy it.
ODD_NODES_FIX = "remove the QDevice or add a node"


def odd_nodes(nodes: int) -> str | None:
    """What is wrong with a QDevice on a cluster of ``nodes`` nodes; None when PVE sets one up there (an even
    count)."""
    if nodes % 2 == 0:
        return None
    return (f"a QDevice on an odd number of nodes ({nodes}): its vote makes the total even, so the cluster survives "
            "no more failures and the QDevice is one more part that can fail; pvecm qdevice setup refuses it "
            "(PVE sets a QDevice up only on an even number of nodes)")
