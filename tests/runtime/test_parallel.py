"""Parallel states: regions move independently; the stateless API and sessions agree."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pystator import (
    EntitySession,
    FSMError,
    GuardRejectedError,
    StateMachine,
    UndefinedTriggerError,
)
from pystator.runtime.parallel import ParallelStateConfig
from tests.conftest import EXAMPLES

DAY = EXAMPLES / "day_trading_fsm.yaml"
START = {"trading": "scanning", "risk_monitor": "normal", "data_feed": "connecting"}


@pytest.fixture(params=["dynamic", "generated"])
def day(
    request: pytest.FixtureRequest, generated: Callable[[Path], ModuleType]
) -> StateMachine[Any, Any, Any]:
    if request.param == "dynamic":
        return StateMachine.from_yaml(DAY)
    machine: StateMachine[Any, Any, Any] = generated(DAY).DayTradingMachine()
    return machine


def test_entering_puts_every_region_in_its_initial_state(day: StateMachine[Any, Any, Any]) -> None:
    config = day.enter_parallel_state("active")
    assert config.region_states == START
    assert day.is_parallel_state("active") and not day.is_parallel_state("closed")
    result = day.process("pre_market", "market_open")
    assert result.all_actions == ("open_session", "start_scanners", "reset_risk_alerts")


def test_a_region_scoped_event_moves_only_its_region(day: StateMachine[Any, Any, Any]) -> None:
    config, results = day.process_parallel(day.enter_parallel_state("active"), "signal_detected")
    assert config is not None
    assert config.region_states == {**START, "trading": "analyzing"}
    assert [r.all_actions for r in results] == [("stop_scanners",)]


def test_one_event_may_move_several_regions(
    machine_from: Callable[[str], StateMachine[str, str, dict[str, Any]]],
) -> None:
    machine = machine_from(
        """
        states:
          - {name: S, type: initial}
          - name: P
            type: parallel
            regions:
              - {name: left, initial: l1, states: [l1, l2]}
              - {name: right, initial: r1, states: [r1, r2]}
        transitions:
          - {source: S, dest: P, auto: true}
          - {trigger: tick, source: l1, dest: l2}
          - {trigger: tick, source: r1, dest: r2}
        """
    )
    config, results = machine.process_parallel(machine.enter_parallel_state("P"), "tick")
    assert config is not None and config.region_states == {"left": "l2", "right": "r2"}
    assert len(results) == 2
    session = machine.create()
    result = session.send("tick")
    assert result.metadata["regions"] == {"left": ("l1", "l2"), "right": ("r1", "r2")}


def test_guard_rejections_and_unknown_triggers_are_reported(
    day: StateMachine[Any, Any, Any],
) -> None:
    config = ParallelStateConfig("active", {**START, "trading": "analyzing"})
    same, results = day.process_parallel(config, "signal_confirmed", {"risk_ok": False})
    assert same == config
    assert isinstance(results[0].error, GuardRejectedError)
    _, results = day.process_parallel(config, "nope")
    assert isinstance(results[0].error, UndefinedTriggerError)


def test_leaving_the_parallel_state_exits_every_region_first(
    day: StateMachine[Any, Any, Any],
) -> None:
    config = day.enter_parallel_state("active")
    assert day.get_parallel_exit_actions(config) == ("stop_scanners", "close_session")
    left, results = day.process_parallel(config, "market_close")
    assert left is None
    assert results[0].target_state == "closed"
    assert results[0].all_actions == ("stop_scanners", "close_session")


def test_async_process_parallel(day: StateMachine[Any, Any, Any]) -> None:
    config = ParallelStateConfig("active", {**START, "trading": "analyzing"})
    moved, _ = asyncio.run(
        day.async_process_parallel(config, "signal_confirmed", {"risk_ok": True})
    )
    assert moved is not None and moved.get_region_state("trading") == "executing"


def test_config_string_round_trips() -> None:
    config = ParallelStateConfig("active", {"trading": "scanning", "risk": "normal"})
    assert config.to_string() == "active:trading=scanning,risk=normal"
    assert ParallelStateConfig.from_string(config.to_string()) == config
    assert config.get_all_active() == ["active", "scanning", "normal"]
    assert config.is_in_state("normal") and not config.is_in_state("elevated")
    with pytest.raises(ValueError):
        ParallelStateConfig.from_string("active:trading")


def test_invalid_configs_are_detected(day: StateMachine[Any, Any, Any]) -> None:
    assert day.validate_parallel_config(day.enter_parallel_state("active"))
    assert not day.validate_parallel_config(ParallelStateConfig("active", {"trading": "normal"}))
    assert not day.validate_parallel_config(ParallelStateConfig("closed", {}))
    with pytest.raises(FSMError, match="invalid parallel configuration"):
        day.process_parallel(ParallelStateConfig("active", {}), "feed_up")


def test_sessions_expose_the_configuration_and_region_properties(
    day: StateMachine[Any, Any, Any],
) -> None:
    session = day.create(context={"risk_ok": True})
    session.send("market_open")
    assert session.parallel_config is not None
    assert session.is_scanning and session.is_normal and not session.is_elevated
    session.send("risk_warning")
    assert session.is_elevated and session.matches("elevated") and session.matches("active")
    assert "feed_up" in session.allowed_triggers
    restored = EntitySession.from_snapshot(day, session.snapshot())
    assert restored.parallel_config == session.parallel_config
    restored.send("market_close")
    assert restored.current_state == "closed" and restored.parallel_config is None


# Every transition of the example: (state, trigger, context) -> (target, action order).
EVERY_TRANSITION = {
    ("pre_market", "market_open", False): (
        "active",
        ("open_session", "start_scanners", "reset_risk_alerts"),
    ),
    ("scanning", "signal_detected", False): ("analyzing", ("stop_scanners",)),
    ("analyzing", "signal_confirmed", True): ("executing", ()),
    ("executing", "order_done", False): ("scanning", ("start_scanners",)),
    ("normal", "risk_warning", False): ("elevated", ()),
    ("elevated", "risk_warning", False): ("critical", ()),
    ("connecting", "feed_up", False): ("connected", ()),
    ("connecting", "feed_lost", False): ("failed", ()),
    ("connected", "feed_lost", False): ("failed", ()),
    ("active", "market_close", False): ("closed", ("close_session",)),
}


@pytest.mark.parametrize(("state", "trigger", "risk_ok"), sorted(EVERY_TRANSITION))
def test_every_transition_of_the_example(
    day: StateMachine[Any, Any, Any], state: str, trigger: str, risk_ok: bool
) -> None:
    result = day.process(state, trigger, {"risk_ok": risk_ok})
    assert result.source_state == state
    assert (result.target_state, result.all_actions) == EVERY_TRANSITION[state, trigger, risk_ok]
