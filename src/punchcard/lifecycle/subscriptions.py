"""Subscriptions: a package that renews at the end of every period, granting the period's credits.

Period *k* of a subscription bought on local date *A* ends on ``period.last_day(A, k)``
(``dateutil.relativedelta`` from the anchor, month ends clamped: no drift), and the renewal
happens at the end of that day (23:59 local by default), DST-correct. The renewal charges the
type's price and grants its components again; what happens to the credits left is the business's
``unused_at_renewal``: ``forfeit`` (default: they expire) or ``rollover`` (at most
``rollover_cap`` of each component, if the business sets one). Held credits stay held across a
renewal. Renewal is automatic: every operation at a time after a renewal moment sees the
subscription renewed (see :func:`~punchcard.lifecycle.catch_up`).

A renewal date set by hand (:func:`~punchcard.lifecycle.set_renewal`) ends the current period
on that date; the periods after it are counted from the day after, with the same length. A
subscription that stopped renewing (:func:`~punchcard.lifecycle.stop_renewal`) renews no more:
it expires at the end of its period.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from ..errors import InvalidTypeError
from ..events import ItemCredits
from ..money import Money
from ..timeutil import end_of_day
from ._instants import before
from .business import Business
from .state import PackageState

__all__ = ["Renewal", "period_last_day", "renewal_moment", "renewals"]


def period_last_day(package: PackageState, period: int) -> dt.date:
    """The local date on which period *period* of subscription *package* ends: counted from
    the purchase date, or from the day after a renewal date set by hand (for the periods after
    it; the period it was set in ends on it)."""
    subscription = package.subscription
    if subscription is None:
        raise InvalidTypeError("package", f"package {package.id!r} is not a subscription")
    anchor, first = package.period_anchor()
    if period < first:
        return anchor - dt.timedelta(days=1)
    return subscription.last_day(anchor, period - first + 1)


def renewal_moment(package: PackageState, period: int, expires_at: dt.timedelta) -> dt.datetime:
    """The instant period *period* of subscription *package* ends (and the next begins)."""
    return end_of_day(period_last_day(package, period), package.tz, expires_at)


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
    missed); none unless it is an active subscription that has not stopped renewing."""
    if package.status != "active" or not package.renewing:
        return []
    expires_at = business.expires_at
    period = package.period
    moment = renewal_moment(package, period, expires_at)
    if before(now, moment):
        return []
    rollover = business.unused_at_renewal == "rollover"
    cap = business.rollover_cap
    left = {c.item: c.remaining for c in package.components}
    granted = tuple(ItemCredits(g.item, g.quantity) for g in package.grants)
    out: list[Renewal] = []
    while not before(now, moment):
        period += 1
        kept = {
            item: (n if cap is None else min(n, cap)) if rollover else 0 for item, n in left.items()
        }
        forfeited = tuple(ItemCredits(item, n - kept[item]) for item, n in left.items())
        for grant in package.grants:  # the grants are the package's components
            left[grant.item] = kept[grant.item] + grant.quantity
        out.append(
            Renewal(
                moment,
                period,
                period_last_day(package, period),
                forfeited,
                granted,
                package.price,
            )
        )
        moment = renewal_moment(package, period, expires_at)
    return out
