"""Reservation units by charge mode (punchcard.valuation.units): one test per decision.

Decisions pinned here (module docstring of units.py):

- ``each``: 1.
- ``hour``: every started hour of elapsed time; the last one counts only past *grace_minutes*.
- ``day``: every started 24-hour period of elapsed time (DST: 23 h is 1 day, 25 h is 2), same grace.
- ``night``: local midnights crossed (boarding); ``daycare=True``: local dates touched, check-out
  exclusive.
- every mode: at least 1 unit.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from punchcard.errors import InvalidTimeError, InvalidTypeError, InvalidValueError
from punchcard.testing import TIMEZONES
from punchcard.valuation.units import reservation_units

NY = "America/New_York"
NY_TZ = ZoneInfo(NY)
UTC = dt.timezone.utc
D = dt.datetime


def units(check_in: dt.datetime, check_out: dt.datetime, charge_by: str, **kw: object) -> int:
    kw.setdefault("timezone", NY)
    return reservation_units(check_in, check_out, charge_by, **kw)  # type: ignore[arg-type]


# -- each ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check_in", "check_out"),
    [
        (D(2026, 3, 2, 9), D(2026, 3, 2, 9)),
        (D(2026, 3, 2, 9), D(2026, 3, 2, 10, 30)),
        (D(2026, 3, 2, 9), D(2026, 4, 2, 9)),
    ],
)
def test_each_is_one_unit_whatever_the_length(
    check_in: dt.datetime, check_out: dt.datetime
) -> None:
    assert units(check_in, check_out, "each") == 1


# -- hour ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(60, 1), (61, 2), (120, 2), (179, 3), (180, 3), (181, 4), (24 * 60, 24)],
)
def test_hour_counts_every_started_hour(minutes: int, expected: int) -> None:
    start = D(2026, 3, 2, 9)
    assert units(start, start + dt.timedelta(minutes=minutes), "hour") == expected


def test_hour_a_microsecond_into_an_hour_starts_it() -> None:
    start = D(2026, 3, 2, 9)
    assert units(start, start + dt.timedelta(hours=2, microseconds=1), "hour") == 3


def test_hour_grace_forgives_up_to_and_including_grace_minutes() -> None:
    start = D(2026, 3, 2, 9)
    at = start + dt.timedelta(hours=1)
    assert units(start, at + dt.timedelta(minutes=10), "hour", grace_minutes=10) == 1
    assert units(start, at + dt.timedelta(minutes=10, seconds=1), "hour", grace_minutes=10) == 2
    assert units(start, at + dt.timedelta(minutes=59), "hour", grace_minutes=59) == 1


def test_hour_grace_is_only_for_the_last_hour_not_each() -> None:
    # 3 h 25 min with 10 minutes of grace: the grace does not add up over the hours.
    start = D(2026, 3, 2, 9)
    assert units(start, start + dt.timedelta(hours=3, minutes=25), "hour", grace_minutes=10) == 4


def test_hour_zero_length_or_within_grace_stay_is_still_one_unit() -> None:
    start = D(2026, 3, 2, 9)
    assert units(start, start, "hour") == 1
    assert units(start, start + dt.timedelta(minutes=5), "hour", grace_minutes=15) == 1


def test_hour_counts_elapsed_time_on_the_23_hour_day() -> None:
    # 2026-03-08 New York: 00:00 to 04:00 on the wall is 3 real hours (02:00 is skipped).
    assert units(D(2026, 3, 8, 0), D(2026, 3, 8, 4), "hour") == 3


def test_hour_counts_elapsed_time_on_the_25_hour_day() -> None:
    # 2026-11-01 New York: 00:00 to 04:00 on the wall is 5 real hours (01:00-02:00 twice).
    assert units(D(2026, 11, 1, 0), D(2026, 11, 1, 4), "hour") == 5


def test_hour_ambiguous_naive_time_is_the_earlier_occurrence() -> None:
    # 01:30 occurs twice on 2026-11-01; naive means the first (EDT), so to 02:00 EST is 1.5 h.
    assert units(D(2026, 11, 1, 1, 30), D(2026, 11, 1, 2, 0), "hour") == 2
    # The second 01:30 (fold=1, aware) to 02:00 EST is 30 minutes.
    second = D(2026, 11, 1, 1, 30, tzinfo=NY_TZ, fold=1)
    assert units(second, D(2026, 11, 1, 2, 0), "hour") == 1


def test_hour_aware_times_in_different_zones_are_compared_as_instants() -> None:
    check_in = D(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York
    check_out = D(2026, 3, 2, 11, 30, tzinfo=NY_TZ)
    assert reservation_units(check_in, check_out, "hour") == 3
    # Same instants as naive New York times.
    assert units(D(2026, 3, 2, 9), D(2026, 3, 2, 11, 30), "hour") == 3


def test_hour_same_tzinfo_across_dst_uses_real_elapsed_time() -> None:
    # Python subtracts two datetimes with the same tzinfo on the wall clock; units must not.
    check_in = D(2026, 3, 8, 0, tzinfo=NY_TZ)
    check_out = D(2026, 3, 8, 4, tzinfo=NY_TZ)
    assert reservation_units(check_in, check_out, "hour") == 3


def test_hour_is_constant_time_over_millennia() -> None:
    check_in = D(1, 1, 1, tzinfo=UTC)
    check_out = D(9999, 12, 31, tzinfo=UTC)
    days = (dt.date(9999, 12, 31) - dt.date(1, 1, 1)).days
    assert reservation_units(check_in, check_out, "hour") == days * 24
    assert reservation_units(check_in, check_out, "day") == days


# -- day (per 24 hours) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "expected"), [(1, 1), (24, 1), (25, 2), (48, 2), (49, 3), (24 * 7, 7)]
)
def test_day_counts_every_started_24_hours(hours: int, expected: int) -> None:
    start = D(2026, 3, 2, 12)
    assert units(start, start + dt.timedelta(hours=hours), "day") == expected


def test_day_noon_to_noon_over_spring_forward_is_23_hours_one_day() -> None:
    assert units(D(2026, 3, 7, 12), D(2026, 3, 8, 12), "day") == 1


def test_day_noon_to_noon_over_fall_back_is_25_hours_two_days() -> None:
    assert units(D(2026, 10, 31, 12), D(2026, 11, 1, 12), "day") == 2


def test_day_fall_back_within_grace_is_one_day() -> None:
    # The extra hour of the 25-hour day falls inside a 60-minute grace.
    assert units(D(2026, 10, 31, 12), D(2026, 11, 1, 12), "day", grace_minutes=60) == 1


def test_day_grace_boundary() -> None:
    start = D(2026, 3, 2, 12)
    end = start + dt.timedelta(days=1, hours=2)
    assert units(start, end, "day", grace_minutes=120) == 1
    assert units(start, end + dt.timedelta(seconds=1), "day", grace_minutes=120) == 2
    assert units(start, end, "day", grace_minutes=1439) == 1


def test_issue12_grace_minutes_boundary_is_inclusive_720_forgives_exactly_12_hours() -> None:
    # grace_minutes=720 forgives an overrun of exactly 12 h 00: a 36-hour stay is one day...
    start = D(2026, 3, 2, 8)
    assert units(start, start + dt.timedelta(hours=36), "day", grace_minutes=720) == 1
    # ...and one second more starts the second day.
    assert units(start, start + dt.timedelta(hours=36, seconds=1), "day", grace_minutes=720) == 2
    # PetExec adds a day "once it reaches 12 hours": its rule is grace_minutes=719.
    assert units(start, start + dt.timedelta(hours=36), "day", grace_minutes=719) == 2
    assert units(start, start + dt.timedelta(hours=35, minutes=59), "day", grace_minutes=719) == 1


# -- night / daycare ----------------------------------------------------------------------------


def test_night_counts_local_midnights_crossed() -> None:
    assert units(D(2026, 3, 2, 14), D(2026, 3, 4, 10), "night") == 2
    assert units(D(2026, 3, 2, 23, 59), D(2026, 3, 3, 0, 1), "night") == 1


def test_night_same_date_boarding_is_one_night() -> None:
    assert units(D(2026, 3, 2, 9), D(2026, 3, 2, 17), "night") == 1


def test_night_ignores_hours_a_late_checkout_is_not_an_extra_night() -> None:
    # 2 days and 10 hours, but 2 midnights: the per-24-hours mode says 3.
    assert units(D(2026, 3, 2, 8), D(2026, 3, 4, 18), "night") == 2
    assert units(D(2026, 3, 2, 8), D(2026, 3, 4, 18), "day") == 3


def test_night_counts_local_dates_across_dst() -> None:
    # A short night (spring forward) and a long one (fall back) are each one night.
    assert units(D(2026, 3, 7, 20), D(2026, 3, 8, 8), "night") == 1
    assert units(D(2026, 10, 31, 20), D(2026, 11, 1, 8), "night") == 1
    # 2 nights across fall back: 49 elapsed hours, still 2 nights.
    assert units(D(2026, 10, 31, 9), D(2026, 11, 2, 9), "night") == 2


def test_night_uses_the_business_zone_not_utc_dates() -> None:
    # 01:00 JST on Mar 3 to 10:00 JST on Mar 4: one local midnight, two UTC midnights.
    check_in = D(2026, 3, 2, 16, tzinfo=UTC)
    check_out = D(2026, 3, 4, 1, tzinfo=UTC)
    assert reservation_units(check_in, check_out, "night", timezone="Asia/Tokyo") == 1
    assert reservation_units(check_in, check_out, "night", timezone="UTC") == 2


def test_daycare_same_day_is_one() -> None:
    assert units(D(2026, 3, 2, 8), D(2026, 3, 2, 18), "night", daycare=True) == 1
    assert units(D(2026, 3, 2, 8), D(2026, 3, 2, 8), "night", daycare=True) == 1


def test_daycare_counts_each_local_date_touched() -> None:
    assert units(D(2026, 3, 2, 20), D(2026, 3, 3, 2), "night", daycare=True) == 2
    assert units(D(2026, 3, 2, 8), D(2026, 3, 4, 17), "night", daycare=True) == 3
    # Boarding the same stay is the midnights: one fewer.
    assert units(D(2026, 3, 2, 8), D(2026, 3, 4, 17), "night") == 2


def test_daycare_checkout_at_local_midnight_does_not_start_a_day() -> None:
    assert units(D(2026, 3, 2, 20), D(2026, 3, 3, 0), "night", daycare=True) == 1
    assert units(D(2026, 3, 2, 20), D(2026, 3, 3, 0, 0, 1), "night", daycare=True) == 2


# -- errors -------------------------------------------------------------------------------------


def test_check_out_before_check_in_names_check_out() -> None:
    with pytest.raises(InvalidValueError, match=r"^check_out: must not be before check_in") as err:
        units(D(2026, 3, 2, 9), D(2026, 3, 2, 8, 59), "hour")
    assert err.value.field == "check_out"


def test_check_out_before_check_in_is_judged_on_instants() -> None:
    # 09:00 New York is 14:00 UTC: a check-out at 13:00 UTC is before it.
    with pytest.raises(InvalidValueError) as err:
        units(D(2026, 3, 2, 9), D(2026, 3, 2, 13, tzinfo=UTC), "each")
    assert err.value.field == "check_out"


def test_unknown_charge_by_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="got 'week'") as err:
        units(D(2026, 3, 2, 9), D(2026, 3, 2, 10), "week")
    assert err.value.field == "charge_by"


@pytest.mark.parametrize(
    ("charge_by", "grace"), [("hour", 60), ("hour", -1), ("day", 1440), ("night", 5), ("each", 1)]
)
def test_grace_out_of_range_or_for_a_mode_without_grace_is_refused(
    charge_by: str, grace: int
) -> None:
    with pytest.raises(InvalidValueError) as err:
        units(D(2026, 3, 2, 9), D(2026, 3, 2, 10), charge_by, grace_minutes=grace)
    assert err.value.field == "grace_minutes"


def test_grace_must_be_a_whole_number() -> None:
    with pytest.raises(InvalidTypeError) as err:
        units(D(2026, 3, 2, 9), D(2026, 3, 2, 10), "hour", grace_minutes=True)
    assert err.value.field == "grace_minutes"


def test_daycare_flag_only_with_night() -> None:
    with pytest.raises(InvalidValueError) as err:
        units(D(2026, 3, 2, 9), D(2026, 3, 2, 10), "day", daycare=True)
    assert err.value.field == "daycare"


def test_timezone_is_required_for_naive_times() -> None:
    with pytest.raises(InvalidValueError, match="naive check_out") as err:
        reservation_units(D(2026, 3, 2, 9, tzinfo=UTC), D(2026, 3, 2, 10), "hour")
    assert err.value.field == "timezone"


def test_timezone_is_required_for_nights_even_with_aware_times() -> None:
    with pytest.raises(InvalidValueError) as err:
        reservation_units(D(2026, 3, 2, 9, tzinfo=UTC), D(2026, 3, 3, 9, tzinfo=UTC), "night")
    assert err.value.field == "timezone"


def test_timezone_may_be_a_tzinfo() -> None:
    assert reservation_units(D(2026, 3, 8, 0), D(2026, 3, 8, 4), "hour", timezone=NY_TZ) == 3


def test_timezone_errors_name_the_field() -> None:
    with pytest.raises(InvalidValueError) as unknown:
        units(D(2026, 3, 2, 9), D(2026, 3, 2, 10), "hour", timezone="Mars/Olympus")
    assert unknown.value.field == "timezone"
    with pytest.raises(InvalidTypeError) as wrong_type:
        units(D(2026, 3, 2, 9), D(2026, 3, 2, 10), "hour", timezone=5)
    assert wrong_type.value.field == "timezone"


def test_skipped_local_time_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidTimeError) as err:
        units(D(2026, 3, 7, 12), D(2026, 3, 8, 2, 30), "day")
    assert err.value.field == "check_out"


@pytest.mark.parametrize("field", ["check_in", "check_out"])
def test_dates_are_not_datetimes(field: str) -> None:
    times: dict[str, object] = {"check_in": D(2026, 3, 2, 9), "check_out": D(2026, 3, 3, 9)}
    times[field] = dt.date(2026, 3, 2)
    with pytest.raises(InvalidTypeError) as err:
        reservation_units(times["check_in"], times["check_out"], "night", timezone=NY)  # type: ignore[arg-type]
    assert err.value.field == field


# -- properties ---------------------------------------------------------------------------------

_instants = st.datetimes(D(2025, 1, 1), D(2027, 12, 31)).map(lambda d: d.replace(tzinfo=UTC))
_stays = st.one_of(
    st.timedeltas(dt.timedelta(0), dt.timedelta(days=3)),
    st.integers(0, 24 * 60).map(lambda m: dt.timedelta(minutes=m)),
    st.integers(0, 20).map(lambda h: dt.timedelta(hours=h)),
)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@given(
    start=_instants,
    stay=_stays,
    charge_by=st.sampled_from(("hour", "day")),
    grace=st.integers(0, 59),
    zone=st.sampled_from(TIMEZONES),
)
def test_property_elapsed_modes_match_ceiling_of_elapsed_minus_grace(
    start: dt.datetime, stay: dt.timedelta, charge_by: str, grace: int, zone: str
) -> None:
    period = dt.timedelta(hours=1 if charge_by == "hour" else 24)
    beyond_grace = max(stay - dt.timedelta(minutes=grace), dt.timedelta(0))
    expected = max(
        1,
        _ceil_div(
            beyond_grace // dt.timedelta(microseconds=1), period // dt.timedelta(microseconds=1)
        ),
    )
    tz = ZoneInfo(zone)
    got = reservation_units(
        start.astimezone(tz), (start + stay).astimezone(tz), charge_by, grace_minutes=grace
    )
    assert got == expected


@given(
    start=_instants,
    stay=_stays,
    charge_by=st.sampled_from(("each", "hour", "day", "night")),
    daycare=st.booleans(),
    zone=st.sampled_from(TIMEZONES),
)
def test_property_units_do_not_depend_on_how_the_instants_are_written(
    start: dt.datetime, stay: dt.timedelta, charge_by: str, daycare: bool, zone: str
) -> None:
    daycare = daycare and charge_by == "night"
    tz = ZoneInfo(zone)
    end = start + stay
    as_utc = reservation_units(start, end, charge_by, timezone=zone, daycare=daycare)
    as_local = reservation_units(
        start.astimezone(tz), end.astimezone(tz), charge_by, timezone=zone, daycare=daycare
    )
    assert as_utc == as_local >= 1
    naive_in, naive_out = start.astimezone(tz), end.astimezone(tz)
    # Naive local times mean the first occurrence: only compare when that is what they were.
    if all(
        m.replace(tzinfo=None).replace(tzinfo=tz, fold=0).astimezone(UTC) == m.astimezone(UTC)
        for m in (naive_in, naive_out)
    ):
        as_naive = reservation_units(
            naive_in.replace(tzinfo=None),
            naive_out.replace(tzinfo=None),
            charge_by,
            timezone=zone,
            daycare=daycare,
        )
        assert as_naive == as_utc


@given(start=_instants, stay=_stays, zone=st.sampled_from(TIMEZONES))
def test_property_nights_and_daycare_days_agree_with_local_dates(
    start: dt.datetime, stay: dt.timedelta, zone: str
) -> None:
    tz = ZoneInfo(zone)
    end = start + stay
    local_in, local_out = start.astimezone(tz), end.astimezone(tz)
    nights = reservation_units(start, end, "night", timezone=zone)
    days = reservation_units(start, end, "night", timezone=zone, daycare=True)
    # Oracle: walk the local dates one by one (fine in a test: a stay is at most 3 days here).
    touched = set()
    cursor = local_in.date()
    while dt.datetime.combine(cursor, dt.time(), tz) < local_out or cursor == local_in.date():
        touched.add(cursor)
        cursor += dt.timedelta(days=1)
    midnights = len(touched) - 1 + (1 if local_out.time() == dt.time() and stay else 0)
    assert nights == max(1, midnights)
    assert days == len(touched)
