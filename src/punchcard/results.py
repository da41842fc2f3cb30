"""What :func:`punchcard.apply` returns: per-line totals, redemptions, rejections, new states, events."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from ._canonical import digest
from .expiry import PackageTimes, advance, package_times
from .models import Cart, Package, Rates, Settings
from .money import Money

if TYPE_CHECKING:
    from .events import BalanceRedeemed, RedemptionRecorded
    from .policy import Policy

__all__ = ["Application", "Guard", "LineResult", "Redemption", "Rejection"]


@attrs.frozen
class Guard:
    """A compare-and-set condition for committing a result: the credits of one component the
    result assumed were left (``expected``) and what it leaves (``new``). For a stored-value
    package ``item`` is ``None`` and the counts are minor units of its balance."""

    package_id: str
    item: str | None
    expected: int
    new: int


@attrs.frozen
class LineResult:
    """How much of one line the credits (and stored value) covered."""

    #: The line's id.
    line_id: str
    #: unit price x units.
    total: Money
    #: What the credits and stored value took off.
    covered: Money
    #: What is still due: ``total - covered``.
    due: Money
    #: How many credits the line took (at most its units).
    credits: int


@attrs.frozen
class Redemption:
    """Credits of one component of a package (or money of a stored-value package) that paid for
    units of one line."""

    line_id: str
    package_id: str
    #: The component's item or pool name (which may differ from the line's item with
    #: ``any_type`` or a substitute); ``None`` for stored value.
    item: str | None
    #: Whole credits taken (one per unit); 0 for stored value.
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
    #: The item of the package's component that got furthest down the rule list (``None`` for
    #: a stored-value package).
    item: str | None = attrs.field(default=None, eq=False, kw_only=True)
    #: Whether the package has credits of a kind that may pay for this line (its item, an item
    #: of its pool, a substitute, or another one the settings allow, in the line's unit; for
    #: stored value, an item it may pay): when false the package was never a candidate for the
    #: line, whatever the first rule that failed.
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
    #: In the order the engine applied them.
    redemptions: tuple[Redemption, ...]
    #: The checkout time, aware, in the business's zone.
    at: dt.datetime
    #: The cart / ticket id the host gave, if any.
    cart_id: str | None
    #: The cart's owner.
    owner: str
    #: Per line, in cart order: (total, covered) in minor units, and the credits taken.
    _line_data: tuple[tuple[int, int, int], ...] = attrs.field(repr=False, alias="line_data")
    _inputs: tuple[Package, ...] = attrs.field(repr=False, alias="inputs")
    _balances: tuple[int, ...] = attrs.field(repr=False, alias="balances")
    _times: tuple[PackageTimes, ...] = attrs.field(repr=False, alias="times", eq=False)
    _cart: Cart = attrs.field(repr=False, alias="cart")
    _settings: Settings = attrs.field(repr=False, alias="settings")
    _policy: Policy = attrs.field(repr=False, alias="policy")
    _rates: Rates = attrs.field(repr=False, alias="rates")
    #: The policy's expiry time of day, as a time after local midnight.
    _expires_at: dt.timedelta = attrs.field(repr=False, alias="expires_at", eq=False)
    _explain: Callable[[], tuple[Rejection, ...]] = attrs.field(
        repr=False, alias="explain", eq=False
    )

    @property
    def cart(self) -> Cart:
        """The cart this result answers."""
        return self._cart

    @property
    def inputs(self) -> tuple[Package, ...]:
        """The packages as they were before this cart, in the order given (``packages`` holds
        them after it, in the same order)."""
        return self._inputs

    @functools.cached_property
    def lines(self) -> tuple[LineResult, ...]:
        """How much of each line was covered, in cart order."""
        currency = self.currency
        amounts: dict[int, Money] = {}
        out: list[LineResult] = []
        for line, (total, covered, credits) in zip(self._cart.lines, self._line_data, strict=True):
            values = []
            for minor in (total, covered, total - covered):
                money = amounts.get(minor)
                if money is None:
                    money = amounts[minor] = Money.from_minor(minor, currency)
                values.append(money)
            out.append(LineResult(line.id, values[0], values[1], values[2], credits))
        return tuple(out)

    @functools.cached_property
    def rejections(self) -> tuple[Rejection, ...]:
        """Why each package took nothing off each line that wanted more credits: by line (cart
        order), then package id; judged on the balances left after the whole cart."""
        return self._explain()

    @functools.cached_property
    def _slots(self) -> tuple[int, ...]:
        """The first balance slot of each input package."""
        slots: list[int] = []
        slot = 0
        for package in self._inputs:
            slots.append(slot)
            slot += len(package.components) or 1
        return tuple(slots)

    @functools.cached_property
    def _positions(self) -> dict[str, int]:
        return {package.id: i for i, package in enumerate(self._inputs)}

    @functools.cached_property
    def packages(self) -> tuple[Package, ...]:
        """Every input package, in input order, as it stands after this cart."""
        tz = self.at.tzinfo
        assert tz is not None
        used = {r.package_id for r in self.redemptions}
        out: list[Package] = []
        mode = self._policy.expiry
        for position, package in enumerate(self._inputs):
            if package.id not in used:
                out.append(package)
            elif package.balance is not None:
                left = self._balance_at(position)
                out.append(advance(package, (), balance=left, at=self.at, tz=tz, mode=mode))
            else:
                credits = self._credits_at(position)
                out.append(advance(package, credits, at=self.at, tz=tz, mode=mode))
        return tuple(out)

    def _credits_at(self, position: int) -> tuple[int, ...]:
        """The credits left after this cart of each component of the package at *position*,
        in component order: the engine's balances of its slots."""
        start = self._slots[position]
        return self._balances[start : start + len(self._inputs[position].components)]

    def _balance_at(self, position: int) -> Money:
        """The balance left after this cart of the stored-value package at *position*."""
        balance = self._inputs[position].balance
        assert balance is not None
        return Money.from_minor(self._balances[self._slots[position]], balance.currency)

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
        return self.times(package_id).expires_local

    def times(self, package_id: str) -> PackageTimes:
        """The times (purchase, validity, expiry) of the package *package_id* as it stands after
        this cart."""
        position = self._positions[package_id]  # (KeyError when there is none)
        package = self._inputs[position]
        if (
            package.first_used_at is not None
            or package.expires_on is not None
            or package.expiry_starts != "first_use"
            or package_id not in self.first_uses
        ):
            return self._times[position]  # the first use of this cart changes none of them
        tz = self.at.tzinfo
        assert tz is not None
        policy = self._policy
        return package_times(self.packages[position], tz, self._expires_at, policy.expiry)

    @functools.cached_property
    def events(self) -> tuple[RedemptionRecorded | BalanceRedeemed, ...]:
        """The ledger events of this checkout, one per redemption: :class:`RedemptionRecorded`
        for credits, :class:`BalanceRedeemed` for money of a stored-value package — the events
        of punchcard's one ledger (:mod:`punchcard.events`), ready to append to it.

        Each continues its package's history: its ``seq`` follows the package's ``version``.
        The booking is the cart's ``id`` (or, without one, the checkout's idempotency key), a
        ``ticket`` whose credits are used at the checkout time.
        """
        # the ledger's event classes load on first use: a till that only previews carts never
        # pays for them (about 27 ms of ``import punchcard``)
        from .events import ledger_event_id, redemption_event

        at = self.at
        booking = self.cart_id or self.idempotency_key
        seqs = {p.id: p.version for p in self._inputs}
        out: list[RedemptionRecorded | BalanceRedeemed] = []
        for r in self.redemptions:
            seq = seqs[r.package_id] = seqs[r.package_id] + 1
            common: dict[str, Any] = {
                "event_id": ledger_event_id(r.package_id, seq),
                "package_id": r.package_id,
                "seq": seq,
                "at": at,
                "booking": booking,
                "booking_kind": "ticket",
                "status": "used",
                "scheduled_for": at,
                "cart_id": self.cart_id,
            }
            # (every field comes from the checked inputs and the engine: not checked again)
            out.append(
                redemption_event(r.line_id, r.amount, r.item, r.credits, trusted=True, **common)
            )
        return tuple(out)

    @functools.cached_property
    def guards(self) -> tuple[Guard, ...]:
        """What this result assumed and what it leaves, per component it touches.

        Commit with a compare-and-set (``UPDATE ... SET remaining = :new WHERE package = :id
        AND item = :item AND remaining = :expected``); when a guard does not hold, another
        checkout got there first: reload the packages and apply again.
        """
        touched = {(r.package_id, r.item) for r in self.redemptions}
        out: list[Guard] = []
        for package, start in zip(self._inputs, self._slots, strict=True):
            if package.balance is not None:
                if (package.id, None) in touched:
                    out.append(
                        Guard(package.id, None, package.balance.minor, self._balances[start])
                    )
                continue
            for k, component in enumerate(package.components):
                if (package.id, component.item) in touched:
                    out.append(
                        Guard(
                            package.id,
                            component.item,
                            component.remaining,
                            self._balances[start + k],
                        )
                    )
        return tuple(out)

    @functools.cached_property
    def idempotency_key(self) -> str:
        """A key derived from everything that decides this checkout: the cart (id, owner,
        location, currency, every field of every line), the time (the instant and the zone),
        the settings, the policy and the rates. A retried checkout has the same key, so a host
        storing it with a unique constraint applies it once; any difference gives another key.

        It is a SHA-256 digest of a canonical JSON encoding (sorted keys, no separator that an
        id could contain), so no two different requests share one. Event ids derive from it.
        """
        cart = self._cart
        policy = self._policy
        request = {
            "cart": {
                "id": cart.id,
                "owner": cart.owner,
                "location": cart.location,
                "currency": cart.currency,
                "lines": [
                    {
                        "id": line.id,
                        "item": line.item,
                        "for": line.beneficiary,
                        "units": line.units,
                        "unit_price": str(line.unit_price.amount),
                        "charge_by": line.charge_by,
                        "credit_values": [[item, str(m.amount)] for item, m in line.credit_values],
                    }
                    for line in cart.lines
                ],
            },
            "at": self.at.astimezone(dt.timezone.utc).isoformat(),
            "timezone": str(self.at.tzinfo),
            "settings": attrs.asdict(self._settings),
            "policy": {
                "line_order": policy.line_order.name,
                "package_order": policy.package_order.name,
                "valuation": policy.valuation.name,
                "expires_at": policy.expires_at,
                "expiry": policy.expiry,
                "rules": [rule.code for rule in policy.rules],
            },
            "rates": [
                [loc, item, str(m.amount), m.currency] for loc, item, m in self._rates.entries
            ],
        }
        return "ck-" + digest(request)[1][:40]

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

    def package(self, package_id: str) -> Package:
        """The new state of the package with id *package_id*."""
        position = self._positions[package_id]  # (KeyError when there is none)
        return self.packages[position]

    def credits_left(self, package_id: str) -> dict[str, int]:
        """The credits left of each component of the package *package_id* after this cart, by
        item (``{}`` for a stored-value package): what :meth:`package` holds, read from the
        engine's balances without building the package.

        >>> import datetime as dt
        >>> from punchcard import Cart, Component, Line, Money, Package, apply
        >>> p = Package(id="p1", owner="o", purchased_at=dt.datetime(2026, 1, 5),
        ...             components=[Component("x", 3), Component("y", 1)])
        >>> r = apply(Cart("o", "here", "USD", [Line("l1", "x", Money("5", "USD"))]), [p],
        ...           as_of=dt.datetime(2026, 1, 6, 9), timezone="America/New_York")
        >>> r.credits_left("p1")
        {'x': 2, 'y': 1}
        """
        position = self._positions[package_id]  # (KeyError when there is none)
        package = self._inputs[position]
        if package.balance is not None:
            return {}
        left = self._credits_at(position)
        return {c.item: left[k] for k, c in enumerate(package.components)}

    def balance_left(self, package_id: str) -> Money | None:
        """The balance left of the stored-value package *package_id* after this cart (``None``
        for a package of credits): what :meth:`package` holds, without building it."""
        position = self._positions[package_id]  # (KeyError when there is none)
        if self._inputs[position].balance is None:
            return None
        return self._balance_at(position)
