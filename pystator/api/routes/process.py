"""Process: `POST /process` runs one event from a given state through sent YAML or a
catalog machine, storing nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pystator.api import views
from pystator.api.errors import ApiError, compiled
from pystator.api.models import ProcessIn, ResultOut
from pystator.api.service import Service, ServiceDep
from pystator.runtime.errors import FSMError
from pystator.runtime.machine import StateMachine

router = APIRouter(tags=["compiler"])


@router.post("/process", response_model=ResultOut)
def process(body: ProcessIn, service: ServiceDep) -> ResultOut:
    machine = _machine(body, service)
    if body.state not in {state.name for state in machine.spec.states}:
        raise ApiError(422, f"state {body.state!r} is not a state of {machine.name!r}")
    try:
        return views.result(machine.process(body.state, body.trigger, body.context))
    except FSMError as exc:
        raise ApiError(422, str(exc)) from None


def _machine(body: ProcessIn, service: Service) -> StateMachine[Any, Any, Any]:
    if body.yaml is not None and body.machine_id is None:
        return StateMachine(compiled(body.yaml))
    if body.machine_id is not None and body.yaml is None:
        return service.machine(body.machine_id, body.version)
    raise ApiError(422, "send either `yaml` or `machine_id`")
