"""The stored form of the ledger: field helpers whose attrs fields carry their validator and their
JSON codec, and the error a stored ledger raises.

A codec is a pair ``(encode, decode)``: *encode* turns the field's value into JSON-ready data
(str, int, bool, None, lists and dicts of those), *decode* turns it back, raising
:class:`LedgerError` with the path of what is wrong. :mod:`punchcard.events` declares the events
with these helpers, and its ``event_to_dict`` / ``event_from_dict`` walk the fields: one
description of the format drives both directions.

A moment is written as ISO 8601 with its offset and, when its zone is an IANA zone, the zone's
name in brackets (RFC 9557): ``2026-11-01T01:10:00-05:00[America/New_York]``. Read back, it is
the same instant in the same zone, with the same ``fold``: exact in the hour repeated when clocks
go back, where the offset alone could not say which zone the time was read in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import attrs

from . import _validate as v
from .errors import InvalidTypeError, InvalidValueError, PunchcardError
from .money import Money
from .timeutil import zone

__all__ = [
    "CODEC",
    "CODEC_V0",
    "OPTION",
    "Codec",
    "LedgerError",
    "choice",
    "date",
    "flag",
    "ident",
    "instant_key",
    "moment",
    "money",
    "opt_date",
    "opt_ident",
    "opt_whole",
    "option",
    "option_moment",
    "option_money",
    "option_names",
    "option_record",
    "option_whole",
    "record",
    "records",
    "text",
    "whole",
]

Encode = Callable[[Any], Any]
Decode = Callable[[Any, str], Any]
Codec = tuple[Encode, Decode]
T = TypeVar("T")

#: The metadata key under which a field keeps its codec.
CODEC = "punchcard.codec"
#: The metadata key of a field whose previous format (version 0) is read another way: its decoder.
CODEC_V0 = "punchcard.codec.v0"
#: The metadata key of an *option* field (a market option, docs/semantics.md#x-options): it is
#: written only when it differs from its default, and a stored form without it reads as the
#: default. So with every option at its default an event's stored form is exactly the one it had
#: before the option existed, and forms written before it are read unchanged.
OPTION = "punchcard.codec.option"
#: What an amount must look like: no exponent, so the size of the number is the size of the text
#: ("1e999999999" would be a 10**9-digit Decimal once quantized).
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
#: A moment with an optional IANA zone name in brackets (RFC 9557).
_ZONED = re.compile(r"(.+)\[([^\[\]]+)\]")
_UTC = dt.timezone.utc


class LedgerError(PunchcardError, ValueError):
    """A ledger (or one event of it) is not consistent, or its stored form is not valid.

    ``.path`` names the offending place, e.g. ``events[3].credits`` or ``event.seq``.

    >>> str(LedgerError("events[0].type", "unknown event type 'gift'"))
    "events[0].type: unknown event type 'gift'"
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        #: Where the problem is.
        self.path = path
        #: What is wrong, without the path.
        self.message = message


def _fail(path: str, expected: str, got: object) -> LedgerError:
    return LedgerError(path, f"must be {expected}, got {v.show(got)}")


def _scalar(accepts: Callable[[Any], bool], expected: str) -> Decode:
    """The decoder of a JSON scalar that is read as it is, once *accepts* it."""

    def decode(value: Any, path: str) -> Any:
        if not accepts(value):
            raise _fail(path, expected, value)
        return value

    return decode


_dec_str = _scalar(lambda x: isinstance(x, str) and bool(x), "a non-empty string")
_dec_text = _scalar(lambda x: isinstance(x, str), "a string")
_dec_int = _scalar(lambda x: isinstance(x, int) and not isinstance(x, bool), "a whole number")
_dec_bool = _scalar(lambda x: isinstance(x, bool), "true or false")


def _enc_money(value: Money) -> dict[str, str]:
    return {"amount": str(value.amount), "currency": value.currency}


def _dec_money(value: Any, path: str) -> Money:
    if not (isinstance(value, dict) and set(value) == {"amount", "currency"}):
        raise _fail(path, 'an object {"amount": str, "currency": str}', value)
    if not isinstance(value["amount"], str) or not _DECIMAL.fullmatch(value["amount"]):
        raise _fail(f"{path}.amount", "a decimal string", value["amount"])
    if not isinstance(value["currency"], str):
        raise _fail(f"{path}.currency", "an ISO 4217 code", value["currency"])
    try:
        return Money(value["amount"], value["currency"])
    except PunchcardError as err:
        raise LedgerError(path, str(err)) from None


def _enc_moment(value: dt.datetime) -> str:
    tz = value.tzinfo
    if isinstance(tz, ZoneInfo) and tz.key:
        return f"{value.isoformat()}[{tz.key}]"
    return value.isoformat()


_MOMENT = "an ISO 8601 date-time string with an offset"


