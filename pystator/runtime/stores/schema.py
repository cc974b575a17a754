"""Schema: the tables of the SQL stores, and the upgrade of tables earlier versions made.

Entities are keyed by (machine_name, entity_id), history rows carry the machine, and
idempotency records by (machine_name, entity_id, key). Tables from before that keying
(entity_id alone; keys written as `entity_id + "\\x1f" + key`) are rebuilt in place; rows
keep their machine. Initialisation is one transaction under a lock, so processes that
connect at once create or upgrade the tables once.
"""

from __future__ import annotations

import sqlite3
from typing import Any

_ENTITY_COLUMNS = (
    "machine_name, entity_id, state, context, history, parallel, version, machine_version, "
    "fingerprint, timers"
)

SQLITE_ENTITY_STATES = """CREATE TABLE IF NOT EXISTS {table} (
    machine_name TEXT NOT NULL DEFAULT '',
    entity_id TEXT NOT NULL,
    state TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '{{}}',
    history TEXT NOT NULL DEFAULT '{{}}',
    parallel TEXT,
    version INTEGER NOT NULL,
    machine_version TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '',
    timers TEXT NOT NULL DEFAULT '{{}}',
    PRIMARY KEY (machine_name, entity_id)
)"""

SQLITE_EVENT_OUTCOMES = """CREATE TABLE IF NOT EXISTS {table} (
    machine_name TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    key TEXT NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (machine_name, entity_id, key)
)"""

