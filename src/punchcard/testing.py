"""Hypothesis strategies for punchcard's domain, and the invariants a host can assert with them.

Import it from your own test suite (it needs Hypothesis: ``pip install 'punchcard[testing]'``;
``import punchcard`` alone never imports Hypothesis)::

    from hypothesis import given
    from punchcard.testing import assert_application_invariants, scenarios

    @given(scenario=scenarios())
    def test_my_checkout_keeps_the_invariants(scenario):
        result = my_host.checkout(scenario.cart, scenario.packages, **scenario.kwargs())
        assert_application_invariants(
            scenario.cart, scenario.packages, result,
            settings=scenario.settings, policy=scenario.policy,
        )

Every strategy is a keyword-only ``@st.composite`` function, so a test says what it varies
(``scenarios(currency="JPY", options=True)``). Values are drawn from small pools (two owners, two
locations, three pets, a handful of items) so that packages and lines meet often: a strategy whose
owners never match the cart tests nothing. Times are drawn around the instants clocks change in
the chosen zone, and every naive local time drawn exists (a skipped local time is an input error).

The options of the wider market (priority, pools, substitutes, calendar validity, elapsed expiry,
future activation, pauses, overdraft, stored value) appear only with ``options=True``; custom rules
and orders only with ``custom=True``. With both off the values use only the fields of the source
articles, as every option is off by default.

See ``docs/testing.md``.

.. versionadded:: 0.1
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from typing import Any, ClassVar, Final
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st

from .engine import apply
from .events import RedemptionRecorded
from .lifecycle import (
    PERMISSIONS,
    Actor,
    Business,
    Catalogue,
    LedgerEvent,
    LedgerState,
    OperationRefused,
    Outcome,
    PackagePurchased,
    PackageState,
    PackageType,
    Period,
    TypeComponent,
    assign,
    cancel,
    change_beneficiary,
    checkout,
    deduct,
    delete,
    edit_expiry,
    expire,
    hold,
    no_show,
    pause,
    purchase,
    refund,
    renew,
    set_renewal,
    stop_renewal,
    transfer,
    unpause,
    use,
)
from .lifecycle import LateCancel as _LateCancel
from .models import (
    CHARGE_BY,
    Cart,
    ChargeBy,
    Component,
    Duration,
    DurationUnit,
    ExpiryStarts,
    Line,
    Package,
    Pause,
    Rates,
    Settings,
)
from .money import Money
from .policy import Policy
from .results import Application, Redemption
from .rules import ELIGIBLE, Candidate, Context, Rule, Scope, Verdict
from .rules.builtin import DEFAULT_RULES

__all__ = [
    "BENEFICIARIES",
    "CURRENCIES",
    "GREEDY_LINE_ORDERS",
    "HOURLY_ITEMS",
    "ITEMS",
    "LEDGER_OPERATIONS",
    "LINE_ORDERS",
    "LOCATIONS",
    "OWNERS",
    "TIMEZONES",
    "Ledger",
    "Scenario",
    "assert_application_invariants",
    "assert_ledger_conserved",
    "carts",
    "components",
    "currencies",
    "ledgers",
    "lines",
    "moments",
    "money",
    "package_types",
    "packages",
    "policies",
    "rates",
    "scenarios",
    "settings",
    "zones",
]

#: The customers; the first one owns the carts of :func:`scenarios` and most packages.
OWNERS: Final[tuple[str, ...]] = ("smith", "jones")
LOCATIONS: Final[tuple[str, ...]] = ("downtown", "uptown")
BENEFICIARIES: Final[tuple[str, ...]] = ("rex", "bella", "milo")
#: Items sold by the day, the night or each; ``walk`` is sold by the hour.
ITEMS: Final[tuple[str, ...]] = ("daycare_full", "daycare_half", "boarding", "grooming", "walk")
HOURLY_ITEMS: Final[frozenset[str]] = frozenset({"walk"})
#: USD (2 minor units), JPY (0) and BHD (3).
CURRENCIES: Final[tuple[str, ...]] = ("USD", "JPY", "BHD")
#: Zones with DST in either hemisphere, and two without.
TIMEZONES: Final[tuple[str, ...]] = (
    "America/New_York",
    "Australia/Sydney",
    "Europe/London",
    "Asia/Tokyo",
    "UTC",
)
#: The line orders served line by line (the default of :func:`policies`).
GREEDY_LINE_ORDERS: Final[tuple[str, ...]] = ("cheapest_first", "priciest_first", "cart")
#: Every built-in line order, ``optimal`` included.
LINE_ORDERS: Final[tuple[str, ...]] = (*GREEDY_LINE_ORDERS, "optimal")
#: The operations :func:`ledgers` draws from.
LEDGER_OPERATIONS: Final[tuple[str, ...]] = (
    "purchase",
    "hold",
    "checkout",
    "use",
    "cancel",
    "refund",
    "assign",
    "deduct",
    "edit_expiry",
    "expire",
    "renew",
    "delete",
    "pause",
    "unpause",
    # the lifecycle options of issue 12 (1, 11-13)
    "no_show",
    "transfer",
    "change_beneficiary",
    "set_renewal",
    "stop_renewal",
)

_UTC = dt.timezone.utc
_BOOLEANS = st.booleans()
_ONE_IN_TEN = st.integers(0, 9).map(lambda n: n == 0)
_ONE_IN_FOUR = st.integers(0, 3).map(lambda n: n == 0)
_DAILY_CHARGES: st.SearchStrategy[ChargeBy] = st.sampled_from(("each", "day", "night"))
_ANY_CHARGE: st.SearchStrategy[ChargeBy] = st.sampled_from(CHARGE_BY)
_FORMS = st.sampled_from(("naive", "local", "utc"))
_AWARE_FORMS = st.sampled_from(("local", "utc"))
# Days that are not clock changes but where date arithmetic has edges.
_PLAIN_DAYS: Final = ((1, 1), (2, 28), (3, 1), (12, 31))


# -- money, currencies, zones, moments ------------------------------------------------------------


@st.composite
def currencies(draw: st.DrawFn, *, codes: Sequence[str] = CURRENCIES) -> str:
    """A currency code of *codes* (by default USD, JPY and BHD: 2, 0 and 3 minor units)."""
    return draw(st.sampled_from(codes))


@st.composite
def money(
    draw: st.DrawFn, *, currency: str = "USD", min_minor: int = 0, max_minor: int = 10_000
) -> Money:
    """An amount of *currency* from *min_minor* to *max_minor* minor units, zero included."""
    return Money.from_minor(draw(st.integers(min_minor, max_minor)), currency)


@st.composite
def zones(draw: st.DrawFn, *, names: Sequence[str] = TIMEZONES) -> str:
    """An IANA zone name of *names* (by default two DST zones of each hemisphere, Tokyo, UTC)."""
    return draw(st.sampled_from(names))


@functools.lru_cache(maxsize=64)
def _transitions(timezone: str, year: int) -> tuple[dt.datetime, ...]:
    """The instants (UTC, to the minute) at which the UTC offset of *timezone* changes in *year*."""
    tz = ZoneInfo(timezone)
    found: list[dt.datetime] = []
    start = dt.datetime(year, 1, 1, tzinfo=_UTC)
    before = start.astimezone(tz).utcoffset()
    for day in range(366):
        low = start + dt.timedelta(days=day)
        high = low + dt.timedelta(days=1)
        after = high.astimezone(tz).utcoffset()
        if after != before:
            # Bisect to the minute: the offset at *low* is the old one, at *high* the new one.
            while high - low > dt.timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            found.append(high.replace(second=0, microsecond=0))
            before = after
    return tuple(found)


def _instant(moment: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """*moment* as an aware UTC instant: a naive one is local time, the earlier when repeated."""
    if moment.tzinfo is not None:
        return moment.astimezone(_UTC)
    return moment.replace(tzinfo=tz, fold=0).astimezone(_UTC)


def _as_given(
    draw: st.DrawFn, instant: dt.datetime, tz: ZoneInfo, naive: bool | None = None
) -> dt.datetime:
    """*instant* as a caller might pass it: naive local, aware local or aware UTC.

    With *naive* ``None`` the form is drawn and the instant kept exactly (a naive time in the
    repeated hour means its first occurrence, so the second one is given aware); with ``True``
    the naive local wall time (which exists, but in the repeated hour names the earlier
    instant); with ``False`` an aware form.
    """
    local = instant.astimezone(tz)
    form = "naive" if naive else draw(_FORMS if naive is None else _AWARE_FORMS)
    if form == "naive":
        wall = local.replace(tzinfo=None)
        if naive or _instant(wall, tz) == instant:
            return wall
        return local
    if form == "local":
        return local
    return instant.astimezone(_UTC)


@st.composite
def moments(
    draw: st.DrawFn,
    *,
    timezone: str = "America/New_York",
    naive: bool | None = None,
    min_date: dt.date = dt.date(2026, 1, 1),
    max_date: dt.date = dt.date(2026, 12, 31),
) -> dt.datetime:
    """A moment of *timezone* from *min_date* to *max_date* (local dates), often near a clock
    change: within 90 minutes of the instant, on its day, or on a plain day with date edges.

    *naive*: ``True`` gives a naive local time (it always exists; in the repeated hour it names
    the earlier instant), ``False`` an aware one (local or UTC), ``None`` any of the three.
    """
    tz = ZoneInfo(timezone)
    instant = draw(_instants(timezone, min_date, max_date))
    return _as_given(draw, instant, tz, naive)


@functools.lru_cache(maxsize=64)
def _instants(
    timezone: str, min_date: dt.date, max_date: dt.date
) -> st.SearchStrategy[dt.datetime]:
    """The instants :func:`moments` draws from (built once per zone and range: building a
    strategy costs more than drawing from it)."""
    tz = ZoneInfo(timezone)
    years = range(min_date.year, max_date.year + 1)
    changes = [
        change
        for year in years
        for change in _transitions(timezone, year)
        if min_date <= change.astimezone(tz).date() <= max_date
    ]
    plain = [
        day
        for year in years
        for month, number in _PLAIN_DAYS
        if min_date <= (day := dt.date(year, month, number)) <= max_date
    ]
    days = [c.astimezone(tz).date() for c in changes] + plain
    day_st = st.dates(min_date, max_date)
    if days:
        day_st = st.one_of(st.sampled_from(days), day_st)
    # A wall time of a day (one skipped by a clock change moves an hour on), and now and then
    # the second occurrence of a repeated one.
    on_a_day = st.builds(
        lambda day, hour, minute, later: _wall_instant(
            dt.datetime.combine(day, dt.time(hour, minute)), tz, later
        ),
        day_st,
        st.integers(0, 23),
        st.integers(0, 59),
        _BOOLEANS,
    )
    if not changes:
        return on_a_day
    minutes = st.one_of(
        st.sampled_from((-61, -60, -31, -1, 0, 1, 30, 59, 60, 61)), st.integers(-90, 90)
    )
    near_a_change = st.builds(
        lambda change, m: change + dt.timedelta(minutes=m), st.sampled_from(changes), minutes
    )
    return st.one_of(near_a_change, on_a_day)


def _wall_instant(wall: dt.datetime, tz: ZoneInfo, later: bool = False) -> dt.datetime:
    """The instant of the naive *wall* time (with *later*, of its second occurrence when it
    occurs twice); a time skipped by a clock change moves an hour on."""
    instant = wall.replace(tzinfo=tz, fold=int(later)).astimezone(_UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != wall:
        instant = (wall + dt.timedelta(hours=1)).replace(tzinfo=tz, fold=0).astimezone(_UTC)
    return instant


# -- settings and policies -----------------------------------------------------------------------


@st.composite
def settings(
    draw: st.DrawFn,
    *,
    any_type: bool | None = None,
    any_location: bool | None = None,
    greater_value: bool | None = None,
    zero_price_items: bool | None = None,
    refund_after_use: bool | None = None,
) -> Settings:
    """Valid settings: each switch given is fixed, the others drawn (``greater_value`` only
    with ``any_type``; fixing ``greater_value=True`` with ``any_type=False`` raises
    :class:`~punchcard.errors.SettingsError`)."""
    chosen_type = draw(_BOOLEANS) if any_type is None else any_type
    if greater_value is None:
        greater_value = chosen_type and draw(_BOOLEANS)
    return Settings(
        any_type=chosen_type,
        any_location=draw(_BOOLEANS) if any_location is None else any_location,
        greater_value=greater_value,
        zero_price_items=draw(_BOOLEANS) if zero_price_items is None else zero_price_items,
        refund_after_use=draw(_BOOLEANS) if refund_after_use is None else refund_after_use,
    )


_draw_settings = settings


@attrs.frozen
class _Refuses:
    """A custom rule of :func:`policies`: refuses the packages (scope ``package``), the lines
    (``line``) or the component items (``component``) named in *names*."""

    code: str
    scope: Scope
    names: frozenset[str]

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        if self.scope == "package":
            name = candidate.package.id
        elif self.scope == "line":
            name = line.id
        else:
            name = "" if candidate.component is None else candidate.component.item
        if name in self.names:
            return Verdict.no(self.code, f"{name!r} is refused by a custom rule")
        return ELIGIBLE


@attrs.frozen
class _FewestCreditsFirst:
    """A custom package order: individual before shared, then the fewest credits left."""

    name: ClassVar[str] = "fewest_credits_first"

    def rank(self, package: Package, ctx: Context) -> tuple[Any, ...]:
        return (package.beneficiary is None, package.total_remaining)


@attrs.frozen
class _LastLineFirst:
    """A custom line order: the cart's lines from the last to the first."""

    name: ClassVar[str] = "last_line_first"

    def arrange(self, lines: Sequence[Line]) -> list[int]:
        return list(reversed(range(len(lines))))


