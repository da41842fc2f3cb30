"""Expiry and time: section E of docs/semantics.md, one test each (punchcard.expiry)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import attrs
import pytest
from builders import AT, TZ, cart, line, package, run

from punchcard import (
    Application,
    Component,
    InvalidTimeError,
    Policy,
)

NY = ZoneInfo(TZ)
UTC = dt.timezone.utc


def redeemed(result: Application) -> list[tuple[str, str, str, int, str]]:
    """(line, package, item, credits, amount) of every redemption, in the engine's order."""
    return [(r.line_id, r.package_id, r.item, r.credits, str(r.amount)) for r in result.redemptions]


def rejected(result: Application) -> list[tuple[str, str, str]]:
    return [(r.line_id, r.package_id, r.reason) for r in result.rejections]


def usable(result: Application, package_id: str = "p1") -> bool:
    """Whether *package_id* paid for something (the one-line carts below want one credit)."""
    return any(r.package_id == package_id for r in result.redemptions)


# E: expiry and time -----------------------------------------------------------------------------


def test_E_expires_at_2359_local() -> None:
    p = package(expires_on=dt.date(2026, 3, 31))
    assert usable(run(cart(), [p], at=dt.datetime(2026, 3, 31, 23, 58, 59)))
    late = run(cart(), [p], at=dt.datetime(2026, 3, 31, 23, 59))
    assert not usable(late)
    assert rejected(late) == [("l1", "p1", "expired")]
    assert not usable(run(cart(), [p], at=dt.datetime(2026, 4, 1, 0, 0)))
    assert Policy().expires_at == "23:59"


def test_E_2400_whole_day() -> None:
    p = package(expires_on=dt.date(2026, 3, 31))
    policy = Policy(expires_at="24:00")
    assert usable(run(cart(), [p], policy=policy, at=dt.datetime(2026, 3, 31, 23, 59)))
    assert usable(run(cart(), [p], policy=policy, at=dt.datetime(2026, 3, 31, 23, 59, 59)))
    assert not usable(run(cart(), [p], policy=policy, at=dt.datetime(2026, 4, 1, 0, 0)))


# (zone, the day, the UTC instant of 23:59 local that day)
SPRING_FORWARD = [
    ("America/New_York", dt.date(2026, 3, 8), dt.datetime(2026, 3, 9, 3, 59, tzinfo=UTC)),
    ("Australia/Sydney", dt.date(2026, 10, 4), dt.datetime(2026, 10, 4, 12, 59, tzinfo=UTC)),
]
FALL_BACK = [
    ("America/New_York", dt.date(2026, 11, 1), dt.datetime(2026, 11, 2, 4, 59, tzinfo=UTC)),
    ("Australia/Sydney", dt.date(2026, 4, 5), dt.datetime(2026, 4, 5, 13, 59, tzinfo=UTC)),
]


def _check_expiry_day(zone: str, day: dt.date, end: dt.datetime) -> None:
    p = package(expires_on=day, purchased_at=dt.datetime(2026, 1, 5, 10))

    def ok(at: dt.datetime) -> bool:
        return usable(run(cart(), [p], at=at, timezone=zone))

    # The same boundary, given as a UTC instant and as naive local time.
    assert ok(end - dt.timedelta(seconds=1))
    assert not ok(end)
    assert ok(dt.datetime.combine(day, dt.time(23, 58, 59)))
    assert not ok(dt.datetime.combine(day, dt.time(23, 59)))
    # An hour either side of 23:59 local: a 24-hour clock from midnight would be off by one.
    assert ok(dt.datetime.combine(day, dt.time(23, 30)).replace(tzinfo=ZoneInfo(zone)))
    assert not ok(end + dt.timedelta(minutes=30))


@pytest.mark.parametrize(("zone", "day", "end"), SPRING_FORWARD)
def test_E_dst_spring_forward_day(zone: str, day: dt.date, end: dt.datetime) -> None:
    assert dt.datetime.combine(day, dt.time(23, 59), tzinfo=ZoneInfo(zone)) == end
    _check_expiry_day(zone, day, end)


@pytest.mark.parametrize(("zone", "day", "end"), FALL_BACK)
def test_E_dst_fall_back_day(zone: str, day: dt.date, end: dt.datetime) -> None:
    assert dt.datetime.combine(day, dt.time(23, 59), tzinfo=ZoneInfo(zone)) == end
    _check_expiry_day(zone, day, end)


