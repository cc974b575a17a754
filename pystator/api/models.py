"""Models: the shapes of the API's requests and responses, and the field rules that check
ids, keys and contexts by the stores' own rules before any handler runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from pystator.db.catalog import StoredMachine
from pystator.runtime.errors import UnstorableValueError
from pystator.runtime.ids import MAX_ID_LENGTH, entity_id_problem, idempotency_key_problem
from pystator.runtime.stores._codec import storable_mapping

# Six bytes per character at worst in JSON, so a valid document always fits the body limit.
MAX_YAML_CHARS = 262_144
NAME = Annotated[str, Field(min_length=1, max_length=200)]
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
MACHINE_ID = Annotated[str, Field(pattern=ID_PATTERN)]
MACHINE_PATH = Annotated[str, Path(pattern=ID_PATTERN)]


def _entity_id(value: str) -> str:
    problem = entity_id_problem(value)
    if problem is not None:
        raise ValueError(f"the entity id {problem}; see the entity id rule in the README")
    return value


def _idempotency_key(value: str) -> str:
    problem = idempotency_key_problem(value)
    if problem is not None:
        raise ValueError(f"the idempotency key {problem}")
    return value


def _storable(value: dict[str, Any]) -> dict[str, Any]:
    # The stores' own rule, so nothing the API accepts fails to be stored or read back.
    try:
        return storable_mapping(value, "context")
    except UnstorableValueError as exc:
        raise ValueError(str(exc)) from None


ENTITY_ID = Annotated[
    str, Field(min_length=1, max_length=MAX_ID_LENGTH), AfterValidator(_entity_id)
]
ENTITY_PATH = Annotated[
    str, Path(min_length=1, max_length=MAX_ID_LENGTH), AfterValidator(_entity_id)
]
CONTEXT = Annotated[dict[str, Any], AfterValidator(_storable)]
IDEMPOTENCY_KEY = Annotated[
    str, Field(min_length=1, max_length=MAX_ID_LENGTH), AfterValidator(_idempotency_key)
]
MACHINE_QUERY = Annotated[str | None, Query(pattern=ID_PATTERN)]


def _optional_entity_id(value: str | None) -> str | None:
    return _entity_id(value) if value else None


ENTITY_QUERY = Annotated[
    str | None, Query(max_length=MAX_ID_LENGTH), AfterValidator(_optional_entity_id)
]


# -- models -------------------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DiagnosticOut(BaseModel):
    code: str
    severity: str
    message: str
    hint: str
    file: str
    line: int
    col: int


class Problem(BaseModel):
    detail: str
    diagnostics: list[DiagnosticOut] = []


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    database: Literal["sqlite", "postgresql"]


class MachineSummary(BaseModel):
    name: str
    version: str
    fingerprint: str
    initial_state: str
    states: list[str]
    triggers: list[str]


class ValidateIn(Strict):
    yaml: str = Field(max_length=MAX_YAML_CHARS)


class ValidateOut(BaseModel):
    valid: bool
    diagnostics: list[DiagnosticOut]
    machine: MachineSummary | None = None


class ProcessIn(Strict):
    yaml: str | None = Field(default=None, max_length=MAX_YAML_CHARS)
    machine_id: MACHINE_ID | None = None
    version: int | None = Field(default=None, ge=1)
    state: NAME
    trigger: NAME
    context: CONTEXT = {}


class ResultOut(BaseModel):
    success: bool
    source_state: str
    target_state: str | None
    trigger: str
    actions: list[str]
    error: str | None
    reason: str | None


class MachineIn(Strict):
    yaml: str = Field(max_length=MAX_YAML_CHARS)
    id: MACHINE_ID | None = None


class MachineUpdate(Strict):
    yaml: str = Field(max_length=MAX_YAML_CHARS)


@dataclass(frozen=True, slots=True)
class MachineOut(StoredMachine):
    # The stored machine's own fields, then the summary of what it compiles to.
    machine: MachineSummary


class MachineListItem(BaseModel):
    id: str
    name: str
    version: int
    updated_at: str


class VersionOut(BaseModel):
    version: int
    created_at: str


class EntityIn(Strict):
    machine_id: MACHINE_ID
    entity_id: ENTITY_ID
    context: CONTEXT = {}


class TimerOut(BaseModel):
    state: str
    event: str
    delay_ms: int


class EntityOut(BaseModel):
    entity_id: str
    machine: str
    state: str
    context: dict[str, Any]
    version: int
    machine_version: str
    allowed_triggers: list[str]
    pending_timers: list[TimerOut]


class EventIn(Strict):
    trigger: NAME
    machine_id: MACHINE_ID | None = None
    context: CONTEXT = {}
    idempotency_key: IDEMPOTENCY_KEY | None = None


class QueuedOut(BaseModel):
    id: int
    status: str


class QueuedEventOut(BaseModel):
    id: int
    machine_id: str
    entity_id: str
    trigger: str
    status: Literal["pending", "processing", "done", "failed"]
    attempts: int
    error: str | None
    result: dict[str, Any] | None
    created_at: str


class HistoryOut(BaseModel):
    source_state: str
    target_state: str | None
    trigger: str
    success: bool
    error: str | None
    actions: list[str]
    timestamp: str
    duration_ms: float


class Me(BaseModel):
    authenticated: bool
    subject: str | None = None
    claims: dict[str, Any] = {}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Malformed request"},
    401: {"model": Problem, "description": "Missing or invalid bearer token"},
    404: {"model": Problem, "description": "Not found"},
    409: {"model": Problem, "description": "Conflict"},
    413: {"model": Problem, "description": "Request body too large"},
    422: {"model": Problem, "description": "Invalid machine, state, trigger or body"},
    503: {"model": Problem, "description": "The database is unavailable; try again"},
}
