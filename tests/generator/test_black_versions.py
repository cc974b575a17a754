"""The black range in pyproject.toml: its oldest and newest releases format alike.

Generated modules, generated tests and scaffolded handlers go through whatever black is
installed, so every black the dependency allows must leave the golden modules unchanged and
regenerate them byte for byte. Each end of the range is installed into a directory of its
own, put first on the path of a fresh interpreter that formats and regenerates them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from pystator.generator.pipeline import compile_path, generate
from pystator.generator.scaffold import scaffold
from pystator.generator.testgen import render_tests

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
GOLDEN = ROOT / "tests" / "golden"

# Runs under the black being tested: every text pystator formats with black, by name.
OUTPUTS = """
import json, sys
from pathlib import Path
import black
from pystator.generator.emit import BLACK_MODE
from pystator.generator.pipeline import compile_path, generate
from pystator.generator.scaffold import scaffold
from pystator.generator.testgen import render_tests

golden = sorted(Path(sys.argv[2]).glob("*.py"))
unchanged = {
    path.name: black.format_str(path.read_text("utf-8"), mode=BLACK_MODE) == path.read_text("utf-8")
    for path in golden
}
texts = {}
for path in map(Path, sys.argv[3:]):
    texts["module " + path.name] = generate(path, display_name="examples/" + path.name).text
    spec = compile_path(path, path.name).spec
    texts["tests " + path.name] = render_tests(spec, source_name=path.name).text
    texts["handlers " + path.name] = scaffold(path, sys.argv[1]).text
print(json.dumps({"black": black.__version__, "file": black.__file__, "unchanged": unchanged,
                  "texts": texts}))
"""


def _outputs_here(handlers: Path) -> dict[str, str]:
    texts = {}
    for path in EXAMPLES:
        texts["module " + path.name] = generate(path, display_name=f"examples/{path.name}").text
        spec = compile_path(path, path.name).spec
        texts["tests " + path.name] = render_tests(spec, source_name=path.name).text
        texts["handlers " + path.name] = scaffold(path, handlers).text
    return texts


def _black_requirement() -> Requirement:
    with (ROOT / "pyproject.toml").open("rb") as stream:
        dependencies = tomllib.load(stream)["project"]["dependencies"]
    (black,) = [Requirement(d) for d in dependencies if Requirement(d).name == "black"]
    return black


def _oldest(requirement: Requirement) -> str:
    (lower,) = [spec.version for spec in requirement.specifier if spec.operator == ">="]
    return lower


@pytest.fixture(scope="module")
def handlers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A handlers module path that does not exist: scaffold computes a fresh one."""
    return tmp_path_factory.mktemp("handlers") / "handlers.py"


@pytest.mark.slow
@pytest.mark.parametrize("end", ["oldest", "newest"])
def test_both_ends_of_the_black_range_give_the_golden_output(
    end: str, tmp_path: Path, handlers: Path
) -> None:
    requirement = _black_requirement()
    wanted = f"black=={_oldest(requirement)}" if end == "oldest" else str(requirement)
    target = tmp_path / "black"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # Black's own dependencies come from this environment, which satisfies the range.
    install = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target"]
    installed = subprocess.run(
        [*install, str(target), wanted], env=env, capture_output=True, text=True, timeout=300
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    env["PYTHONPATH"] = os.pathsep.join([str(target), str(ROOT)])
    run = subprocess.run(
        [sys.executable, "-c", OUTPUTS, str(handlers), str(GOLDEN), *map(str, EXAMPLES)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert Path(result["file"]).is_relative_to(target), "the environment's black was used"
    version = Version(result["black"])
    assert version in requirement.specifier
    if end == "oldest":
        assert version == Version(_oldest(requirement))
    assert result["unchanged"] == {path.name: True for path in GOLDEN.glob("*.py")}
    texts: dict[str, str] = result["texts"]
    for path in EXAMPLES:
        golden = GOLDEN / f"{generate(path).module_name}.py"
        assert texts[f"module {path.name}"] == golden.read_text(encoding="utf-8"), path.name
    assert texts == _outputs_here(handlers)
