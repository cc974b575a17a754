"""JWT auth: with a secret every API request needs a valid token; without one the API
starts only when told to serve without authentication, and says so."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pystator.api.auth import MIN_SECRET_BYTES, AuthSetupError, authenticator
from pystator.db.config import ApiSettings
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


def test_without_authentication_me_reports_no_authentication(tmp_path: Path) -> None:
    with TestClient(create_app(sqlite_settings(tmp_path, no_auth=True))) as open_client:
        assert open_client.get("/api/v1/auth/me").json()["authenticated"] is False


@pytest.mark.parametrize("claims", [{"sub": ""}, {"sub": "   "}, {"sub": 42}, {"sub": None}])
def test_a_token_whose_subject_is_missing_or_empty_is_refused(
    client: TestClient, claims: dict[str, object]
) -> None:
    bare = jwt.encode(claims, SECRET, algorithm="HS256")
    response = client.get("/api/v1/machines", headers={"Authorization": f"Bearer {bare}"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("secret", [None, "", "   "])
def test_without_a_secret_or_the_opt_out_the_api_does_not_start(
    tmp_path: Path, secret: str | None
) -> None:
    settings = sqlite_settings(tmp_path, auth_secret=secret)
    with pytest.raises(AuthSetupError) as caught:
        create_app(settings)
    message = str(caught.value)
    assert "PYSTATOR_AUTH_SECRET" in message
    assert "--no-auth" in message and "PYSTATOR_NO_AUTH=1" in message


def test_a_secret_shorter_than_32_bytes_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(AuthSetupError, match="31 bytes long; HS256 needs at least 32"):
        create_app(sqlite_settings(tmp_path, auth_secret="x" * 31))


@given(st.text(min_size=1, max_size=48).filter(lambda text: text.strip() != ""))
def test_a_secret_is_accepted_exactly_when_it_has_32_bytes_or_more(secret: str) -> None:
    settings = ApiSettings(auth_secret=secret)
    if len(secret.encode("utf-8")) >= MIN_SECRET_BYTES:
        assert authenticator(settings).secret == secret
    else:
        with pytest.raises(AuthSetupError):
            authenticator(settings)


def test_a_secret_together_with_the_opt_out_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AuthSetupError, match="both an auth secret"):
        create_app(sqlite_settings(tmp_path, auth_secret=SECRET, no_auth=True))


def test_serving_without_authentication_is_announced_in_the_log_and_on_stderr(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    with caplog.at_level(logging.WARNING, logger="pystator.api"):
        create_app(sqlite_settings(tmp_path, no_auth=True))
    (record,) = [r for r in caplog.records if "WITHOUT authentication" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "WARNING: serving WITHOUT authentication" in capsys.readouterr().err


def test_with_a_secret_nothing_is_announced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    with caplog.at_level(logging.WARNING, logger="pystator.api"):
        create_app(sqlite_settings(tmp_path, auth_secret=SECRET))
    assert not [r for r in caplog.records if "WITHOUT" in r.getMessage()]
    assert "WITHOUT" not in capsys.readouterr().err
