"""A stateful test of the package lifecycle against a tiny model (section L of semantics.md).

Random sequences of purchase, hold, use, cancel, refund, assign, deduct, edit expiry, delete, the
expiry sweep, the renewal sweep and the passing of time run against the real operations. The
model knows only counts, dates and the rules of section L, written out again here: which packages
a booking takes credits from (first in, first out), when a package expires (23:59 New York time,
computed with ``zoneinfo``), which operation must be refused and with which code. After every
step:

- no balance is below zero, and every component conserves its credits
  (granted = remaining + used + held + deducted + expired + refunded);
- the state equals the model, and replaying the ledger (also through JSON) gives the state;
- a refused operation raised the refusal the model expected and left no trace.
"""

from __future__ import annotations

import datetime as dt
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
    Actor,
    LedgerEvent,
    LedgerState,
    LifecyclePolicy,
    OperationRefused,
    Outcome,
    PackageType,
    Period,
    PermissionDenied,
    TypeComponent,
    assign,
    cancel,
    checkout,
    deduct,
    delete,
    edit_expiry,
    event_from_dict,
    event_to_dict,
    expire,
    hold,
    purchase,
    refund,
    renew,
    replay,
    state_as_of,
    use,
    use_due,
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
NOBODY = Actor("nobody")

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


