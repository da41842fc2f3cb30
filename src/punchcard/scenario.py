"""The scenario contract: one JSON document in, one JSON document out (docs/scenario-format.md).

:func:`evaluate` validates a document strictly (unknown keys, wrong types, floats for money, bad
dates and duplicate ids are :class:`~punchcard.errors.ScenarioError` with the offending ``.path``),
runs :func:`punchcard.apply`, and returns the result as plain data in a deterministic order.

>>> doc = {
...     "at": "2026-03-02T17:30:00", "timezone": "America/New_York", "currency": "USD",
...     "cart": {"owner": "smith", "location": "downtown", "lines": [
...         {"id": "l1", "item": "daycare_full", "unit_price": "30.00"}]},
...     "packages": [{"id": "p1", "owner": "smith", "purchased_at": "2026-01-05T10:00:00",
...                   "credits": [{"item": "daycare_full", "remaining": 3}]}],
... }
>>> result = evaluate(doc)
>>> result["covered"], result["due"], result["packages"][0]["remaining"]
('30.00', '0.00', {'daycare_full': 2})
>>> evaluate({**doc, "currency": 1})
Traceback (most recent call last):
...
punchcard.errors.ScenarioError: currency: must be an ISO 4217 currency code (a string), got 1
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

import attrs
from dateutil.parser import isoparse

from ._fast import build_trusted
from .engine import apply
from .errors import InvalidTimeError, InvalidValueError, PunchcardError, ScenarioError
from .models import CHARGE_BY, Cart, Component, Line, Package, Rates, Settings
from .money import Money, currency_precision
from .policy import Policy
from .results import Application
from .rules.ordering import LINE_ORDERS, PACKAGE_ORDERS
from .timeutil import parse_time_of_day, to_local, zone
from .valuation.credit_value import VALUATIONS

__all__ = ["FORMAT_VERSION", "Scenario", "dumps", "evaluate", "explain", "loads", "parse", "render"]

#: The scenario format version this module reads and writes.
FORMAT_VERSION: Final = 1

_MONEY = re.compile(r"[0-9]+(?:\.([0-9]+))?")
_COMMON_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{3}|\.[0-9]{6})?)?"
    r"(?:[+-][0-9]{2}:[0-9]{2})?"
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_COMMON_UTC = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{3}|\.[0-9]{6})?)?Z"
)


class _Duplicated(dict):  # type: ignore[type-arg]
    """A JSON object in which a key appeared twice (kept so the error can carry its path)."""

    duplicate: str = ""


class _Constant:
    """NaN / Infinity in a JSON text: never valid anywhere in a scenario."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            dup = _Duplicated(result)
            dup.duplicate = key
            return dup
        result[key] = value
    return result


def loads(text: str | bytes) -> Any:
    """Parse a JSON text, keeping duplicate keys and NaN/Infinity detectable by :func:`parse`.

    >>> parse(loads('{"at": "2026-01-01T00:00:00", "at": "2026-01-02T00:00:00"}'))
    Traceback (most recent call last):
    ...
    punchcard.errors.ScenarioError: at: duplicate key 'at'
    >>> loads("{")
    Traceback (most recent call last):
    ...
    punchcard.errors.ScenarioError: document: not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)
    """
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_Constant)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            "document", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:  # e.g. integers with too many digits
        raise ScenarioError("document", f"not valid JSON: {exc}") from None


def _one_line(text: str) -> str:
    # json.dumps(ensure_ascii=False) leaves these line breaks as they are.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\u0085")


def _describe(value: Any) -> str:
    if isinstance(value, _Constant):
        return value.text
    if value is None:
        return "null"
    try:
        text = _one_line(json.dumps(value, ensure_ascii=False, default=repr))
    except (ValueError, RecursionError):  # an integer too long to print, nesting too deep
        text = f"a {type(value).__name__} too large to show"
    return text if len(text) <= 60 else text[:57] + "..."


