"""Database: the service layer's way into one SQLite file or PostgreSQL schema, through the
state store's own connections — one pool (or one SQLite connection) per database per process.

The catalog and the queue run `%s`-placeholder SQL in transactions on the store's connection
source, under the stores' failure policy: driver errors leave as StoreError, and work that
lost its connection before COMMIT runs once more.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pystator.runtime.errors import ConfigurationError
from pystator.runtime.stores import PostgresStateStore, SQLiteStateStore
from pystator.runtime.stores._failures import Repeat, guarded
from pystator.runtime.stores.base import RecordStore
from pystator.runtime.stores.schema import ALL_TABLES

T = TypeVar("T")

SqlStore = SQLiteStateStore | PostgresStateStore


class Database:
    """The tables of `url` (a `sqlite:///file` or `postgresql://` URL) for the catalog, the
    queue and the Orchestrator, which uses `store`.

    Databases of one URL and schema in a process share one store and so one connection
    source; the first to open it sets its pool size and timeout (how long an operation waits
    for a pooled connection). Each `close()` gives its share back; the last closes the store.
    """

    def __init__(
        self, url: str, *, schema: str = "public", pool_size: int = 4, timeout: float = 30.0
    ) -> None:
        self.url = url
        self.postgres = url.startswith(("postgresql://", "postgres://"))
        if not self.postgres and not url.startswith("sqlite://"):
            raise ConfigurationError(f"{url!r} is neither a sqlite:/// nor a postgresql:// URL")
        self.schema = schema
        self.prefix = f"{schema}." if self.postgres else ""
        self._source = _sources.take(url, schema, pool_size, timeout)
        #: The store the Orchestrator keeps entities in; catalog and queue work runs on
        #: `_source`, the same store unless a caller puts another here.
        self.store: RecordStore = self._source
        self._closed = False

    def connect(self) -> Database:
        """Open the connection source and create or upgrade every table (`pystator db
        init`): one transaction under a lock."""
        opened = not self._source.connected
        try:
            self._source.connect(auto_initialize=False)
            self._source.initialize(ALL_TABLES)
        except BaseException:
            # A start that failed (an unreachable server, say) leaves no pool behind that
            # retries in the background; the next use opens the source again.
            if opened:
                self._source.close()
            raise
        return self

    def truncate(self) -> None:
        """Delete every entity, history row, event outcome, machine and queued event."""
        self._source.truncate(ALL_TABLES)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            _sources.give_back(self._source)

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """One transaction on the store's connections: committed when the block ends,
        rolled back on an exception. Driver errors are not translated here; see `run`."""
        with self._source.transaction() as connection:
            yield Cursor(connection.cursor(), postgres=self.postgres)

    def run(
        self,
        work: Callable[[Cursor], T],
        operation: str = "run",
        repeat: Repeat = Repeat.IF_UNSENT,
    ) -> T:
        """`work(cursor)` in one transaction. Work that lost its connection before COMMIT
        was sent runs once more, as nothing can have been committed (with Repeat.ALWAYS,
        also after an unknown commit: for reads and writes that change nothing the second
        time). Driver errors leave as StoreError naming `operation`."""

        def once() -> T:
            with self.transaction() as cursor:
                return work(cursor)

        return guarded(once, repeat, "Database", operation)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of one read, run again if its connection was lost."""
        return self.run(lambda cursor: cursor.execute(sql, params).fetchall(), "query")


class Cursor:
    """Runs `%s`-placeholder SQL on either driver; table names take the Database's prefix."""

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


class _Sources:
    """The process's stores, one per database, each with the count of Databases using it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple[str, ...], tuple[SqlStore, int]] = {}

    def take(self, url: str, schema: str, pool_size: int, timeout: float) -> SqlStore:
        # Not connected yet: a store nobody takes costs nothing.
        fresh = _store(url, schema, pool_size, timeout)
        key = _key(fresh)
        with self._lock:
            store, users = self._open.get(key, (fresh, 0))
            self._open[key] = (store, users + 1)
        return store

    def give_back(self, store: SqlStore) -> None:
        key = _key(store)
        with self._lock:
            held, users = self._open.get(key, (store, 1))
            if held is store and users > 1:
                self._open[key] = (held, users - 1)
                return
            if held is store:
                del self._open[key]
        store.close()


def _key(store: SqlStore) -> tuple[str, ...]:
    if isinstance(store, PostgresStateStore):
        return ("postgresql", store.url, store.schema)
    # Every spelling of one file's path opens the one connection.
    return ("sqlite", str(Path(store.path).resolve()))


def _store(url: str, schema: str, pool_size: int, timeout: float) -> SqlStore:
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStateStore(url, schema=schema, pool_size=pool_size, timeout=timeout)
    store = SQLiteStateStore(url, timeout=timeout)
    if store.path == ":memory:":
        # The API and the workers share the service database; a memory database belongs to
        # one connection of one process.
        raise ConfigurationError(
            "the service database must be a file or PostgreSQL, not SQLite :memory:; "
            "use sqlite:///path/to/pystator.db"
        )
    return store


_sources = _Sources()
