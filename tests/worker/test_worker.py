"""The event worker: per-entity order, exactly-once processing, retries, failures."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pystator import StateMachine
from pystator.db.catalog import Catalog
from pystator.db.database import Database
from pystator.worker import Worker, submit_event
from tests.conftest import PG_URL, require_postgres

ROOT = Path(__file__).resolve().parents[2]
ROTOR = ROOT / "tests" / "fixtures" / "rotor.yaml"


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'service.db'}").connect()
    yield database
    database.close()


@pytest.fixture
def pg_db() -> Iterator[tuple[Database, str]]:
    require_postgres()
    schema = f"pystator_worker_{uuid.uuid4().hex[:8]}"
    database = Database(PG_URL, schema=schema).connect()
    yield database, schema
    database.store.drop()  # type: ignore[union-attr]
    database.close()


def statuses(database: Database) -> dict[str, int]:
    rows = database.query(
        f"SELECT status, COUNT(*) FROM {database.prefix}worker_events GROUP BY status"
    )
    return {status: int(count) for status, count in rows}


def test_a_queued_event_is_processed_and_marked_done(sqlite_db: Database) -> None:
    Catalog(sqlite_db).create(ROTOR.read_text())
    event_id = submit_event(sqlite_db, "rotor", "r-1", "x")
    assert Worker(sqlite_db).run_once()
    ((status, result),) = sqlite_db.query(
        "SELECT status, result FROM worker_events WHERE id = %s", (event_id,)
    )
    assert status == "done"
    assert json.loads(result)["target_state"] == "b"


def test_an_event_that_fails_is_marked_failed_with_the_error(sqlite_db: Database) -> None:
    Catalog(sqlite_db).create(ROTOR.read_text())
    submit_event(sqlite_db, "rotor", "r-1", "nonsense")
    Worker(sqlite_db).run_once()
    ((status, error),) = sqlite_db.query("SELECT status, error FROM worker_events")
    assert status == "failed"
    assert "nonsense" in error


def test_an_event_for_an_unknown_machine_fails_clearly(sqlite_db: Database) -> None:
    submit_event(sqlite_db, "ghost", "r-1", "x")
    Worker(sqlite_db).run_once()
    ((status, error),) = sqlite_db.query("SELECT status, error FROM worker_events")
    assert (status, error) == ("failed", "CatalogError: no machine 'ghost'")


def test_a_later_event_of_an_entity_waits_for_the_earlier_one(sqlite_db: Database) -> None:
    Catalog(sqlite_db).create(ROTOR.read_text())
    first = submit_event(sqlite_db, "rotor", "r-1", "x")
    submit_event(sqlite_db, "rotor", "r-1", "y")
    other = submit_event(sqlite_db, "rotor", "r-2", "x")
    worker = Worker(sqlite_db)
    claimed = worker.claim()
    assert claimed is not None and claimed.id == first
    second = Worker(sqlite_db).claim()
    assert second is not None and second.id == other, "r-1's second event must wait"
    assert Worker(sqlite_db).claim() is None


def test_run_once_processes_one_event_per_entity_and_marks_each_done(
    sqlite_db: Database,
) -> None:
    Catalog(sqlite_db).create(ROTOR.read_text())
    for entity in ("r-1", "r-1", "r-2", "r-3"):
        submit_event(sqlite_db, "rotor", entity, "x")
    worker = Worker(sqlite_db, batch_size=10)
    assert worker.run_once()
    assert statuses(sqlite_db) == {"done": 3, "pending": 1}
    assert worker.processed == 3


def test_a_batch_holds_at_most_batch_size_events(sqlite_db: Database) -> None:
    Catalog(sqlite_db).create(ROTOR.read_text())
    for n in range(5):
        submit_event(sqlite_db, "rotor", f"r-{n}", "x")
    assert Worker(sqlite_db, batch_size=2).run_once()
    assert statuses(sqlite_db) == {"done": 2, "pending": 3}


def test_a_worker_that_stops_has_marked_every_event_it_processed_done(
    sqlite_db: Database,
) -> None:
    Catalog(sqlite_db).create(ROTOR.read_text())
    for n in range(7):
        submit_event(sqlite_db, "rotor", f"r-{n % 3}", "x")
    worker = Worker(sqlite_db, batch_size=2, poll_interval=0.01)
    assert worker.run(exit_when_idle=True) == 7
    assert statuses(sqlite_db) == {"done": 7}


def test_a_batch_reads_the_catalog_once_per_machine(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = Catalog(sqlite_db)
    catalog.create(ROTOR.read_text())
    for n in range(4):
        submit_event(sqlite_db, "rotor", f"r-{n}", "x")
    reads: list[str] = []
    read = catalog.get
    monkeypatch.setattr(catalog, "get", lambda *args: reads.append(args[0]) or read(*args))
    assert Worker(sqlite_db, catalog, batch_size=10).run_once()
    assert reads == ["rotor"]


def test_a_batch_size_below_one_is_refused(sqlite_db: Database) -> None:
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        Worker(sqlite_db, batch_size=0)


def test_a_transient_failure_is_retried(sqlite_db: Database) -> None:
    from pystator.runtime.errors import StaleVersionError

    Catalog(sqlite_db).create(ROTOR.read_text())
    submit_event(sqlite_db, "rotor", "r-1", "x")
    worker = Worker(sqlite_db, retry_delay=0.0)
    event = worker.claim()
    assert event is not None
    assert worker._retry(event, StaleVersionError("lost", "r-1", 0, 1)) == "pending"
    assert worker.run_once()
    assert statuses(sqlite_db) == {"done": 1}


def test_submit_event_checks_its_arguments(sqlite_db: Database) -> None:
    with pytest.raises(TypeError, match="machine_id"):
        submit_event(sqlite_db, "", "r", "x")
    with pytest.raises(TypeError, match="context"):
        submit_event(sqlite_db, "rotor", "r", "x", ["not", "a", "mapping"])  # type: ignore[arg-type]


def test_submit_event_refuses_what_no_store_could_keep(sqlite_db: Database) -> None:
    from pystator import InvalidIdentifierError, UnstorableValueError

    with pytest.raises(InvalidIdentifierError, match="entity id '' is empty"):
        submit_event(sqlite_db, "rotor", "", "x")
    with pytest.raises(UnstorableValueError, match=r"context\.price: NaN cannot be stored"):
        submit_event(sqlite_db, "rotor", "r", "x", {"price": float("nan")})
    assert statuses(sqlite_db) == {}


def test_events_of_two_machines_for_one_id_are_two_entities(sqlite_db: Database) -> None:
    catalog = Catalog(sqlite_db)
    catalog.create(ROTOR.read_text())
    catalog.create(ROTOR.read_text().replace("machine_name: rotor", "machine_name: stator"))
    first = submit_event(sqlite_db, "rotor", "r-1", "x")
    second = submit_event(sqlite_db, "stator", "r-1", "x")
    worker = Worker(sqlite_db)
    claimed = [worker.claim(), Worker(sqlite_db).claim()]
    assert [event.id for event in claimed if event] == [first, second], "no shared queue order"
    for event in claimed:
        assert event is not None and worker.process(event) == "done"
    rotor = sqlite_db.store.load("r-1", machine_name="rotor")
    stator = sqlite_db.store.load("r-1", machine_name="stator")
    assert rotor is not None and stator is not None
    assert (rotor.version, stator.version) == (1, 1)


def test_four_workers_drain_5000_events_once_each_in_entity_order(
    pg_db: tuple[Database, str], tmp_path: Path
) -> None:
    database, schema = pg_db
    Catalog(database).create(ROTOR.read_text())
    rng = random.Random(7)
    events = [(f"e{rng.randrange(100)}", rng.choice("xy")) for _ in range(5000)]
    with database.transaction() as cursor:
        for entity, trigger in events:
            cursor.execute(
                f"INSERT INTO {schema}.worker_events (machine_id, entity_id, trigger, context, "
                "created_at) VALUES ('rotor', %s, %s, '{}', 'now')",
                (entity, trigger),
            )
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.worker.run_worker", PG_URL, schema],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for _ in range(4)
    ]
    outputs = [worker.communicate(timeout=600)[0] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs
    counts = [int(out.strip().splitlines()[-1].split()[-1]) for out in outputs]
    assert sum(counts) == 5000, outputs
    assert statuses(database) == {"done": 5000}

    machine = StateMachine.from_yaml(ROTOR)
    replay = {}
    for entity, trigger in events:
        session = replay.setdefault(entity, machine.create())
        session.send(trigger)
    for entity, session in replay.items():
        record = database.store.load(entity)
        assert record is not None
        assert (record.state, record.context["count"]) == (
            session.current_state,
            session.context["count"],
        ), entity
        assert len(database.store.history(entity)) == session.context["count"]
    print(f"\n4 workers drained 5000 events; per worker: {counts}")


def test_a_memory_database_is_refused_with_the_reason() -> None:
    from pystator.runtime.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="not SQLite :memory:"):
        Database("sqlite:///:memory:")
