"""Property tests of ``line_order = "optimal"`` (section O and invariant 9 of semantics.md).

The oracle for the exhaustive maximum is built independently of the engine's allocators; see
:func:`_pair_values` and :func:`_exhaustive_best`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

import attrs
from hypothesis import example, given
from hypothesis import strategies as st

import punchcard
from punchcard import Application, Cart, Component, Line, Money, Package, Policy, Rates, Settings
from punchcard.testing import (
    ITEMS,
    LOCATIONS,
    OWNERS,
    TIMEZONES,
    Scenario,
    currencies,
    lines,
    moments,
    packages,
    policies,
    rates,
    scenarios,
    settings,
)

_UTC = dt.timezone.utc
_GREEDY_ORDERS = ("cheapest_first", "priciest_first", "cart")

#: (package id, component item): one supply of credits.
Supply = tuple[str, str]


# --- strategies --------------------------------------------------------------------------------


def _instant(moment: dt.datetime, timezone: str) -> dt.datetime:
    """*moment* as an aware UTC instant (naive = local, the earlier one when repeated)."""
    if moment.tzinfo is not None:
        return moment.astimezone(_UTC)
    return moment.replace(tzinfo=ZoneInfo(timezone), fold=0).astimezone(_UTC)


def _small(package: Package) -> Package:
    """At most two components of at most three credits each."""
    return attrs.evolve(
        package,
        components=tuple(
            attrs.evolve(c, remaining=min(c.remaining, 3)) for c in package.components[:2]
        ),
    )


@st.composite
def small_scenarios(draw: st.DrawFn) -> Scenario:
    """Small checkouts for the exhaustive oracle, with ``line_order = "optimal"``.

    At most 3 lines of at most 3 units, at most 3 packages of at most 2 components with at most
    3 credits each; any settings (``any_type``, ``greater_value``...), rates and valuation. Half
    of the time every package is made usable (the cart owner's, global, bought the day before,
    never expiring) so that lines compete for the same credits, which is where orders differ.
    """
    currency = draw(currencies())
    timezone = draw(st.sampled_from(TIMEZONES))
    at = draw(moments(timezone=timezone))
    items = draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=3, unique=True))
    cart = Cart(
        OWNERS[0],
        draw(st.sampled_from(LOCATIONS)),
        currency,
        draw(lines(currency=currency, items=items, min_size=1, max_size=3, max_units=3)),
    )
    drawn = [
        _small(p)
        for p in draw(packages(at=at, timezone=timezone, items=items, min_size=1, max_size=3))
    ]
    if draw(st.booleans()):
        bought = _instant(at, timezone) - dt.timedelta(days=1)
        drawn = [
            attrs.evolve(
                p,
                owner=cart.owner,
                location=None,
                purchased_at=bought,
                expires_on=None,
                days_to_expiration=None,
                first_used_at=None,
            )
            for p in drawn
        ]
    return Scenario(
        cart=cart,
        packages=tuple(drawn),
        as_of=at,
        timezone=timezone,
        settings=draw(settings()),
        policy=attrs.evolve(draw(policies()), line_order="optimal"),
        rates=draw(rates(currency=currency, items=items)),
    )


def _optimal(scenario: Scenario) -> Scenario:
    return attrs.evolve(scenario, policy=attrs.evolve(scenario.policy, line_order="optimal"))


def _with_order(scenario: Scenario, order: str) -> Scenario:
    return attrs.evolve(scenario, policy=attrs.evolve(scenario.policy, line_order=order))


# --- the exhaustive oracle ---------------------------------------------------------------------


def _pair_values(scenario: Scenario) -> dict[tuple[str, Supply], int]:
    """Minor units one credit of each eligible (line, component) pair takes off that line.

    Rules R1-R10 and the valuation (section V) look at one line and one component only, and
    expiry is judged as the package stood when the checkout started: none of it depends on how
    the other credits are allocated. Only R11 (credits left) does, and the oracle handles that
    itself through the capacities. So each pair is judged on its own, by running
    :func:`punchcard.apply` on a cart that holds only that line and a package that holds only
    that component, with exactly one credit left, under the scenario's settings, rates and
    valuation (line order ``cart``). With one credit and one line there is nothing to allocate:
    the pair is eligible exactly when that credit is taken (a $0 line gives an eligible pair
    worth 0, so the test is on credits, not on the amount), and the redemption's amount is the
    value of one credit on that line. A pair missing from the answer is not eligible.
    """
    values: dict[tuple[str, Supply], int] = {}
    policy = attrs.evolve(scenario.policy, line_order="cart")
    for line in scenario.cart.lines:
        single = attrs.evolve(scenario.cart, lines=(line,))
        for package in scenario.packages:
            for component in package.components:
                probe = attrs.evolve(package, components=(attrs.evolve(component, remaining=1),))
                result = punchcard.apply(
                    single,
                    [probe],
                    as_of=scenario.as_of,
                    timezone=scenario.timezone,
                    settings=scenario.settings,
                    policy=policy,
                    rates=scenario.rates,
                )
                if result.lines[0].credits:
                    assert result.lines[0].credits == 1
                    values[(line.id, (package.id, component.item))] = result.covered.minor
    return values


def _splits(
    slots: Sequence[int], caps: tuple[int, ...], units: int
) -> Iterator[tuple[tuple[int, int], ...]]:
    """Every way to take at most *units* credits from *slots*: tuples of (slot, count) with
    count >= 1, within the credits *caps* left per slot."""
    if not slots:
        yield ()
        return
    slot, rest = slots[0], slots[1:]
    for count in range(min(units, caps[slot]) + 1):
        for tail in _splits(rest, caps, units - count):
            yield ((slot, count), *tail) if count else tail


def _exhaustive_best(scenario: Scenario, values: dict[tuple[str, Supply], int]) -> tuple[int, int]:
    """The largest (amount, units) over every assignment of credits to line units.

    Every assignment is considered: for each line in turn, every way of taking up to its units
    from the eligible components within the credits still left. It is memoised on (line, credits
    left), which changes nothing to the answer: the best completion of a partial assignment
    depends only on the lines still to fill and the credits still left.
    """
    supplies: list[Supply] = [(p.id, c.item) for p in scenario.packages for c in p.components]
    start = tuple(c.remaining for p in scenario.packages for c in p.components)
    cart_lines = scenario.cart.lines
    # Per line: the slots of the components it may use, and one credit's value from each.
    options = [
        {
            slot: values[(line.id, supply)]
            for slot, supply in enumerate(supplies)
            if (line.id, supply) in values
        }
        for line in cart_lines
    ]

    @functools.cache
    def best(position: int, caps: tuple[int, ...]) -> tuple[int, int]:
        if position == len(cart_lines):
            return (0, 0)
        value_of = options[position]
        top = (-1, -1)
        for split in _splits(tuple(value_of), caps, cart_lines[position].units):
            left = list(caps)
            amount = units = 0
            for slot, count in split:
                left[slot] -= count
                amount += value_of[slot] * count
                units += count
            rest = best(position + 1, tuple(left))
            top = max(top, (amount + rest[0], units + rest[1]))
        return top

    return best(0, start)


def _credits(result: Application) -> int:
    return sum(lr.credits for lr in result.lines)


def _check_feasible(
    scenario: Scenario, result: Application, values: dict[tuple[str, Supply], int]
) -> None:
    """The optimal answer is a real assignment: eligible pairs only, each credit at its value,
    no line over its units, no component over its credits."""
    taken: Counter[Supply] = Counter()
    per_line: Counter[str] = Counter()
    for r in result.redemptions:
        pair = (r.line_id, (r.package_id, r.item))
        assert pair in values, f"{pair} is not an eligible pair"
        assert r.credits >= 1
        assert r.amount.minor == values[pair] * r.credits
        taken[(r.package_id, r.item)] += r.credits
        per_line[r.line_id] += r.credits
    for package in scenario.packages:
        for component in package.components:
            assert taken[(package.id, component.item)] <= component.remaining
    for line, lr in zip(scenario.cart.lines, result.lines, strict=True):
        assert lr.credits == per_line[line.id] <= line.units


# --- pinned examples ---------------------------------------------------------------------------

_AT = dt.datetime(2026, 3, 2, 17, 30)
_BOUGHT = dt.datetime(2026, 1, 5, 10)


def _usd(amount: str) -> Money:
    return Money(amount, "USD")


#: The only cross-item credit: cheapest_first spends it on the $18 line, optimal on the $40 one.
_CROSS_ITEM_CONTENTION = Scenario(
    cart=Cart(
        "smith",
        "downtown",
        "USD",
        [
            Line("l1", "daycare_half", _usd("18")),
            Line("l2", "grooming", _usd("40")),
        ],
    ),
    packages=(
        Package(
            id="p1",
            owner="smith",
            purchased_at=_BOUGHT,
            components=[Component("daycare_full", 1)],
        ),
    ),
    as_of=_AT,
    timezone="America/New_York",
    settings=Settings(any_type=True, greater_value=True),
    policy=Policy(line_order="optimal"),
    rates=Rates.from_mapping({"downtown": {"daycare_full": _usd("30")}}),
)
#: A bundle of 5 grooming + 2 shampoo against 3 shampoos and 5 groomings: greedy gives the
#: third shampoo a grooming credit that a $40 grooming needed.
_BUNDLE = Scenario(
    cart=Cart(
        "smith",
        "downtown",
        "USD",
        [
            Line("l1", "shampoo", _usd("15"), units=3),
            Line("l2", "grooming", _usd("40"), units=5),
        ],
    ),
    packages=(
        Package(
            id="p1",
            owner="smith",
            purchased_at=_BOUGHT,
            components=[Component("grooming", 5), Component("shampoo", 2)],
        ),
    ),
    as_of=_AT,
    timezone="America/New_York",
    settings=Settings(any_type=True, greater_value=True),
    policy=Policy(line_order="optimal"),
    rates=Rates.from_mapping({"downtown": {"grooming": _usd("40"), "shampoo": _usd("15")}}),
)

#: priciest_first serves the $40 grooming first, and the credit order gives it its own-item
#: grooming credit, the only credit the $18 line may use; the rex-only boarding credit would have
#: paid the grooming as well.
_OWN_ITEM_FIRST_TRAP = Scenario(
    cart=Cart(
        "smith",
        "downtown",
        "USD",
        [
            Line("l1", "grooming", _usd("40"), beneficiary="rex"),
            Line("l2", "daycare_half", _usd("18"), beneficiary="bella"),
        ],
    ),
    packages=(
        Package(
            id="p1", owner="smith", purchased_at=_BOUGHT, components=[Component("grooming", 1)]
        ),
        Package(
            id="p2",
            owner="smith",
            purchased_at=_BOUGHT,
            components=[Component("boarding", 1)],
            beneficiary="rex",
        ),
    ),
    as_of=_AT,
    timezone="America/New_York",
    settings=Settings(any_type=True),
    policy=Policy(line_order="optimal"),
    rates=Rates.from_mapping({"downtown": {"grooming": _usd("15"), "boarding": _usd("40")}}),
)


# --- invariant 9 -------------------------------------------------------------------------------


@given(scenario=small_scenarios())
@example(scenario=_CROSS_ITEM_CONTENTION)
@example(scenario=_BUNDLE)
@example(scenario=_OWN_ITEM_FIRST_TRAP)
def test_invariant_9_optimal_equals_exhaustive_maximum(scenario: Scenario) -> None:
    """Optimal covers the exhaustive maximum amount and, among those, the most units.

    The oracle does not use the engine's allocators. Eligibility and the value of one credit of
    each (line, component) pair do not depend on the allocation (rules R1-R10 and section V look
    at one line and one component; expiry is judged as the packages stood before the cart), so
    each pair is judged alone by running :func:`punchcard.apply` on a one-line cart with a
    one-component package holding a single credit: eligible exactly when that credit is taken,
    worth the amount it takes off. Rule R11 is the only coupling between pairs, and the search
    handles it with the real credit counts: it enumerates every way of assigning credits to the
    units of every line (memoised on the credits left, which is exact) and keeps the
    lexicographic maximum of (amount covered, units covered). The optimal answer must be a
    feasible assignment of eligible pairs at their values and reach exactly that maximum.
    """
    values = _pair_values(scenario)
    result = scenario.apply()
    _check_feasible(scenario, result, values)
    assert (result.covered.minor, _credits(result)) == _exhaustive_best(scenario, values)


@given(scenario=st.one_of(small_scenarios(), scenarios().map(_optimal)))
@example(scenario=_CROSS_ITEM_CONTENTION)
@example(scenario=_BUNDLE)
@example(scenario=_OWN_ITEM_FIRST_TRAP)
def test_invariant_9_optimal_never_below_other_orders(scenario: Scenario) -> None:
    best = scenario.apply()
    for order in _GREEDY_ORDERS:
        other = _with_order(scenario, order).apply()
        assert best.covered >= other.covered, order
        if best.covered == other.covered:
            assert _credits(best) >= _credits(other), order


# --- invariants 1-5 and determinism for optimal ------------------------------------------------


@given(scenario=st.one_of(small_scenarios(), scenarios().map(_optimal)))
def test_optimal_results_hold_invariants_1_to_5(scenario: Scenario) -> None:
    result = scenario.apply()
    values = _pair_values(scenario)
    # 4: only eligible (line, component) pairs, each credit at its value; 1 and 2 as well.
    _check_feasible(scenario, result, values)
    before = {p.id: p for p in scenario.packages}
    used: Counter[Supply] = Counter()
    for r in result.redemptions:
        used[(r.package_id, r.item)] += r.credits
        package = before[r.package_id]
        assert package.owner == scenario.cart.owner
        if not scenario.settings.any_location:
            assert package.location in (None, scenario.cart.location)
    # 1: no component below zero, and the new balances are the old ones minus what was taken.
    assert [p.id for p in result.packages] == [p.id for p in scenario.packages]
    for after in result.packages:
        for component in after.components:
            start = before[after.id].remaining(component.item)
            assert 0 <= component.remaining == start - used[(after.id, component.item)]
    # 3: per line, covered <= total, each credit at most the unit price, due = total - covered.
    lines_by_id = {line.id: line for line in scenario.cart.lines}
    for r in result.redemptions:
        line = lines_by_id[r.line_id]
        assert r.amount.minor <= line.unit_price.minor * r.credits
        if not scenario.settings.any_type:
            assert r.item == line.item
    for line, lr in zip(scenario.cart.lines, result.lines, strict=True):
        assert lr.line_id == line.id
        assert lr.total == line.unit_price * line.units
        assert lr.covered <= lr.total
        assert lr.due == lr.total - lr.covered
        assert lr.due.amount >= 0
        # 5: a $0 line is untouched unless zero_price_items.
        if not line.unit_price.amount and not scenario.settings.zero_price_items:
            assert lr.credits == 0
    assert result.covered.minor == sum(lr.covered.minor for lr in result.lines)
    assert result.due == result.total - result.covered


@given(scenario=st.one_of(small_scenarios(), scenarios().map(_optimal)), data=st.data())
def test_optimal_is_deterministic_and_ignores_package_order(
    scenario: Scenario, data: st.DataObject
) -> None:
    first = scenario.apply()
    second = scenario.apply()
    assert first == second
    assert repr(first) == repr(second)
    assert repr(first.packages) == repr(second.packages)
    assert first.events == second.events
    # Which of several optimal assignments is returned is not part of the contract (section O):
    # with the packages shuffled, the amount and the units covered are the same.
    shuffled = data.draw(st.permutations(scenario.packages), label="packages shuffled")
    other = scenario.apply(shuffled)
    assert (other.covered, other.due, _credits(other)) == (
        first.covered,
        first.due,
        _credits(first),
    )
