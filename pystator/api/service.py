"""Service: what the routes share — the database (its store, catalog and queue) and one
Orchestrator per catalog machine — opened on the first request that needs it."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

from fastapi import Depends, Request

from pystator.api.errors import ApiError
from pystator.db.catalog import Catalog, check_id
from pystator.db.config import ApiSettings
from pystator.db.database import Database
from pystator.db.orchestrators import Orchestrators
from pystator.runtime.machine import StateMachine
from pystator.runtime.orchestrator import Orchestrator
from pystator.worker.queue import EventQueue

logger = logging.getLogger("pystator.api")


class Service:
    """The settings' database, its catalog and queue, and their machines' Orchestrators."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self.db = Database(settings.db_url, schema=settings.schema, timeout=settings.db_timeout)
        self.catalog = Catalog(self.db)
        self.queue = EventQueue(self.db)
        self.orchestrators = Orchestrators(
            self.db,
            self.catalog,
            logger,
            "the API arms none (no scheduler): its entities list them under pending_timers",
        )
        self._lock = threading.Lock()
        self._connected = False

    def connect(self) -> Service:
        """Create or upgrade the tables, once."""
        with self._lock:
            if not self._connected:
                self.db.connect()
                self._connected = True
        return self

    def machine(self, machine_id: str, version: int | None = None) -> StateMachine[Any, Any, Any]:
        return self.connect().catalog.machine(check_id(machine_id), version)

    def orchestrator(self, machine_id: str) -> Orchestrator:
        return self.connect().orchestrators.get(check_id(machine_id))

    def machine_of_entity(self, entity_id: str, given: str | None) -> str:
        """The catalog id of the machine whose entity `entity_id` is meant: `given`, or the
        one machine that has an entity of that id."""
        self.connect()
        if given is not None:
            return check_id(given)
        names = self.db.store.machines_of(entity_id)
        if not names:
            raise ApiError(404, f"no entity {entity_id!r}; name its machine_id to create it")
        owners = [self.catalog.owner(name) for name in names]
        if len(names) > 1:
            ids = ", ".join(
                repr(owner.id if owner is not None else name)
                for owner, name in zip(owners, names, strict=True)
            )
            raise ApiError(
                409,
                f"entity {entity_id!r} exists under machines {ids}; name one with machine_id",
            )
        if owners[0] is None:
            raise ApiError(409, f"machine {names[0]!r} of entity {entity_id!r} is gone")
        return owners[0].id


async def _service(request: Request) -> Service:
    """The app's Service; handlers that use the database call `connect()` (in their worker
    thread, so the event loop never waits for the database)."""
    service: Service = request.app.state.service
    return service


#: A handler parameter of this type receives the app's Service.
ServiceDep = Annotated[Service, Depends(_service)]
