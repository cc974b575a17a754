"""InMemoryStateStore: the versioned store kept in one process, for tests and development.

Thread-safe; state is lost when the process exits. It accepts exactly the ids and values
the durable stores accept, so swapping it for one of them changes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

from pystator.runtime.stores._codec import clone
from pystator.runtime.stores.base import EntityRecord, HistoryEntry, RecordStore, Write

P = ParamSpec("P")
T = TypeVar("T")

#: An entity's key: (machine name, entity id).
Key = tuple[str, str]


class InMemoryStateStore(RecordStore):
    """Entities, their history and idempotency records in dictionaries keyed by machine."""

    def __init__(self, *, machine_name: str | None = None) -> None:
        self.machine_name = self._scope(machine_name)
        self._lock = threading.Lock()
        self._records: dict[Key, EntityRecord] = {}
        # The machines of each entity id, for reads that do not name the machine.
        self._machines: dict[str, set[str]] = {}
        self._rows: dict[Key, list[HistoryEntry]] = {}
        self._outcomes: dict[tuple[str, str, str], Mapping[str, Any]] = {}

    def truncate(self) -> None:
        """Forget every entity, history row and idempotency record."""
        with self._lock:
            self._records.clear()
            self._machines.clear()
            self._rows.clear()
            self._outcomes.clear()

    def _fetch(self, entity_id: str, machine_name: str | None) -> list[EntityRecord]:
        if machine_name is not None:
            keys = [(machine_name, entity_id)]
        else:
            keys = [(name, entity_id) for name in sorted(self._machines.get(entity_id, ()))]
        found = []
        for key in keys[:2]:
            record = self._records.get(key)
            if record is not None:
                found.append(record.evolve(context=clone(record.context)))
        return found

    def machines_of(self, entity_id: str) -> tuple[str, ...]:
        return tuple(sorted(self._machines.get(entity_id, ())))

    def _save(self, write: Write) -> int:
        record, outcome = write.record, write.outcome
        key = (record.machine_name, record.entity_id)
        with self._lock:
            current = self._records.get(key)
            actual = current.version if current else 0
            if actual != write.expected_version:
                raise write.stale(actual)
            if outcome is not None and (*key, outcome[0]) in self._outcomes:
                raise write.duplicate()
            # The context is already a private copy made by the value check.
            self._records[key] = record
            self._machines.setdefault(record.entity_id, set()).add(record.machine_name)
            if write.entry is not None:
                self._rows.setdefault(key, []).append(write.entry)
            if outcome is not None:
                self._outcomes[(*key, outcome[0])] = outcome[1]
            return write.version

    def _history(self, machine_name: str, entity_id: str) -> list[HistoryEntry]:
        return list(self._rows.get((machine_name, entity_id), ()))

    def _remember(
        self, machine_name: str, entity_id: str, key: str, outcome: Mapping[str, Any]
    ) -> None:
        with self._lock:
            self._outcomes.setdefault((machine_name, entity_id, key), outcome)

    def _recall(self, machine_name: str, entity_id: str, key: str) -> Mapping[str, Any] | None:
        found = self._outcomes.get((machine_name, entity_id, key))
        return clone(found) if found is not None else None

    # Nothing here blocks, so the async entry points run inline.

    async def _call(self, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return function(*args, **kwargs)
