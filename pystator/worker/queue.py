"""Queue: the `worker_events` table, claimed one event at a time in per-entity order.

An entity is a machine and an id. An event is claimed only when no earlier event of its
entity is pending or running, so several workers keep each entity's events in submission
order; PostgreSQL claims use `FOR UPDATE SKIP LOCKED`, SQLite's write lock serialises claims.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pystator.db.catalog import Catalog, CatalogError
from pystator.db.database import Cursor, Database
from pystator.runtime.errors import FSMError, StaleVersionError, StoreError
from pystator.runtime.ids import check_entity_id
from pystator.runtime.orchestrator import Orchestrator
from pystator.runtime.stores._codec import storable_mapping

logger = logging.getLogger("pystator.worker")

#: Failures worth another try: lost races and database hiccups. A write whose commit is
#: unknown is safe to try again: events are processed with their queue id as the
#: idempotency key.
TRANSIENT: tuple[type[BaseException], ...] = (
    StaleVersionError,
    StoreError,
    ConnectionError,
    TimeoutError,
)


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    id: int
    machine_id: str
    entity_id: str
    trigger: str
    context: dict[str, Any]
    attempts: int


def submit_event(
    database: Database,
    machine_id: str,
    entity_id: str,
    trigger: str,
    context: Mapping[str, Any] | None = None,
) -> int:
    """Queue one event for the workers; returns its id.

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
    created = datetime.now(UTC).isoformat()

    def insert(cursor: Cursor) -> int:
        row = cursor.execute(
            f"INSERT INTO {database.prefix}worker_events "
            "(machine_id, entity_id, trigger, context, created_at) "
            "VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (machine_id, entity_id, trigger, body, created),
        ).fetchone()
        assert row is not None
        return int(row[0])

    return database.run(insert)


