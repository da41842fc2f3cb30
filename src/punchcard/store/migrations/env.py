"""Alembic's entry point for the store's migrations: always run on the connection that
:func:`punchcard.store.upgrade` passes in ``config.attributes["connection"]``.

(Alembic runs this file; a tool that merely imports it, like pytest's doctest collection, finds
no migration context and does nothing.)
"""

from __future__ import annotations

from alembic import context

from punchcard.store._migrate import VERSION_TABLE


def run() -> None:
    """Run the migrations on the connection given by :func:`punchcard.store.upgrade`."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run the store's migrations with punchcard.store.upgrade(url_or_engine)")
    context.configure(connection=connection, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


if hasattr(context, "config"):
    run()
