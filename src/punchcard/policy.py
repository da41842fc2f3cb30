"""The pluggable choices of a business: line order, credit order, valuation, rules, expiry time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import attrs

from .errors import InvalidTypeError, InvalidValueError
from .rules.base import Rule
from .rules.builtin import DEFAULT_RULES
from .rules.ordering import LINE_ORDERS, PACKAGE_ORDERS, LineOrder, PackageOrder
from .timeutil import parse_time_of_day
from .valuation.credit_value import VALUATIONS, CreditValuation

__all__ = ["Policy"]


def _lookup(registry: dict[str, Any], field: str, protocol: type, value: Any) -> Any:
    if type(value) in _BUILTIN_CHOICES:
        return value  # (runtime Protocol checks are slow; the built-ins are known to conform)
    if isinstance(value, str):
        try:
            return registry[value]
        except KeyError:
            raise InvalidValueError(
                field, f"must be one of {sorted(registry)!r}, got {value!r}"
            ) from None
    if not isinstance(value, protocol):
        raise InvalidTypeError(
            field, f"must be a name or a {protocol.__name__} object, got {value!r}"
        )
    return value


_BUILTIN_CHOICES: frozenset[type] = frozenset(
    type(choice)
    for registry in (LINE_ORDERS, PACKAGE_ORDERS, VALUATIONS)
    for choice in registry.values()
)
_BUILTIN_RULES: frozenset[type] = frozenset(type(rule) for rule in DEFAULT_RULES)


def _line_order(value: LineOrder | str) -> LineOrder:
    result: LineOrder = _lookup(LINE_ORDERS, "line_order", LineOrder, value)
    return result


def _package_order(value: PackageOrder | str) -> PackageOrder:
    result: PackageOrder = _lookup(PACKAGE_ORDERS, "package_order", PackageOrder, value)
    return result


def _valuation(value: CreditValuation | str) -> CreditValuation:
    result: CreditValuation = _lookup(VALUATIONS, "valuation", CreditValuation, value)
    return result


def _rules(value: Iterable[Rule]) -> tuple[Rule, ...]:
    if value is DEFAULT_RULES:
        return DEFAULT_RULES
    rules = tuple(value)
    codes: set[str] = set()
    for rule in rules:
        if type(rule) not in _BUILTIN_RULES and not isinstance(rule, Rule):
            raise InvalidTypeError("rules", f"must hold Rule objects, got {rule!r}")
        if rule.scope not in ("package", "component"):
            raise InvalidValueError(
                "rules", f"scope of {rule!r} must be 'package' or 'component', got {rule.scope!r}"
            )
        if rule.code in codes:
            raise InvalidValueError("rules", f"two rules share the reason code {rule.code!r}")
        codes.add(rule.code)
    return rules


def _expires_at(value: str) -> str:
    parse_time_of_day(value, "expires_at")
    return value


@attrs.frozen
class Policy:
    """How a business wants credits applied. Strings name the built-in choices.

    >>> policy = Policy(line_order="priciest_first", package_order="earliest_expiry")
    >>> policy.line_order.name, policy.package_order.name, policy.valuation.name
    ('priciest_first', 'earliest_expiry', 'line_price')
    >>> [rule.code for rule in policy.rules][:3]
    ['owner_mismatch', 'beneficiary_mismatch', 'not_yet_valid']
    >>> Policy(line_order="random")
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: line_order: must be one of ['cart', 'cheapest_first', 'optimal', 'priciest_first'], got 'random'
    """

    #: Which line is served first: ``cheapest_first``, ``priciest_first``, ``cart``, ``optimal``.
    line_order: LineOrder = attrs.field(
        default=LINE_ORDERS["cheapest_first"], converter=_line_order
    )
    #: Which credit pays first: ``fifo`` or ``earliest_expiry`` (or your own PackageOrder).
    package_order: PackageOrder = attrs.field(
        default=PACKAGE_ORDERS["fifo"], converter=_package_order
    )
    #: What a same-item credit takes off: ``line_price`` or ``default_rate``.
    valuation: CreditValuation = attrs.field(default=VALUATIONS["line_price"], converter=_valuation)
    #: Local time of day at which an expiry date ends: ``"23:59"``, or ``"24:00"`` (whole day).
    expires_at: str = attrs.field(default="23:59", converter=_expires_at)
    #: The eligibility rules, checked in order; the first that fails is the reason reported.
    rules: tuple[Rule, ...] = attrs.field(default=DEFAULT_RULES, converter=_rules)
    #: The engine's compiled form of this policy, made on first use (not part of the value).
    _compiled: Any = attrs.field(init=False, default=None, eq=False, hash=False, repr=False)

    @property
    def expires_at_delta(self) -> dt.timedelta:
        """``expires_at`` as the time after local midnight."""
        return parse_time_of_day(self.expires_at)

    def with_rule(self, rule: Rule, *, before: str | None = None) -> Policy:
        """A copy with *rule* added, before the rule with reason code *before* (else last).

        >>> from punchcard.rules import FunctionRule
        >>> holiday = FunctionRule("holiday", "package", lambda c, line, ctx: True)
        >>> p = Policy().with_rule(holiday, before="exhausted")
        >>> [r.code for r in p.rules][-2:]
        ['holiday', 'exhausted']
        """
        rules = list(self.rules)
        if before is None:
            rules.append(rule)
        else:
            codes = [r.code for r in rules]
            if before not in codes:
                raise InvalidValueError("before", f"no rule with reason code {before!r}")
            rules.insert(codes.index(before), rule)
        return attrs.evolve(self, rules=tuple(rules))
