"""Stores: what the Orchestrator persists per entity, and the protocols stores implement.

A stored entity carries a version; writes are compare-and-set on it, so replicas sharing a
store never lose or double-apply an event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """One entity as stored: state, context, history, parallel configuration, version.

    `machine_version` and `fingerprint` name the machine that wrote it, so an entity whose
    state a later machine no longer defines is reported with both versions; `timers` says
    which entry of each timed state the pending timers belong to.
    """

    entity_id: str
    state: str
    context: Mapping[str, Any] = field(default_factory=dict)
    version: int = 0
    machine_name: str = ""
    history: Mapping[str, str] = field(default_factory=dict)
    parallel: str | None = None
    machine_version: str = ""
    fingerprint: str = ""
    #: For each active state with timers, the entity version written when it was entered:
    #: a timer fires only for the entry that armed it.
    timers: Mapping[str, int] = field(default_factory=dict)


#: An idempotency key and the outcome to store with it, written with the entity or not at all.
Outcome = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One processed event, appended with every committed write."""

    entity_id: str
    source_state: str
    target_state: str | None
    trigger: str
    success: bool
    error: str | None
    actions: tuple[str, ...]
    timestamp: str
    duration_ms: float


@runtime_checkable
class StateStore(Protocol):
    """The minimal store of the PyStator documents."""

    def get_state(self, entity_id: str) -> str | None: ...

    def set_state(
        self, entity_id: str, state: str, *, metadata: dict[str, Any] | None = None
    ) -> None: ...

    def get_context(self, entity_id: str) -> dict[str, Any]: ...


@runtime_checkable
class AsyncStateStore(Protocol):
    async def aget_state(self, entity_id: str) -> str | None: ...

    async def aset_state(
        self, entity_id: str, state: str, *, metadata: dict[str, Any] | None = None
    ) -> None: ...

    async def aget_context(self, entity_id: str) -> dict[str, Any]: ...


@runtime_checkable
class VersionedStateStore(Protocol):
    """What the Orchestrator needs to be safe with many replicas."""

    def load(self, entity_id: str) -> EntityRecord | None: ...

    def save(
        self,
        record: EntityRecord,
        expected_version: int,
        entry: HistoryEntry | None = None,
        outcome: Outcome | None = None,
    ) -> int:
        """Write `record` if the stored version is still `expected_version` (0: absent);
        returns the new version, or raises StaleVersionError. With `outcome`, the
        idempotency key is stored in the same atomic write, and a key already stored
        raises DuplicateEventError instead of writing."""
        ...

    def history(self, entity_id: str) -> list[HistoryEntry]: ...

    def remember(self, key: str, outcome: Mapping[str, Any]) -> None: ...

    def recall(self, key: str) -> Mapping[str, Any] | None: ...


class RecordStore:
    """The documents' protocol and the async entry points, in terms of `load` and `save`.

    Durable stores inherit this and implement the versioned operations only.
    """

    def load(self, entity_id: str) -> EntityRecord | None:
        raise NotImplementedError

    def save(
        self,
        record: EntityRecord,
        expected_version: int,
        entry: HistoryEntry | None = None,
        outcome: Outcome | None = None,
    ) -> int:
        raise NotImplementedError

    def history(self, entity_id: str) -> list[HistoryEntry]:
        raise NotImplementedError

    def get_state(self, entity_id: str) -> str | None:
        record = self.load(entity_id)
        return record.state if record else None

    def set_state(
        self, entity_id: str, state: str, *, metadata: dict[str, Any] | None = None
    ) -> None:
        """Write `state` (and `metadata["context"]`, `metadata["machine_name"]` if given)."""
        current = self.load(entity_id)
        given = metadata or {}
        context = given.get("context")
        record = EntityRecord(
            entity_id,
            state,
            context if context is not None else (current.context if current else {}),
            current.version if current else 0,
            given.get("machine_name", current.machine_name if current else ""),
            current.history if current else {},
            current.parallel if current else None,
        )
        self.save(record, record.version)

    def get_context(self, entity_id: str) -> dict[str, Any]:
        record = self.load(entity_id)
        return dict(record.context) if record else {}

    # Async entry points run the same operations off the event loop, version check included.

    async def aget_state(self, entity_id: str) -> str | None:
        return await asyncio.to_thread(self.get_state, entity_id)

    async def aset_state(
        self, entity_id: str, state: str, *, metadata: dict[str, Any] | None = None
    ) -> None:
        await asyncio.to_thread(self.set_state, entity_id, state, metadata=metadata)

    async def aget_context(self, entity_id: str) -> dict[str, Any]:
        return await asyncio.to_thread(self.get_context, entity_id)

    async def aload(self, entity_id: str) -> EntityRecord | None:
        return await asyncio.to_thread(self.load, entity_id)

    async def asave(
        self,
        record: EntityRecord,
        expected_version: int,
        entry: HistoryEntry | None = None,
        outcome: Outcome | None = None,
    ) -> int:
        return await asyncio.to_thread(self.save, record, expected_version, entry, outcome)

    async def ahistory(self, entity_id: str) -> list[HistoryEntry]:
        return await asyncio.to_thread(self.history, entity_id)
