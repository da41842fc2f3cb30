"""What the engine shows the rules, orderings and valuations it runs: candidates and the context.

A *candidate* is one component of one package, offered to one cart line (or, for a stored-value
package, the package itself). The :class:`Context` gives plug-ins what the engine knows about the
checkout — the time, the settings, the rates, each package's times, the credits left so far —
without letting them change it. See ``docs/semantics.md`` for the rules these serve.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import NamedTuple, Protocol, runtime_checkable

from .errors import CurrencyMismatchError, InvalidValueError, PluginError
from .expiry import PackageTimes
from .models import Cart, Component, Line, Package, Rates, Settings
from .money import Money

__all__ = ["Candidate", "Context", "CreditValuation", "checked_value"]


class Candidate(NamedTuple):
    """One component of one package, as offered to a line (an immutable value).

    For a stored-value package (a money balance, docs/semantics.md#x9-stored-value)
    ``component`` is ``None``.
    """

    #: The package, as it stood when the checkout started.
    package: Package
    #: The component offered (``None`` for a stored-value package).
    component: Component | None
    #: Its position in ``package.components`` (0 for a stored-value package).
    index: int  # type: ignore[assignment]  # (a field; it hides tuple.index)
    #: The engine's slot for its running balance (see :meth:`Context.remaining`).
    slot: int

    @property
    def credits(self) -> Component:
        """The component, for a rule that only ever sees credit candidates.

        Raises :class:`~punchcard.errors.InvalidValueError` for a stored-value candidate.
        """
        if self.component is None:
            raise InvalidValueError("component", f"package {self.package.id!r} holds a balance")
        return self.component

    def pays_as_own(self, item: str) -> bool:
        """Whether a credit pays for *item* as its own (same item, or an item of its pool)."""
        component = self.component
        return component is not None and component.pays_as_own(item)

    def is_substitute_for(self, item: str) -> bool:
        """Whether *item* is one of the substitutes the component lists (X3)."""
        component = self.component
        return component is not None and item in component.substitutes


@runtime_checkable
class CreditValuation(Protocol):
    """What one credit of a candidate is worth on a line (docs/semantics.md#v-valuation)."""

    @property
    def name(self) -> str:
        """The name used in scenario documents."""

    def credit_value(self, candidate: Candidate, line: Line, ctx: Context) -> Money | None:
        """The value of one credit, or ``None`` when it cannot be determined (rule R9)."""


class Context:
    """What rules, valuations and orderings may read about the checkout in progress.

    Built by the engine for one checkout; read-only for everyone else. ``at`` is aware, in the
    business's zone; the moments meant for comparison are in UTC, so that comparisons are by
    instant even across a DST change.
    """

    __slots__ = (
        "_balances",
        "_times",
        "_value",
        "_value_line",
        "_value_slot",
        "at",
        "at_utc",
        "cart",
        "date",
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
        times: Mapping[str, PackageTimes],
    ) -> None:
        #: The cart being checked out.
        self.cart = cart
        #: The checkout time, aware, in the business's zone.
        self.at = at
        #: The checkout instant, in UTC.
        self.at_utc = at.astimezone(dt.timezone.utc)
        #: The local date of the checkout.
        self.date = at.date()
        self.timezone = timezone
        self.settings = settings
        self.rates = rates
        #: The local time of day at which an expiry date ends (23:59 by default).
        self.expires_at = expires_at
        self.valuation = valuation
        self._balances = balances
        self._times = times
        self._value_slot = -1
        self._value_line: Line | None = None
        self._value: Money | None = None

    def remaining(self, candidate: Candidate) -> int:
        """Credits of *candidate* left, after the lines of this cart allocated so far (for a
        stored-value package: its balance left, in minor units)."""
        return self._balances[candidate.slot]

    def times(self, package: Package) -> PackageTimes:
        """The package's times (purchase, validity, expiry) as it stood when the checkout
        started."""
        return self._times[package.id]

    def purchased_at(self, package: Package) -> dt.datetime:
        """The package's purchase time, aware, in the business's zone."""
        return self._times[package.id].purchased

    def purchased_utc(self, package: Package) -> dt.datetime:
        """The package's purchase instant, in UTC (for comparisons and orderings)."""
        return self._times[package.id].purchased_utc

    def expires_at_moment(self, package: Package) -> dt.datetime | None:
        """The instant (UTC) the package stops being usable, as it stood at the start, or None."""
        return self._times[package.id].expires_utc

    def is_expired(self, package: Package) -> bool:
        """Whether the package is expired at the checkout time."""
        moment = self._times[package.id].expires_utc
        return moment is not None and self.at_utc >= moment

    def is_paused(self, package: Package) -> bool:
        """Whether the checkout falls on a paused date of the package (X7)."""
        day = self.date
        return any(pause.start <= day <= pause.end for pause in package.pauses)

    def credit_value(self, candidate: Candidate, line: Line) -> Money | None:
        """What one credit of *candidate* is worth on *line* (``None``: cannot be determined),
        as the policy's valuation says; asked once per candidate and line."""
        if self._value_slot == candidate.slot and self._value_line is line:
            return self._value
        value = checked_value(self.valuation, candidate, line, self)
        self._value_slot = candidate.slot
        self._value_line = line
        self._value = value
        return value


def checked_value(
    valuation: CreditValuation, candidate: Candidate, line: Line, ctx: Context
) -> Money | None:
    """Ask *valuation* for a credit's value and refuse an answer that breaks the invariants:
    not Money, another currency, or negative (a value above the unit price is not an error: a
    credit takes off at most the unit price)."""
    value = valuation.credit_value(candidate, line, ctx)
    if value is None or value is line.unit_price:
        return value
    if not isinstance(value, Money):
        raise PluginError(valuation, f"credit_value must return Money or None, got {value!r}")
    currency = line.unit_price.currency
    if value.currency != currency:
        raise PluginError(
            valuation,
            f"credit_value returned {value.currency} on a {currency} line",
            cause=CurrencyMismatchError(currency, value.currency, "credit value"),
        )
    if value.amount < 0:
        raise PluginError(valuation, f"credit_value returned a negative value, {value}")
    return value
