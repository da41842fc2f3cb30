"""The engine's shortcuts give the answers of its general path.

- The ranked pass (built-in credit orders, candidates ranked once per checkout) against the
  general greedy pass, reached by giving the same order as a custom ordering (a subclass).
- The per-package memo of derived facts (local purchase time, expiry instant): a warm call, a
  call in another zone and a call on fresh copies of the packages all agree.
"""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import Scenario, scenarios

import punchcard
from punchcard import Application, Component, Package, Policy
from punchcard._fast import evolve_trusted
from punchcard.errors import InvalidTimeError
from punchcard.rules import FunctionRule
from punchcard.rules.ordering import EarliestExpiry, Fifo


class FifoAsCustom(Fifo):
    """The built-in FIFO order, seen by the engine as a custom ordering."""


class EarliestExpiryAsCustom(EarliestExpiry):
    """The built-in earliest-expiry order, seen by the engine as a custom ordering."""


_AS_CUSTOM = {"fifo": FifoAsCustom(), "earliest_expiry": EarliestExpiryAsCustom()}


def _fingerprint(result: Application) -> tuple[object, ...]:
    return (
        result.total,
        result.covered,
        result.due,
        result.lines,
        result.redemptions,
        result.rejections,
        tuple((r.reason, r.detail) for r in result.rejections),
        result.packages,
        result.events,
        result.guards,
    )


def _with_order(scenario: Scenario, policy: Policy) -> Application:
    return punchcard.apply(
        scenario.cart,
        scenario.packages,
        as_of=scenario.at,
        timezone=scenario.timezone,
        settings=scenario.settings,
        policy=policy,
        rates=scenario.rates,
    )


# Custom rules: one that always passes (the ranked pass must then build candidates and still
# agree), one that refuses by package id (it changes what is eligible).
_ALWAYS = FunctionRule("always", "package", lambda c, line, ctx: True)
_ODD_IDS = FunctionRule(
    "odd_id", "component", lambda c, line, ctx: len(c.package.id) % 2 == 1, detail="even id"
)


def _crowded(scenario: Scenario) -> Scenario:
    """The scenario with every package the cart owner's and global: more credits compete for
    each line, so that the credit order decides more often."""
    owner = scenario.cart.owner
    return attrs.evolve(
        scenario,
        packages=tuple(attrs.evolve(p, owner=owner, location=None) for p in scenario.packages),
    )


@settings(max_examples=300)
@given(
    scenario=st.one_of(scenarios(), scenarios(max_packages=8).map(_crowded)),
    extra=st.sampled_from(((), (_ALWAYS,), (_ODD_IDS,))),
)
def test_ranked_pass_equals_the_general_greedy_pass(
    scenario: Scenario, extra: tuple[FunctionRule, ...]
) -> None:
    policy = scenario.policy
    if extra:
        policy = attrs.evolve(policy, rules=(*policy.rules, *extra))
    general = attrs.evolve(policy, package_order=_AS_CUSTOM[policy.package_order.name])
    assert _fingerprint(_with_order(scenario, policy)) == _fingerprint(
        _with_order(scenario, general)
    )


@given(scenario=scenarios(), other_zone=st.sampled_from(("Australia/Sydney", "UTC")))
def test_package_memo_never_changes_an_answer(scenario: Scenario, other_zone: str) -> None:
    # Fresh copies have an empty memo (attrs.evolve and evolve_trusted both start a new one).
    def fresh() -> tuple[Package, ...]:
        return tuple(attrs.evolve(p) for p in scenario.packages)

    cold = _fingerprint(scenario.apply(fresh()))
    assert all(not p._facts for p in fresh())
    warm_first = _fingerprint(scenario.apply())
    warm_again = _fingerprint(scenario.apply())
    assert cold == warm_first == warm_again
    # The memo is per zone: the same package values in another zone answer as fresh ones do.
    elsewhere = attrs.evolve(scenario, timezone=other_zone)
    assert _fingerprint(elsewhere.apply()) == _fingerprint(elsewhere.apply(fresh()))
    assert all(not evolve_trusted(p, id=p.id + "x")._facts for p in scenario.packages)


def test_a_time_that_does_not_exist_is_refused_on_every_call() -> None:
    # 02:30 on 2026-03-08 does not exist in New York: nothing is memoised for a refused value.
    package = Package(
        id="p1",
        owner="smith",
        purchased_at=dt.datetime(2026, 3, 8, 2, 30),
        components=[Component("daycare_full", 1)],
    )
    cart = punchcard.Cart("smith", "downtown", "USD", [])
    for _ in range(2):
        with pytest.raises(InvalidTimeError, match=r"packages\[0\]\.purchased_at"):
            punchcard.apply(
                cart, [package], as_of=dt.datetime(2026, 3, 9), timezone="America/New_York"
            )
    # In a zone where it exists, the same value is fine (and memoised for that zone only).
    punchcard.apply(cart, [package], as_of=dt.datetime(2026, 3, 9), timezone="UTC")
    with pytest.raises(InvalidTimeError):
        punchcard.apply(cart, [package], as_of=dt.datetime(2026, 3, 9), timezone="America/New_York")


def test_a_duplicate_id_is_refused_also_when_the_packages_are_memoised() -> None:
    package = Package(
        id="p1",
        owner="smith",
        purchased_at=dt.datetime(2026, 1, 5),
        components=[Component("daycare_full", 1)],
    )
    cart = punchcard.Cart("smith", "downtown", "USD", [])
    punchcard.apply(cart, [package], as_of=dt.datetime(2026, 3, 9), timezone="America/New_York")
    with pytest.raises(punchcard.InvalidValueError, match=r"packages\[1\]\.id"):
        punchcard.apply(
            cart, [package, package], as_of=dt.datetime(2026, 3, 9), timezone="America/New_York"
        )


def test_a_second_checkout_of_the_same_packages_converts_no_time_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import punchcard.rules.base as base

    calls: list[dt.datetime] = []
    real = base.to_local

    def counting(moment: dt.datetime, tz: dt.tzinfo, field: str = "at") -> dt.datetime:
        calls.append(moment)
        return real(moment, tz, field)

    monkeypatch.setattr(base, "to_local", counting)
    packages = [
        Package(
            id=f"p{j}",
            owner="smith",
            purchased_at=dt.datetime(2026, 1, 1 + j, 10),
            components=[Component("daycare_full", 2)],
            days_to_expiration=90,
        )
        for j in range(5)
    ]
    cart = punchcard.Cart(
        "smith",
        "downtown",
        "USD",
        [punchcard.Line("l1", "daycare_full", punchcard.Money("30", "USD"))],
    )
    first = punchcard.apply(cart, packages, as_of=dt.datetime(2026, 3, 2), timezone="America/New_York")
    assert len(calls) == 5  # one purchase time per package
    second = punchcard.apply(
        cart, packages, as_of=dt.datetime(2026, 3, 3), timezone="America/New_York"
    )
    assert len(calls) == 5  # none again
    assert first.redemptions[0].package_id == second.redemptions[0].package_id == "p0"
