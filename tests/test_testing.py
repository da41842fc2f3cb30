"""punchcard.testing: every strategy draws valid values, options only when asked, scenarios always
apply, the invariant checks catch broken results and ledgers, the docs example runs, and
``import punchcard`` does not import Hypothesis."""

from __future__ import annotations

import datetime as dt
import inspect
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import HealthCheck, Phase, find, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisWarning

import punchcard
from punchcard import Application, Cart, Component, Line, Money, Package, Policy, Settings, testing
from punchcard.lifecycle import (
    EVENT_TYPES,
    BalanceRedeemed,
    Catalogue,
    DebtSettled,
    LateCancel,
    PackageExpired,
    PackagePurchased,
    PackageType,
    RedemptionRecorded,
    RedemptionUsed,
    SubscriptionRenewed,
    TypeComponent,
    replay,
)
from punchcard.rules import DEFAULT_RULES
from punchcard.testing import (
    BENEFICIARIES,
    CURRENCIES,
    GREEDY_LINE_ORDERS,
    HOURLY_ITEMS,
    ITEMS,
    LINE_ORDERS,
    LOCATIONS,
    TIMEZONES,
    Ledger,
    Scenario,
    assert_application_invariants,
    assert_ledger_conserved,
    carts,
    components,
    currencies,
    ledgers,
    lines,
    moments,
    money,
    package_types,
    packages,
    policies,
    rates,
    scenarios,
    settings,
    zones,
)

ROOT = Path(__file__).resolve().parents[1]
UTC = dt.timezone.utc
NY = ZoneInfo("America/New_York")
#: A modest number of examples per property (fewer under the ``fast`` profile): the fast suite
#: must stay quick.
FEW = hsettings(
    max_examples=min(hsettings.default.max_examples, 10),
    suppress_health_check=[HealthCheck.too_slow],
)
#: For the invariants of whole checkouts.
SOME = hsettings(FEW, max_examples=min(hsettings.default.max_examples, 20))
#: For :func:`hypothesis.find`: the same search on every run, and the first value found (no
#: shrinking: only whether one is reachable matters).
SEARCH = hsettings(max_examples=2_000, derandomize=True, database=None, phases=[Phase.generate])
#: The market options of a package (semantics X) and their defaults.
PACKAGE_OPTIONS = {
    "priority": 50,
    "valid_from": None,
    "valid_for": None,
    "pauses": (),
    "balance": None,
    "items": None,
    "version": 0,
}


def reachable(strategy: st.SearchStrategy[Any], condition: Callable[[Any], bool]) -> Any:
    """A value of *strategy* meeting *condition* (fails when a deterministic search finds none).

    ``find`` writes the repr of the value it found; a long ledger's passes Hypothesis's 30 kB
    warning line, which says nothing about the search."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Generating overly large repr", HypothesisWarning)
        return find(strategy, condition, settings=SEARCH)


# -- Hypothesis is imported only by punchcard.testing ---------------------------------------------


_IMPORTS = """
import importlib, pkgutil, sys

def hypothesis_loaded():
    return any(name.split(".")[0] == "hypothesis" for name in sys.modules)

import punchcard
print(hypothesis_loaded())
for module in pkgutil.walk_packages(punchcard.__path__, "punchcard."):
    if module.name not in ("punchcard.testing", "punchcard.__main__"):
        importlib.import_module(module.name)
