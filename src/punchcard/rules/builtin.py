"""The eleven rules of semantics.md (R1-R11), in the order they are checked.

Each is a small frozen object with a reason ``code``, a ``scope`` and a ``check`` method. The
first rule that fails is the reason reported for a candidate.
"""

from __future__ import annotations

from typing import ClassVar, Final

import attrs

from ..models import Line
from .base import ELIGIBLE, Candidate, Context, Rule, Scope, Verdict

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
class OwnerMatches:
    """R1: the package belongs to the cart's owner."""

    rule_id: ClassVar[str] = "R1"
    code: ClassVar[str] = "owner_mismatch"
    scope: ClassVar[Scope] = "package"

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        if candidate.package.owner == ctx.cart.owner:
            return ELIGIBLE
        return Verdict.no(self.code, "the package belongs to another owner")


@attrs.frozen
class BeneficiaryMatches:
    """R2: a package scoped to one beneficiary pays only for that beneficiary's lines."""

    rule_id: ClassVar[str] = "R2"
    code: ClassVar[str] = "beneficiary_mismatch"
    scope: ClassVar[Scope] = "package"

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        scoped = candidate.package.beneficiary
        if scoped is None or scoped == line.beneficiary:
            return ELIGIBLE
        return Verdict.no(self.code, f"the package is for {scoped!r} only")


@attrs.frozen
class ValidAlready:
    """R3: the package was purchased no later than the checkout time."""

    rule_id: ClassVar[str] = "R3"
    code: ClassVar[str] = "not_yet_valid"
    scope: ClassVar[Scope] = "package"

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        if ctx.purchased_utc(candidate.package) <= ctx.at_utc:
            return ELIGIBLE
        return Verdict.no(self.code, "the package was purchased after the checkout time")


@attrs.frozen
class NotExpired:
    """R4: the package has not expired at the checkout time (23:59 local on its date)."""

    rule_id: ClassVar[str] = "R4"
    code: ClassVar[str] = "expired"
    scope: ClassVar[Scope] = "package"

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        if not ctx.is_expired(candidate.package):
            return ELIGIBLE
        return Verdict.no(self.code, "the package has expired")


@attrs.frozen
class LocationAllowed:
    """R5: a local package is used at its own location unless ``any_location`` is on."""

    rule_id: ClassVar[str] = "R5"
    code: ClassVar[str] = "location_mismatch"
    scope: ClassVar[Scope] = "package"

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        location = candidate.package.location
        if location is None or location == ctx.cart.location or ctx.settings.any_location:
            return ELIGIBLE
        return Verdict.no(self.code, f"the package belongs to location {location!r}")


@attrs.frozen
class TypeAllowed:
    """R6: a credit pays for its own item unless ``any_type`` is on."""

    rule_id: ClassVar[str] = "R6"
    code: ClassVar[str] = "type_mismatch"
    scope: ClassVar[Scope] = "component"

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        if candidate.component.item == line.item or ctx.settings.any_type:
            return ELIGIBLE
        return Verdict.no(self.code, f"the credits are for {candidate.component.item!r}")


@attrs.frozen
class UnitMatches:
    """R7: hourly credits pay for lines charged by the hour, and only those."""

    rule_id: ClassVar[str] = "R7"
    code: ClassVar[str] = "unit_mismatch"
    scope: ClassVar[Scope] = "component"

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        if candidate.component.hourly == (line.charge_by == "hour"):
            return ELIGIBLE
        if candidate.component.hourly:
            return Verdict.no(self.code, "hourly credits pay only for lines charged by the hour")
        return Verdict.no(self.code, "the line is charged by the hour; the credits are not hourly")


@attrs.frozen
class PriceNotZero:
    """R8: no credit is burned on a $0 line unless ``zero_price_items`` is on."""

    rule_id: ClassVar[str] = "R8"
    code: ClassVar[str] = "zero_price"
    scope: ClassVar[Scope] = "component"

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        if line.unit_price.amount or ctx.settings.zero_price_items:
            return ELIGIBLE
        return Verdict.no(self.code, "the line costs nothing")


@attrs.frozen
class ValueKnown:
    """R9: a credit's value must be known (cross-item use needs a default rate)."""

    rule_id: ClassVar[str] = "R9"
    code: ClassVar[str] = "no_rate"
    scope: ClassVar[Scope] = "component"

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        if ctx.credit_value(candidate, line) is not None:
            return ELIGIBLE
        return Verdict.no(
            self.code,
            f"no default rate for {candidate.component.item!r} at {ctx.cart.location!r}",
        )


@attrs.frozen
class ValueWithinPrice:
    """R10: a cross-item credit worth more than the unit price needs ``greater_value``."""

    rule_id: ClassVar[str] = "R10"
    code: ClassVar[str] = "value_exceeds_price"
    scope: ClassVar[Scope] = "component"

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        if candidate.component.item == line.item or ctx.settings.greater_value:
            return ELIGIBLE
        value = ctx.credit_value(candidate, line)
        if value is None or value.amount <= line.unit_price.amount:
            return ELIGIBLE
        return Verdict.no(self.code, f"a credit is worth {value}, more than {line.unit_price}")


@attrs.frozen
class CreditsLeft:
    """R11: a credit of the component is left (after the earlier lines of this cart)."""

    rule_id: ClassVar[str] = "R11"
    code: ClassVar[str] = "exhausted"
    scope: ClassVar[Scope] = "component"

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        if ctx.remaining(candidate) > 0:
            return ELIGIBLE
        return Verdict.no(self.code, "no credit left")


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
