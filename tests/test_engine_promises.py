"""The engine's promises about its inputs: never mutated, the clock never read (punchcard.engine)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from builders import AT, TZ, line, package, usd

from punchcard import (
    Application,
    Cart,
    Component,
    Package,
    Policy,
    Settings,
    apply,
)

NY = ZoneInfo(TZ)


def rejected(result: Application) -> list[tuple[str, str, str]]:
    return [(r.line_id, r.package_id, r.reason) for r in result.rejections]


# The engine's promises about its inputs ---------------------------------------------------------


def _busy_checkout() -> tuple[Cart, list[Package], dict[str, Any]]:
    the_cart = Cart(
        "smith",
        "downtown",
        "USD",
        [
            line("l1", units=2, beneficiary="rex"),
            line("l2", item="boarding", price="50", units=3, charge_by="night"),
            line("l3", item="walk", price="12", units=2, charge_by="hour"),
        ],
        id="ticket-7",
    )
    packages = [
        package("p1", Component("daycare_full", 1), Component("boarding", 1)),
        package(
            "p2",
            Component("walk", 4, hourly=True),
            days_to_expiration=10,
            expiry_starts="first_use",
        ),
        package("p3", beneficiary="rex", expires_on=dt.date(2026, 3, 10)),
        package("p4", owner="jones"),
    ]
    kwargs: dict[str, Any] = {
        "as_of": AT,
        "timezone": TZ,
        "settings": Settings(any_type=True),
        "policy": Policy(valuation="default_rate"),
        "rates": {"downtown": {"daycare_full": usd("30"), "boarding": usd("45")}},
    }
    return the_cart, packages, kwargs


def test_inputs_never_mutated() -> None:
    the_cart, packages, kwargs = _busy_checkout()
    before = copy.deepcopy((the_cart, packages, kwargs))
    result = apply(the_cart, packages, **kwargs)
    assert result.redemptions  # the checkout did something
    assert result.packages != tuple(packages)
    assert (the_cart, packages, kwargs) == before
    assert [p.components for p in packages] == [p.components for p in before[1]]
    assert packages[1].first_used_at is None
    # A generator of packages is fine too, and gives the same answer.
    assert apply(the_cart, iter(packages), **kwargs) == result


def test_engine_never_reads_the_clock() -> None:
    the_cart, packages, kwargs = _busy_checkout()
    first = apply(the_cart, packages, **kwargs)
    second = apply(the_cart, packages, **kwargs)
    assert first == second
    assert repr(first) == repr(second)
    # Validity is judged at *at*, whatever today is: far in the future, p3 has expired.
    later = apply(the_cart, packages, **{**kwargs, "as_of": dt.datetime(2031, 1, 1, 9)})
    assert ("l1", "p3", "expired") in rejected(later)
    assert {e.at for e in later.events} == {dt.datetime(2031, 1, 1, 9, tzinfo=NY)}
