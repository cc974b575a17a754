"""Health: `GET /health`, which answers without touching the database, naming its kind."""

from __future__ import annotations

from fastapi import APIRouter

from pystator import __version__
from pystator.api.models import Health
from pystator.api.service import ServiceDep

router = APIRouter(tags=["service"])


@router.get("/health", response_model=Health)
def health(service: ServiceDep) -> Health:
    if service.db.postgres:
        return Health(status="ok", version=__version__, database="postgresql")
    return Health(status="ok", version=__version__, database="sqlite")
