"""Errors: what the API answers when a request fails — a Problem body with the status that
fits, and for database failures a reference to the log entry instead of the driver's text."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from pystator.api.models import Problem
from pystator.api.views import diagnostic
from pystator.db.catalog import CatalogError, compile_yaml
from pystator.generator.diagnostics import CompileError, Diagnostic
from pystator.runtime.errors import (
    FSMError,
    InvalidIdentifierError,
    StoreError,
    StoreUnavailableError,
    UnstorableValueError,
    ValidationError,
)
from pystator.runtime.spec import MachineSpec
from pystator.runtime.stores._failures import connection_problem

logger = logging.getLogger("pystator.api")


class ApiError(Exception):
    def __init__(self, status: int, detail: str, diagnostics: tuple[Diagnostic, ...] = ()) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.diagnostics = diagnostics


def compiled(text: str) -> MachineSpec:
    """The spec of machine YAML a request sent; 422 with the diagnostics if it has errors."""
    try:
        return compile_yaml(text).spec
    except CompileError as exc:
        raise ApiError(422, "the machine does not compile", exc.diagnostics) from None


def refused(exc: FSMError) -> ApiError:
    """The HTTP answer to an error the Orchestrator or a store raised."""
    if isinstance(exc, (InvalidIdentifierError, UnstorableValueError, ValidationError)):
        return ApiError(422, str(exc))
    return ApiError(409, str(exc))


def install_error_handlers(app: FastAPI) -> None:
    """Answer every failure with a Problem body."""
    app.exception_handler(ApiError)(_api_error)
    app.exception_handler(StoreError)(store_failure)
    for driver_error in _driver_errors():
        # Stores and the database raise StoreError; a driver's own error that still gets
        # here is answered the same way, never with its text.
        app.exception_handler(driver_error)(store_failure)
    app.exception_handler(CatalogError)(_catalog_error)
    app.exception_handler(StarletteHTTPException)(_http_error)
    app.exception_handler(RequestValidationError)(_invalid_request)


def _problem(detail: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail, "diagnostics": []}, status_code=status, headers=headers)


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    body = Problem(detail=exc.detail, diagnostics=[diagnostic(d) for d in exc.diagnostics])
    return JSONResponse(body.model_dump(), status_code=exc.status)


async def _catalog_error(request: Request, exc: CatalogError) -> JSONResponse:
    return _problem(exc.message, exc.status)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Routes of one path are separate entries; list the methods of all of them.
        allowed: set[str] = set()
        for route in request.app.router.routes:
            match, _ = route.matches(request.scope)
            if match is not Match.NONE:
                allowed |= set(getattr(route, "methods", None) or ())
        headers["Allow"] = ", ".join(sorted(allowed))
    return _problem(exc.detail, exc.status_code, headers)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg')}"
        for error in exc.errors()[:10]
    )
    return _problem(f"invalid request: {problems}", 422)


def store_failure(request: Request, exc: Exception) -> JSONResponse:
    """503 (or 500) with a reference to the log entry that holds the driver's details:
    its text can name hosts, users, SQL and passwords."""
    reference = uuid.uuid4().hex[:12]
    unavailable = isinstance(exc, StoreUnavailableError) or (
        not isinstance(exc, StoreError) and connection_problem(exc)
    )
    logger.error(
        "%s %s failed on the database [reference %s]",
        request.method,
        request.url.path,
        reference,
        exc_info=exc,
    )
    if unavailable:
        return _problem(
            f"the database is unavailable; try again shortly (reference {reference})",
            503,
            {"Retry-After": "2"},
        )
    return _problem(f"the database failed the request (reference {reference})", 500)


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


@contextmanager
def refusals() -> Iterator[None]:
    """Answer the Orchestrator's refusals (FSMError) with `refused`; store failures keep
    their own handler."""
    try:
        yield
    except StoreError:
        raise
    except FSMError as exc:
        raise refused(exc) from None
