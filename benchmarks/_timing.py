"""Shared by the benchmark scripts: import generated modules, time two callables fairly,
report figures in the form `run_all.py` collects.

Not a benchmark itself (no `bench_` prefix).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import timeit
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any


def import_path(path: Path, name: str) -> ModuleType:
    """Import the module file at `path` under `name`."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def paired(
    first: Callable[[], object], second: Callable[[], object], number: int, repeat: int
) -> tuple[list[float], list[float]]:
    """Per-call ns of both, measured alternately so that machine noise hits both alike."""
    a_times, b_times = [], []
    for _ in range(repeat):
        a_times.append(timeit.timeit(first, number=number) / number * 1e9)
        b_times.append(timeit.timeit(second, number=number) / number * 1e9)
    return a_times, b_times


# -- figures: what every script reports, for `run_all.py` -----------------------------------

#: The prefix of the one line a script prints with its figures as JSON (its last line).
FIGURES_PREFIX = "FIGURES "


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured target: pystator's `value` next to the hand-written `baseline` of the
    same run (both in `unit`), their `ratio`, and the `target` the ratio should meet.

    `better` says which way the ratio is good: "lower" for costs (time per event, pystator
    over baseline), "higher" for rates (events/s, pystator over baseline). `target` is None
    for a figure reported without a target.
    """

    name: str
    value: float
    baseline: float
    unit: str
    ratio: float
    target: float | None = None
    better: str = "lower"

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.ratio <= self.target if self.better == "lower" else self.ratio >= self.target

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figure:
        return cls(**{field: data[field] for field in cls.__dataclass_fields__ if field in data})


def report(figures: list[Figure]) -> list[Figure]:
    """Print `figures` as the script's last line (`FIGURES [...]`) and return them."""
    print(FIGURES_PREFIX + json.dumps([figure.to_json() for figure in figures]), flush=True)
    return figures


def parse_figures(output: str) -> list[Figure] | None:
    """The figures of a script's output (its `FIGURES` line), or None if it printed none."""
    for line in reversed(output.splitlines()):
        if line.startswith(FIGURES_PREFIX):
            return [Figure.from_json(item) for item in json.loads(line[len(FIGURES_PREFIX) :])]
    return None


def rounds(
    callables: dict[str, Callable[[], object]], number: int, repeat: int
) -> dict[str, list[float]]:
    """Per-call ns of each callable, `repeat` rounds in which each runs once in turn, so
    that figures from one round (e.g. a walk and the creation it includes) share its noise.

    CPU time of this process, not wall time: on a shared machine the time spent waiting
    for a core is not the code's.
    """
    times: dict[str, list[float]] = {name: [] for name in callables}
    for _ in range(repeat):
        for name, fn in callables.items():
            timer = timeit.Timer(fn, timer=time.process_time)
            times[name].append(timer.timeit(number=number) / number * 1e9)
    return times
