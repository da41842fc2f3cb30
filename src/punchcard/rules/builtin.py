"""The eleven rules of semantics.md (R1-R11), in the order they are checked.

Each is a small frozen object with a reason ``code``, a ``scope`` and a ``check`` method. The
first rule that fails is the reason reported for a candidate.
"""

from __future__ import annotations

from typing import ClassVar, Final

import attrs

from ..models import Line
from .base import ELIGIBLE, Candidate, Context, Rule, Scope, Verdict


class _Builtin:
    """Built-in rules answer ``passes`` (a bool, cheap) and explain themselves only on failure."""

    __slots__ = ()
    code: ClassVar[str]

    def passes(self, candidate: Candidate, line: Line, ctx: Context) -> bool:
        raise NotImplementedError

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        raise NotImplementedError

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        if self.passes(candidate, line, ctx):
            return ELIGIBLE
        return Verdict.no(self.code, self.detail(candidate, line, ctx))


__all__ = [
    "DEFAULT_RULES",
    "REASON_CODES",
    "BeneficiaryMatches",
    "CreditsLeft",
    "LocationAllowed",
    "NotExpired",
    "OwnerMatches",
    "PriceNotZero",
    "TypeAllowed",
    "UnitMatches",
    "ValidAlready",
    "ValueKnown",
    "ValueWithinPrice",
]


@attrs.frozen
class OwnerMatches(_Builtin):
    """R1: the package belongs to the cart's owner."""

    rule_id: ClassVar[str] = "R1"
    code: ClassVar[str] = "owner_mismatch"
    scope: ClassVar[Scope] = "package"

    def passes(self, candidate: Candidate, line: Line, ctx: Context) -> bool:
        return candidate.package.owner == ctx.cart.owner

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return "the package belongs to another owner"


@attrs.frozen
class BeneficiaryMatches(_Builtin):
    """R2: a package scoped to one beneficiary pays only for that beneficiary's lines."""

    rule_id: ClassVar[str] = "R2"
    code: ClassVar[str] = "beneficiary_mismatch"
    scope: ClassVar[Scope] = "package"

    def passes(self, candidate: Candidate, line: Line, ctx: Context) -> bool:
        scoped = candidate.package.beneficiary
        return scoped is None or scoped == line.beneficiary

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return f"the package is for {candidate.package.beneficiary!r} only"


@attrs.frozen
class ValidAlready(_Builtin):
    """R3: the package was purchased no later than the checkout time."""

    rule_id: ClassVar[str] = "R3"
    code: ClassVar[str] = "not_yet_valid"
    scope: ClassVar[Scope] = "package"

    def passes(self, candidate: Candidate, line: Line, ctx: Context) -> bool:
        return ctx.purchased_utc(candidate.package) <= ctx.at_utc

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return "the package was purchased after the checkout time"


@attrs.frozen
class NotExpired(_Builtin):
    """R4: the package has not expired at the checkout time (23:59 local on its date)."""

    rule_id: ClassVar[str] = "R4"
    code: ClassVar[str] = "expired"
    scope: ClassVar[Scope] = "package"

    def passes(self, candidate: Candidate, line: Line, ctx: Context) -> bool:
        return not ctx.is_expired(candidate.package)

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return "the package has expired"


@attrs.frozen
class LocationAllowed(_Builtin):
    """R5: a local package is used at its own location unless ``any_location`` is on."""

    rule_id: ClassVar[str] = "R5"
    code: ClassVar[str] = "location_mismatch"
    scope: ClassVar[Scope] = "package"

    def passes(self, candidate: Candidate, line: Line, ctx: Context) -> bool:
        location = candidate.package.location
        return location is None or location == ctx.cart.location or ctx.settings.any_location

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return f"the package belongs to location {candidate.package.location!r}"


@attrs.frozen
class TypeAllowed(_Builtin):
    """R6: a credit pays for its own item unless ``any_type`` is on."""

    rule_id: ClassVar[str] = "R6"
    code: ClassVar[str] = "type_mismatch"
    scope: ClassVar[Scope] = "component"

    def passes(self, candidate: Candidate, line: Line, ctx: Context) -> bool:
        return candidate.component.item == line.item or ctx.settings.any_type

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return f"the credits are for {candidate.component.item!r}"


@attrs.frozen
class UnitMatches(_Builtin):
    """R7: hourly credits pay for lines charged by the hour, and only those."""

    rule_id: ClassVar[str] = "R7"
    code: ClassVar[str] = "unit_mismatch"
    scope: ClassVar[Scope] = "component"

    def passes(self, candidate: Candidate, line: Line, ctx: Context) -> bool:
        return candidate.component.hourly == (line.charge_by == "hour")

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        if candidate.component.hourly:
            return "hourly credits pay only for lines charged by the hour"
        return "the line is charged by the hour; the credits are not hourly"


@attrs.frozen
class PriceNotZero(_Builtin):
    """R8: no credit is burned on a $0 line unless ``zero_price_items`` is on."""

    rule_id: ClassVar[str] = "R8"
    code: ClassVar[str] = "zero_price"
    scope: ClassVar[Scope] = "component"

    def passes(self, candidate: Candidate, line: Line, ctx: Context) -> bool:
        return bool(line.unit_price.amount) or ctx.settings.zero_price_items

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return "the line costs nothing"


@attrs.frozen
class ValueKnown(_Builtin):
    """R9: a credit's value must be known (cross-item use needs a default rate)."""

    rule_id: ClassVar[str] = "R9"
    code: ClassVar[str] = "no_rate"
    scope: ClassVar[Scope] = "component"

    def passes(self, candidate: Candidate, line: Line, ctx: Context) -> bool:
        return ctx.credit_value(candidate, line) is not None

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return f"no default rate for {candidate.component.item!r} at {ctx.cart.location!r}"


@attrs.frozen
class ValueWithinPrice(_Builtin):
    """R10: a cross-item credit worth more than the unit price needs ``greater_value``."""

    rule_id: ClassVar[str] = "R10"
    code: ClassVar[str] = "value_exceeds_price"
    scope: ClassVar[Scope] = "component"

    def passes(self, candidate: Candidate, line: Line, ctx: Context) -> bool:
        if candidate.component.item == line.item or ctx.settings.greater_value:
            return True
        value = ctx.credit_value(candidate, line)
        return value is None or value.amount <= line.unit_price.amount

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return f"a credit is worth {ctx.credit_value(candidate, line)}, more than {line.unit_price}"


@attrs.frozen
class CreditsLeft(_Builtin):
    """R11: a credit of the component is left (after the earlier lines of this cart)."""

    rule_id: ClassVar[str] = "R11"
    code: ClassVar[str] = "exhausted"
    scope: ClassVar[Scope] = "component"

    def passes(self, candidate: Candidate, line: Line, ctx: Context) -> bool:
        return ctx.remaining(candidate) > 0

    def detail(self, candidate: Candidate, line: Line, ctx: Context) -> str:
        return "no credit left"


#: R1-R11 in the order semantics.md checks them.
DEFAULT_RULES: Final[tuple[Rule, ...]] = (
    OwnerMatches(),
    BeneficiaryMatches(),
    ValidAlready(),
    NotExpired(),
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