class _Reader:
    """Walks the document with the current path, refusing whatever the format does not allow."""

    def __init__(self, currency: str | None = None, tz: dt.tzinfo | None = None) -> None:
        self.currency = currency
        self.tz = tz

    @staticmethod
    def fail(path: str, message: str) -> ScenarioError:
        return ScenarioError(path, message)

    def obj(self, value: Any, path: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"must be an object, got {_describe(value)}")
        if isinstance(value, _Duplicated):
            raise self.fail(_join(path, value.duplicate), f"duplicate key {value.duplicate!r}")
        for key in value:
            if key not in allowed:
                raise self.fail(
                    _join(path, str(key)),
                    f"unknown key {key!r} (allowed: {', '.join(allowed)})",
                )
        return value

    def required(self, obj: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in obj:
            raise self.fail(_join(path, key), "is required")
        return obj[key]

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"must be a non-empty string, got {_describe(value)}")
        if not value:
            raise self.fail(path, 'must be a non-empty string, got ""')
        return value

    def optional_string(self, value: Any, path: str) -> str | None:
        return None if value is None else self.string(value, path)

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"must be true or false, got {_describe(value)}")
        return value

    def whole(self, value: Any, path: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"must be a whole number >= {minimum}, got {_describe(value)}")
        if value < minimum:
            raise self.fail(path, f"must be a whole number >= {minimum}, got {_describe(value)}")
        return value

    def choice(self, value: Any, path: str, options: tuple[str, ...]) -> str:
        if not isinstance(value, str) or value not in options:
            raise self.fail(path, f"must be one of {', '.join(options)}, got {_describe(value)}")
        return value

    def money(self, value: Any, path: str) -> Money:
        assert self.currency is not None
        if isinstance(value, (int, float, _Constant)) and not isinstance(value, bool):
            raise self.fail(
                path,
                f'must be a money string such as "30.00" (numbers are refused), '
                f"got {_describe(value)}",
            )
        if not isinstance(value, str):
            raise self.fail(path, f'must be a money string such as "30.00", got {_describe(value)}')
        match = _MONEY.fullmatch(value)
        if match is None or not value.isascii():
            raise self.fail(
                path, f'must be digits with an optional decimal part, like "30.00", got {value!r}'
            )
        digits = currency_precision(self.currency)
        decimals = match.group(1)
        if decimals is not None and len(decimals) > digits:
            raise self.fail(
                path, f"{value!r} has more decimals than {self.currency}'s {digits} minor units"
            )
        if decimals is not None and digits == 0:
            raise self.fail(path, f"{value!r}: {self.currency} has no minor units")
        return Money(Decimal(value), self.currency)

    def moment(self, value: Any, path: str) -> dt.datetime:
        assert self.tz is not None
        if not isinstance(value, str):
            raise self.fail(path, f"must be an ISO 8601 date-time string, got {_describe(value)}")
        if len(value) < 16 or not _DATE.match(value) or value[10] not in "T ":
            raise self.fail(
                path, f"must be an ISO 8601 date-time like 2026-03-02T17:30:00, got {value!r}"
            )
        try:
            # The common shape takes the fast standard-library parser; the rest of ISO 8601
            # (a "Z", a comma fraction, ...) goes through dateutil's strict parser.
            if _COMMON_MOMENT.fullmatch(value):
                moment = dt.datetime.fromisoformat(value)
            else:
                moment = isoparse(value)
        except (ValueError, OverflowError) as exc:
            raise self.fail(path, f"not a valid ISO 8601 date-time {value!r}: {exc}") from None
        try:
            local = to_local(moment, self.tz, path)
            local.astimezone(dt.timezone.utc)  # the engine compares instants in UTC
            return local
        except InvalidTimeError as exc:
            raise self.fail(path, exc.message) from None
        except OverflowError:
            raise self.fail(path, f"{value!r} is out of range") from None

    def date(self, value: Any, path: str) -> dt.date:
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise self.fail(
                path, f"must be an ISO 8601 date like 2026-03-31, got {_describe(value)}"
            )
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise self.fail(path, f"not a valid date {value!r}: {exc}") from None

    def array(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"must be a list, got {_describe(value)}")
        return value


_PLAIN_KEY = re.compile(r"[^\s.\[\]\"]+")


def _join(path: str, key: Any) -> str:
    # A key that is empty or holds a space, a dot, a bracket, a quote or a control character is
    # written as a JSON string, so the path stays one unambiguous line.
    if not isinstance(key, str):  # a Python mapping, not JSON
        key = _describe(key)
    elif not _PLAIN_KEY.fullmatch(key) or not key.isprintable():
        key = _one_line(json.dumps(key, ensure_ascii=False))
    return key if path in ("", "document") else f"{path}.{key}"


_TOP: Final = (
    "version",
    "at",
    "timezone",
    "currency",
    "settings",
    "policy",
    "rates",
    "cart",
    "packages",
)
_SETTINGS: Final = (
    "any_type",
    "any_location",
    "greater_value",
    "zero_price_items",
    "refund_after_use",
)
_POLICY: Final = ("line_order", "package_order", "valuation", "expires_at")
_CART: Final = ("owner", "location", "lines")
_LINE: Final = ("id", "item", "for", "unit_price", "units", "charge_by", "credit_values")
_PACKAGE: Final = (
    "id",
    "owner",
    "location",
    "for",
    "purchased_at",
    "expires_on",
    "days_to_expiration",
    "expiry_starts",
    "first_used_at",
    "pricing_rules",
    "credits",
)
_CREDIT: Final = ("item", "remaining", "hourly")


class Scenario:
    """A validated scenario: the arguments of :func:`punchcard.apply`, ready to run."""

    __slots__ = ("at", "cart", "packages", "policy", "rates", "settings", "timezone")

    def __init__(
        self,
        *,
        at: dt.datetime,
        timezone: dt.tzinfo,
        cart: Cart,
        packages: tuple[Package, ...],
        settings: Settings,
        policy: Policy,
        rates: Rates,
    ) -> None:
        self.at = at
        self.timezone = timezone
        self.cart = cart
        self.packages = packages
        self.settings = settings
        self.policy = policy
        self.rates = rates

    def run(self) -> Application:
        """Apply the packages to the cart."""
        return apply(
            self.cart,
            self.packages,
            as_of=self.at,
            timezone=self.timezone,
            settings=self.settings,
            policy=self.policy,
            rates=self.rates,
        )


