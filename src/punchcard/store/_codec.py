"""The JSON forms the store writes: package states (the projection), ledger events (an envelope
around :func:`punchcard.lifecycle.event_to_dict`), and the canonical text of a request.

The state codec is generated from the attrs fields of the classes it meets, read with their type
hints, so a field added to :class:`~punchcard.lifecycle.PackageState` (or to a value inside it) is
stored without a hand-written list to keep in step. Each stored form carries a format number;
a reader refuses a number it does not know, and reads the previous ones.

Plain values map to JSON as follows: ``None``, booleans, whole numbers and strings as
themselves; :class:`~punchcard.Money` as ``{"amount": "12.50", "currency": "USD"}`` (a string: never
a float); a date as ``"2026-03-02"``; a date-time as ISO 8601, followed by ``[Zone/Name]`` when its
zone is an IANA zone (``"2026-11-01T01:30:00-05:00[America/New_York]"``), so the value read back
is the same instant in the same zone, in the hour repeated when clocks go back too; tuples and
lists as lists; an attrs value as an object of its fields.

>>> import datetime as dt
>>> from zoneinfo import ZoneInfo
>>> back = dt.datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York"))
>>> to_json(back)
'2026-11-01T01:30:00-05:00[America/New_York]'
>>> again = from_json(dt.datetime, to_json(back), "at")
>>> again == back, again.tzinfo, again.fold
(True, zoneinfo.ZoneInfo(key='America/New_York'), 1)
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from .._canonical import canonical, digest
from ..errors import InvalidTypeError, InvalidValueError, PunchcardError
from ..lifecycle import (
    LedgerError,
    LedgerEvent,
    PackageState,
    RedemptionRecord,
    event_from_dict,
    event_to_dict,
)
from ..money import Money
from ._types import Request

__all__ = [
    "EVENT_FORMAT",
    "RECORD_FORMAT",
    "STATE_FORMAT",
    "canonical",
    "event_from_row",
    "event_row",
    "from_json",
    "loads",
    "record_from_row",
    "record_row",
    "request_digest",
    "request_json",
    "state_from_row",
    "state_row",
    "to_json",
]

#: The format of a stored event body: 1 = the dict of :func:`punchcard.lifecycle.event_to_dict`;
#: 2 = that dict and the zones of its date-times.
EVENT_FORMAT: Final = 2
#: The format of a stored package state: 1 = every field of the first PackageState by
#: :func:`to_json`; 2 = the same but the redemptions (kept in rows of their own); 3 = every field
#: of today's PackageState (the sale event as the snapshot of its terms) but its records.
STATE_FORMAT: Final = 3
#: The format of a stored redemption record: 1 = every field by :func:`to_json`.
RECORD_FORMAT: Final = 1

_NONE = type(None)
#: How :func:`to_json` writes an amount: no exponent, so the size of a number read back is the
#: size of its text.
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def to_json(value: Any) -> Any:
    """*value* as JSON-ready data (see the module's table)."""
    return _encode(value, "value", False)


def request_json(value: Any, path: str) -> Any:
    """*value*, an argument of a request, as JSON-ready data for its digest: as :func:`to_json`,
    and every attrs value tagged with its class (``"@type"``), so that two values of different
    classes never encode alike; a plug-in object (a custom rule or order) by its class and name
    (``"@object"``), a function by its qualified name, a set as a sorted list, a mapping as an
    object, a time zone by its name. A string with a NUL character or a lone surrogate is refused
    (:class:`~punchcard.InvalidValueError` naming *path*): no database stores both the same.

    >>> from punchcard import Money
    >>> request_json(Money("5", "USD"), "price")
    {'amount': '5.00', 'currency': 'USD'}
    >>> request_json("a\\x00b", "booking")
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: booking: must not contain NUL characters
    """
    return _encode(value, path, True)


def _encode(value: Any, path: str, tagged: bool) -> Any:
    if isinstance(value, str):
        _check_text(value, path)
        return value
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, dt.datetime):
        text = value.isoformat()
        return f"{text}[{value.tzinfo.key}]" if isinstance(value.tzinfo, ZoneInfo) else text
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_encode(item, f"{path}[{i}]", tagged) for i, item in enumerate(value)]
    if attrs.has(type(value)):
        out = {
            f.name: _encode(getattr(value, f.name), f"{path}.{f.name}", tagged)
            for f in attrs.fields(type(value))
            if f.init and not (tagged and _at_default(f, getattr(value, f.name)))
        }
        if tagged:
            out["@type"] = _qualified(type(value))
        return out
    if tagged:
        return _encode_argument(value, path)
    raise InvalidTypeError(path, f"cannot be stored as JSON: {value!r}")


