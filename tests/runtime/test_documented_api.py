"""The documents' names and import paths: `process(event=...)`, the value types exported
from `pystator`, machines built from them, read-only dict metadata, and the thin public
modules over the runtime and the compiler."""

from __future__ import annotations

import asyncio
import copy
import json
import pickle
from importlib import import_module
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pystator
from pystator import (
    Event,
    GuardEvaluator,
    GuardRegistry,
    GuardSpec,
    State,
    StateMachine,
    StateType,
    Timeout,
    Transition,
)

FLIP = {
    "states": [{"name": "A", "type": "initial"}, {"name": "B", "type": "terminal"}],
    "transitions": [{"trigger": "go", "source": "A", "dest": "B", "guards": ["ok"]}],
}


@pytest.fixture
def machine() -> StateMachine[str, str, dict[str, Any]]:
    built = StateMachine.from_dict(FLIP)
    built.guard("ok")(lambda ctx: ctx.get("ok", True))
    return built


# -- process(event=...) -----------------------------------------------------------------


def test_process_takes_the_trigger_as_event(machine: StateMachine[str, str, Any]) -> None:
    result = machine.process(current_state="A", event="go", context={})
    assert result.target_state == "B"


def test_process_still_takes_trigger_by_keyword(machine: StateMachine[str, str, Any]) -> None:
    assert machine.process("A", trigger="go").target_state == "B"


def test_the_trigger_given_twice_is_a_type_error(machine: StateMachine[str, str, Any]) -> None:
    with pytest.raises(TypeError, match="got the trigger twice"):
        machine.process("A", "go", event="go")  # type: ignore[call-overload]


def test_no_trigger_at_all_is_a_type_error(machine: StateMachine[str, str, Any]) -> None:
    with pytest.raises(TypeError, match="needs the trigger"):
        machine.process("A")  # type: ignore[call-overload]


def test_async_processing_takes_event_too(machine: StateMachine[str, str, Any]) -> None:
    assert asyncio.run(machine.aprocess("A", event="go")).target_state == "B"
    assert asyncio.run(machine.async_process("A", event="go")).target_state == "B"


# -- value types ------------------------------------------------------------------------


def test_a_machine_builds_from_state_and_transition_values() -> None:
    machine = StateMachine.from_objects(
        [
            State("PENDING", StateType.INITIAL, timeout=Timeout(5.0, "EXPIRED")),
            State("OPEN", on_enter=("notify",)),
            State("EXPIRED", StateType.TERMINAL),
        ],
        [Transition("ack", "PENDING", "OPEN", guards=(GuardSpec(expr="qty > 0"),))],
        meta={"machine_name": "orders"},
    )
    assert machine.name == "orders"
    assert machine.process("PENDING", "ack", {"qty": 1}).all_actions == ("notify",)
    assert machine.process("PENDING", "_timeout_PENDING").target_state == "EXPIRED"


def test_values_with_mistakes_get_the_compilers_diagnostics() -> None:
    with pytest.raises(pystator.ConfigurationError, match="destination 'NOWHERE'"):
        StateMachine.from_objects(
            [State("A", StateType.INITIAL)], [Transition("go", "A", "NOWHERE")]
        )


def test_from_objects_refuses_what_is_not_a_value() -> None:
    with pytest.raises(TypeError, match="expected a State"):
        StateMachine.from_objects([{"name": "A"}], [])  # type: ignore[list-item]


def test_the_guard_evaluator_reports_the_first_failing_guard() -> None:
    registry = GuardRegistry()
    registry.register("ok", lambda ctx: True)
    evaluator = GuardEvaluator(registry)
    transition = Transition("go", "A", "B", guards=("ok", GuardSpec(expr="qty > 3")))
    assert evaluator.can_transition(transition, {"qty": 5})
    refused = evaluator.can_transition(transition, {"qty": 1})
    assert (refused.passed, refused.guard_name) == (False, "expr: qty > 3")
    assert refused.evaluated_guards == (("ok", True), ("expr: qty > 3", False))
    raised = evaluator.can_transition(transition, {})
    assert raised.message == "guard 'expr: qty > 3' raised KeyError: 'qty'"


