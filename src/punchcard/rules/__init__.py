"""Pluggable eligibility rules (R1-R11 and your own) and orderings.

A host adds a rule with its own reason code, or replaces an ordering, through
:class:`punchcard.Policy`; nothing needs forking.
"""

from __future__ import annotations

from .base import ELIGIBLE, Candidate, Context, FunctionRule, Rule, Scope, Verdict
from .builtin import (
    DEFAULT_RULES,
    REASON_CODES,
    BeneficiaryMatches,
    CreditsLeft,
    LocationAllowed,
    NotExpired,
    OwnerMatches,
    PriceNotZero,
    TypeAllowed,
    UnitMatches,
    ValidAlready,
    ValueKnown,
    ValueWithinPrice,
)
from .ordering import (
    LINE_ORDERS,
    PACKAGE_ORDERS,
    CartOrder,
    CheapestFirst,
    EarliestExpiry,
    Fifo,
    LineOrder,
    Optimal,
    PackageOrder,
    PriciestFirst,
    own_item_then_individual,
)

__all__ = [
    "DEFAULT_RULES",
    "ELIGIBLE",
    "LINE_ORDERS",
    "PACKAGE_ORDERS",
    "REASON_CODES",
    "BeneficiaryMatches",
    "Candidate",
    "CartOrder",
    "CheapestFirst",
    "Context",
    "CreditsLeft",
    "EarliestExpiry",
    "Fifo",
    "FunctionRule",
    "LineOrder",
    "LocationAllowed",
    "NotExpired",
    "Optimal",
    "OwnerMatches",
    "PackageOrder",
    "PriceNotZero",
    "PriciestFirst",
    "Rule",
    "Scope",
    "TypeAllowed",
    "UnitMatches",
    "ValidAlready",
    "ValueKnown",
    "ValueWithinPrice",
    "Verdict",
    "own_item_then_individual",
]