def _at_default(field: attrs.Attribute[Any], value: Any) -> bool:
    """Whether *value* is *field*'s default (of the same type: ``0`` is not ``False``). A
    request's digest leaves such fields out, so a new option added with a default (a field of
    ``Business``, ``PackageType``, ``Settings``...) changes no digest of a request that does not
    set it: a key committed before an upgrade is still answered after it."""
    default: Any = field.default
    if default is attrs.NOTHING:
        return False
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        if default.takes_self:
            return False
        default = default.factory()
    if callable(field.converter):  # the default as the field holds it (None -> Rates())
        default = field.converter(default)
    return type(value) is type(default) and bool(value == default)


def _encode_argument(value: Any, path: str) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted((_encode(item, path, True) for item in value), key=canonical)
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise InvalidTypeError(path, f"must have string keys, got {value!r}")
        return {k: _encode(v, f"{path}.{k}", True) for k, v in value.items()}
    if isinstance(value, dt.tzinfo):
        return {"@zone": value.key if isinstance(value, ZoneInfo) else str(value)}
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return {"@callable": f"{value.__module__}.{value.__qualname__}"}
    named = {
        k: getattr(value, k) for k in ("name", "code") if isinstance(getattr(value, k, None), str)
    }
    return {"@object": _qualified(type(value)), **named}


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _fail(path: str, expected: str, got: object) -> LedgerError:
    return LedgerError(path, f"must be {expected}, got {got!r}")


def from_json(tp: Any, data: Any, path: str) -> Any:
    """The value of type *tp* that :func:`to_json` wrote as *data*; a
    :class:`~punchcard.lifecycle.LedgerError` naming *path* if *data* does not fit."""
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        options = typing.get_args(tp)
        if data is None and _NONE in options:
            return None
        (inner,) = (o for o in options if o is not _NONE)
        return from_json(inner, data, path)
    if origin is Literal:
        if data not in typing.get_args(tp):
            raise _fail(path, f"one of {list(typing.get_args(tp))!r}", data)
        return data
    if origin is tuple:
        item_type = typing.get_args(tp)[0]
        if not isinstance(data, list):
            raise _fail(path, "a list", data)
        return tuple(from_json(item_type, item, f"{path}[{i}]") for i, item in enumerate(data))
    if tp in (str, int, bool):
        if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
            raise _fail(path, tp.__name__, data)
        return data
    try:
        if tp is Money:
            if not (isinstance(data, dict) and set(data) == {"amount", "currency"}):
                raise _fail(path, 'an object {"amount", "currency"}', data)
            amount = data["amount"]
            if not (isinstance(amount, str) and _DECIMAL.fullmatch(amount)):
                raise _fail(f"{path}.amount", "a decimal string without exponent", amount)
            return Money(amount, data["currency"])
        if tp is dt.datetime:
            return _moment(data, path)
        if tp is dt.date:
            if not isinstance(data, str):
                raise _fail(path, "a date string", data)
            return dt.date.fromisoformat(data)
        if attrs.has(tp):
            return _attrs_value(tp, data, path)
    except (PunchcardError, ValueError, TypeError) as err:
        if isinstance(err, LedgerError):
            raise
        raise LedgerError(path, str(err)) from None
    raise LedgerError(path, f"no JSON form for the type {tp!r}")


def _moment(data: Any, path: str) -> dt.datetime:
    if not isinstance(data, str):
        raise _fail(path, "a date-time string", data)
    text, bracket, rest = data.partition("[")
    moment = dt.datetime.fromisoformat(text)
    if not bracket:
        return moment
    if not rest.endswith("]") or moment.utcoffset() is None:
        raise _fail(path, "an aware date-time followed by [Zone/Name]", data)
    try:
        zone = ZoneInfo(rest[:-1])
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(path, "a known IANA zone", rest[:-1]) from None
    return moment.astimezone(zone)


