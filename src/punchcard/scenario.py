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
import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from . import _format
from ._booking import booking_policy, cap_uses
from ._format import FORMAT_VERSION, MAX_PACKAGES, Constant
from .engine import apply
from .errors import InvalidValueError, PunchcardError, ScenarioError
from .explanations import explain as explain_sentences
from .limits import MAX_PAIRS
from .models import Cart, Package, Rates, Settings
from .policy import CompiledPolicy, Policy
from .results import Application
from .timeutil import to_local

__all__ = [
    "FORMAT_VERSION",
    "MAX_PACKAGES",
    "MAX_PAIRS",
    "Scenario",
    "dumps",
    "evaluate",
    "explain",
    "input_schema",
    "loads",
    "output_schema",
    "parse",
    "render",
]


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
        return json.loads(text, object_pairs_hook=_format.pairs, parse_constant=Constant)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            "document", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:  # e.g. integers with too many digits
        raise ScenarioError("document", f"not valid JSON: {exc}") from None


class Scenario:
    """A validated scenario: the arguments of :func:`punchcard.apply`, ready to run."""

    __slots__ = (
        "at",
        "booked_at",
        "cart",
        "packages",
        "policy",
        "rates",
        "room",
        "settings",
        "timezone",
    )

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
        room: Mapping[tuple[str, str], int] | None = None,
        booked_at: dt.datetime | None = None,
    ) -> None:
        self.at = at
        self.timezone = timezone
        self.cart = cart
        self.packages = packages
        self.settings = settings
        self.policy = policy
        self.rates = rates
        #: (package id, item) -> uses left this period (``credits[].uses_left``).
        self.room: Mapping[tuple[str, str], int] = {} if room is None else room
        #: When the booking was made (``booked_at``): the expiry is judged then.
        self.booked_at = booked_at

    def withheld(self) -> dict[tuple[str, str], int]:
        """The credits the uses left of each credit keep from the engine, by (package id, item)
        (what :func:`render` adds back to the credits shown left)."""
        out: dict[tuple[str, str], int] = {}
        for package in self.packages:
            for c in package.components:
                left = self.room.get((package.id, c.item))
                if left is not None and c.remaining > left:
                    out[package.id, c.item] = c.remaining - left
        return out

    def run(self) -> Application:
        """Apply the packages to the cart (with the uses left of each credit that gives them,
        and the expiry judged at ``booked_at`` when given)."""
        packages: Sequence[Package] = self.packages
        compiled = _compiled(self.policy)
        if self.room or self.booked_at is not None:
            packages, capped = cap_uses(packages, self.room)
            at = to_local(self.at, self.timezone)
            booked = None if self.booked_at is None else to_local(self.booked_at, self.timezone)
            policy = booking_policy(self.policy, capped, booked, at)
            if policy is not self.policy:  # its rules hold this document's ids or time: not kept
                compiled = policy.compile()
        return apply(
            self.cart,
            packages,
            as_of=self.at,
            timezone=self.timezone,
            settings=self.settings,
            policy=compiled,
            rates=self.rates,
        )


@functools.lru_cache(maxsize=64)
def _compiled(policy: Policy) -> CompiledPolicy:
    # The documents of a business name the same few policies (the reader gives equal names one
    # Policy value): each is compiled once, and keeps its forms per settings (Policy.compile).
    # Only a document's own policy is kept here, never one made for its booking (Scenario.run).
    return policy.compile()