_CUSTOM_NAMES: Final = (*ITEMS, *(f"p{i}" for i in range(6)), *(f"l{i}" for i in range(6)))


@st.composite
def policies(
    draw: st.DrawFn,
    *,
    line_orders: Sequence[str] | None = None,
    custom: bool = False,
    options: bool = False,
) -> Policy:
    """A policy: a line order of *line_orders* (by default the greedy ones, never ``optimal``:
    pass :data:`LINE_ORDERS` for every one), any package order, valuation and ``expires_at``.

    With *custom*, now and then a custom line order, a custom package order and custom rules
    (each refusing some packages, lines or items with its own reason code) are drawn as well;
    with *options*, the ``elapsed`` expiry mode (semantics X5) too.
    """
    line_order: Any = draw(st.sampled_from(line_orders or GREEDY_LINE_ORDERS))
    package_order: Any = draw(st.sampled_from(("fifo", "earliest_expiry")))
    rules: tuple[Rule, ...] = DEFAULT_RULES
    if custom:
        if draw(_ONE_IN_FOUR):
            line_order = _LastLineFirst()
        if draw(_ONE_IN_FOUR):
            package_order = _FewestCreditsFirst()
        scopes: list[Scope] = draw(
            st.lists(st.sampled_from(("package", "line", "component")), max_size=2)
        )
        added = list(DEFAULT_RULES)
        for n, scope in enumerate(scopes):
            names = frozenset(draw(st.sets(st.sampled_from(_CUSTOM_NAMES), max_size=3)))
            position = draw(st.integers(0, len(added)))
            added.insert(position, _Refuses(f"custom_{n}", scope, names))
        rules = tuple(added)
    return Policy(
        line_order=line_order,
        package_order=package_order,
        valuation=draw(st.sampled_from(("line_price", "default_rate"))),
        expires_at=draw(st.sampled_from(("23:59", "24:00", "12:00"))),
        rules=rules,
        expiry=draw(st.sampled_from(("end_of_day", "elapsed"))) if options else "end_of_day",
    )