SQLITE_TABLES = (
    SQLITE_ENTITY_STATES.format(table="entity_states"),
    """CREATE TABLE IF NOT EXISTS transition_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        machine_name TEXT NOT NULL DEFAULT '',
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
    SQLITE_EVENT_OUTCOMES.format(table="event_outcomes"),
)

# Created after the upgrade: they name columns that older tables lack until then.
SQLITE_INDEXES = (
    "CREATE INDEX IF NOT EXISTS entity_states_entity ON entity_states (entity_id)",
    "CREATE INDEX IF NOT EXISTS transition_history_machine_entity "
    "ON transition_history (machine_name, entity_id, id)",
)

POSTGRES_TABLES = (
    """CREATE TABLE IF NOT EXISTS {schema}.entity_states (
        machine_name TEXT NOT NULL DEFAULT '',
        entity_id TEXT NOT NULL,
        state TEXT NOT NULL,
        context TEXT NOT NULL DEFAULT '{{}}',
        history TEXT NOT NULL DEFAULT '{{}}',
        parallel TEXT,
        version BIGINT NOT NULL,
        machine_version TEXT NOT NULL DEFAULT '',
        fingerprint TEXT NOT NULL DEFAULT '',
        timers TEXT NOT NULL DEFAULT '{{}}',
        PRIMARY KEY (machine_name, entity_id)
    )""",
    # Tables created before entities carried their machine's version get the columns.
    "ALTER TABLE {schema}.entity_states "
    "ADD COLUMN IF NOT EXISTS machine_version TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE {schema}.entity_states "
    "ADD COLUMN IF NOT EXISTS fingerprint TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE {schema}.entity_states "
    "ADD COLUMN IF NOT EXISTS timers TEXT NOT NULL DEFAULT '{{}}'",
    """CREATE TABLE IF NOT EXISTS {schema}.transition_history (
        id BIGSERIAL PRIMARY KEY,
        machine_name TEXT NOT NULL DEFAULT '',
        entity_id TEXT NOT NULL,
        source_state TEXT NOT NULL,
        target_state TEXT,
        trigger TEXT NOT NULL,
        success BOOLEAN NOT NULL,
        error TEXT,
        actions TEXT NOT NULL,
        timestamp TEXT NOT NULL,
        duration_ms DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS {schema}.event_outcomes (
        machine_name TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        key TEXT NOT NULL,
        outcome TEXT NOT NULL,
        PRIMARY KEY (machine_name, entity_id, key)
    )""",
)

POSTGRES_INDEXES = (
    "CREATE INDEX IF NOT EXISTS entity_states_entity ON {schema}.entity_states (entity_id)",
    "CREATE INDEX IF NOT EXISTS transition_history_machine_entity "
    "ON {schema}.transition_history (machine_name, entity_id, id)",
)


# -- SQLite ---------------------------------------------------------------------------------


def _sqlite_columns(db: sqlite3.Connection, table: str) -> dict[str, int]:
    """Column name -> its position in the primary key (0: not in it)."""
    return {row[1]: int(row[5]) for row in db.execute(f"PRAGMA table_info({table})")}


def _sqlite_outdated(db: sqlite3.Connection) -> bool:
    entities = _sqlite_columns(db, "entity_states")
    return (
        any(name not in entities for name in ("machine_version", "fingerprint", "timers"))
        or "machine_name" not in _sqlite_columns(db, "transition_history")
        or "machine_name" not in _sqlite_columns(db, "event_outcomes")
        or entities.get("machine_name", 0) == 0
    )


def initialize_sqlite(db: sqlite3.Connection) -> None:
    """Create the tables, upgrading those of earlier versions (a no-op once they are).

    `db` is in autocommit mode; the work happens under SQLite's write lock.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        for statement in SQLITE_TABLES:
            db.execute(statement)
        if _sqlite_outdated(db):
            _sqlite_upgrade(db)
        for statement in SQLITE_INDEXES:
            db.execute(statement)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _sqlite_upgrade(db: sqlite3.Connection) -> None:
    entities = _sqlite_columns(db, "entity_states")
    for column, default in (("machine_version", "''"), ("fingerprint", "''"), ("timers", "'{}'")):
        if column not in entities:
            db.execute(
                f"ALTER TABLE entity_states ADD COLUMN {column} TEXT NOT NULL DEFAULT {default}"
            )
    # Rows written before the keying change name each entity id once, so joining on the
    # id alone finds the machine of a history row or an idempotency record.
    if "machine_name" not in _sqlite_columns(db, "transition_history"):
        db.execute(
            "ALTER TABLE transition_history ADD COLUMN machine_name TEXT NOT NULL DEFAULT ''"
        )
        db.execute(
            "UPDATE transition_history SET machine_name = COALESCE((SELECT e.machine_name "
            "FROM entity_states e WHERE e.entity_id = transition_history.entity_id), '')"
        )
        db.execute("DROP INDEX IF EXISTS transition_history_entity")
    if "machine_name" not in _sqlite_columns(db, "event_outcomes"):
        db.execute(SQLITE_EVENT_OUTCOMES.format(table="event_outcomes_keyed"))
        db.execute(
            "INSERT OR IGNORE INTO event_outcomes_keyed (machine_name, entity_id, key, outcome) "
            "SELECT COALESCE(e.machine_name, ''), s.entity_id, s.key, s.outcome FROM ("
            "SELECT CASE WHEN instr(key, char(31)) > 0 "
            "THEN substr(key, 1, instr(key, char(31)) - 1) ELSE '' END AS entity_id, "
            "CASE WHEN instr(key, char(31)) > 0 "
            "THEN substr(key, instr(key, char(31)) + 1) ELSE key END AS key, outcome "
            "FROM event_outcomes) s LEFT JOIN entity_states e ON e.entity_id = s.entity_id"
        )
        db.execute("DROP TABLE event_outcomes")
        db.execute("ALTER TABLE event_outcomes_keyed RENAME TO event_outcomes")
    if _sqlite_columns(db, "entity_states").get("machine_name", 0) == 0:
        db.execute(SQLITE_ENTITY_STATES.format(table="entity_states_keyed"))
        db.execute(
            f"INSERT INTO entity_states_keyed ({_ENTITY_COLUMNS}) "
            f"SELECT {_ENTITY_COLUMNS} FROM entity_states"
        )
        db.execute("DROP TABLE entity_states")
        db.execute("ALTER TABLE entity_states_keyed RENAME TO entity_states")


# -- PostgreSQL -----------------------------------------------------------------------------


def _postgres_state(connection: Any, schema: str) -> tuple[set[tuple[str, str]], list[str]]:
    """The (table, column) pairs of the columns the keying added, and the primary key
    columns of entity_states."""
    added = {
        (row[0], row[1])
        for row in connection.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND column_name = 'machine_name' "
            "AND table_name IN ('transition_history', 'event_outcomes')",
            (schema,),
        )
    }
    key = [
        row[0]
        for row in connection.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
            (f"{schema}.entity_states",),
        )
    ]
    return added, key


