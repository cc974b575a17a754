"""Tables of the previous layout (entities keyed by id alone, idempotency keys written as
`entity_id + "\\x1f" + key`) are upgraded in place on SQLite and on the real PostgreSQL,
by `pystator db upgrade` and by the stores' own connect; nothing is lost."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pystator import Orchestrator, PostgresStateStore, SQLiteStateStore, StateMachine
from pystator.cli import main
from tests.conftest import PG_URL, require_postgres
from tests.runtime.stores.test_keying import FLIP, GATE

OLD_ENTITY_STATES = """CREATE TABLE {p}entity_states (
    entity_id TEXT PRIMARY KEY,
    machine_name TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '{{}}',
    history TEXT NOT NULL DEFAULT '{{}}',
    parallel TEXT,
    version BIGINT NOT NULL,
    machine_version TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '',
    timers TEXT NOT NULL DEFAULT '{{}}'
)"""
OLD_HISTORY = """CREATE TABLE {p}transition_history (
    id {serial} PRIMARY KEY,
    entity_id TEXT NOT NULL,
    source_state TEXT NOT NULL,
    target_state TEXT,
    trigger TEXT NOT NULL,
    success BOOLEAN NOT NULL,
    error TEXT,
    actions TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    duration_ms DOUBLE PRECISION NOT NULL
)"""
OLD_INDEX = "CREATE INDEX transition_history_entity ON {p}transition_history (entity_id, id)"
OLD_OUTCOMES = "CREATE TABLE {p}event_outcomes (key TEXT PRIMARY KEY, outcome TEXT NOT NULL)"

FLIPPED = {
    "success": True,
    "source_state": "A",
    "target_state": "B",
    "trigger": "flip",
    "metadata": {},
}
ROWS = [
    "INSERT INTO {p}entity_states (entity_id, machine_name, state, context, version) "
    "VALUES ('o-1', 'flip', 'B', '{{\"n\": 2}}', 1), ('g-1', 'gate', 'open', '{{}}', 4)",
    "INSERT INTO {p}transition_history (entity_id, source_state, target_state, trigger, "
    "success, error, actions, timestamp, duration_ms) VALUES "
    "('o-1', 'A', 'B', 'flip', TRUE, NULL, '[]', 't0', 0.5), "
    "('g-1', 'shut', 'open', 'push', TRUE, NULL, '[]', 't1', 0.5)",
]
OUTCOMES = [("o-1\x1fk", FLIPPED), ("g-1\x1fworker-event:7", {"success": True})]


def _old_tables(cursor: Any, prefix: str, serial: str) -> None:
    for statement in (OLD_ENTITY_STATES, OLD_HISTORY, OLD_INDEX, OLD_OUTCOMES, *ROWS):
        cursor.execute(statement.format(p=prefix, serial=serial))


@pytest.fixture
def old_sqlite(tmp_path: Path) -> str:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        _old_tables(db, "", "INTEGER")
        db.executemany(
            "INSERT INTO event_outcomes (key, outcome) VALUES (?, ?)",
            [(key, json.dumps(value)) for key, value in OUTCOMES],
        )
    return f"sqlite:///{path}"


@pytest.fixture
def old_postgres() -> Iterator[tuple[str, str]]:
    require_postgres()
    import psycopg

    schema = f"pystator_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL) as db:
        db.execute(f"CREATE SCHEMA {schema}")
        _old_tables(db, f"{schema}.", "BIGSERIAL")
        db.cursor().executemany(
            f"INSERT INTO {schema}.event_outcomes (key, outcome) VALUES (%s, %s)",
            [(key, json.dumps(value)) for key, value in OUTCOMES],
        )
    yield PG_URL, schema
    with psycopg.connect(PG_URL) as db:
        db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _upgraded_by(how: str, kind: str, url: str, schema: str) -> Any:
    if how == "cli":
        result = CliRunner().invoke(
            main, ["db", "upgrade", "--db", url], env={"PYSTATOR_DB_SCHEMA": schema}
        )
        assert result.exit_code == 0, result.output
        assert "up to date" in result.stdout
    if kind == "sqlite":
        return SQLiteStateStore(url).connect()
    return PostgresStateStore(url, schema=schema, pool_size=2).connect()


def _check_upgraded(store: Any) -> None:
    flip = store.load("o-1", machine_name="flip")
    gate = store.load("g-1", machine_name="gate")
    assert (flip.state, dict(flip.context), flip.version) == ("B", {"n": 2}, 1)
    assert (gate.state, gate.version) == ("open", 4)
    assert [row.trigger for row in store.history("o-1", machine_name="flip")] == ["flip"]
    assert [row.trigger for row in store.history("g-1", machine_name="gate")] == ["push"]
    assert store.recall("flip", "o-1", "k") == FLIPPED
    assert store.recall("gate", "g-1", "worker-event:7") == {"success": True}
    assert store.recall("gate", "o-1", "k") is None
    flips = Orchestrator(StateMachine.from_dict(FLIP), store)
    assert flips.process_event("o-1", "flip", idempotency_key="k").metadata["replayed"]
    # The same id in another machine is now an entity of its own.
    pushed = Orchestrator(StateMachine.from_dict(GATE), store).process_event("o-1", "push")
    assert (pushed.source_state, pushed.target_state) == ("shut", "open")
    assert store.load("o-1", machine_name="flip").version == 1
    assert store.machines_of("o-1") == ("flip", "gate")


@pytest.mark.parametrize("how", ["cli", "connect"])
def test_an_old_sqlite_file_is_upgraded_in_place(old_sqlite: str, how: str) -> None:
    store = _upgraded_by(how, "sqlite", old_sqlite, "public")
    keys = {row[1]: row[5] for row in store._db.execute("PRAGMA table_info(entity_states)")}
    assert (keys["machine_name"], keys["entity_id"]) == (1, 2)
    _check_upgraded(store)
    store.close()


@pytest.mark.parametrize("how", ["cli", "connect"])
def test_an_old_postgres_schema_is_upgraded_in_place(
    old_postgres: tuple[str, str], how: str
) -> None:
    url, schema = old_postgres
    store = _upgraded_by(how, "postgres", url, schema)
    with store._connection() as connection:
        key = connection.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
            (f"{schema}.entity_states",),
        ).fetchall()
    assert {row[0] for row in key} == {"machine_name", "entity_id"}
    _check_upgraded(store)
    store.close()


def test_upgrading_twice_changes_nothing(old_sqlite: str) -> None:
    for _ in range(2):
        result = CliRunner().invoke(main, ["db", "upgrade", "--db", old_sqlite])
        assert result.exit_code == 0, result.output
    _check_upgraded(SQLiteStateStore(old_sqlite).connect())


def test_replicas_connecting_at_once_upgrade_the_schema_once(
    old_postgres: tuple[str, str], old_sqlite: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url, schema = old_postgres

    def connect(kind: str) -> Any:
        if kind == "sqlite":
            return SQLiteStateStore(old_sqlite).connect()
        return PostgresStateStore(url, schema=schema, pool_size=1).connect()

    for kind in ("postgres", "sqlite"):
        with ThreadPoolExecutor(4) as pool:
            stores = list(pool.map(connect, [kind] * 4))
        _check_upgraded(stores[0])
        for store in stores:
            store.close()


def test_redis_keys_of_the_previous_layout_are_moved_on_connect() -> None:
    import redis

    from pystator import RedisStateStore
    from tests.conftest import REDIS_URL, require_redis

    require_redis()
    prefix = f"pystator_test_{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(REDIS_URL)
    client.hset(
        f"{prefix}:entity:o-1",
        mapping={"state": "B", "context": '{"n": 2}', "machine_name": "flip", "version": "1"},
    )
    client.hset(
        f"{prefix}:entity:g-1",
        mapping={"state": "open", "context": "{}", "machine_name": "gate", "version": "4"},
    )
    client.rpush(
        f"{prefix}:history:o-1",
        json.dumps(
            {
                "source_state": "A",
                "target_state": "B",
                "trigger": "flip",
                "success": True,
                "error": None,
                "actions": [],
                "timestamp": "t0",
                "duration_ms": 0.5,
            }
        ),
    )
    client.rpush(
        f"{prefix}:history:g-1",
        json.dumps(
            {
                "source_state": "shut",
                "target_state": "open",
                "trigger": "push",
                "success": True,
                "error": None,
                "actions": [],
                "timestamp": "t1",
                "duration_ms": 0.5,
            }
        ),
    )
    for key, value in OUTCOMES:
        client.set(f"{prefix}:outcome:{key}", json.dumps(value))
    store = RedisStateStore(REDIS_URL, key_prefix=prefix).connect()
    try:
        _check_upgraded(store)
        assert not client.exists(f"{prefix}:entity:o-1", f"{prefix}:history:o-1")
        again = RedisStateStore(REDIS_URL, key_prefix=prefix).connect()
        assert again.load("g-1", machine_name="gate").version == 4  # type: ignore[union-attr]
    finally:
        store.truncate()
        store.close()
