"""The one id validator and the one count bound of ``punchcard._validate``, on every field that
uses them (issue 10, items 9 and 10)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from punchcard import Cart, Component, Line, Money, Package, Rates, apply
from punchcard._validate import (
    MAX_COUNT,
    MAX_ID_LENGTH,
    check_count,
    check_identifier,
    is_identifier,
    show,
)
from punchcard.errors import InvalidTypeError, InvalidValueError, PunchcardError
from punchcard.lifecycle import Actor, PackageType, TypeComponent

USD = Money("30", "USD")
BOUGHT = dt.datetime(2026, 1, 5, 10)
AT = dt.datetime(2026, 3, 2, 17, 30)


def package(**fields: Any) -> Package:
    values: dict[str, Any] = {
        "id": "p1",
        "owner": "smith",
        "purchased_at": BOUGHT,
        "components": [Component("daycare_full", 5)],
        **fields,
    }
    return Package(**values)


def line(**fields: Any) -> Line:
    return Line(**{"id": "l1", "item": "daycare_full", "unit_price": USD, **fields})


def cart(**fields: Any) -> Cart:
    return Cart(**{"owner": "smith", "location": "downtown", "currency": "USD", **fields})


#: Every id field of the engine's values and of the lifecycle's: (label, field name, builder).
ID_FIELDS: list[tuple[str, str, Callable[[Any], object]]] = [
    ("Package.id", "id", lambda x: package(id=x)),
    ("Package.owner", "owner", lambda x: package(owner=x)),
    ("Package.location", "location", lambda x: package(location=x)),
    ("Package.beneficiary", "beneficiary", lambda x: package(beneficiary=x)),
    ("Component.item", "item", lambda x: Component(x, 1)),
    ("Line.id", "id", lambda x: line(id=x)),
    ("Line.item", "item", lambda x: line(item=x)),
    ("Line.beneficiary", "beneficiary", lambda x: line(beneficiary=x)),
    ("Line.credit_values", "credit_values", lambda x: line(credit_values=[(x, USD)])),
    ("Cart.owner", "owner", lambda x: cart(owner=x)),
    ("Cart.location", "location", lambda x: cart(location=x)),
    ("Cart.id", "id", lambda x: cart(id=x)),
    ("Rates.location", "rates", lambda x: Rates(((x, "daycare_full", USD),))),
    ("Rates.item", "rates.downtown", lambda x: Rates((("downtown", x, USD),))),
    ("Actor.id", "id", lambda x: Actor(x)),
    ("TypeComponent.item", "item", lambda x: TypeComponent(x, 1)),
    (
        "PackageType.id",
        "id",
        lambda x: PackageType(id=x, name="Pass", components=[TypeComponent("a", 1)], price=USD),
    ),
]

OPTIONAL_IDS = {"Package.location", "Package.beneficiary", "Line.beneficiary", "Cart.id"}

#: Strings that are not ids, with the reason in the id of the test.
NOT_IDS = {
    "nul": "p\x001",
    "lone-surrogate": "p\ud800",
    "low-surrogate-alone": "\udc00",
    "escape": "\x1b[31mred",
    "newline": "p1\n",
    "tab": "p\t1",
    "del": "p\x7f",
    "c1-next-line": "p\x85",
    "line-separator": "p\u2028",
    "paragraph-separator": "p\u2029",
    "too-long": "p" * (MAX_ID_LENGTH + 1),
    "empty": "",
}


@pytest.mark.parametrize(("label", "field", "build"), ID_FIELDS, ids=[f[0] for f in ID_FIELDS])
@pytest.mark.parametrize("bad", NOT_IDS.values(), ids=NOT_IDS.keys())
def test_issue10_item10_every_id_field_refuses_what_is_not_an_id(
    label: str, field: str, build: Callable[[Any], object], bad: str
) -> None:
    with pytest.raises(InvalidValueError) as info:
        build(bad)
    err = info.value
    assert err.field == field, label
    assert str(err) == f"{field}: {err.message}"
    assert show(bad) in err.message
    # The message can be written anywhere: UTF-8, one line.
    str(err).encode("utf-8")
    assert len(str(err).splitlines()) == 1


@pytest.mark.parametrize(("label", "field", "build"), ID_FIELDS, ids=[f[0] for f in ID_FIELDS])
@pytest.mark.parametrize("bad", [None, 5, b"p1", ["p1"], 10**5000], ids=show)
def test_issue10_item10_every_id_field_refuses_what_is_not_a_string_as_a_type_error(
    label: str, field: str, build: Callable[[Any], object], bad: Any
) -> None:
    if bad is None and label in OPTIONAL_IDS:
        build(bad)
        return
    with pytest.raises(InvalidTypeError) as info:
        build(bad)
    assert info.value.field == field, label


@pytest.mark.parametrize(("label", "field", "build"), ID_FIELDS, ids=[f[0] for f in ID_FIELDS])
@pytest.mark.parametrize(
    "good",
    [
        "p" * MAX_ID_LENGTH,
        "🐶 rex",
        "Zoë",
        "日本",
        "a b",
        "\u202eevil",
        "👨\u200d👩\u200d👧",
        "#$%",
    ],
    ids=["longest", "emoji", "accent", "cjk", "space", "bidi-override", "zwj-family", "punct"],
)
def test_ids_of_printable_unicode_are_taken_as_they_are(
    label: str, field: str, build: Callable[[Any], object], good: str
) -> None:
    build(good)


def test_issue10_item10_a_lone_surrogate_in_a_cart_id_is_refused_before_the_idempotency_key() -> (
    None
):
    """It used to pass, and ``Application.idempotency_key`` raised UnicodeEncodeError."""
    with pytest.raises(InvalidValueError) as info:
        cart(id="ticket-\ud800", lines=[line()])
    assert info.value.field == "id"
    assert "U+D800 at index 7" in info.value.message


def test_issue10_item10_nul_in_an_id_is_refused_naming_the_character() -> None:
    with pytest.raises(InvalidValueError) as info:
        package(id="p\x001")
    assert info.value.message == (
        "must not hold control characters, line separators or lone surrogates, "
        "got 'p\\x001' (U+0000 at index 1)"
    )


def test_issue10_item10_an_id_too_long_is_refused_without_printing_it_whole() -> None:
    with pytest.raises(InvalidValueError) as info:
        line(id="x" * 1_000_000)
    assert info.value.message.startswith(f"must be at most {MAX_ID_LENGTH} characters long")
    assert info.value.message.endswith("... (1000000 characters)")
    assert len(str(info.value)) < 200


# --- counts ---------------------------------------------------------------------------------------

#: Every count field: (label, field name, builder, its minimum).
COUNT_FIELDS: list[tuple[str, str, Callable[[Any], object], int]] = [
    ("Line.units", "units", lambda n: line(units=n), 1),
    ("Component.remaining", "remaining", lambda n: Component("daycare_full", n), 0),
    (
        "Package.days_to_expiration",
        "days_to_expiration",
        lambda n: package(days_to_expiration=n),
        0,
    ),
    ("TypeComponent.quantity", "quantity", lambda n: TypeComponent("a", n), 1),
]


@pytest.mark.parametrize(
    ("label", "field", "build", "minimum"), COUNT_FIELDS, ids=[f[0] for f in COUNT_FIELDS]
)
@pytest.mark.parametrize("number", [MAX_COUNT + 1, 2**63, 10**30, 10**5000], ids=show)
def test_issue10_item10_counts_above_10_to_the_15_are_refused(
    label: str, field: str, build: Callable[[Any], object], minimum: int, number: int
) -> None:
    with pytest.raises(InvalidValueError) as info:
        build(number)
    err = info.value
    assert err.field == field, label
    assert err.message == (
        f"must be a whole number <= 10**15 (punchcard's limit for counts), got {show(number)}"
    )


@pytest.mark.parametrize(
    ("label", "field", "build", "minimum"), COUNT_FIELDS, ids=[f[0] for f in COUNT_FIELDS]
)
def test_counts_up_to_10_to_the_15_are_taken(
    label: str, field: str, build: Callable[[Any], object], minimum: int
) -> None:
    build(MAX_COUNT)
    build(minimum)
    with pytest.raises(InvalidValueError, match=f"must be a whole number >= {minimum}, got"):
        build(minimum - 1)
    with pytest.raises(InvalidTypeError):
        build(True)


def test_issue10_item10_units_10_to_the_5000_is_refused_before_the_idempotency_key() -> None:
    """``units=10**5000`` used to pass, and ``Application.idempotency_key`` raised ValueError
    (Python prints no integer of more than 4,300 digits)."""
    with pytest.raises(InvalidValueError) as info:
        line(units=10**5000)
    assert info.value.field == "units"
    assert "<int of 5001 digits>" in info.value.message


def test_issue10_item9_the_largest_counts_and_amounts_go_through_a_checkout() -> None:
    """At the bounds (10**15 units and credits, a price of 21 digits), everything downstream
    works: the totals stay within Money's 38 digits, the key and the events are made."""
    price = Money("9" * 21 + ".99", "USD")
    the_cart = Cart(
        "smith", "downtown", "USD", [Line("l1", "daycare_full", price, units=MAX_COUNT)], id="c1"
    )
    huge = package(components=[Component("daycare_full", MAX_COUNT)], days_to_expiration=MAX_COUNT)
    result = apply(the_cart, [huge], as_of=AT, timezone="America/New_York")
    assert result.covered == price * MAX_COUNT
    assert result.package("p1").remaining("daycare_full") == 0
    assert result.idempotency_key.startswith("ck-")
    assert len(result.events) == 1


