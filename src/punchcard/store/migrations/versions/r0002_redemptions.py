"""Redemptions in rows of their own: an operation loads the owner's held redemptions and those of
the booking it names, not every redemption the owner ever had.

Package states move from format 1 (redemptions inline in the JSON) to format 2 (without them);
each redemption becomes a row of ``punchcard_redemptions``, at the ledger position of the event
that recorded it. Events keep their format (format 1 stays readable).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_packages = sa.table(
    "punchcard_packages",
    sa.column("package_id", sa.String),
    sa.column("owner", sa.String),
    sa.column("format", sa.Integer),
    sa.column("state", sa.Text),
)
_events = sa.table(
    "punchcard_events", sa.column("event_id", sa.String), sa.column("position", sa.BigInteger)
)


def _text(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def upgrade() -> None:
    redemptions = op.create_table(
        "punchcard_redemptions",
        sa.Column("redemption_id", sa.String, primary_key=True),
        sa.Column("owner", sa.String, nullable=False),
        sa.Column("package_id", sa.String, nullable=False),
        sa.Column("booking", sa.String, nullable=False),
        sa.Column("line_id", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("credits", sa.Integer, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("format", sa.Integer, nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.CheckConstraint("credits >= 1", name="punchcard_redemptions_credits"),
        sa.CheckConstraint(
            "status IN ('held', 'used', 'cancelled')", name="punchcard_redemptions_status"
        ),
    )
    op.create_index("punchcard_redemptions_booking", "punchcard_redemptions", ["owner", "booking"])
    op.create_index("punchcard_redemptions_status", "punchcard_redemptions", ["owner", "status"])
    bind = op.get_bind()
    stored = bind.execute(
        sa.select(_packages.c.package_id, _packages.c.owner, _packages.c.state).where(
            _packages.c.format == 1
        )
    ).all()
    for package_id, owner, text in stored:
        state = json.loads(text)
        records = state.pop("redemptions")
        if records:
            ids = [r["id"] for r in records]
            position = dict(
                bind.execute(
                    sa.select(_events.c.event_id, _events.c.position).where(
                        _events.c.event_id.in_(ids)
                    )
                ).all()
            )
            bind.execute(
                sa.insert(redemptions),
                [
                    {
                        "redemption_id": r["id"],
                        "owner": owner,
                        "package_id": package_id,
                        "booking": r["booking"],
                        "line_id": r["line_id"],
                        "status": r["status"],
                        "credits": r["credits"],
                        "position": position[r["id"]],
                        "format": 1,
                        "record": _text(r),
                    }
                    for r in records
                ],
            )
        bind.execute(
            sa.update(_packages)
            .where(_packages.c.package_id == package_id)
            .values(format=2, state=_text(state))
        )


def downgrade() -> None:
    bind = op.get_bind()
    records: dict[str, list[Any]] = {}
    for package_id, text in bind.execute(
        sa.text(
            "SELECT package_id, record FROM punchcard_redemptions ORDER BY package_id, position"
        )
    ):
        records.setdefault(package_id, []).append(json.loads(text))
    stored = bind.execute(
        sa.select(_packages.c.package_id, _packages.c.state).where(_packages.c.format == 2)
    ).all()
    for package_id, text in stored:
        state = json.loads(text)
        state["redemptions"] = records.get(package_id, [])
        bind.execute(
            sa.update(_packages)
            .where(_packages.c.package_id == package_id)
            .values(format=1, state=_text(state))
        )
    op.drop_table("punchcard_redemptions")
