"""Forfeited redemptions: a redemption row may be ``forfeited``.

A booking cancelled inside the business's late-cancel window, or a no-show, may forfeit its
credits (docs/options.md, option 1): the redemption's status becomes ``forfeited``. The check on
``punchcard_redemptions.status`` admits it besides ``held``, ``used`` and ``cancelled``. Nothing
else changes; downgrading restores the earlier check, and is refused
(:class:`~punchcard.store.StoreError`, nothing changed) while a forfeited row exists.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_NAME = "punchcard_redemptions_status"


def _check(statuses: tuple[str, ...]) -> None:
    # (SQLite cannot alter a constraint: the batch copies the table with the new one)
    condition = f"status IN ({', '.join(repr(s) for s in statuses)})"
    with op.batch_alter_table("punchcard_redemptions", recreate="auto") as batch:
        batch.drop_constraint(_NAME, type_="check")
        batch.create_check_constraint(_NAME, condition)


def upgrade() -> None:
    _check(("held", "used", "cancelled", "forfeited"))


def downgrade() -> None:
    from punchcard.store.errors import StoreError

    found = op.get_bind().execute(
        sa.text("SELECT COUNT(*) FROM punchcard_redemptions WHERE status = 'forfeited'")
    )
    if found.scalar_one():
        raise StoreError(
            "revision 0005 cannot be downgraded: forfeited redemptions are stored, which the"
            " earlier schema refuses"
        )
    _check(("held", "used", "cancelled"))
