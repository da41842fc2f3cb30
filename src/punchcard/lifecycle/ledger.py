"""The ledger replayed: the state of every package now, or at any past time.

Hosts store events in their own tables, as the plain dicts :func:`punchcard.events.event_to_dict`
gives, and read them back with :func:`punchcard.events.event_from_dict`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..errors import InvalidTypeError
from ..events import LedgerEvent, PackagePurchased
from ..timeutil import to_local, zone
from .state import LedgerState, fold

__all__ = ["replay", "state_as_of"]


def replay(events: Iterable[LedgerEvent], *, start: LedgerState | None = None) -> LedgerState:
    """Fold *events* (in ledger order) into the state of every package.

    *events* may be any iterable (a database cursor): it is read once and not kept. With *start*,
    the events are folded onto that state (the state a host saved earlier, say). An inconsistent
    ledger (an event for an unknown package, a gap in ``seq``, credits taken that are not there)
    raises :class:`LedgerError` naming the event.
    """
    return fold(start, events)


def state_as_of(events: Iterable[LedgerEvent], when: dt.datetime) -> LedgerState:
    """The state of every package at *when*: the events dated up to *when*, inclusive.

    A naive *when* is read as local time in each package's own zone. Events of one package are in
    time order (the operations refuse to record one before the previous). Events of the sweeps
    (expiry, renewal, use once the scheduled time passed) are dated when they took effect, not
    when the job ran: the state at a time includes them even if the job ran later.
    """
    if not isinstance(when, dt.datetime):
        raise InvalidTypeError("when", f"must be a datetime.datetime, got {when!r}")
    zones: dict[str, dt.tzinfo] = {}
    cutoff: dict[str, dt.datetime] = {}

    def kept() -> Iterable[LedgerEvent]:
        for ev in events:
            limit = cutoff.get(ev.package_id)
            if limit is None:
                if isinstance(ev, PackagePurchased):
                    tz = zones[ev.package_id] = zone(ev.timezone)
                    limit = cutoff[ev.package_id] = to_local(when, tz, "when")
                else:
                    yield ev  # an orphan: let the fold report it
                    continue
            if ev.at <= limit:
                yield ev

    return fold(None, kept())
