"""Analysis findings: each code on a machine that has it and on one that does not, the
examples' findings, and severities configured in pyproject.toml."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pystator.generator import cli
from pystator.generator.analysis import ANALYSIS_CODES
from pystator.generator.constraints import Domain, find_point, implies, read_guards
from pystator.generator.diagnostics import CompileError, Diagnostic, Severity
from pystator.generator.pipeline import compile_path
from pystator.runtime.expr import evaluate, parse_expression
from pystator.runtime.spec import CheckOp, CheckSpec, GuardSpec
from tests.conftest import EXAMPLES

Write = Callable[..., Path]


def findings(path: Path, code: str) -> list[Diagnostic]:
    return [d for d in compile_path(path).warnings if d.code == code]


def only(path: Path, code: str) -> Diagnostic:
    found = findings(path, code)
    assert len(found) == 1, [d.format() for d in compile_path(path).warnings]
    return found[0]


def none_of(path: Path, code: str) -> None:
    assert findings(path, code) == [], [d.format() for d in compile_path(path).warnings]


# -- PS301 unreachable ------------------------------------------------------------------------

UNREACHABLE_CHILD = """\
states:
  - {name: idle, type: initial}
  - {name: work, initial_child: work.a}
  - {name: work.a, parent: work}
  - {name: work.b, parent: work}
  - {name: done, type: terminal}
transitions:
  - {trigger: start, source: idle, dest: work}
  - {trigger: finish, source: work, dest: done}
