"""When a package expires: the countdown from sale or first use, and an explicit date that wins.

>>> import datetime as dt
>>> from punchcard import Component, Package
>>> from punchcard.timeutil import zone
>>> ny = zone("America/New_York")
>>> p = Package(id="p1", owner="o", purchased_at=dt.datetime(2026, 1, 5, 23, 30),
...             components=[Component("x", 1)], days_to_expiration=30)
>>> effective_expires_on(p, ny)
datetime.date(2026, 2, 4)
>>> effective_expires_on(attrs.evolve(p, expiry_starts="first_use"), ny) is None
True
"""

from __future__ import annotations

import datetime as dt

import attrs

from .models import Package
from .timeutil import local_date, to_local

__all__ = ["effective_expires_on", "expires_on_after_first_use"]


def effective_expires_on(
    package: Package, tz: dt.tzinfo, purchased_local: dt.datetime | None = None
) -> dt.date | None:
    """The local date on which *package* expires as it stands, or ``None`` (never, or not yet).

    An explicit ``expires_on`` wins (it may be an edited expiry). Otherwise the countdown of
    ``days_to_expiration`` runs from the local date of sale, or from the local date of first use
    when ``expiry_starts == "first_use"`` (no expiry while never used). *purchased_local* saves
    converting ``purchased_at`` again when the caller already has it in *tz*.
    """
    if package.expires_on is not None:
        return package.expires_on
    days = package.days_to_expiration
    if days is None:
        return None
    if package.expiry_starts == "sale":
        if purchased_local is None:
            purchased_local = to_local(package.purchased_at, tz, "purchased_at")
        start = purchased_local.date()
    elif package.first_used_at is not None:
        start = local_date(package.first_used_at, tz, "first_used_at")
    else:
        return None
    if days > (dt.date.max - start).days:  # beyond the calendar: the last day there is
        return dt.date.max
    return start + dt.timedelta(days=days)


def expires_on_after_first_use(package: Package, first_use: dt.datetime, tz: dt.tzinfo) -> Package:
    """*package* as it stands once a credit of it is redeemed at *first_use* (aware or local).

    Records ``first_used_at`` if unset, and fixes ``expires_on`` if it was not set yet and the
    countdown has just started. A package already used is returned unchanged.
    """
    if package.first_used_at is not None:
        return package
    used = attrs.evolve(package, first_used_at=first_use)
    if used.expires_on is None and used.expiry_starts == "first_use":
        used = attrs.evolve(used, expires_on=effective_expires_on(used, tz))
    return used
