"""One test per diagnostic code of the schema and check stages: code, line and message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pystator.generator.diagnostics import CODES, CompileError, Diagnostic, Severity
from pystator.generator.pipeline import compile_path

Write = Callable[..., Path]


def errors_of(path: Path) -> list[Diagnostic]:
    with pytest.raises(CompileError) as caught:
        compile_path(path)
    return list(caught.value.diagnostics)


def only(diagnostics: list[Diagnostic], code: str) -> Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, [d.format() for d in diagnostics]
    return found[0]


def warnings_of(path: Path) -> list[Diagnostic]:
    return list(compile_path(path).warnings)


BASE_STATES = """\
states:
  - name: A
    type: initial
  - name: B
    type: terminal
"""


def test_unknown_key_suggests_the_closest_known_key(write_yaml: Write) -> None:
    path = write_yaml(
        BASE_STATES
        + """\
transitions:
  - trigger: go
    source: A
    dest: B
    gaurds: [ok]
"""
    )
    found = only(errors_of(path), "PS101")
    assert (found.line, found.col) == (10, 5)
    assert "unknown key 'gaurds'" in found.message
    assert found.hint == "Did you mean 'guards'?"
    assert found.format().startswith(f"{path}:10:5: error[PS101]: ")


def test_unknown_top_level_key(write_yaml: Write) -> None:
    found = only(errors_of(write_yaml("stats: []\n" + BASE_STATES)), "PS101")
    assert found.line == 1
    assert found.hint == "Did you mean 'states'?"


def test_wrong_type_names_the_field_and_what_was_given(write_yaml: Write) -> None:
    path = write_yaml("meta:\n  strict_mode: maybe\n" + BASE_STATES)
    found = only(errors_of(path), "PS102")
    assert found.line == 2
    assert "meta.strict_mode" in found.message and "got a string" in found.message


def test_number_where_a_string_is_needed_hints_at_quoting(write_yaml: Write) -> None:
    found = only(errors_of(write_yaml("meta:\n  version: 1.0\n" + BASE_STATES)), "PS102")
    assert found.hint == "Quote it to make it a string."


def test_missing_required_key(write_yaml: Write) -> None:
    path = write_yaml(
        BASE_STATES
        + """\
transitions:
  - trigger: go
    source: A
"""
    )
    found = only(errors_of(path), "PS103")
    assert found.line == 7
    assert "'dest'" in found.message


def test_no_initial_state(write_yaml: Write) -> None:
    path = write_yaml("states:\n  - name: A\n  - name: B\n    type: terminal\n")
    found = only(errors_of(path), "PS201")
    assert found.line == 1
    assert found.message == "the machine has no initial state."


def test_second_initial_state(write_yaml: Write) -> None:
    path = write_yaml(BASE_STATES + "  - name: C\n    type: initial\n")
    found = only(errors_of(path), "PS202")
    assert found.line == 7
    assert "'C' is a second initial state (the first is on line 3)" in found.message


def test_duplicate_state_name(write_yaml: Write) -> None:
    found = only(errors_of(write_yaml(BASE_STATES + "  - name: A\n")), "PS203")
    assert found.line == 6
    assert "state 'A' is defined twice (first on line 2)" in found.message


def test_unknown_destination_suggests_the_closest_state(write_yaml: Write) -> None:
    path = write_yaml(
        """\
states:
  - {name: PENDING, type: initial}
  - {name: FILLED, type: terminal}
transitions:
  - {trigger: go, source: PENDING, dest: FILED}
