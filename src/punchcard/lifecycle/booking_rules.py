"""What the lifecycle tells the engine at a booking beyond the packages themselves (issue 12,
options 13 and 17): engine rules fed by the ledger, and the packages offered within the
business's cap of uses per period.

- **A cap of uses per period** (``Business.use_caps``): a component of a package of a capped
  type offers at most the credits left under its cap this period, and one with none left under
  it is refused by the rule :class:`PeriodCap` (reason ``period_cap``, before ``exhausted``):
  the checkout goes on, the line stays due, and the rejection says why.
- **Expiry judged at the booking** (``Business(expiry_judged_at="booking")``): for a hold, rule
  R4 is replaced by :class:`ExpiredAtBooking`, which judges the expiry at the time the booking
  is made rather than at the appointment (reason ``expired`` still).

With neither set, the engine gets the business's policy and the packages as they stand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import ClassVar

import attrs

from ..context import Candidate, Context
from ..models import Line, Package
from ..policy import Policy
from ..rules import ELIGIBLE, Scope, Verdict
from ._instants import UTC
from .business import Business
from .state import PackageState

__all__ = ["ExpiredAtBooking", "PeriodCap", "engine_terms"]


@attrs.frozen
class PeriodCap:
    """Refuses the components that reached their package's cap of uses for the current
    subscription period (reason ``period_cap``).

    >>> rule = PeriodCap(frozenset({("p1", "yoga")}))
    >>> rule.code, rule.scope
    ('period_cap', 'component')
    """

    code: ClassVar[str] = "period_cap"
    scope: ClassVar[Scope] = "component"
    #: (package id, item) of every component with credits left but no use left this period.
    capped: frozenset[tuple[str, str]]

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        component = candidate.component
        if component is not None and (candidate.package.id, component.item) in self.capped:
            return Verdict.no(self.code, "the package's cap of uses for this period is reached")
        return ELIGIBLE


@attrs.frozen
class ExpiredAtBooking:
    """Rule R4 judged at the time the booking was made (*booked*, aware), not at the
    appointment: a hold made before the expiry keeps its credit (reason ``expired``).

    >>> rule = ExpiredAtBooking(dt.datetime(2026, 3, 31, 12, tzinfo=dt.timezone.utc))
    >>> rule.code, rule.scope
    ('expired', 'package')
    """

    code: ClassVar[str] = "expired"
    scope: ClassVar[Scope] = "package"
    booked: dt.datetime

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        end = ctx.expires_at_moment(candidate.package)
        if end is None or self.booked.astimezone(UTC) < end:
            return ELIGIBLE
        return Verdict.no(self.code, "the package had expired when the booking was made")


def _room(package: PackageState, cap: int | None) -> dict[str, int]:
    """Credits each component of *package* may still redeem this period under *cap*."""
    if cap is None:
        return {}
    return {c.item: max(0, cap - c.period_uses) for c in package.components}


def engine_terms(
    business: Business,
    packages: Sequence[PackageState],
    booked: dt.datetime,
    scheduled: dt.datetime,
) -> tuple[list[Package], Policy]:
    """The engine's packages and policy for a booking made at *booked* for a service at
    *scheduled* (both aware), over the owner's live *packages*."""
    offered: list[Package] = []
    capped: set[tuple[str, str]] = set()
    for state in packages:
        package = state.as_package(business.expiry_mode)
        room = _room(state, business.use_cap(state.type_id))
        if room:
            components = []
            for component in package.components:
                left = min(component.remaining, room[component.item])
                if left == 0 and component.remaining > 0:
                    capped.add((package.id, component.item))
                components.append(attrs.evolve(component, remaining=left))
            package = attrs.evolve(package, components=tuple(components))
        offered.append(package)
    policy = business.policy
    if capped:
        codes = [rule.code for rule in policy.rules]
        rule = PeriodCap(frozenset(capped))
        policy = policy.with_rule(rule, before="exhausted" if "exhausted" in codes else None)
    if business.expiry_judged_at == "booking" and booked.astimezone(UTC) != scheduled.astimezone(
        UTC
    ):
        judged = ExpiredAtBooking(booked)
        policy = attrs.evolve(
            policy,
            rules=tuple(judged if rule.code == "expired" else rule for rule in policy.rules),
        )
    return offered, policy
