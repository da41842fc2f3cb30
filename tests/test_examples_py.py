"""The Python examples of examples/ run, print what they claim, and their pieces do what they say.

- ``custom_rule.py``: a host's own rules (no credits on public holidays; grooming credits only for
  lines booked online) and its own package order (closest to running out first), plugged into a
  ``Policy`` without forking punchcard.
- ``host_integration.py``: host rows mapped to punchcard values and stored with the reference
  layer ``punchcard.contrib.sqlite``: two tills cannot spend one credit twice (the guards), a
  retried ticket is recorded once (the idempotency key), a cancellation sent twice restores once.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest

from punchcard import Cart, Component, Line, Money, Package, Policy, Settings, apply
from punchcard.rules import PackageOrder, Rule

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NY = "America/New_York"


def _load(name: str) -> ModuleType:
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"punchcard_example_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


custom = _load("custom_rule")
host = _load("host_integration")


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def package(pid: str, item: str, left: int, **fields: Any) -> Package:
    fields.setdefault("purchased_at", dt.datetime(2026, 1, 5, 10))
    return Package(id=pid, owner="smith", components=[Component(item, left)], **fields)


def cart(*lines: Line) -> Cart:
    return Cart("smith", "downtown", "USD", lines)


# -- custom_rule.py: the script ------------------------------------------------------------------


def _sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if not line.startswith(" "):
            current = sections.setdefault(line, [])
        else:
            current.append(line.strip())
    return sections


def _line(section: list[str], prefix: str) -> str:
    (found,) = [text for text in section if text.startswith(prefix)]
    return found


def test_custom_rule_script_report() -> None:
    report = _sections(_run("custom_rule.py"))
    assert list(report) == [
        "Monday 2 March 2026, Happy Tails policy:",
        "Monday 2 March 2026, default policy:",
        "Memorial Day 2026, Happy Tails policy:",
    ]

    happy = report["Monday 2 March 2026, Happy Tails policy:"]
    # Closest to running out: the pass with 1 credit left, though the other one is older.
    assert _line(happy, "rex-day:") == (
        "rex-day: due $0.00; paid by pass-last (1 x daycare_full, $30.00)"
    )
    assert _line(happy, "rex-groom:").startswith("rex-groom: due $0.00; paid by groom-5 ")
    # Bella's grooming was booked at the desk: the grooming credits refuse it with their own code.
    bella = _line(happy, "bella-groom:")
    assert bella.startswith("bella-groom: due $55.00; not used: groom-5: booked_offline")
    assert _line(happy, "covered") == "covered $85.00, due $55.00"
    assert _line(happy, "credits left") == "credits left: pass-big 8, pass-last 0, groom-5 2"

    default = report["Monday 2 March 2026, default policy:"]
    # FIFO, no extra rule: the older pass, and both groomings paid.
    assert _line(default, "rex-day:").endswith("paid by pass-big (1 x daycare_full, $30.00)")
    assert _line(default, "covered") == "covered $140.00, due $0.00"

    holiday = report["Memorial Day 2026, Happy Tails policy:"]
    for line_id in ("rex-day", "rex-groom", "bella-groom"):
        text = _line(holiday, f"{line_id}:")
        assert "paid by" not in text
        assert text.count("public_holiday") == 3  # every package, whatever its item
    assert _line(holiday, "covered") == "covered $0.00, due $140.00"
    assert _line(holiday, "credits left") == "credits left: pass-big 8, pass-last 1, groom-5 3"


# -- custom_rule.py: the pieces ------------------------------------------------------------------


def test_custom_pieces_satisfy_the_protocols() -> None:
    assert isinstance(custom.NoCreditsOnHolidays(custom.PUBLIC_HOLIDAYS), Rule)
    assert isinstance(custom.online_only({"l1"}, {"grooming"}), Rule)
    assert isinstance(custom.ClosestToRunningOut(), PackageOrder)
    policy = custom.happy_tails_policy({"l1"})
    codes = [rule.code for rule in policy.rules]
    assert codes[5:7] == ["location_mismatch", "public_holiday"]
    assert codes[-2:] == ["booked_offline", "exhausted"]
    assert policy.package_order.name == "closest_to_running_out"


@pytest.mark.parametrize(
    ("at", "holiday"),
    [
        (dt.datetime(2026, 5, 25, 0, 0), True),  # local midnight, Memorial Day
        (dt.datetime(2026, 5, 24, 23, 59), False),
        (dt.datetime(2026, 5, 26, 2, 0, tzinfo=dt.timezone.utc), True),  # 22:00 on the 25th, NY
        (dt.datetime(2026, 5, 25, 3, 59, tzinfo=dt.timezone.utc), False),  # 23:59 on the 24th, NY
        (dt.datetime(2026, 5, 25, 4, 0, tzinfo=dt.timezone.utc), True),  # 00:00 on the 25th, NY
    ],
)
def test_holiday_rule_reads_the_local_date(at: dt.datetime, holiday: bool) -> None:
    rule = custom.NoCreditsOnHolidays(frozenset({dt.date(2026, 5, 25)}))
    result = apply(
        cart(Line("l1", "daycare_full", usd("30"))),
        [package("p1", "daycare_full", 3)],
        as_of=at,
        timezone=NY,
        policy=Policy().with_rule(rule),
    )
    if holiday:
        assert result.redemptions == ()
        assert [(r.package_id, r.reason) for r in result.rejections] == [("p1", "public_holiday")]
        assert result.rejections[0].detail == "no package credits on public holidays (2026-05-25)"
        assert result.package("p1") == package("p1", "daycare_full", 3)  # nothing spent
    else:
        assert [(r.package_id, r.credits) for r in result.redemptions] == [("p1", 1)]
        assert result.rejections == ()


def test_holiday_rule_is_reported_before_component_rules() -> None:
    # A grooming package offered a daycare line on a holiday: the package rule comes first.
    result = apply(
        cart(Line("l1", "daycare_full", usd("30"))),
        [package("groom", "grooming", 3)],
        as_of=dt.datetime(2026, 7, 4, 10),
        timezone=NY,
        policy=custom.happy_tails_policy(set()),
    )
    assert [r.reason for r in result.rejections] == ["public_holiday"]
    # ...and on an ordinary day the built-in reason is given.
    result = apply(
        cart(Line("l1", "daycare_full", usd("30"))),
        [package("groom", "grooming", 3)],
        as_of=dt.datetime(2026, 7, 6, 10),
        timezone=NY,
        policy=custom.happy_tails_policy(set()),
    )
    assert [r.reason for r in result.rejections] == ["type_mismatch"]


def test_online_only_rule_restricts_only_its_items() -> None:
    rule = custom.online_only({"web-groom"}, {"grooming"})
    policy = Policy().with_rule(rule, before="exhausted")
    lines = (
        Line("web-groom", "grooming", usd("55")),
        Line("desk-groom", "grooming", usd("50")),
        Line("desk-day", "daycare_full", usd("30")),
    )
    packages = [package("groom", "grooming", 5), package("pass", "daycare_full", 5)]
    result = apply(
        cart(*lines), packages, as_of=dt.datetime(2026, 3, 2, 17), timezone=NY, policy=policy
    )
    assert sorted((r.line_id, r.package_id) for r in result.redemptions) == [
        ("desk-day", "pass"),
        ("web-groom", "groom"),
    ]
    refused = {(r.line_id, r.package_id): r for r in result.rejections}
    assert refused[("desk-groom", "groom")].reason == "booked_offline"
    assert refused[("desk-groom", "groom")].detail == (
        "grooming credits pay only for lines booked online"
    )
    assert refused[("desk-groom", "pass")].reason == "type_mismatch"
    assert result.package("groom").remaining("grooming") == 4


def test_online_only_rule_decides_eligibility_wherever_it_stands() -> None:
    # Its position changes only the reason reported: appended after "exhausted", an exhausted
    # package is reported exhausted, and the offline line is still refused.
    rule = custom.online_only(set(), {"grooming"})
    for policy in (Policy().with_rule(rule), Policy().with_rule(rule, before="exhausted")):
        result = apply(
            cart(Line("desk", "grooming", usd("50"))),
            [package("groom", "grooming", 5), package("empty", "grooming", 0)],
            as_of=dt.datetime(2026, 3, 2, 17),
            timezone=NY,
            policy=policy,
        )
        assert result.redemptions == ()
        assert {r.package_id for r in result.rejections} == {"groom", "empty"}
    appended = apply(
        cart(Line("desk", "grooming", usd("50"))),
        [package("empty", "grooming", 0)],
        as_of=dt.datetime(2026, 3, 2, 17),
        timezone=NY,
        policy=Policy().with_rule(rule),
    )
    assert [r.reason for r in appended.rejections] == ["exhausted"]


def _served(result: Any) -> list[tuple[str, str, int]]:
    return [(r.line_id, r.package_id, r.credits) for r in result.redemptions]


def test_closest_to_running_out_order() -> None:
    order = Policy(package_order=custom.ClosestToRunningOut())
    at = dt.datetime(2026, 3, 2, 17)
    many = package("many", "daycare_full", 5)  # older
    few = package("few", "daycare_full", 2, purchased_at=dt.datetime(2026, 2, 1))
    lines = [Line(f"d{i}", "daycare_full", usd("30")) for i in range(3)]
    # FIFO would use the older package; this order the one with fewer credits left...
    assert _served(apply(cart(lines[0]), [many, few], as_of=at, timezone=NY)) == [("d0", "many", 1)]
    assert _served(apply(cart(lines[0]), [many, few], as_of=at, timezone=NY, policy=order)) == [
        ("d0", "few", 1)
    ]
    # ...following the balances as the cart is filled: 2 v 5, then 1 v 5, then 0 (gone) v 5.
    result = apply(cart(*lines), [many, few], as_of=at, timezone=NY, policy=order)
    assert _served(result) == [("d0", "few", 1), ("d1", "few", 1), ("d2", "many", 1)]
    # Equal balances: the older purchase first.
    twin = package("twin", "daycare_full", 5, purchased_at=dt.datetime(2026, 2, 1))
    assert _served(apply(cart(lines[0]), [twin, many], as_of=at, timezone=NY, policy=order)) == [
        ("d0", "many", 1)
    ]


def test_closest_to_running_out_keeps_own_item_and_individual_first() -> None:
    order = Policy(package_order=custom.ClosestToRunningOut())
    at = dt.datetime(2026, 3, 2, 17)
    rex = Line("rex", "daycare_full", usd("30"), beneficiary="rex")
    # A cross-item credit with 1 left does not go before an own-item credit with 5 left.
    cross = package("board", "boarding", 1)
    own = package("pass", "daycare_full", 5)
    result = apply(
        cart(rex),
        [cross, own],
        as_of=at,
        timezone=NY,
        policy=order,
        settings=Settings(any_type=True, greater_value=True),
        rates={"downtown": {"boarding": usd("45")}},
    )
    assert _served(result) == [("rex", "pass", 1)]
    # Rex's own package (5 left) before the shared one (1 left).
    shared = package("shared", "daycare_full", 1)
    rexs = attrs.evolve(own, id="rexs", beneficiary="rex")
    assert _served(apply(cart(rex), [shared, rexs], as_of=at, timezone=NY, policy=order)) == [
        ("rex", "rexs", 1)
    ]


# -- host_integration.py: the script -------------------------------------------------------------


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _granted() -> dict[tuple[str, str], int]:
    return {
        (str(sale["id"]), service): n
        for sale in host.SALES
        for service, n in sale["credits"].items()
    }


def test_host_integration_script_stores_balances_and_ledger(tmp_path: Path) -> None:
    db = tmp_path / "till.db"
    out = _run("host_integration.py", str(db))

    # Both tills read 2 credits of the daycare pass; the side till's guard failed, it read again.
    assert "front desk read package 501 with 2 left" in out
    assert "side till read package 501 with 2 left" in out
    assert "T-1001: stored, covered 100.00, due 0.00" in out
    assert (
        "T-1002: conflict (package '501' daycare_full: expected 2 credits left, found 1);"
        " reading again" in out
    )
    assert "T-1002: stored, covered 30.00, due 30.00" in out
    assert "T-1001: already recorded, nothing written" in out  # the retried ticket
    # The cancellation sent twice restored Bella's credit once.
    assert "T-1002: cancelled, 1 credit(s) restored" in out
    assert "T-1002: already cancelled, nothing restored" in out

    balances = {
        (pid, item): left
        for pid, item, left in _rows(
            db, "SELECT package_id, item, remaining FROM punchcard_components"
        )
    }
    assert balances == {("501", "daycare_full"): 1, ("502", "grooming"): 4, ("502", "shampoo"): 1}

    ledger = _rows(
        db,
        "SELECT c.cart_id, l.kind, l.line_id, l.package_id, l.item, l.credits, l.amount"
        " FROM punchcard_ledger l JOIN punchcard_checkouts c ON c.idempotency_key = l.checkout_key"
        " ORDER BY c.cart_id, l.line_id, l.kind",
    )
    assert ledger == [
        ("T-1001", "redeemed", "T-1001/1", "501", "daycare_full", 1, "30.00"),
        ("T-1001", "redeemed", "T-1001/2", "502", "grooming", 1, "55.00"),
        ("T-1001", "redeemed", "T-1001/3", "502", "shampoo", 1, "15.00"),
        # Bella's 2 days: only 1 credit was left once the front desk had stored its ticket;
        # then her day was cancelled and the credit came back.
        ("T-1002", "redeemed", "T-1002/1", "501", "daycare_full", 1, "30.00"),
        ("T-1002", "restored", "T-1002/1", "501", "daycare_full", 1, "30.00"),
    ]
    # The ledger accounts for every credit: granted - redeemed + restored = remaining.
    left = dict(_granted())
    for _ticket, kind, _line, pid, item, credits, _amount in ledger:
        left[(pid, item)] += -credits if kind == "redeemed" else credits
    assert left == balances

    checkouts = _rows(
        db, "SELECT cart_id, total, covered, due FROM punchcard_checkouts ORDER BY cart_id"
    )
    assert checkouts == [
        ("T-1001", "100.00", "100.00", "0.00"),
        ("T-1002", "60.00", "30.00", "30.00"),
    ]
    # The first use of the grooming bundle started its 180-day countdown; both were stored.
    assert _rows(
        db, "SELECT first_used_at, expires_on FROM punchcard_packages WHERE id = '502'"
    ) == [("2026-03-02T17:30:00-05:00", "2026-08-29")]
    # The daycare pass had been used before: its first use is unchanged.
    assert _rows(db, "SELECT first_used_at FROM punchcard_packages WHERE id = '501'") == [
        ("2026-01-12T08:05:00-05:00",)
    ]
    # What the script printed is what the database holds.
    assert "package 501 (10 Day Daycare) daycare_full: 1 left" in out
    assert "T-1002 T-1002/1: 1 daycare_full credit(s) of package 501 restored, 30.00 USD" in out


def test_host_integration_script_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "till.db"
    _run("host_integration.py", str(db))
    tables = ("punchcard_packages", "punchcard_components", "punchcard_checkouts")
    first = [_rows(db, f"SELECT * FROM {table} ORDER BY 1, 2") for table in tables]
    first_ledger = _rows(db, "SELECT * FROM punchcard_ledger ORDER BY seq")
    out = _run("host_integration.py", str(db))
    assert "T-1001: already recorded, nothing written" in out
    assert "T-1002: already recorded, nothing written" in out
    assert "T-1002: already cancelled, nothing restored" in out
    assert ": stored" not in out
    assert [_rows(db, f"SELECT * FROM {table} ORDER BY 1, 2") for table in tables] == first
    assert _rows(db, "SELECT * FROM punchcard_ledger ORDER BY seq") == first_ledger


def test_host_integration_script_defaults_to_memory() -> None:
    out = _run("host_integration.py")
    assert "package 501 (10 Day Daycare) daycare_full: 1 left" in out
    assert not list(ROOT.glob(":memory:*"))


# -- host_integration.py: the pieces -------------------------------------------------------------


@pytest.fixture
def store() -> Iterator[Any]:
    opened = host.open_store(":memory:")
    yield opened
    opened.close()


def test_sales_and_tickets_map_to_punchcard_values() -> None:
    shared, rexs = (host.package_from_sale(sale) for sale in host.SALES)
    assert (shared.id, shared.owner, shared.beneficiary, shared.location) == (
        "501",
        "customer-7",
        None,
        "downtown",
    )
    assert shared.remaining("daycare_full") == 2
    assert shared.purchased_at == dt.datetime(2026, 1, 5, 10)  # naive: local time
    assert shared.first_used_at == dt.datetime(
        2026, 1, 12, 8, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5))
    )
    assert (rexs.beneficiary, rexs.location, rexs.expiry_starts, rexs.days_to_expiration) == (
        "pet-12",
        None,
        "first_use",
        180,
    )
    assert [(c.item, c.remaining) for c in rexs.components] == [("grooming", 5), ("shampoo", 2)]
    ticket = host.cart_from_ticket(host.TICKET_SIDE_TILL)
    assert (ticket.id, ticket.owner, ticket.location) == ("T-1002", "customer-7", "downtown")
    (line,) = ticket.lines
    assert (line.id, line.item, line.units, line.beneficiary, line.unit_price) == (
        "T-1002/1",
        "daycare_full",
        2,
        "pet-13",
        usd("30.00"),
    )


def test_the_store_holds_the_host_sales_as_punchcard_packages(store: Any) -> None:
    assert store.load_packages("customer-7") == [host.package_from_sale(s) for s in host.SALES]
    assert store.connection.execute("SELECT name FROM pets ORDER BY id").fetchall() == [
        ("Rex",),
        ("Bella",),
    ]


def test_two_tills_would_overspend_without_the_guards(store: Any) -> None:
    # The premise of the example: each result alone is valid, together they spend 3 of 2 credits.
    packages = store.load_packages("customer-7")
    front = apply(
        host.cart_from_ticket(host.TICKET_FRONT_DESK), packages, as_of=host.CHECKOUT_AT, timezone=NY
    )
    side = apply(
        host.cart_from_ticket(host.TICKET_SIDE_TILL), packages, as_of=host.CHECKOUT_AT, timezone=NY
    )
    spent = sum(r.credits for r in (*front.redemptions, *side.redemptions) if r.package_id == "501")
    assert spent == 3
    assert _granted()[("501", "daycare_full")] == 2
    # With the guards, the second commit is refused and leaves the balances of the first.
    store.commit(front)
    with pytest.raises(host.Conflict):
        store.commit(side)
    assert store.balances()[("501", "daycare_full")] == 1


def test_the_till_screen_lines(store: Any) -> None:
    ticket = host.cart_from_ticket(host.TICKET_SIDE_TILL)
    receipt = store.checkout(ticket, at=host.CHECKOUT_AT, timezone=NY)
    assert host.describe(receipt) == "T-1002: stored, covered 60.00, due 0.00"
    again = store.checkout(ticket, at=host.CHECKOUT_AT, timezone=NY)
    assert host.describe(again) == "T-1002: already recorded, nothing written"
