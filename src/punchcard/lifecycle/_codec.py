"""Field helpers for ledger events: each attrs field carries its validator and its JSON codec.

A codec is a pair ``(encode, decode)``: *encode* turns the field's value into JSON-ready data
(str, int, bool, None, lists and dicts of those), *decode* turns it back, raising
:class:`~punchcard.lifecycle.errors.LedgerError` with the path of what is wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection
from typing import Any

import attrs

from .. import _validate as v
from ..errors import InvalidTypeError, InvalidValueError, PunchcardError
from ..money import Money
from .errors import LedgerError
from .values import ItemCredits, Period, TypeComponent, credits_tuple, type_components

Encode = Callable[[Any], Any]
Decode = Callable[[Any, str], Any]
Codec = tuple[Encode, Decode]

CODEC = "punchcard.codec"
#: What event_to_dict writes for an amount: no exponent, so the size of the number is the size
#: of the text ("1e999999999" would be a 10**9-digit Decimal once quantized).
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _fail(path: str, expected: str, got: object) -> LedgerError:
    return LedgerError(path, f"must be {expected}, got {v.show(got)}")


def _dec_str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(path, "a non-empty string", value)
    return value


def _dec_text(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _fail(path, "a string", value)
    return value


def _dec_int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, "a whole number", value)
    return value


def _dec_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(path, "true or false", value)
    return value


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
    return value.isoformat()


def _dec_moment(value: Any, path: str) -> dt.datetime:
    if not isinstance(value, str):
        raise _fail(path, "an ISO 8601 date-time string with an offset", value)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _fail(path, "an ISO 8601 date-time string with an offset", value) from None
    if moment.utcoffset() is None:
        raise _fail(path, "an ISO 8601 date-time string with an offset", value)
    return moment


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


def _enc_components(value: tuple[TypeComponent, ...]) -> list[dict[str, Any]]:
    return [{"item": c.item, "quantity": c.quantity, "hourly": c.hourly} for c in value]


def _dec_components(value: Any, path: str) -> tuple[TypeComponent, ...]:
    if not isinstance(value, list):
        raise _fail(path, "a list of components", value)
    out = []
    for i, raw in enumerate(value):
        where = f"{path}[{i}]"
        if not (isinstance(raw, dict) and set(raw) == {"item", "quantity", "hourly"}):
            raise _fail(where, 'an object {"item", "quantity", "hourly"}', raw)
        out.append(
            _build(
                TypeComponent,
                where,
                _dec_str(raw["item"], f"{where}.item"),
                _dec_int(raw["quantity"], f"{where}.quantity"),
                hourly=_dec_bool(raw["hourly"], f"{where}.hourly"),
            )
        )
    result: tuple[TypeComponent, ...] = _build(type_components, path, out)
    return result


def _enc_credits(value: tuple[ItemCredits, ...]) -> list[dict[str, Any]]:
    return [{"item": c.item, "credits": c.credits} for c in value]


def _dec_credits(value: Any, path: str) -> tuple[ItemCredits, ...]:
    if not isinstance(value, list):
        raise _fail(path, "a list of {item, credits}", value)
    out = []
    for i, raw in enumerate(value):
        where = f"{path}[{i}]"
        if not (isinstance(raw, dict) and set(raw) == {"item", "credits"}):
            raise _fail(where, 'an object {"item", "credits"}', raw)
        out.append(
            _build(
                ItemCredits,
                where,
                _dec_str(raw["item"], f"{where}.item"),
                _dec_int(raw["credits"], f"{where}.credits"),
            )
        )
    result: tuple[ItemCredits, ...] = _build(credits_tuple, path, out)
    return result


def _enc_period(value: Period) -> dict[str, Any]:
    return {"unit": value.unit, "count": value.count}


def _dec_period(value: Any, path: str) -> Period:
    if not (isinstance(value, dict) and set(value) == {"unit", "count"}):
        raise _fail(path, 'an object {"unit", "count"}', value)
    result: Period = _build(Period, path, value["unit"], _dec_int(value["count"], f"{path}.count"))
    return result


def _build(factory: Callable[..., Any], path: str, *args: Any, **kwargs: Any) -> Any:
    try:
        return factory(*args, **kwargs)
    except (InvalidValueError, InvalidTypeError) as err:
        raise LedgerError(f"{path}.{err.field}" if err.field else path, err.message) from None


def _aware(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    v.moment(_inst, attr, value)
    if value.utcoffset() is None:
        raise InvalidValueError(attr.name, f"must be an aware date-time, got {value!r}")


def _optional_aware(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _aware(inst, attr, value)


def _text_validator(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidTypeError(attr.name, f"must be a string, got {value!r}")


def _money_validator(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Money):
        raise InvalidTypeError(attr.name, f"must be Money, got {value!r}")


def _period_validator(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, Period):
        raise InvalidTypeError(attr.name, f"must be a Period or None, got {value!r}")


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
    """An aware date-time."""
    return _field((_enc_moment, _dec_moment), _aware)


def opt_moment() -> Any:
    """An optional aware date-time (default ``None``)."""
    return _field(_optional((_enc_moment, _dec_moment)), _optional_aware, default=None)


def date() -> Any:
    """A date."""
    return _field((_enc_date, _dec_date), v.date_only)


def opt_date() -> Any:
    """An optional date (default ``None``)."""
    return _field(_optional((_enc_date, _dec_date)), v.optional_date, default=None)


def components() -> Any:
    """A tuple of :class:`TypeComponent`."""
    return attrs.field(
        converter=type_components, metadata={CODEC: (_enc_components, _dec_components)}
    )


def credits() -> Any:
    """A tuple of :class:`ItemCredits`."""
    return attrs.field(
        converter=credits_tuple, default=(), metadata={CODEC: (_enc_credits, _dec_credits)}
    )


def period() -> Any:
    """An optional :class:`Period` (default ``None``)."""
    return _field(_optional((_enc_period, _dec_period)), _period_validator, default=None)
