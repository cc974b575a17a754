"""Random and garbled machine files never crash the compiler.

Whatever the text, the front end either accepts it or reports diagnostics (CompileError);
what it accepts, the emitter renders into a module that parses. Anything else would be an
internal error in the CLI and a 500 in the API.
"""

from __future__ import annotations

import ast
import copy
import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pystator.generator.diagnostics import CompileError
from pystator.generator.pipeline import generate
from tests.generator.test_random_machines import machines

ROOT = Path(__file__).resolve().parents[2]
SEED = (ROOT / "examples" / "order_fsm.yaml").read_text(encoding="utf-8")

counter = itertools.count()


def front_end(text: str, directory: Path) -> None:
    """Compile `text` as a machine file; diagnostics are fine, any other failure is not."""
    path = directory / f"fuzz_{next(counter)}.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        generated = generate(path)
    except CompileError as exc:
        assert exc.diagnostics
        return
    ast.parse(generated.text)


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Pieces of machine files: structure, keys, names, and characters that YAML, JSON and
# Python treat specially.
TOKENS = (
    "\n", "\n  ", "\n    ", "- ", ": ", "{", "}", "[", "]", ", ", "'", '"', "#", "&a ", "*a",
    "!!int ", "!!str ", "<<: ", "---", "...", "|", ">", "\t", "\r", "\u2028", "\x85", "\\",
    "states", "transitions", "meta", "name", "type", "initial", "terminal", "parallel",
    "trigger", "source", "dest", "guards", "actions", "expr", "check", "after", "timeout",
    "parent", "initial_child", "regions", "events", "payload", "auto", "H(", ")", "H*(",
    "A", "B", "self", "class", "on", "null", "0x1f", "1e999", "-1", "5s", "x > 1", "'a' * n",
)  # fmt: skip


@FUZZ
@given(text=st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_random_token_soup_never_crashes(text: str, work_dir: Path) -> None:
    front_end(text, work_dir)


@FUZZ
@given(text=st.text(max_size=300))
def test_random_text_never_crashes(text: str, work_dir: Path) -> None:
    front_end(text, work_dir)


@st.composite
def garbled(draw: st.DrawFn) -> str:
    """The order example with a few random edits: deletions, insertions, repeats."""
    text = SEED
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["delete", "insert", "repeat", "swap"]))
        if edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif edit == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif edit == "repeat":
            end = min(len(text), at + draw(st.integers(1, 80)))
            text = text[:end] + text[at:end] + text[end:]
        else:
            end = min(len(text), at + draw(st.integers(1, 20)))
            text = text[:at] + text[at:end][::-1] + text[end:]
    return text


@FUZZ
@given(text=garbled())
def test_garbled_machine_files_never_crash(text: str, work_dir: Path) -> None:
    front_end(text, work_dir)


KEYS = (
    "meta", "states", "transitions", "name", "type", "initial", "stable", "terminal",
    "parallel", "trigger", "source", "dest", "guards", "actions", "expr", "check", "field",
    "op", "value", "values", "after", "timeout", "seconds", "destination", "parent",
    "initial_child", "regions", "states", "events", "payload", "auto", "internal", "region",
    "on_enter", "on_exit", "params", "set", "increment", "machine_name", "event_normalizer",
    "state_variables", "key", "default", "required", "error_policy", "default_fallback",
)  # fmt: skip
scalars = st.one_of(
    st.sampled_from(KEYS),
    st.sampled_from(["A", "B", "H(A)", "x > 1", "lower", "self", "1e999", "a\n", "5s"]),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
)
data = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.sampled_from(KEYS), children, max_size=5)
    ),
    max_leaves=40,
)


@FUZZ
@given(document=st.dictionaries(st.sampled_from(KEYS), data, max_size=5))
def test_random_structures_written_as_yaml_never_crash(document: Any, work_dir: Path) -> None:
    front_end(yaml.safe_dump(document, allow_unicode=True), work_dir)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


@st.composite
def mutated_machines(draw: st.DrawFn) -> Any:
    """A random valid-looking machine with a few values replaced, removed or moved: the
    inputs that reach the semantic checks rather than stopping at the YAML syntax."""
    document = copy.deepcopy(draw(machines()))  # it shares constants with other drawings
    for _ in range(draw(st.integers(1, 3))):
        paths = [path for path in _paths(document) if path]
        path = draw(st.sampled_from(paths))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        edit = draw(st.sampled_from(["replace", "remove", "copy"]))
        if edit == "remove":
            del parent[path[-1]]
        elif edit == "replace":
            parent[path[-1]] = draw(data)
        else:
            other = document
            for part in draw(st.sampled_from(paths)):
                other = other[part]
            parent[path[-1]] = copy.deepcopy(other)
    return document


@FUZZ
@given(document=mutated_machines())
def test_mutated_machines_never_crash(document: Any, work_dir: Path) -> None:
    front_end(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), work_dir)