def _attrs_value(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise _fail(path, f"an object ({cls.__name__})", data)
    hints = _hints(cls)
    fields = [f for f in attrs.fields(cls) if f.init]
    unknown = sorted(set(data) - {f.name for f in fields})
    if unknown:
        raise LedgerError(path, f"unknown keys {unknown!r} for {cls.__name__}")
    kwargs = {}
    for f in fields:
        if f.name not in data:
            if f.default is attrs.NOTHING:
                raise LedgerError(f"{path}.{f.name}", "missing")
            continue
        kwargs[f.alias] = from_json(hints[f.name], data[f.name], f"{path}.{f.name}")
    return cls(**kwargs)


def loads(text: str, path: str) -> Any:
    """The JSON value of *text*; a :class:`~punchcard.lifecycle.LedgerError` naming *path* if it
    is not JSON."""
    try:
        return json.loads(text)
    except ValueError as err:
        raise LedgerError(path, f"not JSON: {err}") from None


def request_digest(request: Request, business: object) -> tuple[str, str]:
    """The canonical JSON text of *request* run with *business*, and its SHA-256 (hex): what an
    idempotency key is bound to. Everything that decides the result is in it (the operation, the
    owner, every argument, the business settings); JSON leaves no separator to be ambiguous."""
    return digest(
        {
            "operation": request_json(request.operation, "operation"),
            "owner": request_json(request.owner, "owner"),
            "arguments": {
                name: request_json(value, name) for name, value in request.arguments.items()
            },
            "business": request_json(business, "business"),
        }
    )


# -- package states ------------------------------------------------------------------------------


def state_row(state: PackageState) -> tuple[int, str]:
    """The format and the JSON text of a package state, without its redemptions (format 3: the
    store keeps each redemption in a row of its own, :func:`record_row`)."""
    data = to_json(attrs.evolve(state, records=()))
    del data["records"]
    return STATE_FORMAT, canonical(data)


def state_from_row(
    fmt: int, text: str, redemptions: Sequence[RedemptionRecord] = ()
) -> PackageState:
    """The package state stored as (*fmt*, *text*), holding *redemptions*.

    Formats 1 and 2 are the states of an earlier punchcard, shaped otherwise; migration 0003
    (:func:`punchcard.store.upgrade`) rebuilds every state from the ledger in format 3.
    """
    if fmt in (1, 2):
        raise LedgerError(
            "state.format",
            f"package state format {fmt} is an earlier punchcard's: run punchcard.store.upgrade "
            "(it rebuilds the package states from the ledger)",
        )
    if fmt != STATE_FORMAT:
        raise LedgerError("state.format", f"unknown package state format {fmt!r}")
    data = loads(text, "state")
    if not isinstance(data, dict) or "records" in data:
        raise _fail("state", "an object without records (format 3)", data)
    data["records"] = []
    state: PackageState = from_json(PackageState, data, "state")
    return state.with_redemptions(redemptions) if redemptions else state


def record_row(record: RedemptionRecord) -> tuple[int, str]:
    """The format and the JSON text of a redemption record."""
    return RECORD_FORMAT, canonical(to_json(record))


def record_from_row(fmt: int, text: str) -> RedemptionRecord:
    """The redemption record stored as (*fmt*, *text*)."""
    if fmt != RECORD_FORMAT:
        raise LedgerError("record.format", f"unknown redemption record format {fmt!r}")
    record: RedemptionRecord = from_json(RedemptionRecord, loads(text, "record"), "record")
    return record


# -- events --------------------------------------------------------------------------------------


def event_row(event: LedgerEvent) -> tuple[str, int, str]:
    """The type, the format and the JSON text of a ledger event: format 2 is the dict of
    :func:`~punchcard.lifecycle.event_to_dict` with ``"zones"``, the IANA zone of each of its
    date-times (which that dict writes with a UTC offset only), so the event read back is the
    one written, zone included: a replayed receipt shows the same local times."""
    data = event_to_dict(event)
    data["zones"] = {
        f.name: value.tzinfo.key
        for f in attrs.fields(type(event))
        if isinstance(value := getattr(event, f.name), dt.datetime)
        and isinstance(value.tzinfo, ZoneInfo)
    }
    return data["type"], EVENT_FORMAT, canonical(data)


def event_from_row(fmt: int, text: str) -> LedgerEvent:
    """The ledger event stored as (*fmt*, *text*): format 2, or format 1 (the dict of
    :func:`~punchcard.lifecycle.event_to_dict` alone: its times come back with their UTC offset,
    the same instants)."""
    data = loads(text, "event")
    if not isinstance(data, dict):
        raise _fail("event", "an object", data)
    if fmt == 1:
        return event_from_dict(data)
    if fmt != EVENT_FORMAT:
        raise LedgerError("event.format", f"unknown event format {fmt!r}")
    zones = data.pop("zones", None)
    if not isinstance(zones, dict):
        raise _fail("event.zones", "an object", zones)
    event = event_from_dict(data)
    moved: dict[str, Any] = {}
    for name, key in zones.items():
        value = getattr(event, name, None)
        if not isinstance(value, dt.datetime) or not isinstance(key, str):
            raise _fail(f"event.zones.{name}", "the zone of a date-time of the event", key)
        moved[name] = _moment(f"{value.isoformat()}[{key}]", f"event.zones.{name}")
    if not moved:
        return event
    changed: LedgerEvent = attrs.evolve(event, **moved)
    return changed


def _check_text(value: str, path: str) -> None:
    if "\x00" in value:
        raise InvalidValueError(path, "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidValueError(path, "must be valid Unicode (no lone surrogates)") from None
