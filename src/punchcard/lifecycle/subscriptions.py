"""Subscriptions: a package that renews at the end of every period, granting the period's credits.

Period *k* of a subscription bought on local date *A* ends on ``period.last_day(A, k)``
(``dateutil.relativedelta`` from the anchor, month ends clamped: Jan 31 -> Feb 28/29 -> Mar 31),
and the renewal happens at the end of that day (23:59 local by default), DST-correct. The
renewal charges the type's price and grants its components again; what happens to the credits
left is the policy's ``unused_at_renewal``: ``forfeit`` (default: they expire) or ``rollover``.
Held credits stay held across a renewal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from ..errors import InvalidTypeError
from ..events import ItemCredits, LedgerEvent, SubscriptionRenewed, ledger_event_id
from ..timeutil import end_of_day, local_date, to_local
from .operations import Outcome
from .policy import LifecyclePolicy
from .state import LedgerState, PackageState, fold

__all__ = ["renew", "renewal_moment", "renewals_due"]

_DEFAULT_POLICY = LifecyclePolicy()


def renewal_moment(package: PackageState, period: int, expires_at: dt.timedelta) -> dt.datetime:
    """The instant period *period* of subscription *package* ends (and the next begins)."""
    if package.subscription is None:
        raise InvalidTypeError("package", f"package {package.id!r} is not a subscription")
    anchor = local_date(package.purchased_at, package.tz)
    return end_of_day(package.subscription.last_day(anchor, period), package.tz, expires_at)


def renewals_due(
    packages: Iterable[PackageState],
    *,
    as_of: dt.datetime,
    policy: LifecyclePolicy = _DEFAULT_POLICY,
) -> Iterator[SubscriptionRenewed]:
    """The renewal events due at *as_of*, streamed, in order for each package (several when
    periods were missed). Each is dated at the end of its period (or at the package's last event,
    if that is later). Only active subscriptions renew."""
    expires_at = policy.expires_at
    rollover = policy.unused_at_renewal == "rollover"
    for package in packages:
        if package.status != "active" or package.subscription is None:
            continue
        now = to_local(as_of, package.tz, "as_of")
        period = package.period
        moment = renewal_moment(package, period, expires_at)
        if moment > now:
            continue
        left = {c.item: c.remaining for c in package.components}
        anchor = local_date(package.purchased_at, package.tz)
        last = package.last_event_at
        seq = package.version
        while moment <= now:
            period += 1
            seq += 1
            at = max(moment, last)
            last = at
            forfeited = tuple(ItemCredits(item, 0 if rollover else n) for item, n in left.items())
            for grant in package.grants:  # the grants are the package's components
                left[grant.item] = (left[grant.item] if rollover else 0) + grant.quantity
            yield SubscriptionRenewed(
                event_id=ledger_event_id(package.id, seq),
                package_id=package.id,
                seq=seq,
                at=at,
                actor=None,
                period=period,
                ends_on=package.subscription.last_day(anchor, period),
                granted=tuple(ItemCredits(g.item, g.quantity) for g in package.grants),
                forfeited=forfeited,
                amount=package.price,
            )
            moment = renewal_moment(package, period, expires_at)


def renew(
    state: LedgerState, *, as_of: dt.datetime, policy: LifecyclePolicy = _DEFAULT_POLICY
) -> Outcome:
    """Renew every subscription whose period ended by *as_of* (see :func:`renewals_due`).

    Run it before checkouts and sweeps: until a period is renewed, its credits count as expired
    at the checkout (the engine sees the period's end as the package's expiry).
    """
    if not isinstance(state, LedgerState):
        raise InvalidTypeError("state", f"must be a LedgerState, got {state!r}")
    events: list[LedgerEvent] = list(renewals_due(state.packages, as_of=as_of, policy=policy))
    return Outcome(tuple(events), fold(state, events) if events else state)
