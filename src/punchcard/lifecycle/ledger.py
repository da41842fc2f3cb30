"""The ledger replayed: the state of every package now, or at any past time.

Hosts store events in their own tables, as the plain dicts :func:`punchcard.events.event_to_dict`
gives, and read them back with :func:`punchcard.events.event_from_dict`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..errors import InvalidTypeError
from ..events import LedgerEvent, PackagePurchased
from ..timeutil import zone
from ._instants import before, local
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


def state_as_of(events: Iterable[LedgerEvent], as_of: dt.datetime) -> LedgerState:
    """The state of every package at *as_of*: the events dated up to *as_of*, inclusive
    (compared as instants).

    A naive *as_of* is read as local time in each package's own zone. Events of one package are
    in time order (the operations refuse to record one before the previous). Catch-up and sweep
    events (expiry, renewal, use once the scheduled time passed) are dated when they took
    effect, not when they were recorded: the state at a time includes them even if they were
    recorded later. (What was true at *as_of* but recorded by no event dated by then, see
    :func:`~punchcard.lifecycle.package_at`.)
    """
    if not isinstance(as_of, dt.datetime):
        raise InvalidTypeError("as_of", f"must be a datetime.datetime, got {as_of!r}")
    cutoff: dict[str, dt.datetime] = {}

    def kept() -> Iterable[LedgerEvent]:
        for ev in events:
            limit = cutoff.get(ev.package_id)
            if limit is None:
                if isinstance(ev, PackagePurchased):
                    limit = cutoff[ev.package_id] = local(as_of, zone(ev.timezone), "as_of")
                else:
                    yield ev  # an orphan: let the fold report it
                    continue
            if not before(limit, ev.at):
                yield ev

    return fold(None, kept())
