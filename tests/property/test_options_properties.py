"""Properties of the market options (docs/semantics.md, section X).

- **Additivity**: an option at its default, or set where it cannot matter (the same priority for
  every package, a ``valid_from`` at or before the purchase, a pause away from the checkout date,
  ``valid_for`` days for ``days_to_expiration``, elapsed expiry with no length, a substitute no
  line asks for, a one-item pool, a stored-value package of another owner), gives the same answer.
- **Invariants with options on**: no component below ``-overdraft``; credits whole and at most
  the units; covered <= total and due >= 0 per line; a stored-value balance never negative and
  never spent on a $0 line; only the owner's packages, valid, not expired, not paused; the answer
  does not depend on the order of the packages; replaying ``result.events`` with
  :func:`punchcard.events.advance_packages` gives ``result.packages``.

The oracles do not reuse the engine's helpers: validity and expiry are recomputed from the package
fields with :mod:`zoneinfo` and ``relativedelta``, and compared as instants.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from punchcard import Application, Component, Money, Package, Policy
from punchcard.events import advance_packages
from punchcard.models import Duration, Pause
from punchcard.testing import Scenario, scenarios

_UTC = dt.timezone.utc
# Modest counts: the fast suite has a time budget; CI's profile sets its own.
_EXAMPLES = settings(max_examples=40)


def _instant(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A naive moment is local time (the earlier one when it occurs twice); compare in UTC."""
    if moment.tzinfo is not None:
        return moment.astimezone(_UTC)
    return moment.replace(tzinfo=tz, fold=0).astimezone(_UTC)


