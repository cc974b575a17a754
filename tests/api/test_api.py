"""The REST API through FastAPI's test client, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pystator.db.database import Database
from tests.api.support import (
    ORDER_YAML,
    create_app,
    postgres_settings,
    require_postgres,
    sqlite_settings,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(params=["sqlite", "postgres"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    if request.param == "sqlite":
        settings = sqlite_settings(tmp_path)
    else:
        require_postgres()
        settings = postgres_settings()
    app = create_app(settings)
    with TestClient(app) as test_client:
        yield test_client
    service = app.state.service
    if request.param == "postgres":
        service.db.store.drop()
    service.db.close()


def machine(client: TestClient, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/v1/machines", json={"yaml": ORDER_YAML, **extra})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_health_names_the_database(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["database"] in ("sqlite", "postgresql")


def test_validate_returns_positioned_diagnostics(client: TestClient) -> None:
    broken = ORDER_YAML.replace("dest: OPEN", "dest: OPNE", 1)
    body = client.post("/api/v1/validate", json={"yaml": broken}).json()
    assert body["valid"] is False
    (found,) = [d for d in body["diagnostics"] if d["code"] == "PS204"]
    assert found["line"] > 1 and found["col"] > 1 and "OPEN" in found["hint"]


def test_validate_describes_a_valid_machine(client: TestClient) -> None:
    body = client.post("/api/v1/validate", json={"yaml": ORDER_YAML}).json()
    assert body["valid"] is True
    assert body["machine"]["name"] == "order_management"


def test_process_computes_a_transition_from_posted_yaml(client: TestClient) -> None:
    body = client.post(
        "/api/v1/process",
        json={"yaml": ORDER_YAML, "state": "PENDING_NEW", "trigger": "exchange_ack"},
    ).json()
    assert (body["success"], body["target_state"]) == (True, "OPEN")


def test_process_uses_a_stored_machine(client: TestClient) -> None:
    machine(client)
    body = client.post(
        "/api/v1/process",
        json={"machine_id": "order_management", "state": "OPEN", "trigger": "nope"},
    ).json()
    assert body["success"] is False and body["reason"] == "undefined_trigger"


def test_process_refuses_an_unknown_state(client: TestClient) -> None:
    response = client.post(
        "/api/v1/process", json={"yaml": ORDER_YAML, "state": "GONE", "trigger": "x"}
    )
    assert response.status_code == 422 and "GONE" in response.json()["detail"]


def test_machines_crud_keeps_versions(client: TestClient) -> None:
    created = machine(client)
    assert (created["id"], created["version"]) == ("order_management", 1)
    updated = client.put(
        "/api/v1/machines/order_management",
        json={"yaml": ORDER_YAML.replace('version: "1.0.0"', 'version: "1.1.0"')},
    ).json()
    assert updated["version"] == 2 and updated["machine"]["version"] == "1.1.0"
    versions = client.get("/api/v1/machines/order_management/versions").json()
    assert [v["version"] for v in versions] == [1, 2]
    old = client.get("/api/v1/machines/order_management", params={"version": 1}).json()
    assert old["machine"]["version"] == "1.0.0"
    assert [m["id"] for m in client.get("/api/v1/machines").json()] == ["order_management"]
    assert client.delete("/api/v1/machines/order_management").status_code == 204
    assert client.get("/api/v1/machines/order_management").status_code == 404


def test_a_machine_that_does_not_compile_is_not_stored(client: TestClient) -> None:
    response = client.post("/api/v1/machines", json={"yaml": "states: []\n"})
    assert response.status_code == 422
    assert response.json()["diagnostics"]
    assert client.get("/api/v1/machines").json() == []


def test_creating_a_machine_twice_is_a_conflict(client: TestClient) -> None:
    machine(client)
    response = client.post("/api/v1/machines", json={"yaml": ORDER_YAML})
    assert response.status_code == 409


def test_module_endpoint_returns_the_generated_module(client: TestClient) -> None:
    machine(client)
    response = client.get("/api/v1/machines/order_management/module")
    assert response.status_code == 200
    assert "class OrderManagementMachine(" in response.text
    compile(response.text, "order_management.py", "exec")


def test_diagram_endpoint_returns_the_mermaid_text(client: TestClient) -> None:
    machine(client)
    response = client.get("/api/v1/machines/order_management/diagram")
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("stateDiagram-v2\n")
    assert '    state "PENDING_NEW" as PENDING_NEW\n' in response.text
    explicit = client.get("/api/v1/machines/order_management/diagram?format=mermaid")
    assert explicit.text == response.text


def test_events_go_through_the_orchestrator_and_the_store(client: TestClient) -> None:
    machine(client)
    created = client.post(
        "/api/v1/entities", json={"machine_id": "order_management", "entity_id": "o-1"}
    )
    assert created.status_code == 201 and created.json()["state"] == "PENDING_NEW"
    result = client.post("/api/v1/entities/o-1/events", json={"trigger": "exchange_ack"}).json()
    assert (result["success"], result["target_state"]) == (True, "OPEN")
    entity = client.get("/api/v1/entities/o-1").json()
    assert entity["state"] == "OPEN" and "cancel" in entity["allowed_triggers"]
    history = client.get("/api/v1/entities/o-1/history").json()
    assert [row["trigger"] for row in history] == ["_create", "exchange_ack"]


def test_an_unknown_entity_without_machine_is_404(client: TestClient) -> None:
    response = client.post("/api/v1/entities/nobody/events", json={"trigger": "x"})
    assert response.status_code == 404


def test_one_id_in_two_machines_is_two_entities(client: TestClient) -> None:
    machine(client)
    other = ORDER_YAML.replace('machine_name: "order_management"', 'machine_name: "other"')
    client.post("/api/v1/machines", json={"yaml": other})
    client.post("/api/v1/entities", json={"machine_id": "order_management", "entity_id": "o-1"})
    response = client.post(
        "/api/v1/entities/o-1/events", json={"trigger": "exchange_ack", "machine_id": "other"}
    )
    assert response.status_code == 200 and response.json()["source_state"] == "PENDING_NEW"
    mine = client.get("/api/v1/entities/o-1", params={"machine_id": "order_management"}).json()
    theirs = client.get("/api/v1/entities/o-1", params={"machine_id": "other"}).json()
    assert (mine["state"], mine["version"]) == ("PENDING_NEW", 1)
    assert (theirs["state"], theirs["version"]) == ("OPEN", 1)
    history = client.get("/api/v1/entities/o-1/history", params={"machine_id": "other"}).json()
    assert [row["trigger"] for row in history] == ["exchange_ack"]


def test_an_id_of_several_machines_needs_its_machine_named(client: TestClient) -> None:
    machine(client)
    other = ORDER_YAML.replace('machine_name: "order_management"', 'machine_name: "other"')
    client.post("/api/v1/machines", json={"yaml": other})
    for machine_id in ("order_management", "other"):
        client.post("/api/v1/entities", json={"machine_id": machine_id, "entity_id": "o-1"})
    for response in (
        client.get("/api/v1/entities/o-1"),
        client.get("/api/v1/entities/o-1/history"),
        client.post("/api/v1/entities/o-1/events", json={"trigger": "exchange_ack"}),
    ):
        assert response.status_code == 409
        assert "'order_management', 'other'" in response.json()["detail"]


def test_a_queued_event_is_processed_by_the_worker(client: TestClient) -> None:
    from pystator.worker import Worker

    machine(client)
    client.post("/api/v1/entities", json={"machine_id": "order_management", "entity_id": "o-1"})
    queued = client.post("/api/v1/entities/o-1/events/queue", json={"trigger": "exchange_ack"})
    assert queued.status_code == 202
    event_id = queued.json()["id"]
    assert client.get(f"/api/v1/events/{event_id}").json()["status"] == "pending"
    database: Database = client.app.state.service.db  # type: ignore[attr-defined]
    assert Worker(database).run_once()
    assert client.get("/api/v1/entities/o-1").json()["state"] == "OPEN"
    done = client.get(f"/api/v1/events/{event_id}").json()
    assert (done["status"], done["result"]["target_state"]) == ("done", "OPEN")
    assert client.get("/api/v1/events/999999").status_code == 404


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/entities/{entity_id}/events" in paths


def test_the_ui_page_and_its_assets_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'id="machine-list"' in page.text
    assert client.get("/ui/app.js").headers["content-type"].startswith("text/javascript")


VALIDATED = """\
meta: {machine_name: validated, validate_context: true}
state_variables:
  - {key: order_id, type: string, required: true}
events:
  - name: fill
    payload: {fill_qty: number}
states:
  - {name: OPEN, type: initial}
  - {name: FILLED, type: terminal}
transitions:
  - {trigger: fill, source: OPEN, dest: FILLED, guards: [{expr: "fill_qty > 0"}]}
"""


def test_validation_failures_show_what_is_missing(client: TestClient) -> None:
    assert client.post("/api/v1/machines", json={"yaml": VALIDATED}).status_code == 201
    entity = {"machine_id": "validated", "entity_id": "v-1"}
    refused = client.post("/api/v1/entities", json=entity)
    assert refused.status_code == 422
    assert refused.json()["detail"] == "context lacks the required variable 'order_id'"
    created = client.post("/api/v1/entities", json={**entity, "context": {"order_id": "A"}})
    assert created.status_code == 201
    result = client.post("/api/v1/entities/v-1/events", json={"trigger": "fill"}).json()
    assert result["error"] == "event 'fill' lacks its payload field 'fill_qty'"
    assert result["reason"] == "context_validation"
