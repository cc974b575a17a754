"""The front end's work grows linearly with the machine, whatever the input: counted in
fuzzy comparisons, region lookups, parent links read and guard questions, never timed."""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

import pytest

from pystator.generator import check_transitions, checking, constraints, hierarchy, lower
from pystator.generator.diagnostics import CompileError
from pystator.generator.load import Limits, load_text
from pystator.generator.pipeline import compile_document
from pystator.generator.schema import MachineConfig

SMALL, LARGE = 200, 2000
# Ten times the machine may cost ten times the work; twice that leaves room for the
# logarithmic factors of sorting while still catching anything quadratic (100x).
GROWTH = 2 * LARGE / SMALL

LIMITS = Limits(max_bytes=16 * 1024 * 1024, max_nodes=2_000_000)


def run(text: str) -> None:
    """Validate `text`; only the work counts here, not whether the machine compiles."""
    with contextlib.suppress(CompileError):
        compile_document(load_text(text, limits=LIMITS), limits=LIMITS)


def misspelt_destinations(count: int) -> str:
    states = "\n".join(
        f"  - {{name: state_{index:05d}{', type: initial' if index == 0 else ''}}}"
        for index in range(count)
    )
    transitions = "\n".join(
        f"  - {{trigger: go, source: state_{index:05d}, dest: stat_{(index + 1) % count:05d}}}"
        for index in range(count)
    )
    return f"states:\n{states}\ntransitions:\n{transitions}\n"


def test_fuzzy_comparisons_grow_linearly_with_misspelt_destinations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compared = [0]

    class Counting(difflib.SequenceMatcher[str]):
        def set_seq1(self, a: Any) -> None:
            compared[0] += 1
            super().set_seq1(a)

    monkeypatch.setattr(difflib, "SequenceMatcher", Counting)
    counts = []
    for size in (SMALL, LARGE):
        compared[0] = 0
        run(misspelt_destinations(size))
        counts.append(compared[0])
    assert 0 < counts[1] <= GROWTH * counts[0], counts


def parallel_machine(regions: int) -> str:
    """A parallel state of `regions` two-state regions, every region state also declared
    on its own (as a state with actions would be)."""
    listed = "\n".join(
        f"      - {{name: r{index}, initial: x{index}, states: [x{index}, y{index}]}}"
        for index in range(regions)
    )
    declared = "\n".join(
        f"  - {{name: {name}{index}, on_enter: [log]}}"
        for index in range(regions)
        for name in ("x", "y")
    )
    transitions = "\n".join(
        f"  - {{trigger: t{index}, source: x{index}, dest: y{index}, region: r{index}}}"
        for index in range(regions)
    )
    return (
        "states:\n  - {name: a, type: initial}\n"
        f"  - name: p\n    type: parallel\n    regions:\n{listed}\n"
        f"{declared}\n"
        f"transitions:\n  - {{trigger: go, source: a, dest: p}}\n{transitions}\n"
    )


def test_region_lookups_grow_linearly_with_region_states(monkeypatch: pytest.MonkeyPatch) -> None:
    visited = [0]
    original = checking.region_of

    def counting(config: MachineConfig) -> dict[str, tuple[str, str]]:
        visited[0] += len(config.states)
        return original(config)

    monkeypatch.setattr(checking, "region_of", counting)
    monkeypatch.setattr(check_transitions, "region_of", counting)
    monkeypatch.setattr(lower, "region_of", counting)
    counts = []
    for size in (SMALL, LARGE):
        visited[0] = 0
        run(parallel_machine(size // 2))
        counts.append(visited[0])
    assert 0 < counts[1] <= GROWTH * counts[0], counts


class CountingLinks(Mapping[str, str | None]):
    """Parent links that count how often they are read."""

    def __init__(self, links: Mapping[str, str | None]) -> None:
        self.links = dict(links)
        self.reads = 0

    def __getitem__(self, key: str) -> str | None:
        self.reads += 1
        return self.links[key]

    def get(self, key: str, default: Any = None) -> Any:
        self.reads += 1
        return self.links.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.links)

    def __len__(self) -> int:
        return len(self.links)


def chain(length: int) -> CountingLinks:
    """s0 encloses s1, which encloses s2, ...: the deepest hierarchy of `length` states."""
    return CountingLinks({f"s{i}": f"s{i - 1}" if i else None for i in range(length)})


def every_ancestor(links: Mapping[str, str | None]) -> None:
    tree = replace(hierarchy.build_tree(list(links), {}, {}), parent=links)
    for name in links:
        tree.ancestors(name)


@pytest.mark.parametrize(
    "walk",
    [
        hierarchy.find_cycle,
        hierarchy.depths,
        lambda links: every_ancestor(links),
    ],
    ids=["find_cycle", "depths", "ancestors"],
)
def test_hierarchy_walks_read_each_parent_link_a_bounded_number_of_times(
    walk: Callable[[Mapping[str, str | None]], object],
) -> None:
    reads = []
    for size in (SMALL, LARGE):
        links = chain(size)
        walk(links)
        reads.append(links.reads)
    assert 0 < reads[1] <= GROWTH * reads[0], reads


def guarded_row(candidates: int) -> str:
    transitions = "\n".join(
        f"  - {{trigger: go, source: a, dest: b, guards: [{{expr: '{guard}'}}]}}"
        for guard in (f"x > {index} and y < {index}" for index in range(candidates))
    )
    return (
        "state_variables: [{key: x, type: number}, {key: y, type: number}]\n"
        "states:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\n"
        f"transitions:\n{transitions}\n"
    )


def test_guard_questions_of_the_analysis_stay_bounded_as_a_row_grows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = [0]
    original = constraints.find_point

    def counting(*args: Any, **kwargs: Any) -> Any:
        asked[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(constraints, "find_point", counting)
    counts = []
    for size in (SMALL // 4, LARGE // 4):
        asked[0] = 0
        run(guarded_row(size))
        counts.append(asked[0])
    assert 0 < counts[1] <= GROWTH * counts[0], counts
