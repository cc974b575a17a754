"""Optional JWT auth: when a secret is set, every API request needs a valid token."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from tests.api.support import create_app, sqlite_settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_settings(tmp_path, auth_secret=SECRET))) as test_client:
        yield test_client


def token(**claims: object) -> str:
    return jwt.encode({"sub": "alice", **claims}, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/machines"),
        ("post", "/api/v1/validate"),
        ("get", "/api/v1/auth/me"),
        ("get", "/api/v1/entities/x/history"),
    ],
)
def test_every_api_request_without_a_token_is_refused(
    client: TestClient, method: str, path: str
) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert "bearer token is required" in response.json()["detail"]


def test_a_token_signed_with_another_secret_is_refused(client: TestClient) -> None:
    forged = jwt.encode({"sub": "mallory"}, "another-secret-another-secret-xx", algorithm="HS256")
    response = client.get("/api/v1/machines", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and "invalid bearer token" in response.json()["detail"]


def test_an_expired_token_is_refused(client: TestClient) -> None:
    old = token(exp=int(time.time()) - 10)
    response = client.get("/api/v1/machines", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 401


def test_a_token_without_subject_is_refused(client: TestClient) -> None:
    bare = jwt.encode({"role": "x"}, SECRET, algorithm="HS256")
    response = client.get("/api/v1/machines", headers={"Authorization": f"Bearer {bare}"})
    assert response.status_code == 401


def test_me_shows_the_claims_of_a_valid_token(client: TestClient) -> None:
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token()}"})
    assert response.status_code == 200
    assert response.json()["subject"] == "alice"


def test_health_stays_open_for_probes(client: TestClient) -> None:
    assert client.get("/health").status_code == 200


def test_without_a_secret_me_reports_no_authentication(tmp_path: Path) -> None:
    with TestClient(create_app(sqlite_settings(tmp_path))) as open_client:
        assert open_client.get("/api/v1/auth/me").json()["authenticated"] is False
