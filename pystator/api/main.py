"""The REST API: validate and compile machines, keep them in the catalog, and process
entity events through the Orchestrator and the configured store.

An entity is a catalog machine and an id; routes that name only the id find its machine
(`?machine_id=` or the body's `machine_id` names it when several machines use the id).

`uvicorn pystator.api.main:app` or `pystator api`; OpenAPI docs at /docs, the UI at /.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from pystator import __version__
from pystator.api.auth import authenticator
from pystator.api.diagram import current_leaves
from pystator.api.hosts import AllowedHosts, allowed_hosts
from pystator.api.limits import BodyLimits
from pystator.api.static import add_ui_routes
from pystator.db.catalog import Catalog, CatalogError, StoredMachine, check_id, compile_yaml
from pystator.db.config import ApiSettings, load_settings
from pystator.db.database import Database
from pystator.generator.diagnostics import CompileError, Diagnostic
from pystator.generator.emit import render
from pystator.runtime.errors import (
    FSMError,
    InvalidIdentifierError,
    StoreError,
    StoreUnavailableError,
    UnstorableValueError,
)
from pystator.runtime.ids import MAX_ID_LENGTH, entity_id_problem, idempotency_key_problem
from pystator.runtime.machine import StateMachine
from pystator.runtime.orchestrator import Orchestrator
from pystator.runtime.results import TransitionResult
from pystator.runtime.session import EntitySession
from pystator.runtime.spec import MachineSpec
from pystator.runtime.stores._codec import storable_mapping
from pystator.runtime.visualization import to_mermaid
from pystator.worker import submit_event

logger = logging.getLogger("pystator.api")
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


class MachineOut(BaseModel):
    id: str
    name: str
    version: int
    yaml: str
    created_at: str
    updated_at: str
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


# -- helpers ------------------------------------------------------------------------------


class ApiError(Exception):
    def __init__(self, status: int, detail: str, diagnostics: tuple[Diagnostic, ...] = ()) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.diagnostics = diagnostics


def _diagnostic(found: Diagnostic) -> DiagnosticOut:
    return DiagnosticOut(
        code=found.code,
        severity=str(found.severity),
        message=found.message,
        hint=found.hint,
        file=found.file,
        line=found.line,
        col=found.col,
    )


def _summary(spec: MachineSpec) -> MachineSummary:
    return MachineSummary(
        name=spec.name,
        version=spec.version,
        fingerprint=spec.fingerprint,
        initial_state=spec.initial_state,
        states=[state.name for state in spec.states],
        triggers=[trigger.name for trigger in spec.triggers],
    )


def _compile(text: str) -> MachineSpec:
    try:
        return compile_yaml(text).spec
    except CompileError as exc:
        raise ApiError(422, "the machine does not compile", exc.diagnostics) from None


def _result(result: TransitionResult) -> ResultOut:
    return ResultOut(
        success=result.success,
        source_state=result.source_state,
        target_state=result.target_state,
        trigger=result.trigger,
        actions=list(result.all_actions),
        error=str(result.error) if result.error is not None else None,
        reason=result.metadata.get("reason"),
    )


def _refused(exc: FSMError) -> ApiError:
    """The HTTP answer to an error the Orchestrator or a store raised."""
    if isinstance(exc, (InvalidIdentifierError, UnstorableValueError)):
        return ApiError(422, str(exc))
    return ApiError(409, str(exc))


def _machine_out(stored: StoredMachine, spec: MachineSpec) -> MachineOut:
    return MachineOut(
        id=stored.id,
        name=stored.name,
        version=stored.version,
        yaml=stored.yaml,
        created_at=stored.created_at,
        updated_at=stored.updated_at,
        machine=_summary(spec),
    )


# -- the application ------------------------------------------------------------------------


class Service:
    """What the routes share: the database, the catalog and one Orchestrator per machine."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self.db = Database(settings.db_url, schema=settings.schema, timeout=settings.db_timeout)
        self.catalog = Catalog(self.db)
        self._orchestrators: dict[tuple[str, int], Orchestrator] = {}
        self._lock = threading.Lock()
        self._connected = False

    def connect(self) -> None:
        with self._lock:
            if not self._connected:
                self.db.connect()
                self._connected = True

    def machine(self, machine_id: str, version: int | None = None) -> StateMachine[Any, Any, Any]:
        self.connect()
        return self.catalog.machine(machine_id, version)

    def orchestrator(self, machine_id: str) -> Orchestrator:
        machine = self.machine(machine_id)
        key = (machine_id, id(machine))
        with self._lock:
            found = self._orchestrators.get(key)
            if found is None:
                if machine.spec.timers:
                    logger.warning(
                        "machine %r has timers; the API arms none (no scheduler): its "
                        "entities list them under pending_timers",
                        machine_id,
                    )
                found = Orchestrator(machine, self.db.store)
                self._orchestrators[key] = found
            return found

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


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The API for `settings` (default: `pystator.cfg` and the environment)."""
    chosen = settings or load_settings()
    hosts = allowed_hosts(chosen.allowed_hosts)
    auth = authenticator(chosen)
    service = Service(chosen)
    app = FastAPI(
        title="pystator",
        version=__version__,
        description="Validate, store and run YAML state machines.",
        # /docs comes from add_ui_routes, with Swagger UI served from this package.
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        body = Problem(detail=exc.detail, diagnostics=[_diagnostic(d) for d in exc.diagnostics])
        return JSONResponse(body.model_dump(), status_code=exc.status)

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        return _store_failure(request, exc)

    for driver_error in _driver_errors():
        # Stores and the database raise StoreError; a driver's own error that still gets
        # here is answered the same way, never with its text.
        app.add_exception_handler(driver_error, _store_failure)

    @app.exception_handler(CatalogError)
    async def catalog_error(request: Request, exc: CatalogError) -> JSONResponse:
        return JSONResponse({"detail": exc.message, "diagnostics": []}, status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Routes of one path are separate entries; list the methods of all of them.
            allowed: set[str] = set()
            for route in app.router.routes:
                match, _ = route.matches(request.scope)
                if match is not Match.NONE:
                    allowed |= set(getattr(route, "methods", None) or ())
            headers["Allow"] = ", ".join(sorted(allowed))
        return JSONResponse(
            {"detail": exc.detail, "diagnostics": []}, status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg')}"
            for error in exc.errors()[:10]
        )
        return JSONResponse(
            {"detail": f"invalid request: {problems}", "diagnostics": []}, status_code=422
        )

    @app.get("/health", response_model=Health, tags=["service"])
    def health() -> Health:
        if service.db.postgres:
            return Health(status="ok", version=__version__, database="postgresql")
        return Health(status="ok", version=__version__, database="sqlite")

    api = APIRouter(prefix="/api/v1", responses=ERRORS, dependencies=[Depends(auth.require)])
    _routes(api, service, auth.claims)
    app.include_router(api)
    _ui(app)
    app.add_middleware(BodyLimits, max_bytes=chosen.max_body_bytes, max_depth=chosen.max_json_depth)
    # Added last, so it runs first: a request for a foreign host gets no further.
    app.add_middleware(AllowedHosts, hosts=hosts)
    return app


def _store_failure(request: Request, exc: Exception) -> JSONResponse:
    """503 (or 500) with a reference to the log entry that holds the driver's details:
    its text can name hosts, users, SQL and passwords."""
    reference = uuid.uuid4().hex[:12]
    unavailable = isinstance(exc, StoreUnavailableError) or (
        not isinstance(exc, StoreError) and _connection_problem(exc)
    )
    logger.error(
        "%s %s failed on the database [reference %s]",
        request.method,
        request.url.path,
        reference,
        exc_info=exc,
    )
    if unavailable:
        return JSONResponse(
            {
                "detail": f"the database is unavailable; try again shortly (reference {reference})",
                "diagnostics": [],
            },
            status_code=503,
            headers={"Retry-After": "2"},
        )
    return JSONResponse(
        {"detail": f"the database failed the request (reference {reference})", "diagnostics": []},
        status_code=500,
    )


def _connection_problem(exc: Exception) -> bool:
    from pystator.runtime.stores._failures import connection_problem

    return connection_problem(exc)


def _driver_errors() -> list[type[Exception]]:
    """The base exceptions of the installed database drivers."""
    found: list[type[Exception]] = []
    try:
        import psycopg

        found.append(psycopg.Error)
    except ImportError:
        pass
    try:
        import redis

        found.append(redis.RedisError)
    except ImportError:
        pass
    return found


def _routes(api: APIRouter, service: Service, claims: Callable[[Request], Any]) -> None:
    @api.get("/auth/me", response_model=Me, tags=["auth"])
    def me(request: Request) -> Me:
        found = claims(request)
        if found is None:
            return Me(authenticated=False)
        return Me(authenticated=True, subject=found.get("sub"), claims=found)

    @api.post("/validate", response_model=ValidateOut, tags=["compiler"])
    def validate(body: ValidateIn) -> ValidateOut:
        try:
            compiled = compile_yaml(body.yaml)
        except CompileError as exc:
            return ValidateOut(valid=False, diagnostics=[_diagnostic(d) for d in exc.diagnostics])
        return ValidateOut(
            valid=True,
            diagnostics=[_diagnostic(d) for d in compiled.warnings],
            machine=_summary(compiled.spec),
        )

    @api.post("/process", response_model=ResultOut, tags=["compiler"])
    def process(body: ProcessIn) -> ResultOut:
        if (body.yaml is None) == (body.machine_id is None):
            raise ApiError(422, "send either `yaml` or `machine_id`")
        if body.yaml is not None:
            machine: StateMachine[Any, Any, Any] = StateMachine(_compile(body.yaml))
        else:
            assert body.machine_id is not None
            machine = service.machine(body.machine_id, body.version)
        if body.state not in {state.name for state in machine.spec.states}:
            raise ApiError(422, f"state {body.state!r} is not a state of {machine.name!r}")
        try:
            return _result(machine.process(body.state, body.trigger, body.context))
        except FSMError as exc:
            raise ApiError(422, str(exc)) from None

    @api.get("/machines", response_model=list[MachineListItem], tags=["machines"])
    def list_machines() -> list[MachineListItem]:
        service.connect()
        return [
            MachineListItem(id=m.id, name=m.name, version=m.version, updated_at=m.updated_at)
            for m in service.catalog.list()
        ]

    @api.post("/machines", response_model=MachineOut, status_code=201, tags=["machines"])
    def create_machine(body: MachineIn) -> MachineOut:
        service.connect()
        spec = _compile(body.yaml)
        stored = service.catalog.create(body.yaml, body.id)
        return _machine_out(stored, spec)

    @api.get("/machines/{machine_id}", response_model=MachineOut, tags=["machines"])
    def get_machine(
        machine_id: MACHINE_PATH, version: Annotated[int | None, Query(ge=1)] = None
    ) -> MachineOut:
        service.connect()
        stored = service.catalog.get(check_id(machine_id), version)
        return _machine_out(stored, service.machine(machine_id, stored.version).spec)

    @api.put("/machines/{machine_id}", response_model=MachineOut, tags=["machines"])
    def update_machine(machine_id: MACHINE_PATH, body: MachineUpdate) -> MachineOut:
        service.connect()
        spec = _compile(body.yaml)
        return _machine_out(service.catalog.update(check_id(machine_id), body.yaml), spec)

    @api.delete("/machines/{machine_id}", status_code=204, tags=["machines"])
    def delete_machine(machine_id: MACHINE_PATH) -> Response:
        service.connect()
        service.catalog.delete(check_id(machine_id))
        return Response(status_code=204)

    @api.get("/machines/{machine_id}/versions", response_model=list[VersionOut], tags=["machines"])
    def machine_versions(machine_id: MACHINE_PATH) -> list[VersionOut]:
        service.connect()
        return [
            VersionOut(version=v, created_at=c)
            for v, c in service.catalog.versions(check_id(machine_id))
        ]

    @api.get(
        "/machines/{machine_id}/module",
        response_class=Response,
        tags=["machines"],
        responses={200: {"content": {"text/x-python": {"schema": {"type": "string"}}}}},
    )
    def machine_module(machine_id: MACHINE_PATH) -> PlainTextResponse:
        service.connect()
        stored = service.catalog.get(check_id(machine_id))
        compiled = compile_yaml(stored.yaml, f"{machine_id}.yaml")
        text = render(
            compiled.spec,
            source_name=f"{machine_id}.yaml",
            source_hash=compiled.document.source_hash,
        )
        return PlainTextResponse(text, media_type="text/x-python")

    @api.get(
        "/machines/{machine_id}/diagram",
        tags=["machines"],
        # Response, not PlainTextResponse: the error responses stay application/json.
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    def machine_diagram(
        machine_id: MACHINE_PATH,
        format: Literal["mermaid"] = "mermaid",
        entity_id: Annotated[
            str | None, Query(max_length=MAX_ID_LENGTH), AfterValidator(_optional_entity_id)
        ] = None,
    ) -> Response:
        """The machine as a Mermaid `stateDiagram-v2`, the states of `entity_id` marked."""
        spec = service.machine(check_id(machine_id)).spec
        active: frozenset[str] = frozenset()
        if entity_id:
            record = service.db.store.load(entity_id, machine_name=spec.name)
            if record is not None:
                active = current_leaves(spec, record)
        return PlainTextResponse(to_mermaid(spec, highlight=active))

    @api.post("/entities", response_model=EntityOut, status_code=201, tags=["entities"])
    async def create_entity(body: EntityIn) -> EntityOut:
        orchestrator = service.orchestrator(check_id(body.machine_id))
        try:
            await orchestrator.async_create_entity(body.entity_id, body.context)
        except StoreError:
            raise
        except FSMError as exc:
            raise _refused(exc) from None
        return _entity(service, body.entity_id, body.machine_id)

    @api.get("/entities/{entity_id}", response_model=EntityOut, tags=["entities"])
    def get_entity(entity_id: ENTITY_PATH, machine_id: MACHINE_QUERY = None) -> EntityOut:
        return _entity(service, entity_id, machine_id)

    @api.post("/entities/{entity_id}/events", response_model=ResultOut, tags=["entities"])
    async def send_event(entity_id: ENTITY_PATH, body: EventIn) -> ResultOut:
        machine_id = service.machine_of_entity(entity_id, body.machine_id)
        orchestrator = service.orchestrator(machine_id)
        try:
            result = await orchestrator.async_process_event(
                entity_id, body.trigger, body.context, idempotency_key=body.idempotency_key
            )
        except StoreError:
            raise
        except FSMError as exc:
            raise _refused(exc) from None
        return _result(result)

    @api.post(
        "/entities/{entity_id}/events/queue",
        response_model=QueuedOut,
        status_code=202,
        tags=["entities"],
    )
    def queue_event(entity_id: ENTITY_PATH, body: EventIn) -> QueuedOut:
        machine_id = service.machine_of_entity(entity_id, body.machine_id)
        event_id = submit_event(service.db, machine_id, entity_id, body.trigger, body.context)
        return QueuedOut(id=event_id, status="pending")

    @api.get("/events/{event_id}", response_model=QueuedEventOut, tags=["entities"])
    def queued_event(event_id: Annotated[int, Path(ge=1, le=2**62)]) -> QueuedEventOut:
        service.connect()
        rows = service.db.query(
            "SELECT id, machine_id, entity_id, trigger, status, attempts, error, result, "
            f"created_at FROM {service.db.prefix}worker_events WHERE id = %s",
            (event_id,),
        )
        if not rows:
            raise ApiError(404, f"no queued event {event_id}")
        row = rows[0]
        result = json.loads(row[7]) if row[7] else None
        return QueuedEventOut(
            id=int(row[0]),
            machine_id=row[1],
            entity_id=row[2],
            trigger=row[3],
            status=row[4],
            attempts=int(row[5]),
            error=row[6],
            result=result if isinstance(result, dict) else None,
            created_at=str(row[8]),
        )

    @api.get("/entities/{entity_id}/history", response_model=list[HistoryOut], tags=["entities"])
    def entity_history(
        entity_id: ENTITY_PATH, machine_id: MACHINE_QUERY = None
    ) -> list[HistoryOut]:
        spec = service.machine(service.machine_of_entity(entity_id, machine_id)).spec
        return [
            HistoryOut(
                source_state=entry.source_state,
                target_state=entry.target_state,
                trigger=entry.trigger,
                success=entry.success,
                error=entry.error,
                actions=list(entry.actions),
                timestamp=entry.timestamp,
                duration_ms=entry.duration_ms,
            )
            for entry in service.db.store.history(entity_id, machine_name=spec.name)
        ]


def _entity(service: Service, entity_id: str, machine_id: str | None) -> EntityOut:
    chosen = service.machine_of_entity(entity_id, machine_id)
    machine = service.machine(chosen)
    record = service.db.store.load(entity_id, machine_name=machine.name)
    if record is None:
        raise ApiError(404, f"no entity {entity_id!r} of machine {chosen!r}")
    snapshot = {
        "current_state": record.state,
        "context": record.context,
        "history": record.history,
        "parallel": record.parallel,
        "machine_version": record.machine_version,
    }
    try:
        session: EntitySession[Any, Any, Any] = EntitySession.from_snapshot(machine, snapshot)
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


def _optional_entity_id(value: str | None) -> str | None:
    return _entity_id(value) if value else None


def _ui(app: FastAPI) -> None:
    """The web UI at /, its files and vendored libraries under /ui/, and /docs."""
    add_ui_routes(app)


def __getattr__(name: str) -> Any:
    # `uvicorn pystator.api.main:app` builds the app on first use, from the configuration.
    if name == "app":
        try:
            built = create_app()
        except ValueError as exc:
            # A server importing the app (uvicorn pystator.api.main:app) stops with the
            # reason, not a traceback.
            raise SystemExit(f"pystator: {exc}") from None
        globals()["app"] = built
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
