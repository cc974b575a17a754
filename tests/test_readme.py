"""README's install commands never send pip to the package index for `pystator`, and
README's Python and shell blocks run as written.

The index's `pystator` is an unrelated project. Every pip command in the READMEs' shell
blocks and inline code installs this one from a path (`.`, `".[api]"`, a checkout) or names
it only with a wheelhouse to take it from (`--find-links`) and either no index at all or
an exact version.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", ROOT / "examples" / "hatch_project" / "README.md"]

SHELL_BLOCK = re.compile(r"^```(bash|sh|shell|console)\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE_PIP = re.compile(r"`((?:python -m )?pip3? [^`]+)`")
# Options of `pip install|wheel|download` that take a value (the next word, or `=value`).
VALUED = {
    "-w",
    "--wheel-dir",
    "-f",
    "--find-links",
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-d",
    "--dest",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "-e",
    "--editable",
}
NAME = re.compile(r"^pystator\s*(\[[^\]]*\])?\s*(?P<spec>[<>=!~].*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class PipCommand:
    line: int  # in the snippet it came from, from 1
    text: str
    options: dict[str, list[str]]
    requirements: list[str]


def pip_commands(shell: str, console: bool = False) -> list[PipCommand]:
    """The `pip install|wheel|download` commands of a shell snippet, with what they name."""
    found = []
    exported: dict[str, str] = {}
    for number, line in enumerate(shell.splitlines(), start=1):
        if console:
            if not line.startswith("$ "):
                continue  # a command's output
            line = line[2:]
        for words in _commands(line):
            if words[:1] == ["export"]:
                exported.update(w.split("=", 1) for w in words[1:] if "=" in w)
                continue
            environment = dict(exported)
            while words and re.match(r"^[A-Z_]+=", words[0]):
                key, value = words.pop(0).split("=", 1)
                environment[key] = value
            if words[:3] == ["python", "-m", "pip"]:
                words = words[2:]
            if words[:1] not in (["pip"], ["pip3"]) or len(words) < 2:
                continue
            if words[1] not in ("install", "wheel", "download"):
                continue
            found.append(_parse(number, shlex.join(words), words[2:], environment))
    return found


def _commands(line: str) -> list[list[str]]:
    """The words of each command on a shell line (split at `&&`, `||`, `;` and `|`)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for word in lexer:
        if word in ("&&", "||", ";", "|", "&"):
            commands.append([])
        else:
            commands[-1].append(word)
    return [words for words in commands if words]


def _parse(line: int, text: str, words: list[str], environment: dict[str, str]) -> PipCommand:
    options: dict[str, list[str]] = {}
    for key, value in environment.items():
        if key.startswith("PIP_"):
            option = "--" + key.removeprefix("PIP_").lower().replace("_", "-")
            options.setdefault(option, []).append(value)
    requirements: list[str] = []
    iterator = iter(words)
    for word in iterator:
        if word.startswith("-"):
            option, has_value, value = word.partition("=")
            if option in VALUED and not has_value:
                value = next(iterator, "")
            options.setdefault(option, []).append(value)
            if option in ("-e", "--editable"):
                requirements.append(value)
        else:
            requirements.append(word)
    return PipCommand(line, text, options, requirements)


def fetches_pystator_by_name_from_the_index(command: PipCommand) -> bool:
    """True when pip could take `pystator` from the index: named, and not bound to a
    wheelhouse with no index or an exact version."""
    wheelhouse = "-f" in command.options or "--find-links" in command.options
    no_index = "--no-index" in command.options
    for requirement in command.requirements:
        named = NAME.match(requirement)
        if named is None:
            continue  # a path, a URL or another package
        pinned = (named["spec"] or "").startswith("==")
        if not (wheelhouse and (no_index or pinned)):
            return True
    return False


def _snippets() -> list[tuple[str, PipCommand]]:
    """Every pip command of the READMEs, with the file and line it is on."""
    found = []
    for readme in READMES:
        text = readme.read_text(encoding="utf-8")
        name = readme.relative_to(ROOT).as_posix()
        for block in SHELL_BLOCK.finditer(text):
            offset = text.count("\n", 0, block.start(2))
            for command in pip_commands(block[2], console=block[1] == "console"):
                found.append((f"{name}:{offset + command.line}", command))
        for inline in INLINE_PIP.finditer(text):
            if not any(b.start() <= inline.start() < b.end() for b in SHELL_BLOCK.finditer(text)):
                line = text.count("\n", 0, inline.start()) + 1
                found += [(f"{name}:{line}", c) for c in pip_commands(inline[1])]
    return found