def _dec_moment(value: Any, path: str) -> dt.datetime:
    if not isinstance(value, str):
        raise _fail(path, _MOMENT, value)
    zoned = _ZONED.fullmatch(value)
    text = zoned.group(1) if zoned else value
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _fail(path, _MOMENT, value) from None
    offset = moment.utcoffset()
    if offset is None:
        raise _fail(path, _MOMENT, value)
    if zoned is None:
        return moment
    try:
        tz = zone(zoned.group(2))
    except PunchcardError:
        raise _fail(path, "a known IANA zone in brackets", value) from None
    local = moment.astimezone(tz)
    if local.utcoffset() != offset:
        raise LedgerError(path, f"the offset of {value!r} is not the offset of its zone then")
    return local


def _dec_moment_v0(value: Any, path: str) -> dt.datetime:
    """A moment as the previous format wrote it: with its offset, never with a zone name."""
    if isinstance(value, str) and _ZONED.fullmatch(value):
        raise _fail(path, _MOMENT + " (no [zone] before format version 1)", value)
    return _dec_moment(value, path)


def _enc_date(value: dt.date) -> str:
    return value.isoformat()


def _dec_date(value: Any, path: str) -> dt.date:
    if not isinstance(value, str) or len(value) != 10:
        raise _fail(path, "an ISO 8601 date string (YYYY-MM-DD)", value)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(path, "an ISO 8601 date string (YYYY-MM-DD)", value) from None


def _optional(codec: Codec) -> Codec:
    enc, dec = codec

    def encode(value: Any) -> Any:
        return None if value is None else enc(value)

    def decode(value: Any, path: str) -> Any:
        return None if value is None else dec(value, path)

    return encode, decode


def _identity(value: Any) -> Any:
    return value


def build(factory: Callable[..., T], path: str, *args: Any, **kwargs: Any) -> T:
    """``factory(*args, **kwargs)``, its input errors raised as :class:`LedgerError` at *path*."""
    try:
        return factory(*args, **kwargs)
    except (InvalidValueError, InvalidTypeError) as err:
        raise LedgerError(f"{path}.{err.field}" if err.field else path, err.message) from None


def instant_key(value: dt.datetime | None) -> object:
    """What two moments of an event must share to be equal: the instant and the offset.

    (Python compares two times of one zone by their wall clocks, ``fold`` ignored: in the hour
    repeated when clocks go back, 01:30 EDT would equal 01:30 EST.)

    >>> from punchcard.timeutil import zone
    >>> ny = zone("America/New_York")
    >>> edt, est = (dt.datetime(2026, 11, 1, 1, 30, tzinfo=ny, fold=f) for f in (0, 1))
    >>> edt == est, instant_key(edt) == instant_key(est)
    (True, False)
    """
    if value is None:
        return None
    offset = value.utcoffset()
    return (value.replace(tzinfo=None) - offset, offset) if offset is not None else value


def _exists(attr: attrs.Attribute[Any], value: dt.datetime) -> None:
    """Refuse a local time its zone skips (clocks go forward): no instant has it."""
    tz = value.tzinfo
    if tz is None or type(tz) is dt.timezone:
        return
    back = value.astimezone(_UTC).astimezone(tz)
    if back.replace(tzinfo=None) != value.replace(tzinfo=None):
        raise InvalidValueError(
            attr.name, f"{value.replace(tzinfo=None).isoformat()} does not exist in {tz}"
        )


