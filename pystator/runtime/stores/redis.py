"""RedisStateStore: the high-throughput store on Redis (redis-py).

Each entity is a hash at `{prefix}:entity:{len(machine)}:{machine}:{entity_id}` (the key
layout is `_redis_keys`). A Lua script compares the version and writes the hash, the
history row and the idempotency record in one step.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import weakref
from collections.abc import AsyncGenerator, Callable, Mapping
from functools import partial
from typing import Any

from pystator.runtime.errors import FSMError
from pystator.runtime.stores import _redis_keys as layout
from pystator.runtime.stores._codec import dumps, loads, missing_extra
from pystator.runtime.stores._failures import Repeat, aguarded, store_call
from pystator.runtime.stores.base import EntityRecord, HistoryEntry, RecordStore, Write

# KEYS: entity hash, history list, outcome key, the entity id's machines set. ARGV[1]: the
# values below (from 14 on, the fields the hash must still hold, if any), each written as
# its length in bytes, ':', and the value, so one argument carries them all (a client packs
# each argument of a command separately, at a cost per argument greater than the whole Lua
# parse). All or nothing: the checks come first, and the writes that follow cannot fail.
_SAVE = """
local blob, ARGV, pos = ARGV[1], {}, 1
while pos <= #blob do
  local colon = string.find(blob, ':', pos, true)
  local size = tonumber(string.sub(blob, pos, colon - 1))
  ARGV[#ARGV + 1] = string.sub(blob, colon + 1, colon + size)
  pos = colon + size + 1
end
local current = redis.call('HGET', KEYS[1], 'version') or '0'
if current ~= ARGV[1] then return -1 end
if ARGV[14] ~= '' then
  local stored = redis.call('HMGET', KEYS[1], 'state', 'context', 'history', 'parallel',
                            'machine_version', 'fingerprint', 'timers')
  for i = 1, 7 do
    if (stored[i] or '') ~= ARGV[14 + i] then return -1 end
  end
end
if ARGV[11] ~= '' and redis.call('EXISTS', KEYS[3]) == 1 then return -2 end
-- Redis keeps a script's writes before an error: every write below must succeed, so a key
-- of the wrong type stops the script before the first.
local listed = redis.call('TYPE', KEYS[2])['ok']
local named = redis.call('TYPE', KEYS[4])['ok']
if (listed ~= 'none' and listed ~= 'list') or (named ~= 'none' and named ~= 'set') then
  return redis.error_reply('WRONGTYPE history or machines key holds another kind of value')
end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'context', ARGV[3], 'machine_name', ARGV[4],
           'history', ARGV[5], 'parallel', ARGV[6], 'version', ARGV[7],
           'machine_version', ARGV[9], 'fingerprint', ARGV[10], 'timers', ARGV[12],
           'entity_id', ARGV[13])
