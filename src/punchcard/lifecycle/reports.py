"""Reports: the balances report, one package's history, revenue per credit and breakage,
and the commission base of a redeemed credit. All exact to the minor unit.

Revenue per credit is what was paid, shared over the components by quantity and then over each
component's paid credits by largest remainder (:mod:`punchcard.valuation.revenue`). The credits
of a component are counted in a fixed order, each bucket taking the next parts: used, forfeited,
deducted, transferred, expired, held, refunded, remaining. Credits given free by staff (or
transferred in) come after the paid ones and carry no revenue. So the buckets of
:class:`Revenue` always add up exactly to what was paid, and the refunded bucket equals what the
refund paid back (a refund at the service price keeps more: the rest is earned, see
:func:`refund_breakdown`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

import attrs

from ..errors import InvalidTypeError, InvalidValueError
from ..events import (
    BalanceCancelled,
    BalanceForfeited,
    BalanceRedeemed,
    BalanceUsed,
    BeneficiaryChanged,
    CancellationFee,
    CountdownReset,
    CreditsAssigned,
    CreditsDeducted,
    CreditsTransferredIn,
    CreditsTransferredOut,
    DebtSettled,
    ExpiryChanged,
    ItemCredits,
    LedgerEvent,
    PackageDeleted,
    PackageExpired,
    PackagePaused,
    PackagePurchased,
    PackageRefunded,
    PauseEnded,
    RedemptionCancelled,
    RedemptionForfeited,
    RedemptionRecorded,
    RedemptionUsed,
    RenewalDateSet,
    RenewalStopped,
    SubscriptionRenewed,
    TypeComponent,
)
from ..money import Money
from ..valuation.revenue import RevenueSplit, bundle_split
from ._instants import before, local
from .business import Business, business_of
from .errors import OperationRefused
from .state import PackageState, StoredBalance
from .sweeps import package_at

__all__ = [
    "BUCKETS",
    "BalanceRow",
    "HistoryEntry",
    "RefundBreakdown",
    "Revenue",
    "balances_report",
    "breakage",
    "component_splits",
    "describe",
    "history",
    "redemption_commission_base",
    "refund_breakdown",
    "refund_quote",
    "revenue",
    "stored_value_part",
]

_DEFAULT_BUSINESS = Business()


@attrs.frozen
class BalanceRow:
    """One component of one active package in the balances report."""

    owner: str
    package_id: str
    name: str
    #: The component's item (or pool); ``None`` for the money of a stored-value package (X9).
    item: str | None
    #: Credits free to be redeemed (below zero: an overdraft not settled yet, X8).
    remaining: int
    #: Credits held for bookings still to come.
    held: int
    #: Credits used (held credits whose time has passed count as used).
    used: int
    expires_on: dt.date | None
    location: str | None
    #: For a stored-value package (X9): where its money is (``balance.remaining`` is left).
    #:
    #: .. versionadded:: 0.2
    balance: StoredBalance | None = None


def balances_report(
    packages: Iterable[PackageState],
    *,
    as_of: dt.datetime,
    business: Business = _DEFAULT_BUSINESS,
) -> tuple[BalanceRow, ...]:
    """The credits of every active package at *as_of*, one row per component, by owner then
    package id.

    Each package is read as it stands at *as_of* (:func:`~punchcard.lifecycle.package_at`),
    whether or not the sweeps have run: held credits whose time has passed are used, a package
    past its expiry moment is expired (and left out), a subscription past a renewal moment has
    its new period's credits. Active means bought by *as_of*, neither refunded, deleted nor
    expired. Pass the state at *as_of* (:func:`~punchcard.lifecycle.state_as_of`) for a report
    of the past. A stored-value package (X9) has one row, with no item and its ``balance``.
    """
    business = business_of(business)
    rows: list[BalanceRow] = []
    for package in packages:
        if package.status != "active":
            continue
        now = local(as_of, package.tz, "as_of")
        if before(now, package.purchased_at):
            continue
        package = package_at(package, as_of=now, business=business)
        if package.status != "active":
            continue
        if package.balance is not None:
            rows.append(
                BalanceRow(
                    package.owner,
                    package.id,
                    package.name,
                    None,
                    0,
                    0,
                    0,
                    package.expires_on,
                    package.location,
                    package.balance,
                )
            )
        for c in package.components:
            rows.append(
                BalanceRow(
                    package.owner,
                    package.id,
                    package.name,
                    c.item,
                    c.remaining,
                    c.held,
                    c.used,
                    package.expires_on,
                    package.location,
                )
            )
    rows.sort(key=lambda r: (r.owner, r.package_id))  # stable: component order kept
    return tuple(rows)


# -- history --------------------------------------------------------------------------------------


@attrs.frozen
class HistoryEntry:
    """One line of a package's history (the "View History" panel)."""

    seq: int
    at: dt.datetime
    #: The event's type name (``package_purchased``, ``credits_redeemed``...).
    kind: str
    #: A sentence for people.
    summary: str
    #: The change to the credits left (negative when credits left the balance).
    change: int
    #: The booking (appointment / class / ticket) concerned, if any.
    reference: str | None
    #: The cart line / ticket line concerned, if any.
    line_id: str | None
    actor: str | None
    #: The money concerned (price, amount taken off, refund, renewal charge), if any.
    amount: Money | None
    #: The event itself.
    event: LedgerEvent = attrs.field(repr=False)
    #: For a stored-value package (X9): the change to the money left (negative when it left
    #: the balance); ``None`` for a package of credits.
    #:
    #: .. versionadded:: 0.2
    balance_change: Money | None = None