"""


def test_unreachable_child_of_a_compound_state(write_yaml: Write) -> None:
    found = only(write_yaml(UNREACHABLE_CHILD), "PS301")
    assert found.severity is Severity.WARNING
    assert (found.line, found.col) == (5, 12)
    assert "'work.b' cannot be reached" in found.message


def test_children_reached_through_initial_child_and_transitions_are_reachable(
    write_yaml: Write,
) -> None:
    path = write_yaml(UNREACHABLE_CHILD + "  - {trigger: next, source: work.a, dest: work.b}\n")
    none_of(path, "PS301")


def test_timeouts_delays_and_auto_transitions_make_states_reachable(write_yaml: Write) -> None:
    path = write_yaml(
        """\
        states:
          - {name: A, type: initial, timeout: {seconds: 5, destination: T}}
          - {name: T}
          - {name: U}
          - {name: V, type: terminal}
        transitions:
          - {source: T, dest: U, after: 2s}
          - {source: U, dest: V, auto: true}
        """
    )
    none_of(path, "PS301")
    none_of(path, "PS303")


def test_region_state_without_a_way_in_is_unreachable(write_yaml: Write) -> None:
    text = dedent(
        """\
        states:
          - {name: off, type: initial}
          - name: on
            type: parallel
            regions:
              - {name: r1, initial: a, states: [a, b, z]}
              - {name: r2, initial: x, states: [x, y]}
          - {name: done, type: terminal}
        transitions:
          - {trigger: power, source: off, dest: on}
          - {trigger: ab, source: a, dest: b, region: r1}
          - {trigger: xy, source: x, dest: y, region: r2}
          - {trigger: halt, source: on, dest: done}
        """
    )
    found = only(write_yaml(text), "PS301")
    assert "'z'" in found.message
    # Positioned at the region's list of states, where `z` is written.
    assert (found.line, found.col) == (6, 47)
    fixed = text.replace(
        "dest: done}", "dest: done}\n  - {trigger: bz, source: b, dest: z, region: r1}"
    )
    none_of(write_yaml(fixed, "fixed.yaml"), "PS301")


# -- PS302 shadowed ---------------------------------------------------------------------------


def test_transition_shadowed_by_weaker_guards_of_an_earlier_one(write_yaml: Write) -> None:
    path = write_yaml(
        """\
        states:
          - {name: A, type: initial}
          - {name: B, type: terminal}
          - {name: C, type: terminal}
        transitions:
          - {trigger: go, source: A, dest: B, guards: [{expr: "qty >= 100"}]}
          - {trigger: go, source: A, dest: C, guards: [{expr: "qty > 200 and qty < 300"}]}
        """
    )
    found = only(path, "PS302")
    assert found.line == 7
    assert "whenever its guards pass, those of an earlier transition (go: A -> B)" in (
        found.message
    )


def test_transition_shadowed_by_a_subset_of_its_named_guards(write_yaml: Write) -> None:
    path = write_yaml(
        """\
        states:
          - {name: A, type: initial}
          - {name: B, type: terminal}
          - {name: C, type: terminal}
        transitions:
          - {trigger: go, source: A, dest: B, guards: [ok]}
          - {trigger: go, source: A, dest: C, guards: [ok, fast]}
        """
    )
    assert only(path, "PS302").line == 7


def test_parent_transition_shadowed_in_every_child(write_yaml: Write) -> None:
    text = dedent(
        """\
        states:
          - {name: A, type: initial, initial_child: A1}
          - {name: A1, parent: A}
          - {name: A2, parent: A}
          - {name: B, type: terminal}
        transitions:
          - {trigger: go, source: A1, dest: A2}
          - {trigger: go, source: A2, dest: B}
          - {trigger: go, source: A, dest: B}
        """
    )
    found = only(write_yaml(text), "PS302")
    assert found.line == 9
    # When one child does not answer the event, the parent's transition can fire there.
    partial = text.replace("  - {trigger: go, source: A2, dest: B}\n", "")
    none_of(write_yaml(partial, "partial.yaml"), "PS302")


def test_guards_that_are_not_understood_never_shadow(write_yaml: Write) -> None:
    path = write_yaml(
        """\
        states:
          - {name: A, type: initial}
          - {name: B, type: terminal}
          - {name: C, type: terminal}
        transitions:
          - {trigger: go, source: A, dest: B, guards: [{expr: "a + b > 3"}]}
          - {trigger: go, source: A, dest: C, guards: [{expr: "a + b > 4"}]}
        """
    )
    none_of(path, "PS302")


# -- PS303 dead end ---------------------------------------------------------------------------


def test_dead_end_leaf_and_ancestor_timeout(write_yaml: Write) -> None:
    text = dedent(
        """\
        states:
          - {name: idle, type: initial}
          - {name: work, initial_child: work.a}
          - {name: work.a, parent: work}
          - {name: work.b, parent: work}
          - {name: done, type: terminal}
        transitions:
          - {trigger: start, source: idle, dest: work}
          - {trigger: next, source: work.a, dest: work.b}
          - {trigger: finish, source: work.a, dest: done}
        """
    )
    found = only(write_yaml(text), "PS303")
    assert found.line == 5 and "'work.b' is not terminal but has no way out" in found.message
    # A timeout on the enclosing state moves entities out of every child.
    timed = text.replace(
        "initial_child: work.a}", "initial_child: work.a, timeout: {seconds: 9, destination: done}}"
    )
    none_of(write_yaml(timed, "timed.yaml"), "PS303")


def test_parallel_state_without_any_way_out_is_a_dead_end(write_yaml: Write) -> None:
    text = dedent(
        """\
        states:
          - {name: off, type: initial}
          - name: on
            type: parallel
            regions:
              - {name: r1, initial: a, states: [a]}
        transitions:
          - {trigger: power, source: off, dest: on}
        """
    )
    found = only(write_yaml(text), "PS303")
    assert "'on'" in found.message and found.line == 3
    moving = text + "  - {trigger: again, source: a, dest: a, region: r1}\n"
    none_of(write_yaml(moving, "moving.yaml"), "PS303")


# -- PS306 no terminal state reachable ---------------------------------------------------------

TRAP = """\
states:
  - {name: A, type: initial}
  - {name: L1}
  - {name: L2}
  - {name: DONE, type: terminal}
transitions:
  - {trigger: go, source: A, dest: L1}
  - {trigger: finish, source: A, dest: DONE}
  - {trigger: next, source: L1, dest: L2}
  - {trigger: back, source: L2, dest: L1}
