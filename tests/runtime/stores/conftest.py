"""Durable stores for tests: SQLite in a temporary file, and PostgreSQL and Redis on real
servers. With PYSTATOR_REQUIRE_SERVICES=1 an unreachable server fails the run; otherwise
its tests skip with a reason naming the server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PG_URL = os.environ.get("PYSTATOR_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("PYSTATOR_REDIS_URL", "redis://127.0.0.1:6379/0")


def unavailable(server: str, reason: str) -> None:
    message = f"{server} NOT REACHABLE ({reason}); its store tests did not run"
    if os.environ.get("PYSTATOR_REQUIRE_SERVICES"):
        pytest.fail(message)
    pytest.skip(message)


def open_store(spec: tuple[str, str, str]) -> Any:
    """A connected store from a picklable (kind, url, namespace) spec."""
    from pystator import PostgresStateStore, RedisStateStore, SQLiteStateStore

    kind, url, namespace = spec
    if kind == "sqlite":
        return SQLiteStateStore(url).connect()
    if kind == "postgres":
        return PostgresStateStore(url, schema=namespace, pool_size=2).connect()
    return RedisStateStore(url, key_prefix=namespace).connect()


@pytest.fixture(params=["sqlite", "postgres", "redis"])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    namespace = f"pystator_test_{uuid.uuid4().hex[:10]}"
    kind = request.param
    if kind == "sqlite":
        yield ("sqlite", f"sqlite:///{tmp_path / 'store.db'}", namespace)
        return
    if kind == "postgres":
        try:
            import psycopg

            psycopg.connect(PG_URL, connect_timeout=3).close()
        except Exception as exc:  # any failure to reach the server
            unavailable("PostgreSQL at " + PG_URL, f"{type(exc).__name__}: {exc}")
        spec = ("postgres", PG_URL, namespace)
        yield spec
        store = open_store(spec)
        store.drop()
        store.close()
        return
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # any failure to reach the server
        unavailable("Redis at " + REDIS_URL, f"{type(exc).__name__}: {exc}")
    spec = ("redis", REDIS_URL, namespace)
    yield spec
    store = open_store(spec)
    store.truncate()
    store.close()