# -- packages ------------------------------------------------------------------------------------


@st.composite
def components(
    draw: st.DrawFn,
    *,
    items: Sequence[str] = ITEMS,
    max_components: int = 3,
    max_credits: int = 4,
    options: bool = False,
) -> tuple[Component, ...]:
    """The components of one package: 1 to *max_components*, each item in at most one, 0 or
    more credits each. Hourly items get hourly credits, mostly; now and then a flag is flipped
    to meet rule R7.

    With *options*, some components are pools of two or three items (X2), list substitutes
    (X3) or may overdraw (X8, with credits below zero now and then).
    """
    chosen = draw(
        st.lists(
            st.sampled_from(items),
            min_size=1,
            max_size=max_components + (2 if options else 0),
            unique=True,
        )
    )
    # Some credits left mostly; none left now and then (rule R11).
    credits_st = st.one_of(st.integers(1, max_credits), st.integers(0, max_credits))
    out: list[Component] = []
    while chosen and len(out) < max_components:
        size = 1
        if options and len(chosen) > 1 and draw(_ONE_IN_FOUR):
            size = draw(st.integers(2, min(3, len(chosen))))
        own, chosen = chosen[:size], chosen[size:]
        hourly = any(item in HOURLY_ITEMS for item in own)
        if draw(_ONE_IN_TEN):
            hourly = not hourly
        if not options:
            out.append(Component(own[0], draw(credits_st), hourly=hourly))
            continue
        others = [item for item in items if item not in own]
        substitutes: list[str] = []
        if bool(others) and draw(_ONE_IN_FOUR):
            substitutes = draw(st.lists(st.sampled_from(others), max_size=2, unique=True))
        overdraft = draw(st.integers(1, 2)) if draw(_ONE_IN_FOUR) else 0
        remaining = draw(st.one_of(credits_st, st.integers(-overdraft, max_credits)))
        out.append(
            Component(
                own[0] if size == 1 else f"pool_{len(out)}",
                remaining,
                hourly=hourly,
                items=own if size > 1 else (),
                substitutes=substitutes,
                overdraft=overdraft,
            )
        )
    return tuple(out)


@st.composite
def _pauses(draw: st.DrawFn, *, around: dt.date) -> tuple[Pause, ...]:
    """Up to two pauses of a few days near the local date *around*, never overlapping."""
    spans = draw(st.lists(st.tuples(st.integers(-6, 4), st.integers(0, 3)), max_size=2))
    out: list[Pause] = []
    for offset, length in sorted(spans):
        start = around + dt.timedelta(days=offset)
        if out and start <= out[-1].end:
            continue
        out.append(Pause(start, start + dt.timedelta(days=length)))
    return tuple(out)


_DURATIONS: Final[dict[DurationUnit, tuple[int, ...]]] = {
    "days": (0, 1, 3, 30, 90),
    "weeks": (0, 1, 2, 12),
    "months": (0, 1, 3, 12),
}


@st.composite
def packages(
    draw: st.DrawFn,
    *,
    at: dt.datetime,
    timezone: str = "America/New_York",
    owner: str = OWNERS[0],
    other_owners: Sequence[str] = OWNERS[1:],
    currency: str = "USD",
    locations: Sequence[str] = LOCATIONS,
    beneficiaries: Sequence[str] = BENEFICIARIES,
    items: Sequence[str] = ITEMS,
    min_size: int = 0,
    max_size: int = 5,
    options: bool = False,
) -> list[Package]:
    """Packages with unique ids (``p0``, ``p1``... in an order unrelated to their purchase),
    local or global, shared or individual, mostly of *owner* (the cart's) and else of
    *other_owners*.

    Purchase times, first uses and expiry dates are drawn around the checkout time *at* (read
    in *timezone*), so that some packages are not yet valid, some expire on the day, some a
    minute before or after.

    With *options* (semantics X), some packages also carry a priority, a ``valid_from``, a
    calendar ``valid_for``, pauses near *at*, pools, substitutes or overdrafts, and some hold a
    stored-value ``balance`` of *currency* (for every item, or for some) instead of credits.
    Without it they use only the fields of the source articles.
    """
    tz = ZoneInfo(timezone)
    at_utc = _instant(at, tz)
    local_at = at_utc.astimezone(tz).date()
    count = draw(st.integers(min_size, max_size))
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
    # The cart's owner three times in four.
    owner_st = st.sampled_from((owner, owner, owner, *other_owners))
    location_st = st.one_of(st.none(), st.sampled_from(locations))
    beneficiary_st = st.one_of(st.none(), st.none(), st.sampled_from(beneficiaries))
    # Short countdowns end around the checkout; long ones are still running.
    days_st = st.one_of(st.none(), st.integers(0, 3), st.integers(90, 400))
    starts_st: st.SearchStrategy[ExpiryStarts] = st.sampled_from(("sale", "first_use"))
    components_st = components(items=items, options=options)
    out = []
    for package_id in ids:
        minutes_before = draw(minutes_before_st)
        purchased = at_utc - dt.timedelta(minutes=minutes_before)
        first_used_at = None
        if minutes_before > 0 and draw(_BOOLEANS):
            first_used = purchased + dt.timedelta(minutes=draw(st.integers(0, minutes_before)))
            first_used_at = _as_given(draw, first_used, tz)
        fields: dict[str, Any] = {
            "id": package_id,
            "owner": draw(owner_st),
            "purchased_at": _as_given(draw, purchased, tz),
            "components": draw(components_st),
            "location": draw(location_st),
            "beneficiary": draw(beneficiary_st),
            "expires_on": draw(expires_on_st),
            "days_to_expiration": draw(days_st),
            "expiry_starts": draw(starts_st),
            "first_used_at": first_used_at,
            "pricing_rules": draw(_BOOLEANS),
        }
        if options:
            fields.update(draw(_package_options(at=at_utc, tz=tz, currency=currency, items=items)))
            if fields["valid_for"] is not None:
                fields["days_to_expiration"] = None
            if fields["balance"] is not None:
                fields["components"] = ()
        out.append(Package(**fields))
    return out


@st.composite
def _package_options(
    draw: st.DrawFn, *, at: dt.datetime, tz: ZoneInfo, currency: str, items: Sequence[str]
) -> dict[str, Any]:
    """The keyword arguments of the section X fields of one package."""
    valid_from = None
    if draw(_ONE_IN_FOUR):
        minutes = draw(st.one_of(st.integers(-3 * 24 * 60, 3 * 24 * 60), st.integers(-90, 90)))
        valid_from = _as_given(draw, at + dt.timedelta(minutes=minutes), tz)
    valid_for = None
    if draw(_ONE_IN_FOUR):
        unit: DurationUnit = draw(st.sampled_from(("days", "weeks", "months")))
        valid_for = Duration(unit, draw(st.sampled_from(_DURATIONS[unit])))
    balance = items_paid = None
    if draw(_ONE_IN_FOUR):
        balance = draw(money(currency=currency, max_minor=8_000))
        if draw(_BOOLEANS):
            items_paid = draw(st.lists(st.sampled_from(items), min_size=1, max_size=3, unique=True))
    return {
        "priority": draw(
            st.one_of(st.just(50), st.sampled_from((0, 10, 90, 100)), st.integers(0, 100))
        ),
        "valid_from": valid_from,
        "valid_for": valid_for,
        "pauses": draw(_pauses(around=at.astimezone(tz).date())),
        "balance": balance,
        "items": items_paid,
    }


