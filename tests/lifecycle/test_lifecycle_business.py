"""The business given once (issue 9 item 6): its settings, policy, rates and choices, who may do
what (issue 10 item 7) and its franchise's rules at checkout (issue 10 item 6)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from lifecycle_kit import ADMIN, DESK, NY, PASS10, THREE, Book, at, daycare_cart, refused

import punchcard.lifecycle as lifecycle
from punchcard import Application, Cart, Line, Money, Policy, Settings
from punchcard.errors import InvalidTypeError, InvalidValueError
from punchcard.lifecycle import (
    ASSIGN_CREDITS,
    DEDUCT_REFUND_CREDITS,
    DEFAULT_REQUIRED,
    MANAGE_PACKAGES,
    OPERATIONS,
    PAUSE_PACKAGES,
    Actor,
    Business,
    Franchise,
    PackageType,
    PermissionDenied,
    PermissionPolicy,
    RedemptionOutcome,
    TypeComponent,
    assign,
    cancel,
    checkout,
    delete,
    edit_expiry,
    hold,
    purchase,
)

# -- the business ---------------------------------------------------------------------------------


def test_issue9_item6_business_defaults_are_the_source_articles() -> None:
    business = Business()
    assert business.settings == Settings()
    assert business.policy == Policy()
    assert (business.cancel_after_expiry, business.unused_at_renewal) == ("expire", "forfeit")
    assert business.permissions == PermissionPolicy()
    assert business.franchise is None
    assert business.expires_at == dt.timedelta(hours=23, minutes=59)
    assert Business(policy=Policy(expires_at="24:00")).expires_at == dt.timedelta(days=1)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        business.settings = Settings(any_type=True)  # type: ignore[misc]
    assert hash(business) == hash(Business())


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"settings": "lenient"}, InvalidTypeError, "settings"),
        ({"policy": None}, InvalidTypeError, "policy"),
        ({"cancel_after_expiry": "forgive"}, InvalidValueError, "cancel_after_expiry"),
        ({"unused_at_renewal": "bank"}, InvalidValueError, "unused_at_renewal"),
        ({"permissions": {"delete": MANAGE_PACKAGES}}, InvalidTypeError, "permissions"),
        ({"franchise": "hq"}, InvalidTypeError, "franchise"),
        ({"timezone": "Mars/Olympus"}, InvalidValueError, "timezone"),
        ({"zones": {"beach": "Mars/Olympus"}}, InvalidValueError, "zones.beach"),
        ({"rates": 5}, InvalidTypeError, "rates"),
    ],
)
def test_issue9_item6_business_refuses_bad_input_naming_the_field(
    kwargs: dict[str, Any], error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as info:
        Business(**kwargs)
    assert info.value.field == field  # type: ignore[attr-defined]


def test_issue9_item6_times_are_read_in_the_zone_of_the_location() -> None:
    business = Business(timezone=NY, zones={"beach": "America/Los_Angeles"})
    book = Book()
    anywhere = attrs.evolve(THREE, location=None)
    outcome = purchase(
        book.state, anywhere, package_id="p1", owner="smith", as_of=at(3, 1, 10), business=business
    )
    assert outcome.own[0].at.isoformat() == "2026-03-01T10:00:00-05:00"
    book(outcome)
    beach = Cart("smith", "beach", "USD", [Line("l1", "daycare_full", Money("30", "USD"))])
    held = hold(book.state, beach, booking="b", as_of=at(3, 2, 9), business=business)
    assert held.own[0].at.isoformat() == "2026-03-02T09:00:00-08:00"
    with pytest.raises(InvalidValueError, match=r"^timezone: no zone is known for location"):
        hold(book.state, beach, booking="b", as_of=at(3, 2, 9))
    with pytest.raises(InvalidTypeError, match=r"^business: must be a punchcard\.lifecycle"):
        hold(book.state, beach, booking="b", as_of=at(3, 2, 9), timezone=NY, business=None)  # type: ignore[arg-type]


def test_issue9_item6_operations_take_as_of_and_business_by_keyword() -> None:
    import inspect

    for name in (
        "purchase",
        "hold",
        "checkout",
        "close_ticket",
        "use",
        "cancel",
        "refund",
        "delete",
        "assign",
        "deduct",
        "edit_expiry",
        "catch_up",
        "expire",
        "renew",
        "use_due",
    ):
        parameters = inspect.signature(getattr(lifecycle, name)).parameters
        assert parameters["as_of"].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameters["business"].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameters["business"].default == Business(), name
        assert "at" not in parameters
        assert "settings" not in parameters
        assert "policy" not in parameters


def test_issue9_item6_every_public_name_is_exported() -> None:
    for name in lifecycle.__all__:
        assert hasattr(lifecycle, name), name
    assert lifecycle.__all__ == sorted(lifecycle.__all__, key=lambda n: (not n.isupper(), n))
    for name in (
        "Business",
        "Outcome",
        "RedemptionOutcome",
        "TicketOutcome",
        "TicketLine",
        "PermissionPolicy",
        "LedgerError",
        "RedemptionRecorded",
        "Terms",
        "Renewal",
        "close_ticket",
        "catch_up",
        "package_at",
        "event_to_dict",
        "event_from_dict",
        "FORMAT_VERSION",
        "PackageStatus",
        "RecordStatus",
        "Operation",
    ):
        assert name in lifecycle.__all__, name


def test_issue9_item6_outcome_fields_always_there() -> None:
    """A hold no credit pays for still has the engine's answer (not None) and no events."""
    book = Book()
    outcome = hold(book.state, daycare_cart(5), booking="b", as_of=at(3, 2), timezone=NY)
    assert isinstance(outcome, RedemptionOutcome)
    assert isinstance(outcome.application, Application)
    assert (outcome.events, outcome.caught_up, outcome.barred) == ((), 0, ())
    assert outcome.state is book.state
    assert str(outcome.application.due) == "30.00"