"""
    )
    found = only(errors_of(path), "PS204")
    assert (found.line, found.col) == (5, 42)
    assert found.message == "destination 'FILED' is not a state of this machine."
    assert found.hint == "Did you mean 'FILLED'?"


@pytest.mark.parametrize(
    ("snippet", "what"),
    [
        ("transitions:\n  - {trigger: go, source: X, dest: B}\n", "source state"),
        ("error_policy:\n  default_fallback: NOPE\n", "fallback state"),
    ],
)
def test_unknown_state_everywhere_a_state_is_named(
    write_yaml: Write, snippet: str, what: str
) -> None:
    found = only(errors_of(write_yaml(BASE_STATES + snippet)), "PS204")
    assert found.message.startswith(what)


def test_unknown_timeout_destination(write_yaml: Write) -> None:
    path = write_yaml(
        "states:\n  - name: A\n    type: initial\n    timeout: {seconds: 1, destination: Z}\n"
    )
    found = only(errors_of(path), "PS204")
    assert found.line == 4
    assert found.message.startswith("timeout destination 'Z'")


def test_transition_out_of_terminal_state(write_yaml: Write) -> None:
    path = write_yaml(BASE_STATES + "transitions:\n  - {trigger: back, source: B, dest: A}\n")
    found = only(errors_of(path), "PS205")
    assert found.line == 7
    assert "leaves terminal state 'B'" in found.message


def test_disallowed_expression_points_at_the_offending_column(write_yaml: Write) -> None:
    path = write_yaml(
        BASE_STATES
        + "transitions:\n  - trigger: go\n    source: A\n    dest: B\n"
        + '    guards:\n      - expr: "qty > 0 and order.total > 1"\n'
    )
    found = only(errors_of(path), "PS206")
    line = path.read_text().splitlines()[found.line - 1]
    assert found.line == 11
    assert line[found.col - 1 :].startswith("order.total")
    assert "is not allowed" in found.message


def test_name_that_cannot_become_an_identifier(write_yaml: Write) -> None:
    path = write_yaml("states:\n  - name: 'in progress!'\n    type: initial\n")
    found = only(errors_of(path), "PS207")
    assert found.line == 2
    assert "cannot become a Python identifier" in found.message


def test_names_colliding_after_mapping(write_yaml: Write) -> None:
    path = write_yaml(
        "states:\n  - {name: in-progress, type: initial}\n  - {name: in_progress}\n"
        "transitions:\n  - {trigger: go, source: in-progress, dest: in_progress}\n"
    )
    diagnostics = [d for d in errors_of(path) if d.code == "PS208"]
    assert diagnostics and diagnostics[0].line == 3
    assert "both map to the enum member 'IN_PROGRESS'" in diagnostics[0].message


def test_trigger_that_would_shadow_a_session_member(write_yaml: Write) -> None:
    path = write_yaml(BASE_STATES + "transitions:\n  - {trigger: send, source: A, dest: B}\n")
    found = only(errors_of(path), "PS209")
    assert found.line == 7
    assert "'send', which the session already defines" in found.message


def test_state_whose_property_would_shadow_is_final(write_yaml: Write) -> None:
    path = write_yaml(BASE_STATES + "  - name: final\n")
    found = only(errors_of(path), "PS209")
    assert "'is_final'" in found.message


def test_duplicate_state_variable(write_yaml: Write) -> None:
    path = write_yaml("state_variables: [qty, qty]\n" + BASE_STATES)
    found = only(errors_of(path), "PS210")
    assert found.line == 1
    assert "declared twice" in found.message


def test_check_guard_with_membership_needs_a_list(write_yaml: Write) -> None:
    path = write_yaml(
        BASE_STATES
        + "transitions:\n  - trigger: go\n    source: A\n    dest: B\n"
        + "    guards:\n      - check: {field: tier, op: in, value: gold}\n"
    )
    found = only(errors_of(path), "PS211")
    assert found.line == 11
    assert "needs a list of values" in found.message


def test_machine_name_that_cannot_be_a_class_name(write_yaml: Write) -> None:
    found = only(errors_of(write_yaml("meta: {machine_name: '-'}\n" + BASE_STATES)), "PS212")
    assert found.line == 1
    assert "cannot become a Python class name" in found.message


def test_bad_duration(write_yaml: Write) -> None:
    path = write_yaml(
        BASE_STATES + "transitions:\n  - {trigger: go, source: A, dest: B, after: soon}\n"
    )
    found = only(errors_of(path), "PS214")
    assert found.line == 7
    assert "'soon' is not a duration" in found.message


def test_parent_cycle(write_yaml: Write) -> None:
    path = write_yaml(
        "states:\n  - {name: A, type: initial, parent: B, initial_child: B}\n"
        "  - {name: B, parent: A, initial_child: A}\n"
    )
    found = [d for d in errors_of(path) if d.code == "PS215"]
    assert found and "cycle" in found[0].message


def test_initial_child_that_is_not_a_child(write_yaml: Write) -> None:
    path = write_yaml(
        "states:\n  - {name: A, type: initial, initial_child: C}\n  - {name: B, parent: A}\n"
        "  - {name: C}\n"
    )
    found = only(errors_of(path), "PS216")
    assert found.line == 2
    assert "'C' is not a child of 'A'" in found.message


def test_compound_state_without_initial_child(write_yaml: Write) -> None:
    path = write_yaml("states:\n  - {name: A, type: initial}\n  - {name: B, parent: A}\n")
    found = only(errors_of(path), "PS217")
    assert found.line == 2
    assert "has children but no initial_child" in found.message


def test_terminal_state_with_children(write_yaml: Write) -> None:
    path = write_yaml(
        "states:\n  - {name: S, type: initial}\n  - {name: A, type: terminal, initial_child: B}\n"
        "  - {name: B, parent: A}\n"
    )
    found = only(errors_of(path), "PS218")
    assert found.line == 3


def test_unreachable_state_is_a_warning(write_yaml: Write) -> None:
    path = write_yaml(
        BASE_STATES + "  - {name: LOST, type: terminal}\n"
        "transitions:\n  - {trigger: go, source: A, dest: B}\n"
    )
    found = only(warnings_of(path), "PS301")
    assert found.severity is Severity.WARNING
    assert found.line == 6
    assert "'LOST' cannot be reached" in found.message


def test_shadowed_transition_is_a_warning(write_yaml: Write) -> None:
    path = write_yaml(
        BASE_STATES + "  - {name: C, type: terminal}\n"
        "transitions:\n  - {trigger: go, source: A, dest: B}\n"
        "  - {trigger: go, source: A, dest: C}\n"
    )
    found = only(warnings_of(path), "PS302")
    assert found.line == 9
    assert "can never fire" in found.message


def test_non_terminal_dead_end_is_a_warning(write_yaml: Write) -> None:
    path = write_yaml(
        "states:\n  - {name: A, type: initial}\n  - {name: STUCK}\n"
        "transitions:\n  - {trigger: go, source: A, dest: STUCK}\n"
    )
    found = only(warnings_of(path), "PS303")
    assert found.line == 3
    assert "'STUCK' is not terminal but has no way out" in found.message


def test_every_code_in_the_catalogue_has_a_test() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py"))
    untested = [code for code in CODES if code != "PS900" and code not in text]
    assert not untested, untested


def test_unknown_variable_type_suggests_a_known_one(write_yaml: Write) -> None:
    path = write_yaml("state_variables:\n  - {key: qty, type: nubmer}\n" + BASE_STATES)
    found = only(errors_of(path), "PS102")
    assert found.line == 2
    assert "'nubmer' is not a type" in found.message
    assert found.hint == "Did you mean 'number'?"


def test_default_of_the_wrong_type(write_yaml: Write) -> None:
    path = write_yaml(
        "state_variables:\n  - {key: qty, type: number, default: lots}\n" + BASE_STATES
    )
    found = only(errors_of(path), "PS102")
    assert "default 'lots' of 'qty' is not a number" in found.message


def test_machine_name_with_quotes_is_refused(write_yaml: Write) -> None:
    path = write_yaml('meta: {machine_name: \'order"""x\'}\n' + BASE_STATES)
    assert only(errors_of(path), "PS212").line == 1


