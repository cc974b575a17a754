"""libyaml, where installed, parses for the composer (and composes trees it measures
afterwards): every document loads to the same data and positions as with PyYAML's own
parser, and errors are PyYAML's."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pystator.generator import yaml_source
from pystator.generator.diagnostics import CompileError
from pystator.generator.load import Document, Limits, load_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
TEXTS = [
    "a: 1\r\nb: [x, 'y', \"z\\u00e9\"]\r\n",
    "name: caf\u00e9\nstates:\n  - {name: \u00e9t\u00e9}\n  - &s {name: b}\n  - *s\n",
    "x: |\n  line one\n  line two\ny: >-\n  folded\n  text\n",
    "? complex\n: value\n",
]
BROKEN = ["a: [1, 2\n", "a: 1\n a: 2\n", "- a\nb: c\n", "a: *missing\n", "\ta: 1\n"]
# No longer than the node limit below, so that libyaml composes them, and over a limit
# its tree is then measured against.
LIMITS = Limits(max_nodes=100, max_depth=20, max_aliases=0)
OVER_LIMITS = ["a: " + "[" * 30 + "]" * 30 + "\n", "a: &x [1]\nb: *x\n", "a: *x\n"]


def _pure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_source, "_CParser", None)


def _events_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_source, "_NESTING_BOUNDED", False)


def _loaded(text: str, limits: Limits | None = None) -> Document | str:
    try:
        return load_text(text, "m.yaml", limits=limits)
    except CompileError as exc:
        return repr(exc.diagnostics)


def _same(first: Document | str, second: Document | str) -> bool:
    if isinstance(first, str) or isinstance(second, str):
        return first == second
    return (first.data, first.positions, first.key_positions) == (
        second.data,
        second.positions,
        second.key_positions,
    )


@pytest.mark.parametrize("text", [p.read_text(encoding="utf-8") for p in EXAMPLES] + TEXTS)
def test_both_parsers_give_the_same_data_and_positions(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _loaded(text)
    _pure(monkeypatch)
    assert _same(fast, _loaded(text))


@pytest.mark.parametrize("text", BROKEN)
def test_errors_are_described_as_pyyaml_describes_them(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _loaded(text)
    _pure(monkeypatch)
    assert isinstance(fast, str)
    assert fast == _loaded(text)


@pytest.mark.parametrize("text", [p.read_text(encoding="utf-8") for p in EXAMPLES] + TEXTS)
def test_libyaml_trees_load_as_composed_from_its_events(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = _loaded(text)
    _events_only(monkeypatch)
    assert _same(tree, _loaded(text))


@pytest.mark.parametrize("text", BROKEN + OVER_LIMITS)
def test_libyaml_trees_over_a_limit_or_broken_get_the_diagnostic_of_bounded_composing(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = _loaded(text, LIMITS)
    _events_only(monkeypatch)
    assert isinstance(tree, str)
    assert tree == _loaded(text, LIMITS)
    _pure(monkeypatch)
    assert tree == _loaded(text, LIMITS)


SCALARS = [
    *("", "~", "null", "Null", "yes", "off", "1", "-0x1F", "1_000", "1.5", "1e5", "-.inf"),
    *(".NaN", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "<<", "=", "abc", "nothing", "1:30"),
]


@pytest.mark.parametrize("value", SCALARS)
@pytest.mark.parametrize("implicit", [(True, False), (False, True), (False, False)])
def test_scalars_resolve_to_the_tags_pyyaml_resolves(
    value: str, implicit: tuple[bool, bool]
) -> None:
    resolver = yaml_source._Resolver()
    expected = yaml.resolver.BaseResolver.resolve(resolver, yaml.ScalarNode, value, implicit)
    assert resolver.resolve(yaml.ScalarNode, value, implicit) == expected
