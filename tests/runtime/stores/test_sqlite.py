"""SQLiteStateStore: the documents' samples, versions, history, bad rows, many processes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pystator import (
    ActionRegistry,
    FSMError,
    Orchestrator,
    SQLiteStateStore,
    StaleVersionError,
    StateMachine,
)
from pystator.runtime.stores import EntityRecord

FLIP = {
    "meta": {"machine_name": "flip"},
    "states": [
        {"name": "A", "type": "initial", "on_enter": [{"increment": "n"}]},
        {"name": "B", "on_enter": [{"increment": "n"}]},
    ],
    "transitions": [
        {"trigger": "flip", "source": "A", "dest": "B", "actions": ["count"]},
        {"trigger": "flip", "source": "B", "dest": "A", "actions": ["count"]},
    ],
}


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'pystator.db'}"


def test_the_documents_sample_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = SQLiteStateStore("sqlite:///pystator.db")
    store.connect()
    machine = StateMachine.from_dict(FLIP)
    orchestrator = Orchestrator(machine=machine, state_store=store)
    orchestrator.process_event("order-123", "flip", context={"fill_qty": 100, "price": 50.25})
    assert store.get_context("order-123") == {"fill_qty": 100, "price": 50.25, "n": 2}
    assert (tmp_path / "pystator.db").exists()


def test_default_location_is_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYSTATOR_SQLITE_URL", raising=False)
    store = SQLiteStateStore().connect()
    store.set_state("e", "A")
    assert (tmp_path / "pystator.db").exists()
    assert store.get_state("e") == "A"


def test_versions_are_compared_and_set(url: str) -> None:
    store = SQLiteStateStore(url).connect()
    assert store.save(EntityRecord("e", "A", {"x": 1}), 0) == 1
    with pytest.raises(StaleVersionError):
        store.save(EntityRecord("e", "B"), 0)
    assert store.save(EntityRecord("e", "B"), 1) == 2
    assert store.load("e") == EntityRecord("e", "B", {}, 2)


def test_history_and_idempotency_records_persist(url: str) -> None:
    store = SQLiteStateStore(url).connect()
    ran: list[str] = []
    actions = ActionRegistry()
    actions.register("count", lambda ctx: ran.append("count"))
    runner = Orchestrator(StateMachine.from_dict(FLIP), store, actions=actions)
    runner.process_event("e", "flip", idempotency_key="m1")
    runner.process_event("e", "flip", idempotency_key="m1")
    reopened = SQLiteStateStore(url).connect()
    rows = reopened.history("e")
    assert [(r.source_state, r.target_state, r.actions) for r in rows] == [
        ("A", "B", ("count", "_effect.increment"))
    ]
    assert ran == ["count"]
    assert reopened.recall("flip", "e", "m1") is not None


def test_corrupt_context_row_is_a_clear_error(url: str) -> None:
    store = SQLiteStateStore(url).connect()
    store.set_state("e", "A")
    with sqlite3.connect(store.path) as raw:
        raw.execute("UPDATE entity_states SET context = '{broken' WHERE entity_id = 'e'")
    with pytest.raises(FSMError, match="stored context of entity 'e' is corrupt"):
        store.load("e")


def test_context_that_is_not_json_is_refused_and_nothing_written(url: str) -> None:
    store = SQLiteStateStore(url).connect()
    with pytest.raises(FSMError, match="JSON"):
        store.save(EntityRecord("e", "A", {"x": object()}), 0)
    assert store.load("e") is None


def test_a_non_sqlite_url_is_refused() -> None:
    with pytest.raises(FSMError, match="not a SQLite URL"):
        SQLiteStateStore("postgresql://localhost/db")


def test_parallel_and_history_state_round_trip(url: str) -> None:
    from tests.conftest import EXAMPLES

    machine = StateMachine.from_yaml(EXAMPLES / "day_trading_fsm.yaml")
    store = SQLiteStateStore(url).connect()
    runner = Orchestrator(machine, store)
    runner.process_event("d", "market_open")
    runner.process_event("d", "feed_up")
    assert SQLiteStateStore(url).connect().load("d").parallel == (  # type: ignore[union-attr]
        "active:trading=scanning,risk_monitor=normal,data_feed=connected"
    )


def test_stores_opening_a_new_file_at_once_all_connect(tmp_path: Path) -> None:
    # Switching a file to WAL mode meets the other openers' locks with BUSY at once; each
    # store must wait for them rather than fail, however the threads interleave.
    import threading
    from concurrent.futures import ThreadPoolExecutor

    openers = 8
    for round_ in range(60):
        path = tmp_path / f"replica-{round_}.db"
        sqlite3.connect(path).close()
        start = threading.Barrier(openers)

        def open_store(_: int, path: Path = path, start: threading.Barrier = start) -> str:
            start.wait()
            store = SQLiteStateStore(f"sqlite:///{path}").connect()
            store.close()
            return "connected"

        with ThreadPoolExecutor(openers) as pool:
            assert list(pool.map(open_store, range(openers))) == ["connected"] * openers
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_file_that_cannot_be_opened_is_a_store_error_naming_it(tmp_path: Path) -> None:
    from pystator import StoreUnavailableError

    path = tmp_path / "missing-directory" / "pystator.db"
    with pytest.raises(StoreUnavailableError) as caught:
        SQLiteStateStore(f"sqlite:///{path}").connect()
    assert str(path) in str(caught.value)
    assert "directory exists" in str(caught.value)
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert not path.parent.exists()


FALLBACK = {**FLIP, "error_policy": {"default_fallback": "B", "retry_attempts": 2}}


def test_a_file_locked_past_the_timeout_is_unavailable_not_the_entitys_failure(
    url: str,
) -> None:
    # A database failure is not the entity's: no retry under the error policy, no move
    # to its fallback state, and the event can be sent again once the lock is gone.
    from pystator import StoreUnavailableError

    store = SQLiteStateStore(url, timeout=0.1).connect()
    orchestrator = Orchestrator(StateMachine.from_dict(FALLBACK), store)
    orchestrator.create_entity("e")
    before, logged = store.load("e"), store.history("e")
    other = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailableError) as caught:
            orchestrator.process_event("e", "flip")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert caught.value.maybe_committed is False
    assert caught.value.operation == "save"
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert store.load("e") == before
    assert store.history("e") == logged
    assert orchestrator.process_event("e", "flip").target_state == "B"


def test_a_statement_sqlite_refuses_is_a_store_error_naming_no_sql(url: str) -> None:
    from pystator import StoreError, StoreUnavailableError

    store = SQLiteStateStore(url).connect()
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        db.execute("DROP TABLE entity_states")
    with pytest.raises(StoreError) as caught:
        store.load("e", machine_name="flip")
    assert not isinstance(caught.value, StoreUnavailableError)
    assert caught.value.operation == "load"
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert "entity_states" not in str(caught.value) and "SELECT" not in str(caught.value)


def test_a_file_that_is_not_a_database_is_a_store_error_not_an_outage(tmp_path: Path) -> None:
    from pystator import StoreError, StoreUnavailableError

    path = tmp_path / "notes.txt"
    path.write_bytes(b"not a database, " * 256)
    with pytest.raises(StoreError) as caught:
        SQLiteStateStore(f"sqlite:///{path}").connect()
    assert not isinstance(caught.value, StoreUnavailableError)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == b"not a database, " * 256
