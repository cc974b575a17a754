"""The API keeps entities with their machine and refuses, with 4xx, what no store could
keep: a second machine under a taken name, a version that strands entities, ids that
could never be addressed and values that would not read back identically."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pystator.runtime.ids import entity_id_problem
from tests.api.support import ORDER_YAML, create_app, sqlite_settings
from tests.runtime.stores.strategies import identifiers

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
V1 = (FIXTURES / "evolve_v1.yaml").read_text()
V2 = (FIXTURES / "evolve_v2.yaml").read_text()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(sqlite_settings(tmp_path))
    with TestClient(app) as test_client:
        response = test_client.post("/api/v1/machines", json={"yaml": ORDER_YAML})
        assert response.status_code == 201, response.text
        yield test_client
    app.state.service.db.close()


def raw(client: TestClient, path: str, body: str) -> Any:
    """POST a JSON text as written, NaN and escapes included."""
    return client.post(path, content=body, headers={"content-type": "application/json"})


def stored_rows(client: TestClient) -> int:
    database = client.app.state.service.db  # type: ignore[attr-defined]
    return int(database.query("SELECT COUNT(*) FROM entity_states")[0][0])


def test_a_second_machine_under_a_taken_name_is_a_conflict(client: TestClient) -> None:
    response = client.post("/api/v1/machines", json={"yaml": ORDER_YAML, "id": "orders_copy"})
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "machine name 'order_management' belongs to catalog machine 'order_management'" in (
        detail
    )
    assert "PUT /api/v1/machines/order_management" in detail
    assert [m["id"] for m in client.get("/api/v1/machines").json()] == ["order_management"]


def test_a_version_that_would_strand_entities_is_a_conflict(client: TestClient) -> None:
    assert client.post("/api/v1/machines", json={"yaml": V1}).status_code == 201
    response = client.put("/api/v1/machines/ticket", json={"yaml": V2})
    assert response.status_code == 409
    assert "removed state 'waiting_customer'" in response.json()["detail"]
    assert "renamed_from" in response.json()["detail"]
    kept = V2.replace(
        "  - {name: closed, type: terminal}",
        "  - {name: waiting_customer}\n  - {name: closed, type: terminal}",
    )
    assert client.put("/api/v1/machines/ticket", json={"yaml": kept}).status_code == 200


def test_a_version_that_renames_the_machine_is_a_conflict(client: TestClient) -> None:
    renamed = ORDER_YAML.replace('machine_name: "order_management"', 'machine_name: "orders"')
    response = client.put("/api/v1/machines/order_management", json={"yaml": renamed})
    assert response.status_code == 409
    assert "keep meta.machine_name: order_management" in response.json()["detail"]


@pytest.mark.parametrize(
    ("context", "path"),
    [
        ('{"items": [1, {"price": NaN}]}', "context.items[1].price: NaN cannot be stored"),
        ('{"limit": -Infinity}', "context.limit: -inf cannot be stored"),
        ('{"name": "\\ud800"}', "context.name: the text contains the lone surrogate U+D800"),
    ],
)
def test_an_unstorable_context_is_422_naming_its_path_and_stores_nothing(
    client: TestClient, context: str, path: str
) -> None:
    body = f'{{"machine_id": "order_management", "entity_id": "o-1", "context": {context}}}'
    created = raw(client, "/api/v1/entities", body)
    assert created.status_code == 422 and path in created.json()["detail"]
    event = raw(
        client,
        "/api/v1/entities/o-2/events",
        f'{{"trigger": "exchange_ack", "machine_id": "order_management", "context": {context}}}',
    )
    assert event.status_code == 422 and path in event.json()["detail"]
    assert stored_rows(client) == 0


def test_an_idempotency_key_with_a_lone_surrogate_is_422(client: TestClient) -> None:
    response = raw(
        client,
        "/api/v1/entities/o-1/events",
        '{"trigger": "exchange_ack", "machine_id": "order_management", '
        '"idempotency_key": "k\\ud800"}',
    )
    assert response.status_code == 422 and "idempotency_key" in response.json()["detail"]
    assert stored_rows(client) == 0


def test_an_unaddressable_entity_id_is_422_saying_why(client: TestClient) -> None:
    response = client.post(
        "/api/v1/entities", json={"machine_id": "order_management", "entity_id": " o-1"}
    )
    assert response.status_code == 422
    assert "the entity id starts or ends with whitespace" in response.json()["detail"]
    assert client.get("/api/v1/entities/%20o-1").status_code == 422
    assert stored_rows(client) == 0


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(entity_id=st.one_of(identifiers, st.text(max_size=12)))
def test_an_accepted_id_round_trips_through_the_routes_and_a_refused_one_stores_nothing(
    client: TestClient, entity_id: str
) -> None:
    client.app.state.service.db.store.truncate()  # type: ignore[attr-defined]
    created = client.post(
        "/api/v1/entities",
        content=json.dumps({"machine_id": "order_management", "entity_id": entity_id}),
        headers={"content-type": "application/json"},
    )
    if entity_id_problem(entity_id) is not None:
        assert created.status_code == 422, created.text
        assert stored_rows(client) == 0
        return
    assert created.status_code == 201, created.text
    assert created.json()["entity_id"] == entity_id
    path = f"/api/v1/entities/{quote(entity_id, safe='')}"
    read = client.get(path)
    assert read.status_code == 200 and read.json()["entity_id"] == entity_id, read.text
    sent = client.post(f"{path}/events", json={"trigger": "exchange_ack"})
    assert sent.status_code == 200 and sent.json()["target_state"] == "OPEN", sent.text
    history = client.get(f"{path}/history", params={"machine_id": "order_management"})
    assert [row["trigger"] for row in history.json()] == ["_create", "exchange_ack"]
