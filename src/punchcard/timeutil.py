"""Local time: the business's dates in its IANA time zone, DST-correct.

Every date that matters to the business is a *local* date. A naive date-time is local time in the
business's zone; a naive local time that does not exist (the hour skipped when clocks go forward)
is an error; one that occurs twice (clocks go back) is the earlier one.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._validate import show
from .errors import InvalidTimeError, InvalidTypeError, InvalidValueError, TimeOutOfRangeError

__all__ = [
    "end_of_day",
    "is_expired",
    "local_date",
    "parse_time_of_day",
    "to_local",
    "zone",
]

_UTC = dt.timezone.utc


#: The longest zone name accepted (the longest IANA name, America/Argentina/ComodRivadavia, has 32).
MAX_ZONE_NAME: Final = 64
# The IANA naming rules (tz-link theory.html): components of ASCII letters, digits, "-", "_" and
# "+" separated by "/", none starting with "-". No dots (so no "..", no "zone.tab"), no leading
# "/" (so no absolute path).
_IANA_NAME = re.compile(r"[A-Za-z0-9_+][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+][A-Za-z0-9_+-]*)*")
#: Keys zoneinfo opens that are not places: the machine's own zone, the POSIX default rules, the
#: tz database's "zone unknown" placeholder.
_NOT_PLACES: Final = frozenset({"localtime", "posixrules", "Factory"})
#: Trees of another clock beside the IANA zones in some zoneinfo folders (right/: leap seconds).
_OTHER_TREES: Final = ("posix/", "right/")


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone called *name*, refusing unknown names and keys that are not places.

    Only names of the tz database are time zones of a business: not ``localtime`` (whatever
    zone the machine is set to), ``posixrules``, ``Factory``, the ``posix/`` and ``right/``
    copies, nor a path to a file.

    >>> zone("America/New_York")
    zoneinfo.ZoneInfo(key='America/New_York')
    >>> zone("Mars/Olympus")
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: timezone: unknown IANA time zone 'Mars/Olympus'
    >>> zone("localtime")
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: timezone: must be the IANA time zone name of a place, like 'America/New_York', got 'localtime'
    """
    if type(name) is str:  # the common case first: a name already looked up
        found = _ZONES.get(name)
        if found is not None:
            return found
    if not isinstance(name, str):
        raise InvalidTypeError("timezone", f"must be an IANA time zone name, got {show(name)}")
    if (
        len(name) > MAX_ZONE_NAME
        or not _IANA_NAME.fullmatch(name)
        or name in _NOT_PLACES
        or name.startswith(_OTHER_TREES)
    ):
        raise InvalidValueError(
            "timezone",
            f"must be the IANA time zone name of a place, like 'America/New_York', got {show(name)}",
        )
    try:
        found = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder
        raise InvalidValueError("timezone", f"unknown IANA time zone {name!r}") from None
    if len(_ZONES) >= 256:
        _ZONES.clear()
    _ZONES[name] = found
    return found


#: The zones already looked up, by name (a memo of tz database files, never of caller state).
_ZONES: dict[str, ZoneInfo] = {}


def to_local(moment: dt.datetime, tz: dt.tzinfo, field: str = "at") -> dt.datetime:
    """Return *moment* as an aware local date-time in *tz*.

    A naive *moment* is read as local time; one that does not exist is refused; an ambiguous
    one is the earlier of the two. A moment that leaves the calendar (years 1 to 9999) in *tz*
    or in UTC is refused with :class:`~punchcard.errors.TimeOutOfRangeError` naming *field*.

    >>> ny = zone("America/New_York")
    >>> to_local(dt.datetime(2026, 3, 2, 17, 30), ny).isoformat()
    '2026-03-02T17:30:00-05:00'
    >>> to_local(dt.datetime(2026, 11, 1, 1, 30), ny).isoformat()  # occurs twice: the earlier
    '2026-11-01T01:30:00-04:00'
    >>> to_local(dt.datetime(2026, 3, 8, 2, 30), ny)
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidTimeError: at: 2026-03-08T02:30:00 does not exist in America/New_York (clocks go forward)
    >>> to_local(dt.datetime.max, ny, "as_of")
    Traceback (most recent call last):
    ...
    punchcard.errors.TimeOutOfRangeError: as_of: must stay within years 1 to 9999 in UTC and in America/New_York, got '9999-12-31T23:59:59.999999'
    """
    if moment.tzinfo is not None:
        if moment.tzinfo is tz:
            local = moment
        elif moment.utcoffset() is not None:
            try:
                local = moment.astimezone(tz)
            except OverflowError:
                raise _out_of_range(field, moment, tz) from None
        else:
            local = _naive_to_local(moment, tz, field)
    else:
        local = _naive_to_local(moment, tz, field)
    # Only a moment within a day of the calendar's ends can leave it in UTC.
    year = local.year
    if year == 1 or year == 9999:
        try:
            local.astimezone(_UTC)
        except OverflowError:
            raise _out_of_range(field, moment, tz) from None
    return local


