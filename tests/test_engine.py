"""The engine's Python API beyond the rules: input checks, guards, idempotency keys, laziness."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import ClassVar

import attrs
import pytest

from punchcard import (
    Cart,
    Component,
    CurrencyMismatchError,
    Guard,
    InvalidTimeError,
    InvalidTypeError,
    InvalidValueError,
    Line,
    Money,
    Package,
    PluginError,
    Policy,
    PunchcardError,
    Rates,
    Settings,
    apply,
)
from punchcard.limits import MAX_OPTIMAL_LINES, MAX_OPTIMAL_WORK, MAX_PAIRS
from punchcard.rules import ELIGIBLE, Candidate, Context, Predicate, Rule, Verdict

AT = dt.datetime(2026, 3, 2, 17, 30)
TZ = "America/New_York"


def usd(text: str) -> Money:
    return Money(text, "USD")


def cart(*lines: Line, cart_id: str | None = "ticket-1") -> Cart:
    return Cart("smith", "downtown", "USD", lines, id=cart_id)


def package(pid: str = "p1", remaining: int = 3, **kw: object) -> Package:
    fields: dict[str, object] = {
        "id": pid,
        "owner": "smith",
        "purchased_at": dt.datetime(2026, 1, 5, 10),
        "components": [Component("daycare_full", remaining), Component("bath", 2)],
    }
    fields.update(kw)
    return Package(**fields)  # type: ignore[arg-type]


def test_guards_name_every_touched_component_with_expected_and_new() -> None:
    result = apply(
        cart(Line("l1", "daycare_full", usd("30"), units=2)), [package()], as_of=AT, timezone=TZ
    )
    assert result.guards == (Guard("p1", "daycare_full", 3, 1),)


def test_guards_empty_when_nothing_redeemed() -> None:
    result = apply(cart(Line("l1", "boarding", usd("55"))), [package()], as_of=AT, timezone=TZ)
    assert result.guards == ()
    assert result.packages == (package(),)


def test_idempotency_key_same_checkout_same_key_other_cart_other_key() -> None:
    line = Line("l1", "daycare_full", usd("30"))
    first = apply(cart(line), [package()], as_of=AT, timezone=TZ)
    retried = apply(cart(line), [package(remaining=2)], as_of=AT, timezone=TZ)
    other = apply(cart(line, cart_id="ticket-2"), [package()], as_of=AT, timezone=TZ)
    later = apply(cart(line), [package()], as_of=AT + dt.timedelta(minutes=1), timezone=TZ)
    assert first.idempotency_key == retried.idempotency_key
    assert first.idempotency_key.startswith("ck-")
    assert len({first.idempotency_key, other.idempotency_key, later.idempotency_key}) == 3


def test_event_ids_are_deterministic_and_distinct_per_redemption() -> None:
    lines = (Line("l1", "daycare_full", usd("30")), Line("l2", "bath", usd("20")))
    a = apply(cart(*lines), [package()], as_of=AT, timezone=TZ)
    b = apply(cart(*lines), [package()], as_of=AT, timezone=TZ)
    assert [e.event_id for e in a.events] == [e.event_id for e in b.events]
    assert len({e.event_id for e in a.events}) == 2
    assert all(e.cart_id == e.booking == "ticket-1" for e in a.events)
    # Each continues its package's history: the package's version, then 1, 2...
    later = apply(cart(*lines), [package(version=7)], as_of=AT, timezone=TZ)
    assert [e.seq for e in later.events] == [8, 9]


def test_results_are_equal_values() -> None:
    line = Line("l1", "daycare_full", usd("30"))
    a = apply(cart(line), [package()], as_of=AT, timezone=TZ)
    b = apply(cart(line), [package()], as_of=AT, timezone=TZ)
    assert a == b
    assert a.packages == b.packages
    assert a.events == b.events


def test_duplicate_package_ids_refused_naming_the_position() -> None:
    with pytest.raises(InvalidValueError) as err:
        apply(cart(), [package(), package()], as_of=AT, timezone=TZ)
    assert err.value.field == "packages[1].id"


def test_nonexistent_local_purchase_time_refused_naming_the_package() -> None:
    bad = package(purchased_at=dt.datetime(2026, 3, 8, 2, 30))
    with pytest.raises(InvalidTimeError) as err:
        apply(cart(), [package("p0"), bad], as_of=AT, timezone=TZ)
    assert err.value.field == "packages[1].purchased_at"
    used_in_gap = package(first_used_at=dt.datetime(2026, 3, 8, 2, 30))
    with pytest.raises(InvalidTimeError, match="does not exist") as err:
        apply(cart(), [package("p0"), used_in_gap], as_of=AT, timezone=TZ)
    assert err.value.field == "packages[1].first_used_at"


def test_rate_in_another_currency_at_the_cart_location_refused() -> None:
    rates = Rates.from_mapping({"downtown": {"daycare_full": Money("30", "EUR")}})
    with pytest.raises(CurrencyMismatchError) as err:
        apply(cart(), [package()], as_of=AT, timezone=TZ, rates=rates)
    assert err.value.currencies == ("USD", "EUR")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"as_of": "2026-03-02"}, "as_of"),
        ({"timezone": 5}, "timezone"),
        ({"settings": {"any_type": True}}, "settings"),
        ({"policy": "fifo"}, "policy"),
    ],
)
def test_wrong_argument_types_name_the_argument(kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {"as_of": AT, "timezone": TZ}
    arguments.update(kwargs)
    with pytest.raises(InvalidTypeError) as err:
        apply(cart(), [package()], **arguments)  # type: ignore[arg-type]
    assert err.value.field == field


def test_inputs_are_not_mutated() -> None:
    packages = [package()]
    the_cart = cart(Line("l1", "daycare_full", usd("30"), units=5))
    before = (the_cart, list(packages))
    apply(the_cart, packages, as_of=AT, timezone=TZ, policy=Policy(line_order="optimal"))
    assert (the_cart, packages) == before
    assert packages[0].components[0].remaining == 3


# -- Plug-in answers are checked (issue 10 item 8) ------------------------------------------------


@attrs.frozen
class TwiceFirst:
    """A broken line order: serves the first line twice."""

    name: ClassVar[str] = "twice_first"

    def arrange(self, lines: Sequence[Line]) -> list[int]:
        return [0 for _ in lines]


@attrs.frozen
class Worth:
    """A valuation that says every credit is worth *value*."""

    value: Money
    name: ClassVar[str] = "worth"

    def credit_value(self, candidate: Candidate, line: Line, ctx: Context) -> Money | None:
        return self.value


@attrs.frozen
class TupleRule:
    """A broken rule that answers a tuple (django-oscar issue 1647)."""

    code: ClassVar[str] = "tuple_rule"
    scope: ClassVar[str] = "line"

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        return (True, "fine")  # type: ignore[return-value]


@attrs.frozen
class NotABoolRule:
    """A rule whose fast form answers something else than a bool."""

    code: ClassVar[str] = "not_a_bool"
    scope: ClassVar[str] = "component"

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        return ELIGIBLE

    def predicate(self, settings: Settings) -> Predicate:
        return lambda candidate, line, ctx: 1  # type: ignore[return-value,arg-type]


@attrs.frozen
class ListRank:
    """A package order whose rank is not a tuple."""

    name: ClassVar[str] = "list_rank"

    def rank(self, package: Package, ctx: Context) -> tuple[object, ...]:
        return [package.id]  # type: ignore[return-value]


def _two_lines() -> Cart:
    return cart(
        Line("l1", "daycare_full", usd("50")), Line("l2", "daycare_full", usd("50"), units=1)
    )


def test_issue10_item8_a_line_order_that_is_not_a_permutation_is_refused() -> None:
    with pytest.raises(PluginError, match="permutation") as err:
        apply(
            _two_lines(), [package()], as_of=AT, timezone=TZ, policy=Policy(line_order=TwiceFirst())
        )
    assert isinstance(err.value.plugin, TwiceFirst)


@pytest.mark.parametrize(
    ("value", "message"),
    [(Money("-5", "USD"), "negative"), (Money("5", "EUR"), "EUR on a USD line")],
)
def test_issue10_item8_a_valuation_answer_that_breaks_the_invariants_is_refused(
    value: Money, message: str
) -> None:
    policy = Policy(valuation=Worth(value))
    with pytest.raises(PluginError, match=message) as err:
        apply(_two_lines(), [package()], as_of=AT, timezone=TZ, policy=policy)
    assert err.value.plugin == Worth(value)


def test_issue10_item8_a_value_above_the_price_takes_off_the_price_only() -> None:
    # A value above the unit price is not an error: a credit never takes off more than the price.
    policy = Policy(valuation=Worth(usd("80")))
    result = apply(_two_lines(), [package()], as_of=AT, timezone=TZ, policy=policy)
    assert str(result.covered) == "100.00"
    assert str(result.due) == "0.00"


@pytest.mark.parametrize("rule", [TupleRule(), NotABoolRule()])
def test_issue10_item8_a_rule_answer_that_is_not_a_verdict_or_a_bool_is_refused(rule: Rule) -> None:
    policy = Policy().with_rule(rule, before="exhausted")
    with pytest.raises(PluginError) as err:
        apply(_two_lines(), [package()], as_of=AT, timezone=TZ, policy=policy)
    assert err.value.plugin == rule


def test_issue10_item8_a_package_rank_that_is_not_a_tuple_is_refused() -> None:
    with pytest.raises(PluginError, match="tuple"):
        apply(
            _two_lines(),
            [package()],
            as_of=AT,
            timezone=TZ,
            policy=Policy(package_order=ListRank()),
        )


def test_issue10_item8_a_plugin_error_is_a_punchcard_error_and_a_type_error() -> None:
    assert issubclass(PluginError, PunchcardError)
    assert issubclass(PluginError, TypeError)


# -- Bounded resources (issue 10 item 9) ----------------------------------------------------------


def test_issue10_item9_too_many_line_package_pairs_are_refused_at_once() -> None:
    lines = [Line(f"l{i}", "daycare_full", usd("30")) for i in range(1001)]
    packages = [package(f"p{j}") for j in range(500)]
    started = time.perf_counter()
    with pytest.raises(InvalidValueError, match="pairs") as err:
        apply(cart(*lines), packages, as_of=AT, timezone=TZ)
    assert err.value.field == "packages"
    assert time.perf_counter() - started < 5  # it refuses before working out anything
    assert len(lines) * len(packages) > MAX_PAIRS


def test_issue10_item9_optimal_refuses_more_lines_than_its_limit() -> None:
    lines = [Line(f"l{i}", "daycare_full", usd("30")) for i in range(MAX_OPTIMAL_LINES + 1)]
    with pytest.raises(InvalidValueError, match="at most 1000 lines"):
        apply(cart(*lines), [], as_of=AT, timezone=TZ, policy=Policy(line_order="optimal"))


def test_issue10_item9_optimal_refuses_more_work_than_its_limit_quickly() -> None:
    # Every line may take a credit of every package: lines x offers beyond the bound.
    lines = [Line(f"l{i}", "daycare_full", usd(str(30 + i % 7))) for i in range(1000)]
    packages = [package(f"p{j}", remaining=1) for j in range(6)]
    assert len(lines) * len(lines) * len(packages) > MAX_OPTIMAL_WORK
    started = time.perf_counter()
    with pytest.raises(InvalidValueError, match="lines x offers") as err:
        apply(cart(*lines), packages, as_of=AT, timezone=TZ, policy=Policy(line_order="optimal"))
    assert err.value.field == "line_order"
    assert time.perf_counter() - started < 5


def test_issue10_item9_optimal_at_its_limit_is_answered() -> None:
    # 1,000 lines competing for 950 credits of 5 packages: the worst shape measured, at the bound.
    lines = [Line(f"l{i}", "daycare_full", usd(str(10 + i))) for i in range(1000)]
    packages = [package(f"p{j}", components=[Component("daycare_full", 190)]) for j in range(5)]
    assert len(lines) * len(lines) * len(packages) <= MAX_OPTIMAL_WORK
    result = apply(
        cart(*lines), packages, as_of=AT, timezone=TZ, policy=Policy(line_order="optimal")
    )
    # The 950 dearest lines are covered.
    assert result.covered == usd(str(sum(10 + i for i in range(50, 1000))))
