"""Scenario documents for the reader's tests: a checkout of smith's to build on, documents from
drawn checkouts, one with every option, and a Hypothesis strategy of valid documents that use
the options."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from builders import every_field_document
from hypothesis import strategies as st

from punchcard.testing import Scenario as Drawn
from punchcard.testing import scenarios

#: The keys of a result document, in the documented order (scenario-format.md, Output).
RESULT_KEYS = [
    "currency",
    "total",
    "covered",
    "due",
    "lines",
    "redemptions",
    "rejections",
    "packages",
]
SETTING_NAMES = (
    "any_type",
    "any_location",
    "greater_value",
    "zero_price_items",
    "refund_after_use",
)


def checkout(
    lines: list[dict[str, Any]], packages: list[dict[str, Any]], **top: Any
) -> dict[str, Any]:
    """A document of smith's checkout at downtown, New York, in USD, on 2 March 2026 at 17:30,
    with *lines* and *packages*; *top* adds or replaces top-level keys."""
    doc: dict[str, Any] = {
        "at": "2026-03-02T17:30:00",
        "timezone": "America/New_York",
        "currency": "USD",
        "cart": {"owner": "smith", "location": "downtown", "lines": lines},
        "packages": packages,
    }
    doc.update(top)
    return doc


def put(document: Any, where: tuple[Any, ...], value: Any) -> Any:
    """A copy of *document* with *value* at *where* (keys and indexes)."""
    out = copy.deepcopy(document)
    parent = out
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    return out


def path_of(where: tuple[Any, ...]) -> str:
    """*where* as an error's path writes it: ``cart.lines[0].units``."""
    text = ""
    for key in where:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else key
    return text


def drop(document: Any, where: tuple[Any, ...]) -> Any:
    """A copy of *document* without the key at *where*."""
    out = copy.deepcopy(document)
    parent = out
    for key in where[:-1]:
        parent = parent[key]
    del parent[where[-1]]
    return out


def from_drawn(drawn: Drawn, *, sparse: bool) -> dict[str, Any]:
    """The scenario document of a drawn checkout; *sparse* leaves out what has its default."""

    def give(obj: dict[str, Any], key: str, value: Any, default: Any) -> None:
        if not (sparse and value == default):
            obj[key] = value

    rates: dict[str, dict[str, str]] = {}
    for location, item, money in drawn.rates.entries:
        rates.setdefault(location, {})[item] = str(money)
    lines = []
    for line in drawn.cart.lines:
        raw: dict[str, Any] = {"id": line.id, "item": line.item, "unit_price": str(line.unit_price)}
        give(raw, "units", line.units, 1)
        give(raw, "for", line.beneficiary, None)
        give(raw, "charge_by", line.charge_by, "each")
        # Items in reverse order: the reader must sort them as the Line converter does.
        give(raw, "credit_values", {k: str(m) for k, m in reversed(line.credit_values)}, {})
        lines.append(raw)
    packages = []
    for p in drawn.packages:
        raw = {"id": p.id, "owner": p.owner, "purchased_at": p.purchased_at.isoformat()}
        give(raw, "location", p.location, None)
        give(raw, "for", p.beneficiary, None)
        give(raw, "expires_on", None if p.expires_on is None else p.expires_on.isoformat(), None)
        give(raw, "days_to_expiration", p.days_to_expiration, None)
        give(raw, "expiry_starts", p.expiry_starts, "sale")
        first = None if p.first_used_at is None else p.first_used_at.isoformat()
        give(raw, "first_used_at", first, None)
        give(raw, "pricing_rules", p.pricing_rules, False)
        raw["credits"] = []
        for c in p.components:
            credit: dict[str, Any] = {"item": c.item, "remaining": c.remaining}
            give(credit, "hourly", c.hourly, False)
            raw["credits"].append(credit)
        packages.append(raw)
    doc: dict[str, Any] = {"at": drawn.as_of.isoformat(), "timezone": drawn.timezone}
    give(doc, "version", 1, 1)
    doc["currency"] = drawn.cart.currency
    settings = {name: getattr(drawn.settings, name) for name in SETTING_NAMES}
    give(doc, "settings", settings, dict.fromkeys(SETTING_NAMES, False))
    policy = {
        "line_order": drawn.policy.line_order.name,
        "package_order": drawn.policy.package_order.name,
        "valuation": drawn.policy.valuation.name,
        "expires_at": drawn.policy.expires_at,
    }
    give(doc, "policy", policy, {})
    give(doc, "rates", rates, {})
    doc["cart"] = {"owner": drawn.cart.owner, "location": drawn.cart.location, "lines": lines}
    doc["packages"] = packages
    return doc


