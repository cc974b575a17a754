"""The state stores guide's samples, run as written against the real servers (with this
machine's URLs in place of the guide's placeholders)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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


SESSION = {
    "meta": {"machine_name": "trading_session"},
    "states": [{"name": "idle", "type": "initial"}, {"name": "live"}],
    "transitions": [{"trigger": "fill", "source": "idle", "dest": "live"}],
}


def test_multi_machine_sample(
    machine: StateMachine[str, str, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    order_store = SQLiteStateStore("sqlite:///pystator.db")
    order_store.connect()
    session_store = SQLiteStateStore("sqlite:///pystator.db")
    session_store.connect()
    orders = Orchestrator(machine=machine, state_store=order_store)
    sessions = Orchestrator(machine=StateMachine.from_dict(SESSION), state_store=session_store)
    orders.process_event("1", "fill", context={"fill_qty": 100})
    sessions.process_event("1", "fill", context={"user": "ann"})
    assert order_store.get_state("1", machine_name="order_management") == "filled"
    assert session_store.get_state("1", machine_name="trading_session") == "live"
    assert session_store.get_context("1", machine_name="trading_session") == {"user": "ann"}
    assert [entry.trigger for entry in orders.history("1")] == ["fill"]


def test_a_store_scoped_with_machine_name_reads_only_that_machines_entities(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'pystator.db'}"
    order_store = SQLiteStateStore(url, machine_name="orders").connect()
    session_store = SQLiteStateStore(url, machine_name="sessions").connect()
    order_store.set_state("1", "open", metadata={"context": {"qty": 1}})
    assert session_store.get_state("1") is None
    session_store.set_state("1", "live")
    assert (order_store.get_state("1"), session_store.get_state("1")) == ("open", "live")
    assert order_store.get_context("1") == {"qty": 1} and session_store.get_context("1") == {}


def test_without_a_machine_an_id_of_one_machine_is_found_and_a_shared_one_is_ambiguous(
    tmp_path: Path,
) -> None:
    from pystator import AmbiguousEntityError

    store = SQLiteStateStore(f"sqlite:///{tmp_path / 'pystator.db'}").connect()
    store.set_state("1", "open", metadata={"machine_name": "orders"})
    assert store.get_state("1") == "open"
    store.set_state("1", "live", machine_name="sessions")
    with pytest.raises(AmbiguousEntityError, match="'orders', 'sessions'"):
        store.get_state("1")
    assert store.get_state("1", machine_name="orders") == "open"


def _postgres() -> None:
    try:
        import psycopg

        psycopg.connect(PG_URL, connect_timeout=3).close()
    except Exception as exc:  # any failure to reach the server
        unavailable("PostgreSQL at " + PG_URL, str(exc))


def test_postgres_samples(private_pg_url: str) -> None:
    # The samples use the `public` schema, so they run in a database of their own.
    store = PostgresStateStore(private_pg_url)
    store.connect(auto_initialize=True)
    store.close()
    store = PostgresStateStore(private_pg_url)
    store.connect(validate_schema=True, auto_initialize=False)
    store.set_state("guide-pg", "open")
    assert store.get_state("guide-pg") == "open"
    store.close()


def test_postgres_validate_schema_reports_missing_tables() -> None:
    _postgres()
    from pystator import ConfigurationError

    store = PostgresStateStore(PG_URL, schema="pystator_missing_schema")
    with pytest.raises(ConfigurationError, match="pystator db init"):
        store.connect(validate_schema=True, auto_initialize=False)


def test_redis_samples() -> None:
    # The samples use the shared `pystator` prefix, so they run in a database of their own
    # (a connect upgrades keys of earlier versions under its prefix).
    url = urlunsplit(urlsplit(REDIS_URL)._replace(path="/13"))
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=3)
        client.ping()
    except Exception as exc:  # any failure to reach the server
        unavailable("Redis at " + url, str(exc))
    store = RedisStateStore(url)
    store.connect()
    store = RedisStateStore(url, key_prefix="pystator")
    store.connect()
    store.set_state("guide-redis", "open", metadata={"context": {"a": 1}, "machine_name": "orders"})
    # The machine's name is length-prefixed in the key: pystator:entity:{len}:{machine}:{id}.
    fields = {k.decode() for k in client.hkeys("pystator:entity:6:orders:guide-redis")}
    assert {"state", "context", "machine_name"} <= fields
    assert store.get_context("guide-redis", machine_name="orders") == {"a": 1}
    client.delete(
        "pystator:entity:6:orders:guide-redis",
        "pystator:history:6:orders:guide-redis",
        "pystator:machines:guide-redis",
    )


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
