"""Per-event cost of generated flat machines of 10 and 10,000 states against hand-written
dict-dispatch machines of the same states, walked event by event.

Each machine is a ring: `next` leads from every state to the following one and from the
last back to the first, so a session walks it for ever. The hand-written machine holds
the same table in a dict keyed by (state, trigger) and does the same per event: look the
pair up, take the route, switch state, return what fired. Run:

    python benchmarks/bench_scale.py            # 10 and 10,000 states
    python benchmarks/bench_scale.py --quick    # 10 and 200 states, few iterations
    python benchmarks/bench_scale.py --states 10 1000   # other sizes
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _timing import Figure, import_path, report, rounds  # noqa: E402

from pystator.generator.load import Limits  # noqa: E402
from pystator.generator.pipeline import generate  # noqa: E402

LIMITS = Limits(max_bytes=64 * 1024 * 1024, max_nodes=5_000_000)


def ring(count: int) -> dict[str, Any]:
    names = [f"s{i}" for i in range(count)]
    states = [{"name": n, "type": "initial" if i == 0 else "stable"} for i, n in enumerate(names)]
    transitions = [
        {"trigger": "next", "source": n, "dest": names[(i + 1) % count]}
        for i, n in enumerate(names)
    ]
    meta = {"machine_name": f"ring{count}"}
    return {"meta": meta, "states": states, "transitions": transitions}


def compiled(count: int, directory: Path) -> tuple[Any, float]:
    """The generated module of the `count`-state ring, compiled once into `directory`."""
    name = f"ring{count}"
    path = directory / f"{name}_bench.py"
    started = time.perf_counter()
    source = directory / f"{name}.yaml"
    source.write_text(yaml.safe_dump(ring(count), sort_keys=False), encoding="utf-8")
    path.write_text(generate(source, limits=LIMITS).text, encoding="utf-8")
    return import_path(path, f"{name}_bench"), time.perf_counter() - started


# -- the hand-written baseline ------------------------------------------------------------

Route = tuple[Callable[[dict[str, Any]], bool] | None, str, tuple[str, ...]]


def hand_machine(count: int) -> tuple[type[Any], Callable[..., Any]]:
    """A dict-dispatch class and lookup function for the `count`-state ring."""
    names = [f"s{i}" for i in range(count)]
    table: dict[tuple[str, str], tuple[Route, ...]] = {
        (n, "next"): ((None, names[(i + 1) % count], ()),) for i, n in enumerate(names)
    }

    class HandRing:
        __slots__ = ("context", "state")

        def __init__(self, context: dict[str, Any]) -> None:
            self.state = "s0"
            self.context = {**context}

        def send(self, trigger: str, **payload: Any) -> tuple[str, tuple[str, ...]] | None:
            routes = table.get((self.state, trigger))
            if routes is None:
                return None
            ctx = {**self.context, **payload} if payload else self.context
            for guard, target, actions in routes:
                if guard is None or guard(ctx):
                    self.state = target
                    self.context = ctx
                    return target, actions
            return None

    def process(
        state: str, trigger: str, ctx: dict[str, Any]
    ) -> tuple[str, tuple[str, ...]] | None:
        for guard, target, actions in table.get((state, trigger), ()):
            if guard is None or guard(ctx):
                return target, actions
        return None

    return HandRing, process


# -- measuring ----------------------------------------------------------------------------


def measure(count: int, directory: Path, events: int, number: int, repeat: int) -> list[Figure]:
    module, compile_s = compiled(count, directory)
    machine_class = getattr(module, f"Ring{count}Machine")
    machine = machine_class()
    hand_class, hand_process = hand_machine(count)
    session, hand = machine.create(), hand_class({})
    names = [f"s{i}" for i in range(count)]
    # Spread over the whole table, so that a large machine is not read in one corner.
    visits = [names[(i * 7919) % count] for i in range(events)]
    walk = range(events)
    process = machine.process
    empty: dict[str, Any] = {}

    def generated_methods() -> None:
        for _ in walk:
            session.next()

    def generated_send() -> None:
        for _ in walk:
            session.send("next")

    def hand_send() -> None:
        for _ in walk:
            hand.send("next")

    def generated_process() -> None:
        for state in visits:
            process(state, "next")

    def hand_process_walk() -> None:
        for state in visits:
            hand_process(state, "next", empty)

    def generated_create() -> None:
        machine.create()

    def hand_create() -> None:
        hand_class(empty)

    assert session.send("next").target_state == hand.send("next")[0] == "s1"
    t = rounds(
        {
            "g_methods": generated_methods,
            "g_send": generated_send,
            "h_send": hand_send,
            "g_process": generated_process,
            "h_process": hand_process_walk,
        },
        number,
        repeat,
    )
    t |= rounds({"g_create": generated_create, "h_create": hand_create}, number * events, repeat)
    median = statistics.median
    rows = [
        ("trigger methods, per event", "g_methods", "h_send", events, 1.3),
        ("session.send, per event", "g_send", "h_send", events, 1.3),
        ("process(), per event", "g_process", "h_process", events, 1.2),
        ("session creation", "g_create", "h_create", 1, 1.5),
    ]
    print(
        f"{count}-state ring (compiled and imported in {compile_s:.1f} s), "
        f"medians of {repeat} interleaved rounds (ns)"
    )
    print(f"{'measure':<28}{'generated':>12}{'hand-written':>14}{'ratio':>8}{'target':>9}")
    figures = []
    for label, generated_key, hand_key, per, target in rows:
        g = [x / per for x in t[generated_key]]
        h = [x / per for x in t[hand_key]]
        ratio = median([a / b for a, b in zip(g, h, strict=True)])
        print(f"{label:<28}{median(g):>12.0f}{median(h):>14.0f}{ratio:>7.2f}x{f'<= {target}x':>9}")
        name = f"{count}-state ring: {label}"
        figures.append(Figure(name, median(g), median(h), "ns", ratio, target))
    return figures


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small machines, few iterations")
    parser.add_argument("--states", type=int, nargs="+", help="ring sizes (default 10 10000)")
    args = parser.parse_args(argv)
    if args.quick:
        counts, events, number, repeat = (10, 200), 100, 5, 3
    else:
        counts, events, number, repeat = (10, 10_000), 1_000, 20, 15
    counts = tuple(args.states or counts)
    directory = Path(tempfile.mkdtemp(prefix="pystator-bench-scale-"))
    figures: list[Figure] = []
    for count in counts:
        figures += measure(count, directory, events, number, repeat)
    return report(figures)


if __name__ == "__main__":
    main()
