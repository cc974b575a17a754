"""GET /machines/{id}/diagram: the Mermaid text of a machine, an entity's current leaf
states marked; and `current_leaves`, which picks them from a stored entity."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from pystator import StateMachine
from pystator.api.diagram import current_leaves
from pystator.runtime.spec import MachineSpec
from pystator.runtime.stores.base import EntityRecord
from tests.api.support import ROOT, create_app, sqlite_settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

EXAMPLES = ROOT / "examples"
MARKED = "    classDef current "


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(sqlite_settings(tmp_path))
    with TestClient(app) as test_client:
        yield test_client
    app.state.service.db.close()


def stored(client: TestClient, example: str, entity: str, *events: str) -> str:
    """Store `example`, create `entity` and send it `events`; the machine's id."""
    yaml = (EXAMPLES / example).read_text(encoding="utf-8")
    machine_id = str(client.post("/api/v1/machines", json={"yaml": yaml}).json()["id"])
    created = client.post("/api/v1/entities", json={"machine_id": machine_id, "entity_id": entity})
    assert created.status_code == 201, created.text
    for event in events:
        sent = client.post(f"/api/v1/entities/{entity}/events", json={"trigger": event})
        assert sent.json()["success"], sent.text
    return machine_id


def diagram(client: TestClient, machine_id: str, **params: str) -> str:
    response = client.get(f"/api/v1/machines/{machine_id}/diagram", params=params)
    assert response.status_code == 200, response.text
    return response.text


def test_without_an_entity_nothing_is_marked(client: TestClient) -> None:
    machine_id = stored(client, "order_fsm.yaml", "o-1")
    assert MARKED not in diagram(client, machine_id)


def test_the_entity_s_state_is_marked(client: TestClient) -> None:
    machine_id = stored(client, "order_fsm.yaml", "o-1", "exchange_ack")
    text = diagram(client, machine_id, entity_id="o-1")
    assert text.endswith(
        f"{MARKED}fill:#ffe08a,stroke:#8a5a00,stroke-width:3px\n    class OPEN current\n"
    )


def test_inside_a_compound_state_the_leaf_is_marked(client: TestClient) -> None:
    machine_id = stored(client, "trading_fsm.yaml", "t-1", "start", "signal_detected")
    assert diagram(client, machine_id, entity_id="t-1").endswith(
        "    class active_analyzing current\n"
    )


def test_inside_a_parallel_state_each_region_s_state_is_marked(client: TestClient) -> None:
    machine_id = stored(client, "day_trading_fsm.yaml", "d-1", "market_open", "risk_warning")
    assert diagram(client, machine_id, entity_id="d-1").endswith(
        "    class scanning,elevated,connecting current\n"
    )


def test_an_unknown_entity_marks_nothing(client: TestClient) -> None:
    machine_id = stored(client, "order_fsm.yaml", "o-1")
    assert MARKED not in diagram(client, machine_id, entity_id="nobody")


def test_svg_is_no_longer_offered(client: TestClient) -> None:
    machine_id = stored(client, "order_fsm.yaml", "o-1")
    response = client.get(f"/api/v1/machines/{machine_id}/diagram", params={"format": "svg"})
    assert response.status_code == 422 and "mermaid" in response.json()["detail"]


# -- current_leaves -------------------------------------------------------------------------


def spec_of(path: Path) -> MachineSpec:
    return StateMachine.from_yaml(path).spec


def test_an_entity_of_another_machine_marks_nothing() -> None:
    spec = spec_of(EXAMPLES / "order_fsm.yaml")
    record = EntityRecord("e", "OPEN", machine_name="somebody_else")
    assert current_leaves(spec, record) == frozenset()


def test_a_state_the_machine_no_longer_defines_marks_nothing() -> None:
    spec = spec_of(EXAMPLES / "order_fsm.yaml")
    assert current_leaves(spec, EntityRecord("e", "GONE")) == frozenset()


def test_a_damaged_parallel_configuration_marks_nothing() -> None:
    spec = spec_of(EXAMPLES / "day_trading_fsm.yaml")
    assert current_leaves(spec, EntityRecord("e", "active", parallel="garbage")) == frozenset()


def test_a_state_is_marked_under_the_name_it_was_renamed_to() -> None:
    spec = spec_of(ROOT / "tests" / "fixtures" / "evolve_v2.yaml")  # in_progress was triage
    assert current_leaves(spec, EntityRecord("e", "triage")) == {"in_progress"}
