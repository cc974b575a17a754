"""The Redis store sends its save script on a pooled connection itself: a server that lost
its scripts gets it again, and pools of every supported redis-py version serve it."""

from __future__ import annotations

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
    assert _taker(pool)(pool) == "connection"
    assert pool.named == ["EVALSHA"]


def test_a_pool_that_deprecates_naming_the_command_is_not_told_it() -> None:
    pool = _NewPool()
    assert _taker(pool)(pool) is None
