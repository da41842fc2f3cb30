"""The catalogue (package types, gated by ``manage_packages``), the customer portal listing, the
franchise rules (global vs local types), and the permission values."""

from __future__ import annotations

import attrs
import pytest
from lifecycle_kit import ADMIN, BUNDLE, DESK, MONTHLY, NY, PASS10, Book, at

from punchcard import Money, Settings
from punchcard.errors import InvalidTypeError, InvalidValueError, PunchcardError
from punchcard.lifecycle import (
    ASSIGN_CREDITS,
    MANAGE_PACKAGES,
    Actor,
    Business,
    Catalogue,
    Franchise,
    OperationRefused,
    PermissionDenied,
    add_type,
    delete,
    delete_type,
    edit_type,
    portal_listing,
    require,
)

CATALOGUE = Catalogue([PASS10, BUNDLE, MONTHLY])


def test_types_are_added_edited_and_deleted_with_manage_packages() -> None:
    catalogue = add_type(Catalogue(), PASS10, actor=ADMIN)
    catalogue = edit_type(catalogue, PASS10.id, {"price": Money("240", "USD")}, actor=ADMIN)
    assert catalogue.get(PASS10.id).price == Money("240", "USD")
    assert delete_type(catalogue, PASS10.id, actor=ADMIN) == Catalogue()


@pytest.mark.parametrize(
    ("call", "actor"),
    [
        (lambda: add_type(Catalogue(), PASS10, actor=DESK), "front-desk"),
        (lambda: edit_type(CATALOGUE, PASS10.id, {"active": False}, actor=DESK), "front-desk"),
        (lambda: delete_type(CATALOGUE, PASS10.id, actor=Actor("x", {ASSIGN_CREDITS})), "x"),
    ],
)
def test_catalogue_changes_need_manage_packages(call: object, actor: str) -> None:
    with pytest.raises(PermissionDenied) as info:
        call()  # type: ignore[operator]
    assert info.value.permission == "manage_packages"
    assert str(info.value) == f"actor {actor!r} lacks the permission 'manage_packages'"
    assert Catalogue([PASS10, BUNDLE, MONTHLY]) == CATALOGUE  # unchanged


def test_catalogue_refusals_say_why_and_change_nothing() -> None:
    snapshot = Catalogue(CATALOGUE.types)
    cases = [
        (
            lambda: add_type(CATALOGUE, PASS10, actor=ADMIN),
            "duplicate_type",
            "there is already a package type 'daycare-10'",
        ),
        (
            lambda: edit_type(CATALOGUE, "x", {}, actor=ADMIN),
            "unknown_type",
            "there is no package type 'x'",
        ),
        (
            lambda: delete_type(CATALOGUE, MONTHLY.id, actor=ADMIN),
            "subscription_type",
            "subscription type 'monthly-8' cannot be deleted; deactivate it instead",
        ),
    ]
    for call, code, message in cases:
        with pytest.raises(OperationRefused) as info:
            call()
        assert info.value.code == code
        assert str(info.value) == message
        assert snapshot == CATALOGUE
    deactivated = edit_type(CATALOGUE, MONTHLY.id, {"active": False}, actor=ADMIN)
    assert not deactivated.get(MONTHLY.id).active
    assert CATALOGUE.get(MONTHLY.id).active


def test_edit_type_validates_like_a_new_type() -> None:
    with pytest.raises(InvalidValueError, match="must not be negative"):
        edit_type(CATALOGUE, PASS10.id, {"price": Money("-1", "USD")}, actor=ADMIN)
    with pytest.raises(InvalidValueError, match=r"unknown package type fields \['colour'\]"):
        edit_type(CATALOGUE, PASS10.id, {"colour": "red"}, actor=ADMIN)
    with pytest.raises(InvalidValueError, match="the id of a package type cannot change"):
        edit_type(CATALOGUE, PASS10.id, {"id": "other"}, actor=ADMIN)


def test_editing_a_type_does_not_change_packages_already_sold() -> None:
    book = Book()
    book.buy(PASS10)
    catalogue = edit_type(
        CATALOGUE, PASS10.id, {"price": Money("1", "USD"), "days_to_expiration": 1}, actor=ADMIN
    )
    book.buy(catalogue.get(PASS10.id), "p2", when=at(3, 2))
    assert book.state.package("p1").paid == Money("250", "USD")
    assert str(book.state.package("p1").expires_on) == "2026-03-31"
    assert book.state.package("p2").paid == Money("1", "USD")


def test_portal_lists_active_online_types_and_subscriptions_apart() -> None:
    catalogue = Catalogue([PASS10, BUNDLE, MONTHLY, attrs.evolve(PASS10, id="off", active=False)])
    listing = portal_listing(catalogue, Book().state, "smith")
    assert [t.id for t in listing.packages] == ["daycare-10"]  # BUNDLE is not sold online
    assert [t.id for t in listing.subscriptions] == ["monthly-8"]


def test_portal_hides_a_once_per_owner_type_already_bought() -> None:
    once = attrs.evolve(PASS10, once_per_owner=True)
    catalogue = Catalogue([once])
    book = Book()
    book.buy(once)
    assert portal_listing(catalogue, book.state, "smith").packages == ()
    assert [t.id for t in portal_listing(catalogue, book.state, "jones").packages] == [once.id]
    book(delete(book.state, "p1", as_of=at(3, 2)))  # a deleted package was bought all the same
    assert portal_listing(catalogue, book.state, "smith").packages == ()


