"""Proof under load, with faults: eight processes run 200 mixed operations each against the same
three owners, in one SQLite file and in one PostgreSQL database, and every operation is sent
twice with the same idempotency key (a lost reply). Workers are killed (SIGKILL) at random
moments by the test, and inside a transaction by themselves (after the events are written,
before the commit); each is restarted and sends its interrupted operation again, same key.

Operations: sell (a once-per-owner welcome day too), hold, checkout, close a ticket (its holds
used and the rest offered to the credits, in one operation), use, cancel, refund, assign, deduct,
delete, and the nightly sweep; every one first records what is already true at its time (the
catch-up: holds whose time passed used, expiries). Bookings are shared by the workers, so that two
of them book, close or cancel the same line of the same appointment at once.

Afterwards, from the database alone: every component keeps its credits (granted = remaining +
held + used + deducted + expired + refunded); nothing is below zero; no key was applied twice;
the ledger replays to the stored projection; no redemption was restored twice; no booking line
holds more credits than its units (those of the last request that redeemed for it); the
once-per-owner type was sold once per owner; ledger
positions have no gap and follow the order of the commits. One line of counts is printed per
database (``store concurrency sqlite: ...``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import os
import random
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from databases import (
    ADMIN,
    DATABASES,
    NY,
    Database,
    open_database,
    process_context,
    rows,
    usd,
)

import punchcard.store._store as store_module
from punchcard import Cart, Line, Settings
from punchcard.lifecycle import (
    OperationRefused,
    PackageType,
    RedemptionCancelled,
    TypeComponent,
    replay,
)
from punchcard.store import Business, Conflict, OwnerMismatch, Receipt, Store
from punchcard.store._codec import event_from_row, loads

pytestmark = pytest.mark.slow

WORKERS = 8
OPERATIONS = 200
OWNERS = ("alice", "bob", "carol")
#: Bookings per owner that the workers share.
BOOKINGS = 30
#: 23:30 local: the short passes expire at 23:59, half an hour (of the business's clock) into the
#: run.
START = dt.datetime(2026, 3, 1, 23, 30)
#: The business's clock runs this many times faster than real time (a run takes 20-60 s).
SPEED = 240
#: Each worker kills itself inside the transaction of these operations (once).
SELF_KILLS = (37, 131)
#: The test kills a running worker at random this many times.
RANDOM_KILLS = 6
BUSINESS = Business(settings=Settings(refund_after_use=True))

BIG = PackageType(
    id="big",
    name="Daycare 400",
    components=[TypeComponent("daycare_full", 400)],
    price=usd("9000"),
    days_to_expiration=90,
)
GROOM = PackageType(
    id="groom",
    name="Grooming 60 + Shampoo 40",
    components=[TypeComponent("grooming", 60), TypeComponent("shampoo", 40)],
    price=usd("3000"),
)
SHORT = PackageType(
    id="short",
    name="Daycare 30, today only",
    components=[TypeComponent("daycare_full", 30)],
    price=usd("500"),
    days_to_expiration=0,
)
SMALL = PackageType(
    id="small",
    name="Daycare 3",
    components=[TypeComponent("daycare_full", 3)],
    price=usd("90"),
)
WELCOME = PackageType(
    id="welcome",
    name="Welcome day",
    components=[TypeComponent("daycare_full", 1)],
    price=usd("0"),
    once_per_owner=True,
)


def initial(store: Store) -> None:
    for owner in OWNERS:
        for ptype in (BIG, GROOM, SHORT):
            store.sell(
                owner,
                ptype,
                key=f"init:{owner}:{ptype.id}",
                package_id=f"{owner}-{ptype.id}",
                as_of=START,
                timezone=NY,
            )


# -- one operation, the same for every incarnation of a worker --------------------------------


KINDS = {
    "hold": 20,
    "checkout": 8,
    "close": 10,
    "use": 5,
    "cancel": 16,
    "refund": 4,
    "assign": 6,
    "deduct": 8,
    "sell": 8,
    "welcome": 3,
    "delete": 4,
    "sweep": 11,
}


def choices(worker: int, i: int) -> tuple[random.Random, str, str]:
    """The random source of operation *i* of *worker* (seeded by both), its kind and owner."""
    rng = random.Random(f"{worker}:{i}")
    kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
    return rng, kind, rng.choice(OWNERS)


def operation(
    store: Store, worker: int, i: int, as_of: dt.datetime
) -> tuple[str, Callable[[], Receipt]]:
    """Operation *i* of *worker* at *as_of*: its kind and a call that sends it (the same request,
    under the same key, every time: every random choice is made here, seeded by (worker, i))."""
    rng, kind, owner = choices(worker, i)
    key = f"w{worker}:{i}"
    booking = f"B{rng.randrange(BOOKINGS)}"
    adjusted = rng.choice([f"{owner}-big", f"{owner}-groom", f"{owner}-short"])
    item = "grooming" if adjusted.endswith("groom") else "daycare_full"
    lines = [Line("day", "daycare_full", usd("30"), units=rng.randint(1, 3))]
    if rng.random() < 0.4:
        lines.append(Line("groom", "grooming", usd("55")))
    ticket = Cart(owner, "downtown", "USD", lines)
    scheduled_for = as_of + dt.timedelta(minutes=rng.randint(1, 40))
    # The last package this worker sold (to its buyer, or now and then to the wrong owner).
    sold = next((j for j in range(i - 1, -1, -1) if choices(worker, j)[1] == "sell"), None)
    recent = "none" if sold is None else f"w{worker}-p{sold}"
    wrong = rng.random() < 0.1
    owner_of_recent = owner if sold is None or wrong else choices(worker, sold)[2]
    calls: dict[str, Callable[[], Receipt]] = {
        "hold": lambda: store.hold(
            ticket,
            key=key,
            booking=booking,
            as_of=as_of,
            scheduled_for=scheduled_for,
            timezone=NY,
        ),
        "checkout": lambda: store.checkout(
            ticket, key=key, booking=f"T-{key}", as_of=as_of, timezone=NY
        ),
        "close": lambda: store.close_ticket(
            ticket, key=key, booking=booking, as_of=as_of, timezone=NY
        ),
        "use": lambda: store.use(owner, booking, key=key, as_of=as_of, reason="completed"),
        "cancel": lambda: store.cancel(owner, booking, key=key, as_of=as_of),
        "refund": lambda: store.refund(owner_of_recent, recent, key=key, as_of=as_of, actor=ADMIN),
        "assign": lambda: store.assign(owner, adjusted, item, 1, key=key, as_of=as_of, actor=ADMIN),
        "deduct": lambda: store.deduct(owner, adjusted, item, 1, key=key, as_of=as_of, actor=ADMIN),
        "sell": lambda: store.sell(
            owner, SMALL, key=key, package_id=f"w{worker}-p{i}", as_of=as_of, timezone=NY
        ),
        "welcome": lambda: store.sell(
            owner, WELCOME, key=key, package_id=f"w{worker}-p{i}", as_of=as_of, timezone=NY
        ),
        "delete": lambda: store.delete(owner_of_recent, recent, key=key, as_of=as_of),
        "sweep": lambda: store.sweep(owner, key=key, as_of=as_of),
    }
    return kind, calls[kind]


def business_time(epoch: float) -> dt.datetime:
    """The business's clock: START at *epoch*, running SPEED times faster than real time (whole
    seconds), so that operations of one owner are in time order as they commit."""
    return START + dt.timedelta(seconds=int((time.monotonic() - epoch) * SPEED))


def worker_main(database: Database, worker: int, resume: int, log: str, epoch: float) -> None:
    """Run in a child process: operations *resume*..OPERATIONS-1, each sent twice; one JSON line
    per send in *log*, ``{"end": i}`` after both. An operation's time is taken when it is first
    begun and written down (``{"begin": i, "as_of": ...}``): a restarted worker sends the
    operation it was killed in again with that time, under the same key."""
    store = database.store(business=BUSINESS, retries=50, lock_timeout=30)
    out = open(log, "a", buffering=1)  # noqa: SIM115 (a line at a time: a kill loses no line)
    begun = {
        r["begin"]: dt.datetime.fromisoformat(r["as_of"])
        for r in map(json.loads, Path(log).read_text().splitlines())
        if "begin" in r
    }
    project = store_module.project
    dying = {"now": False}

    def project_or_die(conn: Any, *args: Any) -> None:
        project(conn, *args)
        if dying["now"]:
            out.write(json.dumps({"dying": True}) + "\n")
            os.kill(os.getpid(), signal.SIGKILL)  # mid-transaction: written, not committed

    store_module.project = project_or_die  # (in this worker process only)
    for i in range(resume, OPERATIONS):
        as_of = begun.get(i)
        if as_of is None:
            as_of = business_time(epoch)
            out.write(json.dumps({"begin": i, "as_of": as_of.isoformat()}) + "\n")
        kind, send = operation(store, worker, i, as_of)
        for attempt in (1, 2):
            dying["now"] = attempt == 1 and i in SELF_KILLS and i != resume
            began = time.monotonic()
            record: dict[str, Any] = {"i": i, "kind": kind, "send": attempt, "t0": began}
            try:
                receipt = send()
            except OperationRefused as refused:
                record["result"] = f"refused:{refused.code}"
            except OwnerMismatch:  # a package this worker sold to another owner
                record["result"] = "refused:owner_mismatch"
            except Conflict:
                record["result"] = "conflict"
            else:
                record["result"] = "replayed" if receipt.replayed else "applied"
                record["positions"] = list(receipt.positions)
                record["attempts"] = receipt.attempts
            record["t1"] = time.monotonic()
            out.write(json.dumps(record) + "\n")
        out.write(json.dumps({"end": i}) + "\n")
    out.close()
    store.close()
    os._exit(0)


def resume_at(log: Path) -> int:
    if not log.exists():
        return 0
    ends = [json.loads(line)["end"] for line in log.read_text().splitlines() if '"end"' in line]
    return max(ends) + 1 if ends else 0


def run_workers(database: Database, logs: Path, rng: random.Random) -> dict[str, int]:
    """Start the workers; kill some at random; restart every killed one where it stopped."""
    context = process_context()
    epoch = time.monotonic()
    running: dict[int, Any] = {}
    counts = Counter[str]()

    def start(worker: int) -> None:
        log = logs / f"w{worker}.jsonl"
        process = context.Process(
            target=worker_main, args=(database, worker, resume_at(log), str(log), epoch)
        )
        process.start()
        running[worker] = process

    for worker in range(WORKERS):
        start(worker)
    deadline = time.monotonic() + 480
    next_kill = time.monotonic() + 2
    while running:
        assert time.monotonic() < deadline, "the workers did not finish in time"
        time.sleep(0.05)
        if counts["random_kills"] < RANDOM_KILLS and time.monotonic() > next_kill:
            victim = rng.choice(sorted(running))
            try:
                os.kill(running[victim].pid, signal.SIGKILL)
            except ProcessLookupError:
                # The victim finished between the choice and the signal: the fork server, its
                # parent, has already reaped it. Not a kill; the loop below sees it ended.
                pass
            else:
                counts["random_kills"] += 1
                next_kill = time.monotonic() + rng.uniform(0.5, 2.0)
        for worker, process in list(running.items()):
            if process.is_alive():
                continue
            process.join()
            del running[worker]
            if process.exitcode == 0:
                continue
            assert process.exitcode == -signal.SIGKILL, f"worker {worker}: {process.exitcode}"
            counts["restarts"] += 1
            start(worker)
    return dict(counts)


# -- the checks, from the database alone ----------------------------------------------------------


def check_database(database: Database) -> dict[str, Any]:
    """Every invariant of the store, read from its tables; returns the counts."""
    events = [
        (position, key, event_from_row(fmt, body))
        for position, key, fmt, body in rows(
            database,
            "SELECT position, operation_key, format, body FROM punchcard_events ORDER BY position",
        )
    ]
    positions = [p for p, _k, _e in events]
    assert positions == list(range(1, len(events) + 1)), "ledger positions have a gap"
    # The whole ledger, in position order, replays (the order is a valid order of the commits).
    everything = replay(e for _p, _k, e in events)
    # Each key applied once: one operation row per key (the primary key), and the events of a key
    # are exactly its recorded positions.
    ops = {
        key: (first, last, loads(request, "request"))
        for key, first, last, request in rows(
            database,
            "SELECT key, first_position, last_position, request FROM punchcard_operations",
        )
    }
    by_key: defaultdict[str, list[int]] = defaultdict(list)
    for position, key, _e in events:
        by_key[key].append(position)
    twice = [
        k for k, ps in by_key.items() if k not in ops or ps != list(range(ops[k][0], ops[k][1] + 1))
    ]
    assert twice == [], f"keys applied twice or without a record: {twice[:5]}"

    components = conserved = below = 0
    for owner in OWNERS:
        with Store(database.url) as store:
            stored = store.state(owner)
        # The projection is the ledger replayed.
        assert stored == replay(e for _p, _k, e in events if e.package_id in stored)
        assert stored.packages == everything.owned_by(owner)
        for package in stored:
            for c in package.components:
                components += 1
                conserved += c.conserved()
                below += min(c.remaining, c.held, c.used, c.deducted, c.expired, c.refunded) < 0
    assert conserved == components
    assert below == 0

    restored = Counter(
        e.redemption_id for _p, _k, e in events if isinstance(e, RedemptionCancelled)
    )
    assert [r for r, n in restored.items() if n > 1] == []

    # No booking line holds more credits than its units: a hold or a checkout redeems only for a
    # line that holds nothing, and closing a ticket only for the units its open credits do not
    # cover (and refuses a line whose credits exceed its units); so the open credits of a line
    # are at most its units in the last request that redeemed for it.
    recorded_by = {e.event_id: (position, key) for position, key, e in events}
    open_lines: defaultdict[tuple[str, str, str], list[tuple[int, str, int]]] = defaultdict(list)
    for package in everything:
        for r in package.redemptions:
            if r.status != "cancelled":
                position, key = recorded_by[r.id]
                open_lines[(package.owner, r.booking, r.line_id)].append((position, key, r.credits))
    over = 0
    for (_owner, _booking, line_id), records in open_lines.items():
        _position, last, _credits = max(records)
        (line,) = [x for x in ops[last][2]["arguments"]["cart"]["lines"] if x["id"] == line_id]
        units = line.get("units", 1)  # the stored request leaves out a field at its default
        over += sum(credits for _p, _k, credits in records) > units
    assert over == 0

    welcome = Counter(p.owner for p in everything if p.type_id == "welcome")
    assert all(n == 1 for n in welcome.values())
    return {
        "events": len(events),
        "packages_expired": sum(1 for p in everything if p.status == "expired"),
        "operations_stored": len(ops),
        "components": components,
        "components_conserved": conserved,
        "components_below_zero": below,
        "keys_applied_twice": len(twice),
        "projection_equals_replay": True,
        "redemptions_restored": len(restored),
        "restored_twice": sum(1 for n in restored.values() if n > 1),
        "booking_lines_open": len(open_lines),
        "lines_redeemed_by_two_requests": sum(
            1 for records in open_lines.values() if len({k for _p, k, _c in records}) > 1
        ),
        "lines_over_units": over,
        "welcome_sold": dict(sorted(welcome.items())),
    }


def check_commit_order(sends: list[dict[str, Any]]) -> int:
    """For every two operations applied one after the other in real time (the first returned
    before the second began), the second's positions are after the first's. Returns the number
    of applied operations with events checked."""
    applied = sorted(
        (s for s in sends if s["result"] == "applied" and s["positions"]), key=lambda s: s["t1"]
    )
    ends = [s["t1"] for s in applied]
    highest: list[int] = []
    for s in applied:
        highest.append(max(highest[-1] if highest else 0, s["positions"][-1]))
    for s in applied:
        before = bisect.bisect_left(ends, s["t0"])
        if before:
            assert highest[before - 1] < s["positions"][0], "a later commit got an earlier position"
    return len(applied)


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path)


def test_eight_processes_two_hundred_operations_each_with_kills(
    database: Database,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    with Store(database.url, business=BUSINESS) as store:
        initial(store)
    logs = tmp_path / "logs"
    logs.mkdir()
    began = time.perf_counter()
    kills = run_workers(database, logs, random.Random(7))
    seconds = time.perf_counter() - began
    sends = [
        json.loads(line)
        for log in sorted(logs.iterdir())
        for line in log.read_text().splitlines()
        if '"send"' in line
    ]
    # Every operation of every worker was finished (both sends), whatever was killed.
    finished = {
        (log.name, json.loads(line)["end"])
        for log in logs.iterdir()
        for line in log.read_text().splitlines()
        if '"end"' in line
    }
    assert len(finished) == WORKERS * OPERATIONS
    results = Counter(s["result"].split(":")[0] for s in sends)
    # A second send of an applied operation is always answered from the database.
    last: dict[tuple[str, int], str] = {}
    for log in sorted(logs.iterdir()):
        for line in log.read_text().splitlines():
            s = json.loads(line)
            if "send" in s:
                if s["send"] == 2 and last.get((log.name, s["i"])) == "applied":
                    assert s["result"] == "replayed", s
                last[(log.name, s["i"])] = s["result"]
    dying = sum(
        1 for log in logs.iterdir() for line in log.read_text().splitlines() if '"dying"' in line
    )
    counts = check_database(database)
    ordered = check_commit_order(sends)
    line = {
        "processes": WORKERS,
        "operations": WORKERS * OPERATIONS,
        "sends": len(sends),
        "applied": results["applied"],
        "tickets_closed": sum(
            1 for s in sends if s["kind"] == "close" and s["result"] == "applied"
        ),
        "replayed": results["replayed"],
        "refused": results["refused"],
        "refusals": dict(
            Counter(
                s["result"][8:] for s in sends if s["result"].startswith("refused:")
            ).most_common()
        ),
        "conflicts": results["conflict"],
        "retried_in_store": sum(s.get("attempts", 1) - 1 for s in sends),
        "random_kills": kills.get("random_kills", 0),
        "killed_inside_a_transaction": dying,
        "restarts_after_kill": kills.get("restarts", 0),
        "commit_order_checked": ordered,
        **counts,
        "seconds": round(seconds, 1),
    }
    for name, value in line.items():
        record_property(name, value)
    # Printed in the terminal summary (tests/conftest.py), from the main process under xdist too.
    text = ", ".join(f"{k}={v}" for k, v in line.items())
    record_property("summary_line", f"store concurrency {database.name}: {text}")
