"""attrs validators that raise punchcard's errors and name the field, what was expected and what came."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import attrs

from .errors import InvalidTypeError, InvalidValueError


def show(value: object) -> str:
    """``repr(value)`` for an error message, or a placeholder where Python cannot print it (an
    integer of more than 4,300 digits, nesting deeper than the recursion limit)."""
    try:
        return repr(value)
    except (ValueError, RecursionError):
        return f"<{type(value).__name__} too large to show>"


Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def identifier(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    """A non-empty string id (package id, owner, item, location...)."""
    if not isinstance(value, str):
        raise InvalidTypeError(attr.name, f"must be a non-empty string, got {show(value)}")
    if not value:
        raise InvalidValueError(attr.name, "must be a non-empty string, got ''")


def optional_identifier(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        identifier(inst, attr, value)


def whole(minimum: int) -> Validator:
    """A whole number (not a bool) >= *minimum*."""

    def check(_inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidTypeError(
                attr.name, f"must be a whole number >= {minimum}, got {show(value)}"
            )
        if value < minimum:
            raise InvalidValueError(
                attr.name, f"must be a whole number >= {minimum}, got {show(value)}"
            )

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
        raise InvalidTypeError(field, f"must be a sequence of {kind.__name__}, got {value!r}")
    out = tuple(value)
    seen: set[str] = set()
    for element in out:
        if not isinstance(element, kind):
            raise InvalidTypeError(field, f"must hold {kind.__name__} values, got {element!r}")
        name = key(element)
        if name in seen:
            raise InvalidValueError(field, f"{label} {name!r} appears twice")
        seen.add(name)
    return out
