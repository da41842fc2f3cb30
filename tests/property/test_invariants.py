"""Property tests: invariants 1-8 of semantics.md hold for every checkout (9 is optimal's own).

The oracles here do not reuse the engine's helpers: expiry and validity are recomputed from the
package fields with :mod:`zoneinfo` and compared as real instants (UTC), not as wall-clock times.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

from punchcard import Application, Cart, Component, Line, Money, Package, Policy, Rates, Settings
from punchcard.events import advance_packages
from punchcard.testing import Scenario, scenarios

_UTC = dt.timezone.utc


def _one_line_checkout(package: Package, at: dt.datetime) -> Scenario:
    """A pinned example: one $30 daycare line of smith's in New York, one package."""
    return Scenario(
        cart=Cart("smith", "downtown", "USD", [Line("l1", "daycare_full", Money("30", "USD"))]),
        packages=(package,),
        as_of=at,
        timezone="America/New_York",
        settings=Settings(),
        policy=Policy(),
        rates=Rates(),
    )


# Sold on the day clocks go back, at 01:10 EST (06:10 UTC); the naive checkout time 01:30 is the
# first 01:30 (EDT, 05:30 UTC): 40 minutes before the sale, so the package may not pay.
_BOUGHT_IN_REPEATED_HOUR = _one_line_checkout(
    Package(
        id="p1",
        owner="smith",
        purchased_at=dt.datetime(2026, 11, 1, 6, 10, tzinfo=_UTC),
        components=[Component("daycare_full", 2)],
    ),
    dt.datetime(2026, 11, 1, 1, 30),
)
# A sale countdown, first used in this cart: the replayed state must match the returned one.
_SALE_COUNTDOWN_FIRST_USE = _one_line_checkout(
    Package(
        id="p1",
        owner="smith",
        purchased_at=dt.datetime(2026, 1, 5, 10),
        components=[Component("daycare_full", 2)],
        days_to_expiration=90,
    ),
    dt.datetime(2026, 3, 2, 17, 30),
)


