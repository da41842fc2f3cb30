"""The ledger: replay folds events into states, state_as_of gives any past state, and events
round-trip through plain JSON-ready dicts."""

from __future__ import annotations

import datetime as dt
import json

import attrs
import pytest
from hypothesis import given, settings
from lifecycle_kit import ADMIN, MONTHLY, NY, PASS10, THREE, USD, Book, at, daycare_cart
from options_kit import FEES, FIRST_USE, FORFEITS

from punchcard import Cart, Component, Line, Money, Package, Settings
from punchcard.lifecycle import (
    EVENT_TYPES,
    FORMAT_VERSION,
    Business,
    CreditsDeducted,
    LedgerError,
    LedgerState,
    PackagePurchased,
    PackageType,
    RedemptionCancelled,
    RedemptionRecorded,
    RedemptionUsed,
    TypeComponent,
    assign,
    cancel,
    change_beneficiary,
    checkout,
    deduct,
    delete,
    edit_expiry,
    event_from_dict,
    event_to_dict,
    expire,
    hold,
    ledger_event_id,
    no_show,
    pause,
    purchase,
    refund,
    renew,
    replay,
    set_renewal,
    state_as_of,
    stop_renewal,
    transfer,
    unpause,
    use,
)
from punchcard.testing import Ledger, ledgers
from punchcard.timeutil import zone


