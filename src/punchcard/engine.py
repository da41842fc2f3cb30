"""The redemption engine: which credits pay for which cart lines, for how much, and why not others.

:func:`apply` is pure: it reads values, never the clock, the disk or the network, never mutates its
inputs, and returns an :class:`~punchcard.results.Application` for the host to persist.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence

from .errors import CurrencyMismatchError, InvalidTimeError, InvalidTypeError, InvalidValueError
from .models import Cart, Component, Line, Package, Rates, RatesInput, Settings
from .money import Money
from .policy import Policy
from .results import Application, LineResult, Redemption, Rejection
from .rules.base import (
    Candidate,
    Context,
    PackageFacts,
    Rule,
    Verdict,
    facts_key,
    package_facts,
)
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
from .rules.ordering import _NEVER, EarliestExpiry, Fifo, Optimal
from .timeutil import to_local, zone
from .valuation.credit_value import LinePrice

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

    __slots__ = (
        "check",
        "custom",
        "expires_at",
        "fifo",
        "independent",
        "line_dependent",
        "ranked_once",
        "same_item_is_price",
    )

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
        # The built-in credit orders depend on the line only through O.1 (own item first): the
        # candidates can be ranked once per checkout (see _allocate_ranked).
        order_type = type(policy.package_order)
        self.ranked_once = order_type in (Fifo, EarliestExpiry) and not isinstance(
            policy.line_order, Optimal
        )
        self.fifo = order_type is Fifo
        # Under the default valuation a same-item credit of a package without pricing rules
        # is worth the line's unit price: no need to ask the valuation.
        self.same_item_is_price = type(policy.valuation) is LinePrice


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
    expires_at: dt.timedelta,
) -> tuple[dt.datetime, dt.tzinfo, list[PackageFacts]]:
    if not isinstance(cart, Cart):
        raise InvalidTypeError("cart", f"must be a Cart, got {cart!r}")
    tz = zone(timezone) if isinstance(timezone, str) else timezone
    if not isinstance(tz, dt.tzinfo):
        raise InvalidTypeError("timezone", f"must be an IANA name or a tzinfo, got {timezone!r}")
    if not isinstance(at, dt.datetime):
        raise InvalidTypeError("as_of", f"must be a datetime.datetime, got {at!r}")
    at_local = to_local(at, tz, "as_of")
    key = facts_key(tz, expires_at)
    facts: list[PackageFacts] = []
    for package in packages:
        if type(package) is not Package and not isinstance(package, Package):
            break
        found = package._facts.get(key) if key is not None else None
        if found is None:
            break
        facts.append(found)
    if len(facts) < len(packages) or len({p.id for p in packages}) < len(packages):
        # The first checkout of these package values (or a duplicate id): check them in order.
        facts = []
        seen: set[str] = set()
        for i, package in enumerate(packages):
            if not isinstance(package, Package):
                raise InvalidTypeError(f"packages[{i}]", f"must be a Package, got {package!r}")
            if package.id in seen:
                raise InvalidValueError(f"packages[{i}].id", f"duplicate package id {package.id!r}")
            seen.add(package.id)
            try:
                facts.append(package_facts(package, tz, expires_at, key))
            except InvalidTimeError as exc:  # the path is built only for an error
                raise InvalidTimeError(f"packages[{i}].{exc.field}", exc.message) from None
    for location, item, money in rates.entries:
        if location == cart.location and money.currency != cart.currency:
            raise CurrencyMismatchError(cart.currency, money.currency, f"rates.{location}.{item}")
    return at_local, tz, facts


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
        ctx: Context,
        packages: tuple[Package, ...],
        facts: list[PackageFacts],
        policy: Policy,
    ) -> None:
        self.packages = packages
        self.policy = policy
        self.ctx = ctx
        compiled = _compile(policy)
        self.check = compiled.check
        self.custom = compiled.custom

        candidates: list[Candidate] = []
        first_slot: list[int] = []
        slot = 0
        for package in packages:
            first_slot.append(slot)
            for index, component in enumerate(package.components):
                candidates.append(Candidate(package, component, index, slot))
                slot += 1
        self.candidates = candidates
        self.first_slot = first_slot
        self.judge = _Judge(policy.rules, compiled, ctx)

        # Line-independent package checks (R1, R3, R4, R5), once per package.
        live_packages = {
            packages[position].id for position in _usable(packages, facts, ctx, compiled)
        }
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
        price_minor = line.unit_price.minor
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
            per_credit = _takes_off(c, line, price_minor, ctx, check_value, custom)
            if per_credit is not None:
                yield c, per_credit


def _takes_off(
    candidate: Candidate,
    line: Line,
    price_minor: int,
    ctx: Context,
    check_value: bool,
    custom: tuple[Rule, ...],
) -> int | None:
    """What one credit of *candidate* takes off *line* (minor units), after its valuation, R9,
    R10 (when *check_value*) and the policy's other rules; ``None`` when it may not pay.

    The cheaper checks (credits left, R2, R7) come first, in the callers.
    """
    price = line.unit_price
    value = ctx.valuation.credit_value(candidate, line, ctx)
    if value is price:  # the common case: a same-item credit worth the line price
        per_credit = price_minor
    elif value is None:
        return None  # R9: no value, nothing to take off
    else:
        if value.currency != price.currency:
            raise CurrencyMismatchError(price.currency, value.currency, "credit value")
        if check_value and candidate.component.item != line.item and value.amount > price.amount:
            return None
        value_minor = value.minor
        per_credit = value_minor if value_minor < price_minor else price_minor
    if custom and not all(rule.check(candidate, line, ctx).eligible for rule in custom):
        return None
    return per_credit


def apply(
    cart: Cart,
    packages: Iterable[Package],
    *,
    as_of: dt.datetime,
    timezone: str | dt.tzinfo,
    settings: Settings = _DEFAULT_SETTINGS,
    policy: Policy = _DEFAULT_POLICY,
    rates: RatesInput = None,
) -> Application:
    """Apply the owner's *packages* to *cart* at time *as_of* and say what each credit paid for.

    *as_of* is the checkout time (naive = local time in *timezone*, the zone of the cart's
    location). Nothing is mutated or written: persist the returned ``packages`` and ``events``.

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
    packages = tuple(packages)
    if not isinstance(settings, Settings):
        raise InvalidTypeError("settings", f"must be Settings, got {settings!r}")
    if not isinstance(policy, Policy):
        raise InvalidTypeError("policy", f"must be a Policy, got {policy!r}")
    rate_table = Rates.coerce(rates)
    compiled = _compile(policy)
    at_local, tz, facts = _resolve_inputs(
        cart, packages, as_of, timezone, rate_table, compiled.expires_at
    )
    lines = cart.lines
    prices = [line.unit_price.minor for line in lines]
    ctx = Context(
        cart=cart,
        at=at_local,
        timezone=tz,
        settings=settings,
        rates=rate_table,
        expires_at=compiled.expires_at,
        valuation=policy.valuation,
        balances=[c.remaining for package in packages for c in package.components],
    )
    balances = ctx._balances
    allocations: list[Allocation]
    if compiled.ranked_once:
        allocations = _allocate_ranked(lines, prices, packages, facts, ctx, policy, compiled)
    else:
        plan = _Plan(ctx, packages, facts, policy)
        if isinstance(policy.line_order, Optimal):
            from ._optimal import MAX_LINES, allocate_optimal

            if len(lines) > MAX_LINES:
                raise InvalidValueError(
                    "line_order",
                    f"'optimal' allocates carts of at most {MAX_LINES} lines; this one has "
                    f"{len(lines)} (use another line order)",
                )
            found = allocate_optimal(lines, plan)
        else:
            found = _allocate_greedy(lines, plan)
        allocations = [
            (li, c.package.id, c.component.item, count, per) for li, c, count, per in found
        ]

    # Turn allocations (line position, package id, item, credits, minor units per credit) into
    # results.
    currency = cart.currency
    amounts: dict[int, Money] = {}  # equal amounts share one (immutable) Money value

    def money(minor: int) -> Money:
        value = amounts.get(minor)
        if value is None:
            value = amounts[minor] = Money.from_minor(minor, currency)
        return value

    covered_minor = [0] * len(lines)
    credits_taken = [0] * len(lines)
    redemptions: list[Redemption] = []
    for li, package_id, item, count, per_credit in allocations:
        covered_minor[li] += per_credit * count
        credits_taken[li] += count
        redemptions.append(
            Redemption(lines[li].id, package_id, item, count, money(per_credit * count))
        )

    line_results: list[LineResult] = []
    total = 0
    for li, line in enumerate(lines):
        line_total = prices[li] * line.units
        total += line_total
        line_results.append(
            LineResult(
                line.id,
                money(line_total),
                money(covered_minor[li]),
                money(line_total - covered_minor[li]),
                credits_taken[li],
            )
        )
    covered = sum(covered_minor)
    return Application(
        currency=currency,
        total=money(total),
        covered=money(covered),
        due=money(total - covered),
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


#: (line position, package id, component item, credits, minor units each credit takes off)
Allocation = tuple[int, str, str, int, int]
#: (line position, candidate, credits, minor units each credit takes off)
CandidateAllocation = tuple[int, Candidate, int, int]


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
    expires_at = _compile(application._policy).expires_at
    key = facts_key(tz, expires_at)
    facts = [package_facts(p, tz, expires_at, key) for p in packages]
    ctx = Context(
        cart=cart,
        at=application.at,
        timezone=tz,
        settings=application._settings,
        rates=application._rates,
        expires_at=expires_at,
        valuation=application._policy.valuation,
        balances=list(application._balances),
    )
    plan = _Plan(ctx, packages, facts, application._policy)
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
                hourly = line.charge_by == "hour"
                rejections.append(
                    Rejection(
                        line.id,
                        package.id,
                        verdict.reason or plan.judge.rules[best_rank].code,
                        verdict.detail,
                        item=best.component.item,
                        matches_item=any(
                            (c.item == line.item or ctx.settings.any_type) and c.hourly == hourly
                            for c in package.components
                        ),
                    )
                )
    return tuple(rejections)


def _allocate_ranked(
    lines: Sequence[Line],
    prices: list[int],
    packages: tuple[Package, ...],
    facts: list[PackageFacts],
    ctx: Context,
    policy: Policy,
    compiled: _Compiled,
) -> list[Allocation]:
    """The greedy pass for the built-in credit orders (``fifo``, ``earliest_expiry``).

    They depend on the line only through O.1 (own item first), so the usable components are
    ranked once per checkout by the other keys (O.2 to O.4); a line walks its own item's
    components, then (with ``any_type``) the others, in that order, and stops as soon as its
    units are covered. The built-in rules present in the policy are checked inline, any other
    rule is called as it is. Equal, by the property tests, to :func:`_allocate_greedy` with the
    same order given as a custom ordering.
    """
    fifo = compiled.fifo
    # The rank of each usable package (O.2 to O.4; the package id makes it total).
    ranked: list[tuple[tuple[object, ...], int]] = []
    for position in _usable(packages, facts, ctx, compiled):
        package = packages[position]
        _, purchased_utc, expires, _ = facts[position]
        scoped = package.beneficiary is None  # False (scoped) sorts first: O.2
        if fifo:
            key: tuple[object, ...] = (scoped, purchased_utc, package.id)
        else:
            key = (scoped, _NEVER if expires is None else expires, purchased_utc, package.id)
        ranked.append((key, position))
    ranked.sort(key=_first)

    # (slot, package, component position, component), in rank order, and by item.
    entries: list[tuple[int, Package, int, Component]] = []
    by_item: dict[str, list[tuple[int, Package, int, Component]]] = {}
    first_slot = list(itertools.accumulate((len(p.components) for p in packages), initial=0))
    for _, position in ranked:
        package = packages[position]
        first = first_slot[position]
        for index, component in enumerate(package.components):
            entry = (first + index, package, index, component)
            entries.append(entry)
            found = by_item.get(component.item)
            if found is None:
                by_item[component.item] = [entry]
            else:
                found.append(entry)

    check = compiled.check
    settings = ctx.settings
    balances = ctx._balances
    custom = compiled.custom
    candidates: dict[int, Candidate] = {}  # built only when a valuation or a rule needs one
    check_beneficiary = check[BeneficiaryMatches]
    check_unit = check[UnitMatches]
    check_value = check[ValueWithinPrice] and not settings.greater_value
    skip_zero = check[PriceNotZero] and not settings.zero_price_items
    one_item = check[TypeAllowed] and not settings.any_type
    same_item_is_price = compiled.same_item_is_price
    allocations: list[Allocation] = []
    for li in policy.line_order.arrange(lines):
        line = lines[li]
        price_minor = prices[li]
        if skip_zero and not price_minor:
            continue
        item = line.item
        walk: Iterable[tuple[int, Package, int, Component]]
        if one_item:
            walk = by_item.get(item, ())
        else:  # any item may pay: own item first, then the others
            walk = itertools.chain(by_item.get(item, ()), (e for e in entries if e[3].item != item))
        hourly = line.charge_by == "hour"
        beneficiary = line.beneficiary
        need = line.units
        for slot, package, index, component in walk:
            left = balances[slot]
            if left <= 0:
                continue
            if (
                check_beneficiary
                and package.beneficiary is not None
                and package.beneficiary != beneficiary
            ):
                continue
            if check_unit and component.hourly != hourly:
                continue
            if custom or not (
                same_item_is_price and component.item == item and not package.pricing_rules
            ):
                candidate = candidates.get(slot)
                if candidate is None:
                    candidate = candidates[slot] = Candidate(package, component, index, slot)
                takes = _takes_off(candidate, line, price_minor, ctx, check_value, custom)
                if takes is None:
                    continue
                per_credit = takes
            else:  # a same-item credit under the default valuation: worth the unit price
                per_credit = price_minor
            count = need if need < left else left
            balances[slot] = left - count
            need -= count
            allocations.append((li, package.id, component.item, count, per_credit))
            if not need:
                break
    return allocations


def _first(row: tuple[tuple[object, ...], int]) -> tuple[object, ...]:
    return row[0]


def _usable(
    packages: tuple[Package, ...], facts: list[PackageFacts], ctx: Context, compiled: _Compiled
) -> list[int]:
    """Positions of the packages that pass the line-independent checks (R1, R3, R4, R5)."""
    check = compiled.check
    cart = ctx.cart
    owner = cart.owner
    location = cart.location
    at_utc = ctx.at_utc
    check_valid = check[ValidAlready]
    check_expired = check[NotExpired]
    check_location = check[LocationAllowed] and not ctx.settings.any_location
    usable: list[int] = []
    for position, package in enumerate(packages):
        # Owner isolation holds whatever the rules: another owner's credits never pay, even
        # under a policy that leaves R1 out (R1 then only stops being reported).
        if package.owner != owner:
            continue
        _, purchased_utc, expires, _ = facts[position]
        if check_valid and purchased_utc > at_utc:
            continue
        if check_expired and expires is not None and at_utc >= expires:
            continue
        if check_location and package.location is not None and package.location != location:
            continue
        usable.append(position)
    return usable


def _allocate_greedy(lines: Sequence[Line], plan: _Plan) -> list[CandidateAllocation]:
    """Serve the lines in the policy's line order, each unit from the first candidate in the
    policy's credit order; counts, not one unit at a time."""
    allocations: list[CandidateAllocation] = []
    ctx = plan.ctx
    balances = ctx._balances  # the engine owns them; rules only read them
    key = plan.policy.package_order.key
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
