"""``line_order = "optimal"``: the assignment of credits to line units that covers the most.

Each line wants ``units`` credits; each eligible component offers its remaining credits; an edge
joins them when every rule passes, worth the minor units one credit takes off that line. The
min-cost-flow solver of :mod:`punchcard._flow` maximises the amount covered, then the units
covered, then prefers the usual credit order (own item, individual, FIFO or earliest expiry, id)
and the policy's line order. Counts move in bulk: nothing here loops over units or credits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._flow import max_value_assignment
from .models import Line
from .rules.ordering import CheapestFirst

#: The largest cart ``optimal`` takes: the flow grows with lines x candidates, and a cart of
#: thousands of competing lines would hold a till for seconds. No real cart comes near it.
MAX_LINES = 1000

if TYPE_CHECKING:
    from .engine import CandidateAllocation, _Plan
    from .rules.base import Candidate


def allocate_optimal(lines: Sequence[Line], plan: _Plan) -> list[CandidateAllocation]:
    """Allocate by min-cost flow; returns allocations in (line order, credit order)."""
    ctx = plan.ctx
    balances = ctx._balances
    key = plan.policy.package_order.key
    order = CheapestFirst().arrange(lines)
    n_lines = len(lines)

    per_line: list[list[tuple[Candidate, int]]] = [[] for _ in lines]
    edges: list[tuple[int, int, int, int]] = []
    for position, li in enumerate(order):
        line = lines[li]
        eligible = plan.eligible(line, balances)
        eligible.sort(key=lambda e: (*key(e[0], line, ctx), e[0].package.id, e[0].index))
        per_line[li] = eligible
        for credit_rank, (candidate, per_credit) in enumerate(eligible):
            # Prefer the usual credit order first, then the line order, on equal value/units.
            edges.append((li, candidate.slot, per_credit, credit_rank * n_lines + position))

    flows = max_value_assignment([line.units for line in lines], list(balances), edges)

    allocations: list[CandidateAllocation] = []
    for li in order:
        for candidate, per_credit in per_line[li]:
            count = flows.get((li, candidate.slot), 0)
            if count:
                balances[candidate.slot] -= count
                allocations.append((li, candidate, count, per_credit))
    return allocations
