"""The state stores guide's samples, run as written against the real servers (with this
machine's URLs in place of the guide's placeholders)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pystator import (
    ActionRegistry,
    AsyncStateStore,
    GuardRegistry,
    InMemoryStateStore,
    Orchestrator,
    PostgresStateStore,
    RedisStateStore,
    SQLiteStateStore,
    StateMachine,
    StateStore,
)
from tests.runtime.stores.conftest import PG_URL, REDIS_URL, unavailable

MACHINE = {
    "meta": {"machine_name": "order_management"},
    "states": [{"name": "open", "type": "initial"}, {"name": "filled", "type": "terminal"}],
    "transitions": [{"trigger": "fill", "source": "open", "dest": "filled"}],
}


@pytest.fixture
def machine() -> StateMachine[str, str, dict[str, Any]]:
    return StateMachine.from_dict(MACHINE)


def test_in_memory_sample(machine: StateMachine[str, str, dict[str, Any]]) -> None:
    guards, actions = GuardRegistry(), ActionRegistry()
    store = InMemoryStateStore()
    orchestrator = Orchestrator(machine=machine, state_store=store, guards=guards, actions=actions)
    orchestrator.process_event("order-123", "fill")
    assert store.get_state("order-123") == "filled"


def test_context_persistence_sample(
    machine: StateMachine[str, str, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = SQLiteStateStore("sqlite:///pystator.db")
    store.connect()
    orchestrator = Orchestrator(machine=machine, state_store=store)
    orchestrator.process_event("order-123", "fill", context={"fill_qty": 100, "price": 50.25})
    ctx = store.get_context("order-123")
    assert ctx == {"fill_qty": 100, "price": 50.25}


def test_multi_machine_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    order_store = SQLiteStateStore("sqlite:///pystator.db")
    order_store.connect()
    session_store = SQLiteStateStore("sqlite:///pystator.db")
    session_store.connect()
    order_store.set_state("order-1", "open", metadata={"machine_name": "orders"})
    assert session_store.get_state("order-1") == "open"


def _postgres() -> None:
    try:
        import psycopg

        psycopg.connect(PG_URL, connect_timeout=3).close()
    except Exception as exc:  # any failure to reach the server
        unavailable("PostgreSQL at " + PG_URL, str(exc))


def test_postgres_samples() -> None:
    _postgres()
    store = PostgresStateStore(PG_URL)
    store.connect(auto_initialize=True)
    store = PostgresStateStore(PG_URL)
    store.connect(validate_schema=True, auto_initialize=False)
    store.set_state("guide-pg", "open")
    assert store.get_state("guide-pg") == "open"


def test_postgres_validate_schema_reports_missing_tables() -> None:
    _postgres()
    from pystator import ConfigurationError

    store = PostgresStateStore(PG_URL, schema="pystator_missing_schema")
    with pytest.raises(ConfigurationError, match="pystator db init"):
        store.connect(validate_schema=True, auto_initialize=False)


def test_redis_samples() -> None:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.ping()
    except Exception as exc:  # any failure to reach the server
        unavailable("Redis at " + REDIS_URL, str(exc))
    store = RedisStateStore(REDIS_URL)
    store.connect()
    store = RedisStateStore(REDIS_URL, key_prefix="pystator")
    store.connect()
    store.set_state("guide-redis", "open", metadata={"context": {"a": 1}, "machine_name": "orders"})
    fields = {k.decode() for k in client.hkeys("pystator:entity:guide-redis")}
    assert {"state", "context", "machine_name"} <= fields
    client.delete("pystator:entity:guide-redis", "pystator:history:guide-redis")


def test_custom_stores_satisfy_the_protocols() -> None:
    class MyCustomStateStore:
        def get_state(self, entity_id: str) -> str | None: ...

        def set_state(
            self, entity_id: str, state: str, *, metadata: dict[str, Any] | None = None
        ) -> None: ...

        def get_context(self, entity_id: str) -> dict[str, Any]:
            return {}

    class MyAsyncStateStore:
        async def aget_state(self, entity_id: str) -> str | None: ...

        async def aset_state(
            self, entity_id: str, state: str, *, metadata: dict[str, Any] | None = None
        ) -> None: ...

        async def aget_context(self, entity_id: str) -> dict[str, Any]:
            return {}

    assert isinstance(MyCustomStateStore(), StateStore)
    assert isinstance(MyAsyncStateStore(), AsyncStateStore)
    assert isinstance(SQLiteStateStore("sqlite://"), StateStore)