def _every_kind() -> tuple[Book, list[tuple[dt.datetime, LedgerState]]]:
    """A ledger with every event type, and the state after each step with its time."""
    book = Book()
    snapshots: list[tuple[dt.datetime, LedgerState]] = []

    def step(when: dt.datetime, outcome: object) -> None:
        book(outcome)  # type: ignore[arg-type]
        snapshots.append((when, book.state))

    step(at(1, 31, 12), book.buy(MONTHLY, "sub", when=at(1, 31, 12)))
    book.events.pop()  # buy() already recorded it; keep step's bookkeeping simple
    step(at(3, 1, 9), renew(book.state, as_of=at(3, 1, 9)))  # period 2 from Feb 28, 23:59
    step(at(3, 1, 10), book.buy(PASS10, "p1", when=at(3, 1, 10)))
    book.events.pop()
    step(at(3, 1, 11), book.buy(THREE, "gone", owner="jones", when=at(3, 1, 11)))
    book.events.pop()
    step(
        at(3, 2),
        hold(
            book.state,
            daycare_cart(5, 6, cart_id="c1"),
            booking="appt",
            as_of=at(3, 2),
            scheduled_for=at(3, 5, 8),
            timezone=NY,
        ),
    )
    step(at(3, 3), cancel(book.state, "appt", line_id="d6", as_of=at(3, 3)))
    step(at(3, 5, 17), use(book.state, "appt", as_of=at(3, 5, 17)))
    step(
        at(3, 6),
        assign(book.state, "p1", "daycare_full", 2, as_of=at(3, 6), actor=ADMIN, note="goodwill"),
    )
    step(at(3, 7), deduct(book.state, "p1", "daycare_full", 1, as_of=at(3, 7), actor=ADMIN))
    step(at(3, 8), edit_expiry(book.state, "p1", dt.date(2026, 3, 20), as_of=at(3, 8)))
    step(at(3, 9), delete(book.state, "gone", as_of=at(3, 9)))
    step(at(3, 21), expire(book.state, as_of=at(3, 21)))
    step(
        at(3, 23), checkout(book.state, daycare_cart(23), booking="t", as_of=at(3, 23), timezone=NY)
    )
    step(
        at(3, 24),
        refund(
            book.state,
            "sub",
            as_of=at(3, 24),
            actor=ADMIN,
            business=Business(settings=Settings(refund_after_use=True)),
        ),
    )
    # the market options (issue 12): a stored value held, used and cancelled; a debt settled
    # by the next purchase; a pause, ended early
    step(at(3, 25), book.buy(CARD, "card", when=at(3, 25)))
    book.events.pop()
    bath = Cart("smith", "downtown", USD, [Line("bath", "bath", Money("25", USD))])
    step(
        at(3, 26),
        hold(
            book.state, bath, booking="spa", as_of=at(3, 26), scheduled_for=at(3, 28), timezone=NY
        ),
    )
    step(at(3, 27), use(book.state, "spa", as_of=at(3, 27)))
    step(
        at(3, 27, 10), checkout(book.state, bath, booking="spa-2", as_of=at(3, 27, 10), timezone=NY)
    )
    step(at(3, 27, 11), cancel(book.state, "spa-2", as_of=at(3, 27, 11)))
    step(at(3, 28), book.buy(TAB, "tab", when=at(3, 28)))
    book.events.pop()
    stay = Cart("smith", "downtown", USD, [Line("stay", "boarding", Money("45", USD), units=2)])
    step(at(3, 29), checkout(book.state, stay, booking="stay", as_of=at(3, 29), timezone=NY))
    settles = purchase(
        book.state, TAB, package_id="tab-2", owner="smith", as_of=at(3, 30), timezone=NY
    )
    step(at(3, 30), settles)
    step(at(3, 31), book.buy(PASS10, "p2", when=at(3, 31)))
    book.events.pop()
    freeze = pause(
        book.state, "p2", dt.date(2026, 4, 5), dt.date(2026, 4, 9), as_of=at(4, 1), actor=ADMIN
    )
    step(at(4, 1), freeze)
    step(at(4, 6), unpause(book.state, "p2", dt.date(2026, 4, 5), as_of=at(4, 6), actor=ADMIN))
    # The events of the lifecycle options of issue 12 (1, 11-13, 16).
    step(at(4, 10, 10), book.buy(PASS10, "p3", when=at(4, 10, 10)))
    book.events.pop()
    step(at(4, 10, 11), book.buy(THREE, "j1", owner="jones", when=at(4, 10, 11)))
    book.events.pop()
    late = daycare_cart(27)
    step(
        at(4, 10, 12),
        hold(
            book.state,
            late,
            booking="late",
            as_of=at(4, 10, 12),
            scheduled_for=at(4, 12, 8),
            timezone=NY,
        ),
    )
    step(at(4, 11, 12), cancel(book.state, "late", as_of=at(4, 11, 12), business=FORFEITS))
    step(
        at(4, 11, 13),
        hold(
            book.state,
            daycare_cart(28),
            booking="ns",
            as_of=at(4, 11, 13),
            scheduled_for=at(4, 13, 8),
            timezone=NY,
        ),
    )
    step(at(4, 13, 10), no_show(book.state, "ns", as_of=at(4, 13, 10), business=FEES))
    step(
        at(4, 13, 11),
        transfer(book.state, "p3", "j1", "daycare_full", 2, as_of=at(4, 13, 11), actor=ADMIN),
    )
    step(
        at(4, 13, 12), change_beneficiary(book.state, "j1", "rex", as_of=at(4, 13, 12), actor=ADMIN)
    )
    step(at(4, 13, 13), book.buy(MONTHLY, "sub2", when=at(4, 13, 13)))
    book.events.pop()
    step(at(4, 14), set_renewal(book.state, "sub2", dt.date(2026, 4, 26), as_of=at(4, 14)))
    step(at(4, 15), stop_renewal(book.state, "sub2", as_of=at(4, 15)))
    step(at(4, 15, 10), book.buy(FIRST_USE, "fu", owner="lee", when=at(4, 15, 10)))
    book.events.pop()
    step(
        at(4, 15, 11),
        hold(
            book.state,
            daycare_cart(2, owner="lee"),
            booking="fu-1",
            as_of=at(4, 15, 11),
            scheduled_for=at(4, 18, 8),
            timezone=NY,
        ),
    )
    reset = Business(timezone=NY, countdown_reset=True)
    step(at(4, 16), cancel(book.state, "fu-1", as_of=at(4, 16), business=reset))
    spa = hold(
        book.state,
        bath,
        booking="spa-ns",
        as_of=at(4, 16, 12),
        scheduled_for=at(4, 17, 8),
        timezone=NY,
    )
    step(at(4, 16, 12), spa)
    missed = no_show(book.state, "spa-ns", as_of=at(4, 17, 10), business=FORFEITS)
    step(at(4, 17, 10), missed)  # the money of a stored value forfeited
    return book, snapshots


#: A $100 spa card sold for $90, for baths only (X9); a boarding credit with an overdraft of 2 (X8).
CARD = PackageType(
    id="card",
    name="Spa card",
    price=Money("90", "USD"),
    value=Money("100", "USD"),
    items=["bath"],
)
TAB = PackageType(
    id="tab",
    name="Boarding tab",
    price=Money("45", "USD"),
    components=[TypeComponent("boarding", 1, overdraft=2)],
)


