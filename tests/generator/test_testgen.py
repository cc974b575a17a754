"""Generated test modules: they pass against the generated modules, cover every
transition of the examples, and are black-formatted and ruff-clean."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import black
import pytest
from click.testing import CliRunner

from pystator.generator import cli
from pystator.generator.emit import BLACK_MODE
from pystator.generator.paths import plan
from pystator.generator.pipeline import compile_path, generate
from pystator.generator.testgen import OptionError, render_tests
from tests.conftest import EXAMPLES, ROOT

Write = Callable[..., Path]

#: Autos with guards, history, delays, timeouts, internal transitions, payloads and a
#: lower-case event normaliser in a non-strict machine.
TICKET = dedent(
    """\
    meta: {machine_name: ticket, event_normalizer: lower, strict_mode: false}
    state_variables:
      - {key: priority, type: integer, default: 1, required: true}
    events:
      - name: assign
        payload: {agent: string, urgent: {type: boolean, required: false}}
    states:
      - {name: new, type: initial}
      - {name: triage}
      - {name: urgent}
      - {name: normal}
      - {name: work, initial_child: work.doing}
      - {name: work.doing, parent: work}
      - {name: work.review, parent: work}
      - {name: waiting, timeout: {seconds: 30, destination: closed}}
      - {name: closed, type: terminal}
    transitions:
      - {trigger: open, source: new, dest: triage}
      - {source: triage, dest: urgent, auto: true, guards: [{expr: "priority > 2"}]}
      - {source: triage, dest: normal, auto: true, guards: [is_normal]}
      - {trigger: assign, source: [urgent, normal], dest: work}
      - {trigger: submit, source: work.doing, dest: work.review}
      - {trigger: note, source: work, dest: work, internal: true, actions: [log]}
      - {trigger: pause, source: work, dest: waiting}
      - {trigger: resume, source: waiting, dest: "H*(work)"}
      - {source: work.review, dest: closed, after: 5s}
      - trigger: close
        source: work
        dest: closed
        guards: [{check: {field: priority, op: lt, value: 3}}]
    """
)


def generate_and_run(machine: Path, directory: Path) -> str:
    """Compile `machine`, generate its tests with the CLI, run them; the CLI's output."""
    module = generate(machine)
    (directory / f"{module.module_name}.py").write_text(module.text, encoding="utf-8")
    target = directory / f"test_{module.module_name}.py"
    result = CliRunner().invoke(cli.main, ["tests", str(machine), "-o", str(target)])
    assert result.exit_code == 0, result.output
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", target.name],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert " passed" in run.stdout and "failed" not in run.stdout
    return result.stdout


@pytest.mark.parametrize("machine", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_generated_tests_of_every_example_pass_with_full_coverage(
    machine: Path, tmp_path: Path
) -> None:
    out = generate_and_run(machine, tmp_path)
    assert "transition coverage" in out
    covered = out.split("transition coverage ")[1].split()[0]
    done, total = covered.split("/")
    assert done == total and int(total) > 0, out
    assert "(100%)" in out and "not covered" not in out


def test_generated_tests_of_a_machine_with_every_feature(write_yaml: Write, tmp_path: Path) -> None:
    out = generate_and_run(write_yaml(TICKET, "ticket.yaml"), tmp_path)
    assert "transition coverage 11/11 (100%)" in out


def test_generated_tests_are_black_formatted_and_ruff_clean(tmp_path: Path) -> None:
    for machine in [*sorted(EXAMPLES.glob("*.yaml")), ROOT / "tests/fixtures/player_history.yaml"]:
        module = generate(machine)
        (tmp_path / f"{module.module_name}.py").write_text(module.text, encoding="utf-8")
        tests = render_tests(compile_path(machine).spec, source_name=machine.name)
        assert black.format_str(tests.text, mode=BLACK_MODE) == tests.text
        (tmp_path / tests.file_name).write_text(tests.text, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--isolated",
            "--select",
            "E,F,W,I,UP,B,SIM,RUF",
            "--line-length",
            "88",
            *sorted(p.name for p in tmp_path.glob("test_*.py")),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_uncovered_transitions_are_listed(write_yaml: Write, tmp_path: Path) -> None:
    path = write_yaml(
        """\
        meta: {machine_name: partial}
        states:
          - {name: A, type: initial}
          - {name: B, type: terminal}
          - {name: LOST}
        transitions:
          - {trigger: go, source: A, dest: B}
          - {trigger: back, source: LOST, dest: A}
        """
    )
    result = CliRunner().invoke(cli.main, ["tests", str(path), "-o", str(tmp_path / "t.py")])
    assert result.exit_code == 0
    assert "transition coverage 1/2 (50%)" in result.stdout
    assert "not covered: transition 2 (back: LOST -> A)" in result.stdout
    again = CliRunner().invoke(cli.main, ["tests", str(path), "-o", str(tmp_path / "t.py")])
    assert "wrote" not in again.stdout
    check = CliRunner().invoke(
        cli.main, ["tests", str(path), "-o", str(tmp_path / "t.py"), "--check"]
    )
    assert check.exit_code == 0


def test_module_and_class_name_options(write_yaml: Write, tmp_path: Path) -> None:
    path = write_yaml(TICKET, "ticket.yaml")
    spec = compile_path(path).spec
    text = render_tests(spec, source_name="t", module="app.machines.t", class_name="Desk").text
    assert "from app.machines.t import (" in text and "DeskSession.from_snapshot" in text
    with pytest.raises(OptionError):
        render_tests(spec, source_name="t", module="app..t")
    result = CliRunner().invoke(cli.main, ["tests", str(path), "--class-name", "not valid"])
    assert result.exit_code == 1 and "is not a Python class name" in result.stderr


def test_paths_choose_guards_for_eventless_chains_and_regions(write_yaml: Write) -> None:
    spec = compile_path(write_yaml(TICKET, "ticket.yaml")).spec
    found = plan(spec)
    assert not found.uncovered
    to_normal = found.states["normal"]
    assert [s.trigger for s in to_normal] == [None, "open"]
    assert to_normal[-1].passing == frozenset({"is_normal"})
    day = plan(compile_path(EXAMPLES / "day_trading_fsm.yaml").spec)
    critical = day.states["critical"][-1].node
    assert critical.state == "active" and ("risk_monitor", "critical") in critical.regions