def test_the_readmes_show_pip_commands_of_both_kinds() -> None:
    commands = [command for _, command in _snippets()]
    assert any(command.requirements == [".[postgres]"] for command in commands)
    assert any(
        "--no-index" in command.options and command.requirements == ["pystator[postgres]"]
        for command in commands
    )


@pytest.mark.parametrize(
    ("where", "command"), _snippets(), ids=lambda value: getattr(value, "text", value)
)
def test_no_readme_command_fetches_pystator_by_name_from_the_index(
    where: str, command: PipCommand
) -> None:
    assert not fetches_pystator_by_name_from_the_index(command), f"{where}: {command.text}"


@pytest.mark.parametrize(
    "text",
    [
        "pip install pystator",
        'pip install "pystator[postgres]"',
        'python -m pip install -U "pystator>=0.1"',
        "pip install --find-links wheelhouse pystator",
        "pip install --no-index pystator",
        "pip wheel -w out pystator hatchling",
        "cd app && pip install -q PyStator",
    ],
)
def test_the_check_catches_a_bare_name(text: str) -> None:
    (command,) = pip_commands(text)
    assert fetches_pystator_by_name_from_the_index(command)


@pytest.mark.parametrize(
    "text",
    [
        "pip install -e .",
        'pip install -e ".[dev]" && python -m pytest -q',
        "pip wheel -w wheelhouse /path/to/pystator hatchling",
        'pip install --no-index --find-links wheelhouse "pystator[api]"',
        'pip install -f wheelhouse "pystator[api]==0.1.0"',
        "PIP_NO_INDEX=1 PIP_FIND_LINKS=wheelhouse pip install pystator",
        "export PIP_FIND_LINKS=w PIP_NO_INDEX=1\npip install pystator",
        "pip install pystator-helpers pystator_contrib",
    ],
)
def test_the_check_accepts_paths_and_wheelhouses(text: str) -> None:
    assert not any(fetches_pystator_by_name_from_the_index(c) for c in pip_commands(text))


@given(
    st.sampled_from(["", "[api]", "[postgres,redis]"]),
    st.sampled_from(["", ">=0.1", "~=0.1", "!=0.0.47"]),
)
def test_any_unpinned_name_without_a_wheelhouse_is_caught(extras: str, spec: str) -> None:
    (command,) = pip_commands(f'pip install "pystator{extras}{spec}"')
    assert fetches_pystator_by_name_from_the_index(command)


# == README's code runs as written =============================================================
#
# Every Python and shell block of README.md is either run below, in a project laid out as
# README's commands assume (its machine in machines/order.yaml, modules compiled into
# app/machines), or listed in NOT_RUN with the reason. Shell blocks run in bash with
# `pystator-gen` and `python` meaning this checkout's.

RUN_BLOCKS = ("python", "bash", "sh", "shell", "console")
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)

NOT_RUN = {
    "pip install -e . && pystator-gen compile examples/order_fsm.yaml": "installs this "
    "checkout; the compile and demo commands are run by tests/test_examples.py",
    'pip install ".[postgres]"': "installs and builds wheels; the commands are checked by "
    "the pip tests above and tests/generator/test_hatch.py builds from a wheelhouse",
    "pip wheel -w ~/wheelhouse /path/to/pystator hatchling": "builds wheels; "
    "tests/generator/test_hatch.py builds the hatch example from a wheelhouse",
    'pip install -e ".[api]" && pystator db seed': "installs and starts servers; "
    "tests/test_cli_api.py, tests/test_cli_db.py and tests/worker run these commands",
    "$ pystator-gen diff tickets_v1.yaml tickets_v2.yaml": "illustrates two versions of a "
    "machine README does not give; tests/generator/test_evolution.py diffs such versions",
    "from pystator.scheduler import AsyncioScheduler, RedisScheduler, CeleryScheduler": "a "
    "fragment continuing the Orchestrator section (`store`, top-level await); the seeds' "
    "scheduler samples run in tests/test_seed_samples.py",
}

# The order the tour runs its blocks in, by first line; Python blocks share one session.
TOUR = (
    "$ pystator-gen compile machines/order.yaml --out-dir app/machines",
    "$ pystator-gen docs machines/*.yaml -o docs/machines",
    "$ pystator-gen scaffold src/app/machines/order.yaml --handlers src/app/handlers.py",
    "from pystator import ActionExecutor",
    "from pystator import FSMError, GuardRejectedError, TerminalStateError",
    "from pystator import ActionRegistry, InMemoryStateStore, Orchestrator",
)