def test_the_fixture_ledger_holds_every_event_type() -> None:
    book, _ = _every_kind()
    assert {type(e).kind for e in book.events} == set(EVENT_TYPES)


def test_json_round_trip_of_every_event() -> None:
    book, _ = _every_kind()
    for event in book.events:
        data = event_to_dict(event)
        assert data["type"] == type(event).kind
        text = json.dumps(data)  # plain JSON: no custom encoder needed
        back = event_from_dict(json.loads(text))
        assert back == event
        assert type(back) is type(event)
        assert event_to_dict(back) == data


def test_replay_of_the_stored_ledger_equals_the_state_kept_step_by_step() -> None:
    book, _ = _every_kind()
    stored = json.dumps([event_to_dict(e) for e in book.events])
    assert replay(event_from_dict(d) for d in json.loads(stored)) == book.state
    assert replay(book.events) == book.state


def test_replay_reads_a_stream_once() -> None:
    book, _ = _every_kind()
    stream = iter(book.events)
    assert replay(stream) == book.state
    assert next(stream, None) is None


def test_replay_onto_a_saved_state() -> None:
    book, _ = _every_kind()
    half = len(book.events) // 2
    saved = replay(book.events[:half])
    assert replay(book.events[half:], start=saved) == book.state


def test_state_as_of_gives_the_state_at_every_past_time() -> None:
    book, snapshots = _every_kind()
    for when, expected in snapshots:
        assert state_as_of(book.events, when) == expected
    assert state_as_of(book.events, at(1, 1)) == LedgerState()


def test_state_as_of_counts_sweep_events_from_when_they_took_effect() -> None:
    # The expiry job ran late (Apr 3) for a package that expired at the end of Mar 31: the
    # state as of Apr 1 shows it expired, although no one had recorded that on Apr 1.
    book = _base()
    book(expire(book.state, as_of=at(4, 3)))
    assert state_as_of(book.events, at(4, 1)).package("p1").status == "expired"
    assert state_as_of(book.events, at(3, 31, 23, 58)).package("p1").status == "active"


def test_event_ids_are_deterministic_per_package_and_seq() -> None:
    book, _ = _every_kind()
    assert all(e.event_id == ledger_event_id(e.package_id, e.seq) for e in book.events)
    assert len({e.event_id for e in book.events}) == len(book.events)


# -- inconsistent ledgers -------------------------------------------------------------------------


def _base() -> Book:
    book = Book()
    book.buy(PASS10, "p1")
    return book


def test_replay_refuses_a_gap_in_seq() -> None:
    book = _base()
    book(deduct(book.state, "p1", "daycare_full", 1, as_of=at(3, 2), actor=ADMIN))
    gap = attrs.evolve(book.events[1], seq=3)
    with pytest.raises(LedgerError, match=r"^events\[1\]\.seq: package 'p1' is at event 1, got 3"):
        replay([book.events[0], gap])


def test_replay_refuses_an_event_of_an_unknown_package() -> None:
    book = _base()
    book(deduct(book.state, "p1", "daycare_full", 1, as_of=at(3, 2), actor=ADMIN))
    with pytest.raises(LedgerError, match=r"^events\[0\]\.package_id: no package 'p1'"):
        replay(book.events[1:])


def test_replay_refuses_a_second_purchase_of_the_same_package() -> None:
    book = _base()
    with pytest.raises(LedgerError, match=r"^events\[1\]\.package_id: package 'p1' purchased"):
        replay([book.events[0], book.events[0]])


def test_replay_refuses_taking_credits_that_are_not_there() -> None:
    book = _base()
    too_many = CreditsDeducted(
        event_id="x", package_id="p1", seq=2, at=book.events[0].at, item="daycare_full", credits=11
    )
    with pytest.raises(LedgerError, match=r"^events\[1\]\.credits: takes 11 remaining"):
        replay([book.events[0], too_many])


def test_replay_refuses_an_event_before_the_previous_one() -> None:
    book = _base()
    early = CreditsDeducted(
        event_id="x",
        package_id="p1",
        seq=2,
        item="daycare_full",
        credits=1,
        at=book.events[0].at - dt.timedelta(seconds=1),
    )
    with pytest.raises(LedgerError, match=r"^events\[1\]\.at: "):
        replay([book.events[0], early])


