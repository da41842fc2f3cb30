"""Shared values for the tests of the lifecycle options of issue 12 (1, 11-17): package types,
businesses and actors beside those of lifecycle_kit."""

from __future__ import annotations

import datetime as dt

from lifecycle_kit import NY, USD

from punchcard import Money
from punchcard.lifecycle import (
    PERMISSIONS,
    Actor,
    Business,
    LateCancel,
    PackageType,
    Period,
    TypeComponent,
)

#: Everyone's permissions.
BOSS = Actor("boss", PERMISSIONS)
#: A late-cancel window of 24 hours that forfeits, no-shows forfeited too.
FORFEITS = Business(
    timezone=NY,
    late_cancel=LateCancel(window=dt.timedelta(hours=24), no_show="forfeit"),
)
#: The same window charging a fee of 15 USD per line, no-shows too.
FEES = Business(
    timezone=NY,
    late_cancel=LateCancel(
        window=dt.timedelta(hours=24), late="fee", no_show="fee", fee=Money("15.00", USD)
    ),
)
#: Three days of daycare, the countdown of 10 days from the first use.
FIRST_USE = PackageType(
    id="fu-3",
    name="3 days from first use",
    components=[TypeComponent("daycare_full", 3)],
    price=Money("90.00", USD),
    days_to_expiration=10,
    expiry_starts="first_use",
)
#: A weekly class subscription: 4 classes a week.
WEEKLY = PackageType(
    id="yoga-weekly",
    name="Yoga 4 a week",
    components=[TypeComponent("yoga", 4)],
    price=Money("60.00", USD),
    subscription=Period("weeks"),
)
#: A pass in euros.
EURO = PackageType(
    id="eu-10",
    name="10 days (EUR)",
    components=[TypeComponent("daycare_full", 10)],
    price=Money("250.00", "EUR"),
)
#: Ten hourly walks.
WALKS = PackageType(
    id="walks-10",
    name="10 walks",
    components=[TypeComponent("daycare_full", 10, hourly=True)],
    price=Money("150.00", USD),
)
