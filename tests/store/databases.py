"""The databases the store's tests run against, and the values they share.

- SQLite: a file in the test's temporary directory.
- PostgreSQL: the server named by ``PUNCHCARD_PG_DSN`` (``.ci/postgres.sh start`` sets it);
  otherwise a throwaway cluster started here with ``initdb`` / ``pg_ctl`` (found on ``PATH`` or
  in ``/usr/lib/postgresql/*/bin``) in a temporary directory on a free loopback port, as the
  ``postgres`` user when running as root (``initdb`` refuses root), stopped when the tests end;
  otherwise the PostgreSQL tests are skipped, with the reason. Each test gets its own schema.

PostgreSQL cases are marked ``slow`` (a real server); the SQLite ones run in the fast suite.
(Not a conftest.py: pytest's doctest collection would clash with the other conftest files.)
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import multiprocessing
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import attrs
import pytest
import sqlalchemy as sa

from punchcard import Cart, Line, Money
from punchcard.lifecycle import (
    ASSIGN_CREDITS,
    DEDUCT_REFUND_CREDITS,
    Actor,
    LedgerEvent,
    LedgerState,
    Outcome,
    PackageState,
    PackageType,
    Period,
    TypeComponent,
    checkout,
    event_to_dict,
    hold,
    purchase,
    refund,
    renew,
)
from punchcard.store import Store, upgrade
from punchcard.store._codec import to_json

DatabaseName = Literal["sqlite", "postgres"]
DSN_VARIABLE = "PUNCHCARD_PG_DSN"
NY = "America/New_York"
#: The store's tables (the Alembic version table aside).
TABLES = (
    "punchcard_owners",
    "punchcard_ledger_head",
    "punchcard_events",
    "punchcard_packages",
    "punchcard_redemptions",
    "punchcard_operations",
)
#: The ``database`` fixture's parameters: PostgreSQL is slow (a real server).
DATABASES = (pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.slow))


@attrs.frozen
class Database:
    """One database of one test: a SQLite file, or a PostgreSQL schema. Picklable (a URL), so
    that worker processes can open their own stores on it."""

    name: DatabaseName
    #: A URL the store takes as it is (the PostgreSQL schema is in its ``options``).
    url: str

    def store(self, **options: Any) -> Store:
        """A store with an engine of its own on this database."""
        return Store(self.url, **options)

    def engine(self) -> sa.Engine:
        """A plain engine on this database (as a host would make one)."""
        url = sa.make_url(self.url)
        if self.name == "postgres":
            return sa.create_engine(url)
        return sa.create_engine(url, connect_args={"timeout": 30})


def open_database(name: DatabaseName, tmp_path: Path, *, tables: bool = True) -> Iterator[Database]:
    """Body of the ``database`` fixtures: a fresh database (with the store's tables unless
    *tables* is false); PostgreSQL tests skip (with the reason) when no server can be had."""
    if name == "sqlite":
        path = tmp_path / "punchcard.db"
        if tables:
            shutil.copyfile(_sqlite_template(), path)
        yield Database("sqlite", f"sqlite:///{path}")
        return
    base = sa.make_url(postgres_dsn()).set(drivername="postgresql+psycopg")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = base.update_query_dict({"options": f"-c search_path={schema}"})
    database = Database("postgres", url.render_as_string(hide_password=False))
    try:
        if tables:
            upgrade(database.url)
        yield database
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


_template: list[Path] = []


def _sqlite_template() -> Path:
    """A SQLite file with the store's tables, made once per test run (the migrations take a
    few tenths of a second; a copy of the file takes nothing)."""
    if not _template:
        path = Path(tempfile.mkdtemp(prefix="punchcard-store-")) / "template.db"
        upgrade(f"sqlite:///{path}")
        atexit.register(shutil.rmtree, path.parent, True)
        _template.append(path)
    return _template[0]


def snapshot(database: Database, tables: tuple[str, ...] = TABLES) -> dict[str, list[Any]]:
    """Every row of the store's tables, sorted: equal snapshots, equal databases."""
    engine = database.engine()
    try:
        with engine.connect() as conn:
            return {
                table: sorted(
                    (tuple(row) for row in conn.exec_driver_sql(f"SELECT * FROM {table}")),
                    key=repr,
                )
                for table in tables
            }
    finally:
        engine.dispose()


