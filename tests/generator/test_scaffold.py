"""`pystator-gen scaffold`: stubs for missing handlers, and the user's code left as it was.

Every test drives the command itself and reads back the file it wrote.
"""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pystator.generator import cli
from pystator.generator.pipeline import generate

Write = Callable[..., Path]
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "hatch_project"
ORDER = ROOT / "examples" / "order_fsm.yaml"
MYPY = ["--strict", "--no-incremental", "--cache-dir=/dev/null", "--config-file="]

MACHINE = """\
meta: {machine_name: door}
states:
  - {name: closed, type: initial, on_exit: [log_exit]}
  - {name: open, on_enter: [ring_bell, {set: {state: open}}]}
  - {name: locked}
transitions:
  - {trigger: open, source: closed, dest: open, guards: [is_allowed, {expr: "force > 0"}]}
  - {trigger: close, source: open, dest: closed, actions: [log_close]}
  - {trigger: lock, source: closed, dest: locked, guards: [has_key], actions: [log_close]}
  - {trigger: unlock, source: locked, dest: closed, guards: [has_key]}
"""
HANDLERS = ["has_key", "is_allowed", "log_close", "log_exit", "ring_bell"]

USER_CODE = """\
#!/usr/bin/env python
# -*- coding: utf-8 -*-
'''My door handlers: hand-written, oddly formatted on purpose.'''
import  logging   # two spaces, kept
from typing import Any

log = logging.getLogger( __name__ )


class DoorHandlers( object ) :   # a comment on the class line
  '''Two-space indentation.'''

  threshold=3  # a class attribute

  def has_key( self,ctx ,/ )->bool :
      # keys live in the context
      return   bool( ctx.get("key") )   # trailing comment


  def log_close(self, ctx: Any, /) -> None:   log.info("closed")

  # a comment at the end of the class


# a comment at the end of the module
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def machine(write_yaml: Write) -> Path:
    return write_yaml(MACHINE, "door.yaml")


def scaffold(machine: Path, handlers: Path) -> tuple[int, str, str]:
    return run("scaffold", str(machine), "--handlers", str(handlers))


def _method_names(text: str) -> list[str]:
    return [
        line.strip()[4:].split("(")[0] for line in text.splitlines() if line.strip()[:4] == "def "
    ]


def test_new_module_has_one_stub_per_named_guard_and_action(machine: Path, tmp_path: Path) -> None:
    handlers = tmp_path / "handlers.py"
    code, out, _ = scaffold(machine, handlers)
    text = handlers.read_text(encoding="utf-8")
    assert code == 0 and out.startswith("created ")
    assert "class DoorHandlers:" in text
    assert _method_names(text) == HANDLERS
    assert "def has_key(self, ctx: Mapping[str, Any], /) -> bool:" in text
    assert "def ring_bell(self, ctx: Mapping[str, Any], /) -> None:" in text
    assert "raise NotImplementedError(\"guard 'has_key' is not implemented yet\")" in text


def test_stub_docstrings_name_the_transitions_that_use_them(machine: Path, tmp_path: Path) -> None:
    handlers = tmp_path / "handlers.py"
    scaffold(machine, handlers)
    text = handlers.read_text(encoding="utf-8")
    assert "- transition lock (closed -> locked)" in text
    assert "- transition unlock (locked -> closed)" in text
    assert "Act on state open (on_enter) in" in text
    assert "Act on state closed (on_exit) in" in text


def test_running_scaffold_twice_changes_nothing(machine: Path, tmp_path: Path) -> None:
    handlers = tmp_path / "handlers.py"
    scaffold(machine, handlers)
    first = handlers.read_bytes()
    code, out, err = scaffold(machine, handlers)
    assert code == 0 and err == ""
    assert "DoorHandlers has every guard and action" in out
    assert handlers.read_bytes() == first


def test_user_code_is_kept_byte_for_byte(machine: Path, tmp_path: Path) -> None:
    handlers = tmp_path / "handlers.py"
    handlers.write_text(USER_CODE, encoding="utf-8")
    code, out, _ = scaffold(machine, handlers)
    text = handlers.read_text(encoding="utf-8")
    assert code == 0 and out.startswith("updated ")
    matcher = difflib.SequenceMatcher(a=USER_CODE, b=text, autojunk=False)
    operations = {tag for tag, *_ in matcher.get_opcodes()}
    assert operations == {"equal", "insert"}, "an existing character changed"


def test_only_missing_handlers_get_stubs(machine: Path, tmp_path: Path) -> None:
    handlers = tmp_path / "handlers.py"
    handlers.write_text(USER_CODE, encoding="utf-8")
    _, out, _ = scaffold(machine, handlers)
    assert out.strip().endswith("DoorHandlers + is_allowed, log_exit, ring_bell")
    names = _method_names(handlers.read_text(encoding="utf-8"))
    assert names == ["has_key", "log_close", "is_allowed", "log_exit", "ring_bell"]


def test_stubs_follow_the_module_indentation_and_line_ends(machine: Path, tmp_path: Path) -> None:
    handlers = tmp_path / "handlers.py"
    handlers.write_bytes(USER_CODE.replace("\n", "\r\n").encode())
    scaffold(machine, handlers)
    data = handlers.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r\n  def ring_bell(self, ctx: Mapping[str, Any], /) -> None:\r\n" in data


def test_missing_imports_are_added_as_new_lines(machine: Path, tmp_path: Path) -> None:
    handlers = tmp_path / "handlers.py"
    handlers.write_text(USER_CODE, encoding="utf-8")
    scaffold(machine, handlers)
    text = handlers.read_text(encoding="utf-8")
    imports = "import  logging   # two spaces, kept\nfrom typing import Any\n"
    assert imports + "from collections.abc import Mapping\n" in text
    assert text.count("import Any") == 1


def test_removed_handler_is_reported_and_kept(machine: Path, tmp_path: Path) -> None:
    handlers = tmp_path / "handlers.py"
    handlers.write_text(USER_CODE.replace("def log_close", "def log_shut"), encoding="utf-8")
    code, _, err = scaffold(machine, handlers)
    text = handlers.read_text(encoding="utf-8")
    assert code == 0
    assert "handlers.py:20:7: warning: DoorHandlers.log_shut is not a guard or action" in err
    assert "kept it" in err
    assert 'def log_shut(self, ctx: Any, /) -> None:   log.info("closed")' in text


def test_stubs_type_check_against_the_protocols_under_mypy_strict(
    machine: Path, tmp_path: Path
) -> None:
    from mypy import api

    (tmp_path / "door_machine.py").write_text(generate(machine).text, encoding="utf-8")
    scaffold(machine, tmp_path / "handlers.py")
    good = textwrap.dedent(
        """\
        from door_machine import DoorActions, DoorGuards, DoorMachine
        from handlers import DoorHandlers

        guards: DoorGuards = DoorHandlers()
        actions: DoorActions = DoorHandlers()
        machine = DoorMachine(guards=DoorHandlers(), actions=DoorHandlers())
        """
    )
    (tmp_path / "use_handlers.py").write_text(good, encoding="utf-8")
    # A control: the same check must fail for a class that lacks the handlers.
    bad = good.replace("from handlers import DoorHandlers", "class DoorHandlers:\n    pass")
    (tmp_path / "use_nothing.py").write_text(bad, encoding="utf-8")
    arguments = ["--strict", "--no-incremental", "--cache-dir=/dev/null", "--config-file="]
    stdout, stderr, _ = api.run(
        [*arguments, *(str(tmp_path / f) for f in ("handlers.py", "use_handlers.py"))]
    )
    assert "Success: no issues found" in stdout, stdout + stderr
    stdout, _, status = api.run([*arguments, str(tmp_path / "use_nothing.py")])
    assert status == 1 and "DoorGuards" in stdout


def test_module_option_types_stubs_with_the_machine_context(machine: Path, tmp_path: Path) -> None:
    handlers = tmp_path / "handlers.py"
    code, _, _ = run(
        "scaffold", str(machine), "--handlers", str(handlers), "--module", "app.door_machine"
    )
    text = handlers.read_text(encoding="utf-8")
    assert code == 0
    assert "\n\nfrom app.door_machine import DoorContext\n\n\nclass DoorHandlers:" in text
    assert "def has_key(self, ctx: DoorContext, /) -> bool:" in text
    assert "def ring_bell(self, ctx: DoorContext, /) -> None:" in text
    assert "Mapping" not in text and "Any" not in text


def test_module_option_adds_the_context_import_in_a_section_of_its_own(
    machine: Path, tmp_path: Path
) -> None:
    handlers = tmp_path / "handlers.py"
    handlers.write_text(USER_CODE, encoding="utf-8")
    code, _, _ = run("scaffold", str(machine), "--handlers", str(handlers), "--module", "door")
    text = handlers.read_text(encoding="utf-8")
    assert code == 0
    assert "from typing import Any\n\nfrom door import DoorContext\n\nlog = " in text
    assert "def has_key( self,ctx ,/ )->bool :" in text
    assert "def is_allowed(self, ctx: DoorContext, /) -> bool:" in text
    code, out, _ = run("scaffold", str(machine), "--handlers", str(handlers), "--module", "door")
    assert code == 0 and "has every guard and action" in out
    assert handlers.read_text(encoding="utf-8") == text


def test_typed_stub_reading_a_misspelt_context_key_fails_mypy(tmp_path: Path) -> None:
    from mypy import api

    (tmp_path / "order_management.py").write_text(generate(ORDER).text, encoding="utf-8")
    handlers = tmp_path / "handlers.py"
    run("scaffold", str(ORDER), "--handlers", str(handlers), "--module", "order_management")
    stub = "raise NotImplementedError(\"guard 'can_cancel' is not implemented yet\")"
    text = handlers.read_text(encoding="utf-8")
    assert stub in text
    use = textwrap.dedent(
        """\
        from handlers import OrderManagementHandlers
        from order_management import OrderManagementActions, OrderManagementGuards

        guards: OrderManagementGuards = OrderManagementHandlers()
        actions: OrderManagementActions = OrderManagementHandlers()
        """
    )
    (tmp_path / "use_handlers.py").write_text(use, encoding="utf-8")
    files = [str(tmp_path / f) for f in ("handlers.py", "use_handlers.py")]
    handlers.write_text(text.replace(stub, 'return ctx["order_qty"] > 0'), encoding="utf-8")
    stdout, stderr, _ = api.run([*MYPY, *files])
    assert "Success: no issues found" in stdout, stdout + stderr
    handlers.write_text(text.replace(stub, 'return ctx["order_qtty"] > 0'), encoding="utf-8")
    stdout, _, status = api.run([*MYPY, *files])
    assert status == 1 and '"order_qtty"' in stdout, stdout


@pytest.mark.parametrize("module", ["app.1machines", "app..order", "app.class", "app-order", ""])
def test_module_option_that_is_no_import_path_is_refused(
    machine: Path, tmp_path: Path, module: str
) -> None:
    handlers = tmp_path / "handlers.py"
    code, out, err = run("scaffold", str(machine), "--handlers", str(handlers), "--module", module)
    assert code == 1
    assert f"module {module!r} is not a dotted Python import path" in err
    assert "Traceback" not in out + err
    assert not handlers.exists()


def test_class_is_appended_when_the_module_lacks_it(machine: Path, tmp_path: Path) -> None:
    handlers = tmp_path / "handlers.py"
    original = '"""Helpers."""\n\nANSWER = 42\n'
    handlers.write_text(original, encoding="utf-8")
    scaffold(machine, handlers)
    text = handlers.read_text(encoding="utf-8")
    assert text.startswith('"""Helpers."""\n\nfrom collections.abc import Mapping\n')
    assert "\n\nANSWER = 42\n\n\nclass DoorHandlers:\n" in text
    assert _method_names(text) == HANDLERS


def test_unparsable_handlers_module_is_an_error_without_traceback(
    machine: Path, tmp_path: Path
) -> None:
    handlers = tmp_path / "handlers.py"
    handlers.write_text("class DoorHandlers:\n    def broken(:\n", encoding="utf-8")
    code, out, err = scaffold(machine, handlers)
    assert code == 1
    assert f"{handlers}:2:" in err and "not valid Python" in err
    assert "Traceback" not in out + err
    assert handlers.read_text(encoding="utf-8") == "class DoorHandlers:\n    def broken(:\n"


def test_machine_errors_are_diagnostics_and_nothing_is_written(
    write_yaml: Write, tmp_path: Path
) -> None:
    broken = write_yaml(MACHINE.replace("dest: locked", "dest: lockd"), "door.yaml")
    code, _, err = scaffold(broken, tmp_path / "handlers.py")
    assert code == 1
    assert "error[PS204]" in err and "Did you mean 'locked'?" in err
    assert not (tmp_path / "handlers.py").exists()


def test_example_handlers_module_has_every_handler() -> None:
    before = (EXAMPLE / "src/app/handlers.py").read_bytes()
    code, out, err = scaffold(
        EXAMPLE / "src/app/machines/order.yaml", EXAMPLE / "src/app/handlers.py"
    )
    assert (code, err) == (0, "")
    assert "OrderHandlers has every guard and action" in out
    assert (EXAMPLE / "src/app/handlers.py").read_bytes() == before
