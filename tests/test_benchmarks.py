"""Every benchmark script runs (quickly) through `benchmarks/run_all.py`, each once, and
reports figures the runner can read; the figures themselves are not asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from _timing import Figure, parse_figures, report  # noqa: E402
from run_all import table_rows  # noqa: E402


def test_every_benchmark_runs_quickly_through_run_all_and_reports_figures(
    tmp_path: Path,
) -> None:
    out = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run_all.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    runs = json.loads(out.read_text())
    assert sorted(run["script"] for run in runs) == sorted(
        path.stem for path in BENCHMARKS.glob("bench_*.py")
    )
    failed = {run["script"]: run["stderr"][-1500:] for run in runs if run["returncode"] != 0}
    assert not failed, failed
    assert result.returncode == 0, result.stdout[-3000:]
    silent = [run["script"] for run in runs if not run["figures"]]
    assert not silent, f"no figures (a FIGURES line or rows ending in a ratio): {silent}"
    assert "ratio" in result.stdout


def test_a_figures_line_reads_back_as_the_figures_printed(capsys: object) -> None:
    figures = [Figure("worker, 4 procs", 2000.0, 2500.0, "events/s", 0.8, 0.5, "higher")]
    report(figures)
    printed = capsys.readouterr().out  # type: ignore[attr-defined]
    assert parse_figures("table\n" + printed) == figures


def test_a_figure_meets_its_target_in_the_direction_that_is_better() -> None:
    assert Figure("cost", 3.0, 1.0, "us", 3.0, 3.0).met is True
    assert Figure("cost", 4.0, 1.0, "us", 4.0, 3.0).met is False
    assert Figure("rate", 1.0, 2.0, "events/s", 0.5, 0.6, "higher").met is False
    assert Figure("no target", 1.0, 1.0, "us", 1.0).met is None


def test_output_without_a_figures_line_is_read_from_rows_ending_in_a_ratio() -> None:
    output = "measure   generated  hand-written  ratio\nsession send   2600   1900   1.51x\n"
    output += "postgres     8    2374    6652   0.36x\n"
    (send, stores) = table_rows(output)
    assert (send.name, send.value, send.baseline, send.ratio) == (
        "session send",
        2600.0,
        1900.0,
        1.51,
    )
    assert (stores.name, stores.value, stores.baseline, stores.ratio) == (
        "postgres 8",
        2374.0,
        6652.0,
        0.36,
    )
    assert parse_figures(output) is None
