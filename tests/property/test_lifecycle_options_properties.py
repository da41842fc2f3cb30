"""Properties of the lifecycle options of issue 12: conservation holds through freeze (pause and
its early end), transfer, overdraft settlement and forfeits (late cancellations and no-shows,
of credits and of stored value).

Ledgers are drawn by :func:`punchcard.testing.ledgers`, which runs the lifecycle operations
(transfers, no-shows and cancellations under a drawn late-cancel window among them) from a drawn
catalogue (overdrafts and stored value among its options). For every ledger:

- every component (and stored value) conserves what it was granted
  (:func:`punchcard.testing.assert_ledger_conserved`), and the ledger replays to the state;
- credits only move between packages in pairs: each transfer out has its transfer in, of the
  same item and count, and the ``transferred`` buckets add up to what left;
- the ``forfeited`` buckets (of credits and of stored value) are exactly what the forfeit events
  took;
- a settled debt moves as many credits into the debtor as out of the payer.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from hypothesis import given, settings

from punchcard import Money
from punchcard.lifecycle import (
    BalanceForfeited,
    Catalogue,
    CreditsTransferredIn,
    CreditsTransferredOut,
    DebtSettled,
    LateCancel,
    PackageType,
    RedemptionForfeited,
    TypeComponent,
    replay,
)
from punchcard.testing import Ledger, assert_ledger_conserved, ledgers

# Modest counts: the fast suite has a time budget; CI's profile sets its own.
_FEW = settings(max_examples=25, deadline=None)
_OPERATIONS = ("purchase", "hold", "checkout", "cancel", "no_show", "transfer", "pause", "unpause")
#: Cancelling less than 5 days before the start, or not showing up, forfeits.
_FORFEITS = LateCancel(window=dt.timedelta(days=5), no_show="forfeit")
#: Packages of one item, so that credits can move between them: one that may be overdrawn (X8),
#: one plain, and stored value (X9) for that item.
_CATALOGUE = Catalogue(
    [
        PackageType(
            id="day-5",
            name="5 days, 2 on the tab",
            components=[TypeComponent("daycare_full", 5, overdraft=2)],
            price=Money("125.00", "USD"),
        ),
        PackageType(
            id="day-3",
            name="3 days",
            components=[TypeComponent("daycare_full", 3)],
            price=Money("80.00", "USD"),
        ),
        PackageType(
            id="card",
            name="$100 card",
            price=Money("90.00", "USD"),
            value=Money("100.00", "USD"),
            items=["daycare_full"],
        ),
    ]
)


@_FEW
@given(
    ledger=ledgers(
        catalogue=_CATALOGUE, operations=_OPERATIONS, max_steps=14, late_cancel=_FORFEITS
    )
)
def test_issue12_conservation_through_transfers_forfeits_pauses_and_debts(ledger: Ledger) -> None:
    assert replay(ledger.events) == ledger.state
    assert_ledger_conserved(ledger.state)
    # transfers come in pairs and the buckets add up to what left
    out = Counter(
        (e.package_id, e.to_package, e.item, e.credits)
        for e in ledger.events
        if isinstance(e, CreditsTransferredOut)
    )
    into = Counter(
        (e.from_package, e.package_id, e.item, e.credits)
        for e in ledger.events
        if isinstance(e, CreditsTransferredIn)
    )
    assert out == into
    sent = Counter[tuple[str, str]]()
    for (source, _target, item, credits), n in out.items():
        sent[source, item] += credits * n
    for package in ledger.state:
        for component in package.components:
            assert component.transferred == sent[package.id, component.item]
    # forfeits: the buckets are what the events took, of credits and of money
    forfeited = Counter[tuple[str, str]]()
    money = Counter[str]()
    for e in ledger.events:
        if isinstance(e, RedemptionForfeited):
            forfeited[e.package_id, e.item] += e.credits
        elif isinstance(e, BalanceForfeited):
            money[e.package_id] += e.amount.minor
    for package in ledger.state:
        for component in package.components:
            assert component.forfeited == forfeited[package.id, component.item]
        if package.balance is not None:
            assert package.balance.forfeited.minor == money[package.id]
        # (conservation above: held, used and forfeited are the credits of the redemptions
        # in those states, so a forfeited credit is neither held, used nor restored)
    # a settled debt: as many credits in as out
    settled_in = Counter(
        (e.debtor, e.item, e.credits)
        for e in ledger.events
        if isinstance(e, DebtSettled) and e.package_id == e.debtor
    )
    settled_out = Counter(
        (e.debtor, e.item, e.credits)
        for e in ledger.events
        if isinstance(e, DebtSettled) and e.package_id == e.payer
    )
    assert settled_in == settled_out