def _instant(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A naive moment is local time (the earlier one when it occurs twice); compare in UTC."""
    if moment.tzinfo is not None:
        return moment.astimezone(_UTC)
    return moment.replace(tzinfo=tz, fold=0).astimezone(_UTC)


def _expiry_instant(package: Package, tz: ZoneInfo, expires_at: str) -> dt.datetime | None:
    """When *package* (as it stood before the checkout) stops being usable, or None."""
    day = package.expires_on
    if day is None and package.days_to_expiration is not None:
        if package.expiry_starts == "sale":
            start = _instant(package.purchased_at, tz).astimezone(tz).date()
            day = start + dt.timedelta(days=package.days_to_expiration)
        elif package.first_used_at is not None:
            start = _instant(package.first_used_at, tz).astimezone(tz).date()
            day = start + dt.timedelta(days=package.days_to_expiration)
    if day is None:
        return None
    hours, minutes = int(expires_at[:2]), int(expires_at[3:])
    wall = dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=hours, minutes=minutes)
    return wall.replace(tzinfo=tz, fold=0).astimezone(_UTC)


def _used(result: Application) -> Counter[tuple[str, str]]:
    used: Counter[tuple[str, str]] = Counter()
    for r in result.redemptions:
        used[(r.package_id, r.item)] += r.credits
    return used


@given(scenario=scenarios())
def test_invariant_1_no_component_below_zero(scenario: Scenario) -> None:
    result = scenario.apply()
    used = _used(result)
    before = {p.id: p for p in scenario.packages}
    assert [p.id for p in result.packages] == [p.id for p in scenario.packages]
    for after in result.packages:
        for component in after.components:
            assert component.remaining >= 0
            start = before[after.id].remaining(component.item)
            taken = used[(after.id, component.item)]
            assert taken <= start
            assert component.remaining == start - taken
    # Every redemption names a component the package really has.
    for package_id, item in used:
        assert any(c.item == item for c in before[package_id].components)


@given(scenario=scenarios())
def test_invariant_2_credits_whole_and_at_most_units(scenario: Scenario) -> None:
    result = scenario.apply()
    units = {line.id: line.units for line in scenario.cart.lines}
    taken: Counter[str] = Counter()
    for r in result.redemptions:
        assert isinstance(r.credits, int)
        assert not isinstance(r.credits, bool)
        assert r.credits >= 1
        taken[r.line_id] += r.credits
    for line_result in result.lines:
        assert line_result.credits == taken[line_result.line_id]
        assert line_result.credits <= units[line_result.line_id]
    # Each credit covers exactly one unit: a redemption of n credits takes off n equal amounts.
    for r in result.redemptions:
        assert r.amount.minor % r.credits == 0


@given(scenario=scenarios())
def test_invariant_3_covered_within_total_and_due_not_negative(scenario: Scenario) -> None:
    result = scenario.apply()
    prices = {line.id: line.unit_price for line in scenario.cart.lines}
    covered: Counter[str] = Counter()
    for r in result.redemptions:
        assert r.amount.currency == scenario.cart.currency
        per_credit = r.amount.minor // r.credits
        assert 0 <= per_credit <= prices[r.line_id].minor
        covered[r.line_id] += r.amount.minor
    assert [lr.line_id for lr in result.lines] == [line.id for line in scenario.cart.lines]
    for line, lr in zip(scenario.cart.lines, result.lines, strict=True):
        assert lr.total == line.unit_price * line.units
        assert lr.covered.minor == covered[line.id]
        assert lr.covered <= lr.total
        assert lr.due == lr.total - lr.covered
        assert lr.due.amount >= 0
    assert result.total == scenario.cart.total
    assert result.covered.minor == sum(lr.covered.minor for lr in result.lines)
    assert result.due == result.total - result.covered


@given(scenario=scenarios())
@example(scenario=_BOUGHT_IN_REPEATED_HOUR)
def test_invariant_4_only_eligible_packages_used(scenario: Scenario) -> None:
    result = scenario.apply()
    tz = ZoneInfo(scenario.timezone)
    at = _instant(scenario.as_of, tz)
    packages = {p.id: p for p in scenario.packages}
    lines = {line.id: line for line in scenario.cart.lines}
    for r in result.redemptions:
        package, line = packages[r.package_id], lines[r.line_id]
        assert package.owner == scenario.cart.owner
        if not scenario.settings.any_location:
            assert package.location in (None, scenario.cart.location)
        if not scenario.settings.any_type:
            assert r.item == line.item
        if package.beneficiary is not None:
            assert package.beneficiary == line.beneficiary
        assert _instant(package.purchased_at, tz) <= at, "not yet valid"
        expiry = _expiry_instant(package, tz, scenario.policy.expires_at)
        assert expiry is None or at < expiry, "expired"


@given(scenario=scenarios())
def test_invariant_5_zero_price_lines_untouched(scenario: Scenario) -> None:
    result = scenario.apply()
    zero = {line.id for line in scenario.cart.lines if not line.unit_price}
    touched = {r.line_id for r in result.redemptions}
    if scenario.settings.zero_price_items:
        # Allowed, but a credit on a $0 line takes nothing off it.
        for r in result.redemptions:
            if r.line_id in zero:
                assert not r.amount
    else:
        assert not zero & touched
        for lr in result.lines:
            if lr.line_id in zero:
                assert lr.credits == 0


@given(scenario=scenarios(), data=st.data())
def test_invariant_6_package_order_does_not_matter(scenario: Scenario, data: st.DataObject) -> None:
    result = scenario.apply()
    shuffled = data.draw(st.permutations(scenario.packages), label="packages shuffled")
    other = scenario.apply(shuffled)
    assert {p.id: p for p in other.packages} == {p.id: p for p in result.packages}
    assert [p.id for p in other.packages] == [p.id for p in shuffled]
    assert other.redemptions == result.redemptions
    assert other.rejections == result.rejections
    assert other.events == result.events
    assert other.lines == result.lines
    assert (other.total, other.covered, other.due) == (result.total, result.covered, result.due)
    # The human details too, not only the reason codes (Rejection.detail is eq=False).
    assert [r.detail for r in other.rejections] == [r.detail for r in result.rejections]


@given(scenario=scenarios())
def test_invariant_7_same_input_same_output(scenario: Scenario) -> None:
    first = scenario.apply()
    second = scenario.apply()
    assert first == second
    assert repr(first) == repr(second)
    assert repr(first.packages) == repr(second.packages)
    assert repr(first.events) == repr(second.events)
    assert [r.detail for r in first.rejections] == [r.detail for r in second.rejections]


@given(scenario=scenarios())
@example(scenario=_SALE_COUNTDOWN_FIRST_USE)
def test_invariant_8_replaying_events_gives_balances(scenario: Scenario) -> None:
    result = scenario.apply()
    assert len(result.events) == len(result.redemptions)
    for event, redemption in zip(result.events, result.redemptions, strict=True):
        assert (event.package_id, event.line_id, event.item, event.credits, event.amount) == (
            redemption.package_id,
            redemption.line_id,
            redemption.item,
            redemption.credits,
            redemption.amount,
        )
    replayed = advance_packages(scenario.packages, result.events, ZoneInfo(scenario.timezone))
    assert tuple(replayed) == result.packages
