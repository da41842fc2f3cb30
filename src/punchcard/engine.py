"""The redemption engine: which credits pay for which cart lines, for how much, and why not others.

:func:`apply` is pure: it reads values, never the clock, the disk or the network, never mutates its
inputs, and returns an :class:`~punchcard.results.Application` for the host to persist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import attrs

from .errors import CurrencyMismatchError, InvalidTypeError, InvalidValueError
from .events import CreditsRedeemed, event_id
from .expiry import expires_on_after_first_use
from .models import Cart, Line, Package, Rates, RatesInput, Settings
from .money import Money
from .policy import Policy
from .results import Application, LineResult, Redemption, Rejection
from .rules.base import Candidate, Context, Rule, Verdict
from .rules.ordering import Optimal
from .timeutil import to_local, zone

__all__ = ["apply"]

_DEFAULT_SETTINGS = Settings()
_DEFAULT_POLICY = Policy()


class _Judge:
    """Runs the policy's rules for (candidate, line) pairs, caching package-scope verdicts."""

    __slots__ = ("_package_cache", "ctx", "rules")

    def __init__(self, rules: tuple[Rule, ...], ctx: Context) -> None:
        self.rules = rules
        self.ctx = ctx
        self._package_cache: dict[tuple[str, str], tuple[int, Verdict | None]] = {}

    def _package_verdict(self, candidate: Candidate, line: Line) -> tuple[int, Verdict | None]:
        key = (candidate.package.id, line.id)
        cached = self._package_cache.get(key)
        if cached is None:
            cached = (len(self.rules), None)
            for rank, rule in enumerate(self.rules):
                if rule.scope == "package":
                    verdict = rule.check(candidate, line, self.ctx)
                    if not verdict.eligible:
                        cached = (rank, verdict)
                        break
            self._package_cache[key] = cached
        return cached

    def first_failure(self, candidate: Candidate, line: Line) -> tuple[int, Verdict | None]:
        """(rank of the first failing rule, its verdict), or (len(rules), None) if all pass."""
        package_rank, package_verdict = self._package_verdict(candidate, line)
        ctx = self.ctx
        for rank, rule in enumerate(self.rules):
            if rank == package_rank:
                return package_rank, package_verdict
            if rule.scope == "component":
                verdict = rule.check(candidate, line, ctx)
                if not verdict.eligible:
                    return rank, verdict
        return package_rank, package_verdict


