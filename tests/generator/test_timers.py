"""Timers at build time: durations, lowering of `after:` and `timeout:`, generated TIMERS."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pystator import StateMachine
from pystator.generator.diagnostics import CompileError
from pystator.generator.pipeline import compile_path, generate
from pystator.runtime.durations import parse_duration_ms
from pystator.runtime.spec import TimerSpec
from pystator.runtime.steps import active_states
from pystator.runtime.timers import ScheduledJob, timer_changes, timers_for

TIMED = Path(__file__).resolve().parents[1] / "fixtures" / "timers.yaml"
Write = Callable[..., Path]


@pytest.mark.parametrize(
    ("written", "milliseconds"),
    [
        (5000, 5000),
        ("500ms", 500),
        ("1.5s", 1500),
        ("30m", 1_800_000),
        ("1h", 3_600_000),
        ("1d", 86_400_000),
        ("0.25s", 250),
        (".5s", 500),
    ],
)
def test_durations_are_milliseconds_or_numbers_with_a_unit(
    written: int | str, milliseconds: int
) -> None:
    assert parse_duration_ms(written) == milliseconds


@pytest.mark.parametrize("written", ["5 parsecs", "s", "-1s", "1.5.5s", "", "1e3", True, None])
def test_anything_else_is_not_a_duration(written: object) -> None:
    with pytest.raises(ValueError):
        parse_duration_ms(written)


def test_a_bad_duration_is_a_diagnostic_at_its_position(write_yaml: Write) -> None:
    path = write_yaml(
        """\
        states:
          - {name: A, type: initial}
          - {name: B, type: terminal}
        transitions:
          - {source: A, dest: B, after: "5 parsecs"}
        """
    )
    with pytest.raises(CompileError) as caught:
        compile_path(path)
    (found,) = caught.value.diagnostics
    assert (found.code, found.line, found.col) == ("PS214", 5, 33)


def test_a_state_timeout_lowers_to_a_delayed_transition_of_its_own() -> None:
    spec = compile_path(TIMED).spec
    timeout = next(t for t in spec.transitions if t.trigger == "_timeout_pending")
    assert (timeout.source, timeout.dest, timeout.after_ms) == (("pending",), "expired", 300)
    assert spec.timers["pending"] == (
        TimerSpec("pending", "_timeout_pending", 300, timeout.index, "timeout"),
    )


def test_timers_are_listed_under_the_state_that_declares_them() -> None:
    spec = compile_path(TIMED).spec
    assert set(spec.timers) == {"pending", "session", "waiting", "cooling"}
    assert [t.event for t in spec.timers["waiting"]] == ["_after_waiting_200_ms"]
    assert [(t.event, t.kind) for t in spec.timers["cooling"]] == [("warm", "after")]


def test_an_ancestor_timer_is_active_in_every_descendant() -> None:
    spec = compile_path(TIMED).spec
    states = {state.name: state for state in spec.states}
    assert active_states(states, ("paying",)) == ("session", "paying")
    assert [t.state for t in timers_for(spec, active_states(states, ("paying",)))] == ["session"]


def test_an_external_self_transition_cancels_and_re_arms_its_timer() -> None:
    machine = StateMachine.from_yaml(TIMED)
    step = machine.process("pending", "refresh").step
    assert step is not None
    cancelled, armed = timer_changes(machine.spec, step)
    assert cancelled == ("pending",)
    assert [timer.state for timer in armed] == ["pending"]


def test_moving_between_children_leaves_the_ancestor_timer_alone() -> None:
    machine = StateMachine.from_yaml(TIMED)
    step = machine.process("browsing", "pay").step
    assert step is not None
    assert (step.left, step.arrived) == (("browsing",), ("paying",))
    assert timer_changes(machine.spec, step) == ((), ())


def test_the_generated_module_lists_each_states_timers_as_a_typed_constant(
    tmp_path: Path,
) -> None:
    generated = generate(TIMED)
    module_path = tmp_path / f"{generated.module_name}.py"
    module_path.write_text(generated.text, encoding="utf-8")
    assert "TIMERS: Final[Mapping[TimedOrderState, tuple[TimerSpec, ...]]]" in generated.text
    spec = importlib.util.spec_from_file_location(generated.module_name, module_path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[generated.module_name] = module
    try:
        spec.loader.exec_module(module)
        assert module.TIMERS[module.TimedOrderState.PENDING][0].delay_ms == 300
        session = module.TimedOrderMachine().create()
        session.send("submit")
        assert [t.event for t in session.pending_timers] == ["_timeout_pending"]
    finally:
        del sys.modules[generated.module_name]


def test_a_machine_without_timers_has_no_timers_constant() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    assert "TIMERS" not in generate(examples / "trading_fsm.yaml").text


def test_sessions_expose_the_pending_timers_of_their_active_states() -> None:
    from pystator import StateMachine

    session = StateMachine.from_yaml(TIMED).create()
    assert session.pending_timers == ()
    for trigger in ("submit", "ack", "enter", "pay"):
        session.send(trigger)
    assert [t.event for t in session.pending_timers] == ["_timeout_session"]


jobs = st.builds(
    ScheduledJob,
    machine=st.text(min_size=1),
    version=st.text(),
    entity_id=st.text(min_size=1),
    event=st.text(min_size=1),
    due_at=st.floats(min_value=0, max_value=4e9),
    armed_in=st.text(min_size=1),
    armed_version=st.integers(min_value=0, max_value=2**53),
)


@given(jobs)
def test_a_scheduled_job_round_trips_through_json(job: ScheduledJob) -> None:
    assert ScheduledJob.from_json(job.to_json()) == job


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        "{}",
        '{"machine": 1}',
        "nope",
        '{"machine":"m","version":"1","entity_id":"e",'
        '"event":"x","armed_in":"s","due_at":1,"armed_version":"2"}',
    ],
)
def test_malformed_job_data_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match="scheduled job"):
        ScheduledJob.from_json(text)


def test_timer_events_follow_the_event_normaliser(write_yaml: Write) -> None:
    from pystator import StateMachine

    path = write_yaml(
        """\
        meta: {event_normalizer: lower}
        states:
          - {name: WAIT, type: initial, timeout: {seconds: 1, destination: DONE}}
          - {name: IDLE}
          - {name: DONE, type: terminal}
        transitions:
          - {trigger: Go, source: WAIT, dest: IDLE}
          - {source: IDLE, dest: DONE, after: 5}
        """
    )
    spec = compile_path(path).spec
    assert [t.event for t in spec.timers["WAIT"]] == ["_timeout_wait"]
    assert [t.event for t in spec.timers["IDLE"]] == ["_after_idle_5_ms"]
    session = StateMachine.from_yaml(path).create()
    assert session.send("_timeout_WAIT").target_state == "DONE"


def test_a_self_transition_inside_a_region_re_enters_the_region_state(write_yaml: Write) -> None:
    path = write_yaml(
        """\
        states:
          - {name: idle, type: initial}
          - name: active
            type: parallel
            regions:
              - {name: r1, initial: a1, states: [a1, a2]}
              - {name: r2, initial: b1, states: [b1, b2]}
          - {name: b1, parent: active, timeout: {seconds: 7, destination: closed}}
          - {name: closed, type: terminal}
        transitions:
          - {trigger: go, source: idle, dest: active}
          - {trigger: again, source: b1, dest: b1, region: r2}
        """
    )
    session = StateMachine.from_yaml(path).create()
    session.send("go")
    result = session.send("again")
    assert (result.exited_states, result.entered_states) == (("b1",), ("b1",))


def test_an_eventless_step_back_re_enters_the_state(write_yaml: Write) -> None:
    path = write_yaml(
        """\
        states:
          - {name: a, type: initial, timeout: {seconds: 5, destination: z}}
          - {name: b}
          - {name: z, type: terminal}
        transitions:
          - {trigger: go, source: a, dest: b}
          - {source: b, dest: a, auto: true}
        """
    )
    machine = StateMachine.from_yaml(path)
    step = machine.create().send("go").step
    assert step is not None
    assert (step.left, step.arrived) == (("a",), ("a",))
    assert [timer.state for timer in timer_changes(machine.spec, step)[1]] == ["a"]