def parse(document: Any) -> Scenario:
    """Validate a scenario document (a parsed JSON object) and build the engine's values.

    A document of plain JSON values that is valid takes a fast path (:func:`_parse_fast`) that
    checks every field inline and builds the values without checking them again. Anything it
    does not recognise at once, which includes every error, goes through the careful reader
    (:func:`_parse_checked`), which reports the first error found with its path.

    >>> scenario = parse({
    ...     "at": "2026-03-02T17:30:00", "timezone": "America/New_York", "currency": "USD",
    ...     "cart": {"owner": "smith", "location": "downtown", "lines": []}, "packages": [],
    ... })
    >>> scenario.cart
    Cart(owner='smith', location='downtown', currency='USD', lines=(), id=None)
    """
    scenario = _parse_fast(document)
    if scenario is None:
        scenario = _parse_checked(document)
    return scenario


def _parse_checked(document: Any) -> Scenario:
    """:func:`parse` field by field, naming the path of the first error found."""
    r = _Reader()
    doc = r.obj(document, "document", _TOP)
    if "version" in doc:
        version = doc["version"]
        if isinstance(version, bool) or not isinstance(version, int) or version != FORMAT_VERSION:
            raise r.fail("version", f"must be the integer 1, got {_describe(version)}")

    # The currency and the zone first: every amount and date-time is read with them.
    currency = doc.get("currency")
    if "currency" not in doc:
        raise r.fail("currency", "is required")
    if not isinstance(currency, str):
        raise r.fail(
            "currency", f"must be an ISO 4217 currency code (a string), got {_describe(currency)}"
        )
    try:
        currency_precision(currency)
    except InvalidValueError as exc:
        raise r.fail("currency", exc.message) from None
    r.currency = currency
    if "timezone" not in doc:
        raise r.fail("timezone", "is required")
    tz_name = doc["timezone"]
    if not isinstance(tz_name, str):
        raise r.fail("timezone", f"must be an IANA time zone name, got {_describe(tz_name)}")
    try:
        r.tz = zone(tz_name)
    except InvalidValueError as exc:
        raise r.fail("timezone", exc.message) from None

    at = r.moment(r.required(doc, "at", ""), "at")
    settings = _settings(r, doc.get("settings", {}))
    policy = _policy(r, doc.get("policy", {}))
    rates = _rates(r, doc.get("rates", {}))
    cart = _cart(r, r.required(doc, "cart", ""), currency)
    if policy.line_order.name == "optimal":
        from .limits import MAX_OPTIMAL_LINES as MAX_LINES

        if len(cart.lines) > MAX_LINES:
            raise r.fail(
                "policy.line_order",
                f"'optimal' allocates carts of at most {MAX_LINES} lines; this one has "
                f"{len(cart.lines)}",
            )
    packages = _packages(r, r.required(doc, "packages", ""))
    return Scenario(
        at=at,
        timezone=r.tz,
        cart=cart,
        packages=packages,
        settings=settings,
        policy=policy,
        rates=rates,
    )


def _settings(r: _Reader, value: Any) -> Settings:
    obj = r.obj(value, "settings", _SETTINGS)
    flags = {key: r.boolean(obj[key], f"settings.{key}") for key in _SETTINGS if key in obj}
    if flags.get("greater_value") and not flags.get("any_type"):
        raise r.fail("settings.greater_value", "requires settings.any_type to be true")
    return Settings(**flags)


def _policy(r: _Reader, value: Any) -> Policy:
    obj = r.obj(value, "policy", _POLICY)
    kwargs: dict[str, Any] = {}
    if "line_order" in obj:
        kwargs["line_order"] = r.choice(obj["line_order"], "policy.line_order", tuple(LINE_ORDERS))
    if "package_order" in obj:
        kwargs["package_order"] = r.choice(
            obj["package_order"], "policy.package_order", tuple(PACKAGE_ORDERS)
        )
    if "valuation" in obj:
        kwargs["valuation"] = r.choice(obj["valuation"], "policy.valuation", tuple(VALUATIONS))
    if "expires_at" in obj:
        text = obj["expires_at"]
        if not isinstance(text, str):
            raise r.fail("policy.expires_at", f"must be a string 'HH:MM', got {_describe(text)}")
        try:
            parse_time_of_day(text)
        except InvalidValueError as exc:
            raise r.fail("policy.expires_at", exc.message) from None
        kwargs["expires_at"] = text
    return Policy(**kwargs)


def _rates(r: _Reader, value: Any) -> Rates:
    obj = r.obj(value, "rates", tuple(value) if isinstance(value, Mapping) else ())
    entries: list[tuple[str, str, Money]] = []
    for location, items in obj.items():
        path = _join("rates", location)
        r.string(location, path)
        table = r.obj(items, path, tuple(items) if isinstance(items, Mapping) else ())
        for item, money in table.items():
            item_path = _join(path, item)
            r.string(item, item_path)
            entries.append((location, item, r.money(money, item_path)))
    return Rates(tuple(entries))


