"""The reference stores, one suite run against SQLite and PostgreSQL (``punchcard.contrib``).

What a host must get right when it stores an :class:`~punchcard.Application` (issue 5):

- a commit is all or nothing, and only if every balance it read is still there (its guards):
  otherwise :class:`Conflict`, nothing written, and ``checkout`` loads and applies again;
- a retried checkout (same idempotency key) is recognised and answered with the earlier receipt;
- the first use (and the expiry it starts) is recorded once, and a first use recorded meanwhile
  by another till is a conflict too;
- a cancelled checkout gives its credits back exactly once;
- the ledger replays to the balances.

PostgreSQL runs are skipped, with the reason, only when no server can be had (see backends.py).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from backends import (
    BACKENDS,
    NY,
    Backend,
    cart,
    open_backend,
    package,
    postgres_dsn,
    snapshot,
    usd,
)

from punchcard import Component, Guard, Package, apply
from punchcard.contrib import Conflict, SQLStore, UnknownCheckout, replay
from punchcard.errors import InvalidValueError

AT = dt.datetime(2026, 3, 2, 17, 30)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from open_backend(request.param, tmp_path)


@pytest.fixture
def store(backend: Backend) -> Iterator[SQLStore]:
    opened = backend.open()
    yield opened
    opened.close()


@pytest.fixture
def other(backend: Backend) -> Iterator[SQLStore]:
    """A second till: its own connection to the same database."""
    opened = backend.open()
    yield opened
    opened.close()


def bundle(**fields: Any) -> Package:
    """Rex's grooming bundle, unused, 180 days from its first use."""
    return package(
        "p2",
        credits={"grooming": 5, "shampoo": 2},
        beneficiary=None,
        days_to_expiration=180,
        expiry_starts="first_use",
        **fields,
    )


def seed(store: SQLStore) -> None:
    store.add_package(package("p1", credits={"daycare_full": 2}))
    store.add_package(bundle())


def integrity_errors(backend: Backend) -> tuple[type[Exception], ...]:
    if backend.name == "sqlite":
        return (sqlite3.IntegrityError,)
    import psycopg

    return (psycopg.errors.IntegrityError,)


# -- schema and loading --------------------------------------------------------------------------


