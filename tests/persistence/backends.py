"""The databases the persistence tests run against, and helpers shared by their modules.

- SQLite: a file in the test's temporary directory.
- PostgreSQL: the server named by ``PUNCHCARD_PG_DSN`` (``.ci/postgres.sh start`` sets it);
  otherwise a throwaway cluster started here with ``initdb`` / ``pg_ctl`` (found on ``PATH`` or
  in ``/usr/lib/postgresql/*/bin``) in a temporary directory on a free loopback port, as the
  ``postgres`` user when running as root (``initdb`` refuses root), stopped when the tests end;
  otherwise the PostgreSQL tests are skipped, with the reason. Each test gets its own schema.

(Not a conftest.py: pytest's doctest collection would clash with the other conftest files.)
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import multiprocessing
import os
import random
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

from punchcard import Application, Cart, Component, Line, Money, Package
from punchcard.contrib import SQLStore

BackendName = Literal["sqlite", "postgres"]
BACKENDS: tuple[BackendName, ...] = ("sqlite", "postgres")
NY = "America/New_York"
DSN_VARIABLE = "PUNCHCARD_PG_DSN"
TABLES = ("punchcard_packages", "punchcard_components", "punchcard_checkouts", "punchcard_ledger")


@attrs.frozen
class Backend:
    """One database of one test: a SQLite file, or a PostgreSQL schema. Picklable, so that
    worker processes can open their own connections to it."""

    name: BackendName
    #: The SQLite file, or the PostgreSQL conninfo (with the test's search_path).
    target: str

    def open(self) -> SQLStore:
        """A store on a new connection to this database."""
        if self.name == "sqlite":
            from punchcard.contrib import sqlite

            store = sqlite.Store.connect(self.target)
            # Tests need no durability against power loss: commit without waiting for the disk
            # (still atomic, and safe against a crash of the process, in WAL mode).
            store.connection.execute("PRAGMA synchronous = NORMAL")
            return store
        from punchcard.contrib import postgres

        return postgres.Store.connect(self.target)


def open_backend(name: BackendName, tmp_path: Path) -> Iterator[Backend]:
    """Body of the ``backend`` fixture of the test modules: a fresh, empty database with the
    schema created; PostgreSQL tests skip (with the reason) when no server can be had."""
    if name == "sqlite":
        backend = Backend("sqlite", str(tmp_path / "punchcard.db"))
        _create_schema(backend)
        yield backend
        return
    base = postgres_dsn()
    import psycopg
    from psycopg.conninfo import make_conninfo

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    backend = Backend("postgres", make_conninfo(base, options=f"-c search_path={schema}"))
    _create_schema(backend)
    try:
        yield backend
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _create_schema(backend: Backend) -> None:
    store = backend.open()
    try:
        store.create_schema()
    finally:
        store.close()


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

    return f"host=127.0.0.1 port={port} user=postgres dbname=postgres connect_timeout=10", stop


# -- worker processes ---------------------------------------------------------------------------


def process_context() -> Any:
    """Where the tests start their worker processes: a fork server that has imported punchcard
    once (a spawned interpreter takes about a second to import it; eight of them, eight), or
    plain spawn where there is no fork server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        ["backends", "punchcard.contrib.sqlite", "punchcard.contrib.postgres", "psycopg"]
    )
    return context


# -- values shared by the test modules ----------------------------------------------------------


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def package(pid: str, owner: str = "smith", **fields: Any) -> Package:
    """A package of *owner*: ``credits={"daycare_full": 2}`` by default."""
    credits: dict[str, int] = fields.pop("credits", {"daycare_full": 2})
    fields.setdefault("purchased_at", dt.datetime(2026, 1, 5, 10))
    return Package(
        id=pid,
        owner=owner,
        components=[Component(item, n) for item, n in credits.items()],
        **fields,
    )


def cart(cart_id: str | None, *lines: tuple[str, str, int], owner: str = "smith") -> Cart:
    """A cart of *lines* ``(line id, item, units)`` at $30 a unit."""
    return Cart(
        owner,
        "downtown",
        "USD",
        [Line(lid, item, usd("30"), units=units) for lid, item, units in lines],
        id=cart_id,
    )


