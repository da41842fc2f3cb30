"""An operation interrupted half-way leaves the database exactly as it was (SQLite, PostgreSQL).

The commit path writes the events first, then the package states, then the key: an exception
(or the death of the process) between them must leave no events without states, no states without
events, and no key that would answer a retry with an outcome never committed.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from databases import (
    DATABASES,
    NY,
    PASS10,
    Database,
    at,
    cart,
    open_database,
    process_context,
    rows,
    snapshot,
)

import punchcard.store._store as store_module
from punchcard.store import Store


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path)


@pytest.fixture
def store(database: Database) -> Iterator[Store]:
    opened = database.store()
    opened.sell("smith", PASS10, key="s1", package_id="p1", as_of=at(3, 1), timezone=NY)
    opened.hold(
        cart("smith", ("l1", "daycare_full", 2)),
        key="h1",
        booking="A-1",
        as_of=at(3, 1),
        scheduled_for=at(3, 9),
        timezone=NY,
    )
    yield opened
    opened.close()


def cancel(store: Store) -> Any:
    return store.cancel("smith", "A-1", key="c1", as_of=at(3, 2))


def test_an_exception_after_the_events_leaves_the_database_as_before(
    database: Database, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(database)
    inside: dict[str, int] = {}
    project = store_module.project

    def crash(conn: Any, *args: Any) -> None:
        project(conn, *args)
        # Inside the transaction: the event and the new states are written by now.
        inside["events"] = conn.exec_driver_sql("SELECT COUNT(*) FROM punchcard_events").scalar()
        raise RuntimeError("power cut")

    monkeypatch.setattr(store_module, "project", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        cancel(store)
    assert inside["events"] == len(before["punchcard_events"]) + 1
    assert snapshot(database) == before
    # The connection is usable and the key was not kept: the same request now goes through.
    monkeypatch.undo()
    receipt = cancel(store)
    assert not receipt.replayed
    assert store.state("smith").package("p1").components[0].held == 0
    assert store.state("smith") == store.replay("smith")


def die_inside_the_transaction(database: Database, marker: str) -> None:
    """Run in a child process: cancel A-1, but be killed (SIGKILL) inside the transaction, after
    the events and states are written and before the commit. Writes the number of events the
    transaction held then to the file *marker*."""
    store = database.store()
    project = store_module.project

    def die(conn: Any, *args: Any) -> None:
        project(conn, *args)
        count = conn.exec_driver_sql("SELECT COUNT(*) FROM punchcard_events").scalar()
        Path(marker).write_text(str(count))
        os.kill(os.getpid(), signal.SIGKILL)

    store_module.project = die  # (in this child process only)
    cancel(store)
    os._exit(0)  # not reached


@pytest.mark.slow  # a child process
def test_a_process_killed_inside_the_transaction_leaves_the_database_as_before(
    database: Database, store: Store, tmp_path: Path
) -> None:
    before = snapshot(database)
    marker = tmp_path / "events-written"
    child = process_context().Process(
        target=die_inside_the_transaction, args=(database, str(marker))
    )
    child.start()
    child.join(timeout=120)
    assert child.exitcode == -signal.SIGKILL  # it died where it was meant to...
    assert int(marker.read_text()) == len(before["punchcard_events"]) + 1  # ...mid-transaction
    assert snapshot(database) == before
    # Nothing of it is left behind: the retry goes through, once.
    assert not cancel(store).replayed
    assert cancel(store).replayed
    assert rows(database, "SELECT COUNT(*) FROM punchcard_operations WHERE key = 'c1'") == [(1,)]
    assert store.state("smith") == store.replay("smith")
