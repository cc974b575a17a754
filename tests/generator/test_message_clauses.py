"""No diagnostic says a thing twice: for any malformed machine, no message repeats a clause
("invalid syntax: invalid syntax"), and no unknown key is suggested as its own correction."""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pystator.generator.diagnostics import CompileError, Diagnostic
from pystator.generator.load import load_text
from pystator.generator.pipeline import compile_document

BASE: dict[str, Any] = {
    "meta": {"machine_name": "door", "state_variables": [{"key": "n", "type": "integer"}]},
    "states": [
        {"name": "IDLE", "type": "initial"},
        {"name": "BUSY", "timeout": {"seconds": 5, "destination": "IDLE"}, "on_enter": ["log"]},
        {"name": "DONE", "type": "terminal"},
    ],
    "transitions": [
        {"trigger": "go", "source": "IDLE", "dest": "BUSY", "guards": [{"expr": "n > 1"}]},
        {
            "trigger": "stop",
            "source": ["BUSY"],
            "dest": "DONE",
            "after": "5s",
            "guards": [{"check": {"field": "n", "op": "gt", "value": 1}}],
            "actions": [{"set": {"n": 0}}],
        },
    ],
    "events": [{"name": "go", "payload": {"amount": "number"}}],
}

words = st.text("abcdefgnorstuyIOBEDN_", min_size=1, max_size=8)
# Values that look like what a hurried author writes where something else belongs.
slips = st.sampled_from(
    ["a >", "(", "x y", "1 +", "len(", "a.b", "n = 1", "5x", "-1s", "H(", "H(IDLE)", "inital"]
)
junk = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(-1, 1e6), words, slips),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(words, inner, max_size=3)),
    max_leaves=6,
)


def containers(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if isinstance(data, dict | list) else []
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    for key, value in items:
        found += containers(value, (*path, key))
    return found


def at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


@st.composite
def malformed(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        target = at(data, draw(st.sampled_from(containers(data))))
        keys = list(target) if isinstance(target, dict) else list(range(len(target)))
        if keys and draw(st.booleans()):
            key = draw(st.sampled_from(keys))
            if draw(st.booleans()):
                target[key] = draw(junk)
            else:
                del target[key]
        elif isinstance(target, dict):
            target[draw(st.one_of(words, st.sampled_from(["gaurds", "tpye", "parnet"])))] = draw(
                junk
            )
        else:
            target.append(draw(junk))
    return data


def clauses(text: str) -> list[str]:
    parts = re.split(r"[:;,.?!()]\s+|\s+-\s+", text)
    return [part.strip(" .").lower() for part in parts if len(part.split()) >= 2]


def diagnostics_of(text: str) -> list[Diagnostic]:
    try:
        compiled = compile_document(load_text(text))
    except CompileError as exc:
        return list(exc.diagnostics)
    return list(compiled.warnings)


def assert_said_once(diagnostic: Diagnostic) -> None:
    said = clauses(diagnostic.message)
    assert len(said) == len(set(said)), diagnostic.format()
    if diagnostic.code == "PS101":
        key = re.match(r"unknown key (.+?) in ", diagnostic.message)
        assert key is not None and f"Did you mean {key.group(1)}?" != diagnostic.hint


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(malformed())
def test_no_message_about_a_malformed_machine_repeats_a_clause(data: dict[str, Any]) -> None:
    for diagnostic in diagnostics_of(yaml.safe_dump(data, sort_keys=False)):
        assert_said_once(diagnostic)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(list(":-[]{}#&*!|>'\"%@`\t ,?")))
def test_no_message_about_broken_yaml_repeats_a_clause(where: int, character: str) -> None:
    text = yaml.safe_dump(BASE, sort_keys=False)
    position = where % (len(text) + 1)
    for diagnostic in diagnostics_of(text[:position] + character + text[position:]):
        assert_said_once(diagnostic)


def test_a_guard_with_bad_syntax_says_invalid_syntax_once() -> None:
    broken = copy.deepcopy(BASE)
    broken["transitions"][0]["guards"] = [{"expr": "n >"}]
    (found,) = diagnostics_of(yaml.safe_dump(broken))
    assert found.code == "PS206" and found.message.count("invalid syntax") == 1


def test_the_clause_check_catches_a_repeated_clause() -> None:
    repeated = Diagnostic(
        "PS206", "guard 'a >' is not allowed: invalid syntax: invalid syntax.", "f"
    )
    assert clauses(repeated.message).count("invalid syntax") == 2