def _cart(r: _Reader, value: Any, currency: str) -> Cart:
    obj = r.obj(value, "cart", _CART)
    owner = r.string(r.required(obj, "owner", "cart"), "cart.owner")
    location = r.string(r.required(obj, "location", "cart"), "cart.location")
    raw_lines = r.array(r.required(obj, "lines", "cart"), "cart.lines")
    lines: list[Line] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_lines):
        path = f"cart.lines[{i}]"
        line = r.obj(raw, path, _LINE)
        line_id = r.string(r.required(line, "id", path), f"{path}.id")
        if line_id in seen:
            raise r.fail(f"{path}.id", f"duplicate line id {line_id!r}")
        seen.add(line_id)
        item = r.string(r.required(line, "item", path), f"{path}.item")
        unit_price = r.money(r.required(line, "unit_price", path), f"{path}.unit_price")
        units = r.whole(line.get("units", 1), f"{path}.units", 1)
        beneficiary = r.optional_string(line.get("for"), f"{path}.for")
        charge_by = r.choice(line.get("charge_by", "each"), f"{path}.charge_by", CHARGE_BY)
        raw_values = line.get("credit_values", {})
        cv_path = f"{path}.credit_values"
        values = r.obj(
            raw_values, cv_path, tuple(raw_values) if isinstance(raw_values, Mapping) else ()
        )
        credit_values = {
            r.string(key, _join(cv_path, key)): r.money(money, _join(cv_path, key))
            for key, money in values.items()
        }
        lines.append(
            Line(
                line_id,
                item,
                unit_price,
                units=units,
                beneficiary=beneficiary,
                charge_by=charge_by,  # type: ignore[arg-type]
                credit_values=credit_values,
            )
        )
    return Cart(owner, location, currency, lines)


def _packages(r: _Reader, value: Any) -> tuple[Package, ...]:
    raw_packages = r.array(value, "packages")
    packages: list[Package] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_packages):
        path = f"packages[{i}]"
        obj = r.obj(raw, path, _PACKAGE)
        package_id = r.string(r.required(obj, "id", path), f"{path}.id")
        if package_id in seen:
            raise r.fail(f"{path}.id", f"duplicate package id {package_id!r}")
        seen.add(package_id)
        owner = r.string(r.required(obj, "owner", path), f"{path}.owner")
        location = r.optional_string(obj.get("location"), f"{path}.location")
        beneficiary = r.optional_string(obj.get("for"), f"{path}.for")
        purchased_at = r.moment(r.required(obj, "purchased_at", path), f"{path}.purchased_at")
        raw_expires = obj.get("expires_on")
        expires_on = None if raw_expires is None else r.date(raw_expires, f"{path}.expires_on")
        raw_days = obj.get("days_to_expiration")
        days = None if raw_days is None else r.whole(raw_days, f"{path}.days_to_expiration", 0)
        starts = r.choice(
            obj.get("expiry_starts", "sale"), f"{path}.expiry_starts", ("sale", "first_use")
        )
        raw_first = obj.get("first_used_at")
        first_used_at = None if raw_first is None else r.moment(raw_first, f"{path}.first_used_at")
        pricing_rules = r.boolean(obj.get("pricing_rules", False), f"{path}.pricing_rules")
        raw_credits = r.array(r.required(obj, "credits", path), f"{path}.credits")
        if not raw_credits:
            raise r.fail(f"{path}.credits", "must hold at least one credit component")
        components: list[Component] = []
        items: set[str] = set()
        for j, raw_credit in enumerate(raw_credits):
            cpath = f"{path}.credits[{j}]"
            credit = r.obj(raw_credit, cpath, _CREDIT)
            item = r.string(r.required(credit, "item", cpath), f"{cpath}.item")
            if item in items:
                raise r.fail(f"{cpath}.item", f"item {item!r} appears twice in the package")
            items.add(item)
            remaining = r.whole(r.required(credit, "remaining", cpath), f"{cpath}.remaining", 0)
            hourly = r.boolean(credit.get("hourly", False), f"{cpath}.hourly")
            components.append(Component(item, remaining, hourly=hourly))
        packages.append(
            Package(
                id=package_id,
                owner=owner,
                purchased_at=purchased_at,
                components=components,
                location=location,
                beneficiary=beneficiary,
                expires_on=expires_on,
                days_to_expiration=days,
                expiry_starts=starts,  # type: ignore[arg-type]
                first_used_at=first_used_at,
                pricing_rules=pricing_rules,
            )
        )
    return tuple(packages)


# -- the fast path -----------------------------------------------------------------------------
#
# A till evaluates the same kind of document on every keystroke: plain dicts, lists, strings and
# integers, all valid. _parse_fast reads such a document with inline checks, each at least as
# strict as the careful reader's and the models' own validators (and __attrs_post_init__), and
# builds the models without running them again (see _new_line and the others below). At the
# first thing it does not recognise at once (a wrong type or value, a Mapping that is not a
# dict, a str or int subclass, a date-time in a rarer ISO 8601 shape, ...) it returns None: the
# careful reader then reads the document from the start, so every error keeps its path, its
# message and its order, and the fast path needs no error messages of its own.
#
# Equal amounts within one document share one Money value. Nothing else read from a document
# is kept once the call returns, apart from the interned Settings and Policy values below.

_TOP_KEYS: Final = frozenset(_TOP)
_SETTINGS_KEYS: Final = frozenset(_SETTINGS)
_POLICY_KEYS: Final = frozenset(_POLICY)
_CART_KEYS: Final = frozenset(_CART)
_LINE_KEYS: Final = frozenset(_LINE)
_PACKAGE_KEYS: Final = frozenset(_PACKAGE)
_CREDIT_KEYS: Final = frozenset(_CREDIT)
_CHARGE_BY_SET: Final[frozenset[str]] = frozenset(CHARGE_BY)
_EXPIRY_STARTS: Final = frozenset(("sale", "first_use"))
_ABSENT: Final[Any] = object()
_EMPTY: Final[Mapping[str, Any]] = {}
_POLICY_DEFAULTS: Final = ("cheapest_first", "fifo", "line_price", "23:59")