def test_E_aware_time_converted() -> None:
    # 03:30 UTC on Mar 3 is 22:30 on Mar 2 in New York: the package expiring Mar 2 still pays.
    p = package(expires_on=dt.date(2026, 3, 2))
    at = dt.datetime(2026, 3, 3, 3, 30, tzinfo=UTC)
    result = run(cart(), [p], at=at)
    assert usable(result)
    [event] = result.events
    assert event.at == at
    assert event.at.utcoffset() == dt.timedelta(hours=-5)
    assert event.at.replace(tzinfo=None) == dt.datetime(2026, 3, 2, 22, 30)
    # 05:00 UTC on Mar 3 is 00:00 on Mar 3 in New York: expired.
    assert not usable(run(cart(), [p], at=dt.datetime(2026, 3, 3, 5, 0, tzinfo=UTC)))
    # An aware time in another zone is converted the same way.
    tokyo = dt.datetime(2026, 3, 3, 12, 30, tzinfo=ZoneInfo("Asia/Tokyo"))  # 22:30 in New York
    assert usable(run(cart(), [p], at=tokyo))


def test_E_nonexistent_local_time_refused() -> None:
    skipped = dt.datetime(2026, 3, 8, 2, 30)  # clocks go from 02:00 to 03:00 in New York
    with pytest.raises(InvalidTimeError, match="does not exist in America/New_York") as info:
        run(cart(), [package()], at=skipped)
    assert info.value.field == "as_of"
    with pytest.raises(InvalidTimeError) as info:
        run(cart(), [package(purchased_at=skipped)], at=dt.datetime(2026, 3, 9, 12))
    assert info.value.field == "packages[0].purchased_at"
    # The same wall time exists in Sydney.
    assert usable(run(cart(), [package()], at=skipped, timezone="Australia/Sydney"))


def test_E_ambiguous_local_time_is_earlier() -> None:
    # 01:30 happens twice on Nov 1 in New York (EDT, then EST): a naive 01:30 is the first.
    result = run(cart(), [package()], at=dt.datetime(2026, 11, 1, 1, 30))
    first_used_at = result.package("p1").first_used_at
    assert first_used_at is not None
    assert first_used_at.utcoffset() == dt.timedelta(hours=-4)
    assert first_used_at.astimezone(UTC) == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert result.events[0].at.astimezone(UTC) == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_E_instants_compared_as_real_time_in_repeated_hour() -> None:
    """Times in the hour that occurs twice compare as instants, not as wall-clock readings."""
    # Bought at 01:30 EDT (05:30 UTC); checkout at 01:10 EST (06:10 UTC), 40 minutes later.
    bought = dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    checkout = dt.datetime(2026, 11, 1, 6, 10, tzinfo=UTC)
    p = package(purchased_at=bought)
    result = run(cart(), [p], at=checkout)
    assert rejected(result) == []
    assert usable(result)
    # The other way round: bought at 01:10 EST, checkout at the naive 01:30 (EDT, the earlier).
    later = package(purchased_at=checkout)
    result = run(cart(), [later], at=dt.datetime(2026, 11, 1, 1, 30))
    assert rejected(result) == [("l1", "p1", "not_yet_valid")]
    # FIFO: the package bought at 01:40 EDT is older than the one bought at 01:10 EST.
    first = package("p2", purchased_at=dt.datetime(2026, 11, 1, 1, 40))  # naive: EDT
    second = package("p1", purchased_at=checkout)
    result = run(cart(), [first, second], at=dt.datetime(2026, 11, 1, 12))
    assert redeemed(result) == [("l1", "p2", "daycare_full", 1, "30.00")]


def test_E_countdown_from_sale() -> None:
    # Sold at 23:30 on Jan 5 in New York (already Jan 6 in UTC): 30 days -> Feb 4.
    p = package(purchased_at=dt.datetime(2026, 1, 6, 4, 30, tzinfo=UTC), days_to_expiration=30)
    assert usable(run(cart(), [p], at=dt.datetime(2026, 2, 4, 23, 58)))
    assert not usable(run(cart(), [p], at=dt.datetime(2026, 2, 4, 23, 59)))
    # Used on Feb 1: the countdown still runs from the sale, in the returned state too.
    after = run(cart(), [p], at=dt.datetime(2026, 2, 1, 9)).package("p1")
    assert after.expires_on in (None, dt.date(2026, 2, 4))
    assert usable(run(cart(), [after], at=dt.datetime(2026, 2, 4, 23, 58)))
    assert not usable(run(cart(), [after], at=dt.datetime(2026, 2, 4, 23, 59)))
    zero = package(purchased_at=dt.datetime(2026, 3, 2, 8), days_to_expiration=0)
    assert usable(run(cart(), [zero], at=dt.datetime(2026, 3, 2, 23, 58)))
    assert not usable(run(cart(), [zero], at=dt.datetime(2026, 3, 2, 23, 59)))


