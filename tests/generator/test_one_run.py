"""One run reports every independent error: schema errors do not hide semantic ones, and
what a schema error sets aside causes no further noise."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pystator.generator import cli
from pystator.generator.cli_common import Tally
from pystator.generator.diagnostics import CompileError, Diagnostic
from pystator.generator.pipeline import compile_path

Write = Callable[..., Path]

STATES = """\
states:
  - {name: IDLE, type: initial}
  - {name: BUSY}
  - {name: DONE, type: terminal}
"""


def findings(path: Path) -> list[Diagnostic]:
    with pytest.raises(CompileError) as caught:
        compile_path(path)
    return list(caught.value.diagnostics)


def codes(path: Path) -> list[str]:
    return [d.code for d in findings(path)]


def test_an_unknown_key_does_not_hide_an_unknown_destination(write_yaml: Write) -> None:
    path = write_yaml(
        STATES
        + """\
transitions:
  - trigger: go
    source: IDLE
    dest: BUSSY
    gaurds: [ready]
"""
    )
    assert codes(path) == ["PS204", "PS101"]


def test_a_malformed_transition_does_not_hide_an_error_in_another(write_yaml: Write) -> None:
    path = write_yaml(
        STATES
        + """\
transitions:
  - {trigger: go, source: IDLE}
  - {trigger: stop, source: BUSY, dest: DNOE}
"""
    )
    missing, unknown = findings(path)
    assert missing.code == "PS103" and missing.line == 6
    assert unknown.code == "PS204" and (unknown.line, unknown.col) == (7, 41)


def test_a_misspelt_state_type_is_not_also_a_missing_initial_state(write_yaml: Write) -> None:
    path = write_yaml(STATES.replace("type: initial", "type: inital"))
    (found,) = findings(path)
    assert found.code == "PS102" and found.hint == "Did you mean 'initial'?"


def test_a_misspelt_type_key_is_not_also_a_missing_initial_state(write_yaml: Write) -> None:
    assert codes(write_yaml(STATES.replace("type: initial", "tpye: initial"))) == ["PS101"]


def test_a_misspelt_parent_key_says_nothing_about_initial_children(write_yaml: Write) -> None:
    path = write_yaml(
        """\
states:
  - {name: IDLE, type: initial}
  - {name: WORK, initial_child: STEP}
  - {name: STEP, parnet: WORK}
"""
    )
    assert codes(path) == ["PS101"]


def test_a_state_that_is_not_a_mapping_is_reported_once(write_yaml: Write) -> None:
    path = write_yaml(
        STATES
        + """\
  - BROKEN
transitions:
  - {trigger: go, source: IDLE, dest: BROKEN}
"""
    )
    (found,) = findings(path)
    assert found.code == "PS102" and "states[3] should be a mapping" in found.message


def test_a_malformed_trigger_is_not_also_a_missing_trigger(write_yaml: Write) -> None:
    path = write_yaml(STATES + "transitions:\n  - {trigger: [go], source: IDLE, dest: BUSY}\n")
    (found,) = findings(path)
    assert found.code == "PS102" and "transitions[0].trigger should be a string" in found.message


def test_a_value_of_neither_kind_of_a_union_is_one_diagnostic(write_yaml: Write) -> None:
    path = write_yaml(STATES + "transitions:\n  - {trigger: go, source: 5, dest: BUSY}\n")
    (found,) = findings(path)
    assert found.message == "transitions[0].source should be a string or a list, got an integer."


def test_a_check_operator_outside_the_table_is_a_wrong_value_not_an_unknown_key(
    write_yaml: Write,
) -> None:
    path = write_yaml(
        STATES
        + """\
transitions:
  - trigger: go
    source: IDLE
    dest: BUSY
    guards: [{check: {field: n, op: eqq, value: 1}}]
"""
    )
    (found,) = findings(path)
    assert found.code == "PS102" and found.message.startswith("transitions[0].guards[0].check.op")
    assert found.hint == "Did you mean 'eq'?"


def test_semantic_checks_run_beside_an_unknown_top_level_key(write_yaml: Write) -> None:
    path = write_yaml(
        "metta: {}\n" + STATES + "transitions:\n  - {trigger: go, source: X, dest: BUSY}\n"
    )
    assert codes(path) == ["PS101", "PS204"]


def test_without_states_nothing_else_is_checked(write_yaml: Write) -> None:
    path = write_yaml("transitions:\n  - {trigger: go, source: X, dest: Y}\n")
    assert codes(path) == ["PS103"]


# -- the closing line -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "errors", "warnings", "line"),
    [
        (1, 0, 0, "No errors or warnings in 1 file."),
        (3, 0, 0, "No errors or warnings in 3 files."),
        (1, 1, 0, "Found 1 error (0 warnings) in 1 file."),
        (2, 0, 1, "Found 0 errors (1 warning) in 2 files."),
        (2, 3, 2, "Found 3 errors (2 warnings) in 2 files."),
    ],
)
def test_the_closing_line_counts_errors_warnings_and_files(
    files: int, errors: int, warnings: int, line: str
) -> None:
    assert Tally(files, errors, warnings).line() == line


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_validate_ends_with_what_it_found_in_every_file(write_yaml: Write) -> None:
    bad = write_yaml(STATES + "transitions:\n  - {trigger: go, source: IDLE, dest: X, x: 1}\n")
    good = write_yaml(
        STATES + "transitions:\n  - {trigger: go, source: IDLE, dest: DONE}\n", "b.yaml"
    )
    code, _, err = run("validate", str(bad), str(good))
    assert code == 1
    assert err.splitlines()[-1] == "Found 2 errors (1 warning) in 2 files."


def test_validate_of_clean_files_says_so_at_the_end(write_yaml: Write) -> None:
    path = write_yaml(STATES + "transitions:\n  - {trigger: go, source: IDLE, dest: DONE}\n")
    code, out, err = run("validate", str(path))
    assert code == 0 and out.endswith(": ok (1 warning)\n")
    assert err.splitlines()[-1] == "Found 0 errors (1 warning) in 1 file."


def test_compile_counts_what_it_found(write_yaml: Write) -> None:
    path = write_yaml(STATES + "transitions:\n  - {trigger: go, source: IDLE, dest: X, x: 1}\n")
    code, _, err = run("compile", str(path))
    assert code == 1 and err.splitlines()[-1] == "Found 2 errors (0 warnings) in 1 file."


def test_a_clean_compile_prints_no_closing_line(write_yaml: Write) -> None:
    path = write_yaml(
        STATES
        + """\
transitions:
  - {trigger: go, source: IDLE, dest: BUSY}
  - {trigger: stop, source: BUSY, dest: DONE}
"""
    )
    code, _, err = run("compile", str(path))
    assert code == 0 and err == ""