# Settings and Policy values are interned by their names and flags: a few immutable values that
# every document names again (and the engine compiles a policy once per Policy value). Nothing a
# document holds besides those names is kept from one call to the next.
_MEMO_LIMIT: Final = 4096
#: the five flags -> Settings (32 at most).
_SETTINGS_MEMO: dict[tuple[bool, ...], Settings] = {}
#: (line_order, package_order, valuation, expires_at) -> Policy (emptied at _MEMO_LIMIT).
_POLICY_MEMO: dict[tuple[str, str, str, str], Policy] = {}

_new = object.__new__
_set = object.__setattr__


def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(field.name for field in attrs.fields(cls))


#: Whether the models hold exactly the fields that _new_line and the others set. If a model
#: gains or loses one, they fall back to build_trusted (slower, and just as right) and
#: tests/test_scenario_fast.py fails until they are brought up to date.
_SHAPES_KNOWN: Final = (
    _field_names(Component) == ("item", "remaining", "hourly", "items", "substitutes", "overdraft")
    and _field_names(Line)
    == ("id", "item", "unit_price", "units", "beneficiary", "charge_by", "credit_values")
    and _field_names(Cart) == ("owner", "location", "currency", "lines", "id")
    and _field_names(Package)
    == (
        "id",
        "owner",
        "purchased_at",
        "components",
        "location",
        "beneficiary",
        "expires_on",
        "days_to_expiration",
        "expiry_starts",
        "first_used_at",
        "pricing_rules",
        "priority",
        "valid_from",
        "valid_for",
        "pauses",
        "balance",
        "items",
        "version",
    )
)


# The four builders below are build_trusted written out for one class each (3 times faster):
# every field is given, already checked and in its converted form; memos start empty.


def _new_component(item: str, remaining: int, hourly: bool) -> Component:
    if not _SHAPES_KNOWN:  # pragma: no cover - only while the models change
        return build_trusted(Component, item=item, remaining=remaining, hourly=hourly)
    component = _new(Component)
    _set(component, "item", item)
    _set(component, "remaining", remaining)
    _set(component, "hourly", hourly)
    _set(component, "items", ())
    _set(component, "substitutes", ())
    _set(component, "overdraft", 0)
    return component


def _new_line(
    line_id: str,
    item: str,
    unit_price: Money,
    units: int,
    beneficiary: str | None,
    charge_by: str,
    credit_values: tuple[tuple[str, Money], ...],
) -> Line:
    if not _SHAPES_KNOWN:  # pragma: no cover - only while the models change
        return build_trusted(
            Line,
            id=line_id,
            item=item,
            unit_price=unit_price,
            units=units,
            beneficiary=beneficiary,
            charge_by=charge_by,
            credit_values=credit_values,
        )
    line = _new(Line)
    _set(line, "id", line_id)
    _set(line, "item", item)
    _set(line, "unit_price", unit_price)
    _set(line, "units", units)
    _set(line, "beneficiary", beneficiary)
    _set(line, "charge_by", charge_by)
    _set(line, "credit_values", credit_values)
    return line


def _new_cart(owner: str, location: str, currency: str, lines: tuple[Line, ...]) -> Cart:
    if not _SHAPES_KNOWN:  # pragma: no cover - only while the models change
        return build_trusted(Cart, owner=owner, location=location, currency=currency, lines=lines)
    cart = _new(Cart)
    _set(cart, "owner", owner)
    _set(cart, "location", location)
    _set(cart, "currency", currency)
    _set(cart, "lines", lines)
    _set(cart, "id", None)
    return cart


def _new_package(
    package_id: str,
    owner: str,
    purchased_at: dt.datetime,
    components: tuple[Component, ...],
    location: str | None,
    beneficiary: str | None,
    expires_on: dt.date | None,
    days_to_expiration: int | None,
    expiry_starts: str,
    first_used_at: dt.datetime | None,
    pricing_rules: bool,
) -> Package:
    if not _SHAPES_KNOWN:  # pragma: no cover - only while the models change
        return build_trusted(
            Package,
            id=package_id,
            owner=owner,
            purchased_at=purchased_at,
            components=components,
            location=location,
            beneficiary=beneficiary,
            expires_on=expires_on,
            days_to_expiration=days_to_expiration,
            expiry_starts=expiry_starts,
            first_used_at=first_used_at,
            pricing_rules=pricing_rules,
        )
    package = _new(Package)
    _set(package, "id", package_id)
    _set(package, "owner", owner)
    _set(package, "purchased_at", purchased_at)
    _set(package, "components", components)
    _set(package, "location", location)
    _set(package, "beneficiary", beneficiary)
    _set(package, "expires_on", expires_on)
    _set(package, "days_to_expiration", days_to_expiration)
    _set(package, "expiry_starts", expiry_starts)
    _set(package, "first_used_at", first_used_at)
    _set(package, "pricing_rules", pricing_rules)
    _set(package, "priority", 50)
    _set(package, "valid_from", None)
    _set(package, "valid_for", None)
    _set(package, "pauses", ())
    _set(package, "balance", None)
    _set(package, "items", None)
    _set(package, "version", 0)
    return package


