"""Ledger events the engine returns for the host to persist.

The ledger is the single source of truth: replaying the events over the packages as they stood
gives the packages as they stand (invariant 8 of semantics.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import attrs

from .errors import InvalidValueError
from .expiry import advance
from .models import Package
from .money import Money

__all__ = ["CreditsRedeemed", "event_id", "replay_redemptions"]


def event_id(*parts: object) -> str:
    """A deterministic event id derived from *parts* (the same inputs give the same id).

    >>> event_id("cart-1", "l1", "p1", "daycare_full")
    'ev-7582b7362a74e3e5c6b68440'
    """
    import hashlib  # here: importing it costs a few ms that `import punchcard` need not pay

    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()
    return f"ev-{digest[:24]}"


@attrs.frozen
class CreditsRedeemed:
    """Credits of one component of a package paid for units of one cart line."""

    #: Deterministic: derived from the cart, the time, the line, the package and the item.
    event_id: str
    package_id: str
    owner: str
    #: The cart line (ticket line, reservation...) paid for.
    line_id: str
    #: The component's item (``None``: money of a stored-value package).
    item: str | None
    credits: int
    #: What the credits took off.
    amount: Money
    #: The checkout time, aware, in the business's zone.
    at: dt.datetime
    #: The cart / ticket / invoice id, if the host gave one.
    cart_id: str | None = None


def replay_redemptions(
    packages: Sequence[Package], events: Iterable[CreditsRedeemed], tz: dt.tzinfo
) -> list[Package]:
    """Apply *events* to *packages* (in order) and return the packages as they then stand.

    >>> import datetime as dt
    >>> from punchcard import Component, Money
    >>> from punchcard.timeutil import zone
    >>> ny = zone("America/New_York")
    >>> p = Package(id="p1", owner="o", purchased_at=dt.datetime(2026, 1, 1),
    ...             components=[Component("x", 3)])
    >>> at = dt.datetime(2026, 2, 1, 9, tzinfo=ny)
    >>> ev = CreditsRedeemed("e1", "p1", "o", "l1", "x", 2, Money("20", "USD"), at)
    >>> [q.remaining("x") for q in replay_redemptions([p], [ev], ny)]
    [1]
    """
    state = {p.id: p for p in packages}
    for ev in events:
        package = state.get(ev.package_id)
        if package is None:
            raise InvalidValueError("package_id", f"no package {ev.package_id!r} to replay onto")
        if ev.item is None:
            if package.balance is None or ev.amount > package.balance:
                raise InvalidValueError("amount", f"event {ev.event_id} spends more than is left")
            state[ev.package_id] = advance(
                package, (), balance=package.balance - ev.amount, at=ev.at, tz=tz
            )
            continue
        balances = []
        found = False
        for c in package.components:
            left = c.remaining
            if c.item == ev.item:
                found = True
                if ev.credits > c.remaining + c.overdraft:
                    raise InvalidValueError(
                        "credits", f"event {ev.event_id} takes {ev.credits}, {c.remaining} left"
                    )
                left -= ev.credits
            balances.append(left)
        if not found:
            raise InvalidValueError("item", f"package {ev.package_id!r} has no {ev.item!r}")
        state[ev.package_id] = advance(package, balances, at=ev.at, tz=tz)
    return [state[p.id] for p in packages]
