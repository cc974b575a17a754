"""Compound states, as lowered at build time: every transition's target and action order
in the trading example, through the dynamic machine and the generated class alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pystator import StateMachine
from tests.conftest import EXAMPLES

TRADING = EXAMPLES / "trading_fsm.yaml"

# (current leaf, trigger) -> (target leaf, exit -> transition -> enter actions)
EXPECTED = {
    ("idle", "start"): ("active.scanning", ("start_feed", "start_scanners")),
    ("active.scanning", "signal_detected"): ("active.analyzing", ("stop_scanners", "load_model")),
    ("active.analyzing", "signal_confirmed"): ("active.trading.placing", ("size_position",)),
    ("active.analyzing", "signal_rejected"): ("active.scanning", ("start_scanners",)),
    ("active.trading.placing", "order_placed"): ("active.trading.monitoring", ()),
    ("active.trading.monitoring", "position_closed"): (
        "active.scanning",
        ("flush_orders", "start_scanners"),
    ),
    ("active.trading.placing", "position_closed"): (
        "active.scanning",
        ("flush_orders", "start_scanners"),
    ),
    ("active.trading.monitoring", "emergency_stop"): (
        "halted",
        ("flush_orders", "stop_feed", "notify_risk"),
    ),
    ("active.scanning", "emergency_stop"): (
        "halted",
        ("stop_scanners", "stop_feed", "notify_risk"),
    ),
    ("active.scanning", "pause"): ("idle", ("stop_scanners", "stop_feed")),
    # A transition from a compound state to itself leaves and re-enters it (seeds; the
    # reference 0.0.10 only re-enters the initial child).
    ("active.analyzing", "restart_scan"): (
        "active.scanning",
        ("stop_feed", "start_feed", "start_scanners"),
    ),
    ("active.scanning", "restart_scan"): (
        "active.scanning",
        ("stop_scanners", "stop_feed", "start_feed", "start_scanners"),
    ),
}


@pytest.fixture(params=["dynamic", "generated"])
def trading(
    request: pytest.FixtureRequest, generated: Callable[[Path], ModuleType]
) -> StateMachine[Any, Any, Any]:
    if request.param == "dynamic":
        return StateMachine.from_yaml(TRADING)
    machine: StateMachine[Any, Any, Any] = generated(TRADING).TradingSessionMachine()
    return machine


def test_initial_state_is_a_leaf(trading: StateMachine[Any, Any, Any]) -> None:
    assert trading.get_initial_state() == "idle"
    assert trading.create().current_state == "idle"


@pytest.mark.parametrize(("source", "trigger"), sorted(EXPECTED))
def test_target_and_action_order(
    trading: StateMachine[Any, Any, Any], source: str, trigger: str
) -> None:
    result = trading.process(source, trigger)
    assert result.success
    assert (result.target_state, result.all_actions) == EXPECTED[source, trigger]


def test_ancestor_transitions_apply_to_every_descendant(
    trading: StateMachine[Any, Any, Any],
) -> None:
    for leaf in ("active.scanning", "active.analyzing", "active.trading.placing"):
        assert trading.process(leaf, "pause").target_state == "idle"


def test_child_transitions_do_not_apply_to_siblings(trading: StateMachine[Any, Any, Any]) -> None:
    assert not trading.process("active.analyzing", "signal_detected").success


def test_descendant_transition_takes_priority_over_ancestor(
    machine_from: Callable[[str], StateMachine[str, str, dict[str, Any]]],
) -> None:
    machine = machine_from(
        """
        states:
          - {name: a, type: initial, initial_child: a.x}
          - {name: a.x, parent: a}
          - {name: b}
          - {name: c}
        transitions:
          - {trigger: go, source: a, dest: b}
          - {trigger: go, source: a.x, dest: c}
        """
    )
    assert machine.process("a.x", "go").target_state == "c"


def test_session_walks_the_hierarchy(trading: StateMachine[Any, Any, Any]) -> None:
    session = trading.create()
    for trigger in ("start", "signal_detected", "signal_confirmed", "order_placed"):
        assert session.send(trigger).success, trigger
    assert session.current_state == "active.trading.monitoring"
    assert session.send("emergency_stop").target_state == "halted"
    assert session.is_final


def test_matches_is_true_for_the_leaf_and_its_ancestors(
    trading: StateMachine[Any, Any, Any],
) -> None:
    session = trading.create()
    session.send("start")
    session.send("signal_detected")
    session.send("signal_confirmed")
    assert session.matches("active.trading.placing")
    assert session.matches("active.trading") and session.matches("active")
    assert not session.matches("active.scanning") and not session.matches("idle")


def test_matches_refuses_unknown_states(trading: StateMachine[Any, Any, Any]) -> None:
    from pystator import UndefinedStateError

    with pytest.raises(UndefinedStateError):
        trading.create().matches("nowhere")


def test_generated_state_enum_carries_the_hierarchy(
    generated: Callable[[Path], ModuleType],
) -> None:
    state = generated(TRADING).TradingSessionState
    assert state.ACTIVE.children() == (
        state.ACTIVE_SCANNING,
        state.ACTIVE_ANALYZING,
        state.ACTIVE_TRADING,
    )
    assert state.ACTIVE_TRADING_MONITORING.parent is state.ACTIVE_TRADING
    assert state.IDLE.parent is None
    assert state.ACTIVE.is_ancestor_of("active.trading.monitoring")
    assert state.ACTIVE.is_ancestor_of(state.ACTIVE_SCANNING)
    assert not state.ACTIVE.is_ancestor_of(state.ACTIVE)
    assert not state.IDLE.is_ancestor_of(state.ACTIVE)