class LifecycleMachine(RuleBasedStateMachine):
    """The real ledger against the model."""

    def __init__(self) -> None:
        super().__init__()
        self.state = LedgerState()
        self.events: list[LedgerEvent] = []
        self.model: dict[str, ModelPackage] = {}
        self.bookings: dict[str, list[ModelRedemption]] = {}
        self.now = dt.datetime(2026, 1, 30, 9, tzinfo=NY)
        self.policy = LifecyclePolicy()
        self.counter = 0

    # -- plumbing ---------------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _accept(self, outcome: Outcome) -> None:
        for ev in outcome.events:
            # every new event survives JSON; the rest of the ledger was checked when it was new
            assert event_from_dict(event_to_dict(ev)) == ev
        self.events.extend(outcome.events)
        self.state = outcome.state

    def _attempt(self, expected: str | None, call: Any) -> Outcome | None:
        """Run *call*; the model says which refusal code to expect (``None``: success;
        ``"permission"``: a PermissionDenied)."""
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
        return None

    def _pick(self, index: int) -> ModelPackage:
        """A package: an active one for even *index* (when there is one), any for odd."""
        ids = sorted(self.model)
        if index % 2 == 0:
            active = [i for i in ids if self.model[i].status == "active"]
            ids = active or ids
        return self.model[ids[(index // 2) % len(ids)]]

    # -- rules ------------------------------------------------------------------------------------

    @initialize(
        rollover=st.booleans(),
        first=st.lists(
            st.tuples(st.integers(0, len(TYPES) - 1), st.sampled_from(OWNERS)),
            min_size=1,
            max_size=4,
        ),
    )
    def open_the_shop(self, rollover: bool, first: list[tuple[int, str]]) -> None:
        self.policy = LifecyclePolicy(unused_at_renewal="rollover" if rollover else "forfeit")
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
        expected = None
        if ptype.once_per_owner and any(
            p.owner == owner and p.ptype.id == ptype.id and p.status != "deleted"
            for p in self.model.values()
        ):
            expected = "once_per_owner"
        outcome = self._attempt(
            expected,
            lambda: purchase(
                self.state,
                ptype,
                package_id=package_id,
                owner=owner,
                at=self.now,
                timezone="America/New_York",
            ),
        )
        if outcome is None:
            return
        day = self.now.date()
        expires_on = None
        if ptype.subscription is not None:
            expires_on = day + relativedelta(weeks=1)
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
        if package.ptype.subscription is not None:
            assert package.expires_on is not None
            return when < _end(package.expires_on)
        return package.expires_on is None or when < _end(package.expires_on)

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
        if ticket:
            scheduled = self.now
            call: Any = lambda: checkout(  # noqa: E731
                self.state,
                cart,
                booking=booking,
                at=self.now,
                timezone="America/New_York",
                policy=self.policy,
            )
        else:
            scheduled = (self.now + dt.timedelta(minutes=ahead)).astimezone(NY)
            call = lambda: hold(  # noqa: E731
                self.state,
                cart,
                booking=booking,
                at=self.now,
                scheduled_for=scheduled,
                timezone="America/New_York",
                policy=self.policy,
            )
        outcome = self._attempt(None, call)
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
        got = {ev.package_id: getattr(ev, "credits", 0) for ev in outcome.events}
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
        expected = "already_redeemed" if any(r.status != "cancelled" for r in reds) else None
        if expected is None:
            return  # a fresh booking of a cancelled line is the book rule's business
        self._attempt(
            expected,
            lambda: hold(
                self.state,
                cart,
                booking=booking,
                at=self.now,
                timezone="America/New_York",
                policy=self.policy,
            ),
        )

    @precondition(lambda self: self.bookings)
    @rule(index=st.integers(0, 10**6))
    def use_booking(self, index: int) -> None:
        booking = sorted(self.bookings)[index % len(self.bookings)]
        reds = self.bookings[booking]
        statuses = {r.status for r in reds}
        if "held" in statuses:
            expected = None
        elif "used" in statuses:
            expected = "already_used"
        else:
            expected = "already_cancelled"
        if self._attempt(expected, lambda: use(self.state, booking, at=self.now)) is None:
            return
        for r in reds:
            if r.status == "held":
                r.status = "used"
                counts = self.model[r.package_id].counts[r.item]
                counts["held"] -= r.credits
                counts["used"] += r.credits

    @precondition(lambda self: self.bookings)
    @rule(index=st.integers(0, 10**6))
    def cancel_booking(self, index: int) -> None:
        booking = sorted(self.bookings)[index % len(self.bookings)]
        reds = [r for r in self.bookings[booking] if r.status != "cancelled"]
        expected = None if reds else "already_cancelled"
        for r in reds:
            status = self.model[r.package_id].status
            if status in ("refunded", "deleted"):
                expected = f"package_{status}"
                break
        call = lambda: cancel(self.state, booking, at=self.now, policy=self.policy)  # noqa: E731
        if self._attempt(expected, call) is None:
            return
        for r in reds:
            package = self.model[r.package_id]
            counts = package.counts[r.item]
            counts[r.status] -= r.credits
            counts["expired" if package.expired_at(self.now) else "remaining"] += r.credits
            r.status = "cancelled"

    @precondition(lambda self: self.model)
    @rule(index=st.integers(0, 10**6), after_use=st.booleans(), allowed=st.booleans())
    def refund_package(self, index: int, after_use: bool, allowed: bool) -> None:
        package = self._pick(index)
        expected: str | None = None
        if not allowed:
            expected = "permission"
        elif package.status == "refunded":
            expected = "already_refunded"
        elif package.status == "deleted":
            expected = "package_deleted"
        elif package.expired_at(self.now):
            expected = "package_expired"
        elif package.total("held"):
            expected = "credits_held"
        elif package.total("used") and not after_use:
            expected = "used"
        outcome = self._attempt(
            expected,
            lambda: refund(
                self.state,
                package.id,
                at=self.now,
                actor=STAFF if allowed else NOBODY,
                settings=Settings(refund_after_use=after_use),
                policy=self.policy,
            ),
        )
        if outcome is None:
            return
        for counts in package.counts.values():
            counts["refunded"] += counts["remaining"]
            counts["remaining"] = 0
        package.status = "refunded"
        # the refund quote is the paid value of the credits left, never more than what was paid
        amount = outcome.events[0].amount  # type: ignore[union-attr]
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
        item=st.sampled_from(["a", "b"]),
        credits=st.integers(1, 4),
        allowed=st.booleans(),
    )
    def assign_credits(self, index: int, item: str, credits: int, allowed: bool) -> None:
        package = self._pick(index)
        expected = "permission" if not allowed else self._open_code(package)
        if expected is None and item not in package.counts:
            expected = "unknown_item"
        actor = STAFF if allowed else Actor("desk", {DEDUCT_REFUND_CREDITS})
        if (
            self._attempt(
                expected,
                lambda: assign(
                    self.state,
                    package.id,
                    item,
                    credits,
                    at=self.now,
                    actor=actor,
                    policy=self.policy,
                ),
            )
            is None
        ):
            return
        package.counts[item]["granted"] += credits
        package.counts[item]["remaining"] += credits

    @precondition(lambda self: self.model)
    @rule(
        index=st.integers(0, 10**6),
        item=st.sampled_from(["a", "b"]),
        credits=st.integers(1, 4),
        allowed=st.booleans(),
    )
    def deduct_credits(self, index: int, item: str, credits: int, allowed: bool) -> None:
        package = self._pick(index)
        expected = "permission" if not allowed else self._open_code(package)
        if expected is None and item not in package.counts:
            expected = "unknown_item"
        if expected is None and credits > package.counts[item]["remaining"]:
            expected = "insufficient_credits"
        actor = STAFF if allowed else Actor("desk", {ASSIGN_CREDITS})
        if (
            self._attempt(
                expected,
                lambda: deduct(
                    self.state,
                    package.id,
                    item,
                    credits,
                    at=self.now,
                    actor=actor,
                    policy=self.policy,
                ),
            )
            is None
        ):
            return
        package.counts[item]["remaining"] -= credits
        package.counts[item]["deducted"] += credits

    @precondition(lambda self: self.model)
    @rule(index=st.integers(0, 10**6), days=st.integers(-5, 40))
    def move_expiry(self, index: int, days: int) -> None:
        package = self._pick(index)
        new = self.now.date() + dt.timedelta(days=days)
        expected = self._open_code(package)
        if expected is None and package.ptype.subscription is not None:
            expected = "subscription"
        if expected is None and package.expires_on == new:
            expected = "unchanged"
        call = lambda: edit_expiry(self.state, package.id, new, at=self.now, policy=self.policy)  # noqa: E731
        if self._attempt(expected, call) is not None:
            package.expires_on = new

    @precondition(lambda self: self.model)
    @rule(index=st.integers(0, 10**6))
    def delete_package(self, index: int) -> None:
        package = self._pick(index)
        expected = None
        if package.status == "deleted":
            expected = "already_deleted"
        elif package.total("held"):
            expected = "credits_held"
        elif package.total("used"):
            expected = "used"
        elif package.total("deducted"):
            expected = "credits_removed"
        if self._attempt(expected, lambda: delete(self.state, package.id, at=self.now)):
            package.status = "deleted"

    @rule(days=st.integers(0, 6))
    def nightly_job(self, days: int) -> None:
        """The nightly job: the clock moves on to 00:30 after *days* more days, then the
        subscriptions renew, the packages expire and the holds whose time passed are used."""
        tomorrow = self.now.date() + dt.timedelta(days=1 + days)
        self.now = dt.datetime.combine(tomorrow, dt.time(0, 30), tzinfo=NY)
        self.renewal_sweep()
        self.expiry_sweep()
        self.time_based_use()

    def expiry_sweep(self) -> None:
        outcome = self._attempt(
            None, lambda: expire(self.state, as_of=self.now, policy=self.policy)
        )
        assert outcome is not None
        due = sorted(
            p.id
            for p in self.model.values()
            if p.status == "active"
            and p.ptype.subscription is None
            and p.expires_on is not None
            and _end(p.expires_on) <= self.now
        )
        assert sorted(ev.package_id for ev in outcome.events) == due
        for package_id in due:
            package = self.model[package_id]
            for counts in package.counts.values():
                counts["expired"] += counts["remaining"]
                counts["remaining"] = 0
            package.status = "expired"

    def renewal_sweep(self) -> None:
        outcome = self._attempt(None, lambda: renew(self.state, as_of=self.now, policy=self.policy))
        assert outcome is not None
        renewed: list[str] = []
        rollover = self.policy.unused_at_renewal == "rollover"
        for package in sorted(self.model.values(), key=lambda p: p.id):
            if package.status != "active" or package.ptype.subscription is None:
                continue
            anchor = package.bought.date()
            while _end(anchor + relativedelta(weeks=package.period)) <= self.now:
                package.period += 1
                renewed.append(package.id)
                for grant in package.ptype.components:
                    counts = package.counts[grant.item]
                    if not rollover:
                        counts["expired"] += counts["remaining"]
                        counts["remaining"] = 0
                    counts["granted"] += grant.quantity
                    counts["remaining"] += grant.quantity
            package.expires_on = anchor + relativedelta(weeks=package.period)
        assert sorted(ev.package_id for ev in outcome.events) == sorted(renewed)

    def time_based_use(self) -> None:
        outcome = self._attempt(None, lambda: use_due(self.state, as_of=self.now))
        assert outcome is not None
        count = 0
        for reds in self.bookings.values():
            for r in reds:
                if r.status == "held" and r.scheduled <= self.now:
                    r.status = "used"
                    counts = self.model[r.package_id].counts[r.item]
                    counts["held"] -= r.credits
                    counts["used"] += r.credits
                    count += 1
        assert len(outcome.events) == count

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
            for c in package.components:
                assert {b: getattr(c, b) for b in BUCKETS} == expected.counts[c.item]

    @invariant()
    def replaying_the_ledger_gives_the_state(self) -> None:
        assert replay(self.events) == self.state
        assert state_as_of(self.events, self.now) == self.state
        assert [e.seq for e in self.events if e.package_id == "p1"] == list(
            range(1, 1 + sum(e.package_id == "p1" for e in self.events))
        )


LifecycleMachine.TestCase.settings = MACHINE_SETTINGS
TestLifecycleMachine = LifecycleMachine.TestCase
