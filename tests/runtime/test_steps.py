"""Every decision yields a Step: the transitions taken and the states exited and entered,
in order, for flat, hierarchical, history, parallel and eventless transitions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pystator import StateMachine
from pystator.runtime.steps import MicroStep, Step

PLAYER = Path(__file__).resolve().parents[1] / "fixtures" / "player_history.yaml"
Write = Callable[..., Path]


def test_a_flat_transition_exits_its_source_and_enters_its_target(write_yaml: Write) -> None:
    path = write_yaml(
        """\
        states:
          - {name: a, type: initial}
          - {name: b, type: terminal}
        transitions:
          - {trigger: go, source: a, dest: b}
        """
    )
    result = StateMachine.from_yaml(path).process("a", "go")
    assert (result.exited_states, result.entered_states) == (("a",), ("b",))
    assert result.step is not None
    assert (result.step.source, result.step.target) == (("a",), ("b",))
    assert result.step.transitions == (0,)


def test_a_failed_event_has_no_step_and_no_states() -> None:
    result = StateMachine.from_yaml(PLAYER).process("off", "usb")
    assert not result.success
    assert (result.step, result.exited_states, result.entered_states) == (None, (), ())


def test_a_hierarchical_transition_exits_innermost_first_and_enters_outermost_first() -> None:
    session = StateMachine.from_yaml(PLAYER).create()
    entered = session.send("power")
    assert entered.entered_states == ("on", "on.radio")
    session.send("media")
    left = session.send("off")
    assert left.exited_states == ("on.media.cd", "on.media", "on")
    assert left.entered_states == ("off",)


def test_a_history_destination_enters_the_remembered_leaf_and_records_history() -> None:
    session = StateMachine.from_yaml(PLAYER).create()
    for trigger in ("power", "media", "usb"):
        session.send(trigger)
    left = session.send("off")
    assert left.step is not None
    assert dict(left.step.history) == {"on": "on.media.usb", "on.media": "on.media.usb"}
    back = session.send("power_deep")
    assert back.entered_states == ("on", "on.media", "on.media.usb")


def test_an_eventless_chain_is_one_step_of_several_micro_steps(write_yaml: Write) -> None:
    path = write_yaml(
        """\
        states:
          - {name: a, type: initial}
          - {name: b}
          - {name: c, type: terminal}
        transitions:
          - {trigger: go, source: a, dest: b}
          - {source: b, dest: c, auto: true}
        """
    )
    result = StateMachine.from_yaml(path).create().send("go")
    step = result.step
    assert step is not None
    assert [(m.source, m.target) for m in step.micro_steps] == [("a", "b"), ("b", "c")]
    assert step.exited_states == ("a", "b")
    assert step.entered_states == ("b", "c")
    assert (step.left, step.arrived) == (("a",), ("c",))


def test_a_state_left_and_entered_again_in_one_step_is_in_both_net_lists() -> None:
    micro = (
        MicroStep(0, "a", "b", exited=("a",), entered=("b",)),
        MicroStep(1, "b", "a", exited=("b",), entered=("a",)),
    )
    step = Step.of("go", ("a",), ("a",), micro)
    assert (step.left, step.arrived) == (("a",), ("a",))


def test_regions_that_move_together_give_one_step_over_the_configuration(
    write_yaml: Write,
) -> None:
    path = write_yaml(
        """\
        states:
          - {name: idle, type: initial}
          - name: active
            type: parallel
            regions:
              - {name: r1, initial: a1, states: [a1, a2]}
              - {name: r2, initial: b1, states: [b1, b2]}
          - {name: closed, type: terminal}
        transitions:
          - {trigger: go, source: idle, dest: active}
          - {trigger: next, source: a1, dest: a2, region: r1}
          - {trigger: next, source: b1, dest: b2, region: r2}
          - {trigger: close, source: active, dest: closed}
        """
    )
    session = StateMachine.from_yaml(path).create()
    assert session.send("go").entered_states == ("active", "a1", "b1")
    moved = session.send("next")
    assert moved.step is not None
    assert (moved.step.source, moved.step.target) == (
        ("active", "a1", "b1"),
        ("active", "a2", "b2"),
    )
    assert moved.exited_states == ("a1", "b1")
    assert moved.entered_states == ("a2", "b2")
    closed = session.send("close")
    assert closed.exited_states == ("a2", "b2", "active")
    assert closed.entered_states == ("closed",)