def parse(document: Any) -> Scenario:
    """Validate a scenario document (a parsed JSON object) and build the engine's values.

    The document is read by the one reader made from the description of the format
    (:mod:`punchcard._format`); the first error found is a
    :class:`~punchcard.errors.ScenarioError` with its path.

    >>> scenario = parse({
    ...     "at": "2026-03-02T17:30:00", "timezone": "America/New_York", "currency": "USD",
    ...     "cart": {"owner": "smith", "location": "downtown", "lines": []}, "packages": [],
    ... })
    >>> scenario.cart
    Cart(owner='smith', location='downtown', currency='USD', lines=(), id=None)
    >>> parse({**{"at": "2026-03-02T17:30:00", "timezone": "America/New_York"}, "currency": "usd"})
    Traceback (most recent call last):
    ...
    punchcard.errors.ScenarioError: currency: must be a three-letter ISO 4217 code, got 'usd'
    """
    try:
        values = _format.read_document(document)
    except _format.Bad as bad:
        raise ScenarioError(bad.path, bad.message) from None
    return Scenario(
        at=values["at"],
        timezone=values["timezone"],
        cart=values["cart"],
        packages=values["packages"],
        settings=values["settings"],
        policy=values["policy"],
        rates=values["rates"],
        room=values["room"],
        booked_at=values["booked_at"],
    )


def render(
    result: Application, withheld: Mapping[tuple[str, str], int] | None = None
) -> dict[str, Any]:
    """The result document of docs/scenario-format.md, keys in the documented order.

    The packages are shown as they stand after the cart: the credits or balance left
    (``result.credits_left``, ``result.balance_left``: read from the engine's balances, no
    package is built), with the times the engine works out for them (``result.times``): the
    expiry date and the instant it stops being usable. *withheld*: credits a cap of uses per
    period kept from the engine, by (package id, item), added back to what is shown left.
    """
    withheld = withheld or {}
    tz = result.at.tzinfo
    assert tz is not None
    first_uses = set(result.first_uses)
    at_text = result.at.isoformat()
    rendered: list[dict[str, Any]] = []
    for p in result.inputs:  # (as they were: what changed is read from the result)
        times = result.times(p.id)
        shown: dict[str, Any] = {"id": p.id}
        if p.balance is not None:
            shown["balance"] = str(result.balance_left(p.id))
        else:
            shown["remaining"] = {
                item: left + withheld.get((p.id, item), 0)
                for item, left in result.credits_left(p.id).items()
            }
        shown["expires_on"] = None if times.expires_on is None else times.expires_on.isoformat()
        moment = times.expires_local
        shown["expires_at"] = None if moment is None else moment.isoformat()
        if p.id in first_uses:
            shown["first_used_at"] = at_text
        elif p.first_used_at is None:
            shown["first_used_at"] = None
        else:
            shown["first_used_at"] = to_local(p.first_used_at, tz).isoformat()
        rendered.append(shown)
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


def evaluate(
    document: Mapping[str, Any] | str | bytes, *, explain: bool = False, locale: str = "en_US"
) -> dict[str, Any]:
    """Validate *document*, apply it and return the result document (docs/scenario-format.md).

    *document* is a parsed JSON object (or a JSON text). With *explain*, the result also holds
    ``"explanation"``: one sentence per line for the customer, in the language of *locale*
    (:func:`punchcard.explain`), money and dates formatted for it with babel.
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
    result = render(application, scenario.withheld())
    if explain:
        try:
            result["explanation"] = explain_sentences(application, locale=locale)
        except InvalidValueError as exc:
            if exc.field != "locale":  # pragma: no cover - the document was read already
                raise
            raise ScenarioError("--locale", exc.message) from None
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


def input_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of a scenario document, as shipped in ``punchcard/schema/``.

    It is made from the same description of the format as the reader, so the two cannot drift;
    it states everything JSON Schema can (docs/scenario-format.md lists what it cannot, such as
    unique ids and a currency's minor units).

    >>> schema = input_schema()
    >>> schema["$schema"], schema["required"]
    ('https://json-schema.org/draft/2020-12/schema', ['at', 'timezone', 'currency', 'cart', 'packages'])

    .. versionadded:: 0.1
    """
    return _format.input_schema()


def output_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of a result document (what :func:`evaluate` returns).

    >>> sorted(output_schema()["properties"]["packages"]["items"]["$ref"].split("/")[-1:])
    ['package_result']
    """
    return _format.output_schema()


def dumps(result: Mapping[str, Any]) -> str:
    """The result as the CLI prints it: 2-space indent, non-ASCII as is, a final newline."""
    return json.dumps(result, indent=2, ensure_ascii=False) + "\n"
