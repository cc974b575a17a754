"""The API when its database restarts or is unreachable: sessions the server ended cost no
request, and an outage is a 503 with a reference to the log, never the driver's text."""

from __future__ import annotations

import logging
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from httpx import Response

from pystator import RedisStateStore, StoreError, StoreUnavailableError
from tests.api.support import ORDER_YAML, api_settings, create_app, require_postgres
from tests.outages import application_name, closed_port, named_url, terminate

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "s3cret-pw"
#: Words of driver messages, URLs and SQL that no answer may contain.
DRIVER_WORDS = (PASSWORD, "127.0.0.1", "psycopg", "Pool", "Operational", "refused", "SELECT")


def assert_outage(response: Response, port: int | None = None) -> str:
    text = response.text
    assert response.status_code == 503, text
    assert response.headers["Retry-After"] == "2"
    detail: str = response.json()["detail"]
    assert detail.startswith("the database is unavailable; try again shortly (reference ")
    for word in (*DRIVER_WORDS, *([str(port)] if port else [])):
        assert word not in text
    return detail.rpartition("reference ")[2].rstrip(")")


@pytest.fixture
def named_client() -> Iterator[tuple[TestClient, str]]:
    require_postgres()
    name = application_name()
    settings = api_settings(named_url(name), schema=f"pystator_api_{uuid.uuid4().hex[:8]}")
    app = create_app(settings)
    with TestClient(app) as client:
        yield client, name
    app.state.service.db.store.drop()
    app.state.service.db.close()


def test_requests_after_the_server_ended_every_database_session_succeed(
    named_client: tuple[TestClient, str],
) -> None:
    client, name = named_client
    assert client.post("/api/v1/machines", json={"yaml": ORDER_YAML}).status_code == 201
    entity = {"machine_id": "order_management", "entity_id": "o-1"}
    assert client.post("/api/v1/entities", json=entity).status_code == 201
    assert terminate(name) >= 1
    requests: list[Callable[[], Response]] = [
        lambda: client.get("/api/v1/machines"),
        lambda: client.get("/api/v1/entities/o-1"),
        lambda: client.post(
            "/api/v1/entities/o-1/events", json={"trigger": "exchange_ack", "idempotency_key": "a"}
        ),
        lambda: client.get("/api/v1/entities/o-1/history"),
        lambda: client.get("/api/v1/machines/order_management/versions"),
        lambda: client.post("/api/v1/entities/o-1/events/queue", json={"trigger": "cancel"}),
        lambda: client.post("/api/v1/entities", json={**entity, "entity_id": "o-2"}),
        lambda: client.get("/api/v1/machines/order_management"),
        lambda: client.get("/api/v1/events/1"),
        lambda: client.get("/api/v1/machines/order_management/diagram?entity_id=o-1"),
    ]
    answers = [send().status_code for send in requests]
    assert answers == [200, 200, 200, 200, 200, 202, 201, 200, 200, 200]


def test_an_unreachable_database_is_a_503_with_a_reference_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import psycopg

    with closed_port() as port:
        url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/test"
        app = create_app(api_settings(url, db_timeout=0.5))
        with TestClient(app) as client, caplog.at_level(logging.ERROR, logger="pystator.api"):
            references = [
                assert_outage(client.get("/api/v1/machines"), port),
                assert_outage(
                    client.post(
                        "/api/v1/entities",
                        json={"machine_id": "order_management", "entity_id": "o-1"},
                    ),
                    port,
                ),
                assert_outage(
                    client.post("/api/v1/entities/o-1/events", json={"trigger": "go"}), port
                ),
            ]
    assert len(set(references)) == 3
    logged = [r for r in caplog.records if "failed on the database" in r.getMessage()]
    assert [r.getMessage().rpartition("reference ")[2].rstrip("]") for r in logged] == references
    failure = logged[0].exc_info[1] if logged[0].exc_info else None
    assert isinstance(failure, StoreUnavailableError)
    assert isinstance(failure.__cause__, psycopg.OperationalError)


def test_an_unreachable_redis_store_is_a_503_without_driver_text(
    named_client: tuple[TestClient, str],
) -> None:
    client, _ = named_client
    service = client.app.state.service  # type: ignore[attr-defined]
    assert client.post("/api/v1/machines", json={"yaml": ORDER_YAML}).status_code == 201
    kept = service.db.store
    with closed_port() as port:
        # Not connected here: connecting reads the server, so the first request does it.
        service.db.store = RedisStateStore(f"redis://:{PASSWORD}@127.0.0.1:{port}/0")
        try:
            entity = {"machine_id": "order_management", "entity_id": "o-1"}
            assert_outage(client.post("/api/v1/entities", json=entity), port)
            assert_outage(
                client.post(
                    "/api/v1/entities/o-1/events",
                    json={"trigger": "exchange_ack", "machine_id": "order_management"},
                ),
                port,
            )
            assert_outage(client.get("/api/v1/entities/o-1/history"), port)
        finally:
            service.db.store = kept


def admin_shutdown() -> Exception:
    import psycopg

    return psycopg.errors.AdminShutdown(
        "terminating connection due to administrator command; "
        f"postgresql://postgres:{PASSWORD}@127.0.0.1/test"
    )


def wrong_type() -> Exception:
    from redis import exceptions

    return exceptions.ResponseError(f"WRONGTYPE Operation against a key holding {PASSWORD}")


def refused_statement() -> Exception:
    return StoreError("PostgresStateStore: the database refused the operation", "load")


@pytest.mark.parametrize(
    ("failure", "status"), [(admin_shutdown, 503), (wrong_type, 500), (refused_statement, 500)]
)
def test_a_database_failure_reaching_the_api_is_answered_without_its_text(
    tmp_path: Path, failure: Callable[[], Exception], status: int
) -> None:
    app = create_app(api_settings(f"sqlite:///{tmp_path / 'api.db'}"))

    def fail() -> None:
        raise failure()

    with TestClient(app) as client:
        app.state.service.catalog.list = fail
        response = client.get("/api/v1/machines")
    assert response.status_code == status
    assert "reference " in response.json()["detail"]
    for word in (*DRIVER_WORDS, "WRONGTYPE", "administrator", "refused the operation"):
        assert word not in response.text
