"""RedisStateStore: the high-throughput store on Redis (redis-py).

Each entity is a hash at `pystator:entity:{id}`; a Lua script compares the version and
writes the hash and the history row in one atomic step.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from pystator.runtime.errors import DuplicateEventError, FSMError, StaleVersionError
from pystator.runtime.stores._codec import dumps, loads, missing_extra
from pystator.runtime.stores._failures import Repeat, store_call
from pystator.runtime.stores.base import EntityRecord, HistoryEntry, Outcome, RecordStore

_SAVE = """
local current = redis.call('HGET', KEYS[1], 'version') or '0'
if current ~= ARGV[1] then return -1 end
if ARGV[11] ~= '' and redis.call('EXISTS', KEYS[3]) == 1 then return -2 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'context', ARGV[3], 'machine_name', ARGV[4],
           'history', ARGV[5], 'parallel', ARGV[6], 'version', ARGV[7],
           'machine_version', ARGV[9], 'fingerprint', ARGV[10], 'timers', ARGV[12])
if ARGV[8] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[8]) end
if ARGV[11] ~= '' then redis.call('SET', KEYS[3], ARGV[11]) end
return tonumber(ARGV[7])
"""


class RedisStateStore(RecordStore):
    """Entities, history lists and idempotency records in Redis.

    Redis errors are raised as StoreError (StoreUnavailableError when the server cannot be
    reached), the driver's exception as the cause.
    """

    def __init__(
        self, connection_string: str | None = None, *, key_prefix: str = "pystator"
    ) -> None:
        self.url = connection_string or os.environ.get(
            "PYSTATOR_REDIS_URL", "redis://127.0.0.1:6379/0"
        )
        self.key_prefix = key_prefix
        self._client: Any = None
        self._save: Any = None

    def connect(self) -> RedisStateStore:
        if self._client is not None:
            return self
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError:
            raise missing_extra("redis", "redis") from None
        # redis-py would send any command again after a lost answer, the save script
        # included; `store_call` decides instead, knowing which writes that cannot double.
        # The pool still replaces connections the server closed before handing them out.
        self._client = redis.Redis.from_url(self.url, retry=Retry(NoBackoff(), 0))
        self._save = self._client.register_script(_SAVE)
        return self

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self.connect()
        return self._client

    def _entity_key(self, entity_id: str) -> str:
        return f"{self.key_prefix}:entity:{entity_id}"

    def _history_key(self, entity_id: str) -> str:
        return f"{self.key_prefix}:history:{entity_id}"

    @store_call(Repeat.IF_UNSENT)
    def truncate(self) -> None:
        """Delete every key under this store's prefix."""
        for key in self.client.scan_iter(match=f"{self.key_prefix}:*", count=500):
            self.client.delete(key)

    # -- versioned protocol ---------------------------------------------------------------

    @store_call(Repeat.ALWAYS)
    def load(self, entity_id: str) -> EntityRecord | None:
        raw = self.client.hgetall(self._entity_key(entity_id))
        if not raw:
            return None
        fields = {key.decode(): value.decode() for key, value in raw.items()}
        context = loads(fields.get("context", "{}"), "context", entity_id)
        if not isinstance(context, dict):
            raise FSMError(f"stored context of entity {entity_id!r} is not a mapping")
        try:
            version = int(fields["version"])
        except (KeyError, ValueError):
            raise FSMError(f"stored version of entity {entity_id!r} is corrupt") from None
        return EntityRecord(
            entity_id,
            fields.get("state", ""),
            context,
            version,
            fields.get("machine_name", ""),
            loads(fields.get("history", "{}"), "history", entity_id),
            fields.get("parallel") or None,
            fields.get("machine_version", ""),
            fields.get("fingerprint", ""),
            loads(fields.get("timers", "{}"), "timers", entity_id),
        )

    # The script is atomic but its answer can be lost: it runs again only with an
    # idempotency record that makes a second application impossible.
    @store_call(Repeat.IF_PROTECTED)
    def save(
        self,
        record: EntityRecord,
        expected_version: int,
        entry: HistoryEntry | None = None,
        outcome: Outcome | None = None,
    ) -> int:
        version = expected_version + 1
        row = ""
        if entry is not None:
            row = dumps(
                {
                    "source_state": entry.source_state,
                    "target_state": entry.target_state,
                    "trigger": entry.trigger,
                    "success": entry.success,
                    "error": entry.error,
                    "actions": list(entry.actions),
                    "timestamp": entry.timestamp,
                    "duration_ms": entry.duration_ms,
                },
                "history row",
            )
        written = self._save(
            keys=[
                self._entity_key(record.entity_id),
                self._history_key(record.entity_id),
                f"{self.key_prefix}:outcome:{outcome[0] if outcome else ''}",
            ],
            args=[
                str(expected_version),
                record.state,
                dumps(dict(record.context), "context"),
                record.machine_name,
                dumps(dict(record.history), "history"),
                record.parallel or "",
                str(version),
                row,
                record.machine_version,
                record.fingerprint,
                json.dumps(dict(outcome[1])) if outcome else "",
                dumps(dict(record.timers), "timers"),
            ],
            client=self.client,
        )
        if int(written) == -2 and outcome is not None:
            raise DuplicateEventError(record.entity_id, outcome[0])
        if int(written) < 0:
            raise StaleVersionError(
                f"entity {record.entity_id!r} changed since it was read",
                record.entity_id,
                expected_version,
            )
        return version

    @store_call(Repeat.ALWAYS)
    def history(self, entity_id: str) -> list[HistoryEntry]:
        rows = self.client.lrange(self._history_key(entity_id), 0, -1)
        entries = []
        for raw in rows:
            item = loads(raw, "history row", entity_id)
            entries.append(
                HistoryEntry(
                    entity_id,
                    item["source_state"],
                    item["target_state"],
                    item["trigger"],
                    bool(item["success"]),
                    item["error"],
                    tuple(item["actions"]),
                    item["timestamp"],
                    float(item["duration_ms"]),
                )
            )
        return entries

    # SET NX: writing the same key twice leaves the first outcome.
    @store_call(Repeat.ALWAYS)
    def remember(self, key: str, outcome: Mapping[str, Any]) -> None:
        self.client.set(f"{self.key_prefix}:outcome:{key}", json.dumps(dict(outcome)), nx=True)

    @store_call(Repeat.ALWAYS)
    def recall(self, key: str) -> Mapping[str, Any] | None:
        raw = self.client.get(f"{self.key_prefix}:outcome:{key}")
        if raw is None:
            return None
        outcome: Mapping[str, Any] = loads(raw, "event outcome", key)
        return outcome
