"""Hypothesis strategies for punchcard's domain: money, packages, lines, carts, whole checkouts.

Every strategy is a keyword-only ``@st.composite`` function, so a test says what it varies::

    @given(scenario=scenarios(currency="JPY"))
    def test_something(scenario):
        result = scenario.apply()

Values are drawn from small pools (two owners, two locations, three pets, a handful of items) so
that packages and lines meet often: a strategy whose owners never match the cart tests nothing.
Times are drawn around the days clocks change in the chosen zone, and every naive local time it
produces exists (a skipped local time is an input error, tested on its own elsewhere).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st

import punchcard
from punchcard import Cart, Component, Line, Money, Package, Policy, Rates, Settings
from punchcard.expiry import EXPIRY_MODES
from punchcard.models import (
    CHARGE_BY,
    DURATION_UNITS,
    ChargeBy,
    Duration,
    DurationUnit,
    ExpiryStarts,
    Pause,
)

__all__ = [
    "BENEFICIARIES",
    "CURRENCIES",
    "HOURLY_ITEMS",
    "ITEMS",
    "LOCATIONS",
    "OWNERS",
    "TIMEZONES",
    "Scenario",
    "carts",
    "checkout_times",
    "components",
    "currencies",
    "lines",
    "money",
    "option_scenarios",
    "optioned_packages",
    "packages",
    "policies",
    "rate_tables",
    "scenarios",
    "settings",
]

OWNERS: tuple[str, ...] = ("smith", "jones")
LOCATIONS: tuple[str, ...] = ("downtown", "uptown")
BENEFICIARIES: tuple[str, ...] = ("rex", "bella", "milo")
#: Items sold by the day, the night or each; ``walk`` is sold by the hour.
ITEMS: tuple[str, ...] = ("daycare_full", "daycare_half", "boarding", "grooming", "walk")
HOURLY_ITEMS: frozenset[str] = frozenset({"walk"})
#: USD (2 minor units), JPY (0) and BHD (3).
CURRENCIES: tuple[str, ...] = ("USD", "JPY", "BHD")
#: Zones with DST in either hemisphere, and two without.
TIMEZONES: tuple[str, ...] = (
    "America/New_York",
    "Australia/Sydney",
    "Europe/London",
    "Asia/Tokyo",
    "UTC",
)
# The days clocks change in 2026 (and a few plain days) in each zone.
_INTERESTING_DAYS: dict[str, tuple[dt.date, ...]] = {
    "America/New_York": (dt.date(2026, 3, 8), dt.date(2026, 11, 1)),
    "Australia/Sydney": (dt.date(2026, 4, 5), dt.date(2026, 10, 4)),
    "Europe/London": (dt.date(2026, 3, 29), dt.date(2026, 10, 25)),
    "Asia/Tokyo": (dt.date(2026, 1, 1),),
    "UTC": (dt.date(2026, 2, 28),),
}
_UTC = dt.timezone.utc
_BOOLEANS = st.booleans()
_ONE_IN_TEN = st.integers(0, 9).map(lambda n: n == 0)
_DAILY_CHARGES: st.SearchStrategy[ChargeBy] = st.sampled_from(("each", "day", "night"))
_ANY_CHARGE: st.SearchStrategy[ChargeBy] = st.sampled_from(CHARGE_BY)
_FORMS = st.sampled_from(("naive", "local", "utc"))


@st.composite
def currencies(draw: st.DrawFn) -> str:
    """A currency code: USD, JPY or BHD (2, 0 and 3 minor units)."""
    return draw(st.sampled_from(CURRENCIES))


@st.composite
def money(
    draw: st.DrawFn, *, currency: str = "USD", min_minor: int = 0, max_minor: int = 10_000
) -> Money:
    """An amount of *currency* between *min_minor* and *max_minor* minor units, zero included."""
    return Money.from_minor(draw(st.integers(min_minor, max_minor)), currency)


def _exists(naive: dt.datetime, tz: ZoneInfo) -> bool:
    local = naive.replace(tzinfo=tz, fold=0)
    return local.astimezone(_UTC).astimezone(tz).replace(tzinfo=None) == naive


def _as_given(draw: st.DrawFn, instant: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """*instant* as a caller might pass it: naive local, aware local, or aware UTC."""
    form = draw(_FORMS)
    local = instant.astimezone(tz)
    if form == "naive":
        naive = local.replace(tzinfo=None)
        # A naive time in the repeated hour means its first occurrence: keep the instant only if
        # that is what it was, else give it aware.
        if naive.replace(tzinfo=tz, fold=0).astimezone(_UTC) == instant.astimezone(_UTC):
            return naive
        return local
    if form == "local":
        return local
    return instant.astimezone(_UTC)


@st.composite
def checkout_times(draw: st.DrawFn, *, timezone: str = "America/New_York") -> dt.datetime:
    """A checkout time in *timezone*, often on a day its clocks change, naive or aware."""
    tz = ZoneInfo(timezone)
    days = _INTERESTING_DAYS.get(timezone, ())
    day = draw(
        st.one_of(
            st.sampled_from(days) if days else st.nothing(),
            st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        )
    )
    naive = dt.datetime.combine(day, dt.time(draw(st.integers(0, 23)), draw(st.integers(0, 59))))
    if not _exists(naive, tz):
        naive += dt.timedelta(hours=1)
    fold = draw(st.sampled_from((0, 1)))
    instant = naive.replace(tzinfo=tz, fold=fold).astimezone(_UTC)
    return _as_given(draw, instant, tz)


def _instant(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    if moment.tzinfo is not None:
        return moment.astimezone(_UTC)
    return moment.replace(tzinfo=tz, fold=0).astimezone(_UTC)


@st.composite
def components(
    draw: st.DrawFn, *, items: Sequence[str] = ITEMS, max_components: int = 3, max_credits: int = 4
) -> tuple[Component, ...]:
    """The components of one package: 1 to *max_components* distinct items, 0+ credits each.

    Hourly items get hourly credits, mostly; now and then a flag is flipped to meet rule R7.
    """
    chosen = draw(
        st.lists(st.sampled_from(items), min_size=1, max_size=max_components, unique=True)
    )
    # Some credits left mostly; none left now and then (rule R11).
    credits_st = st.one_of(st.integers(1, max_credits), st.integers(0, max_credits))
    out = []
    for item in chosen:
        hourly = item in HOURLY_ITEMS
        if draw(_ONE_IN_TEN):
            hourly = not hourly
        out.append(Component(item, draw(credits_st), hourly=hourly))
    return tuple(out)


@st.composite
def packages(
    draw: st.DrawFn,
    *,
    at: dt.datetime,
    timezone: str = "America/New_York",
    owners: Sequence[str] = OWNERS,
    locations: Sequence[str] = LOCATIONS,
    beneficiaries: Sequence[str] = BENEFICIARIES,
    items: Sequence[str] = ITEMS,
    min_size: int = 0,
    max_size: int = 5,
) -> list[Package]:
    """Packages with unique ids, for one or several owners, local or global, shared or individual.

    The first of *owners* owns most of them (pass the cart's owner first).

    Purchase times, first uses and expiry dates are drawn around the checkout time *at*, so that
    some packages are not yet valid, some expire on the day, some a minute before or after.
    """
    tz = ZoneInfo(timezone)
    at_utc = _instant(at, tz)
    local_at = at_utc.astimezone(tz).date()
    count = draw(st.integers(min_size, max_size))
    # Ids in an order unrelated to the purchase order, so that the id tie-break is exercised.
    ids = draw(st.permutations([f"p{i}" for i in range(count)]))
    # Strategies built once, not per package: building them is what costs in Hypothesis.
    # Mostly in the past, sometimes just after the checkout (rule R3).
    minutes_before_st = st.one_of(
        st.integers(0, 90 * 24 * 60),
        st.integers(0, 3 * 24 * 60),
        st.integers(-120, 120),
        st.sampled_from((0, 60 * 24)),
    )
    expires_on_st = st.one_of(
        st.none(), st.none(), st.integers(-3, 3).map(lambda d: local_at + dt.timedelta(days=d))
    )
    # The first owner (the cart's, in scenarios) three times in four.
    owner_st = st.sampled_from((owners[0],) * 2 + tuple(owners))
    location_st = st.one_of(st.none(), st.sampled_from(locations))
    beneficiary_st = st.one_of(st.none(), st.none(), st.sampled_from(beneficiaries))
    # Short countdowns end around the checkout; long ones are still running.
    days_st = st.one_of(st.none(), st.integers(0, 3), st.integers(90, 400))
    starts_st: st.SearchStrategy[ExpiryStarts] = st.sampled_from(("sale", "first_use"))
    components_st = components(items=items)
    out = []
    for package_id in ids:
        minutes_before = draw(minutes_before_st)
        purchased = at_utc - dt.timedelta(minutes=minutes_before)
        first_used_at = None
        if minutes_before > 0 and draw(_BOOLEANS):
            first_used = purchased + dt.timedelta(minutes=draw(st.integers(0, minutes_before)))
            first_used_at = _as_given(draw, first_used, tz)
        out.append(
            Package(
                id=package_id,
                owner=draw(owner_st),
                purchased_at=_as_given(draw, purchased, tz),
                components=draw(components_st),
                location=draw(location_st),
                beneficiary=draw(beneficiary_st),
                expires_on=draw(expires_on_st),
                days_to_expiration=draw(days_st),
                expiry_starts=draw(starts_st),
                first_used_at=first_used_at,
                pricing_rules=draw(_BOOLEANS),
            )
        )
    return out


@st.composite
def lines(
    draw: st.DrawFn,
    *,
    currency: str = "USD",
    items: Sequence[str] = ITEMS,
    beneficiaries: Sequence[str] = BENEFICIARIES,
    min_size: int = 0,
    max_size: int = 5,
    max_units: int = 4,
) -> list[Line]:
    """Cart lines with unique ids; prices repeat (ties) and are sometimes 0 (rule R8)."""
    count = draw(st.integers(min_size, max_size))
    # A small price pool makes equal prices (ties in line order) common.
    price = st.one_of(
        st.sampled_from((0, 500, 1500, 3000)),
        st.integers(0, 5000),
    ).map(lambda minor: Money.from_minor(minor, currency))
    item_st = st.sampled_from(items)
    credit_values_st: st.SearchStrategy[dict[str, Money]] = st.one_of(
        st.just({}), st.dictionaries(item_st, price, max_size=2)
    )
    units_st = st.integers(1, max_units)
    beneficiary_st = st.one_of(st.none(), st.sampled_from(beneficiaries))
    out = []
    for i in range(count):
        item = draw(item_st)
        charge_by: ChargeBy = "hour" if item in HOURLY_ITEMS else draw(_DAILY_CHARGES)
        if draw(_ONE_IN_TEN):
            charge_by = draw(_ANY_CHARGE)
        out.append(
            Line(
                f"l{i}",
                item,
                draw(price),
                units=draw(units_st),
                beneficiary=draw(beneficiary_st),
                charge_by=charge_by,
                credit_values=draw(credit_values_st),
            )
        )
    return out


@st.composite
def carts(
    draw: st.DrawFn,
    *,
    currency: str = "USD",
    owner: str = OWNERS[0],
    locations: Sequence[str] = LOCATIONS,
    items: Sequence[str] = ITEMS,
    max_lines: int = 5,
) -> Cart:
    """A cart of *owner* at one of *locations*, with up to *max_lines* lines."""
    return Cart(
        owner,
        draw(st.sampled_from(locations)),
        currency,
        draw(lines(currency=currency, items=items, max_size=max_lines)),
        id=draw(st.one_of(st.none(), st.just("ticket-1"))),
    )


@st.composite
def rate_tables(
    draw: st.DrawFn,
    *,
    currency: str = "USD",
    locations: Sequence[str] = LOCATIONS,
    items: Sequence[str] = ITEMS,
) -> Rates:
    """Location default rates, some missing (rule R9)."""
    price = st.integers(0, 5000).map(lambda minor: Money.from_minor(minor, currency))
    rates_st = st.dictionaries(st.sampled_from(items), price, max_size=len(items))
    return Rates.from_mapping({location: draw(rates_st) for location in locations})


@st.composite
def settings(draw: st.DrawFn) -> Settings:
    """Valid settings only: ``greater_value`` only with ``any_type``."""
    any_type = draw(st.booleans())
    return Settings(
        any_type=any_type,
        any_location=draw(st.booleans()),
        greater_value=any_type and draw(st.booleans()),
        zero_price_items=draw(st.booleans()),
        refund_after_use=draw(st.booleans()),
    )


@st.composite
def policies(draw: st.DrawFn, *, line_orders: Sequence[str] | None = None) -> Policy:
    """A policy with a greedy line order (never ``optimal``), any credit order and valuation."""
    return Policy(
        line_order=draw(
            st.sampled_from(line_orders or ("cheapest_first", "priciest_first", "cart"))
        ),
        package_order=draw(st.sampled_from(("fifo", "earliest_expiry"))),
        valuation=draw(st.sampled_from(("line_price", "default_rate"))),
        expires_at=draw(st.sampled_from(("23:59", "24:00", "12:00"))),
    )


@attrs.frozen
class Scenario:
    """Everything one call of :func:`punchcard.apply` needs."""

    cart: Cart
    packages: tuple[Package, ...]
    at: dt.datetime
    timezone: str
    settings: Settings
    policy: Policy
    rates: Rates

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`punchcard.apply`."""
        return {
            "as_of": self.at,
            "timezone": self.timezone,
            "settings": self.settings,
            "policy": self.policy,
            "rates": self.rates,
        }

    def apply(self, packages: Sequence[Package] | None = None) -> punchcard.Application:
        """Run the engine on this scenario (or on *packages* instead of its own)."""
        chosen = self.packages if packages is None else packages
        return punchcard.apply(self.cart, chosen, **self.kwargs())


@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    currency: str | None = None,
    timezone: str | None = None,
    max_lines: int = 5,
    max_packages: int = 5,
) -> Scenario:
    """A whole checkout: cart, the packages on file, time, zone, settings, policy and rates."""
    currency = currency or draw(currencies())
    timezone = timezone or draw(st.sampled_from(TIMEZONES))
    at = draw(checkout_times(timezone=timezone))
    # A few items per checkout, shared by lines, packages and rates, so that they meet often.
    items = draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=4, unique=True))
    cart = draw(carts(currency=currency, items=items, max_lines=max_lines))
    return Scenario(
        cart=cart,
        packages=tuple(
            draw(packages(at=at, timezone=timezone, items=items, max_size=max_packages))
        ),
        at=at,
        timezone=timezone,
        settings=draw(settings()),
        policy=draw(policies()),
        rates=draw(rate_tables(currency=currency, items=items)),
    )


