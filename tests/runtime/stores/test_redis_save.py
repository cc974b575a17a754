"""The Redis store sends its save script on a pooled connection itself: a server that lost
its scripts gets it again, and pools of every supported redis-py version serve it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from pystator import RedisStateStore
from pystator.runtime.stores import EntityRecord
from pystator.runtime.stores.redis import _taker
from tests.conftest import REDIS_URL, require_redis


@pytest.fixture
def redis_store() -> Iterator[RedisStateStore]:
    require_redis()
    store = RedisStateStore(REDIS_URL, key_prefix=f"pystator_test_{uuid.uuid4().hex[:10]}")
    store.connect()
    yield store
    store.truncate()
    store.close()


def test_a_server_that_lost_its_scripts_is_sent_the_save_again(
    redis_store: RedisStateStore,
) -> None:
    stored = redis_store.commit(EntityRecord("e", "A", machine_name="m"), 0)
    redis_store.client.script_flush()
    stored = redis_store.commit(EntityRecord("e", "B", machine_name="m"), stored)
    assert redis_store.load("e", machine_name="m") == stored


def test_the_connection_goes_back_to_the_pool(redis_store: RedisStateStore) -> None:
    stored = redis_store.commit(EntityRecord("e", "A", machine_name="m"), 0)
    for state in "BABA":
        stored = redis_store.commit(EntityRecord("e", state, machine_name="m"), stored)
    pool = redis_store.client.connection_pool
    assert len(pool._in_use_connections) == 0


class _OldPool:
    """A pool of redis-py before 5.3, whose get_connection must name the command."""

    def __init__(self) -> None:
        self.named: list[str] = []

    def get_connection(self, command_name: str, *keys: Any, **options: Any) -> str:
        self.named.append(command_name)
        return "connection"


class _NewPool:
    def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> Any:
        return command_name


def test_a_pool_that_needs_the_command_named_is_told_it() -> None:
    pool = _OldPool()
    assert _taker(pool)() == "connection"
    assert pool.named == ["EVALSHA"]


def test_a_pool_that_deprecates_naming_the_command_is_not_told_it() -> None:
    pool = _NewPool()
    assert _taker(pool)() is None


def _flip() -> Any:
    from pystator import StateMachine

    return StateMachine.from_dict(
        {
            "meta": {"machine_name": "m"},
            "states": [{"name": "A", "type": "initial"}, {"name": "B"}],
            "transitions": [
                {"trigger": "flip", "source": "A", "dest": "B"},
                {"trigger": "flip", "source": "B", "dest": "A"},
            ],
        }
    )


def test_awaited_reads_and_saves_run_on_the_event_loop(
    redis_store: RedisStateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pystator import Orchestrator

    def in_a_thread(*args: Any) -> Any:
        raise AssertionError("a blocking store call ran for an awaited one")

    monkeypatch.setattr(redis_store, "_save", in_a_thread)
    monkeypatch.setattr(redis_store, "_fetch", in_a_thread)
    orchestrator = Orchestrator(_flip(), redis_store, cache_size=0)

    async def run() -> list[str | None]:
        await orchestrator.async_create_entity("e")
        results = [await orchestrator.async_process_event("e", "flip") for _ in range(2)]
        return [result.target_state for result in results]

    assert asyncio.run(run()) == ["B", "A"]


def test_awaited_keyed_events_read_on_the_event_loop(
    redis_store: RedisStateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pystator import Orchestrator

    def in_a_thread(*args: Any) -> Any:
        raise AssertionError("a blocking store call ran for an awaited one")

    orchestrator = Orchestrator(_flip(), redis_store, cache_size=0)
    orchestrator.create_entity("e")
    for blocking in ("_save", "_fetch", "_fetch_event", "_recall"):
        monkeypatch.setattr(redis_store, blocking, in_a_thread)

    async def run() -> list[str | None]:
        results = [
            await orchestrator.async_process_event("e", "flip", idempotency_key=key)
            for key in ("k1", "k2", "k1")
        ]
        return [result.target_state for result in results]

    # The third event is k1 again: its stored outcome is replayed, nothing written.
    assert asyncio.run(run()) == ["B", "A", "B"]
    monkeypatch.undo()
    stored = redis_store.load("e", machine_name="m")
    assert stored is not None and (stored.state, stored.version) == ("A", 3)


def test_an_awaited_keyed_read_finds_the_entity_and_its_outcome(
    redis_store: RedisStateStore,
) -> None:
    stored = redis_store.commit(
        EntityRecord("e", "A", machine_name="m"), 0, outcome=("k1", {"state": "A"})
    )

    async def read(key: str) -> Any:
        return await redis_store.aload_event("e", key, machine_name="m")

    assert asyncio.run(read("k1")) == (stored, {"state": "A"})
    assert asyncio.run(read("k2")) == (stored, None)
    assert asyncio.run(redis_store.aload_event("other", "k1", machine_name="m")) == (None, None)


def test_each_event_loop_gets_its_own_client(redis_store: RedisStateStore) -> None:
    async def save(state: str, expected: Any) -> EntityRecord:
        return await redis_store.acommit(EntityRecord("e", state, machine_name="m"), expected)

    first = asyncio.run(save("A", 0))
    second = asyncio.run(save("B", first))
    assert asyncio.run(redis_store.aload("e", machine_name="m")) == second


def test_an_awaited_save_is_sent_again_to_a_server_that_lost_its_scripts(
    redis_store: RedisStateStore,
) -> None:
    async def run() -> EntityRecord:
        stored = await redis_store.acommit(EntityRecord("e", "A", machine_name="m"), 0)
        redis_store.client.script_flush()
        return await redis_store.acommit(EntityRecord("e", "B", machine_name="m"), stored)

    stored = asyncio.run(run())
    assert redis_store.load("e", machine_name="m") == stored
