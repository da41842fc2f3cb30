"""The scenario format, described once: every field of the input and output documents.

One description (:data:`DOCUMENT`, :data:`RESULT`) says, for every field, its JSON name, whether
it is required and what it defaults to, its kind (an id, money, a date-time, a whole number >= n,
one of a few names, a list of X, an object of X...) and a note. Two things are made from it:

- the **reader**: each kind compiles itself once, at import, into a closure that checks a value and
  converts it into what the engine's models hold; an object's closure walks its fields in one loop
  and builds the model. Nothing is interpreted per call, and an error's path (``cart.lines[0].units``)
  is put together only when there is an error: the closures raise :class:`Bad`, and each object
  and list adds its key or index while the error travels up.
- the **JSON Schema** (2020-12) of the input and of the output (:func:`input_schema`,
  :func:`output_schema`), shipped in ``punchcard/schema/``.

Rules that involve several fields (``greater_value`` needs ``any_type``, exactly one of
``balance`` and ``credits``, ids unique in a list...) are part of the description too, so the
reader checks them and the schema states those JSON Schema can state.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

from dateutil.parser import isoparse

from ._booking import PERIOD_CAP
from ._fast import maker
from ._validate import MAX_COUNT, MAX_ID_LENGTH, check_identifier, is_identifier
from .errors import InvalidTimeError, InvalidValueError, PunchcardError
from .expiry import EXPIRY_MODES
from .limits import MAX_OPTIMAL_LINES, MAX_PACKAGES, MAX_PAIRS
from .models import (
    CHARGE_BY,
    DEFAULT_PRIORITY,
    DURATION_UNITS,
    PRIORITY_RANGE,
    Cart,
    Component,
    Duration,
    Line,
    Package,
    Pause,
    Rates,
    Settings,
)
from .money import MAX_DIGITS, MAX_MINOR, Money, currency_precision
from .policy import Policy
from .rules.builtin import REASON_CODES
from .rules.ordering import LINE_ORDERS, PACKAGE_ORDERS
from .timeutil import parse_time_of_day, to_local, zone
from .valuation.credit_value import VALUATIONS

__all__ = [
    "DOCUMENT",
    "FORMAT_VERSION",
    "MAX_PACKAGES",
    "MAX_PAIRS",
    "RESULT",
    "Bad",
    "Context",
    "describe",
    "input_schema",
    "output_schema",
    "read_document",
]

#: The scenario format version this module reads and writes.
FORMAT_VERSION: Final = 1


SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

_MONEY = re.compile(r"[0-9]+(?:\.([0-9]+))?")
_COMMON_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{3}|\.[0-9]{6})?)?"
    r"(?:[+-][0-9]{2}:[0-9]{2})?"
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UTC = dt.timezone.utc
_T = TypeVar("_T")
_ABSENT: Final[Any] = object()

# The same shapes, written for JSON Schema (ECMA-262 regular expressions). Each ends in
# "(?!\n)$" rather than "$": Python's re (which jsonschema for Python uses) also matches "$"
# before a final newline; ECMA-262 does not, and the lookahead makes both refuse one.
_MONEY_PATTERN: Final = r"^[0-9]+(\.[0-9]+)?(?!\n)$"
_DATE_PATTERN: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?!\n)$"
#: What the reader may take for a date-time: a date, ``T`` or a space, then at least five
#: characters of a time and an offset (ISO 8601 as dateutil's ``isoparse`` reads it).
_MOMENT_PATTERN: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}[0-9:.,+Zz-]{3,}(?!\n)$"
_OFFSET_MOMENT_PATTERN: Final = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?[+-][0-9]{2}:[0-9]{2}"
    r"(?!\n)$"
)
_TIME_OF_DAY_PATTERN: Final = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)(?!\n)$"
_CURRENCY_PATTERN: Final = r"^[A-Z]{3}(?!\n)$"


# -- the JSON values a reader meets ----------------------------------------------------------


class Duplicated(dict):  # type: ignore[type-arg]
    """A JSON object in which a key appeared twice (kept so the error can carry its path)."""

    duplicate: str = ""


class Constant:
    """NaN / Infinity in a JSON text: never valid anywhere in a scenario."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """The ``object_pairs_hook`` of :func:`json.loads`: a dict, or a :class:`Duplicated`."""
    result: dict[str, Any] = {}
    for key, value in items:
        if key in result:
            dup = Duplicated(result)
            dup.duplicate = key
            return dup
        result[key] = value
    return result


def _one_line(text: str) -> str:
    # json.dumps(ensure_ascii=False) leaves these line breaks as they are.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\u0085")


def describe(value: Any) -> str:
    """*value* as an error message shows it: JSON, on one line, at most 60 characters."""
    if isinstance(value, Constant):
        return value.text
    if value is None:
        return "null"
    try:
        text = _one_line(json.dumps(value, ensure_ascii=False, default=repr))
    except (ValueError, RecursionError):  # an integer too long to print, nesting too deep
        text = f"a {type(value).__name__} too large to show"
    return text if len(text) <= 60 else text[:57] + "..."


_PLAIN_KEY = re.compile(r"[^\s.\[\]\"]+")


def _join(path: str, key: Any) -> str:
    # A key that is empty or holds a space, a dot, a bracket, a quote or a control character is
    # written as a JSON string, so the path stays one unambiguous line.
    if not isinstance(key, str):  # a Python mapping, not JSON
        key = describe(key)
    elif not _PLAIN_KEY.fullmatch(key) or not key.isprintable():
        key = _one_line(json.dumps(key, ensure_ascii=False))
    return f"{path}.{key}" if path else key


# -- reading ---------------------------------------------------------------------------------


class _Key:
    """A step of an error's path into an object (a list index is a plain int)."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key


class Bad(Exception):
    """What a reader raises: a message, and the path to it, innermost step first."""

    def __init__(self, message: str, *steps: Any) -> None:
        super().__init__(message)
        self.message = message
        #: Innermost first: each object or list adds its step while the error travels up.
        self.steps: list[_Key | int] = [
            step if isinstance(step, int) else _Key(step) for step in reversed(steps)
        ]

    def at(self, step: _Key | int) -> Bad:
        self.steps.append(step)
        return self

    @property
    def path(self) -> str:
        """``cart.lines[0].units``; ``document`` for the document itself."""
        path = ""
        for step in reversed(self.steps):
            path = f"{path}[{step}]" if isinstance(step, int) else _join(path, step.key)
        return path or "document"


class Context:
    """What reading one document needs besides the value at hand: its currency and zone (read
    first), the amounts already read (equal amounts share one Money value) and the ids already
    read (a document names its owner, location and items again and again)."""

    __slots__ = ("amounts", "currency", "digits", "ids", "room", "tz")

    def __init__(self) -> None:
        self.currency = ""
        self.digits = 0
        self.tz: dt.tzinfo = _UTC
        self.amounts: dict[str, Money] = {}
        self.ids: set[str] = set()
        #: (package id, item) -> the uses left this period of a credit that gives them.
        self.room: dict[tuple[str, str], int] = {}