# -- permissions are a policy ---------------------------------------------------------------------


def test_issue10_item7_the_seeds_three_permissions_and_their_defaults() -> None:
    # the seeds' three, and the one of pauses (issue 12 option 8)
    assert {ASSIGN_CREDITS, DEDUCT_REFUND_CREDITS, MANAGE_PACKAGES, PAUSE_PACKAGES} == (
        lifecycle.PERMISSIONS
    )
    policy = PermissionPolicy()
    assert {op: policy.needs(op) for op in OPERATIONS} == dict(DEFAULT_REQUIRED)
    assert [op for op in OPERATIONS if policy.needs(op) is not None] == [
        "refund",
        "assign",
        "deduct",
        "add_type",
        "edit_type",
        "delete_type",
        "pause",
        "unpause",
        # issue 12: waiving a late-cancel / no-show penalty, transfers, moving a package
        "waive",
        "transfer",
        "change_beneficiary",
    ]
    with pytest.raises(InvalidValueError, match=r"^required\.delete: must be None or one of"):
        PermissionPolicy({"delete": "delete_things"})
    with pytest.raises(InvalidValueError, match=r"^cancel_used_after: must be None or a"):
        PermissionPolicy(cancel_used_after=dt.timedelta(days=-1))


def test_issue10_item7_default_policy_is_todays_behaviour() -> None:
    """Any actor (or none) may delete, edit an expiry and cancel credits used long ago."""
    book = Book()
    book.buy(PASS10, "gone")
    book(delete(book.state, "gone", as_of=at(3, 2), actor=DESK))
    book.buy(PASS10, "p1", when=at(3, 2, 10))
    book(edit_expiry(book.state, "p1", dt.date(2099, 1, 1), as_of=at(3, 3)))
    book(checkout(book.state, daycare_cart(4, units=3), booking="t", as_of=at(3, 4), timezone=NY))
    outcome = book(cancel(book.state, "t", as_of=at(3, 22)))
    assert [(e.credits, e.was) for e in outcome.own] == [(3, "used")]  # type: ignore[union-attr]


STRICT = Business(
    permissions=PermissionPolicy(
        {
            "delete": MANAGE_PACKAGES,
            "edit_expiry": MANAGE_PACKAGES,
            "cancel_used": DEDUCT_REFUND_CREDITS,
            "assign": MANAGE_PACKAGES,
        },
        cancel_used_after=dt.timedelta(days=7),
    )
)


def test_issue10_item7_a_business_puts_delete_and_edit_expiry_behind_a_permission() -> None:
    book = Book()
    book.buy(PASS10)
    refused(
        lambda: delete(book.state, "p1", as_of=at(3, 2), actor=DESK, business=STRICT),
        book,
        code="",
        message="actor 'front-desk' lacks the permission 'manage_packages'",
        error=PermissionDenied,
    )
    refused(
        lambda: edit_expiry(book.state, "p1", dt.date(2099, 1, 1), as_of=at(3, 2), business=STRICT),
        book,
        code="",
        message="no actor was given and the operation needs the permission 'manage_packages'",
        error=PermissionDenied,
    )
    # staff with assign/deduct but not manage_packages may no longer assign either
    staff = Actor("staff", {ASSIGN_CREDITS, DEDUCT_REFUND_CREDITS})
    refused(
        lambda: assign(
            book.state, "p1", "daycare_full", 1, as_of=at(3, 2), actor=staff, business=STRICT
        ),
        book,
        code="",
        message="actor 'staff' lacks the permission 'manage_packages'",
        error=PermissionDenied,
    )
    book(
        edit_expiry(
            book.state, "p1", dt.date(2026, 4, 30), as_of=at(3, 2), actor=ADMIN, business=STRICT
        )
    )
    book(delete(book.state, "p1", as_of=at(3, 3), actor=ADMIN, business=STRICT))
    assert book.state.package("p1").status == "deleted"