def test_packages_round_trip_with_every_field(store: SQLStore) -> None:
    wide = Package(
        id="p1",
        owner="smith",
        purchased_at=dt.datetime(2026, 1, 5, 10, 0, 0, 250),  # naive: local time, kept naive
        components=[Component("daycare_full", 2), Component("walk", 3)],
        location="downtown",
        beneficiary="rex",
        expires_on=dt.date(2026, 4, 5),
        days_to_expiration=90,
        first_used_at=dt.datetime(2026, 1, 12, 8, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        pricing_rules=True,
    )
    hourly = Package(
        id="p0",
        owner="smith",
        purchased_at=dt.datetime(2026, 2, 1, 9, tzinfo=dt.timezone.utc),
        components=[Component("daycare_hour", 8, hourly=True)],
        expiry_starts="first_use",
        days_to_expiration=30,
    )
    stranger = package("p9", owner="jones")
    for p in (wide, stranger, hourly):
        store.add_package(p)
    store.create_schema()  # again: harmless, nothing is lost
    # The owner's packages only, by id, exactly as they were stored.
    assert store.load_packages("smith") == [hourly, wide]
    assert store.load_packages("jones") == [stranger]
    assert store.load_packages("nobody") == []
    # Every component starts with a ``granted`` entry, so the ledger replays to the balances.
    assert (
        replay(store.ledger())
        == store.balances()
        == {
            ("p0", "daycare_hour"): 8,
            ("p1", "daycare_full"): 2,
            ("p1", "walk"): 3,
            ("p9", "daycare_full"): 2,
        }
    )
    assert [(e.kind, e.item, e.credits) for e in store.ledger("p1")] == [
        ("granted", "daycare_full", 2),
        ("granted", "walk", 3),
    ]


# -- commit ---------------------------------------------------------------------------------------


def test_commit_stores_balances_ledger_first_use_and_checkout(store: SQLStore) -> None:
    seed(store)
    ticket = cart("T-1", ("l1", "daycare_full", 1), ("l2", "grooming", 1), ("l3", "shampoo", 1))
    application = apply(ticket, store.load_packages("smith"), as_of=AT, timezone=NY)
    receipt = store.commit(application)

    assert not receipt.duplicate
    assert receipt.application is application
    assert receipt.key == application.idempotency_key
    assert (receipt.total, receipt.covered, receipt.due) == (usd("90"), usd("90"), usd("0"))
    assert receipt.events == application.events
    assert store.balances() == {
        ("p1", "daycare_full"): 1,
        ("p2", "grooming"): 4,
        ("p2", "shampoo"): 1,
    }
    # One ``redeemed`` ledger row per engine event, with its id, line, amount and checkout.
    redeemed = [e for e in store.ledger() if e.kind == "redeemed"]
    assert [
        (e.event_id, e.package_id, e.item, e.credits, e.line_id, e.amount, e.checkout_key)
        for e in redeemed
    ] == [
        (ev.event_id, ev.package_id, ev.item, ev.credits, ev.line_id, ev.amount, receipt.key)
        for ev in application.events
    ]
    assert replay(store.ledger()) == store.balances()
    # The bundle's first use was recorded and started its 180-day countdown; the new states the
    # engine returned are what the store now loads.
    stored = {p.id: p for p in store.load_packages("smith")}
    assert stored["p2"].first_used_at == application.at
    assert stored["p2"].expires_on == dt.date(2026, 8, 29)
    assert stored["p1"].first_used_at == application.at
    assert list(stored.values()) == list(application.packages)
    # The stored receipt is the same outcome.
    assert store.receipt(receipt.key) == attrs.evolve(receipt, duplicate=True, application=None)


def test_the_same_application_committed_twice_is_stored_once(store: SQLStore) -> None:
    seed(store)
    application = apply(
        cart("T-1", ("l1", "daycare_full", 2)), store.load_packages("smith"), as_of=AT, timezone=NY
    )
    first = store.commit(application)
    after_first = snapshot(store)
    again = store.commit(application)
    assert again.duplicate
    assert again.application is None
    assert (again.key, again.events, again.covered, again.due) == (
        first.key,
        first.events,
        first.covered,
        first.due,
    )
    assert snapshot(store) == after_first
    assert store.balances()[("p1", "daycare_full")] == 0


def test_a_retried_checkout_is_recognised_after_the_balances_moved(
    store: SQLStore, other: SQLStore
) -> None:
    store.add_package(package("p1", credits={"daycare_full": 5}))
    ticket = cart("T-1", ("l1", "daycare_full", 2))
    first = store.checkout(ticket, at=AT, timezone=NY)
    # Another till redeems in between: the retry would now read 3 credits, not 5...
    other.checkout(cart("T-2", ("l1", "daycare_full", 1)), at=AT, timezone=NY)
    before_retry = snapshot(store)
    # ...but it has the same idempotency key (same cart id, owner, time and lines): the earlier
    # outcome comes back and nothing is applied twice.
    retry = store.checkout(ticket, at=AT, timezone=NY)
    assert retry.duplicate
    assert retry.key == first.key
    assert retry.events == first.events
    assert snapshot(store) == before_retry
    assert store.balances() == {("p1", "daycare_full"): 2}
    # The same cart at another time is another checkout.
    later = store.checkout(ticket, at=AT + dt.timedelta(hours=1), timezone=NY)
    assert not later.duplicate
    assert later.key != first.key
    assert store.balances() == {("p1", "daycare_full"): 0}


def test_a_stale_result_is_refused_and_nothing_is_written(store: SQLStore) -> None:
    seed(store)
    packages = store.load_packages("smith")
    front = apply(cart("T-1", ("l1", "daycare_full", 1)), packages, as_of=AT, timezone=NY)
    side = apply(cart("T-2", ("l1", "daycare_full", 2)), packages, as_of=AT, timezone=NY)
    # Each result alone is valid; together they would spend 3 of the 2 credits.
    assert front.covered == usd("30")
    assert side.covered == usd("60")
    store.commit(front)
    after_front = snapshot(store)
    with pytest.raises(Conflict) as caught:
        store.commit(side)
    assert str(caught.value) == "package 'p1' daycare_full: expected 2 credits left, found 1"
    assert caught.value.guard == Guard("p1", "daycare_full", expected=2, new=0)
    assert (caught.value.package_id, caught.value.found) == ("p1", 1)
    # Rolled back as a whole: not even the checkout row, so the key is free for the retry.
    assert snapshot(store) == after_front
    with pytest.raises(UnknownCheckout):
        store.receipt(side.idempotency_key)
    retried = store.commit(
        apply(
            cart("T-2", ("l1", "daycare_full", 2)),
            store.load_packages("smith"),
            as_of=AT,
            timezone=NY,
        )
    )
    assert retried.key == side.idempotency_key
    assert (retried.covered, retried.due) == (usd("30"), usd("30"))
    assert store.balances()[("p1", "daycare_full")] == 0


def test_checkout_applies_again_when_another_till_commits_in_between(
    store: SQLStore, other: SQLStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(store)
    load = store.load_packages
    loads: list[list[Package]] = []

    def load_then_the_other_till_commits(owner: str) -> list[Package]:
        packages = load(owner)
        if not loads:
            other.checkout(cart("T-other", ("o1", "daycare_full", 1)), at=AT, timezone=NY)
        loads.append(packages)
        return packages

    monkeypatch.setattr(store, "load_packages", load_then_the_other_till_commits)
    receipt = store.checkout(cart("T-1", ("l1", "daycare_full", 2)), at=AT, timezone=NY)
    # The first attempt read 2 credits and lost the race; the second read the 1 left.
    assert receipt.attempts == 2
    assert [packages[0].remaining("daycare_full") for packages in loads] == [2, 1]
    assert receipt.credits == 1
    assert (receipt.covered, receipt.due) == (usd("30"), usd("30"))
    assert store.balances()[("p1", "daycare_full")] == 0
    assert replay(store.ledger()) == store.balances()


def test_checkout_gives_up_after_its_retries(
    store: SQLStore, other: SQLStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add_package(package("p1", credits={"daycare_full": 10}))
    load = store.load_packages
    loads = 0

    def load_and_always_lose(owner: str) -> list[Package]:
        nonlocal loads
        packages = load(owner)
        loads += 1
        other.checkout(cart(f"T-other-{loads}", ("o1", "daycare_full", 1)), at=AT, timezone=NY)
        return packages

    monkeypatch.setattr(store, "load_packages", load_and_always_lose)
    ticket = cart("T-1", ("l1", "daycare_full", 1))
    with pytest.raises(Conflict, match="expected 8 credits left, found 7"):
        store.checkout(ticket, at=AT, timezone=NY, retries=2)
    assert loads == 3
    # Only the other till's three checkouts were stored.
    assert store.balances() == {("p1", "daycare_full"): 7}
    with pytest.raises(UnknownCheckout):
        store.receipt(apply(ticket, load("smith"), as_of=AT, timezone=NY).idempotency_key)


def test_a_first_use_recorded_meanwhile_is_a_conflict(store: SQLStore) -> None:
    store.add_package(bundle())
    packages = store.load_packages("smith")
    # Two tills use different components of the unused bundle, five minutes apart.
    a = apply(cart("A", ("l1", "grooming", 1)), packages, as_of=AT, timezone=NY)
    later = AT + dt.timedelta(minutes=5)
    b = apply(cart("B", ("l1", "shampoo", 1)), packages, as_of=later, timezone=NY)
    store.commit(a)
    after_a = snapshot(store)
    # Their balance guards both hold, but B assumed the bundle unused: its countdown is A's.
    with pytest.raises(Conflict, match="package 'p2': first use already recorded") as caught:
        store.commit(b)
    assert caught.value.package_id == "p2"
    assert caught.value.guard is None
    assert snapshot(store) == after_a
    retried = store.checkout(cart("B", ("l1", "shampoo", 1)), at=later, timezone=NY)
    assert retried.credits == 1
    (p2,) = store.load_packages("smith")
    assert p2.first_used_at == a.at
    assert p2.expires_on == dt.date(2026, 8, 29)
    assert store.balances() == {("p2", "grooming"): 4, ("p2", "shampoo"): 1}


def test_a_first_use_at_the_very_same_moment_is_no_conflict(store: SQLStore) -> None:
    store.add_package(bundle())
    packages = store.load_packages("smith")
    a = apply(cart("A", ("l1", "grooming", 1)), packages, as_of=AT, timezone=NY)
    b = apply(cart("B", ("l1", "shampoo", 1)), packages, as_of=AT, timezone=NY)
    store.commit(a)
    assert not store.commit(b).duplicate
    (p2,) = store.load_packages("smith")
    assert p2.first_used_at == a.at
    assert store.balances() == {("p2", "grooming"): 4, ("p2", "shampoo"): 1}


def test_an_application_that_redeems_nothing_is_still_recorded_once(store: SQLStore) -> None:
    store.add_package(package("p1", credits={"boarding": 1}))
    ticket = cart("T-1", ("l1", "daycare_full", 1))
    first = store.checkout(ticket, at=AT, timezone=NY)
    assert (first.credits, first.covered, first.due, first.events) == (0, usd("0"), usd("30"), ())
    assert store.checkout(ticket, at=AT, timezone=NY).duplicate
    assert store.balances() == {("p1", "boarding"): 1}


# -- cancel --------------------------------------------------------------------------------------


def test_a_cancel_processed_twice_restores_once(store: SQLStore) -> None:
    seed(store)
    initial = store.balances()
    receipt = store.checkout(
        cart("T-1", ("l1", "daycare_full", 2), ("l2", "grooming", 1)), at=AT, timezone=NY
    )
    assert receipt.credits == 3
    cancelled = store.cancel(receipt.key, at=AT + dt.timedelta(hours=2))
    assert not cancelled.duplicate
    assert cancelled.credits == 3
    # One restore per redemption, naming it.
    assert sorted(e.restores or "" for e in cancelled.restored) == sorted(
        ev.event_id for ev in receipt.events
    )
    assert store.balances() == initial
    after_cancel = snapshot(store)
    again = store.cancel(receipt.key, at=AT + dt.timedelta(hours=3))
    assert again.duplicate
    assert (again.restored, again.credits) == ((), 0)
    assert snapshot(store) == after_cancel
    assert replay(store.ledger()) == store.balances() == initial
    with pytest.raises(UnknownCheckout, match="no checkout with key 'ck-nope' was stored"):
        store.cancel("ck-nope", at=AT)


def test_decision_a_cancelled_checkout_is_not_applied_again_by_a_retry(store: SQLStore) -> None:
    # The key stays claimed: a retry of the request that was cancelled is still a retry. A new
    # sale of the same cart is a new checkout (a new cart id or time).
    seed(store)
    ticket = cart("T-1", ("l1", "daycare_full", 1))
    receipt = store.checkout(ticket, at=AT, timezone=NY)
    store.cancel(receipt.key, at=AT + dt.timedelta(minutes=1))
    assert store.checkout(ticket, at=AT, timezone=NY).duplicate
    assert store.balances()[("p1", "daycare_full")] == 2


def test_the_schema_itself_refuses_a_second_restore_and_a_negative_balance(
    backend: Backend, store: SQLStore
) -> None:
    seed(store)
    receipt = store.checkout(cart("T-1", ("l1", "daycare_full", 1)), at=AT, timezone=NY)
    (redeemed,) = receipt.events
    store.cancel(receipt.key, at=AT)
    # A host writing its own cancel code cannot restore one redemption twice either.
    with pytest.raises(integrity_errors(backend)), store._transaction():
        store._execute(
            "INSERT INTO punchcard_ledger (event_id, kind, package_id, item, credits, at,"
            " restores) VALUES ('again', 'restored', 'p1', 'daycare_full', 1, 'x', ?)",
            (redeemed.event_id,),
        )
    with pytest.raises(integrity_errors(backend)), store._transaction():
        store._execute("UPDATE punchcard_components SET remaining = -1 WHERE package_id = 'p1'")
    assert store.balances()[("p1", "daycare_full")] == 2


# -- connections ---------------------------------------------------------------------------------


def test_a_store_needs_a_connection_it_can_run_transactions_on(
    backend: Backend, tmp_path: Path
) -> None:
    if backend.name == "sqlite":
        from punchcard.contrib import sqlite

        lite = sqlite3.connect(tmp_path / "x.db")  # the default: implicit transactions
        with pytest.raises(InvalidValueError, match="isolation_level=None"):
            sqlite.Store(lite)
        lite.close()
    else:
        import psycopg

        from punchcard.contrib import postgres

        with (
            psycopg.connect(backend.target) as pg,  # the default: implicit transactions
            pytest.raises(InvalidValueError, match="autocommit"),
        ):
            postgres.Store(pg)


@pytest.fixture
def pg_backend(tmp_path: Path) -> Iterator[Backend]:
    yield from open_backend("postgres", tmp_path)


def test_postgres_serialization_failure_is_a_conflict(
    pg_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under REPEATABLE READ, PostgreSQL reports a row changed since the transaction began as a
    # serialization failure, not as "0 rows updated": the store reports both as a Conflict.
    import psycopg

    from punchcard.contrib import postgres

    store, other = pg_backend.open(), pg_backend.open()
    assert isinstance(store, postgres.Store)
    store.connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    seed(store)
    append = store._append_events

    def append_then_the_other_till_commits(key: str, application: Any) -> None:
        append(key, application)
        other.checkout(cart("T-other", ("o1", "daycare_full", 1)), at=AT, timezone=NY)

    monkeypatch.setattr(store, "_append_events", append_then_the_other_till_commits)
    application = apply(
        cart("T-1", ("l1", "daycare_full", 1)), store.load_packages("smith"), as_of=AT, timezone=NY
    )
    with pytest.raises(Conflict, match="the database refused the transaction") as caught:
        store.commit(application)
    assert isinstance(caught.value.__cause__, psycopg.errors.SerializationFailure)
    assert store.balances()[("p1", "daycare_full")] == 1  # only the other till's credit
    store.close()
    other.close()


def test_postgres_dsn_comes_from_the_environment_or_a_throwaway_cluster() -> None:
    # Not a skip in disguise: when this runs, a server answered (or the test is skipped with the
    # reason, which -ra prints).
    dsn = postgres_dsn()
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT 1").fetchone()
    assert row == (1,)
