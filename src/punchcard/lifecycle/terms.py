"""Terms a business sets for its bookings beyond the source articles' (issue 12, option 1): the
late-cancel window and the no-show rule.

By default a cancellation restores the credits, whenever it happens (section L). A business may
instead say that cancelling less than *window* before the start is *late*, and what a late
cancellation and a no-show cost: the credit is **forfeited** (the business keeps it), or the
credit comes back and a **fee** is charged (the outcome reports it, the ledger records it).

>>> import datetime as dt
>>> from punchcard import Money
>>> strict = LateCancel(window=dt.timedelta(hours=24), no_show="forfeit")
>>> strict.late, strict.no_show
('forfeit', 'forfeit')
>>> start = dt.datetime(2026, 3, 5, 8, tzinfo=dt.timezone.utc)
>>> strict.is_late(start, start - dt.timedelta(hours=24)), strict.is_late(
...     start, start - dt.timedelta(hours=23, minutes=59))
(False, True)
>>> LateCancel(no_show="fee")
Traceback (most recent call last):
...
punchcard.errors.InvalidValueError: fee: the no-show rule charges a fee: give its amount
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import attrs

from .. import _validate as v
from ..errors import InvalidTypeError, InvalidValueError
from ..events import PenaltyReason
from ..money import Money
from ._instants import UTC

__all__ = ["LateCancel", "Penalty"]

#: What a late cancellation or a no-show does to the credits of a booking.
Penalty = Literal["restore", "forfeit", "fee"]


def _window(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, dt.timedelta) or value <= dt.timedelta(0):
        raise InvalidValueError(attr.name, f"must be None or a timedelta > 0, got {value!r}")


def _fee(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Money):
        raise InvalidTypeError(attr.name, f"must be Money or None, got {value!r}")
    if value.amount <= 0:
        raise InvalidValueError(attr.name, f"must be more than zero, got {value}")


@attrs.frozen(kw_only=True)
class LateCancel:
    """The business's late-cancel window and no-show rule (the default: neither, every
    cancellation restores the credits).

    .. versionadded:: 0.2
    """

    #: Cancelling less than this long before the start of an appointment or a class is late
    #: (elapsed time, compared as instants); ``None``: never late.
    window: dt.timedelta | None = attrs.field(default=None, validator=_window)
    #: What a late cancellation does: ``forfeit`` the credits, or restore them and charge the
    #: ``fee``.
    late: Literal["forfeit", "fee"] = attrs.field(
        default="forfeit", validator=v.one_of(("forfeit", "fee"))
    )
    #: What a no-show (:func:`~punchcard.lifecycle.no_show`) does: ``restore`` the credits
    #: (default: as a cancellation), ``forfeit`` them, or restore them and charge the ``fee``.
    no_show: Penalty = attrs.field(
        default="restore", validator=v.one_of(("restore", "forfeit", "fee"))
    )
    #: The fee a ``fee`` rule charges, per booked line.
    fee: Money | None = attrs.field(default=None, validator=_fee)

    def __attrs_post_init__(self) -> None:
        charges = [
            name
            for name, rule in (("late-cancel", self.late), ("no-show", self.no_show))
            if rule == "fee" and (name == "no-show" or self.window is not None)
        ]
        if charges and self.fee is None:
            raise InvalidValueError("fee", f"the {charges[0]} rule charges a fee: give its amount")
        if not charges and self.fee is not None:
            raise InvalidValueError(
                "fee", f"no rule charges a fee (late={self.late!r}, no_show={self.no_show!r})"
            )

    def is_late(self, scheduled_for: dt.datetime, moment: dt.datetime) -> bool:
        """Whether cancelling at *moment* a booking that starts at *scheduled_for* (both aware)
        is late: less than :attr:`window` before the start (exactly the window before is in
        time)."""
        window = self.window
        return (
            window is not None and scheduled_for.astimezone(UTC) - moment.astimezone(UTC) < window
        )

    def penalty(self, reason: PenaltyReason) -> Penalty:
        """What the rule for *reason* does."""
        return self.late if reason == "late_cancel" else self.no_show
