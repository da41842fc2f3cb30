"""The rows a nightly sweep produces, as plain values: what a worker returns and what the
output files hold.

Each row names its owner: the rows of an owner depend on that owner's ledger alone, which is
what lets the job run in partitions. :class:`Digest` sums a hash per owner, so the digest of a
result does not depend on how the owners were split nor on the order the partitions finished.

>>> row = NoticeRow("low_balance", "smith", "smith-1", "low_balance:smith-1:10",
...                 "2026-03-20T09:00:00-04:00", 2, None)
>>> one, two = Digest(), Digest()
>>> one.add("smith", [row]); two.add("smith", [row])
>>> one.hexdigest() == two.hexdigest() != Digest().hexdigest()
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import attrs

__all__ = ["BalanceEntry", "Digest", "EventRow", "NoticeRow", "Row", "columns"]

#: The version of the JSON body of an event row (``event_to_dict`` of punchcard.lifecycle).
BODY_FORMAT = 1


@attrs.frozen
class EventRow:
    """One ledger event, as stored: the columns a reader filters on, and the event as JSON."""

    owner: str
    package_id: str
    #: Position in the package's history (1 for the purchase).
    seq: int
    #: The event's type name (``package_purchased``...).
    type: str
    #: The event as JSON text (``punchcard.lifecycle.event_to_dict``), body format 1.
    body: str


@attrs.frozen
class NoticeRow:
    """One notice to send (an expiry reminder or a low balance), due once: ``key`` says which."""

    kind: str
    owner: str
    package_id: str
    key: str
    #: When it fell due (ISO 8601 with offset).
    due_at: str
    #: Credits left, over all components.
    remaining: int
    #: The expiry date (ISO 8601), if any.
    expires_on: str | None


@attrs.frozen
class BalanceEntry:
    """One row of the balances report: one component of one active package."""

    owner: str
    package_id: str
    name: str
    #: The item (``None``: the money of a stored-value package).
    item: str | None
    remaining: int
    held: int
    expires_on: str | None
    location: str | None


Row = EventRow | NoticeRow | BalanceEntry

_TYPES = {"str": "string", "int": "int64", "str | None": "string"}


def columns(cls: type[Row]) -> list[tuple[str, str, bool]]:
    """The columns of a row class: (name, Arrow type name, nullable), in field order.

    >>> columns(EventRow)[:2]
    [('owner', 'string', False), ('package_id', 'string', False)]
    """
    return [(f.name, _TYPES[str(f.type)], str(f.type).endswith("None")) for f in attrs.fields(cls)]


def _text(row: Row) -> bytes:
    return json.dumps([type(row).__name__, *attrs.astuple(row)], ensure_ascii=False).encode()


class Digest:
    """A digest of rows that does not depend on how owners are grouped or ordered: a SHA-256
    per owner (over that owner's rows, in order), summed modulo 2**256."""

    __slots__ = ("_total",)

    def __init__(self, total: int = 0) -> None:
        self._total = total

    def add(self, owner: str, rows: Iterable[Row]) -> None:
        """Add the rows of *owner* (all of them, in their order)."""
        h = hashlib.sha256(owner.encode("utf-8") + b"\n")
        for row in rows:
            h.update(_text(row) + b"\n")
        self._total = (self._total + int.from_bytes(h.digest(), "big")) % (1 << 256)

    def merge(self, other: Digest) -> None:
        """Add the owners of *other* (whose owners are not in this one)."""
        self._total = (self._total + other._total) % (1 << 256)

    def hexdigest(self) -> str:
        """The digest as 64 hex digits."""
        return f"{self._total:064x}"

    @classmethod
    def from_hex(cls, text: str) -> Digest:
        """The digest :meth:`hexdigest` wrote."""
        return cls(int(text, 16))


def row_from(cls: type[Row], values: dict[str, Any]) -> Row:
    """A row of *cls* from a mapping of its columns."""
    return cls(**{f.name: values[f.name] for f in attrs.fields(cls)})
