"""What the store writes: package states, events and request digests (no database needed).

- the state codec is generated from the attrs fields, round-trips every field exactly (zones
  and the repeated hour included), and refuses unknown formats and malformed data;
- the package states of an earlier punchcard (formats 1 and 2, shaped otherwise) are refused with
  the way out: run ``punchcard.store.upgrade``, which rebuilds them from the ledger;
- events keep their zone (format 2); the previous formats (events as ``event_to_dict`` alone, and
  the dicts of the earlier event model, without ``"v"``) are read;
- a request's digest changes with everything that decides the result (every line field of a
  checkout, the location, the currency, the time as an instant and its zone, the business), and
  has no separator ambiguity.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from databases import ADMIN, NY, at, ledger, old_event_dict, old_state_dict, usd

from punchcard import Cart, Line, Policy, Settings
from punchcard.lifecycle import (
    DEDUCT_REFUND_CREDITS,
    ComponentBalance,
    Franchise,
    LedgerError,
    PackagePurchased,
    PackageState,
    PermissionPolicy,
    RedemptionRecord,
    event_to_dict,
    replay,
)
from punchcard.store import Business, Request
from punchcard.store._codec import (
    EVENT_FORMAT,
    STATE_FORMAT,
    canonical,
    event_from_row,
    event_row,
    record_from_row,
    record_row,
    request_digest,
    state_from_row,
    state_row,
    to_json,
)


def states() -> list[PackageState]:
    """Packages with every kind of field filled: a bundle used down to its low-balance threshold,
    a subscription renewed with a hold, a refunded pass, sold in two zones."""
    return list(replay(ledger()).packages)


def test_a_package_state_round_trips_exactly() -> None:
    for state in states():
        fmt, text = state_row(state)
        assert fmt == STATE_FORMAT == 3
        records = [record_from_row(*record_row(r)) for r in state.redemptions]
        assert records == list(state.redemptions)
        back = state_from_row(fmt, text, records)
        assert back == state
        assert back.last_event_at.tzinfo == state.last_event_at.tzinfo == ZoneInfo(state.timezone)
        assert state_row(back) == (fmt, text)  # one text per state
    assert {s.status for s in states()} == {"active", "refunded"}
    assert any(s.period == 2 for s in states())
    assert any(s.low_balance_at is not None for s in states())
    assert any(r.status == "held" for s in states() for r in s.redemptions)


def test_the_state_codec_follows_the_attrs_fields() -> None:
    (state, *_rest) = states()
    data = json.loads(state_row(state)[1])
    # Every field, but the redemptions (``records``): they have rows of their own.
    assert set(data) == {f.name for f in attrs.fields(PackageState)} - {"records"}
    assert set(data["components"][0]) == {f.name for f in attrs.fields(ComponentBalance)}
    # The sale, the snapshot of the package's terms, with every field of its event.
    assert set(data["purchase"]) == {f.name for f in attrs.fields(PackagePurchased)}
    assert data["purchase"]["price"] == {"amount": "200.00", "currency": "USD"}
    (record,) = state.redemptions
    assert set(json.loads(record_row(record)[1])) == {
        f.name for f in attrs.fields(RedemptionRecord)
    }


def test_the_states_of_an_earlier_punchcard_are_refused_with_the_way_out() -> None:
    # Formats 1 (redemptions inline) and 2 (without them) are the earlier PackageState, every
    # term of the sale a field of its own: only the ledger can rebuild today's state.
    for state in states():
        for fmt, inline in ((1, True), (2, False)):
            text = canonical(old_state_dict(state, redemptions=inline))
            with pytest.raises(LedgerError, match=f"format {fmt} is an earlier punchcard's") as e:
                state_from_row(fmt, text)
            assert e.value.path == "state.format"
            assert "run punchcard.store.upgrade" in e.value.message


def test_the_previous_event_formats_are_read() -> None:
    # Format 1 of an event was the dict of event_to_dict alone (times with their UTC offset);
    # the stores of an earlier punchcard wrote the dicts of its event model (no "v", a sale
    # without defined_at, a redemption with source_event_id), in format 1 or 2.
    events = ledger()
    for event in events:
        for data in (event_to_dict(event), old_event_dict(event)):
            back = event_from_row(1, canonical(data))
            assert back == event
            assert back.at.utcoffset() == event.at.utcoffset()
        zones = {"at": event.at.tzinfo.key}  # type: ignore[union-attr]
        if hasattr(event, "scheduled_for"):
            zones["scheduled_for"] = event.scheduled_for.tzinfo.key
        back = event_from_row(2, canonical({**old_event_dict(event), "zones": zones}))
        assert (back, back.at.tzinfo) == (event, event.at.tzinfo)
    with pytest.raises(LedgerError, match="unknown event format 3"):
        event_from_row(3, canonical(event_to_dict(events[0])))
    with pytest.raises(LedgerError, match="unknown redemption record format 2"):
        record_from_row(2, "{}")


def test_an_event_keeps_its_zone_in_the_repeated_hour() -> None:
    tz = ZoneInfo(NY)
    late = dt.datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=tz)  # EST, after 01:30 EDT
    (event, *_rest) = ledger()
    event = attrs.evolve(event, at=late)
    kind, fmt, text = event_row(event)
    assert (kind, fmt) == ("package_purchased", EVENT_FORMAT)
    assert json.loads(text)["zones"] == {"at": NY}
    back = event_from_row(fmt, text)
    assert back == event
    assert (back.at.tzinfo, back.at.fold, back.at.utcoffset()) == (tz, 1, late.utcoffset())
    for event in ledger():
        assert event_from_row(*event_row(event)[1:]) == event


def test_a_time_in_the_repeated_hour_keeps_its_zone_and_fold() -> None:
    tz = ZoneInfo(NY)
    early = dt.datetime(2026, 11, 1, 1, 30, tzinfo=tz)  # EDT
    late = dt.datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=tz)  # EST, 40 minutes after
    (state, *_rest) = states()
    for moment in (early, late):
        changed = attrs.evolve(state, last_event_at=moment)
        back = state_from_row(*state_row(changed), changed.redemptions)
        assert back.last_event_at == moment
        assert back.last_event_at.utcoffset() == moment.utcoffset()
    assert to_json(late) == "2026-11-01T01:10:00-05:00[America/New_York]"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["purchase"].pop("owner"), "state.purchase.owner: missing"),
        (lambda d: d.update(color="red"), "unknown keys ['color']"),
        (lambda d: d.update(version="7"), "state.version: must be int"),
        (lambda d: d.update(status="lost"), "state.status: must be one of"),
        (lambda d: d.update(paid={"amount": "1e999", "currency": "USD"}), "state.paid"),
        (lambda d: d["purchase"].update(timezone="Mars/Base"), "state.purchase"),
        (lambda d: d.update(purchased_at="2026-03-01T09:00:00-05:00[Mars/Base]"), "Mars/Base"),
        (lambda d: d["components"][0].update(held=None), "state.components[0].held"),
    ],
)
def test_a_malformed_state_is_refused_with_its_path(change: Any, message: str) -> None:
    (state, *_rest) = states()
    data = json.loads(state_row(state)[1])
    change(data)
    with pytest.raises(LedgerError, match=message.replace("[", r"\[").replace("]", r"\]")):
        state_from_row(STATE_FORMAT, json.dumps(data))


def test_an_unknown_state_format_is_refused() -> None:
    (state, *_rest) = states()
    with pytest.raises(LedgerError, match="unknown package state format 99"):
        state_from_row(99, state_row(state)[1])
    with_records = {**json.loads(state_row(state)[1]), "records": []}
    with pytest.raises(LedgerError, match=r"without records \(format 3\)"):
        state_from_row(STATE_FORMAT, canonical(with_records))
    with pytest.raises(LedgerError, match="not JSON"):
        state_from_row(STATE_FORMAT, "{")


# -- request digests ------------------------------------------------------------------------------

LINE = Line("l1", "daycare_full", usd("30"), units=2, beneficiary="rex")
CART = Cart("smith", "downtown", "USD", [LINE], id="T-1")
ARGS: dict[str, Any] = {
    "cart": CART,
    "booking": "T-1",
    "as_of": at(3, 2),
    "timezone": NY,
    "booking_kind": "ticket",
    "actor": None,
}


PLAIN = Business()


def digest(business: Business = PLAIN, **changes: Any) -> str:
    arguments = {**ARGS, **changes}
    request = Request("checkout", arguments["cart"].owner, arguments, lambda s: None)
    return request_digest(request, business)[1]


def line(**changes: Any) -> Cart:
    return attrs.evolve(CART, lines=[attrs.evolve(LINE, **changes)])


def test_everything_that_decides_a_checkout_is_in_its_digest() -> None:
    variants = {
        "owner": {"cart": attrs.evolve(CART, owner="jones")},
        "location": {"cart": attrs.evolve(CART, location="beach")},
        "currency": {"cart": attrs.evolve(CART, currency="EUR", lines=[])},
        "cart id": {"cart": attrs.evolve(CART, id="T-2")},
        "line id": {"cart": line(id="l2")},
        "item": {"cart": line(item="daycare_half")},
        "unit price": {"cart": line(unit_price=usd("30.01"))},
        "units": {"cart": line(units=3)},
        "beneficiary": {"cart": line(beneficiary="bella")},
        "charge_by": {"cart": line(charge_by="hour")},
        "credit_values": {"cart": line(credit_values=[("daycare_full", usd("25"))])},
        "booking": {"booking": "T-2"},
        "booking kind": {"booking_kind": "appointment"},
        "time": {"as_of": at(3, 2, 9, 1)},
        "aware time": {"as_of": at(3, 2).replace(tzinfo=ZoneInfo(NY))},
        "same instant, other zone": {
            "as_of": at(3, 2).replace(tzinfo=ZoneInfo(NY)).astimezone(ZoneInfo("UTC"))
        },
        "zone": {"timezone": "America/Chicago"},
        "zone object": {"timezone": ZoneInfo(NY)},
        "actor": {"actor": ADMIN},
    }
    base = digest()
    seen = {base: "base"}
    for name, change in variants.items():
        d = digest(**change)
        assert d not in seen, f"{name} gives the digest of {seen.get(d)}"
        seen[d] = name
    assert digest() == base  # and the same request gives the same digest
    for business in (
        Business(settings=Settings(any_type=True)),
        Business(policy=Policy(line_order="priciest_first")),
        Business(policy=Policy(package_order="earliest_expiry")),
        Business(cancel_after_expiry="refuse"),
        Business(unused_at_renewal="rollover"),
        Business(rates={"downtown": {"daycare_full": usd("30")}}),
        Business(permissions=PermissionPolicy({"cancel_used": DEDUCT_REFUND_CREDITS})),
        Business(franchise=Franchise.from_mapping("hq", {"downtown-llc": ["downtown"]})),
        Business(timezone=NY),
        Business(zones={"downtown": NY}),
    ):
        assert digest(business) not in seen, business
        seen[digest(business)] = repr(business)


def test_no_separator_makes_two_requests_alike() -> None:
    # Joined with a separator, these would be one text: "a|b" + "c" and "a" + "b|c".
    two = Cart("smith", "x", "USD", [Line("a|b", "c", usd("1")), Line("d", "e", usd("1"))])
    other = Cart("smith", "x", "USD", [Line("a", "b|c", usd("1")), Line("d", "e", usd("1"))])
    assert digest(cart=two) != digest(cart=other)
    assert digest(booking="T-1", cart=attrs.evolve(CART, id="1")) != digest(
        booking="T-11", cart=attrs.evolve(CART, id=None)
    )
    assert digest(booking='","') != digest(booking=",")


def test_the_digest_text_is_canonical_json() -> None:
    request = Request("checkout", "smith", ARGS, lambda s: None)
    text, hexdigest = request_digest(request, Business())
    data = json.loads(text)
    assert data["operation"] == "checkout"
    assert data["arguments"]["as_of"] == "2026-03-02T09:00:00"  # naive: local time, as given
    assert data["arguments"]["cart"]["lines"][0]["unit_price"] == {
        "amount": "30.00",
        "currency": "USD",
    }
    assert data["arguments"]["cart"]["@type"] == "punchcard.models.Cart"
    assert text == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert len(hexdigest) == 64


def test_a_field_at_its_default_is_left_out_of_the_digest_so_new_options_change_no_key() -> None:
    """A new option of ``Business`` (or of a package type, of the settings) comes with a default
    that keeps the seeds' behaviour; a request that does not set it must keep its digest, or a
    key committed before the upgrade would be refused after it (``IdempotencyKeyReused``). So
    the digest leaves out every field at its default, and names every field that is not."""
    request = Request("checkout", "smith", ARGS, lambda s: None)
    plain = json.loads(request_digest(request, Business())[0])["business"]
    assert plain == {"@type": "punchcard.lifecycle.business.Business"}
    zoned = json.loads(request_digest(request, Business(timezone=NY))[0])["business"]
    assert zoned == {**plain, "timezone": NY}
    # an attrs value gaining a defaulted field keeps its digest; setting the field changes it
    old = attrs.make_class("Terms", {"a": attrs.field(default=1)}, frozen=True)
    new = attrs.make_class(
        "Terms", {"a": attrs.field(default=1), "late": attrs.field(default=None)}, frozen=True
    )
    new.__module__ = old.__module__
    args = {"terms": old()}
    before = request_digest(Request("x", "smith", args, lambda s: None), Business())
    after = request_digest(Request("x", "smith", {"terms": new()}, lambda s: None), Business())
    assert before == after
    late = request_digest(Request("x", "smith", {"terms": new(late=2)}, lambda s: None), Business())
    assert late != before
    # 0 is not False: a value of another type than the default is kept
    flag = attrs.make_class("Flag", {"on": attrs.field(default=False)}, frozen=True)
    assert request_digest(Request("x", "s", {"f": flag(0)}, lambda s: None), Business()) != (
        request_digest(Request("x", "s", {"f": flag()}, lambda s: None), Business())
    )
