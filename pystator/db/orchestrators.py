"""Orchestrators: one Orchestrator per catalog machine version over a Database's store,
shared by the API and the worker (neither has a scheduler, so neither arms timers)."""

from __future__ import annotations

import logging
import threading

from pystator.db.catalog import Catalog
from pystator.db.database import Database
from pystator.runtime.orchestrator import Orchestrator


class Orchestrators:
    """`get(machine_id)` builds the Orchestrator of the machine's current version once.

    A machine with timers is logged to `logger` once, `timers_note` saying what becomes of
    them.
    """

    def __init__(
        self, database: Database, catalog: Catalog, logger: logging.Logger, timers_note: str
    ) -> None:
        self.db = database
        self.catalog = catalog
        self.logger = logger
        self.timers_note = timers_note
        self._built: dict[tuple[str, int], Orchestrator] = {}
        self._lock = threading.Lock()

    def get(self, machine_id: str) -> Orchestrator:
        machine = self.catalog.machine(machine_id)
        # The catalog keeps one machine per version, so a new version gets a new one.
        key = (machine_id, id(machine))
        with self._lock:
            found = self._built.get(key)
            if found is None:
                if machine.spec.timers:
                    self.logger.warning("machine %r has timers; %s", machine_id, self.timers_note)
                # The store is read now, not when this was built: callers may replace it.
                found = Orchestrator(machine, self.db.store)
                self._built[key] = found
        return found