def every_option_document() -> dict[str, Any]:
    """A valid document using every field of the format, options included."""
    doc = every_field_document()
    doc["policy"]["expiry"] = "elapsed"
    doc["booked_at"] = "2026-02-27T12:00:00"  # issue 12 option 17 (X11)
    doc["packages"].append(
        {
            "id": "p4",
            "owner": "smith",
            "purchased_at": "2026-01-31T10:00:00",
            "priority": 10,
            "valid_from": "2026-02-01T00:00:00",
            "valid_for": {"months": 3},
            "pauses": [
                {"from": "2026-02-10", "to": "2026-02-12"},
                {"from": "2026-02-20", "to": "2026-02-20"},
            ],
            "credits": [
                {"pool": "grooming", "items": ["bath", "nails"], "remaining": 4, "uses_left": 2},
                {
                    "item": "daycare_full",
                    "remaining": -1,
                    "overdraft": 2,
                    "substitutes": ["daycare_half"],
                },
            ],
        }
    )
    doc["packages"].append(
        {
            "id": "p5",
            "owner": "smith",
            "purchased_at": "2026-01-05T10:00:00",
            "balance": "40.00",
            "items": ["bath", "walk"],
        }
    )
    return doc


@st.composite
def with_options(draw: st.DrawFn) -> dict[str, Any]:
    """A generated document whose packages use the options, each where it is allowed."""
    doc: dict[str, Any] = from_drawn(draw(scenarios()), sparse=draw(st.booleans()))
    if draw(st.booleans()):
        doc.setdefault("policy", {})["expiry"] = draw(st.sampled_from(["end_of_day", "elapsed"]))
    day = st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31))
    for package in doc["packages"]:
        if draw(st.booleans()):
            package["priority"] = draw(st.integers(0, 100))
        if draw(st.booleans()):
            package["valid_from"] = (
                draw(day).isoformat()
                + "T"
                + draw(st.sampled_from(["00:00", "09:30:00", "23:59:59"]))
            )
        if package.get("days_to_expiration") is None and draw(st.booleans()):
            unit = draw(st.sampled_from(["days", "weeks", "months"]))
            package["valid_for"] = {unit: draw(st.integers(0, 36))}
        if draw(st.booleans()):
            starts = sorted(draw(st.lists(day, max_size=3, unique=True)))
            package["pauses"] = [
                {
                    "from": start.isoformat(),
                    "to": (start + dt.timedelta(days=draw(st.integers(0, 2)))).isoformat(),
                }
                for start in starts
                if all(start - other > dt.timedelta(days=2) for other in starts if other < start)
            ]
        if draw(st.booleans()):
            del package["credits"]
            package["balance"] = draw(st.sampled_from(["0", "25", "100"]))
            if draw(st.booleans()):
                package["items"] = draw(
                    st.lists(st.sampled_from(["bath", "nails", "walk"]), unique=True)
                )
            continue
        own = {c["item"] for c in package["credits"]}
        for credit in package["credits"]:
            if draw(st.booleans()):
                credit["overdraft"] = overdraft = draw(st.integers(0, 3))
                credit["remaining"] = draw(st.integers(-overdraft, 5))
            if draw(st.booleans()):
                credit["substitutes"] = draw(
                    st.lists(st.sampled_from(["x_half", "x_walk", "x_bath"]), unique=True)
                )
        if draw(st.booleans()):
            pool_items = draw(
                st.lists(st.sampled_from(["p_bath", "p_nails", "p_cut"]), min_size=1, unique=True)
            )
            package["credits"].append(
                {"pool": "grooming_pool", "items": pool_items, "remaining": 1}
            )
            assert "grooming_pool" not in own
    return doc
