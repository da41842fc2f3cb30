"""The engine's Python API beyond the rules: input checks, guards, idempotency keys, laziness."""

from __future__ import annotations

import datetime as dt

import pytest

from punchcard import (
    Cart,
    Component,
    CurrencyMismatchError,
    Guard,
    InvalidTimeError,
    InvalidTypeError,
    InvalidValueError,
    Line,
    Money,
    Package,
    Policy,
    Rates,
    apply,
)

AT = dt.datetime(2026, 3, 2, 17, 30)
TZ = "America/New_York"


def usd(text: str) -> Money:
    return Money(text, "USD")


def cart(*lines: Line, cart_id: str | None = "ticket-1") -> Cart:
    return Cart("smith", "downtown", "USD", lines, id=cart_id)


def package(pid: str = "p1", remaining: int = 3, **kw: object) -> Package:
    fields: dict[str, object] = {
        "id": pid,
        "owner": "smith",
        "purchased_at": dt.datetime(2026, 1, 5, 10),
        "components": [Component("daycare_full", remaining), Component("bath", 2)],
    }
    fields.update(kw)
    return Package(**fields)  # type: ignore[arg-type]


def test_guards_name_every_touched_component_with_expected_and_new() -> None:
    result = apply(
        cart(Line("l1", "daycare_full", usd("30"), units=2)), [package()], as_of=AT, timezone=TZ
    )
    assert result.guards == (Guard("p1", "daycare_full", 3, 1),)


def test_guards_empty_when_nothing_redeemed() -> None:
    result = apply(cart(Line("l1", "boarding", usd("55"))), [package()], as_of=AT, timezone=TZ)
    assert result.guards == ()
    assert result.packages == (package(),)


def test_idempotency_key_same_checkout_same_key_other_cart_other_key() -> None:
    line = Line("l1", "daycare_full", usd("30"))
    first = apply(cart(line), [package()], as_of=AT, timezone=TZ)
    retried = apply(cart(line), [package(remaining=2)], as_of=AT, timezone=TZ)
    other = apply(cart(line, cart_id="ticket-2"), [package()], as_of=AT, timezone=TZ)
    later = apply(cart(line), [package()], as_of=AT + dt.timedelta(minutes=1), timezone=TZ)
    assert first.idempotency_key == retried.idempotency_key
    assert first.idempotency_key.startswith("ck-")
    assert len({first.idempotency_key, other.idempotency_key, later.idempotency_key}) == 3


def test_event_ids_are_deterministic_and_distinct_per_redemption() -> None:
    lines = (Line("l1", "daycare_full", usd("30")), Line("l2", "bath", usd("20")))
    a = apply(cart(*lines), [package()], as_of=AT, timezone=TZ)
    b = apply(cart(*lines), [package()], as_of=AT, timezone=TZ)
    assert [e.event_id for e in a.events] == [e.event_id for e in b.events]
    assert len({e.event_id for e in a.events}) == 2
    assert all(e.cart_id == "ticket-1" and e.owner == "smith" for e in a.events)


def test_results_are_equal_values() -> None:
    line = Line("l1", "daycare_full", usd("30"))
    a = apply(cart(line), [package()], as_of=AT, timezone=TZ)
    b = apply(cart(line), [package()], as_of=AT, timezone=TZ)
    assert a == b
    assert a.packages == b.packages
    assert a.events == b.events


def test_duplicate_package_ids_refused_naming_the_position() -> None:
    with pytest.raises(InvalidValueError) as err:
        apply(cart(), [package(), package()], as_of=AT, timezone=TZ)
    assert err.value.field == "packages[1].id"


def test_nonexistent_local_purchase_time_refused_naming_the_package() -> None:
    bad = package(purchased_at=dt.datetime(2026, 3, 8, 2, 30))
    with pytest.raises(InvalidTimeError) as err:
        apply(cart(), [package("p0"), bad], as_of=AT, timezone=TZ)
    assert err.value.field == "packages[1].purchased_at"
    used_in_gap = package(first_used_at=dt.datetime(2026, 3, 8, 2, 30))
    with pytest.raises(InvalidTimeError, match="does not exist") as err:
        apply(cart(), [package("p0"), used_in_gap], as_of=AT, timezone=TZ)
    assert err.value.field == "packages[1].first_used_at"


def test_rate_in_another_currency_at_the_cart_location_refused() -> None:
    rates = Rates.from_mapping({"downtown": {"daycare_full": Money("30", "EUR")}})
    with pytest.raises(CurrencyMismatchError) as err:
        apply(cart(), [package()], as_of=AT, timezone=TZ, rates=rates)
    assert err.value.currencies == ("USD", "EUR")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"as_of": "2026-03-02"}, "as_of"),
        ({"timezone": 5}, "timezone"),
        ({"settings": {"any_type": True}}, "settings"),
        ({"policy": "fifo"}, "policy"),
    ],
)
def test_wrong_argument_types_name_the_argument(kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {"as_of": AT, "timezone": TZ}
    arguments.update(kwargs)
    with pytest.raises(InvalidTypeError) as err:
        apply(cart(), [package()], **arguments)  # type: ignore[arg-type]
    assert err.value.field == field


def test_inputs_are_not_mutated() -> None:
    packages = [package()]
    the_cart = cart(Line("l1", "daycare_full", usd("30"), units=5))
    before = (the_cart, list(packages))
    apply(the_cart, packages, as_of=AT, timezone=TZ, policy=Policy(line_order="optimal"))
    assert (the_cart, packages) == before
    assert packages[0].components[0].remaining == 3
