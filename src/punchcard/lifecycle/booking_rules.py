"""What the lifecycle tells the engine at a booking beyond the packages themselves (issue 12,
options 13 and 17): the business's cap of uses per period, fed by the ledger, and expiry judged
at the booking. The engine terms themselves are :mod:`punchcard._booking`'s (the scenario reader
uses them too).

- **A cap of uses per period** (``Business.use_caps``): a component of a package of a capped
  type offers at most the credits left under its cap this period, and one with none left under
  it is refused by the rule :class:`PeriodCap` (reason ``period_cap``, before ``exhausted``):
  the checkout goes on, the line stays due, and the rejection says why.
- **Expiry judged at the booking** (``Business(expiry_judged_at="booking")``): for a hold, rule
  R4 is replaced by :class:`ExpiredAtBooking`, which judges the expiry at the time the booking
  is made rather than at the appointment (reason ``expired`` still).

With neither set, the engine gets the business's policy and the packages as they stand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .._booking import ExpiredAtBooking, PeriodCap, booking_policy, cap_uses
from ..models import Package
from ..policy import CompiledPolicy, Policy
from .business import Business
from .state import PackageState

__all__ = ["ExpiredAtBooking", "PeriodCap", "engine_terms"]


def engine_terms(
    business: Business,
    packages: Sequence[PackageState],
    booked: dt.datetime,
    scheduled: dt.datetime,
) -> tuple[list[Package], Policy | CompiledPolicy]:
    """The engine's packages and policy for a booking made at *booked* for a service at
    *scheduled* (both aware), over the owner's live *packages*: the business's compiled policy
    when the booking adds no rule of its own."""
    room: dict[tuple[str, str], int] = {}
    for state in packages:
        cap = business.use_cap(state.type_id)
        if cap is not None:
            for c in state.components:
                room[state.id, c.item] = max(0, cap - c.period_uses)
    offered, capped = cap_uses([p.as_package(business.expiry_mode) for p in packages], room)
    judged = business.expiry_judged_at == "booking"
    policy = booking_policy(
        business.policy, capped, booked if judged else None, scheduled if judged else None
    )
    return offered, (business.compiled if policy is business.policy else policy)
