"""Engine terms of a booking beyond the packages themselves (issue 12, options 13 and 17), shared
by the lifecycle (:mod:`punchcard.lifecycle.booking_rules`) and the scenario reader, so that a
checkout decides them one way whichever way it comes in.

- **A cap of uses per period**: a component with *room* uses left in the current period offers at
  most that many credits (its overdraft too is cut to the room); once a component cut so has
  nothing left to offer (before this cart or by its earlier lines) while credits are left, the
  rule :class:`PeriodCap` refuses it (reason ``period_cap``, just before ``exhausted``): the
  checkout goes on, the line stays due, and the rejection says why.
- **Expiry judged at the booking**: rule R4 is replaced by :class:`ExpiredAtBooking`, which
  judges the expiry at the time the booking was made rather than at the appointment (reason
  ``expired`` still): a hold made before the expiry keeps its credit.

With neither, the engine gets the policy and the packages as they are.

>>> from punchcard import Component, Package
>>> sold = dt.datetime(2026, 3, 1, 9, tzinfo=dt.timezone.utc)
>>> p = Package("p1", "smith", sold, [Component("yoga", 5)])
>>> offered, capped = cap_uses([p], {("p1", "yoga"): 2})
>>> offered[0].components[0].remaining, sorted(capped)
(2, [('p1', 'yoga')])
>>> offered, capped = cap_uses([p], {("p1", "yoga"): 5})
>>> offered[0].components[0].remaining, sorted(capped)
(5, [])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import ClassVar, Final

import attrs

from .context import Candidate, Context
from .models import Component, Line, Package
from .policy import Policy
from .rules import ELIGIBLE, Scope, Verdict

__all__ = ["PERIOD_CAP", "ExpiredAtBooking", "PeriodCap", "booking_policy", "cap_uses"]

_UTC: Final = dt.timezone.utc
#: The reason code of the cap of uses per period.
PERIOD_CAP: Final = "period_cap"


@attrs.frozen
class PeriodCap:
    """Refuses a component whose offer a cap of uses per period cut, once nothing of that offer
    is left (reason ``period_cap``: the credits beyond it are there, the uses are not).

    >>> rule = PeriodCap(frozenset({("p1", "yoga")}))
    >>> rule.code, rule.scope
    ('period_cap', 'component')
    """

    code: ClassVar[str] = PERIOD_CAP
    scope: ClassVar[Scope] = "component"
    #: (package id, item) of every component offering fewer credits than it has, for the cap.
    capped: frozenset[tuple[str, str]]

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        component = candidate.component
        if (
            component is not None
            and (candidate.package.id, component.item) in self.capped
            and ctx.remaining(candidate) <= -component.overdraft
        ):
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
        if end is None or self.booked.astimezone(_UTC) < end:
            return ELIGIBLE
        return Verdict.no(self.code, "the package had expired when the booking was made")


def _within(component: Component, room: int) -> Component:
    """*component* offering at most *room* credits (its overdraft counted)."""
    if component.remaining >= room:
        return attrs.evolve(component, remaining=room, overdraft=0)
    return attrs.evolve(component, overdraft=min(component.overdraft, room - component.remaining))


def cap_uses(
    packages: Sequence[Package], room: Mapping[tuple[str, str], int]
) -> tuple[list[Package], frozenset[tuple[str, str]]]:
    """*packages* with each component named in *room* (``(package id, item) -> uses left this
    period``) offering at most that many credits, and the components whose offer that cut (for
    :class:`PeriodCap`)."""
    offered: list[Package] = []
    capped: set[tuple[str, str]] = set()
    for package in packages:
        components = package.components
        if any((package.id, c.item) in room for c in components):
            changed = []
            for component in components:
                left = room.get((package.id, component.item))
                if left is None:
                    changed.append(component)
                    continue
                if left < component.remaining + component.overdraft:
                    capped.add((package.id, component.item))
                changed.append(_within(component, left))
            package = attrs.evolve(package, components=tuple(changed))
        offered.append(package)
    return offered, frozenset(capped)


def booking_policy(
    policy: Policy,
    capped: Collection[tuple[str, str]],
    booked: dt.datetime | None = None,
    scheduled: dt.datetime | None = None,
) -> Policy:
    """*policy* with :class:`PeriodCap` for the *capped* components (before ``exhausted``) and,
    for a booking made at *booked* for *scheduled* (both aware; another instant), rule R4
    judged at *booked*."""
    if capped:
        codes = [rule.code for rule in policy.rules]
        rule = PeriodCap(frozenset(capped))
        policy = policy.with_rule(rule, before="exhausted" if "exhausted" in codes else None)
    if (
        booked is not None
        and scheduled is not None
        and booked.astimezone(_UTC) != scheduled.astimezone(_UTC)
    ):
        judged = ExpiredAtBooking(booked)
        policy = attrs.evolve(
            policy,
            rules=tuple(judged if rule.code == "expired" else rule for rule in policy.rules),
        )
    return policy
