"""README's install commands never send pip to the package index for `pystator`.

The index's `pystator` is an unrelated project. Every pip command in the READMEs' shell
blocks and inline code installs this one from a path (`.`, `".[api]"`, a checkout) or names
it only with a wheelhouse to take it from (`--find-links`) and either no index at all or
an exact version.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
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
