"""A month in the life of one daycare family's package, told as a script.

The Smiths buy a bundle (10 days of daycare + 2 baths), book three days for Rex (the credits are
held), cancel one (its credit comes back), bring Rex on the other two (the credits are used: one
ticket is closed in the evening with a bath added at the till, the other appointment is marked
completed at drop-off), staff deduct a credit for a no-show (only staff allowed to), an expiry
reminder falls due, the package expires at 23:59 on its last day, and the balances report and the
package's history are printed. Every step is a pure function of the ledger; this script keeps the
ledger in a list.

Run it with ``python examples/lifecycle.py``.
"""

from __future__ import annotations

import datetime as dt

from punchcard import Cart, Line, Money
from punchcard.lifecycle import (
    DEDUCT_REFUND_CREDITS,
    Actor,
    Business,
    LedgerEvent,
    LedgerState,
    OperationRefused,
    Outcome,
    PackageType,
    PermissionDenied,
    TypeComponent,
    balances_report,
    cancel,
    catch_up,
    close_ticket,
    deduct,
    event_from_dict,
    event_to_dict,
    history,
    hold,
    notifications_due,
    purchase,
    replay,
    revenue,
    state_as_of,
    use,
)

ZONE = "America/New_York"
#: The business: the defaults of the source articles, its location in New York.
BUSINESS = Business(timezone=ZONE)
DAYCARE = Money("30.00", "USD")
BATH = Money("20.00", "USD")

BUNDLE = PackageType(
    id="daycare-10-bath-2",
    name="10 Days Daycare + 2 Baths",
    location="downtown",
    components=[TypeComponent("daycare_full", 10), TypeComponent("bath", 2)],
    price=Money("280.00", "USD"),
    days_to_expiration=30,
    reminder_days=7,
    low_balance_threshold=2,
    purchasable_online=True,
)


def day(month: int, d: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A local time in the business's zone (naive = local)."""
    return dt.datetime(2026, month, d, hour, minute)


def main() -> None:
    ledger: list[LedgerEvent] = []
    state = LedgerState()

    def record(outcome: Outcome) -> LedgerState:
        ledger.extend(outcome.events)
        for ev in outcome.events:
            print(f"  + {type(ev).kind} #{ev.seq} at {ev.at:%Y-%m-%d %H:%M %Z}")
        return outcome.state

    def balance(what: str) -> None:
        p = state.package("smith-1")
        daycare = p.component("daycare_full")
        print(
            f"  {what}: daycare {daycare.remaining} left, {daycare.held} held, "
            f"{daycare.used} used; baths {p.remaining('bath')} left"
        )

    print("Mar 1: the Smiths buy the bundle in the portal")
    state = record(
        purchase(
            state,
            BUNDLE,
            package_id="smith-1",
            owner="smith",
            as_of=day(3, 1, 10),
            channel="portal",
            business=BUSINESS,
        )
    )
    print(f"  expires on {state.package('smith-1').expires_on} at 23:59 local")
    balance("balance")

    print("Mar 2: daycare booked for Rex on Mar 4, 5 and 6 (credits held)")
    for d in (4, 5, 6):
        cart = Cart(
            "smith",
            "downtown",
            "USD",
            [Line(f"rex-{d}", "daycare_full", DAYCARE, beneficiary="rex")],
        )
        state = record(
            hold(
                state,
                cart,
                booking=f"appt-mar{d}",
                as_of=day(3, 2, 9, d),
                scheduled_for=day(3, d, 8),
                business=BUSINESS,
            )
        )
    balance("balance")

    print("Mar 3: the Mar 5 appointment is cancelled (its credit comes back)")
    state = record(cancel(state, "appt-mar5", as_of=day(3, 3, 18), business=BUSINESS))
    balance("balance")
    try:
        cancel(state, "appt-mar5", as_of=day(3, 3, 18, 5), business=BUSINESS)
    except OperationRefused as err:  # never a second restore
        print(f"  cancelling again is refused: {err}")

    print("Mar 4, 17:30: Rex's ticket is closed with a bath added at the till")
    print("  (the held day was used at 08:00, when its time passed: recorded first)")
    ticket = Cart(
        "smith",
        "downtown",
        "USD",
        [
            Line("rex-4", "daycare_full", DAYCARE, beneficiary="rex"),
            Line("bath-4", "bath", BATH, beneficiary="rex"),
        ],
    )
    closed = close_ticket(
        state, ticket, booking="appt-mar4", as_of=day(3, 4, 17, 30), business=BUSINESS
    )
    state = record(closed)
    for line in closed.lines:
        print(f"  {line.line_id}: {line.covered} covered, {line.due} due")
    balance("balance")
    print("Mar 6, 07:45: Rex is dropped off; the appointment is marked completed")
    state = record(
        use(state, "appt-mar6", as_of=day(3, 6, 7, 45), reason="completed", business=BUSINESS)
    )
    balance("balance")

    print("Mar 10: a no-show fee of one credit")
    desk = Actor("front-desk")
    try:
        deduct(state, "smith-1", "daycare_full", 1, as_of=day(3, 10), actor=desk, business=BUSINESS)
    except PermissionDenied as err:
        print(f"  the front desk is refused: {err}")
    manager = Actor("manager-ann", {DEDUCT_REFUND_CREDITS})
    state = record(
        deduct(
            state,
            "smith-1",
            "daycare_full",
            1,
            as_of=day(3, 10, 9, 5),
            actor=manager,
            note="no-show on Mar 9",
            business=BUSINESS,
        )
    )
    balance("balance")

    print("Mar 24: the nightly job looks for notifications")
    sent: set[str] = set()
    for note in notifications_due(state.packages, as_of=day(3, 24, 6), sent=sent):
        print(
            f"  send {note.kind} to {note.owner}: {note.remaining} credits left, "
            f"expires {note.expires_on}"
        )
        sent.add(note.key)
    again = list(notifications_due(state.packages, as_of=day(3, 25, 6), sent=sent))
    print(f"  the next night: {len(again)} notifications (each is due once)")

    print("Apr 1: the nightly job records what has become true (the expiry)")
    state = record(catch_up(state, as_of=day(4, 1, 0, 30), business=BUSINESS))
    p = state.package("smith-1")
    print(
        f"  status {p.status}; expired credits: "
        + ", ".join(f"{c.item} {c.expired}" for c in p.components)
    )

    print("Balances report as of Mar 31, 12:00")
    for row in balances_report(state_as_of(ledger, day(3, 31, 12)).packages, as_of=day(3, 31, 12)):
        print(
            f"  {row.owner:6} {row.package_id:8} {row.item:13} {row.remaining:3} left "
            f"{row.held:2} held {row.used:2} used  expires {row.expires_on}"
        )
    rows = balances_report(state.packages, as_of=day(4, 1, 12))
    print(f"Balances report as of Apr 1, 12:00: {len(rows)} rows (the package has expired)")

    print("History of smith-1")
    for entry in history(ledger, "smith-1"):
        print(f"  {entry.seq:2}  {entry.at:%Y-%m-%d %H:%M}  {entry.change:+3}  {entry.summary}")

    money = revenue(state.package("smith-1"))
    print(
        f"Revenue of smith-1: paid {money.paid}, used {money.used}, deducted {money.deducted}, "
        f"breakage {money.breakage}"
    )

    stored = [event_to_dict(ev) for ev in ledger]  # what a host writes to its table
    assert replay(event_from_dict(d) for d in stored) == state
    print(f"The ledger: {len(ledger)} events; replaying them gives the same state.")


if __name__ == "__main__":
    main()
