"""The Alembic migration scripts of the store's tables (run by :func:`punchcard.store.upgrade`)."""