@given(
    st.text(min_size=1, max_size=20),
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=4),
)
def test_an_event_round_trips_through_its_dict(trigger: str, payload: dict[str, Any]) -> None:
    event = Event(trigger, payload, source="api")
    assert Event.from_dict(json.loads(json.dumps(event.to_dict()))) == event


def test_an_event_needs_a_trigger() -> None:
    with pytest.raises(ValueError, match="non-empty string"):
        Event("")


# -- result metadata --------------------------------------------------------------------


def test_metadata_is_a_dict_that_json_takes(machine: StateMachine[str, str, Any]) -> None:
    result = machine.process("A", "go", {"ok": False})
    assert isinstance(result.metadata, dict)
    assert json.loads(json.dumps(result.metadata)) == {
        "reason": "guard_rejected",
        "guard_name": "ok",
    }


def test_metadata_refuses_writes(machine: StateMachine[str, str, Any]) -> None:
    metadata: Any = machine.process("A", "go").metadata
    for write in (
        lambda: metadata.__setitem__("x", 1),
        lambda: metadata.update(x=1),
        lambda: metadata.pop("reason", None),
        lambda: metadata.setdefault("x", 1),
        metadata.clear,
        metadata.popitem,
    ):
        with pytest.raises(TypeError, match="read-only"):
            write()


def test_metadata_copies_and_pickles_as_itself(machine: StateMachine[str, str, Any]) -> None:
    metadata = machine.process("A", "go", {"ok": False}).metadata
    for clone in (
        copy.copy(metadata),
        copy.deepcopy(metadata),
        pickle.loads(pickle.dumps(metadata)),
    ):
        assert clone == metadata and type(clone) is type(metadata)
    assert dict(metadata) | {"x": 1} == {**metadata, "x": 1}


# -- documented module paths ------------------------------------------------------------

DOCUMENTED_PATHS = {
    "pystator.machine": ("StateMachine",),
    "pystator.instance": ("EntitySession",),
    "pystator.event": ("Event",),
    "pystator.orchestrator": ("Orchestrator", "ContextValidatorFn"),
    "pystator.visualization": ("to_mermaid", "to_dot"),
    "pystator.stores": ("StateStore", "AsyncStateStore", "InMemoryStateStore", "SQLiteStateStore"),
    "pystator.core.state_store": ("StateStore", "AsyncStateStore", "InMemoryStateStore"),
    "pystator.orchestration.invoke": ("InvokeAdapter", "NoOpInvokeAdapter", "InvokeSpec"),
    "pystator.actions": ("ActionExecutor", "ExecutionMode", "ACTION_PARAMS_KEY"),
    "pystator.guards": ("GuardRegistry",),
    "pystator.hooks": ("MetricsCollector", "TransitionObserver"),
    "pystator.errors": ("FSMError", "ErrorCode"),
    "pystator.scheduler": ("AsyncioScheduler", "RedisScheduler", "CeleryScheduler"),
}


@pytest.mark.parametrize(("path", "names"), DOCUMENTED_PATHS.items())
def test_a_documented_path_gives_the_runtimes_own_objects(
    path: str, names: tuple[str, ...]
) -> None:
    module = import_module(path)
    for name in names:
        assert getattr(module, name) is getattr(pystator, name), f"{path}.{name}"


@pytest.mark.parametrize("path", ["loader", "models", "converter", "validator"])
def test_the_config_modules_import(path: str) -> None:
    assert import_module(f"pystator.config.{path}").__all__


def test_validate_config_lists_the_diagnostics() -> None:
    from pystator.config.validator import validate_config

    broken = {**FLIP, "transitions": [{"trigger": "go", "source": "A", "dest": "C"}]}
    assert [d.code for d in validate_config(broken)] == ["PS204"]
    assert validate_config(FLIP) == []


@pytest.mark.parametrize("package", ["pystator", "pystator.stores"])
def test_mongodb_store_is_refused_by_name_with_the_reason(package: str) -> None:
    with pytest.raises(ImportError, match="MongoDBStateStore is not provided") as raised:
        exec(f"from {package} import MongoDBStateStore")
    assert "PostgresStateStore" in str(raised.value)
