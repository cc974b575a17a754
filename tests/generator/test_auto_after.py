"""`auto: true` beside `after:` (expire a review after 7 days) is a delayed eventless
transition, loaded with a warning that `auto` is redundant (PS309)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pystator import StateMachine
from pystator.generator.pipeline import compile_path

APPROVAL = """\
meta: {machine_name: document_approval}
states:
  - {name: draft, type: initial}
  - {name: in_review}
  - {name: expired, type: terminal}
  - {name: approved, type: terminal}
transitions:
  - {trigger: submit, source: draft, dest: in_review}
  - {trigger: approve, source: in_review, dest: approved}
  - source: in_review
    dest: expired
    auto: true
    after: 7d
"""

SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000


def test_auto_beside_after_is_a_warning_at_its_value(write_yaml: Callable[..., Path]) -> None:
    compiled = compile_path(write_yaml(APPROVAL))
    (warning,) = [d for d in compiled.warnings if d.code == "PS309"]
    assert (warning.line, warning.col) == (12, 11)
    assert "`auto: true` is redundant beside `after:`" in warning.message


def test_it_loads_as_a_delayed_transition_with_the_implicit_trigger(
    write_yaml: Callable[..., Path],
) -> None:
    spec = compile_path(write_yaml(APPROVAL)).spec
    expire = spec.transitions[2]
    assert (expire.auto, expire.after_ms) == (False, SEVEN_DAYS_MS)
    assert expire.trigger == f"_after_in_review_{SEVEN_DAYS_MS}_ms"
    (timer,) = spec.timers["in_review"]
    assert (timer.event, timer.delay_ms) == (expire.trigger, SEVEN_DAYS_MS)


def test_entering_the_source_arms_the_timer_and_fires_nothing_at_once(
    write_yaml: Callable[..., Path],
) -> None:
    machine = StateMachine.from_yaml(write_yaml(APPROVAL))
    session = machine.create()
    session.send("submit")
    assert session.current_state == "in_review"
    assert [t.delay_ms for t in session.pending_timers] == [SEVEN_DAYS_MS]
    assert machine.process("in_review", f"_after_in_review_{SEVEN_DAYS_MS}_ms").target_state == (
        "expired"
    )