def _fast_moment(value: Any, tz: dt.tzinfo) -> dt.datetime | None:
    """The local date-time :meth:`_Reader.moment` makes of *value*, or None (take the careful
    path: a rarer ISO 8601 shape, or anything wrong)."""
    if type(value) is not str:
        return None
    try:
        if _COMMON_MOMENT.fullmatch(value) is not None:
            moment = dt.datetime.fromisoformat(value)
        elif _COMMON_UTC.fullmatch(value) is not None:  # what dateutil reads as UTC
            moment = dt.datetime.fromisoformat(value[:-1]).replace(tzinfo=dt.timezone.utc)
        else:
            return None
        local = to_local(moment, tz)
        local.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):  # InvalidTimeError is a ValueError
        return None
    return local


def _fast_money(value: Any, amounts: dict[str, Money], currency: str, digits: int) -> Money | None:
    """The Money :meth:`_Reader.money` makes of *value* (*amounts*: the amounts of *currency*,
    which has *digits* minor units, already read in this document), or None (take the careful
    path)."""
    if type(value) is not str:
        return None
    found = amounts.get(value)
    if found is not None:
        return found
    match = _MONEY.fullmatch(value)
    if match is None or not value.isascii():
        return None
    decimals = match.group(1)
    if decimals is None:
        text = value + "0" * digits
    elif len(decimals) > digits:  # (also every decimal of a currency with no minor units)
        return None
    else:
        text = value[: match.start(1) - 1] + decimals + "0" * (digits - len(decimals))
    try:
        minor = int(text)
    except ValueError:  # more digits than int() reads from a string: Decimal reads them
        return None
    money = amounts[value] = Money.from_minor(minor, currency)
    return money


def _fast_date(value: Any) -> dt.date | None:
    """The date :meth:`_Reader.date` makes of *value*, or None (take the careful path)."""
    if type(value) is not str or _DATE.fullmatch(value) is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _fast_settings(raw: Any) -> Settings | None:
    if raw is _ABSENT:
        raw = _EMPTY
    elif type(raw) is not dict or not raw.keys() <= _SETTINGS_KEYS:
        return None
    flags = tuple([raw.get(key, False) for key in _SETTINGS])
    for flag in flags:
        if type(flag) is not bool:
            return None
    found = _SETTINGS_MEMO.get(flags)
    if found is None:
        if flags[2] and not flags[0]:  # greater_value without any_type
            return None
        found = _SETTINGS_MEMO[flags] = Settings(*flags)
    return found


def _fast_policy(raw: Any) -> Policy | None:
    if raw is _ABSENT:
        key = _POLICY_DEFAULTS
    elif type(raw) is not dict or not raw.keys() <= _POLICY_KEYS:
        return None
    else:
        get = raw.get
        line_order = get("line_order", "cheapest_first")
        package_order = get("package_order", "fifo")
        valuation = get("valuation", "line_price")
        expires_at = get("expires_at", "23:59")
        if not (
            type(line_order) is str
            and type(package_order) is str
            and type(valuation) is str
            and type(expires_at) is str
        ):
            return None
        key = (line_order, package_order, valuation, expires_at)
    found = _POLICY_MEMO.get(key)
    if found is None:
        line_order, package_order, valuation, expires_at = key
        if (
            line_order not in LINE_ORDERS
            or package_order not in PACKAGE_ORDERS
            or valuation not in VALUATIONS
        ):
            return None
        try:
            parse_time_of_day(expires_at)
        except InvalidValueError:
            return None
        if len(_POLICY_MEMO) >= _MEMO_LIMIT:
            _POLICY_MEMO.clear()
        found = _POLICY_MEMO[key] = Policy(
            line_order=line_order,
            package_order=package_order,
            valuation=valuation,
            expires_at=expires_at,
        )
    return found


def _fast_rates(raw: Any, amounts: dict[str, Money], currency: str, digits: int) -> Rates | None:
    if raw is _ABSENT:
        raw = _EMPTY
    elif type(raw) is not dict:
        return None
    entries: list[tuple[str, str, Money]] = []
    for location, items in raw.items():
        if type(location) is not str or not location or type(items) is not dict:
            return None
        for item, text in items.items():
            if type(item) is not str or not item:
                return None
            money = _fast_money(text, amounts, currency, digits)
            if money is None:
                return None
            entries.append((location, item, money))
    # (The constructor builds the index; nothing in a dict of dicts can repeat a pair.)
    return Rates(tuple(entries))


def _parse_fast(document: Any) -> Scenario | None:
    """:func:`parse` of a valid document of plain JSON values, or None (see above)."""
    if type(document) is not dict or not document.keys() <= _TOP_KEYS:
        return None
    doc: dict[str, Any] = document
    version = doc.get("version", FORMAT_VERSION)
    if type(version) is not int or version != FORMAT_VERSION:
        return None
    currency = doc.get("currency")
    tz_name = doc.get("timezone")
    if type(currency) is not str or type(tz_name) is not str:
        return None
    try:
        digits = currency_precision(currency)
        tz = zone(tz_name)
    except InvalidValueError:
        return None
    at = _fast_moment(doc.get("at"), tz)
    if at is None:
        return None
    settings = _fast_settings(doc.get("settings", _ABSENT))
    if settings is None:
        return None
    policy = _fast_policy(doc.get("policy", _ABSENT))
    if policy is None:
        return None
    amounts: dict[str, Money] = {}  # equal amounts of this document share one Money value
    rates = _fast_rates(doc.get("rates", _ABSENT), amounts, currency, digits)
    if rates is None:
        return None
    cart = _fast_cart(doc.get("cart"), amounts, currency, digits)
    if cart is None:
        return None
    if policy.line_order.name == "optimal":
        from .limits import MAX_OPTIMAL_LINES as MAX_LINES

        if len(cart.lines) > MAX_LINES:
            return None
    packages = _fast_packages(doc.get("packages"), tz)
    if packages is None:
        return None
    return Scenario(
        at=at,
        timezone=tz,
        cart=cart,
        packages=packages,
        settings=settings,
        policy=policy,
        rates=rates,
    )


