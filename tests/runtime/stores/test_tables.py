"""The one description of every table: what `pystator db init` and the stores create on
SQLite and on the real PostgreSQL is exactly what `schema.py` describes, a store alone makes
only its own tables, and indexes earlier versions made are retired on upgrade."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pystator import PostgresStateStore, SQLiteStateStore
from pystator.cli import main
from pystator.runtime.stores.schema import (
    ALL_TABLES,
    SERVICE_TABLES,
    STORE_TABLES,
    WORKER_EVENTS,
    Table,
    create_table,
    truncate_statements,
)
from tests.conftest import PG_URL, require_postgres


def _sqlite_columns(path: Path) -> dict[str, tuple[str, ...]]:
    with sqlite3.connect(path) as db:
        tables = [
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {
            table: tuple(row[1] for row in db.execute(f"PRAGMA table_info({table})"))
            for table in tables
            if table != "sqlite_sequence"
        }


def _postgres_columns(connection: Any, schema: str) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for table, column in connection.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = %s ORDER BY table_name, ordinal_position",
        (schema,),
    ):
        found.setdefault(table, []).append(column)
    return {table: tuple(columns) for table, columns in found.items()}


def _described(tables: tuple[Table, ...]) -> dict[str, tuple[str, ...]]:
    return {table.name: table.column_names for table in tables}


@pytest.fixture
def pg_schema() -> Iterator[str]:
    require_postgres()
    schema = f"pystator_test_{uuid.uuid4().hex[:10]}"
    yield schema
    store = PostgresStateStore(PG_URL, schema=schema, pool_size=1)
    store.drop()
    store.close()


def test_db_init_creates_every_described_table_on_sqlite(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["db", "init", "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 0, result.output
    assert _sqlite_columns(tmp_path / "x.db") == _described(ALL_TABLES)


def test_db_init_creates_every_described_table_on_postgres(pg_schema: str) -> None:
    result = CliRunner().invoke(
        main, ["db", "init", "--db", PG_URL], env={"PYSTATOR_DB_SCHEMA": pg_schema}
    )
    assert result.exit_code == 0, result.output
    store = PostgresStateStore(PG_URL, schema=pg_schema, pool_size=1).connect(auto_initialize=False)
    with store.transaction() as connection:
        assert _postgres_columns(connection, pg_schema) == _described(ALL_TABLES)
    store.close()


def test_a_store_alone_creates_only_its_own_tables(tmp_path: Path, pg_schema: str) -> None:
    SQLiteStateStore(f"sqlite:///{tmp_path / 'x.db'}").connect().close()
    assert _sqlite_columns(tmp_path / "x.db") == _described(STORE_TABLES)
    store = PostgresStateStore(PG_URL, schema=pg_schema, pool_size=1).connect()
    with store.transaction() as connection:
        assert _postgres_columns(connection, pg_schema) == _described(STORE_TABLES)
    store.close()


def test_validate_schema_names_the_missing_service_tables(pg_schema: str) -> None:
    from pystator import ConfigurationError

    store = PostgresStateStore(PG_URL, schema=pg_schema, pool_size=1).connect()
    with pytest.raises(
        ConfigurationError, match="lacks tables machine_versions, machines, worker_events"
    ):
        store.validate_schema(ALL_TABLES)
    store.initialize(ALL_TABLES)
    store.validate_schema(ALL_TABLES)
    store.close()


def test_an_index_of_an_earlier_version_is_dropped_on_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(create_table(WORKER_EVENTS, "sqlite"))
        db.execute("CREATE INDEX worker_events_entity ON worker_events (entity_id, id)")
    result = CliRunner().invoke(main, ["db", "upgrade", "--db", f"sqlite:///{path}"])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(path) as db:
        indexes = {row[1] for row in db.execute("PRAGMA index_list(worker_events)")}
    assert indexes == {"worker_events_status", "worker_events_machine_entity"}


def test_truncating_empties_the_queue_and_catalog_before_the_entities() -> None:
    names = [statement.split()[-1] for statement in truncate_statements(ALL_TABLES, "sqlite")]
    assert names == [table.name for table in reversed(ALL_TABLES)]
    assert names[: len(SERVICE_TABLES)] == ["worker_events", "machine_versions", "machines"]
    (truncate,) = truncate_statements(ALL_TABLES, "postgresql", "s")
    assert truncate.startswith("TRUNCATE s.worker_events, s.machine_versions, s.machines, ")
