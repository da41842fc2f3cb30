"""Does a store operation cost more when the owner has a long history? (issue 9, item 4)

For an owner with 10 packages, the time of one checkout through :class:`punchcard.store.Store`
(load the owner under the guard, apply, append, update the projection, commit) with 10 past
events, and with 10,000 past events (checkouts of 1 credit and staff top-ups of 1 credit, every
redemption used, so none is held). Target: the long history within 2x of the short one.

    python benchmarks/store_bench.py [--runs N] [--postgres]

Each figure is the median of N checkouts (default 30, after 5 untimed) on a fresh SQLite file (and, with
``--postgres``, on a fresh schema of the server named by ``PUNCHCARD_PG_DSN``). The history is
written through the store's commit path, as one operation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from punchcard import Cart, Line, Money
from punchcard.lifecycle import (
    CreditsAssigned,
    LedgerEvent,
    LedgerState,
    Outcome,
    PackageType,
    RedemptionRecorded,
    TypeComponent,
    ledger_event_id,
    purchase,
    replay,
)
from punchcard.store import Request, Store

NY = "America/New_York"
PACKAGES = 10
PASS = PackageType(
    id="pass",
    name="Daycare 100",
    components=[TypeComponent("daycare_full", 100)],
    price=Money("2500", "USD"),
)
START = dt.datetime(2026, 1, 5, 9)


def history(owner: str, events: int) -> list[LedgerEvent]:
    """*PACKAGES* purchases, then checkouts and top-ups up to *events* events in all."""
    state = LedgerState()
    out: list[LedgerEvent] = []
    for p in range(PACKAGES):
        outcome = purchase(
            state, PASS, package_id=f"{owner}-{p}", owner=owner, as_of=START, timezone=NY
        )
        state = outcome.state
        out.extend(outcome.events)
    seq = dict.fromkeys((f"{owner}-{p}" for p in range(PACKAGES)), 1)
    when = START.replace(tzinfo=state.packages[0].tz)
    k = 0
    while len(out) < events:
        package_id = f"{owner}-{(k // 2) % PACKAGES}"
        when += dt.timedelta(minutes=1)
        seq[package_id] += 1
        if k % 2 == 0:
            out.append(
                RedemptionRecorded(
                    event_id=ledger_event_id(package_id, seq[package_id]),
                    package_id=package_id,
                    seq=seq[package_id],
                    at=when,
                    booking=f"H-{k}",
                    booking_kind="ticket",
                    line_id="l1",
                    item="daycare_full",
                    credits=1,
                    amount=Money("30", "USD"),
                    status="used",
                    scheduled_for=when,
                )
            )
        else:
            out.append(
                CreditsAssigned(
                    event_id=ledger_event_id(package_id, seq[package_id]),
                    package_id=package_id,
                    seq=seq[package_id],
                    at=when,
                    actor="bench",
                    item="daycare_full",
                    credits=1,
                )
            )
        k += 1
    return out


def seeded(url: str, owner: str, events: int) -> Store:
    """A store on *url* whose *owner* has the history of :func:`history`, written as one
    operation through the commit path."""
    store = Store(url)
    store.create_tables()
    past = history(owner, events)

    def write(state: LedgerState) -> Outcome:
        return Outcome(events=tuple(past), state=replay(past, start=state), caught_up=0)

    store.run(Request("import", owner, {"events": len(past)}, write), key=f"import:{owner}")
    return store


def time_checkouts(store: Store, owner: str, runs: int, warm_up: int = 5) -> float:
    """The median seconds of one checkout of 1 credit, after *warm_up* untimed ones (the first
    statements of a connection, and the server's own work after the import, are not counted)."""
    ticket = Cart(owner, "downtown", "USD", [Line("l1", "daycare_full", Money("30", "USD"))])
    times = []
    as_of = dt.datetime(2026, 12, 1, 9)
    for i in range(-warm_up, runs):
        began = time.perf_counter()
        store.checkout(
            ticket,
            key=f"bench-{i}",
            booking=f"bench-{i}",
            as_of=as_of + dt.timedelta(minutes=i),
            timezone=NY,
        )
        if i >= 0:
            times.append(time.perf_counter() - began)
    return statistics.median(times)


def measure(make_url: object, runs: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    for events in (10, 10_000):
        url = make_url()  # type: ignore[operator]
        store = seeded(url, "smith", events)
        past = len(store.events("smith"))
        figures[f"checkout_ms_{events}_events"] = 1000 * time_checkouts(store, "smith", runs)
        figures[f"history_{events}"] = past
        store.close()
    figures["ratio"] = figures["checkout_ms_10000_events"] / figures["checkout_ms_10_events"]
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="punchcard-store-bench-"))
    counter = iter(range(1000))
    results = {"sqlite": measure(lambda: f"sqlite:///{folder / f'{next(counter)}.db'}", args.runs)}
    if args.postgres:
        base = sa.make_url(os.environ["PUNCHCARD_PG_DSN"]).set(drivername="postgresql+psycopg")
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        schemas: list[str] = []

        def pg_url() -> str:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with admin.connect() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            schemas.append(schema)
            url = base.update_query_dict({"options": f"-c search_path={schema}"})
            return url.render_as_string(hide_password=False)

        try:
            results["postgres"] = measure(pg_url, args.runs)
        finally:
            with admin.connect() as conn:
                for schema in schemas:
                    conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()
    for name, f in results.items():
        print(
            f"store_bench {name}: load + checkout, owner with {PACKAGES} packages:"
            f" {f['checkout_ms_10_events']:.2f} ms with {f['history_10']:.0f} past events,"
            f" {f['checkout_ms_10000_events']:.2f} ms with {f['history_10000']:.0f};"
            f" ratio {f['ratio']:.2f} (target <= 2)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
