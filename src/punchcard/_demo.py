"""The built-in scenario of ``punchcard demo`` (the same as examples/daycare.json)."""

from __future__ import annotations

from typing import Any, Final

DEMO: Final[dict[str, Any]] = {
    "version": 1,
    "at": "2026-03-02T17:30:00",
    "timezone": "America/New_York",
    "currency": "USD",
    "settings": {
        "any_type": False,
        "any_location": False,
        "greater_value": False,
        "zero_price_items": False,
    },
    "policy": {
        "line_order": "cheapest_first",
        "package_order": "fifo",
        "valuation": "default_rate",
        "expires_at": "23:59",
    },
    "rates": {"downtown": {"daycare_full": "30.00", "daycare_half": "18.00"}},
    "cart": {
        "owner": "smith",
        "location": "downtown",
        "lines": [
            {
                "id": "rex-mon",
                "item": "daycare_full",
                "for": "rex",
                "unit_price": "35.00",
                "units": 1,
                "charge_by": "day",
            },
            {
                "id": "bella-mon",
                "item": "daycare_full",
                "for": "bella",
                "unit_price": "30.00",
                "units": 1,
                "charge_by": "day",
            },
            {
                "id": "bella-half",
                "item": "daycare_half",
                "for": "bella",
                "unit_price": "18.00",
                "units": 1,
                "charge_by": "day",
            },
        ],
    },
    "packages": [
        {
            "id": "pass-2026-01",
            "owner": "smith",
            "location": "downtown",
            "for": None,
            "purchased_at": "2026-01-05T10:00:00",
            "days_to_expiration": 90,
            "expiry_starts": "sale",
            "credits": [{"item": "daycare_full", "remaining": 2, "hourly": False}],
        },
        {
            "id": "pass-2025-11",
            "owner": "smith",
            "location": "downtown",
            "for": None,
            "purchased_at": "2025-11-20T09:15:00",
            "expires_on": "2026-02-28",
            "credits": [{"item": "daycare_full", "remaining": 3, "hourly": False}],
        },
        {
            "id": "half-rex",
            "owner": "smith",
            "location": "downtown",
            "for": "rex",
            "purchased_at": "2026-02-01T08:00:00",
            "days_to_expiration": 60,
            "expiry_starts": "first_use",
            "credits": [{"item": "daycare_half", "remaining": 4, "hourly": False}],
        },
    ],
}
