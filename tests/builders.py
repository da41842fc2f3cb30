"""Small builders of engine inputs and scenario documents shared by the tests."""

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
        as_of=at,
        timezone=timezone,
        settings=settings or Settings(),
        policy=policy or Policy(),
        rates=rates,
    )


def every_field_document() -> dict[str, Any]:
    """A valid scenario document that uses every field of the format: three lines, three
    packages (one of another owner), two locations (for the hostile-input and reader tests)."""
    return {
        "version": 1,
        "at": "2026-03-02T17:30:00",
        "timezone": "America/New_York",
        "currency": "USD",
        "settings": {
            "any_type": True,
            "any_location": False,
            "greater_value": False,
            "zero_price_items": False,
            "refund_after_use": False,
        },
        "policy": {
            "line_order": "cheapest_first",
            "package_order": "fifo",
            "valuation": "line_price",
            "expires_at": "23:59",
        },
        "rates": {
            "downtown": {"daycare_full": "30.00", "daycare_half": "18.00", "walk": "12.50"},
            "uptown": {"daycare_full": "32.00"},
        },
        "cart": {
            "owner": "smith",
            "location": "downtown",
            "lines": [
                {
                    "id": "l1",
                    "item": "daycare_full",
                    "for": "rex",
                    "unit_price": "30.00",
                    "units": 2,
                    "charge_by": "day",
                },
                {
                    "id": "l2",
                    "item": "daycare_half",
                    "for": "bella",
                    "unit_price": "18.00",
                    "credit_values": {"daycare_full": "24.00"},
                },
                {
                    "id": "l3",
                    "item": "walk",
                    "unit_price": "12.50",
                    "units": 3,
                    "charge_by": "hour",
                },
            ],
        },
        "packages": [
            {
                "id": "p1",
                "owner": "smith",
                "location": "downtown",
                "for": None,
                "purchased_at": "2026-01-05T10:00:00",
                "expires_on": "2026-03-31",
                "days_to_expiration": None,
                "expiry_starts": "sale",
                "first_used_at": None,
                "pricing_rules": False,
                "credits": [
                    {"item": "daycare_full", "remaining": 3, "hourly": False},
                    {"item": "walk", "remaining": 2, "hourly": True},
                ],
            },
            {
                "id": "p2",
                "owner": "smith",
                "for": "bella",
                "purchased_at": "2026-02-01T09:00:00-05:00",
                "days_to_expiration": 90,
                "expiry_starts": "first_use",
                "first_used_at": "2026-02-10T12:00:00",
                "pricing_rules": True,
                "credits": [{"item": "daycare_half", "remaining": 5}],
            },
            {
                "id": "p3",
                "owner": "jones",
                "location": "uptown",
                "purchased_at": "2026-01-01T08:00:00",
                "credits": [{"item": "daycare_full", "remaining": 1}],
            },
        ],
    }
