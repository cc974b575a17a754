"""Machines the compiler used to accept and then fail on: the API answers with
diagnostics, never with a 500."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.support import create_app, sqlite_settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

NEWLINE_STATE = """\
meta: {machine_name: door}
states:
  - {name: "A\\n", type: initial}
  - {name: B, type: terminal}
transitions:
  - {trigger: go, source: "A\\n", dest: B}
"""
HEX_CHECK = f"""\
meta: {{machine_name: door}}
states:
  - {{name: A, type: initial}}
  - {{name: B, type: terminal}}
transitions:
  - trigger: go
    source: A
    dest: B
    guards: [{{check: {{field: n, op: lt, value: 0x{"f" * 4000}}}}}]
"""
INFINITE_LITERAL = """\
meta: {machine_name: door}
states:
  - {name: A, type: initial}
  - {name: B, type: terminal}
transitions:
  - {trigger: go, source: A, dest: B, guards: [{expr: "x < 1e999"}]}
"""


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(sqlite_settings(tmp_path))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.state.service.db.close()


@pytest.mark.parametrize(
    ("text", "code"),
    [(NEWLINE_STATE, "PS207"), (HEX_CHECK, "PS001"), (INFINITE_LITERAL, "PS206")],
    ids=["newline in a state name", "hexadecimal over the digit limit", "infinite literal"],
)
def test_validate_and_create_answer_with_diagnostics(
    client: TestClient, text: str, code: str
) -> None:
    body = client.post("/api/v1/validate", json={"yaml": text}).json()
    assert body["valid"] is False
    assert code in {d["code"] for d in body["diagnostics"]}
    response = client.post("/api/v1/machines", json={"yaml": text})
    assert 400 <= response.status_code < 500, response.text
    assert client.get("/api/v1/machines").json() == []