def test_issue10_item7_cancelling_credits_used_more_than_n_days_ago_needs_a_permission() -> None:
    """A ticket used 18 days ago: 3 credits back is an assignment in effect."""
    book = Book()
    book.buy(PASS10)
    book(checkout(book.state, daycare_cart(4, units=3), booking="t", as_of=at(3, 4), timezone=NY))
    book(checkout(book.state, daycare_cart(20), booking="u", as_of=at(3, 20), timezone=NY))
    refused(
        lambda: cancel(book.state, "t", as_of=at(3, 22), actor=DESK, business=STRICT),
        book,
        code="",
        message="actor 'front-desk' lacks the permission 'deduct_refund_credits'",
        error=PermissionDenied,
    )
    # within 7 days of the service, anyone may cancel it
    book(cancel(book.state, "u", as_of=at(3, 22), actor=DESK, business=STRICT))
    # and a manager may cancel the old one
    manager = Actor("manager", {DEDUCT_REFUND_CREDITS})
    outcome = book(cancel(book.state, "t", as_of=at(3, 22), actor=manager, business=STRICT))
    assert outcome.own[0].actor == "manager"
    assert book.state.package("p1").remaining("daycare_full") == 10


def test_issue10_item7_cancelling_held_credits_needs_no_cancel_used_permission() -> None:
    book = Book()
    book.buy(PASS10)
    book.hold(30, booking="a", as_of=at(3, 2), scheduled_for=at(3, 30))
    book(cancel(book.state, "a", as_of=at(3, 25), actor=DESK, business=STRICT))


# -- franchise rules at checkout ------------------------------------------------------------------

FRANCHISE = Franchise.from_mapping("hq", {"north": {"downtown", "uptown"}, "south": {"beach"}})
NORTH_LOCAL = PackageType(
    id="north-10",
    name="North 10",
    components=[TypeComponent("daycare_full", 10)],
    price=Money("250", "USD"),
    defined_at="north",
    location="downtown",
)
NORTH_NOWHERE = attrs.evolve(NORTH_LOCAL, id="north-any", location=None)
NATIONAL = attrs.evolve(NORTH_LOCAL, id="national", defined_at="hq", location=None)


def _cart(location: str) -> Cart:
    return Cart("smith", location, "USD", [Line("l1", "daycare_full", Money("30", "USD"))])


@pytest.mark.parametrize(
    ("ptype", "any_location", "location", "redeemed"),
    [
        (NORTH_LOCAL, True, "beach", False),  # another child's location, any_location on
        (NORTH_NOWHERE, False, "beach", False),  # default settings, local type with no location
        (NORTH_LOCAL, True, "uptown", True),  # a location of its own child
        (NORTH_LOCAL, False, "uptown", False),  # any_location off: its own location only
        (NORTH_NOWHERE, False, "uptown", True),
        (NATIONAL, False, "beach", True),  # a global type: every location of the franchise
    ],
)
def test_issue10_item6_checkout_and_hold_follow_the_franchise_rules(
    ptype: PackageType, any_location: bool, location: str, redeemed: bool
) -> None:
    business = Business(franchise=FRANCHISE, settings=Settings(any_location=any_location))
    assert FRANCHISE.may_redeem(ptype, location, business.settings) is redeemed
    book = Book()
    book.buy(ptype)
    assert book.state.package("p1").defined_at == ptype.defined_at
    assert FRANCHISE.may_redeem(book.state.package("p1"), location, business.settings) is redeemed
    for operation in (checkout, hold):
        outcome = operation(
            book.state, _cart(location), booking="b", as_of=at(3, 2), timezone=NY, business=business
        )
        assert [e.package_id for e in outcome.own] == (["p1"] if redeemed else [])
        assert outcome.barred == (() if redeemed else ("p1",))
    # without the franchise, the engine alone would have redeemed it at these locations
    plain = Business(settings=Settings(any_location=any_location))
    alone = checkout(
        book.state, _cart(location), booking="b", as_of=at(3, 2), timezone=NY, business=plain
    )
    assert bool(alone.own) is (ptype.location is None or any_location or location == "downtown")


def test_a_business_compiles_its_policy_once_and_a_booking_without_rules_of_its_own_runs_it() -> (
    None
):
    """The lifecycle runs the business's compiled policy (made once, when the business is made),
    not a policy compiled again at every booking; a changed policy is compiled again."""
    import datetime as dt
    import pickle

    import attrs

    from punchcard import Policy
    from punchcard.lifecycle import Business
    from punchcard.lifecycle.booking_rules import engine_terms
    from punchcard.policy import CompiledPolicy

    business = Business()
    assert isinstance(business.compiled, CompiledPolicy)
    assert business.compiled.policy == business.policy
    at = dt.datetime(2026, 3, 1, 9, tzinfo=dt.timezone.utc)
    _packages, first = engine_terms(business, [], at, at)
    _packages, again = engine_terms(business, [], at, at)
    assert first is business.compiled
    assert again is business.compiled
    changed = attrs.evolve(business, policy=Policy(expires_at="18:00"))
    assert changed.compiled is not business.compiled
    assert changed.compiled.policy == Policy(expires_at="18:00")
    assert changed != business
    assert attrs.evolve(business) == business
    copy = pickle.loads(pickle.dumps(business))  # Dask sends businesses to its workers
    assert copy == business
    assert copy.compiled.policy == business.policy