def test_E_countdown_from_first_use() -> None:
    # Bought over a year ago, never used: the countdown has not started.
    unused = package(
        purchased_at=dt.datetime(2025, 1, 1), days_to_expiration=10, expiry_starts="first_use"
    )
    result = run(cart(), [unused])
    assert usable(result)
    assert result.package("p1").expires_on == dt.date(2026, 3, 12)
    # Used first on Feb 1 (local date; 03:00 UTC on Feb 2 is Feb 1 in New York): Feb 11.
    used = attrs.evolve(unused, first_used_at=dt.datetime(2026, 2, 2, 3, 0, tzinfo=UTC))
    assert usable(run(cart(), [used], at=dt.datetime(2026, 2, 11, 23, 58)))
    assert not usable(run(cart(), [used], at=dt.datetime(2026, 2, 11, 23, 59)))


def test_E_first_use_recorded() -> None:
    unused = package("p1", days_to_expiration=30, expiry_starts="first_use")
    earlier = dt.datetime(2026, 2, 20, 11, 0, tzinfo=NY)
    used_before = package("p2", Component("boarding", 2), first_used_at=earlier)
    untouched = package("p3", Component("grooming", 2))
    nights = line("l2", item="boarding", price="50", charge_by="night")
    result = run(cart(line("l1"), nights), [unused, used_before, untouched])
    assert {r.package_id for r in result.redemptions} == {"p1", "p2"}
    recorded = result.package("p1")
    assert recorded.first_used_at == dt.datetime(2026, 3, 2, 17, 30, tzinfo=NY)
    assert recorded.first_used_at.tzinfo is not None
    assert recorded.expires_on == dt.date(2026, 4, 1)
    # Already used: its first use stays; not used in this cart: returned as it was.
    assert result.package("p2").first_used_at == earlier
    assert result.package("p2").remaining("boarding") == 1
    assert result.package("p3") == untouched
    assert result.package("p3").first_used_at is None


def test_E_explicit_expires_on_wins() -> None:
    # The countdown would end Feb 4; the expiry was edited to Mar 31.
    edited = package(days_to_expiration=30, expires_on=dt.date(2026, 3, 31))
    result = run(cart(), [edited])
    assert usable(result)
    assert result.package("p1").expires_on == dt.date(2026, 3, 31)
    # Shortened below the countdown: it wins as well.
    shortened = package(days_to_expiration=300, expires_on=dt.date(2026, 3, 1))
    assert rejected(run(cart(), [shortened])) == [("l1", "p1", "expired")]
    # A first-use package keeps its explicit date when first used.
    first_use = package(
        days_to_expiration=10, expiry_starts="first_use", expires_on=dt.date(2026, 6, 30)
    )
    assert run(cart(), [first_use]).package("p1").expires_on == dt.date(2026, 6, 30)


def test_E_first_use_in_cart_does_not_expire_in_cart() -> None:
    # Zero days from first use: first used at 23:59:30, it expires "today at 23:59", already
    # past. The package is judged as it stood when checkout started, so both lines are paid.
    at = dt.datetime(2026, 3, 2, 23, 59, 30)
    p = package(days_to_expiration=0, expiry_starts="first_use")
    lines = (line("l1", beneficiary="rex"), line("l2", beneficiary="bella"))
    result = run(cart(*lines), [p], at=at)
    assert [r.line_id for r in result.redemptions] == ["l1", "l2"]
    assert rejected(result) == []
    after = result.package("p1")
    assert after.expires_on == dt.date(2026, 3, 2)
    # The next checkout, a second later, finds it expired.
    assert rejected(run(cart(), [after], at=at + dt.timedelta(seconds=1))) == [
        ("l1", "p1", "expired")
    ]


def test_E_never_expires_without_days() -> None:
    p = package(purchased_at=dt.datetime(2000, 1, 1))
    result = run(cart(), [p], at=dt.datetime(2099, 12, 31, 23, 59, 59))
    assert usable(result)
    assert result.package("p1").expires_on is None
    first_use = package(purchased_at=dt.datetime(2000, 1, 1), expiry_starts="first_use")
    assert run(cart(), [first_use]).package("p1").expires_on is None


def test_E_not_yet_valid() -> None:
    tomorrow = package(purchased_at=AT + dt.timedelta(days=1))
    assert rejected(run(cart(), [tomorrow])) == [("l1", "p1", "not_yet_valid")]
    # The same instant given in UTC: valid (bought no later than the checkout).
    now = package(purchased_at=dt.datetime(2026, 3, 2, 22, 30, tzinfo=UTC))
    assert usable(run(cart(), [now]))
    a_second_late = package(purchased_at=dt.datetime(2026, 3, 2, 22, 30, 1, tzinfo=UTC))
    assert rejected(run(cart(), [a_second_late])) == [("l1", "p1", "not_yet_valid")]