# The market options (docs/semantics.md, section X) ---------------------------------------------

#: Items no cart line of the strategies above asks for: a pool's second item, a substitute.
_OTHER_ITEMS: tuple[str, ...] = ("bath", "nails")
_PRIORITIES = st.sampled_from((50, 50, 50, 0, 10, 49, 51, 90, 100))
_UNITS: st.SearchStrategy[DurationUnit] = st.sampled_from(DURATION_UNITS)
_ONE_IN_FOUR = st.integers(0, 3).map(lambda n: n == 0)


@st.composite
def _optioned_component(
    draw: st.DrawFn, *, component: Component, taken: set[str], asked: Sequence[str]
) -> Component:
    """*component* with some of X2 (pool), X3 (substitutes) and X8 (overdraft); *taken* holds the
    items the components of the package pay as their own (a pool's second item is added); pools
    and substitutes take the items *asked* for by the cart more often than others."""
    wanted = (*asked, *asked, *ITEMS, *_OTHER_ITEMS)
    items: tuple[str, ...] = ()
    if draw(_ONE_IN_FOUR):
        free = [i for i in wanted if i not in taken]
        if free:
            items = (component.item, draw(st.sampled_from(free)))
            taken.add(items[1])
    own = set(items or (component.item,))
    substitutes: list[str] = []
    if draw(_ONE_IN_FOUR):
        choices = [i for i in wanted if i not in own]
        substitutes = draw(st.lists(st.sampled_from(choices), min_size=1, max_size=2, unique=True))
    overdraft = draw(st.integers(1, 2)) if draw(_ONE_IN_FOUR) else 0
    remaining = component.remaining
    if overdraft and draw(_BOOLEANS):
        remaining = draw(st.integers(-overdraft, 0))
    return Component(
        f"{component.item}-pool" if items else component.item,
        remaining,
        hourly=component.hourly,
        items=items,
        substitutes=substitutes,
        overdraft=overdraft,
    )


