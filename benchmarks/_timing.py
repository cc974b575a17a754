"""Shared by the benchmark scripts: import generated modules, time two callables fairly.

Not a benchmark itself (no `bench_` prefix).
"""

from __future__ import annotations

import importlib.util
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from types import ModuleType


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
