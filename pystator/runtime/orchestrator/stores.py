"""The stores an Orchestrator accepts: the versioned protocol, checked at construction, and
an adapter that lets a store of the documents' minimal protocol serve, last writer winning.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pystator.runtime.errors import ConfigurationError
from pystator.runtime.stores.base import (
    AsyncStateStore,
    EntityRecord,
    HistoryEntry,
    RecordStore,
    StateStore,
    VersionedStateStore,
    Write,
)

_VERSIONED = ("load", "save", "history", "recall")
_MINIMAL = ("get_state", "set_state", "get_context")


class LastWriterWinsWarning(UserWarning):
    """A store without versions serves an Orchestrator: concurrent writes can be lost."""


def versioned_store(store: object) -> VersionedStateStore:
    """`store` if it is a VersionedStateStore, a StateStoreAdapter around it if it only
    implements the documents' StateStore or AsyncStateStore; otherwise a TypeError naming
    what it lacks."""
    if isinstance(store, VersionedStateStore):
        return store
    if isinstance(store, StateStore | AsyncStateStore):
        return StateStoreAdapter(store, stacklevel=4)
    # Only to word the error: the protocol check above already refused the store.
    lacking = ", ".join(f"{name}()" for name in _VERSIONED if not hasattr(store, name))
    raise TypeError(
        f"{type(store).__name__} is not a state store: the Orchestrator needs a "
        f"VersionedStateStore ({', '.join(_VERSIONED)}; this one lacks {lacking}), or a "
        f"StateStore ({', '.join(_MINIMAL)}), which it adapts with last-writer-wins writes"
    )


@dataclass
class _Kept:
    """What the documents' protocol cannot store, kept by the adapter for one entity."""

    state: str
    version: int
    machine_name: str
    history: Mapping[str, str] = field(default_factory=dict)
    parallel: str | None = None
    timers: Mapping[str, int] = field(default_factory=dict)
    rows: list[HistoryEntry] = field(default_factory=list)
    outcomes: dict[str, Mapping[str, Any]] = field(default_factory=dict)


