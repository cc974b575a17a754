"""Stores: what the Orchestrator persists per entity, and the protocols stores implement.

An entity is addressed by its machine's name and its id, so machines sharing a store never
see each other's entities. A stored entity carries a version; writes are compare-and-set
on it, so replicas sharing a store never lose or double-apply an event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ParamSpec, Protocol, TypeVar, runtime_checkable

from pystator.runtime.errors import (
    AmbiguousEntityError,
    DuplicateEventError,
    FSMError,
    StaleVersionError,
)
from pystator.runtime.ids import check_entity_id, check_idempotency_key, check_machine_name
from pystator.runtime.stores._codec import storable_mapping, text_column

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """One entity as stored: state, context, history, parallel configuration, version.

    `machine_name` and `entity_id` together are the entity's key in every store.

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

    def evolve(
        self, *, context: Mapping[str, Any] | None = None, version: int | None = None
    ) -> EntityRecord:
        """This record with another context or version: `dataclasses.replace` costs several
        times more, and every write and read builds one."""
        return EntityRecord(
            entity_id=self.entity_id,
            state=self.state,
            context=self.context if context is None else context,
            version=self.version if version is None else version,
            machine_name=self.machine_name,
            history=self.history,
            parallel=self.parallel,
            machine_version=self.machine_version,
            fingerprint=self.fingerprint,
            timers=self.timers,
        )

    def snapshot(self) -> dict[str, Any]:
        """The session snapshot of this entity, for `EntitySession.from_snapshot`."""
        return {
            "current_state": self.state,
            "context": self.context,
            "history": self.history,
            "parallel": self.parallel,
            "machine_version": self.machine_version,
        }


#: An idempotency key and the outcome to store with it, written with the entity or not at all;
#: the key is the entity's own (machine, entity id, key), never shared with another entity.
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


@dataclass(frozen=True, slots=True)
class Write:
    """One versioned write as a store's `_save` receives it, its values checked: `record`
    (its version the one the write gives) replaces the entity if the stored version is
    still `expected_version` (0: absent), `entry` joins its history and `outcome` is stored
    under its key, all or none."""

    record: EntityRecord
    expected_version: int
    entry: HistoryEntry | None = None
    outcome: Outcome | None = None
    #: When given, the stored entity must also equal this record in every field besides
    #: the version (compared as stored, i.e. as encoded text), not only in its version.
    matching: EntityRecord | None = None

    @property
    def version(self) -> int:
        """The version the write gives the entity."""
        return self.expected_version + 1

    def stale(self, actual: int | None = None) -> StaleVersionError:
        """The error of a write whose entity moved on since it was read."""
        entity_id = self.record.entity_id
        return StaleVersionError(
            f"entity {entity_id!r} changed since it was read",
            entity_id,
            self.expected_version,
            actual,
        )

    def duplicate(self) -> DuplicateEventError:
        """The error of a write whose idempotency key the entity stored already."""
        return DuplicateEventError(self.record.entity_id, self.outcome[0] if self.outcome else "")


@runtime_checkable
class StateStore(Protocol):
    """The minimal store of the PyStator documents.

    The built-in stores take `machine_name=` on each call, or once on the store, to say
    which machine's entity an id means; without one, an id used by a single machine is
    that machine's entity.
    """

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
    """What the Orchestrator needs to be safe with many replicas and many machines: reads
    and compare-and-set writes keyed by machine and entity id, with the history row and
    the idempotency record written in the same atomic step."""

    def load(self, entity_id: str, *, machine_name: str | None = None) -> EntityRecord | None:
        """The entity `entity_id` of machine `machine_name`."""
        ...

    def save(
        self,
        record: EntityRecord,
        expected_version: int,
        entry: HistoryEntry | None = None,
        outcome: Outcome | None = None,
    ) -> int:
        """Write `record` (keyed by its machine_name and entity_id) if the stored version is
        still `expected_version` (0: absent); returns the new version, or raises
        StaleVersionError. With `outcome`, the idempotency key is stored in the same atomic
        write, and a key the entity already stored raises DuplicateEventError instead."""
        ...

    def history(self, entity_id: str, *, machine_name: str | None = None) -> list[HistoryEntry]: ...

    def recall(self, machine_name: str, entity_id: str, key: str) -> Mapping[str, Any] | None:
        """The outcome `save` stored with the entity's idempotency key `key`, or None."""
        ...


