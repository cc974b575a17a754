"""Names ending in a line terminator, in every slot a name can take.

Python's `$` matches before a final newline, so a pattern written `^...$` accepted
`"A\\n"` and the generated module did not parse. Every name is now matched whole: a slot
that becomes a Python identifier refuses such a name with a diagnostic, and a slot that is
only data compiles to a module that imports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pystator.generator import cli
from pystator.generator.diagnostics import CompileError
from pystator.generator.pipeline import compile_path, generate
from tests.conftest import import_module_text

TERMINATORS = (
    "\n",
    "\r",
    "\r\n",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x85",
    "\u2028",
    "\u2029",
)

MACHINE = """\
meta: {{machine_name: {machine}}}
states:
  - {{name: {a}, type: initial, on_enter: [{enter}], on_exit: [{{name: {exit}}}]}}
  - {{name: P, initial_child: {child}, timeout: {{seconds: 1, destination: {timeout}}}}}
  - {{name: C, parent: {parent}}}
  - name: Q
    type: parallel
    regions:
      - {{name: {region}, initial: {r1}, states: [{r1}, R2]}}
transitions:
  - trigger: {go}
    source: {source}
    dest: {dest}
    guards: [{guard}, {{name: {named_guard}}}]
    actions: [{action}]
  - {{trigger: back, source: C, dest: {history}}}
  - {{trigger: flip, source: {r1_ref}, dest: R2, region: {region_ref}}}
  - {{trigger: jump, source: P, dest: Q}}
events:
  - name: {event}
    payload: {{{field}: int}}
state_variables: [{{key: {variable}, type: int}}]
error_policy: {{default_fallback: {fallback}}}
"""

DEFAULTS = {
    "machine": "door",
    "a": "A",
    "enter": "on_a",
    "exit": "off_a",
    "child": "C",
    "timeout": "A",
    "parent": "P",
    "region": "main",
    "region_ref": "main",
    "r1": "R1",
    "r1_ref": "R1",
    "go": "go",
    "source": "A",
    "dest": "P",
    "guard": "ready",
    "named_guard": "allowed",
    "action": "act",
    "history": "H(P)",
    "event": "go",
    "field": "qty",
    "variable": "count",
    "fallback": "A",
}

# Slots that become Python identifiers, or must name a state: each refuses the name with
# the code given. A slot may span several keys (a state name and the places naming it).
REFUSED = {
    "machine name": (("machine",), "PS212"),
    "state name": (("a", "timeout", "source", "fallback"), "PS207"),
    "region state name": (("r1", "r1_ref"), "PS207"),
    "trigger": (("go", "event"), "PS207"),
    "named guard": (("guard",), "PS207"),
    "guard given by name": (("named_guard",), "PS207"),
    "action": (("action",), "PS207"),
    "on_enter action": (("enter",), "PS207"),
    "on_exit action": (("exit",), "PS207"),
    "payload field": (("field",), "PS207"),
    "parent": (("parent",), "PS204"),
    "initial_child": (("child",), "PS204"),
    "source": (("source",), "PS204"),
    "destination": (("dest",), "PS204"),
    "history destination": (("history",), "PS204"),
    "timeout destination": (("timeout",), "PS204"),
    "fallback state": (("fallback",), "PS204"),
}
# Slots that stay data: the YAML compiles and the module imports.
DATA = {
    "region name": ("region", "region_ref"),
    "event name": ("event",),
    "state variable": ("variable",),
}


def machine_text(slot_keys: tuple[str, ...], suffix: str) -> str:
    values = {
        key: json.dumps(value + suffix if key in slot_keys else value)
        for key, value in DEFAULTS.items()
    }
    return MACHINE.format(**values)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str], Path]:
    def write_text(text: str) -> Path:
        path = tmp_path / "door.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write_text


def test_the_machine_without_terminators_compiles(
    write: Callable[[str], Path], tmp_path: Path
) -> None:
    path = write(machine_text((), ""))
    import_module_text(generate(path).text, tmp_path)


@pytest.mark.parametrize("terminator", TERMINATORS, ids=repr)
@pytest.mark.parametrize("slot", sorted(REFUSED))
def test_identifier_slots_refuse_a_name_ending_in_a_line_terminator(
    slot: str, terminator: str, write: Callable[[str], Path]
) -> None:
    keys, code = REFUSED[slot]
    path = write(machine_text(keys, terminator))
    with pytest.raises(CompileError) as caught:
        compile_path(path)
    assert code in {d.code for d in caught.value.diagnostics if d.is_error}


@pytest.mark.parametrize("terminator", TERMINATORS, ids=repr)
@pytest.mark.parametrize("slot", sorted(DATA))
def test_data_slots_compile_a_name_ending_in_a_line_terminator_to_a_module_that_imports(
    slot: str, terminator: str, write: Callable[[str], Path], tmp_path: Path
) -> None:
    path = write(machine_text(DATA[slot], terminator))
    module = import_module_text(generate(path).text, tmp_path)
    assert module.SPEC.name == "door"


@pytest.mark.parametrize("terminator", ("\n", "\r\n", "\u2028"), ids=repr)
def test_cli_reports_a_state_name_with_a_trailing_newline_as_a_diagnostic(
    terminator: str, write: Callable[[str], Path]
) -> None:
    path = write(machine_text(REFUSED["state name"][0], terminator))
    for command in ("validate", "compile"):
        result = CliRunner().invoke(cli.main, [command, str(path)])
        assert result.exit_code == 1, result.output
        assert "error[PS207]" in result.stderr + result.stdout
        assert "internal error" not in result.stderr + result.stdout


def test_no_pattern_in_the_package_is_anchored_with_a_dollar() -> None:
    """`$` also matches before a final newline; patterns end with `\\Z` or use fullmatch."""
    package = Path(__file__).resolve().parents[2] / "pystator"
    anchored = [
        f"{path.relative_to(package)}:{number}"
        for path in sorted(package.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"""re\.compile\(\s*r?["'][^"']*\$["']""", line)
    ]
    assert not anchored


# -- identifiers outside machine files ------------------------------------------------------


@pytest.mark.parametrize("terminator", TERMINATORS, ids=repr)
def test_catalogue_ids_schema_names_and_module_paths_refuse_a_line_terminator(
    terminator: str, write: Callable[[str], Path]
) -> None:
    from pystator.db.catalog import CatalogError, check_id
    from pystator.generator.testgen import OptionError, render_tests
    from pystator.runtime.errors import ConfigurationError
    from pystator.runtime.stores.postgres import PostgresStateStore

    with pytest.raises(CatalogError):
        check_id("order" + terminator)
    with pytest.raises(ConfigurationError, match="schema name"):
        PostgresStateStore("postgresql://localhost/db", schema="pystator" + terminator)
    spec = compile_path(write(machine_text((), ""))).spec
    with pytest.raises(OptionError, match="module path"):
        render_tests(spec, source_name="door.yaml", module="app.door" + terminator)