def _postgres_outdated(connection: Any, schema: str) -> bool:
    added, key = _postgres_state(connection, schema)
    return len(added) < 2 or "machine_name" not in key


def initialize_postgres(connection: Any, schema: str) -> None:
    """Create the schema and tables, upgrading those of earlier versions (a no-op once
    they are).

    `connection` is an autocommit psycopg connection; the work is one transaction under an
    advisory lock, as PostgreSQL's `IF NOT EXISTS` does not survive concurrent creators.
    """
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"pystator:{schema}",))
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for statement in POSTGRES_TABLES:
            connection.execute(statement.format(schema=schema))
        if _postgres_outdated(connection, schema):
            _postgres_upgrade(connection, schema)
        for statement in POSTGRES_INDEXES:
            connection.execute(statement.format(schema=schema))


def _primary_key(connection: Any, table: str) -> str:
    row = connection.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
        (table,),
    ).fetchone()
    return str(row[0])


def _postgres_upgrade(connection: Any, schema: str) -> None:
    added, key = _postgres_state(connection, schema)
    history, outcomes, entities = (
        f"{schema}.transition_history",
        f"{schema}.event_outcomes",
        f"{schema}.entity_states",
    )
    # Rows written before the keying change name each entity id once, so joining on the
    # id alone finds the machine of a history row or an idempotency record.
    if ("transition_history", "machine_name") not in added:
        connection.execute(
            f"ALTER TABLE {history} ADD COLUMN machine_name TEXT NOT NULL DEFAULT ''"
        )
        connection.execute(
            f"UPDATE {history} h SET machine_name = e.machine_name FROM {entities} e "
            "WHERE e.entity_id = h.entity_id"
        )
        connection.execute(f"DROP INDEX IF EXISTS {schema}.transition_history_entity")
    if ("event_outcomes", "machine_name") not in added:
        connection.execute(
            f"ALTER TABLE {outcomes} DROP CONSTRAINT {_primary_key(connection, outcomes)}, "
            "ADD COLUMN machine_name TEXT NOT NULL DEFAULT '', "
            "ADD COLUMN entity_id TEXT NOT NULL DEFAULT ''"
        )
        connection.execute(
            f"UPDATE {outcomes} SET entity_id = substr(key, 1, strpos(key, chr(31)) - 1), "
            "key = substr(key, strpos(key, chr(31)) + 1) WHERE strpos(key, chr(31)) > 0"
        )
        connection.execute(
            f"UPDATE {outcomes} o SET machine_name = e.machine_name FROM {entities} e "
            "WHERE e.entity_id = o.entity_id"
        )
        connection.execute(
            f"ALTER TABLE {outcomes} ALTER COLUMN machine_name DROP DEFAULT, "
            "ALTER COLUMN entity_id DROP DEFAULT, ADD PRIMARY KEY (machine_name, entity_id, key)"
        )
    if "machine_name" not in key:
        connection.execute(
            f"ALTER TABLE {entities} DROP CONSTRAINT {_primary_key(connection, entities)}, "
            "ADD PRIMARY KEY (machine_name, entity_id)"
        )