def _resolve_inputs(
    cart: Cart,
    packages: Sequence[Package],
    at: dt.datetime,
    timezone: str | dt.tzinfo,
    rates: Rates,
) -> tuple[dt.datetime, dt.tzinfo]:
    if not isinstance(cart, Cart):
        raise InvalidTypeError("cart", f"must be a Cart, got {cart!r}")
    tz = zone(timezone) if isinstance(timezone, str) else timezone
    if not isinstance(tz, dt.tzinfo):
        raise InvalidTypeError("timezone", f"must be an IANA name or a tzinfo, got {timezone!r}")
    if not isinstance(at, dt.datetime):
        raise InvalidTypeError("at", f"must be a datetime.datetime, got {at!r}")
    at_local = to_local(at, tz, "at")
    seen: set[str] = set()
    for i, package in enumerate(packages):
        if not isinstance(package, Package):
            raise InvalidTypeError(f"packages[{i}]", f"must be a Package, got {package!r}")
        if package.id in seen:
            raise InvalidValueError(f"packages[{i}].id", f"duplicate package id {package.id!r}")
        seen.add(package.id)
        to_local(package.purchased_at, tz, f"packages[{i}].purchased_at")
        if package.first_used_at is not None:
            to_local(package.first_used_at, tz, f"packages[{i}].first_used_at")
    for location, item, money in rates.entries:
        if location == cart.location and money.currency != cart.currency:
            raise CurrencyMismatchError(cart.currency, money.currency, f"rates.{location}.{item}")
    return at_local, tz


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
    at_local, tz = _resolve_inputs(cart, packages, at, timezone, rate_table)

    candidates: list[Candidate] = []
    balances: list[int] = []
    for package in packages:
        for index, component in enumerate(package.components):
            candidates.append(Candidate(package, component, index, len(balances)))
            balances.append(component.remaining)
    ctx = Context(
        cart=cart,
        at=at_local,
        timezone=tz,
        settings=settings,
        rates=rate_table,
        expires_at=policy.expires_at_delta,
        valuation=policy.valuation,
        balances=balances,
    )
    judge = _Judge(policy.rules, ctx)
    lines = cart.lines

    if isinstance(policy.line_order, Optimal):
        from ._optimal import allocate_optimal

        allocations = allocate_optimal(lines, candidates, judge, policy, ctx)
    else:
        allocations = _allocate_greedy(lines, candidates, judge, policy, ctx)

    # Turn allocations (line position, candidate, credits, minor units per credit) into results.
    currency = cart.currency
    covered_minor = [0] * len(lines)
    credits_taken = [0] * len(lines)
    took: set[tuple[int, str]] = set()
    used_packages: set[str] = set()
    redemptions: list[Redemption] = []
    events: list[CreditsRedeemed] = []
    for li, candidate, count, per_credit in allocations:
        line = lines[li]
        amount = Money.from_minor(per_credit * count, currency)
        covered_minor[li] += per_credit * count
        credits_taken[li] += count
        took.add((li, candidate.package.id))
        used_packages.add(candidate.package.id)
        redemptions.append(
            Redemption(line.id, candidate.package.id, candidate.component.item, count, amount)
        )
        events.append(
            CreditsRedeemed(
                event_id=event_id(
                    cart.id,
                    cart.owner,
                    at_local.isoformat(),
                    line.id,
                    candidate.package.id,
                    candidate.component.item,
                ),
                package_id=candidate.package.id,
                owner=candidate.package.owner,
                line_id=line.id,
                item=candidate.component.item,
                credits=count,
                amount=amount,
                at=at_local,
                cart_id=cart.id,
            )
        )

    # Rejections: judged on the balances left after the whole cart.
    rejections: list[Rejection] = []
    by_package = sorted(range(len(packages)), key=lambda i: packages[i].id)
    first_slot: list[int] = []
    slot = 0
    for package in packages:
        first_slot.append(slot)
        slot += len(package.components)
    for li, line in enumerate(lines):
        if credits_taken[li] >= line.units:
            continue
        for pi in by_package:
            package = packages[pi]
            if (li, package.id) in took:
                continue
            best_rank, best = -1, None
            for offset in range(len(package.components)):
                rank, verdict = judge.first_failure(candidates[first_slot[pi] + offset], line)
                if verdict is not None and rank > best_rank:
                    best_rank, best = rank, verdict
            if best is not None:
                rejections.append(
                    Rejection(line.id, package.id, best.reason or "ineligible", best.detail)
                )

    new_packages: list[Package] = []
    for pi, package in enumerate(packages):
        if package.id not in used_packages:
            new_packages.append(package)
            continue
        start = first_slot[pi]
        components = [
            attrs.evolve(c, remaining=balances[start + offset])
            for offset, c in enumerate(package.components)
        ]
        updated = attrs.evolve(package, components=components)
        new_packages.append(expires_on_after_first_use(updated, at_local, tz))

    line_results = tuple(
        LineResult(
            line.id,
            Money.from_minor(line.unit_price.minor * line.units, currency),
            Money.from_minor(covered_minor[li], currency),
            Money.from_minor(line.unit_price.minor * line.units - covered_minor[li], currency),
            credits_taken[li],
        )
        for li, line in enumerate(lines)
    )
    total = sum(r.total.minor for r in line_results)
    covered = sum(covered_minor)
    return Application(
        currency=currency,
        total=Money.from_minor(total, currency),
        covered=Money.from_minor(covered, currency),
        due=Money.from_minor(total - covered, currency),
        lines=line_results,
        redemptions=tuple(redemptions),
        rejections=tuple(rejections),
        packages=tuple(new_packages),
        events=tuple(events),
    )


#: (line position, candidate, credits, minor units each credit takes off)
Allocation = tuple[int, Candidate, int, int]


def per_credit_minor(candidate: Candidate, line: Line, ctx: Context) -> int | None:
    """Minor units one credit of *candidate* takes off *line*, or None if it has no value."""
    value = ctx.credit_value(candidate, line)
    if value is None:
        return None
    if value.currency != line.unit_price.currency:
        raise CurrencyMismatchError(line.unit_price.currency, value.currency, "credit value")
    return min(value.minor, line.unit_price.minor)


def _allocate_greedy(
    lines: Sequence[Line],
    candidates: Sequence[Candidate],
    judge: _Judge,
    policy: Policy,
    ctx: Context,
) -> list[Allocation]:
    allocations: list[Allocation] = []
    balances = ctx._balances  # the engine owns them; rules only read them
    key = policy.package_order.key
    for li in policy.line_order.arrange(lines):
        line = lines[li]
        eligible = [
            c
            for c in candidates
            if balances[c.slot] > 0 and judge.first_failure(c, line)[1] is None
        ]
        if not eligible:
            continue
        eligible.sort(key=lambda c: (*key(c, line, ctx), c.package.id, c.index))
        need = line.units
        for candidate in eligible:
            per_credit = per_credit_minor(candidate, line, ctx)
            if per_credit is None:
                continue
            count = min(need, balances[candidate.slot])
            balances[candidate.slot] -= count
            need -= count
            allocations.append((li, candidate, count, per_credit))
            if not need:
                break
    return allocations
