"""Stores for tests: SQLite in a temporary file, PostgreSQL and Redis on real servers (each
in a schema or key prefix of its own), and the in-memory store. With
PYSTATOR_REQUIRE_SERVICES=1 an unreachable server fails the run; otherwise its tests skip
with a reason naming the server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PG_URL, REDIS_URL, require_postgres, require_redis, unavailable

__all__ = ["PG_URL", "REDIS_URL", "open_store", "unavailable"]

STORE_KINDS = ["memory", "sqlite", "postgres", "redis"]

#: Stores `open_store` connected during the running test, closed when it ends.
_OPENED: list[Any] = []


def open_store(spec: tuple[str, str, str]) -> Any:
    """A connected store from a picklable (kind, url, namespace) spec, closed after the
    test that opened it."""
    from pystator import PostgresStateStore, RedisStateStore, SQLiteStateStore

    kind, url, namespace = spec
    store: Any
    if kind == "sqlite":
        store = SQLiteStateStore(url)
    elif kind == "postgres":
        store = PostgresStateStore(url, schema=namespace, pool_size=2)
    else:
        store = RedisStateStore(url, key_prefix=namespace)
    _OPENED.append(store)
    return store.connect()


@pytest.fixture(autouse=True)
def _close_opened_stores() -> Iterator[None]:
    # A store left open keeps its pool's threads and server sessions for the whole run.
    # Tests import `open_store` from this file as a module of the tests package, which is
    # not the module pytest loaded this fixture from: close what that module opened.
    from tests.runtime.stores import conftest as imported

    yield
    while imported._OPENED:
        imported._OPENED.pop().close()


@pytest.fixture(params=["sqlite", "postgres", "redis"])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    namespace = f"pystator_test_{uuid.uuid4().hex[:10]}"
    kind = request.param
    if kind == "sqlite":
        yield ("sqlite", f"sqlite:///{tmp_path / 'store.db'}", namespace)
        return
    if kind == "postgres":
        require_postgres()
        spec = ("postgres", PG_URL, namespace)
        yield spec
        store = open_store(spec)
        store.drop()
        store.close()
        return
    require_redis()
    spec = ("redis", REDIS_URL, namespace)
    yield spec
    store = open_store(spec)
    store.truncate()
    store.close()


@pytest.fixture(params=STORE_KINDS)
def any_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A connected store of every kind, the in-memory one included."""
    from pystator import InMemoryStateStore

    kind = request.param
    if kind == "memory":
        yield InMemoryStateStore()
        return
    namespace = f"pystator_test_{uuid.uuid4().hex[:10]}"
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.db'}"
        store = open_store(("sqlite", url, namespace))
    elif kind == "postgres":
        require_postgres()
        store = open_store(("postgres", PG_URL, namespace))
    else:
        require_redis()
        store = open_store(("redis", REDIS_URL, namespace))
    yield store
    if kind == "postgres":
        store.drop()
    elif kind == "redis":
        store.truncate()
    store.close()