def _counts(credits: Iterable[ItemCredits | TypeComponent]) -> str:
    parts = [
        f"{c.quantity if isinstance(c, TypeComponent) else c.credits} {c.item}"
        for c in credits
        if (c.quantity if isinstance(c, TypeComponent) else c.credits)
    ]
    return " + ".join(parts) if parts else "no credits"


def _money(m: Money) -> str:
    return f"{m} {m.currency}"


_REASONS = {
    "ticket_closed": "ticket closed",
    "completed": "completed",
    "time_passed": "its time passed",
}


def describe(ev: LedgerEvent) -> str:
    """A sentence saying what *ev* did, for people.

    >>> from punchcard.lifecycle import CreditsDeducted
    >>> describe(CreditsDeducted(event_id="e", package_id="p1", seq=3, actor="ann",
    ...     at=dt.datetime(2026, 3, 9, tzinfo=dt.timezone.utc), item="daycare_full", credits=1,
    ...     note="no-show"))
    '1 daycare_full deducted by ann (no-show)'
    """
    by = f" by {ev.actor}" if ev.actor else ""
    if isinstance(ev, PackagePurchased):
        granted = _counts(ev.components) if ev.value is None else f"{_money(ev.value)} of value"
        return f"Purchased {ev.name}: {granted} for {_money(ev.price)}{by}"
    if isinstance(ev, RedemptionRecorded):
        verb = "held for" if ev.status == "held" else "used for"
        return (
            f"{ev.credits} {ev.item} {verb} {ev.booking_kind} {ev.booking} (line {ev.line_id}, "
            f"{ev.scheduled_for.date().isoformat()}): {_money(ev.amount)} off"
        )
    if isinstance(ev, RedemptionUsed):
        return f"{ev.credits} {ev.item} of {ev.booking} used ({_REASONS[ev.reason]})"
    if isinstance(ev, RedemptionCancelled):
        back = ev.credits - ev.expired
        text = f"{ev.booking} cancelled{by}: {back} {ev.item} restored"
        if ev.expired:
            text += f", {ev.expired} expired at once (the package had expired)"
        return text
    if isinstance(ev, PackageRefunded):
        returned = _counts(ev.credits) if ev.balance is None else f"{_money(ev.balance)} of value"
        return f"Refunded {_money(ev.amount)}{by}: {returned} returned"
    if isinstance(ev, CreditsAssigned):
        note = f" ({ev.note})" if ev.note else ""
        return f"{ev.credits} {ev.item} assigned{by}{note}"
    if isinstance(ev, CreditsDeducted):
        note = f" ({ev.note})" if ev.note else ""
        return f"{ev.credits} {ev.item} deducted{by}{note}"
    if isinstance(ev, ExpiryChanged):
        old = ev.old.isoformat() if ev.old is not None else "none"
        return f"Expiry date changed{by} from {old} to {ev.new.isoformat()}"
    if isinstance(ev, PackageExpired):
        lapsed = _counts(ev.credits) if ev.balance is None else f"{_money(ev.balance)} of value"
        return f"Expired at the end of {ev.expires_on.isoformat()}: {lapsed} lapsed"
    if isinstance(ev, SubscriptionRenewed):
        text = (
            f"Renewed: period {ev.period} (to {ev.ends_on.isoformat()}) grants "
            f"{_counts(ev.granted)} for {_money(ev.amount)}"
        )
        if any(c.credits for c in ev.forfeited):
            text += f"; {_counts(ev.forfeited)} forfeited"
        return text
    if isinstance(ev, PackageDeleted):
        return f"Deleted{by}"
    return _describe_option(ev, by)