@runtime_checkable
class AsyncVersionedStateStore(Protocol):
    """The versioned operations as coroutines, for stores whose I/O must not block the
    event loop; the Orchestrator's async entry points use them when a store has them."""

    async def aload(
        self, entity_id: str, *, machine_name: str | None = None
    ) -> EntityRecord | None: ...

    async def asave(
        self,
        record: EntityRecord,
        expected_version: int,
        entry: HistoryEntry | None = None,
        outcome: Outcome | None = None,
    ) -> int: ...


@runtime_checkable
class EventReadingStore(Protocol):
    """Stores that read an entity together with one of its idempotency records, so that an
    event with a key costs one read, not two; the Orchestrator uses it when a store has it."""

    def load_event(
        self, entity_id: str, key: str, *, machine_name: str | None = None
    ) -> tuple[EntityRecord | None, Mapping[str, Any] | None]: ...

    async def aload_event(
        self, entity_id: str, key: str, *, machine_name: str | None = None
    ) -> tuple[EntityRecord | None, Mapping[str, Any] | None]: ...


class RecordStore:
    """The checked, machine-scoped entry points every store shares, in terms of a few
    primitives each store implements.

    `machine_name` scopes the documents' protocol (`get_state(entity_id)`...) and the
    versioned reads to one machine; each call may name another with `machine_name=`.
    With neither (None), an id used by exactly one machine addresses that machine's
    entity, an id used by several raises AmbiguousEntityError, and a new entity written by
    `set_state` belongs to no machine (''). Writes are keyed by `record.machine_name`.
    Every id, key and value is checked here, before any store sees it.
    """

    machine_name: str | None = None

    #: Whether `_save` honours `Write.matching`, so that `commit` may be given a record.
    compares_records = False

    # -- what a store implements ------------------------------------------------------

    def _fetch(self, entity_id: str, machine_name: str | None) -> list[EntityRecord]:
        """The entity of `machine_name`, or of any machine (two at most) when None."""
        raise NotImplementedError

    def _save(self, write: Write) -> int:
        """Apply `write` atomically; StaleVersionError or DuplicateEventError if it may not."""
        raise NotImplementedError

    def _history(self, machine_name: str, entity_id: str) -> list[HistoryEntry]:
        raise NotImplementedError

    def _remember(
        self, machine_name: str, entity_id: str, key: str, outcome: Mapping[str, Any]
    ) -> None:
        raise NotImplementedError

    def _recall(self, machine_name: str, entity_id: str, key: str) -> Mapping[str, Any] | None:
        raise NotImplementedError

    def _fetch_event(
        self, entity_id: str, machine_name: str, key: str
    ) -> tuple[list[EntityRecord], Mapping[str, Any] | None]:
        """`_fetch` and `_recall` at once; stores that can read both in one step do."""
        return self._fetch(entity_id, machine_name), self._recall(machine_name, entity_id, key)

    def machines_of(self, entity_id: str) -> tuple[str, ...]:
        """The names of the machines that have an entity `entity_id`, sorted."""
        raise NotImplementedError

    # -- the versioned protocol -------------------------------------------------------

    def load(self, entity_id: str, *, machine_name: str | None = None) -> EntityRecord | None:
        scope = self._scope(machine_name)
        return self._one(entity_id, self._fetch(check_entity_id(entity_id), scope))

    def save(
        self,
        record: EntityRecord,
        expected_version: int,
        entry: HistoryEntry | None = None,
        outcome: Outcome | None = None,
    ) -> int:
        return self._save(checked_write(record, expected_version, entry, outcome))

    def commit(
        self,
        record: EntityRecord,
        expected: EntityRecord | int,
        entry: HistoryEntry | None = None,
        outcome: Outcome | None = None,
    ) -> EntityRecord:
        """`save`, returning the record as stored (a private copy, its version set).

        `expected` is the version the entity must still have (0: absent), or, in a store
        that `compares_records`, the record it must still equal in every field: a write
        decided from a record kept since an earlier commit, not read again, applies only
        if nothing changed the entity since, whatever happened to its version meanwhile.
        """
        write = self._checked_commit(record, expected, entry, outcome)
        return _as_written(write, self._save(write))

    async def acommit(
        self,
        record: EntityRecord,
        expected: EntityRecord | int,
        entry: HistoryEntry | None = None,
        outcome: Outcome | None = None,
    ) -> EntityRecord:
        write = self._checked_commit(record, expected, entry, outcome)
        return _as_written(write, await self._asave(write))

    def _checked_commit(
        self,
        record: EntityRecord,
        expected: EntityRecord | int,
        entry: HistoryEntry | None,
        outcome: Outcome | None,
    ) -> Write:
        if not isinstance(expected, EntityRecord):
            return checked_write(record, expected, entry, outcome)
        if not self.compares_records:
            raise TypeError(
                f"{type(self).__name__} compares versions only: give commit() the expected "
                "version, not a record"
            )
        if (expected.machine_name, expected.entity_id) != (record.machine_name, record.entity_id):
            raise ValueError(
                f"the expected record is entity {expected.entity_id!r} of machine "
                f"{expected.machine_name!r}, not the one written"
            )
        return checked_write(record, expected.version, entry, outcome, expected)

    def load_event(
        self, entity_id: str, key: str, *, machine_name: str | None = None
    ) -> tuple[EntityRecord | None, Mapping[str, Any] | None]:
        """The entity and the outcome stored under its idempotency key `key`."""
        scope = self._scope(machine_name)
        check_entity_id(entity_id)
        check_idempotency_key(key)
        if scope is None:
            record = self.load(entity_id)
            return record, self.recall(record.machine_name, entity_id, key) if record else None
        found, seen = self._fetch_event(entity_id, scope, key)
        return self._one(entity_id, found), seen

    def history(self, entity_id: str, *, machine_name: str | None = None) -> list[HistoryEntry]:
        scope = self._scope(machine_name)
        check_entity_id(entity_id)
        if scope is None:
            machines = self.machines_of(entity_id)
            if len(machines) > 1:
                raise AmbiguousEntityError(entity_id, machines)
            if not machines:
                return []
            scope = machines[0]
        return self._history(scope, entity_id)

    def remember(
        self, machine_name: str, entity_id: str, key: str, outcome: Mapping[str, Any]
    ) -> None:
        self._remember(
            check_machine_name(machine_name),
            check_entity_id(entity_id),
            check_idempotency_key(key),
            storable_mapping(outcome, "outcome"),
        )

    def recall(self, machine_name: str, entity_id: str, key: str) -> Mapping[str, Any] | None:
        return self._recall(
            check_machine_name(machine_name),
            check_entity_id(entity_id),
            check_idempotency_key(key),
        )

    # -- the documents' protocol ------------------------------------------------------

    def get_state(self, entity_id: str, *, machine_name: str | None = None) -> str | None:
        record = self.load(entity_id, machine_name=machine_name)
        return record.state if record else None

    def set_state(
        self,
        entity_id: str,
        state: str,
        *,
        metadata: dict[str, Any] | None = None,
        machine_name: str | None = None,
    ) -> None:
        """Write `state` (and `metadata["context"]` if given) to the entity of
        `machine_name` (or `metadata["machine_name"]`, or the store's machine)."""
        given = metadata or {}
        named = given.get("machine_name")
        if named is not None and machine_name is not None and named != machine_name:
            raise FSMError(
                f"set_state names two machines: machine_name={machine_name!r} and "
                f"metadata['machine_name']={named!r}; give one"
            )
        chosen = machine_name if machine_name is not None else named
        current = self.load(entity_id, machine_name=chosen)
        scope = self._scope(chosen)
        context = given.get("context")
        record = EntityRecord(
            entity_id,
            state,
            context if context is not None else (current.context if current else {}),
            current.version if current else 0,
            scope if scope is not None else (current.machine_name if current else ""),
            current.history if current else {},
            current.parallel if current else None,
            current.machine_version if current else "",
            current.fingerprint if current else "",
            current.timers if current else {},
        )
        self.save(record, record.version)

    def get_context(self, entity_id: str, *, machine_name: str | None = None) -> dict[str, Any]:
        record = self.load(entity_id, machine_name=machine_name)
        return dict(record.context) if record else {}

    def _scope(self, machine_name: str | None) -> str | None:
        chosen = self.machine_name if machine_name is None else machine_name
        return None if chosen is None else check_machine_name(chosen)

    # Async entry points run the same operations off the event loop, version check included.

    async def _call(self, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """`function(*args, **kwargs)` in a worker thread: a store's calls may block."""
        return await asyncio.to_thread(function, *args, **kwargs)

    async def aget_state(self, entity_id: str, *, machine_name: str | None = None) -> str | None:
        return await self._call(self.get_state, entity_id, machine_name=machine_name)

    async def aset_state(
        self,
        entity_id: str,
        state: str,
        *,
        metadata: dict[str, Any] | None = None,
        machine_name: str | None = None,
    ) -> None:
        await self._call(
            self.set_state, entity_id, state, metadata=metadata, machine_name=machine_name
        )

    async def aget_context(
        self, entity_id: str, *, machine_name: str | None = None
    ) -> dict[str, Any]:
        return await self._call(self.get_context, entity_id, machine_name=machine_name)

    async def aload(
        self, entity_id: str, *, machine_name: str | None = None
    ) -> EntityRecord | None:
        scope = self._scope(machine_name)
        return self._one(entity_id, await self._afetch(check_entity_id(entity_id), scope))

    async def asave(
        self,
        record: EntityRecord,
        expected_version: int,
        entry: HistoryEntry | None = None,
        outcome: Outcome | None = None,
    ) -> int:
        return await self._asave(checked_write(record, expected_version, entry, outcome))

    # The async primitives run the sync ones off the event loop unless a store has its own.

    async def _afetch(self, entity_id: str, machine_name: str | None) -> list[EntityRecord]:
        return await self._call(self._fetch, entity_id, machine_name)

    async def _asave(self, write: Write) -> int:
        return await self._call(self._save, write)

    def _one(self, entity_id: str, found: list[EntityRecord]) -> EntityRecord | None:
        if len(found) > 1:
            raise AmbiguousEntityError(entity_id, self.machines_of(entity_id))
        return found[0] if found else None

    async def ahistory(
        self, entity_id: str, *, machine_name: str | None = None
    ) -> list[HistoryEntry]:
        return await self._call(self.history, entity_id, machine_name=machine_name)

    async def arecall(
        self, machine_name: str, entity_id: str, key: str
    ) -> Mapping[str, Any] | None:
        return await self._call(self.recall, machine_name, entity_id, key)

    async def aload_event(
        self, entity_id: str, key: str, *, machine_name: str | None = None
    ) -> tuple[EntityRecord | None, Mapping[str, Any] | None]:
        scope = self._scope(machine_name)
        if scope is None:
            return await self._call(self.load_event, entity_id, key, machine_name=machine_name)
        check_entity_id(entity_id)
        check_idempotency_key(key)
        found, seen = await self._afetch_event(entity_id, scope, key)
        return self._one(entity_id, found), seen

    async def _afetch_event(
        self, entity_id: str, machine_name: str, key: str
    ) -> tuple[list[EntityRecord], Mapping[str, Any] | None]:
        return await self._call(self._fetch_event, entity_id, machine_name, key)


def _as_written(write: Write, version: int) -> EntityRecord:
    """The record `write` stored, at the version the store reports."""
    record = write.record
    return record if record.version == version else record.evolve(version=version)


def checked_write(
    record: EntityRecord,
    expected_version: int,
    entry: HistoryEntry | None,
    outcome: Outcome | None,
    matching: EntityRecord | None = None,
) -> Write:
    """The write, its key checked and private, storable copies of its context and outcome."""
    if not isinstance(record, EntityRecord):
        raise TypeError(f"record must be an EntityRecord, got {type(record).__name__}")
    check_machine_name(record.machine_name)
    check_entity_id(record.entity_id)
    context = storable_mapping(record.context, "context")
    record = record.evolve(context=context, version=expected_version + 1)
    if entry is not None and entry.error is not None:
        entry = replace(entry, error=text_column(entry.error))
    if outcome is not None:
        outcome = check_idempotency_key(outcome[0]), storable_mapping(outcome[1], "outcome")
    return Write(record, expected_version, entry, outcome, matching)
