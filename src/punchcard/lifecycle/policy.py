"""The choices of the lifecycle that the source articles leave to the business.

>>> LifecyclePolicy().cancel_after_expiry, LifecyclePolicy().unused_at_renewal
('expire', 'forfeit')
>>> LifecyclePolicy(unused_at_renewal="rollover").unused_at_renewal
'rollover'
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import attrs

from .. import _validate as v
from ..errors import InvalidTypeError
from ..policy import Policy

__all__ = ["LifecyclePolicy"]

_DEFAULT_POLICY = Policy()


def _policy(_inst: object, _attr: object, value: object) -> None:
    if not isinstance(value, Policy):
        raise InvalidTypeError("redemption", f"must be a punchcard.Policy, got {value!r}")


@attrs.frozen
class LifecyclePolicy:
    """How a business wants the lifecycle to behave where the rules leave a choice."""

    #: The engine's policy, used to decide which credits a booking takes; its ``expires_at``
    #: (23:59 by default) is also when expiry dates end and subscriptions renew.
    redemption: Policy = attrs.field(default=_DEFAULT_POLICY, validator=_policy)
    #: A booking cancelled once its package has expired: ``expire`` (default) gives the credits
    #: back and they expire at once (packages cannot be unexpired; the cancellation is recorded,
    #: so it cannot restore twice); ``refuse`` refuses the cancellation (code
    #: ``package_expired``) so the host can settle it another way.
    cancel_after_expiry: Literal["expire", "refuse"] = attrs.field(
        default="expire", validator=v.one_of(("expire", "refuse"))
    )
    #: Credits left when a subscription period ends: ``forfeit`` (default) or ``rollover``.
    unused_at_renewal: Literal["forfeit", "rollover"] = attrs.field(
        default="forfeit", validator=v.one_of(("forfeit", "rollover"))
    )

    @property
    def expires_at(self) -> dt.timedelta:
        """The local time of day an expiry date (or a subscription period) ends."""
        return self.redemption.expires_at_delta
