"""DNS-rebinding protection: the API answers requests addressed to localhost names and the
configured hosts only; any other Host header gets 400 before a route runs."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pystator.api.hosts import allowed_hosts, host_name
from tests.api.support import TEST_CLIENT_HOST, create_app, sqlite_settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def default_client(tmp_path: Path) -> Iterator[TestClient]:
    """An app with the default host list (only localhost names)."""
    app = create_app(sqlite_settings(tmp_path, allowed_hosts=()))
    with TestClient(app, base_url="http://localhost") as client:
        yield client


def status(client: TestClient, host: str, path: str = "/api/v1/machines") -> int:
    return client.get(path, headers={"Host": host}).status_code


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8000", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:8000"]
)
def test_localhost_names_are_answered_on_any_port(default_client: TestClient, host: str) -> None:
    assert status(default_client, host) == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8000", "localhost.evil.example", "10.0.0.5", "[::2]"]
)
def test_other_hosts_are_refused_with_400_and_the_fix(
    default_client: TestClient, host: str
) -> None:
    response = default_client.get("/api/v1/machines", headers={"Host": host})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "does not answer requests for host" in detail
    assert "--allowed-host" in detail and "PYSTATOR_ALLOWED_HOSTS" in detail


def test_the_ui_and_health_are_refused_for_other_hosts_too(default_client: TestClient) -> None:
    assert status(default_client, "evil.example", "/") == 400
    assert status(default_client, "evil.example", "/health") == 400


def test_the_test_clients_own_host_is_refused_by_default(default_client: TestClient) -> None:
    assert status(default_client, TEST_CLIENT_HOST) == 400


@pytest.mark.parametrize("host", ["", "local host", "evil.example:port", "a:1:2", "[::1"])
def test_a_malformed_host_header_is_refused(default_client: TestClient, host: str) -> None:
    assert status(default_client, host) == 400


def test_configured_hosts_widen_the_list(tmp_path: Path) -> None:
    app = create_app(sqlite_settings(tmp_path, allowed_hosts=("api.example.com", "*.corp.test")))
    with TestClient(app, base_url="http://localhost") as client:
        assert status(client, "api.example.com:443") == 200
        assert status(client, "API.Example.com") == 200
        assert status(client, "a.b.corp.test") == 200
        assert status(client, "corp.test") == 400
        assert status(client, "example.com") == 400
        assert status(client, "localhost") == 200


def test_a_star_answers_every_host(tmp_path: Path) -> None:
    with TestClient(create_app(sqlite_settings(tmp_path, allowed_hosts=("*",)))) as client:
        assert status(client, "anything.example:9") == 200


@pytest.mark.parametrize(
    "entry", ["api.example.com:8000", "http://api.example.com", "a b", "*example.com", ""]
)
def test_a_bad_allowed_host_stops_the_start_with_the_way_to_write_it(
    tmp_path: Path, entry: str
) -> None:
    with pytest.raises(ValueError, match="is not a host name: write a name"):
        create_app(sqlite_settings(tmp_path, allowed_hosts=(entry,)))


@given(
    st.sampled_from(["localhost", "127.0.0.1", "[::1]", "api.example.com"]),
    st.one_of(st.none(), st.integers(min_value=0, max_value=65535)),
    st.booleans(),
)
def test_a_host_header_names_its_host_whatever_the_port_and_case(
    name: str, port: int | None, upper: bool
) -> None:
    header = (name.upper() if upper else name) + (f":{port}" if port is not None else "")
    assert host_name(header) == name


def test_localhost_names_are_always_in_the_list() -> None:
    assert allowed_hosts(["api.example.com"]) == (
        "localhost",
        "127.0.0.1",
        "[::1]",
        "api.example.com",
    )