redis.call('SADD', KEYS[4], ARGV[4])
if ARGV[8] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[8]) end
if ARGV[11] ~= '' then redis.call('SET', KEYS[3], ARGV[11]) end
return tonumber(ARGV[7])
"""

#: The entity hash's fields a load reads, in the order `_record` takes them: only these
#: (not the hash's machine name and id, which the key holds), one reply each.
_FIELDS = (
    "state",
    "context",
    "version",
    "history",
    "parallel",
    "machine_version",
    "fingerprint",
    "timers",
)


class RedisStateStore(RecordStore):
    """Entities, history lists and idempotency records in Redis.

    Redis errors are raised as StoreError (StoreUnavailableError when the server cannot be
    reached), the driver's exception as the cause.
    """

    compares_records = True

    def __init__(
        self,
        connection_string: str | None = None,
        *,
        key_prefix: str = "pystator",
        machine_name: str | None = None,
    ) -> None:
        self.url = connection_string or os.environ.get(
            "PYSTATOR_REDIS_URL", "redis://127.0.0.1:6379/0"
        )
        self.key_prefix = key_prefix
        self.machine_name = self._scope(machine_name)
        self._client: Any = None
        self._save_sha = b""
        self._take: Callable[[], Any] = _taker(None)
        # Per event loop: its client, and the generator that closes it when the loop's
        # async generators are shut down (as `asyncio.run` does before closing the loop).
        self._aclients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[Any, AsyncGenerator[None, None]]
        ] = weakref.WeakKeyDictionary()

    # Connecting moves keys of earlier layouts, a step that is a no-op when repeated.
    @store_call(Repeat.ALWAYS)
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
        client = redis.Redis.from_url(self.url, retry=Retry(NoBackoff(), 0))
        try:
            layout.upgrade(client, self.key_prefix)
        except BaseException:
            # A store that failed to start must not leave its connection behind.
            client.close()
            raise
        self._client = client
        self._save_sha = client.register_script(_SAVE).sha.encode()
        self._take = _taker(client.connection_pool)
        return self

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        # The asyncio clients' connections close with their event loops.
        self._aclients.clear()

    async def aclose(self) -> None:
        """Close this event loop's asyncio client, then the store."""
        found = self._aclients.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found[1].aclose()
        self.close()

    @property
    def client(self) -> Any:
        if self._client is None:
            self.connect()
        return self._client

    def _entity_key(self, machine_name: str, entity_id: str) -> str:
        return layout.entity_key(self.key_prefix, machine_name, entity_id)

    def _history_key(self, machine_name: str, entity_id: str) -> str:
        return layout.history_key(self.key_prefix, machine_name, entity_id)

    def _outcome_key(self, machine_name: str, entity_id: str, key: str) -> str:
        return layout.outcome_key(self.key_prefix, machine_name, entity_id, key)

    def _machines_key(self, entity_id: str) -> str:
        return layout.machines_key(self.key_prefix, entity_id)

    @store_call(Repeat.IF_UNSENT)
    def truncate(self) -> None:
        """Delete every key under this store's prefix."""
        for key in self.client.scan_iter(match=f"{self.key_prefix}:*", count=500):
            self.client.delete(key)

    # -- versioned protocol ---------------------------------------------------------------

    @store_call(Repeat.ALWAYS)
    def machines_of(self, entity_id: str) -> tuple[str, ...]:
        names = self.client.smembers(self._machines_key(entity_id))
        return tuple(sorted(name.decode() for name in names))

    @store_call(Repeat.ALWAYS, "load")
    def _fetch(self, entity_id: str, machine_name: str | None) -> list[EntityRecord]:
        machines = [machine_name] if machine_name is not None else self.machines_of(entity_id)
        found = []
        for name in machines[:2]:
            record = self._read(name, entity_id)
            if record is not None:
                found.append(record)
        return found

    # An outcome only exists beside its entity: one round trip reads both.
    @store_call(Repeat.ALWAYS, "load")
    def _fetch_event(
        self, entity_id: str, machine_name: str, key: str
    ) -> tuple[list[EntityRecord], Mapping[str, Any] | None]:
        pipe = self.client.pipeline(transaction=False)
        pipe.hmget(self._entity_key(machine_name, entity_id), _FIELDS)
        pipe.get(self._outcome_key(machine_name, entity_id, key))
        values, seen = pipe.execute()
        return self._event(machine_name, entity_id, values, seen)

    def _event(
        self, machine_name: str, entity_id: str, values: list[bytes | None], seen: bytes | None
    ) -> tuple[list[EntityRecord], Mapping[str, Any] | None]:
        """The entity of `values` and the outcome `seen` under its key, if it exists."""
        record = self._record(machine_name, entity_id, values)
        if record is None:
            return [], None
        return [record], None if seen is None else loads(seen, "event outcome", entity_id)

    def _read(self, machine_name: str, entity_id: str) -> EntityRecord | None:
        key = self._entity_key(machine_name, entity_id)
        return self._record(machine_name, entity_id, self.client.hmget(key, _FIELDS))

    def _record(
        self, machine_name: str, entity_id: str, values: list[bytes | None]
    ) -> EntityRecord | None:
        """The entity of the values of _FIELDS; None if the hash has none of them."""
        if not any(values):
            return None
        state, context_text, version_text, history, parallel, made_by, fingerprint, timers = (
            value.decode() if value is not None else None for value in values
        )
        context = loads(context_text or "{}", "context", entity_id)
        if not isinstance(context, dict):
            raise FSMError(f"stored context of entity {entity_id!r} is not a mapping")
        try:
            version = int(version_text or "")
        except ValueError:
            raise FSMError(f"stored version of entity {entity_id!r} is corrupt") from None
        return EntityRecord(
            entity_id,
            state or "",
            context,
            version,
            machine_name,
            loads(history or "{}", "history", entity_id),
            parallel or None,
            made_by or "",
            fingerprint or "",
            loads(timers or "{}", "timers", entity_id),
        )

    # The script is atomic but its answer can be lost: it runs again only with an
    # idempotency record that makes a second application impossible.
    @store_call(Repeat.IF_PROTECTED, "save")
    def _save(self, write: Write) -> int:
        return _saved(write, self._run_save(*self._save_arguments(write)))

    async def _asave(self, write: Write) -> int:
        keys, blob = self._save_arguments(write)
        client = await self._aclient()

        async def run() -> Any:
            from redis.exceptions import NoScriptError

            try:
                return await client.evalsha(self._save_sha, 4, *keys, blob)
            except NoScriptError:
                # The server lost its scripts (a restart, SCRIPT FLUSH): nothing ran.
                await client.script_load(_SAVE)
            return await client.evalsha(self._save_sha, 4, *keys, blob)

        def protected() -> bool:
            return write.outcome is not None

        written = await aguarded(
            run, Repeat.IF_PROTECTED, type(self).__name__, "save", protected=protected
        )
        return _saved(write, written)

    async def _afetch(self, entity_id: str, machine_name: str | None) -> list[EntityRecord]:
        if machine_name is None:
            return await super()._afetch(entity_id, machine_name)
        client = await self._aclient()
        key = self._entity_key(machine_name, entity_id)

        async def read() -> Any:
            return await client.hmget(key, _FIELDS)

        values = await aguarded(read, Repeat.ALWAYS, type(self).__name__, "load")
        record = self._record(machine_name, entity_id, values)
        return [] if record is None else [record]

    async def _afetch_event(
        self, entity_id: str, machine_name: str, key: str
    ) -> tuple[list[EntityRecord], Mapping[str, Any] | None]:
        client = await self._aclient()
        entity_key = self._entity_key(machine_name, entity_id)
        outcome_key = self._outcome_key(machine_name, entity_id, key)

        async def read() -> Any:
            pipe = client.pipeline(transaction=False)
            pipe.hmget(entity_key, _FIELDS)
            pipe.get(outcome_key)
            return await pipe.execute()

        values, seen = await aguarded(read, Repeat.ALWAYS, type(self).__name__, "load")
        return self._event(machine_name, entity_id, values, seen)

    async def _aclient(self) -> Any:
        """This event loop's asyncio client, for the reads and saves an Orchestrator awaits
        (a worker thread per call costs more than the call): redis.asyncio connections
        belong to the loop that opened them, and are closed when it shuts down."""
        loop = asyncio.get_running_loop()
        found = self._aclients.get(loop)
        if found is None:
            self.client  # noqa: B018 - connects: the layout upgrade and the script's digest
            import redis.asyncio
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            client = redis.asyncio.Redis.from_url(self.url, retry=Retry(NoBackoff(), 0))
            closer = _closing(client)
            await anext(closer)
            self._aclients[loop] = found = (client, closer)
        return found[0]

    def _save_arguments(self, write: Write) -> tuple[tuple[str, str, str, str], bytes]:
        """The save script's keys and its one packed argument."""
        record, entry, outcome = write.record, write.entry, write.outcome
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
        machine, entity_id = record.machine_name, record.entity_id
        keys = (
            self._entity_key(machine, entity_id),
            self._history_key(machine, entity_id),
            self._outcome_key(machine, entity_id, outcome[0] if outcome else ""),
            self._machines_key(entity_id),
        )
        blob = _joined(
            (
                str(write.expected_version),
                record.state,
                dumps(dict(record.context), "context"),
                machine,
                dumps(dict(record.history), "history"),
                record.parallel or "",
                str(write.version),
                row,
                record.machine_version,
                record.fingerprint,
                dumps(dict(outcome[1]), "outcome") if outcome else "",
                dumps(dict(record.timers), "timers"),
                entity_id,
                *_unchanged(write.matching),
            )
        )
        return keys, blob

    def _run_save(self, keys: tuple[str, str, str, str], blob: bytes) -> Any:
        """The save script's answer, sent on a pooled connection of its own: redis-py's
        command path (retry policy, observability, reply callbacks) costs more client CPU
        than the script's whole run, and the store decides about repeating a save itself."""
        client = self.client
        pool = client.connection_pool
        connection = self._take()
        try:
            # Connection errors disconnect the connection before they are raised, so the
            # pool never hands it out broken.
            command = _command(
                b"EVALSHA", self._save_sha, b"4", *[key.encode() for key in keys], blob
            )
            connection.send_packed_command([command])
            try:
                return connection.read_response()
            except Exception as exc:
                from redis.exceptions import NoScriptError

                if not isinstance(exc, NoScriptError):
                    raise
            # The server lost its scripts (a restart, SCRIPT FLUSH): nothing ran.
            client.script_load(_SAVE)
            connection.send_packed_command([command])
            return connection.read_response()
        finally:
            pool.release(connection)

    @store_call(Repeat.ALWAYS, "history")
    def _history(self, machine_name: str, entity_id: str) -> list[HistoryEntry]:
        rows = self.client.lrange(self._history_key(machine_name, entity_id), 0, -1)
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
    @store_call(Repeat.ALWAYS, "remember")
    def _remember(
        self, machine_name: str, entity_id: str, key: str, outcome: Mapping[str, Any]
    ) -> None:
        self.client.set(
            self._outcome_key(machine_name, entity_id, key),
            dumps(dict(outcome), "outcome"),
            nx=True,
        )

    @store_call(Repeat.ALWAYS, "recall")
    def _recall(self, machine_name: str, entity_id: str, key: str) -> Mapping[str, Any] | None:
        raw = self.client.get(self._outcome_key(machine_name, entity_id, key))
        if raw is None:
            return None
        outcome: Mapping[str, Any] = loads(raw, "event outcome", entity_id)
        return outcome


