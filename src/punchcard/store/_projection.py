"""The store's projection: each package's current state and its redemptions, written in the same
transaction as the events that lead to them, and rebuilt from the ledger when its format changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from ..lifecycle import LedgerEvent, LedgerState, PackageState, RedemptionRecord, replay
from . import _codec, _schema
from .errors import StoreError

__all__ = ["project", "rebuild"]


def project(
    conn: sa.Connection,
    before: LedgerState,
    after: LedgerState,
    touched: Sequence[str],
    events: Sequence[LedgerEvent],
    positions: Sequence[int],
) -> None:
    """Write the new state of every package *events* touched, and of its redemptions."""
    table = _schema.packages
    position_of = {e.event_id: p for e, p in zip(events, positions, strict=True)}
    for package_id in touched:
        new = after.package(package_id)
        fmt, body = _codec.state_row(new)
        old = before.get(package_id)
        if old is None:
            purchase = next(e for e in events if e.package_id == package_id)
            conn.execute(
                sa.insert(table).values(
                    package_id=package_id,
                    owner=new.owner,
                    position=position_of[purchase.event_id],
                    version=new.version,
                    format=fmt,
                    state=body,
                )
            )
        else:
            changed = conn.execute(
                sa.update(table)
                .where(table.c.package_id == package_id, table.c.version == old.version)
                .values(version=new.version, format=fmt, state=body)
            ).rowcount
            if changed != 1:
                raise StoreError(
                    f"package {package_id!r} changed under its owner's guard (another"
                    " writer that does not take it?)"
                )
        _project_records(conn, new, () if old is None else old.redemptions, position_of)


def _project_records(
    conn: sa.Connection,
    package: PackageState,
    loaded: Sequence[RedemptionRecord],
    position_of: dict[str, int],
) -> None:
    table = _schema.redemptions
    was = {r.id: r for r in loaded}
    for record in package.redemptions:
        old = was.get(record.id)
        if old == record:
            continue
        fmt, body = _codec.record_row(record)
        if old is None:
            conn.execute(
                sa.insert(table).values(
                    redemption_id=record.id,
                    owner=package.owner,
                    package_id=package.id,
                    booking=record.booking,
                    line_id=record.line_id,
                    status=record.status,
                    credits=record.credits,
                    position=position_of[record.id],
                    format=fmt,
                    record=body,
                )
            )
        else:
            conn.execute(
                sa.update(table)
                .where(table.c.redemption_id == record.id)
                .values(status=record.status, format=fmt, record=body)
            )


def rebuild(conn: sa.Connection) -> int:
    """Write every package state and redemption row again from the ledger (in the current
    formats): for each owner, their events replayed. Returns how many packages were written."""
    events = _schema.events
    owners = [row[0] for row in conn.execute(sa.select(events.c.owner).distinct())]
    written = 0
    for owner in owners:
        rows = conn.execute(
            sa.select(events.c.position, events.c.format, events.c.body)
            .where(events.c.owner == owner)
            .order_by(events.c.position)
        ).all()
        ledger = [_codec.event_from_row(fmt, body) for _position, fmt, body in rows]
        state = replay(ledger)
        conn.execute(sa.delete(_schema.redemptions).where(_schema.redemptions.c.owner == owner))
        conn.execute(sa.delete(_schema.packages).where(_schema.packages.c.owner == owner))
        touched = list(dict.fromkeys(event.package_id for event in ledger))
        project(conn, LedgerState(), state, touched, ledger, [row[0] for row in rows])
        written += len(touched)
    return written