"""


def test_loop_without_a_way_to_a_terminal_state(write_yaml: Write) -> None:
    found = findings(write_yaml(TRAP), "PS306")
    assert [(d.line, d.col) for d in found] == [(3, 12), (4, 12)]
    assert "no terminal state can be reached from state 'L1'" in found[0].message


def test_loop_with_an_exit_and_machines_without_terminal_states(write_yaml: Write) -> None:
    none_of(write_yaml(TRAP + "  - {trigger: quit, source: L2, dest: DONE}\n"), "PS306")
    no_terminal = TRAP.replace("type: terminal", "type: stable")
    none_of(
        write_yaml(no_terminal + "  - {trigger: r, source: DONE, dest: A}\n", "n.yaml"), "PS306"
    )


def test_exits_of_a_parent_or_a_parallel_state_count(write_yaml: Write) -> None:
    path = write_yaml(
        """\
        states:
          - {name: A, type: initial}
          - {name: P, initial_child: P1}
          - {name: P1, parent: P}
          - {name: P2, parent: P}
          - name: Q
            type: parallel
            regions:
              - {name: r, initial: q1, states: [q1, q2]}
          - {name: DONE, type: terminal}
        transitions:
          - {trigger: go, source: A, dest: P}
          - {trigger: next, source: P1, dest: P2}
          - {trigger: back, source: P2, dest: P1}
          - {trigger: on, source: P, dest: Q}
          - {trigger: flip, source: q1, dest: q2, region: r}
          - {trigger: flop, source: q2, dest: q1, region: r}
          - {trigger: end, source: Q, dest: DONE}
        """
    )
    none_of(path, "PS306")
    none_of(path, "PS303")


# -- PS307 overlapping guards -------------------------------------------------------------------

OVERLAP = """\
state_variables:
  - {key: qty, type: number}
states:
  - {name: A, type: initial}
  - {name: B, type: terminal}
  - {name: C, type: terminal}
transitions:
  - {trigger: go, source: A, dest: B, guards: [{expr: "qty >= 100"}]}
  - {trigger: go, source: A, dest: C, guards: [{check: {field: qty, op: gt, value: 0}}]}
"""


def test_overlapping_expression_and_check_guards(write_yaml: Write) -> None:
    found = only(write_yaml(OVERLAP), "PS307")
    assert (found.line, found.col) == (9, 47)
    assert "for qty = 100 both pass" in found.message
    assert "earlier transition on line 8 (go: A -> B)" in found.message


def test_exclusive_guards_do_not_overlap(write_yaml: Write) -> None:
    none_of(write_yaml(OVERLAP.replace("value: 0}}", "value: 0}}, {expr: 'qty < 100'}")), "PS307")
    strings = dedent(
        """\
        states:
          - {name: A, type: initial}
          - {name: B, type: terminal}
          - {name: C, type: terminal}
        transitions:
          - {trigger: go, source: A, dest: B, guards: [{expr: "kind == 'a' and vip"}]}
          - {trigger: go, source: A, dest: C, guards: [{check: {field: kind, op: eq, value: b}}]}
          - {trigger: s, source: A, dest: B, guards: [{expr: "kind in ['x', 'y']"}]}
          - {trigger: s, source: A, dest: C, guards: [{expr: "kind == 'z'"}]}
        """
    )
    none_of(write_yaml(strings, "strings.yaml"), "PS307")


def test_integers_decide_overlaps_of_undeclared_variables(write_yaml: Write) -> None:
    text = OVERLAP.replace("qty >= 100", "qty > 9").replace(
        "{check: {field: qty, op: gt, value: 0}}", "{expr: 'qty < 10'}"
    )
    # Declared as a number, 9.5 passes both guards.
    assert "qty = 9.5" in only(write_yaml(text), "PS307").message
    # Undeclared and compared with integers only: read as an integer, no value passes both.
    undeclared = text.replace("state_variables:\n  - {key: qty, type: number}\n", "")
    none_of(write_yaml(undeclared, "undeclared.yaml"), "PS307")


def test_overlap_of_string_and_boolean_equality(write_yaml: Write) -> None:
    path = write_yaml(
        """\
        states:
          - {name: A, type: initial}
          - {name: B, type: terminal}
          - {name: C, type: terminal}
        transitions:
          - {trigger: go, source: A, dest: B, guards: [{expr: "kind != 'a' and flag == True"}]}
          - {trigger: go, source: A, dest: C, guards: [{expr: "kind in ['a', 'b'] and flag"}]}
          - {trigger: go, source: A, dest: C, guards: [{expr: "not kind == 'c' and flag"}]}
        """
    )
    # The bare name `flag` is not a comparison: the last two pairs are not read.
    found = findings(path, "PS307")
    assert found == []
    overlap = path.read_text().replace('and flag"', 'and flag == True"')
    messages = [d.message for d in findings(write_yaml(overlap, "o.yaml"), "PS307")]
    assert any("flag = True, kind = 'b'" in m for m in messages), messages


# -- PS308 gaps ---------------------------------------------------------------------------------

GAP = """\
state_variables:
  - {key: amount, type: number}
