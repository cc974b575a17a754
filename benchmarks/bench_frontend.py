"""Front-end cost per state (load, schema, check, lower, analysis: what validation runs) at
1k, 10k and 50k states, for a correct machine and for one whose every destination is
misspelt; per-state time must stay flat as machines grow.

The baseline is PyYAML's own `safe_load` of the same text, timed in the same run. Big
machines pass the API's size limits, so the pipeline is called with raised `Limits`.
Run `python benchmarks/bench_frontend.py [--quick]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pystator.generator.diagnostics import CompileError, Diagnostic  # noqa: E402
from pystator.generator.load import Limits, load_text  # noqa: E402
from pystator.generator.pipeline import compile_document  # noqa: E402

#: Room for the largest machine measured here; the table limit stays the default.
LIMITS = Limits(max_bytes=64 * 1024 * 1024, max_nodes=5_000_000)

BLOCK = 10  # states per block below


#: The block's plain sibling states that `extra` transitions run between.
SIBLINGS = ("idle", "work", "wait", "done")


def _block(index: int, blocks: int, misspelt: bool, extra: int = 0) -> tuple[list[str], list[str]]:
    """One order-like block: a compound state with a parallel part, guards, timers, a
    history transition, and an exit to the next block; `extra` more transitions between
    its plain states, on events `e0`, `e1`, ..., each from one state to the next."""
    b = f"block{index}"
    nxt = f"block{(index + 1) % blocks}"

    def dest(name: str) -> str:
        # A typo a person makes, one letter dropped, that never names another state.
        return name.replace("block", "blck") if misspelt else name

    states = [
        f"  - {{name: {b}, initial_child: {b}.idle, on_exit: [close_{index % 7}]}}",
        f"  - {{name: {b}.idle, parent: {b}}}",
        f"  - {{name: {b}.work, parent: {b}, on_enter: [start_{index % 5}],"
        f" timeout: {{seconds: 30, destination: {dest(b + '.idle')}}}}}",
        f"  - {{name: {b}.wait, parent: {b}}}",
        f"  - name: {b}.par\n    parent: {b}\n    type: parallel\n    regions:\n"
        f"      - {{name: {b}.left, initial: {b}.l1, states: [{b}.l1, {b}.l2]}}\n"
        f"      - {{name: {b}.right, initial: {b}.r1, states: [{b}.r1, {b}.r2]}}",
        f"  - {{name: {b}.l1}}",
        f"  - {{name: {b}.l2}}",
        f"  - {{name: {b}.r1}}",
        f"  - {{name: {b}.r2}}",
        f"  - {{name: {b}.done, parent: {b}}}",
    ]
    transitions = [
        f"  - {{trigger: start, source: {b}.idle, dest: {dest(b + '.work')},"
        " guards: [{expr: 'amount > 10'}]}",
        f"  - {{trigger: start, source: {b}.idle, dest: {dest(b + '.wait')},"
        " guards: [{expr: 'amount <= 10'}]}",
        f"  - {{source: {b}.wait, dest: {dest(b + '.par')}, after: 5s}}",
        f"  - {{trigger: flip, source: {b}.l1, dest: {dest(b + '.l2')}, region: {b}.left}}",
        f"  - {{trigger: flop, source: {b}.r1, dest: {dest(b + '.r2')}, region: {b}.right}}",
        f"  - {{trigger: finish, source: {b}.par, dest: {dest(b + '.done')},"
        " guards: [{check: {field: status, op: eq, value: ok}}]}",
        f"  - {{trigger: resume, source: {b}.done, dest: {dest(f'H({b})')}}}",
        f"  - {{trigger: next, source: {b}, dest: {dest(nxt)}, actions: [log]}}",
    ]
    for number in range(extra):
        source = SIBLINGS[number % len(SIBLINGS)]
        target = SIBLINGS[(number + 1) % len(SIBLINGS)]
        event = f"e{number // len(SIBLINGS)}"
        transitions.append(
            f"  - {{trigger: {event}, source: {b}.{source}, dest: {dest(f'{b}.{target}')}}}"
        )
    return states, transitions


def machine(states: int, *, misspelt: bool = False, extra: int = 0) -> tuple[str, int]:
    """YAML text of a machine of about `states` states, and its exact number of states;
    `extra` transitions more per block of ten states (42 make five per state)."""
    blocks = max(1, states // BLOCK)
    state_lines = ["  - {name: start, type: initial}", "  - {name: closed, type: terminal}"]
    transition_lines = [
        f"  - {{trigger: open, source: start, dest: {'blck0' if misspelt else 'block0'}}}",
        f"  - {{trigger: close, source: block0, dest: {'clsed' if misspelt else 'closed'}}}",
    ]
    for index in range(blocks):
        more_states, more_transitions = _block(index, blocks, misspelt, extra)
        state_lines += more_states
        transition_lines += more_transitions
    head = (
        "meta:\n  machine_name: big\n"
        "state_variables:\n  - {key: amount, type: number, default: 0}\n"
        "  - {key: status, type: string, default: new}\n"
    )
    text = "\n".join([head + "states:", *state_lines, "transitions:", *transition_lines])
    return text + "\n", 2 + blocks * BLOCK


def validate(text: str) -> tuple[bool, tuple[Diagnostic, ...]]:
    """What `POST /validate` does with the text: whether it compiles, and the findings."""
    try:
        compiled = compile_document(load_text(text, "big.yaml", limits=LIMITS), limits=LIMITS)
    except CompileError as exc:
        return False, exc.diagnostics
    return True, compiled.warnings


def cpu_seconds(run: Callable[[], object]) -> float:
    started = time.process_time()
    run()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small machines (smoke test)")
    args = parser.parse_args()
    sizes, repeat = ((100, 500), 1) if args.quick else ((1_000, 10_000, 50_000), 3)
    rows: dict[str, list[float]] = {"yaml.safe_load": [], "validate": [], "all misspelt": []}
    counts = []
    validate(machine(100)[0])  # first use builds pydantic's validators: not part of the cost
    for size in sizes:
        text, count = machine(size)
        wrong, _ = machine(size, misspelt=True)
        counts.append(count)
        compiled, _ = validate(text)
        refused, found = validate(wrong)
        assert compiled and not refused
        unknown = [d for d in found if d.code == "PS204"]
        suggested = sum(d.hint.startswith("Did you mean") for d in unknown)
        print(
            f"{count} states, all misspelt: {len(unknown)} unknown, {suggested} with a suggestion"
        )
        runs: dict[str, Callable[[], object]] = {
            "yaml.safe_load": lambda text=text: yaml.safe_load(text),
            "validate": lambda text=text: validate(text),
            "all misspelt": lambda wrong=wrong: validate(wrong),
        }
        # One of each in turn, so that a busier moment of the machine hits all three.
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(repeat):
            for name, run in runs.items():
                times[name].append(cpu_seconds(run))
        for name, values in times.items():
            rows[name].append(statistics.median(values) / count * 1e6)
    print("CPU time per state (µs), medians of", repeat, "runs")
    header = "".join(f"{f'{count} states':>16}" for count in counts)
    print(f"{'measure':<18}{header}{f'ratio {counts[-1]}/{counts[0]}':>18}")
    for name, values in rows.items():
        cells = "".join(f"{value:>16.0f}" for value in values)
        print(f"{name:<18}{cells}{values[-1] / values[0]:>17.2f}x")
    base = rows["yaml.safe_load"]
    for name in ("validate", "all misspelt"):
        print(
            f"{name} against safe_load: "
            + ", ".join(f"{v / b:.2f}x" for v, b in zip(rows[name], base, strict=True))
        )


if __name__ == "__main__":
    main()
