"""What a credit is worth: credit value strategies, reservation units, revenue per credit.

The revenue and units helpers are loaded on first use (``import punchcard`` stays quick).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .credit_value import VALUATIONS, CreditValuation, DefaultRate, LinePrice, takeoff

if TYPE_CHECKING:
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

_LAZY = {
    "MAX_PARTS": "revenue",
    "CommissionMode": "revenue",
    "RevenueSplit": "revenue",
    "bundle_split": "revenue",
    "commission_base": "revenue",
    "credit_revenue": "revenue",
    "reservation_units": "units",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