def test_replay_refuses_a_second_restore_of_one_redemption() -> None:
    book = _base()
    book.hold(5, booking="a", as_of=at(3, 2), scheduled_for=at(3, 5, 8))
    book(cancel(book.state, "a", as_of=at(3, 3)))
    first = book.events[-1]
    assert isinstance(first, RedemptionCancelled)
    again = attrs.evolve(first, seq=first.seq + 1, event_id="again")
    with pytest.raises(LedgerError, match=r"redemption .* is cancelled, not held"):
        replay([*book.events, again])


# -- the JSON form, refused ----------------------------------------------------------------------


def _purchase_dict() -> dict[str, object]:
    return event_to_dict(_base().events[0])


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"type": "gift"}, "event.type", "unknown event type 'gift'"),
        ({"colour": "red"}, "event", "unknown keys ['colour'] for 'package_purchased'"),
        (
            {"at": "2026-03-01T10:00:00"},
            "event.at",
            "must be an ISO 8601 date-time string with an offset, got '2026-03-01T10:00:00'",
        ),
        (
            {"price": {"amount": 250, "currency": "USD"}},
            "event.price.amount",
            "must be a decimal string, got 250",
        ),
        (
            {"price": {"amount": "2.505", "currency": "USD"}},
            "event.price",
            "amount: '2.505' has more decimals than USD's 2 minor units",
        ),
        ({"seq": 0}, "event.seq", "must be a whole number >= 1, got 0"),
        ({"seq": True}, "event.seq", "must be a whole number, got True"),
        (
            {"components": [{"item": "x", "quantity": 0, "hourly": False}]},
            "event.components[0].quantity",
            "must be a whole number >= 1, got 0",
        ),
        (
            {"expires_on": "2026-02-30"},
            "event.expires_on",
            "must be an ISO 8601 date string (YYYY-MM-DD), got '2026-02-30'",
        ),
        ({"timezone": "Mars/Olympus"}, "event.timezone", "unknown IANA time zone 'Mars/Olympus'"),
    ],
)
def test_event_from_dict_names_what_is_wrong(
    change: dict[str, object], path: str, message: str
) -> None:
    data = {**_purchase_dict(), **change}
    with pytest.raises(LedgerError) as info:
        event_from_dict(data)
    assert (info.value.path, info.value.message) == (path, message)


def test_event_from_dict_refuses_missing_keys() -> None:
    data = _purchase_dict()
    del data["owner"]
    with pytest.raises(LedgerError, match=r"missing keys \['owner'\]"):
        event_from_dict(data)


def test_events_refuse_naive_times() -> None:
    from punchcard.errors import InvalidValueError

    with pytest.raises(InvalidValueError, match="at: must be an aware date-time"):
        CreditsDeducted(
            event_id="x", package_id="p", seq=2, at=dt.datetime(2026, 3, 1), item="a", credits=1
        )


def test_purchase_event_keeps_the_price_and_zone() -> None:
    event = _base().events[0]
    assert isinstance(event, PackagePurchased)
    data = event_to_dict(event)
    assert data["price"] == {"amount": "250.00", "currency": "USD"}
    assert data["timezone"] == NY
    assert data["at"] == "2026-03-01T10:00:00-05:00[America/New_York]"
    assert Money(data["price"]["amount"], "USD") == event.price


# -- the stored format: version and zones --------------------------------------------------------


def test_issue9_item7_every_stored_event_carries_the_format_version() -> None:
    book, _ = _every_kind()
    assert FORMAT_VERSION == 1
    assert {event_to_dict(e)["v"] for e in book.events} == {FORMAT_VERSION}


def _previous_format(data: dict[str, object]) -> dict[str, object]:
    """*data* as format version 0 wrote it: no "v", times without a zone name, a purchase without
    ``defined_at``, a redemption with the engine event id it mirrored."""
    old = {k: v for k, v in data.items() if k != "v"}
    for key in ("at", "scheduled_for", "first_used_at"):
        if isinstance(old.get(key), str):
            old[key] = str(old[key]).split("[")[0]
    if old["type"] == "package_purchased":
        del old["defined_at"]
    if old["type"] == "credits_redeemed":
        old["source_event_id"] = "ev-0123456789abcdef01234567"
    return old