def test_machine_without_meta_is_named_after_its_file(write_yaml: Write) -> None:
    path = write_yaml(
        BASE_STATES + "transitions:\n  - {trigger: go, source: A, dest: B}\n", "my-order.yaml"
    )
    assert compile_path(path).spec.name == "my-order"


DECLARED = """\
state_variables:
  - {key: status, type: string}
  - {key: qty, type: number}
states:
  - {name: A, type: initial}
  - {name: B, type: terminal}
transitions:
  - trigger: go
    source: A
    dest: B
    guards:
"""


def test_undeclared_expression_name_is_a_warning_with_did_you_mean(write_yaml: Write) -> None:
    found = only(warnings_of(write_yaml(DECLARED + "      - expr: 'qtty > 1'\n")), "PS304")
    assert found.line == 12
    assert "'qtty' is not a declared state variable" in found.message
    assert found.hint == "Did you mean 'qty'?"


def test_undeclared_check_field_is_a_warning(write_yaml: Write) -> None:
    text = DECLARED + "      - check: {field: stauts, op: eq, value: ok}\n"
    assert only(warnings_of(write_yaml(text)), "PS304").hint == "Did you mean 'status'?"


def test_undeclared_names_are_not_reported_when_nothing_is_declared(write_yaml: Write) -> None:
    path = write_yaml(
        BASE_STATES + "transitions:\n  - {trigger: go, source: A, dest: B, "
        "guards: [{expr: 'anything > 1'}]}\n"
    )
    assert not [d for d in warnings_of(path) if d.code == "PS304"]


