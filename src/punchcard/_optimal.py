"""``line_order = "optimal"``: the assignment of credits to line units that covers the most.

Each line wants ``units`` credits; each eligible component offers its credits; an edge joins them
when every rule passes, worth the minor units one credit takes off that line. The min-cost-flow
solver of :mod:`punchcard._flow` maximises the amount covered, then the units covered, then
prefers the usual credit order (own item, priority, the package order, id) and the listing order
of the lines. Counts move in bulk: nothing here loops over units or credits.

The engine gives it plain data (which candidates may pay which line, in credit order, for how
much) and gets plain data back.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._flow import max_value_assignment

__all__ = ["allocate_optimal"]

#: For one line, the candidates that may pay it, in credit order: (slot, minor units per credit).
Offers = Sequence[tuple[int, int]]


def allocate_optimal(
    units: Sequence[int],
    order: Sequence[int],
    offers: Sequence[Offers],
    capacities: Sequence[int],
) -> list[tuple[int, int, int, int]]:
    """The optimal allocation as ``(line, slot, credits, minor units per credit)`` rows, listed
    by line in *order*, then in credit order. *offers[i]* are line *i*'s offers; *capacities*
    the credits each slot may give."""
    n_lines = len(units)
    edges: list[tuple[int, int, int, int]] = []
    for position, li in enumerate(order):
        for credit_rank, (slot, per_credit) in enumerate(offers[li]):
            # Prefer the usual credit order first, then the line order, on equal value/units.
            edges.append((li, slot, per_credit, credit_rank * n_lines + position))
    flows = max_value_assignment(list(units), list(capacities), edges)
    allocations: list[tuple[int, int, int, int]] = []
    for li in order:
        for slot, per_credit in offers[li]:
            count = flows.get((li, slot), 0)
            if count:
                allocations.append((li, slot, count, per_credit))
    return allocations