def rows(database: Database, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one query."""
    engine = database.engine()
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.exec_driver_sql(sql)]
    finally:
        engine.dispose()


# -- a PostgreSQL server ------------------------------------------------------------------------

_server: dict[str, str] = {}  # "dsn" once started or found, "skip" with the reason otherwise


def postgres_dsn() -> str:
    """The conninfo of a PostgreSQL server for the tests; skips the test when there is none."""
    if not _server:
        _server.update(_find_or_start_server())
    if "skip" in _server:
        pytest.skip(_server["skip"])
    return _server["dsn"]


def _find_or_start_server() -> dict[str, str]:
    try:
        import psycopg
    except ImportError:
        return {"skip": "PostgreSQL tests: psycopg is not installed (pip install psycopg[binary])"}
    given = os.environ.get(DSN_VARIABLE)
    if given:
        try:
            psycopg.connect(given, connect_timeout=10).close()
        except psycopg.Error as exc:  # set but unusable: a broken CI set-up, never a skip
            pytest.fail(f"{DSN_VARIABLE} is set but the server does not answer: {exc}")
        return {"dsn": given}
    try:
        dsn, stop = _start_cluster()
    except _Unavailable as exc:
        return {"skip": f"PostgreSQL tests: no server could be started ({exc}); set {DSN_VARIABLE}"}
    atexit.register(stop)
    return {"dsn": dsn}


class _Unavailable(Exception):
    pass


def _binary(name: str) -> Path | None:
    found = shutil.which(name)
    if found:
        return Path(found).resolve()  # the real bin directory, with pg_ctl beside initdb
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return versions[-1] if versions else None


def _run(argv: list[str], *, as_postgres: bool, timeout: float) -> None:
    if as_postgres:
        if shutil.which("runuser"):
            argv = ["runuser", "-u", "postgres", "--", *argv]
        else:
            argv = ["su", "-s", "/bin/sh", "postgres", "-c", shlex.join(argv)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _Unavailable(f"{argv[0]}: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise _Unavailable(f"{shlex.join(argv)} exited {done.returncode}: {' / '.join(tail)}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start_cluster() -> tuple[str, Callable[[], None]]:
    initdb = _binary("initdb")
    if initdb is None:
        raise _Unavailable("initdb not found on PATH or in /usr/lib/postgresql/*/bin")
    pg_ctl = initdb.parent / "pg_ctl"
    as_postgres = hasattr(os, "geteuid") and os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="punchcard-pg-"))
    try:
        if as_postgres:
            import pwd

            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise _Unavailable("running as root and there is no 'postgres' user") from None
            os.chown(base, user.pw_uid, user.pw_gid)
        data = base / "data"
        init = ["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]
        _run([str(initdb), "-D", str(data), *init], as_postgres=as_postgres, timeout=120)
        log = base / "server.log"
        options = f"-h 127.0.0.1 -p {{port}} -k {base} -c fsync=off -c synchronous_commit=off"
        for attempt in range(3):  # the port may be taken between finding it and binding it
            port = _free_port()
            start = [
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "-o",
                options.format(port=port),
            ]
            try:
                _run([str(pg_ctl), *start, "start"], as_postgres=as_postgres, timeout=90)
                break
            except _Unavailable:
                if attempt == 2:
                    raise
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise

    def stop() -> None:
        with contextlib.suppress(_Unavailable):
            _run(
                [str(pg_ctl), "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop"],
                as_postgres=as_postgres,
                timeout=60,
            )
        shutil.rmtree(base, ignore_errors=True)

    return f"postgresql://postgres@127.0.0.1:{port}/postgres?connect_timeout=10", stop


# -- worker processes ---------------------------------------------------------------------------


def process_context() -> Any:
    """Where the tests start their worker processes: a fork server that has imported punchcard
    once (a spawned interpreter takes about a second to import it; eight of them, eight), or
    plain spawn where there is no fork server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["databases", "punchcard.store", "sqlalchemy", "psycopg"])
    return context


