"""The stores an Orchestrator accepts: the versioned protocol, checked at construction, and
an adapter that lets a store of the documents' minimal protocol serve, last writer winning.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pystator.runtime.errors import ConfigurationError, DuplicateEventError
from pystator.runtime.stores.base import (
    AsyncStateStore,
    EntityRecord,
    HistoryEntry,
    Outcome,
    StateStore,
    VersionedStateStore,
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


class StateStoreAdapter:
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

    # -- the versioned protocol ---------------------------------------------------------

    def load(self, entity_id: str, *, machine_name: str | None = None) -> EntityRecord | None:
        store = self._sync()
        state = store.get_state(entity_id)
        if state is None:
            return None
        return self._record(entity_id, machine_name, state, store.get_context(entity_id))

    def save(
        self,
        record: EntityRecord,
        expected_version: int,
        entry: HistoryEntry | None = None,
        outcome: Outcome | None = None,
    ) -> int:
        self._refuse_duplicate(record, outcome)
        self._sync().set_state(record.entity_id, record.state, metadata=_metadata(record))
        return self._keep(record, expected_version, entry, outcome)

    def history(self, entity_id: str, *, machine_name: str | None = None) -> list[HistoryEntry]:
        kept = self._kept.get(entity_id)
        return list(kept.rows) if kept is not None else []

    def recall(self, machine_name: str, entity_id: str, key: str) -> Mapping[str, Any] | None:
        kept = self._kept.get(entity_id)
        return kept.outcomes.get(key) if kept is not None else None

    # -- the same, awaiting an AsyncStateStore --------------------------------------------

    async def aload(
        self, entity_id: str, *, machine_name: str | None = None
    ) -> EntityRecord | None:
        store = self.store
        if not isinstance(store, AsyncStateStore):
            return self.load(entity_id, machine_name=machine_name)
        state = await store.aget_state(entity_id)
        if state is None:
            return None
        context = await store.aget_context(entity_id)
        return self._record(entity_id, machine_name, state, context)

    async def asave(
        self,
        record: EntityRecord,
        expected_version: int,
        entry: HistoryEntry | None = None,
        outcome: Outcome | None = None,
    ) -> int:
        store = self.store
        if not isinstance(store, AsyncStateStore):
            return self.save(record, expected_version, entry, outcome)
        self._refuse_duplicate(record, outcome)
        await store.aset_state(record.entity_id, record.state, metadata=_metadata(record))
        return self._keep(record, expected_version, entry, outcome)

    async def arecall(
        self, machine_name: str, entity_id: str, key: str
    ) -> Mapping[str, Any] | None:
        return self.recall(machine_name, entity_id, key)

    # -- what the wrapped store cannot keep -----------------------------------------------

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

    def _refuse_duplicate(self, record: EntityRecord, outcome: Outcome | None) -> None:
        kept = self._kept.get(record.entity_id)
        if outcome is not None and kept is not None and outcome[0] in kept.outcomes:
            raise DuplicateEventError(record.entity_id, outcome[0])

    def _keep(
        self,
        record: EntityRecord,
        expected_version: int,
        entry: HistoryEntry | None,
        outcome: Outcome | None,
    ) -> int:
        """Record the write locally; `expected_version` is not compared, only counted on."""
        version = expected_version + 1
        with self._lock:
            previous = self._kept.get(record.entity_id)
            kept = _Kept(
                record.state,
                version,
                record.machine_name,
                record.history,
                record.parallel,
                record.timers,
                previous.rows if previous is not None else [],
                previous.outcomes if previous is not None else {},
            )
            if entry is not None:
                kept.rows.append(entry)
            if outcome is not None:
                kept.outcomes.setdefault(outcome[0], outcome[1])
            self._kept[record.entity_id] = kept
        return version


def _metadata(record: EntityRecord) -> dict[str, Any]:
    return {"context": dict(record.context), "machine_name": record.machine_name}
