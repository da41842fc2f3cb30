"""Calendar validity (X4 ``valid_for``), elapsed expiry (X5) and where a countdown starts (X4, X6),
through :func:`punchcard.apply`, :meth:`Application.expires_at` and :meth:`Application.times`.

Expected dates and instants are worked out by hand from docs/semantics.md; instants are compared
as instants (aware datetimes compare in UTC). New York clocks go forward on 8 March 2026 (02:00
EST -> 03:00 EDT) and back on 1 November 2026 (02:00 EDT -> 01:00 EST).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from builders import AT, TZ, cart, line, package, run, usd
from hypothesis import given, settings

from punchcard import Application, Component, InvalidTypeError, InvalidValueError, Package, Policy
from punchcard.errors import PunchcardError
from punchcard.events import advance_packages
from punchcard.expiry import package_times
from punchcard.models import Duration
from punchcard.testing import Scenario, scenarios

NY = ZoneInfo(TZ)
UTC = dt.timezone.utc
ELAPSED = Policy(expiry="elapsed")


def ny(*fields: int) -> dt.datetime:
    """The instant (in UTC) of a New York wall time (the earlier one when it occurs twice).

    Results are compared as UTC instants: Python never finds an aware time in a repeated hour
    equal to one of another zone (PEP 495), and compares two times of one zone by wall clock.
    """
    return dt.datetime(*fields, tzinfo=NY).astimezone(UTC)  # type: ignore[misc]


def utc(*fields: int) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=UTC)  # type: ignore[misc]


def sold(at: dt.datetime, **fields: Any) -> Package:
    """A daycare pass of the Smiths sold at *at*."""
    return package("p1", Component("daycare_full", 5), purchased_at=at, **fields)


def paid(result: Application) -> bool:
    return any(r.package_id == "p1" for r in result.redemptions)


def end(result: Application, pid: str = "p1") -> dt.datetime | None:
    """The instant (in UTC) the package *pid* stops being usable, as *result* reports it."""
    moment = result.expires_at(pid)
    return None if moment is None else moment.astimezone(UTC)


def check(pkg: Package, at: dt.datetime, policy: Policy | None = None) -> Application:
    return run(cart(line()), [pkg], at=at, policy=policy)


# X4 valid_for ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sold_on", "length", "expires_on"),
    [
        (dt.date(2026, 1, 31), Duration("months", 1), dt.date(2026, 2, 28)),  # month end clamped
        (dt.date(2026, 5, 15), Duration("months", 3), dt.date(2026, 8, 15)),
        (dt.date(2026, 3, 31), Duration("months", 1), dt.date(2026, 4, 30)),
        (dt.date(2026, 8, 31), Duration("months", 6), dt.date(2027, 2, 28)),
        (dt.date(2028, 1, 31), Duration("months", 1), dt.date(2028, 2, 29)),  # leap year
        (dt.date(2026, 3, 2), Duration("weeks", 2), dt.date(2026, 3, 16)),
        (dt.date(2026, 3, 2), Duration("days", 10), dt.date(2026, 3, 12)),
        (dt.date(2026, 3, 2), Duration("days", 0), dt.date(2026, 3, 2)),
    ],
)
def test_X4_valid_for_adds_days_weeks_or_months_on_the_local_calendar(
    sold_on: dt.date, length: Duration, expires_on: dt.date
) -> None:
    at = dt.datetime.combine(sold_on, dt.time(10, 0))
    result = check(sold(at, valid_for=length), at)
    assert result.times("p1").expires_on == expires_on
    assert end(result) == dt.datetime.combine(expires_on, dt.time(23, 59), NY)


def test_X4_a_month_from_jan_31_ends_feb_28_at_23_59() -> None:
    month = sold(dt.datetime(2026, 1, 31, 10, 0), valid_for=Duration("months", 1))
    assert paid(check(month, dt.datetime(2026, 2, 28, 23, 58, 59)))
    assert not paid(check(month, dt.datetime(2026, 2, 28, 23, 59)))
    assert check(month, dt.datetime(2026, 3, 1)).rejections[0].reason == "expired"


def test_X4_the_start_date_is_the_local_date_of_the_sale() -> None:
    # 03:00 UTC on 1 March is 22:00 on 28 February in New York: a month from 28 February.
    month = sold(utc(2026, 3, 1, 3, 0), valid_for=Duration("months", 1))
    result = check(month, dt.datetime(2026, 3, 10))
    assert result.times("p1").expires_on == dt.date(2026, 3, 28)


def test_X4_valid_for_with_days_to_expiration_is_an_input_error() -> None:
    with pytest.raises(InvalidValueError) as info:
        sold(AT, valid_for=Duration("days", 30), days_to_expiration=30)
    assert info.value.field == "valid_for"


@pytest.mark.parametrize(
    ("args", "error", "field"),
    [
        (("years", 1), InvalidValueError, "unit"),
        (("days", -1), InvalidValueError, "count"),
        (("months", True), InvalidTypeError, "count"),
        (("weeks", 1.5), InvalidTypeError, "count"),
    ],
)
def test_X4_a_length_is_days_weeks_or_months_and_a_whole_count(
    args: tuple[Any, Any], error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as info:
        Duration(*args)
    assert info.value.field == field  # type: ignore[attr-defined]


def test_X4_an_explicit_expires_on_wins_over_valid_for() -> None:
    edited = sold(
        dt.datetime(2026, 1, 31, 10),
        valid_for=Duration("months", 1),
        expires_on=dt.date(2026, 3, 5),
    )
    result = check(edited, AT)
    assert paid(result)
    assert end(result) == ny(2026, 3, 5, 23, 59)


def test_X4_the_countdown_starts_at_the_later_of_purchase_and_valid_from() -> None:
    gift = sold(
        dt.datetime(2026, 1, 5, 10),
        valid_from=dt.datetime(2026, 2, 1, 10),
        valid_for=Duration("months", 1),
    )
    assert check(gift, AT).times("p1").expires_on == dt.date(2026, 3, 1)
    assert not paid(check(gift, AT))
    days = sold(dt.datetime(2026, 1, 5, 10), valid_from=dt.datetime(2026, 2, 1, 10))
    days = attrs.evolve(days, days_to_expiration=30)
    assert check(days, AT).times("p1").expires_on == dt.date(2026, 3, 3)
    # A valid_from before the purchase: the countdown starts at the purchase.
    early = attrs.evolve(days, valid_from=dt.datetime(2025, 12, 1))
    assert check(early, AT).times("p1").expires_on == dt.date(2026, 2, 4)


def test_X4_valid_for_counts_from_the_first_use_with_expiry_starts_first_use() -> None:
    pass_ = sold(
        dt.datetime(2026, 1, 5, 10), valid_for=Duration("months", 1), expiry_starts="first_use"
    )
    result = check(pass_, AT)  # never used: no expiry yet; first used now, 2 March
    assert paid(result)
    assert result.package("p1").expires_on == dt.date(2026, 4, 2)
    assert end(result) == ny(2026, 4, 2, 23, 59)
    used = attrs.evolve(pass_, first_used_at=dt.datetime(2026, 1, 31, 12))
    result = check(used, AT)
    assert result.times("p1").expires_on == dt.date(2026, 2, 28)
    assert not paid(result)


def test_X4_a_first_use_countdown_never_used_does_not_expire() -> None:
    pass_ = sold(
        dt.datetime(2026, 1, 5, 10), valid_for=Duration("weeks", 1), expiry_starts="first_use"
    )
    result = run(cart(line("b", "boarding", "45")), [pass_])  # not used by this cart
    assert end(result) is None
    assert result.times("p1").expires_on is None


# X5 elapsed expiry -------------------------------------------------------------------------------


def test_X5_default_expiry_is_end_of_day_and_other_modes_are_refused() -> None:
    assert Policy().expiry == "end_of_day"
    with pytest.raises(InvalidValueError) as info:
        Policy(expiry="exact")
    assert info.value.field == "expiry"


def test_X5_elapsed_ends_at_the_exact_instant_not_at_23_59() -> None:
    week = sold(dt.datetime(2026, 3, 10, 10, 0), days_to_expiration=7)
    assert end(check(week, dt.datetime(2026, 3, 11, 12, 0), ELAPSED)) == ny(2026, 3, 17, 10, 0)
    assert paid(check(week, dt.datetime(2026, 3, 17, 9, 59, 59), ELAPSED))
    assert not paid(check(week, dt.datetime(2026, 3, 17, 10, 0), ELAPSED))
    assert check(week, dt.datetime(2026, 3, 17, 10, 0), ELAPSED).rejections[0].reason == "expired"
    # The same package under end_of_day is good until 23:59 on the 17th.
    assert paid(check(week, dt.datetime(2026, 3, 17, 23, 58)))


@pytest.mark.parametrize("length", [{"days_to_expiration": 7}, {"valid_for": Duration("weeks", 1)}])
def test_X5_a_week_from_monday_midnight_ends_next_monday_midnight_across_spring_forward(
    length: dict[str, Any],
) -> None:
    week = sold(dt.datetime(2026, 3, 2, 0, 0), **length)
    result = check(week, dt.datetime(2026, 3, 3), ELAPSED)
    assert end(result) == ny(2026, 3, 9, 0, 0)
    assert end(result) == utc(2026, 3, 9, 4, 0)  # 7 days less the skipped hour
    assert result.times("p1").expires_on == dt.date(2026, 3, 9)
    assert paid(check(week, dt.datetime(2026, 3, 8, 23, 59, 59), ELAPSED))
    assert not paid(check(week, dt.datetime(2026, 3, 9, 0, 0), ELAPSED))


@pytest.mark.parametrize(
    ("bought", "ends"),
    [
        # Sold Monday 26 October 00:00 EDT: ends Monday 2 November 00:00 EST, 7 days and an hour.
        (dt.datetime(2026, 10, 26, 0, 0), utc(2026, 11, 2, 5, 0)),
        # Sold 1 March 02:30 EST: a week later 02:30 does not exist (02:00 EST -> 03:00 EDT), so
        # it ends at the first instant after the gap, 03:00 EDT.
        (dt.datetime(2026, 3, 1, 2, 30), utc(2026, 3, 8, 7, 0)),
        # Sold 25 October 01:30 EDT: a week later 01:30 occurs twice; the earlier, 01:30 EDT.
        (dt.datetime(2026, 10, 25, 1, 30), utc(2026, 11, 1, 5, 30)),
    ],
    ids=["fall-back", "skipped-time", "repeated-time"],
)
def test_X5_a_week_ends_at_the_same_local_clock_time_across_clock_changes(
    bought: dt.datetime, ends: dt.datetime
) -> None:
    week = sold(bought, days_to_expiration=7)
    assert end(check(week, bought + dt.timedelta(days=1), ELAPSED)) == ends
    assert paid(check(week, ends - dt.timedelta(seconds=1), ELAPSED))
    assert not paid(check(week, ends, ELAPSED))


def test_X5_elapsed_months_clamp_the_month_end_and_keep_the_clock_time() -> None:
    month = sold(dt.datetime(2026, 1, 31, 9, 15), valid_for=Duration("months", 1))
    result = check(month, dt.datetime(2026, 2, 1), ELAPSED)
    assert end(result) == ny(2026, 2, 28, 9, 15)
    assert result.times("p1").expires_on == dt.date(2026, 2, 28)


@pytest.mark.parametrize(
    ("expires_at", "wall"), [("23:59", (2026, 3, 5, 23, 59)), ("24:00", (2026, 3, 6, 0, 0))]
)
def test_X5_an_explicit_expires_on_still_ends_at_expires_at_on_its_date(
    expires_at: str, wall: tuple[int, ...]
) -> None:
    edited = sold(dt.datetime(2026, 3, 1, 10), days_to_expiration=1, expires_on=dt.date(2026, 3, 5))
    policy = Policy(expiry="elapsed", expires_at=expires_at)
    assert end(check(edited, AT, policy)) == ny(*wall)


def test_X5_the_countdown_starts_at_valid_from_when_it_is_later() -> None:
    gift = sold(
        dt.datetime(2026, 3, 1, 12), valid_from=dt.datetime(2026, 3, 5, 8), days_to_expiration=2
    )
    result = check(gift, dt.datetime(2026, 3, 6), ELAPSED)
    assert end(result) == ny(2026, 3, 7, 8, 0)
    assert paid(result)
    assert not paid(check(gift, dt.datetime(2026, 3, 7, 8, 0), ELAPSED))


def test_X5_a_first_use_countdown_ends_at_the_clock_time_of_the_first_use() -> None:
    pass_ = sold(dt.datetime(2026, 1, 5, 10), days_to_expiration=7, expiry_starts="first_use")
    result = check(pass_, AT, ELAPSED)  # first used now: 2 March 17:30 EST
    assert paid(result)
    assert end(result) == ny(2026, 3, 9, 17, 30)  # EDT by then
    assert result.times("p1").expires_on == dt.date(2026, 3, 9)
    after = result.package("p1")
    assert paid(check(after, dt.datetime(2026, 3, 9, 17, 29), ELAPSED))
    assert not paid(check(after, dt.datetime(2026, 3, 9, 17, 30), ELAPSED))
    recorded = attrs.evolve(pass_, days_to_expiration=1, first_used_at=dt.datetime(2026, 3, 1, 12))
    assert not paid(check(recorded, AT, ELAPSED))  # ended 2 March 12:00


@pytest.mark.parametrize(("expiry", "payer"), [("elapsed", "nine"), ("end_of_day", "ten")])
def test_X5_earliest_expiry_ranks_by_the_instant(expiry: str, payer: str) -> None:
    # Both end on 9 March: "nine" at 09:00 and "ten" at 10:00 under elapsed; both at 23:59
    # under end_of_day, and then the earlier purchase ("ten") comes first.
    ten = package("ten", purchased_at=dt.datetime(2026, 3, 1, 10, 0), days_to_expiration=8)
    nine = package("nine", purchased_at=dt.datetime(2026, 3, 2, 9, 0), days_to_expiration=7)
    policy = Policy(package_order="earliest_expiry", expiry=expiry)
    result = run(cart(line()), [ten, nine], policy=policy)
    assert [r.package_id for r in result.redemptions] == [payer]


@pytest.mark.parametrize("policy", [Policy(), ELAPSED], ids=["end_of_day", "elapsed"])
def test_X5_expires_at_is_reported_for_every_package(policy: Policy) -> None:
    bought = dt.datetime(2026, 3, 1, 9, 45)
    packages = [
        package("never", purchased_at=bought),
        package("dated", purchased_at=bought, expires_on=dt.date(2026, 3, 20)),
        package("days", purchased_at=bought, days_to_expiration=10),
        package("unused", purchased_at=bought, days_to_expiration=10, expiry_starts="first_use"),
    ]
    result = run(cart(line("b", "boarding", "45")), packages, policy=policy)
    ends = {p.id: end(result, p.id) for p in packages}
    days_end = ny(2026, 3, 11, 9, 45) if policy.expiry == "elapsed" else ny(2026, 3, 11, 23, 59)
    assert ends == {
        "never": None,
        "dated": ny(2026, 3, 20, 23, 59),
        "days": days_end,
        "unused": None,
    }
    assert result.times("days").expires_on == dt.date(2026, 3, 11)


def test_X5_a_stored_value_first_use_countdown_ends_at_the_exact_instant() -> None:
    card = Package(
        id="card",
        owner="smith",
        purchased_at=dt.datetime(2026, 1, 5, 10),
        balance=usd("100"),
        days_to_expiration=7,
        expiry_starts="first_use",
    )
    result = run(cart(line()), [card], policy=ELAPSED)
    assert result.package("card").balance == usd("70")
    assert end(result, "card") == ny(2026, 3, 9, 17, 30)


def test_X5_replaying_the_events_under_elapsed_gives_the_returned_packages() -> None:
    pass_ = sold(dt.datetime(2026, 1, 5, 10), days_to_expiration=7, expiry_starts="first_use")
    result = check(pass_, AT, ELAPSED)
    assert tuple(advance_packages([pass_], result.events, NY, mode="elapsed")) == result.packages


@given(scenario=scenarios(options=True))
@settings(max_examples=80, deadline=None)
def test_a_results_times_are_the_times_of_each_package_as_it_stands_after_the_cart(
    scenario: Scenario,
) -> None:
    """``Application.times`` keeps the times worked out before the cart unless this cart's first
    use starts a countdown: each must be what ``package_times`` gives for the package as it
    stands after the cart."""
    try:
        result = scenario.apply()
    except PunchcardError:
        return  # a scenario the engine refuses (a skipped local time...) has no times
    tz = result.at.tzinfo
    assert tz is not None
    policy = scenario.policy
    for after in result.packages:
        assert result.times(after.id) == package_times(
            after, tz, policy.expires_at_delta, policy.expiry
        )
