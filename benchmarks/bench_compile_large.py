"""`pystator-gen compile` of a 10,000-state machine: wall time (median of runs) and peak
resident memory of the command, against PyYAML's `safe_load` of the same file.

The machine is `bench_frontend.machine`: blocks of nested, parallel, guarded, timed
states. It is over the default input limits, so the command raises them with
`--max-bytes` and `--max-nodes`, as a project compiling its own large machines would.
Targets: 20 s of CPU time (a shared machine stretches wall time) and 1 GiB.
Run `python benchmarks/bench_compile_large.py [--quick] [--states N] [--repeat N]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_frontend import machine

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 20.0
TARGET_BYTES = 1024**3
RAISED = ["--max-bytes", str(64 * 1024 * 1024), "--max-nodes", str(5_000_000)]


def measured(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak resident bytes of one run of `command`, which must
    succeed. CPU time is what a shared machine distorts least."""
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
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{errors.decode(errors='replace')}")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, usage.ru_maxrss * 1024  # Linux reports kilobytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small machine (smoke test)")
    parser.add_argument("--states", type=int, default=10_000, help="states of the machine")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command")
    args = parser.parse_args()
    states, repeat = (200, 1) if args.quick else (args.states, args.repeat)
    text, count = machine(states)
    with tempfile.TemporaryDirectory() as directory:
        source = Path(directory) / "big.yaml"
        source.write_text(text, encoding="utf-8")
        commands = {
            "pystator-gen compile": [
                sys.executable,
                "-m",
                "pystator.generator.cli",
                "compile",
                str(source),
                *RAISED,
            ],
            "yaml.safe_load": [
                sys.executable,
                "-c",
                "import sys, yaml; yaml.safe_load(open(sys.argv[1], encoding='utf-8'))",
                str(source),
            ],
        }
        runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in commands}
        # One of each in turn, so that a busier moment of the machine hits both.
        for _ in range(repeat):
            for name, command in commands.items():
                runs[name].append(measured(command))
        written = (Path(directory) / "big.py").stat().st_size
    print(f"{count} states, {len(text) / 1e6:.1f} MB of YAML, {written / 1e6:.1f} MB of module")
    print(f"{'command':<22}{'wall s':>10}{'CPU s':>10}{'peak MB':>10}   (medians of {repeat})")
    medians = {}
    for name, results in runs.items():
        wall = statistics.median(seconds for seconds, _, _ in results)
        medians[name] = statistics.median(cpu for _, cpu, _ in results)
        peak = max(rss for _, _, rss in results)
        print(f"{name:<22}{wall:>10.2f}{medians[name]:>10.2f}{peak / 1e6:>10.0f}")
    compile_peak = max(rss for _, _, rss in runs["pystator-gen compile"])
    ratio = medians["pystator-gen compile"] / medians["yaml.safe_load"]
    print(f"ratio compile / safe_load (CPU): {ratio:.1f}x")
    seconds_ok = medians["pystator-gen compile"] <= TARGET_SECONDS
    memory_ok = compile_peak <= TARGET_BYTES
    print(
        f"targets: {TARGET_SECONDS:.0f} s ({'met' if seconds_ok else 'missed'}), "
        f"{TARGET_BYTES // 1024**3} GiB ({'met' if memory_ok else 'missed'})"
    )


if __name__ == "__main__":
    main()