class Worker:
    """Claims queued events and processes them until stopped."""

    def __init__(
        self,
        database: Database,
        catalog: Catalog | None = None,
        *,
        worker_id: str | None = None,
        poll_interval: float = 0.2,
        lease_seconds: float = 60.0,
        max_attempts: int = 5,
        retry_delay: float = 0.5,
    ) -> None:
        self.db = database
        self.catalog = catalog or Catalog(database)
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.poll_interval = poll_interval
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self._orchestrators: dict[tuple[str, int], Orchestrator] = {}
        self.processed = 0

    # -- claiming ---------------------------------------------------------------------------

    def claim(self) -> QueuedEvent | None:
        """Take the oldest event whose entity (machine and id) has nothing earlier pending or
        running."""
        now = time.time()
        p = self.db.prefix
        lock = " FOR UPDATE SKIP LOCKED" if self.db.postgres else ""

        def take(cursor: Cursor) -> tuple[Any, ...] | None:
            # Events of a worker that died mid-way go back to the queue after the lease.
            cursor.execute(
                f"UPDATE {p}worker_events SET status = 'pending', claimed_by = NULL "
                "WHERE status = 'processing' AND claimed_at < %s",
                (now - self.lease_seconds,),
            )
            return cursor.execute(
                f"UPDATE {p}worker_events SET status = 'processing', claimed_by = %s, "
                "claimed_at = %s, attempts = attempts + 1 WHERE id = ("
                f"SELECT w.id FROM {p}worker_events w WHERE w.status = 'pending' "
                "AND w.available_at <= %s AND NOT EXISTS ("
                f"SELECT 1 FROM {p}worker_events e WHERE e.machine_id = w.machine_id "
                "AND e.entity_id = w.entity_id AND e.id < w.id "
                "AND e.status IN ('pending', 'processing')) "
                f"ORDER BY w.id LIMIT 1{lock}) "
                "RETURNING id, machine_id, entity_id, trigger, context, attempts",
                (self.worker_id, now, now),
            ).fetchone()

        row = self.db.run(take)
        if row is None:
            return None
        event_id, machine_id, entity_id, trigger, context, attempts = row
        try:
            loaded = json.loads(context)
        except ValueError:
            loaded = None
        if not isinstance(loaded, dict):
            self._finish(int(event_id), "failed", None, "stored context is not a JSON object")
            return None
        return QueuedEvent(int(event_id), machine_id, entity_id, trigger, loaded, int(attempts))

    # -- processing ------------------------------------------------------------------------

    def _orchestrator(self, machine_id: str) -> Orchestrator:
        machine = self.catalog.machine(machine_id)
        key = (machine_id, id(machine))
        found = self._orchestrators.get(key)
        if found is None:
            if machine.spec.timers:
                logger.warning(
                    "machine %r has timers; the worker arms none (it has no scheduler)",
                    machine_id,
                )
            found = Orchestrator(machine, self.db.store)
            self._orchestrators[key] = found
        return found

    def process(self, event: QueuedEvent) -> str:
        """Run one claimed event; returns the status it was left in."""
        try:
            orchestrator = self._orchestrator(event.machine_id)
            result = orchestrator.process_event(
                event.entity_id,
                event.trigger,
                event.context,
                idempotency_key=f"worker-event:{event.id}",
            )
        except TRANSIENT as exc:
            return self._retry(event, exc)
        except (FSMError, CatalogError, TypeError) as exc:
            return self._finish(event.id, "failed", None, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # the database driver's own errors are worth a retry
            if _is_database_error(exc):
                return self._retry(event, exc)
            raise
        outcome = {
            "success": result.success,
            "source_state": result.source_state,
            "target_state": result.target_state,
            "reason": result.metadata.get("reason"),
        }
        if result.success:
            return self._finish(event.id, "done", outcome, None)
        return self._finish(event.id, "failed", outcome, str(result.error or "not processed"))

    def _retry(self, event: QueuedEvent, exc: BaseException) -> str:
        message = f"{type(exc).__name__}: {exc}"
        if event.attempts >= self.max_attempts:
            return self._finish(
                event.id, "failed", None, f"gave up after {event.attempts} tries: {message}"
            )
        delay = self.retry_delay * (2 ** (event.attempts - 1))
        self.db.run(
            lambda cursor: cursor.execute(
                f"UPDATE {self.db.prefix}worker_events SET status = 'pending', error = %s, "
                "available_at = %s, claimed_by = NULL WHERE id = %s AND claimed_by = %s",
                (message, time.time() + delay, event.id, self.worker_id),
            )
        )
        logger.warning("event %s will be retried: %s", event.id, message)
        return "pending"

    def _finish(
        self, event_id: int, status: str, outcome: Mapping[str, Any] | None, error: str | None
    ) -> str:
        self.db.run(
            lambda cursor: cursor.execute(
                f"UPDATE {self.db.prefix}worker_events SET status = %s, result = %s, error = %s "
                "WHERE id = %s AND claimed_by = %s",
                (status, json.dumps(outcome) if outcome else None, error, event_id, self.worker_id),
            )
        )
        self.processed += 1
        return status

    # -- the loop --------------------------------------------------------------------------

    def run_once(self) -> bool:
        """Claim and process one event; False when none was ready."""
        event = self.claim()
        if event is None:
            return False
        self.process(event)
        return True

    def run(self, stop: threading.Event | None = None, *, exit_when_idle: bool = False) -> int:
        """Process events until `stop` is set (or the queue is empty, if asked)."""
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                worked = self.run_once()
            except Exception as exc:
                if not _is_database_error(exc):
                    raise
                logger.warning("database unavailable: %s; retrying", exc)
                worked = False
            if not worked:
                if exit_when_idle and self.pending() == 0:
                    break
                stop.wait(self.poll_interval)
        return self.processed

    def pending(self) -> int:
        rows = self.db.query(
            f"SELECT COUNT(*) FROM {self.db.prefix}worker_events "
            "WHERE status IN ('pending', 'processing')"
        )
        return int(rows[0][0])


def _is_database_error(exc: BaseException) -> bool:
    if isinstance(exc, StoreError):
        return True
    module = type(exc).__module__
    return module.startswith(("psycopg", "sqlite3")) or type(exc).__name__ == "OperationalError"
