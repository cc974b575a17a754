"""Public packages resolve their names on first use, yet export exactly what they declare.

Covers pystator, pystator.runtime, its stores and its schedulers: what `import` alone loads,
what a touched name loads, and that type checkers and editors still see every name.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from importlib import import_module
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAZY_PACKAGES = (
    "pystator.runtime",
    "pystator.runtime.stores",
    "pystator.runtime.scheduler",
)
# Package -> the lazy package whose names it gives again.
REEXPORTING_PACKAGES = {
    "pystator": "pystator.runtime",
    "pystator.errors": "pystator.runtime",
    "pystator.stores": "pystator.runtime.stores",
    "pystator.scheduler": "pystator.runtime.scheduler",
}


def _fresh(code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a new interpreter that imports pystator from this checkout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _loaded_after(code: str) -> set[str]:
    """The modules loaded once `code` has run in a fresh interpreter."""
    result = _fresh(code + "\nimport sys\nprint(' '.join(sys.modules))\n")
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def _type_checking_imports(package: ModuleType) -> list[ast.ImportFrom]:
    """The statements of the package's `if TYPE_CHECKING:` block, all of them imports."""
    assert package.__file__ is not None
    tree = ast.parse(Path(package.__file__).read_text(encoding="utf-8"))
    found: list[ast.ImportFrom] = []
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom) and statement.module is not None
                found.append(statement)
    return found


def _lazy_table(package: ModuleType) -> dict[str, str]:
    """Name -> module, as the package resolves them at run time."""
    sources: dict[str, tuple[str, ...]] = package._SOURCES
    return {name: module for module, names in sources.items() for name in names}


def test_import_pystator_loads_no_part_of_the_runtime() -> None:
    loaded = _loaded_after("import pystator")
    assert {name for name in loaded if name.startswith("pystator")} == {
        "pystator",
        "pystator._lazy",
        "pystator._version",
    }


def test_touching_the_orchestrator_loads_it_without_durable_stores_or_schedulers() -> None:
    loaded = _loaded_after("import pystator\npystator.Orchestrator")
    assert "pystator.runtime.orchestrator" in loaded
    unwanted = {
        "sqlite3",
        "pystator.runtime.stores.sqlite",
        "pystator.runtime.stores.postgres",
        "pystator.runtime.stores.redis",
        "pystator.runtime.scheduler.asyncio_scheduler",
        "pystator.runtime.scheduler.redis_scheduler",
        "pystator.runtime.scheduler.celery_scheduler",
    }
    assert sorted(loaded & unwanted) == []


def test_touching_a_store_loads_that_store_only() -> None:
    loaded = _loaded_after("from pystator import SQLiteStateStore")
    assert {"pystator.runtime.stores.sqlite", "sqlite3"} <= loaded
    assert "pystator.runtime.stores.redis" not in loaded
    assert "pystator.runtime.orchestrator" not in loaded


@pytest.mark.parametrize("package_name", LAZY_PACKAGES)
def test_every_public_name_is_the_object_its_module_defines(package_name: str) -> None:
    package = import_module(package_name)
    for name, module in _lazy_table(package).items():
        assert getattr(package, name) is getattr(import_module(module), name), name


@pytest.mark.parametrize("package_name", LAZY_PACKAGES)
def test_type_checkers_see_exactly_the_names_resolved_at_run_time(package_name: str) -> None:
    package = import_module(package_name)
    imported = {
        alias.name: statement.module
        for statement in _type_checking_imports(package)
        for alias in statement.names
    }
    assert imported == _lazy_table(package)


@pytest.mark.parametrize("package_name", LAZY_PACKAGES)
def test_type_checkers_see_every_lazy_name_as_exported(package_name: str) -> None:
    package = import_module(package_name)
    aliases = [alias for statement in _type_checking_imports(package) for alias in statement.names]
    assert [alias.name for alias in aliases if alias.asname != alias.name] == []


@pytest.mark.parametrize("package_name", LAZY_PACKAGES)
def test_all_lists_exactly_the_lazy_names(package_name: str) -> None:
    package = import_module(package_name)
    assert package.__all__ == sorted(_lazy_table(package))


@pytest.mark.parametrize(("package_name", "source"), REEXPORTING_PACKAGES.items())
def test_a_reexporting_package_gives_its_sources_own_objects(
    package_name: str, source: str
) -> None:
    package = import_module(package_name)
    names = [name for name in package.__all__ if name != "__version__"]
    assert names
    for name in names:
        assert getattr(package, name) is getattr(import_module(source), name), name