def _fast_cart(raw: Any, amounts: dict[str, Money], currency: str, digits: int) -> Cart | None:
    if type(raw) is not dict or not raw.keys() <= _CART_KEYS:
        return None
    owner = raw.get("owner")
    location = raw.get("location")
    raw_lines = raw.get("lines")
    if type(owner) is not str or not owner or type(location) is not str or not location:
        return None
    if type(raw_lines) is not list:
        return None
    lines: list[Line] = []
    seen: set[str] = set()
    for line in raw_lines:
        if type(line) is not dict or not line.keys() <= _LINE_KEYS:
            return None
        get = line.get
        line_id = get("id")
        item = get("item")
        if type(line_id) is not str or not line_id or line_id in seen:
            return None
        seen.add(line_id)
        if type(item) is not str or not item:
            return None
        unit_price = _fast_money(get("unit_price"), amounts, currency, digits)
        if unit_price is None:
            return None
        units = get("units", 1)
        if type(units) is not int or units < 1:
            return None
        beneficiary = get("for")
        if beneficiary is not None and (type(beneficiary) is not str or not beneficiary):
            return None
        charge_by = get("charge_by", "each")
        if type(charge_by) is not str or charge_by not in _CHARGE_BY_SET:
            return None
        raw_values = get("credit_values", _EMPTY)
        if type(raw_values) is not dict:
            return None
        credit_values: tuple[tuple[str, Money], ...] = ()
        if raw_values:
            pairs: list[tuple[str, Money]] = []
            for value_item, text in raw_values.items():
                if type(value_item) is not str or not value_item:
                    return None
                money = _fast_money(text, amounts, currency, digits)
                if money is None:
                    return None
                pairs.append((value_item, money))
            pairs.sort(key=_first_of_pair)  # the converter's order (keys of a dict are unique)
            credit_values = tuple(pairs)
        lines.append(
            _new_line(line_id, item, unit_price, units, beneficiary, charge_by, credit_values)
        )
    return _new_cart(owner, location, currency, tuple(lines))


def _first_of_pair(pair: tuple[str, Money]) -> str:
    return pair[0]


def _fast_packages(raw: Any, tz: dt.tzinfo) -> tuple[Package, ...] | None:
    if type(raw) is not list:
        return None
    packages: list[Package] = []
    seen: set[str] = set()
    for obj in raw:
        if type(obj) is not dict or not obj.keys() <= _PACKAGE_KEYS:
            return None
        get = obj.get
        package_id = get("id")
        owner = get("owner")
        if type(package_id) is not str or not package_id or package_id in seen:
            return None
        seen.add(package_id)
        if type(owner) is not str or not owner:
            return None
        location = get("location")
        if location is not None and (type(location) is not str or not location):
            return None
        beneficiary = get("for")
        if beneficiary is not None and (type(beneficiary) is not str or not beneficiary):
            return None
        raw_purchased = get("purchased_at")
        purchased_at = _fast_moment(raw_purchased, tz)
        if purchased_at is None:
            return None
        raw_expires = get("expires_on")
        expires_on = None
        if raw_expires is not None:
            expires_on = _fast_date(raw_expires)
            if expires_on is None:
                return None
        days = get("days_to_expiration")
        if days is not None and (type(days) is not int or days < 0):
            return None
        starts = get("expiry_starts", "sale")
        if type(starts) is not str or starts not in _EXPIRY_STARTS:
            return None
        raw_first = get("first_used_at")
        first_used_at = None
        if raw_first is not None:
            first_used_at = _fast_moment(raw_first, tz)
            if first_used_at is None:
                return None
        pricing_rules = get("pricing_rules", False)
        if type(pricing_rules) is not bool:
            return None
        raw_credits = get("credits")
        if type(raw_credits) is not list or not raw_credits:
            return None
        parts: list[tuple[str, int, bool]] = []
        items: set[str] = set()
        for credit in raw_credits:
            if type(credit) is not dict or not credit.keys() <= _CREDIT_KEYS:
                return None
            item = credit.get("item")
            if type(item) is not str or not item or item in items:
                return None
            items.add(item)
            remaining = credit.get("remaining")
            if type(remaining) is not int or remaining < 0:
                return None
            hourly = credit.get("hourly", False)
            if type(hourly) is not bool:
                return None
            parts.append((item, remaining, hourly))
        package = _new_package(
            package_id,
            owner,
            purchased_at,
            tuple([_new_component(*part) for part in parts]),
            location,
            beneficiary,
            expires_on,
            days,
            starts,
            first_used_at,
            pricing_rules,
        )
        packages.append(package)
    return tuple(packages)


