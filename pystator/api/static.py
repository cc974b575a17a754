"""The files a browser loads from the server: the web UI, the libraries vendored beside it
(Mermaid, Swagger UI; see ui/vendor/README.md) and the API docs page, none from a CDN."""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

UI = resources.files("pystator.api") / "ui"
VENDOR_PREFIX = "/ui/vendor"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
}
TEXT = "text/plain; charset=utf-8"  # LICENSE, NOTICE and the like


@dataclass(frozen=True, slots=True)
class Asset:
    """One file as served: its bytes, media type and ETag."""

    body: bytes
    media_type: str
    etag: str

    @property
    def compressible(self) -> bool:
        return self.media_type != "image/png"


def asset(name: str, body: bytes, digest: str | None = None) -> Asset:
    """`body` served under the file name `name`; `digest` is its sha256 when already known."""
    suffix = name[name.rfind(".") :] if "." in name else ""
    # Weak: the gzipped and the plain body are one resource to caches.
    etag = f'W/"{digest or hashlib.sha256(body).hexdigest()}"'
    return Asset(body, MEDIA_TYPES.get(suffix, TEXT), etag)


@lru_cache(maxsize=32)
def gzipped(body: bytes) -> bytes:
    """`body` compressed, once per file (mtime=0: the same bytes give the same bytes)."""
    return gzip.compress(body, compresslevel=6, mtime=0)


@cache
def vendored() -> dict[str, Asset]:
    """Every vendored file by its path under /ui/vendor/, as manifest.json lists it.

    Only listed files are served, so no request path reaches the file system.
    """
    vendor = UI / "vendor"
    manifest = json.loads((vendor / "manifest.json").read_text(encoding="utf-8"))
    found: dict[str, Asset] = {}
    for entry in manifest["packages"].values():
        for item in entry["files"]:
            body = (vendor / entry["directory"] / item["name"]).read_bytes()
            path = f"{entry['directory']}/{item['name']}"
            found[path] = asset(item["name"], body, item["sha256"])
    return found


def respond(request: Request, found: Asset) -> Response:
    """`found`, or 304 when the browser holds this version; gzipped when it accepts that.

    "no-cache": browsers revalidate every time, so an update shows at once, and the ETag
    makes revalidation cheap.
    """
    headers = {"ETag": found.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if found.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if found.compressible and "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(gzipped(found.body), media_type=found.media_type, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)


def add_ui_routes(app: FastAPI) -> None:
    """`/` and `/ui/*` (the web UI and its vendored libraries) and `/docs` (Swagger UI).

    Build the app with `docs_url=None, redoc_url=None`: /docs is served here from the
    vendored Swagger UI, and ReDoc is not shipped.
    """

    def own_route(path: str, name: str) -> None:
        def serve(request: Request) -> Response:
            # Read on every request, so `pystator ui dev` shows an edit on the next reload.
            return respond(request, asset(name, (UI / name).read_bytes()))

        app.add_api_route(path, serve, include_in_schema=False)

    own_route("/", "index.html")
    own_route("/ui/app.js", "app.js")
    own_route("/ui/app.css", "app.css")

    @app.get(VENDOR_PREFIX + "/{package}/{name}", include_in_schema=False)
    def vendor_file(package: str, name: str, request: Request) -> Response:
        found = vendored().get(f"{package}/{name}")
        if found is None:
            raise HTTPException(404, f"no file {package}/{name} among the vendored libraries")
        return respond(request, found)

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        assets = f"{root}{VENDOR_PREFIX}/swagger-ui"
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} — API docs",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
            # Swagger UI would otherwise send the spec to validator.swagger.io for a badge.
            swagger_ui_parameters={"validatorUrl": None},
        )
