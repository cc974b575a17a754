"""Offline API docs: /docs is Swagger UI served from the package, no page the server makes
points a browser at another host, and in Chromium the operations render with no request
leaving the server."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.browser import Tab, chromium, serving
from tests.api.support import ROOT, create_app, sqlite_settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ARTIFACTS = ROOT / "test-artifacts"
#: Anything a browser could resolve to another host: absolute and protocol-relative URLs.
EXTERNAL = re.compile(r"""(?:https?:)?//[^\s"'()<>`]+""", re.IGNORECASE)
LOCAL = re.compile(r"(?:https?:)?//(?:localhost|127\.0\.0\.1|\[::1\])(?:[:/]|$)")
#: What the server itself writes: its pages, the UI, and the OpenAPI document.
OWN = ["/", "/docs", "/openapi.json", "/ui/app.js", "/ui/app.css"]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(sqlite_settings(tmp_path))
    with TestClient(app) as test_client:
        yield test_client
    app.state.service.db.close()


def external_urls(text: str) -> list[str]:
    return [url for url in EXTERNAL.findall(text) if not LOCAL.match(url)]


def test_the_url_scan_finds_what_a_cdn_page_would_load() -> None:
    page = '<script src="https://cdn.jsdelivr.net/x.js"></script><link href="//cdn.x/y.css">'
    assert external_urls(page) == ["https://cdn.jsdelivr.net/x.js", "//cdn.x/y.css"]
    assert external_urls('<a href="http://127.0.0.1:8000/docs">') == []


@pytest.mark.parametrize("path", OWN)
def test_no_page_the_server_writes_points_at_another_host(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert external_urls(response.text) == []


def test_docs_loads_swagger_ui_from_the_package(client: TestClient) -> None:
    page = client.get("/docs").text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        path = f"/ui/vendor/swagger-ui/{asset}"
        assert f'"{path}"' in page
        assert client.get(path).status_code == 200
    assert '"validatorUrl": null' in page


def test_the_vendored_stylesheet_loads_nothing_but_inline_data(client: TestClient) -> None:
    css = client.get("/ui/vendor/swagger-ui/swagger-ui.css").text
    targets = re.findall(r"url\(\s*['\"]?([^'\")]*)", css)
    assert targets and all(target.startswith("data:") for target in targets)
    assert "@import" not in css


def test_redoc_is_not_served(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def test_swagger_ui_lists_the_operations_without_requests_to_other_hosts(
    browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with serving(tmp_path) as server:
        tab = Tab(browser, server)
        tab.page.goto(server + "/docs")
        operations = tab.page.locator(".opblock .opblock-summary-path")
        expect(operations.first).to_be_visible()
        paths = set(operations.all_inner_texts())
        ARTIFACTS.mkdir(exist_ok=True)
        tab.page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
        tab.page.close()
    assert {"/api/v1/machines", "/api/v1/machines/{machine_id}/diagram", "/health"} <= {
        path.replace("\u200b", "") for path in paths
    }
    assert tab.off_server() == []
