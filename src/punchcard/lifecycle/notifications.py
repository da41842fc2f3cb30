"""Notifications due: what to send now, from the packages, the time and what was already sent.

Two notices, each due once (its :attr:`Notification.key` says which one it is; the host keeps
the keys it sent and passes them back):

- **expiry reminder**: from the start of the local day ``reminder_days`` before the expiry date
  until the package expires, never when no credit is left (nor, for a stored value, no money).
  Moving the expiry date makes a new reminder due for the new date.
- **low balance**: when a use (a hold or a checkout) or a deduction brings the credits left (over
  all components) to the type's threshold or below (:attr:`PackageState.low_balance_at`); never
  because of a sale, an assignment or a renewal. Due once per package, once per period for a
  subscription (its key names the period), and only while the credits left are still at or
  below the threshold.

- **reload due** (issue 12, option 15; with ``Business(reload_at=N)``): when the credits left
  (over all components) are down to *N* or fewer (``reload_at=0``: run out), for the host to
  offer or charge a reload. Due from when credits last left the balance by a use, a deduction
  or a transfer (:attr:`PackageState.drawn_at`), never because of a sale, an assignment or a
  renewal; once per package, once per period for a subscription (its key names the period).

Subscriptions get no expiry reminder (they renew), unless they stopped renewing. Only active
packages, not expired at the time, get notices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator
from typing import Literal

import attrs

from ._instants import UTC, before, local
from .business import Business, business_of
from .state import PackageState

__all__ = ["Notification", "NotificationKind", "notifications_due"]

NotificationKind = Literal["expiry_reminder", "low_balance", "reload_due"]
_DEFAULT_BUSINESS = Business()


@attrs.frozen
class Notification:
    """One notice to send to a package's owner."""

    kind: NotificationKind
    package_id: str
    owner: str
    #: Identifies this notice: store it once sent, so it is never due again.
    key: str
    #: When it fell due.
    due_at: dt.datetime
    #: The credits left, over all components.
    remaining: int
    #: The expiry date (for a reminder; ``None`` when the package has none).
    expires_on: dt.date | None


def notifications_due(
    packages: Iterable[PackageState],
    *,
    as_of: dt.datetime,
    sent: Collection[str] = frozenset(),
    business: Business = _DEFAULT_BUSINESS,
) -> Iterator[Notification]:
    """The notices due at *as_of* and not in *sent* (keys), streamed over *packages*."""
    business = business_of(business)
    expires_at = business.expires_at
    reload_at = business.reload_at
    mode = business.expiry_mode
    # Per call: each zone and *as_of* in it; per (date, zone) whether a package expiring then is
    # expired; per (date, reminder days, zone) when the reminder falls due if that is by now
    # (``None``: not yet) and the date as text. Each depends only on its key, so the notices are
    # the same as computing them for every package; they are computed when first needed, in the
    # same order (so the same errors are raised at the same package).
    zones: dict[str, tuple[dt.tzinfo, dt.datetime]] = {}
    expired: dict[tuple[dt.date, str], bool] = {}
    reminders: dict[tuple[dt.date, int, str], tuple[dt.datetime, str] | None] = {}
    for package in packages:
        if package.status != "active":
            continue
        terms = package.purchase  # the terms it was sold with (PackageState's properties)
        reminder_days = terms.reminder_days
        threshold = terms.low_balance_threshold
        if reminder_days is None and threshold is None and reload_at is None:
            continue
        name = terms.timezone
        here = zones.get(name)
        if here is None:
            tz = package.tz
            here = zones[name] = (tz, local(as_of, tz, "as_of"))
        tz, now = here
        purchased_at = package.purchased_at
        if before(now, purchased_at):
            continue
        expires_on = package.expires_on
        #: The expiry date, unless there is none or it is a subscription's (which renews).
        renewing = terms.subscription is not None and package.renewal_stop is None
        lapses_on = None if renewing else expires_on
        if lapses_on is not None:
            lapse_key = (lapses_on, name)
            gone = expired.get(lapse_key)
            if mode != "end_of_day" and package.expiry_from_countdown:
                gone = package.expired_at(now, expires_at, mode)  # an instant of its own (X5)
            elif gone is None:
                gone = expired[lapse_key] = package.expired_at(now, expires_at)
            if gone:
                continue
        components = package.components
        if len(components) == 1:
            remaining = components[0].remaining
        else:
            remaining = sum(c.remaining for c in components)
        left = remaining > 0 or (
            package.balance is not None and package.balance.remaining.minor > 0
        )
        if reminder_days is not None and lapses_on is not None and left:
            reminder_key = (lapses_on, reminder_days, name)
            if reminder_key in reminders:
                due = reminders[reminder_key]
            else:
                day = lapses_on - dt.timedelta(days=reminder_days)
                # local midnight (the first instant of the day where midnight is skipped)
                due_at = dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)
                due_at = due_at.astimezone(tz)
                due = reminders[reminder_key] = (
                    None if before(now, due_at) else (due_at, lapses_on.isoformat())
                )
            if due is not None:
                key = f"expiry_reminder:{package.id}:{due[1]}"
                if key not in sent:
                    yield Notification(
                        "expiry_reminder",
                        package.id,
                        package.owner,
                        key,
                        purchased_at if before(due[0], purchased_at) else due[0],
                        remaining,
                        lapses_on,
                    )
        low_at = package.low_balance_at
        if (
            low_at is not None
            and threshold is not None
            and remaining <= threshold
            and not before(now, low_at)
            and not (renewing and _period_over(package, now, expires_at))
        ):
            key = f"low_balance:{package.id}:{package.period}"
            if key not in sent:
                yield Notification(
                    "low_balance",
                    package.id,
                    package.owner,
                    key,
                    low_at,
                    remaining,
                    expires_on,
                )
        if reload_at is not None and remaining <= reload_at:
            reload = _reload_due(package, now, expires_at, remaining, sent)
            if reload is not None:
                yield reload


def _reload_due(
    package: PackageState,
    now: dt.datetime,
    expires_at: dt.timedelta,
    remaining: int,
    sent: Collection[str],
) -> Notification | None:
    """The reload notice of *package* (its credits left are down to the business's
    ``reload_at``), if due at *now* and not sent."""
    drawn = package.drawn_at
    if drawn is None or before(now, drawn) or _period_over(package, now, expires_at):
        return None
    key = f"reload_due:{package.id}:{package.period}"
    if key in sent:
        return None
    return Notification(
        "reload_due", package.id, package.owner, key, drawn, remaining, package.expires_on
    )


def _period_over(package: PackageState, now: dt.datetime, expires_at: dt.timedelta) -> bool:
    """Whether *package* is a subscription whose current period has ended by *now* (it has
    renewed then, recorded or not: the new period is not low)."""
    if not package.renewing:
        return False
    end = package.expiry_moment(expires_at)
    return end is not None and not before(now, end)