class StateStoreAdapter(RecordStore):
    """A VersionedStateStore over a store that implements only `StateStore` (get_state,
    set_state, get_context) or `AsyncStateStore` (their async forms).

    Last writer wins: such a store has no version to compare, so two replicas writing one
    entity at once both succeed and the later write replaces the earlier, where the
    versioned stores refuse the second (StaleVersionError) and retry it from a fresh
    read. State and context go to the wrapped store, through `set_state(entity_id, state,
    metadata={"context": ..., "machine_name": ...})`; the transition history, the
    idempotency records, the history-state record, the parallel regions and the timer
    entries stay in this adapter, in this process only. Use a versioned store when more
    than one process writes the same entities. Constructing one warns
    (LastWriterWinsWarning).
    """

    def __init__(self, store: StateStore | AsyncStateStore, *, stacklevel: int = 2) -> None:
        if not isinstance(store, StateStore | AsyncStateStore):
            raise TypeError(
                f"{type(store).__name__} implements neither StateStore "
                f"({', '.join(_MINIMAL)}) nor AsyncStateStore (their a-prefixed forms)"
            )
        warnings.warn(
            f"{type(store).__name__} has no versions: the Orchestrator writes to it "
            "last-writer-wins instead of compare-and-set, so concurrent writers can lose "
            "events; history and idempotency records stay in this process",
            LastWriterWinsWarning,
            stacklevel=stacklevel,
        )
        self.store = store
        self._lock = threading.Lock()
        self._kept: dict[str, _Kept] = {}

    # -- the primitives, on the wrapped store's state and context --------------------------

    def _fetch(self, entity_id: str, machine_name: str | None) -> list[EntityRecord]:
        store = self._sync()
        state = store.get_state(entity_id)
        if state is None:
            return []
        return [self._record(entity_id, machine_name, state, store.get_context(entity_id))]

    async def _afetch(self, entity_id: str, machine_name: str | None) -> list[EntityRecord]:
        store = self.store
        if not isinstance(store, AsyncStateStore):
            return self._fetch(entity_id, machine_name)
        state = await store.aget_state(entity_id)
        if state is None:
            return []
        context = await store.aget_context(entity_id)
        return [self._record(entity_id, machine_name, state, context)]

    def _save(self, write: Write) -> int:
        self._refuse_duplicate(write)
        record = write.record
        self._sync().set_state(record.entity_id, record.state, metadata=_metadata(record))
        return self._keep(write)

    async def _asave(self, write: Write) -> int:
        store = self.store
        if not isinstance(store, AsyncStateStore):
            return self._save(write)
        self._refuse_duplicate(write)
        record = write.record
        await store.aset_state(record.entity_id, record.state, metadata=_metadata(record))
        return self._keep(write)

    async def aload_event(
        self, entity_id: str, key: str, *, machine_name: str | None = None
    ) -> tuple[EntityRecord | None, Mapping[str, Any] | None]:
        seen = self._recall(machine_name or "", entity_id, key)
        if seen is not None:
            return None, seen
        return await self.aload(entity_id, machine_name=machine_name), None

    # -- what the wrapped store cannot keep -----------------------------------------------

    def _history(self, machine_name: str, entity_id: str) -> list[HistoryEntry]:
        kept = self._kept.get(entity_id)
        return list(kept.rows) if kept is not None else []

    def _remember(
        self, machine_name: str, entity_id: str, key: str, outcome: Mapping[str, Any]
    ) -> None:
        kept = self._kept.get(entity_id)
        if kept is not None:
            kept.outcomes.setdefault(key, outcome)

    def _recall(self, machine_name: str, entity_id: str, key: str) -> Mapping[str, Any] | None:
        kept = self._kept.get(entity_id)
        return kept.outcomes.get(key) if kept is not None else None

    def machines_of(self, entity_id: str) -> tuple[str, ...]:
        kept = self._kept.get(entity_id)
        return (kept.machine_name,) if kept is not None else ()

    def _sync(self) -> StateStore:
        store = self.store
        if not isinstance(store, StateStore):
            raise ConfigurationError(
                f"{type(store).__name__} is an AsyncStateStore: use the Orchestrator's async "
                "methods (async_process_event, async_create_entity)"
            )
        return store

    def _record(
        self, entity_id: str, machine_name: str | None, state: str, context: Mapping[str, Any]
    ) -> EntityRecord:
        kept = self._kept.get(entity_id)
        if kept is None or kept.state != state:
            # Written by another process since this one last wrote it: what the adapter
            # kept describes an older state, so only the state and context are known.
            return EntityRecord(entity_id, state, dict(context), 1, machine_name or "")
        return EntityRecord(
            entity_id,
            state,
            dict(context),
            kept.version,
            kept.machine_name,
            kept.history,
            kept.parallel,
            timers=kept.timers,
        )

    def _refuse_duplicate(self, write: Write) -> None:
        kept = self._kept.get(write.record.entity_id)
        if write.outcome is not None and kept is not None and write.outcome[0] in kept.outcomes:
            raise write.duplicate()

    def _keep(self, write: Write) -> int:
        """Record the write here; its expected version is not compared, only counted on."""
        record = write.record
        with self._lock:
            previous = self._kept.get(record.entity_id)
            kept = _Kept(
                record.state,
                write.version,
                record.machine_name,
                record.history,
                record.parallel,
                record.timers,
                previous.rows if previous is not None else [],
                previous.outcomes if previous is not None else {},
            )
            if write.entry is not None:
                kept.rows.append(write.entry)
            if write.outcome is not None:
                kept.outcomes.setdefault(*write.outcome)
            self._kept[record.entity_id] = kept
        return write.version


def _metadata(record: EntityRecord) -> dict[str, Any]:
    return {"context": dict(record.context), "machine_name": record.machine_name}
