"""The ledger, the projection of package states, idempotency and the owners' guard rows.

A database that holds the tables of the retired reference stores (``punchcard.contrib``:
``punchcard_packages``, ``punchcard_components``, ``punchcard_checkouts``, ``punchcard_ledger``)
keeps them, renamed ``punchcard_contrib_*``: their packages lack what a lifecycle purchase
records (type, price, zone), so they are left for the host to sell again through the store.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_CONTRIB = ("punchcard_packages", "punchcard_components", "punchcard_checkouts", "punchcard_ledger")


def _set_contrib_aside() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    names = set(inspector.get_table_names())
    if not {"punchcard_ledger", "punchcard_checkouts"} <= names:
        return
    op.execute("DROP INDEX IF EXISTS punchcard_packages_owner")
    for name in _CONTRIB:
        if name in names:
            op.rename_table(name, name.replace("punchcard_", "punchcard_contrib_", 1))
    if bind.dialect.name == "postgresql":
        op.execute(
            "ALTER INDEX IF EXISTS punchcard_packages_pkey RENAME TO punchcard_contrib_packages_pkey"
        )
    op.create_index("punchcard_contrib_packages_owner", "punchcard_contrib_packages", ["owner"])


def upgrade() -> None:
    _set_contrib_aside()
    op.create_table("punchcard_owners", sa.Column("owner", sa.String, primary_key=True))
    head = op.create_table(
        "punchcard_ledger_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="punchcard_ledger_head_one_row"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0}])
    op.create_table(
        "punchcard_events",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String, nullable=False),
        sa.Column("package_id", sa.String, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("owner", sa.String, nullable=False),
        sa.Column("type", sa.String, nullable=False),
        sa.Column("format", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("operation_key", sa.String, nullable=False),
        sa.UniqueConstraint("event_id", name="punchcard_events_event_id"),
        sa.UniqueConstraint("package_id", "seq", name="punchcard_events_package_seq"),
        sa.CheckConstraint("seq >= 1", name="punchcard_events_seq"),
    )
    op.create_index("punchcard_events_owner", "punchcard_events", ["owner", "position"])
    op.create_index("punchcard_events_operation", "punchcard_events", ["operation_key", "position"])
    op.create_table(
        "punchcard_packages",
        sa.Column("package_id", sa.String, primary_key=True),
        sa.Column("owner", sa.String, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("format", sa.Integer, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
    )
    op.create_index("punchcard_packages_owner", "punchcard_packages", ["owner", "position"])
    op.create_table(
        "punchcard_operations",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("owner", sa.String, nullable=False),
        sa.Column("operation", sa.String, nullable=False),
        sa.Column("digest", sa.String, nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("first_position", sa.BigInteger, nullable=True),
        sa.Column("last_position", sa.BigInteger, nullable=True),
    )


def downgrade() -> None:
    for name in (
        "punchcard_operations",
        "punchcard_packages",
        "punchcard_events",
        "punchcard_ledger_head",
        "punchcard_owners",
    ):
        op.drop_table(name)