def render(
    result: Application,
    packages: tuple[Package, ...],
    tz: dt.tzinfo,
    *,
    expires_at: dt.timedelta | None = None,
) -> dict[str, Any]:
    """The result document of docs/scenario-format.md, keys in the documented order.

    *packages* are the input packages of *result*. What a package shows after the cart is its
    input state less the credits redeemed from it, with the checkout time as its first use if it
    had none (the new states of ``result.packages``, without building them). With the policy's
    *expires_at*, expiry dates the engine already worked out are read from its memo.
    """
    rendered: list[dict[str, Any]] = []
    first_uses = set(result.first_uses)
    for p in result.packages:
        first_used_at = p.first_used_at
        first_text: str | None
        if p.id in first_uses:
            first_text = result.at.isoformat()
        else:
            first_text = None if first_used_at is None else to_local(first_used_at, tz).isoformat()
        times = result.times(p.id)
        rendered.append(
            {
                "id": p.id,
                "remaining": {c.item: c.remaining for c in p.components},
                "expires_on": _iso_date(times.expires_on),
                "first_used_at": first_text,
            }
        )
    return {
        "currency": result.currency,
        "total": str(result.total),
        "covered": str(result.covered),
        "due": str(result.due),
        "lines": [
            {
                "id": line.line_id,
                "total": str(line.total),
                "covered": str(line.covered),
                "due": str(line.due),
                "credits": line.credits,
            }
            for line in result.lines
        ],
        "redemptions": [
            {
                "line": r.line_id,
                "package": r.package_id,
                "item": r.item,
                "credits": r.credits,
                "amount": str(r.amount),
            }
            for r in result.redemptions
        ],
        "rejections": [
            {"line": r.line_id, "package": r.package_id, "reason": r.reason}
            for r in result.rejections
        ],
        "packages": rendered,
    }


def _iso_date(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def evaluate(
    document: Mapping[str, Any] | str | bytes, *, explain: bool = False, locale: str = "en_US"
) -> dict[str, Any]:
    """Validate *document*, apply it and return the result document (docs/scenario-format.md).

    *document* is a parsed JSON object (or a JSON text). With *explain*, the result also holds
    ``"explanation"``: one sentence per line, money formatted for *locale* with babel.
    Raises :class:`~punchcard.errors.ScenarioError` (with ``.path``) for bad input; never returns
    a partial result.
    """
    if isinstance(document, (str, bytes)):
        document = loads(document)
    scenario = parse(document)
    if explain:
        _check_locale(locale)
    try:
        application = scenario.run()
    except PunchcardError as exc:  # pragma: no cover - parse() validates everything first
        raise ScenarioError("document", str(exc)) from exc
    result = render(
        application,
        scenario.packages,
        scenario.timezone,
        expires_at=scenario.policy.expires_at_delta,
    )
    if explain:
        result["explanation"] = explain_lines(scenario, application, locale)
    return result


def _check_locale(locale: str) -> None:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        raise ScenarioError("--locale", f"unknown locale {locale!r}") from None


def explain(document: Mapping[str, Any] | str | bytes, locale: str = "en_US") -> list[str]:
    """The readable sentences of :func:`evaluate` with ``explain=True`` alone."""
    return list(evaluate(document, explain=True, locale=locale)["explanation"])


def explain_lines(scenario: Scenario, application: Application, locale: str) -> list[str]:
    """One sentence per cart line saying what paid for it and why other packages did not."""
    sentences: list[str] = []
    by_line: dict[str, list[str]] = {}
    for redemption in application.redemptions:
        credits = "credit" if redemption.credits == 1 else "credits"
        by_line.setdefault(redemption.line_id, []).append(
            f"{redemption.credits} {redemption.item} {credits} from package {redemption.package_id}"
            f" ({redemption.amount.format(locale)})"
        )
    reasons: dict[str, list[str]] = {}
    for rejection in application.rejections:
        detail = f" ({rejection.detail})" if rejection.detail else ""
        reasons.setdefault(rejection.line_id, []).append(
            f"{rejection.package_id}: {rejection.reason}{detail}"
        )
    for line, result in zip(scenario.cart.lines, application.lines, strict=True):
        who = f" for {line.beneficiary}" if line.beneficiary else ""
        unit = "unit" if line.units == 1 else "units"
        head = (
            f"Line {line.id} ({line.item}{who}, {line.units} {unit} at "
            f"{line.unit_price.format(locale)})"
        )
        used = by_line.get(line.id)
        if used and not result.due:
            body = f"paid in full by {' and '.join(used)}"
        elif used:
            body = (
                f"{result.covered.format(locale)} covered by {' and '.join(used)}; "
                f"{result.due.format(locale)} due"
            )
        else:
            body = f"no credit applied; {result.due.format(locale)} due"
        sentence = f"{head}: {body}."
        if line.id in reasons:
            sentence += f" Not used: {'; '.join(reasons[line.id])}."
        sentences.append(sentence)
    if not sentences:
        sentences.append("The cart is empty: nothing to pay for.")
    return sentences


def dumps(result: Mapping[str, Any]) -> str:
    """The result as the CLI prints it: 2-space indent, non-ASCII as is, a final newline."""
    return json.dumps(result, indent=2, ensure_ascii=False) + "\n"
