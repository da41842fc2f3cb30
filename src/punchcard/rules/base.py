"""The shape every eligibility rule shares: the protocol, the verdict, and rules made of functions.

A *rule* answers, for a candidate (one component of one package, see
:class:`~punchcard.context.Candidate`) and a cart line, whether one credit may pay for one unit,
with a :class:`Verdict` carrying a reason code when not. Rules are pure: the engine may ask them
once per package, component or line, as their ``scope`` says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol, runtime_checkable

import attrs

from ..context import Candidate, Context
from ..models import Line, Settings

__all__ = [
    "ELIGIBLE",
    "SCOPES",
    "FunctionRule",
    "Predicate",
    "Rule",
    "Scope",
    "Verdict",
]

#: What a rule looks at, so that the engine asks it no more often than needed:
#:
#: - ``package``: the package and the checkout only (never the component nor the line); asked
#:   once per package and checkout. (R1, R3, R4, R4a, R5.)
#: - ``line``: the package and the line, not the component (R2, R8); it applies to stored-value
#:   packages too.
#: - ``component``: the component and the line (R6, R7, R9, R10, R11); it applies to a
#:   stored-value package only when the rule says so (``applies_to_balance``).
Scope = Literal["package", "line", "component"]
SCOPES: tuple[Scope, ...] = ("package", "line", "component")

#: A rule's fast form: ``(candidate, line, ctx) -> bool`` (True = eligible).
Predicate = Callable[[Candidate, Line, Context], bool]


@attrs.frozen
class Verdict:
    """The answer of a rule: eligible, or not with a reason code and a human detail.

    >>> Verdict.no("holiday", "no package credits on public holidays")
    Verdict(eligible=False, reason='holiday', detail='no package credits on public holidays')
    """

    eligible: bool
    reason: str | None = None
    detail: str = ""

    @classmethod
    def no(cls, reason: str, detail: str = "") -> Verdict:
        """A refusal with *reason* (the reason code reported in rejections)."""
        return cls(False, reason, detail)


#: The verdict of a rule that passes.
ELIGIBLE: Verdict = Verdict(True)


@runtime_checkable
class Rule(Protocol):
    """An eligibility rule: may one credit of the candidate pay for one unit of the line?

    Optional members the engine uses when a rule has them:

    - ``predicate(settings) -> Predicate | None``: the rule's fast form under *settings*
      (``None``: it cannot fail under them). The engine asks once per policy and settings.
      Without it, the engine calls ``check`` and reads ``.eligible``.
    - ``applies_to_balance: bool``: a ``component`` rule that also judges stored-value
      packages (whose candidate has ``component=None``).
    - ``admits_cross_item(settings) -> bool``: ``False`` when, under *settings*, the rule refuses
      every candidate that neither pays the line's item as its own nor lists it as a substitute;
      the engine then does not offer the line such candidates at all.
    """

    @property
    def code(self) -> str:
        """The reason code reported when the rule fails."""

    @property
    def scope(self) -> Scope:
        """``package``, ``line`` or ``component``: what the rule looks at."""

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        """Return :data:`ELIGIBLE` or ``Verdict.no(code, detail)``."""


@attrs.frozen
class FunctionRule:
    """A rule made from a plain function ``(candidate, line, ctx) -> bool`` (True = eligible).

    >>> online_only = FunctionRule(
    ...     "offline_booking", "line", lambda c, line, ctx: line.id.startswith("web-"),
    ...     detail="credits pay only for lines booked online",
    ... )
    >>> online_only.code, online_only.scope
    ('offline_booking', 'line')
    """

    code: str
    scope: Scope
    function: Callable[[Candidate, Line, Context], bool]
    detail: str = ""

    def check(self, candidate: Candidate, line: Line, ctx: Context) -> Verdict:
        if self.function(candidate, line, ctx):
            return ELIGIBLE
        return Verdict.no(self.code, self.detail)

    def predicate(self, settings: Settings) -> Predicate:
        """The function itself (its answer is checked to be a bool by the engine)."""
        return self.function