def _aware(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    v.moment(_inst, attr, value)
    if value.utcoffset() is None:
        raise InvalidValueError(attr.name, f"must be an aware date-time, got {value!r}")
    _exists(attr, value)


def _text_validator(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidTypeError(attr.name, f"must be a string, got {value!r}")


def _money_validator(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Money):
        raise InvalidTypeError(attr.name, f"must be Money, got {value!r}")


def _field(codec: Codec, validator: Any, **kwargs: Any) -> Any:
    return attrs.field(validator=validator, metadata={CODEC: codec}, **kwargs)


def ident() -> Any:
    """A non-empty string id."""
    return _field((_identity, _dec_str), v.identifier)


def opt_ident() -> Any:
    """An optional non-empty string id (default ``None``)."""
    return _field(_optional((_identity, _dec_str)), v.optional_identifier, default=None)


def text(default: str = "") -> Any:
    """Free text (may be empty)."""
    return _field((_identity, _dec_text), _text_validator, default=default)


def whole(minimum: int) -> Any:
    """A whole number >= *minimum*."""
    return _field((_identity, _dec_int), v.whole(minimum))


def opt_whole(minimum: int) -> Any:
    """An optional whole number >= *minimum* (default ``None``)."""
    return _field(_optional((_identity, _dec_int)), v.optional_whole(minimum), default=None)


def flag(default: bool = False) -> Any:
    """A boolean."""
    return _field((_identity, _dec_bool), v.boolean, default=default)


def choice(options: Collection[str], default: str | None = None) -> Any:
    """One of *options*."""
    kwargs: dict[str, Any] = {} if default is None else {"default": default}
    return _field((_identity, _dec_str), v.one_of(options), **kwargs)


def money() -> Any:
    """A :class:`~punchcard.Money`."""
    return _field((_enc_money, _dec_money), _money_validator)


def moment() -> Any:
    """An aware date-time that exists in its zone; equal to another only at the same instant
    with the same offset (:func:`instant_key`)."""
    return attrs.field(
        validator=_aware,
        eq=instant_key,
        metadata={CODEC: (_enc_moment, _dec_moment), CODEC_V0: _dec_moment_v0},
    )


def date() -> Any:
    """A date."""
    return _field((_enc_date, _dec_date), v.date_only)


def opt_date() -> Any:
    """An optional date (default ``None``)."""
    return _field(_optional((_enc_date, _dec_date)), v.optional_date, default=None)


def _dec_names(value: Any, path: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _fail(path, "a list of item names", value)
    for i, name in enumerate(value):
        _dec_str(name, f"{path}[{i}]")
    return tuple(value)


#: How each key of a small value is read back: ``str`` (an id), ``int``, ``bool``, ``tuple`` (a
#: list of item names).
_KEY_DECODERS: dict[type, Decode] = {
    str: _dec_str,
    int: _dec_int,
    bool: _dec_bool,
    tuple: _dec_names,
}


def _enc_key(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def record_codec(
    factory: Callable[..., Any],
    keys: tuple[tuple[str, type], ...],
    options: tuple[tuple[str, type, Any], ...] = (),
) -> Codec:
    """The codec of a small value written as an object of *keys* (name, JSON type), read back
    with ``factory(**fields)`` (whose input errors become :class:`LedgerError`). The *options*
    (name, JSON type, default) are written only when they differ from their default, and read
    as their default when absent (see :data:`OPTION`)."""
    names = [name for name, _kind in keys]
    shape = "an object {" + ", ".join(f'"{n}"' for n in names) + "}"
    optional = {name: (kind, default) for name, kind, default in options}

    def encode(value: Any) -> dict[str, Any]:
        out = {name: getattr(value, name) for name in names}
        for name, (_kind, default) in optional.items():
            given = getattr(value, name)
            if given != default:
                out[name] = _enc_key(given)
        return out

    def decode(raw: Any, path: str) -> Any:
        if not (
            isinstance(raw, dict)
            and set(names) <= set(raw)
            and all(k in optional for k in raw if k not in names)
        ):
            raise _fail(path, shape, raw)
        fields = {name: _KEY_DECODERS[kind](raw[name], f"{path}.{name}") for name, kind in keys}
        for name, (kind, _default) in optional.items():
            if name in raw:
                fields[name] = _KEY_DECODERS[kind](raw[name], f"{path}.{name}")
        return build(factory, path, **fields)

    return encode, decode


def record(codec: Codec, validator: Any) -> Any:
    """An optional small value written with *codec* (default ``None``)."""
    return _field(_optional(codec), validator, default=None)


def records(codec: Codec, converter: Callable[[Any], Any], *, shape: str, empty: bool) -> Any:
    """A tuple of small values, each written with *codec*, checked by *converter* (*shape* says
    what the list must be, for errors); with *empty* it defaults to ``()``."""
    enc, dec = codec

    def encode(value: tuple[Any, ...]) -> list[Any]:
        return [enc(item) for item in value]

    def decode(raw: Any, path: str) -> Any:
        if not isinstance(raw, list):
            raise _fail(path, shape, raw)
        return build(converter, path, [dec(item, f"{path}[{i}]") for i, item in enumerate(raw)])

    kwargs: dict[str, Any] = {"default": ()} if empty else {}
    return attrs.field(converter=converter, metadata={CODEC: (encode, decode)}, **kwargs)


# -- options: written only when they differ from their default (see OPTION) --------------------


def option(codec: Codec, validator: Any, default: Any, converter: Any = None) -> Any:
    """An option field of *default*, written with *codec* only when it differs from it."""
    return attrs.field(
        validator=validator,
        converter=converter,
        default=default,
        metadata={CODEC: codec, OPTION: True},
        kw_only=True,
    )


def option_whole(minimum: int, default: int) -> Any:
    """A whole number >= *minimum*, an option of *default*."""
    return option((_identity, _dec_int), v.whole(minimum), default)


def option_moment() -> Any:
    """An aware date-time that exists in its zone, or ``None`` (the default), an option; equal to
    another only at the same instant with the same offset (:func:`instant_key`)."""

    def check(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            _aware(inst, attr, value)

    return attrs.field(
        validator=check,
        default=None,
        eq=instant_key,
        metadata={CODEC: _optional((_enc_moment, _dec_moment)), OPTION: True},
        kw_only=True,
    )


def option_money() -> Any:
    """A :class:`~punchcard.Money`, or ``None`` (the default), an option."""

    def check(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            _money_validator(inst, attr, value)

    return option(_optional((_enc_money, _dec_money)), check, None)


def option_names(converter: Callable[[Any], Any]) -> Any:
    """A tuple of item names (checked by *converter*), or ``None`` (the default), an option."""
    return option(_optional((list, _dec_names)), None, None, converter)


def option_record(codec: Codec, validator: Any) -> Any:
    """A small value written with *codec*, or ``None`` (the default), an option."""
    return option(_optional(codec), validator, None)
