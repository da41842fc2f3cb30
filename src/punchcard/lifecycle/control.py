"""Operations staff run on sold packages beyond the source articles' (issue 12, options 11-13):
transfer credits to another client's package, move a package to another pet or family member,
set a subscription's next renewal date by hand, stop a subscription renewing.

Each is a pure function like the other operations (see :mod:`punchcard.lifecycle.operations`):
the packages it reads are caught up at ``as_of`` first, a refusal raises and changes nothing,
and the permission each needs is the business's :class:`PermissionPolicy` choice.
"""

from __future__ import annotations

import datetime as dt

from .. import _validate as v
from ..errors import InvalidTypeError
from ..events import (
    BeneficiaryChanged,
    CreditsTransferredIn,
    CreditsTransferredOut,
    RenewalDateSet,
    RenewalStopped,
)
from ..timeutil import end_of_day
from ._instants import before, local
from .business import Business, business_of
from .errors import OperationRefused
from .operations import _change_term, _credits, _open, _package_at
from .outcome import Outcome, Sequencer, actor_id, checked_state, finish, in_order
from .permissions import Actor
from .state import LedgerState, PackageState
from .sweeps import caught_up

__all__ = ["change_beneficiary", "set_renewal", "stop_renewal", "transfer"]

_DEFAULT_BUSINESS = Business()


def transfer(
    state: LedgerState,
    package_id: str,
    to_package: str,
    item: str,
    credits: int,
    *,
    as_of: dt.datetime,
    actor: Actor | None = None,
    note: str = "",
    business: Business = _DEFAULT_BUSINESS,
) -> Outcome:
    """Move *credits* of *item* from package *package_id* to package *to_package* (another
    client's, say): both ledgers record it, an event on each package. Needs
    ``assign_credits`` (by default: the receiving client gets credits without paying).

    The credits leave the first package's balance (its ``transferred`` bucket) and are granted
    to the second, free (they carry no revenue of it; the first keeps what was paid for them).
    Refused between a package and itself (``same_package``), when the receiving package has no
    component of *item* (``unknown_item``) or one of the other unit (``unit_mismatch``), across
    currencies (``currency_mismatch``), on an expired, refunded or deleted package (either one),
    and beyond the credits left (``insufficient_credits``).

    .. versionadded:: 0.2
    """
    business = business_of(business)
    business.permissions.check(actor, "transfer")
    _credits(credits)
    if not isinstance(note, str):
        raise InvalidTypeError("note", f"must be a string, got {note!r}")
    state = checked_state(state)
    source, target = state.package(package_id), state.package(to_package)
    if source.id == target.id:
        raise OperationRefused(
            "same_package",
            f"cannot transfer credits of package {package_id!r} to itself",
            package_id=package_id,
        )
    catch_up, current = caught_up(state, [source, target], as_of, business)
    source, target = current.package(package_id), current.package(to_package)
    sent = local(as_of, source.tz, "as_of")
    received = local(as_of, target.tz, "as_of")
    _open(source, sent, business, "its credits have lapsed")
    _open(target, received, business, "packages cannot be unexpired")
    _matching(source, target, item)
    left = source.component(item).remaining
    if credits > left:
        raise OperationRefused(
            "insufficient_credits",
            f"cannot transfer {credits} credits of {item!r} from package {package_id!r}: "
            f"{left} left",
            package_id=package_id,
        )
    in_order(source, sent)
    in_order(target, received)
    who = actor_id(actor)
    sequencer = Sequencer()
    out = CreditsTransferredOut(
        **sequencer.fields(source, sent, who),
        item=item,
        credits=credits,
        to_package=target.id,
        to_owner=target.owner,
        note=note,
    )
    into = CreditsTransferredIn(
        **sequencer.fields(target, received, who),
        item=item,
        credits=credits,
        from_package=source.id,
        from_owner=source.owner,
        note=note,
    )
    return finish(state, catch_up, current, [out, into])


def _matching(source: PackageState, target: PackageState, item: str) -> None:
    """Refuse unless *target* can receive credits of *item* of *source*: a component of that
    item and unit, a price of the same currency."""
    given = source.component(item)
    taken = target.component(item)
    if given.hourly != taken.hourly:
        unit = "hourly" if given.hourly else "whole"
        raise OperationRefused(
            "unit_mismatch",
            f"package {source.id!r} holds {unit} credits of {item!r}, package {target.id!r} not",
            package_id=target.id,
        )
    ours, theirs = source.price.currency, target.price.currency
    if ours != theirs:
        raise OperationRefused(
            "currency_mismatch",
            f"package {source.id!r} was paid in {ours}, package {target.id!r} in {theirs}; "
            "credits move only between packages of one currency",
            package_id=target.id,
        )


