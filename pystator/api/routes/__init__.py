"""Routes: one APIRouter per resource, mounted under /api/v1 behind authentication (health
stays outside, for load balancers)."""

from fastapi import APIRouter

from pystator.api.routes import auth, entities, events, machines, process, validate

#: The routers under /api/v1, in the order the OpenAPI document lists them.
API_ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    validate.router,
    process.router,
    machines.router,
    entities.router,
    events.router,
)

__all__ = ["API_ROUTERS"]
