"""Database: the catalog and queue tables beside the stores' own, on SQLite or PostgreSQL.

A thin layer over sqlite3 and psycopg: SQL is written with `%s` placeholders and run on
either; the stores keep their tables, this module adds machines, versions and events.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from pystator.runtime.errors import ConfigurationError, StoreUnavailableError
from pystator.runtime.stores import PostgresStateStore, SQLiteStateStore
from pystator.runtime.stores._codec import missing_extra
from pystator.runtime.stores._failures import is_driver_error, translate, worth_retrying

T = TypeVar("T")

logger = logging.getLogger("pystator.db")

TABLES = (
    """CREATE TABLE IF NOT EXISTS {p}machines (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        yaml TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS {p}machine_versions (
        machine_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        yaml TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (machine_id, version)
    )""",
    """CREATE TABLE IF NOT EXISTS {p}worker_events (
        id {serial} PRIMARY KEY,
        machine_id TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        trigger TEXT NOT NULL,
        context TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        result TEXT,
        claimed_by TEXT,
        claimed_at DOUBLE PRECISION,
        available_at DOUBLE PRECISION NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS worker_events_status ON {p}worker_events (status, id)",
    # An entity is a machine and an id: claims look for earlier events of both.
    "DROP INDEX IF EXISTS {p}worker_events_entity",
    "CREATE INDEX IF NOT EXISTS worker_events_machine_entity "
    "ON {p}worker_events (machine_id, entity_id, id)",
)

OWN_TABLES = ("worker_events", "machine_versions", "machines")


class Database:
    """Connections for one database URL; `transaction()` yields a cursor, `run()` runs a
    function in a transaction that survives one lost connection.

    PostgreSQL errors are raised as StoreError (StoreUnavailableError for connection
    problems), the driver's exception as the cause; `timeout` is how long an operation
    waits for a pooled connection.
    """

    def __init__(
        self, url: str, *, schema: str = "public", pool_size: int = 4, timeout: float = 30.0
    ) -> None:
        self.url = url
        self.postgres = url.startswith(("postgresql://", "postgres://"))
        if not self.postgres and not url.startswith("sqlite://"):
            raise ConfigurationError(f"{url!r} is neither a sqlite:/// nor a postgresql:// URL")
        self.schema = schema
        self.pool_size = pool_size
        self.timeout = timeout
        self._pool: Any = None
        self._lock = threading.Lock()
        self.store: SQLiteStateStore | PostgresStateStore
        if self.postgres:
            self.store = PostgresStateStore(
                url, schema=schema, pool_size=pool_size, timeout=timeout
            )
        else:
            self.store = SQLiteStateStore(url)
            if self.store.path == ":memory:":
                # Each transaction opens its own connection; a memory database would be a
                # new, empty one every time.
                raise ConfigurationError(
                    "the service database must be a file or PostgreSQL, not SQLite :memory:; "
                    "use sqlite:///path/to/pystator.db"
                )
        self.prefix = f"{schema}." if self.postgres else ""

    @property
    def path(self) -> str:
        return getattr(self.store, "path", "")

    def connect(self) -> Database:
        """Open the store (creating its tables) and create this module's tables."""
        self.store.connect(auto_initialize=True)
        self.initialize()
        return self

    def initialize(self) -> None:
        serial = "BIGSERIAL" if self.postgres else "INTEGER"
        with self.transaction() as cursor:
            for statement in TABLES:
                sql = statement.format(p=self.prefix, serial=serial)
                if not self.postgres:
                    sql = sql.replace(
                        "id INTEGER PRIMARY KEY", "id INTEGER PRIMARY KEY AUTOINCREMENT"
                    ).replace("DOUBLE PRECISION", "REAL")
                cursor.execute(sql)

    def truncate(self) -> None:
        self.store.truncate()
        with self.transaction() as cursor:
            for table in OWN_TABLES:
                cursor.execute(f"DELETE FROM {self.prefix}{table}")

    def close(self) -> None:
        self.store.close()
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """One transaction: committed when the block ends, rolled back on an exception."""
        if self.postgres:
            with self._pg_transaction() as cursor:
                yield cursor
            return
        connection = sqlite3.connect(
            self.path, timeout=30, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute("PRAGMA busy_timeout = 30000")
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield Cursor(connection.cursor(), postgres=False)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()

    def run(self, work: Callable[[Cursor], T]) -> T:
        """`work(cursor)` in one transaction; run once more on a fresh connection if the
        connection was lost before COMMIT was sent, when nothing can have been committed.
        A connection lost during COMMIT leaves the outcome unknown: that is raised."""
        try:
            with self.transaction() as cursor:
                return work(cursor)
        except StoreUnavailableError as exc:
            if exc.maybe_committed or exc.__cause__ is None or not worth_retrying(exc.__cause__):
                raise
            logger.warning("database connection lost (%s); trying once more", exc.operation)
        with self.transaction() as cursor:
            return work(cursor)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.run(lambda cursor: cursor.execute(sql, params).fetchall())

    @contextmanager
    def _pg_transaction(self) -> Iterator[Cursor]:
        stage = "connect"
        try:
            with self._pg_pool().connection() as connection:
                stage = "transaction"
                with connection.transaction():
                    yield Cursor(connection.cursor(), postgres=True)
                    # Leaving the block sends COMMIT; until then the server has committed
                    # nothing, whatever happened to the connection.
                    stage = "commit"
        except Exception as exc:
            if not is_driver_error(exc):
                raise
            raise translate(exc, "Database", stage, maybe_committed=stage == "commit") from exc

    def _pg_pool(self) -> Any:
        with self._lock:
            if self._pool is None:
                try:
                    from psycopg_pool import ConnectionPool
                except ImportError:
                    raise missing_extra("postgres", "psycopg-pool") from None
                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=self.pool_size,
                    open=True,
                    timeout=self.timeout,
                    # A connection the server closed is replaced when taken from the pool.
                    check=ConnectionPool.check_connection,
                    kwargs={"fallback_application_name": "pystator"},
                )
            return self._pool


class Cursor:
    """Runs `%s`-placeholder SQL on either driver; table names take `{p}` for the schema."""

    def __init__(self, cursor: Any, *, postgres: bool) -> None:
        self._cursor = cursor
        self._postgres = postgres

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        if not self._postgres:
            sql = sql.replace("%s", "?")
        self._cursor.execute(sql, tuple(params))
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._cursor.fetchall())

    def fetchone(self) -> tuple[Any, ...] | None:
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)
