"""What a credit is worth: credit value strategies, reservation units, revenue per credit."""

from __future__ import annotations

from .credit_value import VALUATIONS, CreditValuation, DefaultRate, LinePrice, takeoff
from .revenue import (
    MAX_PARTS,
    CommissionMode,
    RevenueSplit,
    bundle_split,
    commission_base,
    credit_revenue,
)
from .units import reservation_units

__all__ = [
    "MAX_PARTS",
    "VALUATIONS",
    "CommissionMode",
    "CreditValuation",
    "DefaultRate",
    "LinePrice",
    "RevenueSplit",
    "bundle_split",
    "commission_base",
    "credit_revenue",
    "reservation_units",
    "takeoff",
]
