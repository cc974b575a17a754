"""Machines: the catalog over HTTP — list, create, read (any version), update, delete, and
each machine's versions, generated module and Mermaid diagram."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response

from pystator.api import views
from pystator.api.diagram import current_leaves
from pystator.api.errors import compiled
from pystator.api.models import (
    ENTITY_QUERY,
    MACHINE_PATH,
    MachineIn,
    MachineListItem,
    MachineOut,
    MachineUpdate,
    VersionOut,
)
from pystator.api.service import ServiceDep
from pystator.db.catalog import check_id, compile_yaml
from pystator.generator.emit import render
from pystator.runtime.visualization import to_mermaid

router = APIRouter(tags=["machines"])


@router.get("/machines", response_model=list[MachineListItem])
def list_machines(service: ServiceDep) -> list[MachineListItem]:
    return [
        MachineListItem(id=m.id, name=m.name, version=m.version, updated_at=m.updated_at)
        for m in service.connect().catalog.list()
    ]


@router.post("/machines", response_model=MachineOut, status_code=201)
def create_machine(body: MachineIn, service: ServiceDep) -> MachineOut:
    catalog = service.connect().catalog
    spec = compiled(body.yaml)
    return views.machine(catalog.create(body.yaml, body.id), spec)


@router.get("/machines/{machine_id}", response_model=MachineOut)
def get_machine(
    machine_id: MACHINE_PATH,
    service: ServiceDep,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> MachineOut:
    stored = service.connect().catalog.get(check_id(machine_id), version)
    return views.machine(stored, service.machine(machine_id, stored.version).spec)


@router.put("/machines/{machine_id}", response_model=MachineOut)
def update_machine(
    machine_id: MACHINE_PATH, body: MachineUpdate, service: ServiceDep
) -> MachineOut:
    catalog = service.connect().catalog
    spec = compiled(body.yaml)
    return views.machine(catalog.update(check_id(machine_id), body.yaml), spec)


@router.delete("/machines/{machine_id}", status_code=204)
def delete_machine(machine_id: MACHINE_PATH, service: ServiceDep) -> Response:
    service.connect().catalog.delete(check_id(machine_id))
    return Response(status_code=204)


@router.get("/machines/{machine_id}/versions", response_model=list[VersionOut])
def machine_versions(machine_id: MACHINE_PATH, service: ServiceDep) -> list[VersionOut]:
    return [
        VersionOut(version=version, created_at=created)
        for version, created in service.connect().catalog.versions(check_id(machine_id))
    ]


@router.get(
    "/machines/{machine_id}/module",
    response_class=Response,
    responses={200: {"content": {"text/x-python": {"schema": {"type": "string"}}}}},
)
def machine_module(machine_id: MACHINE_PATH, service: ServiceDep) -> PlainTextResponse:
    stored = service.connect().catalog.get(check_id(machine_id))
    found = compile_yaml(stored.yaml, f"{machine_id}.yaml")
    text = render(
        found.spec, source_name=f"{machine_id}.yaml", source_hash=found.document.source_hash
    )
    return PlainTextResponse(text, media_type="text/x-python")


@router.get(
    "/machines/{machine_id}/diagram",
    # Response, not PlainTextResponse: the error responses stay application/json.
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def machine_diagram(
    machine_id: MACHINE_PATH,
    service: ServiceDep,
    format: Literal["mermaid"] = "mermaid",
    entity_id: ENTITY_QUERY = None,
) -> Response:
    """The machine as a Mermaid `stateDiagram-v2`, the states of `entity_id` marked."""
    spec = service.machine(machine_id).spec
    active: frozenset[str] = frozenset()
    if entity_id:
        record = service.db.store.load(entity_id, machine_name=spec.name)
        if record is not None:
            active = current_leaves(spec, record)
    return PlainTextResponse(to_mermaid(spec, highlight=active))