def _wall_instant(wall: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The instant of the naive local *wall* time: the earlier when it occurs twice, and when it
    does not exist the first instant whose local time is past it (minute by minute)."""
    earlier = wall.replace(tzinfo=tz, fold=0).astimezone(_UTC)
    if earlier.astimezone(tz).replace(tzinfo=None) == wall:
        return earlier
    moment = wall.replace(tzinfo=tz, fold=1).astimezone(_UTC)
    while moment.astimezone(tz).replace(tzinfo=None) < wall:
        moment += dt.timedelta(minutes=1)
    return moment


def _length(package: Package) -> relativedelta | None:
    length = package.valid_for
    if length is None:
        if package.days_to_expiration is None:
            return None
        length = Duration("days", package.days_to_expiration)
    return relativedelta(**{length.unit: length.count})


def _expiry(package: Package, tz: ZoneInfo, policy: Policy) -> dt.datetime | None:
    """When *package* (as it stood before the checkout) stops being usable, or None."""
    hours, minutes = int(policy.expires_at[:2]), int(policy.expires_at[3:])
    end_of_day = dt.timedelta(hours=hours, minutes=minutes)
    if package.expires_on is not None:
        return _wall_instant(dt.datetime.combine(package.expires_on, dt.time()) + end_of_day, tz)
    length = _length(package)
    if length is None:
        return None
    if package.expiry_starts == "first_use":
        if package.first_used_at is None:
            return None
        start = _instant(package.first_used_at, tz)
    else:
        start = _valid_from(package, tz)
    local = start.astimezone(tz).replace(tzinfo=None)
    if policy.expiry == "elapsed":
        return _wall_instant(local + length, tz)
    day = local.date() + length
    return _wall_instant(dt.datetime.combine(day, dt.time()) + end_of_day, tz)


def _valid_from(package: Package, tz: ZoneInfo) -> dt.datetime:
    purchased = _instant(package.purchased_at, tz)
    if package.valid_from is None:
        return purchased
    return max(purchased, _instant(package.valid_from, tz))


def _outcome(result: Application) -> tuple[Any, ...]:
    """What a checkout decided, apart from the package values it echoes."""
    return (
        result.redemptions,
        result.rejections,
        result.lines,
        (result.total, result.covered, result.due),
        [(p.id, p.components, p.balance, p.first_used_at, p.expires_on) for p in result.packages],
    )


# Additivity ---------------------------------------------------------------------------------------


def test_every_option_at_its_default_is_the_package_without_options() -> None:
    bare = Package(
        id="p1",
        owner="smith",
        purchased_at=dt.datetime(2026, 1, 5, 10),
        components=[Component("daycare_full", 3)],
    )
    explicit = Package(
        id="p1",
        owner="smith",
        purchased_at=dt.datetime(2026, 1, 5, 10),
        components=[Component("daycare_full", 3, items=(), substitutes=(), overdraft=0)],
        priority=50,
        valid_from=None,
        valid_for=None,
        pauses=(),
        balance=None,
        items=None,
    )
    assert explicit == bare
    assert repr(explicit) == repr(bare)
    assert Policy(expiry="end_of_day") == Policy()


def _neutral(draw: st.DrawFn, scenario: Scenario) -> tuple[Scenario, str | None]:
    """*scenario* with options set where they cannot change the answer; the id of a package
    added that can only add rejections of its own (else None)."""
    tz = ZoneInfo(scenario.timezone)
    today = _instant(scenario.as_of, tz).astimezone(tz).date()
    priority = draw(st.integers(0, 100))
    # A pause of one or two days that misses the checkout date.
    away = draw(st.sampled_from((-30, -3, -2, 1, 5)))
    asked = {line.item for line in scenario.cart.lines}
    packages = []
    for package in scenario.packages:
        changes: dict[str, Any] = {"priority": priority}
        if draw(st.booleans()):
            before = dt.timedelta(minutes=draw(st.integers(0, 10_000)))
            changes["valid_from"] = _instant(package.purchased_at, tz) - before
        if draw(st.booleans()):
            start = today + dt.timedelta(days=away)
            end = start + dt.timedelta(days=0 if away == -2 else draw(st.integers(0, 1)))
            changes["pauses"] = [Pause(start, end)]
        if package.days_to_expiration is not None and draw(st.booleans()):
            changes["valid_for"] = Duration("days", package.days_to_expiration)
            changes["days_to_expiration"] = None
        components = []
        for c in package.components:
            unasked = [i for i in ("bath", "nails", "spa") if i not in asked and i != c.item]
            subs = unasked[: draw(st.integers(0, 2))]
            pool = (c.item,) if draw(st.booleans()) else ()
            components.append(attrs.evolve(c, substitutes=subs, items=pool))
        changes["components"] = components
        packages.append(attrs.evolve(package, **changes))
    added = None
    if draw(st.booleans()):
        added = "zz-card"
        packages.append(
            Package(
                id=added,
                owner="someone-else",
                purchased_at=dt.datetime(2026, 1, 1),
                balance=Money("100", scenario.cart.currency),
            )
        )
    policy = scenario.policy
    if all(p.valid_for is None and p.days_to_expiration is None for p in packages):
        policy = attrs.evolve(policy, expiry="elapsed")
    return attrs.evolve(scenario, packages=tuple(packages), policy=policy), added


@_EXAMPLES
@given(scenario=scenarios(max_lines=4, max_packages=4), data=st.data())
def test_additivity_options_where_they_cannot_matter_change_nothing(
    scenario: Scenario, data: st.DataObject
) -> None:
    before = scenario.apply()
    optioned, added = _neutral(data.draw, scenario)
    after = optioned.apply()
    redemptions, rejections, lines, totals, states = _outcome(after)
    rejections = tuple(r for r in rejections if r.package_id != added)
    states = [s for s in states if s[0] != added]
    # A one-item pool is named after its item, so the redemptions and states compare as they are.
    plain = [
        (pid, tuple(attrs.evolve(c, items=(), substitutes=()) for c in cs), *rest)
        for pid, cs, *rest in states
    ]
    assert (redemptions, rejections, lines, totals) == _outcome(before)[:4]
    assert plain == _outcome(before)[4]
    for package in scenario.packages:
        assert after.expires_at(package.id) == before.expires_at(package.id)


# Invariants with options on ---------------------------------------------------------------------


def _check_balances(scenario: Scenario, result: Application) -> None:
    """Invariant 1 (X8: no component below -overdraft) and X9 (a balance never negative)."""
    credits: Counter[tuple[str, str]] = Counter()
    money: Counter[str] = Counter()
    for r in result.redemptions:
        if r.item is None:
            money[r.package_id] += r.amount.minor
        else:
            credits[(r.package_id, r.item)] += r.credits
    assert [p.id for p in result.packages] == [p.id for p in scenario.packages]
    for before, after in zip(scenario.packages, result.packages, strict=True):
        assert len(after.components) == len(before.components)
        for old, new in zip(before.components, after.components, strict=True):
            assert new.remaining == old.remaining - credits[(before.id, old.item)]
            assert new.remaining >= -old.overdraft
            assert attrs.evolve(new, remaining=old.remaining) == old
        if before.balance is None:
            assert after.balance is None
            assert money[before.id] == 0
        else:
            assert after.balance is not None
            assert after.balance.minor == before.balance.minor - money[before.id]
            assert after.balance.minor >= 0


def _check_lines(scenario: Scenario, result: Application) -> None:
    """Invariants 2, 3 and 5: whole credits, at most the units, covered <= total, due >= 0."""
    lines = {line.id: line for line in scenario.cart.lines}
    covered: Counter[str] = Counter()
    taken: Counter[str] = Counter()
    for r in result.redemptions:
        line = lines[r.line_id]
        assert r.amount.currency == scenario.cart.currency
        if r.item is None:  # stored value: money, no credits, never a $0 line
            assert r.credits == 0
            assert 0 < r.amount.minor <= line.unit_price.minor * line.units
        else:
            assert type(r.credits) is int
            assert r.credits >= 1
            assert r.amount.minor % r.credits == 0
            assert 0 <= r.amount.minor // r.credits <= line.unit_price.minor
            if not line.unit_price:
                assert scenario.settings.zero_price_items
        covered[r.line_id] += r.amount.minor
        taken[r.line_id] += r.credits
    for line, lr in zip(scenario.cart.lines, result.lines, strict=True):
        assert lr.line_id == line.id
        assert lr.credits == taken[line.id] <= line.units
        assert lr.covered.minor == covered[line.id] <= lr.total.minor
        assert lr.total == line.total
        assert lr.due == lr.total - lr.covered
        assert lr.due.amount >= 0
    assert result.due == result.total - result.covered


def _check_eligible(scenario: Scenario, result: Application) -> None:
    """Invariant 4 with X1-X9: the owner's packages only, valid (purchase and valid_from), not
    expired, not paused, at the right location, for the right beneficiary, of the right item."""
    tz = ZoneInfo(scenario.timezone)
    at = _instant(scenario.as_of, tz)
    today = at.astimezone(tz).date()
    packages = {p.id: p for p in scenario.packages}
    lines = {line.id: line for line in scenario.cart.lines}
    settings_ = scenario.settings
    for r in result.redemptions:
        package, line = packages[r.package_id], lines[r.line_id]
        assert package.owner == scenario.cart.owner
        assert _valid_from(package, tz) <= at, "not yet valid"
        end = _expiry(package, tz, scenario.policy)
        assert end is None or at < end, "expired"
        assert not any(p.start <= today <= p.end for p in package.pauses), "paused"
        if not settings_.any_location:
            assert package.location in (None, scenario.cart.location)
        assert package.beneficiary in (None, line.beneficiary)
        if r.item is None:
            assert package.balance is not None
            if package.items is not None and not settings_.any_type:
                assert line.item in package.items
            continue
        [component] = [c for c in package.components if c.item == r.item]
        assert component.hourly == (line.charge_by == "hour")
        if not settings_.any_type:
            assert component.pays_as_own(line.item) or line.item in component.substitutes


@_EXAMPLES
@given(scenario=scenarios(options=True))
def test_invariants_hold_with_options_on(scenario: Scenario) -> None:
    result = scenario.apply()
    _check_balances(scenario, result)
    _check_lines(scenario, result)
    _check_eligible(scenario, result)
    # Invariant 8: the events replay to the returned packages.
    replayed = advance_packages(
        scenario.packages,
        result.events,
        ZoneInfo(scenario.timezone),
        mode=scenario.policy.expiry,
    )
    assert tuple(replayed) == result.packages


@_EXAMPLES
@given(scenario=scenarios(options=True), data=st.data())
def test_options_do_not_make_the_order_of_the_packages_matter(
    scenario: Scenario, data: st.DataObject
) -> None:
    result = scenario.apply()
    shuffled = data.draw(st.permutations(scenario.packages), label="packages shuffled")
    other = scenario.apply(shuffled)
    assert _outcome(other)[:4] == _outcome(result)[:4]
    assert {p.id: p for p in other.packages} == {p.id: p for p in result.packages}
