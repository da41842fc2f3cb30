"""A package's times — when it is valid from, when it stops being usable — and how a package
stands once credits of it are redeemed.

Everything here is worked out from the package value and the business's zone; ``docs/semantics.md``
("E: expiry and time" and the options X4–X6) says why.

>>> import datetime as dt
>>> import attrs
>>> from punchcard import Component, Package
>>> from punchcard.timeutil import zone
>>> ny = zone("America/New_York")
>>> p = Package(id="p1", owner="o", purchased_at=dt.datetime(2026, 1, 5, 23, 30),
...             components=[Component("x", 1)], days_to_expiration=30)
>>> times = package_times(p, ny, END_OF_DAY)
>>> times.expires_on, times.expires_local.isoformat()
(datetime.date(2026, 2, 4), '2026-02-04T23:59:00-05:00')
>>> package_times(attrs.evolve(p, expiry_starts="first_use"), ny, END_OF_DAY).expires_utc is None
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal, NamedTuple

from ._fast import evolve_trusted
from .models import Component, Duration, Package
from .money import Money
from .timeutil import end_of_day, parse_time_of_day, to_local

__all__ = [
    "END_OF_DAY",
    "EXPIRY_MODES",
    "ExpiryMode",
    "PackageTimes",
    "advance",
    "countdown",
    "package_times",
]

#: ``end_of_day`` (default): a package expires at ``expires_at`` local time on its expiry date;
#: ``elapsed``: a length counts to the exact instant (X5).
ExpiryMode = Literal["end_of_day", "elapsed"]
EXPIRY_MODES: tuple[ExpiryMode, ...] = ("end_of_day", "elapsed")
#: The default time of day an expiry date ends: 23:59 local.
END_OF_DAY = parse_time_of_day("23:59")

_UTC = dt.timezone.utc


class PackageTimes(NamedTuple):
    """The times of one package in one zone, as it stands."""

    #: The purchase time, aware, local.
    purchased: dt.datetime
    #: The purchase instant, UTC.
    purchased_utc: dt.datetime
    #: From this instant (UTC) it may pay: the later of its purchase and ``valid_from`` (R3, X6).
    valid_utc: dt.datetime
    #: The instant (UTC) it stops being usable; ``None``: never (or not yet: a first-use
    #: countdown that has not started).
    expires_utc: dt.datetime | None
    #: The same instant, aware, local (what the output reports as ``expires_at``).
    expires_local: dt.datetime | None
    #: The local date reported as ``expires_on``.
    expires_on: dt.date | None


def countdown(package: Package) -> Duration | None:
    """The length of validity of *package*: ``valid_for``, or ``days_to_expiration`` days."""
    if package.valid_for is not None:
        return package.valid_for
    if package.days_to_expiration is not None:
        return Duration("days", package.days_to_expiration)
    return None


def package_times(
    package: Package,
    tz: dt.tzinfo,
    expires_at: dt.timedelta = END_OF_DAY,
    mode: ExpiryMode = "end_of_day",
) -> PackageTimes:
    """The times of *package* in the zone *tz*.

    An explicit ``expires_on`` wins (it may be an edited expiry) and ends at *expires_at* local
    time on that date. Otherwise the countdown (``days_to_expiration`` or ``valid_for``) starts
    at the first use when ``expiry_starts == "first_use"`` (no expiry while never used), else at
    the later of the purchase and ``valid_from``; with *mode* ``end_of_day`` it ends at
    *expires_at* on the local start date + the length, with ``elapsed`` at the same local clock
    time the length later. A time that does not exist in *tz* raises
    :class:`~punchcard.errors.InvalidTimeError` naming the field.
    """
    purchased = to_local(package.purchased_at, tz, "purchased_at")
    purchased_utc = purchased.astimezone(_UTC)
    valid_utc = purchased_utc
    start = purchased
    if package.valid_from is not None:
        valid_from = to_local(package.valid_from, tz, "valid_from")
        if valid_from.astimezone(_UTC) > purchased_utc:
            valid_utc = valid_from.astimezone(_UTC)
            start = valid_from
    first_used = None
    if package.first_used_at is not None:
        first_used = to_local(package.first_used_at, tz, "first_used_at")

    local: dt.datetime | None
    day: dt.date | None
    if package.expires_on is not None:
        day = package.expires_on
        local = _end_of_day(day, tz, expires_at)
    else:
        begins: dt.datetime | None = first_used if package.expiry_starts == "first_use" else start
        days, length = package.days_to_expiration, package.valid_for
        if begins is None or (days is None and length is None):
            return PackageTimes(purchased, purchased_utc, valid_utc, None, None, None)
        if mode == "end_of_day":
            day = (
                _days_after(begins.date(), days) if length is None else length.after(begins.date())
            )
            local = _end_of_day(day, tz, expires_at)
        else:
            length = length or Duration("days", days or 0)
            wall = length.after_wall(begins.replace(tzinfo=None))
            local = None if wall is None else _wall_moment(wall, tz)
            day = dt.date.max if local is None else local.date()
    expires_utc = None if local is None else local.astimezone(_UTC)
    return PackageTimes(purchased, purchased_utc, valid_utc, expires_utc, local, day)


def _days_after(day: dt.date, days: int | None) -> dt.date:
    """*days* after *day*; the last date there is when beyond the calendar."""
    assert days is not None
    if days > (dt.date.max - day).days:
        return dt.date.max
    return day + dt.timedelta(days=days)


def _end_of_day(day: dt.date, tz: dt.tzinfo, expires_at: dt.timedelta) -> dt.datetime | None:
    try:
        moment = end_of_day(day, tz, expires_at)
        moment.astimezone(_UTC)
    except OverflowError:  # ends after 9999-12-31: never within the calendar
        return None
    return moment


def _wall_moment(wall: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
    """The instant of the naive local *wall* time in *tz*: the earlier one when it occurs twice,
    the first instant after the gap when it does not exist (clocks go forward)."""
    try:
        earlier = wall.replace(tzinfo=tz)
        before, after = earlier.utcoffset(), wall.replace(tzinfo=tz, fold=1).utcoffset()
        if before is None or after is None or before >= after:
            earlier.astimezone(_UTC)
            return earlier
        # In the gap: the instant read with the offset before the change is after the gap; the
        # gap ends at the change, the first instant whose offset is the later one.
        low = wall.replace(tzinfo=tz, fold=1).astimezone(_UTC)  # before the change
        high = earlier.astimezone(_UTC)  # after it
        while high - low > dt.timedelta(seconds=1):
            middle = low + (high - low) / 2
            middle = middle.replace(microsecond=0)
            if middle.astimezone(tz).utcoffset() == after:
                high = middle
            else:
                low = middle
        return high.astimezone(tz)
    except OverflowError:
        return None


def advance(
    package: Package,
    balances: Sequence[int],
    *,
    at: dt.datetime,
    balance: Money | None = None,
    tz: dt.tzinfo,
    mode: ExpiryMode = "end_of_day",
) -> Package:
    """*package* once redeemed at *at*: its components hold *balances* (in component order) or,
    for a stored-value package, its balance is *balance*.

    This is the one place that says how a package stands after a redemption: the first one
    records ``first_used_at``; when it starts a first-use countdown under the ``end_of_day``
    mode, ``expires_on`` is fixed too (the local date the countdown ends), so that a host that
    stores the package persists its expiry. (Under ``elapsed`` the instant follows from
    ``first_used_at``.)

    >>> import datetime as dt
    >>> from punchcard.timeutil import zone
    >>> p = Package(id="p1", owner="o", purchased_at=dt.datetime(2026, 1, 5),
    ...             components=[Component("x", 3)], days_to_expiration=30,
    ...             expiry_starts="first_use")
    >>> q = advance(p, [1], at=dt.datetime(2026, 2, 1, 9), tz=zone("America/New_York"))
    >>> q.remaining("x"), q.first_used_at, q.expires_on
    (1, datetime.datetime(2026, 2, 1, 9, 0), datetime.date(2026, 3, 3))
    """
    changes: dict[str, object] = {}
    if balance is not None:
        if balance != package.balance:
            changes["balance"] = balance
    else:
        components = package.components
        if any(c.remaining != n for c, n in zip(components, balances, strict=True)):
            changes["components"] = tuple(
                c if c.remaining == n else _with_remaining(c, n)
                for c, n in zip(components, balances, strict=True)
            )
    if not changes:
        return package
    if package.first_used_at is None:
        changes["first_used_at"] = at
        if (
            mode == "end_of_day"
            and package.expires_on is None
            and package.expiry_starts == "first_use"
        ):
            length = countdown(package)
            if length is not None:
                changes["expires_on"] = length.after(to_local(at, tz, "at").date())
    return evolve_trusted(package, **changes)


def _with_remaining(component: Component, remaining: int) -> Component:
    return evolve_trusted(component, remaining=remaining)
