"""Run-time validation from the machine file: `validate_context: true` refuses contexts
without a `required: true` variable, and every event refuses a payload without its
declared required fields, each naming what is missing before any guard runs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pystator import (
    ErrorCode,
    InMemoryStateStore,
    Orchestrator,
    StateMachine,
    ValidationError,
)

ORDERS = """\
meta: {machine_name: orders, validate_context: %s}
state_variables:
  - {key: order_id, type: string, required: true}
  - {key: note, type: string}
events:
  - name: fill
    payload:
      fill_qty: number
      venue: {type: string, required: false}
states:
  - {name: OPEN, type: initial}
  - {name: FILLED, type: terminal}
transitions:
  - trigger: fill
    source: OPEN
    dest: FILLED
    guards: [{expr: "fill_qty > 0"}]
"""

Machine = StateMachine[str, str, dict[str, Any]]


@pytest.fixture
def machine(machine_from: Any) -> Machine:
    built: Machine = machine_from(ORDERS % "true")
    return built


def test_create_without_a_required_variable_is_refused_naming_it(machine: Machine) -> None:
    with pytest.raises(ValidationError, match="context lacks the required variable 'order_id'"):
        machine.create(context={"note": "x"})


def test_create_with_the_required_variables_starts_the_entity(machine: Machine) -> None:
    assert machine.create(context={"order_id": "A-1"}).current_state == "OPEN"


def test_an_event_whose_context_lacks_a_required_variable_is_refused(machine: Machine) -> None:
    result = machine.process("OPEN", "fill", {"fill_qty": 5})
    assert not result.success and result.metadata["reason"] == "context_validation"
    assert isinstance(result.error, ValidationError)
    assert result.error.code is ErrorCode.VALIDATION_FAILED
    assert str(result.error) == "context lacks the required variable 'order_id'"


def test_a_send_without_a_declared_payload_field_names_the_field_and_the_event(
    machine: Machine,
) -> None:
    order = machine.create(context={"order_id": "A-1"})
    result = order.send("fill")
    assert str(result.error) == "event 'fill' lacks its payload field 'fill_qty'"
    assert result.metadata == {
        "reason": "context_validation",
        "errors": ["event 'fill' lacks its payload field 'fill_qty'"],
    }
    assert "guard_error" not in result.metadata and order.current_state == "OPEN"
    with pytest.raises(ValidationError, match="'fill_qty'"):
        result.raise_for_error()


def test_asend_validates_too(machine: Machine) -> None:
    order = machine.create(context={"order_id": "A-1"})
    result = asyncio.run(order.asend("fill"))
    assert str(result.error) == "event 'fill' lacks its payload field 'fill_qty'"


def test_optional_payload_fields_may_be_left_out(machine: Machine) -> None:
    order = machine.create(context={"order_id": "A-1"})
    assert order.send("fill", fill_qty=3).target_state == "FILLED"


def test_without_validate_context_variables_are_not_required_but_payloads_are(
    machine_from: Any,
) -> None:
    lenient: Machine = machine_from(ORDERS % "false")
    order = lenient.create()
    assert str(order.send("fill").error) == "event 'fill' lacks its payload field 'fill_qty'"
    assert order.send("fill", fill_qty=1).success


def test_the_orchestrator_refuses_with_the_same_message(machine: Machine) -> None:
    store = InMemoryStateStore()
    orchestrator = Orchestrator(machine, store)
    orchestrator.create_entity("o-1", {"order_id": "A-1"})
    result = orchestrator.process_event("o-1", "fill")
    assert result.metadata["errors"] == ["event 'fill' lacks its payload field 'fill_qty'"]
    assert str(result.error) == "event 'fill' lacks its payload field 'fill_qty'"
    with pytest.raises(ValidationError, match="'order_id'"):
        orchestrator.create_entity("o-2", {})


def test_an_entity_the_store_lacks_starts_with_its_first_events_context(
    machine: Machine,
) -> None:
    orchestrator = Orchestrator(machine, InMemoryStateStore())
    refused = orchestrator.process_event("o-1", "fill", {"fill_qty": 1})
    assert refused.metadata["errors"] == ["context lacks the required variable 'order_id'"]
    done = orchestrator.process_event("o-1", "fill", {"fill_qty": 1, "order_id": "A-1"})
    assert done.target_state == "FILLED"
