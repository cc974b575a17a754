"""Generated modules under the type checker and the completion engine, and at import."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pystator.generator.pipeline import generate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

GOOD_USE = """
from order_management import (
    OrderManagementContext,
    OrderManagementMachine,
    OrderManagementSession,
    OrderManagementState,
    OrderManagementTrigger,
)
from collections.abc import Mapping
from typing import Any

from pystator import TransitionResult

machine = OrderManagementMachine()
session: OrderManagementSession = machine.create(context={"order_id": "1", "order_qty": 10})
result: TransitionResult = session.exchange_ack()
session.execution_report(fill_qty=4)
session.execution_report(fill_qty=4.5)
session.cancel()
session.cancel(reason="changed")
state: OrderManagementState = session.current_state
flag: bool = session.is_open
machine.process("OPEN", "cancel", {})
machine.process(OrderManagementState.OPEN, OrderManagementTrigger.CANCEL)
session.send("exchange_ack")
session.exchange_ack(order_id="2", filled_qty=0.0)


def typed_guard(ctx: OrderManagementContext) -> bool:
    return ctx["order_qty"] > ctx.get("filled_qty", 0.0)


class Handlers:
    def can_cancel(self, ctx: Mapping[str, Any], /) -> bool:
        return True

    def notify_open(self, ctx: Mapping[str, Any], /) -> None: ...

    def record_fill(self, ctx: Mapping[str, Any], /) -> None: ...

    def release_buying_power(self, ctx: Mapping[str, Any], /) -> None: ...

    def send_cancel(self, ctx: Mapping[str, Any], /) -> None: ...


class NoGuards:
    pass


bound = OrderManagementMachine(guards=Handlers(), actions=Handlers())
"""

BAD_USE = {
    "misspelt trigger method": "session.exchange_ak()",
    "misspelt trigger literal": 'machine.process("OPEN", "cancle")',
    "misspelt state literal": 'machine.process("OPNE", "cancel")',
    "wrong payload type": 'session.execution_report(fill_qty="4")',
    "missing payload": "session.execution_report()",
    "unknown payload": "session.execution_report(fill_qty=1, qty=2)",
    "misspelt state property": "session.is_opne",
    "missing required context key": 'machine.create(context={"order_id": "1"})',
    "handlers lacking a guard": "OrderManagementMachine(guards=NoGuards())",
    "misspelt public name": "from pystator import TransitionResul",
    "misspelt context key in a guard": (
        'def bad_guard(ctx: OrderManagementContext) -> bool: return ctx["order_qtty"] > 0'
    ),
    "handler taking a context of the wrong type": (
        "class BadGuards:\n"
        "    def can_cancel(self, ctx: Mapping[str, str], /) -> bool: return True\n"
        "OrderManagementMachine(guards=BadGuards())"
    ),
    "misspelt keyword of a trigger without fields": "session.exchange_ack(bogus=1)",
    "timer event sent by name": 'session.send("_timeout_PENDING_NEW")',
}


@pytest.fixture(scope="module")
def typed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("typed")
    for path in sorted(EXAMPLES.glob("*.yaml")):
        result = generate(path)
        (directory / f"{result.module_name}.py").write_text(result.text, encoding="utf-8")
    return directory


def _mypy(directory: Path, *files: str) -> tuple[int, str]:
    from mypy import api

    stdout, stderr, status = api.run(
        [
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "--python-version=3.11",
            "--config-file=",
            *(str(directory / f) for f in files),
        ]
    )
    return status, stdout + stderr


def test_generated_examples_pass_mypy_strict(typed_dir: Path) -> None:
    modules = sorted(p.name for p in typed_dir.glob("*.py"))
    status, output = _mypy(typed_dir, *modules)
    assert status == 0, output


def test_correct_use_type_checks_and_mistakes_do_not(typed_dir: Path) -> None:
    header = GOOD_USE
    (typed_dir / "good_use.py").write_text(header, encoding="utf-8")
    lines = [header, ""]
    expected: dict[int, str] = {}
    for label, statement in BAD_USE.items():
        lines.append(statement)
        expected[len("\n".join(lines).splitlines())] = label
    (typed_dir / "bad_use.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    status, output = _mypy(typed_dir, "good_use.py")
    assert status == 0, output
    status, output = _mypy(typed_dir, "bad_use.py")
    assert status == 1
    flagged = {
        int(line.split(":")[1])
        for line in output.splitlines()
        if line.startswith(str(typed_dir / "bad_use.py")) and ": error:" in line
    }
    missed = [label for line, label in expected.items() if line not in flagged]
    assert not missed, f"mypy accepted: {missed}\n{output}"


def test_jedi_completes_triggers_states_and_properties(typed_dir: Path) -> None:
    import jedi

    source = textwrap.dedent(
        """
        from order_management import OrderManagementMachine, OrderManagementState
        session = OrderManagementMachine().create(context={"order_id": "1", "order_qty": 1})
        session.
        OrderManagementState.
        """
    ).lstrip("\n")
    project = jedi.Project(path=str(typed_dir), added_sys_path=[str(typed_dir), str(ROOT)])
    script = jedi.Script(source, path=str(typed_dir / "use.py"), project=project)
    session_names = {c.name for c in script.complete(3, len("session."))}
    state_names = {c.name for c in script.complete(4, len("OrderManagementState."))}
    assert {"exchange_ack", "exchange_reject", "execution_report", "cancel"} <= session_names
    assert {
        "is_pending_new",
        "is_open",
        "is_partially_filled",
        "is_filled",
        "is_cancelled",
        "is_rejected",
    } <= session_names
    assert {"PENDING_NEW", "OPEN", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "REJECTED"} <= (
        state_names
    )


def test_importing_a_generated_module_loads_no_compiler_dependency(typed_dir: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        import order_management
        machine = order_management.OrderManagementMachine()
        machine.create().exchange_ack()
        heavy = {"yaml", "pydantic", "jinja2", "black", "libcst", "click", "mypy"}
        loaded = sorted(name for name in sys.modules if name.split(".")[0] in heavy)
        print(",".join(loaded))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=typed_dir,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == ""