def _naive_to_local(moment: dt.datetime, tz: dt.tzinfo, field: str) -> dt.datetime:
    # (The constructor is several times faster than datetime.replace.)
    fields = (
        moment.year, moment.month, moment.day,
        moment.hour, moment.minute, moment.second, moment.microsecond,
    )  # fmt: skip
    local = dt.datetime(*fields, tz)
    # PEP 495: in a gap (clocks go forward) fold=0 gives the offset before the change and
    # fold=1 the one after, which is larger; in a fold (clocks go back) it is the other way.
    before = tz.utcoffset(local)
    after = tz.utcoffset(dt.datetime(*fields, fold=1))
    if before is not None and after is not None and before < after:
        raise InvalidTimeError(
            field,
            f"{moment.replace(tzinfo=None).isoformat()} does not exist in {tz} (clocks go forward)",
        )
    return local


def _out_of_range(field: str, moment: dt.datetime, tz: dt.tzinfo) -> TimeOutOfRangeError:
    return TimeOutOfRangeError(
        field, f"must stay within years 1 to 9999 in UTC and in {tz}, got {moment.isoformat()!r}"
    )


def local_date(moment: dt.datetime, tz: dt.tzinfo, field: str = "at") -> dt.date:
    """The business's local date of *moment*.

    >>> local_date(dt.datetime(2026, 3, 3, 3, 0, tzinfo=dt.timezone.utc), zone("America/New_York"))
    datetime.date(2026, 3, 2)
    """
    return to_local(moment, tz, field).date()


def parse_time_of_day(text: str, field: str = "expires_at") -> dt.timedelta:
    """Parse ``HH:MM`` (``24:00`` allowed) into the time since local midnight.

    >>> parse_time_of_day("23:59")
    datetime.timedelta(seconds=86340)
    >>> parse_time_of_day("24:00")
    datetime.timedelta(days=1)
    >>> parse_time_of_day("25:00")
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: expires_at: must be a local time of day 'HH:MM' (00:00 to 24:00), got '25:00'
    """
    ok = (
        isinstance(text, str)
        and len(text) == 5
        and text[2] == ":"
        and text[:2].isdigit()
        and text[3:].isdigit()
        and text.isascii()
    )
    if ok:
        hours, minutes = int(text[:2]), int(text[3:])
        ok = (hours < 24 and minutes < 60) or (hours == 24 and minutes == 0)
    if not ok:
        raise InvalidValueError(
            field, f"must be a local time of day 'HH:MM' (00:00 to 24:00), got {show(text)}"
        )
    return dt.timedelta(hours=hours, minutes=minutes)


def end_of_day(
    day: dt.date, tz: dt.tzinfo, time_of_day: dt.timedelta, field: str = "expires_on"
) -> dt.datetime:
    """The aware moment at which a package that expires on *day* stops being usable.

    It is the wall-clock time *time_of_day* after local midnight of *day* (``23:59`` by default;
    ``24:00`` is the next midnight), in *tz*, whatever the DST changes of that day.

    >>> ny = zone("America/New_York")
    >>> end_of_day(dt.date(2026, 3, 8), ny, parse_time_of_day("23:59")).isoformat()
    '2026-03-08T23:59:00-04:00'
    >>> end_of_day(dt.date(2026, 11, 1), ny, parse_time_of_day("24:00")).isoformat()
    '2026-11-02T00:00:00-05:00'
    """
    days, seconds = time_of_day.days, time_of_day.seconds
    if days:
        if day == dt.date.max:
            raise TimeOutOfRangeError(
                field, f"must end before the end of the calendar, got {day.isoformat()!r} at 24:00"
            )
        day = day + dt.timedelta(days=days)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    # A wall time skipped by a DST change (only possible with an unusual ``expires_at`` such as
    # 02:30) is read with the offset in force before the change (fold=0): a skipped 02:30 ends
    # at 03:30 new time, one hour of wall clock after 01:30 old time, as a naive reading would
    # expect. (The constructor is several times faster than combine + replace.)
    return dt.datetime(day.year, day.month, day.day, hours, minutes, seconds, tzinfo=tz)


def is_expired(
    expires_on: dt.date | None, at: dt.datetime, tz: dt.tzinfo, time_of_day: dt.timedelta
) -> bool:
    """Whether a package that expires on *expires_on* is expired at *at* (aware or local).

    >>> ny = zone("America/New_York")
    >>> eod = parse_time_of_day("23:59")
    >>> is_expired(dt.date(2026, 3, 31), dt.datetime(2026, 3, 31, 23, 58, 59), ny, eod)
    False
    >>> is_expired(dt.date(2026, 3, 31), dt.datetime(2026, 3, 31, 23, 59), ny, eod)
    True
    >>> is_expired(None, dt.datetime(2099, 1, 1), ny, eod)
    False
    >>> is_expired(dt.date.max, dt.datetime(9999, 12, 31, 18), ny, parse_time_of_day("24:00"))
    False
    """
    if expires_on is None:
        return False
    try:
        end = end_of_day(expires_on, tz, time_of_day)
    except TimeOutOfRangeError:  # the end of 9999-12-31 is never reached
        return False
    return to_local(at, tz) >= end
