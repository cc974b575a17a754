"""The records an Orchestrator keeps after committing them, so that an entity's next event
is decided without reading it again: one round trip to the store instead of two.

A kept record may be out of date (another process wrote the entity since): a write decided
from one is a `commit` that compares the whole stored record with it, so a decision from
an outdated record is never written; the loop then decides again from a fresh read.
"""

from __future__ import annotations

import threading

from pystator.runtime.stores.base import EntityRecord

#: How many entities' records an Orchestrator keeps unless told otherwise.
DEFAULT_SIZE = 1024


class RecordCache:
    """The records of the `size` entities committed last, by entity id, newest last."""

    __slots__ = ("_lock", "_records", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._records: dict[str, EntityRecord] = {}
        self._lock = threading.Lock()

    def get(self, entity_id: str) -> EntityRecord | None:
        return self._records.get(entity_id)

    def put(self, record: EntityRecord) -> None:
        """Keep `record`, as committed, forgetting the entity committed longest ago if full."""
        with self._lock:
            records = self._records
            # Taken out first, so that the entity moves to the newest end.
            if records.pop(record.entity_id, None) is None and len(records) >= self.size:
                del records[next(iter(records))]
            records[record.entity_id] = record

    def drop(self, entity_id: str) -> None:
        with self._lock:
            self._records.pop(entity_id, None)

    def __len__(self) -> int:
        return len(self._records)