_WHY: dict[str, str] = {"late_cancel": "cancelled late", "no_show": "a no-show"}


def _describe_option(ev: LedgerEvent, by: str) -> str:
    """:func:`describe` for the events of the market options (docs/options.md)."""
    if isinstance(ev, BalanceRedeemed):
        verb = "held for" if ev.status == "held" else "paid for"
        return (
            f"{_money(ev.amount)} of the balance {verb} {ev.booking_kind} {ev.booking} "
            f"(line {ev.line_id}, {ev.scheduled_for.date().isoformat()})"
        )
    if isinstance(ev, BalanceUsed):
        return f"{_money(ev.amount)} of {ev.booking} used ({_REASONS[ev.reason]})"
    if isinstance(ev, BalanceCancelled):
        text = f"{ev.booking} cancelled{by}: {_money(ev.amount - ev.expired)} restored"
        if ev.expired.minor:
            text += f", {_money(ev.expired)} expired at once (the package had expired)"
        return text
    if isinstance(ev, PackagePaused):
        moved = "" if ev.new is None else f"; expires on {ev.new.isoformat()}"
        note = f" ({ev.note})" if ev.note else ""
        return f"Paused from {ev.start.isoformat()} to {ev.end.isoformat()}{by}{note}{moved}"
    if isinstance(ev, PauseEnded):
        until = "called off" if ev.until is None else f"ended on {ev.until.isoformat()}"
        moved = "" if ev.new is None else f"; expires on {ev.new.isoformat()}"
        return f"Pause from {ev.start.isoformat()} {until}{by}{moved}"
    if isinstance(ev, DebtSettled):
        if ev.package_id == ev.debtor:
            return f"{ev.credits} {ev.item} below zero settled by {ev.payer}"
        return f"{ev.credits} {ev.item} settled the debt of {ev.debtor}"
    if isinstance(ev, RedemptionForfeited):
        return f"{ev.booking} {_WHY[ev.reason]}{by}: {ev.credits} {ev.item} forfeited"
    if isinstance(ev, BalanceForfeited):
        return f"{ev.booking} {_WHY[ev.reason]}{by}: {_money(ev.amount)} of the balance forfeited"
    if isinstance(ev, CancellationFee):
        return f"{ev.booking} {_WHY[ev.reason]}{by}: fee {_money(ev.fee)} (line {ev.line_id})"
    if isinstance(ev, CreditsTransferredOut):
        note = f" ({ev.note})" if ev.note else ""
        return (
            f"{ev.credits} {ev.item} transferred{by} to package {ev.to_package} of "
            f"{ev.to_owner}{note}"
        )
    if isinstance(ev, CreditsTransferredIn):
        note = f" ({ev.note})" if ev.note else ""
        return (
            f"{ev.credits} {ev.item} transferred{by} from package {ev.from_package} of "
            f"{ev.from_owner}{note}"
        )
    if isinstance(ev, BeneficiaryChanged):
        return f"Moved{by} from {ev.old or 'everyone'} to {ev.new or 'everyone'}"
    if isinstance(ev, RenewalDateSet):
        return (
            f"Renewal date set{by}: period {ev.period} ends on {ev.new.isoformat()} "
            f"(was {ev.old.isoformat()})"
        )
    if isinstance(ev, RenewalStopped):
        return f"Renewal stopped{by}: ends after {ev.ends_on.isoformat()}"
    if isinstance(ev, CountdownReset):
        return (
            f"Countdown reset: every use since {ev.first_used_at.date().isoformat()} was "
            "cancelled early; it starts again at the next use"
        )
    raise InvalidTypeError("event", f"must be a ledger event, got {ev!r}")


