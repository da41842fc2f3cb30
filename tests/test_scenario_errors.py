"""Every field of the scenario format refuses bad input with a ScenarioError naming its path.

scenario-format.md: bad input makes :func:`punchcard.scenario.evaluate` raise
:class:`punchcard.ScenarioError` (a ``ValueError``) whose ``.path`` names the offending place;
unknown keys, duplicate keys, numbers for money, bad dates and duplicate ids are all errors; where
several things are wrong, the first one found is reported. The house style asks every message to
say what was expected and what arrived.

Each case starts from one valid document (the input example of the spec), breaks exactly one
thing, and checks the exact path and fragments of the message: one naming what was expected, one
showing what arrived.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

import punchcard
from punchcard import PunchcardError, ScenarioError
from punchcard.scenario import evaluate, loads, parse

Document = dict[str, Any]
Mutation = Callable[[Document], None]


def valid_document() -> Document:
    """The input example of scenario-format.md, every optional field written out."""
    return {
        "version": 1,
        "at": "2026-03-02T17:30:00",
        "timezone": "America/New_York",
        "currency": "USD",
        "settings": {
            "any_type": False,
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
        "rates": {"downtown": {"daycare_full": "30.00", "daycare_half": "18.00"}},
        "cart": {
            "owner": "smith",
            "location": "downtown",
            "lines": [
                {
                    "id": "l1",
                    "item": "daycare_full",
                    "for": "rex",
                    "unit_price": "30.00",
                    "units": 1,
                    "charge_by": "each",
                },
                {
                    "id": "l2",
                    "item": "daycare_full",
                    "for": "bella",
                    "unit_price": "30.00",
                    "credit_values": {"daycare_full": "24.00"},
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
                "credits": [{"item": "daycare_full", "remaining": 1, "hourly": False}],
            }
        ],
    }


def test_the_valid_document_is_valid() -> None:
    """The starting point of every case below must itself pass, or the cases prove nothing."""
    result = evaluate(valid_document())
    assert (result["covered"], result["due"]) == ("30.00", "30.00")


# --- A tiny path language: "cart.lines[0].units" -> ["cart", "lines", 0, "units"] ---------------

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _steps(path: str) -> list[str | int]:
    return [key if index == "" else int(index) for key, index in _STEP.findall(path)]


def _parent(doc: Any, path: str) -> tuple[Any, str | int]:
    *head, last = _steps(path)
    for step in head:
        doc = doc[step]
    return doc, last


def set_(path: str, value: Any) -> Mutation:
    """Set *path* to *value*: a new key, or a new list element just past the end, is added."""

    def mutate(doc: Document) -> None:
        parent, last = _parent(doc, path)
        if isinstance(parent, list) and last == len(parent):
            parent.append(value)
        else:
            parent[last] = value

    return mutate


def drop(path: str) -> Mutation:
    """Remove the key at *path*."""

    def mutate(doc: Document) -> None:
        parent, last = _parent(doc, path)
        del parent[last]

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(doc: Document) -> None:
        for mutation in mutations:
            mutation(doc)

    return mutate


def case(name: str, mutation: Mutation, path: str, *fragments: str) -> Any:
    return pytest.param(mutation, path, fragments, id=name)


def assert_refused(doc: Any, path: str, fragments: tuple[str, ...]) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        evaluate(doc)
    exc = info.value
    assert exc.path == path, f"expected path {path!r}, got {exc.path!r} ({exc.message})"
    assert str(exc) == f"{exc.path}: {exc.message}"
    for fragment in fragments:
        assert fragment in exc.message, f"{fragment!r} not in {exc.message!r}"
    return exc


# --- The table --------------------------------------------------------------------------------

WHOLE_GE_0 = "must be a whole number >= 0"
WHOLE_GE_1 = "must be a whole number >= 1"
NON_EMPTY = "must be a non-empty string"
BOOLEAN = "must be true or false"
OBJECT = "must be an object"
LIST = "must be a list"
REQUIRED = "is required"
DATE_TIME = "ISO 8601 date-time"
DATE = "ISO 8601 date"
MONEY = "money string"
MONEY_DIGITS = "digits with an optional decimal part"
NUMBERS_REFUSED = "numbers are refused"
GAP = "does not exist in America/New_York"

L0 = "cart.lines[0]"
L1 = "cart.lines[1]"
P0 = "packages[0]"
C0 = "packages[0].credits[0]"

VERSION = [
    case("version=2", set_("version", 2), "version", "must be the integer 1", "got 2"),
    case("version=1.0", set_("version", 1.0), "version", "must be the integer 1", "got 1.0"),
    case("version='1'", set_("version", "1"), "version", "must be the integer 1", 'got "1"'),
    case("version=true", set_("version", True), "version", "must be the integer 1", "got true"),
    case("version=0", set_("version", 0), "version", "must be the integer 1", "got 0"),
    case("version=-1", set_("version", -1), "version", "must be the integer 1", "got -1"),
    case("version=null", set_("version", None), "version", "must be the integer 1", "got null"),
    case("version=[1]", set_("version", [1]), "version", "must be the integer 1", "got [1]"),
]

AT = [
    case("at-missing", drop("at"), "at", REQUIRED),
    case("at=yesterday", set_("at", "yesterday"), "at", DATE_TIME, "'yesterday'"),
    case(
        "at=2026-02-30T10:00:00",
        set_("at", "2026-02-30T10:00:00"),
        "at",
        DATE_TIME,
        "'2026-02-30T10:00:00'",
    ),
    case("at=a-date", set_("at", "2026-03-02"), "at", DATE_TIME, "'2026-03-02'"),
    case("at=number", set_("at", 1772490600), "at", DATE_TIME, "got 1772490600"),
    case("at=null", set_("at", None), "at", DATE_TIME, "got null"),
    case("at=empty", set_("at", ""), "at", DATE_TIME, "''"),
    case("at=hour-24:30", set_("at", "2026-03-02T24:30:00"), "at", DATE_TIME, "24:30"),
    case("at=bad-offset", set_("at", "2026-03-02T17:30:00+25:00"), "at", DATE_TIME, "+25:00"),
    case("at=DST-gap", set_("at", "2026-03-08T02:30:00"), "at", GAP, "2026-03-08T02:30:00"),
]

TIMEZONE = [
    case("timezone-missing", drop("timezone"), "timezone", REQUIRED),
    case(
        "timezone=Mars/Olympus",
        set_("timezone", "Mars/Olympus"),
        "timezone",
        "IANA time zone",
        "'Mars/Olympus'",
    ),
    case("timezone=empty", set_("timezone", ""), "timezone", "IANA time zone", "''"),
    case("timezone=number", set_("timezone", 5), "timezone", "IANA time zone", "got 5"),
    case("timezone=null", set_("timezone", None), "timezone", "IANA time zone", "got null"),
    case("timezone=path", set_("timezone", "../../etc/passwd"), "timezone", "IANA time zone"),
    # A folder of the zone database and an over-long name: both are unknown zones too.
    case("timezone=America", set_("timezone", "America"), "timezone", "IANA time zone", "America"),
    case("timezone=too-long", set_("timezone", "A" * 300), "timezone", "IANA time zone", "AAAA"),
]

CURRENCY = [
    case("currency-missing", drop("currency"), "currency", REQUIRED),
    case("currency=XYZ", set_("currency", "XYZ"), "currency", "ISO 4217", "'XYZ'"),
    case("currency=usd", set_("currency", "usd"), "currency", "ISO 4217", "'usd'"),
    case("currency=empty", set_("currency", ""), "currency", "ISO 4217", "''"),
    case("currency=840", set_("currency", 840), "currency", "ISO 4217", "got 840"),
    case("currency=null", set_("currency", None), "currency", "ISO 4217", "got null"),
]

SETTINGS_FLAGS = (
    "any_type",
    "any_location",
    "greater_value",
    "zero_price_items",
    "refund_after_use",
)

SETTINGS = [
    case("settings=list", set_("settings", []), "settings", OBJECT, "got []"),
    case("settings=null", set_("settings", None), "settings", OBJECT, "got null"),
    case(
        "settings.unknown",
        set_("settings.any_typ", True),
        "settings.any_typ",
        "unknown key 'any_typ'",
        "any_type",
    ),
    *[
        case(
            f"settings.{flag}={bad!r}",
            set_(f"settings.{flag}", bad),
            f"settings.{flag}",
            BOOLEAN,
            got,
        )
        for flag in SETTINGS_FLAGS
        for bad, got in (("yes", 'got "yes"'), (1, "got 1"), (None, "got null"))
    ],
    case(
        "settings.greater_value-without-any_type",
        set_("settings.greater_value", True),
        "settings.greater_value",
        "any_type",
    ),
    case(
        "settings.greater_value-without-any_type-key",
        both(drop("settings.any_type"), set_("settings.greater_value", True)),
        "settings.greater_value",
        "any_type",
    ),
]

POLICY = [
    case("policy=list", set_("policy", []), "policy", OBJECT, "got []"),
    case(
        "policy.unknown",
        set_("policy.order", "fifo"),
        "policy.order",
        "unknown key 'order'",
        "line_order",
    ),
    case(
        "policy.line_order=random",
        set_("policy.line_order", "random"),
        "policy.line_order",
        "cheapest_first",
        '"random"',
    ),
    case(
        "policy.line_order=number",
        set_("policy.line_order", 1),
        "policy.line_order",
        "cheapest_first",
        "got 1",
    ),
    case(
        "policy.package_order=lifo",
        set_("policy.package_order", "lifo"),
        "policy.package_order",
        "earliest_expiry",
        '"lifo"',
    ),
    case(
        "policy.package_order=null",
        set_("policy.package_order", None),
        "policy.package_order",
        "fifo",
        "got null",
    ),
    case(
        "policy.valuation=market",
        set_("policy.valuation", "market"),
        "policy.valuation",
        "default_rate",
        '"market"',
    ),
    *[
        case(
            f"policy.expires_at={bad!r}",
            set_("policy.expires_at", bad),
            "policy.expires_at",
            "HH:MM",
            got,
        )
        for bad, got in (
            ("25:00", "'25:00'"),
            ("23:60", "'23:60'"),
            ("24:01", "'24:01'"),
            ("9:00", "'9:00'"),
            ("2359", "'2359'"),
            ("23:59:00", "'23:59:00'"),
            (2359, "got 2359"),
            (None, "got null"),
        )
    ],
]

R = "rates.downtown.daycare_full"

# (value, fragment naming what was expected, fragment showing what arrived), for every money field.
BAD_MONEY: list[tuple[str, Any, str, str]] = [
    ("float", 30.0, NUMBERS_REFUSED, "got 30.0"),
    ("int", 30, NUMBERS_REFUSED, "got 30"),
    ("null", None, MONEY, "got null"),
    ("bool", True, MONEY, "got true"),
    ("list", ["30.00"], MONEY, '["30.00"]'),
    ("three-decimals", "30.001", "more decimals than USD's 2 minor units", "'30.001'"),
    ("three-zero-decimals", "30.000", "more decimals than USD's 2 minor units", "'30.000'"),
    ("negative", "-30.00", MONEY_DIGITS, "'-30.00'"),
    ("plus-sign", "+30.00", MONEY_DIGITS, "'+30.00'"),
    ("exponent", "3e1", MONEY_DIGITS, "'3e1'"),
    ("exponent-decimal", "3.0E+1", MONEY_DIGITS, "'3.0E+1'"),
    ("leading-space", " 30.00", MONEY_DIGITS, "' 30.00'"),
    ("trailing-space", "30.00 ", MONEY_DIGITS, "'30.00 '"),
    ("inner-space", "1 000.00", MONEY_DIGITS, "'1 000.00'"),
    ("thousands-comma", "1,000.00", MONEY_DIGITS, "'1,000.00'"),
    ("decimal-comma", "30,00", MONEY_DIGITS, "'30,00'"),
    ("thousands-underscore", "1_000", MONEY_DIGITS, "'1_000'"),
    ("trailing-dot", "30.", MONEY_DIGITS, "'30.'"),
    ("leading-dot", ".50", MONEY_DIGITS, "'.50'"),
    ("empty", "", MONEY_DIGITS, "''"),
    ("NaN-string", "NaN", MONEY_DIGITS, "'NaN'"),
    ("Infinity-string", "Infinity", MONEY_DIGITS, "'Infinity'"),
    ("currency-symbol", "$30.00", MONEY_DIGITS, "'$30.00'"),
    ("arabic-indic-digits", "٣٠", MONEY_DIGITS, "'٣٠'"),
    ("fullwidth-digits", "３０", MONEY_DIGITS, "'３０'"),
]

MONEY_FIELDS = {
    "lines[].unit_price": f"{L0}.unit_price",
    "lines[].credit_values.item": f"{L1}.credit_values.daycare_full",
    "rates.loc.item": R,
}

MONEY_CASES = [
    case(f"{field}={name}", set_(path, value), path, expected, got)
    for field, path in MONEY_FIELDS.items()
    for name, value, expected, got in BAD_MONEY
]

RATES = [
    case("rates=list", set_("rates", []), "rates", OBJECT, "got []"),
    case("rates=string", set_("rates", "30.00"), "rates", OBJECT, '"30.00"'),
    case(
        "rates.loc=list", set_("rates.downtown", ["30.00"]), "rates.downtown", OBJECT, '["30.00"]'
    ),
    case("rates.loc=null", set_("rates.downtown", None), "rates.downtown", OBJECT, "got null"),
    case("rates.loc=money", set_("rates.downtown", "30.00"), "rates.downtown", OBJECT, '"30.00"'),
]

CART = [
    case("cart-missing", drop("cart"), "cart", REQUIRED),
    case("cart=list", set_("cart", []), "cart", OBJECT, "got []"),
    case("cart=null", set_("cart", None), "cart", OBJECT, "got null"),
    case(
        "cart.unknown",
        set_("cart.customer", "smith"),
        "cart.customer",
        "unknown key 'customer'",
        "owner",
    ),
    case("cart.owner-missing", drop("cart.owner"), "cart.owner", REQUIRED),
    case("cart.owner=empty", set_("cart.owner", ""), "cart.owner", NON_EMPTY, 'got ""'),
    case("cart.owner=number", set_("cart.owner", 7), "cart.owner", NON_EMPTY, "got 7"),
    case("cart.owner=null", set_("cart.owner", None), "cart.owner", NON_EMPTY, "got null"),
    case("cart.location-missing", drop("cart.location"), "cart.location", REQUIRED),
    case("cart.location=empty", set_("cart.location", ""), "cart.location", NON_EMPTY, 'got ""'),
    case(
        "cart.location=list",
        set_("cart.location", ["downtown"]),
        "cart.location",
        NON_EMPTY,
        '["downtown"]',
    ),
    case("cart.lines-missing", drop("cart.lines"), "cart.lines", REQUIRED),
    case("cart.lines=object", set_("cart.lines", {}), "cart.lines", LIST, "got {}"),
    case("cart.lines=null", set_("cart.lines", None), "cart.lines", LIST, "got null"),
    case("cart.lines=string", set_("cart.lines", "l1"), "cart.lines", LIST, '"l1"'),
]

LINES = [
    case("lines[]=string", set_(L0, "l1"), L0, OBJECT, '"l1"'),
    case("lines[]=list", set_(L0, []), L0, OBJECT, "got []"),
    case("lines[]=null", set_(L0, None), L0, OBJECT, "got null"),
    case("lines[].unknown", set_(f"{L0}.qty", 2), f"{L0}.qty", "unknown key 'qty'", "units"),
    case("lines[].id-missing", drop(f"{L0}.id"), f"{L0}.id", REQUIRED),
    case("lines[].id=empty", set_(f"{L0}.id", ""), f"{L0}.id", NON_EMPTY, 'got ""'),
    case("lines[].id=number", set_(f"{L0}.id", 1), f"{L0}.id", NON_EMPTY, "got 1"),
    case("lines[].id=null", set_(f"{L0}.id", None), f"{L0}.id", NON_EMPTY, "got null"),
    case("lines[].id-duplicate", set_(f"{L1}.id", "l1"), f"{L1}.id", "duplicate line id", "'l1'"),
    case("lines[].item-missing", drop(f"{L0}.item"), f"{L0}.item", REQUIRED),
    case("lines[].item=empty", set_(f"{L0}.item", ""), f"{L0}.item", NON_EMPTY, 'got ""'),
    case("lines[].item=null", set_(f"{L0}.item", None), f"{L0}.item", NON_EMPTY, "got null"),
    case("lines[].item=object", set_(f"{L0}.item", {}), f"{L0}.item", NON_EMPTY, "got {}"),
    case("lines[].unit_price-missing", drop(f"{L0}.unit_price"), f"{L0}.unit_price", REQUIRED),
    case("lines[].units=0", set_(f"{L0}.units", 0), f"{L0}.units", WHOLE_GE_1, "got 0"),
    case("lines[].units=-1", set_(f"{L0}.units", -1), f"{L0}.units", WHOLE_GE_1, "got -1"),
    case("lines[].units=1.0", set_(f"{L0}.units", 1.0), f"{L0}.units", WHOLE_GE_1, "got 1.0"),
    case("lines[].units=1.5", set_(f"{L0}.units", 1.5), f"{L0}.units", WHOLE_GE_1, "got 1.5"),
    case("lines[].units='1'", set_(f"{L0}.units", "1"), f"{L0}.units", WHOLE_GE_1, 'got "1"'),
    case("lines[].units=true", set_(f"{L0}.units", True), f"{L0}.units", WHOLE_GE_1, "got true"),
    case("lines[].units=null", set_(f"{L0}.units", None), f"{L0}.units", WHOLE_GE_1, "got null"),
    case("lines[].for=empty", set_(f"{L0}.for", ""), f"{L0}.for", NON_EMPTY, 'got ""'),
    case("lines[].for=number", set_(f"{L0}.for", 3), f"{L0}.for", NON_EMPTY, "got 3"),
    case("lines[].for=list", set_(f"{L0}.for", ["rex"]), f"{L0}.for", NON_EMPTY, '["rex"]'),
    case(
        "lines[].charge_by=week",
        set_(f"{L0}.charge_by", "week"),
        f"{L0}.charge_by",
        "each, hour, day, night",
        '"week"',
    ),
    case(
        "lines[].charge_by=Hour",
        set_(f"{L0}.charge_by", "Hour"),
        f"{L0}.charge_by",
        "each, hour, day, night",
        '"Hour"',
    ),
    case(
        "lines[].charge_by=null",
        set_(f"{L0}.charge_by", None),
        f"{L0}.charge_by",
        "each, hour, day, night",
        "got null",
    ),
    case(
        "lines[].credit_values=list",
        set_(f"{L1}.credit_values", ["24.00"]),
        f"{L1}.credit_values",
        OBJECT,
        '["24.00"]',
    ),
    case(
        "lines[].credit_values=money",
        set_(f"{L1}.credit_values", "24.00"),
        f"{L1}.credit_values",
        OBJECT,
        '"24.00"',
    ),
]

PACKAGES = [
    case("packages-missing", drop("packages"), "packages", REQUIRED),
    case("packages=object", set_("packages", {}), "packages", LIST, "got {}"),
    case("packages=null", set_("packages", None), "packages", LIST, "got null"),
    case("packages=one-package-not-in-a-list", set_("packages", {"id": "p1"}), "packages", LIST),
    case("packages[]=string", set_(P0, "p1"), P0, OBJECT, '"p1"'),
    case("packages[]=list", set_(P0, []), P0, OBJECT, "got []"),
    case(
        "packages[].unknown",
        set_(f"{P0}.expires", "2026-03-31"),
        f"{P0}.expires",
        "unknown key 'expires'",
        "expires_on",
    ),
    case("packages[].id-missing", drop(f"{P0}.id"), f"{P0}.id", REQUIRED),
    case("packages[].id=empty", set_(f"{P0}.id", ""), f"{P0}.id", NON_EMPTY, 'got ""'),
    case("packages[].id=number", set_(f"{P0}.id", 1), f"{P0}.id", NON_EMPTY, "got 1"),
    case("packages[].id=null", set_(f"{P0}.id", None), f"{P0}.id", NON_EMPTY, "got null"),
    case("packages[].owner-missing", drop(f"{P0}.owner"), f"{P0}.owner", REQUIRED),
    case("packages[].owner=empty", set_(f"{P0}.owner", ""), f"{P0}.owner", NON_EMPTY, 'got ""'),
    case("packages[].owner=null", set_(f"{P0}.owner", None), f"{P0}.owner", NON_EMPTY, "got null"),
    case(
        "packages[].location=empty",
        set_(f"{P0}.location", ""),
        f"{P0}.location",
        NON_EMPTY,
        'got ""',
    ),
    case(
        "packages[].location=bool",
        set_(f"{P0}.location", False),
        f"{P0}.location",
        NON_EMPTY,
        "got false",
    ),
    case("packages[].for=empty", set_(f"{P0}.for", ""), f"{P0}.for", NON_EMPTY, 'got ""'),
    case("packages[].for=object", set_(f"{P0}.for", {}), f"{P0}.for", NON_EMPTY, "got {}"),
    case(
        "packages[].purchased_at-missing",
        drop(f"{P0}.purchased_at"),
        f"{P0}.purchased_at",
        REQUIRED,
    ),
    case(
        "packages[].purchased_at=yesterday",
        set_(f"{P0}.purchased_at", "yesterday"),
        f"{P0}.purchased_at",
        DATE_TIME,
        "'yesterday'",
    ),
    case(
        "packages[].purchased_at=2026-02-30T10:00:00",
        set_(f"{P0}.purchased_at", "2026-02-30T10:00:00"),
        f"{P0}.purchased_at",
        DATE_TIME,
        "'2026-02-30T10:00:00'",
    ),
    case(
        "packages[].purchased_at=a-date",
        set_(f"{P0}.purchased_at", "2026-01-05"),
        f"{P0}.purchased_at",
        DATE_TIME,
        "'2026-01-05'",
    ),
    case(
        "packages[].purchased_at=null",
        set_(f"{P0}.purchased_at", None),
        f"{P0}.purchased_at",
        DATE_TIME,
        "got null",
    ),
    case(
        "packages[].purchased_at=DST-gap",
        set_(f"{P0}.purchased_at", "2026-03-08T02:30:00"),
        f"{P0}.purchased_at",
        GAP,
        "2026-03-08T02:30:00",
    ),
    case(
        "packages[].expires_on=2026-02-30",
        set_(f"{P0}.expires_on", "2026-02-30"),
        f"{P0}.expires_on",
        "valid date",
        "'2026-02-30'",
    ),
    case(
        "packages[].expires_on=yesterday",
        set_(f"{P0}.expires_on", "yesterday"),
        f"{P0}.expires_on",
        DATE,
        '"yesterday"',
    ),
    case(
        "packages[].expires_on=a-date-time",
        set_(f"{P0}.expires_on", "2026-03-31T23:59:00"),
        f"{P0}.expires_on",
        DATE,
        '"2026-03-31T23:59:00"',
    ),
    case(
        "packages[].expires_on=unpadded",
        set_(f"{P0}.expires_on", "2026-3-31"),
        f"{P0}.expires_on",
        DATE,
        '"2026-3-31"',
    ),
    case(
        "packages[].expires_on=number",
        set_(f"{P0}.expires_on", 20260331),
        f"{P0}.expires_on",
        DATE,
        "got 20260331",
    ),
    case(
        "packages[].days_to_expiration=-1",
        set_(f"{P0}.days_to_expiration", -1),
        f"{P0}.days_to_expiration",
        WHOLE_GE_0,
        "got -1",
    ),
    case(
        "packages[].days_to_expiration=30.0",
        set_(f"{P0}.days_to_expiration", 30.0),
        f"{P0}.days_to_expiration",
        WHOLE_GE_0,
        "got 30.0",
    ),
    case(
        "packages[].days_to_expiration='30'",
        set_(f"{P0}.days_to_expiration", "30"),
        f"{P0}.days_to_expiration",
        WHOLE_GE_0,
        'got "30"',
    ),
    case(
        "packages[].days_to_expiration=true",
        set_(f"{P0}.days_to_expiration", True),
        f"{P0}.days_to_expiration",
        WHOLE_GE_0,
        "got true",
    ),
    case(
        "packages[].expiry_starts=purchase",
        set_(f"{P0}.expiry_starts", "purchase"),
        f"{P0}.expiry_starts",
        "sale, first_use",
        '"purchase"',
    ),
    case(
        "packages[].expiry_starts=null",
        set_(f"{P0}.expiry_starts", None),
        f"{P0}.expiry_starts",
        "sale, first_use",
        "got null",
    ),
    case(
        "packages[].first_used_at=2026-02-30T10:00:00",
        set_(f"{P0}.first_used_at", "2026-02-30T10:00:00"),
        f"{P0}.first_used_at",
        DATE_TIME,
        "'2026-02-30T10:00:00'",
    ),
    case(
        "packages[].first_used_at=a-date",
        set_(f"{P0}.first_used_at", "2026-03-01"),
        f"{P0}.first_used_at",
        DATE_TIME,
        "'2026-03-01'",
    ),
    case(
        "packages[].first_used_at=yesterday",
        set_(f"{P0}.first_used_at", "yesterday"),
        f"{P0}.first_used_at",
        DATE_TIME,
        "'yesterday'",
    ),
    case(
        "packages[].first_used_at=bool",
        set_(f"{P0}.first_used_at", False),
        f"{P0}.first_used_at",
        DATE_TIME,
        "got false",
    ),
    case(
        "packages[].first_used_at=DST-gap",
        set_(f"{P0}.first_used_at", "2026-03-08T02:30:00"),
        f"{P0}.first_used_at",
        GAP,
        "2026-03-08T02:30:00",
    ),
    case(
        "packages[].pricing_rules='no'",
        set_(f"{P0}.pricing_rules", "no"),
        f"{P0}.pricing_rules",
        BOOLEAN,
        'got "no"',
    ),
    case(
        "packages[].pricing_rules=0",
        set_(f"{P0}.pricing_rules", 0),
        f"{P0}.pricing_rules",
        BOOLEAN,
        "got 0",
    ),
    case(
        "packages[].pricing_rules=null",
        set_(f"{P0}.pricing_rules", None),
        f"{P0}.pricing_rules",
        BOOLEAN,
        "got null",
    ),
    case("packages[].credits-missing", drop(f"{P0}.credits"), f"{P0}.credits", REQUIRED),
    case(
        "packages[].credits=empty",
        set_(f"{P0}.credits", []),
        f"{P0}.credits",
        "at least one",
    ),
    case(
        "packages[].credits=object",
        set_(f"{P0}.credits", {"item": "daycare_full", "remaining": 1}),
        f"{P0}.credits",
        LIST,
        '{"item": "daycare_full", "remaining": 1}',
    ),
    case(
        "packages[].credits=null",
        set_(f"{P0}.credits", None),
        f"{P0}.credits",
        LIST,
        "got null",
    ),
]

CREDITS = [
    case("credits[]=string", set_(C0, "daycare_full"), C0, OBJECT, '"daycare_full"'),
    case("credits[]=list", set_(C0, ["daycare_full", 1]), C0, OBJECT, '["daycare_full", 1]'),
    case(
        "credits[].unknown",
        set_(f"{C0}.quantity", 10),
        f"{C0}.quantity",
        "unknown key 'quantity'",
        "remaining",
    ),
    case("credits[].item-missing", drop(f"{C0}.item"), f"{C0}.item", REQUIRED),
    case("credits[].item=empty", set_(f"{C0}.item", ""), f"{C0}.item", NON_EMPTY, 'got ""'),
    case("credits[].item=null", set_(f"{C0}.item", None), f"{C0}.item", NON_EMPTY, "got null"),
    case(
        "credits[].item-duplicate",
        set_(f"{P0}.credits[1]", {"item": "daycare_full", "remaining": 2}),
        f"{P0}.credits[1].item",
        "appears twice",
        "'daycare_full'",
    ),
    case("credits[].remaining-missing", drop(f"{C0}.remaining"), f"{C0}.remaining", REQUIRED),
    case(
        "credits[].remaining=-1",
        set_(f"{C0}.remaining", -1),
        f"{C0}.remaining",
        WHOLE_GE_0,
        "got -1",
    ),
    case(
        "credits[].remaining=1.0",
        set_(f"{C0}.remaining", 1.0),
        f"{C0}.remaining",
        WHOLE_GE_0,
        "got 1.0",
    ),
    case(
        "credits[].remaining=0.5",
        set_(f"{C0}.remaining", 0.5),
        f"{C0}.remaining",
        WHOLE_GE_0,
        "got 0.5",
    ),
    case(
        "credits[].remaining='1'",
        set_(f"{C0}.remaining", "1"),
        f"{C0}.remaining",
        WHOLE_GE_0,
        'got "1"',
    ),
    case(
        "credits[].remaining=false",
        set_(f"{C0}.remaining", False),
        f"{C0}.remaining",
        WHOLE_GE_0,
        "got false",
    ),
    case(
        "credits[].remaining=null",
        set_(f"{C0}.remaining", None),
        f"{C0}.remaining",
        WHOLE_GE_0,
        "got null",
    ),
    case("credits[].hourly='no'", set_(f"{C0}.hourly", "no"), f"{C0}.hourly", BOOLEAN, 'got "no"'),
    case("credits[].hourly=1", set_(f"{C0}.hourly", 1), f"{C0}.hourly", BOOLEAN, "got 1"),
    case("credits[].hourly=null", set_(f"{C0}.hourly", None), f"{C0}.hourly", BOOLEAN, "got null"),
]

DUPLICATE_IDS = [
    case(
        "packages[].id-duplicate",
        set_(
            "packages[1]",
            {**valid_document()["packages"][0], "purchased_at": "2026-02-01T09:00:00"},
        ),
        "packages[1].id",
        "duplicate package id",
        "'p1'",
    ),
    case(
        "lines[].id-duplicate-of-a-later-line-is-reported-on-the-later-one",
        both(
            set_("cart.lines[2]", {"id": "l3", "item": "daycare_half", "unit_price": "18.00"}),
            set_(f"{L1}.id", "l3"),
            set_("cart.lines[2].id", "l1"),
        ),
        "cart.lines[2].id",
        "duplicate line id",
        "'l1'",
    ),
]

ALL_CASES = [
    *VERSION,
    *AT,
    *TIMEZONE,
    *CURRENCY,
    *SETTINGS,
    *POLICY,
    *RATES,
    *MONEY_CASES,
    *CART,
    *LINES,
    *PACKAGES,
    *CREDITS,
    *DUPLICATE_IDS,
]


@pytest.mark.parametrize(("mutation", "path", "fragments"), ALL_CASES)
def test_bad_field_is_refused_with_its_path(
    mutation: Mutation, path: str, fragments: tuple[str, ...]
) -> None:
    doc = valid_document()
    mutation(doc)
    assert_refused(doc, path, fragments)


def test_unknown_top_level_key() -> None:
    doc = valid_document()
    doc["packges"] = []
    exc = assert_refused(doc, "packges", ("unknown key 'packges'",))
    # The message lists what is allowed, so the typo is easy to spot.
    assert "packages" in exc.message


@pytest.mark.parametrize(
    ("mutation", "path"),
    [
        pytest.param(
            set_("rates", {"": {"daycare_full": "30.00"}}), 'rates.""', id="rates-location"
        ),
        pytest.param(set_("rates.downtown", {"": "30.00"}), 'rates.downtown.""', id="rates-item"),
        pytest.param(
            set_(f"{L1}.credit_values", {"": "24.00"}),
            f'{L1}.credit_values.""',
            id="credit_values-item",
        ),
    ],
)
def test_open_maps_refuse_empty_names(mutation: Mutation, path: str) -> None:
    # Non-empty strings are required of "all ids and item names". A path must name the place
    # unambiguously: an empty key is written as the JSON string "" (not "rates." with nothing
    # after the dot, which reads like a truncated path).
    doc = valid_document()
    mutation(doc)
    assert_refused(doc, path, (NON_EMPTY, 'got ""'))


# --- Minor units of other currencies -----------------------------------------------------------


def document_in(currency: str, amount: str) -> Document:
    """The valid document in *currency*, every amount written as *amount*."""
    doc = valid_document()
    doc["currency"] = currency
    doc["rates"] = {"downtown": {"daycare_full": amount, "daycare_half": amount}}
    for line in doc["cart"]["lines"]:
        line["unit_price"] = amount
    doc["cart"]["lines"][1]["credit_values"] = {"daycare_full": amount}
    return doc


@pytest.mark.parametrize(
    ("currency", "good", "bad", "digits"),
    [
        pytest.param("USD", "30.00", "30.001", 2, id="USD-30.001"),
        pytest.param("USD", "30.00", "30.000", 2, id="USD-30.000"),
        pytest.param("JPY", "3000", "30.5", 0, id="JPY-30.5"),
        pytest.param("JPY", "3000", "3000.0", 0, id="JPY-3000.0"),
        pytest.param("BHD", "30.000", "30.0000", 3, id="BHD-30.0000"),
        pytest.param("BHD", "30.000", "30.0001", 3, id="BHD-30.0001"),
    ],
)
def test_more_decimals_than_the_currency_allows(
    currency: str, good: str, bad: str, digits: int
) -> None:
    assert evaluate(document_in(currency, good))["currency"] == currency
    for path in (f"{L0}.unit_price", f"{L1}.credit_values.daycare_full", R):
        doc = document_in(currency, good)
        set_(path, bad)(doc)
        exc = assert_refused(doc, path, (repr(bad), currency))
        assert str(digits) in exc.message


@pytest.mark.parametrize(
    ("currency", "amount"),
    [
        pytest.param("USD", "30", id="USD-no-decimals"),
        pytest.param("USD", "30.5", id="USD-one-decimal"),
        pytest.param("JPY", "3000", id="JPY"),
        pytest.param("BHD", "30.5", id="BHD-one-decimal"),
        pytest.param("BHD", "0", id="BHD-zero"),
    ],
)
def test_fewer_decimals_than_the_currency_has_are_accepted(currency: str, amount: str) -> None:
    # The counterpart of the cases above: only *more* decimals are refused.
    assert evaluate(document_in(currency, amount))["currency"] == currency


# --- Texts: duplicate JSON keys, NaN / Infinity, documents that are not objects ----------------


def text_with(old: str, new: str) -> str:
    """The valid document as JSON text, *old* (which must occur once) replaced by *new*."""
    text = json.dumps(valid_document())
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("text", "path", "fragments"),
    [
        pytest.param(
            text_with('"at": "2026-03-02T17:30:00"', '"at": "2026-03-02T17:30:00", "at": "x"'),
            "at",
            ("duplicate key 'at'",),
            id="duplicate-key-top-level",
        ),
        pytest.param(
            text_with('"any_type": false', '"any_type": false, "any_type": true'),
            "settings.any_type",
            ("duplicate key 'any_type'",),
            id="duplicate-key-settings",
        ),
        pytest.param(
            text_with(
                '"line_order": "cheapest_first"', '"line_order": "cart", "line_order": "cart"'
            ),
            "policy.line_order",
            ("duplicate key 'line_order'",),
            id="duplicate-key-policy",
        ),
        pytest.param(
            text_with('"daycare_half": "18.00"', '"daycare_half": "18.00", "daycare_half": "8.00"'),
            "rates.downtown.daycare_half",
            ("duplicate key 'daycare_half'",),
            id="duplicate-key-rates",
        ),
        pytest.param(
            text_with('"cart": {"owner": "smith"', '"cart": {"owner": "smith", "owner": "jones"'),
            "cart.owner",
            ("duplicate key 'owner'",),
            id="duplicate-key-cart",
        ),
        pytest.param(
            text_with(
                '"unit_price": "30.00", "units"',
                '"unit_price": "30.00", "unit_price": "3.00", "units"',
            ),
            "cart.lines[0].unit_price",
            ("duplicate key 'unit_price'",),
            id="duplicate-key-line",
        ),
        pytest.param(
            text_with(
                '{"daycare_full": "24.00"}', '{"daycare_full": "24.00", "daycare_full": "2.40"}'
            ),
            "cart.lines[1].credit_values.daycare_full",
            ("duplicate key 'daycare_full'",),
            id="duplicate-key-credit_values",
        ),
        pytest.param(
            text_with('"id": "p1"', '"id": "p1", "id": "p2"'),
            "packages[0].id",
            ("duplicate key 'id'",),
            id="duplicate-key-package",
        ),
        pytest.param(
            text_with('"remaining": 1', '"remaining": 1, "remaining": 10'),
            "packages[0].credits[0].remaining",
            ("duplicate key 'remaining'",),
            id="duplicate-key-credit",
        ),
        pytest.param(
            text_with('"unit_price": "30.00", "units"', '"unit_price": NaN, "units"'),
            "cart.lines[0].unit_price",
            (NUMBERS_REFUSED, "got NaN"),
            id="NaN-unit_price",
        ),
        pytest.param(
            text_with('"daycare_full": "30.00"', '"daycare_full": Infinity'),
            R,
            (NUMBERS_REFUSED, "got Infinity"),
            id="Infinity-rate",
        ),
        pytest.param(
            text_with('{"daycare_full": "24.00"}', '{"daycare_full": -Infinity}'),
            "cart.lines[1].credit_values.daycare_full",
            (NUMBERS_REFUSED, "got -Infinity"),
            id="-Infinity-credit_value",
        ),
        pytest.param(
            text_with('"remaining": 1', '"remaining": Infinity'),
            "packages[0].credits[0].remaining",
            (WHOLE_GE_0, "got Infinity"),
            id="Infinity-remaining",
        ),
        pytest.param(
            text_with('"units": 1', '"units": NaN'),
            "cart.lines[0].units",
            (WHOLE_GE_1, "got NaN"),
            id="NaN-units",
        ),
        pytest.param(
            text_with('"days_to_expiration": null', '"days_to_expiration": NaN'),
            "packages[0].days_to_expiration",
            (WHOLE_GE_0, "got NaN"),
            id="NaN-days_to_expiration",
        ),
        pytest.param(
            text_with('"version": 1', '"version": NaN'),
            "version",
            ("must be the integer 1", "got NaN"),
            id="NaN-version",
        ),
        pytest.param(
            text_with('"version": 1', '"version": 1.0'),
            "version",
            ("must be the integer 1", "got 1.0"),
            id="version-1.0-text",
        ),
        pytest.param(
            text_with('"version": 1', '"version": 1e0'),
            "version",
            ("must be the integer 1", "got 1.0"),
            id="version-1e0-text",
        ),
        pytest.param(
            text_with('"at": "2026-03-02T17:30:00"', '"at": NaN'),
            "at",
            (DATE_TIME, "got NaN"),
            id="NaN-at",
        ),
        pytest.param(
            text_with('"any_type": false', '"any_type": NaN'),
            "settings.any_type",
            (BOOLEAN, "got NaN"),
            id="NaN-settings",
        ),
        pytest.param(
            text_with('"unit_price": "30.00", "units"', '"unit_price": 30.00, "units"'),
            "cart.lines[0].unit_price",
            (NUMBERS_REFUSED, "got 30.0"),
            id="unit_price-number-30.00-text",
        ),
        pytest.param(
            text_with('"unit_price": "30.00", "units"', '"unit_price": 3e1, "units"'),
            "cart.lines[0].unit_price",
            (NUMBERS_REFUSED, "got 30.0"),
            id="unit_price-number-3e1-text",
        ),
    ],
)
def test_bad_text_is_refused_with_its_path(
    text: str, path: str, fragments: tuple[str, ...]
) -> None:
    assert_refused(text, path, fragments)
    # parse(loads(...)) is the same check, in two steps.
    with pytest.raises(ScenarioError) as info:
        parse(loads(text))
    assert info.value.path == path


@pytest.mark.parametrize(
    ("document", "fragments"),
    [
        pytest.param("", ("not valid JSON",), id="empty-text"),
        pytest.param("   \n", ("not valid JSON",), id="blank-text"),
        pytest.param("{", ("not valid JSON", "line 1, column 2"), id="truncated"),
        pytest.param("{'at': 1}", ("not valid JSON",), id="single-quotes"),
        pytest.param('{"version": 1,}', ("not valid JSON",), id="trailing-comma"),
        pytest.param('{"version": 1} {}', ("not valid JSON",), id="two-documents"),
        pytest.param("[]", (OBJECT, "got []"), id="JSON-array"),
        pytest.param(
            "[" + json.dumps(valid_document()) + "]", (OBJECT,), id="document-in-an-array"
        ),
        pytest.param('"scenario"', (OBJECT, '"scenario"'), id="JSON-string"),
        pytest.param("null", (OBJECT, "got null"), id="JSON-null"),
        pytest.param("30", (OBJECT, "got 30"), id="JSON-number"),
        pytest.param("NaN", (OBJECT, "got NaN"), id="JSON-NaN"),
        pytest.param(b"\xff\xfe{}", ("not valid JSON",), id="invalid-UTF-8-bytes"),
        pytest.param("1" * 5000, ("not valid JSON",), id="integer-too-long"),
        pytest.param("[" * 100_000 + "]" * 100_000, ("not valid JSON",), id="nested-too-deep"),
        pytest.param([], (OBJECT, "got []"), id="python-list"),
        pytest.param(None, (OBJECT, "got null"), id="python-None"),
    ],
)
def test_document_as_a_whole_has_path_document(document: Any, fragments: tuple[str, ...]) -> None:
    assert_refused(document, "document", fragments)


# --- A local time skipped by DST ---------------------------------------------------------------


def test_dst_gap_is_judged_in_the_documents_timezone() -> None:
    # 02:30 on 2026-03-08 is skipped in New York; Phoenix keeps standard time all year, so the
    # same wall time exists there.
    doc = valid_document()
    doc["at"] = "2026-03-08T02:30:00"
    assert_refused(doc, "at", (GAP,))
    doc["timezone"] = "America/Phoenix"
    assert evaluate(doc)["currency"] == "USD"


def test_dst_gap_with_an_offset_is_not_a_gap() -> None:
    # An aware time names an instant: it is converted, not refused.
    doc = valid_document()
    doc["at"] = "2026-03-08T02:30:00-05:00"
    assert evaluate(doc)["packages"][0]["first_used_at"] == "2026-03-08T03:30:00-04:00"


# --- Values the engine cannot represent: refused with their path, never a crash ---------------


def _refused_or_exact(doc: Document, path: str) -> dict[str, Any] | None:
    """Either a result, or a ScenarioError at *path*; anything else (a crash) fails the test."""
    error: ScenarioError | None = None
    try:
        return evaluate(doc)
    except ScenarioError as exc:
        error = exc
    assert error.path == path, error
    return None


@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param("at", "9999-12-31T23:59:00", id="at-year-9999"),
        pytest.param(f"{P0}.purchased_at", "9999-12-31T23:59:00", id="purchased_at-year-9999"),
        pytest.param(f"{P0}.first_used_at", "9999-12-31T23:59:00", id="first_used_at-year-9999"),
        pytest.param(f"{P0}.purchased_at", "0001-01-01T00:00:00Z", id="purchased_at-year-1-UTC"),
    ],
)
def test_date_times_at_the_end_of_the_calendar(path: str, value: str) -> None:
    doc = valid_document()
    set_(path, value)(doc)
    _refused_or_exact(doc, path)


def test_expires_on_9999_12_31_as_never() -> None:
    # Hosts commonly store "never" as 9999-12-31: it must work (or be refused), never crash.
    doc = valid_document()
    doc["packages"][0]["expires_on"] = "9999-12-31"
    result = _refused_or_exact(doc, f"{P0}.expires_on")
    if result is not None:
        assert result["covered"] == "30.00"
        assert result["packages"][0]["expires_on"] == "9999-12-31"


@pytest.mark.parametrize("starts", ["sale", "first_use"])
def test_days_to_expiration_beyond_the_calendar(starts: str) -> None:
    doc = valid_document()
    package = doc["packages"][0]
    package.update(expires_on=None, days_to_expiration=3_000_000, expiry_starts=starts)
    result = _refused_or_exact(doc, f"{P0}.days_to_expiration")
    if result is not None:
        assert result["covered"] == "30.00"


@pytest.mark.parametrize(
    "path", [f"{L0}.unit_price", f"{L1}.credit_values.daycare_full", R], ids=lambda p: p
)
def test_money_with_many_digits_is_exact_or_refused(path: str) -> None:
    # 40 digits: valid by the grammar of money; no arithmetic may round it silently.
    doc = valid_document()
    set_(path, "1" * 38 + ".00")(doc)
    result = _refused_or_exact(doc, path)
    if result is not None and path == f"{L0}.unit_price":
        assert result["lines"][0]["total"] == "1" * 38 + ".00"


# --- Which error is reported when several things are wrong -------------------------------------


@pytest.mark.parametrize(
    ("mutations", "path"),
    [
        pytest.param(
            (set_("at", "yesterday"), set_(f"{L0}.units", 0), set_(f"{P0}.id", "")),
            "at",
            id="top-level-before-cart-and-packages",
        ),
        pytest.param(
            (set_("settings.any_type", "yes"), set_("cart.owner", "")),
            "settings.any_type",
            id="settings-before-cart",
        ),
        pytest.param(
            (set_("rates.downtown.daycare_full", 30), set_("cart.owner", "")),
            R,
            id="rates-before-cart",
        ),
        pytest.param(
            (set_(f"{L0}.units", 0), set_(f"{P0}.id", "")),
            f"{L0}.units",
            id="cart-before-packages",
        ),
        pytest.param(
            (set_(f"{L1}.units", 0), set_(f"{L0}.unit_price", 30)),
            f"{L0}.unit_price",
            id="earlier-line-first",
        ),
        pytest.param(
            (
                set_("packages[1]", {**valid_document()["packages"][0], "id": "p2", "owner": ""}),
                set_(f"{P0}.credits[0].remaining", -1),
            ),
            f"{C0}.remaining",
            id="earlier-package-first",
        ),
    ],
)
def test_first_error_found_is_reported(mutations: tuple[Mutation, ...], path: str) -> None:
    doc = valid_document()
    for mutation in mutations:
        mutation(doc)
    with pytest.raises(ScenarioError) as info:
        evaluate(doc)
    assert info.value.path == path


def test_an_error_anywhere_means_no_result_at_all() -> None:
    # Never a partial result: a bad last package stops the whole evaluation.
    doc = valid_document()
    doc["packages"].append({**doc["packages"][0], "id": "p2", "credits": []})
    with pytest.raises(ScenarioError) as info:
        evaluate(doc)
    assert info.value.path == "packages[1].credits"


def test_the_spec_example_message() -> None:
    doc = valid_document()
    doc["packages"].append({**doc["packages"][0], "id": "p2"})
    doc["packages"][1]["credits"] = [{"item": "daycare_full", "remaining": -1}]
    with pytest.raises(ScenarioError) as info:
        evaluate(doc)
    assert str(info.value) == (
        "packages[1].credits[0].remaining: must be a whole number >= 0, got -1"
    )


# --- The error type -----------------------------------------------------------------------------


def test_scenario_error_is_a_value_error_and_a_punchcard_error() -> None:
    with pytest.raises(ScenarioError) as info:
        evaluate({**valid_document(), "version": 2})
    exc = info.value
    assert isinstance(exc, ValueError)
    assert isinstance(exc, PunchcardError)
    assert punchcard.ScenarioError is ScenarioError
    assert issubclass(ScenarioError, ValueError)
    assert issubclass(ScenarioError, PunchcardError)
    assert (exc.path, exc.message) == ("version", "must be the integer 1, got 2")


def test_except_value_error_catches_it() -> None:
    # Callers who know nothing of punchcard can still catch bad input as a ValueError.
    with pytest.raises(ValueError, match=r"^cart\.owner: "):
        evaluate({**valid_document(), "cart": {**valid_document()["cart"], "owner": ""}})


def test_the_input_is_not_modified_by_a_refusal() -> None:
    doc = valid_document()
    doc["packages"][0]["credits"][0]["remaining"] = -1
    before = copy.deepcopy(doc)
    with pytest.raises(ScenarioError):
        evaluate(doc)
    assert doc == before