@st.composite
def optioned_packages(
    draw: st.DrawFn,
    *,
    at: dt.datetime,
    timezone: str,
    base: Sequence[Package],
    currency: str = "USD",
    asked: Sequence[str] = ITEMS,
    owner: str | None = None,
) -> list[Package]:
    """*base* packages given market options at random: priority (X1), pools (X2), substitutes
    (X3), ``valid_for`` (X4), ``valid_from`` (X6), pauses around the checkout date (X7),
    overdraft (X8); one in six becomes a stored-value package (X9), with or without ``items``.
    Pools and substitutes lean towards the items *asked* for by the cart; given the cart's
    *owner*, half of the packages become that owner's global, shared packages (so that the
    options meet the lines often).
    """
    tz = ZoneInfo(timezone)
    at_utc = _instant(at, tz)
    today = at_utc.astimezone(tz).date()
    out = []
    for package in base:
        changes: dict[str, Any] = {"priority": draw(_PRIORITIES)}
        if owner is not None and draw(_BOOLEANS):
            changes.update(owner=owner, location=None, beneficiary=None)
        if draw(_ONE_IN_FOUR):
            minutes = draw(st.integers(-3 * 24 * 60, 120))
            changes["valid_from"] = at_utc + dt.timedelta(minutes=minutes)
        if package.expires_on is None and draw(_ONE_IN_FOUR):
            changes["days_to_expiration"] = None
            changes["valid_for"] = Duration(draw(_UNITS), draw(st.integers(0, 3)))
        if draw(_ONE_IN_FOUR):
            start = today + dt.timedelta(days=draw(st.integers(-3, 1)))
            changes["pauses"] = [Pause(start, start + dt.timedelta(days=draw(st.integers(0, 3))))]
        if draw(st.integers(0, 5)) == 0:
            changes["components"] = ()
            changes["balance"] = draw(money(currency=currency, max_minor=6_000))
            if draw(_BOOLEANS):
                changes["items"] = draw(
                    st.lists(st.sampled_from(ITEMS), min_size=1, max_size=2, unique=True)
                )
        else:
            taken = {c.item for c in package.components}
            changes["components"] = [
                draw(_optioned_component(component=c, taken=taken, asked=asked))
                for c in package.components
            ]
        out.append(attrs.evolve(package, **changes))
    return out


@st.composite
def option_scenarios(
    draw: st.DrawFn, *, max_lines: int = 4, max_packages: int = 5, optimal: bool = True
) -> Scenario:
    """A checkout of :func:`scenarios` whose packages carry market options, under either expiry
    mode (X5); with *optimal*, the line order is ``optimal`` one time in five."""
    base = draw(scenarios(max_lines=max_lines, max_packages=max_packages))
    packages = draw(
        optioned_packages(
            at=base.at,
            timezone=base.timezone,
            base=base.packages,
            currency=base.cart.currency,
            asked=sorted({line.item for line in base.cart.lines}),
            owner=base.cart.owner,
        )
    )
    changes: dict[str, Any] = {"expiry": draw(st.sampled_from(EXPIRY_MODES))}
    if optimal and draw(st.integers(0, 5)) == 0:
        changes["line_order"] = "optimal"
    return attrs.evolve(base, packages=tuple(packages), policy=attrs.evolve(base.policy, **changes))
