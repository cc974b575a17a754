"""Queue: the `worker_events` table behind a Python API — submit, look up, list, claim
events in per-entity order (one, or a batch of one per entity), and settle them as done,
failed or due for another try.

An entity is a machine and an id. An event is claimed only when no earlier event of its
entity is pending or running, so several workers keep each entity's events in submission
order; PostgreSQL claims use `FOR UPDATE SKIP LOCKED`, SQLite's write lock serialises claims.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pystator.db.database import Cursor, Database
from pystator.runtime.ids import check_entity_id
from pystator.runtime.stores._codec import storable_mapping
from pystator.runtime.stores._failures import Repeat

Status = Literal["pending", "processing", "done", "failed"]
STATUSES: tuple[Status, ...] = ("pending", "processing", "done", "failed")

#: Rows of one read (`list` below is EventQueue.list inside the class).
Rows = list[tuple[Any, ...]]

#: Events of one claim, in submission order.
Claimed = list["QueuedEvent"]

_COLUMNS = "id, machine_id, entity_id, trigger, status, attempts, error, result, created_at"


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    """A claimed event, ready to run."""

    id: int
    machine_id: str
    entity_id: str
    trigger: str
    context: dict[str, Any]
    attempts: int


@dataclass(frozen=True, slots=True)
class EventStatus:
    """Where a queued event stands; `result` is the outcome of a processed event."""

    id: int
    machine_id: str
    entity_id: str
    trigger: str
    status: Status
    attempts: int
    error: str | None
    result: dict[str, Any] | None
    created_at: str


class EventQueue:
    """The queued events of one Database. Every operation is one transaction on its
    connections; reads run again after a lost connection, writes when nothing can have
    been committed."""

    def __init__(self, database: Database) -> None:
        self.db = database
        self._table = f"{database.prefix}worker_events"

    # -- producers --------------------------------------------------------------------------

    def submit(
        self,
        machine_id: str,
        entity_id: str,
        trigger: str,
        context: Mapping[str, Any] | None = None,
    ) -> int:
        """Queue one event; returns its id.

        The entity id and the context are checked by the stores' own rules now, so an event
        that could never be stored is refused here rather than failing in a worker.
        """
        for name, value in (("machine_id", machine_id), ("trigger", trigger)):
            if not isinstance(value, str) or not value:
                raise TypeError(f"{name} must be a non-empty string, got {value!r}")
        check_entity_id(entity_id)
        if context is not None and not isinstance(context, Mapping):
            raise TypeError(f"context must be a mapping, got {type(context).__name__}")
        body = json.dumps(storable_mapping(context or {}, "context"), allow_nan=False)
        row = (machine_id, entity_id, trigger, body, datetime.now(UTC).isoformat())

        def insert(cursor: Cursor) -> int:
            inserted = cursor.execute(
                f"INSERT INTO {self._table} (machine_id, entity_id, trigger, context, "
                "created_at) VALUES (%s, %s, %s, %s, %s) RETURNING id",
                row,
            ).fetchone()
            assert inserted is not None
            return int(inserted[0])

        return self.db.run(insert, "submit")

    # -- readers ----------------------------------------------------------------------------

    def get(self, event_id: int) -> EventStatus | None:
        """The event `event_id`, or None when there is none."""
        rows = self._read(f"SELECT {_COLUMNS} FROM {self._table} WHERE id = %s", (event_id,))
        return _status(rows[0]) if rows else None

    def list(
        self,
        *,
        status: Status | None = None,
        machine_id: str | None = None,
        entity_id: str | None = None,
        limit: int = 100,
    ) -> list[EventStatus]:
        """Events in submission order, of one status, machine or entity when asked."""
        found = {"status": status, "machine_id": machine_id, "entity_id": entity_id}
        chosen = {column: value for column, value in found.items() if value is not None}
        where = " AND ".join(f"{column} = %s" for column in chosen) or "1 = 1"
        rows = self._read(
            f"SELECT {_COLUMNS} FROM {self._table} WHERE {where} ORDER BY id LIMIT %s",
            (*chosen.values(), max(0, limit)),
        )
        return [_status(row) for row in rows]

    def counts(self) -> dict[Status, int]:
        """How many events are in each status (every status named, zero included)."""
        rows = self._read(f"SELECT status, COUNT(*) FROM {self._table} GROUP BY status")
        found = {str(status): int(count) for status, count in rows}
        return {status: found.get(status, 0) for status in STATUSES}

    def pending(self) -> int:
        """How many events are waiting or running."""
        rows = self._read(
            f"SELECT COUNT(*) FROM {self._table} WHERE status IN ('pending', 'processing')"
        )
        return int(rows[0][0])

    # -- workers ----------------------------------------------------------------------------

    def claim(self, worker_id: str, lease_seconds: float) -> QueuedEvent | None:
        """Take the oldest ready event whose entity has nothing earlier pending or running.

        Events a worker claimed more than `lease_seconds` ago go back to the queue first (the
        worker died mid-way). An event whose stored context is not a JSON object is marked
        failed instead of returned.
        """
        claimed = self.claim_batch(worker_id, lease_seconds, 1)
        return claimed[0] if claimed else None

    def claim_batch(
        self,
        worker_id: str,
        lease_seconds: float,
        limit: int,
        *,
        completed: Sequence[tuple[int, Mapping[str, Any]]] = (),
    ) -> Claimed:
        """Take up to `limit` of the oldest ready events, at most one per entity (the
        earliest it has pending or running), in submission order; with `completed`, mark
        those events done with their outcomes first, in the same transaction.

        One statement claims the batch, walking the pending events in id order until it has
        enough: PostgreSQL's `FOR UPDATE SKIP LOCKED` lets workers claim side by side, each
        taking rows no other claim holds. An entity's events finish in submission order (an
        event is claimed only once the one before it finished, and only its holder settles
        it), so an event is ready when the entity's event just before it is done or failed:
        one index lookup, however many events the entity has had.
        """
        now = time.time()
        lock = " FOR UPDATE SKIP LOCKED" if self.db.postgres else ""
        claim = (
            f"UPDATE {self._table} SET status = 'processing', claimed_by = %s, "
            "claimed_at = %s, attempts = attempts + 1 WHERE id IN ("
            f"SELECT w.id FROM {self._table} w WHERE w.status = 'pending' "
            "AND w.available_at <= %s AND COALESCE(("
            f"SELECT e.status FROM {self._table} e WHERE e.machine_id = w.machine_id "
            "AND e.entity_id = w.entity_id AND e.id < w.id ORDER BY e.id DESC LIMIT 1"
            "), 'done') NOT IN ('pending', 'processing') "
            f"ORDER BY w.id LIMIT %s{lock}) "
            "RETURNING id, machine_id, entity_id, trigger, context, attempts"
        )

        def take(cursor: Cursor) -> Rows:
            self._prepare(cursor, worker_id, completed, now - lease_seconds)
            return cursor.execute(claim, (worker_id, now, now, max(0, limit))).fetchall()

        rows = sorted(self.db.run(take, "claim"))
        events: Claimed = []
        for event_id, machine_id, entity_id, trigger, context, attempts in rows:
            loaded = _json_object(context)
            if loaded is None:
                self.fail(int(event_id), worker_id, "stored context is not a JSON object")
                continue
            events.append(
                QueuedEvent(int(event_id), machine_id, entity_id, trigger, loaded, int(attempts))
            )
        return events

    def _prepare(
        self,
        cursor: Cursor,
        worker_id: str,
        completed: Sequence[tuple[int, Mapping[str, Any]]],
        expired: float,
    ) -> None:
        """Before a claim: mark `completed` done, put events claimed before `expired` back.

        On PostgreSQL this is one statement, which also turns the planner's sorting off for
        the transaction: the claim then walks the pending events in id order and stops once
        it has its batch, rather than sorting every pending event (what the planner picks
        when the queue's statistics predate a burst of events).
        """
        reclaim = (
            f"UPDATE {self._table} SET status = 'pending', claimed_by = NULL "
            "WHERE status = 'processing' AND claimed_at < %s"
        )
        if not self.db.postgres:
            if completed:
                self._complete_all(cursor, worker_id, completed)
            cursor.execute(reclaim, (expired,))
            return
        if not completed:
            cursor.execute(
                f"WITH expired AS ({reclaim} RETURNING id) "
                "SELECT set_config('enable_sort', 'off', true), (SELECT COUNT(*) FROM expired)",
                (expired,),
            )
            return
        settle, params = self._settle_all(worker_id, completed)
        cursor.execute(
            f"WITH settled AS ({settle} RETURNING {self._table}.id), "
            f"expired AS ({reclaim} AND id NOT IN (SELECT id FROM settled) RETURNING id) "
            "SELECT set_config('enable_sort', 'off', true), (SELECT COUNT(*) FROM expired)",
            (*params, expired),
        )

    def complete_all(
        self, worker_id: str, completed: Sequence[tuple[int, Mapping[str, Any]]]
    ) -> int:
        """Mark the events `worker_id` holds among `completed` (ids with their outcomes)
        done, in one statement; returns how many it held."""
        if not completed:
            return 0
        return self.db.run(lambda cursor: self._complete_all(cursor, worker_id, completed), "done")

    def _complete_all(
        self,
        cursor: Cursor,
        worker_id: str,
        completed: Sequence[tuple[int, Mapping[str, Any]]],
    ) -> int:
        return cursor.execute(*self._settle_all(worker_id, completed)).rowcount

    def _settle_all(
        self, worker_id: str, completed: Sequence[tuple[int, Mapping[str, Any]]]
    ) -> tuple[str, tuple[Any, ...]]:
        """The statement marking `completed` done, with its parameters."""
        params: list[Any] = []
        for event_id, outcome in completed:
            params += [int(event_id), _outcome(outcome)]
        # VALUES columns are column1, column2 in both SQLite and PostgreSQL; an UPDATE
        # that starts with WITH would leave SQLite's rowcount unknown.
        rows = ", ".join(["(%s, %s)"] * len(completed))
        sql = (
            f"UPDATE {self._table} SET status = 'done', result = v.column2, error = NULL "
            f"FROM (VALUES {rows}) AS v "
            f"WHERE {self._table}.id = v.column1 AND {self._table}.claimed_by = %s"
        )
        return sql, (*params, worker_id)

    def complete(self, event_id: int, worker_id: str, outcome: Mapping[str, Any]) -> bool:
        """Mark the event `worker_id` holds done with its outcome; False if it holds none."""
        return self._settle(event_id, worker_id, "done", outcome, None)

    def fail(
        self,
        event_id: int,
        worker_id: str,
        error: str,
        outcome: Mapping[str, Any] | None = None,
    ) -> bool:
        """Mark the event `worker_id` holds failed with the reason; False if it holds none."""
        return self._settle(event_id, worker_id, "failed", outcome, error)

    def release(self, event_id: int, worker_id: str, error: str, delay: float) -> bool:
        """Put the event `worker_id` holds back in the queue, ready again after `delay`
        seconds, keeping the error that sent it back; False if it holds none."""
        return self._write(
            f"UPDATE {self._table} SET status = 'pending', error = %s, available_at = %s, "
            "claimed_by = NULL WHERE id = %s AND claimed_by = %s",
            (error, time.time() + delay, event_id, worker_id),
            "release",
        )

    # -- plumbing ---------------------------------------------------------------------------

    def _settle(
        self,
        event_id: int,
        worker_id: str,
        status: Status,
        outcome: Mapping[str, Any] | None,
        error: str | None,
    ) -> bool:
        return self._write(
            f"UPDATE {self._table} SET status = %s, result = %s, error = %s "
            "WHERE id = %s AND claimed_by = %s",
            (status, _outcome(outcome), error, event_id, worker_id),
            status,
        )

    def _write(self, sql: str, params: tuple[Any, ...], operation: str) -> bool:
        return self.db.run(lambda cursor: cursor.execute(sql, params).rowcount > 0, operation)

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> Rows:
        return self.db.run(
            lambda cursor: cursor.execute(sql, params).fetchall(), "read", Repeat.ALWAYS
        )


def submit_event(
    database: Database,
    machine_id: str,
    entity_id: str,
    trigger: str,
    context: Mapping[str, Any] | None = None,
) -> int:
    """Queue one event for the workers; returns its id (`EventQueue.submit`)."""
    return EventQueue(database).submit(machine_id, entity_id, trigger, context)


def _outcome(outcome: Mapping[str, Any] | None) -> str | None:
    return json.dumps(dict(outcome)) if outcome else None


def _json_object(text: str | None) -> dict[str, Any] | None:
    try:
        loaded = json.loads(text) if text else None
    except ValueError:
        return None
    return loaded if isinstance(loaded, dict) else None


def _status(row: tuple[Any, ...]) -> EventStatus:
    return EventStatus(
        id=int(row[0]),
        machine_id=row[1],
        entity_id=row[2],
        trigger=row[3],
        status=row[4],
        attempts=int(row[5]),
        error=row[6],
        result=_json_object(row[7]),
        created_at=str(row[8]),
    )
