"""Small builders of engine inputs shared by the example-based engine tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from punchcard import Application, Cart, Component, Line, Money, Package, Policy, Settings, apply

TZ = "America/New_York"
AT = dt.datetime(2026, 3, 2, 17, 30)  # a Monday, local time in New York
BOUGHT = dt.datetime(2026, 1, 5, 10, 0)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def package(
    id: str = "p1",
    *components: Component,
    owner: str = "smith",
    purchased_at: dt.datetime = BOUGHT,
    **fields: Any,
) -> Package:
    return Package(
        id=id,
        owner=owner,
        purchased_at=purchased_at,
        components=components or (Component("daycare_full", 5),),
        **fields,
    )


def line(id: str = "l1", item: str = "daycare_full", price: str = "30", **fields: Any) -> Line:
    return Line(id, item, usd(price), **fields)


def cart(*lines: Line, owner: str = "smith", location: str = "downtown") -> Cart:
    return Cart(owner, location, "USD", lines or (line(),))


def run(
    the_cart: Cart,
    packages: list[Package],
    *,
    settings: Settings | None = None,
    policy: Policy | None = None,
    rates: dict[str, dict[str, Money]] | None = None,
    at: dt.datetime = AT,
    timezone: str = TZ,
) -> Application:
    return apply(
        the_cart,
        packages,
        at=at,
        timezone=timezone,
        settings=settings or Settings(),
        policy=policy or Policy(),
        rates=rates,
    )