def test_portal_by_location() -> None:
    uptown = attrs.evolve(PASS10, id="up", location="uptown")
    everywhere = attrs.evolve(PASS10, id="all", location=None)
    catalogue = Catalogue([PASS10, uptown, everywhere])
    listing = portal_listing(catalogue, Book().state, "smith", location="uptown")
    assert [t.id for t in listing.packages] == ["up", "all"]


# -- franchise ------------------------------------------------------------------------------------

FRANCHISE = Franchise.from_mapping("hq", {"north": {"downtown", "uptown"}, "south": {"beach"}})
GLOBAL = attrs.evolve(PASS10, id="global", location=None, defined_at="hq")
LOCAL = attrs.evolve(PASS10, id="local", location="downtown", defined_at="north")


def test_franchise_sell_and_redeem() -> None:
    assert FRANCHISE.locations == {"downtown", "uptown", "beach"}
    assert all(FRANCHISE.may_sell(GLOBAL, loc) for loc in FRANCHISE.locations)
    assert [FRANCHISE.may_sell(LOCAL, loc) for loc in ("downtown", "uptown", "beach")] == [
        True,
        True,
        False,
    ]
    assert FRANCHISE.may_redeem(GLOBAL, "beach", Settings())
    assert FRANCHISE.may_redeem(LOCAL, "downtown", Settings())
    assert not FRANCHISE.may_redeem(LOCAL, "uptown", Settings())
    assert FRANCHISE.may_redeem(LOCAL, "uptown", Settings(any_location=True))
    assert not FRANCHISE.may_redeem(LOCAL, "beach", Settings(any_location=True))


def test_global_types_are_deleted_only_at_the_parent_and_local_only_at_their_child() -> None:
    catalogue = Catalogue([GLOBAL, LOCAL])
    with pytest.raises(OperationRefused) as info:
        delete_type(
            catalogue,
            "global",
            actor=ADMIN,
            account="north",
            business=Business(franchise=FRANCHISE),
        )
    assert info.value.code == "not_defined_here"
    assert str(info.value) == (
        "package type 'global' is defined at 'hq' and can only be deleted there (tried at 'north')"
    )
    with pytest.raises(OperationRefused):
        delete_type(
            catalogue, "local", actor=ADMIN, account="hq", business=Business(franchise=FRANCHISE)
        )
    with pytest.raises(OperationRefused):
        delete_type(
            catalogue, "local", actor=ADMIN, account="south", business=Business(franchise=FRANCHISE)
        )
    left = delete_type(
        catalogue, "global", actor=ADMIN, account="hq", business=Business(franchise=FRANCHISE)
    )
    assert [t.id for t in left.types] == ["local"]
    assert delete_type(
        left, "local", actor=ADMIN, account="north", business=Business(franchise=FRANCHISE)
    ) == (Catalogue())


def test_franchise_portal_listing_by_location() -> None:
    catalogue = Catalogue([GLOBAL, LOCAL])
    listing = portal_listing(
        catalogue, Book().state, "smith", location="beach", business=Business(franchise=FRANCHISE)
    )
    assert [t.id for t in listing.packages] == ["global"]


def test_franchise_validation() -> None:
    with pytest.raises(InvalidValueError, match="belongs to 'a' and 'b'"):
        Franchise.from_mapping("hq", {"a": {"x"}, "b": {"x"}})
    with pytest.raises(InvalidValueError, match="is the parent, not a child"):
        Franchise.from_mapping("hq", {"hq": {"x"}})
    with pytest.raises(InvalidValueError, match="'nowhere' is not an account"):
        FRANCHISE.scope(attrs.evolve(PASS10, defined_at="nowhere"))


# -- permissions and errors -----------------------------------------------------------------------


def test_actor_and_require() -> None:
    ann = Actor("ann", [MANAGE_PACKAGES])
    require(ann, MANAGE_PACKAGES)
    with pytest.raises(
        PermissionDenied, match=r"^actor 'ann' lacks the permission 'assign_credits'$"
    ):
        require(ann, ASSIGN_CREDITS)
    with pytest.raises(InvalidValueError, match="must be among"):
        Actor("bob", {"sell_ice"})
    with pytest.raises(InvalidTypeError):
        Actor("bob", "assign_credits")
    with pytest.raises(InvalidTypeError, match="actor: must be an Actor"):
        require("ann", MANAGE_PACKAGES)  # type: ignore[arg-type]


def test_errors_belong_to_one_hierarchy() -> None:
    from punchcard.lifecycle import LedgerError

    for err in (
        OperationRefused("used", "m"),
        PermissionDenied("assign_credits", "a"),
        LedgerError("p", "m"),
    ):
        assert isinstance(err, PunchcardError)
    assert isinstance(OperationRefused("used", "m"), ValueError)
    assert isinstance(PermissionDenied("assign_credits", "a"), LookupError)
    assert isinstance(LedgerError("p", "m"), ValueError)


def test_purchase_with_an_actor_records_who_sold_it() -> None:
    book = Book()
    book.buy(PASS10, actor=Actor("till-3"))
    assert book.events[0].actor == "till-3"
    assert book.state.package("p1").timezone == NY


def test_issue9_item6_permission_denied_is_not_caught_by_except_oserror() -> None:
    """A host's ``except OSError`` around its own I/O must not swallow a refused operation
    (PermissionError is an OSError; PermissionDenied derives from LookupError instead)."""
    assert not issubclass(PermissionDenied, OSError)
    assert issubclass(PermissionDenied, LookupError)

    def save_with_io_guard() -> str:
        try:
            add_type(Catalogue(), PASS10, actor=Actor("desk"))
        except OSError:
            return "swallowed as an I/O error"
        return "saved"

    with pytest.raises(PermissionDenied):
        save_with_io_guard()
