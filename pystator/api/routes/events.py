"""Events: queue an event of an entity for the workers, and read where a queued event
stands (pending, processing, done or failed, with its outcome or error)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from pystator.api import views
from pystator.api.errors import ApiError
from pystator.api.models import ENTITY_PATH, EventIn, QueuedEventOut, QueuedOut
from pystator.api.service import ServiceDep

router = APIRouter(tags=["entities"])


@router.post("/entities/{entity_id}/events/queue", response_model=QueuedOut, status_code=202)
def queue_event(entity_id: ENTITY_PATH, body: EventIn, service: ServiceDep) -> QueuedOut:
    machine_id = service.machine_of_entity(entity_id, body.machine_id)
    event_id = service.queue.submit(machine_id, entity_id, body.trigger, body.context)
    return QueuedOut(id=event_id, status="pending")


@router.get("/events/{event_id}", response_model=QueuedEventOut)
def queued_event(
    event_id: Annotated[int, Path(ge=1, le=2**62)], service: ServiceDep
) -> QueuedEventOut:
    found = service.connect().queue.get(event_id)
    if found is None:
        raise ApiError(404, f"no queued event {event_id}")
    return views.queued_event(found)
