"""A named set of business choices: what a backtest compares, and what a sweep runs under.

>>> Variant.of("expiry-first", package_order="earliest_expiry")
Variant(name='expiry-first', choices=(('package_order', 'earliest_expiry'),))
>>> Variant.parse("anywhere:any_location=on,package_order=earliest_expiry").choices
(('any_location', True), ('package_order', 'earliest_expiry'))
>>> Variant.parse("fifo")
Variant(name='fifo', choices=())
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from ..errors import InvalidValueError
from . import _lifecycle as life

__all__ = ["DEFAULT", "DEFAULT_VARIANTS", "Variant"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_TRUE = {"true": True, "on": True, "yes": True, "1": True}
_FALSE = {"false": False, "off": False, "no": False, "0": False}


def _name(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise InvalidValueError(
            "name",
            f"must be 1-64 letters, digits, '_', '.' or '-' (first a letter or digit), got {value!r}",
        )


def _choices(value: Any) -> tuple[tuple[str, bool | str], ...]:
    pairs = tuple(sorted(dict(value).items()))
    life.compile_choices(dict(pairs))  # unknown names and bad values raise here
    return pairs


@attrs.frozen
class Variant:
    """Choices of a :class:`punchcard.lifecycle.Business` by name: the engine's settings and
    policy and the lifecycle's choices (:data:`punchcard.scale._lifecycle.CHOICES`:
    ``any_location``, ``package_order``, ``unused_at_renewal``...); a choice left out keeps its
    default."""

    #: Shown in reports; a file-name-safe word.
    name: str = attrs.field(validator=_name)
    #: ``(choice, value)`` pairs, sorted by choice.
    choices: tuple[tuple[str, bool | str], ...] = attrs.field(default=(), converter=_choices)

    @classmethod
    def of(cls, name: str, **choices: bool | str) -> Variant:
        """A variant from keyword choices."""
        return cls(name, tuple(choices.items()))

    @classmethod
    def parse(cls, text: str) -> Variant:
        """A variant from ``NAME[:choice=value,...]`` (booleans: true/false, on/off, yes/no, 1/0).

        >>> Variant.parse("x:any_location=maybe")
        Traceback (most recent call last):
        ...
        punchcard.errors.InvalidValueError: any_location: must be true or false (on/off, yes/no, 1/0), got 'maybe'
        """
        name, _, rest = text.partition(":")
        choices: dict[str, bool | str] = {}
        for part in filter(None, rest.split(",")):
            key, eq, raw = part.partition("=")
            key = key.strip()
            if not eq:
                raise InvalidValueError("variant", f"expected choice=value, got {part!r}")
            kind = life.CHOICES.get(key)
            if kind is None:
                life.compile_choices({key: raw})  # raises: not a choice
            if kind is bool:
                flag = {**_TRUE, **_FALSE}.get(raw.strip().lower())
                if flag is None:
                    raise InvalidValueError(
                        key, f"must be true or false (on/off, yes/no, 1/0), got {raw!r}"
                    )
                choices[key] = flag
            else:
                choices[key] = raw.strip()
        return cls(name.strip(), tuple(choices.items()))

    def rules(self) -> life.Business:
        """The business of this variant's choices (make it once per task)."""
        return life.compile_choices(dict(self.choices))

    def to_json(self) -> dict[str, Any]:
        """``{"name": ..., "choices": {...}}``."""
        return {"name": self.name, "choices": dict(self.choices)}


#: The variant of every default choice.
DEFAULT = Variant("default")
#: What ``punchcard backtest`` compares when no variant is given: first in, first out (the
#: default) against earliest expiry first.
DEFAULT_VARIANTS = (Variant("fifo"), Variant.of("earliest_expiry", package_order="earliest_expiry"))
