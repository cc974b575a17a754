"""The PostgreSQL store's save runs on libpq directly: prepared once per session, sent
in text format, failing with psycopg's own exceptions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from pystator import PostgresStateStore, StaleVersionError
from pystator.runtime.stores import EntityRecord, HistoryEntry
from pystator.runtime.stores._libpq import Prepared, _text
from tests.conftest import PG_URL, require_postgres


@pytest.fixture
def pg_store() -> Iterator[PostgresStateStore]:
    require_postgres()
    store = PostgresStateStore(PG_URL, schema=f"pystator_test_{uuid.uuid4().hex[:10]}", pool_size=1)
    store.connect()
    yield store
    store.drop()
    store.close()


def _row() -> HistoryEntry:
    return HistoryEntry("e", "A", None, "go", False, "it's \\ 'quoted'", ("a",), "t", 1e-7)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ("é'\\", "é'\\".encode()),
        (True, b"t"),
        (False, b"f"),
        (12345678901234567890, b"12345678901234567890"),
        (-0.5, b"-0.5"),
        (1e-7, b"1e-07"),
    ],
)
def test_parameters_are_sent_in_text_format(value: Any, text: bytes | None) -> None:
    assert _text(value) == text


def test_a_parameter_of_another_type_is_refused() -> None:
    with pytest.raises(TypeError, match="bytes is not a parameter"):
        _text(b"raw")


def test_placeholders_are_numbered_in_order() -> None:
    statement = Prepared("SELECT %s, %s::text FROM t WHERE a = %s")
    assert statement.sql == b"SELECT $1, $2::text FROM t WHERE a = $3"
    assert statement.name.startswith(b"pystator_")


def test_every_field_and_history_value_round_trips(pg_store: PostgresStateStore) -> None:
    record = EntityRecord(
        "e", "A", {"text": "é\u2028'\\", "n": 2**70, "f": 0.1}, machine_name="m", parallel=None
    )
    stored = pg_store.commit(record, 0, _row())
    assert pg_store.load("e", machine_name="m") == stored
    assert pg_store.history("e", machine_name="m") == [_row()]


def test_a_session_that_forgot_its_statements_prepares_them_again(
    pg_store: PostgresStateStore,
) -> None:
    stored = pg_store.commit(EntityRecord("e", "A", machine_name="m"), 0)
    stored = pg_store.commit(EntityRecord("e", "B", machine_name="m"), stored, _row())
    with pg_store._connection() as connection:
        connection.execute("DEALLOCATE ALL")
    stored = pg_store.commit(EntityRecord("e", "A", machine_name="m"), stored, _row())
    assert pg_store.load("e", machine_name="m") == stored


def test_a_stale_write_through_libpq_is_stale(pg_store: PostgresStateStore) -> None:
    pg_store.commit(EntityRecord("e", "A", machine_name="m"), 0)
    with pytest.raises(StaleVersionError):
        pg_store.commit(EntityRecord("e", "B", machine_name="m"), 7)


def test_a_session_in_another_encoding_saves_through_psycopg() -> None:
    require_postgres()
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}client_encoding=LATIN1"
    store = PostgresStateStore(
        url, schema=f"pystator_test_{uuid.uuid4().hex[:10]}", pool_size=1
    ).connect()
    try:
        stored = store.commit(EntityRecord("e", "A", {"name": "café"}, machine_name="m"), 0)
        assert store.load("e", machine_name="m") == stored
        with store._connection() as connection:
            prepared = connection.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'pystator_%'"
            ).fetchone()
        assert prepared == (0,)
    finally:
        store.drop()
        store.close()
