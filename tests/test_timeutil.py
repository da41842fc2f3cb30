"""Time zones and date-times at the edges: only IANA names of places, and every date-time that
leaves the calendar refused as an InvalidTimeError naming its field (issue 10, item 10)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from punchcard import Cart, Component, Line, Money, Package, Policy, apply
from punchcard.errors import (
    InvalidTimeError,
    InvalidTypeError,
    InvalidValueError,
    PunchcardError,
    TimeOutOfRangeError,
)
from punchcard.timeutil import end_of_day, local_date, parse_time_of_day, to_local, zone

UTC = dt.timezone.utc
PLUS_14 = dt.timezone(dt.timedelta(hours=14))
MINUS_12 = dt.timezone(dt.timedelta(hours=-12))
NY = zone("America/New_York")
KIRITIMATI = zone("Pacific/Kiritimati")  # UTC+14 today (UTC-10:29:20 local mean time in year 1)
EAST_14 = zone("Etc/GMT-14")  # UTC+14 at every date (the sign of Etc names is POSIX's)
NIUE = zone("Pacific/Niue")  # UTC-11


def checkout(**fields: Any) -> Any:
    """apply() on a one-line cart and one package, with *fields* changed."""
    package = Package(
        id="p1",
        owner="smith",
        purchased_at=fields.pop("purchased_at", dt.datetime(2026, 1, 5, 10)),
        components=[Component("daycare_full", 5)],
        first_used_at=fields.pop("first_used_at", None),
    )
    cart = Cart("smith", "downtown", "USD", [Line("l1", "daycare_full", Money("30", "USD"))])
    options = {"as_of": dt.datetime(2026, 3, 2, 17, 30), "timezone": "America/New_York", **fields}
    return apply(cart, [package], **options)


# --- date-times beyond the calendar ---------------------------------------------------------------

#: (moment, zone) pairs whose conversion to the zone or to UTC leaves years 1 to 9999.
OUT_OF_RANGE = [
    pytest.param(dt.datetime.max, NY, id="max-naive-new-york"),  # + 5 h in UTC
    pytest.param(dt.datetime.min, EAST_14, id="min-naive-utc+14"),  # - 14 h in UTC
    pytest.param(dt.datetime(9999, 12, 31, 20), NIUE, id="9999-12-31T20-naive-niue"),
    pytest.param(dt.datetime.max.replace(tzinfo=UTC), KIRITIMATI, id="max-utc-to-kiritimati"),
    pytest.param(dt.datetime.min.replace(tzinfo=UTC), NY, id="min-utc-to-new-york"),
    pytest.param(dt.datetime.min.replace(tzinfo=PLUS_14), UTC, id="min-plus-14-to-utc"),
    pytest.param(dt.datetime.max.replace(tzinfo=MINUS_12), UTC, id="max-minus-12-to-utc"),
    pytest.param(dt.datetime.min.replace(tzinfo=EAST_14), EAST_14, id="min-in-its-own-zone"),
    pytest.param(dt.datetime.min.replace(tzinfo=UTC), KIRITIMATI, id="min-utc-to-kiritimati-lmt"),
]


@pytest.mark.parametrize(("moment", "tz"), OUT_OF_RANGE)
def test_issue10_item10_to_local_refuses_date_times_beyond_the_calendar(
    moment: dt.datetime, tz: dt.tzinfo
) -> None:
    with pytest.raises(InvalidTimeError) as info:
        to_local(moment, tz, "purchased_at")
    err = info.value
    assert isinstance(err, TimeOutOfRangeError)
    assert isinstance(err, PunchcardError)
    assert isinstance(err, ValueError)
    assert isinstance(err, OverflowError)  # what Python raised before, for code that catches it
    assert err.field == "purchased_at"
    assert repr(moment.isoformat()) in err.message
    assert "years 1 to 9999" in err.message
    with pytest.raises(TimeOutOfRangeError):
        local_date(moment, tz, "purchased_at")


@pytest.mark.parametrize(
    ("moment", "tz", "local"),
    [
        (dt.datetime.max, KIRITIMATI, "9999-12-31T23:59:59.999999+14:00"),
        (dt.datetime.min, NY, "0001-01-01T00:00:00-04:56:02"),
        (dt.datetime.max.replace(tzinfo=UTC), NY, "9999-12-31T18:59:59.999999-05:00"),
        (dt.datetime.min.replace(tzinfo=UTC), EAST_14, "0001-01-01T14:00:00+14:00"),
        (dt.datetime(1, 1, 1, 14, tzinfo=PLUS_14), UTC, "0001-01-01T00:00:00+00:00"),
    ],
)
def test_date_times_at_the_calendar_ends_that_fit_are_read_as_before(
    moment: dt.datetime, tz: dt.tzinfo, local: str
) -> None:
    assert to_local(moment, tz).isoformat() == local


@pytest.mark.parametrize("field", ["as_of", "purchased_at", "first_used_at"])
@pytest.mark.parametrize(
    "moment",
    [dt.datetime.max, dt.datetime.min.replace(tzinfo=UTC), dt.datetime(9999, 12, 31, 22)],
    ids=["max", "min-utc", "9999-12-31T22"],
)
def test_issue10_item10_apply_refuses_datetime_max_and_min_naming_the_field(
    field: str, moment: dt.datetime
) -> None:
    with pytest.raises(InvalidTimeError) as info:
        checkout(**{field: moment})
    assert info.value.field.endswith(field)
    assert repr(moment.isoformat()) in info.value.message


def test_issue10_item10_end_of_day_24_00_on_the_last_day_is_out_of_range() -> None:
    whole_day = parse_time_of_day("24:00")
    with pytest.raises(TimeOutOfRangeError) as info:
        end_of_day(dt.date.max, NY, whole_day)
    assert info.value.field == "expires_on"
    assert "'9999-12-31'" in info.value.message
    assert end_of_day(dt.date.max, NY, parse_time_of_day("23:59")).isoformat() == (
        "9999-12-31T23:59:00-05:00"
    )


def test_a_package_that_expires_on_the_last_day_of_the_calendar_is_usable() -> None:
    """Its end at 24:00 does not exist and is never reached (the engine's reading of an
    expiry past the calendar's end), with the 23:59 default and with the whole day."""
    for expires_at in ("23:59", "24:00"):
        package = Package(
            "p1",
            "smith",
            dt.datetime(2026, 1, 5),
            [Component("daycare_full", 5)],
            expires_on=dt.date.max,
        )
        cart = Cart("smith", "downtown", "USD", [Line("l1", "daycare_full", Money("30", "USD"))])
        result = apply(
            cart,
            [package],
            as_of=dt.datetime(2026, 3, 2),
            timezone="America/New_York",
            policy=Policy(expires_at=expires_at),
        )
        assert str(result.covered) == "30.00"


# --- time zones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "localtime",  # the machine's own zone, whatever it is set to
        "posixrules",
        "Factory",  # the tz database's "zone unknown"
        "posix/America/New_York",
        "right/America/New_York",  # leap-second clock
        "/usr/share/zoneinfo/America/New_York",
        "/etc/localtime",
        "../zoneinfo/UTC",
        "America/../UTC",
        "America//New_York",
        "America/New_York/",
        "zone.tab",
        "tzdata.zi",
        " UTC",
        "UTC ",
        "America/New York",
        "",
        "-UTC",
        "A" * 65,
        "America/New_York\x00",
        "\ud800",
    ],
)
def test_issue10_item10_zone_refuses_names_that_are_not_iana_places(name: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        zone(name)
    assert info.value.field == "timezone"
    assert "IANA time zone" in info.value.message
    with pytest.raises(InvalidValueError):
        checkout(timezone=name)


def test_issue10_item10_apply_refuses_timezone_localtime() -> None:
    with pytest.raises(InvalidValueError) as info:
        checkout(timezone="localtime")
    assert info.value.field == "timezone"
    assert str(info.value) == (
        "timezone: must be the IANA time zone name of a place, like 'America/New_York', "
        "got 'localtime'"
    )


@pytest.mark.parametrize("name", [None, 5, ["UTC"], {"UTC": 1}, b"UTC"])
def test_issue10_item10_zone_refuses_values_that_are_not_strings_as_a_type_error(
    name: Any,
) -> None:
    with pytest.raises(InvalidTypeError) as info:
        zone(name)
    assert info.value.field == "timezone"


@pytest.mark.parametrize(
    "name",
    [
        "UTC",
        "Etc/GMT+5",
        "Etc/GMT-14",
        "GMT-0",
        "EST5EDT",
        "US/Eastern",
        "America/Argentina/ComodRivadavia",
        "America/Port-au-Prince",
        "Asia/Ho_Chi_Minh",
    ],
)
def test_iana_names_and_links_are_zones(name: str) -> None:
    assert zone(name).key == name
    assert zone(name) is zone(name)
