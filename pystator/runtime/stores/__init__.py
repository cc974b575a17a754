"""State stores: where the Orchestrator keeps entities between events.

The in-memory store is always available; durable stores live beside it.
"""

from pystator.runtime.stores.base import (
    AsyncStateStore,
    EntityRecord,
    HistoryEntry,
    StateStore,
    VersionedStateStore,
)
from pystator.runtime.stores.memory import InMemoryStateStore
from pystator.runtime.stores.postgres import PostgresStateStore
from pystator.runtime.stores.redis import RedisStateStore
from pystator.runtime.stores.sqlite import SQLiteStateStore

__all__ = [
    "AsyncStateStore",
    "EntityRecord",
    "HistoryEntry",
    "InMemoryStateStore",
    "PostgresStateStore",
    "RedisStateStore",
    "SQLiteStateStore",
    "StateStore",
    "VersionedStateStore",
]
