"""State stores: where the Orchestrator keeps entities between events.

The in-memory store is always available; durable stores load on first use, beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pystator._lazy import lazy_exports

if TYPE_CHECKING:
    from pystator.runtime.stores.base import AsyncStateStore as AsyncStateStore
    from pystator.runtime.stores.base import AsyncVersionedStateStore as AsyncVersionedStateStore
    from pystator.runtime.stores.base import EntityRecord as EntityRecord
    from pystator.runtime.stores.base import EventReadingStore as EventReadingStore
    from pystator.runtime.stores.base import HistoryEntry as HistoryEntry
    from pystator.runtime.stores.base import StateStore as StateStore
    from pystator.runtime.stores.base import VersionedStateStore as VersionedStateStore
    from pystator.runtime.stores.memory import InMemoryStateStore as InMemoryStateStore
    from pystator.runtime.stores.postgres import PostgresStateStore as PostgresStateStore
    from pystator.runtime.stores.redis import RedisStateStore as RedisStateStore
    from pystator.runtime.stores.sqlite import SQLiteStateStore as SQLiteStateStore

# Must name exactly what the block above imports; tests/test_lazy.py holds them together.
_SOURCES: dict[str, tuple[str, ...]] = {
    "pystator.runtime.stores.base": (
        "AsyncStateStore",
        "AsyncVersionedStateStore",
        "EntityRecord",
        "EventReadingStore",
        "HistoryEntry",
        "StateStore",
        "VersionedStateStore",
    ),
    "pystator.runtime.stores.memory": ("InMemoryStateStore",),
    "pystator.runtime.stores.postgres": ("PostgresStateStore",),
    "pystator.runtime.stores.redis": ("RedisStateStore",),
    "pystator.runtime.stores.sqlite": ("SQLiteStateStore",),
}

if not TYPE_CHECKING:  # type checkers read the imports above and see no fallback lookup
    __getattr__, __dir__, __all__ = lazy_exports(__name__, _SOURCES)
