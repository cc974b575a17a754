"""StateMachine.process / aprocess on the dynamic path: the seeds' semantics for flat machines."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from pystator import (
    ConfigurationError,
    ErrorCode,
    GuardNotFoundError,
    GuardRegistry,
    GuardRejectedError,
    InvalidTransitionError,
    StateMachine,
    TerminalStateError,
    UndefinedStateError,
    UndefinedTriggerError,
)

Machine = StateMachine[str, str, dict[str, Any]]
Build = Callable[[str], Machine]

ORDER = """
meta:
  version: "1.0.0"
  machine_name: "order_management"
  strict_mode: true
states:
  - name: PENDING
    type: initial
    on_exit: [log_exit]
  - name: OPEN
    type: stable
    on_enter: [notify_open]
    on_exit: [leave_open]
  - name: FILLED
    type: terminal
  - name: CANCELLED
    type: terminal
transitions:
  - trigger: exchange_ack
    source: PENDING
    dest: OPEN
    actions: [ack_action]
  - trigger: fill
    source: OPEN
    dest: FILLED
    guards: [is_full_fill]
  - trigger: fill
    source: OPEN
    dest: OPEN
  - trigger: cancel
    source: [PENDING, OPEN]
    dest: CANCELLED
"""


@pytest.fixture
def order(machine_from: Build) -> Machine:
    return machine_from(ORDER)


def test_quick_start_transition_succeeds(order: Machine) -> None:
    result = order.process("PENDING", "exchange_ack", {})
    assert result.success
    assert result.source_state == "PENDING"
    assert result.target_state == "OPEN"
    assert result.trigger == "exchange_ack"
    assert result.error is None


def test_all_actions_run_exit_then_transition_then_enter(order: Machine) -> None:
    result = order.process("PENDING", "exchange_ack", {})
    assert result.all_actions == ("log_exit", "ack_action", "notify_open")


def test_unknown_trigger_is_an_undefined_trigger_error(order: Machine) -> None:
    result = order.process("PENDING", "nope", {})
    assert not result.success
    assert result.target_state is None
    assert isinstance(result.error, UndefinedTriggerError)
    assert result.error.code is ErrorCode.INVALID_TRIGGER
    assert result.metadata["reason"] == "undefined_trigger"


def test_known_trigger_from_wrong_state_is_an_invalid_transition(order: Machine) -> None:
    result = order.process("PENDING", "fill", {})
    assert isinstance(result.error, InvalidTransitionError)
    assert not isinstance(result.error, GuardRejectedError)
    assert result.metadata["reason"] == "invalid_transition"


def test_undefined_state_raises_like_the_reference(order: Machine) -> None:
    with pytest.raises(UndefinedStateError) as caught:
        order.process("NOPE", "fill", {})
    assert caught.value.state_name == "NOPE"
    assert caught.value.code is ErrorCode.UNDEFINED_STATE


def test_terminal_state_refuses_every_event(order: Machine) -> None:
    result = order.process("FILLED", "cancel", {})
    assert isinstance(result.error, TerminalStateError)
    assert result.error.code is ErrorCode.TERMINAL_STATE
    assert result.metadata["reason"] == "terminal_state"


def test_guard_rejection_reports_guard_name_and_state(machine_from: Build) -> None:
    machine = machine_from(
        """
        states:
          - {name: OPEN, type: initial}
          - {name: FILLED, type: terminal}
        transitions:
          - {trigger: fill, source: OPEN, dest: FILLED, guards: [is_full_fill]}
        """
    )
    machine.guard("is_full_fill")(lambda ctx: ctx.get("qty", 0) >= 10)
    result = machine.process("OPEN", "fill", {"qty": 3})
    assert isinstance(result.error, GuardRejectedError)
    assert result.error.code is ErrorCode.GUARD_REJECTED
    assert result.error.guard_name == "is_full_fill"
    assert result.error.current_state == "OPEN"
    assert result.metadata["reason"] == "guard_rejected"
    assert result.metadata["guard_name"] == "is_full_fill"
    assert machine.process("OPEN", "fill", {"qty": 10}).target_state == "FILLED"


def test_first_matching_transition_wins(order: Machine) -> None:
    order.guard("is_full_fill")(lambda ctx: True)
    assert order.process("OPEN", "fill", {}).target_state == "FILLED"


def test_guard_that_raises_rejects_and_says_why(machine_from: Build) -> None:
    machine = machine_from(
        """
        states:
          - {name: A, type: initial}
          - {name: B, type: terminal}
        transitions:
          - {trigger: go, source: A, dest: B, guards: [boom]}
        """
    )

    def boom(ctx: dict[str, Any]) -> bool:
        raise RuntimeError("service down")

    machine.guard("boom")(boom)
    result = machine.process("A", "go", {})
    assert isinstance(result.error, GuardRejectedError)
    assert result.metadata["guard_error"] == "RuntimeError: service down"


def test_unregistered_guard_raises_guard_not_found(order: Machine) -> None:
    with pytest.raises(GuardNotFoundError) as caught:
        order.process("OPEN", "fill", {})
    assert caught.value.guard_name == "is_full_fill"


def test_bind_guards_replaces_the_registry(order: Machine) -> None:
    guards = GuardRegistry()
    guards.register("is_full_fill", lambda ctx: ctx["qty"] >= 100)
    order.bind_guards(guards)
    assert order.process("OPEN", "fill", {"qty": 100}).target_state == "FILLED"
    assert order.process("OPEN", "fill", {"qty": 1}).target_state == "OPEN"


def test_sync_process_refuses_an_async_guard(order: Machine) -> None:
    async def is_full_fill(ctx: dict[str, Any]) -> bool:
        return True

    order.guard("is_full_fill")(is_full_fill)
    with pytest.raises(ConfigurationError, match="asynchronous"):
        order.process("OPEN", "fill", {})


def test_aprocess_awaits_async_guards(order: Machine) -> None:
    async def is_full_fill(ctx: dict[str, Any]) -> bool:
        await asyncio.sleep(0)
        return bool(ctx["qty"] >= 5)

    order.guard("is_full_fill")(is_full_fill)
    result = asyncio.run(order.aprocess("OPEN", "fill", {"qty": 5}))
    assert result.target_state == "FILLED"
    assert asyncio.run(order.async_process("OPEN", "fill", {"qty": 1})).target_state == "OPEN"


def test_external_self_transition_exits_and_reenters(order: Machine) -> None:
    order.guard("is_full_fill")(lambda ctx: False)
    result = order.process("OPEN", "fill", {})
    # Deliberately unlike the reference 0.0.10, which skips them: the seeds require it.
    assert result.all_actions == ("leave_open", "notify_open")


def test_internal_transition_skips_exit_and_enter(machine_from: Build) -> None:
    machine = machine_from(
        """
        states:
          - {name: OPEN, type: initial, on_enter: [hello], on_exit: [bye]}
        transitions:
          - {trigger: ping, source: OPEN, dest: OPEN, internal: true, actions: [pong]}
        """
    )
    result = machine.process("OPEN", "ping")
    assert result.target_state == "OPEN"
    assert result.all_actions == ("pong",)
    assert result.metadata["internal"] is True


def test_non_strict_machine_ignores_unknown_events(machine_from: Build) -> None:
    machine = machine_from(
        """
        meta: {machine_name: lenient, strict_mode: false}
        states:
          - {name: A, type: initial}
          - {name: B, type: terminal}
        transitions:
          - {trigger: go, source: A, dest: B}
        """
    )
    result = machine.process("A", "whatever")
    assert result.success
    assert result.target_state == "A"
    assert result.metadata["no_op"] is True


@pytest.mark.parametrize(("normalizer", "sent"), [("lower", "GO"), ("upper", "go")])
def test_event_normalizer_matches_any_case(machine_from: Build, normalizer: str, sent: str) -> None:
    machine = machine_from(
        f"""
        meta: {{machine_name: normalized, event_normalizer: {normalizer}}}
        states:
          - {{name: A, type: initial}}
          - {{name: B, type: terminal}}
        transitions:
          - {{trigger: Go, source: A, dest: B}}
        """
    )
    result = machine.process("A", sent)
    assert result.success
    assert result.trigger == ("go" if normalizer == "lower" else "GO")


def test_wrong_argument_types_give_clear_type_errors(order: Machine) -> None:
    with pytest.raises(TypeError, match="state name"):
        order.process(42, "fill")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="trigger name"):
        order.process("OPEN", ["fill"])  # type: ignore[arg-type]


def test_queries(order: Machine) -> None:
    assert order.get_initial_state() == "PENDING"
    assert order.get_state("OPEN").name == "OPEN"
    assert [t.dest for t in order.get_available_transitions("OPEN")] == [
        "FILLED",
        "OPEN",
        "CANCELLED",
    ]
    with pytest.raises(UndefinedStateError):
        order.get_state("MISSING")


def test_from_dict_matches_the_seed_example() -> None:
    config = {
        "meta": {"version": "1.0.0", "machine_name": "my_fsm", "strict_mode": True},
        "states": [
            {"name": "A", "type": "initial"},
            {"name": "B", "type": "stable"},
            {"name": "C", "type": "terminal"},
        ],
        "transitions": [
            {"trigger": "go", "source": "A", "dest": "B"},
            {"trigger": "done", "source": "B", "dest": "C"},
        ],
    }
    machine = StateMachine.from_dict(config)
    assert machine.process("A", "go", {}).target_state == "B"


def test_invalid_definition_raises_configuration_error_with_diagnostics() -> None:
    with pytest.raises(ConfigurationError) as caught:
        StateMachine.from_dict({"states": [{"name": "A", "type": "stable"}], "transitions": []})
    assert [d.code for d in caught.value.diagnostics] == ["PS201"]
    assert "no initial state" in str(caught.value)


def test_results_of_unguarded_transitions_are_immutable(order: Machine) -> None:
    result = order.process("PENDING", "exchange_ack")
    with pytest.raises(TypeError):
        result.metadata["x"] = 1  # type: ignore[index]