def _change(ev: LedgerEvent) -> int:
    if isinstance(ev, PackagePurchased):
        return sum(c.quantity for c in ev.components)
    if isinstance(ev, RedemptionRecorded):
        return -ev.credits
    if isinstance(ev, RedemptionCancelled):
        return ev.credits - ev.expired
    if isinstance(ev, (PackageRefunded, PackageExpired)):
        return -sum(c.credits for c in ev.credits)
    if isinstance(ev, CreditsAssigned):
        return ev.credits
    if isinstance(ev, CreditsDeducted):
        return -ev.credits
    if isinstance(ev, SubscriptionRenewed):
        return sum(c.credits for c in ev.granted) - sum(c.credits for c in ev.forfeited)
    if isinstance(ev, CreditsTransferredOut):
        return -ev.credits
    if isinstance(ev, CreditsTransferredIn):
        return ev.credits
    if isinstance(ev, DebtSettled):
        return ev.credits if ev.package_id == ev.debtor else -ev.credits
    return 0


def _amount(ev: LedgerEvent) -> Money | None:
    if isinstance(ev, PackagePurchased):
        return ev.price
    if isinstance(
        ev,
        (
            RedemptionRecorded,
            PackageRefunded,
            SubscriptionRenewed,
            BalanceRedeemed,
            BalanceUsed,
            BalanceCancelled,
            BalanceForfeited,
        ),
    ):
        return ev.amount
    if isinstance(ev, CancellationFee):
        return ev.fee
    return None


def _minus(amount: Money) -> Money:
    return Money.from_minor(-amount.minor, amount.currency)


def _balance_change(ev: LedgerEvent) -> Money | None:
    """The change *ev* made to the money left of a stored-value package (X9), if it is one."""
    if isinstance(ev, PackagePurchased):
        return ev.value
    if isinstance(ev, BalanceRedeemed):
        return _minus(ev.amount)
    if isinstance(ev, BalanceCancelled):
        return ev.amount - ev.expired
    if isinstance(ev, (PackageRefunded, PackageExpired)) and ev.balance is not None:
        return _minus(ev.balance)
    if isinstance(ev, (BalanceUsed, BalanceForfeited)):
        return Money.zero(ev.amount.currency)  # held money became used or kept: none came back
    return None


def history(events: Iterable[LedgerEvent], package_id: str) -> tuple[HistoryEntry, ...]:
    """The history of one package in ledger order: purchase, each redemption with its booking
    and line, uses, cancellations, refunds, assignments, deductions, expiry edits, expiry,
    renewals, deletion. Streams over *events*."""
    out: list[HistoryEntry] = []
    for ev in events:
        if ev.package_id != package_id:
            continue
        reference = getattr(ev, "booking", None)
        line_id = getattr(ev, "line_id", None)
        out.append(
            HistoryEntry(
                ev.seq,
                ev.at,
                type(ev).kind,
                describe(ev),
                _change(ev),
                reference,
                line_id,
                ev.actor,
                _amount(ev),
                ev,
                _balance_change(ev),
            )
        )
    return tuple(out)


# -- revenue --------------------------------------------------------------------------------------

#: The order in which the credits of a component take the parts of its price (``settled``:
#: credits that filled an earlier package's overdraft, X8, are earned as used ones are).
BUCKETS = (
    "used",
    "settled",
    "forfeited",
    "deducted",
    "transferred",
    "expired",
    "held",
    "refunded",
    "remaining",
)


def component_splits(package: PackageState) -> dict[str, RevenueSplit]:
    """What was paid for *package*, shared over its components and then over their paid credits.

    Everything paid (the purchase and each renewal) is shared over the components by
    :func:`punchcard.valuation.bundle_split` (by quantity), then each share over that
    component's paid credits (its quantity times the number of periods paid). A stored-value
    package (X9) has no credits: none (its money is valued by :func:`stored_value_part`).
    """
    if not isinstance(package, PackageState):
        raise InvalidTypeError("package", f"must be a PackageState, got {package!r}")
    if package.balance is not None:
        return {}
    quantities = {g.item: g.quantity * package.period for g in package.grants}
    return bundle_split(package.paid, quantities)


