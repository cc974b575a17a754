"""The Orchestrator keeps the records it commits: an entity's next event costs one store
round trip (the comparing write), and a kept record that is out of date never decides."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pystator import InMemoryStateStore, Orchestrator, StateMachine
from pystator.runtime.orchestrator.cache import RecordCache
from pystator.runtime.stores import EntityRecord
from pystator.runtime.timers import ScheduledJob
from tests.runtime.stores.conftest import open_store

Spec = tuple[str, str, str]

STEPS: dict[str, Any] = {
    "meta": {"machine_name": "steps"},
    "states": [
        {"name": "A", "type": "initial"},
        {"name": "B"},
        {"name": "C", "type": "terminal"},
    ],
    "transitions": [
        {"trigger": "go", "source": "A", "dest": "B"},
        {"trigger": "back", "source": "B", "dest": "A"},
        {"trigger": "finish", "source": "B", "dest": "C"},
    ],
}


def machine() -> StateMachine[Any, Any, Any]:
    return StateMachine.from_dict(STEPS)


class Reads:
    """Counts the entity reads a store serves."""

    def __init__(self, store: Any) -> None:
        self.count = 0
        fetch, fetch_event = store._fetch, store._fetch_event

        def counted_fetch(*args: Any) -> Any:
            self.count += 1
            return fetch(*args)

        def counted_fetch_event(*args: Any) -> Any:
            self.count += 1
            return fetch_event(*args)

        store._fetch, store._fetch_event = counted_fetch, counted_fetch_event


def test_an_entity_committed_before_is_not_read_again(store_spec: Spec) -> None:
    store = open_store(store_spec)
    reads = Reads(store)
    orchestrator = Orchestrator(machine(), store)
    orchestrator.create_entity("e")
    assert orchestrator.process_event("e", "go").target_state == "B"
    assert orchestrator.process_event("e", "back").target_state == "A"
    assert reads.count == 0
    assert store.load("e", machine_name="steps").version == 3


def test_a_keyed_event_on_a_kept_entity_is_not_read_either(store_spec: Spec) -> None:
    store = open_store(store_spec)
    reads = Reads(store)
    orchestrator = Orchestrator(machine(), store)
    orchestrator.create_entity("e")
    assert orchestrator.process_event("e", "go", idempotency_key="k1").success
    assert reads.count == 0


def test_a_keyed_event_seen_before_is_replayed_from_a_kept_entity(store_spec: Spec) -> None:
    orchestrator = Orchestrator(machine(), open_store(store_spec))
    orchestrator.create_entity("e")
    first = orchestrator.process_event("e", "go", idempotency_key="k1")
    again = orchestrator.process_event("e", "go", idempotency_key="k1")
    assert (first.target_state, again.target_state) == ("B", "B")
    assert again.metadata["replayed"] is True
    assert not first.metadata.get("replayed")


def test_an_entity_another_process_moved_on_is_decided_from_the_stored_record(
    store_spec: Spec,
) -> None:
    ours, theirs = Orchestrator(machine(), open_store(store_spec)), None
    ours.create_entity("e")
    theirs = Orchestrator(machine(), open_store(store_spec))
    assert theirs.process_event("e", "go").target_state == "B"
    # Ours keeps the entity in A, where `finish` is refused; stored, it is in B.
    result = ours.process_event("e", "finish")
    assert (result.success, result.source_state, result.target_state) == (True, "B", "C")


def test_an_event_valid_for_the_kept_record_only_is_refused(store_spec: Spec) -> None:
    ours = Orchestrator(machine(), open_store(store_spec))
    ours.create_entity("e")
    theirs = Orchestrator(machine(), open_store(store_spec))
    theirs.process_event("e", "go")
    # Kept in A, `go` would be written from A; stored in B, it is not a valid trigger.
    result = ours.process_event("e", "go")
    assert not result.success
    assert result.source_state == "B"
    store = open_store(store_spec)
    assert [row.target_state for row in store.history("e", machine_name="steps")] == [
        "A",
        "B",
    ]


def test_an_entity_made_again_at_the_kept_version_is_decided_from_what_is_stored(
    store_spec: Spec,
) -> None:
    store = open_store(store_spec)
    ours = Orchestrator(machine(), store)
    ours.create_entity("e")
    ours.process_event("e", "go")  # kept: B at version 2, empty context
    store.truncate()
    theirs = Orchestrator(machine(), open_store(store_spec))
    theirs.create_entity("e", {"again": True})
    theirs.process_event("e", "go")  # stored: B at version 2 too, another context
    assert store.load("e", machine_name="steps").version == 2
    ours.process_event("e", "back")
    stored = store.load("e", machine_name="steps")
    assert (stored.state, stored.version, stored.context) == ("A", 3, {"again": True})


def test_async_events_keep_records_too(store_spec: Spec) -> None:
    store = open_store(store_spec)
    reads = Reads(store)
    orchestrator = Orchestrator(machine(), store)

    async def run() -> list[str | None]:
        await orchestrator.async_create_entity("e")
        results = [
            await orchestrator.async_process_event("e", trigger) for trigger in ("go", "back")
        ]
        return [result.target_state for result in results]

    assert asyncio.run(run()) == ["B", "A"]
    assert reads.count == 0


def test_cache_size_zero_reads_every_entity(store_spec: Spec) -> None:
    store = open_store(store_spec)
    reads = Reads(store)
    orchestrator = Orchestrator(machine(), store, cache_size=0)
    orchestrator.create_entity("e")
    orchestrator.process_event("e", "go")
    orchestrator.process_event("e", "back")
    assert reads.count == 2


def test_a_store_comparing_versions_only_is_read_for_every_event() -> None:
    store = InMemoryStateStore()
    reads = Reads(store)
    orchestrator = Orchestrator(machine(), store)
    orchestrator.create_entity("e")
    orchestrator.process_event("e", "go")
    assert reads.count == 1


@pytest.mark.parametrize("size", [-1, 1.5, "8", True])
def test_cache_size_must_be_a_count(size: Any) -> None:
    with pytest.raises(ValueError, match="cache_size"):
        Orchestrator(machine(), InMemoryStateStore(), cache_size=size)


def test_the_cache_forgets_the_entity_committed_longest_ago() -> None:
    cache = RecordCache(2)
    for name in ("a", "b", "a", "c"):
        cache.put(EntityRecord(name, "A"))
    assert (cache.get("a"), cache.get("b"), len(cache)) == (EntityRecord("a", "A"), None, 2)
    assert cache.get("c") == EntityRecord("c", "A")


TIMED: dict[str, Any] = {
    "meta": {"machine_name": "timed"},
    "states": [
        {"name": "waiting", "type": "initial", "timeout": {"seconds": 60, "destination": "done"}},
        {"name": "idle"},
        {"name": "done", "type": "terminal"},
    ],
    "transitions": [
        {"trigger": "leave", "source": "waiting", "dest": "idle"},
        {"trigger": "enter", "source": "idle", "dest": "waiting"},
    ],
}


def test_a_timer_stale_for_the_kept_record_only_fires(store_spec: Spec) -> None:
    timed = StateMachine.from_dict(TIMED)
    ours = Orchestrator(timed, open_store(store_spec))
    ours.create_entity("e")  # kept: waiting, entered at version 1
    theirs = Orchestrator(timed, open_store(store_spec))
    theirs.process_event("e", "leave")
    theirs.process_event("e", "enter")  # stored: waiting, entered again at version 3
    timer = timed.spec.timers["waiting"][0]
    job = ScheduledJob("timed", timed.version, "e", timer.event, 0.0, "waiting", 3)
    result = asyncio.run(ours.fire(job))
    assert (result.success, result.target_state) == (True, "done")
    assert not result.metadata.get("no_op")
