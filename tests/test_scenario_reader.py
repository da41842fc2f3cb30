"""What the scenario reader builds: the engine's values, as the public constructors build them.

:func:`punchcard.scenario.parse` reads a document with the one reader made from the description
of the format (:mod:`punchcard._format`). These tests pin that

1. on valid documents its models are equal (``==``, same types, same ``repr``, same zone and
   fold) to models built through the public validating constructors from the same fields;
2. :func:`punchcard.scenario.render` shows the new states of the packages (``result.packages``)
   and the instant each stops being usable (``result.expires_at``);
3. two documents that differ (a fold at a DST change, a zone, a currency) are never mixed up, and
   nothing read from one document is kept for the next but the shared Settings and Policy values.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scenario_documents import (
    RESULT_KEYS,
    SETTING_NAMES,
    checkout,
    every_option_document,
    from_drawn,
    with_options,
)

from punchcard import (
    Application,
    Cart,
    Component,
    Line,
    Money,
    Package,
    Policy,
    Rates,
    ScenarioError,
    Settings,
)
from punchcard import scenario as sc
from punchcard.expiry import package_times
from punchcard.testing import Scenario as Drawn
from punchcard.testing import scenarios
from punchcard.timeutil import to_local, zone

VECTOR_DIR = Path(__file__).parent / "vectors"
VECTORS = {
    path.name: json.loads(path.read_text(encoding="utf-8"))["input"]
    for path in sorted(VECTOR_DIR.glob("*.json"))
}


def expected_models(drawn: Drawn) -> dict[str, Any]:
    """The values a reader must build for *drawn*, through the public validating constructors."""
    tz = zone(drawn.timezone)
    cart = Cart(
        drawn.cart.owner,
        drawn.cart.location,
        drawn.cart.currency,
        [
            Line(
                line.id,
                line.item,
                Money(str(line.unit_price.amount), line.unit_price.currency),
                units=line.units,
                beneficiary=line.beneficiary,
                charge_by=line.charge_by,
                credit_values={k: Money(str(m.amount), m.currency) for k, m in line.credit_values},
            )
            for line in drawn.cart.lines
        ],
    )
    packages = tuple(
        Package(
            id=p.id,
            owner=p.owner,
            purchased_at=to_local(p.purchased_at, tz),
            components=[Component(c.item, c.remaining, hourly=c.hourly) for c in p.components],
            location=p.location,
            beneficiary=p.beneficiary,
            expires_on=p.expires_on,
            days_to_expiration=p.days_to_expiration,
            expiry_starts=p.expiry_starts,
            first_used_at=None if p.first_used_at is None else to_local(p.first_used_at, tz),
            pricing_rules=p.pricing_rules,
        )
        for p in drawn.packages
    )
    return {
        "at": to_local(drawn.as_of, tz),
        "timezone": tz,
        "cart": cart,
        "packages": packages,
        "settings": Settings(**{name: getattr(drawn.settings, name) for name in SETTING_NAMES}),
        "policy": Policy(
            line_order=drawn.policy.line_order.name,
            package_order=drawn.policy.package_order.name,
            valuation=drawn.policy.valuation.name,
            expires_at=drawn.policy.expires_at,
        ),
        "rates": Rates(
            tuple(
                (loc, item, Money(str(m.amount), m.currency))
                for loc, item, m in drawn.rates.entries
            )
        ),
    }


def same_value(got: Any, want: Any, where: str) -> None:
    """Equal, of the same type, with the same repr, field by field down through attrs values."""
    assert type(got) is type(want), where
    assert got == want, where
    assert repr(got) == repr(want), where
    if isinstance(got, dt.datetime):
        assert got.tzinfo is want.tzinfo, where
        assert got.fold == want.fold, where
    elif isinstance(got, Money):
        assert got.amount.as_tuple() == want.amount.as_tuple(), where
    elif isinstance(got, tuple):
        assert len(got) == len(want), where
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            same_value(a, b, f"{where}[{i}]")
    elif attrs.has(type(got)):
        for field in attrs.fields(type(got)):
            a, b = getattr(got, field.name), getattr(want, field.name)
            if field.init:
                same_value(a, b, f"{where}.{field.name}")
            elif b is not None:  # a memo made with the value: of the same kind
                assert type(a) is type(b), f"{where}.{field.name}"
            # (A memo made on first use, such as the engine's compiled policy, may be filled:
            # Policy values are shared between documents.)


def same_scenario(got: sc.Scenario, want: dict[str, Any] | sc.Scenario) -> None:
    for name in ("at", "timezone", "cart", "packages", "settings", "policy", "rates"):
        expected = want[name] if isinstance(want, dict) else getattr(want, name)
        if name == "timezone":
            assert got.timezone is expected
        else:
            same_value(getattr(got, name), expected, name)


@given(drawn=scenarios(), sparse=st.booleans())
def test_valid_documents_build_what_the_constructors_build(drawn: Drawn, sparse: bool) -> None:
    doc = from_drawn(drawn, sparse=sparse)
    same_scenario(sc.parse(copy.deepcopy(doc)), expected_models(drawn))
    # Read again (the Settings and Policy values now shared): the same values.
    same_scenario(sc.parse(copy.deepcopy(doc)), expected_models(drawn))


def rebuilt(value: Any) -> Any:
    """*value* made again through the public constructors, all the way down (their validators
    and converters run)."""
    if isinstance(value, tuple):
        return tuple(rebuilt(v) for v in value)
    if isinstance(value, Money):
        return Money(str(value.amount), value.currency)
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return type(value)(**{f.alias: rebuilt(getattr(value, f.name)) for f in fields if f.init})
    return value


def check_rebuilt(scenario: sc.Scenario) -> None:
    """Every value the reader built is one its constructor builds from the same fields."""
    same_value(scenario.cart, rebuilt(scenario.cart), "cart")
    same_value(scenario.packages, rebuilt(scenario.packages), "packages")


VECTOR_INPUTS = {
    str(path.relative_to(VECTOR_DIR)): json.loads(path.read_text(encoding="utf-8"))["input"]
    for path in sorted(VECTOR_DIR.rglob("*.json"))
}
EXAMPLES = {
    path.name: json.loads(path.read_text(encoding="utf-8"))
    for path in sorted((VECTOR_DIR.parent.parent / "examples").glob("*.json"))
}


@pytest.mark.parametrize("name", sorted({**VECTOR_INPUTS, **EXAMPLES}))
def test_every_value_read_is_what_its_constructor_builds(name: str) -> None:
    document = {**VECTOR_INPUTS, **EXAMPLES}[name]
    try:
        scenario = sc.parse(copy.deepcopy(document))
    except ScenarioError:
        return  # a vector of bad input
    check_rebuilt(scenario)


def test_every_option_is_read_into_what_the_constructors_build() -> None:
    check_rebuilt(sc.parse(every_option_document()))


@given(document=with_options())
def test_generated_documents_with_options_build_what_the_constructors_build(
    document: dict[str, Any],
) -> None:
    check_rebuilt(sc.parse(document))


def rendered_from_new_states(
    application: Application, scenario: sc.Scenario
) -> list[dict[str, Any]]:
    """The oracle of the ``packages`` part of the result: read off ``application.packages``,
    the new states the engine builds, and their times worked out again from those states."""
    tz, policy = scenario.timezone, scenario.policy
    shown = []
    for p in application.packages:
        times = package_times(p, tz, policy.expires_at_delta, policy.expiry)
        moment = times.expires_local
        shown.append(
            {
                "id": p.id,
                "remaining": {c.item: c.remaining for c in p.components},
                "expires_on": None if times.expires_on is None else times.expires_on.isoformat(),
                "expires_at": None if moment is None else moment.isoformat(),
                "first_used_at": (
                    None if p.first_used_at is None else to_local(p.first_used_at, tz).isoformat()
                ),
            }
        )
    return shown


@given(drawn=scenarios(), sparse=st.booleans())
def test_render_shows_the_new_states_of_the_packages(drawn: Drawn, sparse: bool) -> None:
    scenario = sc.parse(from_drawn(drawn, sparse=sparse))
    application = scenario.run()
    rendered = sc.render(application)
    assert rendered["packages"] == rendered_from_new_states(application, scenario)
    assert list(rendered) == RESULT_KEYS
    # An expiry instant is the end of the expiry date, as policy.expires_at says.
    for shown in rendered["packages"]:
        if shown["expires_on"] is not None and scenario.policy.expires_at == "23:59":
            assert shown["expires_at"].startswith(shown["expires_on"] + "T23:59:00")


def _one_package_document(purchased_at: str, timezone: str = "America/New_York") -> Any:
    line = {"id": "l1", "item": "daycare_full", "unit_price": "30.00"}
    package = {
        "id": "p1",
        "owner": "smith",
        "purchased_at": purchased_at,
        "credits": [{"item": "daycare_full", "remaining": 1}],
    }
    return checkout([line], [package], at="2026-11-01T01:45:00-05:00", timezone=timezone)


def test_the_two_occurrences_of_a_repeated_hour_are_told_apart() -> None:
    # 01:50 happens twice in New York on 2026-11-01; as date-times of one zone the two compare
    # equal, yet they are an hour apart: the first (-04:00) before the checkout at 01:45 -05:00,
    # the second (-05:00) after it. A package read from one must not be reused for the other.
    early = sc.evaluate(_one_package_document("2026-11-01T01:50:00-04:00"))
    late = sc.evaluate(_one_package_document("2026-11-01T01:50:00-05:00"))
    assert early["covered"] == "30.00"
    assert early["rejections"] == []
    assert late["covered"] == "0.00"
    assert late["rejections"] == [{"line": "l1", "package": "p1", "reason": "not_yet_valid"}]
    first = sc.parse(_one_package_document("2026-11-01T01:50:00-04:00")).packages[0]
    second = sc.parse(_one_package_document("2026-11-01T01:50:00-05:00")).packages[0]
    assert (first.purchased_at.fold, second.purchased_at.fold) == (0, 1)


def test_zones_and_currencies_are_told_apart() -> None:
    ny = sc.parse(_one_package_document("2026-01-05T10:00:00")).packages[0]
    la = sc.parse(_one_package_document("2026-01-05T10:00:00", "America/Los_Angeles")).packages[0]
    assert ny.purchased_at.tzinfo is zone("America/New_York")
    assert la.purchased_at.tzinfo is zone("America/Los_Angeles")
    usd = _one_package_document("2026-01-05T10:00:00")
    bhd = {**copy.deepcopy(usd), "currency": "BHD"}
    assert sc.parse(usd).cart.lines[0].unit_price == Money("30.00", "USD")
    assert sc.parse(bhd).cart.lines[0].unit_price == Money("30.000", "BHD")
    assert repr(sc.parse(bhd).cart.lines[0].unit_price) == "Money('30.000', 'BHD')"


def test_a_document_read_twice_gives_the_same_answer_and_keeps_no_package_between_calls() -> None:
    doc = VECTORS["e_2359_boundary_valid.json"]
    first, second = sc.parse(copy.deepcopy(doc)), sc.parse(copy.deepcopy(doc))
    assert first.packages == second.packages
    assert not any(a is b for a, b in zip(first.packages, second.packages, strict=True))
    assert first.policy is second.policy
    assert first.settings is second.settings
    # ... and the policy is compiled once for both (Policy.compile: the engine's rules written
    # into functions per settings, which costs more than the checkout itself).
    assert sc._compiled(first.policy) is sc._compiled(second.policy)
    assert sc.evaluate(copy.deepcopy(doc)) == sc.evaluate(copy.deepcopy(doc))


class _Text(str):
    """A str subclass: a JSON reader never makes one, a Python caller may."""


def test_str_and_int_subclasses_are_read_as_their_values() -> None:
    doc = _one_package_document("2026-01-05T10:00:00")
    plain = sc.evaluate(copy.deepcopy(doc))
    doc["cart"]["owner"] = _Text("smith")
    doc["packages"][0]["credits"][0]["item"] = _Text("daycare_full")
    doc["cart"]["lines"][0]["unit_price"] = _Text("30.00")
    doc["packages"][0]["credits"][0]["remaining"] = _Int(1)
    assert sc.evaluate(doc) == plain


class _Int(int):
    """An int subclass (not a bool)."""
