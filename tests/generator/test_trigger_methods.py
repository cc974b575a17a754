"""Generated trigger methods without declared fields do exactly what `send` does: the same
results, states, contexts, history and regions, observed or not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pystator import EntitySession, StateMachine
from pystator.hooks import MetricsCollector, TransitionObserver

Generate = Callable[[Path], ModuleType]
Steps = list[tuple[str, dict[str, Any]]]

PLAYER = Path(__file__).resolve().parents[1] / "fixtures" / "player_history.yaml"

GATE = """
meta: {machine_name: gate}
states:
  - {name: shut, type: initial}
  - {name: open, on_enter: [{set: {status: open}}]}
  - {name: jammed}
transitions:
  - {trigger: push, source: shut, dest: open, guards: [{expr: "force > 3"}]}
  - {trigger: push, source: shut, dest: jammed}
  - {trigger: kick, source: shut, dest: open, guards: [sturdy]}
  - {trigger: close, source: [open, jammed], dest: shut}
"""
GATE_STEPS: Steps = [
    ("push", {"force": 5}),
    ("push", {}),  # not from `open`: a rejection
    ("close", {"note": "x"}),
    ("push", {}),  # `force` is in the context now: 5 > 3
    ("close", {}),
    ("push", {"force": 1}),
    ("close", {}),
    ("kick", {}),  # its guard raises: a rejection
    ("close", {}),  # not from `shut`: a rejection
]

REGIONS = """
meta: {machine_name: regions}
states:
  - {name: S, type: initial}
  - name: P
    type: parallel
    regions:
      - {name: left, initial: l1, states: [l1, l2]}
      - {name: right, initial: r1, states: [r1, r2]}
  - {name: T}
transitions:
  - {trigger: go, source: S, dest: P}
  - {trigger: tick, source: l1, dest: l2}
  - {trigger: tick, source: r1, dest: r2}
  - {trigger: leave, source: P, dest: T}
"""
REGION_STEPS: Steps = [("go", {}), ("tick", {"n": 1}), ("tick", {}), ("leave", {}), ("go", {})]

PLAYER_STEPS: Steps = [
    (trigger, {})
    for trigger in ("power", "media", "usb", "off", "power_deep", "off", "power_shallow")
]


def _sturdy(ctx: Any) -> bool:
    raise RuntimeError("no sturdy gates here")


def _outcome(result: Any) -> tuple[Any, ...]:
    return (
        result.success,
        result.source_state,
        result.target_state,
        result.all_actions,
        result.metadata.get("reason"),
        type(result.error),
    )


def _walk(machine: StateMachine[Any, Any, Any], steps: Steps) -> list[tuple[Any, ...]]:
    """Each step through the trigger method and through `send`, on two sessions that must
    stay alike; the outcomes."""
    by_method: EntitySession[Any, Any, Any] = machine.create()
    by_send: EntitySession[Any, Any, Any] = machine.create()
    outcomes = []
    for trigger, payload in steps:
        got = getattr(by_method, trigger)(**payload)
        assert _outcome(got) == _outcome(by_send.send(trigger, **payload)), trigger
        assert by_method.snapshot() == by_send.snapshot(), trigger
        outcomes.append(_outcome(got))
    return outcomes


@pytest.fixture
def gate(generated: Generate, tmp_path: Path) -> StateMachine[Any, Any, Any]:
    path = tmp_path / "gate.yaml"
    path.write_text(GATE, encoding="utf-8")
    machine: StateMachine[Any, Any, Any] = generated(path).GateMachine()
    machine.guard("sturdy")(_sturdy)
    return machine


def test_trigger_methods_merge_payloads_and_reject_as_send_does(
    gate: StateMachine[Any, Any, Any],
) -> None:
    outcomes = _walk(gate, GATE_STEPS)
    assert [outcome[0] for outcome in outcomes] == [True, False] + [True] * 5 + [False] * 2
    assert [outcome[2] for outcome in outcomes[2:6]] == ["shut", "open", "shut", "jammed"]


def test_observed_trigger_methods_are_reported_and_decide_as_send_does(
    gate: StateMachine[Any, Any, Any],
) -> None:
    unobserved = _walk(gate, GATE_STEPS)
    metrics = MetricsCollector()
    gate.observer = TransitionObserver().add_hook(metrics)
    assert _walk(gate, GATE_STEPS) == unobserved
    assert metrics.get_summary()["total_transitions"] == 2 * len(GATE_STEPS)


def test_trigger_methods_enter_and_leave_parallel_states_as_send_does(
    generated: Generate, tmp_path: Path
) -> None:
    path = tmp_path / "regions.yaml"
    path.write_text(REGIONS, encoding="utf-8")
    outcomes = _walk(generated(path).RegionsMachine(), REGION_STEPS)
    assert [outcome[0] for outcome in outcomes] == [True, True, False, True, False]


def test_trigger_methods_record_and_follow_history_as_send_does(generated: Generate) -> None:
    outcomes = _walk(generated(PLAYER).PlayerMachine(), PLAYER_STEPS)
    assert all(outcome[0] for outcome in outcomes)
    assert outcomes[4][2] == "on.media.usb"


def test_a_trigger_named_trigger_method_has_its_method_and_so_do_the_others(
    generated: Generate, tmp_path: Path
) -> None:
    path = tmp_path / "named.yaml"
    path.write_text(
        """
        meta: {machine_name: named}
        states: [{name: a, type: initial}, {name: b}]
        transitions:
          - {trigger: trigger_method, source: a, dest: b}
          - {trigger: back, source: b, dest: a}
        """,
        encoding="utf-8",
    )
    session = generated(path).NamedMachine().create()
    assert session.trigger_method().target_state == "b"
    assert session.back().target_state == "a"
