"""The REST API: validate and compile machines, keep them in the catalog, and process
entity events through the Orchestrator and the configured store.

An entity is a catalog machine and an id; routes that name only the id find its machine
(`?machine_id=` or the body's `machine_id` names it when several machines use the id).

`uvicorn pystator.api.main:app` or `pystator api`; OpenAPI docs at /docs, the UI at /.
The application is assembled in `app.py`, its routes live in `routes/`.
"""

from __future__ import annotations

from typing import Any

from pystator.api.app import create_app

__all__ = ["create_app"]


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
