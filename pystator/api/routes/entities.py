"""Entities: create an entity of a catalog machine, read it with its allowed triggers and
pending timers, send it an event through the Orchestrator, and list its history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pystator.api import views
from pystator.api.errors import ApiError, refusals
from pystator.api.models import (
    ENTITY_PATH,
    MACHINE_QUERY,
    EntityIn,
    EntityOut,
    EventIn,
    HistoryOut,
    ResultOut,
    TimerOut,
)
from pystator.api.service import Service, ServiceDep
from pystator.runtime.errors import FSMError
from pystator.runtime.session import EntitySession

router = APIRouter(tags=["entities"])


@router.post("/entities", response_model=EntityOut, status_code=201)
async def create_entity(body: EntityIn, service: ServiceDep) -> EntityOut:
    orchestrator = service.orchestrator(body.machine_id)
    with refusals():
        await orchestrator.async_create_entity(body.entity_id, body.context)
    return _entity(service, body.entity_id, body.machine_id)


@router.get("/entities/{entity_id}", response_model=EntityOut)
def get_entity(
    entity_id: ENTITY_PATH, service: ServiceDep, machine_id: MACHINE_QUERY = None
) -> EntityOut:
    return _entity(service, entity_id, machine_id)


@router.post("/entities/{entity_id}/events", response_model=ResultOut)
async def send_event(entity_id: ENTITY_PATH, body: EventIn, service: ServiceDep) -> ResultOut:
    orchestrator = service.orchestrator(service.machine_of_entity(entity_id, body.machine_id))
    with refusals():
        result = await orchestrator.async_process_event(
            entity_id, body.trigger, body.context, idempotency_key=body.idempotency_key
        )
    return views.result(result)


@router.get("/entities/{entity_id}/history", response_model=list[HistoryOut])
def entity_history(
    entity_id: ENTITY_PATH, service: ServiceDep, machine_id: MACHINE_QUERY = None
) -> list[HistoryOut]:
    spec = service.machine(service.machine_of_entity(entity_id, machine_id)).spec
    return [
        views.history(entry)
        for entry in service.db.store.history(entity_id, machine_name=spec.name)
    ]


def _entity(service: Service, entity_id: str, machine_id: str | None) -> EntityOut:
    chosen = service.machine_of_entity(entity_id, machine_id)
    machine = service.machine(chosen)
    record = service.db.store.load(entity_id, machine_name=machine.name)
    if record is None:
        raise ApiError(404, f"no entity {entity_id!r} of machine {chosen!r}")
    try:
        session: EntitySession[Any, Any, Any] = EntitySession.from_record(machine, record)
    except FSMError as exc:
        raise ApiError(409, str(exc)) from None
    return EntityOut(
        entity_id=entity_id,
        machine=chosen,
        state=session.current_state,
        context=dict(session.context),
        version=record.version,
        machine_version=record.machine_version,
        allowed_triggers=session.allowed_triggers,
        pending_timers=[
            TimerOut(state=t.state, event=t.event, delay_ms=t.delay_ms)
            for t in session.pending_timers
        ],
    )