async def _closing(client: Any) -> AsyncGenerator[None, None]:
    """Closes `client` when its event loop shuts its async generators down."""
    try:
        yield
    finally:
        # `aclose` since redis-py 5.0.1, `close` before.
        await (client.aclose() if hasattr(client, "aclose") else client.close())


def _saved(write: Write, written: Any) -> int:
    """The version the save script's answer says was written, or why nothing was."""
    if int(written) == -2 and write.outcome is not None:
        raise write.duplicate()
    if int(written) < 0:
        raise write.stale()
    return write.version


def _taker(pool: Any) -> Callable[[], Any]:
    """How to take a connection from `pool`: redis-py before 5.3 names the command, later
    versions deprecate naming it."""
    if pool is None:
        return _unconnected
    parameter = inspect.signature(pool.get_connection).parameters.get("command_name")
    if parameter is not None and parameter.default is inspect.Parameter.empty:
        return partial(pool.get_connection, "EVALSHA")
    return pool.get_connection  # type: ignore[no-any-return]


def _unconnected() -> Any:
    raise RuntimeError("RedisStateStore is not connected")


def _unchanged(record: EntityRecord | None) -> tuple[str, ...]:
    """The save script's arguments 14 to 21: a flag, then the fields the entity's hash must
    still hold, as `_save` writes them ('' and nothing more when any will do)."""
    if record is None:
        return ("",)
    return (
        "1",
        record.state,
        dumps(dict(record.context), "context"),
        dumps(dict(record.history), "history"),
        record.parallel or "",
        record.machine_version,
        record.fingerprint,
        dumps(dict(record.timers), "timers"),
    )


def _command(*parts: bytes) -> bytes:
    """A command in the Redis protocol (RESP): its parts as an array of bulk strings."""
    return b"*%d\r\n" % len(parts) + b"".join(
        [b"$%d\r\n%b\r\n" % (len(part), part) for part in parts]
    )


def _joined(values: tuple[str, ...]) -> bytes:
    """The save script's one argument: each value as its UTF-8 length, ':', and its bytes."""
    # An ASCII value's length in characters is its length in bytes: encoded once, at the end.
    return "".join(
        [f"{len(value) if value.isascii() else len(value.encode())}:{value}" for value in values]
    ).encode()
