"""A stateful test of the package lifecycle against a tiny model (section L of semantics.md).

Random sequences of purchase, hold, checkout, use, cancel, refund, assign, deduct, edit expiry,
delete, the nightly catch-up and the passing of time run against the real operations, under a
business that keeps the default permissions or asks for more (deleting and editing an expiry
need ``manage_packages``; cancelling credits used more than a day before needs
``deduct_refund_credits``), by actors holding some permissions or none. The model knows only
counts, dates and the rules of section L, written out again here: which packages a booking takes
credits from (first in, first out), when a package expires (23:59 New York time, computed with
``zoneinfo``) and when a subscription renews, what an operation at a time first sees (held credits
whose time passed are used, expired packages expired, subscriptions renewed: the *catch-up*, for
the packages the operation reads), and which operation must be refused and with which code. After
every step:

- no balance is below zero, and every component conserves its credits
  (granted = remaining + held + used + deducted + expired + refunded);
- the state equals the model, and replaying the ledger (at once, and from a saved state) gives
  the state; every event survives JSON;
- a refused operation raised the refusal the model expected and left no trace;
- the catch-up events of an outcome come first and record only what was already true.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from punchcard import Cart, Line, Money, Settings
from punchcard.lifecycle import (
    ASSIGN_CREDITS,
    DEDUCT_REFUND_CREDITS,
    MANAGE_PACKAGES,
    Actor,
    Business,
    LedgerEvent,
    LedgerState,
    OperationRefused,
    Outcome,
    PackageExpired,
    PackageType,
    Period,
    PermissionDenied,
    PermissionPolicy,
    RedemptionUsed,
    SubscriptionRenewed,
    TypeComponent,
    assign,
    cancel,
    catch_up,
    checkout,
    deduct,
    delete,
    edit_expiry,
    event_from_dict,
    event_to_dict,
    hold,
    purchase,
    refund,
    replay,
    state_as_of,
    use,
)

NY = ZoneInfo("America/New_York")
USD = "USD"
BUCKETS = ("granted", "remaining", "held", "used", "deducted", "expired", "refunded")

TYPES = (
    PackageType(
        id="a5",
        name="A x5",
        price=Money("100", USD),
        days_to_expiration=4,
        components=[TypeComponent("a", 5)],
    ),
    PackageType(
        id="a2b3",
        name="A x2 + B x3",
        price=Money("90", USD),
        components=[TypeComponent("a", 2), TypeComponent("b", 3)],
    ),
    PackageType(
        id="sub-a4",
        name="A x4 weekly",
        price=Money("50", USD),
        subscription=Period("weeks"),
        components=[TypeComponent("a", 4)],
    ),
    PackageType(
        id="b3-first-use",
        name="B x3",
        price=Money("30", USD),
        days_to_expiration=2,
        expiry_starts="first_use",
        components=[TypeComponent("b", 3)],
    ),
    PackageType(
        id="once-a1",
        name="A x1 once",
        price=Money("10", USD),
        once_per_owner=True,
        components=[TypeComponent("a", 1)],
    ),
)
OWNERS = ("o1", "o2")
STAFF = Actor("staff", {ASSIGN_CREDITS, DEDUCT_REFUND_CREDITS})
MANAGER = Actor("manager", {ASSIGN_CREDITS, DEDUCT_REFUND_CREDITS, MANAGE_PACKAGES})
DESK = Actor("desk")
ACTORS = (STAFF, MANAGER, DESK, None)
#: A business that asks for more than the defaults.
STRICT = PermissionPolicy(
    {
        "delete": MANAGE_PACKAGES,
        "edit_expiry": MANAGE_PACKAGES,
        "cancel_used": DEDUCT_REFUND_CREDITS,
    },
    cancel_used_after=dt.timedelta(days=1),
)

# A settings profile of our own: the whole machine runs in well under a minute.
MACHINE_SETTINGS = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _end(day: dt.date) -> dt.datetime:
    """The instant a date ends for packages: 23:59 New York time."""
    return dt.datetime.combine(day, dt.time(23, 59), tzinfo=NY)


def _period_end(anchor: dt.date, k: int) -> dt.date:
    """The last day of period *k* (1 = the first) of a weekly subscription bought on *anchor*:
    the day before period *k + 1* starts."""
    return anchor + relativedelta(weeks=k) - dt.timedelta(days=1)


@attrs.define
class ModelPackage:
    """What the model knows of one package."""

    id: str
    owner: str
    ptype: PackageType
    bought: dt.datetime
    counts: dict[str, dict[str, int]]
    status: str = "active"
    expires_on: dt.date | None = None
    used_once: bool = False
    period: int = 1

    def expired_at(self, when: dt.datetime) -> bool:
        if self.status == "expired":
            return True
        if self.ptype.subscription is not None or self.expires_on is None:
            return False
        return when >= _end(self.expires_on)

    def total(self, bucket: str) -> int:
        return sum(c[bucket] for c in self.counts.values())


@attrs.define
class ModelRedemption:
    package_id: str
    item: str
    credits: int
    scheduled: dt.datetime
    status: str = "held"


def _may(actor: Actor | None, permission: str | None) -> bool:
    return permission is None or (actor is not None and permission in actor.permissions)


class LifecycleMachine(RuleBasedStateMachine):
    """The real ledger against the model."""

    def __init__(self) -> None:
        super().__init__()
        self.state = LedgerState()
        self.events: list[LedgerEvent] = []
        self.model: dict[str, ModelPackage] = {}
        self.bookings: dict[str, list[ModelRedemption]] = {}
        self.now = dt.datetime(2026, 1, 30, 9, tzinfo=NY)
        self.business = Business()
        self.counter = 0
        #: What the model's catch-up of the step recorded: (package id, kind) in order.
        self.expected_catch_up: list[tuple[str, str]] = []

    # -- plumbing ---------------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _catch_up(self, package_ids: Iterable[str]) -> None:
        """The model's world as of now, for the packages an operation reads: held credits whose
        time has passed are used, subscriptions past a period's end renewed, packages past their
        expiry moment expired."""
        rollover = self.business.unused_at_renewal == "rollover"
        for package_id in package_ids:
            package = self.model[package_id]
            for reds in self.bookings.values():
                for r in reds:
                    if (
                        r.package_id == package_id
                        and r.status == "held"
                        and r.scheduled <= self.now
                    ):
                        r.status = "used"
                        counts = package.counts[r.item]
                        counts["held"] -= r.credits
                        counts["used"] += r.credits
                        self.expected_catch_up.append((package_id, "redemption_used"))
            if package.status != "active":
                continue
            if package.ptype.subscription is not None:
                anchor = package.bought.date()
                while _end(_period_end(anchor, package.period)) <= self.now:
                    package.period += 1
                    for grant in package.ptype.components:
                        counts = package.counts[grant.item]
                        if not rollover:
                            counts["expired"] += counts["remaining"]
                            counts["remaining"] = 0
                        counts["granted"] += grant.quantity
                        counts["remaining"] += grant.quantity
                    self.expected_catch_up.append((package_id, "subscription_renewed"))
                package.expires_on = _period_end(anchor, package.period)
            elif package.expires_on is not None and _end(package.expires_on) <= self.now:
                for counts in package.counts.values():
                    counts["expired"] += counts["remaining"]
                    counts["remaining"] = 0
                package.status = "expired"
                self.expected_catch_up.append((package_id, "package_expired"))

    def _copy(self) -> tuple[dict[str, ModelPackage], dict[str, list[ModelRedemption]]]:
        """The model, to restore when the real operation is refused."""
        packages = {
            k: attrs.evolve(p, counts={item: dict(c) for item, c in p.counts.items()})
            for k, p in self.model.items()
        }
        bookings = {b: [attrs.evolve(r) for r in reds] for b, reds in self.bookings.items()}
        return packages, bookings

    def _attempt(
        self, touched: Iterable[str], expect: Callable[[], str | None], call: Any
    ) -> Outcome | None:
        """Catch the model up for the packages *touched*, ask *expect* which refusal code the
        model expects (``None``: success; ``"permission"``: a PermissionDenied), run *call*;
        a refused call leaves the model as it was."""
        saved = self._copy()
        self.expected_catch_up = []
        self._catch_up(list(touched))
        expected = expect()
        before = self.state
        try:
            outcome = call()
        except (PermissionDenied, OperationRefused) as err:
            refusal = err
        else:
            assert expected is None, f"expected {expected!r}, the operation succeeded"
            assert isinstance(outcome, Outcome)
            self._accept(outcome)
            return outcome
        got = "permission" if isinstance(refusal, PermissionDenied) else refusal.code
        assert expected == got, f"expected {expected!r}, got {got!r}: {refusal}"
        assert self.state is before
        self.model, self.bookings = saved
        return None

    def _accept(self, outcome: Outcome) -> None:
        for ev in outcome.events:
            # every new event survives JSON; the rest of the ledger was checked when it was new
            assert event_from_dict(event_to_dict(ev)) == ev
        # the catch-up comes first and is what the model caught up
        caught = sorted((e.package_id, type(e).kind) for e in outcome.catch_up)
        assert caught == sorted(self.expected_catch_up)
        for ev in outcome.catch_up:
            assert isinstance(ev, (RedemptionUsed, SubscriptionRenewed, PackageExpired))
            assert ev.at <= self.now
        self.events.extend(outcome.events)
        self.state = outcome.state

    def _pick(self, index: int) -> ModelPackage:
        """A package: an active one for even *index* (when there is one), any for odd."""
        ids = sorted(self.model)
        if index % 2 == 0:
            active = [i for i in ids if self.model[i].status == "active"]
            ids = active or ids
        return self.model[ids[(index // 2) % len(ids)]]

    def _needs(self, operation: Any) -> str | None:
        return self.business.permissions.needs(operation)

    # -- rules ------------------------------------------------------------------------------------

    @initialize(
        rollover=st.booleans(),
        strict=st.booleans(),
        first=st.lists(
            st.tuples(st.integers(0, len(TYPES) - 1), st.sampled_from(OWNERS)),
            min_size=1,
            max_size=4,
        ),
    )
    def open_the_shop(self, rollover: bool, strict: bool, first: list[tuple[int, str]]) -> None:
        self.business = Business(
            unused_at_renewal="rollover" if rollover else "forfeit",
            permissions=STRICT if strict else PermissionPolicy(),
            timezone="America/New_York",
        )
        for type_index, owner in first:
            self.buy(type_index, owner)

    # Minutes, hours and days: enough for packages to expire and subscriptions to renew.
    @rule(minutes=st.sampled_from([1, 59, 24 * 60 - 1, 2 * 24 * 60, 4 * 24 * 60, 8 * 24 * 60]))
    def time_passes(self, minutes: int) -> None:
        self.now = (self.now + dt.timedelta(minutes=minutes)).astimezone(NY)

    @rule(type_index=st.integers(0, len(TYPES) - 1), owner=st.sampled_from(OWNERS))
    def buy(self, type_index: int, owner: str) -> None:
        ptype = TYPES[type_index]
        package_id = self._new_id("p")

        def expect() -> str | None:
            # every package of the type the owner ever bought counts, whatever became of it
            if ptype.once_per_owner and any(
                p.owner == owner and p.ptype.id == ptype.id for p in self.model.values()
            ):
                return "once_per_owner"
            return None

        outcome = self._attempt(
            [],
            expect,
            lambda: purchase(
                self.state,
                ptype,
                package_id=package_id,
                owner=owner,
                as_of=self.now,
                business=self.business,
            ),
        )
        if outcome is None:
            return
        day = self.now.date()
        expires_on = None
        if ptype.subscription is not None:
            expires_on = _period_end(day, 1)
        elif ptype.days_to_expiration is not None and ptype.expiry_starts == "sale":
            expires_on = day + dt.timedelta(days=ptype.days_to_expiration)
        counts = {
            c.item: {b: (c.quantity if b in ("granted", "remaining") else 0) for b in BUCKETS}
            for c in ptype.components
        }
        self.model[package_id] = ModelPackage(
            package_id, owner, ptype, self.now, counts, expires_on=expires_on
        )

    def _eligible(self, package: ModelPackage, owner: str, item: str, when: dt.datetime) -> bool:
        if package.owner != owner or package.status != "active" or item not in package.counts:
            return False
        if package.bought > self.now:
            return False
        return package.expires_on is None or when < _end(package.expires_on)

    def _owned(self, owner: str) -> list[str]:
        return [p.id for p in self.model.values() if p.owner == owner]

    @rule(
        owner=st.sampled_from(OWNERS),
        item=st.sampled_from(["a", "b"]),
        units=st.integers(1, 6),
        ahead=st.sampled_from([0, 60, 24 * 60, 5 * 24 * 60]),
        ticket=st.booleans(),
    )
    def book(self, owner: str, item: str, units: int, ahead: int, ticket: bool) -> None:
        """Hold credits for an appointment *ahead* minutes from now, or (*ticket*) check a
        ticket out: the credits are used at once."""
        booking = self._new_id("bk")
        cart = Cart(owner, "downtown", USD, [Line("l1", item, Money("30", USD), units=units)])
        scheduled = (self.now + dt.timedelta(minutes=0 if ticket else ahead)).astimezone(NY)
        call: Any
        if ticket:
            call = lambda: checkout(  # noqa: E731
                self.state, cart, booking=booking, as_of=self.now, business=self.business
            )
        else:
            call = lambda: hold(  # noqa: E731
                self.state,
                cart,
                booking=booking,
                as_of=self.now,
                scheduled_for=scheduled,
                business=self.business,
            )
        outcome = self._attempt(self._owned(owner), lambda: None, call)
        assert outcome is not None
        # FIFO by purchase time, then id, over the eligible packages of the owner
        need = units
        taken: dict[str, int] = {}
        for package in sorted(self.model.values(), key=lambda p: (p.bought, p.id)):
            if need and self._eligible(package, owner, item, scheduled):
                n = min(need, package.counts[item]["remaining"])
                if n:
                    taken[package.id] = n
                    need -= n
        got = {ev.package_id: getattr(ev, "credits", 0) for ev in outcome.own}
        assert got == taken
        status = "used" if ticket else "held"
        for package_id, n in taken.items():
            package = self.model[package_id]
            package.counts[item]["remaining"] -= n
            package.counts[item][status] += n
            if not package.used_once:
                package.used_once = True
                ptype = package.ptype
                if (
                    package.expires_on is None
                    and ptype.expiry_starts == "first_use"
                    and ptype.days_to_expiration is not None
                ):
                    package.expires_on = scheduled.date() + dt.timedelta(
                        days=ptype.days_to_expiration
                    )
        if taken:
            self.bookings[booking] = [
                ModelRedemption(pid, item, n, scheduled, status) for pid, n in taken.items()
            ]

    @precondition(lambda self: self.bookings)
    @rule(index=st.integers(0, 10**6))
    def book_the_same_line_again(self, index: int) -> None:
        booking = sorted(self.bookings)[index % len(self.bookings)]
        reds = self.bookings[booking]
        package = self.model[reds[0].package_id]
        cart = Cart(package.owner, "downtown", USD, [Line("l1", reds[0].item, Money("30", USD))])
        if all(r.status == "cancelled" for r in reds):
            return  # a fresh booking of a cancelled line is the book rule's business
        self._attempt(
            self._owned(package.owner),
            lambda: "already_redeemed",
            lambda: hold(self.state, cart, booking=booking, as_of=self.now, business=self.business),
        )

    def _touched(self, booking: str) -> list[str]:
        return list(dict.fromkeys(r.package_id for r in self.bookings[booking]))

    @precondition(lambda self: self.bookings)
    @rule(index=st.integers(0, 10**6))
    def use_booking(self, index: int) -> None:
        booking = sorted(self.bookings)[index % len(self.bookings)]
        reds = self.bookings[booking]
        statuses = {r.status for r in reds}  # before the catch-up
        if "held" in statuses:
            touched = self._touched(booking)
            expected = None
        else:
            touched = []  # refused before anything is read
            expected = "already_used" if "used" in statuses else "already_cancelled"
        outcome = self._attempt(
            touched,
            lambda: expected,
            lambda: use(self.state, booking, as_of=self.now, business=self.business),
        )
        if outcome is None:
            return
        for r in reds:
            if r.status == "held":
                r.status = "used"
                counts = self.model[r.package_id].counts[r.item]
                counts["held"] -= r.credits
                counts["used"] += r.credits

    @precondition(lambda self: self.bookings)
    @rule(index=st.integers(0, 10**6), actor=st.sampled_from(ACTORS))
    def cancel_booking(self, index: int, actor: Actor | None) -> None:
        booking = sorted(self.bookings)[index % len(self.bookings)]
        live = [r for r in self.bookings[booking] if r.status != "cancelled"]
        touched = self._touched(booking) if live else []

        def expect() -> str | None:
            if not live:
                return "already_cancelled"
            for r in live:  # after the catch-up: a hold whose time passed is used
                package = self.model[r.package_id]
                if package.status in ("refunded", "deleted"):
                    return f"package_{package.status}"
                late = self.now - r.scheduled > dt.timedelta(days=1)
                if r.status == "used" and late and not _may(actor, self._needs("cancel_used")):
                    return "permission"
            return None

        outcome = self._attempt(
            touched,
            expect,
            lambda: cancel(
                self.state, booking, as_of=self.now, actor=actor, business=self.business
            ),
        )
        if outcome is None:
            return
        for r in live:
            package = self.model[r.package_id]
            counts = package.counts[r.item]
            counts[r.status] -= r.credits
            counts["expired" if package.expired_at(self.now) else "remaining"] += r.credits
            r.status = "cancelled"

    @precondition(lambda self: self.model)
    @rule(index=st.integers(0, 10**6), after_use=st.booleans(), actor=st.sampled_from(ACTORS))
    def refund_package(self, index: int, after_use: bool, actor: Actor | None) -> None:
        package = self._pick(index)
        allowed = _may(actor, self._needs("refund"))

        def expect() -> str | None:
            if not allowed:
                return "permission"
            if package.status == "refunded":
                return "already_refunded"
            if package.status == "deleted":
                return "package_deleted"
            if package.expired_at(self.now):
                return "package_expired"
            if package.total("held"):
                return "credits_held"
            if package.total("used") and not after_use:
                return "used"
            return None

        business = attrs.evolve(self.business, settings=Settings(refund_after_use=after_use))
        outcome = self._attempt(
            [package.id] if allowed else [],
            expect,
            lambda: refund(self.state, package.id, as_of=self.now, actor=actor, business=business),
        )
        if outcome is None:
            return
        package = self.model[package.id]
        for counts in package.counts.values():
            counts["refunded"] += counts["remaining"]
            counts["remaining"] = 0
        package.status = "refunded"
        # the refund quote is the paid value of the credits left, never more than what was paid
        amount = outcome.own[0].amount  # type: ignore[union-attr]
        assert Money("0", USD) <= amount <= self.state.package(package.id).paid

    def _open_code(self, package: ModelPackage) -> str | None:
        if package.status == "deleted":
            return "package_deleted"
        if package.status == "refunded":
            return "package_refunded"
        if package.expired_at(self.now):
            return "package_expired"
        return None

    @precondition(lambda self: self.model)
    @rule(
        index=st.integers(0, 10**6),
        give=st.booleans(),
        item=st.sampled_from(["a", "b"]),
        credits=st.integers(1, 4),
        actor=st.sampled_from(ACTORS),
    )
    def adjust_credits(
        self, index: int, give: bool, item: str, credits: int, actor: Actor | None
    ) -> None:
        """Staff give (*give*) or take credits by hand."""
        package_id = self._pick(index).id
        operation = assign if give else deduct
        allowed = _may(actor, self._needs("assign" if give else "deduct"))

        def expect() -> str | None:
            package = self.model[package_id]
            code = "permission" if not allowed else self._open_code(package)
            if code is None and item not in package.counts:
                code = "unknown_item"
            if code is None and not give and credits > package.counts[item]["remaining"]:
                code = "insufficient_credits"
            return code

        outcome = self._attempt(
            [package_id] if allowed else [],
            expect,
            lambda: operation(
                self.state,
                package_id,
                item,
                credits,
                as_of=self.now,
                actor=actor,
                business=self.business,
            ),
        )
        if outcome is None:
            return
        counts = self.model[package_id].counts[item]
        counts["granted" if give else "deducted"] += credits
        counts["remaining"] += credits if give else -credits

    @precondition(lambda self: self.model)
    @rule(index=st.integers(0, 10**6), days=st.integers(-5, 40), actor=st.sampled_from(ACTORS))
    def move_expiry(self, index: int, days: int, actor: Actor | None) -> None:
        package_id = self._pick(index).id
        new = self.now.date() + dt.timedelta(days=days)
        allowed = _may(actor, self._needs("edit_expiry"))

        def expect() -> str | None:
            package = self.model[package_id]
            code = "permission" if not allowed else self._open_code(package)
            if code is None and package.ptype.subscription is not None:
                code = "subscription"
            if code is None and package.expires_on == new:
                code = "unchanged"
            return code

        outcome = self._attempt(
            [package_id] if allowed else [],
            expect,
            lambda: edit_expiry(
                self.state, package_id, new, as_of=self.now, actor=actor, business=self.business
            ),
        )
        if outcome is not None:
            self.model[package_id].expires_on = new

    @precondition(lambda self: self.model)
    @rule(index=st.integers(0, 10**6), actor=st.sampled_from(ACTORS))
    def delete_package(self, index: int, actor: Actor | None) -> None:
        package_id = self._pick(index).id
        allowed = _may(actor, self._needs("delete"))

        def expect() -> str | None:
            package = self.model[package_id]
            if not allowed:
                return "permission"
            if package.status == "deleted":
                return "already_deleted"
            if package.total("held"):
                return "credits_held"
            if package.total("used"):
                return "used"
            if package.total("deducted"):
                return "credits_removed"
            return None

        outcome = self._attempt(
            [package_id] if allowed else [],
            expect,
            lambda: delete(
                self.state, package_id, as_of=self.now, actor=actor, business=self.business
            ),
        )
        if outcome is not None:
            self.model[package_id].status = "deleted"

    @rule(days=st.integers(0, 6))
    def nightly_job(self, days: int) -> None:
        """The nightly job: the clock moves on to 00:30 after *days* more days, then everything
        already true is recorded: uses whose time passed, renewals, expiries."""
        tomorrow = self.now.date() + dt.timedelta(days=1 + days)
        self.now = dt.datetime.combine(tomorrow, dt.time(0, 30), tzinfo=NY)
        self._attempt(
            list(self.model),
            lambda: None,
            lambda: catch_up(self.state, as_of=self.now, business=self.business),
        )

    # -- invariants -------------------------------------------------------------------------------

    @invariant()
    def balances_are_never_negative_and_credits_are_conserved(self) -> None:
        for package in self.state.packages:
            for c in package.components:
                assert min(c.remaining, c.held, c.used, c.deducted, c.expired, c.refunded) >= 0
                assert c.granted == (
                    c.remaining + c.used + c.held + c.deducted + c.expired + c.refunded
                )

    @invariant()
    def the_state_is_the_model(self) -> None:
        assert [p.id for p in self.state.packages] == list(self.model)
        for package in self.state.packages:
            expected = self.model[package.id]
            assert package.status == expected.status
            assert package.expires_on == expected.expires_on
            assert package.period == expected.period
            for c in package.components:
                assert {b: getattr(c, b) for b in BUCKETS} == expected.counts[c.item]

    @invariant()
    def replaying_the_ledger_gives_the_state(self) -> None:
        assert replay(self.events) == self.state
        half = len(self.events) // 2
        assert replay(self.events[half:], start=replay(self.events[:half])) == self.state
        assert state_as_of(self.events, self.now) == self.state
        assert [e.seq for e in self.events if e.package_id == "p1"] == list(
            range(1, 1 + sum(e.package_id == "p1" for e in self.events))
        )


LifecycleMachine.TestCase.settings = MACHINE_SETTINGS
TestLifecycleMachine = LifecycleMachine.TestCase
