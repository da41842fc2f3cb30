"""The ledger: replaying events into states, the state at any past time, and the JSON form.

Hosts store events in their own tables, as the plain dicts :func:`event_to_dict` gives (every
value a string, a number, a boolean, ``null``, a list or an object), and read them back with
:func:`event_from_dict`. The round trip is exact.

>>> from punchcard.lifecycle import ExpiryChanged
>>> ev = ExpiryChanged(event_id="ev-1", package_id="p1", seq=4,
...                    at=dt.datetime(2026, 3, 1, 9, tzinfo=dt.timezone.utc),
...                    actor="ann", old=dt.date(2026, 3, 31), new=dt.date(2026, 4, 30))
>>> data = event_to_dict(ev)
>>> data
{'type': 'expiry_changed', 'event_id': 'ev-1', 'package_id': 'p1', 'seq': 4, 'at': '2026-03-01T09:00:00+00:00', 'actor': 'ann', 'old': '2026-03-31', 'new': '2026-04-30'}
>>> event_from_dict(data) == ev
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .._validate import show
from ..errors import InvalidTypeError, PunchcardError
from ..timeutil import to_local, zone
from ._codec import CODEC
from .errors import LedgerError
from .events import EVENT_TYPES, LedgerEvent, PackagePurchased
from .state import LedgerState, fold

__all__ = [
    "event_from_dict",
    "event_to_dict",
    "replay",
    "state_as_of",
]


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


def event_to_dict(event: LedgerEvent) -> dict[str, Any]:
    """The JSON-ready dict of *event*: ``{"type": ..., field: value, ...}``."""
    kind = getattr(type(event), "kind", None)
    if kind not in EVENT_TYPES or type(event) is not EVENT_TYPES[kind]:
        raise InvalidTypeError("event", f"must be a ledger event, got {event!r}")
    out: dict[str, Any] = {"type": kind}
    for field in attrs.fields(type(event)):
        encode = field.metadata[CODEC][0]
        out[field.name] = encode(getattr(event, field.name))
    return out


def event_from_dict(data: Mapping[str, Any], *, path: str = "event") -> LedgerEvent:
    """The event *data* describes (as :func:`event_to_dict` writes it), validated.

    Unknown or missing keys, and values of the wrong shape, raise :class:`LedgerError` whose
    ``.path`` names the place (``event.at``, ``event.components[1].quantity``...).
    """
    if not isinstance(data, Mapping):
        raise LedgerError(path, f"must be an object, got {show(data)}")
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise LedgerError(f"{path}.type", f"unknown event type {kind!r}")
    fields = attrs.fields(cls)
    names = {f.name for f in fields}
    unknown = sorted((k for k in data if k != "type" and k not in names), key=show)
    if unknown:
        raise LedgerError(path, f"unknown keys {unknown!r} for {kind!r}")
    missing = sorted(n for n in names if n not in data)
    if missing:
        raise LedgerError(path, f"missing keys {missing!r} for {kind!r}")
    kwargs = {f.name: f.metadata[CODEC][1](data[f.name], f"{path}.{f.name}") for f in fields}
    try:
        return cls(**kwargs)
    except PunchcardError as err:
        field = getattr(err, "field", None)
        message = getattr(err, "message", str(err))
        raise LedgerError(f"{path}.{field}" if field else path, message) from None
