"""The one error hierarchy of punchcard.

Every error derives from :class:`PunchcardError` *and* from the builtin it resembles, so
``except ValueError`` keeps working for callers who do not know punchcard, and keeps its context
as attributes (``.path``, ``.field``, ``.permission``) for callers who do.
"""

from __future__ import annotations

__all__ = [
    "CurrencyMismatchError",
    "InvalidTimeError",
    "InvalidTypeError",
    "InvalidValueError",
    "PluginError",
    "PunchcardError",
    "ScenarioError",
    "SettingsError",
    "TimeOutOfRangeError",
]


class PunchcardError(Exception):
    """Base class of every error raised by punchcard."""


class InvalidValueError(PunchcardError, ValueError):
    """A field of a model got a value it cannot hold.

    >>> err = InvalidValueError("units", "must be a whole number >= 1, got 0")
    >>> err.field, str(err)
    ('units', 'units: must be a whole number >= 1, got 0')
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        #: The name of the offending field.
        self.field = field
        #: What is wrong, without the field name.
        self.message = message


class InvalidTypeError(PunchcardError, TypeError):
    """A field of a model got a value of the wrong type (a float for money, say)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class SettingsError(InvalidValueError):
    """The system-wide settings contradict each other (``greater_value`` without ``any_type``)."""


class InvalidTimeError(InvalidValueError):
    """A local time that does not exist in the business's time zone (the hour skipped at DST)."""


class TimeOutOfRangeError(InvalidTimeError, OverflowError):
    """A date-time that leaves Python's calendar (years 1 to 9999) once read in UTC or in the
    business's zone, such as ``datetime.max`` in New York.

    It is an :class:`InvalidTimeError` naming the field, and an :class:`OverflowError` like the
    error Python's own conversion raises, so code written for either keeps working.

    >>> err = TimeOutOfRangeError("as_of", "must stay within years 1 to 9999, got '9999-12-31'")
    >>> isinstance(err, InvalidTimeError), isinstance(err, OverflowError), err.field
    (True, True, 'as_of')
    """


class CurrencyMismatchError(PunchcardError, ValueError):
    """Two amounts of different currencies met.

    >>> err = CurrencyMismatchError("USD", "EUR")
    >>> err.currencies
    ('USD', 'EUR')
    """

    def __init__(self, left: str, right: str, field: str = "currency") -> None:
        super().__init__(f"{field}: cannot combine {left!r} with {right!r}")
        self.currencies = (left, right)
        self.field = field


class ScenarioError(PunchcardError, ValueError):
    """A scenario document is not valid; ``.path`` names the offending place.

    >>> err = ScenarioError("packages[1].credits[0].remaining", "must be a whole number >= 0, got -1")
    >>> err.path
    'packages[1].credits[0].remaining'
    >>> str(err)
    'packages[1].credits[0].remaining: must be a whole number >= 0, got -1'
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        #: Where in the document the problem is, e.g. ``cart.lines[0].unit_price``.
        self.path = path
        #: What is wrong, without the path.
        self.message = message


class PluginError(PunchcardError, TypeError):
    """A plug-in (a rule, an ordering, a valuation) answered something that breaks the engine's
    invariants: a line order that is not a permutation, a negative value, a verdict that is not
    a :class:`~punchcard.rules.Verdict`... Nothing was applied.

    >>> err = PluginError("MyOrder()", "arrange returned [0, 0] for 2 lines")
    >>> err.plugin, str(err)
    ('MyOrder()', "plug-in 'MyOrder()': arrange returned [0, 0] for 2 lines")
    """

    def __init__(self, plugin: object, message: str, *, cause: BaseException | None = None) -> None:
        shown = plugin if isinstance(plugin, str) else repr(plugin)
        super().__init__(f"plug-in {shown!r}: {message}")
        #: The plug-in object (or its description) that misbehaved.
        self.plugin = plugin
        #: What it did wrong.
        self.message = message
        self.__cause__ = cause