def test_issue9_item7_the_previous_format_without_a_version_is_read() -> None:
    book, _ = _every_kind()
    old = [_previous_format(event_to_dict(e)) for e in book.events]
    assert all("v" not in d and "[" not in str(d["at"]) for d in old)
    assert any("source_event_id" in d for d in old)
    read = [event_from_dict(json.loads(json.dumps(d))) for d in old]
    # the same events (their times come back with their offsets, the same instants)
    assert [e.at.utcoffset() for e in read] == [e.at.utcoffset() for e in book.events]
    assert replay(read) == book.state
    # and written again in the current format
    assert all(event_to_dict(e)["v"] == 1 for e in read)


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"v": 2}, "event.v", "unknown format version 2"),
        ({"v": "1"}, "event.v", "unknown format version '1'"),
        (
            {"source_event_id": "ev-1"},
            "event",
            "unknown keys ['source_event_id'] for 'package_purchased'",
        ),
    ],
)
def test_issue9_item7_an_unknown_version_or_key_is_refused(
    change: dict[str, object], path: str, message: str
) -> None:
    with pytest.raises(LedgerError) as info:
        event_from_dict({**_purchase_dict(), **change})
    assert (info.value.path, info.value.message) == (path, message)


def test_issue9_item7_the_previous_format_never_had_zone_names_or_new_keys() -> None:
    data = _purchase_dict()
    del data["v"]  # a current dict without its version is not the previous format
    with pytest.raises(LedgerError, match=r"unknown keys \['defined_at'\]"):
        event_from_dict(data)
    del data["defined_at"]
    with pytest.raises(LedgerError, match=r"^event\.at: .*no \[zone\] before format version 1"):
        event_from_dict(data)


def test_issue10_item2_json_round_trip_is_exact_in_the_repeated_hour() -> None:
    """01:10 EST on 1 Nov 2026 (the second 01:10 of the day, fold=1) comes back as 01:10 EST in
    New York, not as a fixed offset and not as 01:10 EDT."""
    ny = zone(NY)
    est = dt.datetime(2026, 11, 1, 1, 10, tzinfo=ny, fold=1)
    edt = est.replace(fold=0)
    assert est.utcoffset() == -dt.timedelta(hours=5)
    assert edt.utcoffset() == -dt.timedelta(hours=4)
    for moment in (edt, est):
        ev = CreditsDeducted(
            event_id="x", package_id="p1", seq=2, at=moment, item="daycare_full", credits=1
        )
        data = json.loads(json.dumps(event_to_dict(ev)))
        back = event_from_dict(data)
        assert back == ev
        assert back.at.tzinfo is ny
        assert (back.at.fold, back.at.utcoffset()) == (moment.fold, moment.utcoffset())
        assert back.at.astimezone(dt.timezone.utc) == moment.astimezone(dt.timezone.utc)
    # two events 40 minutes apart are not equal, although their wall clocks are
    one, other = (
        CreditsDeducted(event_id="x", package_id="p1", seq=2, at=m, item="a", credits=1)
        for m in (edt, est)
    )
    assert one != other
    assert event_to_dict(one)["at"] == "2026-11-01T01:10:00-04:00[America/New_York]"
    assert event_to_dict(other)["at"] == "2026-11-01T01:10:00-05:00[America/New_York]"


def test_issue10_item2_a_stored_time_whose_offset_is_not_its_zone_is_refused() -> None:
    data = _purchase_dict()
    data["at"] = "2026-03-01T10:00:00-04:00[America/New_York]"  # New York is at -05:00 then
    with pytest.raises(LedgerError, match=r"^event\.at: the offset of .* is not the offset"):
        event_from_dict(data)
    data["at"] = "2026-03-01T10:00:00-05:00[Mars/Olympus]"
    with pytest.raises(LedgerError, match=r"^event\.at: must be a known IANA zone"):
        event_from_dict(data)


def test_events_refuse_a_local_time_that_does_not_exist() -> None:
    from punchcard.errors import InvalidValueError

    skipped = dt.datetime(2026, 3, 8, 2, 30, tzinfo=zone(NY))  # clocks go from 02:00 to 03:00
    with pytest.raises(InvalidValueError, match="at: 2026-03-08T02:30:00 does not exist"):
        CreditsDeducted(event_id="x", package_id="p", seq=2, at=skipped, item="a", credits=1)


# -- what a replayed state keeps -----------------------------------------------------------------

_START = dt.datetime(2026, 3, 1, 9, tzinfo=dt.timezone.utc)