def test_check_count_and_check_identifier_name_the_field_they_are_given() -> None:
    assert check_count(MAX_COUNT, "quantities[3]") == MAX_COUNT
    with pytest.raises(InvalidValueError) as info:
        check_count(-1, "quantities[3]")
    assert info.value.field == "quantities[3]"
    with pytest.raises(InvalidValueError) as info:
        check_identifier("a\nb", "rates", "location")
    assert info.value.field == "rates"
    assert info.value.message.startswith("location must not hold control characters")


# --- error messages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("abc", "'abc'"),
        ("a" * 201, "'" + "a" * 40 + "'... (201 characters)"),
        (10**5000, "<int of 5001 digits>"),
        (-(10**5000), "<int of 5001 digits>"),
        (True, "True"),
        (list(range(100)), repr(list(range(100)))[:200] + "... (390 characters)"),
    ],
    ids=["short", "long-string", "huge-int", "huge-negative-int", "bool", "long-list"],
)
def test_show_prints_any_value_in_a_bounded_message(value: object, shown: str) -> None:
    assert show(value) == shown


def test_show_survives_values_python_cannot_print() -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    assert show(deep) == "<list too large to show>"


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Package("p1", "o", BOUGHT, 10**5000), "components"),
        (lambda: Line("l1", "x", USD, credit_values=10**5000), "credit_values"),
        (lambda: Cart("o", "d", "USD", 10**5000), "lines"),
        (lambda: Rates(10**5000), "rates"),  # type: ignore[arg-type]
        (lambda: Rates.coerce(10**5000), "rates"),  # type: ignore[arg-type]
        (lambda: Rates.from_mapping({"d": 5}), "rates.d"),  # type: ignore[dict-item]
        (lambda: Rates.from_mapping([("d", 5)]), "rates"),  # type: ignore[arg-type]
    ],
    ids=["components", "credit_values", "lines", "rates-entries", "rates", "rates-d-5", "list"],
)
def test_issue10_item10_containers_of_the_wrong_type_are_type_errors_naming_the_field(
    build: Callable[[], object], field: str
) -> None:
    with pytest.raises(InvalidTypeError) as info:
        build()
    assert isinstance(info.value, PunchcardError)
    assert info.value.field == field