Reader = Callable[[Any, Context], Any]
#: The sets of values seen so far in one list, by uniqueness group (ids unique in a list).
Scope = dict[str, set[Any]]
Schema = dict[str, Any]


class Kind:
    """What a field holds. :meth:`reader` is compiled once; :meth:`schema` describes it."""

    #: The name of the schema's ``$defs`` entry for this kind, if it gets one.
    name: str | None = None

    def reader(self) -> Reader:
        raise NotImplementedError

    def schema(self, defs: dict[str, Schema]) -> Schema:
        """Its JSON Schema; named kinds it holds go into *defs* (the schema's ``$defs``)."""
        raise NotImplementedError


def _ref(kind: Kind, defs: dict[str, Schema]) -> Schema:
    """The schema of *kind*: a ``$ref`` to ``$defs`` for a named kind."""
    if kind.name is None:
        return kind.schema(defs)
    if kind.name not in defs:
        defs[kind.name] = {}  # (reserved first: a kind may refer to itself)
        defs[kind.name] = kind.schema(defs)
    return {"$ref": f"#/$defs/{kind.name}"}


class Scalar(Kind):
    """A kind of single value: its *read* function and its *schema* (a JSON Schema object)."""

    def __init__(self, read: Reader, schema: Schema, name: str | None = None) -> None:
        self.read = read
        self.stated = schema
        self.name = name

    def reader(self) -> Reader:
        return self.read

    def schema(self, defs: dict[str, Schema]) -> Schema:
        return dict(self.stated)


def _read_id(value: Any, ctx: Context) -> str:
    if type(value) is str and value in ctx.ids:  # (read before in this document: an id)
        return value
    if is_identifier(value):
        ctx.ids.add(value)
        return value
    if value and isinstance(value, str):  # a string the models refuse as an id: say why
        try:
            check_identifier(value, "id")
        except PunchcardError as exc:
            raise Bad(getattr(exc, "message", str(exc))) from None
    raise Bad(f"must be a non-empty string, got {describe(value)}")


def _read_bool(value: Any, _ctx: Context) -> bool:
    if value is True or value is False:
        return value
    raise Bad(f"must be true or false, got {describe(value)}")


class Whole(Kind):
    """A whole number (not a boolean) from *minimum* (to *maximum*)."""

    def __init__(self, minimum: int, maximum: int | None = None) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def expected(self, minimum: int) -> str:
        if self.maximum is None:
            return f"must be a whole number >= {minimum}"
        return f"must be a whole number from {minimum} to {self.maximum}"

    def reader(self) -> Reader:
        return self.bounded(self.minimum)

    def bounded(self, minimum: int) -> Reader:
        """The reader with a lower bound of *minimum* (an overdraft lowers it)."""
        maximum = self.maximum
        expected = self.expected(minimum)

        highest = MAX_COUNT if maximum is None else maximum

        def read(value: Any, _ctx: Context) -> int:
            if (
                type(value) is int or (isinstance(value, int) and not isinstance(value, bool))
            ) and minimum <= value <= highest:
                return value
            if (
                maximum is None
                and isinstance(value, int)
                and not isinstance(value, bool)
                and value > MAX_COUNT  # the models' bound of counts (docs/limits.md)
            ):
                raise Bad(
                    "must be a whole number <= 10**15 (punchcard's limit for counts), "
                    f"got {describe(value)}"
                )
            raise Bad(f"{expected}, got {describe(value)}")

        return read

    def schema(self, defs: dict[str, Schema]) -> Schema:
        maximum = MAX_COUNT if self.maximum is None else self.maximum
        return {"type": "integer", "minimum": self.minimum, "maximum": maximum}


class Choice(Kind):
    """One of a few names."""

    def __init__(self, options: Sequence[str]) -> None:
        self.options = tuple(options)

    def reader(self) -> Reader:
        options = frozenset(self.options)
        expected = f"must be one of {', '.join(self.options)}"

        def read(value: Any, _ctx: Context) -> str:
            if isinstance(value, str) and value in options:
                return value
            raise Bad(f"{expected}, got {describe(value)}")

        return read

    def schema(self, defs: dict[str, Schema]) -> Schema:
        return {"enum": list(self.options)}


def _read_version(value: Any, _ctx: Context) -> int:
    if type(value) is int and value == FORMAT_VERSION:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value == FORMAT_VERSION:
        return FORMAT_VERSION
    raise Bad(f"must be the integer 1, got {describe(value)}")


def _checked_text(value: Any, expected: str, check: Callable[[str], _T]) -> _T:
    """What *check* (which refuses with an InvalidValueError) makes of *value*, a string."""
    if not isinstance(value, str):
        raise Bad(f"{expected}, got {describe(value)}")
    try:
        return check(value)
    except InvalidValueError as exc:
        raise Bad(exc.message) from None


def _read_currency(value: Any, ctx: Context) -> str:
    expected = "must be an ISO 4217 currency code (a string)"
    ctx.digits = _checked_text(value, expected, currency_precision)
    ctx.currency = value
    return ctx.currency


def _read_zone(value: Any, ctx: Context) -> dt.tzinfo:
    ctx.tz = _checked_text(value, "must be an IANA time zone name", zone)
    return ctx.tz


def _read_time_of_day(value: Any, _ctx: Context) -> str:
    _checked_text(value, "must be a string 'HH:MM'", parse_time_of_day)
    return str(value)


def _read_money(value: Any, ctx: Context) -> Money:
    if type(value) is str:
        found = ctx.amounts.get(value)
        if found is not None:
            return found
    elif isinstance(value, (int, float, Constant)) and not isinstance(value, bool):
        raise Bad(
            f'must be a money string such as "30.00" (numbers are refused), got {describe(value)}'
        )
    elif not isinstance(value, str):
        raise Bad(f'must be a money string such as "30.00", got {describe(value)}')
    match = _MONEY.fullmatch(value)
    if match is None or not value.isascii():
        raise Bad(f'must be digits with an optional decimal part, like "30.00", got {value!r}')
    digits, decimals = ctx.digits, match.group(1)
    if decimals is None:
        text = value + "0" * digits
    elif len(decimals) > digits:
        raise Bad(f"{value!r} has more decimals than {ctx.currency}'s {digits} minor units")
    else:
        text = value[: match.start(1) - 1] + decimals + "0" * (digits - len(decimals))
    try:
        minor = int(text)
    except ValueError:  # more digits than int() reads from a string: Decimal reads them
        minor = None
    try:
        money = (
            Money(value, ctx.currency) if minor is None else Money.from_minor(minor, ctx.currency)
        )
    except PunchcardError as exc:
        raise Bad(getattr(exc, "message", str(exc))) from None
    ctx.amounts[value] = money
    return money


