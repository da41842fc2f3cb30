"""What a credit is worth: credit value strategies, reservation units, revenue per credit."""

from __future__ import annotations

from .credit_value import VALUATIONS, CreditValuation, DefaultRate, LinePrice, takeoff

__all__ = [
    "VALUATIONS",
    "CreditValuation",
    "DefaultRate",
    "LinePrice",
    "takeoff",
]