def test_comparing_a_declared_string_with_a_number_is_a_warning(write_yaml: Write) -> None:
    found = only(warnings_of(write_yaml(DECLARED + "      - expr: 'status == 3'\n")), "PS305")
    assert "compares 'status' (declared string) with 3" in found.message


def test_check_value_of_the_wrong_type_for_a_declared_variable(write_yaml: Write) -> None:
    text = DECLARED + "      - check: {field: qty, op: gt, value: many}\n"
    found = only(errors_of(write_yaml(text)), "PS211")
    assert "check compares 'qty' (declared number) with 'many'" in found.message


def test_unguarded_auto_loop_is_an_error(write_yaml: Write) -> None:
    path = write_yaml(
        "states:\n  - {name: A, type: initial}\n  - {name: B}\n  - {name: C}\n"
        "transitions:\n  - {trigger: go, source: A, dest: B}\n"
        "  - {source: B, dest: C, auto: true}\n  - {source: C, dest: B, auto: true}\n"
    )
    found = only(errors_of(path), "PS219")
    assert found.line == 7
    assert "loop forever: B -> C -> B" in found.message


def test_delayed_self_loop_without_delay_is_an_error(write_yaml: Write) -> None:
    path = write_yaml(
        "states:\n  - {name: polling, type: initial}\n"
        "transitions:\n  - {source: polling, dest: polling, after: 0}\n"
    )
    found = only(errors_of(path), "PS225")
    assert (found.line, found.col) == (4, 45)
    assert found.message == (
        "delayed transitions loop back to 'polling' after 0 ms in all (polling -> polling): "
        "an entity would go round and round without resting."
    )
    assert "at least 10 ms" in found.hint


def test_delayed_loop_through_states_and_eventless_steps_is_an_error(write_yaml: Write) -> None:
    path = write_yaml(
        "states:\n  - {name: A, type: initial}\n  - {name: B}\n  - {name: C}\n"
        "transitions:\n  - {source: A, dest: B, after: 2ms}\n"
        "  - {source: B, dest: C, after: 1}\n  - {source: C, dest: A, auto: true}\n"
    )
    found = only(errors_of(path), "PS225")
    assert found.line == 6
    assert "loop back to 'A' after 3 ms in all (A -> B -> C -> A)" in found.message


def test_timeout_into_its_own_state_below_the_minimum_delay_is_an_error(write_yaml: Write) -> None:
    path = write_yaml(
        "states:\n  - name: A\n    type: initial\n    timeout: {seconds: 0.001, destination: A}\n"
    )
    found = only(errors_of(path), "PS225")
    assert (found.line, found.col) == (4, 24)


