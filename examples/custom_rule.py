"""A business's own rules and its own package order, plugged into punchcard without forking it.

Happy Tails, a dog daycare, wants three things punchcard does not do by itself:

1. No package credits on public holidays: a *package-scope* rule built from the business's list of
   local holiday dates, with its own reason code ``public_holiday``.
2. Grooming credits pay only for grooming booked online (the online booking offer): a
   *component-scope* :class:`~punchcard.rules.FunctionRule` with the reason code
   ``booked_offline``; it looks at the component's item, so its scope is ``component``.
3. Use the package closest to running out first, instead of the oldest one: its own
   :class:`~punchcard.rules.PackageOrder`.

All three go into a :class:`punchcard.Policy`; :func:`punchcard.apply` does the rest.

Run it from the repository root::

    python3 examples/custom_rule.py
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any, ClassVar

import attrs

from punchcard import Application, Cart, Component, Line, Money, Package, Policy, apply
from punchcard.rules import ELIGIBLE, Candidate, Context, FunctionRule, Scope, Verdict

TIMEZONE = "America/New_York"

#: The business's public holidays, as local dates.
PUBLIC_HOLIDAYS: frozenset[dt.date] = frozenset(
    {
        dt.date(2026, 1, 1),  # New Year's Day
        dt.date(2026, 5, 25),  # Memorial Day
        dt.date(2026, 7, 4),  # Independence Day
        dt.date(2026, 12, 25),  # Christmas Day
    }
)


@attrs.frozen
class NoCreditsOnHolidays:
    """No package credit pays for anything on a public holiday (the checkout's local date)."""

    code: ClassVar[str] = "public_holiday"
    scope: ClassVar[Scope] = "package"

    #: Local dates on which packages may not be used.
    holidays: frozenset[dt.date]

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        # ctx.at is the checkout time, aware, in the business's zone: its date is the local date.
        today = ctx.at.date()
        if today in self.holidays:
            return Verdict.no(self.code, f"no package credits on public holidays ({today})")
        return ELIGIBLE


def online_only(booked_online: Collection[str], items: Collection[str]) -> FunctionRule:
    """Credits of *items* pay only for the lines whose ids are in *booked_online*."""
    online = frozenset(booked_online)
    restricted = frozenset(items)

    def allowed(candidate: Candidate, line: Line, ctx: Context) -> bool:
        return candidate.component.item not in restricted or line.id in online

    names = ", ".join(sorted(restricted))
    return FunctionRule(
        "booked_offline",
        "component",
        allowed,
        detail=f"{names} credits pay only for lines booked online",
    )


@attrs.frozen
class ClosestToRunningOut:
    """A pet's own package before a shared one, then the package with the fewest credits left,
    then the oldest.

    The engine ranks the packages once per checkout, by their credits left when it starts; a
    credit of the line's own item still comes before a cross-item one, and a lower ``priority``
    first: those keys come before any package order's rank.
    """

    name: ClassVar[str] = "closest_to_running_out"

    def rank(self, package: Package, ctx: Context) -> tuple[Any, ...]:
        return (
            package.beneficiary is None,
            package.total_remaining,
            ctx.purchased_utc(package),
        )


def happy_tails_policy(booked_online: Collection[str]) -> Policy:
    """The default policy with Happy Tails' two rules and its package order."""
    return (
        Policy(package_order=ClosestToRunningOut())
        # A rule about the package goes with R1-R5, before the first component rule...
        .with_rule(NoCreditsOnHolidays(PUBLIC_HOLIDAYS), before="type_mismatch")
        # ...a rule about the component before "exhausted", so that its reason is the one given.
        .with_rule(online_only(booked_online, {"grooming"}), before="exhausted")
    )


def usd(amount: str) -> Money:
    return Money(amount, "USD")


#: The Smiths' packages, as the host loaded them.
PACKAGES: tuple[Package, ...] = (
    Package(
        id="pass-big",
        owner="smith",
        location="downtown",
        purchased_at=dt.datetime(2026, 1, 5, 10),
        components=[Component("daycare_full", 8)],
    ),
    Package(
        id="pass-last",
        owner="smith",
        location="downtown",
        purchased_at=dt.datetime(2026, 2, 10, 9),
        components=[Component("daycare_full", 1)],
    ),
    Package(
        id="groom-5",
        owner="smith",
        location="downtown",
        purchased_at=dt.datetime(2026, 2, 1, 12),
        components=[Component("grooming", 3)],
    ),
)

#: Line ids of the bookings made online (from the host's booking system).
BOOKED_ONLINE: frozenset[str] = frozenset({"rex-groom"})


def smith_cart(cart_id: str) -> Cart:
    return Cart(
        "smith",
        "downtown",
        "USD",
        [
            Line("rex-day", "daycare_full", usd("30"), beneficiary="rex", charge_by="day"),
            Line("rex-groom", "grooming", usd("55"), beneficiary="rex"),
            Line("bella-groom", "grooming", usd("55"), beneficiary="bella"),
        ],
        id=cart_id,
    )


def checkout(at: dt.datetime, policy: Policy) -> Application:
    cart = smith_cart(f"ticket-{at:%Y%m%d}")
    return apply(cart, PACKAGES, as_of=at, timezone=TIMEZONE, policy=policy)


def report(title: str, result: Application) -> list[str]:
    """A few lines a receptionist can read: what paid for each line, and why not."""
    out = [title]
    for line in result.lines:
        paid = [
            f"{r.package_id} ({r.credits} x {r.item}, {r.amount.format()})"
            for r in result.redemptions
            if r.line_id == line.line_id
        ]
        refused = [
            f"{r.package_id}: {r.reason}" for r in result.rejections if r.line_id == line.line_id
        ]
        text = f"  {line.line_id}: due {line.due.format()}"
        if paid:
            text += "; paid by " + ", ".join(paid)
        if refused:
            text += "; not used: " + ", ".join(refused)
        out.append(text)
    out.append(f"  covered {result.covered.format()}, due {result.due.format()}")
    balances = ", ".join(f"{p.id} {p.total_remaining}" for p in result.packages)
    out.append(f"  credits left: {balances}")
    return out


def main() -> None:
    policy = happy_tails_policy(BOOKED_ONLINE)
    monday = dt.datetime(2026, 3, 2, 17, 30)
    memorial_day = dt.datetime(2026, 5, 25, 17, 30)
    lines = [
        *report("Monday 2 March 2026, Happy Tails policy:", checkout(monday, policy)),
        *report("Monday 2 March 2026, default policy:", checkout(monday, Policy())),
        *report("Memorial Day 2026, Happy Tails policy:", checkout(memorial_day, policy)),
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