print(hypothesis_loaded())
import punchcard.testing
print(hypothesis_loaded())
"""


def test_import_punchcard_does_not_import_hypothesis() -> None:
    """Neither ``import punchcard`` nor any module but punchcard.testing imports Hypothesis;
    punchcard.testing does (so the check can fail)."""
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.split() == ["False", "False", "True"]


def test_the_testing_extra_names_hypothesis() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^testing = \["hypothesis>=6\.90"\]$', pyproject, re.MULTILINE)


# -- small values ---------------------------------------------------------------------------------


@FEW
@given(data=st.data(), currency=st.sampled_from(CURRENCIES), low=st.integers(0, 50))
def test_money_in_its_currency_and_bounds(data: st.DataObject, currency: str, low: int) -> None:
    amount = data.draw(money(currency=currency, min_minor=low, max_minor=low + 100))
    assert amount.currency == currency
    assert low <= amount.minor <= low + 100


@FEW
@given(code=currencies(), zone=zones(), few=currencies(codes=("EUR",)))
def test_currencies_and_zones(code: str, zone: str, few: str) -> None:
    assert code in CURRENCIES
    assert zone in TIMEZONES
    assert few == "EUR"
    ZoneInfo(zone)
    Money.zero(code)


def _exists(wall: dt.datetime, tz: ZoneInfo) -> bool:
    """Whether the naive local *wall* time exists in *tz* (is not skipped by a clock change)."""
    return wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall


@FEW
@given(data=st.data(), zone=zones(), naive=st.sampled_from((True, False, None)))
def test_moments_exist_in_their_form_and_range(
    data: st.DataObject, zone: str, naive: bool | None
) -> None:
    tz = ZoneInfo(zone)
    first, last = dt.date(2026, 3, 1), dt.date(2026, 11, 30)
    moment = data.draw(moments(timezone=zone, naive=naive, min_date=first, max_date=last))
    if naive is True:
        assert moment.tzinfo is None
    if naive is False:
        assert moment.tzinfo is not None
    if moment.tzinfo is None:
        assert _exists(moment, tz)
        local = moment
    else:
        local = moment.astimezone(tz)
    assert first <= local.date() <= last


def test_moments_reach_the_neighbourhoods_of_clock_changes() -> None:
    """The hour skipped and the hour repeated are drawn: just after the gap, the second
    occurrence of a repeated time (aware, since naive means the first), and naive times of the
    repeated hour."""
    spring = dt.datetime(2026, 3, 8, 7, tzinfo=UTC)  # 02:00 EST -> 03:00 EDT
    fall = dt.datetime(2026, 11, 1, 6, tzinfo=UTC)  # 02:00 EDT -> 01:00 EST
    after_gap = reachable(
        moments(naive=False),
        lambda m: spring <= m < spring + dt.timedelta(minutes=30),
    )
    assert after_gap.astimezone(NY).hour == 3
    second = reachable(
        moments(naive=False),
        lambda m: fall <= m < fall + dt.timedelta(hours=1),
    )
    assert second.astimezone(NY).fold == 1
    repeated = reachable(
        moments(naive=True),
        lambda m: m.date() == dt.date(2026, 11, 1) and m.hour == 1,
    )
    assert repeated.tzinfo is None
    sydney_change = dt.datetime(2026, 10, 3, 16, tzinfo=UTC)  # 02:00 AEST -> 03:00 AEDT
    sydney = reachable(
        moments(timezone="Australia/Sydney", naive=False),
        lambda m: sydney_change <= m < sydney_change + dt.timedelta(minutes=30),
    )
    assert sydney.astimezone(ZoneInfo("Australia/Sydney")).hour == 3


@FEW
@given(
    free=settings(),
    fixed=settings(any_type=True, greater_value=True, any_location=False),
)
def test_settings_valid_and_fixed_switches_kept(free: Settings, fixed: Settings) -> None:
    assert not free.greater_value or free.any_type
    assert (fixed.any_type, fixed.greater_value, fixed.any_location) == (True, True, False)


def test_settings_refuses_an_impossible_fix() -> None:
    with pytest.raises(punchcard.SettingsError):
        find(settings(any_type=False, greater_value=True), lambda s: True, settings=SEARCH)


# -- policies -------------------------------------------------------------------------------------


@FEW
@given(policy=policies())
def test_policies_plain_by_default(policy: Policy) -> None:
    assert policy.line_order.name in GREEDY_LINE_ORDERS
    assert policy.package_order.name in ("fifo", "earliest_expiry")
    assert policy.rules == DEFAULT_RULES
    assert policy.expiry == "end_of_day"


@FEW
@given(policy=policies(line_orders=LINE_ORDERS, custom=True, options=True))
def test_policies_with_everything_are_valid(policy: Policy) -> None:
    assert policy.compile().policy == policy
    codes = [rule.code for rule in policy.rules]
    assert len(set(codes)) == len(codes)
    assert [c for c in codes if not c.startswith("custom_")] == [r.code for r in DEFAULT_RULES]


def test_policies_draw_custom_parts_and_options_when_asked() -> None:
    assert reachable(policies(line_orders=LINE_ORDERS), lambda p: p.line_order.name == "optimal")
    custom = policies(custom=True)
    assert reachable(custom, lambda p: len(p.rules) > len(DEFAULT_RULES))
    assert reachable(custom, lambda p: p.package_order.name == "fewest_credits_first")
    assert reachable(custom, lambda p: p.line_order.name == "last_line_first")
    assert reachable(policies(options=True), lambda p: p.expiry == "elapsed")


# -- components and packages ----------------------------------------------------------------------


def _plain(component: Component) -> bool:
    return not component.items and not component.substitutes and component.overdraft == 0


@FEW
@given(parts=components(items=ITEMS[:3], max_components=2, max_credits=2))
def test_components_plain_by_default(parts: tuple[Component, ...]) -> None:
    assert 1 <= len(parts) <= 2
    assert len({c.item for c in parts}) == len(parts)
    for c in parts:
        assert _plain(c)
        assert c.item in ITEMS[:3]
        assert 0 <= c.remaining <= 2


@FEW
@given(parts=components(options=True))
def test_components_with_options_are_valid(parts: tuple[Component, ...]) -> None:
    # A package would refuse an item paid by two components: it takes them.
    Package(id="p", owner="o", purchased_at=dt.datetime(2026, 1, 1), components=parts)
    for c in parts:
        assert c.remaining >= -c.overdraft


def test_components_draw_every_option_when_asked() -> None:
    with_options = components(options=True)
    assert reachable(with_options, lambda cs: any(c.is_pool for c in cs))
    assert reachable(with_options, lambda cs: any(c.substitutes for c in cs))
    assert reachable(with_options, lambda cs: any(c.remaining < 0 for c in cs))
    assert reachable(components(), lambda cs: any(c.hourly != (c.item in HOURLY_ITEMS) for c in cs))


_AT = dt.datetime(2026, 3, 8, 1, 30)


def _options_of(package: Package) -> dict[str, Any]:
    return {name: getattr(package, name) for name in PACKAGE_OPTIONS}


@FEW
@given(drawn=packages(at=_AT, owner="ann", other_owners=("bob",), items=("x", "y")))
def test_packages_without_options_use_only_the_seeds_fields(drawn: list[Package]) -> None:
    assert sorted(p.id for p in drawn) == sorted(f"p{i}" for i in range(len(drawn)))
    for p in drawn:
        assert _options_of(p) == PACKAGE_OPTIONS
        assert all(_plain(c) for c in p.components)
        assert p.owner in ("ann", "bob")
        assert p.location in (None, *LOCATIONS)
        assert p.beneficiary in (None, *BENEFICIARIES)
        assert {c.item for c in p.components} <= {"x", "y"}


@FEW
@given(drawn=packages(at=_AT, currency="JPY", options=True, min_size=1))
def test_packages_with_options_are_valid(drawn: list[Package]) -> None:
    for p in drawn:
        if p.balance is not None:
            assert p.balance.currency == "JPY"
            assert not p.components
        assert p.valid_for is None or p.days_to_expiration is None


def test_packages_draw_every_option_when_asked() -> None:
    with_options = packages(at=_AT, options=True, min_size=1, max_size=2)
    for name, default in PACKAGE_OPTIONS.items():
        if name == "version":
            continue  # a ledger position, set by the store, not a market option
        assert reachable(
            with_options, lambda ps, n=name, d=default: any(getattr(p, n) != d for p in ps)
        )
    assert reachable(with_options, lambda ps: any(c.is_pool for p in ps for c in p.components))


# -- lines, carts, rates --------------------------------------------------------------------------


@FEW
@given(drawn=lines(currency="BHD", items=("x", "walk"), min_size=1, max_size=3, max_units=2))
def test_lines(drawn: list[Line]) -> None:
    assert 1 <= len(drawn) <= 3
    assert len({line.id for line in drawn}) == len(drawn)
    for line in drawn:
        assert line.unit_price.currency == "BHD"
        assert 1 <= line.units <= 2
        assert line.item in ("x", "walk")


@FEW
@given(cart=carts(currency="JPY", owner="ann", max_lines=2), table=rates(items=("x",)))
def test_carts_and_rates(cart: Cart, table: punchcard.Rates) -> None:
    assert (cart.owner, cart.currency) == ("ann", "JPY")
    assert cart.location in LOCATIONS
    assert len(cart.lines) <= 2
    for location, item, amount in table.entries:
        assert (location in LOCATIONS, item, amount.currency) == (True, "x", "USD")


# -- scenarios: they always apply, and the engine keeps the invariants ----------------------------


def _holds(scenario: Scenario) -> Application:
    result = scenario.apply()
    assert_application_invariants(
        scenario.cart,
        scenario.packages,
        result,
        settings=scenario.settings,
        policy=scenario.policy,
    )
    return result


@SOME
@given(scenario=scenarios())
def test_scenarios_apply_and_keep_the_invariants(scenario: Scenario) -> None:
    assert all(_options_of(p) == PACKAGE_OPTIONS for p in scenario.packages)
    assert scenario.policy.rules == DEFAULT_RULES
    result = _holds(scenario)
    direct = punchcard.apply(scenario.cart, scenario.packages, **scenario.kwargs())
    assert direct == result


@SOME
@given(scenario=scenarios(options=True, custom=True))
def test_scenarios_with_options_and_custom_policies_keep_the_invariants(
    scenario: Scenario,
) -> None:
    _holds(scenario)


@SOME
@given(scenario=scenarios(options=True, line_orders=("optimal",), max_lines=3, max_packages=3))
def test_optimal_with_options_keeps_the_invariants(scenario: Scenario) -> None:
    _holds(scenario)


def _drew_debt(scenario: Scenario) -> bool:
    """Whether the checkout took a component below zero (an overdraft, semantics X8)."""
    result = scenario.apply()
    return any(
        after.remaining < 0 and after.remaining < before.remaining
        for package, new in zip(scenario.packages, result.packages, strict=True)
        for before, after in zip(package.components, new.components, strict=True)
    )


def test_scenarios_redeem_credits_stored_value_and_overdrafts() -> None:
    """Not vacuous: drawn checkouts take credits, and with options stored value and debt too."""
    assert reachable(scenarios(), lambda s: s.apply().redemptions)
    # (In one currency and zone: the searches are shorter.)
    usd_utc = scenarios(options=True, currency="USD", timezone="UTC")
    assert reachable(usd_utc, lambda s: any(r.item is None for r in s.apply().redemptions))
    assert reachable(usd_utc, _drew_debt)


# -- the invariant checks catch broken results ----------------------------------------------------


@attrs.frozen
class Forged:
    """What :func:`assert_application_invariants` reads of a result, free to be broken."""

    currency: str
    owner: str
    at: dt.datetime
    total: Money
    covered: Money
    due: Money
    lines: tuple[punchcard.LineResult, ...]
    redemptions: tuple[punchcard.Redemption, ...]
    events: tuple[Any, ...]
    packages: tuple[Package, ...]

    @classmethod
    def of(cls, result: Application) -> Forged:
        return cls(
            **{field.name: getattr(result, field.name) for field in attrs.fields(cls)},
        )


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def _pass(**changes: Any) -> Package:
    fields: dict[str, Any] = {
        "id": "p1",
        "owner": "smith",
        "purchased_at": dt.datetime(2026, 1, 5, 10),
        "components": [Component("daycare_full", 2)],
    }
    return Package(**{**fields, **changes})


_CART = Cart("smith", "downtown", "USD", [Line("l1", "daycare_full", usd("30"), units=3)])
_WHEN = dt.datetime(2026, 3, 2, 9)


def _checkout(
    cart: Cart = _CART, package: Package | None = None, **kwargs: Any
) -> tuple[list[Package], Forged]:
    packages = [package or _pass()]
    result = punchcard.apply(cart, packages, as_of=_WHEN, timezone="America/New_York", **kwargs)
    assert_application_invariants(
        cart, packages, result, settings=kwargs.get("settings", Settings())
    )
    assert result.redemptions
    return packages, Forged.of(result)


def _more(result: Forged, *, credits: int, amount: str, remaining: int) -> Forged:
    """*result* with its one redemption, line and event taking *credits* for *amount*, and the
    package left with *remaining* credits."""
    [r] = result.redemptions
    [line] = result.lines
    [event] = result.events
    [package] = result.packages
    covered = usd(amount)
    return attrs.evolve(
        result,
        covered=covered,
        due=result.total - covered,
        redemptions=(attrs.evolve(r, credits=credits, amount=covered),),
        lines=(attrs.evolve(line, credits=credits, covered=covered, due=line.total - covered),),
        events=(attrs.evolve(event, credits=credits, amount=covered),),
        packages=(
            attrs.evolve(
                package,
                components=[attrs.evolve(package.components[0], remaining=remaining)],
            ),
        ),
    )


def _raises(invariant: str, cart: Cart, packages: list[Package], result: Any, **kw: Any) -> str:
    with pytest.raises(AssertionError, match=f"^{invariant}: ") as info:
        assert_application_invariants(cart, packages, result, **kw)
    return str(info.value)


def test_catches_a_component_below_zero() -> None:
    """A package value cannot hold fewer credits than its overdraft allows, but events can take
    more than there were: replaying them is what shows it."""
    packages, result = _checkout()
    broken = _more(result, credits=3, amount="90", remaining=0)
    message = _raises("invariant 1", _CART, packages, broken)
    assert "'daycare_full' goes to -1, below -0" in message
    # With an overdraft of one, the same result is sound.
    overdraft = [_pass(components=[Component("daycare_full", 2, overdraft=1)])]
    after = _pass(components=[Component("daycare_full", -1, overdraft=1)])
    assert_application_invariants(_CART, overdraft, attrs.evolve(broken, packages=(after,)))


def test_catches_more_credits_than_units() -> None:
    cart = attrs.evolve(_CART, lines=[attrs.evolve(_CART.lines[0], units=1)])
    packages, result = _checkout(cart)
    broken = _more(result, credits=2, amount="30", remaining=0)
    assert "has 1 units" in _raises("invariant 2", cart, packages, broken)


def test_catches_credits_taking_off_unequal_amounts() -> None:
    packages, result = _checkout()
    broken = _more(result, credits=2, amount="59.99", remaining=0)
    assert "unevenly" in _raises("invariant 2", _CART, packages, broken)


def test_catches_a_credit_worth_more_than_the_unit_price() -> None:
    packages, result = _checkout()
    broken = _more(result, credits=2, amount="62", remaining=0)
    assert "more than the unit price" in _raises("invariant 3", _CART, packages, broken)


def test_catches_a_line_result_that_does_not_add_up() -> None:
    packages, result = _checkout()
    [line] = result.lines
    broken = attrs.evolve(result, lines=(attrs.evolve(line, due=line.due + usd("1")),))
    _raises("invariant 3", _CART, packages, broken)
    broken = attrs.evolve(result, due=result.due - usd("1"))
    _raises("invariant 3", _CART, packages, broken)


def test_catches_another_owners_package() -> None:
    packages, result = _checkout()
    theirs = [attrs.evolve(packages[0], owner="jones")]
    assert "of 'jones' paid for the cart of 'smith'" in _raises(
        "invariant 4", _CART, theirs, result
    )


def test_catches_another_locations_package_unless_any_location() -> None:
    uptown = _pass(location="uptown")
    packages, result = _checkout(package=uptown, settings=Settings(any_location=True))
    assert "with any_location off" in _raises("invariant 4", _CART, packages, result)
    assert_application_invariants(_CART, packages, result, settings=Settings(any_location=True))


def test_catches_a_cross_item_credit_unless_any_type() -> None:
    boarding = _pass(components=[Component("boarding", 2)])
    on = Settings(any_type=True, greater_value=True)
    rates = {"downtown": {"boarding": usd("30")}}
    packages, result = _checkout(package=boarding, settings=on, rates=rates)
    assert "with any_type off" in _raises("invariant 4", _CART, packages, result)
    assert_application_invariants(_CART, packages, result, settings=on)
    # A policy without rule R6 does not promise it.
    without = Policy(rules=[r for r in DEFAULT_RULES if r.code != "type_mismatch"])
    assert_application_invariants(_CART, packages, result, policy=without)


def test_catches_a_credit_on_a_zero_price_line() -> None:
    free = Cart("smith", "downtown", "USD", [Line("l1", "daycare_full", usd("0"))])
    on = Settings(zero_price_items=True)
    packages, result = _checkout(free, settings=on)
    assert "a $0 line took" in _raises("invariant 5", free, packages, result)


def test_catches_balances_that_replaying_the_events_does_not_give() -> None:
    packages, result = _checkout()
    [package] = result.packages
    kept = attrs.evolve(package, components=[attrs.evolve(package.components[0], remaining=2)])
    message = _raises("invariant 8", _CART, packages, attrs.evolve(result, packages=(kept,)))
    assert "replaying the events gives 0" in message
    _raises("invariant 8", _CART, packages, attrs.evolve(result, events=()))
    [event] = result.events
    wrong = attrs.evolve(event, line_id="l9")
    _raises("invariant 8", _CART, packages, attrs.evolve(result, events=(wrong,)))


def test_catches_a_result_of_other_inputs() -> None:
    packages, result = _checkout()
    _raises("result", _CART, [*packages, _pass(id="p2")], result)
    other = attrs.evolve(_CART, lines=[Line("l2", "daycare_full", usd("30"))])
    _raises("result", other, packages, result)


_BREAKS: dict[str, Callable[[Forged], Forged]] = {
    "one more credit": lambda f: attrs.evolve(
        f,
        redemptions=(
            attrs.evolve(f.redemptions[0], credits=f.redemptions[0].credits + 1),
            *f.redemptions[1:],
        ),
    ),
    "an event lost": lambda f: attrs.evolve(f, events=f.events[1:]),
    "a cent more covered": lambda f: attrs.evolve(
        f, covered=f.covered + Money.from_minor(1, f.currency)
    ),
    "a package dropped": lambda f: attrs.evolve(f, packages=f.packages[1:]),
    "the balance untouched": lambda f: attrs.evolve(
        f, packages=tuple(_given_back(p, f.redemptions[0]) for p in f.packages)
    ),
}


def _given_back(after: Package, r: punchcard.Redemption) -> Package:
    """*after* with the credits (or money) of *r* given back, if *r* took them from it."""
    if after.id != r.package_id:
        return after
    if r.item is None:
        assert after.balance is not None
        return attrs.evolve(after, balance=after.balance + r.amount)
    return attrs.evolve(
        after,
        components=[
            attrs.evolve(c, remaining=c.remaining + r.credits) if c.item == r.item else c
            for c in after.components
        ],
    )


@FEW
@given(scenario=scenarios(options=True), kind=st.sampled_from(sorted(_BREAKS)))
def test_catches_any_of_these_breaks_of_a_drawn_result(scenario: Scenario, kind: str) -> None:
    result = scenario.apply()
    if not result.redemptions:
        return  # nothing to break; test_scenarios_redeem_credits_stored_value_and_overdrafts
    broken = _BREAKS[kind](Forged.of(result))
    with pytest.raises(AssertionError):
        assert_application_invariants(
            scenario.cart,
            scenario.packages,
            broken,  # type: ignore[arg-type]
            settings=scenario.settings,
            policy=scenario.policy,
        )


# -- ledgers --------------------------------------------------------------------------------------


@FEW
@given(ledger=ledgers())
def test_ledgers_replay_to_their_state_and_conserve_credits(ledger: Ledger) -> None:
    assert replay(ledger.events) == ledger.state
    assert_ledger_conserved(ledger.state)
    assert isinstance(ledger.events[0], PackagePurchased)
    assert all(type(e) in EVENT_TYPES.values() for e in ledger.events)
    assert ledger.as_of.tzinfo is not None
    for package in ledger.state:
        assert package.type_id in ledger.catalogue
        assert package.timezone == ledger.timezone


@FEW
@given(
    ledger=ledgers(
        operations=("purchase", "checkout"),
        timezone="Europe/London",
        settings=Settings(),
        max_steps=6,
    )
)
def test_ledgers_run_only_the_operations_asked(ledger: Ledger) -> None:
    # Beside the purchases and checkouts, what a checkout records as already true (catch-up),
    # and with the market options a checkout's money of stored value and a purchase's debt
    # settled (issue 12).
    caught_up = {PackageExpired, SubscriptionRenewed, RedemptionUsed}
    options = {BalanceRedeemed, DebtSettled}
    allowed = {PackagePurchased, RedemptionRecorded, *caught_up, *options}
    assert {type(e) for e in ledger.events} <= allowed
    assert ledger.timezone == "Europe/London"
    assert ledger.settings == Settings()
    assert_ledger_conserved(ledger.state)


#: The operations that lead to each kind of event (with purchases and bookings before them).
_LEADING_TO: dict[str, tuple[str, ...]] = {
    "package_purchased": (),
    "credits_redeemed": ("checkout",),
    "redemption_used": ("hold", "use"),
    "redemption_cancelled": ("checkout", "cancel"),
    "package_refunded": ("refund",),
    "credits_assigned": ("assign",),
    "credits_deducted": ("deduct",),
    "expiry_changed": ("edit_expiry",),
    "package_expired": ("expire",),
    "subscription_renewed": ("renew",),
    "package_deleted": ("delete",),
    # the market options (issue 12)
    "balance_redeemed": ("checkout",),
    "balance_used": ("hold", "use"),
    "balance_cancelled": ("checkout", "cancel"),
    "debt_settled": ("checkout",),
    "package_paused": ("pause",),
    "pause_ended": ("pause", "unpause"),
    # the lifecycle options of issue 12 (1, 11-13, 16)
    "redemption_forfeited": ("hold", "cancel", "no_show"),
    "balance_forfeited": ("hold", "cancel", "no_show"),
    "cancellation_fee": ("hold", "cancel", "no_show"),
    "credits_transferred_out": ("transfer",),
    "credits_transferred_in": ("transfer",),
    "beneficiary_changed": ("change_beneficiary",),
    "renewal_date_set": ("set_renewal",),
    "renewal_stopped": ("stop_renewal",),
    "countdown_reset": ("hold", "cancel"),
}


def test_every_event_kind_the_lifecycle_records_is_reached() -> None:
    assert set(_LEADING_TO) == set(EVENT_TYPES)


#: The business's terms or the catalogue some kinds need, given rather than drawn, so that the
#: search stays short (issue 12: the forfeits of option 1, a debt settled, the countdown reset of
#: option 16).
_FORFEITS = LateCancel(window=dt.timedelta(days=5), no_show="forfeit")
_GIVEN: dict[str, dict[str, Any]] = {
    "redemption_forfeited": {"late_cancel": _FORFEITS},
    "balance_forfeited": {
        "late_cancel": _FORFEITS,
        "catalogue": Catalogue(
            [
                PackageType(
                    id="card",
                    name="Card",
                    price=Money("90.00", "USD"),
                    value=Money("100.00", "USD"),
                )
            ]
        ),
    },
    "debt_settled": {
        "catalogue": Catalogue(
            [
                PackageType(
                    id="tab",
                    name="1 day, 2 on the tab",
                    components=[TypeComponent("daycare_full", 1, overdraft=2)],
                    price=Money("30.00", "USD"),
                )
            ]
        ),
    },
    "countdown_reset": {
        "countdown_reset": True,
        "catalogue": Catalogue(
            [
                PackageType(
                    id="fu",
                    name="5 days from the first use",
                    components=[TypeComponent("daycare_full", 5)],
                    price=Money("100.00", "USD"),
                    days_to_expiration=10,
                    expiry_starts="first_use",
                )
            ]
        ),
    },
}


@pytest.mark.parametrize("kind", sorted(_LEADING_TO))
def test_ledgers_reach_every_event_kind(kind: str) -> None:
    wanted = EVENT_TYPES[kind]
    found = reachable(
        ledgers(operations=("purchase", *_LEADING_TO[kind]), **_GIVEN.get(kind, {})),
        lambda led: any(type(e) is wanted for e in led.events),
    )
    assert replay(found.events) == found.state


def test_ledgers_refuse_an_unknown_operation() -> None:
    with pytest.raises(ValueError, match="unknown \\['sell'\\]"):
        find(ledgers(operations=("purchase", "sell")), lambda led: True, settings=SEARCH)


@FEW
@given(ptype=package_types(type_id="t9", currency="BHD", items=("x",)))
def test_package_types(ptype: Any) -> None:
    assert ptype.id == "t9"
    assert ptype.price.currency == "BHD"
    # one component of "x" (maybe with an overdraft), or a stored value (issue 12 option 10)
    assert [c.item for c in ptype.components] == ([] if ptype.value else ["x"])
    assert ptype.subscription is None or ptype.days_to_expiration is None


def _ledger() -> Ledger:
    return reachable(
        ledgers(operations=("purchase", "hold")),
        lambda led: any(c.held for p in led.state for c in p.components),
    )


def test_conservation_catches_a_leak_a_negative_bucket_and_untracked_holds() -> None:
    state = _ledger().state
    assert_ledger_conserved(state)
    package = next(p for p in state if any(c.held for c in p.components))
    index = next(i for i, c in enumerate(package.components) if c.held)
    component = package.components[index]

    def with_component(**changes: Any) -> list[Any]:
        components = list(package.components)
        components[index] = attrs.evolve(component, **changes)
        return [attrs.evolve(package, components=components)]

    with pytest.raises(AssertionError, match="granted"):
        assert_ledger_conserved(with_component(granted=component.granted + 1))
    with pytest.raises(AssertionError, match="used is -1"):
        assert_ledger_conserved(
            with_component(used=-1, remaining=component.remaining + component.used + 1)
        )
    # Held credits that no held redemption accounts for.
    moved = with_component(held=component.held - 1, remaining=component.remaining + 1)
    with pytest.raises(AssertionError, match="held redemptions hold"):
        assert_ledger_conserved(moved)


# -- the docs page --------------------------------------------------------------------------------


def _python_blocks(page: Path) -> list[str]:
    """The ``python`` blocks of *page* that are not doctests (a doctest block is run by
    pytest's ``--doctest-glob``)."""
    text = page.read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
    return [block for block in blocks if ">>>" not in block]


def test_the_docs_example_runs() -> None:
    """docs/testing.md shows a host's own tests; they run here as written."""
    blocks = _python_blocks(ROOT / "docs" / "testing.md")
    assert blocks
    ran = []
    for block in blocks:
        namespace: dict[str, Any] = {"__name__": "docs_testing"}
        exec(compile(block, "docs/testing.md", "exec"), namespace)
        for name, value in namespace.items():
            if name.startswith("test_") and callable(value):
                value()
                ran.append(name)
    assert ran


def test_the_docs_table_lists_every_strategy_with_real_parameters() -> None:
    """Each row of the strategies table of docs/testing.md names a strategy of punchcard.testing
    and parameters it has; every strategy has a row."""
    text = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)\(\)` \| [^|]+ \| ([^|]*) \|$", text, re.MULTILINE)
    strategies = {
        name for name in testing.__all__ if name.islower() and not name.startswith("assert_")
    }
    assert {name for name, _params in rows} == strategies
    for name, params in rows:
        listed = set(re.findall(r"`(\w+)`", params))
        real = set(inspect.signature(getattr(testing, name)).parameters)
        assert listed - {"True", "False", "None", "LINE_ORDERS", "optimal"} <= real, name
