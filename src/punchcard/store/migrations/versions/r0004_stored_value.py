"""Redemptions of stored value: a redemption row may hold 0 credits.

A stored-value package (docs/options.md, X9) pays an amount, not credits: its redemptions are
recorded with ``credits = 0`` and their amount. The check on ``punchcard_redemptions.credits``
becomes ``credits >= 0`` (it was ``>= 1``). Nothing else changes; downgrading restores the
earlier check, and is refused (:class:`~punchcard.store.StoreError`, nothing changed) while a
row of 0 credits exists.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_NAME = "punchcard_redemptions_credits"


def _check(condition: str) -> None:
    # (SQLite cannot alter a constraint: the batch copies the table with the new one)
    with op.batch_alter_table("punchcard_redemptions", recreate="auto") as batch:
        batch.drop_constraint(_NAME, type_="check")
        batch.create_check_constraint(_NAME, condition)


def upgrade() -> None:
    _check("credits >= 0")


def downgrade() -> None:
    from punchcard.store.errors import StoreError

    found = op.get_bind().execute(
        sa.text("SELECT COUNT(*) FROM punchcard_redemptions WHERE credits = 0")
    )
    if found.scalar_one():
        raise StoreError(
            "revision 0004 cannot be downgraded: redemptions of stored value (0 credits) are"
            " stored, which the earlier schema refuses"
        )
    _check("credits >= 1")
