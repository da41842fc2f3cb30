"""punchcard: redeem prepaid packages (punch cards) at checkout, explainably and exactly.

>>> import punchcard
>>> punchcard.Money("30", "USD")
Money('30.00', 'USD')
"""

from __future__ import annotations

from ._version import __version__
from .engine import PreparedPackages, apply, prepare
from .errors import (
    CurrencyMismatchError,
    InvalidTimeError,
    InvalidTypeError,
    InvalidValueError,
    PluginError,
    PunchcardError,
    ScenarioError,
    SettingsError,
    TimeOutOfRangeError,
)
from .explanations import Names, explain
from .models import (
    Cart,
    ChargeBy,
    Component,
    Duration,
    DurationUnit,
    ExpiryStarts,
    Line,
    Package,
    Pause,
    Rates,
    Settings,
)
from .money import Money
from .policy import Policy
from .results import Application, Guard, LineResult, Redemption, Rejection

__all__ = [
    "Application",
    "Cart",
    "ChargeBy",
    "Component",
    "CurrencyMismatchError",
    "Duration",
    "DurationUnit",
    "ExpiryStarts",
    "Guard",
    "InvalidTimeError",
    "InvalidTypeError",
    "InvalidValueError",
    "Line",
    "LineResult",
    "Money",
    "Names",
    "Package",
    "Pause",
    "PluginError",
    "Policy",
    "PreparedPackages",
    "PunchcardError",
    "Rates",
    "Redemption",
    "Rejection",
    "ScenarioError",
    "Settings",
    "SettingsError",
    "TimeOutOfRangeError",
    "__version__",
    "apply",
    "explain",
    "prepare",
]
