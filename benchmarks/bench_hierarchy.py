"""A 1,000-state machine nested five deep: compile time, and per-event cost against a
10-state flat machine (both generated, both measured in the same run).

Run `python benchmarks/bench_hierarchy.py [--quick]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import timeit
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _timing import import_path  # noqa: E402

from pystator.generator.pipeline import generate  # noqa: E402


def deep_machine(fanout: int = 4, depth: int = 5) -> dict[str, Any]:
    """A tree of compound states, `depth` levels, ~1,000 states, ring transitions."""
    states: list[dict[str, Any]] = [{"name": "root", "type": "initial"}]
    leaves: list[str] = []

    def grow(parent: str, level: int) -> None:
        kids = [f"{parent}.s{i}" for i in range(fanout)]
        states[[s["name"] for s in states].index(parent)]["initial_child"] = kids[0]
        for kid in kids:
            states.append({"name": kid, "parent": parent, "on_enter": ["enter"]})
            if level + 1 < depth:
                grow(kid, level + 1)
            else:
                leaves.append(kid)

    grow("root", 0)
    transitions = [
        {"trigger": "next", "source": leaf, "dest": leaves[(i + 1) % len(leaves)]}
        for i, leaf in enumerate(leaves)
    ]
    transitions.append({"trigger": "reset", "source": "root", "dest": "root"})
    return {"meta": {"machine_name": "deep"}, "states": states, "transitions": transitions}


def flat_machine(count: int = 10) -> dict[str, Any]:
    names = [f"s{i}" for i in range(count)]
    states = [
        {"name": n, "type": "initial" if i == 0 else "stable", "on_enter": ["enter"]}
        for i, n in enumerate(names)
    ]
    transitions = [
        {"trigger": "next", "source": n, "dest": names[(i + 1) % count]}
        for i, n in enumerate(names)
    ]
    return {"meta": {"machine_name": "flat"}, "states": states, "transitions": transitions}


def load(config: dict[str, Any], directory: Path) -> tuple[Any, float]:
    name = config["meta"]["machine_name"]
    source = directory / f"{name}.yaml"
    source.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    started = time.perf_counter()
    result = generate(source)
    elapsed = time.perf_counter() - started
    path = directory / f"{name}_bench.py"
    path.write_text(result.text, encoding="utf-8")
    return import_path(path, f"{name}_bench"), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small machine, few iterations")
    args = parser.parse_args()
    fanout, number, repeat = (2, 200, 3) if args.quick else (4, 20_000, 15)
    directory = Path(tempfile.mkdtemp())
    deep_config = deep_machine(fanout=fanout)
    deep, compile_s = load(deep_config, directory)
    flat, _ = load(flat_machine(), directory)
    deep_session = deep.DeepMachine().create()
    flat_session = flat.FlatMachine().create()
    deep_times, flat_times = [], []
    for _ in range(repeat):
        deep_times.append(timeit.timeit(lambda: deep_session.send("next"), number=number))
        flat_times.append(timeit.timeit(lambda: flat_session.send("next"), number=number))
    ratio = statistics.median([d / f for d, f in zip(deep_times, flat_times, strict=True)])
    count = len(deep_config["states"])
    print(
        f"nested machine: {count} states, 5 levels; compiled in {compile_s:.2f} s (target < 10 s)"
    )
    print(f"{'measure':<36}{'ns':>8}{'ratio':>8}")
    flat_ns = statistics.median(flat_times) / number * 1e9
    deep_ns = statistics.median(deep_times) / number * 1e9
    print(f"{'10-state flat machine, send':<36}{flat_ns:>8.0f}{1:>7.2f}x")
    print(f"{f'{count}-state nested machine, send':<36}{deep_ns:>8.0f}{ratio:>7.2f}x")


if __name__ == "__main__":
    main()
