"""Recorded activity: what the desk did over a period (packages sold, checkouts, bookings and
their cancellations), the input of a policy backtest.

**The layout** (format ``punchcard-activity``, version 1)::

    ACTIVITY/
      activity.json       the header: currency, reporting time zone, period, locations, catalogue
      part-00000.jsonl    the records of the owners of part 0, one JSON object a line
      part-00001.jsonl
      ...

An owner's records are all in part ``crc32(owner) % parts`` (as the ledger's buckets), together,
in time order. The header::

    {"format": "punchcard-activity", "version": 1, "currency": "USD",
     "timezone": "America/New_York",            months are counted in this zone
     "start": "2026-01-01", "end": "2027-01-01", the period (end excluded)
     "parts": 16,
     "locations": {"downtown": "America/New_York", ...},
     "package_types": [{"id": "daycare-10@downtown", "name": "10 Day Daycare",
                        "location": "downtown", "price": "250.00",
                        "components": [{"item": "daycare_full", "quantity": 10, "hourly": false}],
                        "days_to_expiration": 30, "expiry_starts": "sale", "reminder_days": 7,
                        "low_balance_threshold": 2, "subscription": null}, ...]}

A record (times are ISO 8601; without an offset they are local time at the record's location)::

    {"kind": "purchase", "owner": "o1", "at": "2026-01-03T10:15:00", "location": "downtown",
     "package_id": "o1-p0", "type": "daycare-10@downtown"}
    {"kind": "checkout", "owner": "o1", "at": "...", "location": "downtown", "booking": "o1-b3",
     "lines": [{"id": "rex-1", "item": "daycare_full", "unit_price": "30.00", "units": 1,
                "beneficiary": "rex", "charge_by": "each"}]}
    {"kind": "booking", ... as a checkout, and "scheduled_for": "2026-01-09T08:00:00"}
    {"kind": "cancel", "owner": "o1", "at": "...", "location": "downtown", "booking": "o1-b3"}

A checkout's credits are used at once; a booking's are held until its time passes; a cancel
gives back the credits of a booking.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import os
from collections.abc import Collection, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import attrs

from ..errors import PunchcardError
from ..models import Line
from ..money import Money
from ..timeutil import to_local, zone
from .errors import DataError
from .ledger import _atomic_write, partition_of, read_json, write_json

__all__ = [
    "ACTIVITY_FORMAT",
    "ActivityInfo",
    "Record",
    "TypeSpec",
    "read_info",
    "read_part",
    "write_activity",
]

ACTIVITY_FORMAT = "punchcard-activity"
ACTIVITY_VERSION = 1
HEADER = "activity.json"
RecordKind = Literal["purchase", "checkout", "booking", "cancel"]
KINDS = ("purchase", "checkout", "booking", "cancel")


class _Reader:
    """Typed access to one JSON object, raising :class:`DataError` with the place."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise DataError(path, f"must be an object, got {data!r}")
        self.data: dict[str, Any] = data
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}"

    def get(
        self, key: str, kinds: type | tuple[type, ...], what: str, *, optional: bool = False
    ) -> Any:
        if key not in self.data:
            if optional:
                return None
            raise DataError(self.at(key), f"missing (expected {what})")
        value = self.data[key]
        if value is None and optional:
            return None
        if isinstance(value, bool) and bool not in (
            kinds if isinstance(kinds, tuple) else (kinds,)
        ):
            raise DataError(self.at(key), f"must be {what}, got {value!r}")
        if not isinstance(value, kinds):
            raise DataError(self.at(key), f"must be {what}, got {value!r}")
        return value

    def text(self, key: str, *, optional: bool = False) -> Any:
        value = self.get(key, str, "a non-empty string", optional=optional)
        if value == "":
            raise DataError(self.at(key), "must be a non-empty string, got ''")
        return value

    def whole(self, key: str, minimum: int, *, optional: bool = False) -> Any:
        value = self.get(key, int, f"a whole number >= {minimum}", optional=optional)
        if value is not None and value < minimum:
            raise DataError(self.at(key), f"must be a whole number >= {minimum}, got {value!r}")
        return value

    def money(self, key: str, currency: str) -> Money:
        raw = self.get(key, str, 'a decimal string ("30.00")')
        try:
            return Money(Decimal(raw), currency)
        except (ArithmeticError, PunchcardError) as err:
            raise DataError(
                self.at(key), f"must be a decimal string, got {raw!r} ({err})"
            ) from None

    def day(self, key: str) -> dt.date:
        raw = self.text(key)
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise DataError(self.at(key), f"must be a date YYYY-MM-DD, got {raw!r}") from None

    def moment(self, key: str, tz: dt.tzinfo) -> dt.datetime:
        raw = self.text(key)
        try:
            return to_local(dt.datetime.fromisoformat(raw), tz, key)
        except ValueError as err:
            raise DataError(
                self.at(key), f"must be an ISO 8601 date-time, got {raw!r} ({err})"
            ) from None

    def only(self, keys: Iterable[str]) -> None:
        unknown = sorted(set(self.data) - set(keys))
        if unknown:
            raise DataError(self.path, f"unknown keys {unknown!r}")


