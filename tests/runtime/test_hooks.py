"""Observers and hooks see every transition machines and sessions compute."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest

from pystator import (
    LoggingHook,
    MetricsCollector,
    StateMachine,
    TransitionObserver,
    TransitionResult,
)

Machine = StateMachine[str, str, dict[str, Any]]

DOOR = """
states:
  - {name: CLOSED, type: initial}
  - {name: OPEN}
transitions:
  - {trigger: open, source: CLOSED, dest: OPEN, guards: [allowed]}
  - {trigger: close, source: OPEN, dest: CLOSED}
"""


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def on_before_process(
        self, entity_id: str, current_state: str, trigger: str, context: dict[str, Any]
    ) -> None:
        self.calls.append(("before", entity_id))

    def on_transition_start(
        self, current_state: str, trigger: str, context: dict[str, Any]
    ) -> None:
        self.calls.append(("start", (current_state, trigger)))

    def on_transition_complete(
        self, result: TransitionResult, duration_ms: float, context: dict[str, Any]
    ) -> None:
        assert duration_ms >= 0
        self.calls.append(("complete", (result.success, result.target_state)))

    def on_transition_error(
        self, error: Exception, current_state: str, trigger: str, context: dict[str, Any]
    ) -> None:
        self.calls.append(("error", type(error).__name__))


@pytest.fixture
def door(machine_from: Callable[[str], Machine]) -> Machine:
    machine = machine_from(DOOR)
    machine.guard("allowed")(lambda ctx: ctx.get("key") == "ok")
    return machine


def test_process_reports_start_and_completion(door: Machine) -> None:
    recorder = Recorder()
    door.observer = TransitionObserver([recorder])
    door.process("CLOSED", "open", {"key": "ok"})
    assert recorder.calls == [("start", ("CLOSED", "open")), ("complete", (True, "OPEN"))]


def test_refused_transitions_are_reported_as_complete_and_unsuccessful(door: Machine) -> None:
    recorder = Recorder()
    door.observer = TransitionObserver([recorder])
    door.process("CLOSED", "open", {"key": "bad"})
    assert recorder.calls[-1] == ("complete", (False, None))


def test_exceptions_reach_on_transition_error_and_propagate(door: Machine) -> None:
    recorder = Recorder()
    door.observer = TransitionObserver([recorder])
    door.guard_registry.unregister("allowed")
    with pytest.raises(Exception, match="allowed"):
        door.process("CLOSED", "open")
    assert recorder.calls[-1] == ("error", "GuardNotFoundError")


def test_sessions_report_through_the_machines_observer(door: Machine) -> None:
    metrics = MetricsCollector()
    door.observer = TransitionObserver().add_hook(metrics)
    session = door.create()
    session.send("open", key="ok")
    session.send("close")
    asyncio.run(session.asend("open", key="no"))
    summary = metrics.get_summary()
    assert summary["total_transitions"] == 3
    assert summary["successful"] == 2
    assert summary["by_trigger"] == {"open": 2, "close": 1}


def test_a_failing_hook_never_changes_the_outcome(
    door: Machine, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(Recorder):
        def on_transition_complete(self, *args: Any) -> None:
            raise RuntimeError("hook bug")

    door.observer = TransitionObserver([Broken()])
    with caplog.at_level(logging.ERROR, logger="pystator.hooks"):
        assert door.process("CLOSED", "open", {"key": "ok"}).success
    assert "hook bug" in caplog.text


def test_logging_hook_logs_success_and_refusal(
    door: Machine, caplog: pytest.LogCaptureFixture
) -> None:
    door.observer = TransitionObserver([LoggingHook()])
    with caplog.at_level(logging.INFO, logger="pystator.transitions"):
        door.process("CLOSED", "open", {"key": "ok"})
        door.process("CLOSED", "open", {"key": "no"})
    assert "CLOSED --open--> OPEN" in caplog.text
    assert "refused (guard_rejected)" in caplog.text


def test_metrics_summary_when_empty() -> None:
    summary = MetricsCollector().get_summary()
    assert summary["total_transitions"] == 0 and summary["success_rate"] == 0.0
    assert summary["duration"] == {}


def test_metrics_keep_a_bounded_window() -> None:
    metrics = MetricsCollector(max_samples=3)
    result = TransitionResult.success_result("A", "B", "go")
    for _ in range(10):
        metrics.on_transition_complete(result, 1.0, {})
    assert metrics.get_summary()["total_transitions"] == 10
    assert len(metrics.transitions) == 3


def test_add_hook_refuses_objects_that_are_not_hooks() -> None:
    with pytest.raises(TypeError, match="not a TransitionHook"):
        TransitionObserver().add_hook(object())  # type: ignore[arg-type]


def test_machine_refuses_a_non_observer(door: Machine) -> None:
    with pytest.raises(TypeError, match="TransitionObserver"):
        door.observer = [Recorder()]  # type: ignore[assignment]
