"""Internal shortcuts for values derived by punchcard itself from values already validated."""

from __future__ import annotations

import functools
from typing import Any, TypeVar

import attrs

_T = TypeVar("_T")


@functools.cache
def _field_names(cls: Any) -> tuple[str, ...]:
    return tuple(a.name for a in attrs.fields(cls))


def evolve_trusted(inst: _T, **changes: Any) -> _T:
    """:func:`attrs.evolve` without re-running validators and converters.

    Only for changes the engine derived itself (a balance it lowered, a first use it recorded),
    never for caller input: the validation of the original value still stands for them.
    """
    cls: Any = type(inst)
    new: _T = object.__new__(cls)
    for name in _field_names(cls):
        object.__setattr__(new, name, changes[name] if name in changes else getattr(inst, name))
    return new
