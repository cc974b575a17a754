"""Untrusted input through the API is refused with 4xx and a clear message."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from pystator.api.limits import json_depth
from tests.api.support import ORDER_YAML, create_app, sqlite_settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_settings(tmp_path))) as test_client:
        yield test_client


HOSTILE = [
    "__import__('os').system('touch /tmp/pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "price.__class__",
    "(lambda: 1)()",
    "open('/etc/passwd').read()",
    "9 ** 9 ** 9 ** 9",
]


@pytest.mark.parametrize("expression", HOSTILE)
def test_a_hostile_guard_expression_is_a_diagnostic_not_code(
    client: TestClient, expression: str, tmp_path: Path
) -> None:
    text = ORDER_YAML.replace('expr: "fill_qty > 0"', f"expr: {json.dumps(expression)}")
    assert text != ORDER_YAML
    response = client.post("/api/v1/machines", json={"yaml": text})
    assert response.status_code == 422
    assert any(d["code"] == "PS206" for d in response.json()["diagnostics"])
    assert not Path("/tmp/pwned").exists()


def test_an_alias_bomb_is_refused_without_expanding_it(client: TestClient) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for index in range(1, 10):
        previous = chr(ord("a") + index - 1)
        name = chr(ord("a") + index)
        lines.append(f"{name}: &{name} [{','.join(['*' + previous] * 10)}]")
    bomb = "\n".join(lines) + "\n"
    response = client.post("/api/v1/validate", json={"yaml": bomb})
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False and body["diagnostics"][0]["code"] in ("PS004",)


def test_a_10_mb_body_is_refused_with_413(client: TestClient) -> None:
    body = json.dumps({"yaml": "x" * 10_000_000})
    response = client.post(
        "/api/v1/validate", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


def test_a_body_without_content_length_is_counted_while_it_streams(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(50):
            yield b" " * 100_000

    response = client.post(
        "/api/v1/validate", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_deeply_nested_json_is_refused_with_400(client: TestClient) -> None:
    nested = '{"yaml": "a: 1", "context": ' + "[" * 5000 + "]" * 5000 + "}"
    response = client.post(
        "/api/v1/process", content=nested, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "nested deeper than 64 levels" in response.json()["detail"]


def test_depth_counting_ignores_brackets_inside_strings() -> None:
    assert json_depth(b'{"a": "[[[[[[\\"]]]"}') == 1
    assert json_depth(b"[[[]]]") == 3


def test_malformed_json_is_a_422_with_the_reason(client: TestClient) -> None:
    response = client.post(
        "/api/v1/validate", content=b'{"yaml": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "invalid request" in response.json()["detail"]


def test_unknown_fields_are_refused(client: TestClient) -> None:
    response = client.post("/api/v1/validate", json={"yaml": "a: 1", "run": "rm -rf /"})
    assert response.status_code == 422
    assert "run" in response.json()["detail"]


def test_a_bad_machine_id_is_refused(client: TestClient) -> None:
    response = client.post("/api/v1/machines", json={"yaml": ORDER_YAML, "id": "../../etc"})
    assert response.status_code == 422


def test_the_depth_limit_holds_whatever_the_content_type_says(client: TestClient) -> None:
    nested = '{"machine_id": "m", "entity_id": "e", "context": ' + "[" * 300 + "]" * 300 + "}"
    for content_type in ("application/JSON", "text/plain", ""):
        response = client.post(
            "/api/v1/entities", content=nested, headers={"content-type": content_type}
        )
        assert response.status_code == 400, content_type