states:
  - {name: A, type: initial}
  - {name: B, type: terminal}
  - {name: C, type: terminal}
transitions:
  - trigger: go
    source: A
    dest: B
    guards: [{expr: "amount < 10"}]
  - trigger: go
    source: A
    dest: C
    guards: [{check: {field: amount, op: gt, value: 10}}]
"""


def test_complementary_looking_guards_with_a_gap(write_yaml: Write) -> None:
    found = only(write_yaml(GAP), "PS308")
    assert (found.line, found.col) == (15, 13)
    assert "for amount = 10 none passes" in found.message
    assert found.hint.startswith("Use <= or >=")


def test_complementary_guards_without_a_gap(write_yaml: Write) -> None:
    none_of(write_yaml(GAP.replace("op: gt", "op: gte")), "PS308")
    # A third transition covering the value closes the gap.
    covered = GAP + ("  - {trigger: go, source: A, dest: B, guards: [{expr: 'amount == 10'}]}\n")
    none_of(write_yaml(covered, "covered.yaml"), "PS308")
    # A named guard on the same event could be anything: no finding.
    named = GAP + "  - {trigger: go, source: A, dest: B, guards: [is_ten]}\n"
    none_of(write_yaml(named, "named.yaml"), "PS308")


def test_membership_gap_between_in_and_not_in(write_yaml: Write) -> None:
    text = dedent(
        """\
        states:
          - {name: A, type: initial}
          - {name: B, type: terminal}
          - {name: C, type: terminal}
        transitions:
          - {trigger: s, source: A, dest: B, guards: [{expr: "status == 'open'"}]}
          - {trigger: s, source: A, dest: C, guards: [{expr: "status not in ['open', 'shut']"}]}
        """
    )
    found = only(write_yaml(text), "PS308")
    assert "for status = 'shut' none passes" in found.message
    complete = text.replace("['open', 'shut']", "['open']")
    none_of(write_yaml(complete, "complete.yaml"), "PS308")


# -- the constraint reader ------------------------------------------------------------------------


def test_reading_guards() -> None:
    domain = Domain({"x": "integer"})
    low = read_guards((GuardSpec(expr="0 < x <= 5"),))
    high = read_guards((GuardSpec(check=CheckSpec("x", CheckOp.GTE, 5)),))
    assert low is not None and high is not None
    assert find_point(domain, [low, high], []) == {"x": 5}
    assert implies(domain, read_guards((GuardSpec(expr="x == 3"),)) or low, low)
    assert read_guards((GuardSpec(expr="x < y"),)) is None
    assert read_guards((GuardSpec(expr="x < 1 or x > 3"),)) is None
    assert read_guards((GuardSpec(name="ok"),)) is None
    assert read_guards((GuardSpec(expr="x < 'a'"),)) is None


# -- the examples ---------------------------------------------------------------------------------

#: Findings in examples/ that the machines have on purpose: (file, code, line).
INTENDED: set[tuple[str, str, int]] = set()


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_have_no_unintended_findings(path: Path) -> None:
    found = {
        (path.name, d.code, d.line)
        for d in compile_path(path).warnings
        if d.code in ANALYSIS_CODES or d.code.startswith("PS3")
    }
    assert found <= INTENDED, found - INTENDED


# -- severities -----------------------------------------------------------------------------------


def project(tmp_path: Path, settings: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.pystator-gen]\n' + settings, encoding="utf-8"
    )
    machines = tmp_path / "machines" / "nested"
    machines.mkdir(parents=True)
    path = machines / "trap.yaml"
    path.write_text(TRAP, encoding="utf-8")
    return path


def test_severity_raised_to_error_stops_the_build(tmp_path: Path) -> None:
    path = project(tmp_path, 'severity = { PS306 = "error" }\n')
    with pytest.raises(CompileError) as caught:
        compile_path(path)
    codes = {(d.code, d.severity) for d in caught.value.diagnostics}
    assert codes == {("PS306", Severity.ERROR)}
    result = CliRunner().invoke(cli.main, ["validate", str(path)])
    assert result.exit_code == 1 and "error[PS306]" in result.stderr


def test_severity_off_silences_and_warning_keeps(tmp_path: Path) -> None:
    path = project(tmp_path, 'severity = { PS306 = "off" }\n')
    assert compile_path(path).warnings == ()
    kept = project(tmp_path / "other", '[tool.pystator-gen.severity]\nPS306 = "warning"\n')
    assert {d.code for d in compile_path(kept).warnings} == {"PS306"}


def test_strict_makes_analysis_warnings_fail(tmp_path: Path) -> None:
    path = project(tmp_path, "")
    assert CliRunner().invoke(cli.main, ["validate", str(path)]).exit_code == 0
    result = CliRunner().invoke(cli.main, ["validate", "--strict", str(path)])
    assert result.exit_code == 1 and "warning[PS306]" in result.stderr


@pytest.mark.parametrize(
    ("settings", "message", "line"),
    [
        ('severity = { PS3O6 = "off" }\n', "'PS3O6' is not a diagnostic code", 5),
        ('severity = { PS204 = "off" }\n', "PS204 (unknown state) is an error", 5),
        ('severity = { PS306 = "loud" }\n', "must be one of 'error', 'warning', 'off'", 5),
        ('severity = "off"\n', "severity must be a table of codes", 5),
        ("severity = {\n", "not valid TOML", 5),
    ],
)
def test_invalid_settings_are_diagnostics(
    tmp_path: Path, settings: str, message: str, line: int
) -> None:
    path = project(tmp_path, settings)
    result = CliRunner().invoke(cli.main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"pyproject.toml:{line}:" in result.stderr
    assert "error[PS010]" in result.stderr and message in result.stderr


# -- soundness against the real guards ------------------------------------------------------------

ATOMS = st.one_of(
    st.builds(
        lambda op, n: f"x {op} {n}",
        st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
        st.integers(-3, 3),
    ),
    st.builds(lambda n: f"{n} < x", st.integers(-3, 3)),
    st.builds(lambda op, v: f"s {op} {v!r}", st.sampled_from(["==", "!="]), st.sampled_from("abc")),
    st.builds(
        lambda op, vs: f"s {op} {sorted(vs)!r}",
        st.sampled_from(["in", "not in"]),
        st.sets(st.sampled_from("abc"), min_size=1),
    ),
)
GUARDS = st.lists(ATOMS, min_size=1, max_size=3).map(lambda atoms: " and ".join(atoms))
VALUES = st.fixed_dictionaries(
    {
        "x": st.one_of(st.integers(-5, 5), st.floats(-5, 5, allow_nan=False)),
        "s": st.sampled_from("abcd"),
    }
)


def holds(source: str, point: dict[str, object]) -> bool:
    return evaluate(parse_expression(source), {"x": 0, "s": "d", **point})


@settings(max_examples=300, deadline=None)
@given(first=GUARDS, second=GUARDS, values=st.lists(VALUES, max_size=20))
def test_constraint_answers_agree_with_the_guards(
    first: str, second: str, values: list[dict[str, object]]
) -> None:
    domain = Domain({})
    a = read_guards((GuardSpec(expr=first),))
    b = read_guards((GuardSpec(expr=second),))
    assert a is not None and b is not None
    both = find_point(domain, [a, b], [])
    if both is not None:
        assert holds(first, both) and holds(second, both)
    neither = find_point(domain, [], [a, b])
    if neither is not None:
        assert not holds(first, neither) and not holds(second, neither)
    if implies(domain, a, b):
        for value in values:
            assert not holds(first, value) or holds(second, value)
