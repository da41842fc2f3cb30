"""Notifications due: what to send now, from the packages, the time and what was already sent.

Two notices, each due once (its :attr:`Notification.key` says which one it is; the host keeps
the keys it sent and passes them back):

- **expiry reminder**: from the start of the local day ``reminder_days`` before the expiry date
  until the package expires, never when no credit is left. Moving the expiry date makes a new
  reminder due for the new date.
- **low balance**: once the credits left (over all components) are at or below the type's
  threshold, and at least one credit has left the package (a package sold with no more credits
  than the threshold is not "low" at the sale). Credits granted later (by staff or a renewal)
  arm it again.

Subscriptions get no expiry reminder (they renew). Only active packages, not expired at the
time, get notices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator
from typing import Literal

import attrs

from ..timeutil import to_local
from .policy import LifecyclePolicy
from .state import PackageState

__all__ = ["Notification", "NotificationKind", "notifications_due"]

NotificationKind = Literal["expiry_reminder", "low_balance"]
_DEFAULT_POLICY = LifecyclePolicy()


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
    policy: LifecyclePolicy = _DEFAULT_POLICY,
) -> Iterator[Notification]:
    """The notices due at *as_of* and not in *sent* (keys), streamed over *packages*."""
    expires_at = policy.expires_at
    for package in packages:
        if package.status != "active":
            continue
        if package.reminder_days is None and package.low_balance_threshold is None:
            continue
        now = to_local(as_of, package.tz, "as_of")
        if package.purchased_at > now or package.expired_at(now, expires_at):
            continue
        remaining = package.total_remaining
        if (
            package.reminder_days is not None
            and package.subscription is None
            and package.expires_on is not None
            and remaining > 0
        ):
            key = f"expiry_reminder:{package.id}:{package.expires_on.isoformat()}"
            day = package.expires_on - dt.timedelta(days=package.reminder_days)
            due_at = dt.datetime.combine(day, dt.time()).replace(tzinfo=package.tz)
            if due_at <= now and key not in sent:
                yield Notification(
                    "expiry_reminder",
                    package.id,
                    package.owner,
                    key,
                    max(due_at, package.purchased_at),
                    remaining,
                    package.expires_on,
                )
        threshold = package.low_balance_threshold
        if threshold is not None and remaining <= threshold and remaining < package.total_granted:
            key = f"low_balance:{package.id}:{package.total_granted}"
            if key not in sent:
                yield Notification(
                    "low_balance",
                    package.id,
                    package.owner,
                    key,
                    package.last_event_at,
                    remaining,
                    package.expires_on,
                )
