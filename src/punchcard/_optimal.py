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

__all__ = ["allocate_money", "allocate_optimal"]

#: For one line, the candidates that may pay it, in credit order: (slot, minor units per credit).
Offers = Sequence[tuple[int, int]]


def allocate_optimal(
    units: Sequence[int],
    order: Sequence[int],
    offers: Sequence[Offers],
    capacities: Sequence[int],
    debts: Sequence[Offers] = (),
) -> list[tuple[int, int, int, int]]:
    """The optimal allocation as ``(line, supply, credits, minor units per credit)`` rows,
    listed by line in *order*, then in credit order. *offers[i]* are line *i*'s offers;
    *capacities* the credits each supply may give. *debts[i]*, when given, are line *i*'s
    offers of credits below zero (X8): supplies numbered after the others, preferred after every
    credit left (their rank is past every offer's), so debt is drawn only where no credit is."""
    n_lines = len(units)
    edges: list[tuple[int, int, int, int]] = []
    first_debt_rank = max((len(mine) for mine in offers), default=0)
    for position, li in enumerate(order):
        for credit_rank, (slot, per_credit) in enumerate(offers[li]):
            # Prefer the usual credit order first, then the line order, on equal value/units.
            edges.append((li, slot, per_credit, credit_rank * n_lines + position))
        if debts:
            for credit_rank, (slot, per_credit) in enumerate(debts[li], first_debt_rank):
                edges.append((li, slot, per_credit, credit_rank * n_lines + position))
    flows = max_value_assignment(list(units), list(capacities), edges)
    allocations: list[tuple[int, int, int, int]] = []
    for li in order:
        for slot, per_credit in (*offers[li], *(debts[li] if debts else ())):
            count = flows.get((li, slot), 0)
            if count:
                allocations.append((li, slot, count, per_credit))
    return allocations


def allocate_money(
    dues: Sequence[int],
    order: Sequence[int],
    payers: Sequence[Sequence[int]],
    balances: Sequence[int],
) -> list[tuple[int, int, int]]:
    """The most money stored-value balances can pay of the lines' *dues* (minor units), as
    ``(line, payer, amount)`` rows by line in *order*; *payers[i]* are the balances that may pay
    line *i*, in credit order (preferred first on equal amounts)."""
    n_lines = len(dues)
    edges = [
        (li, payer, 1, rank * n_lines + position)
        for position, li in enumerate(order)
        for rank, payer in enumerate(payers[li])
    ]
    flows = max_value_assignment(list(dues), list(balances), edges)
    return [
        (li, payer, flows[(li, payer)])
        for li in order
        for payer in payers[li]
        if flows.get((li, payer), 0)
    ]