# -- lines, carts, rates -------------------------------------------------------------------------


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
    """Cart lines with unique ids (``l0``, ``l1``...); prices repeat (ties) and are sometimes 0
    (rule R8); hourly items are charged by the hour, mostly; some lines carry the host's
    ``credit_values``."""
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
    """A cart of *owner* at one of *locations*, with up to *max_lines* lines of *items*."""
    return Cart(
        owner,
        draw(st.sampled_from(locations)),
        currency,
        draw(lines(currency=currency, items=items, max_size=max_lines)),
        id=draw(st.one_of(st.none(), st.just("ticket-1"))),
    )


@st.composite
def rates(
    draw: st.DrawFn,
    *,
    currency: str = "USD",
    locations: Sequence[str] = LOCATIONS,
    items: Sequence[str] = ITEMS,
) -> Rates:
    """Location default rates of *items* at *locations*, some missing (rule R9)."""
    price = st.integers(0, 5000).map(lambda minor: Money.from_minor(minor, currency))
    rates_st = st.dictionaries(st.sampled_from(items), price, max_size=len(items))
    return Rates.from_mapping({location: draw(rates_st) for location in locations})


# -- whole checkouts -----------------------------------------------------------------------------


@attrs.frozen
class Scenario:
    """Everything one call of :func:`punchcard.apply` needs.

    >>> scenario = Scenario(
    ...     cart=Cart("smith", "downtown", "USD", [Line("l1", "x", Money("30", "USD"))]),
    ...     packages=(Package(id="p1", owner="smith", purchased_at=dt.datetime(2026, 1, 5),
    ...                       components=[Component("x", 2)]),),
    ...     as_of=dt.datetime(2026, 3, 2, 9), timezone="America/New_York",
    ...     settings=Settings(), policy=Policy(), rates=Rates(),
    ... )
    >>> sorted(scenario.kwargs())
    ['as_of', 'policy', 'rates', 'settings', 'timezone']
    >>> scenario.apply().covered
    Money('30.00', 'USD')
    """

    cart: Cart
    packages: tuple[Package, ...]
    #: The checkout time (naive local, or aware).
    as_of: dt.datetime
    #: The business's IANA zone.
    timezone: str
    settings: Settings
    policy: Policy
    rates: Rates

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`punchcard.apply` (all but the cart and packages)."""
        return {
            "as_of": self.as_of,
            "timezone": self.timezone,
            "settings": self.settings,
            "policy": self.policy,
            "rates": self.rates,
        }

    def apply(self, packages: Sequence[Package] | None = None) -> Application:
        """Run :func:`punchcard.apply` on this scenario (or on *packages* instead of its own)."""
        chosen = self.packages if packages is None else packages
        return apply(self.cart, chosen, **self.kwargs())


@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    currency: str | None = None,
    timezone: str | None = None,
    max_lines: int = 5,
    max_packages: int = 5,
    line_orders: Sequence[str] | None = None,
    options: bool = False,
    custom: bool = False,
) -> Scenario:
    """A whole checkout, ready for :func:`punchcard.apply`: a cart, the packages on file, the
    time, the zone, settings, policy and rates. A few items are drawn per scenario and shared
    by lines, packages and rates, so that they meet often.

    *currency* and *timezone* are drawn when not given; *line_orders*, *options* and *custom*
    are passed on to :func:`policies` and :func:`packages`.
    """
    currency = currency or draw(currencies())
    timezone = timezone or draw(zones())
    at = draw(moments(timezone=timezone))
    items = draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=4, unique=True))
    cart = draw(carts(currency=currency, items=items, max_lines=max_lines))
    return Scenario(
        cart=cart,
        packages=tuple(
            draw(
                packages(
                    at=at,
                    timezone=timezone,
                    owner=cart.owner,
                    currency=currency,
                    items=items,
                    max_size=max_packages,
                    options=options,
                )
            )
        ),
        as_of=at,
        timezone=timezone,
        settings=draw(settings()),
        policy=draw(policies(line_orders=line_orders, custom=custom, options=options)),
        rates=draw(rates(currency=currency, items=items)),
    )


# -- the lifecycle -------------------------------------------------------------------------------


@st.composite
def package_types(
    draw: st.DrawFn,
    *,
    type_id: str = "t0",
    currency: str = "USD",
    items: Sequence[str] = ITEMS,
    locations: Sequence[str] = LOCATIONS,
    options: bool = True,
) -> PackageType:
    """A catalogue entry *type_id*: one or two components of *items*, a price of *currency*,
    global or local, and now and then a countdown (from the sale or the first use), a weekly or
    monthly subscription, once per owner, or sold for one pet.

    With *options* (the default), now and then the market options of docs/options.md too: a
    priority, a pool of items, substitutes, an overdraft, a calendar validity (``valid_for``),
    or a stored value (a money balance for every item, or for some).
    """
    chosen = draw(st.lists(st.sampled_from(items), min_size=1, max_size=2, unique=True))
    parts = [
        TypeComponent(item, draw(st.integers(1, 5)), hourly=item in HOURLY_ITEMS) for item in chosen
    ]
    subscription = None
    days = None
    starts: ExpiryStarts = "sale"
    if draw(_ONE_IN_FOUR):
        subscription = draw(st.sampled_from((Period("weeks"), Period("months"), Period("days", 3))))
    elif draw(_BOOLEANS):
        days = draw(st.sampled_from((0, 1, 3, 30)))
        starts = draw(st.sampled_from(("sale", "first_use")))
    price = draw(money(currency=currency, min_minor=100, max_minor=30_000))
    terms: dict[str, Any] = {}
    if options:
        terms = draw(
            _type_options(parts=parts, items=items, price=price, subscription=subscription)
        )
        parts = terms.pop("components")
        if days is not None and draw(_ONE_IN_FOUR):
            terms["valid_for"] = Duration(
                draw(st.sampled_from(("days", "weeks", "months"))), draw(st.integers(0, 2))
            )
            days = None
    return PackageType(
        id=type_id,
        name=f"Type {type_id}",
        components=parts,
        price=price,
        location=draw(st.one_of(st.none(), st.none(), st.sampled_from(locations))),
        days_to_expiration=days,
        expiry_starts=starts,
        subscription=subscription,
        once_per_owner=draw(_ONE_IN_TEN),
        individual=draw(_ONE_IN_TEN),
        pricing_rules=draw(_ONE_IN_TEN),
        **terms,
    )


@st.composite
def _type_options(
    draw: st.DrawFn,
    *,
    parts: list[TypeComponent],
    items: Sequence[str],
    price: Money,
    subscription: Period | None,
) -> dict[str, Any]:
    """The market options of a package type (and its components, under ``"components"``)."""
    terms: dict[str, Any] = {}
    if draw(_ONE_IN_FOUR):
        terms["priority"] = draw(st.sampled_from((0, 10, 90, 100)))
    if subscription is None and draw(_ONE_IN_FOUR):  # a stored value (X9)
        terms["value"] = price + draw(money(currency=price.currency, min_minor=0, max_minor=10_000))
        if draw(_BOOLEANS):
            terms["items"] = draw(st.lists(st.sampled_from(items), min_size=1, unique=True))
        terms["components"] = []
        return terms
    taken = {c.item for c in parts}
    spare = [i for i in items if i not in taken and i not in HOURLY_ITEMS]
    out = []
    for part in parts:
        changes: dict[str, Any] = {}
        if subscription is None and draw(_ONE_IN_FOUR):
            changes["overdraft"] = draw(st.integers(1, 2))
        if (
            not part.hourly and bool(spare) and draw(_ONE_IN_FOUR)
        ):  # a pool (X2) of its item and more
            pooled = draw(st.lists(st.sampled_from(spare), min_size=1, max_size=2, unique=True))
            spare = [i for i in spare if i not in pooled]
            changes.update(item=f"pool_{part.item}", items=[part.item, *pooled])
        own = set(changes.get("items", (part.item,)))
        others = [i for i in items if i not in own]
        if bool(others) and draw(_ONE_IN_FOUR):  # substitutes (X3)
            changes["substitutes"] = draw(
                st.lists(st.sampled_from(others), min_size=1, max_size=2, unique=True)
            )
        out.append(attrs.evolve(part, **changes) if changes else part)
    terms["components"] = out
    return terms


@attrs.frozen
class Ledger:
    """A valid ledger: the events of a run of lifecycle operations, and the state they lead to.

    ``replay(ledger.events) == ledger.state`` and ``assert_ledger_conserved(ledger.state)``
    hold for every ledger :func:`ledgers` draws.
    """

    #: The events, in the order the operations returned them.
    events: tuple[LedgerEvent, ...]
    #: The state the events lead to (left out of the repr: it is the events replayed).
    state: LedgerState = attrs.field(repr=False)
    #: The package types the purchases were made from.
    catalogue: Catalogue
    #: The IANA zone of the business (every purchase is made in it).
    timezone: str
    #: The time of the last operation (aware, in the zone).
    as_of: dt.datetime
    #: The business settings the operations ran under.
    settings: Settings
    #: The business the operations ran for (its settings, and its policy: the expiry mode).
    business: Business = attrs.field(repr=False)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints a value it found with every field; the repr leaves out the state
        # (the events replayed) and the business (its settings are shown).
        printer.text(repr(self))


@attrs.frozen
class _Desk:
    """The business the lifecycle operations of :func:`ledgers` run for."""

    business: Business
    timezone: str
    actor: Actor


@attrs.frozen
class _Step:
    """One operation for :func:`_operate` to run: its name, its time (aware, in the business's
    zone) and its other arguments."""

    name: str
    at: dt.datetime
    args: dict[str, Any] = attrs.field(factory=dict)


def _operate(desk: _Desk, state: LedgerState, step: _Step) -> Outcome:
    """Run one lifecycle operation of :func:`ledgers`: the one place that calls them.

    Raises what the operation raises (a refusal changes nothing).
    """
    name, at, args = step.name, step.at, step.args
    business = desk.business
    if name == "purchase":
        return purchase(state, **args, as_of=at, timezone=desk.timezone, business=business)
    if name in ("hold", "checkout"):
        return (hold if name == "hold" else checkout)(
            state, **args, as_of=at, timezone=desk.timezone, business=business
        )
    staff = {"actor": desk.actor, "business": business}
    operation: Any = {
        "use": use,
        "cancel": cancel,
        "refund": refund,
        "assign": assign,
        "deduct": deduct,
        "edit_expiry": edit_expiry,
        "delete": delete,
        "pause": pause,
        "unpause": unpause,
        "no_show": no_show,
        "transfer": transfer,
        "change_beneficiary": change_beneficiary,
        "set_renewal": set_renewal,
        "stop_renewal": stop_renewal,
    }.get(name)
    if operation is not None:
        return operation(state, **args, as_of=at, **staff)  # type: ignore[no-any-return]
    if name == "expire":
        return expire(state, as_of=at, business=business)
    if name == "renew":
        return renew(state, as_of=at, business=business)
    raise ValueError(f"unknown ledger operation {name!r}")


#: How often :func:`ledgers` draws an operation, relative to the others (1 if not listed).
_WEIGHTS: Final = {"purchase": 2, "hold": 3, "checkout": 3, "use": 2, "cancel": 2}


@st.composite
def _step(
    draw: st.DrawFn,
    *,
    state: LedgerState,
    catalogue: Catalogue,
    owners: Sequence[str],
    operations: Sequence[str],
    currency: str,
    now: dt.datetime,
    n: int,
) -> _Step | None:
    """The next operation of a ledger, with arguments drawn from the state it meets (``None``
    when none of *operations* can run on it)."""
    packages = state.packages
    bookings = sorted({r.booking for p in packages for r in p.redemptions})
    held = sorted({r.booking for p in packages for r in p.redemptions if r.status == "held"})
    live = sorted({r.booking for p in packages for r in p.redemptions if r.open})
    subscriptions = [p for p in packages if p.subscription is not None]
    paused = [p for p in packages if p.pauses]
    needs = {
        "purchase": True,
        "use": bool(held),
        "cancel": bool(bookings),
        "no_show": bool(bookings),
        "transfer": len(packages) >= 2,
        "set_renewal": bool(subscriptions),
        "stop_renewal": bool(subscriptions),
        "unpause": bool(paused),
    }
    possible = [name for name in operations if needs.get(name, bool(packages))]
    if not possible:
        return None
    # The first operation is a purchase, when it may be drawn; bookings are drawn most often.
    weighted = [name for name in possible for _ in range(_WEIGHTS.get(name, 1))]
    first = not packages and "purchase" in possible
    name = "purchase" if first else draw(st.sampled_from(weighted))
    args: dict[str, Any] = {}
    if name == "purchase":
        ptype = draw(st.sampled_from(catalogue.types))
        args.update(
            ptype=ptype,
            package_id=f"p{n}",
            owner=draw(st.sampled_from(owners)),
            beneficiary=draw(st.sampled_from(BENEFICIARIES)) if ptype.individual else None,
        )
        if draw(_ONE_IN_TEN):  # a gift, valid from a later day (X6)
            later = dt.timedelta(days=draw(st.integers(0, 10)))
            args["valid_from"] = (now.astimezone(_UTC) + later).astimezone(now.tzinfo)
    elif name in ("hold", "checkout"):
        # Mostly at the location of one of the owner's packages, for its items.
        package = draw(st.sampled_from(packages))
        every = sorted({i for t in catalogue.types for i in _items_paid(t)} or ITEMS)
        mine = sorted(_items_paid(package.purchase) or every)
        cart_lines = draw(
            lines(
                currency=currency,
                items=draw(st.sampled_from((mine, every))),
                min_size=1,
                max_size=3,
            )
        )
        location = draw(st.sampled_from((package.location or LOCATIONS[0], *LOCATIONS)))
        cart = Cart(package.owner, location, currency, cart_lines, id=f"b{n}")
        args.update(cart=cart, booking=f"b{n}")
        if name == "hold":
            later = dt.timedelta(minutes=draw(st.sampled_from((0, 60, 24 * 60, 5 * 24 * 60))))
            args["scheduled_for"] = (now.astimezone(_UTC) + later).astimezone(now.tzinfo)
    elif name == "use":
        args["booking"] = draw(st.sampled_from(held))
    elif name in ("cancel", "no_show"):
        # mostly a booking with credits to give back (a cancelled one is refused: a no-op)
        args["booking"] = draw(st.sampled_from(live or bookings))
        args["waive"] = draw(_ONE_IN_FOUR)
    elif name in ("transfer", "change_beneficiary", "set_renewal", "stop_renewal"):
        args.update(_option_args(draw, name, packages, subscriptions, now))
    elif name in ("refund", "delete", "assign", "deduct", "edit_expiry"):
        package = draw(st.sampled_from(packages))
        args["package_id"] = package.id
        if name in ("assign", "deduct"):
            # (a stored-value package has no component: the operation refuses, and is skipped)
            args["item"] = draw(st.sampled_from([c.item for c in package.components] or ITEMS))
            args["credits"] = draw(st.integers(1, 3))
        elif name == "edit_expiry":
            args["expires_on"] = now.date() + dt.timedelta(days=draw(st.integers(-1, 45)))
    elif name == "pause":  # (X7)
        package = draw(st.sampled_from(packages))
        start = now.date() + dt.timedelta(days=draw(st.integers(-1, 10)))
        end = start + dt.timedelta(days=draw(st.integers(0, 6)))
        args.update(package_id=package.id, start=start, end=end)
    elif name == "unpause":
        package = draw(st.sampled_from(paused))
        args.update(package_id=package.id, start=draw(st.sampled_from(package.pauses)).start)
    return _Step(name, now, args)


def _option_args(
    draw: st.DrawFn,
    name: str,
    packages: Sequence[PackageState],
    subscriptions: Sequence[PackageState],
    now: dt.datetime,
) -> dict[str, Any]:
    """The arguments of an operation of the lifecycle options of issue 12, drawn from the
    packages it meets."""
    if name == "transfer":
        # another package as the target (the same one is refused: a no-op), mostly one that
        # holds an item of the source
        source = draw(st.sampled_from(packages))
        others = [p for p in packages if p.id != source.id] or [source]
        items = {c.item for c in source.components}
        fitting = [p for p in others if items & {c.item for c in p.components}]
        target = draw(st.sampled_from(draw(st.sampled_from((fitting or others, others)))))
        shared = sorted(items & {c.item for c in target.components})
        return {
            "package_id": source.id,
            "to_package": target.id,
            "item": draw(st.sampled_from(shared or sorted(items) or ITEMS)),
            "credits": draw(st.integers(1, 3)),
        }
    if name == "change_beneficiary":
        return {
            "package_id": draw(st.sampled_from(packages)).id,
            "beneficiary": draw(st.sampled_from((None, *BENEFICIARIES))),
        }
    args: dict[str, Any] = {"package_id": draw(st.sampled_from(subscriptions)).id}
    if name == "set_renewal":
        args["renews_on"] = now.date() + dt.timedelta(days=draw(st.integers(0, 40)))
    return args


def _late_cancel(draw: st.DrawFn, currency: str) -> _LateCancel:
    """The late-cancel terms of the business of :func:`ledgers`: none (the default), a window
    that forfeits, or one that charges a fee in *currency*."""
    kind = draw(st.sampled_from(("none", "forfeit", "fee")))
    if kind == "none":
        return _LateCancel()
    if kind == "forfeit":
        return _LateCancel(window=dt.timedelta(days=5), no_show="forfeit")
    fee = draw(money(currency=currency, min_minor=100, max_minor=2_000))
    return _LateCancel(window=dt.timedelta(days=5), late="fee", no_show="fee", fee=fee)


def _items_paid(terms: PackageType | PackagePurchased) -> set[str]:
    """The items a package of *terms* pays as its own: its components' (a pool's items), or the
    items of its stored value."""
    own = {i for c in terms.components for i in (c.items or (c.item,))}
    return own | set(terms.items or ())


@st.composite
def ledgers(
    draw: st.DrawFn,
    *,
    catalogue: Catalogue | None = None,
    timezone: str | None = None,
    owners: Sequence[str] = OWNERS,
    currency: str = "USD",
    operations: Collection[str] = LEDGER_OPERATIONS,
    max_steps: int = 12,
    settings: Settings | None = None,
    late_cancel: _LateCancel | None = None,
    countdown_reset: bool | None = None,
) -> Ledger:
    """A valid ledger, built by running lifecycle operations from a catalogue.

    Up to *max_steps* operations of *operations* (purchase, hold, checkout, use, cancel, refund,
    assign, deduct, edit_expiry, expire, renew, delete, pause, unpause, and those of issue 12:
    no_show, transfer, change_beneficiary, set_renewal, stop_renewal) run one after the other,
    time moving on between them (minutes to weeks, starting near a clock change of *timezone*),
    with arguments drawn from the state they meet: the first is a purchase; an operation the
    state refuses (:class:`~punchcard.lifecycle.OperationRefused`) is skipped, since it changes
    nothing. The carts of holds and checkouts are in *currency*; the *catalogue* is drawn with
    :func:`package_types` when not given, market options included (pools, substitutes,
    overdrafts, stored value...), and a purchase is now and then valid from a later day.
    *settings* (drawn when not given) are the business's, and its policy's expiry mode is now
    and then ``elapsed`` (X5); its other choices are drawn too (what happens to a booking
    cancelled late or a no-show, credits left at a renewal and their cap, caps of uses per
    period, the refund basis, the countdown reset, when a hold's expiry is judged; *late_cancel*
    and *countdown_reset*, when given, are its late-cancel terms and countdown reset); the staff
    have every permission.
    """
    unknown = sorted(set(operations) - set(LEDGER_OPERATIONS))
    if unknown:
        raise ValueError(f"operations: unknown {unknown!r}; known: {list(LEDGER_OPERATIONS)!r}")
    order = [name for name in LEDGER_OPERATIONS if name in operations]
    timezone = timezone or draw(zones())
    tz = ZoneInfo(timezone)
    if catalogue is None:
        count = draw(st.integers(1, 3))
        catalogue = Catalogue(
            [draw(package_types(type_id=f"t{i}", currency=currency)) for i in range(count)]
        )
    rollover: Any = draw(st.sampled_from(("forfeit", "rollover")))
    desk = _Desk(
        business=Business(
            settings=draw(_draw_settings()) if settings is None else settings,
            policy=Policy(expiry=draw(st.sampled_from(("end_of_day", "end_of_day", "elapsed")))),
            cancel_after_expiry=draw(st.sampled_from(("expire", "refuse"))),
            unused_at_renewal=rollover,
            timezone=timezone,
            late_cancel=_late_cancel(draw, currency) if late_cancel is None else late_cancel,
            rollover_cap=draw(st.sampled_from((None, 1))) if rollover == "rollover" else None,
            use_caps={ptype.id: 2 for ptype in catalogue.types if draw(_ONE_IN_FOUR)},
            refund_used_at=draw(st.sampled_from(("paid_value", "service_price"))),
            countdown_reset=draw(_BOOLEANS) if countdown_reset is None else countdown_reset,
            expiry_judged_at=draw(st.sampled_from(("appointment", "booking"))),
        ),
        timezone=timezone,
        actor=Actor("staff", PERMISSIONS),
    )
    # Time moves on by instants (adding to an aware local time would add wall-clock time).
    instant = _instant(draw(moments(timezone=timezone)), tz)
    state = LedgerState()
    events: list[LedgerEvent] = []
    gap = st.one_of(st.sampled_from((0, 1, 60, 24 * 60, 7 * 24 * 60)), st.integers(0, 20 * 24 * 60))
    # Hypothesis draws small counts most often: the longest run is drawn on its own as well.
    for n in range(draw(st.one_of(st.integers(1, max_steps), st.just(max_steps)))):
        instant += dt.timedelta(minutes=draw(gap))
        step = draw(
            _step(
                state=state,
                catalogue=catalogue,
                owners=owners,
                operations=order,
                currency=currency,
                now=instant.astimezone(tz),
                n=n,
            )
        )
        if step is None:
            break
        try:
            outcome = _operate(desk, state, step)
        except OperationRefused:
            continue
        events.extend(outcome.events)
        state = outcome.state
    return Ledger(
        tuple(events),
        state,
        catalogue,
        timezone,
        instant.astimezone(tz),
        desk.business.settings,
        desk.business,
    )


# -- invariants ----------------------------------------------------------------------------------

_DEFAULT_SETTINGS: Final = Settings()


def _fail(invariant: str, message: str) -> AssertionError:
    return AssertionError(f"{invariant}: {message}")


def assert_application_invariants(
    cart: Cart,
    packages: Iterable[Package],
    result: Application,
    *,
    settings: Settings = _DEFAULT_SETTINGS,
    policy: Policy | None = None,
) -> None:
    """Raise :class:`AssertionError` naming the invariant when *result* (what
    :func:`punchcard.apply`, or your integration around it, answered for *cart* and *packages*)
    breaks one of the invariants of a checkout. Checked:

    - the result answers this cart and these packages: lines and packages in input order;
    - 1: no component below ``-overdraft``, no stored value below zero;
    - 2: credits are whole, at least one per credit redemption (none for stored value); a line
      takes at most ``units`` credits; the credits of a redemption take off equal amounts;
    - 3: per line, total = unit price x units, covered = what its redemptions took off,
      covered <= total, due = total - covered >= 0; a credit takes off at most the unit price;
      the cart's totals add up;
    - 4: only the cart owner's packages pay; a beneficiary's package only for that beneficiary's
      lines; with ``any_location`` off only the cart's location or global packages; with
      ``any_type`` off only a component paying the line's item as its own or as a listed
      substitute (or stored value for that item); a credit only in the line's unit (hourly or
      not); never before the purchase or ``valid_from``, never on a paused date;
    - 5: a $0 line takes nothing unless ``zero_price_items``, and never stored value;
    - 8: the events match the redemptions one for one, and replaying them over *packages* gives
      the returned balances; a package nothing was taken from comes back unchanged.

    Pass the *settings* and *policy* the checkout ran under. A check of rule 4 or 5 is skipped
    when *policy* leaves out the built-in rule behind it (adding rules only makes fewer
    redemptions, so it skips nothing). Expiry (R4) is not checked here: it depends on the
    policy's expiry time and mode, which the engine's own tests pin.

    >>> import datetime as dt
    >>> cart = Cart("smith", "downtown", "USD", [Line("l1", "x", Money("30", "USD"))])
    >>> mine = [Package(id="p1", owner="smith", purchased_at=dt.datetime(2026, 1, 5),
    ...                 components=[Component("x", 2)])]
    >>> result = apply(cart, mine, as_of=dt.datetime(2026, 3, 2, 9), timezone="UTC")
    >>> assert_application_invariants(cart, mine, result)
    >>> theirs = [attrs.evolve(mine[0], owner="jones")]
    >>> assert_application_invariants(cart, theirs, result)
    Traceback (most recent call last):
    ...
    AssertionError: invariant 4: package 'p1' of 'jones' paid for the cart of 'smith'
    """
    before = {p.id: p for p in packages}
    codes = {rule.code for rule in (DEFAULT_RULES if policy is None else policy.rules)}
    _check_echo(cart, before, result)
    lines_by_id = {line.id: line for line in cart.lines}
    line_credits: Counter[str] = Counter()
    line_covered: Counter[str] = Counter()
    for r in result.redemptions:
        line = lines_by_id.get(r.line_id)
        package = before.get(r.package_id)
        if line is None or package is None:
            raise _fail("result", f"{r!r} names a line or a package that was not given")
        _check_redemption(r, line, package, cart, settings, codes, result.at)
        line_credits[r.line_id] += r.credits
        line_covered[r.line_id] += r.amount.minor
    _check_lines(cart, result, line_credits, line_covered)
    _check_replay(before, result)


def _check_echo(cart: Cart, before: dict[str, Package], result: Application) -> None:
    got_lines = [lr.line_id for lr in result.lines]
    if got_lines != [line.id for line in cart.lines]:
        raise _fail(
            "result", f"lines {got_lines!r} for the cart's {[ln.id for ln in cart.lines]!r}"
        )
    got_packages = [p.id for p in result.packages]
    if got_packages != list(before):
        raise _fail("result", f"packages {got_packages!r} for the input's {list(before)!r}")
    if (result.owner, result.currency) != (cart.owner, cart.currency):
        raise _fail(
            "result",
            f"answers {result.owner!r} in {result.currency}, not {cart.owner!r} in {cart.currency}",
        )


def _check_redemption(
    r: Redemption,
    line: Line,
    package: Package,
    cart: Cart,
    settings: Settings,
    codes: set[str],
    at: dt.datetime,
) -> None:
    """Invariants 2-5 for one redemption *r* of *package* on *line* at *at* (aware)."""
    tz = at.tzinfo
    assert tz is not None
    where = f"redemption of package {package.id!r} on line {line.id!r}"
    if package.owner != cart.owner:
        raise _fail(
            "invariant 4",
            f"package {package.id!r} of {package.owner!r} paid for the cart of {cart.owner!r}",
        )
    if r.amount.currency != cart.currency or r.amount.amount < 0:
        raise _fail("invariant 3", f"{where} takes off {r.amount}")
    if (
        "beneficiary_mismatch" in codes
        and package.beneficiary is not None
        and package.beneficiary != line.beneficiary
    ):
        raise _fail(
            "invariant 4",
            f"{where}: the package is for {package.beneficiary!r}, the line for "
            f"{line.beneficiary!r}",
        )
    if (
        "location_mismatch" in codes
        and not settings.any_location
        and package.location not in (None, cart.location)
    ):
        raise _fail(
            "invariant 4",
            f"{where}: package of {package.location!r} used at {cart.location!r} with "
            "any_location off",
        )
    if "not_yet_valid" in codes:
        for field in ("purchased_at", "valid_from"):
            start = getattr(package, field)
            if start is not None and _instant(start, tz) > at:
                raise _fail(
                    "invariant 4", f"{where}: used at {at.isoformat()}, before its {field} {start}"
                )
    if "paused" in codes and any(p.covers(at.date()) for p in package.pauses):
        raise _fail("invariant 4", f"{where}: used on {at.date()}, a paused date")
    if (
        "zero_price" in codes
        and not line.unit_price.amount
        and (r.item is None or not settings.zero_price_items)
    ):
        raise _fail("invariant 5", f"{where}: a $0 line took {r.credits} credits, {r.amount}")
    if r.item is None:
        _check_stored_value(r, line, package, settings, codes, where)
    else:
        _check_credits(r, r.item, line, package, settings, codes, where)


def _check_stored_value(
    r: Redemption, line: Line, package: Package, settings: Settings, codes: set[str], where: str
) -> None:
    if package.balance is None:
        raise _fail("invariant 1", f"{where}: stored value taken from a package of credits")
    if r.credits != 0:
        raise _fail("invariant 2", f"{where}: stored value with {r.credits} credits")
    if r.amount > line.total:
        raise _fail("invariant 3", f"{where}: takes off {r.amount} from a line of {line.total}")
    if (
        "type_mismatch" in codes
        and not settings.any_type
        and package.items is not None
        and line.item not in package.items
    ):
        raise _fail(
            "invariant 4", f"{where}: stored value for {package.items!r} paid {line.item!r}"
        )


def _check_credits(
    r: Redemption,
    item: str,
    line: Line,
    package: Package,
    settings: Settings,
    codes: set[str],
    where: str,
) -> None:
    component = next((c for c in package.components if c.item == item), None)
    if component is None:
        raise _fail("invariant 1", f"{where}: the package has no component {item!r}")
    credits = r.credits
    if isinstance(credits, bool) or not isinstance(credits, int) or credits < 1:
        raise _fail("invariant 2", f"{where}: {credits!r} credits")
    if r.amount.minor % credits:
        raise _fail("invariant 2", f"{where}: {credits} credits took off {r.amount}, unevenly")
    if r.amount.minor // credits > line.unit_price.minor:
        raise _fail(
            "invariant 3", f"{where}: a credit took off more than the unit price {line.unit_price}"
        )
    if (
        "type_mismatch" in codes
        and not settings.any_type
        and not component.pays_as_own(line.item)
        and line.item not in component.substitutes
    ):
        raise _fail(
            "invariant 4", f"{where}: a credit of {item!r} paid {line.item!r} with any_type off"
        )
    if "unit_mismatch" in codes and component.hourly != (line.charge_by == "hour"):
        raise _fail(
            "invariant 4",
            f"{where}: an hourly={component.hourly} credit paid a line charged by "
            f"{line.charge_by!r}",
        )


def _check_lines(
    cart: Cart, result: Application, line_credits: Counter[str], line_covered: Counter[str]
) -> None:
    """Invariants 2 and 3 per line, and the cart's totals."""
    currency = cart.currency
    for line, lr in zip(cart.lines, result.lines, strict=True):
        taken = line_credits[line.id]
        covered = Money.from_minor(line_covered[line.id], currency)
        if not lr.credits == taken <= line.units:
            raise _fail(
                "invariant 2",
                f"line {line.id!r} reports {lr.credits} credits, its redemptions took {taken}, "
                f"it has {line.units} units",
            )
        if lr.total != line.total or lr.covered != covered:
            raise _fail(
                "invariant 3",
                f"line {line.id!r}: total {lr.total} and covered {lr.covered}, but "
                f"{line.unit_price} x {line.units} = {line.total} and its redemptions took "
                f"off {covered}",
            )
        if not lr.covered <= lr.total or lr.due != lr.total - lr.covered or lr.due.amount < 0:
            raise _fail(
                "invariant 3",
                f"line {line.id!r}: total {lr.total}, covered {lr.covered}, due {lr.due}",
            )
    covered = Money.from_minor(sum(line_covered.values()), currency)
    if (result.total, result.covered, result.due) != (cart.total, covered, cart.total - covered):
        raise _fail(
            "invariant 3",
            f"the cart's total {result.total}, covered {result.covered} and due {result.due} "
            f"are not {cart.total}, {covered} and {cart.total - covered}",
        )


