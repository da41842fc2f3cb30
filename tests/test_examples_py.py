"""The Python examples of examples/ run, print what they claim, and their pieces do what they say.

- ``custom_rule.py``: a host's own rules (no credits on public holidays; grooming credits only for
  lines booked online) and its own package order (closest to running out first), plugged into a
  ``Policy`` without forking punchcard.
- ``host_integration.py``: host rows mapped to punchcard values, and punchcard's store joining the
  host's transaction: a ticket's row and its credits commit together (a declined card keeps
  neither), a retried ticket is recorded once (the idempotency key), a cancellation sent twice
  restores once.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sqlite3
import subprocess
import sys
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


def test_host_integration_script_stores_tickets_and_credits_together(tmp_path: Path) -> None:
    db = tmp_path / "till.db"
    out = _run("host_integration.py", str(db))

    assert "T-1001: stored, covered 100.00, due 0.00" in out
    # Only 1 daycare credit was left for Bella's 2 days once the front desk had closed its ticket.
    assert "T-1002: stored, covered 30.00, due 30.00" in out
    assert "T-1001: already recorded, nothing written" in out  # the retried ticket
    assert "T-1003: card declined, nothing kept" in out
    # The cancellation sent twice restored Bella's credit once.
    assert "T-1002: cancelled, 1 credit(s) restored" in out
    assert "T-1002: already cancelled, nothing restored" in out
    assert "package 501 (10 Day Daycare) daycare_full: 1 left" in out

    # The host's ticket rows and punchcard's ledger, in one file; the declined ticket left neither.
    assert _rows(db, "SELECT id, covered, due FROM tickets ORDER BY id") == [
        ("T-1001", "100.00", "0.00"),
        ("T-1002", "30.00", "30.00"),
    ]
    ledger = _rows(
        db, "SELECT package_id, seq, type, operation_key FROM punchcard_events ORDER BY position"
    )
    assert [row for row in ledger if row[2] != "package_purchased"] == [
        ("502", 2, "credits_redeemed", "T-1001"),
        ("501", 2, "credits_redeemed", "T-1001"),
        ("502", 3, "credits_redeemed", "T-1001"),
        ("501", 3, "credits_redeemed", "T-1002"),
        ("501", 4, "redemption_cancelled", "cancel-T-1002"),
    ]
    assert not [row for row in ledger if row[3] == "T-1003"]


def test_host_integration_script_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "till.db"
    _run("host_integration.py", str(db))
    tables = ("tickets", "punchcard_events", "punchcard_packages", "punchcard_operations")
    first = [_rows(db, f"SELECT * FROM {table} ORDER BY 1") for table in tables]
    out = _run("host_integration.py", str(db))
    assert "T-1001: already recorded, nothing written" in out
    assert "T-1002: already recorded, nothing written" in out
    assert "T-1002: already cancelled, nothing restored" in out
    assert ": stored" not in out
    assert [_rows(db, f"SELECT * FROM {table} ORDER BY 1") for table in tables] == first


def test_host_integration_script_defaults_to_memory() -> None:
    out = _run("host_integration.py")
    assert "package 501 (10 Day Daycare) daycare_full: 1 left" in out
    assert not list(ROOT.glob(":memory:*"))


# -- host_integration.py: the pieces -------------------------------------------------------------


def test_sales_and_tickets_map_to_punchcard_values() -> None:
    daycare, bundle = (host.type_from_sale(sale) for sale in host.SALES)
    assert (daycare.name, daycare.price, daycare.days_to_expiration) == (
        "10 Day Daycare",
        usd("60.00"),
        90,
    )
    assert (bundle.expiry_starts, [(c.item, c.quantity) for c in bundle.components]) == (
        "first_use",
        [("grooming", 5), ("shampoo", 2)],
    )
    ticket = host.cart_from_ticket(host.TICKET_SIDE_TILL)
    assert (ticket.id, ticket.owner, ticket.location) == ("T-1002", "customer-7", "downtown")
    (line,) = ticket.lines
    assert (line.id, line.item, line.units, line.unit_price) == (
        "T-1002/1",
        "daycare_full",
        2,
        usd("30.00"),
    )


def test_a_declined_ticket_leaves_neither_its_row_nor_its_credits() -> None:
    engine = host.open_database("sqlite://")
    before = host.balances(engine)
    with pytest.raises(host.Declined):
        host.close_ticket(engine, host.TICKET_FRONT_DESK, pay=False)
    assert host.balances(engine) == before
    with engine.connect() as conn:
        assert conn.execute(host.sa.select(host.tickets)).all() == []
    receipt = host.close_ticket(engine, host.TICKET_FRONT_DESK)
    assert host.describe(host.TICKET_FRONT_DESK, receipt) == (
        "T-1001: stored, covered 100.00, due 0.00"
    )
    engine.dispose()
