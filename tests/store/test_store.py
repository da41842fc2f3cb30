"""The store, on SQLite and PostgreSQL: every operation through one commit path.

- every operation is committed with its events in the ledger and the packages' state in the
  projection, and the projection is what the ledger replays to;
- an idempotency key answers a retry with the first outcome (read from the database) and applies
  nothing again; the same key for another request is refused and writes nothing;
- a refused operation writes nothing, its key included;
- only the request owner's packages and redemptions are read or written;
- with the host's Connection, punchcard's rows commit and roll back with the host's;
- driver errors arrive as store errors, conflicts are retried and then reported;
- ledger positions follow the order of the commits.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from databases import (
    ADMIN,
    BUNDLE,
    DATABASES,
    MONTHLY,
    NY,
    PASS10,
    WELCOME,
    Database,
    at,
    cart,
    open_database,
    rows,
    snapshot,
    usd,
)

import punchcard.store._store as store_module
from punchcard import Cart, Line
from punchcard.lifecycle import (
    LedgerState,
    OperationRefused,
    Outcome,
    PackagePurchased,
    RedemptionRecorded,
    RedemptionUsed,
)
from punchcard.store import (
    Conflict,
    IdempotencyKeyReused,
    OwnerMismatch,
    Receipt,
    Request,
    Store,
    StoreError,
    UnknownOperation,
)


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path)


@pytest.fixture
def store(database: Database) -> Iterator[Store]:
    opened = database.store()
    yield opened
    opened.close()


def sell(store: Store, owner: str, package_id: str, ptype: Any = PASS10, when: Any = None) -> None:
    store.sell(
        owner,
        ptype,
        key=f"sale:{package_id}",
        package_id=package_id,
        as_of=when or at(3, 1),
        timezone=NY,
    )


def left(store: Store, owner: str, package_id: str, item: str = "daycare_full") -> int:
    return store.state(owner).package(package_id).remaining(item)


# -- the commit path, operation by operation -------------------------------------------------------


def test_a_checkout_is_committed_once_and_a_retry_gets_the_stored_outcome(
    database: Database, store: Store
) -> None:
    sell(store, "smith", "p1")
    ticket = cart("smith", ("l1", "daycare_full", 2))
    first = store.checkout(ticket, key="T-1", booking="T-1", as_of=at(3, 2, 17), timezone=NY)
    assert (first.replayed, first.attempts, first.operation, first.owner) == (
        False,
        1,
        "checkout",
        "smith",
    )
    assert first.charges is not None
    assert (first.charges.covered, first.charges.due) == (usd("60"), usd("0"))
    assert [(c.line_id, c.credits) for c in first.charges.lines] == [("l1", 2)]
    assert [type(e) for e in first.events] == [RedemptionRecorded]
    assert left(store, "smith", "p1") == 8
    after = snapshot(database)

    again = store.checkout(ticket, key="T-1", booking="T-1", as_of=at(3, 2, 17), timezone=NY)
    # The first outcome, read back from the database: the same events (in the same zone), the
    # same charges, the same ledger positions; and nothing was written.
    assert again.replayed
    assert again.outcome is None
    assert (again.events, again.positions, again.charges) == (
        first.events,
        first.positions,
        first.charges,
    )
    assert [e.at.tzinfo for e in again.events] == [e.at.tzinfo for e in first.events]
    assert snapshot(database) == after
    assert store.receipt("T-1") == attrs.evolve(again, attempts=1)
    with pytest.raises(UnknownOperation, match="'T-2'"):
        store.receipt("T-2")


def test_every_operation_commits_its_events_and_the_projection_is_the_ledger_replayed(
    database: Database, store: Store
) -> None:
    steps: list[tuple[str, Callable[[], Receipt]]] = [
        (
            "sell p1",
            lambda: store.sell("smith", PASS10, **k("s1", 3, 1), timezone=NY, package_id="p1"),
        ),
        (
            "sell p2",
            lambda: store.sell("smith", BUNDLE, **k("s2", 3, 1), timezone=NY, package_id="p2"),
        ),
        (
            "sell p3",
            lambda: store.sell("smith", MONTHLY, **k("s3", 3, 1), timezone=NY, package_id="p3"),
        ),
        (
            "sell w",
            lambda: store.sell("smith", WELCOME, **k("s4", 3, 1), timezone=NY, package_id="w"),
        ),
        (
            "hold",
            lambda: store.hold(
                cart("smith", ("l1", "daycare_full", 1)),
                key="h1",
                booking="appt-1",
                as_of=at(3, 2),
                scheduled_for=at(3, 5),
                timezone=NY,
            ),
        ),
        ("use", lambda: store.use("smith", "appt-1", key="u1", as_of=at(3, 5, 18))),
        (
            "hold 2",
            lambda: store.hold(
                cart("smith", ("l1", "daycare_full", 2)),
                key="h2",
                booking="appt-2",
                as_of=at(3, 6),
                scheduled_for=at(3, 10),
                timezone=NY,
            ),
        ),
        ("cancel", lambda: store.cancel("smith", "appt-2", key="c1", as_of=at(3, 7))),
        (
            "checkout",
            lambda: store.checkout(
                cart("smith", ("g", "grooming", 1), ("s", "shampoo", 1)),
                key="t1",
                booking="T-1",
                as_of=at(3, 8),
                timezone=NY,
            ),
        ),
        (
            "assign",
            lambda: store.assign("smith", "p1", "daycare_full", 2, **k("a1", 3, 8), actor=ADMIN),
        ),
        (
            "deduct",
            lambda: store.deduct("smith", "p1", "daycare_full", 1, **k("d1", 3, 8), actor=ADMIN),
        ),
        (
            "edit expiry",
            lambda: store.edit_expiry("smith", "p1", dt.date(2026, 5, 31), **k("e1", 3, 9)),
        ),
        (
            "sell p4",
            lambda: store.sell("smith", PASS10, **k("s5", 3, 9), timezone=NY, package_id="p4"),
        ),
        ("delete", lambda: store.delete("smith", "p4", **k("x1", 3, 9))),
        (
            "sell p6",
            lambda: store.sell("smith", PASS10, **k("s6", 3, 9), timezone=NY, package_id="p6"),
        ),
        ("refund", lambda: store.refund("smith", "p6", **k("r1", 3, 9), actor=ADMIN)),
        (
            "hold 3",
            lambda: store.hold(
                cart("smith", ("l1", "daycare_full", 1)),
                key="h3",
                booking="appt-3",
                as_of=at(3, 10),
                scheduled_for=at(3, 20),
                timezone=NY,
            ),
        ),
        ("renew", lambda: store.renew("smith", **k("n1", 4, 3))),
        ("use due", lambda: store.use_due("smith", **k("ud1", 4, 3))),
        ("expire", lambda: store.expire("smith", **k("ex1", 7, 1))),
        ("sweep", lambda: store.sweep("smith", **k("sw1", 8, 2))),
    ]
    kinds: dict[str, list[str]] = {}
    receipts: dict[str, Receipt] = {}
    for name, step in steps:
        receipt = receipts[name] = step()
        assert not receipt.replayed, name
        kinds[name] = [type(e).__name__ for e in receipt.events]
        # The projection is what the ledger replays to, after every operation.
        assert store.state("smith") == store.replay("smith"), name
        before = snapshot(database)
        retried = step()
        assert retried.replayed, name
        assert (retried.events, retried.positions) == (receipt.events, receipt.positions), name
        assert snapshot(database) == before, name
    assert kinds["use"] == ["RedemptionUsed"]
    # The hold was for 09:00 and the use comes at 18:00: by then the credits were used (their
    # time had passed), which the use records first, as its catch-up; nothing is left to use.
    (used,), (held,) = receipts["use"].events, receipts["hold"].events
    assert isinstance(used, RedemptionUsed)
    assert isinstance(held, RedemptionRecorded)
    assert (used.redemption_id, used.reason, used.at) == (
        held.event_id,
        "time_passed",
        held.scheduled_for,
    )
    assert receipts["use"].outcome is not None
    assert receipts["use"].outcome.caught_up == 1
    assert kinds["cancel"] == ["RedemptionCancelled"]
    assert kinds["checkout"] == ["RedemptionRecorded", "RedemptionRecorded"]
    assert kinds["delete"] == ["PackageDeleted"]
    assert kinds["refund"] == ["PackageRefunded"]
    assert "SubscriptionRenewed" in kinds["renew"]
    assert kinds["use due"] == ["RedemptionUsed"]
    assert kinds["expire"] == ["PackageExpired"]
    assert set(kinds["sweep"]) == {"SubscriptionRenewed"}
    # Positions are one global sequence without gaps, in the order of the commits.
    positions = [p for (p,) in rows(database, "SELECT position FROM punchcard_events ORDER BY 1")]
    assert positions == list(range(1, len(positions) + 1))
    # A once-per-owner type is sold once.
    with pytest.raises(OperationRefused, match="only be purchased once"):
        store.sell("smith", WELCOME, **k("s7", 8, 3), timezone=NY, package_id="w2")


def k(key: str, month: int, day: int) -> dict[str, Any]:
    """The key and the time of an operation."""
    return {"key": key, "as_of": at(month, day)}


def test_a_retried_deduct_deducts_once(store: Store) -> None:
    sell(store, "smith", "p1")
    for _ in range(3):
        store.deduct("smith", "p1", "daycare_full", 1, key="desk-42", as_of=at(3, 2), actor=ADMIN)
    assert left(store, "smith", "p1") == 9
    store.deduct("smith", "p1", "daycare_full", 1, key="desk-43", as_of=at(3, 2), actor=ADMIN)
    assert left(store, "smith", "p1") == 8


def book_two_days(store: Store, booking: str) -> None:
    """Hold two days of line ``day`` for *booking*, at 17:00 on 5 March."""
    two_days = cart("smith", ("day", "daycare_full", 2))
    store.hold(
        two_days, key="h", booking=booking, as_of=at(3, 2), scheduled_for=at(3, 5, 17), timezone=NY
    )


def test_close_ticket_uses_the_holds_and_offers_the_rest_in_one_operation(
    database: Database, store: Store
) -> None:
    sell(store, "smith", "p1")
    sell(store, "smith", "p2", BUNDLE)
    book_two_days(store, "T-1")
    # At pick-up (before the booked time): one more day than booked, a grooming added, and a
    # treat no package pays for.
    ticket = Cart(
        "smith",
        "downtown",
        "USD",
        [
            Line("day", "daycare_full", usd("30"), units=3),
            Line("groom", "grooming", usd("55")),
            Line("treat", "biscuits", usd("4")),
        ],
    )
    closed = store.close_ticket(
        ticket, key="close-T-1", booking="T-1", as_of=at(3, 5, 16), timezone=NY
    )
    assert closed.operation == "close_ticket"
    # One operation, one transaction: the holds used, then the new credits recorded as used.
    assert [
        (type(e).__name__, getattr(e, "reason", None) or getattr(e, "status", None))
        for e in closed.events
    ] == [
        ("RedemptionUsed", "ticket_closed"),
        ("RedemptionRecorded", "used"),
        ("RedemptionRecorded", "used"),
    ]
    assert closed.charges is not None
    assert [(c.line_id, c.credits, c.covered, c.due) for c in closed.charges.lines] == [
        ("day", 3, usd("90"), usd("0")),
        ("groom", 1, usd("55"), usd("0")),
        ("treat", 0, usd("0"), usd("4")),
    ]
    assert (closed.charges.total, closed.charges.covered, closed.charges.due) == (
        usd("149"),
        usd("145"),
        usd("4"),
    )
    p1, p2 = (store.state("smith").package(p) for p in ("p1", "p2"))
    assert (p1.components[0].remaining, p1.components[0].held, p1.components[0].used) == (7, 0, 3)
    assert p2.component("grooming").used == 1
    assert store.state("smith") == store.replay("smith")
    # Sent again (a lost reply): the stored receipt, nothing written.
    before = snapshot(database)
    again = store.close_ticket(
        ticket, key="close-T-1", booking="T-1", as_of=at(3, 5, 16), timezone=NY
    )
    assert again.replayed
    assert (again.events, again.charges) == (closed.events, closed.charges)
    assert snapshot(database) == before
    # Closed again under another key: what the booking's credits cover is never offered again.
    twice = store.close_ticket(
        ticket, key="close-T-1-again", booking="T-1", as_of=at(3, 5, 18), timezone=NY
    )
    assert twice.events == ()
    assert twice.charges == closed.charges
    assert store.state("smith") == store.replay("smith")


def test_a_ticket_whose_holds_are_more_than_its_units_is_refused(
    database: Database, store: Store
) -> None:
    sell(store, "smith", "p1")
    book_two_days(store, "T-1")
    before = snapshot(database)
    with pytest.raises(OperationRefused) as refused:
        store.close_ticket(
            cart("smith", ("day", "daycare_full", 1)),
            key="c",
            booking="T-1",
            as_of=at(3, 5, 16),
            timezone=NY,
        )
    assert refused.value.code == "held_exceeds_units"
    assert snapshot(database) == before


def test_sweep_records_what_catch_up_says_for_the_owner_and_sweep_all_for_everyone(
    database: Database, store: Store
) -> None:
    from punchcard.lifecycle import catch_up

    sell(store, "smith", "p1")  # 60 days: expires on 30 April
    sell(store, "smith", "m", MONTHLY)  # renews on 31 March and 30 April
    sell(store, "jones", "q1")
    for owner in ("smith", "jones"):
        store.hold(
            cart(owner, ("l1", "daycare_full", 1)),
            key=f"h-{owner}",
            booking="appt-1",
            as_of=at(3, 2),
            scheduled_for=at(3, 10),
            timezone=NY,
        )
    expected = catch_up(store.replay("smith"), as_of=at(5, 2), business=store.business)
    swept = store.sweep("smith", key="night-1", as_of=at(5, 2))
    assert swept.events == expected.events
    assert sorted(type(e).__name__ for e in swept.events) == [
        "PackageExpired",
        "RedemptionUsed",
        "SubscriptionRenewed",
        "SubscriptionRenewed",
    ]
    assert swept.outcome is not None
    assert swept.outcome.caught_up == len(swept.events)  # all of it was already true
    assert store.state("smith") == store.replay("smith") == expected.state
    assert store.state("jones").package("q1").components[0].held == 1  # another owner's
    assert store.sweep("smith", key="night-1", as_of=at(5, 2)).replayed
    assert store.sweep("smith", key="night-2", as_of=at(5, 2)).events == ()
    # Every owner, each in a transaction of its own, under keys derived from one: run twice, once.
    night = store.sweep_all(key="night-3", as_of=at(5, 3))
    assert [(r.owner, [type(e).__name__ for e in r.events]) for r in night] == [
        ("jones", ["RedemptionUsed", "PackageExpired"]),
        ("smith", []),
    ]
    assert all(r.replayed for r in store.sweep_all(key="night-3", as_of=at(5, 3)))
    assert store.state("jones") == store.replay("jones")


def test_a_once_per_owner_type_counts_packages_deleted_or_refunded(store: Store) -> None:
    # The rule reads every package of the owner the store holds, whatever became of it.
    sell(store, "smith", "w1", WELCOME)
    store.delete("smith", "w1", key="x1", as_of=at(3, 2))
    with pytest.raises(OperationRefused) as refused:
        sell(store, "smith", "w2", WELCOME, at(3, 3))
    assert refused.value.code == "once_per_owner"
    sell(store, "jones", "v1", WELCOME)
    store.refund("jones", "v1", key="r1", as_of=at(3, 2), actor=ADMIN)
    with pytest.raises(OperationRefused, match="only be purchased once"):
        sell(store, "jones", "v2", WELCOME, at(3, 3))
    assert [p.status for p in store.state("smith")] + [p.status for p in store.state("jones")] == [
        "deleted",
        "refunded",
    ]


def test_state_as_of_answers_from_the_ledger(store: Store) -> None:
    sell(store, "smith", "p1")
    store.checkout(
        cart("smith", ("l1", "daycare_full", 3)),
        key="T-1",
        booking="T-1",
        as_of=at(3, 5),
        timezone=NY,
    )
    assert store.state_as_of("smith", at(3, 4)).package("p1").remaining("daycare_full") == 10
    assert store.state_as_of("smith", at(3, 5)).package("p1").remaining("daycare_full") == 7
    assert store.owners() == ["smith"]
    assert [type(e) for e in store.events()] == [PackagePurchased, RedemptionRecorded]


# -- idempotency keys ------------------------------------------------------------------------------

TICKET = Cart(
    "smith", "downtown", "USD", [Line("l1", "daycare_full", usd("30"), units=2)], id="T-9"
)


@pytest.mark.parametrize(
    ("what", "other"),
    [
        ("location", attrs.evolve(TICKET, location="beach")),
        ("currency", attrs.evolve(TICKET, currency="EUR", lines=[])),
        ("units", attrs.evolve(TICKET, lines=[attrs.evolve(TICKET.lines[0], units=1)])),
        (
            "charge_by",
            attrs.evolve(TICKET, lines=[attrs.evolve(TICKET.lines[0], charge_by="hour")]),
        ),
        (
            "credit_values",
            attrs.evolve(
                TICKET,
                lines=[attrs.evolve(TICKET.lines[0], credit_values=[("daycare_full", usd("25"))])],
            ),
        ),
        (
            "price",
            attrs.evolve(TICKET, lines=[attrs.evolve(TICKET.lines[0], unit_price=usd("31"))]),
        ),
        ("cart id", attrs.evolve(TICKET, id="T-10")),
    ],
)
def test_the_same_key_for_another_request_is_refused_and_writes_nothing(
    database: Database, store: Store, what: str, other: Cart
) -> None:
    sell(store, "smith", "p1")
    first = store.hold(TICKET, key="k", booking="B-1", as_of=at(3, 2), timezone=NY)
    assert first.events
    before = snapshot(database)
    with pytest.raises(IdempotencyKeyReused, match="'k' was used for another request"):
        store.hold(other, key="k", booking="B-1", as_of=at(3, 2), timezone=NY)
    assert snapshot(database) == before, what


def test_the_same_key_for_another_operation_owner_or_time_is_refused(
    database: Database, store: Store
) -> None:
    sell(store, "smith", "p1")
    sell(store, "jones", "q1")
    store.hold(TICKET, key="k", booking="B-1", as_of=at(3, 2), timezone=NY)
    before = snapshot(database)
    attempts: list[Callable[[], Receipt]] = [
        lambda: store.checkout(TICKET, key="k", booking="B-1", as_of=at(3, 2), timezone=NY),
        lambda: store.hold(
            attrs.evolve(TICKET, owner="jones"), key="k", booking="B-1", as_of=at(3, 2), timezone=NY
        ),
        lambda: store.hold(TICKET, key="k", booking="B-2", as_of=at(3, 2), timezone=NY),
        lambda: store.hold(TICKET, key="k", booking="B-1", as_of=at(3, 2, 9, 1), timezone=NY),
        lambda: store.hold(
            TICKET, key="k", booking="B-1", as_of=at(3, 2), timezone="America/Chicago"
        ),
        lambda: store.cancel("smith", "B-1", key="k", as_of=at(3, 3)),
    ]
    for attempt in attempts:
        with pytest.raises(IdempotencyKeyReused):
            attempt()
    assert snapshot(database) == before


def test_the_business_settings_are_part_of_the_request(database: Database) -> None:
    from punchcard import Settings
    from punchcard.store import Business

    plain = database.store()
    generous = database.store(business=Business(settings=Settings(refund_after_use=True)))
    sell(plain, "smith", "p1")
    plain.hold(TICKET, key="k", booking="B-1", as_of=at(3, 2), timezone=NY)
    with pytest.raises(IdempotencyKeyReused):
        generous.hold(TICKET, key="k", booking="B-1", as_of=at(3, 2), timezone=NY)
    plain.close()
    generous.close()


def test_a_refused_operation_writes_nothing_not_even_its_key(
    database: Database, store: Store
) -> None:
    sell(store, "smith", "p1")
    before = snapshot(database)
    with pytest.raises(OperationRefused) as refused:
        store.deduct("smith", "p1", "daycare_full", 11, key="d", as_of=at(3, 2), actor=ADMIN)
    assert refused.value.code == "insufficient_credits"
    assert snapshot(database) == before
    with pytest.raises(UnknownOperation):
        store.receipt("d")


def test_bad_input_is_refused_before_anything_is_written(database: Database, store: Store) -> None:
    from punchcard.errors import InvalidValueError

    sell(store, "smith", "p1")
    before = snapshot(database)
    with pytest.raises(InvalidValueError, match="key"):
        store.use("smith", "b", key="", as_of=at(3, 2))
    with pytest.raises(InvalidValueError, match="booking: must not contain NUL"):
        store.use("smith", "b\x00", key="k", as_of=at(3, 2))
    with pytest.raises(InvalidValueError, match="key: must be valid Unicode"):
        store.use("smith", "b", key="k\ud800", as_of=at(3, 2))
    # the owner and the time are checked before the first SQL statement (a None owner was a
    # database NOT NULL error), whatever the operation
    from punchcard.errors import InvalidTypeError

    for owner in (None, 5, ""):
        with pytest.raises((InvalidTypeError, InvalidValueError), match=r"^owner: "):
            store.cancel(owner, "b", key="k", as_of=at(3, 2))  # type: ignore[arg-type]
        with pytest.raises((InvalidTypeError, InvalidValueError), match=r"^owner: "):
            sell(store, owner, "p9")  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match=r"^as_of: "):
        store.cancel("smith", "no-such-booking", key="k", as_of=None)  # type: ignore[arg-type]
    assert snapshot(database) == before


# -- owners ---------------------------------------------------------------------------------------


def test_only_the_request_owners_redemptions_and_packages_are_touched(
    database: Database, store: Store
) -> None:
    sell(store, "smith", "p1")
    sell(store, "jones", "q1")
    for owner in ("smith", "jones"):
        store.hold(
            cart(owner, ("l1", "daycare_full", 1)),
            key=f"hold:{owner}",
            booking="appt-1",  # the same booking id in two families
            as_of=at(3, 2),
            scheduled_for=at(3, 9),
            timezone=NY,
        )
    cancelled = store.cancel("jones", "appt-1", key="c", as_of=at(3, 3))
    assert {e.package_id for e in cancelled.events} == {"q1"}
    assert store.state("smith").package("p1").components[0].held == 1
    assert store.state("jones").package("q1").components[0].held == 0

    before = snapshot(database)
    with pytest.raises(OwnerMismatch, match="package 'p1' is not a package of 'jones'") as caught:
        store.refund("jones", "p1", key="r", as_of=at(3, 4), actor=ADMIN)
    assert caught.value.stored_owner == "smith"
    with pytest.raises(OwnerMismatch):
        store.deduct("jones", "p1", "daycare_full", 1, key="d", as_of=at(3, 4), actor=ADMIN)
    with pytest.raises(OwnerMismatch):  # selling a new package under another family's id
        store.sell("jones", PASS10, key="s", package_id="p1", as_of=at(3, 4), timezone=NY)
    assert snapshot(database) == before


# -- the host's transaction -----------------------------------------------------------------------


@pytest.fixture
def host_engine(database: Database) -> Iterator[sa.Engine]:
    engine = database.engine()
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE tickets (id TEXT PRIMARY KEY, total TEXT NOT NULL)")
    yield engine
    engine.dispose()


def test_with_the_hosts_connection_ticket_and_credits_commit_together(
    database: Database, host_engine: sa.Engine
) -> None:
    with Store(host_engine) as setup:
        sell(setup, "smith", "p1")
    with host_engine.connect() as conn:
        conn.exec_driver_sql("INSERT INTO tickets VALUES ('T-1', '60.00')")
        receipt = Store(conn).checkout(
            cart("smith", ("l1", "daycare_full", 2)),
            key="T-1",
            booking="T-1",
            as_of=at(3, 2),
            timezone=NY,
        )
        assert receipt.events
        conn.commit()
    assert rows(database, "SELECT id FROM tickets") == [("T-1",)]
    with Store(host_engine) as reader:
        assert left(reader, "smith", "p1") == 8
        assert reader.receipt("T-1").replayed


def test_a_host_rollback_leaves_nothing_of_either(
    database: Database, host_engine: sa.Engine
) -> None:
    with Store(host_engine) as setup:
        sell(setup, "smith", "p1")
    before = snapshot(database)
    with host_engine.connect() as conn:
        conn.exec_driver_sql("INSERT INTO tickets VALUES ('T-1', '60.00')")
        store = Store(conn)
        receipt = store.checkout(
            cart("smith", ("l1", "daycare_full", 2)),
            key="T-1",
            booking="T-1",
            as_of=at(3, 2),
            timezone=NY,
        )
        # Inside the host's transaction the credits are spent...
        assert left(store, "smith", "p1") == 8
        assert receipt.events
        conn.rollback()  # ...say the payment failed
    assert rows(database, "SELECT id FROM tickets") == []
    assert snapshot(database) == before
    with Store(host_engine) as again:
        # The key was not kept either: the ticket goes through when it is sent again.
        assert not again.checkout(
            cart("smith", ("l1", "daycare_full", 2)),
            key="T-1",
            booking="T-1",
            as_of=at(3, 2),
            timezone=NY,
        ).replayed
        assert left(again, "smith", "p1") == 8


def test_a_refusal_inside_the_hosts_transaction_leaves_the_host_rows_alone(
    database: Database, host_engine: sa.Engine
) -> None:
    with Store(host_engine) as setup:
        sell(setup, "smith", "p1")
    with host_engine.connect() as conn:
        conn.exec_driver_sql("INSERT INTO tickets VALUES ('T-1', '60.00')")
        with pytest.raises(OperationRefused):
            Store(conn).deduct(
                "smith", "p1", "daycare_full", 99, key="d", as_of=at(3, 2), actor=ADMIN
            )
        conn.commit()
    assert rows(database, "SELECT id FROM tickets") == [("T-1",)]


# -- errors of the database -----------------------------------------------------------------------


def test_driver_errors_arrive_as_store_errors_with_the_cause(tmp_path: Path) -> None:
    missing = Store(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    with pytest.raises(StoreError, match="the database failed") as caught:
        missing.state("smith")
    assert isinstance(caught.value.__cause__, sa.exc.DBAPIError)
    assert not isinstance(caught.value, OSError)
    no_tables = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(StoreError) as caught:
        sell(no_tables, "smith", "p1")
    assert isinstance(caught.value.__cause__, sa.exc.OperationalError)
    missing.close()
    no_tables.close()


def test_a_lock_held_elsewhere_is_retried_then_a_conflict(database: Database) -> None:
    store = database.store(retries=2, lock_timeout=0.05)
    sell(store, "smith", "p1")
    engine = database.engine()
    with engine.connect() as blocker:
        if database.name == "sqlite":
            raw: Any = blocker.connection.dbapi_connection
            raw.execute("BEGIN IMMEDIATE")  # the write lock of the whole file
        else:
            blocker.exec_driver_sql(
                "SELECT owner FROM punchcard_owners WHERE owner = 'smith' FOR UPDATE"
            )
        with pytest.raises(Conflict, match="3 times") as caught:
            store.deduct("smith", "p1", "daycare_full", 1, key="d", as_of=at(3, 2), actor=ADMIN)
        assert caught.value.attempts == 3
        assert isinstance(caught.value.__cause__, sa.exc.OperationalError)
        blocker.rollback()
    # Once the lock is gone, the same request goes through, once.
    assert (
        store.deduct(
            "smith", "p1", "daycare_full", 1, key="d", as_of=at(3, 2), actor=ADMIN
        ).attempts
        == 1
    )
    assert left(store, "smith", "p1") == 9
    engine.dispose()
    store.close()


def test_sqlite_errors_are_classified_by_code() -> None:
    store = Store("sqlite://")
    busy = sqlite3.OperationalError("database is locked")
    busy.sqlite_errorcode = 5  # type: ignore[attr-defined]
    other = sqlite3.OperationalError("disk I/O error")
    other.sqlite_errorcode = 10  # type: ignore[attr-defined]
    assert store._retryable(sa.exc.OperationalError("x", None, busy))
    assert not store._retryable(sa.exc.OperationalError("x", None, other))


# -- ledger order = commit order ------------------------------------------------------------------


def test_a_later_commit_never_gets_an_earlier_position(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = database.store(), database.store()
    inside, release = threading.Event(), threading.Event()
    project = store_module.project

    def slow_project(*args: Any) -> None:
        project(*args)
        if threading.current_thread().name == "a":
            inside.set()  # positions taken, not committed yet
            assert release.wait(timeout=30)

    monkeypatch.setattr(store_module, "project", slow_project)
    results: dict[str, Receipt] = {}
    done: dict[str, float] = {}

    def run(name: str, store: Store, owner: str) -> None:
        results[name] = store.sell(
            owner, PASS10, key=f"sale:{owner}", package_id=owner, as_of=at(3, 1), timezone=NY
        )
        done[name] = time.monotonic()

    a = threading.Thread(target=run, args=("a", first, "alice"), name="a")
    a.start()
    assert inside.wait(timeout=30)
    b = threading.Thread(target=run, args=("b", second, "bob"), name="b")  # another owner
    b.start()
    time.sleep(0.5)
    assert "b" not in done  # it waits for the ledger head (PostgreSQL) or the file (SQLite)
    release.set()
    a.join(timeout=30)
    b.join(timeout=30)
    # (No check of which thread returned first: once a commits, b may be scheduled before a's
    # thread gets the GIL back. The positions are the commit order.)
    assert not a.is_alive()
    assert not b.is_alive()
    assert results["a"].positions == (1,)
    assert results["b"].positions == (2,)
    first.close()
    second.close()


def test_a_store_refuses_what_it_cannot_work_with(tmp_path: Path) -> None:
    from punchcard.errors import InvalidTypeError, InvalidValueError

    with pytest.raises(InvalidTypeError, match="target"):
        Store(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="retries"):
        Store("sqlite://", retries=-1)
    with pytest.raises(InvalidValueError, match="lock_timeout"):
        Store("sqlite://", lock_timeout=0)
    other = sa.create_engine("sqlite://")
    other.dialect.name = "oracle"  # (no other driver is installed here)
    with pytest.raises(InvalidValueError, match="SQLite or PostgreSQL"):
        Store(other)
    with pytest.raises(InvalidValueError, match="not a database URL"):
        Store("not a url")


def test_an_operation_loads_the_held_redemptions_and_those_of_its_booking_only(
    store: Store,
) -> None:
    sell(store, "smith", "p1")
    for i in range(5):  # history: five tickets closed
        store.checkout(
            cart("smith", ("l1", "daycare_full", 1)),
            key=f"T-{i}",
            booking=f"T-{i}",
            as_of=at(3, 2 + i),
            timezone=NY,
        )
    store.hold(
        cart("smith", ("l1", "daycare_full", 1)),
        key="A-1",
        booking="A-1",
        as_of=at(3, 8),
        scheduled_for=at(3, 20),
        timezone=NY,
    )
    seen: list[LedgerState] = []

    def look(state: LedgerState) -> Outcome:
        seen.append(state)
        return Outcome(events=(), state=state, caught_up=0)

    store.run(Request("look", "smith", {}, look), key="look-1")
    store.run(Request("look", "smith", {"b": "T-3"}, look, booking="T-3"), key="look-2")
    assert [r.booking for r in seen[0].package("p1").redemptions] == ["A-1"]
    assert [r.booking for r in seen[1].package("p1").redemptions] == ["T-3", "A-1"]
    # The balances do not depend on what was loaded; the full state has the whole history.
    assert seen[0].package("p1").components == store.state("smith").package("p1").components
    assert len(store.state("smith").package("p1").redemptions) == 6
    assert store.receipt("look-1").events == ()


def test_the_state_without_history_has_the_same_balances(store: Store) -> None:
    sell(store, "smith", "p1")
    store.checkout(
        cart("smith", ("l1", "daycare_full", 1)), key="T", booking="T", as_of=at(3, 2), timezone=NY
    )
    light, full = store.state("smith", history=False), store.state("smith")
    assert light.package("p1").components == full.package("p1").components
    assert (len(light.package("p1").redemptions), len(full.package("p1").redemptions)) == (0, 1)


def test_a_postgresql_url_gets_psycopg_3() -> None:
    store = Store("postgresql://someone@localhost/shop")
    engine = store._engine
    assert engine is not None
    assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
    store.close()