def _check_replay(before: dict[str, Package], result: Application) -> None:
    """Invariants 1 and 8: replaying the events over the input gives the returned balances."""
    events = tuple(result.events)
    if len(events) != len(result.redemptions):
        raise _fail(
            "invariant 8", f"{len(events)} events for {len(result.redemptions)} redemptions"
        )
    taken: Counter[tuple[str, str]] = Counter()
    spent: Counter[str] = Counter()
    for event, r in zip(events, result.redemptions, strict=True):
        if isinstance(event, RedemptionRecorded):
            item: str | None = event.item
            credits = event.credits
        else:  # money of a stored-value package
            item, credits = None, 0
        seen = (event.package_id, event.line_id, item, credits, event.amount)
        wanted = (r.package_id, r.line_id, r.item, r.credits, r.amount)
        if seen != wanted:
            raise _fail("invariant 8", f"event {seen!r} for redemption {wanted!r}")
        if item is None:
            spent[event.package_id] += event.amount.minor
        else:
            taken[(event.package_id, item)] += credits
    named = {package_id for package_id, _item in taken} | set(spent)
    for after in result.packages:
        package = before[after.id]
        if package.id not in named:
            if after != package:
                raise _fail("invariant 8", f"package {package.id!r} changed, no event names it")
        elif package.balance is not None:
            _check_balance(package, after, spent[package.id])
        else:
            _check_components(package, after, taken)


