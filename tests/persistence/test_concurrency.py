"""Proof under load: eight processes check out against the same few packages at once, in one
SQLite file and in one PostgreSQL database, through the reference store.

Afterwards: no component is below zero, the credits redeemed (the ledger's events, and the
receipts the tills got) are exactly the credits that left the balances, the ledger replays to
the balances, and no checkout was applied twice, though every tenth cart was sent by all eight
tills and every seventh twice by its own. Then every checkout of a batch is cancelled by eight
processes at once: each gives its credits back once. The counts are printed.
"""

from __future__ import annotations

import datetime as dt
import queue
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from backends import (
    BACKENDS,
    NY,
    RUSH_START,
    Backend,
    Submitted,
    canceller,
    cart,
    open_backend,
    package,
    process_context,
    rush_packages,
    till,
)

from punchcard.contrib import SQLStore, replay

WORKERS = 8
CHECKOUTS = 200


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from open_backend(request.param, tmp_path)


@pytest.fixture
def store(backend: Backend) -> Iterator[SQLStore]:
    opened = backend.open()
    yield opened
    opened.close()


def run_processes(
    target: Callable[..., None], backend: Backend, work: list[Any], timeout: float = 240
) -> dict[int, list[Any]]:
    """Start one process per item of *work*, release them together, collect what they report."""
    context = process_context()
    start = context.Barrier(len(work))
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(backend, worker, item, start, results))
        for worker, item in enumerate(work)
    ]
    for process in processes:
        process.start()
    collected: dict[int, list[Any]] = {}
    deadline = time.monotonic() + timeout
    try:
        while len(collected) < len(processes):
            try:
                worker, out = results.get(timeout=1)
            except queue.Empty:
                failed = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
                assert not failed, f"a worker process failed: exit codes {failed}"
                assert time.monotonic() < deadline, "the workers did not finish in time"
                continue
            collected[worker] = out
        for process in processes:
            process.join(timeout=60)
            assert process.exitcode == 0
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
    return collected


def report(
    record_property: Callable[[str, object], None],
    capsys: pytest.CaptureFixture[str],
    title: str,
    counts: dict[str, object],
) -> None:
    """Show *counts* in the test output (and in the JUnit XML, as properties)."""
    for name, value in counts.items():
        record_property(name, value)
    with capsys.disabled():
        print(f"\n{title}: " + ", ".join(f"{k}={v}" for k, v in counts.items()), file=sys.stderr)


