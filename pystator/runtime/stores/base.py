"""Stores: what the Orchestrator persists per entity, and the protocols stores implement.

A stored entity carries a version; writes are compare-and-set on it, so replicas sharing a
store never lose or double-apply an event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """One entity as stored: state, context, history, parallel configuration, version."""

    entity_id: str
    state: str
    context: Mapping[str, Any] = field(default_factory=dict)
    version: int = 0
    machine_name: str = ""
    history: Mapping[str, str] = field(default_factory=dict)
    parallel: str | None = None


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
        self, record: EntityRecord, expected_version: int, entry: HistoryEntry | None = None
    ) -> int:
        """Write `record` if the stored version is still `expected_version` (0: absent);
        returns the new version, or raises StaleVersionError."""
        ...

    def history(self, entity_id: str) -> list[HistoryEntry]: ...

    def remember(self, key: str, outcome: Mapping[str, Any]) -> None: ...

    def recall(self, key: str) -> Mapping[str, Any] | None: ...