def _read_moment(value: Any, ctx: Context) -> dt.datetime:
    if not isinstance(value, str):
        raise Bad(f"must be an ISO 8601 date-time string, got {describe(value)}")
    try:
        # The common shape takes the fast standard-library parser; the rest of ISO 8601
        # (a "Z", a comma fraction, ...) goes through dateutil's strict parser.
        if _COMMON_MOMENT.fullmatch(value) is not None:
            moment = dt.datetime.fromisoformat(value)
        elif len(value) < 16 or not _DATE.match(value) or value[10] not in "T ":
            raise Bad(f"must be an ISO 8601 date-time like 2026-03-02T17:30:00, got {value!r}")
        else:
            moment = isoparse(value)
    except (ValueError, OverflowError) as exc:
        raise Bad(f"not a valid ISO 8601 date-time {value!r}: {exc}") from None
    try:
        local = to_local(moment, ctx.tz)
        local.astimezone(_UTC)  # the engine compares instants in UTC
    except InvalidTimeError as exc:
        raise Bad(exc.message) from None
    except OverflowError:
        raise Bad(f"{value!r} is out of range") from None
    return local


def _read_date(value: Any, _ctx: Context) -> dt.date:
    if not isinstance(value, str) or _DATE.fullmatch(value) is None:
        raise Bad(f"must be an ISO 8601 date like 2026-03-31, got {describe(value)}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise Bad(f"not a valid date {value!r}: {exc}") from None


#: A non-empty string: an id, an item, a location.
ID: Final = Scalar(
    _read_id,
    {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_ID_LENGTH,
        # No control character, line or paragraph separator, nor lone surrogate (docs/limits.md).
        # ((?!\\n)$: Python's re, which jsonschema uses, lets $ match before a final newline.)
        "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\ud800-\\udfff]*(?!\\n)$",
    },
)
#: true or false.
BOOL: Final = Scalar(_read_bool, {"type": "boolean"})
#: The integer 1.
VERSION: Final = Scalar(_read_version, {"const": FORMAT_VERSION})
#: An ISO 4217 code known to CLDR; every amount of the document is read in it.
CURRENCY: Final = Scalar(_read_currency, {"type": "string", "pattern": _CURRENCY_PATTERN})
#: An IANA time zone name; every date-time of the document is read in it.
TIME_ZONE: Final = Scalar(_read_zone, {"type": "string", "minLength": 1})
#: A local time of day ``HH:MM``, ``24:00`` included.
TIME_OF_DAY: Final = Scalar(_read_time_of_day, {"type": "string", "pattern": _TIME_OF_DAY_PATTERN})
#: An amount of the document's currency, as a string of digits.
MONEY: Final = Scalar(
    _read_money,
    {
        "type": "string",
        "pattern": _MONEY_PATTERN,
        "description": "digits with an optional decimal part, no more decimals than the "
        "currency has minor units",
    },
    "money",
)
#: An ISO 8601 date-time; without an offset, local time in the document's zone.
MOMENT: Final = Scalar(
    _read_moment,
    {
        "type": "string",
        "pattern": _MOMENT_PATTERN,
        "description": "ISO 8601 date-time; without an offset, local time in `timezone`",
    },
    "moment",
)
#: A local date ``YYYY-MM-DD``.
DATE: Final = Scalar(_read_date, {"type": "string", "pattern": _DATE_PATTERN}, "date")


class ListOf(Kind):
    """A list of values of one kind.

    *min_items* with its *too_few* message; *unique* refuses a value given twice (for lists of
    names); *finish* turns the values read into what the model holds (a tuple by default) and may
    refuse them (raising :class:`Bad` with the index).
    """

    def __init__(
        self,
        element: Kind,
        *,
        min_items: int = 0,
        too_few: str = "",
        max_items: int | None = None,
        unique: str = "",
        finish: Callable[[list[Any]], Any] = tuple,
        notes: str = "",
    ) -> None:
        self.element = element
        self.min_items = min_items
        self.too_few = too_few
        #: Stated in the schema only: the reader checks it elsewhere (see _cart_fits).
        self.max_items = max_items
        self.unique = unique
        self.finish = finish
        self.notes = notes

    def reader(self) -> Reader:
        element = self.element.reader()
        scoped = isinstance(self.element, Obj) and bool(self.element.groups)
        groups = self.element.groups if isinstance(self.element, Obj) else ()
        min_items, too_few, unique, finish = self.min_items, self.too_few, self.unique, self.finish

        def read(value: Any, ctx: Context) -> Any:
            if not isinstance(value, list):
                raise Bad(f"must be a list, got {describe(value)}")
            if len(value) < min_items:
                raise Bad(too_few)
            out: list[Any] = []
            append = out.append
            i = 0
            try:
                if scoped:
                    scope: Scope = {group: set() for group in groups}
                    for i, raw in enumerate(value):  # noqa: B007 (i names the failing element)
                        append(element(raw, ctx, scope))  # type: ignore[call-arg]
                else:
                    for i, raw in enumerate(value):  # noqa: B007
                        append(element(raw, ctx))
            except Bad as bad:
                raise bad.at(i) from None
            if unique and len(set(out)) < len(out):
                seen: set[Any] = set()
                for i, item in enumerate(out):
                    if item in seen:
                        raise Bad(unique.format(item), i)
                    seen.add(item)
            return finish(out)

        return read

    def schema(self, defs: dict[str, Schema]) -> Schema:
        out: Schema = {"type": "array", "items": _ref(self.element, defs)}
        if self.min_items:
            out["minItems"] = self.min_items
        if self.max_items is not None:
            out["maxItems"] = self.max_items
        if self.unique:
            out["uniqueItems"] = True
        if self.notes:
            out["description"] = self.notes
        return out


class MapOf(Kind):
    """An object whose keys are names the host chooses (locations, items), of one kind of
    value; *finish* turns the ``(name, value)`` pairs read into what the model holds."""

    def __init__(
        self,
        value: Kind,
        *,
        finish: Callable[[list[tuple[str, Any]]], Any] = list,
        notes: str = "",
    ) -> None:
        self.value = value
        self.finish = finish
        self.notes = notes

    def reader(self) -> Reader:
        element = self.value.reader()
        finish = self.finish

        def read(value: Any, ctx: Context) -> Any:
            if type(value) is not dict:
                _check_mapping(value)
            out = []
            key: Any = None
            try:
                for key, raw in value.items():
                    if not is_identifier(key):
                        _read_id(key, ctx)  # raises, saying why
                        raise Bad(f"must be a non-empty string, got {describe(key)}")
                    out.append((key, element(raw, ctx)))
            except Bad as bad:
                raise bad.at(_Key(key)) from None
            return finish(out)

        return read

    def schema(self, defs: dict[str, Schema]) -> Schema:
        out: Schema = {
            "type": "object",
            "propertyNames": {"minLength": 1},
            "additionalProperties": _ref(self.value, defs),
        }
        if self.notes:
            out["description"] = self.notes
        return out


def _check_mapping(value: Any) -> None:
    if not isinstance(value, Mapping):
        raise Bad(f"must be an object, got {describe(value)}")
    if isinstance(value, Duplicated):
        raise Bad(f"duplicate key {value.duplicate!r}", value.duplicate)


class Field:
    """One field of an object: its JSON *key*, its *kind*, and how it may be left out.

    *default* is the value the model gets when the key is absent (or ``null``, when *nullable*);
    *required* means it may not be absent, *required_unless* unless that other key is given,
    *required_with* when that other key is given. *unique* lists ``(group, message)``: within one
    list of such objects, a value (or, for a list, each of its values) is refused when the group
    already holds it. *lowered_by* names a sibling read before it that lowers its minimum (an
    overdraft). *then* are checks run right after it is read: ``check(values, raw, ctx)``.
    """

    def __init__(
        self,
        key: str,
        kind: Kind,
        *,
        required: bool = False,
        default: Any = None,
        nullable: bool = False,
        required_unless: str = "",
        required_with: str = "",
        unique: tuple[tuple[str, str], ...] = (),
        lowered_by: str = "",
        excludes: tuple[str, str] = ("", ""),
        needs: tuple[str, str] = ("", ""),
        then: tuple[Callable[[dict[str, Any], Mapping[str, Any], Context], None], ...] = (),
        notes: str = "",
        shown: Any = _ABSENT,
        attr: str = "",
    ) -> None:
        self.key = key
        #: The attribute of the model that holds it (default: the key).
        self.attr = attr or key
        self.kind = kind
        self.required = required
        self.default = default
        self.nullable = nullable
        self.required_unless = required_unless
        self.required_with = required_with
        self.unique = unique
        self.lowered_by = lowered_by
        self.excludes = excludes
        self.needs = needs
        self.then = then
        self.notes = notes
        #: The default as a JSON document writes it (for the schema), when it has one: the
        #: default itself where it is a JSON scalar (a name, a number, true/false; null for a
        #: nullable field).
        scalar = isinstance(default, (str, int, bool)) or (default is None and nullable)
        if shown is _ABSENT and not required and scalar:
            shown = default
        self.shown = shown
        self._is_list = isinstance(kind, ListOf)

    def schema(self, defs: dict[str, Schema]) -> Schema:
        out = _ref(self.kind, defs)
        if self.lowered_by:  # (its minimum depends on another field: see Obj.schema)
            out = {k: v for k, v in out.items() if k != "minimum"}
        out = {"anyOf": [out, {"type": "null"}]} if self.nullable else dict(out)
        if self.shown is not _ABSENT:
            out["default"] = self.shown
        if self.notes:
            out["description"] = self.notes
        return out


def _check_unique(
    key: str,
    value: Any,
    raw: Any,
    is_list: bool,
    unique: tuple[tuple[str, str], ...],
    scope: Scope,
) -> None:
    """Refuse *value* (each of its names, for a list) if its list already holds it."""
    if not is_list:
        for group, message in unique:
            if value in scope[group]:
                raise Bad(message.format(value), key)
        for group, _ in unique:
            scope[group].add(value)
        return
    for index, name in enumerate(raw):
        for group, message in unique:
            if name in scope[group]:
                raise Bad(message.format(name), key, index)
    for name in raw:
        for group, _ in unique:
            scope[group].add(name)


def _present_schema(key: str, nullable: bool) -> Schema:
    """A schema that holds when *key* is given (and, if *nullable*, not null)."""
    out: Schema = {"required": [key]}
    if nullable:
        out["properties"] = {key: {"not": {"type": "null"}}}
    return out


class Rule:
    """A rule of an object that involves several fields, checked once its fields are read.

    ``check(raw, values, nullable)`` raises :class:`Bad` (with the key it concerns);
    :meth:`schema` is what JSON Schema can say of it (``None``: nothing).
    """

    def check(
        self, raw: Mapping[str, Any], values: dict[str, Any], nullable: frozenset[str]
    ) -> None:
        raise NotImplementedError

    def schema(self, nullable: frozenset[str]) -> Schema | None:
        return None


class Implies(Rule):
    """A true *key* needs a true *other* (booleans); the error names *key*."""

    def __init__(self, key: str, other: str, message: str) -> None:
        self.key, self.other, self.message = key, other, message

    def check(
        self, raw: Mapping[str, Any], values: dict[str, Any], nullable: frozenset[str]
    ) -> None:
        if values[self.key] and not values[self.other]:
            raise Bad(self.message, self.key)

    def schema(self, nullable: frozenset[str]) -> Schema:
        return {
            "if": {"properties": {self.key: {"const": True}}, "required": [self.key]},
            "then": {"properties": {self.other: {"const": True}}, "required": [self.other]},
        }


class ExactlyOne(Rule):
    """Exactly one of *keys* is given; the error names the object."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys

    def check(
        self, raw: Mapping[str, Any], values: dict[str, Any], nullable: frozenset[str]
    ) -> None:
        if sum(key in raw for key in self.keys) != 1:
            raise Bad(f"must hold exactly one of {', '.join(self.keys)}, got {describe(raw)}")

    def schema(self, nullable: frozenset[str]) -> Schema:
        return {"oneOf": [{"required": [key]} for key in self.keys]}


class Check(Rule):
    """A rule JSON Schema cannot state: ``check(values)`` raises :class:`Bad`; only when the key
    *when* is given, if it names one."""

    def __init__(self, check: Callable[[dict[str, Any]], None], when: str = "") -> None:
        self.function = check
        self.when = when

    def check(
        self, raw: Mapping[str, Any], values: dict[str, Any], nullable: frozenset[str]
    ) -> None:
        if not self.when or self.when in raw:
            self.function(values)


def _merge(*schemas: Schema) -> Schema:
    out: Schema = {"required": []}
    for schema in schemas:
        out["required"] += schema["required"]
        if "properties" in schema:
            out.setdefault("properties", {}).update(schema["properties"])
    return out


# -- building the engine's values -------------------------------------------------------------


class Obj(Kind):
    """An object of known fields, read in *order* (default: as listed) and built by *build*.

    *fields* are listed in the order the documentation, the schema and the "allowed:" part of an
    unknown-key error show them. *rules* involve several fields. ``build(values, ctx)`` makes the
    model from the values read, by key.
    """

    def __init__(
        self,
        fields: Sequence[Field],
        build: Callable[[dict[str, Any], Context], Any] | type,
        *,
        name: str | None = None,
        order: Sequence[str] = (),
        rules: Sequence[Rule] = (),
        notes: str = "",
    ) -> None:
        self.fields = tuple(fields)
        if isinstance(build, type):  # a model: each field is the attribute its attr names
            make: Callable[..., Any] = maker(build, *(f.attr for f in self.fields))
            keys = tuple(f.key for f in self.fields)

            def build_model(values: dict[str, Any], _ctx: Context) -> Any:
                return make(*map(values.__getitem__, keys))

            build = build_model
        self.build = build
        self.name = name
        by_key = {f.key: f for f in self.fields}
        self.order = tuple(by_key[key] for key in order) if order else self.fields
        assert {f.key for f in self.order} == set(by_key), "order must name every field once"
        self.rules = tuple(rules)
        self.notes = notes
        #: The uniqueness groups its fields use: a list of these objects keeps one set per group.
        self.groups = tuple(dict.fromkeys(g for f in self.fields for g, _ in f.unique))

    def reader(self) -> Reader:
        """The reader of this object, written out field by field in reading order (as attrs
        writes an ``__init__``), made once: the first error found is the first in that order.

        ``read(value, ctx, scope)`` checks the object's keys, reads each field into a dict of
        values by key, checks the rules and builds the model; *scope* holds the values seen in
        the list being read, for the fields that must be unique there."""
        nullable = frozenset(f.key for f in self.fields if f.nullable)
        namespace: dict[str, Any] = {
            "_ABSENT": _ABSENT,
            "Bad": Bad,
            "_Key": _Key,
            "_check_mapping": _check_mapping,
            "_check_unique": _check_unique,
            "_unknown": _unknown,
            "_allowed": frozenset(f.key for f in self.fields),
            "_allowed_text": ", ".join(f.key for f in self.fields),
            "_nullable": nullable,
            "_build": self.build,
        }
        body = [
            "def read(value, ctx, scope=None):",
            "    if type(value) is not dict:",
            "        _check_mapping(value)",
            "    if not value.keys() <= _allowed:",
            "        _unknown(value, _allowed, _allowed_text)",
            "    values = {}",
            "    get = value.get",
        ]
        for i, f in enumerate(self.order):
            body += _field_code(f, i, nullable, namespace)
        for i, rule in enumerate(self.rules):
            namespace[f"_rule{i}"] = rule.check
            body.append(f"    _rule{i}(value, values, _nullable)")
        body.append("    return _build(values, ctx)")
        exec("\n".join(body), namespace)  # one function per object, made once
        read: Reader = namespace["read"]
        return read

    def schema(self, defs: dict[str, Schema]) -> Schema:
        nullable = frozenset(f.key for f in self.fields if f.nullable)
        out: Schema = {"type": "object"}
        if self.notes:
            out["description"] = self.notes
        out["properties"] = {f.key: f.schema(defs) for f in self.fields}
        required = [f.key for f in self.fields if f.required]
        if required:
            out["required"] = required
        out["additionalProperties"] = False
        conditions: list[Schema] = []
        for f in self.fields:
            if f.required_unless:
                conditions.append(
                    {
                        "if": {
                            "not": _present_schema(f.required_unless, f.required_unless in nullable)
                        },
                        "then": {"required": [f.key]},
                    }
                )
            if f.required_with:
                conditions.append(
                    {
                        "if": _present_schema(f.required_with, f.required_with in nullable),
                        "then": {"required": [f.key]},
                    }
                )
            other = f.excludes[0]
            if other:
                both = _merge(
                    _present_schema(f.key, f.key in nullable),
                    _present_schema(other, other in nullable),
                )
                conditions.append({"not": both})
            other = f.needs[0]
            if other:
                conditions.append(
                    {
                        "if": _present_schema(f.key, f.key in nullable),
                        "then": _present_schema(other, other in nullable),
                    }
                )
            if f.lowered_by:
                conditions.append(
                    {
                        "if": {"not": {"required": [f.lowered_by]}},
                        "then": {"properties": {f.key: {"minimum": f.kind.minimum}}},  # type: ignore[attr-defined]
                    }
                )
        for rule in self.rules:
            stated = rule.schema(nullable)
            if stated is not None:
                conditions.append(stated)
        if conditions:
            out["allOf"] = conditions
        return out


def _given(key: str, nullable: frozenset[str]) -> str:
    """The code of "the object ``value`` gives *key*" (not null, when *key* is nullable)."""
    if key in nullable:
        return f"get({key!r}) is not None"
    return f"{key!r} in value"


def _field_code(f: Field, i: int, nullable: frozenset[str], namespace: dict[str, Any]) -> list[str]:
    """The lines of :meth:`Obj.reader` that read the field *f* (the *i*-th read) into
    ``values``; what they use goes in *namespace*. In the order a field is checked: absent (or
    null) and whether it may be, the keys it excludes or needs, its value (read with a minimum
    lowered by a sibling read before it), its uniqueness in the list, then its checks."""
    key = repr(f.key)
    namespace[f"_default{i}"] = f.default
    namespace[f"_read{i}"] = f.kind.reader()
    lines = [f"    raw = get({key}, _ABSENT)"]
    lines.append(
        "    if raw is _ABSENT or raw is None:" if f.nullable else "    if raw is _ABSENT:"
    )
    required = []  # the conditions under which it may not be absent
    if f.required_unless:
        required.append(f"not ({_given(f.required_unless, nullable)})")
    if f.required_with:
        required.append(f"({_given(f.required_with, nullable)})")
    if f.required and not f.nullable:  # (absent: nothing else to do)
        lines.append(f"        raise Bad('is required', {key})")
    elif f.required or required:
        condition = "True" if f.required else " or ".join(required)
        absent = " and raw is _ABSENT" if f.nullable else ""  # (null takes the default)
        lines += [
            f"        if ({condition}){absent}:",
            f"            raise Bad('is required', {key})",
        ]
    if not (f.required and not f.nullable):
        lines.append(f"        values[{key}] = _default{i}")
    lines.append("    else:")
    for link, (other, message) in (("excludes", f.excludes), ("needs", f.needs)):
        if other:
            namespace[f"_{link}{i}"] = message
            given = _given(other, nullable)
            test = given if link == "excludes" else f"not ({given})"
            lines += [f"        if {test}:", f"            raise Bad(_{link}{i}, {key})"]
    read = f"_read{i}"
    if f.lowered_by:
        assert isinstance(f.kind, Whole)
        namespace[f"_kind{i}"] = f.kind
        lowered = repr(f.lowered_by)
        lines += [
            f"        lowered = values[{lowered}]",
            f"        reader = _kind{i}.bounded(_kind{i}.minimum - lowered) if lowered else _read{i}",
        ]
        read = "reader"
    lines += [
        "        try:",
        f"            values[{key}] = {read}(raw, ctx)",
        "        except Bad as bad:",
        f"            raise bad.at(_Key({key})) from None",
    ]
    if f.unique:
        namespace[f"_unique{i}"] = f.unique
        lines += [
            "        if scope is not None:",
            f"            _check_unique({key}, values[{key}], raw, {f._is_list}, _unique{i}, scope)",
        ]
    for k, check in enumerate(f.then):
        namespace[f"_then{i}_{k}"] = check
        lines.append(f"    _then{i}_{k}(values, value, ctx)")
    return lines


def _unknown(value: Mapping[str, Any], allowed: frozenset[str], allowed_text: str) -> None:
    for key in value:
        if key not in allowed:
            raise Bad(f"unknown key {key!r} (allowed: {allowed_text})", key)


_new_cart = maker(Cart, "owner", "location", "currency", "lines")
_new_component = maker(
    Component, "item", "remaining", "hourly", "items", "substitutes", "overdraft"
)
# -- the input document ----------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _settings(*flags: bool) -> Settings:
    # 32 possible values, the same in every document: made once each.
    return Settings(*flags)


@functools.lru_cache(maxsize=256)
def _policy(
    line_order: str, package_order: str, valuation: str, expires_at: str, expiry: str
) -> Policy:
    # A few values that every document of a business names again.
    return Policy(
        line_order=line_order,
        package_order=package_order,
        valuation=valuation,
        expires_at=expires_at,
        expiry=expiry,  # type: ignore[arg-type]  # (one of EXPIRY_MODES: read by a Choice)
    )


_SETTING_NAMES: Final = (
    "any_type",
    "any_location",
    "greater_value",
    "zero_price_items",
    "refund_after_use",
)
_SETTING_NOTES: Final = {
    "any_type": "a credit may pay for a line of another item",
    "any_location": "a credit may be used at another location than its package's",
    "greater_value": "a credit may pay for a cheaper cross-item line (needs any_type)",
    "zero_price_items": "credits may be used on lines whose unit price is 0",
    "refund_after_use": "a package that has been used may still be refunded",
}

SETTINGS: Final = Obj(
    [Field(name, BOOL, default=False, notes=_SETTING_NOTES[name]) for name in _SETTING_NAMES],
    lambda v, _ctx: _settings(*(v[name] for name in _SETTING_NAMES)),
    rules=[
        Implies("greater_value", "any_type", "requires settings.any_type to be true"),
    ],
    notes="the system-wide switches; all false by default",
)

POLICY: Final = Obj(
    [
        Field(
            "line_order",
            Choice(tuple(LINE_ORDERS)),
            default="cheapest_first",
            notes="which line is served first",
        ),
        Field(
            "package_order",
            Choice(tuple(PACKAGE_ORDERS)),
            default="fifo",
            notes="which credit pays first",
        ),
        Field(
            "valuation",
            Choice(tuple(VALUATIONS)),
            default="line_price",
            notes="what a same-item credit takes off",
        ),
        Field(
            "expires_at",
            TIME_OF_DAY,
            default="23:59",
            notes="local time of day at which an expiry date ends; 24:00 = the whole day",
        ),
        Field(
            "expiry",
            Choice(EXPIRY_MODES),
            default="end_of_day",
            notes="elapsed: a length of validity ends at the exact instant start + length",
        ),
    ],
    lambda v, _ctx: _policy(
        v["line_order"], v["package_order"], v["valuation"], v["expires_at"], v["expiry"]
    ),
    notes="the business's pluggable choices",
)


def _rates(entries: list[tuple[str, list[tuple[str, Money]]]]) -> Rates:
    return Rates(
        tuple((location, item, money) for location, items in entries for item, money in items)
    )


RATES: Final = MapOf(
    MapOf(MONEY, notes="item -> money"),
    finish=_rates,
    notes="location -> item -> money: the default rates",
)


def _sorted_pairs(pairs: list[tuple[str, Money]]) -> tuple[tuple[str, Money], ...]:
    pairs.sort(key=_first)
    return tuple(pairs)


def _first(pair: tuple[str, Any]) -> str:
    return pair[0]


def _line_total_within_bounds(values: dict[str, Any]) -> None:
    """unit price x units stays within Money's digits, as :class:`punchcard.Line` requires."""
    if values["unit_price"].minor * values["units"] >= MAX_MINOR:
        raise Bad(
            f"unit_price x units must stay within Money's {MAX_DIGITS} digits, got "
            f"{values['unit_price']} x {values['units']}",
            "units",
        )


LINE: Final = Obj(
    [
        Field(
            "id",
            ID,
            required=True,
            unique=(("id", "duplicate line id {!r}"),),
            notes="unique within the cart",
        ),
        Field("item", ID, required=True, notes="what is sold on this line"),
        Field("for", ID, nullable=True, attr="beneficiary", notes="the beneficiary"),
        Field("unit_price", MONEY, required=True),
        Field("units", Whole(1), default=1),
        Field("charge_by", Choice(CHARGE_BY), default="each"),
        Field(
            "credit_values",
            MapOf(MONEY, finish=_sorted_pairs),
            default=(),
            shown={},
            notes="item -> money: the line's own price for a credit of that item (pricing rules)",
        ),
    ],
    Line,
    name="line",
    order=("id", "item", "unit_price", "units", "for", "charge_by", "credit_values"),
    rules=(Check(_line_total_within_bounds),),
)

CART: Final = Obj(
    [
        Field("owner", ID, required=True, notes="the customer checking out"),
        Field("location", ID, required=True, notes="where: picks the rates and the local packages"),
        Field("lines", ListOf(LINE), required=True, notes="the cart's lines, in cart order"),
    ],
    lambda v, ctx: _new_cart(v["owner"], v["location"], ctx.currency, v["lines"]),
)


def _substitutes_are_other_items(values: dict[str, Any]) -> None:
    own = set(values["items"]) if values["pool"] is not None else {values["item"]}
    for index, item in enumerate(values["substitutes"]):
        if item in own:
            raise Bad(
                f"{item!r} is an item of this credit itself, not a substitute", "substitutes", index
            )


def _names(names: list[str]) -> tuple[str, ...]:
    return tuple(sorted(names))


CREDIT: Final = Obj(
    [
        Field(
            "item",
            ID,
            required_unless="pool",
            unique=(
                ("name", "item {!r} appears twice in the package"),
                ("own", "item {!r} is paid by two components of the package"),
            ),
            notes="what a credit pays for (or give pool and items)",
        ),
        Field(
            "pool",
            ID,
            unique=(("name", "pool {!r} is named like another component of the package"),),
            excludes=("item", "give item or pool, not both"),
            notes="instead of item: the name of a pool of items (its balance is keyed by it)",
        ),
        Field(
            "items",
            ListOf(
                ID,
                min_items=1,
                too_few="a pool needs at least one item",
                unique="item {!r} appears twice",
                finish=_names,
            ),
            required_with="pool",
            needs=("pool", "only a pool (with pool) lists items"),
            unique=(("own", "item {!r} is paid by two components of the package"),),
            default=(),
            notes="with pool: the items its credits pay for as their own",
        ),
        Field(
            "overdraft",
            Whole(0),
            default=0,
            notes="how far below zero remaining may go",
        ),
        Field(
            "remaining", Whole(0), required=True, lowered_by="overdraft", notes="whole credits left"
        ),
        Field("hourly", BOOL, default=False, notes="a credit pays for one hour"),
        Field(
            "substitutes",
            ListOf(ID, unique="item {!r} appears twice", finish=_names),
            default=(),
            shown=[],
            notes="items a credit may also pay with any_type off (a cross-item use)",
        ),
        Field(
            "uses_left",
            Whole(0),
            nullable=True,
            notes="uses left this period under the business's cap of uses per period "
            "(null: no cap)",
        ),
    ],
    lambda v, _ctx: (
        _new_component(
            v["item"] if v["pool"] is None else v["pool"],
            v["remaining"],
            v["hourly"],
            v["items"],
            v["substitutes"],
            v["overdraft"],
        ),
        v["uses_left"],
    ),
    name="credit",
    rules=[Check(_substitutes_are_other_items, when="substitutes")],
)

VALID_FOR: Final = Obj(
    [Field(unit, Whole(0), notes=f"{unit} of validity") for unit in DURATION_UNITS],
    lambda v, _ctx: next(Duration(unit, v[unit]) for unit in DURATION_UNITS if v[unit] is not None),
    rules=[ExactlyOne(DURATION_UNITS)],
    notes="exactly one of days, weeks, months",
)


def _pause_ends_after_it_starts(values: dict[str, Any]) -> None:
    if values["to"] < values["from"]:
        raise Bad(f"the pause ends ({values['to']}) before it starts ({values['from']})", "to")


PAUSE: Final = Obj(
    [
        Field("from", DATE, required=True, notes="the first paused local date"),
        Field("to", DATE, required=True, notes="the last paused local date, inclusive"),
    ],
    lambda v, _ctx: Pause(v["from"], v["to"]),
    rules=[Check(_pause_ends_after_it_starts)],
)


def _pauses(pauses: list[Pause]) -> tuple[Pause, ...]:
    ordered = sorted(range(len(pauses)), key=lambda i: pauses[i].start)
    for before, after in itertools.pairwise(ordered):
        if pauses[after].start <= pauses[before].end:
            a, b = pauses[before], pauses[after]
            raise Bad(
                f"overlaps another pause: {a.start}..{a.end} and {b.start}..{b.end}",
                max(before, after),
            )
    return tuple(pauses[i] for i in ordered)


def _package(values: dict[str, Any], ctx: Context) -> Package:
    """The package of *values*: its credits are (component, uses left) pairs; the uses left
    are kept in *ctx* by (package id, item)."""
    components = []
    for component, left in values["credits"]:
        components.append(component)
        if left is not None:
            ctx.room[values["id"], component.item] = left
    values["credits"] = tuple(components)
    return _make_package(*map(values.__getitem__, _KEYS))


PACKAGE: Final = Obj(
    [
        Field(
            "id", ID, required=True, unique=(("id", "duplicate package id {!r}"),), notes="unique"
        ),
        Field("owner", ID, required=True, notes="the customer account that owns it"),
        Field("location", ID, nullable=True, notes="null = usable everywhere"),
        Field("for", ID, nullable=True, attr="beneficiary", notes="null = every beneficiary"),
        Field("purchased_at", MOMENT, required=True),
        Field(
            "expires_on",
            DATE,
            nullable=True,
            notes="local date; wins over days_to_expiration and valid_for",
        ),
        Field(
            "days_to_expiration",
            Whole(0),
            nullable=True,
            notes="null (and no expires_on, no valid_for) = never expires",
        ),
        Field(
            "expiry_starts",
            Choice(("sale", "first_use")),
            default="sale",
            notes="when the countdown starts",
        ),
        Field("first_used_at", MOMENT, nullable=True),
        Field("pricing_rules", BOOL, default=False),
        Field(
            "priority",
            Whole(*PRIORITY_RANGE),
            default=DEFAULT_PRIORITY,
            notes="lower is consumed first",
        ),
        Field("valid_from", MOMENT, nullable=True, notes="not valid before"),
        Field(
            "valid_for",
            VALID_FOR,
            nullable=True,
            excludes=("days_to_expiration", "give valid_for or days_to_expiration, not both"),
            notes="a calendar length of validity instead of days_to_expiration",
        ),
        Field(
            "pauses",
            ListOf(PAUSE, finish=_pauses),
            default=(),
            shown=[],
            notes="local dates on which it is paused; pauses do not overlap",
        ),
        Field(
            "balance",
            MONEY,
            nullable=True,
            excludes=("credits", "a package holds credits or a balance, not both"),
            notes="stored value: a money balance instead of credits",
        ),
        Field(
            "items",
            ListOf(ID, unique="item {!r} appears twice", finish=_names),
            nullable=True,
            needs=("balance", "only a stored-value package (with balance) lists items"),
            notes="with balance only: the items it may pay (null: every item)",
        ),
        Field(
            "credits",
            ListOf(CREDIT, min_items=1, too_few="must hold at least one credit component"),
            required_unless="balance",
            attr="components",
            default=(),
            notes="the components (exactly one of credits and balance)",
        ),
    ],
    lambda v, ctx: _package(v, ctx),
    name="package",
)


_KEYS: Final = tuple(f.key for f in PACKAGE.fields)
_make_package: Final = maker(Package, *(f.attr for f in PACKAGE.fields))


class _Stated(Rule):
    """A rule checked elsewhere in the reader, stated here for the schema."""

    def __init__(self, schema: Schema) -> None:
        self.stated = schema

    def check(
        self, raw: Mapping[str, Any], values: dict[str, Any], nullable: frozenset[str]
    ) -> None:
        pass

    def schema(self, nullable: frozenset[str]) -> Schema:
        return self.stated


#: What _cart_fits checks that JSON Schema can say: an optimal cart's lines.
OPTIMAL_LINES: Final = _Stated(
    {
        "if": {
            "properties": {
                "policy": {
                    "properties": {"line_order": {"const": "optimal"}},
                    "required": ["line_order"],
                }
            },
            "required": ["policy"],
        },
        "then": {
            "properties": {"cart": {"properties": {"lines": {"maxItems": MAX_OPTIMAL_LINES}}}}
        },
    }
)


def _cart_fits(values: dict[str, Any], raw: Mapping[str, Any], _ctx: Context) -> None:
    """After the cart: what the allocation of its lines can take, and the size of the result
    (checked before the packages are read, so that an oversized document is refused fast)."""
    lines = len(values["cart"].lines)
    policy = values["policy"]
    if policy.line_order.name == "optimal" and lines > MAX_OPTIMAL_LINES:
        raise Bad(
            f"'optimal' allocates carts of at most {MAX_OPTIMAL_LINES} lines; this one has {lines}",
            "policy",
            "line_order",
        )
    packages = raw.get("packages")
    if not isinstance(packages, list):
        return
    if len(packages) > MAX_PACKAGES:
        raise Bad(
            f"a document may hold at most {MAX_PACKAGES:,} packages; this one has "
            f"{len(packages):,}",
            "packages",
        )
    if lines * len(packages) > MAX_PAIRS:
        raise Bad(
            f"{lines:,} lines x {len(packages):,} packages is more than the {MAX_PAIRS:,} "
            "(line, package) pairs a document may hold",
            "cart",
            "lines",
        )


def _booked_before_the_checkout(values: dict[str, Any]) -> None:
    booked, at = values["booked_at"], values["at"]
    if booked is not None and booked.astimezone(_UTC) > at.astimezone(_UTC):
        raise Bad(
            f"the booking ({booked.isoformat()}) is after the checkout time ({at.isoformat()})",
            "booked_at",
        )


DOCUMENT: Final = Obj(
    [
        Field("version", VERSION, default=FORMAT_VERSION),
        Field("at", MOMENT, required=True, notes="the checkout time"),
        Field(
            "booked_at",
            MOMENT,
            nullable=True,
            notes="when the booking was made, if before at: the expiry is judged then "
            "(expiry judged at booking)",
        ),
        Field("timezone", TIME_ZONE, required=True, notes="IANA name of the cart location's zone"),
        Field("currency", CURRENCY, required=True, notes="ISO 4217 code known to CLDR"),
        Field("settings", SETTINGS, default=_settings(*(False,) * 5), shown={}),
        Field(
            "policy",
            POLICY,
            default=_policy("cheapest_first", "fifo", "line_price", "23:59", "end_of_day"),
            shown={},
        ),
        Field("rates", RATES, default=Rates(), shown={}),
        Field("cart", CART, required=True, then=(_cart_fits,)),
        Field(
            "packages",
            ListOf(PACKAGE, max_items=MAX_PACKAGES),
            required=True,
            notes="the owner's packages",
        ),
    ],
    lambda v, ctx: {**v, "room": ctx.room},
    rules=[OPTIMAL_LINES, Check(_booked_before_the_checkout, when="booked_at")],
    # The currency and the zone first: every amount and date-time is read with them.
    order=(
        "version",
        "currency",
        "timezone",
        "at",
        "booked_at",
        "settings",
        "policy",
        "rates",
        "cart",
        "packages",
    ),
    notes="a punchcard scenario: one checkout, as docs/scenario-format.md describes it",
)

_READ_DOCUMENT: Final = DOCUMENT.reader()


def read_document(document: Any) -> dict[str, Any]:
    """The values of *document* by key (``policy``: the Policy and the expiry choice), or
    :class:`Bad` with the path of the first error found."""
    values: dict[str, Any] = _READ_DOCUMENT(document, Context())
    return values


# -- the result document (for its schema: render writes it) -----------------------------------


def _written(_value: Any, _ctx: Context) -> Any:  # pragma: no cover - never called
    raise NotImplementedError("the result document is written by punchcard.scenario.render")


#: Any string (an explanation).
TEXT: Final = Scalar(_written, {"type": "string"})
#: A whole number of any sign (a balance may be overdrawn).
COUNT: Final = Scalar(_written, {"type": "integer"})
#: An ISO 8601 date-time with the local offset, as the result writes it.
INSTANT: Final = Scalar(_written, {"type": "string", "pattern": _OFFSET_MOMENT_PATTERN}, "instant")


def _unread(_values: dict[str, Any], _ctx: Context) -> Any:  # pragma: no cover
    raise NotImplementedError("the result document is written by punchcard.scenario.render")


def _out(key: str, kind: Kind, notes: str = "", *, nullable: bool = False) -> Field:
    return Field(key, kind, required=True, nullable=nullable, notes=notes)


#: The reason codes a result may give (the built-in rules, ``paused`` of semantics X7 and
#: ``period_cap``, the cap of uses per period).
RESULT_REASONS: Final = tuple(sorted({*REASON_CODES, "paused", PERIOD_CAP}))

RESULT: Final = Obj(
    [
        _out("currency", CURRENCY),
        _out("total", MONEY, "the cart's total"),
        _out("covered", MONEY, "what the credits took off"),
        _out("due", MONEY, "what is left to pay"),
        _out(
            "lines",
            ListOf(
                Obj(
                    [
                        _out("id", ID),
                        _out("total", MONEY),
                        _out("covered", MONEY),
                        _out("due", MONEY),
                        _out("credits", Whole(0), "the credits it took"),
                    ],
                    _unread,
                    name="line_result",
                )
            ),
            "per cart line, in cart order",
        ),
        _out(
            "redemptions",
            ListOf(
                Obj(
                    [
                        _out("line", ID),
                        _out("package", ID),
                        _out("item", ID, "null for stored value", nullable=True),
                        _out("credits", Whole(0), "0 for stored value"),
                        _out("amount", MONEY, "what they took off"),
                    ],
                    _unread,
                    name="redemption",
                )
            ),
            "in the order the engine applied them",
        ),
        _out(
            "rejections",
            ListOf(
                Obj(
                    [
                        _out("line", ID),
                        _out("package", ID),
                        _out("reason", Choice(RESULT_REASONS), "the first rule that failed"),
                    ],
                    _unread,
                    name="rejection",
                )
            ),
            "by line (cart order), then package id",
        ),
        _out(
            "packages",
            ListOf(
                Obj(
                    [
                        _out("id", ID),
                        Field("remaining", MapOf(COUNT), notes="item (or pool) -> credits left"),
                        Field("balance", MONEY, notes="stored value: the money left"),
                        _out("expires_on", DATE, nullable=True),
                        _out("expires_at", INSTANT, "when it stops being usable", nullable=True),
                        _out("first_used_at", INSTANT, nullable=True),
                    ],
                    _unread,
                    name="package_result",
                    rules=[ExactlyOne(("remaining", "balance"))],
                )
            ),
            "every input package, in input order, after this cart",
        ),
        Field("explanation", ListOf(TEXT), notes="with --explain: one sentence per line"),
    ],
    _unread,
    notes="the answer of punchcard to a scenario, as docs/scenario-format.md describes it",
)


def _schema(obj: Obj, title: str) -> Schema:
    defs: dict[str, Schema] = {}
    body = obj.schema(defs)
    return {"$schema": SCHEMA_DIALECT, "title": title, **body, "$defs": dict(sorted(defs.items()))}


def input_schema() -> Schema:
    """The JSON Schema (2020-12) of a scenario document, made from :data:`DOCUMENT`."""
    return _schema(DOCUMENT, f"punchcard scenario, version {FORMAT_VERSION}")


def output_schema() -> Schema:
    """The JSON Schema (2020-12) of a result document, made from :data:`RESULT`."""
    return _schema(RESULT, f"punchcard scenario result, version {FORMAT_VERSION}")
