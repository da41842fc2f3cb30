"""The sweep over the store's own database (punchcard.store on SQLite, read by SqlLedger) records
what the store's nightly sweep (``Store.sweep_all``, i.e. ``lifecycle.catch_up`` per owner)
records: the same events, with the same ids, for the same packages."""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
from pathlib import Path

from punchcard import Cart, Line, Money
from punchcard.lifecycle import Business
from punchcard.scale import SqlLedger, sweep
from punchcard.scale import _lifecycle as life
from punchcard.scale.backtest import ReplayContext
from punchcard.scale.generate import activity_info
from punchcard.store import Store, upgrade

NY = "America/New_York"
#: The made-up daycare's catalogue: a 30-day pass of 10 days, and a monthly subscription.
CATALOGUE = ReplayContext.of(activity_info()).catalogue
PASS, MONTHLY = CATALOGUE["daycare-10@downtown"], CATALOGUE["monthly-8@downtown"]


def test_the_sweep_of_the_stores_database_is_the_stores_own_sweep(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    owners = ["ann", "bob", "cy", "di"]
    with Store(url, business=Business(timezone=NY)) as store:
        for n, owner in enumerate(owners):
            day = dt.datetime(2026, 3, 1 + n, 10)
            store.sell(owner, PASS, key=f"s1-{owner}", package_id=f"{owner}-1", as_of=day)
            if n % 2:
                store.sell(owner, MONTHLY, key=f"s2-{owner}", package_id=f"{owner}-2", as_of=day)
            line = Line("l1", "daycare_full", Money("30.00", "USD"), beneficiary="rex")
            store.hold(
                Cart(owner, "downtown", "USD", [line]),
                key=f"h-{owner}",
                booking=f"b-{owner}",
                as_of=day + dt.timedelta(hours=1),
                scheduled_for=day + dt.timedelta(days=3),
            )
        tonight = dt.datetime(2026, 5, 2, 6, 0)
        source = SqlLedger(functools.partial(sqlite3.connect, path), split=3)
        night = sweep(source, as_of=tonight, processes=False)
        assert night.rows is not None
        swept = [(r.owner, life.decode(json.loads(r.body))) for r in night.rows.events]
        receipts = store.sweep_all(key="night", as_of=tonight)
    expected = [(r.owner, e) for r in receipts for e in r.events]
    kinds = {type(e).__name__ for _o, e in expected}
    assert {"PackageExpired", "RedemptionUsed", "SubscriptionRenewed"} <= kinds
    key = lambda pair: (pair[0], pair[1].package_id, pair[1].seq)  # noqa: E731
    assert sorted(swept, key=key) == sorted(expected, key=key)
