"""Migrate: create the tables `schema.py` describes, and bring tables earlier versions made
up to date in place, on SQLite or PostgreSQL.

Missing columns are added with their defaults and retired indexes dropped. Tables from before
entities were keyed by (machine_name, entity_id) — history rows without their machine,
idempotency keys written as `entity_id + "\\x1f" + key` — are rebuilt; rows keep their
machine. Callers run a migration in one transaction under a lock, so processes that connect
at once create or upgrade the tables once.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from pystator.runtime.stores.schema import (
    ENTITY_STATES,
    EVENT_OUTCOMES,
    STORE_TABLES,
    Table,
    add_column,
    create_table,
    index_statements,
)

# -- SQLite ---------------------------------------------------------------------------------


def initialize_sqlite(db: sqlite3.Connection, tables: tuple[Table, ...] = STORE_TABLES) -> None:
    """Create `tables`, upgrading those of earlier versions (a no-op once they are).

    `db` is in a transaction that holds SQLite's write lock.
    """
    for table in tables:
        db.execute(create_table(table, "sqlite"))
    for table in tables:
        present = _sqlite_columns(db, table.name)
        for column in table.columns:
            if column.added and column.name not in present:
                db.execute(add_column(table, column, "sqlite"))
    if set(STORE_TABLES) <= set(tables):
        _sqlite_rekey(db)
    for statement in index_statements(tables, "sqlite"):
        db.execute(statement)


def _sqlite_columns(db: sqlite3.Connection, table: str) -> dict[str, int]:
    """Column name -> its position in the primary key (0: not in it)."""
    return {row[1]: int(row[5]) for row in db.execute(f"PRAGMA table_info({table})")}


def _sqlite_rekey(db: sqlite3.Connection) -> None:
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
    if "machine_name" not in _sqlite_columns(db, "event_outcomes"):
        db.execute(create_table(EVENT_OUTCOMES, "sqlite", name="event_outcomes_keyed"))
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
        columns = ", ".join(ENTITY_STATES.column_names)
        db.execute(create_table(ENTITY_STATES, "sqlite", name="entity_states_keyed"))
        db.execute(
            f"INSERT INTO entity_states_keyed ({columns}) SELECT {columns} FROM entity_states"
        )
        db.execute("DROP TABLE entity_states")
        db.execute("ALTER TABLE entity_states_keyed RENAME TO entity_states")


# -- PostgreSQL -----------------------------------------------------------------------------


def initialize_postgres(
    connection: Any, schema: str, tables: tuple[Table, ...] = STORE_TABLES
) -> None:
    """Create the schema and `tables`, upgrading those of earlier versions (a no-op once
    they are).

    `connection` is a psycopg connection in a transaction; the work waits for an advisory
    lock, as PostgreSQL's `IF NOT EXISTS` does not survive concurrent creators.
    """
    connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"pystator:{schema}",))
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table in tables:
        connection.execute(create_table(table, "postgresql", schema))
        for column in table.columns:
            if column.added:
                connection.execute(add_column(table, column, "postgresql", schema))
    if set(STORE_TABLES) <= set(tables):
        _postgres_rekey(connection, schema)
    for statement in index_statements(tables, "postgresql", schema):
        connection.execute(statement)


def _postgres_keying(connection: Any, schema: str) -> tuple[set[str], list[str]]:
    """The tables of transition_history and event_outcomes that have their machine_name
    column, and the primary key columns of entity_states."""
    keyed = {
        str(row[0])
        for row in connection.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = %s AND column_name = 'machine_name' "
            "AND table_name IN ('transition_history', 'event_outcomes')",
            (schema,),
        )
    }
    key = [
        str(row[0])
        for row in connection.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
            (f"{schema}.entity_states",),
        )
    ]
    return keyed, key


def _primary_key(connection: Any, table: str) -> str:
    row = connection.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
        (table,),
    ).fetchone()
    return str(row[0])


def _postgres_rekey(connection: Any, schema: str) -> None:
    keyed, key = _postgres_keying(connection, schema)
    history, outcomes, entities = (
        f"{schema}.transition_history",
        f"{schema}.event_outcomes",
        f"{schema}.entity_states",
    )
    # Rows written before the keying change name each entity id once, so joining on the
    # id alone finds the machine of a history row or an idempotency record.
    if "transition_history" not in keyed:
        connection.execute(
            f"ALTER TABLE {history} ADD COLUMN machine_name TEXT NOT NULL DEFAULT ''"
        )
        connection.execute(
            f"UPDATE {history} h SET machine_name = e.machine_name FROM {entities} e "
            "WHERE e.entity_id = h.entity_id"
        )
    if "event_outcomes" not in keyed:
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
