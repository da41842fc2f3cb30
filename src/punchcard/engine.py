"""The redemption engine: which credits pay for which cart lines, for how much, and why not others.

:func:`apply` is pure: it reads values, never the clock, the disk or the network, never mutates its
inputs, and returns an :class:`~punchcard.results.Application` for the host to persist.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence

from .errors import CurrencyMismatchError, InvalidTypeError, InvalidValueError
from .models import Cart, Line, Package, Rates, RatesInput, Settings
from .money import Money
from .policy import Policy
from .results import Application, LineResult, Redemption, Rejection
from .rules.base import Candidate, Context, Rule, Verdict
from .rules.builtin import (
    BeneficiaryMatches,
    CreditsLeft,
    LocationAllowed,
    NotExpired,
    OwnerMatches,
    PriceNotZero,
    TypeAllowed,
    UnitMatches,
    ValidAlready,
    ValueKnown,
    ValueWithinPrice,
)
from .rules.ordering import EarliestExpiry, Fifo, Optimal
from .timeutil import to_local, zone

__all__ = ["apply"]

_DEFAULT_SETTINGS = Settings()
_DEFAULT_POLICY = Policy()


_BUILTIN_TYPES: frozenset[type] = frozenset(
    (
        OwnerMatches,
        BeneficiaryMatches,
        ValidAlready,
        NotExpired,
        LocationAllowed,
        TypeAllowed,
        UnitMatches,
        PriceNotZero,
        ValueKnown,
        ValueWithinPrice,
        CreditsLeft,
    )
)


Predicate = Callable[[Candidate, Line, Context], bool]


def _predicate(rule: Rule) -> Predicate:
    if type(rule) in _BUILTIN_TYPES:
        passes: Predicate = rule.passes  # type: ignore[attr-defined]
        return passes
    return lambda candidate, line, ctx: rule.check(candidate, line, ctx).eligible


#: Built-in rules that look at the package alone, never at the line: checked once per package.
_LINE_INDEPENDENT: tuple[type, ...] = (OwnerMatches, ValidAlready, NotExpired, LocationAllowed)


class _Compiled:
    """What the engine derives from a policy once: which built-in rules it holds (checked
    inline), its other rules, the rank predicates of the judge, and the expiry time of day."""

    __slots__ = ("check", "custom", "expires_at", "independent", "line_dependent")

    def __init__(self, policy: Policy) -> None:
        rules = policy.rules
        self.check = {t: False for t in _BUILTIN_TYPES}
        for rule in rules:
            if type(rule) in _BUILTIN_TYPES:
                self.check[type(rule)] = True
        self.custom = tuple(rule for rule in rules if type(rule) not in _BUILTIN_TYPES)
        # (rank, predicate): built-in rules answer a cheap bool; others through their verdict.
        self.independent = [
            (rank, _predicate(rule))
            for rank, rule in enumerate(rules)
            if type(rule) in _LINE_INDEPENDENT
        ]
        self.line_dependent = [
            (rank, _predicate(rule))
            for rank, rule in enumerate(rules)
            if type(rule) not in _LINE_INDEPENDENT
        ]
        self.expires_at = policy.expires_at_delta


def _compile(policy: Policy) -> _Compiled:
    compiled = policy._compiled
    if compiled is None:
        compiled = _Compiled(policy)
        object.__setattr__(policy, "_compiled", compiled)  # a memo on the frozen value
    assert isinstance(compiled, _Compiled)
    return compiled


class _Judge:
    """Finds the first rule (in policy order) that a candidate fails for a line.

    The built-in rules that ignore the line (R1, R3, R4, R5) are checked once per package; the
    others once per (candidate, line), and only up to the first line-independent failure.
    """

    __slots__ = ("_independent_rank", "ctx", "independent", "line_dependent", "rules")

    def __init__(self, rules: tuple[Rule, ...], compiled: _Compiled, ctx: Context) -> None:
        self.rules = rules
        self.ctx = ctx
        self.independent = compiled.independent
        self.line_dependent = compiled.line_dependent
        self._independent_rank: dict[str, int] = {}

    def first_failure(self, candidate: Candidate, line: Line) -> int:
        """The rank of the first rule *candidate* fails for *line*; ``len(rules)`` if none."""
        ctx = self.ctx
        limit = self._independent_rank.get(candidate.package.id)
        if limit is None:
            limit = len(self.rules)
            for rank, passes in self.independent:
                if not passes(candidate, line, ctx):
                    limit = rank
                    break
            self._independent_rank[candidate.package.id] = limit
        for rank, passes in self.line_dependent:
            if rank >= limit:
                break
            if not passes(candidate, line, ctx):
                return rank
        return limit

    def verdict(self, rank: int, candidate: Candidate, line: Line) -> Verdict:
        """The verdict (reason code and detail) of the rule at *rank*."""
        return self.rules[rank].check(candidate, line, self.ctx)


def _resolve_inputs(
    cart: Cart,
    packages: Sequence[Package],
    at: dt.datetime,
    timezone: str | dt.tzinfo,
    rates: Rates,
) -> tuple[dt.datetime, dt.tzinfo, list[dt.datetime]]:
    if not isinstance(cart, Cart):
        raise InvalidTypeError("cart", f"must be a Cart, got {cart!r}")
    tz = zone(timezone) if isinstance(timezone, str) else timezone
    if not isinstance(tz, dt.tzinfo):
        raise InvalidTypeError("timezone", f"must be an IANA name or a tzinfo, got {timezone!r}")
    if not isinstance(at, dt.datetime):
        raise InvalidTypeError("at", f"must be a datetime.datetime, got {at!r}")
    at_local = to_local(at, tz, "at")
    seen: set[str] = set()
    purchased: list[dt.datetime] = []
    for i, package in enumerate(packages):
        if not isinstance(package, Package):
            raise InvalidTypeError(f"packages[{i}]", f"must be a Package, got {package!r}")
        if package.id in seen:
            raise InvalidValueError(f"packages[{i}].id", f"duplicate package id {package.id!r}")
        seen.add(package.id)
        purchased.append(to_local(package.purchased_at, tz, f"packages[{i}].purchased_at"))
        if package.first_used_at is not None:
            to_local(package.first_used_at, tz, f"packages[{i}].first_used_at")
    for location, item, money in rates.entries:
        if location == cart.location and money.currency != cart.currency:
            raise CurrencyMismatchError(cart.currency, money.currency, f"rates.{location}.{item}")
    return at_local, tz, purchased


class _Plan:
    """Everything :func:`apply` derives once before allocating: candidates, balances, the
    package checks that do not depend on the line, and an index of candidates by item.

    The built-in rules found in the policy are checked inline (their order does not matter to
    *whether* a candidate is eligible, only to *which* reason is reported, and rejections use the
    rules themselves, in order); any other rule is called as it is.
    """

    __slots__ = (
        "by_item",
        "candidates",
        "check",
        "ctx",
        "custom",
        "first_slot",
        "judge",
        "live",
        "packages",
        "policy",
    )

    def __init__(
        self,
        cart: Cart,
        packages: tuple[Package, ...],
        at_local: dt.datetime,
        tz: dt.tzinfo,
        purchased: list[dt.datetime],
        settings: Settings,
        policy: Policy,
        rates: Rates,
    ) -> None:
        self.packages = packages
        self.policy = policy
        compiled = _compile(policy)
        self.check = check = compiled.check
        self.custom = compiled.custom

        candidates: list[Candidate] = []
        balances: list[int] = []
        first_slot: list[int] = []
        for package in packages:
            first_slot.append(len(balances))
            for index, component in enumerate(package.components):
                candidates.append(Candidate(package, component, index, len(balances)))
                balances.append(component.remaining)
        self.candidates = candidates
        self.first_slot = first_slot
        self.ctx = ctx = Context(
            cart=cart,
            at=at_local,
            timezone=tz,
            settings=settings,
            rates=rates,
            expires_at=compiled.expires_at,
            valuation=policy.valuation,
            balances=balances,
        )
        for package, when in zip(packages, purchased, strict=True):
            ctx._purchase_cache[package.id] = when
        self.judge = _Judge(policy.rules, compiled, ctx)

        # Line-independent package checks (R1, R3, R4, R5), once per package.
        live_packages: set[str] = set()
        for package in packages:
            # Owner isolation holds whatever the rules: another owner's credits never pay, even
            # under a policy that leaves R1 out (R1 then only stops being reported).
            if package.owner != cart.owner:
                continue
            if check[ValidAlready] and ctx.purchased_utc(package) > ctx.at_utc:
                continue
            if check[NotExpired] and ctx.is_expired(package):
                continue
            if (
                check[LocationAllowed]
                and package.location is not None
                and package.location != cart.location
                and not settings.any_location
            ):
                continue
            live_packages.add(package.id)
        self.live = [c for c in candidates if c.package.id in live_packages]
        by_item: dict[str, list[Candidate]] = {}
        for c in self.live:
            by_item.setdefault(c.component.item, []).append(c)
        self.by_item = by_item

    def pool(self, line: Line) -> Sequence[Candidate] | None:
        """The candidates worth checking for *line* (None: the line takes no credit at all)."""
        check = self.check
        settings = self.ctx.settings
        if check[PriceNotZero] and not line.unit_price.amount and not settings.zero_price_items:
            return None
        if check[TypeAllowed] and not settings.any_type:
            return self.by_item.get(line.item, ())
        return self.live

    def eligible(self, line: Line, balances: list[int]) -> list[tuple[Candidate, int]]:
        """The candidates that may pay for *line* now, with the minor units one credit takes off."""
        pool = self.pool(line)
        return [] if pool is None else list(self.eligible_in(pool, line, balances))

    def eligible_in(
        self, pool: Iterable[Candidate], line: Line, balances: list[int]
    ) -> Iterator[tuple[Candidate, int]]:
        """Those of *pool* that may pay for *line* now, in pool order, lazily."""
        check = self.check
        ctx = self.ctx
        settings = ctx.settings
        check_beneficiary = check[BeneficiaryMatches]
        check_unit = check[UnitMatches]
        check_value = check[ValueWithinPrice] and not settings.greater_value
        hourly = line.charge_by == "hour"
        price = line.unit_price
        price_minor = price.minor
        valuation = ctx.valuation
        custom = self.custom
        for c in pool:
            if balances[c.slot] <= 0:
                continue
            package = c.package
            if (
                check_beneficiary
                and package.beneficiary is not None
                and package.beneficiary != line.beneficiary
            ):
                continue
            if check_unit and c.component.hourly != hourly:
                continue
            value = valuation.credit_value(c, line, ctx)
            if value is price:  # the common case: a same-item credit worth the line price
                if custom and not all(rule.check(c, line, ctx).eligible for rule in custom):
                    continue
                yield c, price_minor
                continue
            if value is None:
                continue  # R9: no value, nothing to take off
            if value.currency != price.currency:
                raise CurrencyMismatchError(price.currency, value.currency, "credit value")
            cross = c.component.item != line.item
            if check_value and cross and value.amount > price.amount:
                continue
            if custom and not all(rule.check(c, line, ctx).eligible for rule in custom):
                continue
            value_minor = value.minor
            yield c, (value_minor if value_minor < price_minor else price_minor)


def apply(
    cart: Cart,
    packages: Iterable[Package],
    *,
    at: dt.datetime,
    timezone: str | dt.tzinfo,
    settings: Settings = _DEFAULT_SETTINGS,
    policy: Policy = _DEFAULT_POLICY,
    rates: RatesInput = None,
) -> Application:
    """Apply the owner's *packages* to *cart* at time *at* and say what each credit paid for.

    *at* is the checkout time (naive = local time in *timezone*, the zone of the cart's
    location). Nothing is mutated or written: persist the returned ``packages`` and ``events``.

    >>> import datetime as dt
    >>> from punchcard import Cart, Component, Line, Money, Package
    >>> cart = Cart("smith", "downtown", "USD", [
    ...     Line("l1", "daycare_full", Money("30", "USD"), beneficiary="rex"),
    ...     Line("l2", "daycare_full", Money("30", "USD"), beneficiary="bella"),
    ... ])
    >>> pass10 = Package(id="p1", owner="smith", purchased_at=dt.datetime(2026, 1, 5, 10),
    ...                  components=[Component("daycare_full", 1)])
    >>> result = apply(cart, [pass10], at=dt.datetime(2026, 3, 2, 17, 30),
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
    packages = tuple(packages)
    if not isinstance(settings, Settings):
        raise InvalidTypeError("settings", f"must be Settings, got {settings!r}")
    if not isinstance(policy, Policy):
        raise InvalidTypeError("policy", f"must be a Policy, got {policy!r}")
    rate_table = Rates.coerce(rates)
    at_local, tz, purchased = _resolve_inputs(cart, packages, at, timezone, rate_table)
    plan = _Plan(cart, packages, at_local, tz, purchased, settings, policy, rate_table)
    ctx = plan.ctx
    balances = ctx._balances
    lines = cart.lines

    if isinstance(policy.line_order, Optimal):
        from ._optimal import MAX_LINES, allocate_optimal

        if len(lines) > MAX_LINES:
            raise InvalidValueError(
                "line_order",
                f"'optimal' allocates carts of at most {MAX_LINES} lines; this one has "
                f"{len(lines)} (use another line order)",
            )

        allocations = allocate_optimal(lines, plan)
    else:
        allocations = _allocate_greedy(lines, plan)

    # Turn allocations (line position, candidate, credits, minor units per credit) into results.
    currency = cart.currency
    from_minor = Money.from_minor
    covered_minor = [0] * len(lines)
    credits_taken = [0] * len(lines)
    took: set[tuple[int, str]] = set()
    redemptions: list[Redemption] = []
    for li, candidate, count, per_credit in allocations:
        package_id = candidate.package.id
        covered_minor[li] += per_credit * count
        credits_taken[li] += count
        took.add((li, package_id))
        redemptions.append(
            Redemption(
                lines[li].id,
                package_id,
                candidate.component.item,
                count,
                from_minor(per_credit * count, currency),
            )
        )

    line_results: list[LineResult] = []
    total = 0
    for li, line in enumerate(lines):
        line_total = line.unit_price.minor * line.units
        total += line_total
        line_results.append(
            LineResult(
                line.id,
                from_minor(line_total, currency),
                from_minor(covered_minor[li], currency),
                from_minor(line_total - covered_minor[li], currency),
                credits_taken[li],
            )
        )
    covered = sum(covered_minor)
    return Application(
        currency=currency,
        total=from_minor(total, currency),
        covered=from_minor(covered, currency),
        due=from_minor(total - covered, currency),
        lines=tuple(line_results),
        redemptions=tuple(redemptions),
        at=at_local,
        cart_id=cart.id,
        owner=cart.owner,
        inputs=packages,
        balances=tuple(balances),
        cart=cart,
        settings=settings,
        policy=policy,
        rates=rate_table,
    )


#: (line position, candidate, credits, minor units each credit takes off)
Allocation = tuple[int, Candidate, int, int]


def rejections_of(application: Application) -> tuple[Rejection, ...]:
    """Why each package took nothing off each line that wanted more, on the final balances.

    Called by :attr:`Application.rejections` on first access: a till that only previews a cart
    does not pay for the explanations.
    """
    cart = application._cart
    packages = application._inputs
    lines = cart.lines
    credits_taken = [result.credits for result in application.lines]
    if all(taken >= line.units for taken, line in zip(credits_taken, lines, strict=True)):
        return ()
    tz = application.at.tzinfo
    assert tz is not None
    purchased = [to_local(p.purchased_at, tz) for p in packages]
    plan = _Plan(
        cart,
        packages,
        application.at,
        tz,
        purchased,
        application._settings,
        application._policy,
        application._rates,
    )
    plan.ctx._balances[:] = application._balances
    position = {line.id: li for li, line in enumerate(lines)}
    took = {(position[r.line_id], r.package_id) for r in application.redemptions}
    rejections: list[Rejection] = []
    by_package: list[int] | None = None
    for li, line in enumerate(lines):
        if credits_taken[li] >= line.units:
            continue
        if by_package is None:
            by_package = sorted(range(len(packages)), key=lambda i: packages[i].id)
        for pi in by_package:
            package = packages[pi]
            if (li, package.id) in took:
                continue
            best_rank, best = -1, None
            start = plan.first_slot[pi]
            for offset in range(len(package.components)):
                candidate = plan.candidates[start + offset]
                rank = plan.judge.first_failure(candidate, line)
                if rank > best_rank:
                    best_rank, best = rank, candidate
            if best is not None and best_rank < len(plan.judge.rules):
                verdict = plan.judge.verdict(best_rank, best, line)
                rejections.append(
                    Rejection(
                        line.id,
                        package.id,
                        verdict.reason or plan.judge.rules[best_rank].code,
                        verdict.detail,
                    )
                )
    return tuple(rejections)


def _allocate_greedy_builtin_order(
    lines: Sequence[Line], plan: _Plan, order: Fifo | EarliestExpiry
) -> list[Allocation]:
    """The greedy pass for the built-in credit orders, which depend on the line only through
    O.1 (own item first): candidates are ranked once by the other keys, so a line walks its own
    item's candidates, then (with ``any_type``) the others, in order, and stops checking as soon
    as its units are covered."""
    allocations: list[Allocation] = []
    ctx = plan.ctx
    balances = ctx._balances
    plan.live.sort(key=lambda c: (*order.after_item(c, ctx), c.package.id, c.index))
    by_item: dict[str, list[Candidate]] = {}
    for c in plan.live:
        by_item.setdefault(c.component.item, []).append(c)
    plan.by_item = by_item
    for li in plan.policy.line_order.arrange(lines):
        line = lines[li]
        pool = plan.pool(line)
        if pool is None:
            continue
        item = line.item
        walk: Iterable[Candidate] = pool
        if pool is plan.live:  # any item may pay: own item first, then the others
            own = by_item.get(item, [])
            walk = itertools.chain(own, (c for c in plan.live if c.component.item != item))
        need = line.units
        for candidate, per_credit in plan.eligible_in(walk, line, balances):
            count = min(need, balances[candidate.slot])
            balances[candidate.slot] -= count
            need -= count
            allocations.append((li, candidate, count, per_credit))
            if not need:
                break
    return allocations


def _allocate_greedy(lines: Sequence[Line], plan: _Plan) -> list[Allocation]:
    """Serve the lines in the policy's line order, each unit from the first candidate in the
    policy's credit order; counts, not one unit at a time."""
    allocations: list[Allocation] = []
    ctx = plan.ctx
    balances = ctx._balances  # the engine owns them; rules only read them
    order = plan.policy.package_order
    if isinstance(order, (Fifo, EarliestExpiry)) and type(order) in (Fifo, EarliestExpiry):
        return _allocate_greedy_builtin_order(lines, plan, order)
    key = order.key
    for li in plan.policy.line_order.arrange(lines):
        line = lines[li]
        eligible = plan.eligible(line, balances)
        if not eligible:
            continue
        if len(eligible) > 1:
            eligible.sort(key=lambda e: (*key(e[0], line, ctx), e[0].package.id, e[0].index))
        need = line.units
        for candidate, per_credit in eligible:
            count = min(need, balances[candidate.slot])
            balances[candidate.slot] -= count
            need -= count
            allocations.append((li, candidate, count, per_credit))
            if not need:
                break
    return allocations
