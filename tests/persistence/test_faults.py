"""A commit interrupted half-way leaves the database exactly as it was (SQLite and PostgreSQL).

The commit writes the checkout row and the ledger events first, then the balances: an exception
(or the death of the process) between the two must not leave events without balances, nor some
balances without the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from backends import (
    BACKENDS,
    NY,
    Backend,
    cart,
    kill_between_events_and_balances,
    open_backend,
    package,
    process_context,
    snapshot,
)

from punchcard import Guard, apply
from punchcard.contrib import SQLStore, replay

AT = dt.datetime(2026, 3, 2, 17, 30)
# Touches two packages: two events, two balances.
TICKET = cart("T-1", ("l1", "daycare_full", 1), ("l2", "grooming", 1))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from open_backend(request.param, tmp_path)


@pytest.fixture
def store(backend: Backend) -> Iterator[SQLStore]:
    opened = backend.open()
    opened.add_package(package("p1", credits={"daycare_full": 2}))
    opened.add_package(package("p2", credits={"grooming": 5}))
    yield opened
    opened.close()


@pytest.fixture
def observer(backend: Backend) -> Iterator[SQLStore]:
    """Another connection: what every other till sees."""
    opened = backend.open()
    yield opened
    opened.close()


def redeemed_rows(store: SQLStore) -> int:
    return len(store._query("SELECT * FROM punchcard_ledger WHERE kind = 'redeemed'"))


def test_an_exception_between_events_and_balances_leaves_the_database_as_before(
    store: SQLStore, observer: SQLStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(observer)
    application = apply(TICKET, store.load_packages("smith"), as_of=AT, timezone=NY)
    inside: dict[str, int] = {}

    def crash(_application: object) -> None:
        # Inside the transaction: the checkout row and both events are written by now.
        inside["events"] = redeemed_rows(store)
        raise RuntimeError("power cut")

    monkeypatch.setattr(store, "_apply_guards", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        store.commit(application)
    assert inside["events"] == len(application.events) == 2
    assert snapshot(observer) == snapshot(store) == before
    # The connection is usable and the key was not claimed: the same commit now goes through.
    monkeypatch.undo()
    assert not store.commit(application).duplicate
    assert store.balances() == {("p1", "daycare_full"): 1, ("p2", "grooming"): 4}


def test_an_exception_after_the_first_balance_leaves_the_database_as_before(
    store: SQLStore, observer: SQLStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(observer)
    application = apply(TICKET, store.load_packages("smith"), as_of=AT, timezone=NY)
    set_remaining = store._set_remaining
    done: list[Guard] = []

    def die_on_the_second(guard: Guard) -> None:
        if done:
            # The first balance really was updated, inside the transaction.
            assert store.balances()[(done[0].package_id, done[0].item)] == done[0].new
            raise RuntimeError("killed half-way")
        set_remaining(guard)
        done.append(guard)

    monkeypatch.setattr(store, "_set_remaining", die_on_the_second)
    with pytest.raises(RuntimeError, match="killed half-way"):
        store.commit(application)
    assert done == [Guard("p1", "daycare_full", expected=2, new=1)]
    assert snapshot(observer) == snapshot(store) == before


def test_a_process_killed_between_events_and_balances_leaves_the_database_as_before(
    backend: Backend, store: SQLStore, tmp_path: Path
) -> None:
    before = snapshot(store)
    marker = tmp_path / "events-written"
    context = process_context()
    child = context.Process(
        target=kill_between_events_and_balances, args=(backend, TICKET, str(marker))
    )
    child.start()
    child.join(timeout=120)
    assert child.exitcode == 3  # it died where it was meant to...
    assert marker.read_text() == "2"  # ...with its two events written, uncommitted
    assert snapshot(store) == before
    # Nothing of it is left behind: the ticket goes through from here, once.
    receipt = store.checkout(TICKET, at=AT, timezone=NY)
    assert (receipt.duplicate, receipt.credits) == (False, 2)
    assert replay(store.ledger()) == store.balances()
