"""Run every benchmark and print one table of their figures and targets.

Each `bench_*.py` runs as its own process (so one's imports, memory and failures stay its
own), with `--quick` when given. A script's figures are its `FIGURES [...]` line (see
`_timing.report`); a script that prints none yet is read from its table rows instead: a
row ending in a ratio (`1.51x`) is a figure, named by its leading words. Targets of the
figures of scripts not reporting their own come from TARGETS below.

    python benchmarks/run_all.py [--quick] [--only NAME ...] [--json FILE]

The exit status is 1 when a script failed; a missed target is reported, never an error.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _timing import Figure, parse_figures  # noqa: E402

#: (script, pattern in the figure's name, target ratio, which way is better) for scripts
#: whose output carries no targets; the first pattern that matches a figure gives its target.
TARGETS: tuple[tuple[str, str, float | None, str], ...] = (
    ("bench_guards", r"compiled", 1.5, "lower"),
    ("bench_hierarchy", r"nested", 1.5, "lower"),
)

#: A table row that ends in a ratio: its words, then numbers, then e.g. `1.51x`.
_ROW = re.compile(
    r"^\s*(?P<label>.*?[^\s\d.,:-].*?)[\s:]+(?P<numbers>(?:-?[\d.,]+\s+)*)"
    r"(?P<ratio>-?\d+(?:\.\d+)?)x\s*$"
)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


@dataclass
class Run:
    """One script's run: its exit status, time, output and figures."""

    script: str
    returncode: int
    seconds: float
    stdout: str
    stderr: str
    figures: list[Figure] = field(default_factory=list)
    source: str = "none"  # "FIGURES line", "table rows" or "none"


def scripts(only: list[str]) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if only:
        found = [path for path in found if any(name in path.stem for name in only)]
    return found


def run(path: Path, quick: bool, timeout: float) -> Run:
    command = [sys.executable, str(path), *(["--quick"] if quick else [])]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        code, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        code, out, err = -1, _text(exc.stdout), _text(exc.stderr) + f"\ntimed out after {timeout} s"
    result = Run(path.stem, code, time.perf_counter() - started, out, err)
    figures = parse_figures(out)
    if figures is not None:
        result.figures, result.source = figures, "FIGURES line"
    else:
        result.figures = [_targeted(path.stem, figure) for figure in table_rows(out)]
        result.source = "table rows" if result.figures else "none"
    return result


def table_rows(output: str) -> list[Figure]:
    """Figures read from rows that end in a ratio: `label  value  baseline  ratio x`.

    With two numbers before the ratio they are pystator's and the baseline's; with more,
    small whole leading ones (below 100) belong to the name (e.g. a process count) and the
    last two are the pair; with one, it is pystator's. Numbers not known are NaN.
    """
    figures = []
    for line in output.splitlines():
        found = _ROW.match(line)
        if not found:
            continue
        numbers = [float(n.replace(",", "")) for n in _NUMBER.findall(found["numbers"])]
        label = found["label"].strip().rstrip(":")
        if len(numbers) > 2:
            lead = numbers[:-2]
            if all(n == int(n) and n < 100 for n in lead):
                label += " " + " ".join(f"{n:g}" for n in lead)
                numbers = numbers[-2:]
            else:
                numbers = []
        value = numbers[0] if numbers else float("nan")
        baseline = numbers[1] if len(numbers) > 1 else float("nan")
        figures.append(Figure(label, value, baseline, "", float(found["ratio"])))
    return figures


def _targeted(script: str, figure: Figure) -> Figure:
    for name, pattern, target, better in TARGETS:
        if name == script and re.search(pattern, figure.name):
            return replace(figure, target=target, better=better)
    return figure


def summary(runs: list[Run]) -> str:
    lines = [
        f"{'script':<24}{'figure':<44}{'pystator':>11}{'baseline':>11}{'ratio':>9}"
        f"{'target':>9}  met"
    ]
    for result in runs:
        if result.returncode != 0:
            lines.append(f"{result.script:<24}FAILED (exit {result.returncode})")
            continue
        if not result.figures:
            lines.append(f"{result.script:<24}no figures found in its output")
        for figure in result.figures:
            target = "" if figure.target is None else f"{_sign(figure)} {figure.target:g}x"
            met = {None: "", True: "yes", False: "NO"}[figure.met]
            lines.append(
                f"{result.script:<24}{figure.name[:43]:<44}{_number(figure.value):>11}"
                f"{_number(figure.baseline):>11}{figure.ratio:>8.2f}x{target:>9}  {met}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[Run]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every script with --quick")
    parser.add_argument("--only", nargs="*", default=[], help="scripts whose name has NAME")
    parser.add_argument("--json", type=Path, help="also write the runs' figures to FILE")
    parser.add_argument("--timeout", type=float, help="seconds per script (300 / 7200)")
    args = parser.parse_args(argv)
    timeout = args.timeout or (300.0 if args.quick else 7200.0)
    runs = []
    for path in scripts(args.only):
        print(f"running {path.name}{' --quick' if args.quick else ''} ...", flush=True)
        result = run(path, args.quick, timeout)
        runs.append(result)
        status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
        print(f"  {status} in {result.seconds:.1f} s, {len(result.figures)} figures", flush=True)
        if result.returncode != 0:
            print(_indent(result.stderr.strip()[-2000:] or result.stdout.strip()[-2000:]))
    print()
    print(summary(runs))
    if args.json:
        args.json.write_text(json.dumps([_as_json(result) for result in runs], indent=2))
    return runs


def _as_json(result: Run) -> dict[str, object]:
    return {
        "script": result.script,
        "returncode": result.returncode,
        "seconds": round(result.seconds, 2),
        "source": result.source,
        "figures": [figure.to_json() for figure in result.figures],
        "stdout": result.stdout,
        "stderr": result.stderr[-4000:],
    }


def _sign(figure: Figure) -> str:
    return "<=" if figure.better == "lower" else ">="


def _number(value: float) -> str:
    if value != value:  # NaN: not in the script's output
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


if __name__ == "__main__":
    sys.exit(1 if any(result.returncode != 0 for result in main()) else 0)
