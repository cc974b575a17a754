"""SQLiteStateStore: the embedded durable store (standard library sqlite3, WAL mode).

Safe from several threads and processes: every write takes SQLite's write lock and
compares the entity's version before changing it. Entities are keyed by machine and id.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from pystator.runtime.errors import ConfigurationError, StoreError, StoreUnavailableError
from pystator.runtime.stores._codec import (
    ENTITY_FIELDS,
    HISTORY_FIELDS,
    dumps,
    entity_values,
    history_values,
)
from pystator.runtime.stores._failures import Repeat, connection_problem, guarded, store_call
from pystator.runtime.stores._sql import Row, SQLReads, unchanged
from pystator.runtime.stores.base import Write
from pystator.runtime.stores.migrate import initialize_sqlite
from pystator.runtime.stores.schema import STORE_TABLES, Table, truncate_statements

_CREATE = (
    f"INSERT INTO entity_states ({ENTITY_FIELDS}, version, machine_name, entity_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(machine_name, entity_id) DO NOTHING"
)
_UPDATE = (
    "UPDATE entity_states SET state = ?, context = ?, history = ?, parallel = ?, "
    "machine_version = ?, fingerprint = ?, timers = ?, version = ? "
    "WHERE machine_name = ? AND entity_id = ? AND version = ?"
)
_UPDATE_UNCHANGED = f"{_UPDATE} AND {unchanged('?', 'IS')}"
_LOG = (
    f"INSERT INTO transition_history (machine_name, entity_id, {HISTORY_FIELDS}) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_REMEMBER = (
    "INSERT INTO event_outcomes (machine_name, entity_id, key, outcome) "
    "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


def _path_of(url: str | None) -> str:
    if url is None:
        url = os.environ.get("PYSTATOR_SQLITE_URL") or f"sqlite:///{Path.cwd() / 'pystator.db'}"
    if url == "sqlite://" or url == "sqlite:///:memory:":
        return ":memory:"
    if not url.startswith("sqlite:///"):
        raise ConfigurationError(f"{url!r} is not a SQLite URL; write sqlite:///path/to/file.db")
    return url[len("sqlite:///") :]


def _open(path: str, timeout: float) -> sqlite3.Connection:
    """A connection to the file at `path` in WAL mode, synced at checkpoints."""
    connection = sqlite3.connect(
        path, timeout=timeout, isolation_level=None, check_same_thread=False
    )
    try:
        _use_wal(connection, timeout)
        connection.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        connection.close()
        raise
    return connection


def _use_wal(connection: sqlite3.Connection, timeout: float) -> None:
    """Switch the file to WAL mode, waiting up to `timeout` seconds for other connections.

    SQLite answers a journal-mode change that meets another connection's lock with BUSY
    at once, without its busy handler, so replicas opening a new file together wait here.
    """
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


class SQLiteStateStore(SQLReads):
    """Entities, transition history and idempotency records in one SQLite file."""

    compares_records = True

    def __init__(
        self,
        connection_string: str | None = None,
        *,
        timeout: float = 30.0,
        machine_name: str | None = None,
    ) -> None:
        self.path = _path_of(connection_string)
        self.machine_name = self._scope(machine_name)
        self.timeout = timeout
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    # -- lifecycle -----------------------------------------------------------------------

    def connect(self, auto_initialize: bool = True) -> SQLiteStateStore:
        if self._connection is not None:
            return self
        try:
            connection = _open(self.path, self.timeout)
        except sqlite3.Error as exc:
            # A file out of reach (missing, unwritable, locked) may be there later; one
            # that is not a database will not.
            kind = StoreUnavailableError if connection_problem(exc) else StoreError
            raise kind(
                f"cannot open the SQLite database {self.path!r} ({exc}); check that its "
                "directory exists and is writable, that it is a SQLite file and that no "
                "other process holds it locked",
                "connect",
            ) from exc
        self._connection = connection
        if auto_initialize:
            self.initialize()
        return self

    @store_call(Repeat.ALWAYS)
    def initialize(self, tables: tuple[Table, ...] = STORE_TABLES) -> None:
        """Create `tables` (the store's own by default), upgrading those an earlier version
        created."""
        with self.transaction() as db:
            initialize_sqlite(db, tables)

    @property
    def connected(self) -> bool:
        """True while the store holds its connection open."""
        return self._connection is not None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @store_call(Repeat.ALWAYS)
    def truncate(self, tables: tuple[Table, ...] = STORE_TABLES) -> None:
        """Delete every row of `tables` (the store's own by default), in one transaction."""
        with self.transaction() as db:
            for statement in truncate_statements(tables, "sqlite"):
                db.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The store's connection in one transaction, committed when the block ends.

        BEGIN IMMEDIATE takes SQLite's write lock at once, so what the block reads stays
        true until it commits, for every thread and process sharing the file.
        """
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    @property
    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            self.connect()
        assert self._connection is not None
        return self._connection

    # -- versioned protocol ---------------------------------------------------------------

    def _read(self, operation: str, sql: str, params: tuple[Any, ...]) -> list[Row]:
        # sqlite3's errors leave as StoreError naming the operation, as other stores' do.
        return guarded(
            partial(self._rows, sql, params), Repeat.ALWAYS, type(self).__name__, operation
        )

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    @store_call(Repeat.IF_UNSENT, "save")
    def _save(self, write: Write) -> int:
        record, outcome = write.record, write.outcome
        key = (record.machine_name, record.entity_id)
        # Encoded first: a value no store can keep is refused before the write lock is taken.
        values = (*entity_values(record), write.version, *key)
        logged = history_values(write.entry) if write.entry is not None else ()
        # One transaction under the write lock, the version check inside the write itself:
        # the entity's row changes only if it is still at the expected version (absent for
        # 0), and a key the entity stored already makes its record's insert do nothing;
        # either way the transaction rolls back with nothing written.
        with self.transaction() as db:
            if write.expected_version == 0:
                changed = db.execute(_CREATE, values).rowcount
            elif write.matching is None:
                changed = db.execute(_UPDATE, (*values, write.expected_version)).rowcount
            else:
                matched = (*values, write.expected_version, *entity_values(write.matching))
                changed = db.execute(_UPDATE_UNCHANGED, matched).rowcount
            if changed != 1:
                raise write.stale()
            if logged:
                db.execute(_LOG, (*key, *logged))
            if outcome is not None:
                stored = db.execute(
                    _REMEMBER, (*key, outcome[0], dumps(dict(outcome[1]), "outcome"))
                ).rowcount
                if stored != 1:
                    raise write.duplicate()
        return write.version

    @store_call(Repeat.ALWAYS, "remember")
    def _remember(
        self, machine_name: str, entity_id: str, key: str, outcome: Mapping[str, Any]
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO event_outcomes (machine_name, entity_id, key, outcome) "
                "VALUES (?, ?, ?, ?)",
                (machine_name, entity_id, key, dumps(dict(outcome), "outcome")),
            )
