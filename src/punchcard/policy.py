"""The pluggable choices of a business — line order, credit order, valuation, rules, expiry — and
their compiled form, which the engine runs.

A :class:`Policy` is a value. :meth:`Policy.compile` turns it into a :class:`CompiledPolicy`: each
rule's fast predicate, scope and order, worked out once. :func:`punchcard.apply` compiles the
policy it is given on every call; a till that checks out many carts compiles its policy once and
passes the compiled one.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from types import CodeType
from typing import Any

import attrs

from .context import Candidate, Context, CreditValuation
from .errors import InvalidTypeError, InvalidValueError, PluginError
from .expiry import EXPIRY_MODES, ExpiryMode
from .models import Line, Settings
from .rules.base import SCOPES, Predicate, Rule, Verdict
from .rules.builtin import DEFAULT_RULES
from .rules.ordering import LINE_ORDERS, PACKAGE_ORDERS, LineOrder, PackageOrder
from .timeutil import parse_time_of_day
from .valuation.credit_value import VALUATIONS

__all__ = ["Checks", "CompiledPolicy", "FirstFail", "Policy", "RuleCheck"]


#: The members each plug-in protocol asks for (a structural check as fast as an attribute
#: lookup; ``isinstance`` against a runtime-checkable Protocol takes tens of microseconds).
_MEMBERS: dict[type, tuple[str, ...]] = {
    LineOrder: ("name", "arrange"),
    PackageOrder: ("name", "rank"),
    CreditValuation: ("name", "credit_value"),
    Rule: ("code", "scope", "check"),
}


def _conforms(value: object, protocol: type) -> bool:
    return all(hasattr(value, member) for member in _MEMBERS[protocol])


def _lookup(registry: dict[str, Any], field: str, protocol: type, value: Any) -> Any:
    if isinstance(value, str):
        try:
            return registry[value]
        except KeyError:
            raise InvalidValueError(
                field, f"must be one of {sorted(registry)!r}, got {value!r}"
            ) from None
    if not _conforms(value, protocol):
        raise InvalidTypeError(
            field, f"must be a name or a {protocol.__name__} object, got {value!r}"
        )
    return value


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
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidTypeError("rules", f"must be a sequence of Rule objects, got {value!r}")
    rules = tuple(value)
    codes: set[str] = set()
    for rule in rules:
        if not _conforms(rule, Rule):
            raise InvalidTypeError("rules", f"must hold Rule objects, got {rule!r}")
        if rule.scope not in SCOPES:
            raise InvalidValueError(
                "rules", f"scope of {rule!r} must be one of {list(SCOPES)!r}, got {rule.scope!r}"
            )
        if not isinstance(rule.code, str) or not rule.code:
            raise InvalidValueError("rules", f"code of {rule!r} must be a non-empty string")
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
    #: Which package pays first: ``fifo`` or ``earliest_expiry`` (or your own PackageOrder).
    package_order: PackageOrder = attrs.field(
        default=PACKAGE_ORDERS["fifo"], converter=_package_order
    )
    #: What a same-item credit takes off: ``line_price`` or ``default_rate``.
    valuation: CreditValuation = attrs.field(default=VALUATIONS["line_price"], converter=_valuation)
    #: Local time of day at which an expiry date ends: ``"23:59"``, or ``"24:00"`` (whole day).
    expires_at: str = attrs.field(default="23:59", converter=_expires_at)
    #: The eligibility rules, checked in order; the first that fails is the reason reported.
    rules: tuple[Rule, ...] = attrs.field(default=DEFAULT_RULES, converter=_rules)
    #: ``end_of_day`` (default): a length of validity ends at ``expires_at`` on a date;
    #: ``elapsed``: at the exact instant (X5).
    expiry: ExpiryMode = attrs.field(default="end_of_day", kw_only=True)

    @expiry.validator
    def _check_expiry(self, _attr: object, value: object) -> None:
        if value not in EXPIRY_MODES:
            raise InvalidValueError(
                "expiry", f"must be one of {list(EXPIRY_MODES)!r}, got {value!r}"
            )

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

    def compile(self) -> CompiledPolicy:
        """The form the engine runs: compile once, apply many times.

        >>> compiled = Policy().compile()
        >>> compiled.policy == Policy(), len(compiled.rules)
        (True, 12)
        """
        return CompiledPolicy(self)


#: (rank in the policy's rules, the rule, its fast form, whether it judges stored value)
RuleCheck = tuple[int, Rule, Predicate, bool]


def _checked(rule: Rule) -> Predicate:
    """A predicate from the rule's verdicts, refusing anything but a Verdict."""
    check = rule.check

    def passes(candidate: Candidate, line: Line, ctx: Context) -> bool:
        verdict = check(candidate, line, ctx)
        if not isinstance(verdict, Verdict):
            raise PluginError(rule, f"check must return a Verdict, got {verdict!r}")
        return verdict.eligible

    return passes