def change_beneficiary(
    state: LedgerState,
    package_id: str,
    beneficiary: str | None,
    *,
    as_of: dt.datetime,
    actor: Actor | None = None,
    business: Business = _DEFAULT_BUSINESS,
) -> Outcome:
    """Move a package to the pet / family member *beneficiary* (``None``: shared by the whole
    account). Needs ``manage_packages`` (by default). Credits it holds for bookings keep them.

    Refused when nothing changes (``unchanged``) and on an expired, refunded or deleted package.

    .. versionadded:: 0.2
    """
    if beneficiary is not None:
        v.check_identifier(beneficiary, "beneficiary")
    return _change_term(
        state,
        package_id,
        as_of=as_of,
        actor=actor,
        business=business,
        operation="change_beneficiary",
        event=BeneficiaryChanged,
        old=lambda package: package.beneficiary,
        new=beneficiary,
        unchanged=f"is already for {beneficiary or 'the whole account'}",
    )


def _subscription(package: PackageState) -> None:
    if package.subscription is None:
        raise OperationRefused(
            "not_subscription",
            f"package {package.id!r} is not a subscription",
            package_id=package.id,
        )


def set_renewal(
    state: LedgerState,
    package_id: str,
    renews_on: dt.date,
    *,
    as_of: dt.datetime,
    actor: Actor | None = None,
    business: Business = _DEFAULT_BUSINESS,
) -> Outcome:
    """Set the next renewal date of a subscription by hand: its current period ends on
    *renews_on*, it renews at the end of that day (23:59 local by default), and the periods
    after it are counted from the day after, with the same length.

    Refused on a package that is not a subscription (``not_subscription``), on an expired,
    refunded or deleted one, when the date does not change (``unchanged``) and when the end of
    that day is not after *as_of* (``renewal_passed``).

    .. versionadded:: 0.2
    """
    if isinstance(renews_on, dt.datetime) or not isinstance(renews_on, dt.date):
        raise InvalidTypeError("renews_on", f"must be a datetime.date, got {renews_on!r}")
    business = business_of(business)
    business.permissions.check(actor, "set_renewal")
    catch_up, current, package, when = _package_at(state, package_id, as_of, business)
    _open(package, when, business, "packages cannot be unexpired")
    _subscription(package)
    ends_on = package.expires_on
    assert ends_on is not None, "a subscription's period always has an end"
    if ends_on == renews_on:
        raise OperationRefused(
            "unchanged",
            f"subscription {package_id!r} already renews at the end of {renews_on}",
            package_id=package_id,
        )
    if not before(when, end_of_day(renews_on, package.tz, business.expires_at)):
        raise OperationRefused(
            "renewal_passed",
            f"the end of {renews_on} is not after {when.isoformat()}: a renewal date is set "
            "for the future",
            package_id=package_id,
        )
    in_order(package, when)
    event = RenewalDateSet(
        **Sequencer().fields(package, when, actor_id(actor)),
        period=package.period,
        old=ends_on,
        new=renews_on,
    )
    return finish(checked_state(state), catch_up, current, [event])


def stop_renewal(
    state: LedgerState,
    package_id: str,
    *,
    as_of: dt.datetime,
    actor: Actor | None = None,
    business: Business = _DEFAULT_BUSINESS,
) -> Outcome:
    """Stop a subscription renewing, without a refund: its current period runs out (its
    credits stay usable until then), then the package expires like any other.

    Refused on a package that is not a subscription (``not_subscription``), twice
    (``already_stopped``), and on an expired, refunded or deleted one.

    .. versionadded:: 0.2
    """
    business = business_of(business)
    business.permissions.check(actor, "stop_renewal")
    catch_up, current, package, when = _package_at(state, package_id, as_of, business)
    _open(package, when, business, "packages cannot be unexpired")
    _subscription(package)
    if package.renewal_stop is not None:
        raise OperationRefused(
            "already_stopped",
            f"subscription {package_id!r} already stops after {package.expires_on}",
            package_id=package_id,
        )
    assert package.expires_on is not None, "a subscription's period always has an end"
    in_order(package, when)
    event = RenewalStopped(
        **Sequencer().fields(package, when, actor_id(actor)),
        period=package.period,
        ends_on=package.expires_on,
    )
    return finish(checked_state(state), catch_up, current, [event])
