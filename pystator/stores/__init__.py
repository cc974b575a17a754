"""Public home of the state stores (`from pystator.stores import SQLiteStateStore`).

The implementations live in `pystator.runtime.stores`; each loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pystator._lazy import NOT_PROVIDED, lazy_exports

if TYPE_CHECKING:
    from pystator.runtime.stores import (
        AsyncStateStore,
        EntityRecord,
        HistoryEntry,
        InMemoryStateStore,
        PostgresStateStore,
        RedisStateStore,
        SQLiteStateStore,
        StateStore,
        VersionedStateStore,
    )

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

_SOURCES: dict[str, tuple[str, ...]] = {"pystator.runtime.stores": tuple(__all__)}

if not TYPE_CHECKING:  # type checkers read the imports above and see no fallback lookup
    __getattr__, __dir__ = lazy_exports(__name__, _SOURCES, NOT_PROVIDED)
