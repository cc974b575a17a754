"""App: the FastAPI application assembled from its parts — the service, the routers, the
error handlers, the web UI, and the size, host and authentication checks in front."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from pystator import __version__
from pystator.api.auth import authenticator
from pystator.api.errors import install_error_handlers
from pystator.api.hosts import AllowedHosts, allowed_hosts
from pystator.api.limits import BodyLimits
from pystator.api.models import ERRORS
from pystator.api.routes import API_ROUTERS, health
from pystator.api.service import Service
from pystator.api.static import add_ui_routes
from pystator.db.config import ApiSettings, load_settings


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The API for `settings` (default: `pystator.cfg` and the environment)."""
    chosen = settings or load_settings()
    hosts = allowed_hosts(chosen.allowed_hosts)
    auth = authenticator(chosen)
    app = FastAPI(
        title="pystator",
        version=__version__,
        description="Validate, store and run YAML state machines.",
        # /docs comes from add_ui_routes, with Swagger UI served from this package.
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = Service(chosen)
    app.state.auth = auth
    install_error_handlers(app)
    app.include_router(health.router)
    for router in API_ROUTERS:
        app.include_router(
            router, prefix="/api/v1", responses=ERRORS, dependencies=[Depends(auth.require)]
        )
    # The web UI at /, its files and vendored libraries under /ui/, and /docs.
    add_ui_routes(app)
    app.add_middleware(BodyLimits, max_bytes=chosen.max_body_bytes, max_depth=chosen.max_json_depth)
    # Added last, so it runs first: a request for a foreign host gets no further.
    app.add_middleware(AllowedHosts, hosts=hosts)
    return app
