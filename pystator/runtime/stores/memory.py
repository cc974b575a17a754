"""InMemoryStateStore: the versioned store kept in one process, for tests and development.

Thread-safe; state is lost when the process exits.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pystator.runtime.errors import DuplicateEventError, FSMError, StaleVersionError
from pystator.runtime.stores.base import EntityRecord, HistoryEntry, Outcome


def _checked_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """A private copy; contexts must be JSON data so that every store can hold them."""
    try:
        json.dumps(context)
    except (TypeError, ValueError) as exc:
        raise FSMError(f"context is not JSON-serialisable: {exc}") from None
    return copy.deepcopy(dict(context))


class InMemoryStateStore:
    """Entities, their history and idempotency records in dictionaries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, EntityRecord] = {}
        self._history: dict[str, list[HistoryEntry]] = {}
        self._outcomes: dict[str, Mapping[str, Any]] = {}

    # -- the documents' protocol ------------------------------------------------------

    def get_state(self, entity_id: str) -> str | None:
        record = self._records.get(entity_id)
        return record.state if record else None

    def set_state(
        self, entity_id: str, state: str, *, metadata: dict[str, Any] | None = None
    ) -> None:
        with self._lock:
            current = self._records.get(entity_id)
            context = (metadata or {}).get("context")
            record = EntityRecord(
                entity_id,
                state,
                _checked_context(context)
                if context is not None
                else (current.context if current else {}),
                (current.version if current else 0) + 1,
                (metadata or {}).get("machine_name", current.machine_name if current else ""),
            )
            self._records[entity_id] = record

    def get_context(self, entity_id: str) -> dict[str, Any]:
        record = self._records.get(entity_id)
        return copy.deepcopy(dict(record.context)) if record else {}

    async def aget_state(self, entity_id: str) -> str | None:
        return self.get_state(entity_id)

    async def aset_state(
        self, entity_id: str, state: str, *, metadata: dict[str, Any] | None = None
    ) -> None:
        self.set_state(entity_id, state, metadata=metadata)

    async def aget_context(self, entity_id: str) -> dict[str, Any]:
        return self.get_context(entity_id)

    # -- versioned protocol -------------------------------------------------------------

    def load(self, entity_id: str) -> EntityRecord | None:
        record = self._records.get(entity_id)
        return replace(record, context=copy.deepcopy(dict(record.context))) if record else None

    def save(
        self,
        record: EntityRecord,
        expected_version: int,
        entry: HistoryEntry | None = None,
        outcome: Outcome | None = None,
    ) -> int:
        context = _checked_context(record.context)
        with self._lock:
            current = self._records.get(record.entity_id)
            actual = current.version if current else 0
            if actual != expected_version:
                raise StaleVersionError(
                    f"entity {record.entity_id!r} changed since it was read",
                    record.entity_id,
                    expected_version,
                    actual,
                )
            if outcome is not None and outcome[0] in self._outcomes:
                raise DuplicateEventError(record.entity_id, outcome[0])
            version = actual + 1
            self._records[record.entity_id] = replace(record, context=context, version=version)
            if entry is not None:
                self._history.setdefault(record.entity_id, []).append(entry)
            if outcome is not None:
                self._outcomes[outcome[0]] = dict(outcome[1])
            return version

    def history(self, entity_id: str) -> list[HistoryEntry]:
        return list(self._history.get(entity_id, ()))

    def remember(self, key: str, outcome: Mapping[str, Any]) -> None:
        with self._lock:
            self._outcomes.setdefault(key, dict(outcome))

    def recall(self, key: str) -> Mapping[str, Any] | None:
        return self._outcomes.get(key)

    async def aload(self, entity_id: str) -> EntityRecord | None:
        return self.load(entity_id)

    async def asave(
        self,
        record: EntityRecord,
        expected_version: int,
        entry: HistoryEntry | None = None,
        outcome: Outcome | None = None,
    ) -> int:
        return self.save(record, expected_version, entry, outcome)
