"""Editors see the generated machine: jedi completes it, pyright checks code that uses it.

Both run on a copy of examples/hatch_project with its module generated as the build hook does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pystator.generator.pipeline import Generated, generate

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "examples" / "hatch_project"
MACHINE = "src/app/machines/order.yaml"

MISSPELT = """\
from app.machines.order import OrderMachine

session = OrderMachine().create(context={"order_id": "1", "amount": 2.0})
session.shp()
"""


@pytest.fixture(scope="module")
def compiled_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Generated]:
    """The example application with `app/machines/order.py` generated in place."""
    project = tmp_path_factory.mktemp("ide") / "hatch_project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("__pycache__"))
    result = generate(project / MACHINE, display_name=MACHINE)
    (project / "src/app/machines/order.py").write_text(result.text, encoding="utf-8")
    return project, result


def test_jedi_completes_every_trigger_method_and_state(
    compiled_project: tuple[Path, Generated],
) -> None:
    import jedi

    project, result = compiled_project
    spec = result.compiled.spec
    source = textwrap.dedent(
        """
        from app.machines.order import OrderMachine, OrderState
        session = OrderMachine().create(context={"order_id": "1", "amount": 2.0})
        session.
        OrderState.
        """
    ).lstrip("\n")
    src = project / "src"
    environment = jedi.Project(path=str(project), added_sys_path=[str(src), str(ROOT)])
    script = jedi.Script(source, path=str(src / "use.py"), project=environment)
    session_names = {c.name for c in script.complete(3, len("session."))}
    state_names = {c.name for c in script.complete(4, len("OrderState."))}
    triggers = {trigger.method for trigger in spec.triggers}
    assert triggers == {"pay", "ship", "deliver", "cancel"}
    assert triggers <= session_names
    assert {state.prop for state in spec.states} <= session_names
    assert {state.member for state in spec.states} <= state_names


@pytest.fixture(scope="module")
def pyright_report(compiled_project: tuple[Path, Generated]) -> dict[str, Any]:
    """One pyright run over the application plus a file with a misspelt trigger."""
    project, _ = compiled_project
    (project / "src/app/misspelt.py").write_text(MISSPELT, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", sys.executable, "src"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.stdout, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _errors(report: dict[str, Any], name: str | None = None) -> list[dict[str, Any]]:
    return [
        d
        for d in report["generalDiagnostics"]
        if d["severity"] == "error" and (name is None or Path(d["file"]).name == name)
    ]


@pytest.mark.slow
def test_pyright_finds_no_error_in_the_example_application(
    pyright_report: dict[str, Any],
) -> None:
    checked = pyright_report["summary"]["filesAnalyzed"]
    others = [d for d in _errors(pyright_report) if Path(d["file"]).name != "misspelt.py"]
    assert checked >= 5
    assert others == [], others


@pytest.mark.slow
def test_pyright_reports_a_misspelt_trigger(pyright_report: dict[str, Any]) -> None:
    errors = _errors(pyright_report, "misspelt.py")
    assert [(e["range"]["start"]["line"] + 1, e["rule"]) for e in errors] == [
        (4, "reportAttributeAccessIssue")
    ]
    assert '"shp"' in errors[0]["message"]
