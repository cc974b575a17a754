"""The worker on the real PostgreSQL when the database drops or refuses connections: it
keeps processing, and what it records for an event never holds the driver's text."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pystator import PostgresStateStore
from pystator.db.catalog import Catalog
from pystator.db.database import Database
from pystator.worker import Worker, submit_event
from tests.conftest import require_postgres
from tests.outages import application_name, closed_port, named_url, terminate

ROTOR = Path(__file__).resolve().parents[1] / "fixtures" / "rotor.yaml"


@pytest.fixture
def named() -> Iterator[tuple[Database, str]]:
    require_postgres()
    name = application_name()
    database = Database(named_url(name), schema=f"pystator_worker_{uuid.uuid4().hex[:8]}")
    database.connect()
    Catalog(database).create(ROTOR.read_text())
    yield database, name
    database.store.drop()  # type: ignore[union-attr]
    database.close()


def test_a_worker_processes_events_after_the_server_ended_its_sessions(
    named: tuple[Database, str],
) -> None:
    database, name = named
    worker = Worker(database)
    submit_event(database, "rotor", "r-1", "x")
    assert worker.run_once()
    assert terminate(name) >= 1
    submit_event(database, "rotor", "r-1", "x")
    assert worker.run_once()
    assert database.store.get_state("r-1") == "c"
    rows = database.query(f"SELECT status FROM {database.prefix}worker_events")
    assert rows == [("done",), ("done",)]


def test_an_event_whose_store_is_unreachable_waits_for_a_retry_without_driver_text(
    named: tuple[Database, str],
) -> None:
    database, _ = named
    event_id = submit_event(database, "rotor", "r-1", "x")
    kept = database.store
    with closed_port() as port:
        database.store = PostgresStateStore(
            f"postgresql://postgres:s3cret-pw@127.0.0.1:{port}/test", timeout=0.5
        )
        try:
            assert Worker(database, retry_delay=60.0).run_once()
        finally:
            database.store = kept
    ((status, error),) = database.query(
        f"SELECT status, error FROM {database.prefix}worker_events WHERE id = %s", (event_id,)
    )
    assert status == "pending"
    assert error.startswith("StoreUnavailableError: ")
    assert "s3cret-pw" not in error and str(port) not in error
