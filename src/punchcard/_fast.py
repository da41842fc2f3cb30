"""Internal shortcuts for values derived by punchcard itself from values already validated."""

from __future__ import annotations

import functools
from typing import Any, TypeVar

import attrs

_T = TypeVar("_T")


@functools.cache
def _plan(cls: Any) -> tuple[tuple[str, ...], tuple[tuple[str, Any], ...]]:
    """The fields copied by :func:`evolve_trusted`, and the ``init=False`` ones (memos) with
    their factories: a memo belongs to one value and is never carried over to another."""
    fields = attrs.fields(cls)
    copied = tuple(a.name for a in fields if a.init)
    fresh = tuple((a.name, _factory(a)) for a in fields if not a.init)
    return copied, fresh


def _factory(field: Any) -> Any:
    default = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return default.factory
    if default is attrs.NOTHING:
        raise TypeError(f"evolve_trusted cannot rebuild {field.name!r}, set in __attrs_post_init__")
    return lambda: default


def evolve_trusted(inst: _T, **changes: Any) -> _T:
    """:func:`attrs.evolve` without re-running validators and converters.

    Only for changes the engine derived itself (a balance it lowered, a first use it recorded),
    never for caller input: the validation of the original value still stands for them.
    """
    cls: Any = type(inst)
    new: _T = object.__new__(cls)
    copied, fresh = _plan(cls)
    for name in copied:
        object.__setattr__(new, name, changes[name] if name in changes else getattr(inst, name))
    for name, factory in fresh:
        object.__setattr__(new, name, factory())
    return new


def build_trusted(cls: type[_T], **fields: Any) -> _T:
    """A new instance of the attrs class *cls* from *fields*, without validators or converters.

    Only for values whose every field was already checked as strictly as the class's own
    validators would (the scenario reader checks each field to report its path), and given in
    their converted form (tuples, not lists). Fields left out take their defaults; memos
    (``init=False`` fields) start empty.
    """
    kind: Any = cls
    new: _T = object.__new__(cls)
    copied, fresh = _plan(kind)
    defaults = _defaults(kind)
    for name in copied:
        object.__setattr__(new, name, fields[name] if name in fields else defaults[name]())
    for name, factory in fresh:
        object.__setattr__(new, name, factory())
    return new


@functools.cache
def _defaults(cls: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in attrs.fields(cls):
        if field.init and field.default is not attrs.NOTHING:
            out[field.name] = _factory(field)
    return out