# -- values shared by the test modules ----------------------------------------------------------


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A naive local time of 2026 (read in the package's zone)."""
    return dt.datetime(2026, month, day, hour, minute)


PASS10 = PackageType(
    id="daycare-10",
    name="10 Day Daycare",
    components=[TypeComponent("daycare_full", 10)],
    price=usd("250"),
    days_to_expiration=60,
)
BUNDLE = PackageType(
    id="groom-5-shampoo-2",
    name="5 Grooming + 2 Shampoo",
    components=[TypeComponent("grooming", 5), TypeComponent("shampoo", 2)],
    price=usd("200"),
    low_balance_threshold=6,
)
WELCOME = PackageType(
    id="welcome",
    name="Welcome Day",
    components=[TypeComponent("daycare_full", 1)],
    price=usd("0"),
    once_per_owner=True,
)
MONTHLY = PackageType(
    id="monthly-4",
    name="Monthly 4 Days",
    components=[TypeComponent("daycare_full", 4)],
    price=usd("100"),
    subscription=Period("months"),
)
ADMIN = Actor("admin", {ASSIGN_CREDITS, DEDUCT_REFUND_CREDITS})


def cart(owner: str, *lines: tuple[str, str, int], location: str = "downtown") -> Cart:
    """A cart of *lines* ``(line id, item, units)`` at $30 a unit."""
    return Cart(
        owner,
        location,
        "USD",
        [Line(line_id, item, usd("30"), units=units) for line_id, item, units in lines],
    )


def ledger() -> list[LedgerEvent]:
    """A ledger with every kind of field filled: a bundle used down to its low-balance threshold,
    a subscription renewed with a hold (booking ``A-1``), a refunded pass, sold in two zones; all
    of owner ``smith``."""
    events: list[LedgerEvent] = []
    state = LedgerState()
    for ptype, pid, zone in (
        (BUNDLE, "b", NY),
        (MONTHLY, "m", "Australia/Sydney"),
        (PASS10, "r", NY),
    ):
        outcome = purchase(
            state, ptype, package_id=pid, owner="smith", as_of=at(3, 1), timezone=zone
        )
        events, state = events + list(outcome.events), outcome.state
    ticket = Cart("smith", "downtown", "USD", [Line("g", "grooming", usd("55"))])
    day = Cart("smith", "downtown", "USD", [Line("d", "daycare_full", usd("30"))])
    steps: list[Callable[[LedgerState], Outcome]] = [
        lambda s: checkout(s, ticket, booking="T-1", as_of=at(3, 2), timezone=NY),
        lambda s: renew(s, as_of=at(4, 5)),
        lambda s: hold(s, day, booking="A-1", as_of=at(4, 6), timezone=NY, scheduled_for=at(4, 9)),
        lambda s: refund(s, "r", as_of=at(4, 7), actor=ADMIN),
    ]
    for step in steps:
        outcome = step(state)
        events, state = events + list(outcome.events), outcome.state
    return events


# -- what an earlier punchcard wrote ---------------------------------------------------------------


def old_event_dict(event: LedgerEvent) -> dict[str, Any]:
    """*event* as the store of revisions 0001-0002 wrote its body: the event dict of format 0
    (no ``"v"``; times with their UTC offset only; a sale without ``defined_at``; a redemption
    with the ``source_event_id`` of the engine's former event)."""
    data = {
        name: value.partition("[")[0]
        if isinstance(getattr(event, name, None), dt.datetime)
        else value
        for name, value in event_to_dict(event).items()
    }
    del data["v"]
    if data["type"] == "package_purchased":
        del data["defined_at"]
    if data["type"] == "credits_redeemed":
        data["source_event_id"] = f"src-{event.event_id}"
    return data


def old_state_dict(state: PackageState, *, redemptions: bool) -> dict[str, Any]:
    """*state* in the shape of the earlier ``PackageState`` (every term of the sale a field of
    its own), as its stores wrote it: format 1 with its redemptions inline (*redemptions*),
    format 2 without them."""
    data = {
        "id": state.id,
        "owner": state.owner,
        "type_id": state.type_id,
        "name": state.name,
        "timezone": state.timezone,
        "location": state.location,
        "beneficiary": state.beneficiary,
        "purchased_at": to_json(state.purchased_at),
        "channel": state.channel,
        "components": to_json(state.components),
        "grants": to_json(state.grants),
        "price": to_json(state.price),
        "paid": to_json(state.paid),
        "paid_credits": state.paid_credits,
        "expires_on": to_json(state.expires_on),
        "days_to_expiration": state.days_to_expiration,
        "expiry_starts": state.expiry_starts,
        "first_used_at": to_json(state.first_used_at),
        "pricing_rules": state.pricing_rules,
        "reminder_days": state.reminder_days,
        "low_balance_threshold": state.low_balance_threshold,
        "subscription": to_json(state.subscription),
        "period": state.period,
        "status": state.status,
        "refunded_amount": to_json(state.refunded_amount),
        "taxed": state.taxed,
        "account_code": state.account_code,
        "commission_basis": state.commission_basis,
        "version": state.version,
        "last_event_at": to_json(state.last_event_at),
    }
    if redemptions:
        data["redemptions"] = [to_json(r) for r in state.redemptions]
    return data
