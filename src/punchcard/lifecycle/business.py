"""The business: its settings and choices, given once and passed to every lifecycle operation.

>>> from punchcard import Policy, Settings
>>> business = Business(settings=Settings(refund_after_use=True), unused_at_renewal="rollover",
...                     timezone="America/New_York", zones={"beach": "America/Los_Angeles"})
>>> business.zone_of("downtown"), business.zone_of("beach")
('America/New_York', 'America/Los_Angeles')
>>> Business().cancel_after_expiry, Business().unused_at_renewal
('expire', 'forfeit')
>>> Business(zones={"beach": "Mars/Olympus"})
Traceback (most recent call last):
...
punchcard.errors.InvalidValueError: zones.beach: unknown IANA time zone 'Mars/Olympus'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from .. import _validate as v
from ..errors import InvalidTypeError, InvalidValueError, PunchcardError
from ..expiry import ExpiryMode
from ..models import Rates, RatesInput, Settings
from ..policy import CompiledPolicy, Policy
from ..timeutil import zone
from .franchise import Franchise
from .permissions import PermissionPolicy
from .terms import LateCancel

__all__ = ["Business"]


def _instance(kind: type, name: str) -> Any:
    def check(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind):
            raise InvalidTypeError(attr.name, f"must be a {name}, got {value!r}")

    return check


def _rates(value: RatesInput) -> Rates:
    return Rates.coerce(value)


def _optional_franchise(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Franchise):
        raise InvalidTypeError(attr.name, f"must be a Franchise or None, got {value!r}")


def _zone_name(field: str, name: object) -> str:
    if not isinstance(name, str):
        raise InvalidTypeError(field, f"must be an IANA zone name, got {name!r}")
    try:
        zone(name)
    except PunchcardError as err:
        raise InvalidValueError(field, getattr(err, "message", str(err))) from None
    return name


def _optional_zone(value: object) -> str | None:
    return None if value is None else _zone_name("timezone", value)


def _zones(value: Mapping[str, str] | tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    if isinstance(pairs, (str, bytes)):
        raise InvalidTypeError("zones", f"must map location -> IANA zone, got {value!r}")
    out: dict[str, str] = {}
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)):
            raise InvalidTypeError("zones", f"must map location -> IANA zone, got {pair!r}")
        location, name = pair
        out[location] = _zone_name(f"zones.{location}", name)
    return tuple(sorted(out.items()))


def _caps(value: Mapping[str, int] | tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    if isinstance(pairs, (str, bytes)):
        raise InvalidTypeError("use_caps", f"must map package type id -> uses, got {value!r}")
    out: dict[str, int] = {}
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise InvalidTypeError("use_caps", f"must map package type id -> uses, got {pair!r}")
        type_id, cap = pair
        v.check_identifier(type_id, "use_caps")
        out[type_id] = v.check_count(cap, f"use_caps.{type_id}", 1)
    return tuple(sorted(out.items()))


@attrs.frozen(kw_only=True)
class Business:
    """Everything a business decides once: the engine's settings, policy and rates, the
    lifecycle's choices, who may do what, its franchise, and the time zones of its locations.

    Every lifecycle operation takes one (``business=``; the default is :class:`Business()`, the
    source articles' behaviour).
    """

    #: The system-wide switches (``any_type``, ``any_location``, ``refund_after_use``...).
    settings: Settings = attrs.field(factory=Settings, validator=_instance(Settings, "Settings"))
    #: The engine's policy: which credits a booking takes; its ``expires_at`` (23:59 by
    #: default) is also when expiry dates end and subscription periods renew.
    policy: Policy = attrs.field(factory=Policy, validator=_instance(Policy, "Policy"))
    #: The location default rates (for cross-item credits and ``default_rate`` valuation).
    rates: Rates = attrs.field(default=None, converter=_rates)
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
    #: Which permission each operation needs.
    permissions: PermissionPolicy = attrs.field(
        factory=PermissionPolicy, validator=_instance(PermissionPolicy, "PermissionPolicy")
    )
    #: The franchise the business belongs to, if any: its rules decide where credits of a
    #: local package type may be redeemed.
    franchise: Franchise | None = attrs.field(default=None, validator=_optional_franchise)
    #: The IANA zone of the business's locations (those not in :attr:`zones`), if one.
    timezone: str | None = attrs.field(default=None, converter=_optional_zone)
    #: The IANA zone of each location that has its own (location -> zone).
    zones: tuple[tuple[str, str], ...] = attrs.field(factory=tuple, converter=_zones)
    # -- the lifecycle options of issue 12 (1, 13-17); each default is the source articles' --
    #: The late-cancel window and the no-show rule (option 1; default: cancelling restores).
    late_cancel: LateCancel = attrs.field(
        factory=LateCancel, validator=_instance(LateCancel, "LateCancel")
    )
    #: With ``unused_at_renewal="rollover"``: at most this many credits of each component roll
    #: over at a renewal, the rest are forfeited (option 13; ``None``: all of them).
    rollover_cap: int | None = attrs.field(default=None, validator=v.optional_whole(0))
    #: Package type id -> the most credits of each component of such a package redeemed in one
    #: subscription period (option 13; a plain package has one period, its life). Stored
    #: sorted, as pairs.
    use_caps: tuple[tuple[str, int], ...] = attrs.field(factory=tuple, converter=_caps)
    #: What a refund of a used package charges the used (and forfeited) credits: their
    #: ``paid_value`` (default: the price per credit) or the ``service_price`` they took off
    #: their lines (option 14).
    refund_used_at: Literal["paid_value", "service_price"] = attrs.field(
        default="paid_value", validator=v.one_of(("paid_value", "service_price"))
    )
    #: A reload notice is due when the credits left come down to this many (option 15; ``0``:
    #: when the package runs out; ``None``: never).
    reload_at: int | None = attrs.field(default=None, validator=v.optional_whole(0))
    #: When every use since a first-use countdown started is cancelled early, the countdown
    #: starts again at the next use (option 16; default: a started countdown stays).
    countdown_reset: bool = attrs.field(default=False, validator=v.boolean)
    #: When a hold's expiry is judged: at the ``appointment`` time (default) or at the
    #: ``booking`` time, so that a hold made before the expiry keeps its credits (option 17).
    expiry_judged_at: Literal["appointment", "booking"] = attrs.field(
        default="appointment", validator=v.one_of(("appointment", "booking"))
    )
    #: :attr:`policy` compiled, once, when the business is made (what every booking runs;
    #: not compared, not shown).
    compiled: CompiledPolicy = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.rollover_cap is not None and self.unused_at_renewal != "rollover":
            raise InvalidValueError(
                "rollover_cap",
                f"caps credits rolled over, but unused_at_renewal is {self.unused_at_renewal!r}",
            )
        # A declared field, set once here (after the validators), as attrs does for a frozen
        # class's derived values: never written again.
        object.__setattr__(self, "compiled", self.policy.compile())

    @property
    def expires_at(self) -> dt.timedelta:
        """The local time of day an expiry date (or a subscription period) ends."""
        return self.policy.expires_at_delta

    def use_cap(self, type_id: str) -> int | None:
        """The cap of uses per period of packages of type *type_id* (``None``: none)."""
        for name, cap in self.use_caps:
            if name == type_id:
                return cap
        return None

    @property
    def expiry_mode(self) -> ExpiryMode:
        """The policy's expiry mode (X5): ``end_of_day`` (default) or ``elapsed``, for a
        countdown's expiry; the lifecycle's expiry moments and sweeps follow it as the engine
        does.

        .. versionadded:: 0.2
        """
        return self.policy.expiry

    def zone_of(self, location: str | None) -> str | None:
        """The zone of *location* (its own, else the business's), ``None`` if neither is known."""
        for name, tz in self.zones:
            if name == location:
                return tz
        return self.timezone


def business_of(value: object) -> Business:
    """*value*, checked to be a :class:`Business`."""
    if not isinstance(value, Business):
        raise InvalidTypeError("business", f"must be a punchcard.lifecycle.Business, got {value!r}")
    return value


def zone_for(
    business: Business, location: str | None, timezone: str | dt.tzinfo | None
) -> dt.tzinfo:
    """The zone to read a time at *location* in: *timezone* when given, else the business's."""
    if timezone is None:
        timezone = business.zone_of(location)
        if timezone is None:
            raise InvalidValueError(
                "timezone",
                f"no zone is known for location {location!r}: pass timezone= or give the "
                "business a timezone (or zones)",
            )
    if isinstance(timezone, str):
        return zone(timezone)
    if not isinstance(timezone, dt.tzinfo):
        raise InvalidTypeError("timezone", f"must be an IANA name or a tzinfo, got {timezone!r}")
    return timezone
