"""Every durable store (SQLite, PostgreSQL, Redis) behaves the same under the Orchestrator."""

from __future__ import annotations

import multiprocessing
import os
import random
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pystator import (
    ActionRegistry,
    FSMError,
    InMemoryStateStore,
    Orchestrator,
    StaleVersionError,
    StateMachine,
    StoreError,
)
from pystator.runtime.errors import DuplicateEventError
from pystator.runtime.stores import EntityRecord, HistoryEntry
from tests.conftest import EXAMPLES
from tests.runtime.stores.conftest import open_store

Spec = tuple[str, str, str]

FLIP: dict[str, Any] = {
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


def test_versions_are_compared_and_set(store_spec: Spec) -> None:
    store = open_store(store_spec)
    assert store.save(EntityRecord("e", "A", {"x": 1}), 0) == 1
    with pytest.raises(StaleVersionError):
        store.save(EntityRecord("e", "B"), 0)
    with pytest.raises(StaleVersionError):
        store.save(EntityRecord("e", "B"), 5)
    assert store.save(EntityRecord("e", "B"), 1) == 2
    assert store.load("e") == EntityRecord("e", "B", {}, 2)


def _row(source: str, target: str) -> HistoryEntry:
    return HistoryEntry("e", source, target, "flip", True, None, (), "2026-12-01T00:00:00", 0.1)


def _outcome(target: str) -> dict[str, Any]:
    return {"success": True, "source_state": "A", "target_state": target, "trigger": "flip"}


def test_a_stale_write_stores_neither_its_history_row_nor_its_outcome(store_spec: Spec) -> None:
    store = open_store(store_spec)
    store.save(EntityRecord("e", "B", machine_name="flip"), 0, _row("A", "B"))
    with pytest.raises(StaleVersionError):
        store.save(EntityRecord("e", "C", machine_name="flip"), 7, _row("B", "C"), ("k", {}))
    with pytest.raises(StaleVersionError):
        store.save(EntityRecord("e", "C", machine_name="flip"), 0, _row("B", "C"), ("k", {}))
    assert store.load("e") == EntityRecord("e", "B", {}, 1, "flip")
    assert [row.target_state for row in store.history("e")] == ["B"]
    assert store.recall("flip", "e", "k") is None
    store.close()


def test_a_write_under_a_stored_key_leaves_entity_and_history_as_they_were(
    store_spec: Spec,
) -> None:
    store = open_store(store_spec)
    store.save(EntityRecord("e", "B", machine_name="flip"), 0, _row("A", "B"), ("k", _outcome("B")))
    with pytest.raises(DuplicateEventError):
        store.save(EntityRecord("e", "A", machine_name="flip"), 1, _row("B", "A"), ("k", {}))
    assert store.load("e") == EntityRecord("e", "B", {}, 1, "flip")
    assert [row.target_state for row in store.history("e")] == ["B"]
    assert store.recall("flip", "e", "k") == _outcome("B")
    store.close()


def test_a_write_that_is_both_stale_and_keyed_again_is_stale(store_spec: Spec) -> None:
    store = open_store(store_spec)
    store.save(EntityRecord("e", "B", machine_name="flip"), 0, _row("A", "B"), ("k", _outcome("B")))
    with pytest.raises(StaleVersionError):
        store.save(EntityRecord("e", "A", machine_name="flip"), 5, _row("B", "A"), ("k", {}))
    store.close()


def _refuse_history_rows(store: Any, kind: str) -> None:
    """Make the next history row fail to be written, whatever the store."""
    if kind == "sqlite":
        with store.transaction() as db:
            db.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON transition_history "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
    elif kind == "postgres":
        with store.transaction() as db:
            db.execute(
                f"CREATE FUNCTION {store.schema}.refuse() RETURNS trigger LANGUAGE plpgsql "
                "AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$"
            )
            db.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {store.schema}.transition_history "
                f"FOR EACH ROW EXECUTE FUNCTION {store.schema}.refuse()"
            )
    else:
        store.client.set(store._history_key("flip", "e"), "not a list")


def test_a_history_row_that_cannot_be_written_leaves_the_entity_as_it_was(
    store_spec: Spec,
) -> None:
    store = open_store(store_spec)
    store.save(EntityRecord("e", "B", machine_name="flip"), 0)
    _refuse_history_rows(store, store_spec[0])
    with pytest.raises((StoreError, sqlite3.Error)):
        store.save(EntityRecord("e", "A", machine_name="flip"), 1, _row("B", "A"), ("k", {}))
    assert store.load("e") == EntityRecord("e", "B", {}, 1, "flip")
    assert store.recall("flip", "e", "k") is None
    store.close()


def test_the_documents_protocol(store_spec: Spec) -> None:
    store = open_store(store_spec)
    assert store.get_state("nobody") is None and store.get_context("nobody") == {}
    store.set_state("order-123", "open", metadata={"context": {"fill_qty": 100, "price": 50.25}})
    assert store.get_state("order-123") == "open"
    assert store.get_context("order-123") == {"fill_qty": 100, "price": 50.25}


def test_history_and_idempotency_survive_a_reconnect(store_spec: Spec) -> None:
    ran: list[str] = []
    actions = ActionRegistry()
    actions.register("count", lambda ctx: ran.append("count"))
    runner = Orchestrator(StateMachine.from_dict(FLIP), open_store(store_spec), actions=actions)
    runner.process_event("e", "flip", idempotency_key="m1")
    again = runner.process_event("e", "flip", idempotency_key="m1")
    assert again.metadata["replayed"] is True and ran == ["count"]
    reopened = open_store(store_spec)
    rows = reopened.history("e")
    assert [(r.source_state, r.target_state, r.trigger, r.actions) for r in rows] == [
        ("A", "B", "flip", ("count", "_effect.increment"))
    ]
    assert rows[0].success and rows[0].duration_ms >= 0


