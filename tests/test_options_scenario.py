"""Issue 12, options 13 (uses per period) and 17 (expiry judged at booking) in the scenario format:
``packages[].credits[].uses_left`` and ``booked_at`` (semantics.md X10, X11). The vectors under
tests/vectors/options/x10_* and x11_* pin the answers; here: the explanation says when the option
decided, bad input names its field, the defaults change nothing, and the lifecycle and the
scenario reader decide a capped checkout one way."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from punchcard import Cart, Line, Money
from punchcard.errors import ScenarioError
from punchcard.lifecycle import (
    Business,
    LedgerState,
    PackageType,
    Period,
    TypeComponent,
    checkout,
    purchase,
)
from punchcard.scenario import evaluate, parse

OPTIONS = Path(__file__).parent / "vectors" / "options"


def _input(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((OPTIONS / name).read_text(encoding="utf-8"))["input"]
    return document


CAPPED = "x10_uses_left_caps_the_credits_this_period.json"
BOOKED = "x11_booked_before_the_expiry_keeps_its_credit.json"


def test_issue12_option13_the_explanation_says_the_cap_decided() -> None:
    result = evaluate(_input(CAPPED), explain=True)
    assert (
        result["explanation"][1]
        == "yoga (2 units): $40.00 to pay. p1 has no uses left this period."
    )
    french = evaluate(_input(CAPPED), explain=True, locale="fr_FR")["explanation"][1]
    assert "n'a plus d'utilisation possible sur cette période" in french


def test_issue12_option13_a_credit_with_no_use_left_is_refused_before_the_first_line() -> None:
    document = _input(CAPPED)
    document["packages"][0]["credits"][0]["uses_left"] = 0
    result = evaluate(document)
    assert result["covered"] == "0.00"
    assert [r["reason"] for r in result["rejections"]] == ["period_cap", "period_cap"]
    assert result["packages"][0]["remaining"] == {"yoga": 5}


def test_issue12_option13_a_credit_out_of_credits_is_still_exhausted() -> None:
    document = _input(CAPPED)
    document["packages"][0]["credits"][0].update(remaining=2, uses_left=4)
    result = evaluate(document)
    assert [r["reason"] for r in result["rejections"]] == ["exhausted"]


def test_issue12_option13_the_cap_holds_an_overdraft_too() -> None:
    document = _input(CAPPED)
    document["packages"][0]["credits"][0].update(remaining=1, overdraft=3, uses_left=2)
    result = evaluate(document)
    assert result["covered"] == "40.00"
    assert result["packages"][0]["remaining"] == {"yoga": -1}
    assert [r["reason"] for r in result["rejections"]] == ["period_cap"]


def test_issue12_option13_uses_left_unset_is_the_seeds_answer() -> None:
    document = _input(CAPPED)
    del document["packages"][0]["credits"][0]["uses_left"]
    assert evaluate(document)["covered"] == "80.00"
    document["packages"][0]["credits"][0]["uses_left"] = None
    assert evaluate(document)["covered"] == "80.00"


@pytest.mark.parametrize(
    ("value", "message"),
    [(-1, "must be a whole number >= 0"), ("2", "must be a whole number"), (1.5, "whole number")],
)
def test_issue12_option13_bad_uses_left_names_the_field(value: object, message: str) -> None:
    document = _input(CAPPED)
    document["packages"][0]["credits"][0]["uses_left"] = value
    with pytest.raises(ScenarioError) as info:
        parse(document)
    assert info.value.path == "packages[0].credits[0].uses_left"
    assert message in info.value.message


def test_issue12_option13_the_lifecycle_and_the_scenario_decide_a_cap_alike() -> None:
    weekly = PackageType(
        id="yoga-5",
        name="Yoga 5 a week",
        components=[TypeComponent("yoga", 5)],
        price=Money("80.00", "USD"),
        subscription=Period("weeks"),
    )
    tz = "America/New_York"
    sold = purchase(
        LedgerState(),
        weekly,
        package_id="p1",
        owner="smith",
        as_of=dt.datetime(2026, 2, 23, 10),
        timezone=tz,
    )
    lines = [Line(f"l{i}", "yoga", Money("20.00", "USD"), units=2) for i in (1, 2)]
    cart = Cart("smith", "downtown", "USD", lines)
    business = Business(timezone=tz, use_caps={"yoga-5": 2})
    outcome = checkout(
        sold.state, cart, booking="t", as_of=dt.datetime(2026, 2, 24, 17, 30), business=business
    )
    application = outcome.application
    assert application.covered == Money("40.00", "USD")
    assert [(r.line_id, r.reason) for r in application.rejections] == [("l2", "period_cap")]


def test_issue12_option17_the_explanation_of_a_package_expired_at_booking() -> None:
    result = evaluate(_input(BOOKED), explain=True)
    assert result["explanation"] == [
        "daycare_full (2 units): $30.00 paid with 1 credit from p1 ($30.00); $30.00 still to pay."
        " p2 expired on March 29, 2026 at 11:59\u202fPM."
    ]


def test_issue12_option17_booked_at_unset_or_equal_judges_at_the_checkout() -> None:
    document = _input(BOOKED)
    del document["booked_at"]
    default = evaluate(copy.deepcopy(document))
    assert default["covered"] == "0.00"
    assert [r["reason"] for r in default["rejections"]] == ["expired", "expired"]
    document["booked_at"] = document["at"]
    assert evaluate(document) == default


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-04-02T09:00:00", "is after the checkout time"),
        ("yesterday", "must be an ISO 8601 date-time"),
        (5, "must be an ISO 8601 date-time string"),
    ],
)
def test_issue12_option17_bad_booked_at_names_the_field(value: object, message: str) -> None:
    document = _input(BOOKED)
    document["booked_at"] = value
    with pytest.raises(ScenarioError) as info:
        parse(document)
    assert info.value.path == "booked_at"
    assert message in info.value.message
