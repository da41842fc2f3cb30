"""The store's schema migrations, run with Alembic from the scripts shipped in
``punchcard/store/migrations/``.

Alembic records the version in its own table, ``punchcard_alembic_version``, so a host that
migrates its own tables with Alembic (in ``alembic_version``) keeps both histories apart.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Final

import sqlalchemy as sa

from ..errors import InvalidTypeError
from ._schema import begin_sqlite
from .errors import StoreError

__all__ = ["SCRIPT_LOCATION", "VERSION_TABLE", "current_revision", "downgrade", "upgrade"]

#: Where the migration scripts are (a package resource).
SCRIPT_LOCATION: Final = "punchcard.store:migrations"
#: The table in which Alembic records the store's schema version.
VERSION_TABLE: Final = "punchcard_alembic_version"


@contextlib.contextmanager
def _connection(target: str | sa.Engine | sa.Connection) -> Iterator[sa.Connection]:
    """A connection in a transaction: the host's, or a new one that commits at the end (on
    SQLite begun here: Python's sqlite3 would run the DDL outside any transaction)."""
    if isinstance(target, sa.Connection):
        if not target.in_transaction():
            target.begin()  # the host's to commit (Alembic would commit one it began itself)
        begin_sqlite(target, write=True)
        yield target
        return
    if isinstance(target, str):
        engine = sa.create_engine(_url(target))
    elif isinstance(target, sa.Engine):
        engine = target
    else:
        raise InvalidTypeError(
            "target", f"must be a database URL, an Engine or a Connection, got {target!r}"
        )
    try:
        with engine.connect() as conn, conn.begin():
            begin_sqlite(conn, write=True)
            yield conn
    finally:
        if engine is not target:
            engine.dispose()


def _url(text: str) -> sa.URL:
    url = sa.make_url(text)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def _config(conn: sa.Connection) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = conn
    return config


def upgrade(target: str | sa.Engine | sa.Connection, revision: str = "head") -> None:
    """Create the store's tables in the database *target* (a URL, an Engine, or a Connection
    whose transaction the host then commits), or bring them up to *revision* (the latest by
    default). Running it again on an up-to-date database changes nothing."""
    from alembic import command

    try:
        with _connection(target) as conn:
            command.upgrade(_config(conn), revision)  # type: ignore[arg-type]
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"the migration failed: {exc}") from exc


def downgrade(target: str | sa.Engine | sa.Connection, revision: str) -> None:
    """Bring the store's tables in *target* back down to *revision* (``"base"``: drop them).
    Data a later revision added a place for is folded back where the earlier one kept it."""
    from alembic import command

    try:
        with _connection(target) as conn:
            command.downgrade(_config(conn), revision)  # type: ignore[arg-type]
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"the migration failed: {exc}") from exc


def current_revision(target: str | sa.Engine | sa.Connection) -> str | None:
    """The store's schema revision in *target* (``None``: no tables yet)."""
    from alembic.runtime.migration import MigrationContext

    with _connection(target) as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()