def _check_balance(package: Package, after: Package, spent: int) -> None:
    assert package.balance is not None
    left = Money.from_minor(package.balance.minor - spent, package.balance.currency)
    if left.amount < 0:
        raise _fail("invariant 1", f"package {package.id!r}: the events spend {left} below zero")
    if after.balance != left:
        raise _fail(
            "invariant 8",
            f"package {package.id!r}: balance {after.balance}, replaying the events gives {left}",
        )


def _check_components(package: Package, after: Package, taken: Counter[tuple[str, str]]) -> None:
    if [c.item for c in after.components] != [c.item for c in package.components]:
        raise _fail("invariant 8", f"package {package.id!r}: its components changed")
    for old, new in zip(package.components, after.components, strict=True):
        left = old.remaining - taken[(package.id, old.item)]
        if left < -old.overdraft:
            raise _fail(
                "invariant 1",
                f"package {package.id!r}: {old.item!r} goes to {left}, below -{old.overdraft}",
            )
        if new.remaining != left:
            raise _fail(
                "invariant 8",
                f"package {package.id!r}: {old.item!r} has {new.remaining} left, replaying "
                f"the events gives {left}",
            )


_BUCKETS: Final = (
    "remaining",
    "held",
    "used",
    "deducted",
    "expired",
    "refunded",
    "settled",
    "forfeited",
    "transferred",
)
_MONEY_BUCKETS: Final = ("remaining", "held", "used", "expired", "refunded", "forfeited")