def test_a_context_that_is_not_json_is_refused_and_nothing_written(store_spec: Spec) -> None:
    store = open_store(store_spec)
    with pytest.raises(FSMError, match="JSON"):
        store.save(EntityRecord("e", "A", {"x": object()}), 0)
    assert store.load("e") is None


def test_parallel_configuration_and_history_round_trip(store_spec: Spec) -> None:
    machine = StateMachine.from_yaml(EXAMPLES / "day_trading_fsm.yaml")
    writer, reader = open_store(store_spec), open_store(store_spec)
    runner = Orchestrator(machine, writer)
    runner.process_event("d", "market_open")
    runner.process_event("d", "feed_up")
    record = reader.load("d")
    writer.close()
    reader.close()
    assert record.parallel == "active:trading=scanning,risk_monitor=normal,data_feed=connected"


def _corrupt_context(spec: Spec, entity_id: str) -> None:
    kind, url, namespace = spec
    if kind == "sqlite":
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as raw:
            raw.execute(
                "UPDATE entity_states SET context = '{broken' WHERE entity_id = ?", (entity_id,)
            )
    elif kind == "postgres":
        import psycopg

        with psycopg.connect(url) as raw:
            raw.execute(
                f"UPDATE {namespace}.entity_states SET context = '{{broken' WHERE entity_id = %s",
                (entity_id,),
            )
    else:
        import redis

        # An entity of no machine: the machine part of its key is the empty name, "0:".
        redis.Redis.from_url(url).hset(f"{namespace}:entity:0::{entity_id}", "context", "{broken")


def test_a_corrupt_context_row_is_a_clear_error(store_spec: Spec) -> None:
    store = open_store(store_spec)
    store.set_state("e", "A", metadata={"context": {"ok": True}})
    _corrupt_context(store_spec, "e")
    with pytest.raises(FSMError, match="stored context of entity 'e' is corrupt"):
        store.load("e")


def _worker(spec: Spec, events: list[str], log: str) -> None:
    done: list[str] = []
    actions = ActionRegistry()
    actions.register("count", lambda ctx: done.append(ctx["_entity"]))
    runner = Orchestrator(
        StateMachine.from_dict(FLIP), open_store(spec), actions=actions, retry_base_delay=0.001
    )
    for entity in events:
        runner.process_event(entity, "flip", {"_entity": entity})
    Path(log).write_text("\n".join(done), encoding="utf-8")


def test_eight_processes_lose_and_double_nothing(store_spec: Spec, tmp_path: Path) -> None:
    open_store(store_spec)
    rng = random.Random(5)
    entities = [f"e{i}" for i in range(50)]
    events = [rng.choice(entities) for _ in range(2000)]
    logs = [str(tmp_path / f"actions-{i}.log") for i in range(8)]
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_worker, args=(store_spec, events[i::8], logs[i])) for i in range(8)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=600)
        assert process.exitcode == 0
    store = open_store(store_spec)
    serial = InMemoryStateStore()
    replay = Orchestrator(StateMachine.from_dict(FLIP), serial)
    for entity in events:
        replay.process_event(entity, "flip", {"_entity": entity})
    ran = Counter(line for log in logs for line in Path(log).read_text().splitlines())
    for entity, count in Counter(events).items():
        record, twin = store.load(entity), serial.load(entity)
        assert (record.state, record.version, record.context["n"]) == (
            twin.state,
            twin.version,
            twin.context["n"],
        )
        assert len(store.history(entity)) == count
        assert ran[entity] == count


def _crash_after_commit(spec: Spec) -> None:
    actions = ActionRegistry()
    actions.register("count", lambda ctx: os._exit(3))  # dies between commit and act
    Orchestrator(StateMachine.from_dict(FLIP), open_store(spec), actions=actions).process_event(
        "c", "flip"
    )


def test_a_process_killed_between_commit_and_act_leaves_a_usable_entity(
    store_spec: Spec,
) -> None:
    open_store(store_spec)
    process = multiprocessing.get_context("spawn").Process(
        target=_crash_after_commit, args=(store_spec,)
    )
    process.start()
    process.join(timeout=120)
    assert process.exitcode == 3
    store = open_store(store_spec)
    assert store.get_state("c") == "B" and len(store.history("c")) == 1
    result = Orchestrator(StateMachine.from_dict(FLIP), store).process_event("c", "flip")
    assert result.target_state == "A" and store.load("c").version == 2


@pytest.mark.parametrize(("module", "extra"), [("redis", "redis"), ("psycopg_pool", "postgres")])
def test_a_missing_driver_names_the_extra(
    module: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pystator import PostgresStateStore, RedisStateStore

    monkeypatch.setitem(__import__("sys").modules, module, None)
    store = RedisStateStore() if module == "redis" else PostgresStateStore("postgresql://x/y")
    with pytest.raises(FSMError, match=rf'pip install "\.\[{extra}\]"; from a wheelhouse'):
        store.connect()


def test_async_entry_points_keep_the_version_check(store_spec: Spec) -> None:
    import asyncio

    store = open_store(store_spec)
    runner = Orchestrator(StateMachine.from_dict(FLIP), store)

    async def scenario() -> None:
        result = await runner.async_process_event("a", "flip")
        assert result.target_state == "B"
        assert await store.aget_state("a") == "B"
        with pytest.raises(StaleVersionError):
            await store.asave(EntityRecord("a", "A", machine_name="flip"), 0)
        assert len(await store.ahistory("a")) == 1

    asyncio.run(scenario())
