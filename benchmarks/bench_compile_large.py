"""`pystator-gen compile` of large machines: CPU time per state at 1k, 10k and 50k states,
peak resident memory, the size of the module and how long it takes to import.

The machines are `bench_frontend.machine`: blocks of nested, parallel, guarded, timed
states; `--dense` adds transitions up to five per state (10,000 states, 50,000
transitions). They are over the default input limits, so the command raises them with
`--max-bytes` and `--max-nodes`, as a project compiling its own large machines would. Each
compile runs as a fresh process (imports, load, checks, lowering, analysis, emitting,
black, writing), in turn with a process that only runs PyYAML's `safe_load` on the same
file, the baseline. The module is then byte-compiled and imported in a fresh process.
Targets: 10,000 states in 20 s of CPU time (a shared machine stretches wall time) and
1 GiB; time per state flat as machines grow; the module imports in 0.5 s.
Run `python benchmarks/bench_compile_large.py [--quick] [--dense] [--sizes 1000,10000]`.
"""

from __future__ import annotations

import argparse
import os
import py_compile
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import Figure, report
from bench_frontend import machine

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 20.0
TARGET_BYTES = 1024**3
TARGET_IMPORT = 0.5
RAISED = ["--max-bytes", str(256 * 1024 * 1024), "--max-nodes", str(50_000_000)]
DENSE = 42  # extra transitions per block of ten states: five transitions per state
#: Imports the runtime first (what any module of a machine imports), then times the module.
IMPORT = (
    "import importlib, sys, time; sys.path.insert(0, sys.argv[1])\n"
    "import pystator.runtime.machine, pystator.runtime.session, pystator.runtime.spec\n"
    "started = time.process_time(); importlib.import_module('big')\n"
    "print(time.process_time() - started)"
)


def import_seconds(directory: str) -> float:
    """CPU seconds to import the byte-compiled module `big` from `directory`, in a new process."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", IMPORT, directory],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout)


def measured_usage(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak resident bytes of one run of `command`."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    # Drained before waiting, so that a chatty failure cannot block on a full pipe.
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{errors.decode(errors='replace')}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024  # Linux: KiB


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small machine (smoke test)")
    parser.add_argument("--dense", action="store_true", help="five transitions per state")
    parser.add_argument("--sizes", default="1000,10000,50000", help="states of each machine")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each command")
    args = parser.parse_args(argv)
    sizes = [200] if args.quick else [int(size) for size in args.sizes.split(",")]
    repeat = 1 if args.quick else args.repeat
    rows = []
    for size in sizes:
        rows.append(_measure(size, DENSE if args.dense else 0, repeat))
    print(
        f"{'states':>8}{'transitions':>12}{'compile CPU s':>15}{'µs/state':>10}{'peak MB':>9}"
        f"{'safe_load s':>13}{'ratio':>7}{'module MB':>11}{'lines':>9}{'import s':>10}"
    )
    for row in rows:
        print(
            f"{row['states']:>8}{row['transitions']:>12}{row['cpu']:>15.2f}"
            f"{row['cpu'] / row['states'] * 1e6:>10.0f}{row['peak'] / 1e6:>9.0f}"
            f"{row['baseline']:>13.2f}{row['cpu'] / row['baseline']:>6.1f}x"
            f"{row['size'] / 1e6:>11.1f}{row['lines']:>9}{row['import']:>10.2f}"
        )
    figures = [
        Figure(
            f"compile {row['states']:.0f} states, CPU against PyYAML's safe_load",
            row["cpu"],
            row["baseline"],
            "s",
            row["cpu"] / row["baseline"],
        )
        for row in rows
    ]
    for row in rows:
        if 9_000 <= row["states"] <= 11_000:
            seconds_ok = row["cpu"] <= TARGET_SECONDS
            memory_ok = row["peak"] <= TARGET_BYTES
            import_ok = row["import"] <= TARGET_IMPORT
            print(
                f"targets at {row['states']} states: {TARGET_SECONDS:.0f} s of CPU "
                f"({'met' if seconds_ok else 'missed'}), 1 GiB "
                f"({'met' if memory_ok else 'missed'}), import in {TARGET_IMPORT} s "
                f"({'met' if import_ok else 'missed'})"
            )
            # Absolute targets: the ratio is the figure over its target, to meet at 1.
            for name, value, limit, unit in (
                ("compile CPU", row["cpu"], TARGET_SECONDS, "s"),
                ("compile peak memory", row["peak"] / 1e6, TARGET_BYTES / 1e6, "MB"),
                ("import CPU", row["import"], TARGET_IMPORT, "s"),
            ):
                label = f"{name} at {row['states']:.0f} states against its target"
                figures.append(Figure(label, value, limit, unit, value / limit, 1.0))
    return report(figures)


def _measure(size: int, extra: int, repeat: int) -> dict[str, float]:
    text, count = machine(size, extra=extra)
    transitions = text.count("\n  - {trigger:") + text.count("\n  - {source:")
    with tempfile.TemporaryDirectory() as directory:
        source = Path(directory) / "big.yaml"
        source.write_text(text, encoding="utf-8")
        compile_command = [
            sys.executable,
            "-m",
            "pystator.generator.cli",
            "compile",
            str(source),
            *RAISED,
        ]
        load_command = [
            sys.executable,
            "-c",
            "import sys, yaml; yaml.safe_load(open(sys.argv[1], encoding='utf-8'))",
            str(source),
        ]
        compiles, loads = [], []
        # One of each in turn, so that a busier moment of the machine hits both.
        for _ in range(repeat):
            compiles.append(measured_usage(compile_command))
            loads.append(measured_usage(load_command))
        module = Path(directory) / "big.py"
        module_text = module.read_text(encoding="utf-8")
        py_compile.compile(str(module), doraise=True)
        imports = [import_seconds(directory) for _ in range(3)]
    return {
        "states": count,
        "transitions": transitions,
        "cpu": statistics.median(cpu for _, cpu, _ in compiles),
        "peak": max(peak for _, _, peak in compiles),
        "baseline": statistics.median(cpu for _, cpu, _ in loads),
        "size": len(module_text.encode("utf-8")),
        "lines": module_text.count("\n"),
        "import": statistics.median(imports),
    }


if __name__ == "__main__":
    main()
