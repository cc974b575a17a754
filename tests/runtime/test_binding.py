"""Binding handlers: registries, or objects implementing the Guards/Actions Protocols."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pystator import (
    ActionNotFoundError,
    ActionRegistry,
    GuardNotFoundError,
    GuardRegistry,
    StateMachine,
)
from pystator.actions import ActionExecutor

Machine = StateMachine[str, str, dict[str, Any]]

ORDER = """
states:
  - {name: OPEN, type: initial, on_exit: [log_exit]}
  - {name: FILLED, type: terminal, on_enter: [notify, {set: {done: true}}]}
transitions:
  - trigger: fill
    source: OPEN
    dest: FILLED
    guards: [is_full_fill, {name: within_limit, params: {limit: 5}}]
    actions: [update_positions]
"""


class Handlers:
    def __init__(self) -> None:
        self.ran: list[str] = []

    def is_full_fill(self, ctx: dict[str, Any]) -> bool:
        return bool(ctx["qty"] >= 10)

    def within_limit(self, ctx: dict[str, Any]) -> bool:
        return bool(ctx["qty"] <= ctx["_guard_params"]["limit"] * 10)

    def log_exit(self, ctx: dict[str, Any]) -> None:
        self.ran.append("log_exit")

    def notify(self, ctx: dict[str, Any]) -> None:
        self.ran.append("notify")

    def update_positions(self, ctx: dict[str, Any]) -> None:
        self.ran.append("update_positions")


@pytest.fixture
def machine(machine_from: Callable[[str], Machine]) -> Machine:
    return machine_from(ORDER)


def test_machine_lists_the_handler_names_it_needs(machine: Machine) -> None:
    assert machine.guard_names == ("is_full_fill", "within_limit")
    assert machine.action_names == ("log_exit", "notify", "update_positions")


def test_an_object_supplies_guards_and_actions(machine: Machine) -> None:
    handlers = Handlers()
    machine.bind(guards=handlers, actions=handlers)
    result = machine.process("OPEN", "fill", {"qty": 10})
    assert result.target_state == "FILLED"
    assert not machine.process("OPEN", "fill", {"qty": 60}).success
    ActionExecutor(machine.action_registry).execute(result, {"qty": 10})
    assert handlers.ran == ["log_exit", "update_positions", "notify"]


def test_missing_handlers_are_all_reported_at_once(machine: Machine) -> None:
    class Partial:
        def is_full_fill(self, ctx: dict[str, Any]) -> bool:
            return True

    with pytest.raises(GuardNotFoundError) as caught:
        machine.bind(guards=Partial(), actions=Partial())
    message = str(caught.value)
    assert "guards within_limit" in message
    assert "actions log_exit, notify, update_positions" in message
    assert caught.value.context["missing_actions"] == ["log_exit", "notify", "update_positions"]


def test_missing_actions_alone_raise_action_not_found(machine: Machine) -> None:
    with pytest.raises(ActionNotFoundError):
        machine.bind(actions=object())


def test_a_failed_binding_changes_nothing(machine: Machine) -> None:
    registry = GuardRegistry()
    machine.bind_guards(registry)
    with pytest.raises(GuardNotFoundError):
        machine.bind(guards=object())
    assert machine.guard_registry is registry


def test_registries_bind_without_a_completeness_check(machine: Machine) -> None:
    machine.bind(guards=GuardRegistry(), actions=ActionRegistry())
    assert len(machine.guard_registry) == 0


def test_a_registry_of_the_wrong_kind_is_refused(machine: Machine) -> None:
    with pytest.raises(TypeError, match="GuardRegistry"):
        machine.bind(guards=ActionRegistry())
