"""How many units (credits) a reservation takes, from its check-in and check-out, by charge mode.

A package credit is worth "the single unit of reservation" of its reservation type, and the unit
depends on how the type is charged. :func:`reservation_units` turns a stay into that whole number
of units, ready for ``Line.units``. The rules, one per ``charge_by``:

``"each"``
    1: the reservation is the unit (a grooming, a class).
``"hour"``
    Every *started* hour of elapsed time counts ("one credit equals the rate of one hour"), so
    1 h 05 min is 2 hours. An optional *grace_minutes* (0 to 59) forgives a short overrun: the
    last hour counts only when more than *grace_minutes* of it were used (1 h 05 min with 10
    minutes of grace is 1 hour, 1 h 10 min too, 1 h 11 min is 2).
``"day"``
    "Charge by 24 hours": every started 24-hour period of *elapsed* time, with the same optional
    grace (0 to 1439 minutes). Elapsed, not wall-clock: across the night clocks go forward, noon
    to noon is 23 hours and 1 day; across the night they go back it is 25 hours and 2 days.
    The grace is inclusive: ``grace_minutes=720`` forgives an overrun of exactly 12 h 00 and
    charges the next day from 12 h 00 min 01 s. A business that adds a day "once it reaches
    12 hours" (PetExec) sets ``grace_minutes=719``.
``"night"``
    "Charge by Night / Use for Daycare" (the article: "one credit equals the rate of one
    reservation checked in every 12 hours"). That sentence does not give a countable rule, so
    punchcard counts *local calendar dates*, which is what the two uses of the mode mean:

    - boarding (the default): the number of local midnights the stay crosses, i.e. local date of
      check-out minus local date of check-in (Mon 14:00 to Wed 10:00 is 2 nights, whatever the
      length of those nights in hours, DST included);
    - ``daycare=True``: the number of local dates the stay touches, check-out exclusive (Mon 08:00
      to Mon 18:00 is 1 day; an overnight Mon 20:00 to Tue 02:00 is 2; a check-out at exactly
      local midnight does not start a new day).

Whatever the mode, a reservation takes at least one unit: a stay shorter than the grace, or a
boarding checked in and out on the same date, is 1 (``Line.units`` is never below 1).

Times may be aware or naive; a naive time is local time in *timezone* (a time skipped when clocks
go forward is refused, a repeated one is the earlier: see :func:`punchcard.timeutil.to_local`).
*timezone* is required for naive times and for ``"night"`` (whose dates are the business's local
dates). Everything is O(1): no loop over hours or days.

.. versionadded:: 0.1
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from ..errors import InvalidTypeError, InvalidValueError
from ..models import CHARGE_BY
from ..timeutil import to_local, zone

__all__ = ["reservation_units"]

_UTC: Final = dt.timezone.utc
_MICROSECOND: Final = dt.timedelta(microseconds=1)
#: The length of one unit of elapsed time, for the modes that count elapsed time.
_PERIODS: Final[dict[str, dt.timedelta]] = {
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(hours=24),
}
_MIDNIGHT: Final = dt.time()


def _is_naive(moment: dt.datetime) -> bool:
    return moment.tzinfo is None or moment.utcoffset() is None


def _zone_of(timezone: str | dt.tzinfo | None) -> dt.tzinfo | None:
    if timezone is None or isinstance(timezone, dt.tzinfo):
        return timezone
    if isinstance(timezone, str):
        return zone(timezone)
    raise InvalidTypeError(
        "timezone", f"must be an IANA zone name, a tzinfo or None, got {timezone!r}"
    )


def _check_datetime(field: str, value: object) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise InvalidTypeError(field, f"must be a datetime.datetime, got {value!r}")
    return value


def _instant(moment: dt.datetime, tz: dt.tzinfo | None, field: str) -> dt.datetime:
    """*moment* as an aware UTC instant (naive = local time in *tz*)."""
    if _is_naive(moment):
        assert tz is not None  # checked by the caller
        moment = to_local(moment, tz, field)
    return moment.astimezone(_UTC)


def reservation_units(
    check_in: dt.datetime,
    check_out: dt.datetime,
    charge_by: str,
    *,
    timezone: str | dt.tzinfo | None = None,
    grace_minutes: int = 0,
    daycare: bool = False,
) -> int:
    """The whole number of units (credits) a stay from *check_in* to *check_out* takes.

    *charge_by* is ``"each"``, ``"hour"``, ``"day"`` (per 24 hours) or ``"night"`` (by night, or
    by day with ``daycare=True``); the rules are in the module docstring. *grace_minutes* applies
    to ``"hour"`` and ``"day"`` only. Check-out before check-in is an error naming ``check_out``.

    >>> ny = "America/New_York"
    >>> reservation_units(dt.datetime(2026, 3, 2, 9, 0), dt.datetime(2026, 3, 2, 12, 5), "hour",
    ...                   timezone=ny)
    4
    >>> reservation_units(dt.datetime(2026, 3, 2, 9, 0), dt.datetime(2026, 3, 2, 12, 5), "hour",
    ...                   timezone=ny, grace_minutes=10)
    3
    >>> reservation_units(dt.datetime(2026, 3, 7, 12), dt.datetime(2026, 3, 8, 12), "day",
    ...                   timezone=ny)  # 23 hours: clocks went forward
    1
    >>> reservation_units(dt.datetime(2026, 3, 2, 14), dt.datetime(2026, 3, 4, 10), "night",
    ...                   timezone=ny)
    2
    >>> reservation_units(dt.datetime(2026, 3, 2, 8), dt.datetime(2026, 3, 2, 18), "night",
    ...                   timezone=ny, daycare=True)
    1
    >>> reservation_units(dt.datetime(2026, 3, 2, 8), dt.datetime(2026, 3, 2, 7), "each",
    ...                   timezone=ny)
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: check_out: must not be before check_in (2026-03-02T07:00:00 < 2026-03-02T08:00:00)
    """
    check_in = _check_datetime("check_in", check_in)
    check_out = _check_datetime("check_out", check_out)
    if charge_by not in CHARGE_BY:
        raise InvalidValueError(
            "charge_by", f"must be one of {list(CHARGE_BY)!r}, got {charge_by!r}"
        )
    if isinstance(grace_minutes, bool) or not isinstance(grace_minutes, int):
        raise InvalidTypeError("grace_minutes", f"must be a whole number, got {grace_minutes!r}")
    if not isinstance(daycare, bool):
        raise InvalidTypeError("daycare", f"must be true or false, got {daycare!r}")
    period = _PERIODS.get(charge_by)
    if period is None:
        if grace_minutes:
            raise InvalidValueError(
                "grace_minutes",
                f"applies only to charge_by 'hour' or 'day', got {grace_minutes!r} "
                f"with {charge_by!r}",
            )
    else:
        limit = period // dt.timedelta(minutes=1)
        if not 0 <= grace_minutes < limit:
            raise InvalidValueError(
                "grace_minutes",
                f"must be a whole number from 0 to {limit - 1} for charge_by {charge_by!r}, "
                f"got {grace_minutes!r}",
            )
    if daycare and charge_by != "night":
        raise InvalidValueError(
            "daycare", f"applies only to charge_by 'night', got daycare=True with {charge_by!r}"
        )

    tz = _zone_of(timezone)
    if tz is None:
        if charge_by == "night":
            raise InvalidValueError(
                "timezone", "is required for charge_by 'night' (nights are local dates)"
            )
        for field, moment in (("check_in", check_in), ("check_out", check_out)):
            if _is_naive(moment):
                raise InvalidValueError(
                    "timezone", f"is required to read the naive {field} {moment.isoformat()}"
                )

    start = _instant(check_in, tz, "check_in")
    end = _instant(check_out, tz, "check_out")
    if end < start:
        raise InvalidValueError(
            "check_out",
            f"must not be before check_in ({check_out.isoformat()} < {check_in.isoformat()})",
        )

    if charge_by == "each":
        return 1
    if period is not None:
        # Integer microseconds: exact for any stay, no float and no loop.
        whole, rest = divmod((end - start) // _MICROSECOND, period // _MICROSECOND)
        started = whole + (1 if rest > grace_minutes * 60_000_000 else 0)
        return max(1, started)

    # "night": local calendar dates.
    assert tz is not None
    local_in = start.astimezone(tz)
    local_out = end.astimezone(tz)
    first, last = local_in.date(), local_out.date()
    if not daycare:
        return max(1, (last - first).days)
    if end == start:
        return 1
    if local_out.time() == _MIDNIGHT:
        # The check-out is exclusive: leaving at the stroke of midnight uses no part of that day.
        last -= dt.timedelta(days=1)
    return (last - first).days + 1
