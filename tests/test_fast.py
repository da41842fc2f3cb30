"""The trusted shortcuts of punchcard._fast: for values punchcard derives from values it already
checked, they must build exactly what the checked constructors build."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from punchcard import Component, Money, Package
from punchcard._fast import build_trusted, evolve_trusted, maker
from punchcard.events import ItemCredits, PackageExpired
from punchcard.lifecycle.state import StoredBalance
from punchcard.testing import packages

AT = dt.datetime(2026, 3, 2, 17, 30)
PACKAGES = packages(at=AT, min_size=1, max_size=1, options=True).map(lambda drawn: drawn[0])


@given(package=PACKAGES, first_use=st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2027, 1, 1)))
@settings(max_examples=60, deadline=None)
def test_evolve_trusted_gives_what_attrs_evolve_gives(
    package: Package, first_use: dt.datetime
) -> None:
    assert evolve_trusted(package) == package
    assert evolve_trusted(package, first_used_at=first_use) == attrs.evolve(
        package, first_used_at=first_use
    )
    if package.components and package.components[0].remaining > 0:
        component = package.components[0]
        lower = component.remaining - 1
        assert evolve_trusted(component, remaining=lower) == attrs.evolve(
            component, remaining=lower
        )


@given(package=PACKAGES)
@settings(max_examples=60, deadline=None)
def test_build_trusted_gives_what_the_constructor_gives(package: Package) -> None:
    fields = {f.name: getattr(package, f.name) for f in attrs.fields(Package)}
    assert build_trusted(Package, **fields) == Package(**fields)
    given_only = {k: v for k, v in fields.items() if v != attrs.fields_dict(Package)[k].default}
    assert build_trusted(Package, **given_only) == package  # left out: the defaults


def test_inherited_fields_and_memos() -> None:
    """An event's fields are declared on its base class (slots of the base); a value's memo
    (an ``init=False`` field) starts fresh, never copied."""
    at = dt.datetime(2026, 3, 1, 23, 59, tzinfo=dt.timezone.utc)
    fields = {
        "event_id": "e1",
        "package_id": "p1",
        "seq": 3,
        "at": at,
        "actor": None,
        "expires_on": dt.date(2026, 3, 1),
        "credits": (ItemCredits("x", 2),),
        "balance": None,
    }
    event = build_trusted(PackageExpired, **fields)
    assert event == PackageExpired(**fields)
    assert evolve_trusted(event, seq=4) == attrs.evolve(event, seq=4)
    memo = _WithMemo(3)
    memo.seen["x"] = 1
    again = evolve_trusted(memo, n=4)
    assert (again.n, again.seen) == (4, {})
    assert build_trusted(_WithMemo, n=5).seen == {}


@attrs.frozen
class _WithMemo:
    n: int
    seen: dict[str, int] = attrs.field(init=False, factory=dict, eq=False)


def test_a_component_built_trusted_is_the_checked_one() -> None:
    assert build_trusted(Component, item="x", remaining=2) == Component("x", 2)


@given(package=PACKAGES)
@settings(max_examples=60, deadline=None)
def test_maker_gives_what_the_constructor_gives(package: Package) -> None:
    """The scenario reader's positional builder: the fields it names in its order, the rest
    their defaults (here: every field given but the beneficiary and the pauses)."""
    names = [
        f.name for f in attrs.fields(Package) if f.init and f.name not in ("beneficiary", "pauses")
    ]
    make = maker(Package, *names)
    built = make(*(getattr(package, name) for name in names))
    assert built == attrs.evolve(package, beneficiary=None, pauses=())
    assert maker(_WithMemo, "n")(7) == _WithMemo(7)
    assert maker(_WithMemo, "n")(7).seen == {}


def test_maker_refuses_an_unknown_field_and_a_field_without_default() -> None:
    with pytest.raises(TypeError, match="has no fields"):
        maker(Component, "item", "colour")
    with pytest.raises(TypeError, match="has no default"):
        maker(Component, "item")


def test_maker_refuses_to_leave_out_a_default_that_takes_self() -> None:
    # (its factory needs the instance; the generated builder calls factories with nothing)
    stored = {"granted": Money("5", "USD"), "remaining": Money("5", "USD")}
    zero = Money("0", "USD")
    names = ("granted", "remaining", "held", "used", "expired", "refunded")
    with pytest.raises(TypeError, match="'forfeited' has a default that takes self"):
        maker(StoredBalance, *names)
    made = maker(StoredBalance, *names, "forfeited")
    values = [*stored.values(), zero, zero, zero, zero, zero]
    assert made(*values) == StoredBalance(*values)


def test_evolve_trusted_refuses_a_field_the_class_does_not_have() -> None:
    with pytest.raises(TypeError, match="no field 'colour'"):
        evolve_trusted(Component("x", 1), colour="red")
