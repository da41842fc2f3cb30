"""The catalogue: package types (the field guide's fields), editing them, and the portal listing.

Creating, editing, deactivating and deleting a type needs the ``manage_packages`` permission (the
business's permission policy may say otherwise). A
package already sold keeps what its type said when it was sold (the purchase event is a snapshot):
editing a type changes only later sales.

>>> from punchcard import Money
>>> from punchcard.lifecycle import MANAGE_PACKAGES, Actor, TypeComponent
>>> admin = Actor("admin", {MANAGE_PACKAGES})
>>> pass10 = PackageType(
...     id="daycare-10", name="10 Day Daycare", price=Money("250", "USD"),
...     components=[TypeComponent("daycare_full", 10)], days_to_expiration=90,
... )
>>> catalogue = add_type(Catalogue(), pass10, actor=admin)
>>> catalogue = edit_type(catalogue, "daycare-10", {"price": Money("240", "USD")}, actor=admin)
>>> catalogue.get("daycare-10").price, catalogue.get("daycare-10").quantity
(Money('240.00', 'USD'), 10)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from .. import _validate as v
from ..errors import InvalidTypeError, InvalidValueError
from ..events import Period, TypeComponent, check_terms, pretty, type_components
from ..models import (
    DEFAULT_PRIORITY,
    Duration,
    _optional_duration,
    _optional_items,
    _repr_omitting_defaults,
)
from ..money import Money
from ..valuation.revenue import CommissionMode
from .business import Business, business_of
from .errors import OperationRefused
from .permissions import Actor
from .state import LedgerState

__all__ = [
    "Catalogue",
    "PackageType",
    "PortalListing",
    "add_type",
    "delete_type",
    "edit_type",
    "portal_listing",
]


def _price(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Money):
        raise InvalidTypeError(attr.name, f"must be Money, got {value!r}")
    if value.amount < 0:
        raise InvalidValueError(attr.name, f"must not be negative, got {value}")


def _text(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise InvalidTypeError(attr.name, f"must be a string, got {value!r}")


def _optional_price(inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _price(inst, attr, value)


def _period(_inst: object, attr: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Period):
        raise InvalidTypeError(attr.name, f"must be a Period or None, got {value!r}")


@attrs.frozen(kw_only=True, repr=False)
class PackageType:
    """A catalogue entry: what a purchase grants, for how much, and how it behaves.

    The fields follow the field guide of the source articles. A type of one reservation type is a
    type with one component; a bundle (5 grooming + 2 shampoo) has several, always sold together.
    The guide's "Quantity" (at least one) and "Hourly Credit" are set per component.
    """

    #: Stable id of the type.
    id: str = attrs.field(validator=v.identifier)
    #: Shown to customers on receipts and in the portal.
    name: str = attrs.field(validator=v.identifier)
    #: What one purchase (and one subscription period) grants: at least one component (none
    #: for a stored-value type, X9).
    components: tuple[TypeComponent, ...] = attrs.field(default=(), converter=type_components)
    #: The price of the whole package (not per credit).
    price: Money = attrs.field(validator=_price)
    #: The location it is sold at; ``None`` = global (usable at every location).
    location: str | None = attrs.field(default=None, validator=v.optional_identifier)
    #: Optional text for the portal.
    description: str = attrs.field(default="", validator=_text)
    #: Whether tax applies to the sale (the host computes the tax).
    taxed: bool = attrs.field(default=False, validator=v.boolean)
    #: The revenue account code, if any.
    account_code: str | None = attrs.field(default=None, validator=v.optional_identifier)
    #: Days from sale (or first use) to expiry; ``None`` = never expires.
    days_to_expiration: int | None = attrs.field(default=None, validator=v.optional_whole(0))
    #: Whether the countdown starts at the sale or at the first use.
    expiry_starts: Literal["sale", "first_use"] = attrs.field(
        default="sale", validator=v.one_of(("sale", "first_use"))
    )
    #: A credit is worth the line's own pricing-rule value (see docs/semantics.md#v-valuation).
    pricing_rules: bool = attrs.field(default=False, validator=v.boolean)
    #: Send an expiry reminder this many days before the expiry date; ``None`` = never.
    reminder_days: int | None = attrs.field(default=None, validator=v.optional_whole(0))
    #: Send a low-balance notice when the credits left reach this number; ``None`` = never.
    low_balance_threshold: int | None = attrs.field(default=None, validator=v.optional_whole(0))
    #: Customers may buy it in the customer portal.
    purchasable_online: bool = attrs.field(default=False, validator=v.boolean)
    #: An owner may buy it only once.
    once_per_owner: bool = attrs.field(default=False, validator=v.boolean)
    #: Inactive types are not sold (and cannot be bought).
    active: bool = attrs.field(default=True, validator=v.boolean)
    #: Set for a subscription type (sold only as an auto-renewing package): its period.
    subscription: Period | None = attrs.field(default=None, validator=_period)
    #: Sold for one pet / family member (chosen at purchase) rather than shared by all.
    individual: bool = attrs.field(default=False, validator=v.boolean)
    #: The franchise account that defined it (parent = global, child = local); ``None`` if none.
    defined_at: str | None = attrs.field(default=None, validator=v.optional_identifier)
    #: What staff commission on a redeemed credit is computed from: the item's ``retail``
    #: price, or the ``package`` price per credit.
    commission_basis: CommissionMode = attrs.field(
        default="retail", validator=v.one_of(("retail", "package"))
    )
    # The market options (docs/options.md); a component's own (a pool, substitutes, an
    # overdraft) are on its TypeComponent. Every package sold keeps them (PackagePurchased).
    #: Lower is consumed first, after the line's own item and before every other key (X1).
    #:
    #: .. versionadded:: 0.2
    priority: int = attrs.field(default=DEFAULT_PRIORITY, validator=v.whole(0))
    #: A calendar length of validity (days, weeks or months) instead of ``days_to_expiration``
    #: (X4); it counts from the sale, or from ``valid_from`` when later, or from the first use.
    #:
    #: .. versionadded:: 0.2
    valid_for: Duration | None = attrs.field(default=None, validator=_optional_duration)
    #: A stored-value type (X9): the money balance a purchase grants (a $500 card sold for
    #: ``price`` $450); its ``components`` are then empty.
    #:
    #: .. versionadded:: 0.2
    value: Money | None = attrs.field(default=None, validator=_optional_price)
    #: With ``value`` only: the items the balance may pay (``None``: every item) (X9).
    #:
    #: .. versionadded:: 0.2
    items: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_items)

    def __repr__(self) -> str:
        return _repr_omitting_defaults(self, ("priority", "valid_for", "value", "items"))

    _repr_pretty_ = pretty

    def __attrs_post_init__(self) -> None:
        check_terms(
            components=self.components,
            price=self.price,
            value=self.value,
            items=self.items,
            priority=self.priority,
            valid_for=self.valid_for,
            days_to_expiration=self.days_to_expiration,
            subscription=self.subscription,
            low_balance_threshold=self.low_balance_threshold,
        )

    @property
    def quantity(self) -> int:
        """Credits granted per purchase, over all components (0 for a stored-value type)."""
        return sum(c.quantity for c in self.components)

    @property
    def hourly(self) -> bool:
        """The field guide's "Hourly Credit": every component's credits pay for one hour."""
        return bool(self.components) and all(c.hourly for c in self.components)


def _types(value: Iterable[PackageType]) -> tuple[PackageType, ...]:
    return v.unique_sequence(value, "types", PackageType, _type_id, "type id")


def _type_id(package_type: PackageType) -> str:
    return package_type.id


@attrs.frozen
class Catalogue:
    """The package types of a business, in the order they were added."""

    types: tuple[PackageType, ...] = attrs.field(default=(), converter=_types)

    def get(self, type_id: str) -> PackageType:
        """The type called *type_id*; refused with code ``unknown_type`` when there is none."""
        for t in self.types:
            if t.id == type_id:
                return t
        raise OperationRefused("unknown_type", f"there is no package type {type_id!r}")

    def __contains__(self, type_id: object) -> bool:
        return any(t.id == type_id for t in self.types)


_DEFAULT_BUSINESS = Business()


def add_type(
    catalogue: Catalogue,
    ptype: PackageType,
    *,
    actor: Actor | None,
    business: Business = _DEFAULT_BUSINESS,
) -> Catalogue:
    """A catalogue with *ptype* added; needs ``manage_packages`` (by default); ids are unique."""
    business_of(business).permissions.check(actor, "add_type")
    if ptype.id in catalogue:
        raise OperationRefused("duplicate_type", f"there is already a package type {ptype.id!r}")
    return Catalogue((*catalogue.types, ptype))


def edit_type(
    catalogue: Catalogue,
    type_id: str,
    changes: Mapping[str, Any],
    *,
    actor: Actor | None,
    business: Business = _DEFAULT_BUSINESS,
) -> Catalogue:
    """A catalogue with the type *type_id* changed by *changes* (field -> new value).

    Needs ``manage_packages`` (by default). The new type is validated like a new one; its id
    cannot change. Deactivating is ``{"active": False}``. Packages already sold are not
    affected.
    """
    business_of(business).permissions.check(actor, "edit_type")
    old = catalogue.get(type_id)
    if "id" in changes and changes["id"] != type_id:
        raise InvalidValueError(
            "id", f"the id of a package type cannot change (got {changes['id']!r})"
        )
    names = {a.name for a in attrs.fields(PackageType)}
    unknown = sorted(k for k in changes if k not in names)
    if unknown:
        raise InvalidValueError("changes", f"unknown package type fields {unknown!r}")
    new = attrs.evolve(old, **changes)
    return Catalogue(tuple(new if t.id == type_id else t for t in catalogue.types))


def delete_type(
    catalogue: Catalogue,
    type_id: str,
    *,
    actor: Actor | None,
    account: str | None = None,
    business: Business = _DEFAULT_BUSINESS,
) -> Catalogue:
    """A catalogue without the type *type_id*.

    Needs ``manage_packages`` (by default). Subscription types are never deleted (deactivate
    them instead: code ``subscription_type``). In the business's franchise, *account* is where
    the deletion is done: a global type only at the parent, a local one only at the child that
    defined it (code ``not_defined_here``). Packages already sold are not affected.
    """
    business = business_of(business)
    business.permissions.check(actor, "delete_type")
    franchise = business.franchise
    ptype = catalogue.get(type_id)
    if ptype.subscription is not None:
        raise OperationRefused(
            "subscription_type",
            f"subscription type {type_id!r} cannot be deleted; deactivate it instead",
        )
    if franchise is not None and not franchise.may_delete(ptype, account):
        raise OperationRefused(
            "not_defined_here",
            f"package type {type_id!r} is defined at {ptype.defined_at!r} and can only be "
            f"deleted there (tried at {account!r})",
        )
    return Catalogue(tuple(t for t in catalogue.types if t.id != type_id))


@attrs.frozen
class PortalListing:
    """What the customer portal may show one owner, packages and subscriptions apart."""

    #: Standalone package types the owner may buy online now.
    packages: tuple[PackageType, ...]
    #: Subscription types the owner may subscribe to online now.
    subscriptions: tuple[PackageType, ...]


def portal_listing(
    catalogue: Catalogue,
    state: LedgerState,
    owner: str,
    *,
    location: str | None = None,
    business: Business = _DEFAULT_BUSINESS,
) -> PortalListing:
    """The types the portal may list for *owner*: active, purchasable online, and not a
    once-per-owner type the owner ever bought (whatever became of the package).

    With *location*, only types that may be sold there are listed: by the rules of the
    business's franchise if it has one; otherwise a type sold at another location is left out
    and a global type is kept.
    """
    franchise = business_of(business).franchise
    bought = {p.type_id for p in state.packages if p.owner == owner}
    packages: list[PackageType] = []
    subscriptions: list[PackageType] = []
    for t in catalogue.types:
        if not (t.active and t.purchasable_online):
            continue
        if t.once_per_owner and t.id in bought:
            continue
        if location is not None:
            if franchise is not None:
                if not franchise.may_sell(t, location):
                    continue
            elif t.location is not None and t.location != location:
                continue
        (subscriptions if t.subscription is not None else packages).append(t)
    return PortalListing(tuple(packages), tuple(subscriptions))