@pytest.mark.parametrize(
    "transition",
    [
        "{source: A, dest: A, after: 10ms}",
        "{source: A, dest: A, after: 0, guards: [ready]}",
        "{trigger: tick, source: A, dest: A, after: 0, internal: true}",
        "{source: A, dest: B, after: 0}",
    ],
    ids=["at-the-minimum", "guarded", "internal", "no-loop"],
)
def test_delayed_transitions_that_rest_or_leave_compile(write_yaml: Write, transition: str) -> None:
    path = write_yaml(BASE_STATES + f"transitions:\n  - {transition}\n")
    assert all(d.code != "PS225" for d in warnings_of(path))


def test_auto_transition_with_a_trigger_is_an_error(write_yaml: Write) -> None:
    path = write_yaml(
        BASE_STATES + "transitions:\n  - {trigger: go, source: A, dest: B, auto: true}\n"
    )
    assert "takes no trigger" in only(errors_of(path), "PS102").message


def test_history_of_a_state_without_children(write_yaml: Write) -> None:
    path = write_yaml(BASE_STATES + "transitions:\n  - {trigger: go, source: A, dest: 'H(B)'}\n")
    found = only(errors_of(path), "PS220")
    assert "'H(B)' remembers the children of 'B', which has none" in found.message


def test_history_of_an_unknown_state(write_yaml: Write) -> None:
    path = write_yaml(BASE_STATES + "transitions:\n  - {trigger: go, source: A, dest: 'H*(Q)'}\n")
    assert only(errors_of(path), "PS204").message.startswith("history state 'Q'")


PARALLEL = """\
states:
  - {name: A, type: initial}
  - name: P
    type: parallel
    regions:
      - {name: left, initial: l1, states: [l1, l2]}
      - {name: right, initial: r1, states: [r1, r2]}
transitions:
  - {trigger: go, source: A, dest: P}
"""


def test_region_initial_must_be_one_of_its_states(write_yaml: Write) -> None:
    found = only(errors_of(write_yaml(PARALLEL.replace("initial: r1", "initial: r3"))), "PS221")
    assert found.line == 7
    assert "initial state 'r3' of region 'right' is not among its states" in found.message


def test_region_transition_may_not_cross_regions(write_yaml: Write) -> None:
    path = write_yaml(PARALLEL + "  - {trigger: x, source: l1, dest: r2, region: left}\n")
    found = only(errors_of(path), "PS221")
    assert "goes to 'r2', outside the region" in found.message


def test_region_states_need_no_entries_of_their_own(write_yaml: Write) -> None:
    path = write_yaml(PARALLEL + "  - {trigger: x, source: l1, dest: l2}\n")
    assert {s.name for s in compile_path(path).spec.states} >= {"l1", "l2", "r1", "r2"}


INVOKE = """\
states:
  - name: A
    type: initial
    invoke:
      - {id: feed, src: websocket, on_done: feed_ended}
  - name: B
    type: terminal
transitions:
  - {trigger: feed_ended, source: A, dest: B}
"""


def test_invoke_on_done_must_be_a_trigger_of_the_machine(write_yaml: Write) -> None:
    found = only(
        errors_of(write_yaml(INVOKE.replace("on_done: feed_ended", "on_done: feed_endd"))), "PS222"
    )
    assert (found.line, found.col) == (5, 45)
    assert found.hint == "Did you mean 'feed_ended'?"


def test_invoke_ids_are_unique_within_a_state(write_yaml: Write) -> None:
    text = INVOKE.replace(
        "on_done: feed_ended}", "on_done: feed_ended}\n      - {id: feed, src: poll}"
    )
    found = only(errors_of(write_yaml(text)), "PS223")
    assert found.line == 6


def test_an_invoke_without_on_done_is_valid(write_yaml: Write) -> None:
    compile_path(write_yaml(INVOKE.replace(", on_done: feed_ended", "")))


def test_renamed_from_may_not_name_a_current_state(write_yaml: Write) -> None:
    text = BASE_STATES.replace("  - name: B\n", "  - name: B\n    renamed_from: [A]\n")
    found = only(errors_of(write_yaml(text)), "PS224")
    assert (found.line, found.col) == (5, 20)
    assert "renamed from 'A', which is still a state" in found.message