@attrs.frozen
class TypeSpec:
    """A catalogue entry of the activity's header (the fields of a lifecycle package type)."""

    id: str
    name: str
    #: ``(item, quantity, hourly)`` per component.
    components: tuple[tuple[str, int, bool], ...]
    price: Money
    location: str | None = None
    days_to_expiration: int | None = None
    expiry_starts: Literal["sale", "first_use"] = "sale"
    reminder_days: int | None = None
    low_balance_threshold: int | None = None
    #: ``(unit, count)`` of a subscription's period (``("months", 1)``).
    subscription: tuple[str, int] | None = None

    @property
    def quantity(self) -> int:
        return sum(q for _i, q, _h in self.components)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "location": self.location,
            "price": str(self.price.amount),
            "components": [{"item": i, "quantity": q, "hourly": h} for i, q, h in self.components],
            "days_to_expiration": self.days_to_expiration,
            "expiry_starts": self.expiry_starts,
            "reminder_days": self.reminder_days,
            "low_balance_threshold": self.low_balance_threshold,
            "subscription": None
            if self.subscription is None
            else {"unit": self.subscription[0], "count": self.subscription[1]},
        }

    @classmethod
    def from_json(cls, data: Any, path: str, currency: str) -> TypeSpec:
        r = _Reader(data, path)
        r.only(("id", "name", "location", "price", "components", "days_to_expiration",
                "expiry_starts", "reminder_days", "low_balance_threshold", "subscription"))  # fmt: skip
        components = []
        for i, raw in enumerate(r.get("components", list, "a list of components")):
            c = _Reader(raw, f"{r.at('components')}[{i}]")
            c.only(("item", "quantity", "hourly"))
            components.append(
                (c.text("item"), c.whole("quantity", 1), c.get("hourly", bool, "true or false"))
            )
        sub = r.get("subscription", dict, "an object {unit, count}", optional=True)
        subscription = None
        if sub is not None:
            s = _Reader(sub, r.at("subscription"))
            s.only(("unit", "count"))
            subscription = (s.text("unit"), s.whole("count", 1))
        starts: Any = r.get("expiry_starts", str, "'sale' or 'first_use'", optional=True) or "sale"
        if starts not in ("sale", "first_use"):
            raise DataError(r.at("expiry_starts"), f"must be 'sale' or 'first_use', got {starts!r}")
        return cls(
            r.text("id"),
            r.text("name"),
            tuple(components),
            r.money("price", currency),
            r.text("location", optional=True),
            r.whole("days_to_expiration", 0, optional=True),
            starts,
            r.whole("reminder_days", 0, optional=True),
            r.whole("low_balance_threshold", 0, optional=True),
            subscription,
        )