def assert_ledger_conserved(state: LedgerState | Iterable[PackageState]) -> None:
    """Raise :class:`AssertionError` unless every component of every package of *state*
    conserves its credits: ``granted == remaining + held + used + deducted + expired +
    refunded + settled + forfeited + transferred``, no bucket below zero (``remaining`` not
    below ``-overdraft``, X8), and the held, used and forfeited counts are the credits of the
    package's redemptions that are held, used and forfeited; and the money of a stored-value
    package (X9) the same way (``granted == remaining + held + used + expired + refunded +
    forfeited``, held, used and forfeited the amounts of its redemptions).

    >>> import datetime as dt
    >>> from punchcard.lifecycle import LedgerState, PackageType, TypeComponent, purchase
    >>> ten = PackageType(id="t", name="Ten", price=Money("250", "USD"),
    ...                   components=[TypeComponent("daycare_full", 10)])
    >>> state = purchase(LedgerState(), ten, package_id="p1", owner="smith",
    ...                  as_of=dt.datetime(2026, 3, 1, 9), timezone="America/New_York").state
    >>> assert_ledger_conserved(state)
    >>> leak = attrs.evolve(state.packages[0].components[0], remaining=9)
    >>> assert_ledger_conserved([attrs.evolve(state.packages[0], components=[leak])])
    Traceback (most recent call last):
    ...
    AssertionError: conservation: package 'p1', 'daycare_full': granted 10 != remaining 9 + held 0 + used 0 + deducted 0 + expired 0 + refunded 0 + settled 0 + forfeited 0 + transferred 0
    """
    for package in state:
        _check_stored_value_conserved(package)
        for component in package.components:
            where = f"package {package.id!r}, {component.item!r}"
            counts = {name: getattr(component, name) for name in _BUCKETS}
            floor = {"remaining": -getattr(component, "overdraft", 0)}
            for name, count in counts.items():
                if count < floor.get(name, 0):
                    raise _fail("conservation", f"{where}: {name} is {count}")
            if component.granted != sum(counts.values()):
                parts = " + ".join(f"{name} {count}" for name, count in counts.items())
                raise _fail("conservation", f"{where}: granted {component.granted} != {parts}")
            for status in ("held", "used", "forfeited"):
                recorded = sum(
                    r.credits
                    for r in package.redemptions
                    if r.item == component.item and r.status == status
                )
                if recorded != counts[status]:
                    raise _fail(
                        "conservation",
                        f"{where}: {counts[status]} {status}, but its {status} redemptions "
                        f"hold {recorded}",
                    )


def _check_stored_value_conserved(package: PackageState) -> None:
    money = package.balance
    if money is None:
        return
    where = f"package {package.id!r}, its balance"
    amounts = {name: getattr(money, name) for name in _MONEY_BUCKETS}
    for name, amount in amounts.items():
        if amount.minor < 0:
            raise _fail("conservation", f"{where}: {name} is {amount}")
    if money.granted.minor != sum(a.minor for a in amounts.values()):
        parts = " + ".join(f"{name} {amount}" for name, amount in amounts.items())
        raise _fail("conservation", f"{where}: granted {money.granted} != {parts}")
    for status in ("held", "used", "forfeited"):
        recorded = sum(
            r.amount.minor for r in package.redemptions if r.item is None and r.status == status
        )
        if recorded != amounts[status].minor:
            raise _fail(
                "conservation",
                f"{where}: {amounts[status]} {status}, but its {status} redemptions hold "
                f"{Money.from_minor(recorded, money.granted.currency)}",
            )
