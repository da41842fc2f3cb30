"""The store with the market options of issue 12 (options 2-10): packages sold with their options,
pauses and their early end, a debt settled by the next purchase, stored value held, used,
cancelled and refunded. Every operation goes through the one commit path: its events in the
ledger, the projection what the ledger replays to, a retry answered with the first outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from databases import DATABASES, NY, PASS10, Database, at, cart, open_database, snapshot, usd

from punchcard import Cart, Line, Settings
from punchcard.lifecycle import (
    DEDUCT_REFUND_CREDITS,
    PAUSE_PACKAGES,
    Actor,
    BalanceCancelled,
    BalanceRedeemed,
    BalanceUsed,
    Business,
    DebtSettled,
    OperationRefused,
    PackagePaused,
    PackageType,
    PauseEnded,
    PermissionDenied,
    TypeComponent,
)
from punchcard.models import Duration
from punchcard.store import Receipt, Store

DESK = Actor("desk", {PAUSE_PACKAGES})
STAFF = Actor("staff", {DEDUCT_REFUND_CREDITS})
#: A $500 card sold for $450, valid six months (options 10 and 5).
CARD = PackageType(
    id="card",
    name="$500 card",
    price=usd("450"),
    value=usd("500"),
    valid_for=Duration("months", 6),
)
#: Two boarding nights, and two more on the tab (option 9).
TAB = PackageType(
    id="tab",
    name="Boarding tab",
    price=usd("90"),
    components=[TypeComponent("boarding", 2, overdraft=2)],
)


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path)


@pytest.fixture
def store(database: Database) -> Iterator[Store]:
    opened = database.store()
    yield opened
    opened.close()


def _committed_once(database: Database, store: Store, step: Callable[[], Receipt]) -> Receipt:
    """Run *step*; check that the projection is the ledger replayed, and that a retry under the
    same key is answered with the first outcome and writes nothing."""
    receipt = step()
    assert not receipt.replayed
    assert store.state("smith") == store.replay("smith")
    before = snapshot(database)
    again = step()
    assert again.replayed
    assert (again.events, again.positions) == (receipt.events, receipt.positions)
    assert snapshot(database) == before
    return receipt


def test_issue12_option8_the_store_pauses_and_unpauses_through_its_commit_path(
    database: Database, store: Store
) -> None:
    store.sell("smith", PASS10, key="s1", package_id="p1", as_of=at(3, 1), timezone=NY)
    paused = _committed_once(
        database,
        store,
        lambda: store.pause(
            "smith",
            "p1",
            dt.date(2026, 3, 10),
            dt.date(2026, 3, 19),
            key="z1",
            as_of=at(3, 2),
            actor=DESK,
            note="vacation",
        ),
    )
    (event,) = paused.events
    assert isinstance(event, PackagePaused)
    assert (event.old, event.new, event.note) == (
        dt.date(2026, 4, 30),
        dt.date(2026, 5, 10),
        "vacation",
    )
    package = store.state("smith").package("p1")
    assert package.expires_on == dt.date(2026, 5, 10)
    # a checkout on a paused date takes nothing: the engine says why
    day = cart("smith", ("l1", "daycare_full", 1))
    refused = store.checkout(day, key="t1", booking="t1", as_of=at(3, 12), timezone=NY)
    assert refused.events == ()
    assert refused.outcome is not None
    assert [r.reason for r in refused.outcome.application.rejections] == ["paused"]  # type: ignore[attr-defined]
    ended = _committed_once(
        database,
        store,
        lambda: store.unpause(
            "smith", "p1", dt.date(2026, 3, 10), key="z2", as_of=at(3, 15), actor=DESK
        ),
    )
    (event,) = ended.events
    assert isinstance(event, PauseEnded)
    assert (event.until, event.new) == (dt.date(2026, 3, 14), dt.date(2026, 5, 5))
    # the permission is checked and a refusal writes nothing, its key included
    before = snapshot(database)
    with pytest.raises(PermissionDenied, match="pause_packages"):
        store.pause(
            "smith", "p1", dt.date(2026, 3, 20), dt.date(2026, 3, 21), key="z3", as_of=at(3, 16)
        )
    with pytest.raises(OperationRefused) as info:
        store.pause(
            "smith",
            "p1",
            dt.date(2026, 3, 12),
            dt.date(2026, 3, 13),
            key="z4",
            as_of=at(3, 16),
            actor=DESK,
        )
    assert info.value.code == "pause_in_past"
    assert snapshot(database) == before


def test_issue12_option9_the_store_settles_a_debt_at_the_next_sale(
    database: Database, store: Store
) -> None:
    store.sell("smith", TAB, key="s1", package_id="tab-1", as_of=at(3, 1), timezone=NY)
    stay = cart("smith", ("n", "boarding", 3))
    store.checkout(stay, key="t1", booking="t1", as_of=at(3, 2), timezone=NY)
    assert store.state("smith").package("tab-1").remaining("boarding") == -1
    sale = _committed_once(
        database,
        store,
        lambda: store.sell("smith", TAB, key="s2", package_id="tab-2", as_of=at(3, 9), timezone=NY),
    )
    settled = [e for e in sale.events if isinstance(e, DebtSettled)]
    assert [(e.package_id, e.debtor, e.payer, e.credits) for e in settled] == [
        ("tab-2", "tab-1", "tab-2", 1),
        ("tab-1", "tab-1", "tab-2", 1),
    ]
    state = store.state("smith")
    assert state.package("tab-1").remaining("boarding") == 0
    assert state.package("tab-2").remaining("boarding") == 1


def test_issue12_option10_the_store_keeps_stored_value_redemptions_and_refunds_a_card(
    database: Database, store: Store
) -> None:
    store.sell("smith", CARD, key="s1", package_id="card", as_of=at(3, 1), timezone=NY)
    bath = Cart("smith", "downtown", "USD", [Line("bath", "bath", usd("25"))])
    held = _committed_once(
        database,
        store,
        lambda: store.hold(
            bath, key="h1", booking="b1", as_of=at(3, 2), scheduled_for=at(3, 5), timezone=NY
        ),
    )
    assert [type(e) for e in held.events] == [BalanceRedeemed]
    # the store loads the held redemption (a stored-value one has no item) and cancels it
    cancelled = _committed_once(
        database, store, lambda: store.cancel("smith", "b1", key="c1", as_of=at(3, 3))
    )
    assert [type(e) for e in cancelled.events] == [BalanceCancelled]
    store.hold(bath, key="h2", booking="b2", as_of=at(3, 3), scheduled_for=at(3, 5), timezone=NY)
    used = _committed_once(
        database, store, lambda: store.use("smith", "b2", key="u1", as_of=at(3, 4))
    )
    assert [type(e) for e in used.events] == [BalanceUsed]
    card = store.state("smith").package("card")
    assert card.balance is not None
    assert (card.balance.remaining, card.balance.used) == (usd("475"), usd("25"))
    # a card partly spent is refunded its paid value left, with refund_after_use: $475 of the
    # $500 sold for $450 pays back $427.50
    lenient = Store(
        database.url, business=Business(timezone=NY, settings=Settings(refund_after_use=True))
    )
    try:
        refunded = lenient.refund("smith", "card", key="r1", as_of=at(3, 6), actor=STAFF)
    finally:
        lenient.close()
    (event,) = refunded.events
    assert (event.amount, event.balance) == (usd("427.50"), usd("475"))  # type: ignore[union-attr]
    assert store.state("smith") == store.replay("smith")


def test_issue12_option10_revision_4_lets_a_redemption_hold_no_credits(tmp_path: Path) -> None:
    from punchcard.store import StoreError, current_revision, downgrade, upgrade

    (database,) = open_database("sqlite", tmp_path, tables=False)
    upgrade(database.url, "0003")
    upgrade(database.url, "0004")
    assert current_revision(database.url) == "0004"
    downgrade(database.url, "0003")  # no stored-value redemption yet: back and up again
    upgrade(database.url, "0004")
    store = database.store()
    try:
        store.sell("smith", CARD, key="s1", package_id="card", as_of=at(3, 1), timezone=NY)
        bath = Cart("smith", "downtown", "USD", [Line("bath", "bath", usd("25"))])
        store.checkout(bath, key="t1", booking="t1", as_of=at(3, 2), timezone=NY)
    finally:
        store.close()
    before = snapshot(database)
    with pytest.raises(StoreError, match="revision 0004 cannot be downgraded"):
        downgrade(database.url, "0003")
    assert current_revision(database.url) == "0004"
    assert snapshot(database) == before