@attrs.frozen
class ActivityInfo:
    """The header of an activity directory."""

    currency: str
    #: The zone the months are counted in (a business's reporting zone).
    timezone: str
    #: The period: from *start* (included) to *end* (excluded), local dates.
    start: dt.date
    end: dt.date
    parts: int
    #: ``(location, IANA zone)`` pairs.
    locations: tuple[tuple[str, str], ...]
    package_types: tuple[TypeSpec, ...]

    @property
    def type_ids(self) -> frozenset[str]:
        """The ids of the package types."""
        return frozenset(t.id for t in self.package_types)

    def months(self) -> list[tuple[int, int]]:
        """The ``(year, month)`` of every month the period touches, in order."""
        out = []
        year, month = self.start.year, self.start.month
        while dt.date(year, month, 1) < self.end:
            out.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    def month_ends(self) -> list[tuple[tuple[int, int], dt.datetime]]:
        """Each month of the period with the instant it ends (the next month's first local
        midnight in :attr:`timezone`, or the period's end)."""
        tz = zone(self.timezone)
        out = []
        for year, month in self.months():
            last = dt.date(year, month, calendar.monthrange(year, month)[1])
            day = min(last + dt.timedelta(days=1), self.end)
            out.append(((year, month), to_local(dt.datetime.combine(day, dt.time()), tz, "end")))
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "format": ACTIVITY_FORMAT,
            "version": ACTIVITY_VERSION,
            "currency": self.currency,
            "timezone": self.timezone,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "parts": self.parts,
            "locations": dict(self.locations),
            "package_types": [t.to_json() for t in self.package_types],
        }

    @classmethod
    def from_json(cls, data: Any, path: str) -> ActivityInfo:
        r = _Reader(data, path)
        r.only(("format", "version", "currency", "timezone", "start", "end", "parts",
                "locations", "package_types"))  # fmt: skip
        if r.data.get("format") != ACTIVITY_FORMAT or r.data.get("version") != ACTIVITY_VERSION:
            raise DataError(path, f"must be format {ACTIVITY_FORMAT!r} version {ACTIVITY_VERSION}")
        currency = r.text("currency")
        try:
            Money.zero(currency)
            zone(r.text("timezone"))
            locations = tuple(sorted(r.get("locations", dict, "an object").items()))
            for _name, tz in locations:
                zone(tz)
        except PunchcardError as err:
            raise DataError(path, str(err)) from None
        types = tuple(
            TypeSpec.from_json(t, f"{r.at('package_types')}[{i}]", currency)
            for i, t in enumerate(r.get("package_types", list, "a list"))
        )
        start, end = r.day("start"), r.day("end")
        if end <= start:
            raise DataError(r.at("end"), f"must be after start {start}, got {end}")
        return cls(currency, r.data["timezone"], start, end, r.whole("parts", 1), locations, types)


@attrs.frozen
class Record:
    """One thing the desk did (see the module's docs); times are aware."""

    kind: RecordKind
    owner: str
    at: dt.datetime
    location: str
    package_id: str | None = None
    #: The package type sold (a purchase).
    type: str | None = None
    #: The booking / ticket id (checkout, booking, cancel).
    booking: str | None = None
    lines: tuple[Line, ...] = ()
    #: When a booking's service takes place.
    scheduled_for: dt.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "owner": self.owner,
            "at": self.at.isoformat(),
            "location": self.location,
        }
        if self.kind == "purchase":
            data.update(package_id=self.package_id, type=self.type)
        else:
            data["booking"] = self.booking
        if self.kind in ("checkout", "booking"):
            data["lines"] = [
                {
                    "id": line.id,
                    "item": line.item,
                    "unit_price": str(line.unit_price.amount),
                    "units": line.units,
                    "beneficiary": line.beneficiary,
                    "charge_by": line.charge_by,
                }
                for line in self.lines
            ]
        if self.kind == "booking":
            assert self.scheduled_for is not None
            data["scheduled_for"] = self.scheduled_for.isoformat()
        return data


_KEYS: Mapping[str, tuple[str, ...]] = {
    "purchase": ("package_id", "type"),
    "checkout": ("booking", "lines"),
    "booking": ("booking", "lines", "scheduled_for"),
    "cancel": ("booking",),
}


def _line(raw: Any, path: str, currency: str) -> Line:
    r = _Reader(raw, path)
    r.only(("id", "item", "unit_price", "units", "beneficiary", "charge_by"))
    try:
        return Line(
            r.text("id"),
            r.text("item"),
            r.money("unit_price", currency),
            units=r.whole("units", 1),
            beneficiary=r.text("beneficiary", optional=True),
            charge_by=r.text("charge_by", optional=True) or "each",
        )
    except PunchcardError as err:
        if isinstance(err, DataError):
            raise
        raise DataError(path, str(err)) from None


