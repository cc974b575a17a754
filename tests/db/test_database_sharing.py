"""One connection source per database per process: Databases of one URL share the state
store's pool (or SQLite connection), the API and a worker in one process open one pool on
the real PostgreSQL, and the last Database to close closes it."""

from __future__ import annotations

import time
import uuid
import warnings
from pathlib import Path

import pytest

from pystator.db.database import Database
from pystator.worker import EventQueue, Worker
from tests.api.support import ORDER_YAML, api_settings, create_app
from tests.conftest import require_postgres
from tests.outages import application_name, named_url, sessions

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def test_databases_of_one_sqlite_file_share_one_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = Database(f"sqlite:///{tmp_path / 'service.db'}").connect()
    # Another spelling of the same file's path.
    second = Database("sqlite:///service.db").connect()
    assert first.store is second.store
    first.close()
    second.close()


def test_databases_of_two_files_do_not_share(tmp_path: Path) -> None:
    first = Database(f"sqlite:///{tmp_path / 'a.db'}")
    second = Database(f"sqlite:///{tmp_path / 'b.db'}")
    assert first.store is not second.store
    first.close()
    second.close()


def test_closing_one_database_leaves_the_shared_store_open_for_the_other(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'service.db'}"
    first = Database(url).connect()
    second = Database(url).connect()
    first.close()
    first.close()  # closing twice gives back one share only
    event_id = EventQueue(second).submit("m", "e-1", "go")
    assert EventQueue(second).get(event_id) is not None
    second.close()
    # With every share given back the store is closed; a new Database opens a new one.
    third = Database(url)
    assert third.store is not second.store
    third.close()


def test_the_catalog_and_queue_use_the_stores_connection_not_one_of_their_own(
    tmp_path: Path,
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'service.db'}").connect()
    opened: list[object] = []
    original = database.store.transaction  # type: ignore[attr-defined]

    def counting() -> object:
        opened.append(True)
        return original()

    database.store.transaction = counting  # type: ignore[attr-defined]
    EventQueue(database).submit("m", "e-1", "go")
    database.close()
    assert opened == [True]


def test_the_api_and_a_worker_in_one_process_open_one_postgres_pool() -> None:
    require_postgres()
    name = application_name()
    url = named_url(name)
    schema = f"pystator_db_{uuid.uuid4().hex[:8]}"
    app = create_app(api_settings(url, schema=schema))
    with TestClient(app) as client:
        assert client.post("/api/v1/machines", json={"yaml": ORDER_YAML}).status_code == 201
        entity = {"machine_id": "order_management", "entity_id": "o-1"}
        assert client.post("/api/v1/entities", json=entity).status_code == 201
        queued = client.post("/api/v1/entities/o-1/events/queue", json={"trigger": "exchange_ack"})
        api_sessions = sessions(name)
        database = Database(url, schema=schema).connect()
        worker = Worker(database)
        assert worker.run_once()
        assert client.get(f"/api/v1/events/{queued.json()['id']}").json()["status"] == "done"
        service = app.state.service
        assert worker.db.store is service.db.store
        # The worker's work ran on the API's pool: not one more server session.
        assert 1 <= api_sessions <= service.db.store.pool_size
        assert sessions(name) == api_sessions
    service.db.store.drop()
    database.close()
    service.db.close()
    assert _sessions_after_close(name) == 0, "the last Database to close closes the pool"


def _sessions_after_close(name: str) -> int:
    """Server sessions of `name` once the server has noticed closed connections (it ends a
    backend a moment after its client leaves)."""
    deadline = time.monotonic() + 5
    while (count := sessions(name)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return count
