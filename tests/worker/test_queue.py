"""The event queue's Python API on SQLite and on the real PostgreSQL: submit, look up, list,
count, claim in per-entity order, and settle an event only by the worker that holds it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pystator import StoreUnavailableError
from pystator.db.database import Database
from pystator.worker import EventQueue, EventStatus
from tests.conftest import PG_URL, require_postgres
from tests.outages import application_name, closed_port, named_url, terminate


@pytest.fixture(params=["sqlite", "postgres"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventQueue]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'queue.db'}").connect()
    else:
        require_postgres()
        database = Database(PG_URL, schema=f"pystator_queue_{uuid.uuid4().hex[:8]}").connect()
    yield EventQueue(database)
    if database.postgres:
        database.store.drop()  # type: ignore[attr-defined]
    database.close()


def test_a_submitted_event_is_pending_with_its_context(queue: EventQueue) -> None:
    event_id = queue.submit("rotor", "r-1", "x", {"n": 1})
    found = queue.get(event_id)
    assert isinstance(found, EventStatus)
    assert (found.machine_id, found.entity_id, found.trigger) == ("rotor", "r-1", "x")
    assert (found.status, found.attempts, found.error, found.result) == ("pending", 0, None, None)
    claimed = queue.claim("w", lease_seconds=60)
    assert claimed is not None and claimed.context == {"n": 1}


def test_an_unknown_event_is_none(queue: EventQueue) -> None:
    assert queue.get(424242) is None


def test_ids_grow_in_submission_order(queue: EventQueue) -> None:
    ids = [queue.submit("rotor", f"r-{n}", "x") for n in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_list_filters_by_status_machine_and_entity_in_submission_order(
    queue: EventQueue,
) -> None:
    first = queue.submit("rotor", "r-1", "x")
    second = queue.submit("stator", "r-1", "x")
    third = queue.submit("rotor", "r-2", "y")
    assert [e.id for e in queue.list()] == [first, second, third]
    assert [e.id for e in queue.list(machine_id="rotor")] == [first, third]
    assert [e.id for e in queue.list(entity_id="r-1")] == [first, second]
    assert [e.id for e in queue.list(machine_id="rotor", entity_id="r-1")] == [first]
    assert [e.id for e in queue.list(limit=2)] == [first, second]
    queue.claim("w", lease_seconds=60)
    assert [e.id for e in queue.list(status="processing")] == [first]


def test_counts_name_every_status(queue: EventQueue) -> None:
    queue.submit("rotor", "r-1", "x")
    queue.submit("rotor", "r-2", "x")
    claimed = queue.claim("w", lease_seconds=60)
    assert claimed is not None
    queue.complete(claimed.id, "w", {"success": True})
    assert queue.counts() == {"pending": 1, "processing": 0, "done": 1, "failed": 0}
    assert queue.pending() == 1


def test_a_claim_takes_the_oldest_event_and_counts_the_attempt(queue: EventQueue) -> None:
    first = queue.submit("rotor", "r-1", "x")
    queue.submit("rotor", "r-2", "x")
    claimed = queue.claim("w", lease_seconds=60)
    assert claimed is not None and (claimed.id, claimed.attempts) == (first, 1)
    found = queue.get(first)
    assert found is not None and found.status == "processing"


def test_a_later_event_of_a_busy_entity_waits_but_other_entities_do_not(
    queue: EventQueue,
) -> None:
    queue.submit("rotor", "r-1", "x")
    queue.submit("rotor", "r-1", "y")
    other_machine = queue.submit("stator", "r-1", "x")
    assert queue.claim("w1", lease_seconds=60) is not None
    claimed = queue.claim("w2", lease_seconds=60)
    assert claimed is not None and claimed.id == other_machine
    assert queue.claim("w3", lease_seconds=60) is None


def test_a_batch_claim_takes_the_earliest_event_of_each_entity_in_submission_order(
    queue: EventQueue,
) -> None:
    first = queue.submit("rotor", "r-1", "x")
    queue.submit("rotor", "r-1", "y")
    other = queue.submit("rotor", "r-2", "x")
    other_machine = queue.submit("stator", "r-1", "x")
    claimed = queue.claim_batch("w", lease_seconds=60, limit=10)
    assert [event.id for event in claimed] == [first, other, other_machine]
    assert all(event.attempts == 1 for event in claimed)
    assert queue.counts()["processing"] == 3


def test_a_batch_claim_takes_no_more_than_its_limit(queue: EventQueue) -> None:
    ids = [queue.submit("rotor", f"r-{n}", "x") for n in range(5)]
    assert [event.id for event in queue.claim_batch("w", 60, 2)] == ids[:2]
    assert [event.id for event in queue.claim_batch("v", 60, 2)] == ids[2:4]


def test_a_batch_claim_marks_the_completed_events_done_before_it_claims(
    queue: EventQueue,
) -> None:
    first = queue.submit("rotor", "r-1", "x")
    second = queue.submit("rotor", "r-1", "y")
    assert [event.id for event in queue.claim_batch("w", 60, 10)] == [first]
    outcome = {"success": True, "target_state": "b"}
    again = queue.claim_batch("w", 60, 10, completed=[(first, outcome)])
    assert [event.id for event in again] == [second]
    found = queue.get(first)
    assert found is not None and (found.status, found.result) == ("done", outcome)


def test_an_event_completed_with_a_claim_stays_done_though_its_lease_ran_out(
    queue: EventQueue,
) -> None:
    event_id = queue.submit("rotor", "r-1", "x")
    assert queue.claim_batch("w", 60, 10)
    assert queue.claim_batch("w", -1, 10, completed=[(event_id, {"success": True})]) == []
    found = queue.get(event_id)
    assert found is not None and (found.status, found.attempts) == ("done", 1)


def test_completing_many_marks_done_only_the_events_the_worker_holds(
    queue: EventQueue,
) -> None:
    mine = queue.submit("rotor", "r-1", "x")
    theirs = queue.submit("rotor", "r-2", "x")
    assert queue.claim_batch("w", 60, 1) and queue.claim_batch("v", 60, 1)
    done = {"success": True}
    assert queue.complete_all("w", [(mine, done), (theirs, done)]) == 1
    statuses = {event.id: event.status for event in queue.list()}
    assert statuses == {mine: "done", theirs: "processing"}


def test_completing_stores_the_outcome(queue: EventQueue) -> None:
    event_id = queue.submit("rotor", "r-1", "x")
    assert queue.claim("w", lease_seconds=60) is not None
    assert queue.complete(event_id, "w", {"success": True, "target_state": "B"})
    found = queue.get(event_id)
    assert found is not None
    assert (found.status, found.result) == ("done", {"success": True, "target_state": "B"})


def test_failing_keeps_the_error(queue: EventQueue) -> None:
    event_id = queue.submit("rotor", "r-1", "x")
    assert queue.claim("w", lease_seconds=60) is not None
    assert queue.fail(event_id, "w", "FSMError: no such trigger")
    found = queue.get(event_id)
    assert found is not None and (found.status, found.error) == (
        "failed",
        "FSMError: no such trigger",
    )


def test_only_the_worker_holding_an_event_settles_it(queue: EventQueue) -> None:
    event_id = queue.submit("rotor", "r-1", "x")
    assert queue.claim("w", lease_seconds=60) is not None
    assert not queue.complete(event_id, "intruder", {"success": True})
    assert not queue.fail(event_id, "intruder", "no")
    assert not queue.release(event_id, "intruder", "no", 0.0)
    found = queue.get(event_id)
    assert found is not None and found.status == "processing"


def test_a_released_event_waits_for_its_delay(queue: EventQueue) -> None:
    event_id = queue.submit("rotor", "r-1", "x")
    assert queue.claim("w", lease_seconds=60) is not None
    assert queue.release(event_id, "w", "StaleVersionError: lost a race", 3600.0)
    found = queue.get(event_id)
    assert found is not None and (found.status, found.error) == (
        "pending",
        "StaleVersionError: lost a race",
    )
    assert queue.claim("w", lease_seconds=60) is None
    assert queue.release(event_id, "w", "again", 0.0) is False  # no longer held by w


def test_an_event_whose_lease_ran_out_is_claimed_again(queue: EventQueue) -> None:
    event_id = queue.submit("rotor", "r-1", "x")
    assert queue.claim("dead", lease_seconds=60) is not None
    again = queue.claim("alive", lease_seconds=-1)
    assert again is not None and (again.id, again.attempts) == (event_id, 2)
    assert not queue.complete(event_id, "dead", {"success": True})
    assert queue.complete(event_id, "alive", {"success": True})


def test_an_event_with_a_corrupt_context_is_failed_not_claimed(queue: EventQueue) -> None:
    event_id = queue.submit("rotor", "r-1", "x")
    queue.db.run(
        lambda cursor: cursor.execute(
            f"UPDATE {queue.db.prefix}worker_events SET context = '[1, 2]' WHERE id = %s",
            (event_id,),
        )
    )
    assert queue.claim("w", lease_seconds=60) is None
    found = queue.get(event_id)
    assert found is not None
    assert (found.status, found.error) == ("failed", "stored context is not a JSON object")


def test_submit_refuses_what_no_worker_could_run(queue: EventQueue) -> None:
    from pystator import InvalidIdentifierError, UnstorableValueError

    with pytest.raises(TypeError, match="machine_id must be a non-empty string"):
        queue.submit("", "r-1", "x")
    with pytest.raises(InvalidIdentifierError):
        queue.submit("rotor", "a/b", "x")
    with pytest.raises(UnstorableValueError):
        queue.submit("rotor", "r-1", "x", {"price": float("inf")})
    assert queue.list() == []


def test_a_submit_whose_session_the_server_ended_is_queued_once() -> None:
    require_postgres()
    name = application_name()
    database = Database(named_url(name), schema=f"pystator_queue_{uuid.uuid4().hex[:8]}")
    queue = EventQueue(database.connect())
    queue.submit("rotor", "r-1", "x")
    assert terminate(name) >= 1
    queue.submit("rotor", "r-1", "y")
    assert terminate(name) >= 1
    assert [event.trigger for event in queue.list()] == ["x", "y"]
    database.store.drop()  # type: ignore[attr-defined]
    database.close()


def test_an_unreachable_queue_is_a_store_error_without_driver_text() -> None:
    with closed_port() as port:
        database = Database(f"postgresql://postgres:s3cret-pw@127.0.0.1:{port}/test", timeout=0.5)
        with pytest.raises(StoreUnavailableError) as caught:
            EventQueue(database).get(1)
        database.close()
    assert "s3cret-pw" not in str(caught.value) and str(port) not in str(caught.value)
