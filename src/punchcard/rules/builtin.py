"""The rules of ``docs/semantics.md`` (R1–R11 and R4a), in the order they are checked.

Each is a small frozen object with a reason ``code``, a ``scope``, a ``check`` method that explains
a failure, and a ``predicate(settings)`` that gives the engine its fast form (or ``None`` where the
settings mean it cannot fail). The first rule that fails is the reason reported for a candidate.
"""

from __future__ import annotations

from typing import ClassVar, Final

import attrs

from ..context import Candidate, Context
from ..models import Line, Settings
from .base import ELIGIBLE, Predicate, Rule, Scope, Verdict

__all__ = [
    "DEFAULT_RULES",
    "REASON_CODES",
    "BeneficiaryMatches",
    "CreditsLeft",
    "LocationAllowed",
    "NotExpired",
    "NotPaused",
    "OwnerMatches",
    "PriceNotZero",
    "TypeAllowed",
    "UnitMatches",
    "ValidAlready",
    "ValueKnown",
    "ValueWithinPrice",
]


#: The helpers the tests of the built-in rules call (the engine compiles tests with them).
def _use(candidate: Candidate, item: str) -> int:
    """0: the candidate pays *item* as its own; 1: as a listed substitute; 2: cross-item."""
    component = candidate.component
    if component is None or component.pays_as_own(item):
        return 0
    return 1 if item in component.substitutes else 2


def _value_within_price(candidate: Candidate, line: Line, ctx: Context) -> bool:
    value = ctx.credit_value(candidate, line)
    return value is None or value.amount <= line.unit_price.amount


def _balance_pays(candidate: Candidate, line: Line) -> bool:
    items = candidate.package.items
    return items is None or line.item in items


#: The names a built-in rule's ``test`` may use besides ``candidate``, ``package``,
#: ``component``, ``line`` and ``ctx``.
TEST_NAMES: Final[dict[str, object]] = {
    "_use": _use,
    "_value_within_price": _value_within_price,
    "_balance_pays": _balance_pays,
}

_PASSES = """
def passes(self, candidate, line, ctx):
    package = candidate[0]
    component = candidate[1]
    return True if ({test}) else False
"""


class _Builtin:
    """A built-in rule. Its ``test`` is the one statement of what it checks: a Python
    expression over ``candidate``, ``package``, ``component``, ``line`` and ``ctx`` that is true
    when the rule passes. ``passes`` is made from it, and the engine compiles the tests of a
    policy's rules into one function (as attrs writes ``__init__`` once per class);
    ``detail`` explains a failure."""

    __slots__ = ()
    code: ClassVar[str]
    rule_id: ClassVar[str]
    test: ClassVar[str]
    test_names: ClassVar[dict[str, object]] = TEST_NAMES
    #: The ``Settings`` flag under which the rule cannot fail (``None``: no such flag).
    waived_by: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        test = cls.__dict__.get("test")
        if isinstance(test, str):
            namespace = dict(TEST_NAMES)
            exec(_PASSES.format(test=test), namespace)  # the rule's one test, compiled once
            cls.passes = namespace["passes"]  # type: ignore[method-assign,assignment]

    def passes(self, candidate: Candidate, line: Line, ctx: Context) -> bool:
        raise NotImplementedError  # pragma: no cover - made from ``test``

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        raise NotImplementedError  # pragma: no cover

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        if self.passes(candidate, line, ctx):
            return ELIGIBLE
        return Verdict.no(self.code, self.detail(candidate, line, ctx))

    def predicate(self, settings: Settings) -> Predicate | None:
        """The fast form under *settings* (``None``: the rule cannot fail under them, i.e. its
        ``waived_by`` flag is on)."""
        waiver = self.waived_by
        return None if waiver is not None and getattr(settings, waiver) else self.passes


@attrs.frozen
class OwnerMatches(_Builtin):
    """R1: the package belongs to the cart's owner."""

    rule_id: ClassVar[str] = "R1"
    code: ClassVar[str] = "owner_mismatch"
    scope: ClassVar[Scope] = "package"
    test: ClassVar[str] = "package.owner == ctx.cart.owner"

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return "the package belongs to another owner"


@attrs.frozen
class BeneficiaryMatches(_Builtin):
    """R2: a package scoped to one beneficiary pays only for that beneficiary's lines."""

    rule_id: ClassVar[str] = "R2"
    code: ClassVar[str] = "beneficiary_mismatch"
    scope: ClassVar[Scope] = "line"
    test: ClassVar[str] = "package.beneficiary is None or package.beneficiary == line.beneficiary"

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return f"the package is for {candidate.package.beneficiary!r} only"


@attrs.frozen
class ValidAlready(_Builtin):
    """R3: the package was purchased, and its ``valid_from`` reached, by the checkout time."""

    rule_id: ClassVar[str] = "R3"
    code: ClassVar[str] = "not_yet_valid"
    scope: ClassVar[Scope] = "package"
    test: ClassVar[str] = "ctx._times[package.id].valid_utc <= ctx.at_utc"

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        times = ctx.times(candidate.package)
        if times.valid_utc > times.purchased_utc:
            return f"the package is valid from {times.valid_utc.astimezone(ctx.timezone)}"
        return "the package was purchased after the checkout time"


@attrs.frozen
class NotExpired(_Builtin):
    """R4: the package has not expired at the checkout time (23:59 local on its date)."""

    rule_id: ClassVar[str] = "R4"
    code: ClassVar[str] = "expired"
    scope: ClassVar[Scope] = "package"
    test: ClassVar[str] = (
        "(_end := ctx._times[package.id].expires_utc) is None or ctx.at_utc < _end"
    )

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return "the package has expired"