def test_issue10_item10_apply_with_rates_d_5_is_a_type_error_naming_the_location() -> None:
    with pytest.raises(InvalidTypeError) as info:
        apply(
            cart(lines=[line()]),
            [package()],
            as_of=AT,
            timezone="America/New_York",
            rates={"d": 5},  # type: ignore[dict-item]
        )
    assert str(info.value) == "rates.d: must be a mapping item -> Money, got 5"


def test_issue10_item9_a_line_whose_total_leaves_the_money_bound_is_refused_naming_units() -> None:
    """unit_price x units is a Money too: a line whose total would have more than 38 digits is
    refused when it is built, not in the middle of a checkout."""
    price = Money("9" * 36, "USD")
    assert line(unit_price=price).total == price
    with pytest.raises(InvalidValueError) as info:
        line(unit_price=price, units=2)
    assert info.value.field == "units"
    assert info.value.message.startswith("unit_price x units must stay within Money's 38 digits")
    assert line(unit_price=Money("9" * 21 + ".99", "USD"), units=MAX_COUNT).total.minor < 10**38


@pytest.mark.parametrize("value", ["p1", "🐶", "p" * MAX_ID_LENGTH, *NOT_IDS.values(), None, 1])
def test_is_identifier_agrees_with_check_identifier(value: Any) -> None:
    try:
        check_identifier(value, "id")
    except PunchcardError:
        assert not is_identifier(value)
    else:
        assert is_identifier(value)
