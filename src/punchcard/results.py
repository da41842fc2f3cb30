"""What :func:`punchcard.apply` returns: per-line totals, redemptions, rejections, new states, events."""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

import attrs

from ._fast import evolve_trusted
from .events import CreditsRedeemed, event_id
from .expiry import effective_expires_on
from .models import Cart, Package, Rates, Settings
from .money import Money

if TYPE_CHECKING:
    from .policy import Policy

__all__ = ["Application", "Guard", "LineResult", "Redemption", "Rejection"]


@attrs.frozen
class Guard:
    """A compare-and-set condition for committing a result: the credits of one component the
    result assumed were left (``expected``) and what it leaves (``new``)."""

    package_id: str
    item: str
    expected: int
    new: int


@attrs.frozen
class LineResult:
    """How much of one line the credits covered."""

    #: The line's id.
    line_id: str
    #: unit price x units.
    total: Money
    #: What the credits took off.
    covered: Money
    #: What is still due: ``total - covered``.
    due: Money
    #: How many credits the line took (at most its units).
    credits: int


@attrs.frozen
class Redemption:
    """Credits of one component of one package that paid for units of one line."""

    line_id: str
    package_id: str
    #: The component's item (which may differ from the line's item with ``any_type``).
    item: str
    #: Whole credits taken (one per unit).
    credits: int
    #: The total amount they took off.
    amount: Money


@attrs.frozen
class Rejection:
    """Why a package took nothing off a line that wanted more credits."""

    line_id: str
    package_id: str
    #: The reason code of the first rule that failed (``exhausted``, ``expired``...).
    reason: str
    #: A human sentence from the rule.
    detail: str = attrs.field(default="", eq=False)
    #: The item of the package's component that got furthest down the rule list.
    item: str | None = attrs.field(default=None, eq=False, kw_only=True)
    #: Whether the package has credits of a kind that may pay for this line (its item, or
    #: another one the settings allow, in the line's unit): when false the package was never a
    #: candidate for the line, whatever the first rule that failed.
    matches_item: bool = attrs.field(default=True, eq=False, kw_only=True)


