"""The policy backtest (punchcard.scale.backtest) and the recorded-activity format it reads.

- on a hand-made month-by-month story, every measure is what the rules say: covered and due by
  the month of the service (a cancelled booking counts for nothing), credits consumed, breakage
  in the month the package expired valued at price / quantity, deferred revenue at each month
  end;
- FIFO and earliest expiry differ where they should (an older long package and a newer short
  one), and so do any_location off and on (a visit to another location);
- the answer does not depend on how the owners are split into parts;
- bad activity files are refused with the file, the line and the field.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from punchcard import Line, Money
from punchcard.scale import (
    ActivityInfo,
    DataError,
    Record,
    TypeSpec,
    Variant,
    backtest,
    generate_activity,
    read_info,
    read_part,
    write_activity,
)
from punchcard.timeutil import to_local, zone

NY = zone("America/New_York")
CHI = zone("America/Chicago")
USD = "USD"


def _info(*types: TypeSpec, parts: int = 1) -> ActivityInfo:
    return ActivityInfo(
        USD,
        "America/New_York",
        dt.date(2026, 1, 1),
        dt.date(2026, 4, 1),
        parts,
        (("downtown", "America/New_York"), ("lakeside", "America/Chicago")),
        types,
    )


def _at(month: int, day: int, hour: int = 10, tz: dt.tzinfo = NY) -> dt.datetime:
    return to_local(dt.datetime(2026, month, day, hour), tz)


def _lines(*pets: str) -> tuple[Line, ...]:
    return tuple(Line(f"{p}-1", "daycare_full", Money("30.00", USD), beneficiary=p) for p in pets)


def _buy(owner: str, when: dt.datetime, package_id: str, type_id: str) -> Record:
    return Record("purchase", owner, when, "downtown", package_id=package_id, type=type_id)


def _checkout(
    owner: str, when: dt.datetime, booking: str, *pets: str, where: str = "downtown"
) -> Record:
    return Record("checkout", owner, when, where, booking=booking, lines=_lines(*pets))


def _run(
    tmp_path: Path, info: ActivityInfo, records: list[Record], *variants: Variant
) -> dict[str, Any]:
    write_activity(tmp_path / "act", info, records)
    result = backtest(tmp_path / "act", variants or (Variant("fifo"),), processes=False)
    data = result.to_json()
    json.dumps(data)  # JSON-ready
    return data


def _cell(data: dict[str, Any], variant: str, month: str, location: str) -> dict[str, Any]:
    [row] = [
        r
        for r in data["rows"]
        if (r["variant"], r["month"], r["location"]) == (variant, month, location)
    ]
    return {k: v for k, v in row.items() if k not in ("variant", "month", "location")}


FOUR = TypeSpec(
    "four@downtown", "4 Days", (("daycare_full", 4, False),), Money("100.00", USD), "downtown", 40
)


def test_every_measure_month_by_month_on_a_known_story(tmp_path: Path) -> None:
    records = [
        _buy("ann", _at(1, 10), "ann-p0", "four@downtown"),
        _checkout("ann", _at(1, 12), "t1", "rex"),  # January: 1 credit, 30.00 covered
        Record("booking", "ann", _at(1, 20), "downtown", booking="b1", lines=_lines("rex"),
               scheduled_for=_at(1, 25, 8)),  # held, used on the 25th: January
        Record("booking", "ann", _at(1, 21), "downtown", booking="b2", lines=_lines("rex"),
               scheduled_for=_at(2, 2, 8)),
        Record("cancel", "ann", _at(1, 22), "downtown", booking="b2"),  # counts for nothing
        _checkout("ann", _at(2, 3), "t2", "rex"),  # February: the third credit; one left
        _checkout("ann", _at(3, 2), "t3", "rex"),  # expired on Feb 19: all due
    ]  # fmt: skip
    data = _run(tmp_path, _info(FOUR), records)
    assert data["months"] == ["2026-01", "2026-02", "2026-03"]
    assert data["locations"] == ["downtown"]
    assert _cell(data, "fifo", "2026-01", "downtown") == {
        "covered": "60.00",
        "due": "0.00",
        "credits_consumed": 2,
        "breakage_credits": 0,
        "breakage_value": "0.00",
        "deferred_revenue": "50.00",  # 2 credits left, 100.00 / 4 each
    }
    assert _cell(data, "fifo", "2026-02", "downtown") == {
        "covered": "30.00",
        "due": "0.00",
        "credits_consumed": 1,
        "breakage_credits": 1,  # expired at the end of Feb 19
        "breakage_value": "25.00",
        "deferred_revenue": "0.00",
    }
    assert _cell(data, "fifo", "2026-03", "downtown") == {
        "covered": "0.00",
        "due": "30.00",
        "credits_consumed": 0,
        "breakage_credits": 0,
        "breakage_value": "0.00",
        "deferred_revenue": "0.00",
    }
    assert data["totals"]["fifo"] == {
        "covered": "90.00",
        "due": "30.00",
        "credits_consumed": 3,
        "breakage_credits": 1,
        "breakage_value": "25.00",
        "deferred_revenue": "0.00",
    }
    assert data["owners"] == 1
    assert data["records"] == 7


LONG = TypeSpec(
    "ten-90@downtown",
    "10 Days",
    (("daycare_full", 10, False),),
    Money("250.00", USD),
    "downtown",
    90,
)
SHORT = TypeSpec(
    "five-20@downtown",
    "5 Days",
    (("daycare_full", 5, False),),
    Money("150.00", USD),
    "downtown",
    20,
)


def test_fifo_burns_the_older_package_and_lets_the_newer_short_one_expire(tmp_path: Path) -> None:
    records = [
        _buy("bo", _at(1, 5), "bo-long", "ten-90@downtown"),
        _buy("bo", _at(1, 6), "bo-short", "five-20@downtown"),
        *(_checkout("bo", _at(1, 10 + i), f"t{i}", "rex") for i in range(5)),
    ]
    data = _run(
        tmp_path,
        _info(LONG, SHORT),
        records,
        Variant("fifo"),
        Variant.of("soonest", package_order="earliest_expiry"),
    )
    fifo, soonest = data["totals"]["fifo"], data["totals"]["soonest"]
    assert fifo["covered"] == soonest["covered"] == "150.00"
    assert (fifo["breakage_credits"], soonest["breakage_credits"]) == (5, 0)
    assert (fifo["breakage_value"], soonest["breakage_value"]) == ("150.00", "0.00")
    # At the end of March: FIFO keeps 5 of the long package (25.00 each), earliest expiry 10.
    assert (fifo["deferred_revenue"], soonest["deferred_revenue"]) == ("125.00", "250.00")
    assert _cell(data, "fifo", "2026-01", "downtown")["breakage_credits"] == 5  # Jan 26, 23:59


def test_any_location_lets_a_downtown_package_pay_at_the_lake(tmp_path: Path) -> None:
    records = [
        _buy("cy", _at(1, 5), "cy-p0", "four@downtown"),
        _checkout("cy", _at(1, 9, 10, CHI), "t1", "rex", where="lakeside"),
    ]
    data = _run(
        tmp_path, _info(FOUR), records, Variant("here"), Variant.of("anywhere", any_location=True)
    )
    assert _cell(data, "here", "2026-01", "lakeside")["due"] == "30.00"
    assert _cell(data, "anywhere", "2026-01", "lakeside")["covered"] == "30.00"
    assert _cell(data, "anywhere", "2026-01", "downtown")["deferred_revenue"] == "75.00"
    assert data["locations"] == ["downtown", "lakeside"]


def test_the_answer_does_not_depend_on_the_parts(tmp_path: Path) -> None:
    answers = []
    for parts in (1, 5):
        folder = tmp_path / f"p{parts}"
        generate_activity(
            folder, owners=12, parts=parts, start=dt.date(2026, 1, 1), months=3, processes=False
        )
        result = backtest(folder, processes=False).to_json()
        assert result.pop("partitions") == parts
        answers.append(result)
    assert answers[0] == answers[1]
    totals = answers[0]["totals"]
    assert Decimal(totals["fifo"]["covered"]) > 0
    assert totals["fifo"] != totals["earliest_expiry"]  # the made-up owners do tell them apart


def test_two_variants_of_one_name_are_refused(tmp_path: Path) -> None:
    write_activity(tmp_path, _info(FOUR), [])
    with pytest.raises(ValueError, match="must be one or more variants of different names"):
        backtest(tmp_path, [Variant("a"), Variant.of("a", any_type=True)], processes=False)


@pytest.mark.parametrize(
    ("line", "path", "message"),
    [
        ("{not json", ":1", "not JSON"),
        ('{"kind": "refund", "owner": "o", "at": "2026-01-02T10:00:00", "location": "downtown"}', ":1.kind",
         "must be one of ['purchase', 'checkout', 'booking', 'cancel'], got 'refund'"),
        ('{"kind": "cancel", "owner": "o", "at": "2026-01-02T10:00:00", "location": "uptown", "booking": "b"}',
         ":1.location", "not a location of the header: 'uptown'"),
        ('{"kind": "cancel", "owner": "o", "at": "2026-03-08T02:30:00", "location": "downtown", "booking": "b"}',
         ":1.at", "2026-03-08T02:30:00 does not exist in America/New_York"),
        ('{"kind": "checkout", "owner": "o", "at": "2026-01-02T10:00:00", "location": "downtown", "booking": "b",'
         ' "lines": [{"id": "l", "item": "daycare_full", "unit_price": 30.5, "units": 1}]}',
         ":1.lines[0].unit_price", 'must be a decimal string ("30.00"), got 30.5'),
        ('{"kind": "cancel", "owner": "o", "at": "2026-01-02T10:00:00", "location": "downtown", "booking": "b", "x": 1}',
         ":1", "unknown keys ['x']"),
        ('{"kind": "purchase", "owner": "o", "at": "2026-01-02T10:00:00", "location": "downtown", "package_id": "p", "type": "six"}',
         ":1.type", "not a package type of the header: 'six'"),
    ],
)  # fmt: skip
def test_bad_records_are_refused_with_their_place(
    tmp_path: Path, line: str, path: str, message: str
) -> None:
    info = _info(FOUR)
    write_activity(tmp_path, info, [])
    (tmp_path / "part-00000.jsonl").write_text(line + "\n")
    with pytest.raises(DataError) as err:
        list(read_part(tmp_path, read_info(tmp_path), 0))
    assert err.value.path == str(tmp_path / "part-00000.jsonl") + path
    assert message in err.value.message


def test_an_owners_records_must_be_together_in_time_order_in_their_part(tmp_path: Path) -> None:
    info = _info(FOUR, parts=1)

    def check(records: list[Record], message: str) -> None:
        write_activity(tmp_path, info, [])
        (tmp_path / "part-00000.jsonl").write_text(
            "".join(json.dumps(r.to_json()) + "\n" for r in records)
        )
        with pytest.raises(DataError, match=message):
            list(read_part(tmp_path, info, 0))

    a, b = _checkout("ann", _at(1, 3), "t1", "rex"), _checkout("bob", _at(1, 4), "t2", "rex")
    check(
        [a, b, _checkout("ann", _at(1, 5), "t3", "rex")],
        "the records of owner 'ann' are not together",
    )
    check(
        [a, _checkout("ann", _at(1, 2), "t0", "rex")],
        r"before the owner's previous record \(2026-01-03T10:00:00-05:00\)",
    )
    two = _info(FOUR, parts=2)
    write_activity(tmp_path, two, [a])
    wrong = 1 - next(k for k in (0, 1) if (tmp_path / f"part-{k:05d}.jsonl").read_text())
    (tmp_path / f"part-{wrong:05d}.jsonl").write_text(json.dumps(a.to_json()) + "\n")
    with pytest.raises(DataError, match="owner 'ann' belongs in part"):
        list(read_part(tmp_path, two, wrong))


def test_the_header_is_checked(tmp_path: Path) -> None:
    write_activity(tmp_path, _info(FOUR), [])
    header = json.loads((tmp_path / "activity.json").read_text())
    header["package_types"][0]["components"][0]["quantity"] = 0
    (tmp_path / "activity.json").write_text(json.dumps(header))
    with pytest.raises(DataError, match=r"must be a whole number >= 1, got 0") as err:
        read_info(tmp_path)
    assert err.value.path.endswith("activity.json.package_types[0].components[0].quantity")


def test_records_round_trip_through_the_files(tmp_path: Path) -> None:
    info = _info(FOUR, parts=3)
    records = [
        _buy("ann", _at(1, 10), "ann-p0", "four@downtown"),
        Record("booking", "ann", _at(1, 20), "downtown", booking="b1", lines=_lines("rex", "bella"),
               scheduled_for=_at(1, 25, 8)),
        _checkout("zed", _at(1, 9, 9, CHI), "t1", "rex", where="lakeside"),
    ]  # fmt: skip
    write_activity(tmp_path, info, records)
    assert read_info(tmp_path) == info
    back = [r for k in range(3) for r in read_part(tmp_path, info, k)]
    assert sorted(back, key=repr) == sorted(records, key=repr)