def record_from_json(
    data: Any,
    path: str,
    info: ActivityInfo,
    zones: Mapping[str, dt.tzinfo],
    type_ids: Collection[str],
) -> Record:
    """The :class:`Record` of one JSON object (validated against the header *info*: its
    locations in *zones*, its package types' ids in *type_ids*)."""
    r = _Reader(data, path)
    kind = r.text("kind")
    if kind not in KINDS:
        raise DataError(r.at("kind"), f"must be one of {list(KINDS)!r}, got {kind!r}")
    r.only(("kind", "owner", "at", "location", *_KEYS[kind]))
    location = r.text("location")
    tz = zones.get(location)
    if tz is None:
        raise DataError(r.at("location"), f"not a location of the header: {location!r}")
    try:
        at = r.moment("at", tz)
        lines: tuple[Line, ...] = ()
        scheduled = None
        if kind in ("checkout", "booking"):
            lines = tuple(
                _line(raw, f"{r.at('lines')}[{i}]", info.currency)
                for i, raw in enumerate(r.get("lines", list, "a list of lines"))
            )
        if kind == "booking":
            scheduled = r.moment("scheduled_for", tz)
    except PunchcardError as err:
        if isinstance(err, DataError):
            raise
        raise DataError(path, str(err)) from None
    type_id = None
    if kind == "purchase":
        type_id = r.text("type")
        if type_id not in type_ids:
            raise DataError(r.at("type"), f"not a package type of the header: {type_id!r}")
    return Record(
        kind,
        r.text("owner"),
        at,
        location,
        r.text("package_id") if kind == "purchase" else None,
        type_id,
        None if kind == "purchase" else r.text("booking"),
        lines,
        scheduled,
    )


def read_info(path: str | os.PathLike[str]) -> ActivityInfo:
    """The header of the activity directory *path*."""
    where = Path(path) / HEADER
    return ActivityInfo.from_json(read_json(where), str(where))


def part_path(path: str | os.PathLike[str], part: int) -> Path:
    return Path(path) / f"part-{part:05d}.jsonl"


def read_part(path: str | os.PathLike[str], info: ActivityInfo, part: int) -> Iterator[Record]:
    """The records of part *part*, checked: each owner's together, in time order, in this part."""
    file = part_path(path, part)
    zones = {name: zone(tz) for name, tz in info.locations}
    type_ids = info.type_ids
    seen: set[str] = set()
    owner, last = None, None
    try:
        handle = file.open(encoding="utf-8")
    except OSError as err:
        raise DataError(str(file), f"cannot read: {err.strerror}") from None
    with handle:
        for number, text in enumerate(handle, 1):
            where = f"{file}:{number}"
            try:
                data = json.loads(text)
            except ValueError as err:
                raise DataError(where, f"not JSON: {err}") from None
            record = record_from_json(data, where, info, zones, type_ids)
            if record.owner != owner:
                if record.owner in seen:
                    raise DataError(
                        where, f"the records of owner {record.owner!r} are not together"
                    )
                if partition_of(record.owner, info.parts) != part:
                    raise DataError(
                        where,
                        f"owner {record.owner!r} belongs in part {partition_of(record.owner, info.parts)}",
                    )
                seen.add(record.owner)
                owner, last = record.owner, None
            if last is not None and record.at < last:
                raise DataError(where, f"before the owner's previous record ({last.isoformat()})")
            last = record.at
            yield record


def write_activity(
    path: str | os.PathLike[str], info: ActivityInfo, records: Iterable[Record]
) -> int:
    """Write *records* (each owner's in time order) as the activity directory *path* with
    header *info*; returns the number of records."""
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    parts: list[list[str]] = [[] for _ in range(info.parts)]
    count = 0
    for record in records:
        parts[partition_of(record.owner, info.parts)].append(
            json.dumps(record.to_json(), ensure_ascii=False)
        )
        count += 1
    for k, lines in enumerate(parts):
        write_part(root, k, lines)
    write_json(root / HEADER, info.to_json())
    return count


def write_part(root: Path, part: int, lines: list[str]) -> None:
    """Write the JSON lines of part *part* (of whole owners, each in time order), atomically."""
    text = "".join(line + "\n" for line in lines)
    _atomic_write(part_path(root, part), lambda tmp: tmp.write_text(text, encoding="utf-8"))
