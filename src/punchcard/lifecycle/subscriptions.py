"""Subscriptions: a package that renews at the end of every period, granting the period's credits.

Period *k* of a subscription bought on local date *A* ends on ``period.last_day(A, k)``
(``dateutil.relativedelta`` from the anchor, month ends clamped: no drift), and the renewal
happens at the end of that day (23:59 local by default), DST-correct. The renewal charges the
type's price and grants its components again; what happens to the credits left is the business's
``unused_at_renewal``: ``forfeit`` (default: they expire) or ``rollover``. Held credits stay held
across a renewal. Renewal is automatic: every operation at a time after a renewal moment sees
the subscription renewed (see :func:`~punchcard.lifecycle.catch_up`).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from ..errors import InvalidTypeError
from ..events import ItemCredits
from ..money import Money
from ..timeutil import end_of_day, local_date
from ._instants import before
from .business import Business
from .state import PackageState

__all__ = ["Renewal", "renewal_moment", "renewals"]


def renewal_moment(package: PackageState, period: int, expires_at: dt.timedelta) -> dt.datetime:
    """The instant period *period* of subscription *package* ends (and the next begins)."""
    subscription = package.subscription
    if subscription is None:
        raise InvalidTypeError("package", f"package {package.id!r} is not a subscription")
    anchor = local_date(package.purchased_at, package.tz)
    return end_of_day(subscription.last_day(anchor, period), package.tz, expires_at)


class Renewal(NamedTuple):
    """One renewal due: when, which period begins, its last day, what is forfeited and granted."""

    moment: dt.datetime
    period: int
    ends_on: dt.date
    forfeited: tuple[ItemCredits, ...]
    granted: tuple[ItemCredits, ...]
    amount: Money


def renewals(package: PackageState, now: dt.datetime, business: Business) -> list[Renewal]:
    """The renewals of *package* due by *now* (aware), in order (several when periods were
    missed); none unless it is an active subscription."""
    subscription = package.subscription
    if package.status != "active" or subscription is None:
        return []
    expires_at = business.expires_at
    period = package.period
    moment = renewal_moment(package, period, expires_at)
    if before(now, moment):
        return []
    rollover = business.unused_at_renewal == "rollover"
    left = {c.item: c.remaining for c in package.components}
    anchor = local_date(package.purchased_at, package.tz)
    granted = tuple(ItemCredits(g.item, g.quantity) for g in package.grants)
    out: list[Renewal] = []
    while not before(now, moment):
        period += 1
        forfeited = tuple(ItemCredits(item, 0 if rollover else n) for item, n in left.items())
        for grant in package.grants:  # the grants are the package's components
            left[grant.item] = (left[grant.item] if rollover else 0) + grant.quantity
        out.append(
            Renewal(
                moment,
                period,
                subscription.last_day(anchor, period),
                forfeited,
                granted,
                package.price,
            )
        )
        moment = renewal_moment(package, period, expires_at)
    return out
