"""punchcard.results: what an Application reads from the engine's balances without building the
packages after the cart must be what those packages hold."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given, settings

from punchcard import Cart, Component, Line, Money, Package, apply
from punchcard.lifecycle import event_from_dict, event_to_dict
from punchcard.testing import Scenario, scenarios


@given(scenario=scenarios(options=True))
@settings(max_examples=50)  # (a scenario with options is costly to draw; 50 cover its kinds)
def test_credits_and_balance_left_are_what_the_packages_after_the_cart_hold(
    scenario: Scenario,
) -> None:
    result = scenario.apply()
    assert [p.id for p in result.inputs] == [p.id for p in result.packages]
    for before, after in zip(result.inputs, result.packages, strict=True):
        assert before.id == after.id
        assert result.credits_left(after.id) == {c.item: c.remaining for c in after.components}
        assert result.balance_left(after.id) == after.balance


def test_an_unknown_package_has_nothing_left_to_read() -> None:
    package = Package(
        id="p1", owner="o", purchased_at=dt.datetime(2026, 1, 5), balance=Money("20", "USD")
    )
    cart = Cart("o", "here", "USD", [Line("l1", "x", Money("5", "USD"))])
    result = apply(cart, [package], as_of=dt.datetime(2026, 1, 6, 9), timezone="UTC")
    assert result.balance_left("p1") == Money("15", "USD")
    assert result.credits_left("p1") == {}
    assert result.inputs == (package,)
    for read in (result.credits_left, result.balance_left):
        with pytest.raises(KeyError):
            read("p2")


def test_a_package_of_credits_has_no_balance_left() -> None:
    package = Package(
        id="p1", owner="o", purchased_at=dt.datetime(2026, 1, 5), components=[Component("x", 2)]
    )
    cart = Cart("o", "here", "USD", [Line("l1", "x", Money("5", "USD"))])
    result = apply(cart, [package], as_of=dt.datetime(2026, 1, 6, 9), timezone="UTC")
    assert result.balance_left("p1") is None
    assert result.credits_left("p1") == {"x": 1}


@given(scenario=scenarios(options=True))
@settings(max_examples=50)
def test_a_checkouts_events_are_the_events_their_checks_would_build(scenario: Scenario) -> None:
    """Application.events builds its events without running their validators again (every
    field comes from the checked inputs and the engine): each must equal the event the checked
    constructor builds from the same fields, and survive the ledger's JSON."""
    for event in scenario.apply().events:
        fields = {f.name: getattr(event, f.name) for f in attrs.fields(type(event)) if f.init}
        assert type(event)(**fields) == event
        assert event_from_dict(event_to_dict(event)) == event
