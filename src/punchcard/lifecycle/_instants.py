"""Instants, not wall clocks: how the lifecycle orders two aware times.

Python compares two aware date-times of the *same* zone by their wall clocks and ignores
``fold``: in the hour repeated when clocks go back, 01:30 EDT (fold 0) counts as after 01:10 EST
(fold 1), although it is 40 minutes earlier. Times of different zones are compared as instants.
Every comparison of the lifecycle goes through :func:`before` (or sorts by :func:`utc`).

>>> from punchcard.timeutil import zone
>>> ny = zone("America/New_York")
>>> edt = dt.datetime(2026, 11, 1, 1, 30, tzinfo=ny)           # 05:30 UTC
>>> est = dt.datetime(2026, 11, 1, 1, 10, tzinfo=ny, fold=1)   # 06:10 UTC
>>> est < edt, before(est, edt), before(edt, est)
(True, False, True)
"""

from __future__ import annotations

import datetime as dt

from ..errors import InvalidTypeError
from ..timeutil import to_local

__all__ = ["UTC", "before", "local", "utc"]

UTC = dt.timezone.utc


def before(a: dt.datetime, b: dt.datetime) -> bool:
    """Whether the instant *a* is strictly before the instant *b* (both aware).

    Two times of one zone, neither in the second pass of a repeated hour (``fold`` 0), are in
    the order of their wall clocks (the times the lifecycle keeps all exist in their zone: a
    skipped local time is refused); any other pair is compared in UTC.
    """
    if a.tzinfo is b.tzinfo and not (a.fold or b.fold):
        return a < b
    return a.astimezone(UTC) < b.astimezone(UTC)


def utc(moment: dt.datetime) -> dt.datetime:
    """*moment* in UTC: a sort key that orders instants."""
    return moment.astimezone(UTC)


def local(moment: dt.datetime, tz: dt.tzinfo, field: str) -> dt.datetime:
    """*moment* as a local time of *tz* that exists: a naive one is local time (refused when the
    zone skips it, the earlier of two when it occurs twice), an aware one is converted (an aware
    time that names a skipped wall clock becomes the instant it denotes)."""
    if not isinstance(moment, dt.datetime):
        raise InvalidTypeError(field, f"must be a datetime.datetime, got {moment!r}")
    if moment.tzinfo is not None and moment.utcoffset() is not None:
        return moment.astimezone(UTC).astimezone(tz)  # (to itself, astimezone changes nothing)
    return to_local(moment, tz, field)