def snapshot(store: SQLStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the four tables, sorted: equal snapshots, equal databases."""
    return {
        table: sorted(
            (tuple(row) for row in store._query(f"SELECT * FROM {table}")),
            key=repr,
        )
        for table in TABLES
    }


def kill_between_events_and_balances(backend: Backend, ticket: Cart, marker: str) -> None:
    """Run in a child process: check *ticket* out, but die (``os._exit(3)``) inside the commit
    after the ledger rows are written and before any balance is updated. Writes the number of
    events the transaction holds then to the file *marker*."""
    store = backend.open()

    def die(_application: Application) -> None:
        events = store._query("SELECT COUNT(*) FROM punchcard_ledger WHERE kind = 'redeemed'")
        Path(marker).write_text(str(events[0][0]))
        os._exit(3)

    store._apply_guards = die  # type: ignore[method-assign,assignment]
    store.checkout(ticket, at=dt.datetime(2026, 3, 2, 17, 30), timezone=NY)
    os._exit(0)  # not reached: the commit dies first


# -- the tills of the concurrency test ----------------------------------------------------------

OWNERS = ("alice", "bob")
RUSH_START = dt.datetime(2026, 3, 2, 8)


def rush_packages() -> list[Package]:
    """A few packages that many tills spend at once: fewer credits than the rush asks for, and
    an unused first-use bundle whose first use the first checkouts race to record."""
    return [
        package("a1", "alice", credits={"daycare_full": 600}),
        package(
            "a2",
            "alice",
            credits={"grooming": 150, "shampoo": 100},
            expiry_starts="first_use",
            days_to_expiration=365,
        ),
        package("b1", "bob", credits={"daycare_full": 500}),
        package("b2", "bob", credits={"daycare_full": 250}, purchased_at=dt.datetime(2026, 2, 1)),
    ]


def rush_cart(cart_id: str, rng: random.Random) -> Cart:
    """A cart of one owner: daycare days, and sometimes a grooming and a shampoo."""
    lines = [Line("day", "daycare_full", usd("30"), units=rng.randint(1, 3))]
    if rng.random() < 0.4:
        lines.append(Line("groom", "grooming", usd("55")))
    if rng.random() < 0.3:
        lines.append(Line("wash", "shampoo", usd("15")))
    return Cart(rng.choice(OWNERS), "downtown", "USD", lines, id=cart_id)


#: What a till reports of one submission: key, duplicate, attempts, events (id, package, item,
#: credits); ``attempts`` is 0 for a checkout given up after its retries.
Submitted = tuple[str, bool, int, tuple[tuple[str, str, str, int], ...]]


def till(backend: Backend, worker: int, checkouts: int, start: Any, results: Any) -> None:
    """Run in a child process: *checkouts* checkouts through :meth:`SQLStore.checkout`.

    Every tenth cart is the same on every till (same id, time and lines: one shop, eight
    screens, one click each), and every seventh is sent twice by its till (a lost reply).
    """
    from punchcard.contrib import Conflict

    store = backend.open()
    out: list[Submitted] = []
    rng = random.Random(worker)
    start.wait(timeout=120)
    for i in range(checkouts):
        shared = i % 10 == 0
        ticket = rush_cart(
            f"shared-{i}" if shared else f"w{worker}-{i}", random.Random(i) if shared else rng
        )
        for _ in range(2 if i % 7 == 3 else 1):
            at = RUSH_START + dt.timedelta(seconds=i)
            try:
                receipt = store.checkout(ticket, at=at, timezone=NY, retries=RUSH_RETRIES)
            except Conflict:
                out.append((f"gave-up:{ticket.id}", False, 0, ()))
                continue
            events = tuple((e.event_id, e.package_id, e.item, e.credits) for e in receipt.events)
            out.append((receipt.key, receipt.duplicate, receipt.attempts, events))
    store.close()
    results.put((worker, out))


RUSH_RETRIES = 100


def canceller(backend: Backend, worker: int, keys: list[str], start: Any, results: Any) -> None:
    """Run in a child process: cancel every checkout of *keys* (in an order of its own)."""
    store = backend.open()
    order = list(keys)
    random.Random(worker).shuffle(order)
    start.wait(timeout=120)
    out = []
    for key in order:
        done = store.cancel(key, at=RUSH_START + dt.timedelta(days=1))
        out.append((key, done.duplicate, tuple((e.restores, e.credits) for e in done.restored)))
    store.close()
    results.put((worker, out))
