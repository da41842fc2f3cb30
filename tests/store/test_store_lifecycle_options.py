"""The store with the lifecycle options of issue 12 (options 1, 11-14 and 17): a late cancellation and
a no-show under the business's terms (waived by staff), a transfer between two owners (both
owners' rows in one transaction, under both guards, once per key), a change of beneficiary, a
renewal date set by hand and renewals stopped. Every operation goes through the one commit path:
its events in the ledger, the projection what the ledger replays to, a retry answered with the
first outcome, a refusal writing nothing.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from databases import (
    DATABASES,
    MONTHLY,
    NY,
    PASS10,
    Database,
    at,
    cart,
    open_database,
    snapshot,
    usd,
)

from punchcard.lifecycle import (
    PERMISSIONS,
    Actor,
    BeneficiaryChanged,
    Business,
    CancellationFee,
    CreditsTransferredIn,
    CreditsTransferredOut,
    LateCancel,
    OperationRefused,
    PackageType,
    PermissionDenied,
    RedemptionCancelled,
    RedemptionForfeited,
    RenewalDateSet,
    RenewalStopped,
    TypeComponent,
)
from punchcard.store import IdempotencyKeyReused, OwnerMismatch, Receipt, Store

BOSS = Actor("boss", PERMISSIONS)
DESK = Actor("desk")
#: Cancelling less than 24 hours before the start forfeits the credit; a no-show costs $15.
TERMS = Business(
    timezone=NY,
    late_cancel=LateCancel(window=dt.timedelta(hours=24), no_show="fee", fee=usd("15")),
)
#: Five days for one dog.
FOR_ONE = PackageType(
    id="one-dog",
    name="5 days for one dog",
    components=[TypeComponent("daycare_full", 5)],
    price=usd("125"),
    individual=True,
)


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path)


@pytest.fixture
def store(database: Database) -> Iterator[Store]:
    opened = database.store(business=TERMS)
    yield opened
    opened.close()


def _committed_once(
    database: Database,
    store: Store,
    step: Callable[[], Receipt],
    owners: tuple[str, ...] = ("smith",),
) -> Receipt:
    """Run *step*; check that each owner's projection is their ledger replayed, and that a retry
    under the same key is answered with the first outcome and writes nothing."""
    receipt = step()
    assert not receipt.replayed
    for owner in owners:
        assert store.state(owner) == store.replay(owner)
    before = snapshot(database)
    again = step()
    assert again.replayed
    assert (again.events, again.positions) == (receipt.events, receipt.positions)
    assert snapshot(database) == before
    return receipt


def _booked(store: Store) -> None:
    store.sell("smith", PASS10, key="s1", package_id="p1", as_of=at(3, 1), timezone=NY)
    day = cart("smith", ("d5", "daycare_full", 1))
    store.hold(day, key="h1", booking="b1", as_of=at(3, 2), scheduled_for=at(3, 5, 8), timezone=NY)


def test_issue12_option1_the_store_forfeits_a_late_cancellation(
    database: Database, store: Store
) -> None:
    _booked(store)
    late = _committed_once(
        database, store, lambda: store.cancel("smith", "b1", key="c1", as_of=at(3, 4, 9))
    )
    (event,) = late.events
    assert isinstance(event, RedemptionForfeited)
    assert event.reason == "late_cancel"
    component = store.state("smith").package("p1").component("daycare_full")
    assert (component.remaining, component.forfeited) == (9, 1)
    assert [r.status for r in store.state("smith").package("p1").redemptions] == ["forfeited"]


def test_issue12_option1_the_store_waives_a_penalty_for_staff_with_the_permission(
    database: Database, store: Store
) -> None:
    _booked(store)
    before = snapshot(database)
    with pytest.raises(PermissionDenied, match="deduct_refund_credits"):
        store.cancel("smith", "b1", key="c1", as_of=at(3, 4, 9), actor=DESK, waive=True)
    assert snapshot(database) == before
    waived = _committed_once(
        database,
        store,
        lambda: store.cancel("smith", "b1", key="c2", as_of=at(3, 4, 9), actor=BOSS, waive=True),
    )
    assert [type(e) for e in waived.events] == [RedemptionCancelled]
    assert store.state("smith").package("p1").remaining("daycare_full") == 10


def test_issue12_option1_the_store_records_a_no_show_and_its_fee(
    database: Database, store: Store
) -> None:
    _booked(store)
    before = snapshot(database)
    with pytest.raises(OperationRefused) as info:
        store.no_show("smith", "b1", key="n0", as_of=at(3, 5, 7))
    assert info.value.code == "not_started"
    assert snapshot(database) == before
    missed = _committed_once(
        database, store, lambda: store.no_show("smith", "b1", key="n1", as_of=at(3, 5, 10))
    )
    kinds = [type(e).__name__ for e in missed.events]
    assert kinds == ["RedemptionUsed", "RedemptionCancelled", "CancellationFee"]
    fee = missed.events[-1]
    assert isinstance(fee, CancellationFee)
    assert fee.fee == usd("15")
    assert store.state("smith").package("p1").remaining("daycare_full") == 10


def _two_owners(store: Store) -> None:
    store.sell("smith", PASS10, key="s1", package_id="p1", as_of=at(3, 1), timezone=NY)
    store.sell("jones", PASS10, key="s2", package_id="j1", as_of=at(3, 1), timezone=NY)


def test_issue12_option11_the_store_transfers_between_two_owners_in_one_transaction(
    database: Database, store: Store
) -> None:
    _two_owners(store)
    moved = _committed_once(
        database,
        store,
        lambda: store.transfer(
            "smith", "p1", "jones", "j1", "daycare_full", 3, key="x1", as_of=at(3, 2), actor=BOSS
        ),
        owners=("smith", "jones"),
    )
    out, into = moved.events
    assert isinstance(out, CreditsTransferredOut)
    assert isinstance(into, CreditsTransferredIn)
    assert (moved.owner, out.package_id, into.package_id) == ("smith", "p1", "j1")
    # both ledgers record it: each event under its package's owner
    assert [type(e) for e in store.events("smith")][-1] is CreditsTransferredOut
    assert [type(e) for e in store.events("jones")][-1] is CreditsTransferredIn
    assert store.state("smith").package("p1").remaining("daycare_full") == 7
    assert store.state("jones").package("j1").remaining("daycare_full") == 13
    # the same key with other arguments is refused, writing nothing
    before = snapshot(database)
    with pytest.raises(IdempotencyKeyReused):
        store.transfer(
            "smith", "p1", "jones", "j1", "daycare_full", 2, key="x1", as_of=at(3, 2), actor=BOSS
        )
    assert snapshot(database) == before


def test_issue12_option11_the_store_refuses_a_transfer_without_writing(
    database: Database, store: Store
) -> None:
    _two_owners(store)
    store.sell("lee", PASS10, key="s3", package_id="l1", as_of=at(3, 1), timezone=NY)
    before = snapshot(database)
    with pytest.raises(PermissionDenied, match="assign_credits"):
        store.transfer(
            "smith", "p1", "jones", "j1", "daycare_full", 1, key="x1", as_of=at(3, 2), actor=DESK
        )
    with pytest.raises(OperationRefused) as info:
        store.transfer(
            "smith", "p1", "jones", "j1", "daycare_full", 11, key="x2", as_of=at(3, 2), actor=BOSS
        )
    assert info.value.code == "insufficient_credits"
    # a package named for an owner who does not hold it, either side
    with pytest.raises(OwnerMismatch):
        store.transfer(
            "smith", "p1", "jones", "l1", "daycare_full", 1, key="x3", as_of=at(3, 2), actor=BOSS
        )
    with pytest.raises(OwnerMismatch):
        store.transfer(
            "smith", "j1", "jones", "p1", "daycare_full", 1, key="x4", as_of=at(3, 2), actor=BOSS
        )
    assert snapshot(database) == before


def test_issue12_option11_the_store_transfers_between_two_packages_of_one_owner(
    database: Database, store: Store
) -> None:
    store.sell("smith", PASS10, key="s1", package_id="p1", as_of=at(3, 1), timezone=NY)
    store.sell("smith", PASS10, key="s2", package_id="p2", as_of=at(3, 1), timezone=NY)
    moved = _committed_once(
        database,
        store,
        lambda: store.transfer(
            "smith", "p1", "smith", "p2", "daycare_full", 2, key="x1", as_of=at(3, 2), actor=BOSS
        ),
    )
    assert [e.package_id for e in moved.events] == ["p1", "p2"]
    assert store.state("smith").package("p2").remaining("daycare_full") == 12


@pytest.mark.slow
def test_issue12_option11_transfers_both_ways_at_once_never_deadlock(database: Database) -> None:
    # Two threads transfer a credit at a time between the same two owners in opposite
    # directions: the guards are taken in name order, so neither waits for the other forever;
    # every credit is accounted for afterwards.
    setup = database.store(business=TERMS)
    _two_owners(setup)
    setup.close()
    errors: list[BaseException] = []

    def worker(source: str, package: str, target: str, to: str) -> None:
        store = database.store(business=TERMS, retries=50)
        try:
            for i in range(8):
                store.transfer(
                    source,
                    package,
                    target,
                    to,
                    "daycare_full",
                    1,
                    key=f"{source}-{i}",
                    as_of=at(3, 2, 10),
                    actor=BOSS,
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.close()

    threads = [
        threading.Thread(target=worker, args=("smith", "p1", "jones", "j1")),
        threading.Thread(target=worker, args=("jones", "j1", "smith", "p1")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    store = database.store(business=TERMS)
    try:
        for owner, package in (("smith", "p1"), ("jones", "j1")):
            assert store.state(owner) == store.replay(owner)
            c = store.state(owner).package(package).component("daycare_full")
            assert (c.granted, c.remaining, c.transferred) == (18, 10, 8)
    finally:
        store.close()


def test_issue12_option12_the_store_changes_a_beneficiary(database: Database, store: Store) -> None:
    store.sell(
        "smith", FOR_ONE, key="s1", package_id="r1", as_of=at(3, 1), timezone=NY, beneficiary="rex"
    )
    moved = _committed_once(
        database,
        store,
        lambda: store.change_beneficiary(
            "smith", "r1", "fido", key="b1", as_of=at(3, 2), actor=BOSS
        ),
    )
    (event,) = moved.events
    assert isinstance(event, BeneficiaryChanged)
    assert store.state("smith").package("r1").beneficiary == "fido"
    before = snapshot(database)
    with pytest.raises(PermissionDenied):
        store.change_beneficiary("smith", "r1", "rex", key="b2", as_of=at(3, 3), actor=DESK)
    with pytest.raises(OwnerMismatch):
        store.change_beneficiary("jones", "r1", "rex", key="b3", as_of=at(3, 3), actor=BOSS)
    assert snapshot(database) == before


def test_issue12_option13_the_store_sets_a_renewal_date_and_stops_renewals(
    database: Database, store: Store
) -> None:
    store.sell("smith", MONTHLY, key="s1", package_id="sub", as_of=at(3, 1), timezone=NY)
    moved = _committed_once(
        database,
        store,
        lambda: store.set_renewal("smith", "sub", dt.date(2026, 3, 20), key="r1", as_of=at(3, 2)),
    )
    (event,) = moved.events
    assert isinstance(event, RenewalDateSet)
    assert store.state("smith").package("sub").expires_on == dt.date(2026, 3, 20)
    stopped = _committed_once(
        database, store, lambda: store.stop_renewal("smith", "sub", key="r2", as_of=at(3, 3))
    )
    (event,) = stopped.events
    assert isinstance(event, RenewalStopped)
    assert event.ends_on == dt.date(2026, 3, 20)
    before = snapshot(database)
    with pytest.raises(OperationRefused) as info:
        store.stop_renewal("smith", "sub", key="r3", as_of=at(3, 4))
    assert info.value.code == "already_stopped"
    assert snapshot(database) == before
    # the period runs out, then the package expires instead of renewing
    store.sweep("smith", key="n1", as_of=at(3, 22))
    assert store.state("smith").package("sub").status == "expired"


def test_issue12_option1_revision_5_lets_a_redemption_be_forfeited(tmp_path: Path) -> None:
    from punchcard.store import StoreError, current_revision, downgrade, upgrade

    (database,) = open_database("sqlite", tmp_path, tables=False)
    upgrade(database.url, "0004")
    upgrade(database.url)
    assert current_revision(database.url) == "0005"
    downgrade(database.url, "0004")  # nothing forfeited yet: back and up again
    upgrade(database.url)
    store = database.store(business=TERMS)
    try:
        _booked(store)
        store.cancel("smith", "b1", key="c1", as_of=at(3, 4, 9))
    finally:
        store.close()
    before = snapshot(database)
    with pytest.raises(StoreError, match="revision 0005 cannot be downgraded"):
        downgrade(database.url, "0004")
    assert current_revision(database.url) == "0005"
    assert snapshot(database) == before


def test_issue12_option14_the_store_refunds_used_credits_at_the_service_price(
    database: Database,
) -> None:
    """Option 14 through the store: the business's ``refund_used_at`` reaches the refund. Two of
    ten credits ($25 each, paid) used on $30 lines: the paid value refunds $200, the service
    price $190."""
    from punchcard import Settings

    paid, service = (
        Business(timezone=NY, settings=Settings(refund_after_use=True), refund_used_at=basis)
        for basis in ("paid_value", "service_price")
    )
    for owner, business, amount in (("smith", paid, "200.00"), ("jones", service, "190.00")):
        store = database.store(business=business)
        store.sell(owner, PASS10, key=f"s-{owner}", package_id=owner, as_of=at(3, 1), timezone=NY)
        two = cart(owner, ("d1", "daycare_full", 2))
        store.checkout(two, key=f"c-{owner}", booking="t", as_of=at(3, 2), timezone=NY)
        refunded = _committed_once(
            database,
            store,
            lambda o=owner, s=store: s.refund(o, o, key=f"r-{o}", as_of=at(3, 3), actor=BOSS),
            owners=(owner,),
        )
        (event,) = [e for e in refunded.events if e.kind == "package_refunded"]
        assert event.amount == usd(amount)  # type: ignore[attr-defined]
        store.close()


def test_issue12_option17_the_store_keeps_a_credit_held_before_the_expiry(
    database: Database,
) -> None:
    """Option 17 through the store: PASS10 sold Mar 1 expires Apr 30 at 23:59; a hold booked on
    Apr 29 for May 2 keeps its credit when the business judges expiry at the booking, and is
    due in full by default (judged at the appointment)."""
    for owner, judged, due in (("smith", "appointment", "30.00"), ("jones", "booking", "0.00")):
        store = database.store(business=Business(timezone=NY, expiry_judged_at=judged))
        store.sell(owner, PASS10, key=f"s-{owner}", package_id=owner, as_of=at(3, 1), timezone=NY)
        day = cart(owner, ("d1", "daycare_full", 1))
        receipt = _committed_once(
            database,
            store,
            lambda d=day, s=store, o=owner: s.hold(
                d,
                key=f"h-{o}",
                booking="b",
                as_of=at(4, 29),
                scheduled_for=at(5, 2, 8),
                timezone=NY,
            ),
            owners=(owner,),
        )
        assert receipt.charges is not None
        assert receipt.charges.due == usd(due)
        store.close()
