"""SQLiteStateStore: the embedded durable store (standard library sqlite3, WAL mode).

Safe from several threads and processes: every write takes SQLite's write lock and
compares the entity's version before changing it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pystator.runtime.errors import (
    ConfigurationError,
    DuplicateEventError,
    StaleVersionError,
)
from pystator.runtime.stores._codec import RECORD_COLUMNS, dumps, loads, record_from_row
from pystator.runtime.stores.base import EntityRecord, HistoryEntry, Outcome, RecordStore

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS entity_states (
        entity_id TEXT PRIMARY KEY,
        machine_name TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL,
        context TEXT NOT NULL DEFAULT '{}',
        history TEXT NOT NULL DEFAULT '{}',
        parallel TEXT,
        version INTEGER NOT NULL,
        machine_version TEXT NOT NULL DEFAULT '',
        fingerprint TEXT NOT NULL DEFAULT '',
        timers TEXT NOT NULL DEFAULT '{}'
    )""",
    """CREATE TABLE IF NOT EXISTS transition_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        entity_id TEXT NOT NULL,
        source_state TEXT NOT NULL,
        target_state TEXT,
        trigger TEXT NOT NULL,
        success INTEGER NOT NULL,
        error TEXT,
        actions TEXT NOT NULL,
        timestamp TEXT NOT NULL,
        duration_ms REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS transition_history_entity ON transition_history (entity_id, id)",
    """CREATE TABLE IF NOT EXISTS event_outcomes (
        key TEXT PRIMARY KEY,
        outcome TEXT NOT NULL
    )""",
)


def _path_of(url: str | None) -> str:
    if url is None:
        url = os.environ.get("PYSTATOR_SQLITE_URL") or f"sqlite:///{Path.cwd() / 'pystator.db'}"
    if url == "sqlite://" or url == "sqlite:///:memory:":
        return ":memory:"
    if not url.startswith("sqlite:///"):
        raise ConfigurationError(f"{url!r} is not a SQLite URL; write sqlite:///path/to/file.db")
    return url[len("sqlite:///") :]


class SQLiteStateStore(RecordStore):
    """Entities, transition history and idempotency records in one SQLite file."""

    def __init__(self, connection_string: str | None = None, *, timeout: float = 30.0) -> None:
        self.path = _path_of(connection_string)
        self.timeout = timeout
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    # -- lifecycle -----------------------------------------------------------------------

    def connect(self, auto_initialize: bool = True) -> SQLiteStateStore:
        if self._connection is not None:
            return self
        connection = sqlite3.connect(
            self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        self._connection = connection
        if auto_initialize:
            self.initialize()
        return self

    def initialize(self) -> None:
        with self._lock:
            for statement in SCHEMA:
                self._db.execute(statement)
            # Tables created before entities carried their machine's version get the columns.
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(entity_states)")}
            for column, default in (
                ("machine_version", "''"),
                ("fingerprint", "''"),
                ("timers", "'{}'"),
            ):
                if column not in columns:
                    self._db.execute(
                        f"ALTER TABLE entity_states ADD COLUMN {column} TEXT NOT NULL "
                        f"DEFAULT {default}"
                    )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def truncate(self) -> None:
        with self._lock:
            for table in ("event_outcomes", "transition_history", "entity_states"):
                self._db.execute(f"DELETE FROM {table}")

    @property
    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            self.connect()
        assert self._connection is not None
        return self._connection

    # -- versioned protocol ---------------------------------------------------------------

    def load(self, entity_id: str) -> EntityRecord | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {RECORD_COLUMNS} FROM entity_states WHERE entity_id = ?", (entity_id,)
            ).fetchone()
        return None if row is None else record_from_row(entity_id, row)

    def save(
        self,
        record: EntityRecord,
        expected_version: int,
        entry: HistoryEntry | None = None,
        outcome: Outcome | None = None,
    ) -> int:
        context = dumps(dict(record.context), "context")
        history = dumps(dict(record.history), "history")
        actions = dumps(list(entry.actions), "actions") if entry else ""
        with self._lock:
            db = self._db
            # BEGIN IMMEDIATE takes the write lock now, so the version check and the write
            # are one step for every process sharing the file.
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute(
                    "SELECT version FROM entity_states WHERE entity_id = ?", (record.entity_id,)
                ).fetchone()
                actual = row[0] if row else 0
                if actual != expected_version:
                    raise StaleVersionError(
                        f"entity {record.entity_id!r} changed since it was read",
                        record.entity_id,
                        expected_version,
                        actual,
                    )
                if (
                    outcome is not None
                    and db.execute(
                        "SELECT 1 FROM event_outcomes WHERE key = ?", (outcome[0],)
                    ).fetchone()
                ):
                    raise DuplicateEventError(record.entity_id, outcome[0])
                version = actual + 1
                db.execute(
                    "INSERT INTO entity_states "
                    "(entity_id, machine_name, state, context, history, parallel, version, "
                    "machine_version, fingerprint, timers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(entity_id) DO UPDATE SET "
                    "machine_name = excluded.machine_name, state = excluded.state, "
                    "context = excluded.context, history = excluded.history, "
                    "parallel = excluded.parallel, version = excluded.version, "
                    "machine_version = excluded.machine_version, "
                    "fingerprint = excluded.fingerprint, timers = excluded.timers",
                    (
                        record.entity_id,
                        record.machine_name,
                        record.state,
                        context,
                        history,
                        record.parallel,
                        version,
                        record.machine_version,
                        record.fingerprint,
                        dumps(dict(record.timers), "timers"),
                    ),
                )
                if entry is not None:
                    db.execute(
                        "INSERT INTO transition_history (entity_id, source_state, "
                        "target_state, trigger, success, error, actions, timestamp, "
                        "duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            entry.entity_id,
                            entry.source_state,
                            entry.target_state,
                            entry.trigger,
                            int(entry.success),
                            entry.error,
                            actions,
                            entry.timestamp,
                            entry.duration_ms,
                        ),
                    )
                if outcome is not None:
                    db.execute(
                        "INSERT INTO event_outcomes (key, outcome) VALUES (?, ?)",
                        (outcome[0], dumps(dict(outcome[1]), "outcome")),
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return version

    def history(self, entity_id: str) -> list[HistoryEntry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT entity_id, source_state, target_state, trigger, success, error, "
                "actions, timestamp, duration_ms FROM transition_history "
                "WHERE entity_id = ? ORDER BY id",
                (entity_id,),
            ).fetchall()
        return [
            HistoryEntry(
                row[0],
                row[1],
                row[2],
                row[3],
                bool(row[4]),
                row[5],
                tuple(loads(row[6], "history actions", entity_id)),
                row[7],
                row[8],
            )
            for row in rows
        ]

    def remember(self, key: str, outcome: Mapping[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO event_outcomes (key, outcome) VALUES (?, ?)",
                (key, dumps(dict(outcome), "outcome")),
            )

    def recall(self, key: str) -> Mapping[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT outcome FROM event_outcomes WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        outcome: Mapping[str, Any] = loads(row[0], "event outcome", key)
        return outcome