@pytest.mark.parametrize("package_name", ["pystator", "pystator.stores", "pystator.scheduler"])
def test_type_checkers_see_a_reexporting_package_as_its_sources_star_import(
    package_name: str,
) -> None:
    (statement,) = _type_checking_imports(import_module(package_name))
    assert statement.module == REEXPORTING_PACKAGES[package_name]
    assert [alias.name for alias in statement.names] == ["*"]


@pytest.mark.parametrize(
    ("package_name", "source"),
    [
        ("pystator.stores", "pystator.runtime.stores"),
        ("pystator.scheduler", "pystator.runtime.scheduler"),
    ],
)
def test_a_public_home_exports_every_name_of_its_runtime_package(
    package_name: str, source: str
) -> None:
    assert import_module(package_name).__all__ == import_module(source).__all__


def test_pystator_errors_exports_every_error_the_runtime_exports() -> None:
    runtime_errors = import_module("pystator.runtime")._SOURCES["pystator.runtime.errors"]
    assert import_module("pystator.errors").__all__ == sorted(runtime_errors)


def test_pystator_exports_every_runtime_name_and_its_version() -> None:
    exported = import_module("pystator").__all__
    assert set(exported) == {*import_module("pystator.runtime").__all__, "__version__"}


def test_star_import_binds_every_public_name() -> None:
    namespace: dict[str, object] = {}
    exec("from pystator import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(import_module("pystator").__all__)


def test_dir_lists_public_names_before_they_are_loaded() -> None:
    result = _fresh(
        """
        import sys
        import pystator.runtime
        assert "Orchestrator" in dir(pystator)
        assert "SQLiteStateStore" in dir(pystator.runtime)
        print("pystator.runtime.orchestrator" in sys.modules)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_resolved_name_is_kept_in_the_package_namespace() -> None:
    import pystator

    machine_class = pystator.StateMachine
    assert vars(pystator)["StateMachine"] is machine_class


def test_an_unknown_name_raises_attribute_error_naming_the_closest_public_name() -> None:
    result = _fresh("import pystator\npystator.Orchestator\n")
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line == (
        "AttributeError: module 'pystator' has no attribute 'Orchestator'. "
        "Did you mean: 'Orchestrator'?"
    )


def test_a_submodule_is_reachable_as_an_attribute_of_an_imported_package() -> None:
    result = _fresh("import pystator\nprint(pystator.runtime.stores.sqlite.SQLiteStateStore)\n")
    assert result.returncode == 0, result.stderr
    assert "pystator.runtime.stores.sqlite.SQLiteStateStore" in result.stdout


def test_a_failing_import_inside_a_submodule_is_not_reported_as_a_missing_attribute(
    tmp_path: Path,
) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from pystator._lazy import lazy_exports\n"
        "__getattr__, __dir__, __all__ = lazy_exports(__name__, {})\n",
        encoding="utf-8",
    )
    (package / "broken.py").write_text("import no_such_dependency\n", encoding="utf-8")
    result = _fresh(f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\nimport pkg\npkg.broken\n")
    assert "ModuleNotFoundError: No module named 'no_such_dependency'" in result.stderr


def test_submodules_are_still_importable_through_a_lazy_package() -> None:
    from pystator.runtime import expr
    from pystator.runtime.stores import _codec

    assert expr.__name__ == "pystator.runtime.expr"
    assert _codec.__name__ == "pystator.runtime.stores._codec"


def test_jedi_completes_and_follows_lazy_names() -> None:
    import jedi

    source = "import pystator\nfrom pystator import Orch\npystator.Orchestrator.\n"
    project = jedi.Project(path=str(ROOT))
    script = jedi.Script(source, path=str(ROOT / "use.py"), project=project)
    # The class first, then the documents' module paths beside it.
    assert [c.name for c in script.complete(2, len("from pystator import Orch"))] == [
        "Orchestrator",
        "orchestration",
        "orchestrator",
    ]
    assert "process_event" in {c.name for c in script.complete(3, len("pystator.Orchestrator."))}
    (definition,) = script.goto(3, len("pystator.Orch"), follow_imports=True)
    assert definition.module_path == ROOT / "pystator" / "runtime" / "orchestrator" / "runner.py"
