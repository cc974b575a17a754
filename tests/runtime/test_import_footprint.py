"""What importing and running a generated module loads: the engine, and nothing else.

Each measurement runs in a fresh interpreter, so modules this test session imported don't count.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "order_management.py"

# The whole of pystator that a generated module may load. A module joining this set makes
# every generated import slower; add it here only when the engine really needs it.
ENGINE_MODULES = {
    "pystator",
    "pystator._lazy",
    "pystator._version",
    "pystator.runtime",
    "pystator.runtime.actions",
    "pystator.runtime.drivers",
    "pystator.runtime.engine",
    "pystator.runtime.errors",
    "pystator.runtime.expr",
    "pystator.runtime.guards",
    "pystator.runtime.hooks",
    "pystator.runtime.machine",
    "pystator.runtime.parallel",
    "pystator.runtime.registry",
    "pystator.runtime.results",
    "pystator.runtime.session",
    "pystator.runtime.spec",
    "pystator.runtime.steps",
    "pystator.runtime.timers",
    "pystator.runtime.validation",
}

# Top-level packages a generated module must not load: the compiler's dependencies, the
# optional backends, and standard modules only stores, schedulers or the orchestrator need.
HEAVY = {
    "yaml",
    "pydantic",
    "jinja2",
    "black",
    "libcst",
    "click",
    "mypy",
    "psycopg",
    "psycopg_pool",
    "redis",
    "celery",
    "sqlite3",
    "asyncio",
    "json",
    "logging",
}

# Prints the modules loaded by the import, then those loaded by running transitions.
PROBE = textwrap.dedent(
    """
    import sys

    before = set(sys.modules)
    import order_management

    imported = set(sys.modules)
    session = order_management.OrderManagementMachine().create(
        context={"order_id": "1", "order_qty": 10}
    )
    session.exchange_ack()
    session.execution_report(fill_qty=4)
    session.pending_timers
    print(" ".join(sorted(imported - before)))
    print(" ".join(sorted(set(sys.modules) - imported)))
    print(" ".join(sorted(sys.modules)))
    """
)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """Module names from one fresh interpreter: by the import, by running, and all at the end."""
    directory = tmp_path_factory.mktemp("footprint")
    shutil.copy(GOLDEN, directory / GOLDEN.name)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(directory), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    imported, ran, everything = result.stdout.splitlines()
    return {
        "import": set(imported.split()),
        "run": set(ran.split()),
        "all": set(everything.split()),
    }


def _pystator(names: set[str]) -> set[str]:
    return {name for name in names if name.split(".")[0] == "pystator"}


def test_importing_a_generated_module_loads_exactly_the_engine(
    loaded: dict[str, set[str]],
) -> None:
    assert _pystator(loaded["import"]) == ENGINE_MODULES


def test_running_transitions_of_a_generated_module_loads_no_further_pystator_module(
    loaded: dict[str, set[str]],
) -> None:
    assert _pystator(loaded["run"]) == set()


def test_a_generated_module_loads_no_compiler_backend_or_service_dependency(
    loaded: dict[str, set[str]],
) -> None:
    assert sorted(name for name in loaded["all"] if name.split(".")[0] in HEAVY) == []
