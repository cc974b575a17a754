"""Lost connections on the real PostgreSQL and Redis: sessions the server ended are replaced,
an operation is sent again only when that cannot apply it twice, and every driver error
leaves a store or the Orchestrator as StoreError (StoreUnavailableError for outages)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from pystator import (
    FSMError,
    InMemoryStateStore,
    Orchestrator,
    PostgresStateStore,
    RedisStateStore,
    StateMachine,
    StoreError,
    StoreUnavailableError,
)
from pystator.runtime.stores import EntityRecord, HistoryEntry
from tests.conftest import PG_URL, REDIS_URL, require_postgres, require_redis
from tests.outages import application_name, closed_port, end_session, named_url, terminate

#: `go` applies twice in a row (A -> B -> C), so a doubled event shows in the state.
STEPS: dict[str, Any] = {
    "meta": {"machine_name": "steps"},
    "states": [
        {"name": "A", "type": "initial"},
        {"name": "B"},
        {"name": "C"},
        {"name": "ERROR"},
    ],
    "transitions": [
        {"trigger": "go", "source": "A", "dest": "B"},
        {"trigger": "go", "source": "B", "dest": "C"},
    ],
    "error_policy": {"default_fallback": "ERROR", "retry_attempts": 2},
}

PASSWORD = "s3cret-pw"


def steps() -> StateMachine[Any, Any, Any]:
    return StateMachine.from_dict(STEPS)


def schema() -> str:
    return f"pystator_test_{uuid.uuid4().hex[:10]}"


class EndsSessions(PostgresStateStore):
    """A store whose next `doomed` connections lose their server session after checkout,
    before the operation uses them; `lose_answer` instead ends the session right after the
    next write to entity_states committed, so its answer never arrives."""

    doomed = 0
    lose_answer = False
    checkouts = 0

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        with super()._connection() as connection:
            self.checkouts += 1
            if self.doomed:
                self.doomed -= 1
                end_session(connection.info.backend_pid)
            yield _AnswerLosing(self, connection) if self.lose_answer else connection


class _AnswerLosing:
    """The connection, except that its next write to entity_states commits and then loses
    its session, through psycopg's `execute` or libpq's `exec_prepared` alike."""

    def __init__(self, store: EndsSessions, connection: Any) -> None:
        self._store = store
        self._connection = connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def execute(self, sql: str, params: Any = None) -> Any:
        result = self._connection.execute(sql, params)
        if "entity_states" in sql and not sql.lstrip().upper().startswith("SELECT"):
            self._lose()
            self._connection.execute("SELECT 1")  # raises: the session is gone
        return result

    @property
    def pgconn(self) -> Any:
        return _AnswerLosingPGconn(self)

    def _lose(self) -> None:
        self._store.lose_answer = False
        end_session(self._connection.info.backend_pid)


class _AnswerLosingPGconn:
    def __init__(self, owner: _AnswerLosing) -> None:
        self._owner = owner
        self._pgconn = owner._connection.pgconn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pgconn, name)

    def exec_prepared(self, name: bytes, arguments: Any) -> Any:
        self._pgconn.exec_prepared(name, arguments)
        self._owner._lose()
        return self._pgconn.exec_(b"SELECT 1")  # fails: the session is gone


@pytest.fixture
def pg_store() -> Iterator[EndsSessions]:
    require_postgres()
    store = EndsSessions(named_url(application_name()), schema=schema(), pool_size=2)
    store.connect()
    yield store
    store.drop()
    store.close()


def app_name(store: PostgresStateStore) -> str:
    return store.url.rpartition("application_name=")[2]


def test_operations_after_the_server_ended_every_pooled_session_succeed(
    pg_store: EndsSessions,
) -> None:
    orchestrator = Orchestrator(steps(), pg_store)
    orchestrator.create_entity("e-1")
    assert terminate(app_name(pg_store)) >= 1
    assert orchestrator.process_event("e-1", "go", idempotency_key="k1").target_state == "B"
    assert terminate(app_name(pg_store)) >= 1
    for _ in range(7):
        assert pg_store.load("e-1", machine_name="steps") is not None
    assert [entry.trigger for entry in pg_store.history("e-1", machine_name="steps")] == [
        "_create",
        "go",
    ]


def test_a_read_whose_session_ends_after_checkout_runs_once_more(pg_store: EndsSessions) -> None:
    Orchestrator(steps(), pg_store).create_entity("e-1")
    pg_store.checkouts, pg_store.doomed = 0, 1
    record = pg_store.load("e-1", machine_name="steps")
    assert record is not None and record.state == "A"
    assert pg_store.checkouts == 2


def test_a_write_without_idempotency_key_is_not_sent_again_after_its_session_ended(
    pg_store: EndsSessions,
) -> None:
    import psycopg

    created = Orchestrator(steps(), pg_store).create_entity("e-1")
    pg_store.checkouts, pg_store.doomed = 0, 1
    with pytest.raises(StoreUnavailableError) as caught:
        pg_store.save(EntityRecord("e-1", "B", machine_name="steps"), created.version)
    assert caught.value.maybe_committed is True
    assert isinstance(caught.value.__cause__, psycopg.OperationalError)
    assert pg_store.checkouts == 1
    record = pg_store.load("e-1", machine_name="steps")
    assert record is not None and record.state == "A"


def test_a_write_with_idempotency_key_is_sent_again_after_its_session_ended(
    pg_store: EndsSessions,
) -> None:
    created = Orchestrator(steps(), pg_store).create_entity("e-1")
    pg_store.checkouts, pg_store.doomed = 0, 1
    outcome = ("k1", {"success": True})
    version = pg_store.save(
        EntityRecord("e-1", "B", machine_name="steps"), created.version, outcome=outcome
    )
    assert version == created.version + 1
    assert pg_store.checkouts == 2
    assert pg_store.recall("steps", "e-1", "k1") == {"success": True}


def test_an_event_whose_commit_answer_was_lost_is_applied_once_with_its_key(
    pg_store: EndsSessions,
) -> None:
    orchestrator = Orchestrator(steps(), pg_store)
    orchestrator.create_entity("e-1")
    pg_store.lose_answer = True
    result = orchestrator.process_event("e-1", "go", idempotency_key="k1")
    assert result.target_state == "B" and result.metadata.get("replayed") is True
    assert pg_store.get_state("e-1", machine_name="steps") == "B"
    assert [entry.trigger for entry in pg_store.history("e-1", machine_name="steps")] == [
        "_create",
        "go",
    ]


def test_an_event_whose_commit_answer_was_lost_without_key_is_reported_not_repeated(
    pg_store: EndsSessions,
) -> None:
    orchestrator = Orchestrator(steps(), pg_store)
    orchestrator.create_entity("e-1")
    pg_store.lose_answer = True
    with pytest.raises(StoreUnavailableError) as caught:
        orchestrator.process_event("e-1", "go")
    assert caught.value.maybe_committed is True
    assert "idempotency key" in str(caught.value)
    assert pg_store.get_state("e-1", machine_name="steps") == "B"


def test_a_postgres_store_on_a_closed_port_is_unavailable_without_driver_text() -> None:
    import psycopg

    with closed_port() as port:
        store = PostgresStateStore(
            f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/test", timeout=0.5
        )
        with pytest.raises(StoreUnavailableError) as caught:
            store.connect()
    assert isinstance(caught.value, FSMError)
    assert isinstance(caught.value.__cause__, psycopg.OperationalError)
    for secret in (PASSWORD, str(port), "127.0.0.1", "postgresql://"):
        assert secret not in str(caught.value)


def test_a_missing_table_is_a_store_error_not_an_outage() -> None:
    require_postgres()
    import psycopg

    store = PostgresStateStore(PG_URL, schema=schema(), pool_size=1)
    store.connect(auto_initialize=False)
    try:
        with pytest.raises(StoreError) as caught:
            store.load("e-1", machine_name="steps")
    finally:
        store.close()
    assert not isinstance(caught.value, StoreUnavailableError)
    assert isinstance(caught.value.__cause__, psycopg.errors.UndefinedTable)
    assert "entity_states" not in str(caught.value)


def test_a_redis_store_on_a_closed_port_is_unavailable_without_driver_text() -> None:
    from redis import exceptions

    with closed_port() as port:
        store = RedisStateStore(f"redis://:{PASSWORD}@127.0.0.1:{port}/0")
        with pytest.raises(StoreUnavailableError) as caught:
            store.connect()
        with pytest.raises(StoreUnavailableError):
            store.load("e-1", machine_name="steps")
        with pytest.raises(StoreUnavailableError):
            store.save(EntityRecord("e-1", "A", machine_name="steps"), 0)
    assert isinstance(caught.value.__cause__, exceptions.ConnectionError)
    for secret in (PASSWORD, str(port), "127.0.0.1", "redis://"):
        assert secret not in str(caught.value)


def test_redis_operations_after_the_server_closed_the_stores_connections_succeed() -> None:
    require_redis()
    import redis

    name = application_name()
    prefix = f"pystator_test_{uuid.uuid4().hex[:10]}"
    store = RedisStateStore(f"{REDIS_URL}?client_name={name}", key_prefix=prefix).connect()
    try:
        orchestrator = Orchestrator(steps(), store)
        orchestrator.create_entity("e-1")
        admin = redis.Redis.from_url(REDIS_URL)
        killed = [c["id"] for c in admin.client_list() if c.get("name") == name]
        assert killed
        for client_id in killed:
            admin.client_kill_filter(_id=client_id)
        admin.close()
        assert orchestrator.process_event("e-1", "go", idempotency_key="k1").target_state == "B"
        assert store.get_state("e-1", machine_name="steps") == "B"
    finally:
        store.truncate()
        store.close()


@contextmanager
def unreachable(kind: str) -> Iterator[Any]:
    with closed_port() as port:
        if kind == "postgres":
            yield PostgresStateStore(f"postgresql://postgres@127.0.0.1:{port}/test", timeout=0.5)
        else:
            yield RedisStateStore(f"redis://127.0.0.1:{port}/0")


@pytest.mark.parametrize("kind", ["postgres", "redis"])
def test_process_event_on_an_unreachable_store_raises_store_unavailable(kind: str) -> None:
    with unreachable(kind) as store, pytest.raises(StoreUnavailableError):
        Orchestrator(steps(), store).process_event("e-1", "go")


@pytest.mark.parametrize("kind", ["postgres", "redis"])
def test_async_process_event_on_an_unreachable_store_raises_store_unavailable(kind: str) -> None:
    with unreachable(kind) as store, pytest.raises(StoreUnavailableError):
        asyncio.run(Orchestrator(steps(), store).async_process_event("e-1", "go"))


def test_a_driver_error_of_a_custom_store_is_raised_as_store_error_without_fallback() -> None:
    import psycopg

    class Failing(InMemoryStateStore):
        saves = 0

        def save(
            self,
            record: EntityRecord,
            expected_version: int,
            entry: HistoryEntry | None = None,
            outcome: Any = None,
        ) -> int:
            self.saves += 1
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    store = Failing()
    with pytest.raises(StoreUnavailableError) as caught:
        Orchestrator(steps(), store).process_event("e-1", "go")
    assert isinstance(caught.value.__cause__, psycopg.OperationalError)
    assert store.saves == 1  # neither the error policy's retries nor its fallback write
    assert store.load("e-1", machine_name="steps") is None


def test_an_event_without_key_after_the_server_ended_every_pooled_session_succeeds(
    pg_store: EndsSessions,
) -> None:
    orchestrator = Orchestrator(steps(), pg_store)
    orchestrator.create_entity("e-1")
    assert terminate(app_name(pg_store)) >= 1
    # A save without a key is never sent twice: the pool must hand out a live connection.
    assert orchestrator.process_event("e-1", "go").target_state == "B"
    assert pg_store.load("e-1", machine_name="steps").state == "B"


def test_a_pooled_connection_is_checked_with_a_query_only_if_its_socket_has_input(
    pg_store: EndsSessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    from psycopg_pool import ConnectionPool

    checked: list[object] = []
    check = ConnectionPool.check_connection
    monkeypatch.setattr(
        ConnectionPool, "check_connection", lambda conn: (checked.append(conn), check(conn))
    )
    pg_store.load("e-1", machine_name="steps")
    pg_store.load("e-1", machine_name="steps")
    assert checked == []
    assert terminate(app_name(pg_store)) >= 1
    assert pg_store.load("e-1", machine_name="steps") is None
    assert len(checked) >= 1
