"""The UI's files and the vendored libraries: exactly the pinned bytes, only listed files,
cheap revalidation, gzip for text, the UI read afresh on each request, all in the wheel."""

from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import pystator.api.static as static
from tests.api.support import ROOT, create_app, sqlite_settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

VENDOR = ROOT / "pystator" / "api" / "ui" / "vendor"
MANIFEST = json.loads((VENDOR / "manifest.json").read_text(encoding="utf-8"))
LISTED = {
    f"{entry['directory']}/{item['name']}": item["sha256"]
    for entry in MANIFEST["packages"].values()
    for item in entry["files"]
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(sqlite_settings(tmp_path))
    with TestClient(app) as test_client:
        yield test_client
    app.state.service.db.close()


def test_vendored_files_are_the_bytes_the_manifest_pins() -> None:
    for path, digest in LISTED.items():
        assert hashlib.sha256((VENDOR / path).read_bytes()).hexdigest() == digest, path


def test_every_vendored_file_is_in_the_manifest() -> None:
    on_disk = {str(path.relative_to(VENDOR)) for path in VENDOR.rglob("*") if path.is_file()}
    assert on_disk - {"manifest.json", "README.md"} == set(LISTED)


def test_the_manifest_pins_exact_versions_with_their_licences() -> None:
    for name, entry in MANIFEST["packages"].items():
        assert all(part.isdigit() for part in entry["version"].split(".")), name
        assert entry["integrity"].startswith("sha512-"), name
        names = {item["name"] for item in entry["files"]}
        assert "LICENSE" in names, name


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/ui/vendor/mermaid/mermaid.min.js", "text/javascript; charset=utf-8"),
        ("/ui/vendor/swagger-ui/swagger-ui.css", "text/css; charset=utf-8"),
        ("/ui/vendor/swagger-ui/favicon-32x32.png", "image/png"),
        ("/ui/vendor/mermaid/LICENSE", "text/plain; charset=utf-8"),
    ],
)
def test_a_vendored_file_is_served_as_pinned(
    client: TestClient, path: str, media_type: str
) -> None:
    response = client.get(path, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    digest = LISTED[path.removeprefix("/ui/vendor/")]
    assert hashlib.sha256(response.content).hexdigest() == digest
    assert response.headers["etag"] == f'W/"{digest}"'


@pytest.mark.parametrize(
    "path",
    [
        "/ui/vendor/mermaid/mermaid.js",
        "/ui/vendor/manifest.json/x",
        "/ui/vendor/mermaid/..%2Fmanifest.json",
        "/ui/vendor/..%2F..%2Fmain.py/x",
    ],
)
def test_a_file_the_manifest_does_not_list_is_not_found(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "detail" in response.json()


def test_a_browser_holding_the_current_version_gets_304(client: TestClient) -> None:
    first = client.get("/ui/vendor/mermaid/mermaid.min.js")
    again = client.get(
        "/ui/vendor/mermaid/mermaid.min.js", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    assert first.headers["cache-control"] == again.headers["cache-control"] == "no-cache"


def test_text_is_gzipped_only_for_clients_that_accept_it(client: TestClient) -> None:
    plain = client.get("/ui/vendor/mermaid/mermaid.min.js", headers={"Accept-Encoding": "identity"})
    packed = client.get("/ui/vendor/mermaid/mermaid.min.js", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert int(packed.headers["content-length"]) < int(plain.headers["content-length"]) / 2
    assert packed.content == plain.content  # the client decoded it
    png = client.get("/ui/vendor/swagger-ui/favicon-32x32.png", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in png.headers


def test_the_ui_s_own_files_are_read_on_every_request(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = tmp_path / "ui"
    edited.mkdir()
    for name in ("index.html", "app.js", "app.css"):
        (edited / name).write_text(f"edited {name}", encoding="utf-8")
    before = client.get("/ui/app.js").text
    monkeypatch.setattr(static, "UI", edited)
    assert client.get("/ui/app.js").text == "edited app.js" != before
    assert client.get("/").text == "edited index.html"


@pytest.mark.slow
def test_the_wheel_ships_the_ui_and_the_vendored_libraries(tmp_path: Path) -> None:
    from hatchling.builders.wheel import WheelBuilder

    (wheel,) = WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for path, digest in LISTED.items():
            packed = archive.read(f"pystator/api/ui/vendor/{path}")
            assert hashlib.sha256(packed).hexdigest() == digest, path
    ui = {"index.html", "app.js", "app.css", "vendor/manifest.json", "vendor/README.md"}
    assert {f"pystator/api/ui/{name}" for name in ui} <= names
