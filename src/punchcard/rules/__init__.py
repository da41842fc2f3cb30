"""Pluggable eligibility rules (R1–R11, R4a and your own) and orderings.

A host adds a rule with its own reason code, or replaces an ordering, through
:class:`punchcard.Policy`; nothing needs forking.
"""

from __future__ import annotations

from ..context import Candidate, Context
from .base import ELIGIBLE, SCOPES, FunctionRule, Predicate, Rule, Scope, Verdict
from .builtin import (
    DEFAULT_RULES,
    REASON_CODES,
    BeneficiaryMatches,
    CreditsLeft,
    LocationAllowed,
    NotExpired,
    NotPaused,
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
    NEVER,
    PACKAGE_ORDERS,
    CartOrder,
    CheapestFirst,
    EarliestExpiry,
    Fifo,
    LineOrder,
    Optimal,
    PackageOrder,
    PriciestFirst,
)

__all__ = [
    "DEFAULT_RULES",
    "ELIGIBLE",
    "LINE_ORDERS",
    "NEVER",
    "PACKAGE_ORDERS",
    "REASON_CODES",
    "SCOPES",
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
    "NotPaused",
    "Optimal",
    "OwnerMatches",
    "PackageOrder",
    "Predicate",
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
]
