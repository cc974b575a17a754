"""The service database on the real PostgreSQL: pooled sessions the server ended are
replaced, work that lost its connection before COMMIT runs once more and commits once, and
driver errors leave as StoreError without the driver's text."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from pystator import StoreError, StoreUnavailableError
from pystator.db.catalog import Catalog
from pystator.db.database import Cursor, Database
from tests.conftest import EXAMPLES, require_postgres
from tests.outages import application_name, closed_port, named_url, terminate

ORDER_YAML = (EXAMPLES / "order_fsm.yaml").read_text()
# A catalog machine owns its machine name, so the second machine needs one of its own.
OTHER_YAML = ORDER_YAML.replace('machine_name: "order_management"', 'machine_name: "other"', 1)


@pytest.fixture
def named() -> Iterator[tuple[Database, str]]:
    require_postgres()
    name = application_name()
    database = Database(named_url(name), schema=f"pystator_db_{uuid.uuid4().hex[:8]}")
    database.connect()
    yield database, name
    database.store.drop()  # type: ignore[union-attr]
    database.close()


def test_catalog_reads_and_writes_after_the_server_ended_every_session_succeed(
    named: tuple[Database, str],
) -> None:
    database, name = named
    catalog = Catalog(database)
    catalog.create(ORDER_YAML, "first")
    assert terminate(name) >= 1
    catalog.create(OTHER_YAML, "second")
    assert terminate(name) >= 1
    for _ in range(7):
        assert [stored.id for stored in catalog.list()] == ["first", "second"]


def test_work_whose_session_ended_before_commit_runs_once_more_and_commits_once(
    named: tuple[Database, str],
) -> None:
    database, _ = named
    calls = 0

    def insert(cursor: Cursor) -> None:
        nonlocal calls
        calls += 1
        cursor.execute(
            f"INSERT INTO {database.prefix}machine_versions "
            "(machine_id, version, yaml, created_at) VALUES ('m', 1, '', '')"
        )
        if calls == 1:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    database.run(insert)
    rows = database.query(f"SELECT count(*) FROM {database.prefix}machine_versions")
    assert calls == 2 and rows == [(1,)]


def test_a_database_on_a_closed_port_is_unavailable_without_driver_text() -> None:
    with closed_port() as port:
        database = Database(f"postgresql://postgres:s3cret-pw@127.0.0.1:{port}/test", timeout=0.5)
        with pytest.raises(StoreUnavailableError) as caught:
            database.query("SELECT 1")
        database.close()
    assert "s3cret-pw" not in str(caught.value) and str(port) not in str(caught.value)
    assert caught.value.maybe_committed is False


def test_a_failing_statement_is_a_store_error_naming_no_sql(
    named: tuple[Database, str],
) -> None:
    import psycopg

    database, _ = named
    with pytest.raises(StoreError) as caught:
        database.query("SELECT secret_column FROM nowhere")
    assert not isinstance(caught.value, StoreUnavailableError)
    assert isinstance(caught.value.__cause__, psycopg.errors.UndefinedTable)
    assert "nowhere" not in str(caught.value) and "secret_column" not in str(caught.value)


def test_a_database_that_failed_to_connect_leaves_no_pool_running() -> None:
    import threading

    def pool_threads() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("pool-")}

    before = pool_threads()
    with closed_port() as port:
        database = Database(f"postgresql://postgres@127.0.0.1:{port}/test", timeout=0.5)
        with pytest.raises(StoreUnavailableError):
            database.connect()
        assert database.store.connected is False  # type: ignore[attr-defined]
        for thread in pool_threads() - before:
            thread.join(timeout=5)
        assert pool_threads() - before == set()
        database.close()