def _bought_p0(timezone: str, quantity: int) -> PackagePurchased:
    """The purchase that starts the pinned ledgers below: package p0 of o1, *quantity* of a."""
    return PackagePurchased(
        event_id="p0:1",
        package_id="p0",
        seq=1,
        at=_START,
        owner="o1",
        type_id="t",
        name="T",
        timezone=timezone,
        components=(TypeComponent("a", quantity),),
        price=Money("10.00", "USD"),
    )


def _redeemed(seq: int, *, status: str = "used", amount: str = "30.00") -> RedemptionRecorded:
    return RedemptionRecorded(
        event_id=f"p0:{seq}",
        package_id="p0",
        seq=seq,
        at=_START,
        booking="bk",
        booking_kind="ticket",
        line_id=f"l{seq}",
        item="a",
        credits=1,
        amount=Money(amount, "USD"),
        status=status,  # type: ignore[arg-type]
        scheduled_for=_START,
    )


def test_replay_refuses_a_use_that_does_not_match_its_redemption() -> None:
    held = _redeemed(2, status="held")
    use = RedemptionUsed(
        event_id="p0:3",
        package_id="p0",
        seq=3,
        at=_START,
        redemption_id="p0:2",
        booking="bk",
        line_id="l2",
        item="a",
        credits=2,
        reason="completed",
    )
    with pytest.raises(LedgerError) as got:
        replay([_bought_p0(NY, 2), held, use])
    assert (got.value.path, got.value.message) == (
        "events[2].redemption_id",
        "does not match redemption 'p0:2'",
    )


def test_a_redemption_keeps_the_event_values() -> None:
    """The record of a redemption holds the event's own amount, and its times in the package's
    zone."""
    sydney = zone("Australia/Sydney")
    amounts = ("30.00", "25.00", "30.00")
    events = [
        _bought_p0("Australia/Sydney", 5),
        *(_redeemed(seq, amount=a) for seq, a in zip((2, 3, 4), amounts, strict=True)),
    ]
    records = replay(events).package("p0").redemptions
    assert [str(r.amount) for r in records] == list(amounts)
    assert [r.line_id for r in records] == ["l2", "l3", "l4"]
    assert {r.recorded_at.tzinfo for r in records} == {sydney}
    assert records[0].recorded_at == _START
    assert records[0].recorded_at.isoformat() == "2026-03-01T20:00:00+11:00"
    # folded from a saved state, the records are the same
    saved = replay(events[:2])
    assert replay(events[2:], start=saved).package("p0").redemptions == records


def test_issue10_item2_replay_orders_the_events_of_a_package_by_instant() -> None:
    """In the hour repeated on 1 Nov 2026 in New York, 01:10 EST (fold=1) is 40 minutes after
    01:30 EDT: a ledger in that order is consistent, the other order is refused."""
    ny = zone(NY)
    edt = dt.datetime(2026, 11, 1, 1, 30, tzinfo=ny)
    est = dt.datetime(2026, 11, 1, 1, 10, tzinfo=ny, fold=1)
    bought = attrs.evolve(_bought_p0(NY, 5), at=dt.datetime(2026, 10, 1, 9, tzinfo=ny))

    def deducted(seq: int, when: dt.datetime) -> CreditsDeducted:
        return CreditsDeducted(
            event_id=f"p0:{seq}", package_id="p0", seq=seq, at=when, item="a", credits=1
        )

    state = replay([bought, deducted(2, edt), deducted(3, est)])
    assert state.package("p0").last_event_at == est
    assert state.package("p0").last_event_at.utcoffset() == -dt.timedelta(hours=5)
    with pytest.raises(LedgerError, match=r"^events\[2\]\.at: 2026-11-01T01:30:00-04:00 is before"):
        replay([bought, deducted(2, est), deducted(3, edt)])


@given(ledger=ledgers(max_steps=10))
@settings(max_examples=60, deadline=None)
def test_the_engines_view_of_every_package_is_the_value_its_checks_would_build(
    ledger: Ledger,
) -> None:
    """``PackageState.as_package`` builds the engine's value without checking the fields again
    (each was checked at the sale and the fold keeps the counts within bounds): over generated
    ledgers, market options included, it must equal the value built with every check, under
    both expiry modes."""
    for state in ledger.state.packages:
        for mode in ("end_of_day", "elapsed"):
            package = state.as_package(mode)
            fields = {f.name: getattr(package, f.name) for f in attrs.fields(Package)}
            fields["components"] = [
                Component(**{f.name: getattr(c, f.name) for f in attrs.fields(Component)})
                for c in package.components
            ]
            assert Package(**fields) == package
