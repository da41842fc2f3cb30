"""The redemption engine: which credits pay for which cart lines, for how much, and why not others.

:func:`apply` is pure: it reads values, never the clock, the disk or the network, never mutates its
inputs, and returns an :class:`~punchcard.results.Application` for the host to persist.

How it decides (``docs/semantics.md``): the policy is compiled into each rule's fast predicate
(:class:`~punchcard.policy.CompiledPolicy`); the packages' times are worked out once
(:class:`PreparedPackages`); the package rules (owner, validity, expiry, pause, location) are
checked once per package; the usable packages are ranked once (priority, the package order, id);
then one walk serves every line in the line order — for each line the components that pay its
item as their own, then the others the rules admit, each judged by the same predicates, first
from credits left and then, for components with an overdraft, below zero. Stored-value packages
pay what is still due at the end. ``optimal`` hands the same offers to a min-cost flow instead of
walking them. Rejections are judged by the same predicates, in rule order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import attrs

from ._optimal import allocate_money, allocate_optimal
from .context import Candidate, Context
from .errors import (
    CurrencyMismatchError,
    InvalidTimeError,
    InvalidTypeError,
    InvalidValueError,
    PluginError,
)
from .expiry import ExpiryMode, PackageTimes, package_times
from .limits import MAX_OPTIMAL_LINES, MAX_OPTIMAL_WORK, MAX_PAIRS
from .models import Cart, Line, Package, Rates, RatesInput, Settings
from .money import Money
from .policy import Checks, CompiledPolicy, Policy
from .results import Application, Redemption, Rejection
from .timeutil import to_local, zone

__all__ = ["PreparedPackages", "apply", "prepare"]

_DEFAULT_SETTINGS = Settings()
_DEFAULT_POLICY = Policy()
_DEFAULT_COMPILED = _DEFAULT_POLICY.compile()


@attrs.frozen(eq=False)
class PreparedPackages:
    """An owner's packages with their times worked out in one zone, for one policy's expiry.

    A till that applies the same packages on every keystroke of a cart prepares them once and
    passes this object to :func:`apply` instead of the list. It is a value the caller keeps;
    nothing is remembered anywhere else.

    >>> import datetime as dt
    >>> from punchcard import Component, Package
    >>> prepared = prepare([Package(id="p1", owner="o", purchased_at=dt.datetime(2026, 1, 5),
    ...                             components=[Component("x", 2)], days_to_expiration=30)],
    ...                    timezone="America/New_York")
    >>> prepared.times[0].expires_on
    datetime.date(2026, 2, 4)
    """

    #: The packages, in the order given.
    packages: tuple[Package, ...]
    #: The zone their local dates are read in.
    timezone: dt.tzinfo
    #: The policy's expiry time of day and mode they were prepared for.
    expires_at: dt.timedelta
    expiry: ExpiryMode
    #: Each package's times, in the same order.
    times: tuple[PackageTimes, ...]
    _by_id: dict[str, PackageTimes] = attrs.field(repr=False, alias="by_id")
    #: The engine's layout of their balances: one slot per component (one per stored-value
    #: package), the first slot of each package, and for each slot its package, its component
    #: position, its overdraft and its balance as prepared.
    _layout: _Layout = attrs.field(repr=False, alias="layout")
    #: Rankings of these packages by the package orders that rank by the package alone
    #: (made by the first checkout that uses one).
    _rankings: dict[object, _Ranking] = attrs.field(repr=False, init=False, factory=dict, eq=False)
    #: The candidate of each slot (immutable values, made by the first checkout that offers it).
    _candidates: list[Candidate | None] = attrs.field(repr=False, init=False, eq=False)

    @_candidates.default
    def _no_candidates(self) -> list[Candidate | None]:
        return [None] * len(self._layout.balances)


class _Layout(NamedTuple):
    first_slot: tuple[int, ...]
    slot_package: tuple[int, ...]
    slot_index: tuple[int, ...]
    floors: tuple[int, ...]
    balances: tuple[int, ...]
    stored: tuple[int, ...]


def _layout(packages: tuple[Package, ...]) -> _Layout:
    first_slot: list[int] = []
    slot_package: list[int] = []
    slot_index: list[int] = []
    floors: list[int] = []
    balances: list[int] = []
    stored: list[int] = []
    for position, package in enumerate(packages):
        first_slot.append(len(balances))
        if package.balance is not None:
            stored.append(position)
            balances.append(package.balance.minor)
            slot_package.append(position)
            slot_index.append(0)
            floors.append(0)
            continue
        for index, component in enumerate(package.components):
            balances.append(component.remaining)
            slot_package.append(position)
            slot_index.append(index)
            floors.append(component.overdraft)
    return _Layout(
        tuple(first_slot),
        tuple(slot_package),
        tuple(slot_index),
        tuple(floors),
        tuple(balances),
        tuple(stored),
    )


def _zone(timezone: str | dt.tzinfo) -> dt.tzinfo:
    tz = zone(timezone) if isinstance(timezone, str) else timezone
    if not isinstance(tz, dt.tzinfo):
        raise InvalidTypeError("timezone", f"must be an IANA name or a tzinfo, got {timezone!r}")
    return tz


def _compiled(policy: Policy | CompiledPolicy) -> CompiledPolicy:
    if policy is _DEFAULT_POLICY:
        return _DEFAULT_COMPILED
    if isinstance(policy, CompiledPolicy):
        return policy
    if not isinstance(policy, Policy):
        raise InvalidTypeError("policy", f"must be a Policy, got {policy!r}")
    return policy.compile()


def prepare(
    packages: Iterable[Package],
    *,
    timezone: str | dt.tzinfo,
    policy: Policy | CompiledPolicy = _DEFAULT_POLICY,
) -> PreparedPackages:
    """Check *packages* and work out their times in *timezone* under *policy*'s expiry rules.

    Refuses a value that is not a :class:`~punchcard.Package`, a duplicate id, and a time that
    does not exist in the zone, naming ``packages[i]`` and the field.
    """
    compiled = _compiled(policy)
    tz = _zone(timezone)
    if isinstance(packages, (str, bytes)) or not isinstance(packages, Iterable):
        raise InvalidTypeError("packages", f"must be a sequence of Package, got {packages!r}")
    values = tuple(packages)
    times: list[PackageTimes] = []
    by_id: dict[str, PackageTimes] = {}
    expires_at, mode = compiled.expires_at, compiled.expiry
    for i, package in enumerate(values):
        if not isinstance(package, Package):
            raise InvalidTypeError(f"packages[{i}]", f"must be a Package, got {package!r}")
        if package.id in by_id:
            raise InvalidValueError(f"packages[{i}].id", f"duplicate package id {package.id!r}")
        try:
            found = package_times(package, tz, expires_at, mode)
        except InvalidTimeError as exc:  # the path is built only for an error
            raise InvalidTimeError(f"packages[{i}].{exc.field}", exc.message) from None
        times.append(found)
        by_id[package.id] = found
    return PreparedPackages(values, tz, expires_at, mode, tuple(times), by_id, _layout(values))


def apply(
    cart: Cart,
    packages: Iterable[Package] | PreparedPackages,
    *,
    as_of: dt.datetime,
    timezone: str | dt.tzinfo,
    settings: Settings = _DEFAULT_SETTINGS,
    policy: Policy | CompiledPolicy = _DEFAULT_POLICY,
    rates: RatesInput = None,
) -> Application:
    """Apply the owner's *packages* to *cart* at time *as_of* and say what each credit paid for.

    *as_of* is the checkout time (naive = local time in *timezone*, the zone of the cart's
    location). Nothing is mutated or written: persist the returned ``packages`` and ``events``.
    *packages* may be a :class:`PreparedPackages` and *policy* a compiled policy
    (:meth:`Policy.compile`), for a till that applies many carts.

    >>> import datetime as dt
    >>> from punchcard import Cart, Component, Line, Money, Package
    >>> cart = Cart("smith", "downtown", "USD", [
    ...     Line("l1", "daycare_full", Money("30", "USD"), beneficiary="rex"),
    ...     Line("l2", "daycare_full", Money("30", "USD"), beneficiary="bella"),
    ... ])
    >>> pass10 = Package(id="p1", owner="smith", purchased_at=dt.datetime(2026, 1, 5, 10),
    ...                  components=[Component("daycare_full", 1)])
    >>> result = apply(cart, [pass10], as_of=dt.datetime(2026, 3, 2, 17, 30),
    ...                timezone="America/New_York")
    >>> str(result.covered), str(result.due)
    ('30.00', '30.00')
    >>> [(r.line_id, r.package_id, r.credits, str(r.amount)) for r in result.redemptions]
    [('l1', 'p1', 1, '30.00')]
    >>> [(r.line_id, r.package_id, r.reason) for r in result.rejections]
    [('l2', 'p1', 'exhausted')]
    >>> result.package("p1").remaining("daycare_full"), result.package("p1").first_used_at
    (0, datetime.datetime(2026, 3, 2, 17, 30, tzinfo=zoneinfo.ZoneInfo(key='America/New_York')))
    """
    if not isinstance(cart, Cart):
        raise InvalidTypeError("cart", f"must be a Cart, got {cart!r}")
    if not isinstance(settings, Settings):
        raise InvalidTypeError("settings", f"must be Settings, got {settings!r}")
    compiled = _compiled(policy)
    tz = _zone(timezone)
    if not isinstance(as_of, dt.datetime):
        raise InvalidTypeError("as_of", f"must be a datetime.datetime, got {as_of!r}")
    at = to_local(as_of, tz, "as_of")
    if isinstance(packages, PreparedPackages):
        prepared = packages
        if (prepared.timezone, prepared.expires_at, prepared.expiry) != (
            tz,
            compiled.expires_at,
            compiled.expiry,
        ):
            raise InvalidValueError(
                "packages", "were prepared for another time zone or expiry policy"
            )
    else:
        prepared = prepare(packages, timezone=tz, policy=compiled)
    rate_table = Rates.coerce(rates)
    for location, item, money in rate_table.entries:
        if location == cart.location and money.currency != cart.currency:
            raise CurrencyMismatchError(cart.currency, money.currency, f"rates.{location}.{item}")
    if len(cart.lines) * len(prepared.packages) > MAX_PAIRS:
        raise InvalidValueError(
            "packages",
            f"{len(cart.lines)} lines x {len(prepared.packages)} packages is more than "
            f"{MAX_PAIRS} pairs in one checkout (see docs/limits.md)",
        )
    checkout = _Checkout(cart, prepared, at, tz, settings, compiled, rate_table)
    return checkout.run()


class _Ranking(NamedTuple):
    """Every package's components in credit order (after O.1): the credit slots, the
    stored-value slots, and the slots by the items they pay as their own and as substitutes."""

    ranked: list[int]
    stored: list[int]
    own: dict[str, list[int]]
    substitutes: dict[str, list[int]]
    #: Per item, the credit slots that do not pay it as their own (filled on demand).
    others: dict[str, list[int]]


class _Checkout:
    """One run of the engine: the running balances, the package checks (made when a package is
    first offered), the ranking, and the walk over it."""

    __slots__ = (
        "allocations",
        "candidates",
        "cart",
        "checks",
        "compiled",
        "ctx",
        "debt",
        "fails",
        "first_slot",
        "has_debt",
        "lines",
        "none",
        "packages",
        "prepared",
        "prices",
        "ranking",
        "settings",
        "slot_index",
        "slot_package",
        "usable",
    )

    def __init__(
        self,
        cart: Cart,
        prepared: PreparedPackages,
        at: dt.datetime,
        tz: dt.tzinfo,
        settings: Settings,
        compiled: CompiledPolicy,
        rates: Rates,
    ) -> None:
        self.cart = cart
        self.lines = lines = cart.lines
        self.prices = [line.unit_price.minor for line in lines]
        self.prepared = prepared
        self.packages = packages = prepared.packages
        self.settings = settings
        self.compiled = compiled
        self.checks: Checks = compiled.checks(settings)
        layout = prepared._layout
        for position in layout.stored:
            balance = packages[position].balance
            if balance is not None and balance.currency != cart.currency:
                raise CurrencyMismatchError(
                    cart.currency, balance.currency, f"packages[{position}].balance"
                )
        balances = list(layout.balances)
        self.first_slot = layout.first_slot
        self.slot_package = layout.slot_package
        self.slot_index = layout.slot_index
        self.debt = layout.floors
        self.has_debt = any(layout.floors)
        self.candidates = prepared._candidates
        self.none = len(compiled.rules)
        #: Per package: the rank of the first package rule it fails (``none``: none), and
        #: whether it may pay at all; ``None`` until it is first offered.
        self.fails: list[int | None] = [None] * len(packages)
        self.usable: list[bool | None] = [None] * len(packages)
        self.ctx = Context(
            cart=cart,
            at=at,
            timezone=tz,
            settings=settings,
            rates=rates,
            expires_at=compiled.expires_at,
            valuation=compiled.valuation,
            balances=balances,
            times=prepared._by_id,
        )
        self.allocations: list[tuple[int, int, int, int]] = []
        self.ranking = self._ranking()

    def candidate(self, slot: int) -> Candidate:
        """The candidate of *slot*, made on first use."""
        found = self.candidates[slot]
        if found is None:
            package = self.packages[self.slot_package[slot]]
            index = self.slot_index[slot]
            component = package.components[index] if package.components else None
            found = self.candidates[slot] = Candidate(package, component, index, slot)
        return found

    def package_fail(self, position: int) -> int:
        """The rank of the first package rule (R1, R3, R4, R4a, R5...) the package at
        *position* fails, or the number of rules when none does; checked once per checkout."""
        failed = self.fails[position]
        if failed is None:
            candidate = self.candidate(self.first_slot[position])
            failed = self.checks.package_fail(candidate, self.lines[0], self.ctx)
            self.fails[position] = failed
            # Owner isolation holds whatever the rules: another owner's credits never pay, even
            # under a policy that leaves R1 out (R1 then only stops being reported).
            self.usable[position] = (
                failed == self.none and self.packages[position].owner == self.cart.owner
            )
        return failed

    def may_pay(self, slot: int) -> bool:
        """Whether the package of *slot* passes the package rules (and is the owner's)."""
        position = self.slot_package[slot]
        usable = self.usable[position]
        if usable is None:
            self.package_fail(position)
            usable = self.usable[position]
        return usable is True

    def _ranking(self) -> _Ranking:
        """Every package in credit order — priority, the package order's rank, id — and its
        components indexed by item. An order whose rank reads only the package and its times
        (``static_rank``) is ranked once per :class:`PreparedPackages`."""
        order = self.compiled.package_order
        static = getattr(order, "static_rank", False) is True
        rankings = self.prepared._rankings
        if static:
            found = rankings.get(order)
            if found is not None:
                return found
        ctx = self.ctx
        keyed = []
        for position, package in enumerate(self.packages):
            rank = order.rank(package, ctx)
            if not isinstance(rank, tuple):
                raise PluginError(order, f"rank must return a tuple, got {rank!r}")
            keyed.append(((package.priority, rank, package.id), position))
        try:
            keyed.sort(key=_first)
        except TypeError as exc:
            raise PluginError(order, f"rank keys cannot be compared: {exc}", cause=exc) from None
        ranking = _Ranking([], [], {}, {}, {})
        for _, position in keyed:
            package = self.packages[position]
            first = self.first_slot[position]
            if package.balance is not None:
                ranking.stored.append(first)
                continue
            for index, component in enumerate(package.components):
                slot = first + index
                ranking.ranked.append(slot)
                for item in component.own_items:
                    ranking.own.setdefault(item, []).append(slot)
                for item in component.substitutes:
                    ranking.substitutes.setdefault(item, []).append(slot)
        if static and len(rankings) < 8:
            rankings[order] = ranking
        return ranking

    def others(self, item: str) -> list[int]:
        """The components that do not pay *item* as their own, in rank order, that the rules
        may admit: the listed substitutes, or every other one when cross-item use is admitted."""
        ranking = self.ranking
        if not self.checks.cross_item_admitted:
            return ranking.substitutes.get(item, _NOTHING)
        found = ranking.others.get(item)
        if found is None:
            own = set(ranking.own.get(item, ()))
            found = ranking.others[item] = [slot for slot in ranking.ranked if slot not in own]
        return found

    def offer(self, slot: int, line: Line, price: int) -> int | None:
        """What one credit of *slot* takes off *line* (minor units), or ``None`` when a rule
        refuses it (the package rules, then the line and component rules, in rank order).
        Credits left are the caller's business."""
        position = self.slot_package[slot]
        usable = self.usable[position]
        if usable is None:
            self.package_fail(position)
            usable = self.usable[position]
        if not usable:
            return None
        candidate = self.candidates[slot] or self.candidate(slot)
        ctx = self.ctx
        if self.checks.item_fail(candidate, line, ctx) != self.none:
            return None
        value = ctx.credit_value(candidate, line)
        if value is None:
            return None  # no value, nothing to take off (even under a policy without R9)
        if value is line.unit_price:
            return price
        minor = value.minor
        return minor if minor < price else price

    def run(self) -> Application:
        compiled = self.compiled
        lines = self.lines
        order = compiled.line_order.arrange(lines)
        if len(order) != len(lines) or sorted(order) != list(range(len(lines))):
            raise PluginError(
                compiled.line_order,
                f"arrange must return a permutation of the {len(lines)} line positions, "
                f"got {order!r}",
            )
        if compiled.solves_assignment:
            self._optimal(order)
        else:
            for li in order:
                self._serve(li)
        if self.ranking.stored:
            self._stored_value(order)
        return self._application()

    def _serve(self, li: int) -> None:
        """Give line *li* credits: first from credits left, then, for components with an
        overdraft, below zero (debt is the last resort, X8)."""
        need = self._walk(li, self.lines[li].units, debt=False)
        if need and self.has_debt:
            self._walk(li, need, debt=True)

    def _walk(self, li: int, need: int, *, debt: bool) -> int:
        """Take up to *need* credits for line *li* in credit order — the components that pay
        its item as their own, then the others the rules may admit — from credits left, or with
        *debt* down to each component's overdraft. Returns the units still uncovered."""
        line = self.lines[li]
        price = self.prices[li]
        balances = self.ctx._balances
        floors = self.debt
        item = line.item
        allocations = self.allocations
        for walk in (self.ranking.own.get(item, _NOTHING), self.others(item)):
            for slot in walk:
                left = balances[slot]
                floor = -floors[slot] if debt else 0
                if left <= floor:
                    continue
                per_credit = self.offer(slot, line, price)
                if per_credit is None:
                    continue
                count = need if need < left - floor else left - floor
                balances[slot] = left - count
                need -= count
                allocations.append((li, slot, count, per_credit))
                if not need:
                    return 0
        return need

    def _optimal(self, order: Sequence[int]) -> None:
        lines = self.lines
        if len(lines) > MAX_OPTIMAL_LINES:
            raise InvalidValueError(
                "line_order",
                f"'optimal' allocates carts of at most {MAX_OPTIMAL_LINES} lines; this one has "
                f"{len(lines)} (use another line order)",
            )
        balances = self.ctx._balances
        floors = self.debt
        n_slots = len(balances)
        offers: list[list[tuple[int, int]]] = []
        debts: list[list[tuple[int, int]]] = []
        count = 0
        for li, line in enumerate(lines):
            price = self.prices[li]
            mine: list[tuple[int, int]] = []
            owed: list[tuple[int, int]] = []
            for slot in (*self.ranking.own.get(line.item, ()), *self.others(line.item)):
                left = balances[slot]
                if left <= -floors[slot]:
                    continue  # nothing to give, credits nor debt
                per_credit = self.offer(slot, line, price)
                if per_credit is None:
                    continue
                if left > 0:
                    mine.append((slot, per_credit))
                if floors[slot]:  # its credits below zero are a supply of their own
                    owed.append((n_slots + slot, per_credit))
            count += len(mine) + len(owed)
            if count * len(lines) > MAX_OPTIMAL_WORK:
                raise InvalidValueError(
                    "line_order",
                    f"'optimal' takes on at most {MAX_OPTIMAL_WORK} lines x offers; this cart has "
                    f"{len(lines)} lines and more than {count} (line, credit) offers (use another "
                    "line order; see docs/limits.md)",
                )
            offers.append(mine)
            debts.append(owed)
        capacities = [left if left > 0 else 0 for left in balances]
        if self.has_debt:
            capacities += [
                floor + (left if left < 0 else 0)
                for left, floor in zip(balances, floors, strict=True)
            ]
        units = [line.units for line in lines]
        found = allocate_optimal(units, order, offers, capacities, debts if self.has_debt else ())
        for li, supply, taken, per_credit in found:
            slot = supply - n_slots if supply >= n_slots else supply
            balances[slot] -= taken
            self.allocations.append((li, slot, taken, per_credit))

    def _stored_value(self, order: Sequence[int]) -> None:
        """Stored-value packages pay what is still due on each line (never a $0 line), lines in
        the line order, packages in credit order (X9); under ``optimal``, the most they can
        pay (a max flow of money from the balances to the lines they may pay)."""
        due = [price * line.units for price, line in zip(self.prices, self.lines, strict=True)]
        for li, _slot, count, per_credit in self.allocations:
            due[li] -= count * per_credit
        balances = self.ctx._balances
        ctx = self.ctx
        balance_fail = self.checks.balance_fail
        none = self.none
        payers: list[list[int]] = []
        for li, line in enumerate(self.lines):
            mine: list[int] = []
            if due[li] > 0:
                for slot in self.ranking.stored:
                    if (
                        balances[slot] > 0
                        and self.may_pay(slot)
                        and balance_fail(self.candidate(slot), line, ctx) == none
                    ):
                        mine.append(slot)
            payers.append(mine)
        if self.compiled.solves_assignment:
            owing = [li for li in order if payers[li]]
            found = allocate_money(
                [due[li] for li in owing],
                range(len(owing)),
                [payers[li] for li in owing],
                [left if left > 0 else 0 for left in balances],
            )
            for row, slot, amount in found:
                li = owing[row]
                balances[slot] -= amount
                self.allocations.append((li, slot, 0, amount))
            return
        for li in order:
            owed = due[li]
            for slot in payers[li]:
                left = balances[slot]
                if left <= 0:
                    continue
                take = owed if owed < left else left
                balances[slot] = left - take
                owed -= take
                self.allocations.append((li, slot, 0, take))
                if not owed:
                    break

    def _application(self) -> Application:
        cart = self.cart
        lines = self.lines
        currency = cart.currency
        amounts: dict[int, Money] = {}  # equal amounts share one (immutable) Money value
        covered_minor = [0] * len(lines)
        credits_taken = [0] * len(lines)
        redemptions: list[Redemption] = []
        packages = self.packages
        slot_package = self.slot_package
        for li, slot, count, per_credit in _merged(self.allocations):
            package = packages[slot_package[slot]]
            if count:  # credits
                amount = per_credit * count
                item: str | None = package.components[self.slot_index[slot]].item
                credits_taken[li] += count
            else:  # stored value: per_credit is the amount
                amount = per_credit
                item = None
            covered_minor[li] += amount
            money = amounts.get(amount)
            if money is None:
                money = amounts[amount] = Money.from_minor(amount, currency)
            redemptions.append(Redemption(lines[li].id, package.id, item, count, money))
        totals = [price * line.units for price, line in zip(self.prices, lines, strict=True)]
        total = sum(totals)
        covered = sum(covered_minor)
        return Application(
            currency=currency,
            total=Money.from_minor(total, currency),
            covered=Money.from_minor(covered, currency),
            due=Money.from_minor(total - covered, currency),
            redemptions=tuple(redemptions),
            at=self.ctx.at,
            cart_id=cart.id,
            owner=cart.owner,
            line_data=tuple(zip(totals, covered_minor, credits_taken, strict=True)),
            inputs=packages,
            balances=tuple(self.ctx._balances),
            times=self.prepared.times,
            cart=cart,
            settings=self.settings,
            policy=self.compiled.policy,
            rates=self.ctx.rates,
            expires_at=self.compiled.expires_at,
            explain=lambda: self.rejections(credits_taken),
        )

    def first_failure(self, slot: int, line: Line) -> int:
        """The rank of the first rule the candidate of *slot* fails for *line* (in policy
        order), on the balances as they stand; the number of rules when none fails."""
        candidate = self.candidate(slot)
        failed = self.package_fail(self.slot_package[slot])
        judge = (
            self.checks.item_fail if candidate.component is not None else self.checks.balance_fail
        )
        return min(failed, judge(candidate, line, self.ctx))

    def rejections(self, credits_taken: list[int]) -> tuple[Rejection, ...]:
        """Why each package took nothing off each line that wanted more credits, on the final
        balances: by line (cart order), then package id."""
        lines = self.lines
        short = [li for li, line in enumerate(lines) if credits_taken[li] < line.units]
        if not short:
            return ()
        packages = self.packages
        took = {(li, self.slot_package[slot]) for li, slot, _n, _p in self.allocations}
        by_id = sorted(range(len(packages)), key=lambda i: packages[i].id)
        rules = self.compiled.rules
        ctx = self.ctx
        cross = self.checks.cross_item_admitted
        out: list[Rejection] = []
        for li in short:
            line = lines[li]
            for position in by_id:
                if (li, position) in took:
                    continue
                package = packages[position]
                first = self.first_slot[position]
                best_rank, best = -1, first
                for slot in range(first, first + (len(package.components) or 1)):
                    rank = self.first_failure(slot, line)
                    if rank > best_rank:
                        best_rank, best = rank, slot
                if best_rank >= len(rules):
                    continue
                candidate = self.candidate(best)
                verdict = rules[best_rank].check(candidate, line, ctx)
                component = candidate.component
                if component is None:
                    matches = package.items is None or line.item in package.items or cross
                else:
                    hourly = line.charge_by == "hour"
                    matches = any(
                        (cross or c.pays_as_own(line.item) or line.item in c.substitutes)
                        and c.hourly == hourly
                        for c in package.components
                    )
                out.append(
                    Rejection(
                        line.id,
                        package.id,
                        verdict.reason or rules[best_rank].code,
                        verdict.detail,
                        item=None if component is None else component.item,
                        matches_item=matches,
                    )
                )
        return tuple(out)


_NOTHING: list[int] = []


def _merged(allocations: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """One row per (line, slot), in the order first taken: a line that took a component's
    credits and then (X8) its debt took them in one redemption."""
    rows: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for li, slot, count, per_credit in allocations:
        seen = rows.get((li, slot))
        if seen is None:
            rows[(li, slot)] = (li, slot, count, per_credit)
        elif count:
            rows[(li, slot)] = (li, slot, seen[2] + count, per_credit)
        else:  # money of a stored-value package
            rows[(li, slot)] = (li, slot, 0, seen[3] + per_credit)
    return list(rows.values()) if len(rows) < len(allocations) else allocations


def _first(row: tuple[tuple[object, ...], int]) -> tuple[object, ...]:
    return row[0]


def _answer(rule: object, answer: object) -> bool:
    """A predicate's answer, refused unless it is a bool (django-oscar issue 1647: a tuple
    where a bool was meant made every voucher available)."""
    if answer is True or answer is False:
        return answer
    raise PluginError(rule, f"a rule must answer True or False, got {answer!r}")