@attrs.frozen
class NotPaused(_Builtin):
    """R4a: the checkout does not fall on a paused date of the package (X7)."""

    rule_id: ClassVar[str] = "R4a"
    code: ClassVar[str] = "paused"
    scope: ClassVar[Scope] = "package"
    test: ClassVar[str] = "not package.pauses or not ctx.is_paused(package)"

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        for pause in candidate.package.pauses:
            if pause.covers(ctx.date):
                return f"the package is paused from {pause.start} to {pause.end}"
        return "the package is paused"  # pragma: no cover - only called on a failure


@attrs.frozen
class LocationAllowed(_Builtin):
    """R5: a local package is used at its own location unless ``any_location`` is on."""

    rule_id: ClassVar[str] = "R5"
    code: ClassVar[str] = "location_mismatch"
    scope: ClassVar[Scope] = "package"
    waived_by: ClassVar[str | None] = "any_location"
    test: ClassVar[str] = (
        "package.location is None or package.location == ctx.cart.location or ctx.settings.any_location"
    )

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return f"the package belongs to location {candidate.package.location!r}"


@attrs.frozen
class TypeAllowed(_Builtin):
    """R6: a credit pays for its own item (or an item of its pool, or a listed substitute)
    unless ``any_type`` is on. A stored-value package that lists ``items`` pays only those."""

    rule_id: ClassVar[str] = "R6"
    code: ClassVar[str] = "type_mismatch"
    scope: ClassVar[Scope] = "component"
    waived_by: ClassVar[str | None] = "any_type"
    applies_to_balance: ClassVar[bool] = True
    test: ClassVar[str] = (
        "ctx.settings.any_type or (_balance_pays(candidate, line) if component is None else (component.pays_as_own(line.item) or line.item in component.substitutes))"
    )

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        component = candidate.component
        if component is None:
            return f"the balance pays only for {list(candidate.package.items or ())!r}"
        if component.is_pool:
            return f"the credits are for {list(component.items)!r}"
        return f"the credits are for {component.item!r}"

    def admits_cross_item(self, settings: Settings) -> bool:
        """Cross-item candidates that are not substitutes pass only with ``any_type``."""
        return settings.any_type


@attrs.frozen
class UnitMatches(_Builtin):
    """R7: hourly credits pay for lines charged by the hour, and only those."""

    rule_id: ClassVar[str] = "R7"
    code: ClassVar[str] = "unit_mismatch"
    scope: ClassVar[Scope] = "component"
    test: ClassVar[str] = 'component is None or component.hourly == (line.charge_by == "hour")'

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        if candidate.component is not None and candidate.component.hourly:
            return "hourly credits pay only for lines charged by the hour"
        return "the line is charged by the hour; the credits are not hourly"


@attrs.frozen
class PriceNotZero(_Builtin):
    """R8: no credit is burned on a $0 line unless ``zero_price_items`` is on."""

    rule_id: ClassVar[str] = "R8"
    code: ClassVar[str] = "zero_price"
    scope: ClassVar[Scope] = "line"
    waived_by: ClassVar[str | None] = "zero_price_items"
    test: ClassVar[str] = "line.unit_price.amount or ctx.settings.zero_price_items"

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return "the line costs nothing"


@attrs.frozen
class ValueKnown(_Builtin):
    """R9: a credit's value must be known (a cross-item use needs a default rate). A listed
    substitute never fails it (X3)."""

    rule_id: ClassVar[str] = "R9"
    code: ClassVar[str] = "no_rate"
    scope: ClassVar[Scope] = "component"
    test: ClassVar[str] = (
        "_use(candidate, line.item) == 1 or ctx.credit_value(candidate, line) is not None"
    )

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        item = candidate.component.item if candidate.component else candidate.package.id
        return f"no default rate for {item!r} at {ctx.cart.location!r}"


@attrs.frozen
class ValueWithinPrice(_Builtin):
    """R10: a cross-item credit worth more than the unit price needs ``greater_value`` (a listed
    substitute never fails it: listing it is the business's consent, X3)."""

    rule_id: ClassVar[str] = "R10"
    code: ClassVar[str] = "value_exceeds_price"
    scope: ClassVar[Scope] = "component"
    waived_by: ClassVar[str | None] = "greater_value"
    test: ClassVar[str] = (
        "_use(candidate, line.item) != 2 or ctx.settings.greater_value or _value_within_price(candidate, line, ctx)"
    )

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return f"a credit is worth {ctx.credit_value(candidate, line)}, more than {line.unit_price}"


@attrs.frozen
class CreditsLeft(_Builtin):
    """R11: a credit of the component is left, after the earlier lines of this cart (down to
    ``-overdraft``, X8); a stored-value package has money left."""

    rule_id: ClassVar[str] = "R11"
    code: ClassVar[str] = "exhausted"
    scope: ClassVar[Scope] = "component"
    applies_to_balance: ClassVar[bool] = True
    test: ClassVar[str] = (
        "ctx._balances[candidate[3]] > (0 if component is None else -component.overdraft)"
    )

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        if candidate.component is None:
            return "no balance left"
        return "no credit left"


#: R1–R11 and R4a, in the order docs/semantics.md#r-rules checks them.
DEFAULT_RULES: Final[tuple[Rule, ...]] = (
    OwnerMatches(),
    BeneficiaryMatches(),
    ValidAlready(),
    NotExpired(),
    NotPaused(),
    LocationAllowed(),
    TypeAllowed(),
    UnitMatches(),
    PriceNotZero(),
    ValueKnown(),
    ValueWithinPrice(),
    CreditsLeft(),
)

#: The built-in reason codes, in rule order.
REASON_CODES: Final[tuple[str, ...]] = tuple(rule.code for rule in DEFAULT_RULES)