class CompiledPolicy:
    """A :class:`Policy` worked out for the engine: per settings, each rule's fast predicate
    (or none, where the settings mean it cannot fail), by scope; the expiry time of day.

    An explicit object the caller may keep; it remembers its forms per :class:`Settings`
    (a business has one or two).
    """

    __slots__ = (
        "_checks",
        "expires_at",
        "expiry",
        "line_order",
        "package_order",
        "policy",
        "rules",
        "solves_assignment",
        "valuation",
    )

    def __init__(self, policy: Policy) -> None:
        if not isinstance(policy, Policy):
            raise InvalidTypeError("policy", f"must be a Policy, got {policy!r}")
        self.policy = policy
        self.rules = policy.rules
        self.line_order = policy.line_order
        self.package_order = policy.package_order
        self.valuation = policy.valuation
        self.expires_at = policy.expires_at_delta
        self.expiry: ExpiryMode = policy.expiry
        self.solves_assignment = getattr(policy.line_order, "solves_assignment", False) is True
        self._checks: dict[Settings, Checks] = {}

    def __reduce__(self) -> tuple[type[CompiledPolicy], tuple[Policy]]:
        # Its generated functions do not pickle: another process compiles the policy again.
        return (CompiledPolicy, (self.policy,))

    def checks(self, settings: Settings) -> Checks:
        """The rules' fast forms under *settings*."""
        found = self._checks.get(settings)
        if found is None:
            found = Checks(self.rules, settings)
            if len(self._checks) < 64:
                self._checks[settings] = found
        return found


class Checks:
    """The rules of a policy under one :class:`Settings`, as the engine runs them.

    The rules of each scope are compiled into one function ``(candidate, line, ctx) -> int``
    that returns the rank (in the policy's rules) of the first rule the candidate fails, or the
    number of rules when none fails. A rule that gives its ``test`` (a Python expression, as the
    built-in rules do) is written into that function as it is; any other rule is called through
    its fast form and its answer checked to be a bool. The source is kept in ``source``.
    """

    __slots__ = (
        "balance_fail",
        "cross_item_admitted",
        "item",
        "item_fail",
        "package",
        "package_fail",
        "source",
    )

    def __init__(self, rules: tuple[Rule, ...], settings: Settings) -> None:
        package: list[RuleCheck] = []
        item: list[RuleCheck] = []
        cross = True
        for rank, rule in enumerate(rules):
            predicate = _fast_form(rule, settings)
            admits: Callable[[Settings], bool] | None = getattr(rule, "admits_cross_item", None)
            if admits is not None and not admits(settings):
                cross = False
            if predicate is None:
                continue
            on_balance = rule.scope != "component" or (
                getattr(rule, "applies_to_balance", False) is True
            )
            (package if rule.scope == "package" else item).append(
                (rank, rule, predicate, on_balance)
            )
        #: The ``package`` rules, in rank order: checked once per package and checkout.
        self.package = tuple(package)
        #: The ``line`` and ``component`` rules, in rank order: checked per candidate and line.
        self.item = tuple(item)
        #: Whether a candidate that neither pays the line's item as its own nor lists it as a
        #: substitute may pass every rule.
        self.cross_item_admitted = cross
        none = len(rules)
        sources: list[str] = []
        self.package_fail = _compile("package_fail", self.package, none, sources)
        self.item_fail = _compile("item_fail", self.item, none, sources)
        self.balance_fail = _compile(
            "balance_fail", tuple(c for c in self.item if c[3]), none, sources
        )
        #: The Python source of the three functions.
        self.source = "\n".join(sources)


FirstFail = Callable[[Candidate, Line, Context], int]


def _not_a_bool(rule: Rule, answer: object) -> None:
    raise PluginError(rule, f"a rule must answer True or False, got {answer!r}")


@functools.lru_cache(maxsize=256)
def _code(source: str, name: str) -> CodeType:
    """The code of a generated checks function. The source holds only the rules' tests and
    their ranks (never a caller's object: those are bound by name when the code is run), so
    policies with the same rules share it, as attrs shares one ``__init__`` per class."""
    return compile(source, f"<punchcard: {name}>", "exec")


def _compile(name: str, checks: tuple[RuleCheck, ...], none: int, sources: list[str]) -> FirstFail:
    """One function that runs *checks* in order and returns the rank of the first that fails."""
    body = [
        f"def {name}(candidate, line, ctx):",
        "    package = candidate[0]",
        "    component = candidate[1]",
    ]
    namespace: dict[str, object] = {"_not_a_bool": _not_a_bool}
    for rank, rule, predicate, _ in checks:
        test = getattr(rule, "test", None)
        if isinstance(test, str) and predicate == getattr(rule, "passes", None):
            names: dict[str, object] = getattr(rule, "test_names", {})
            for key, value in names.items():
                if namespace.setdefault(key, value) is not value:
                    raise PluginError(rule, f"its test names {key!r}, which another rule uses")
            body += [f"    if not ({test}):", f"        return {rank}"]
        else:
            namespace[f"_predicate_{rank}"] = predicate
            namespace[f"_rule_{rank}"] = rule
            body += [
                f"    answer = _predicate_{rank}(candidate, line, ctx)",
                "    if answer is not True:",
                "        if answer is False:",
                f"            return {rank}",
                f"        _not_a_bool(_rule_{rank}, answer)",
            ]
    body.append(f"    return {none}")
    source = "\n".join(body) + "\n"
    sources.append(source)
    exec(_code(source, name), namespace)  # one function per scope, policy and settings
    function: FirstFail = namespace[name]  # type: ignore[assignment]
    return function


def _fast_form(rule: Rule, settings: Settings) -> Predicate | None:
    make: Callable[[Settings], Predicate | None] | None = getattr(rule, "predicate", None)
    if make is None:
        return _checked(rule)
    predicate = make(settings)
    if predicate is not None and not callable(predicate):
        raise PluginError(
            rule, f"predicate(settings) must return a callable or None: {predicate!r}"
        )
    return predicate
