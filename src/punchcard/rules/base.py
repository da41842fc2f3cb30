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


class Context:
    """What rules, valuations and orderings may read about the checkout in progress.

    Built by the engine; read-only for everyone else. ``at`` is aware, in the business's zone.
    Moments meant for comparison (:meth:`purchased_utc`, :meth:`expires_at_moment`) are in UTC, so
    that comparisons are by instant even across a DST change.
    """

    __slots__ = (
        "_balances",
        "_expiry_cache",
        "_purchase_cache",
        "_purchase_utc_cache",
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
        self._expiry_cache: dict[str, dt.datetime | None] = {}
        self._purchase_cache: dict[str, dt.datetime] = {}
        self._purchase_utc_cache: dict[str, dt.datetime] = {}

    def remaining(self, candidate: Candidate) -> int:
        """Credits of *candidate* left, after the lines of this cart allocated so far."""
        return self._balances[candidate.slot]

    def purchased_at(self, package: Package) -> dt.datetime:
        """The package's purchase time, aware, in the business's zone."""
        cached = self._purchase_cache.get(package.id)
        if cached is None:
            cached = to_local(package.purchased_at, self.timezone, "purchased_at")
            self._purchase_cache[package.id] = cached
        return cached

    def purchased_utc(self, package: Package) -> dt.datetime:
        """The package's purchase instant, in UTC (for comparisons and orderings)."""
        cached = self._purchase_utc_cache.get(package.id)
        if cached is None:
            cached = self.purchased_at(package).astimezone(dt.timezone.utc)
            self._purchase_utc_cache[package.id] = cached
        return cached

    def expires_at_moment(self, package: Package) -> dt.datetime | None:
        """The instant (UTC) the package stops being usable, as it stood at the start, or None."""
        if package.id in self._expiry_cache:
            return self._expiry_cache[package.id]
        day = effective_expires_on(package, self.timezone, self.purchased_at(package))
        try:
            moment = (
                None
                if day is None
                else end_of_day(day, self.timezone, self.expires_at).astimezone(dt.timezone.utc)
            )
        except OverflowError:  # ends after 9999-12-31T23:59:59 UTC: never within the calendar
            moment = None
        self._expiry_cache[package.id] = moment
        return moment

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
