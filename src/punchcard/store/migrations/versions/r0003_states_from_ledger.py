"""Package states in format 3, rebuilt from the ledger.

The package state of punchcard's lifecycle keeps the sale event as the snapshot of the package's
terms, and its redemptions in compact form (format 3); the states stored in formats 1 and 2 are
shaped otherwise. The ledger is the truth, so this revision replays every owner's events and
writes their states again, and the rows of their redemptions with them. Events keep their
format (every earlier one stays readable).

Downgrading is refused (:class:`~punchcard.store.StoreError`, nothing changed): an earlier
punchcard cannot read the events of this one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from punchcard.store._projection import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    from punchcard.store.errors import StoreError

    raise StoreError(
        "revision 0003 cannot be downgraded: the package states rebuilt from the ledger (format"
        " 3) have no form an earlier punchcard reads, nor do the events written since; restore"
        " the backup taken before the upgrade"
    )