@attrs.frozen
class Application:
    """The result of applying an owner's packages to a cart. Nothing has been written anywhere:
    the host persists ``packages`` (the new states) and ``events`` (the ledger).

    ``rejections``, ``packages``, ``events``, ``guards`` and ``idempotency_key`` are derived from
    the rest on first access (a till that only previews a cart never pays for them); they are
    part of the value all the same.
    """

    #: The cart's currency.
    currency: str
    #: The cart's total.
    total: Money
    #: What the credits took off the cart.
    covered: Money
    #: What is left to pay.
    due: Money
    #: Per line, in cart order.
    lines: tuple[LineResult, ...]
    #: In the order the engine applied them.
    redemptions: tuple[Redemption, ...]
    #: The checkout time, aware, in the business's zone.
    at: dt.datetime
    #: The cart / ticket id the host gave, if any.
    cart_id: str | None
    #: The cart's owner.
    owner: str
    _inputs: tuple[Package, ...] = attrs.field(repr=False, alias="inputs")
    _balances: tuple[int, ...] = attrs.field(repr=False, alias="balances")
    _cart: Cart = attrs.field(repr=False, alias="cart")
    _settings: Settings = attrs.field(repr=False, alias="settings")
    _policy: Policy = attrs.field(repr=False, alias="policy")
    _rates: Rates = attrs.field(repr=False, alias="rates")

    @functools.cached_property
    def rejections(self) -> tuple[Rejection, ...]:
        """Why each package took nothing off each line that wanted more credits: by line (cart
        order), then package id; judged on the balances left after the whole cart."""
        from .engine import rejections_of

        return rejections_of(self)

    @functools.cached_property
    def packages(self) -> tuple[Package, ...]:
        """Every input package, in input order, as it stands after this cart."""
        tz = self.at.tzinfo
        assert tz is not None
        used = {r.package_id for r in self.redemptions}
        out: list[Package] = []
        slot = 0
        for package in self._inputs:
            start = slot
            slot += len(package.components)
            if package.id not in used:
                out.append(package)
                continue
            components = tuple(
                c
                if c.remaining == self._balances[start + k]
                else evolve_trusted(c, remaining=self._balances[start + k])
                for k, c in enumerate(package.components)
            )
            changes: dict[str, object] = {"components": components}
            if package.first_used_at is None:
                changes["first_used_at"] = self.at
                if package.expires_on is None and package.expiry_starts == "first_use":
                    changes["expires_on"] = effective_expires_on(
                        evolve_trusted(package, first_used_at=self.at), tz
                    )
            out.append(evolve_trusted(package, **changes))
        return tuple(out)

    @functools.cached_property
    def events(self) -> tuple[CreditsRedeemed, ...]:
        """One :class:`CreditsRedeemed` per redemption, for the host's ledger."""
        owners = {p.id: p.owner for p in self._inputs}
        key = self.idempotency_key
        return tuple(
            CreditsRedeemed(
                event_id=event_id(key, r.line_id, r.package_id, r.item),
                package_id=r.package_id,
                owner=owners[r.package_id],
                line_id=r.line_id,
                item=r.item,
                credits=r.credits,
                amount=r.amount,
                at=self.at,
                cart_id=self.cart_id,
            )
            for r in self.redemptions
        )

    @functools.cached_property
    def guards(self) -> tuple[Guard, ...]:
        """What this result assumed and what it leaves, per component it touches.

        Commit with a compare-and-set (``UPDATE ... SET remaining = :new WHERE package = :id
        AND item = :item AND remaining = :expected``); when a guard does not hold, another
        checkout got there first: reload the packages and apply again.
        """
        touched = {(r.package_id, r.item) for r in self.redemptions}
        out: list[Guard] = []
        slot = 0
        for package in self._inputs:
            for component in package.components:
                if (package.id, component.item) in touched:
                    out.append(
                        Guard(package.id, component.item, component.remaining, self._balances[slot])
                    )
                slot += 1
        return tuple(out)

    @functools.cached_property
    def idempotency_key(self) -> str:
        """A key derived from the checkout's identity (cart id, owner, time, lines): a retried
        checkout has the same key, so a host storing it with a unique constraint applies it once.

        Give the cart an ``id`` for this to tell two carts of one owner at one moment apart.
        Event ids derive from it, so a changed cart never reuses the event ids of another.
        """
        parts = [self.cart_id or "", self.owner, self.at.isoformat()]
        parts.extend(
            f"{line.id}:{line.item}:{line.beneficiary or ''}:{line.units}:{line.unit_price.minor}"
            for line in self._cart.lines
        )
        return "ck-" + event_id(*parts)[3:]

    @functools.cached_property
    def first_uses(self) -> tuple[str, ...]:
        """Ids of the packages whose first use this result records (input order): the host
        stores their ``first_used_at`` (and, for a first-use countdown, ``expires_on``)."""
        used = {r.package_id for r in self.redemptions}
        return tuple(p.id for p in self._inputs if p.id in used and p.first_used_at is None)

    def line(self, line_id: str) -> LineResult:
        """The result of the line with id *line_id*."""
        for result in self.lines:
            if result.line_id == line_id:
                return result
        raise KeyError(line_id)

    def expires_at(self, package_id: str) -> dt.datetime | None:
        """The instant the package *package_id* stops being usable, as it stands after this cart
        (aware, in the business's zone), or ``None`` when it never expires (or not yet).

        >>> import datetime as dt
        >>> from punchcard import Cart, Component, Line, Money, Package, apply
        >>> p = Package(id="p1", owner="o", purchased_at=dt.datetime(2026, 1, 5, 10),
        ...             components=[Component("x", 1)], days_to_expiration=30)
        >>> r = apply(Cart("o", "here", "USD", [Line("l1", "x", Money("5", "USD"))]), [p],
        ...           as_of=dt.datetime(2026, 1, 6, 9), timezone="America/New_York")
        >>> r.expires_at("p1").isoformat()
        '2026-02-04T23:59:00-05:00'
        """
        from .rules.base import facts_key, package_facts

        tz = self.at.tzinfo
        assert tz is not None
        expires_at = self._policy.expires_at_delta
        moment = package_facts(self.package(package_id), tz, expires_at, facts_key(tz, expires_at))[
            2
        ]
        return None if moment is None else moment.astimezone(tz)

    def package(self, package_id: str) -> Package:
        """The new state of the package with id *package_id*."""
        for package in self.packages:
            if package.id == package_id:
                return package
        raise KeyError(package_id)
