"""The shapes every eligibility rule and ordering shares: candidates, verdicts, the context.

A *candidate* is one component of one package, offered to one cart line. A *rule* answers, for a
candidate and a line, whether one credit may pay for one unit, with a :class:`Verdict` carrying
a reason code when not. The :class:`Context` gives rules what the engine knows about the checkout
(the time, the settings, the rates, the credits left so far) without letting them change it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

import attrs

from ..expiry import effective_expires_on
from ..models import Cart, Component, Line, Package, Rates, Settings
from ..money import Money
from ..timeutil import end_of_day, to_local

if TYPE_CHECKING:
    from ..valuation.credit_value import CreditValuation

__all__ = [
    "ELIGIBLE",
    "Candidate",
    "Context",
    "FunctionRule",
    "Rule",
    "Scope",
    "Verdict",
]

#: ``package`` rules look only at the package and the line; ``component`` rules look at one
#: component too. (Rules must be pure: the engine may call them once per component and line.)
Scope = Literal["package", "component"]


@attrs.frozen
class Verdict:
    """The answer of a rule: eligible, or not with a reason code and a human detail.

    >>> Verdict.no("holiday", "no package credits on public holidays")
    Verdict(eligible=False, reason='holiday', detail='no package credits on public holidays')
    """

    eligible: bool
    reason: str | None = None
    detail: str = ""

    @classmethod
    def no(cls, reason: str, detail: str = "") -> Verdict:
        """A refusal with *reason* (the reason code reported in rejections)."""
        return cls(False, reason, detail)


#: The verdict of a rule that passes.
ELIGIBLE: Verdict = Verdict(True)


@attrs.frozen
class Candidate:
    """One component of one package, as offered to a line."""

    #: The package, as it stood when the checkout started.
    package: Package
    #: The component offered.
    component: Component
    #: Its position in ``package.components``.
    index: int
    #: The engine's slot for its running balance (see :meth:`Context.remaining`).
    slot: int = attrs.field(eq=False, repr=False)


#: (local purchase time, purchase instant in UTC, expiry instant in UTC or ``None``, local expiry
#: date or ``None``), the package as it stands.
PackageFacts = tuple[dt.datetime, dt.datetime, "dt.datetime | None", "dt.date | None"]


def facts_key(timezone: dt.tzinfo, expires_at: dt.timedelta) -> object:
    """The key of a package's memo of facts: they hold for one zone and one expiry time of day.
    ``None`` (no memo) for a tzinfo that cannot be hashed."""
    key = (timezone, expires_at)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def package_facts(
    package: Package,
    timezone: dt.tzinfo,
    expires_at: dt.timedelta,
    key: object,
) -> PackageFacts:
    """The facts of *package* in *timezone*, worked out once per package value and zone.

    A package is an immutable value, so they are kept on it (a memo, not part of the value): a
    till that applies the same packages on every keystroke converts their times once. A time
    that does not exist in *timezone* raises :class:`~punchcard.errors.InvalidTimeError` naming
    ``purchased_at`` or ``first_used_at``.
    """
    memo = package._facts
    found = memo.get(key) if key is not None else None
    if found is not None:
        return found
    purchased = to_local(package.purchased_at, timezone, "purchased_at")
    if package.first_used_at is not None:
        to_local(package.first_used_at, timezone, "first_used_at")
    day = effective_expires_on(package, timezone, purchased)
    try:
        moment = (
            None
            if day is None
            else end_of_day(day, timezone, expires_at).astimezone(dt.timezone.utc)
        )
    except OverflowError:  # ends after 9999-12-31T23:59:59 UTC: never within the calendar
        moment = None
    found = (purchased, purchased.astimezone(dt.timezone.utc), moment, day)
    if key is not None:
        memo[key] = found
    return found


class Context:
    """What rules, valuations and orderings may read about the checkout in progress.

    Built by the engine; read-only for everyone else. ``at`` is aware, in the business's zone.
    Moments meant for comparison (:meth:`purchased_utc`, :meth:`expires_at_moment`) are in UTC, so
    that comparisons are by instant even across a DST change.
    """

    __slots__ = (
        "_balances",
        "_facts_key",
        "at",
        "at_utc",
        "cart",
        "expires_at",
        "rates",
        "settings",
        "timezone",
        "valuation",
    )

    def __init__(
        self,
        *,
        cart: Cart,
        at: dt.datetime,
        timezone: dt.tzinfo,
        settings: Settings,
        rates: Rates,
        expires_at: dt.timedelta,
        valuation: CreditValuation,
        balances: list[int],
    ) -> None:
        self.cart = cart
        self.at = at
        self.at_utc = at.astimezone(dt.timezone.utc)
        self.timezone = timezone
        self.settings = settings
        self.rates = rates
        self.expires_at = expires_at
        self.valuation = valuation
        self._balances = balances
        self._facts_key = facts_key(timezone, expires_at)

    def remaining(self, candidate: Candidate) -> int:
        """Credits of *candidate* left, after the lines of this cart allocated so far."""
        return self._balances[candidate.slot]

    def facts(self, package: Package) -> PackageFacts:
        """(local purchase time, purchase instant in UTC, expiry instant in UTC or None, local
        expiry date or None), as the package stood when the checkout started."""
        return package_facts(package, self.timezone, self.expires_at, self._facts_key)

    def purchased_at(self, package: Package) -> dt.datetime:
        """The package's purchase time, aware, in the business's zone."""
        return self.facts(package)[0]

    def purchased_utc(self, package: Package) -> dt.datetime:
        """The package's purchase instant, in UTC (for comparisons and orderings)."""
        return self.facts(package)[1]

    def expires_at_moment(self, package: Package) -> dt.datetime | None:
        """The instant (UTC) the package stops being usable, as it stood at the start, or None."""
        return self.facts(package)[2]

    def is_expired(self, package: Package) -> bool:
        """Whether the package is expired at the checkout time."""
        moment = self.expires_at_moment(package)
        return moment is not None and self.at_utc >= moment

    def credit_value(self, candidate: Candidate, line: Line) -> Money | None:
        """What one credit of *candidate* is worth on *line* (``None``: cannot be determined)."""
        return self.valuation.credit_value(candidate, line, self)


@runtime_checkable
class Rule(Protocol):
    """An eligibility rule: may one credit of the candidate pay for one unit of the line?"""

    @property
    def code(self) -> str:
        """The reason code reported when the rule fails."""

    @property
    def scope(self) -> Scope:
        """``package`` or ``component``: what the rule looks at."""

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        """Return :data:`ELIGIBLE` or ``Verdict.no(code, detail)``."""


@attrs.frozen
class FunctionRule:
    """A rule made from a plain function ``(candidate, line, ctx) -> bool`` (True = eligible).

    >>> online_only = FunctionRule(
    ...     "offline_booking", "package", lambda c, line, ctx: line.id.startswith("web-"),
    ...     detail="credits pay only for lines booked online",
    ... )
    >>> online_only.code
    'offline_booking'
    """

    code: str
    scope: Scope
    predicate: Callable[[Candidate, Line, Context], bool]
    detail: str = ""

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        if self.predicate(candidate, line, ctx):
            return ELIGIBLE
        return Verdict.no(self.code, self.detail)
