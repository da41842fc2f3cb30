"""attrs validators that raise punchcard's errors and name the field, what was expected and what came.

The limits on what punchcard accepts live here, in one place (docs/limits.md):

- :data:`MAX_COUNT`: the largest whole number of anything (units, credits, days...);
- :data:`MAX_ID_LENGTH` and the characters an id may not hold (:func:`check_identifier`).

The limit on amounts of money is :data:`punchcard.money.MAX_DIGITS`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Final, TypeGuard

import attrs

from .errors import InvalidTypeError, InvalidValueError

#: The largest count punchcard takes: units of a line, credits of a component, days to expiry,
#: quantities. Large enough for 10**12 credits in bulk with room to add them up, small enough that
#: every count fits a signed 64-bit integer (a BIGINT column) with room to spare and prints in a
#: few characters.
MAX_COUNT: Final = 10**15
#: The longest id punchcard takes, in characters: a VARCHAR(255) column holds every id.
MAX_ID_LENGTH: Final = 255
# Characters an id may not hold: C0 and C1 control characters (NUL included: PostgreSQL refuses
# it in text), DEL, the Unicode line and paragraph separators (a line break in a log line or an
# error message, like "\n"), and lone surrogates (not text: UTF-8 cannot encode them).
_NOT_IN_IDS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
#: Values whose repr is longer than this are cut in error messages.
_SHOWN: Final = 200


def show(value: object) -> str:
    """``repr(value)`` for an error message: cut after 200 characters (with the full length), or
    a placeholder where Python cannot print it (an integer of more than 4,300 digits, nesting
    deeper than the recursion limit).

    >>> show("abc")
    "'abc'"
    >>> show("x" * 1000)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (1000 characters)"
    >>> show(10**5000)
    '<int of 5001 digits>'
    """
    if isinstance(value, str) and len(value) > _SHOWN:
        return f"{value[:40]!r}... ({len(value)} characters)"
    if isinstance(value, int) and value.bit_length() > 14_000:  # about 4,200 digits
        return f"<int of {_digits(value)} digits>"
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return f"<{type(value).__name__} too large to show>"
    if len(text) > _SHOWN:
        return f"{text[:_SHOWN]}... ({len(text)} characters)"
    return text


def _digits(number: int) -> int:
    """How many decimal digits *number* has, without printing it."""
    guess = int(abs(number).bit_length() * 0.30102999566398120)  # log10(2)
    return guess + 1 if abs(number) >= 10**guess else guess


Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def check_identifier(value: Any, field: str, label: str = "") -> str:
    """*value* if it is an id: a non-empty string of at most :data:`MAX_ID_LENGTH` characters
    with no control character, line separator or lone surrogate; else the error naming *field*.

    Every id goes through here: package, line, cart and type ids, owners, locations,
    beneficiaries, items. (*label* names what is checked inside *field*, e.g. a key of a map.)

    >>> check_identifier("daycare_full", "item")
    'daycare_full'
    >>> check_identifier("l1\\x00", "id")
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: id: must not hold control characters, line separators or lone surrogates, got 'l1\\x00' (U+0000 at index 2)
    >>> check_identifier("rex", "rates", "location")
    'rex'
    """
    if is_identifier(value):
        return value
    lead = f"{label} " if label else ""
    if not isinstance(value, str):
        raise InvalidTypeError(field, f"{lead}must be a non-empty string, got {show(value)}")
    if not value:
        raise InvalidValueError(field, f"{lead}must be a non-empty string, got ''")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidValueError(
            field, f"{lead}must be at most {MAX_ID_LENGTH} characters long, got {show(value)}"
        )
    bad = _NOT_IN_IDS.search(value)
    assert bad is not None
    raise InvalidValueError(
        field,
        f"{lead}must not hold control characters, line separators or lone surrogates, "
        f"got {show(value)} (U+{ord(bad.group()):04X} at index {bad.start()})",
    )


def is_identifier(value: object) -> TypeGuard[str]:
    """Whether :func:`check_identifier` takes *value* (for readers with a fast path of their own).

    >>> is_identifier("p1"), is_identifier(""), is_identifier("p\\x00"), is_identifier(1)
    (True, False, False, False)
    """
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_ID_LENGTH
        and _NOT_IN_IDS.search(value) is None
    )


def identifier(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    """A non-empty string id (package id, owner, item, location...): :func:`check_identifier`."""
    check_identifier(value, attr.name)


def optional_identifier(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        check_identifier(value, attr.name)


def check_count(value: Any, field: str, minimum: int = 0) -> int:
    """*value* if it is a whole number (not a bool) from *minimum* to :data:`MAX_COUNT`; else the
    error naming *field*.

    >>> check_count(3, "units", 1)
    3
    >>> check_count(10**5000, "units", 1)
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: units: must be a whole number <= 10**15 (punchcard's limit for counts), got <int of 5001 digits>
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError(field, f"must be a whole number >= {minimum}, got {show(value)}")
    if value < minimum:
        raise InvalidValueError(field, f"must be a whole number >= {minimum}, got {show(value)}")
    if value > MAX_COUNT:
        raise InvalidValueError(
            field,
            f"must be a whole number <= 10**15 (punchcard's limit for counts), got {show(value)}",
        )
    return value


def whole(minimum: int) -> Validator:
    """A whole number (not a bool) from *minimum* to :data:`MAX_COUNT`: :func:`check_count`."""

    def check(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
        check_count(value, attr.name, minimum)

    return check


def optional_whole(minimum: int) -> Validator:
    inner = whole(minimum)

    def check(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            inner(inst, attr, value)

    return check


def boolean(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise InvalidTypeError(attr.name, f"must be true or false, got {show(value)}")


def one_of(options: Collection[str]) -> Validator:
    def check(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
        if value not in options:
            raise InvalidValueError(
                attr.name, f"must be one of {sorted(options)!r}, got {show(value)}"
            )

    return check


def instance(kind: type, article: str) -> Validator:
    def check(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, kind):
            raise InvalidTypeError(attr.name, f"must be {article}, got {show(value)}")

    return check


def date_only(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise InvalidTypeError(attr.name, f"must be a datetime.date, got {show(value)}")


def optional_date(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        date_only(inst, attr, value)


def moment(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, dt.datetime):
        raise InvalidTypeError(attr.name, f"must be a datetime.datetime, got {show(value)}")


def optional_moment(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        moment(inst, attr, value)


def unique_sequence(
    value: Any, field: str, kind: type, key: Callable[[Any], str], label: str = "item"
) -> tuple[Any, ...]:
    """*value* as a tuple of *kind* values whose *key* (e.g. the item) is unique.

    >>> unique_sequence(["a", "b"], "names", str, str.upper, "name")
    ('a', 'b')
    >>> unique_sequence(["a", "a"], "names", str, str.upper, "name")
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: names: name 'A' appears twice
    """
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidTypeError(field, f"must be a sequence of {kind.__name__}, got {show(value)}")
    out = tuple(value)
    seen: set[str] = set()
    for element in out:
        if not isinstance(element, kind):
            raise InvalidTypeError(field, f"must hold {kind.__name__} values, got {show(element)}")
        name = key(element)
        if name in seen:
            raise InvalidValueError(field, f"{label} {name!r} appears twice")
        seen.add(name)
    return out
