"""Runner: the Worker, which claims queued events in batches and runs each through the
Orchestrator of its catalog machine, retrying transient failures with exponential backoff.

A batch holds at most one event per entity. The events of a batch that are done are marked
so in the transaction that claims the next batch (or when the worker stops), and the
catalog is read once per machine per batch, so the queue and the catalog cost a few
statements per batch rather than per event.

Events are processed with their queue id as the idempotency key, so an event run twice (a
lost commit, a lease that ran out) is applied once. Each event is logged on one line
(logger `pystator.worker`): INFO when done, WARNING when it failed or will be retried.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from typing import Any

from pystator.db.catalog import Catalog, CatalogError
from pystator.db.database import Database
from pystator.db.orchestrators import Orchestrators
from pystator.runtime.errors import FSMError, StaleVersionError, StoreError
from pystator.runtime.orchestrator import Orchestrator
from pystator.worker.queue import EventQueue, QueuedEvent

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
        batch_size: int = 10,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.db = database
        self.catalog = catalog or Catalog(database)
        self.queue = EventQueue(database)
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.poll_interval = poll_interval
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.batch_size = batch_size
        self.orchestrators = Orchestrators(
            database, self.catalog, logger, "the worker arms none (it has no scheduler)"
        )
        self.processed = 0
        self._note = ""  # how the last event went, for its log line
        #: Events processed and not yet marked done: (id, outcome).
        self._done: list[tuple[int, dict[str, Any]]] = []
        #: Orchestrators of the current batch, by machine id.
        self._batch: dict[str, Orchestrator] = {}

    def claim(self) -> QueuedEvent | None:
        """Take the oldest event whose entity (machine and id) has nothing earlier pending or
        running."""
        return self.queue.claim(self.worker_id, self.lease_seconds)

    def claim_batch(self) -> list[QueuedEvent]:
        """Mark the events processed since the last claim done, and take up to `batch_size`
        ready events, one per entity, in one transaction."""
        events = self.queue.claim_batch(
            self.worker_id, self.lease_seconds, self.batch_size, completed=self._done
        )
        self._done = []
        self._batch = {}
        return events

    def flush(self) -> None:
        """Mark the events processed since the last claim done."""
        if self._done:
            self.queue.complete_all(self.worker_id, self._done)
            self._done = []

    def process(self, event: QueuedEvent) -> str:
        """Run one claimed event and settle it; returns the status it was left in and logs
        one line."""
        self._batch = {}
        status = self._handle(event)
        self.flush()
        return status

    def _handle(self, event: QueuedEvent) -> str:
        """Run one claimed event, logging one line; a done event joins `_done`."""
        started = time.perf_counter()
        status = self._process(event)
        elapsed = (time.perf_counter() - started) * 1000
        logger.log(
            logging.INFO if status == "done" else logging.WARNING,
            "event %s %s/%s %s: %s (%.1f ms)",
            event.id,
            _one_line(event.machine_id),
            _one_line(event.entity_id),
            _one_line(event.trigger),
            _one_line(self._note),
            elapsed,
        )
        return status

    def _process(self, event: QueuedEvent) -> str:
        """The status the event was left in; `_note` says in a few words how it got there."""
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
            return self._failed(event, _text(exc))
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
            self._done.append((event.id, outcome))
            self.processed += 1
            self._note = f"done, {result.source_state} -> {result.target_state}"
            return "done"
        return self._failed(event, str(result.error or "not processed"), outcome)

    def _orchestrator(self, machine_id: str) -> Orchestrator:
        found = self._batch.get(machine_id)
        if found is None:
            found = self._batch[machine_id] = self.orchestrators.get(machine_id)
        return found

    def _retry(self, event: QueuedEvent, exc: BaseException) -> str:
        message = _text(exc)
        if event.attempts >= self.max_attempts:
            return self._failed(event, f"gave up after {event.attempts} tries: {message}")
        delay = self.retry_delay * (2 ** (event.attempts - 1))
        self.queue.release(event.id, self.worker_id, message, delay)
        self._note = f"retry {event.attempts + 1} in {delay:g} s, {message}"
        return "pending"

    def _failed(self, event: QueuedEvent, error: str, outcome: dict[str, Any] | None = None) -> str:
        self.queue.fail(event.id, self.worker_id, error, outcome)
        self.processed += 1
        self._note = f"failed, {error}"
        return "failed"

    # -- the loop --------------------------------------------------------------------------

    def run_once(self) -> bool:
        """Claim a batch and process it, settling every event; False when none was ready."""
        worked = self._run_batch()
        self.flush()
        return worked

    def _run_batch(self) -> bool:
        events = self.claim_batch()
        for event in events:
            self._handle(event)
        return bool(events)

    def run(self, stop: threading.Event | None = None, *, exit_when_idle: bool = False) -> int:
        """Process events until `stop` is set (or the queue is empty, if asked)."""
        stop = stop or threading.Event()
        try:
            while not stop.is_set():
                try:
                    worked = self._run_batch()
                except Exception as exc:
                    if not _is_database_error(exc):
                        raise
                    logger.warning("database unavailable: %s; retrying", exc)
                    worked = False
                if not worked:
                    if exit_when_idle and self.pending() == 0:
                        break
                    stop.wait(self.poll_interval)
        finally:
            self._settle_on_exit()
        return self.processed

    def _settle_on_exit(self) -> None:
        try:
            self.flush()
        except Exception as exc:
            if not _is_database_error(exc):
                raise
            # Their leases run out and they run again, replayed by their idempotency keys.
            logger.warning("could not mark %d events done: %s", len(self._done), exc)

    def pending(self) -> int:
        return self.queue.pending()


def _one_line(text: str) -> str:
    """`text` with line breaks and other control characters escaped: one event, one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _is_database_error(exc: BaseException) -> bool:
    if isinstance(exc, StoreError):
        return True
    module = type(exc).__module__
    return module.startswith(("psycopg", "sqlite3")) or type(exc).__name__ == "OperationalError"