def readme_blocks() -> list[tuple[str, str]]:
    """(language, text) of README's Python and shell blocks."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(m[1], m[2]) for m in BLOCK.finditer(text) if m[1] in RUN_BLOCKS]


def first_line(text: str) -> str:
    return text.splitlines()[0]


def readme_block(start: str) -> str:
    (found,) = [text for _, text in readme_blocks() if first_line(text).startswith(start)]
    return found


def readme_yaml(start: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (found,) = [m[2] for m in BLOCK.finditer(text) if m[1] == "yaml" and m[2].startswith(start)]
    return found


def console_commands(text: str) -> list[str]:
    """The commands of a console block: its `$ ` lines, without the prompt."""
    return [line[2:] for line in text.splitlines() if line.startswith("$ ")]


def test_every_python_and_shell_block_is_run_or_listed() -> None:
    starts = [first_line(text) for _, text in readme_blocks()]
    known = (*TOUR, *NOT_RUN)
    assert [s for s in starts if not any(s.startswith(k) for k in known)] == []
    assert all(any(s.startswith(k) for s in starts) for k in known), "a listed block is gone"


@dataclass
class Project:
    root: Path
    environment: dict[str, str]

    def shell(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command],
            cwd=self.root,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=600,
        )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A directory laid out as README assumes: its machine at machines/order.yaml (and at
    src/app/machines/order.yaml for the scaffold section), with app/ a package."""
    root = tmp_path_factory.mktemp("readme")
    machine = readme_yaml("meta:")
    for directory in ("machines", "src/app/machines", "app/machines", "tests", "docs"):
        (root / directory).mkdir(parents=True, exist_ok=True)
    (root / "machines" / "order.yaml").write_text(machine, encoding="utf-8")
    (root / "src" / "app" / "machines" / "order.yaml").write_text(machine, encoding="utf-8")
    for package in ("app", "app/machines"):
        (root / package / "__init__.py").write_text("", encoding="utf-8")
    tools = root / ".bin"
    tools.mkdir()
    (tools / "pystator-gen").write_text(
        f'#!/bin/sh\nexec {sys.executable} -m pystator.generator.cli "$@"\n', encoding="utf-8"
    )
    (tools / "python").write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n', encoding="utf-8")
    for tool in tools.iterdir():
        tool.chmod(0o755)
    environment = {
        **os.environ,
        "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": f"{root}{os.pathsep}{ROOT}",
    }
    return Project(root, environment)


def run_console_block(project: Project, start: str) -> None:
    for command in console_commands(readme_block(start)):
        done = project.shell(command)
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"


@pytest.fixture(scope="module")
def compiled(project: Project) -> Project:
    """The project after README's compile commands."""
    run_console_block(project, TOUR[0])
    return project


@pytest.fixture(scope="module")
def documented(compiled: Project) -> Project:
    """The project after README's docs, tests and export commands."""
    run_console_block(compiled, TOUR[1])
    return compiled


def test_the_compile_commands_run_as_written(compiled: Project) -> None:
    assert (compiled.root / "app" / "machines" / "order_management.py").is_file()


def test_the_docs_tests_and_export_commands_run_as_written(documented: Project) -> None:
    assert (documented.root / "docs" / "machines" / "order_management.md").is_file()
    assert (documented.root / "order.scxml").read_text(encoding="utf-8").startswith("<?xml")


def test_the_generated_tests_import_under_the_out_dir_layout(documented: Project) -> None:
    done = documented.shell(
        "python -m pytest -q -p no:cacheprovider tests/test_order_management.py"
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_scaffold_command_runs_as_written(project: Project) -> None:
    run_console_block(project, TOUR[2])
    assert "class OrderManagementHandlers" in (project.root / "src/app/handlers.py").read_text()


def test_the_pre_commit_hook_passes_on_the_compiled_project(compiled: Project) -> None:
    project = compiled
    (hook,) = yaml.safe_load(readme_yaml("repos:"))["repos"][0]["hooks"]
    matched = [
        path.relative_to(project.root).as_posix()
        for path in project.root.rglob("*")
        if re.search(hook["files"], path.relative_to(project.root).as_posix())
    ]
    assert matched == ["machines/order.yaml"]
    done = project.shell(f"{hook['entry']} {' '.join(matched)}")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_python_blocks_run_as_one_session(compiled: Project) -> None:
    project = compiled
    session = "\n".join(readme_block(start) for start in TOUR[3:])
    (project.root / "session.py").write_text(session, encoding="utf-8")
    done = project.shell("python session.py")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "order A-1 is open"
    assert lines[2] == "{'reason': 'guard_rejected', 'guard_name': 'expr: fill_qty >= order_qty'}"
    assert lines[3] == "expr: fill_qty >= order_qty OPEN"
    assert lines[4:] == ["order order-123 is open"]