def test_no_credit_is_spent_twice_by_eight_concurrent_tills(
    backend: Backend,
    store: SQLStore,
    record_property: Callable[[str, object], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    for p in rush_packages():
        store.add_package(p)
    granted = store.balances()
    began = time.perf_counter()
    by_worker = run_processes(till, backend, [CHECKOUTS] * WORKERS)
    seconds = time.perf_counter() - began
    submissions: list[Submitted] = [s for out in by_worker.values() for s in out]
    gave_up = [s for s in submissions if s[2] == 0]
    answered = [s for s in submissions if s[2] > 0]
    applied = [s for s in answered if not s[1]]
    duplicates = [s for s in answered if s[1]]
    balances = store.balances()
    ledger = store.ledger()

    # Every till made its checkouts (and its lost-reply resends), and none gave up: a conflict
    # means another checkout got through, so retrying always gets there.
    assert all(len(out) == CHECKOUTS + len(range(3, CHECKOUTS, 7)) for out in by_worker.values())
    assert gave_up == []
    # Each distinct cart was applied once: the tenth carts are the same on all tills.
    distinct = WORKERS * (CHECKOUTS - len(range(0, CHECKOUTS, 10))) + len(range(0, CHECKOUTS, 10))
    assert len(applied) == distinct
    assert len(duplicates) == len(submissions) - distinct

    # No component below zero, and the rush did reach the bottom of the packages.
    assert min(balances.values()) >= 0
    assert [key for key, left in balances.items() if left == 0]

    # The credits redeemed are exactly the credits that left the balances, per component.
    redeemed: Counter[tuple[str, str]] = Counter()
    for entry in ledger:
        if entry.kind == "redeemed":
            redeemed[(entry.package_id, entry.item)] += entry.credits
    assert {key: granted[key] - balances[key] for key in granted} == {
        key: redeemed[key] for key in granted
    }
    by_receipts = sum(credits for s in applied for *_, credits in s[3])
    left = sum(granted.values()) - sum(balances.values())
    assert sum(redeemed.values()) == left == by_receipts

    # Replaying the stored ledger gives the stored balances.
    assert replay(ledger) == balances

    # No idempotency key was applied twice: one applied answer per key, every other submission
    # of it got that same outcome back, and the stored checkouts are exactly the applied ones.
    applied_per_key = Counter(s[0] for s in applied)
    assert [k for k, n in applied_per_key.items() if n > 1] == []
    outcome = {s[0]: s[3] for s in applied}
    assert all(s[3] == outcome[s[0]] for s in duplicates)
    stored_keys = {
        row[0] for row in store._query("SELECT idempotency_key FROM punchcard_checkouts")
    }
    assert stored_keys == set(applied_per_key)
    events_per_key: defaultdict[str | None, list[tuple[str, str, str, int]]] = defaultdict(list)
    for entry in ledger:
        if entry.kind == "redeemed":
            events_per_key[entry.checkout_key].append(
                (entry.event_id, entry.package_id, entry.item, entry.credits)
            )
    assert {k: tuple(v) for k, v in events_per_key.items()} == {
        k: v for k, v in outcome.items() if v
    }

    report(
        record_property,
        capsys,
        f"concurrency {backend.name}",
        {
            "tills": WORKERS,
            "submitted": len(submissions),
            "applied": len(applied),
            "duplicates_recognised": len(duplicates),
            "conflicts_retried": sum(s[2] - 1 for s in answered),
            "gave_up": len(gave_up),
            "credits_redeemed": sum(redeemed.values()),
            "credits_left_balances": left,
            "keys_applied_twice": sum(1 for n in applied_per_key.values() if n > 1),
            "components_below_zero": sum(1 for n in balances.values() if n < 0),
            "seconds": round(seconds, 1),
        },
    )


def test_a_cancel_processed_by_eight_processes_at_once_restores_once(
    backend: Backend,
    store: SQLStore,
    record_property: Callable[[str, object], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    store.add_package(package("p1", credits={"daycare_full": 100}))
    store.add_package(package("p2", credits={"grooming": 40}))
    granted = store.balances()
    receipts = [
        store.checkout(
            cart(f"T-{i}", ("l1", "daycare_full", 1 + i % 2), ("l2", "grooming", 1)),
            at=RUSH_START + dt.timedelta(minutes=i),
            timezone=NY,
        )
        for i in range(40)
    ]
    keys = [r.key for r in receipts]
    spent = sum(r.credits for r in receipts)
    assert sum(granted.values()) - sum(store.balances().values()) == spent == 100

    by_worker = run_processes(canceller, backend, [keys] * WORKERS)
    answers = [a for out in by_worker.values() for a in out]
    restoring = Counter(key for key, duplicate, _ in answers if not duplicate)
    # Each checkout was cancelled by exactly one of the eight; the seven others were told so.
    assert restoring == Counter(keys)
    assert all(restored == () for _key, duplicate, restored in answers if duplicate)
    # Each redemption was restored once, with its credits.
    restored = [(e.restores, e.credits) for e in store.ledger() if e.kind == "restored"]
    assert sorted(restored) == sorted(
        (ev.event_id, ev.credits) for r in receipts for ev in r.events
    )
    assert store.balances() == granted
    assert replay(store.ledger()) == granted

    report(
        record_property,
        capsys,
        f"cancellations {backend.name}",
        {
            "processes": WORKERS,
            "cancel_requests": len(answers),
            "checkouts_cancelled": len(restoring),
            "duplicates_recognised": len(answers) - len(restoring),
            "credits_restored": sum(c for _r, c in restored),
            "credits_redeemed": spent,
        },
    )