def _clipped(split: RevenueSplit, start: int, count: int) -> Money:
    """The parts of credits ``start..start+count-1``; credits beyond the paid ones add nothing."""
    lo = min(start, split.quantity)
    hi = min(start + count, split.quantity)
    return split.revenue_of(lo, hi - lo)


def stored_value_part(package: PackageState, start: Money, amount: Money) -> Money:
    """The paid value of *amount* of the money of stored-value *package* (X9), counted from
    *start* (the money before it, in the order its buckets take the price): the price in
    proportion, ``price x (start + amount) / value - price x start / value``, each product
    rounded down to the minor unit. The parts of consecutive amounts add up exactly to the
    price, and each is within one minor unit of its proportion (a $500 card sold for $450:
    $300 of it is worth $270.00).

    .. versionadded:: 0.2
    """
    if package.balance is None:
        raise InvalidValueError("package", f"package {package.id!r} holds no stored value")
    price, value = package.paid.minor, package.balance.granted.minor
    first, last = start.minor, start.minor + amount.minor
    return Money.from_minor(price * last // value - price * first // value, package.paid.currency)


def _bucket_values(package: PackageState) -> dict[str, Money]:
    totals = {bucket: Money.zero(package.paid.currency) for bucket in BUCKETS}
    if package.balance is not None:
        money = package.balance
        spent = Money.zero(money.granted.currency)
        for bucket in BUCKETS:
            if hasattr(money, bucket):
                amount = getattr(money, bucket)
                totals[bucket] = stored_value_part(package, spent, amount)
                spent = spent + amount
        return totals
    splits = component_splits(package)
    for c in package.components:
        split = splits[c.item]
        start = 0
        for bucket in BUCKETS:
            n = max(getattr(c, bucket), 0)  # credits below zero (an overdraft) are no parts
            totals[bucket] = totals[bucket] + _clipped(split, start, n)
            start += n
    return totals


@attrs.frozen
class Revenue:
    """Where the money paid for a package stands, by what happened to its credits (or, for a
    stored value, X9, to its money).

    The fields other than ``package_id`` and ``paid`` add up exactly to ``paid``.
    """

    package_id: str
    #: Everything paid (purchase and renewals).
    paid: Money
    #: Earned: the paid value of the credits used.
    used: Money
    #: The paid value of the credits staff removed.
    deducted: Money
    #: Breakage: the paid value of the credits that expired unused (or were forfeited).
    breakage: Money
    #: The paid value of credits held for bookings (earned once used).
    held: Money
    #: Paid back by the refund.
    refunded: Money
    #: Still owed to the customer as credits left (deferred revenue).
    deferred: Money
    #: Earned: the paid value of the credits that settled an earlier package's overdraft (X8).
    #:
    #: .. versionadded:: 0.2
    settled: Money
    #: Earned: the paid value of the credits forfeited by late cancellations and no-shows.
    forfeited: Money
    #: The paid value of the credits moved to another package.
    transferred: Money


def revenue(package: PackageState) -> Revenue:
    """The :class:`Revenue` of *package*, exact to the minor unit.

    Within each component the credits take the parts of its share in the order used, settled,
    forfeited, deducted, transferred, expired, held, refunded, remaining; credits given free by
    staff come after the paid ones and carry no revenue. The money of a stored value takes the
    parts of its price in the same order, one minor unit of value as one credit. When a refund
    paid back less than the paid value of the credits it took back (a refund at the service
    price), the rest counts as earned (``used``).
    """
    v = _bucket_values(package)
    used, refunded = v["used"], v["refunded"]
    kept = refunded - package.refunded_amount
    if kept.amount > 0:
        used, refunded = used + kept, package.refunded_amount
    return Revenue(
        package.id,
        package.paid,
        used,
        v["deducted"],
        v["expired"],
        v["held"],
        refunded,
        v["remaining"],
        v["settled"],
        v["forfeited"],
        v["transferred"],
    )


def refund_quote(package: PackageState, *, business: Business = _DEFAULT_BUSINESS) -> Money:
    """What refunding *package* pays back: by default the paid value of its credits left (the
    ``deferred`` of :func:`revenue`), exact to the minor unit; the ``amount`` of
    :func:`refund_breakdown` for *business*.

    Credits that left the package (used, settled, deducted, expired) take the first parts of
    the price; the credits left take the last ones; credits given free by staff are worth
    nothing. A stored value (X9) pays back the paid value of its money left, the money that
    left it taking the first parts of the price (:func:`stored_value_part`): a $500 card sold
    for $450 with $300 left refunds $270.00.
    """
    return refund_breakdown(package, business=business).amount


@attrs.frozen
class RefundBreakdown:
    """What a refund of a package pays back, and why: ``paid == used + other + amount``.

    .. versionadded:: 0.2
    """

    package_id: str
    #: The business's ``refund_used_at``: used credits are charged at their ``paid_value`` or
    #: at the ``service_price`` they took off their lines.
    basis: Literal["paid_value", "service_price"]
    #: Everything paid (purchase and renewals).
    paid: Money
    #: What the used and forfeited credits are charged.
    used: Money
    #: The paid value of the other credits that left the package or are held (settled an
    #: earlier package's overdraft, deducted, transferred, expired, held, already refunded).
    other: Money
    #: What a refund pays back.
    amount: Money


def refund_breakdown(
    package: PackageState, *, business: Business = _DEFAULT_BUSINESS
) -> RefundBreakdown:
    """What refunding *package* pays back under the business's ``refund_used_at`` (issue 12,
    option 14).

    ``paid_value`` (default, the source articles' rule): the paid value of the credits left.
    ``service_price``: what was paid, less what the used and forfeited credits took off their
    lines (the ledger's redemption amounts: the full service price), less the paid value of the
    other credits that left; never below zero, and never more than the ``paid_value`` refund (a
    credit is never charged less than it was paid). Refused (``currency_mismatch``) when
    credits were used on lines of another currency than the price's.
    """
    v = _bucket_values(package)
    business = business_of(business)
    paid = package.paid
    other = (
        v["settled"] + v["deducted"] + v["transferred"] + v["expired"] + v["held"] + v["refunded"]
    )
    amount = v["remaining"]
    if business.refund_used_at == "service_price":
        service = Money.zero(paid.currency)
        for value in package.used_value:
            if value.currency != paid.currency:
                raise OperationRefused(
                    "currency_mismatch",
                    f"package {package.id!r} was paid in {paid.currency} and credits of it were "
                    f"used on {value.currency} lines: no service price in {paid.currency}",
                    package_id=package.id,
                )
            service = service + value
        at_service = paid - service - other
        if at_service.amount < 0:
            at_service = Money.zero(paid.currency)
        amount = min(amount, at_service)
    return RefundBreakdown(
        package.id, business.refund_used_at, paid, paid - other - amount, other, amount
    )


def breakage(packages: Iterable[PackageState], currency: str) -> Money:
    """The paid value of every credit that expired unused, over *packages* (all in *currency*)."""
    total = Money.zero(currency)
    for package in packages:
        total = total + revenue(package).breakage
    return total


def redemption_commission_base(
    package: PackageState, redemption_id: str, *, retail_price: Money | None = None
) -> Money:
    """What staff commission on the credits of one redemption of *package* is computed from,
    by the package's ``commission_basis`` (:func:`punchcard.valuation.commission_base`):

    - ``retail``: *retail_price* (of one item) times the credits;
    - ``package``: the paid value of those credits: their component's share of the price per
      credit, the credits of a component counted in the order they were redeemed (cancelled
      redemptions left out), so that the bases of all the paid credits add up to the price.
    """
    record = next((r for r in package.redemptions if r.id == redemption_id), None)
    if record is None:
        raise InvalidValueError(
            "redemption_id", f"package {package.id!r} has no redemption {redemption_id!r}"
        )
    if record.item is None:  # money of a stored value (X9)
        if package.commission_basis == "retail":
            return record.amount  # what the balance paid: the line's own price
        before = package.redemptions[: package.redemptions.index(record)]
        spent = sum((r.amount for r in before if r.status != "cancelled"), record.amount * 0)
        return stored_value_part(package, spent, record.amount)
    if package.commission_basis == "retail":
        if retail_price is None:
            raise InvalidValueError("retail_price", "is required with commission basis 'retail'")
        return retail_price * record.credits
    first = 0
    for r in package.redemptions:
        if r.id == record.id:
            break
        if r.item == record.item and r.status != "cancelled":
            first += r.credits
    return _clipped(component_splits(package)[record.item], first, record.credits)
