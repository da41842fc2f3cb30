"""Internal shortcuts for values derived by punchcard itself from values already validated."""

from __future__ import annotations

import functools
from collections.abc import Callable
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
        return _plain_factory(field)
    if default is attrs.NOTHING:
        raise TypeError(f"evolve_trusted cannot rebuild {field.name!r}, set in __attrs_post_init__")
    return lambda: default


def _plain_factory(field: Any) -> Any:
    """The factory of *field*'s default; one that takes the instance is refused (the
    generated builders call a factory with no argument)."""
    if field.default.takes_self:
        raise TypeError(f"{field.name!r} has a default that takes self: it must be given")
    return field.default.factory


def evolve_trusted(inst: _T, **changes: Any) -> _T:
    """:func:`attrs.evolve` without re-running validators and converters.

    Only for changes the engine derived itself (a balance it lowered, a first use it recorded),
    never for caller input: the validation of the original value still stands for them.
    """
    kind: Any = type(inst)
    evolve: Any = _evolver(kind)
    new: _T = evolve(inst, changes)
    return new


def build_trusted(cls: type[_T], **fields: Any) -> _T:
    """A new instance of the attrs class *cls* from *fields*, without validators or converters.

    Only for values whose every field was already checked as strictly as the class's own
    validators would (the scenario reader checks each field to report its path), and given in
    their converted form (tuples, not lists). Fields left out take their defaults; memos
    (``init=False`` fields) start empty.
    """
    kind: Any = cls
    make = _maker(kind, tuple(fields))
    new: _T = make(*fields.values())
    return new


@functools.cache
def _maker(cls: Any, names: tuple[str, ...]) -> Any:
    """:func:`maker` for *cls* and *names*, made once for each set of names given."""
    return maker(cls, *names)


def _setters(cls: Any) -> tuple[dict[str, object], list[str]]:
    """A namespace with the class and each field's setter (``_set_<name>``: its slot's
    ``__set__``, or ``object.__setattr__`` bound to the name for a class without slots), and
    the code that makes the new instance."""
    namespace: dict[str, object] = {"_cls": cls, "_new": object.__new__}
    for field in attrs.fields(cls):
        # the slot that holds the field: the class's own, or a base's for an inherited field
        slots = (vars(klass).get(field.name) for klass in cls.__mro__)
        slot = next((d for d in slots if hasattr(d, "__set__")), None)
        setter = slot.__set__ if slot is not None else functools.partial(_set_named, field.name)
        namespace[f"_set_{field.name}"] = setter
    return namespace, ["    new = _new(_cls)"]


def _set_named(name: str, inst: object, value: object) -> None:
    object.__setattr__(inst, name, value)


@functools.cache
def _evolver(cls: Any) -> Any:
    """``evolve(inst, changes)`` for *cls*, written out field by field (as attrs writes its
    ``__init__``): each field copied or changed, each memo made fresh."""
    namespace, body = _setters(cls)
    copied, fresh = _plan(cls)
    namespace["_by_name"] = {name: namespace[f"_set_{name}"] for name in copied}
    namespace["_unknown"] = functools.partial(_unknown, cls)
    body.insert(0, "def evolve(inst, changes):")
    body += [f"    _set_{name}(new, inst.{name})" for name in copied]
    body += [
        "    for name, value in changes.items():",
        "        setter = _by_name.get(name)",
        "        if setter is None:",
        "            _unknown(name)",
        "        setter(new, value)",
    ]
    return _made(namespace, body, fresh, "evolve")


def _unknown(cls: type, name: str) -> None:
    raise TypeError(f"{cls.__name__} has no field {name!r} to change")


def maker(cls: type[_T], *names: str) -> Callable[..., _T]:
    """``make(*values)``: a new *cls* from the values of its fields *names*, in that order,
    without validators or converters; the fields not named take their defaults, memos
    (``init=False`` fields) start empty. Each call writes a new function: make it once, keep it.

    The one way the scenario reader builds the engine's values: it checks every value as
    strictly as the class would, in its converted form (``tests/test_scenario_reader.py``
    rebuilds every value it makes through the public constructors and requires an equal one).
    A field added to the class without a default fails here, when the reader is made.
    """
    kind: Any = cls
    init = {a.name for a in attrs.fields(kind) if a.init}
    unknown = set(names) - init
    if unknown:
        raise TypeError(f"{kind.__name__} has no fields {sorted(unknown)}")
    namespace, body = _setters(kind)
    _, fresh = _plan(kind)
    arguments = [f"_v{i}" for i in range(len(names))]
    body.insert(0, f"def make({', '.join(arguments)}):")
    body += [f"    _set_{name}(new, {arg})" for name, arg in zip(names, arguments, strict=True)]
    for field in attrs.fields(kind):
        if not field.init or field.name in names:
            continue
        default = field.default
        if default is attrs.NOTHING:
            raise TypeError(f"{kind.__name__}.{field.name} has no default: it must be given")
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            namespace[f"_default_{field.name}"] = _plain_factory(field)
            body.append(f"    _set_{field.name}(new, _default_{field.name}())")
        else:
            namespace[f"_default_{field.name}"] = default
            body.append(f"    _set_{field.name}(new, _default_{field.name})")
    make: Callable[..., _T] = _made(namespace, body, fresh, "make")
    return make


def _made(
    namespace: dict[str, object], body: list[str], fresh: tuple[tuple[str, Any], ...], name: str
) -> Any:
    """The function *name* of *body*, once each memo in *fresh* is set to a new value."""
    for field, factory in fresh:
        namespace[f"_fresh_{field}"] = factory
        body.append(f"    _set_{field}(new, _fresh_{field}())")
    body.append("    return new")
    exec("\n".join(body), namespace)  # one function per class, made once
    return namespace[name]
