"""The market options of the scenario format (scenario-format.md "Options", semantics X): read
into the engine's values, and refused with a path when wrong.

The engine's semantics of the options come separately (their vectors are in tests/vectors/options/);
these tests pin what the reader makes of the fields and the errors it reports.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from scenario_documents import checkout

from punchcard import Component, Money, ScenarioError
from punchcard.models import Duration, Pause
from punchcard.scenario import evaluate, parse
from punchcard.timeutil import zone

NY = zone("America/New_York")


def document(**package: Any) -> dict[str, Any]:
    """A valid document with one package of smith's, whose fields *package* sets or adds
    (:data:`_DROP` removes one)."""
    base: dict[str, Any] = {
        "id": "p1",
        "owner": "smith",
        "purchased_at": "2026-01-05T10:00:00",
        "credits": [{"item": "daycare_full", "remaining": 3}],
    }
    base.update(package)
    line = {"id": "l1", "item": "daycare_full", "unit_price": "30.00"}
    return checkout([line], [{k: v for k, v in base.items() if v is not _DROP}])


_DROP: Any = object()


def refused(doc: dict[str, Any], path: str, *fragments: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        evaluate(copy.deepcopy(doc))
    error = info.value
    assert error.path == path, (error.path, error.message)
    for fragment in fragments:
        assert fragment in error.message, (fragment, error.message)
    return error


# --- reading --------------------------------------------------------------------------------


def test_without_options_every_option_holds_its_default() -> None:
    p = parse(document()).packages[0]
    assert (p.priority, p.valid_from, p.valid_for, p.pauses, p.balance, p.items) == (
        50,
        None,
        None,
        (),
        None,
        None,
    )
    c = p.components[0]
    assert (c.items, c.substitutes, c.overdraft) == ((), (), 0)
    assert parse(document()).policy.expiry == "end_of_day"


def test_nullable_options_given_as_null_hold_their_default() -> None:
    p = parse(document(valid_from=None, valid_for=None, balance=None, items=None)).packages[0]
    assert (p.valid_from, p.valid_for, p.balance, p.items) == (None, None, None, None)


def test_X1_priority_is_read() -> None:
    assert parse(document(priority=0)).packages[0].priority == 0
    assert parse(document(priority=100)).packages[0].priority == 100


def test_X6_valid_from_is_a_local_moment() -> None:
    p = parse(document(valid_from="2026-03-08T03:30:00")).packages[0]
    assert p.valid_from == dt.datetime(2026, 3, 8, 3, 30, tzinfo=NY)
    assert p.valid_from is not None
    assert p.valid_from.utcoffset() == dt.timedelta(hours=-4)


@pytest.mark.parametrize("unit", ["days", "weeks", "months"])
def test_X4_valid_for_is_a_duration(unit: str) -> None:
    p = parse(document(valid_for={unit: 3})).packages[0]
    assert p.valid_for == Duration(unit, 3)  # type: ignore[arg-type]


def test_X7_pauses_are_read_in_date_order() -> None:
    pauses = [
        {"from": "2026-04-01", "to": "2026-04-02"},
        {"from": "2026-03-01", "to": "2026-03-10"},
    ]
    p = parse(document(pauses=pauses)).packages[0]
    assert p.pauses == (
        Pause(dt.date(2026, 3, 1), dt.date(2026, 3, 10)),
        Pause(dt.date(2026, 4, 1), dt.date(2026, 4, 2)),
    )


def test_X7_a_pause_of_one_day_is_read() -> None:
    p = parse(document(pauses=[{"from": "2026-03-02", "to": "2026-03-02"}])).packages[0]
    assert p.pauses[0].days == 1


def test_X9_stored_value_is_a_balance_without_components() -> None:
    p = parse(document(credits=_DROP, balance="50.00", items=["bath", "nails"])).packages[0]
    assert p.balance == Money("50.00", "USD")
    assert p.components == ()
    assert p.items == ("bath", "nails")
    assert p.stored_value


def test_X9_stored_value_items_are_sorted_and_optional() -> None:
    p = parse(document(credits=_DROP, balance="5", items=["nails", "bath"])).packages[0]
    assert p.items == ("bath", "nails")
    assert parse(document(credits=_DROP, balance="0")).packages[0].items is None


def test_X2_a_pool_is_a_component_named_by_the_pool() -> None:
    credits = [{"pool": "grooming", "items": ["nails", "bath", "haircut"], "remaining": 5}]
    component = parse(document(credits=credits)).packages[0].components[0]
    assert component == Component("grooming", 5, items=["bath", "haircut", "nails"])
    assert component.pays_as_own("bath")


def test_X3_substitutes_are_read() -> None:
    credits = [{"item": "daycare_full", "remaining": 1, "substitutes": ["daycare_half", "walk"]}]
    component = parse(document(credits=credits)).packages[0].components[0]
    assert component.substitutes == ("daycare_half", "walk")


def test_X8_overdraft_lets_remaining_go_below_zero() -> None:
    credits = [{"item": "daycare_full", "remaining": -2, "overdraft": 2}]
    component = parse(document(credits=credits)).packages[0].components[0]
    assert (component.remaining, component.overdraft) == (-2, 2)


@pytest.mark.parametrize("expiry", ["end_of_day", "elapsed"])
def test_X5_policy_expiry_is_read(expiry: str) -> None:
    doc = document()
    doc["policy"] = {"expiry": expiry}
    assert parse(doc).policy.expiry == expiry


def test_every_option_at_once_is_read() -> None:
    doc = document(
        priority=10,
        valid_from="2026-01-10T00:00:00",
        valid_for={"months": 1},
        pauses=[{"from": "2026-02-01", "to": "2026-02-03"}],
        credits=[
            {"pool": "grooming", "items": ["bath", "nails"], "remaining": 2, "overdraft": 1},
            {"item": "daycare_full", "remaining": 0, "substitutes": ["daycare_half"]},
        ],
    )
    doc["packages"].append(
        {"id": "gift", "owner": "smith", "purchased_at": "2026-01-05T10:00:00", "balance": "25"}
    )
    pool, gift = parse(doc).packages
    assert [c.item for c in pool.components] == ["grooming", "daycare_full"]
    assert gift.balance == Money("25.00", "USD")


# --- output ---------------------------------------------------------------------------------


def test_every_package_reports_expires_at() -> None:
    doc = document(days_to_expiration=90)
    doc["packages"].append(
        {
            "id": "p2",
            "owner": "smith",
            "purchased_at": "2026-01-05T10:00:00",
            "credits": [{"item": "boarding", "remaining": 1}],
        }
    )
    shown = evaluate(doc)["packages"]
    # 2026-01-05 + 90 days = 2026-04-05, ending at 23:59 New York daylight time.
    assert shown[0]["expires_on"] == "2026-04-05"
    assert shown[0]["expires_at"] == "2026-04-05T23:59:00-04:00"
    assert shown[1]["expires_at"] is None
    assert [list(p) for p in shown] == [
        ["id", "remaining", "expires_on", "expires_at", "first_used_at"]
    ] * 2


def test_a_stored_value_package_reports_its_balance_instead_of_remaining() -> None:
    # The $50 card pays the $30 day (X9): its redemption has no item and no credits, and the
    # package reports the $20 left as its balance.
    result = evaluate(document(credits=_DROP, balance="50.00"))
    assert result["redemptions"] == [
        {"line": "l1", "package": "p1", "item": None, "credits": 0, "amount": "30.00"}
    ]
    shown = result["packages"][0]
    assert list(shown) == ["id", "balance", "expires_on", "expires_at", "first_used_at"]
    assert shown["balance"] == "20.00"
    assert shown["first_used_at"] == "2026-03-02T17:30:00-05:00"


def test_a_pool_reports_its_balance_under_the_pool_name() -> None:
    credits = [{"pool": "grooming", "items": ["bath", "nails"], "remaining": 4}]
    assert evaluate(document(credits=credits))["packages"][0]["remaining"] == {"grooming": 4}


def test_an_overdrawn_component_reports_a_negative_remaining() -> None:
    credits = [{"item": "boarding", "remaining": -1, "overdraft": 3}]
    assert evaluate(document(credits=credits))["packages"][0]["remaining"] == {"boarding": -1}


# --- errors ---------------------------------------------------------------------------------

P0 = "packages[0]"
C0 = "packages[0].credits[0]"
C1 = "packages[0].credits[1]"
PRIORITY = "must be a whole number from 0 to 100"

#: (id, the package's fields, the path below packages[0], fragments of the message)
BAD_OPTIONS: list[tuple[Any, ...]] = [
    # X6 valid_from
    ("valid_from=soon", {"valid_from": "soon"}, "valid_from", "ISO 8601 date-time", "'soon'"),
    (
        "valid_from-in-a-DST-gap",
        {"valid_from": "2026-03-08T02:30:00"},
        "valid_from",
        "does not exist in America/New_York",
    ),
    # X4 valid_for
    ("valid_for=30", {"valid_for": 30}, "valid_for", "must be an object", "got 30"),
    (
        "valid_for={}",
        {"valid_for": {}},
        "valid_for",
        "exactly one of days, weeks, months",
        "got {}",
    ),
    (
        "valid_for-two-units",
        {"valid_for": {"days": 1, "weeks": 1}},
        "valid_for",
        "exactly one of days, weeks, months",
    ),
    (
        "valid_for.years",
        {"valid_for": {"years": 1}},
        "valid_for.years",
        "unknown key 'years'",
        "days, weeks, months",
    ),
    (
        "valid_for.months=-1",
        {"valid_for": {"months": -1}},
        "valid_for.months",
        "must be a whole number >= 0",
        "got -1",
    ),
    (
        "valid_for.days=null",
        {"valid_for": {"days": None}},
        "valid_for.days",
        "must be a whole number >= 0",
        "got null",
    ),
    (
        "valid_for-and-days_to_expiration",
        {"valid_for": {"days": 30}, "days_to_expiration": 30},
        "valid_for",
        "valid_for or days_to_expiration, not both",
    ),
    # X7 pauses
    ("pauses={}", {"pauses": {}}, "pauses", "must be a list", "got {}"),
    ("pause-without-to", {"pauses": [{"from": "2026-03-01"}]}, "pauses[0].to", "is required"),
    (
        "pause-unknown-key",
        {"pauses": [{"from": "2026-03-01", "to": "2026-03-01", "days": 1}]},
        "pauses[0].days",
        "unknown key 'days'",
        "from, to",
    ),
    (
        "pause-bad-date",
        {"pauses": [{"from": "2026-3-1", "to": "2026-03-02"}]},
        "pauses[0].from",
        "ISO 8601 date",
        '"2026-3-1"',
    ),
    (
        "pause-ends-before-it-starts",
        {"pauses": [{"from": "2026-03-10", "to": "2026-03-01"}]},
        "pauses[0].to",
        "ends (2026-03-01) before it starts (2026-03-10)",
    ),
    (
        "pauses-overlap",
        {
            "pauses": [
                {"from": "2026-03-05", "to": "2026-03-10"},
                {"from": "2026-03-01", "to": "2026-03-05"},
            ]
        },
        "pauses[1]",
        "overlaps another pause",
        "2026-03-01..2026-03-05",
        "2026-03-05..2026-03-10",
    ),
    # X9 stored value
    ("balance=50", {"credits": _DROP, "balance": 50}, "balance", "numbers are refused", "got 50"),
    (
        "balance=5.001",
        {"credits": _DROP, "balance": "5.001"},
        "balance",
        "more decimals than USD's 2 minor units",
    ),
    (
        "balance=-5",
        {"credits": _DROP, "balance": "-5"},
        "balance",
        "digits with an optional decimal part",
    ),
    ("balance-and-credits", {"balance": "50.00"}, "balance", "credits or a balance, not both"),
    ("neither-balance-nor-credits", {"credits": _DROP}, "credits", "is required"),
    ("balance-null-and-no-credits", {"credits": _DROP, "balance": None}, "credits", "is required"),
    ("items-without-balance", {"items": ["bath"]}, "items", "only a stored-value package"),
    (
        "items-twice",
        {"credits": _DROP, "balance": "5", "items": ["bath", "bath"]},
        "items[1]",
        "item 'bath' appears twice",
    ),
    (
        "items-empty-name",
        {"credits": _DROP, "balance": "5", "items": ["bath", ""]},
        "items[1]",
        "must be a non-empty string",
        'got ""',
    ),
    # X2 pools
    (
        "pool-without-items",
        {"credits": [{"pool": "grooming", "remaining": 1}]},
        "credits[0].items",
        "is required",
    ),
    (
        "items-without-pool",
        {"credits": [{"item": "bath", "items": ["bath"], "remaining": 1}]},
        "credits[0].items",
        "only a pool",
    ),
    (
        "item-and-pool",
        {"credits": [{"item": "bath", "pool": "grooming", "items": ["bath"], "remaining": 1}]},
        "credits[0].pool",
        "give item or pool, not both",
    ),
    (
        "pool-of-no-items",
        {"credits": [{"pool": "grooming", "items": [], "remaining": 1}]},
        "credits[0].items",
        "at least one item",
    ),
    (
        "pool-item-twice",
        {"credits": [{"pool": "grooming", "items": ["bath", "bath"], "remaining": 1}]},
        "credits[0].items[1]",
        "item 'bath' appears twice",
    ),
    (
        "pool-empty-name",
        {"credits": [{"pool": "", "items": ["bath"], "remaining": 1}]},
        "credits[0].pool",
        "must be a non-empty string",
    ),
    (
        "pool-item-also-a-plain-component",
        {
            "credits": [
                {"item": "bath", "remaining": 1},
                {"pool": "grooming", "items": ["nails", "bath"], "remaining": 1},
            ]
        },
        "credits[1].items[1]",
        "item 'bath' is paid by two components of the package",
    ),
    (
        "plain-component-also-in-a-pool",
        {
            "credits": [
                {"pool": "grooming", "items": ["nails", "bath"], "remaining": 1},
                {"item": "bath", "remaining": 1},
            ]
        },
        "credits[1].item",
        "item 'bath' is paid by two components of the package",
    ),
    (
        "pool-named-like-an-item",
        {
            "credits": [
                {"item": "grooming", "remaining": 1},
                {"pool": "grooming", "items": ["nails"], "remaining": 1},
            ]
        },
        "credits[1].pool",
        "'grooming' is named like another component",
    ),
    # X3 substitutes
    (
        "substitutes-not-a-list",
        {"credits": [{"item": "daycare_full", "remaining": 1, "substitutes": "daycare_half"}]},
        "credits[0].substitutes",
        "must be a list",
    ),
    (
        "substitute-twice",
        {"credits": [{"item": "daycare_full", "remaining": 1, "substitutes": ["x", "x"]}]},
        "credits[0].substitutes[1]",
        "item 'x' appears twice",
    ),
    (
        "substitute-of-itself",
        {"credits": [{"item": "daycare_full", "remaining": 1, "substitutes": ["daycare_full"]}]},
        "credits[0].substitutes[0]",
        "'daycare_full' is an item of this credit itself",
    ),
    (
        "substitute-of-its-pool",
        {"credits": [{"pool": "g", "items": ["bath"], "remaining": 1, "substitutes": ["bath"]}]},
        "credits[0].substitutes[0]",
        "'bath' is an item of this credit itself",
    ),
    # X8 overdraft
    (
        "overdraft=-1",
        {"credits": [{"item": "daycare_full", "remaining": 1, "overdraft": -1}]},
        "credits[0].overdraft",
        "must be a whole number >= 0",
        "got -1",
    ),
    (
        "remaining-beyond-the-overdraft",
        {"credits": [{"item": "daycare_full", "remaining": -3, "overdraft": 2}]},
        "credits[0].remaining",
        "must be a whole number >= -2",
        "got -3",
    ),
    (
        "remaining-not-a-number-with-an-overdraft",
        {"credits": [{"item": "daycare_full", "remaining": "x", "overdraft": 2}]},
        "credits[0].remaining",
        "must be a whole number >= -2",
        'got "x"',
    ),
]

ERRORS = [
    # X1 priority
    *[
        pytest.param(
            document(priority=bad), f"{P0}.priority", (PRIORITY, got), id=f"priority={bad!r}"
        )
        for bad, got in (
            (-1, "got -1"),
            (101, "got 101"),
            ("50", 'got "50"'),
            (50.0, "got 50.0"),
            (True, "got true"),
            (None, "got null"),
        )
    ],
    *(
        pytest.param(document(**fields), f"{P0}.{path}", fragments, id=name)
        for name, fields, path, *fragments in BAD_OPTIONS
    ),
]


@pytest.mark.parametrize(("doc", "path", "fragments"), ERRORS)
def test_a_bad_option_is_refused_with_its_path(
    doc: dict[str, Any], path: str, fragments: tuple[str, ...]
) -> None:
    refused(doc, path, *fragments)


def test_X5_a_bad_policy_expiry_is_refused() -> None:
    doc = document()
    doc["policy"] = {"expiry": "midnight"}
    refused(doc, "policy.expiry", "must be one of end_of_day, elapsed", '"midnight"')


def test_an_unknown_key_lists_the_options_among_the_allowed_keys() -> None:
    error = refused(document(priorty=1), f"{P0}.priorty", "unknown key 'priorty'")
    for key in ("priority", "valid_from", "valid_for", "pauses", "balance", "items"):
        assert key in error.message
    credits = [{"item": "x", "remaining": 1, "overdraf": 1}]
    error = refused(document(credits=credits), f"{C0}.overdraf", "unknown key 'overdraf'")
    for key in ("pool", "items", "substitutes", "overdraft"):
        assert key in error.message


def test_the_first_error_of_a_package_is_in_reading_order() -> None:
    # The fields a document had before the options keep their order: the options are read
    # after pricing_rules, before credits.
    doc = document(pricing_rules="no", priority=-1, credits=[{"item": "", "remaining": 1}])
    refused(doc, f"{P0}.pricing_rules")
    doc = document(priority=-1, credits=[{"item": "", "remaining": 1}])
    refused(doc, f"{P0}.priority")


def test_the_policy_a_booking_adds_rules_to_is_not_kept_between_documents() -> None:
    """The compiled policies scenario.py keeps are the documents' own: a policy made for one
    document's caps of uses or booking time (its rules hold that document's package ids or
    time) is compiled for that document and not kept."""
    from punchcard import Policy, scenario

    scenario._compiled.cache_clear()
    document = {
        "at": "2026-03-02T17:30:00",
        "timezone": "America/New_York",
        "currency": "USD",
        "cart": {
            "owner": "smith",
            "location": "downtown",
            "lines": [{"id": "l1", "item": "yoga", "unit_price": "20.00"}],
        },
        "packages": [
            {
                "id": "p-secret",
                "owner": "smith",
                "purchased_at": "2026-03-01T09:00:00",
                "credits": [{"item": "yoga", "remaining": 5, "uses_left": 1}],
            }
        ],
    }
    result = scenario.evaluate(document)
    assert result["redemptions"][0]["package"] == "p-secret"
    # one entry, and it is the document's own policy (the default): asking for it again is a
    # hit and adds nothing
    assert scenario._compiled.cache_info().currsize == 1
    hits = scenario._compiled.cache_info().hits
    scenario._compiled(Policy())
    assert scenario._compiled.cache_info().hits == hits + 1
    assert scenario._compiled.cache_info().currsize == 1
