"""Eventless `auto: true` transitions fire as soon as their source is entered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from pystator import FSMError, StateMachine

Machine = StateMachine[str, str, dict[str, Any]]

ROUTING = """
states:
  - {name: NEW, type: initial}
  - {name: TRIAGE, on_enter: [classify], on_exit: [leave_triage]}
  - {name: URGENT, on_enter: [page_oncall]}
  - {name: NORMAL, on_enter: [{set: {queue: normal}}]}
  - {name: DONE, type: terminal}
transitions:
  - {trigger: submit, source: NEW, dest: TRIAGE, actions: [record]}
  - {source: TRIAGE, dest: URGENT, auto: true, guards: [{expr: "priority > 2"}]}
  - {source: TRIAGE, dest: NORMAL, auto: true, actions: [route_normal]}
  - {trigger: close, source: [URGENT, NORMAL], dest: DONE}
"""


@pytest.fixture
def routing(machine_from: Callable[[str], Machine]) -> Machine:
    return machine_from(ROUTING)


def test_process_follows_the_chain_and_reports_every_action(routing: Machine) -> None:
    result = routing.process("NEW", "submit", {"priority": 5})
    assert result.target_state == "URGENT"
    assert result.all_actions == ("record", "classify", "leave_triage", "page_oncall")
    assert result.metadata["auto_chain"] == ("URGENT",)


def test_first_passing_auto_transition_wins_in_document_order(routing: Machine) -> None:
    result = routing.process("NEW", "submit", {"priority": 1})
    assert result.target_state == "NORMAL"
    assert result.all_actions == (
        "record",
        "classify",
        "leave_triage",
        "route_normal",
        "_effect.set",
    )


def test_sessions_follow_the_chain_and_apply_its_effects(routing: Machine) -> None:
    session = routing.create()
    session.send("submit", priority=0)
    assert session.current_state == "NORMAL"
    assert session.context["queue"] == "normal"
    assert session.allowed_triggers == ["close"]


def test_create_settles_the_initial_state(machine_from: Callable[[str], Machine]) -> None:
    machine = machine_from(
        """
        states:
          - {name: BOOT, type: initial}
          - {name: READY}
          - {name: DONE, type: terminal}
        transitions:
          - {source: BOOT, dest: READY, auto: true, guards: [{expr: "ready"}]}
          - {trigger: stop, source: READY, dest: DONE}
        """
    )
    assert machine.create(context={"ready": True}).current_state == "READY"
    assert machine.create(context={"ready": False}).current_state == "BOOT"


def test_aprocess_follows_the_chain_with_async_guards(routing: Machine) -> None:
    result = asyncio.run(routing.aprocess("NEW", "submit", {"priority": 9}))
    assert result.target_state == "URGENT"


def test_auto_chain_that_never_settles_raises_a_clear_error(
    machine_from: Callable[[str], Machine],
) -> None:
    machine = machine_from(
        """
        states:
          - {name: A, type: initial}
          - {name: B}
          - {name: C}
        transitions:
          - {trigger: go, source: A, dest: B}
          - {source: B, dest: C, auto: true, guards: [{expr: "spin"}]}
          - {source: C, dest: B, auto: true, guards: [{expr: "spin"}]}
        """
    )
    assert machine.process("A", "go", {"spin": False}).target_state == "B"
    with pytest.raises(FSMError, match="did not settle after 32 steps"):
        machine.process("A", "go", {"spin": True})


def test_auto_is_not_a_trigger(routing: Machine) -> None:
    assert "_auto" not in routing.trigger_names
